"""``chainrule.optimize.least_squares``: SciPy's nonlinear least squares with exact Jacobians
by automatic differentiation, robust losses for every method, fit statistics, and solutions
that are differentiable functions of the data (docs/optimize.md)."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as onp

from .._pytree import flatten, ravel_pytree, unflatten
from ..autograd.dispatch import is_tensor
from ..autograd.tracing import untraceable
from ..primitives._core import data_of
from . import _lsq_dogbox, _lsq_lm, _lsq_trf
from ._implicit import _live, implicit_solution
from ._lsq_jac import Residuals
from ._lsq_loss import Loss, rho0_traced
from ._lsq_stats import correlation, covariance
from ._lsq_tr import EPS, SVDModel, step_to_bound
from ._result import OptimizeResult

MESSAGES = {
    0: "The maximum number of function evaluations is exceeded.",
    1: "`gtol` termination condition is satisfied.",
    2: "`ftol` termination condition is satisfied.",
    3: "`xtol` termination condition is satisfied.",
    4: "Both `ftol` and `xtol` termination conditions are satisfied.",
}
METHODS = ("trf", "dogbox", "lm")
NEWTON_MAX_N = 500  # polishing uses the exact Hessian up to this many parameters, else GN


def _is_flat_array(x0) -> bool:
    """SciPy's x0 (an array or a list of numbers) as opposed to a pytree of arrays."""
    if isinstance(x0, dict):
        return False
    if isinstance(x0, (list, tuple)):
        return all(isinstance(v, numbers.Number) for v in x0)
    return True


def _same_structure(a, b) -> bool:
    return (a.kind == b.kind and a.meta == b.meta and len(a.children) == len(b.children)
            and all(_same_structure(x, y) for x, y in zip(a.children, b.children)))


def _per_param(value, name, x0, n, flat_input):
    """A scalar, an (n,) array, or (for a pytree x0) a tree like x0 whose leaves broadcast to
    x0's leaves -> an (n,) float array."""
    if not flat_input and isinstance(value, (dict, list, tuple)):
        v_leaves, v_td = flatten(value)
        x_leaves, x_td = flatten(x0)
        if _same_structure(v_td, x_td):
            value = onp.concatenate([
                onp.broadcast_to(onp.asarray(data_of(v), dtype=float), onp.shape(x)).ravel()
                for v, x in zip(v_leaves, x_leaves)])
    try:
        arr = onp.asarray(data_of(value), dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"least_squares: {name} must be a scalar, an array of {n} values or "
                         f"a tree of x0's structure, got {type(value).__name__}") from None
    if arr.ndim == 0:
        return onp.full(n, float(arr))
    if arr.size != n:
        raise ValueError(f"least_squares: {name} has shape {arr.shape} but x0 has {n} "
                         f"parameters; give a scalar, an array of {n} values, or (for a pytree "
                         f"x0) a tree of x0's structure")
    return arr.reshape(n)


def _bounds(bounds, x0, n, flat_input):
    try:
        lb, ub = bounds
    except (TypeError, ValueError):
        raise ValueError("least_squares: bounds must be a pair (lb, ub)") from None
    lb = _per_param(lb, "the lower bound", x0, n, flat_input)
    ub = _per_param(ub, "the upper bound", x0, n, flat_input)
    if onp.any(lb >= ub):
        k = onp.nonzero(lb >= ub)[0]
        raise ValueError(f"least_squares: each lower bound must be strictly less than its upper "
                         f"bound; not so for parameter(s) {k.tolist()}")
    return lb, ub


def _traced_leaves(tree):
    """The leaves of (args, kwargs), their structure, and which of them are traced (a tensor
    that requires grad while grad mode is on, or carries forward-mode tangents)."""
    leaves, td = flatten(tree)
    return leaves, td, [i for i, v in enumerate(leaves) if is_tensor(v) and _live(v)]


def _projected(g, x, lb, ub):
    """The gradient with the components that push a parameter on its bound outward zeroed,
    and the mask of the free ones."""
    held = ((x <= lb) & (g > 0)) | ((x >= ub) & (g < 0))
    return onp.where(held, 0.0, g), ~held


