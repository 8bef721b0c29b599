"""``root`` (SciPy's, with the AD Jacobian), ``custom_root`` and ``fixed_point``: roots that are
differentiable functions of their parameters by implicit differentiation (docs/optimize.md,
"root")."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .._pytree import ravel_pytree
from ..autograd.dispatch import is_tensor
from ..autograd.tracing import untraceable
from ..functional import jacobian
from ._implicit import ImplicitDiffError, implicit_solution
from ._min_common import (
    as_tensor,
    flat_start,
    is_traced,
    numbers,
    plain,
    scipy_optimize,
    tree_sub,
    values,
)
from ._result import OptimizeResult

__all__ = ["custom_root", "fixed_point", "root"]

USES_JAC = {"hybr", "lm"}


def _flat_out(out):
    flat, _ = ravel_pytree(out)
    return flat.reshape((-1,)) if is_tensor(flat) else np.atleast_1d(np.asarray(flat))


@untraceable("root", "its solver is NumPy code that iterates on the values")
def root(fun: Callable[..., Any], x0: Any, args: tuple = (), method: str = "hybr",
         jac: Any = None, tol: float | None = None, callback: Callable[..., Any] | None = None,
         options: dict | None = None) -> OptimizeResult:
    """``scipy.optimize.root`` with the exact Jacobian by automatic differentiation (forward
    mode when x has no more values than fun, else reverse) for ``hybr`` and ``lm``.

    ``x0`` may be a pytree (``res.x`` has its structure; ``res.fun`` is SciPy's flat vector).
    With traced ``args``, ``res.x`` is differentiable in them (implicit differentiation of
    ``fun(x, *args) = 0``, which must then have as many equations as unknowns)."""
    so = scipy_optimize("root")
    z0, unravel = flat_start(x0, "root")
    pargs = tuple(plain(tuple(args)))

    def f_flat(z, *a):
        return _flat_out(fun(unravel(z), *a))

    def value(z):
        return values(f_flat(as_tensor(z), *pargs), "root")

    m = method.lower() if isinstance(method, str) else method
    if m in USES_JAC:
        if jac is None:
            def jac(z):
                j = numbers(jacobian(f_flat, mode="auto")(np.asarray(z, dtype=float), *pargs))
                return j.reshape(-1, np.size(z))
        elif callable(jac):
            user = jac

            def jac(z):
                return np.atleast_2d(np.asarray(user(unravel(z), *pargs), dtype=float))
    elif jac is not None and jac is not False:
        raise ValueError(f"root: method {method!r} uses no Jacobian; leave jac=None")
    else:
        jac = None
    cb = None if callback is None else (lambda x, f: callback(unravel(np.asarray(x)), f))
    res = OptimizeResult(so.root(value, z0, args=(), method=method, jac=jac, tol=tol,
                                 callback=cb, options=options))
    z = np.asarray(res.x, dtype=float)
    res["x"] = unravel(z)
    if is_traced(args):
        if not res.success:
            raise ImplicitDiffError(f"root: args are traced but the solver did not converge "
                                    f"({res.message}); the root's derivative assumes a "
                                    f"converged root")
        if np.size(res.fun) != z.size:
            raise ValueError(f"root: differentiating the root in args needs as many equations "
                             f"as unknowns; fun has {np.size(res.fun)}, x has {z.size}")
        res["x"] = unravel(implicit_solution(f_flat, z, tuple(args)))
    return res


def custom_root(optimality_fn: Callable[..., Any], solve: str = "auto") -> Callable:
    """Decorator: ``solver(init, *params)`` returning a root of ``optimality_fn(x, *params)``
    becomes differentiable in ``params`` by implicit differentiation (jaxopt's
    ``custom_root``). The solver is called on plain NumPy values (nothing is traced through its
    iterations); its result is then tied to ``params`` with ``implicit_solution``."""
    def decorator(solver):
        @functools.wraps(solver)
        def wrapped(init, *params):
            x = solver(plain(init), *plain(params))
            return implicit_solution(optimality_fn, plain(x), params, solve=solve)
        return wrapped
    return decorator


@untraceable("fixed_point", "its solver is NumPy code that iterates on the values")
def fixed_point(f: Callable[..., Any], x0: Any, *params: Any, tol: float = 1e-10,
                maxiter: int = 500, method: str = "anderson", memory: int = 6) -> Any:
    """A fixed point ``x = f(x, *params)``, differentiable in ``params`` (implicitly).

    ``method``: ``"anderson"`` (Anderson acceleration with ``memory`` past iterates),
    ``"del2"`` (Steffensen's, SciPy's default) or ``"iteration"``. Stops when
    ``max|f(x) - x| <= tol * max(1, max|x|)``; raises ``RuntimeError`` after ``maxiter``
    iterations without that. ``x0`` may be a pytree; the result has its structure."""
    if method not in ("anderson", "del2", "iteration"):
        raise ValueError(f"fixed_point: method={method!r}; use 'anderson', 'del2' or "
                         f"'iteration'")
    z, unravel = flat_start(x0, "fixed_point")
    pparams = tuple(plain(params))

    def g(v):
        out = values(_flat_out(f(unravel(as_tensor(v)), *pparams)), "fixed_point")
        if out.size != v.size:
            raise ValueError(f"fixed_point: f returned {out.size} values for x of {v.size}; "
                             f"it must return a pytree shaped like x")
        return out

    def done(v, gv):
        return np.max(np.abs(gv - v)) <= tol * max(1.0, np.max(np.abs(v)))

    step = {"anderson": _anderson, "del2": _del2, "iteration": _iterate}[method]
    z = step(g, z, done, maxiter, memory)
    if z is None or not np.all(np.isfinite(z)):
        raise RuntimeError(f"fixed_point ({method}): no fixed point within tol={tol:g} after "
                           f"{maxiter} iterations; raise maxiter, try another method, or check "
                           f"that f is a contraction near x0")
    sol = unravel(z)
    return implicit_solution(lambda x, *p: tree_sub(x, f(x, *p)), sol, params)


def _iterate(g, z, done, maxiter, memory):
    for _ in range(maxiter):
        gz = g(z)
        if done(z, gz):
            return gz
        z = gz
    return None


def _del2(g, z, done, maxiter, memory):
    for _ in range(maxiter):
        z1 = g(z)
        if done(z, z1):
            return z1
        z2 = g(z1)
        if done(z1, z2):
            return z2
        d = z2 - 2.0 * z1 + z
        # Aitken's extrapolation where the second difference is above rounding, else z2
        small = np.abs(d) <= 1e-9 * (np.abs(z) + np.abs(z1) + np.abs(z2))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            acc = z - (z1 - z) ** 2 / d
        z = np.where(small | ~np.isfinite(acc), z2, acc)
    return None


def _anderson(g, z, done, maxiter, memory):
    """Anderson acceleration (type II, Walker & Ni): the next iterate combines the last
    ``memory`` images so as to minimise the combined residual, by least squares."""
    dG, dR = [], []
    gz = g(z)
    r = gz - z
    for _ in range(maxiter):
        if done(z, gz):
            return gz
        if dR:
            R = np.stack(dR, 1)
            gamma = np.linalg.lstsq(R, r, rcond=None)[0]
            z_new = gz - np.stack(dG, 1) @ gamma
        else:
            z_new = gz
        g_new = g(z_new)
        r_new = g_new - z_new
        if not np.all(np.isfinite(r_new)):
            return None
        dG.append(g_new - gz)
        dR.append(r_new - r)
        if len(dR) > memory:
            dG.pop(0)
            dR.pop(0)
        z, gz, r = z_new, g_new, r_new
    return None
