"""Implicit differentiation: a solution of ``F(x, *params) = 0`` as a differentiable function
of ``params`` (docs/optimize.md, "Implicit differentiation").

By the implicit function theorem, ``dx/dp = -(d_x F)^{-1} d_p F`` at a regular solution. The
solution map is a ``custom_vjp`` whose backward rule makes one linear solve with ``(d_x F)^T``
per cotangent; forward mode transposes that rule, so it costs one solve with ``d_x F`` per
tangent. The linear solve is itself a ``custom_vjp`` (``dw = A^{-1} (db - dA w)``) whose rules
call the solve again, with chainrule operations, so every order of derivative is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._pytree import flatten, ravel_pytree, unflatten
from ..autograd.dispatch import is_tensor, tangents_of, wrap
from ..autograd.grad_mode import enable_grad, state
from ..autograd.tracing import untraceable
from ..custom import custom_vjp
from ..functional import jacfwd, jvp, vjp

__all__ = ["ImplicitDiffError", "implicit_solution"]

# Up to this many unknowns, "auto" builds d_x F densely (one batched forward pass) and solves
# by its SVD, cached for every cotangent; above, it solves matrix-free by GMRES.
DENSE_MAX = 500
SOLVES = ("auto", "dense", "gmres", "cg")


class ImplicitDiffError(RuntimeError, np.linalg.LinAlgError):
    """The linear solve of implicit differentiation failed: ``d_x F`` is singular or
    ill-conditioned at the solution, the iterative solve did not converge, or a value is not
    finite. Both a ``RuntimeError`` and a ``numpy.linalg.LinAlgError``."""


def _data(x):
    return x._data if is_tensor(x) else np.asarray(x)


def _has_edge(x) -> bool:
    """Whether some derivative may flow into ``x`` (a graph edge or an open tangent)."""
    return is_tensor(x) and (x._edge is not None or bool(tangents_of(x)))


def _live(x) -> bool:
    """Whether a result computed from ``x`` must itself be differentiable."""
    return is_tensor(x) and ((x._edge is not None and state.grad_enabled) or
                             bool(tangents_of(x)))


def _unrecorded(x):
    """``x`` as a rule may compute from it: while grad mode is off (the engine runs a rule of a
    pass that keeps no graph), without its graph edge but with its tangents (forward over
    reverse). The rules record under ``enable_grad`` for their inner ``vjp``; an edge kept
    there would connect their results to the graph the pass is consuming, and the transform's
    results would come back as tensors that require grad."""
    if state.grad_enabled or not is_tensor(x) or x._edge is None:
        return x
    t = wrap(x._data)
    fw = tangents_of(x)
    if fw:
        t._fw = fw
    return t


class _Problem:
    """One optimality condition at one solution: the flat residual function, the plain values
    and the cached linear algebra, shared by every derivative order."""

    def __init__(self, fn, solution, params, solve, rtol):
        if solve not in SOLVES:
            raise ValueError(f"implicit_solution: solve={solve!r}; use one of {SOLVES}")
        self.fn, self.rtol = fn, rtol
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self.p_leaves, self.p_td = flatten(tuple(params))
        self.diff = [k for k, v in enumerate(self.p_leaves)
                     if is_tensor(v) and np.issubdtype(v._data.dtype, np.inexact)]
        s_leaves, s_td = flatten(solution)
        s_leaves = [np.asarray(_data(v)) for v in s_leaves]
        for v in s_leaves:
            if not np.issubdtype(v.dtype, np.floating):
                raise TypeError(f"implicit_solution({self.name}): the solution's leaves must be "
                                f"real floating arrays, got dtype {v.dtype}")
        self.x, self.unravel = ravel_pytree(unflatten(s_td, s_leaves))
        self.n = self.x.size
        self.plain_p = [_data(self.p_leaves[k]) for k in self.diff]
        self.method = ("dense" if self.n <= DENSE_MAX else "gmres") if solve == "auto" else solve
        self.eps = np.finfo(self.x.dtype).eps
        self._svd = None
        self._pull = None
        self._last = {}  # transpose -> (b, w): the last solve of each kind

    # --- the residual function on flat vectors ------------------------------------------------
    def F(self, x, *dl):
        leaves = list(self.p_leaves)
        for k, v in zip(self.diff, dl):
            leaves[k] = v
        if not is_tensor(x):  # (the Tensor face's methods work on x in every call)
            x = wrap(np.asarray(x))
        out = self.fn(self.unravel(x), *unflatten(self.p_td, leaves))
        flat, _ = ravel_pytree(out)
        n_out = flat._data.size if is_tensor(flat) else np.size(flat)
        if n_out != self.n:
            raise ValueError(f"implicit_solution({self.name}): the optimality function returned "
                             f"{n_out} values for a solution of {self.n}; it must return a "
                             f"pytree shaped like x (one equation per unknown)")
        return flat

    # --- plain linear algebra -----------------------------------------------------------------
    def _fail(self, why: str):
        raise ImplicitDiffError(
            f"implicit differentiation of the solution of {self.name} ({self.n} unknowns, "
            f"solve={self.method!r}): {why}. The derivative of the solution does not exist or "
            f"cannot be trusted there: check that the solver converged to a regular (isolated) "
            f"solution, where d_x F is invertible.")

    def _dense(self):
        if self._svd is None:
            a = np.asarray(_data(jacfwd(self.F, 0)(self.x, *self.plain_p)), dtype=float)
            a = a.reshape(self.n, self.n)
            if not np.all(np.isfinite(a)):
                self._fail("d_x F at the solution has non-finite entries")
            u, s, vt = np.linalg.svd(a)
            if self.n and s[-1] <= s[0] * self.n * self.eps * 10:
                self._fail(f"d_x F is singular (smallest singular value {s[-1]:.3g}, largest "
                           f"{s[0]:.3g})")
            self._svd = (a, u, s, vt)
        return self._svd

    def _matvec(self, transpose):
        if transpose:
            if self._pull is None:
                _, self._pull = vjp(lambda x: self.F(x, *self.plain_p), self.x)
            pull = self._pull
            return lambda v: np.asarray(_data(pull(v)[0]), dtype=float)
        return lambda v: np.asarray(_data(jvp(lambda x: self.F(x, *self.plain_p), (self.x,),
                                                (v,))[1]), dtype=float)

    def solve_plain(self, b, transpose: bool) -> np.ndarray:
        """``A^{-1} b`` (``A^{-T} b`` with ``transpose``), ``A = d_x F`` at the solution."""
        b = np.asarray(b, dtype=self.x.dtype).reshape(self.n)
        if not np.all(np.isfinite(b)):
            self._fail("the right-hand side of the linear solve is not finite")
        if not b.any():
            return np.zeros_like(b)
        last = self._last.get(transpose)
        if last is not None and np.array_equal(last[0], b):
            return last[1].copy()  # (forward mode may ask twice for the same solve)
        if self.method == "dense":
            a, u, s, vt = self._dense()
            w = (u @ ((vt @ b) / s)) if transpose else (vt.T @ ((u.T @ b) / s))
            r = (a.T @ w if transpose else a @ w) - b
            # backward error: the SVD solve is stable; singularity is checked on s above
            err = np.linalg.norm(r) / (s[0] * np.linalg.norm(w) + np.linalg.norm(b))
            limit = 1e3 * self.n * self.eps
        else:
            mv = self._matvec(transpose)
            w = (_cg if self.method == "cg" else _gmres)(mv, b, self.rtol, self)
            r = mv(w) - b
            err = np.linalg.norm(r) / np.linalg.norm(b)
            limit = max(1e3 * self.rtol, 1e-8)
        if not (np.all(np.isfinite(w)) and err <= limit):
            self._fail(f"the linear solve's relative residual is {err:.3g} (non-finite or above "
                       f"{limit:.1g}): d_x F is singular or too ill-conditioned")
        self._last[transpose] = (b.copy(), w.copy())
        return w

    # --- the differentiable pieces ------------------------------------------------------------
    def solution_fn(self):
        """``dl -> x*``, a custom_vjp (fresh per call: its rule calls it again)."""
        prob = self

        def fun(*dl):
            return prob.x.copy()

        def fwd(*dl):
            return prob.x.copy(), dl

        def bwd(dl, g):
            if not (_live(g) or any(_live(p) for p in dl)):
                dl = tuple(_data(p) for p in dl)  # first order: nothing records
            else:  # (grad mode off: only the tangents are live, the edges are dropped)
                g, dl = _unrecorded(g), tuple(_unrecorded(p) for p in dl)
            x = prob.solution_fn()(*dl)  # differentiable in dl when a higher order needs it
            w = prob.solve_fn(True)(g, x, *dl)  # (d_x F)^T w = g
            with enable_grad():  # (the engine runs rules without recording)
                _, pull = vjp(lambda *p: prob.F(x, *p), *dl)
                return tuple(None if c is None else -c for c in pull(w))

        f = custom_vjp(fun)
        f.__name__ = f"implicit_solution[{self.name}]"
        f.defvjp(fwd, bwd)
        return f

    def solve_fn(self, transpose: bool):
        """``(b, x, *dl) -> A(x, dl)^{-1} b`` (``A^{-T} b``), differentiable in all of them."""
        prob = self
        stash = {}

        def fun(b, x, *dl):
            return prob.solve_plain(_data(b), transpose)

        def fwd(b, x, *dl):
            w = stash["w"] = prob.solve_plain(_data(b), transpose)
            return w, (b, x, dl)

        def bwd(res, wbar):
            b, x, dl = res
            # (a live wbar: forward mode transposes this rule, differentiating every output)
            need_theta = _live(wbar) or _has_edge(x) or any(_has_edge(p) for p in dl)
            wbar, b, x = _unrecorded(wbar), _unrecorded(b), _unrecorded(x)
            dl = tuple(_unrecorded(p) for p in dl)
            if _live(b) or _live(x) or any(_live(p) for p in dl):
                w = prob.solve_fn(transpose)(b, x, *dl)  # its own derivative is needed
            else:
                x, dl = _data(x), tuple(_data(p) for p in dl)  # first order: nothing records
                w = stash.get("w")
                if w is None:
                    w = prob.solve_plain(_data(b), transpose)
            bbar = prob.solve_fn(not transpose)(wbar, x, *dl)
            if not need_theta:
                return (bbar, None) + (None,) * len(dl)
            # d<wbar, A^{-1} b> = -<bbar, dA w>: the cotangent of (x, dl) is the gradient of
            # u . (d_x F(x, dl) v) with u, v held fixed.
            u, v = (w, bbar) if transpose else (bbar, w)
            with enable_grad():
                _, pull = vjp(lambda xx, *p: jvp(lambda z: prob.F(z, *p), (xx,), (v,))[1],
                              x, *dl)
                return (bbar,) + tuple(None if c is None else -c for c in pull(u))

        f = custom_vjp(fun)
        f.__name__ = f"implicit_solve[{self.name}]"
        f.defvjp(fwd, bwd)
        return f


def _gmres(matvec, b, rtol, prob, restart: int = 60) -> np.ndarray:
    """Restarted GMRES (modified Gram-Schmidt with one reorthogonalisation, Givens rotations)."""
    n = b.size
    m = min(restart, n)
    x = np.zeros_like(b)
    bnorm = np.linalg.norm(b)
    total, maxiter = 0, max(10 * n, 200)
    while total < maxiter:
        r = b - matvec(x) if total else b.copy()
        beta = np.linalg.norm(r)
        if not np.isfinite(beta):
            prob._fail("GMRES produced non-finite values")
        if beta <= rtol * bnorm:
            return x
        V = np.zeros((m + 1, n))
        H = np.zeros((m + 1, m))
        cs, sn = np.zeros(m), np.zeros(m)
        g = np.zeros(m + 1)
        g[0] = beta
        V[0] = r / beta
        k = 0
        for j in range(m):
            w = matvec(V[j])
            total += 1
            for _ in range(2):  # twice is enough (Kahan): keeps V orthogonal to working precision
                h = V[:j + 1] @ w
                w = w - h @ V[:j + 1]
                H[:j + 1, j] += h
            H[j + 1, j] = np.linalg.norm(w)
            breakdown = H[j + 1, j] <= 1e-14 * np.linalg.norm(H[:j + 2, j])
            if not breakdown:
                V[j + 1] = w / H[j + 1, j]
            for i in range(j):
                t = cs[i] * H[i, j] + sn[i] * H[i + 1, j]
                H[i + 1, j] = -sn[i] * H[i, j] + cs[i] * H[i + 1, j]
                H[i, j] = t
            d = np.hypot(H[j, j], H[j + 1, j])
            if d == 0:
                prob._fail("GMRES broke down: d_x F maps a Krylov vector to zero (singular)")
            cs[j], sn[j] = H[j, j] / d, H[j + 1, j] / d
            H[j, j], H[j + 1, j] = d, 0.0
            g[j + 1] = -sn[j] * g[j]
            g[j] = cs[j] * g[j]
            k = j + 1
            if abs(g[j + 1]) <= rtol * bnorm or breakdown:
                break
        R = H[:k, :k]
        if np.any(np.abs(np.diag(R)) <= 1e-14 * np.abs(R).max()):
            prob._fail("GMRES's Hessenberg matrix is singular: d_x F is singular")
        y = np.linalg.solve(np.triu(R), g[:k])
        x = x + y @ V[:k]
        if abs(g[k]) <= rtol * bnorm:
            return x
    return x  # the caller checks the true residual and raises


def _cg(matvec, b, rtol, prob) -> np.ndarray:
    """Conjugate gradients, for symmetric positive definite d_x F."""
    x = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = r @ r
    bnorm = np.sqrt(rr)
    for _ in range(max(10 * b.size, 200)):
        ap = matvec(p)
        curv = p @ ap
        if not curv > 0:
            prob._fail(f"conjugate gradients met a direction of curvature {curv:.3g}: d_x F is "
                       f"not positive definite (use solve='gmres' or 'dense')")
        alpha = rr / curv
        x = x + alpha * p
        r = r - alpha * ap
        rr_new = r @ r
        if np.sqrt(rr_new) <= rtol * bnorm:
            break
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


@untraceable("implicit_solution", "its solver is NumPy code that iterates on the values")
def implicit_solution(optimality_fn: Callable[..., Any], solution: Any, params: tuple, *,
                      solve: str = "auto", rtol: float = 1e-12) -> Any:
    """``solution`` as a differentiable function of ``params``, by the implicit function theorem.

    ``optimality_fn(x, *params)`` returns a pytree shaped like ``x`` that is zero at the
    solution; ``solution`` is the converged ``x`` (NumPy leaves, computed without tracing);
    ``params`` is a tuple of pytrees whose float tensors (requiring grad, or traced by a
    chainrule transform) are differentiated. The result has ``solution``'s structure; its
    derivatives (reverse, forward, any order) cost one linear solve with ``d_x F`` per
    cotangent or tangent: ``solve="dense"`` (``d_x F`` built once and factorised), ``"gmres"``
    or ``"cg"`` (matrix-free, by Jacobian-vector products; ``cg`` for symmetric positive
    definite ``d_x F``), ``"auto"`` (dense up to 500 unknowns). ``rtol`` is the iterative
    solve's relative tolerance. A failed solve raises :class:`ImplicitDiffError`.
    """
    if not isinstance(params, tuple):
        raise TypeError(f"implicit_solution: params must be a tuple of the optimality "
                        f"function's extra arguments, got {type(params).__name__}")
    prob = _Problem(optimality_fn, solution, params, solve, rtol)
    if not prob.diff:
        return solution
    dl = [prob.p_leaves[k] for k in prob.diff]
    x = prob.solution_fn()(*dl)
    if not is_tensor(x):  # tensors given (none traced): tensors back, as chainrule's operations
        x = wrap(np.asarray(x))
    return prob.unravel(x)