def _polish(R, L, pt, lb, ub, max_nfev, steps=6):
    """Newton steps with the exact Hessian of the cost (by AD; Gauss-Newton steps when the
    Jacobian is not by AD or the Hessian is not positive definite) from the converged point.

    The Hessian is computed once and reused while its steps are accepted (chord Newton: near
    the minimum it changes by the size of the first step, so the iteration still converges
    much faster than linearly); a rejected step with a reused Hessian recomputes it. With
    bounds, parameters on a bound that the gradient pushes outward are held, the step is taken
    in the others and cut where it meets a bound. A step is kept when it lowers the cost, or,
    where the cost no longer resolves the change (rounding), when it lowers the (projected)
    gradient: this takes a solution stopped at ftol = 1e-8 to the precision of float64 in a
    few steps."""
    cost = L.cost(pt.f)
    J = R.jac(pt)
    g = J.T @ (L.grad_weights(pt.f) * pt.f)
    H = None  # the last Hessian
    fresh = False
    last_size = None  # the last step's size relative to x
    ad = R.kind == "ad" and R.n <= NEWTON_MAX_N  # a dense Hessian: n^2 memory, n tangents
    for _ in range(steps):
        if R.nfev >= max_nfev or cost == 0 or not onp.all(onp.isfinite(g)):
            break
        taken = None
        while taken is None:
            if ad and H is None:
                H = R.hessian(pt.x, L)
                H = 0.5 * (H + H.T) if onp.all(onp.isfinite(H)) else None
                fresh = True
            free = _projected(g, pt.x, lb, ub)[1]
            candidates = []
            measure = _norm_of(free)
            if H is not None:
                w, V = onp.linalg.eigh(H[onp.ix_(free, free)])
                if w.size and w[0] > 0:
                    p = onp.zeros_like(g)
                    p[free] = -V @ ((V.T @ g[free]) / w)
                    candidates.append(("newton", p))
            if not candidates or fresh or not ad:
                f_s, J_s = L.scale(pt.f, J)
                p = onp.zeros_like(g)
                p[free] = SVDModel(J_s[:, free], f_s).gn
                candidates.append(("gn", p))
            tries = []
            for kind, p in candidates:
                t, hits = step_to_bound(pt.x, p, lb, ub)
                if t < 1:
                    tries.append((kind, p * t))  # cut at the first bound it meets
                    if kind == "newton":  # and the Newton step with those held on it
                        held = hits != 0
                        rest = free & ~held
                        d = onp.where(hits < 0, lb - pt.x, ub - pt.x) * held
                        w, V = onp.linalg.eigh(H[onp.ix_(rest, rest)])
                        if w.size and w[0] > 0:
                            q = d.copy()
                            q[rest] = -V @ ((V.T @ (g[rest] + H[onp.ix_(rest, held)] @ d[held]))
                                            / w)
                            tries.append((kind, q))
                else:
                    tries.append((kind, p))
            for kind, p in tries:
                got = _try_step(R, L, pt, p, cost, g, measure, lb, ub, max_nfev)
                if got is not None:
                    taken = (kind, p)
                    pt, cost, J, g = got
                    break
            if taken is None:
                if fresh or not ad:
                    return pt  # nothing improves on this point
                H = None  # a stale Hessian: compute it again here
        was_fresh, fresh = fresh, False
        size = float(onp.max(onp.abs(taken[1]) / onp.maximum(onp.abs(pt.x), 1e-300)))
        # after a Newton step this small the next one is below float64's resolution of x
        if taken[0] == "newton" and size <= 1e-9:
            break
        # a reused Hessian that contracts the steps slowly (ill-conditioned problems):
        # recompute it, for Newton's quadratic convergence
        if not was_fresh and last_size is not None and size > 0.1 * last_size:
            H = None
        last_size = size
    return pt


def _norm_of(free):
    """How far a gradient is from stationarity: its norm over the free parameters. (The
    Newton decrement g^T H^-1 g, invariant to conditioning, was tried: on ill-conditioned
    problems such as Bennett5 it magnifies the gradient's rounding along the flat valley, and
    it rejected good steps more often.)"""
    return lambda g: float(onp.linalg.norm(g[free]))


