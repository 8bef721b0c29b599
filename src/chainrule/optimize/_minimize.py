"""``minimize``: SciPy's minimisers with exact derivatives by automatic differentiation, and a
solution differentiable in the extra arguments (docs/optimize.md, "minimize")."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .._pytree import ravel_pytree
from ..autograd.dispatch import is_tensor
from ..autograd.tracing import untraceable
from ..functional import grad, hessian, hvp, jacobian, value_and_grad
from ._implicit import ImplicitDiffError, implicit_solution
from ._min_common import (
    as_tensor,
    flat_start,
    is_traced,
    numbers,
    plain,
    scipy_optimize,
    values,
)
from ._result import OptimizeResult

__all__ = ["minimize"]

# Which derivatives each SciPy method uses (the rest: none).
USES_JAC = {"bfgs", "l-bfgs-b", "cg", "newton-cg", "trust-ncg", "trust-krylov", "trust-exact",
            "trust-constr", "slsqp", "tnc", "dogleg"}
USES_HESSP = {"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"}
USES_HESS = {"trust-exact", "dogleg"}
# Up to this size hessp multiplies by the Hessian at x, built once per x by one batched
# forward-over-reverse pass (as cheap as a single hvp's overhead at this size); above, each
# product is one hvp.
HESSP_DENSE_MAX = 300
NO_DERIVATIVES = {"nelder-mead", "powell", "cobyla", "cobyqa"}
BOUNDED = {"l-bfgs-b", "tnc", "slsqp", "trust-constr", "nelder-mead", "powell", "cobyla",
           "cobyqa"}


def _scalar(out, op):
    d = out._data if is_tensor(out) else np.asarray(out)
    if d.size != 1:
        raise ValueError(f"{op}: the objective must return a scalar, got shape {d.shape}")
    return out.reshape(()) if d.ndim else out


class _Objective:
    """The objective on flat vectors; value and gradient share one evaluation (the last x is
    cached, as SciPy calls fun and jac at the same point one after the other)."""

    def __init__(self, fun, unravel, args):
        self.fun, self.unravel, self.args = fun, unravel, args
        self._z = None
        self._vg = None
        self._hz = self._h = None

    def flat(self, z, *args):
        return _scalar(self.fun(self.unravel(z), *args), "minimize")

    def value(self, z):
        return float(values(self.flat(as_tensor(z), *self.args), "minimize"))

    def value_and_grad(self, z):
        if self._z is None or not np.array_equal(z, self._z):
            v, g = value_and_grad(self.flat)(np.array(z, dtype=float), *self.args)
            self._z, self._vg = np.array(z, copy=True), (float(numbers(v)), numbers(g))
        return self._vg

    def f(self, z):
        return self.value_and_grad(z)[0]

    def jac(self, z):
        return self.value_and_grad(z)[1]

    def hess(self, z):
        if self._hz is None or not np.array_equal(z, self._hz):
            h = numbers(hessian(self.flat)(np.array(z, dtype=float), *self.args))
            self._hz, self._h = np.array(z, copy=True), h.reshape(z.size, z.size)
        return self._h

    def hessp(self, z, p):
        if np.size(z) <= HESSP_DENSE_MAX:  # one batched pass, reused by every product at z
            return self.hess(z) @ np.asarray(p, dtype=float)
        args = self.args
        return numbers(hvp(lambda zz: self.flat(zz, *args), (np.array(z, dtype=float),),
                           (np.asarray(p, dtype=float),))[1])


def _flat_vector(out):
    flat, _ = ravel_pytree(out)
    return np.atleast_1d(np.asarray(flat, dtype=float))


def _constraint_fns(cfun, unravel, cargs):
    """(value, AD Jacobian, AD Hessian of v . c) of a constraint on flat vectors."""
    def flat(z, *a):
        out, _ = ravel_pytree(cfun(unravel(z), *a))
        return out.reshape((-1,)) if is_tensor(out) else np.atleast_1d(np.asarray(out))

    def value(z):
        return values(flat(as_tensor(z), *cargs), "minimize (a constraint)")

    def jac(z):
        j = numbers(jacobian(flat, mode="auto")(np.asarray(z, dtype=float), *cargs))
        return j.reshape(-1, np.size(z))

    def hess(z, v):
        v = np.asarray(v, dtype=float)
        return numbers(hessian(lambda zz: (flat(zz, *cargs) * v).sum())(
            np.asarray(z, dtype=float)))

    return value, jac, hess


def _user_hess(h, unravel):
    return lambda z, v: np.asarray(h(unravel(z), v))


def _user_fn(f, unravel, args):
    """A user's derivative written on x's pytree, on flat vectors."""
    return lambda z, *rest: _flat_vector(f(unravel(z), *rest, *args))


def _constraints(constraints, unravel, method, so):
    if isinstance(constraints, (dict, so.NonlinearConstraint, so.LinearConstraint)):
        constraints = [constraints]
    out = []
    for c in constraints:
        if isinstance(c, dict):
            if "type" not in c or "fun" not in c:
                raise ValueError(f"minimize: a dict constraint needs 'type' ('eq' or 'ineq') "
                                 f"and 'fun'; got keys {sorted(c)}")
            if c["type"] not in ("eq", "ineq"):
                raise ValueError(f"minimize: constraint type {c['type']!r}; use 'eq' or 'ineq'")
            cargs = tuple(plain(tuple(c.get("args", ()))))
            value, jac, hess = _constraint_fns(c["fun"], unravel, cargs)
            if callable(c.get("jac")):
                jac = _user_fn(c["jac"], unravel, cargs)
            if method == "trust-constr":  # exact constraint Hessians (SciPy would use BFGS)
                ub = 0.0 if c["type"] == "eq" else np.inf
                out.append(so.NonlinearConstraint(value, 0.0, ub, jac=jac, hess=hess))
            else:
                out.append({"type": c["type"], "fun": value, "jac": jac})
        elif isinstance(c, so.NonlinearConstraint):
            value, jac, hess = _constraint_fns(c.fun, unravel, ())
            if callable(c.jac):
                jac = _user_fn(c.jac, unravel, ())
            h = c.hess
            if callable(h):
                h = _user_hess(h, unravel)
            elif h is None or isinstance(h, (str, so.HessianUpdateStrategy)):
                h = hess  # the exact Hessian replaces SciPy's default BFGS approximation
            out.append(so.NonlinearConstraint(value, c.lb, c.ub, jac=jac, hess=h,
                                              keep_feasible=c.keep_feasible))
        elif isinstance(c, so.LinearConstraint):
            out.append(c)  # acts on the flat vector (ravel_pytree's order)
        else:
            raise TypeError(f"minimize: a constraint must be a dict, NonlinearConstraint or "
                            f"LinearConstraint, got {type(c).__name__}")
    return out


def _flat_bound(b, z0, unravel, name):
    if b is None:
        return np.full(z0.size, -np.inf if name == "lb" else np.inf)
    if not isinstance(b, (dict, list, tuple)) and np.size(b) == 1:
        return np.full(z0.size, float(np.asarray(b).ravel()[0]))
    flat = _flat_vector(b)
    if flat.size != z0.size:
        raise ValueError(f"minimize: bounds' {name} has {flat.size} values for x0's {z0.size}; "
                         f"give a scalar or a flat array (ravel_pytree's order)")
    return flat


def _bounds(bounds, z0, unravel, so):
    if bounds is None:
        return None
    if isinstance(bounds, so.Bounds):
        return so.Bounds(_flat_bound(bounds.lb, z0, unravel, "lb"),
                         _flat_bound(bounds.ub, z0, unravel, "ub"),
                         keep_feasible=bounds.keep_feasible)
    pairs = list(bounds)
    if len(pairs) != z0.size:
        raise ValueError(f"minimize: {len(pairs)} (min, max) bound pairs for x0's {z0.size} "
                         f"values (ravel_pytree's order); give one pair per value or a "
                         f"scipy.optimize.Bounds")
    return pairs


def _bound_arrays(bounds, n):
    if bounds is None:
        return np.full(n, -np.inf), np.full(n, np.inf)
    if hasattr(bounds, "lb"):
        return np.broadcast_to(bounds.lb, (n,)), np.broadcast_to(bounds.ub, (n,))
    lb = np.array([-np.inf if p[0] is None else p[0] for p in bounds], dtype=float)
    ub = np.array([np.inf if p[1] is None else p[1] for p in bounds], dtype=float)
    return lb, ub


def _callback(callback, unravel):
    if callback is None:
        return None
    try:
        names = list(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        names = []
    if names == ["intermediate_result"]:
        def cb(intermediate_result):
            r = OptimizeResult(intermediate_result)
            r["x"] = unravel(np.asarray(r["x"]))
            return callback(intermediate_result=r)
        return cb
    return lambda xk, *rest: callback(unravel(np.asarray(xk)), *rest)


@untraceable("minimize", "its solver is NumPy code that iterates on the values")
def minimize(fun: Callable[..., Any], x0: Any, args: tuple = (), method: str | None = None,
             jac: Any = None, hess: Any = None, hessp: Any = None, bounds: Any = None,
             constraints: Any = (), tol: float | None = None,
             callback: Callable[..., Any] | None = None,
             options: dict | None = None) -> OptimizeResult:
    """``scipy.optimize.minimize`` with the exact gradient, Hessian-vector product and Hessian
    by automatic differentiation, supplied where the method uses them.

    ``fun(x, *args)`` returns a scalar and is written with ``chainrule.numpy`` or the Tensor
    face; ``x0`` may be a pytree (dicts, lists, tuples of arrays), and ``res.x`` has its
    structure. ``jac``/``hess``/``hessp`` left as None are computed by AD; a callable (on x's
    pytree) or one of SciPy's strings is used as given. Constraint Jacobians (dict constraints
    and ``NonlinearConstraint``) are computed by AD, with exact constraint Hessians for
    ``trust-constr``. When ``args`` hold traced values (tensors requiring grad, or inputs of
    a chainrule transform), ``res.x`` is differentiable in them by implicit differentiation of
    the stationarity condition (bounds: active components are held at their bound; general
    constraints are not supported there).
    """
    so = scipy_optimize("minimize")
    z0, unravel = flat_start(x0, "minimize")
    traced = is_traced(args)
    pargs = tuple(plain(tuple(args)))
    if method is None:
        method = "SLSQP" if constraints else ("L-BFGS-B" if bounds is not None else "BFGS")
    m = method.lower() if isinstance(method, str) else None
    obj = _Objective(fun, unravel, pargs)
    if jac is not True:
        obj.value(z0)  # one plain evaluation: fun must read nothing traced outside args

    def uses(kind):
        return m is None or m in kind  # (a callable method gets every derivative)

    f = obj.value
    if uses(USES_JAC):
        f = obj.f
        if jac is None:
            jac = obj.jac
        elif jac is True:
            user = fun

            def f(z):  # fun returns (value, gradient) itself
                v, g = user(unravel(z), *pargs)
                return float(np.asarray(v)), _flat_vector(g)
        elif callable(jac):
            jac = _user_fn(jac, unravel, pargs)
    elif callable(jac):
        jac = _user_fn(jac, unravel, pargs)  # (SciPy warns that the method does not use it)
    # A user's hess/hessp is used as given (SciPy warns where the method ignores it); the AD
    # ones are supplied only where the method uses them.
    if callable(hess):
        user_h = hess
        hess = lambda z, *a: np.asarray(user_h(unravel(z), *pargs))  # noqa: E731
    elif hess is None and uses(USES_HESS):
        hess = obj.hess
    if callable(hessp):
        user_hp = hessp
        hessp = lambda z, p, *a: _flat_vector(user_hp(unravel(z), unravel(p), *pargs))  # noqa: E731
    elif hessp is None and hess is None and uses(USES_HESSP):
        hessp = obj.hessp

    flat_bounds = _bounds(bounds, z0, unravel, so)
    cons = _constraints(constraints, unravel, m, so) if constraints else ()
    kw = {}
    if cons:
        kw["constraints"] = cons
    res = so.minimize(f, z0, args=(), method=method, jac=jac, hess=hess, hessp=hessp,
                      bounds=flat_bounds, tol=tol, callback=_callback(callback, unravel),
                      options=options, **kw)
    res = OptimizeResult(res)
    z = np.asarray(res.x, dtype=float)
    res["x"] = unravel(z)
    if m != "trust-constr" and isinstance(res.get("jac"), np.ndarray) and \
            res["jac"].shape == z.shape:
        res["jac"] = unravel(np.asarray(res["jac"], dtype=float).ravel())
    if traced:
        res["x"] = _differentiable_x(fun, z, unravel, args, res, flat_bounds, cons)
    return res


def _differentiable_x(fun, z, unravel, args, res, flat_bounds, cons):
    """res.x as a function of the traced ``args`` (argmin differentiation)."""
    if cons:
        raise ValueError("minimize: args are traced and the problem has constraints: "
                         "differentiating a constrained minimiser needs its KKT system "
                         "(multipliers), which is not supported; pass args untraced, or "
                         "write the constraint into fun (a penalty or a change of variables)")
    if not res.success:
        raise ImplicitDiffError(f"minimize: args are traced but the solver did not converge "
                                f"({res.message}); the solution's derivative assumes a "
                                f"converged minimum. Raise maxiter or loosen tol")
    lb, ub = _bound_arrays(flat_bounds, z.size)
    scale = 1e-8 * (1.0 + np.abs(z))
    active = (np.abs(z - lb) <= scale) | (np.abs(z - ub) <= scale)
    free = (~active).astype(float)
    hold = active.astype(float)

    def stationarity(zz, *a):
        g, _ = ravel_pytree(grad(lambda v: _scalar(fun(unravel(v), *a), "minimize"))(zz))
        if not active.any():
            return g
        return g * free + (zz - z) * hold  # an active bound holds its component fixed

    z_t = implicit_solution(stationarity, z, tuple(args))
    return unravel(z_t)