def _try_step(R, L, pt, p, cost, g, measure, lb, ub, max_nfev):
    """(point, cost, J, gradient) at pt.x + p if the polishing step is kept, else None."""
    x_new = onp.clip(pt.x + p, lb, ub)
    if onp.all(x_new == pt.x) or R.nfev >= max_nfev:
        return None
    new = R.eval(x_new)
    if not onp.all(onp.isfinite(new.f)):
        return None
    cost_new = L.cost(new.f)
    # The cost carries rounding of eps * |model| per residual, which can exceed the change
    # near the minimum by orders of magnitude (small residuals of large data): where the model
    # predicts a change below 1e-10 of the cost, a rise that small is noise and the gradient
    # decides.
    predicted = -float(g @ p) / 2
    noise = 8 * EPS * cost if predicted > 1e-10 * cost else max(8 * EPS, 1e-10) * cost
    if cost_new > cost + noise:
        return None
    J_new = R.jac(new)
    g_new = J_new.T @ (L.grad_weights(new.f) * new.f)
    if cost_new >= cost * (1 - 8 * EPS) and not measure(g_new) < measure(g):
        return None
    return new, cost_new, J_new, g_new


@untraceable("least_squares", "its solver is NumPy code that iterates on the values")
def least_squares(
    fun: Callable,
    x0: Any,
    jac: str | Callable = "auto",
    bounds: tuple = (-onp.inf, onp.inf),
    method: str = "trf",
    ftol: float | None = 1e-8,
    xtol: float | None = 1e-8,
    gtol: float | None = 1e-8,
    x_scale: Any = "jac",
    loss: str | Callable = "linear",
    f_scale: float = 1.0,
    max_nfev: int | None = None,
    diff_step: Any = None,
    tr_solver: str | None = "exact",
    tr_options: dict | None = None,
    jac_sparsity: Any = None,
    args: tuple = (),
    kwargs: dict | None = None,
    verbose: int = 0,
    polish: bool = True,
) -> OptimizeResult:
    """Minimise ``0.5 * sum(rho(fun(x, *args, **kwargs)**2))`` over ``x`` within ``bounds``:
    SciPy's ``scipy.optimize.least_squares`` with the Jacobian by automatic differentiation.

    ``fun`` is written with ``chainrule.numpy`` or the Tensor face and returns residuals of
    any shape (flattened); ``x0`` is an array or a pytree (dict/list/tuple of arrays), and
    ``res.x`` comes back in its structure. ``jac="auto"`` uses forward mode when there are no
    more parameters than residuals, reverse mode otherwise (``res.jac_mode``); "fwd", "rev", a
    callable, "2-point", "3-point" and "cs" are accepted too. Beyond SciPy's fields the result
    carries ``cov``, ``stderr``, ``corr`` and ``dof`` (docs/optimize.md). When ``args`` or
    ``kwargs`` hold traced values, ``res.x`` is differentiable with respect to them (implicit
    differentiation). Defaults that differ from SciPy's: ``x_scale="jac"`` and ``polish``
    (Gauss-Newton steps after convergence, kept only when they lower the cost).
    """
    kwargs = {} if kwargs is None else dict(kwargs)
    if method not in METHODS:
        raise ValueError(f"least_squares: method must be one of {METHODS}, got {method!r}")
    if tr_solver not in (None, "exact"):
        raise ValueError(f"least_squares: tr_solver={tr_solver!r} is not supported: chainrule "
                         f"solves the trust-region subproblem exactly (SVD); use 'exact'")
    if jac_sparsity is not None:
        raise ValueError("least_squares: jac_sparsity is not supported (the exact Jacobian by "
                         "AD needs no sparsity pattern); leave it None")
    if verbose not in (0, 1, 2):
        raise ValueError(f"least_squares: verbose must be 0, 1 or 2, got {verbose!r}")
    for name, tol in (("ftol", ftol), ("xtol", xtol), ("gtol", gtol)):
        if tol is not None and tol < 0:
            raise ValueError(f"least_squares: {name} must be non-negative, got {tol}")
    ftol, xtol, gtol = (0.0 if t is None else max(float(t), 0.0) for t in (ftol, xtol, gtol))
    if method == "lm":
        # MINPACK's floor: below machine precision the tests cannot be met
        ftol, xtol, gtol = max(ftol, EPS), max(xtol, EPS), gtol
    if ftol < EPS and xtol < EPS and gtol < EPS:
        raise ValueError("least_squares: at least one of ftol, xtol, gtol must be >= machine "
                         "epsilon (2.2e-16), or the method can never stop")

    # Traced data: solve on plain values, then differentiate the solution implicitly.
    data_leaves, data_td, traced = _traced_leaves((tuple(args), kwargs))
    plain_args, plain_kwargs = unflatten(data_td, [data_of(v) for v in data_leaves])

    flat_input = _is_flat_array(x0)
    if flat_input:
        x0_tree = onp.atleast_1d(onp.asarray(data_of(x0), dtype=float))
        if x0_tree.ndim != 1:
            raise ValueError(f"least_squares: x0 must be 1-D (or a pytree of arrays), got "
                             f"shape {x0_tree.shape}; pass x0.ravel() or a dict of arrays")
    else:
        x0_tree = unflatten(flatten(x0)[1], [onp.asarray(data_of(v), dtype=float)
                                             for v in flatten(x0)[0]])
    n = ravel_pytree(x0_tree)[0].size
    if n == 0:
        raise ValueError("least_squares: x0 has no parameters")
    x0_flat = ravel_pytree(x0_tree)[0]
    if not onp.all(onp.isfinite(x0_flat)):
        raise ValueError("least_squares: x0 has non-finite values; start from finite numbers")
    lb, ub = _bounds(bounds, x0_tree, n, flat_input)
    bounded = bool(onp.any(onp.isfinite(lb)) or onp.any(onp.isfinite(ub)))
    outside = onp.nonzero((x0_flat < lb) | (x0_flat > ub))[0]
    if outside.size:
        raise ValueError(f"least_squares: x0 is infeasible: parameter(s) {outside.tolist()} "
                         f"(values {x0_flat[outside].tolist()}) lie outside the bounds "
                         f"[{lb[outside].tolist()}, {ub[outside].tolist()}]; start inside "
                         f"them or widen the bounds")
    if method == "lm" and bounded:
        raise ValueError("least_squares: method='lm' does not handle bounds; use method='trf' "
                         "or 'dogbox'")
    if isinstance(x_scale, str):
        if x_scale != "jac":
            raise ValueError(f"least_squares: x_scale must be 'jac', a positive number or "
                             f"array, got {x_scale!r}")
        scale = "jac"
    else:
        scale = _per_param(x_scale, "x_scale", x0_tree, n, flat_input)
        if not onp.all((scale > 0) & onp.isfinite(scale)):
            raise ValueError("least_squares: x_scale must be positive and finite")
    if max_nfev is not None and max_nfev <= 0:
        raise ValueError(f"least_squares: max_nfev must be positive, got {max_nfev}")

    if method == "trf" and bounded:
        from ._lsq_tr import strictly_feasible

        x0_flat = strictly_feasible(x0_flat, lb, ub)
        x0_tree = ravel_pytree(x0_tree)[1](x0_flat)
    R = Residuals(fun, x0_tree, plain_args, plain_kwargs, jac, diff_step, lb, ub)
    pt = R.first()
    m = pt.f.size
    if m == 0:
        raise ValueError("least_squares: fun returned no residuals")
    if not onp.all(onp.isfinite(pt.f)):
        bad = onp.nonzero(~onp.isfinite(pt.f))[0]
        raise ValueError(f"least_squares: the residuals at x0 are not finite (at indices "
                         f"{bad[:10].tolist()} of {m}); start where fun is finite")
    if method == "lm" and m < n:
        raise ValueError(f"least_squares: method='lm' needs at least as many residuals as "
                         f"parameters, got {m} residuals for {n} parameters; use method='trf' "
                         f"or 'dogbox'")
    L = Loss(loss, f_scale, m)
    if max_nfev is None:
        max_nfev = 1000 * n

    with onp.errstate(all="ignore"):
        if method == "lm":
            pt, status, nit = _lsq_lm.solve(R, L, pt, ftol, xtol, gtol, scale, max_nfev)
        elif method == "trf":
            pt, status, nit = _lsq_trf.solve(R, L, pt, lb, ub, ftol, xtol, gtol, scale, max_nfev)
        else:
            pt, status, nit = _lsq_dogbox.solve(R, L, pt, lb, ub, ftol, xtol, gtol, scale,
                                                max_nfev)
        if polish and status > 0:
            pt = _polish(R, L, pt, lb, ub, max_nfev + 10)
        J = R.jac(pt)
    res = _result(R, L, pt, J, lb, ub, status, nit, method, flat_input)
    if verbose:
        print(f"least_squares ({method}): {res.message} nfev {res.nfev}, njev {res.njev}, "
              f"cost {res.cost:.6e}, optimality {res.optimality:.2e}")
    if traced:
        res["x"] = _implicit_x(fun, res, R, loss, f_scale, data_leaves, data_td, traced,
                               lb, ub, flat_input)
    return res


def _result(R, L, pt, J, lb, ub, status, nit, method, flat_input):
    f = pt.f
    cost = L.cost(f)
    grad = J.T @ (L.grad_weights(f) * f)
    x = pt.x
    active = onp.zeros(x.size, dtype=int)
    tol = 1e-10 * onp.maximum(1.0, onp.abs(x))
    active[onp.isfinite(lb) & (x - lb <= tol)] = -1
    active[onp.isfinite(ub) & (ub - x <= tol)] = 1
    free = active == 0
    optimality = float(onp.linalg.norm(grad[free], onp.inf)) if free.any() else 0.0
    f_s, J_s = L.scale(f, J)
    with warnings.catch_warnings():
        cov, dof, rank = covariance(J_s, f_s, cost, L.linear)
    corr, sd = correlation(cov)
    unravel = R.unravel
    return OptimizeResult(
        x=unravel(x.copy()) if not flat_input else x.copy(),
        cost=cost, fun=f, jac=J, grad=grad, optimality=optimality, active_mask=active,
        nfev=R.nfev, njev=R.njev, nhev=R.nhev, nit=nit, status=status, message=MESSAGES[status],
        success=status > 0, method=method,
        jac_mode=R.mode if R.kind == "ad" else R.kind,
        cov=cov, stderr=unravel(sd.copy()) if not flat_input else sd, corr=corr, dof=dof,
        rank=rank,
    )


def _implicit_x(fun, res, R, loss, f_scale, data_leaves, data_td, traced, lb, ub, flat_input):
    """res.x as a differentiable function of the traced data, by implicit differentiation
    of the stationarity condition grad_x 0.5 * sum(rho(f(x, data)^2)) = 0."""
    if onp.any(res.active_mask != 0):
        k = onp.nonzero(res.active_mask)[0].tolist()
        raise ValueError(f"least_squares: bounds are active at the solution (parameter(s) {k}) "
                         f"and the data are traced: there the solution is not a smooth "
                         f"function of the data (it sticks to the bound), so its derivative is "
                         f"not defined by implicit differentiation; remove or widen the bounds, "
                         f"or pass the data untraced")
    from ..functional import grad
    from ..numpy import reshape
    from ..numpy import sum as np_sum

    fs = float(f_scale)

    def optimality_fn(x, *params):
        leaves = list(data_leaves)
        for i, p in zip(traced, params):
            leaves[i] = p
        a, kw = unflatten(data_td, leaves)

        def objective(xx):
            r = reshape(fun(xx, *a, **kw), (-1,))
            if callable(loss) or loss != "linear":
                return 0.5 * fs**2 * np_sum(rho0_traced(loss, (r / fs) ** 2))
            return 0.5 * np_sum(r * r)

        return grad(objective)(x)

    solution = res.x
    params = tuple(data_leaves[i] for i in traced)
    return implicit_solution(optimality_fn, solution, params)
