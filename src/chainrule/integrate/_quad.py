"""``quad``: adaptive Gauss-Kronrod quadrature whose value is differentiable with respect to
its limits and its ``args``, in both modes and to any order (docs/integrate.md).

The derivative is not the adaptive loop differentiated. The value is one ``custom_jvp``
function of (a, b, theta), theta the floating-point leaves of ``args`` in one vector, whose
rule is Leibniz's:

    d ∫_a^b f(x, θ) dx = f(b, θ) db - f(a, θ) da + (∫_a^b ∂f/∂θ (x, θ) dx) · dθ

The last integral is the same function again, with the integrand's Jacobian in θ (computed
by ``func.jacfwd`` at the nodes) as a vector-valued integrand: its own rule gives the second
derivatives, and so on to any order. The tangent is linear in (da, db, dθ) through products
alone, so reverse mode (which transposes the rule) needs no further quadrature.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import numpy as cnp
from ..autograd.dispatch import tangents_of
from ..autograd.grad_mode import enable_grad
from ..autograd.tracing import untraceable
from ..custom import custom_jvp
from ..func import jacfwd
from ..primitives._core import data_of, is_tensor
from ._adaptive import IntegrationError, Options, integrate
from ._args import Params, traced

__all__ = ["IntegrationError", "quad"]


class _Integrand:
    """The user's ``func(x, *args)`` as a function of (nodes (n,), θ) with values (n,).

    Vectorisation rule: the first call with several nodes passes them as one array; if that
    raises or does not return shape (n,), ``func`` is called once per node from then on (for
    this ``quad`` call and its derivatives)."""

    out_ndim = 0
    order = 0

    def __init__(self, func: Callable, args: tuple):
        self.func = func
        self.params = Params("quad", args)
        self.P = self.params.P
        self.vector: bool | None = None
        self.cache: dict = {}
        self._jac = None

    def theta(self):
        return self.params.theta()

    def args(self, th) -> tuple:
        return self.params.args(th)

    def __call__(self, xs, th):
        args = self.args(th)
        n = xs.shape[0]
        if self.vector is not False and (n > 1 or self.vector):
            if self.vector:
                return self._check(self.func(xs, *args), n)
            try:
                r = self.func(xs, *args)
                ok = tuple(np.shape(data_of(r))) == (n,)
            except Exception:  # not vectorised (math.exp, `if x > 0`, ...): loop instead
                ok = False
            if ok:
                self.vector = True
                return self._check(r, n)
            self.vector = False
        rows = [self.func(xs[i] if is_tensor(xs) else float(xs[i]), *args) for i in range(n)]
        for r in rows:
            if np.ndim(data_of(r)) != 0:
                raise ValueError(f"quad: the integrand must return a scalar for a scalar x, "
                                 f"got shape {np.shape(data_of(r))}; integrate each component "
                                 f"separately")
        if not any(is_tensor(r) for r in rows):
            return np.array(rows, dtype=np.float64)
        return cnp.stack([cnp.asarray(r) for r in rows])

    def _check(self, r, n):
        d = data_of(r)
        if np.iscomplexobj(d):
            raise TypeError("quad: the integrand returned complex values; integrate the real "
                            "and imaginary parts separately")
        return r if is_tensor(r) else np.asarray(r, dtype=np.float64)

    def jacobian(self) -> _Jacobian:
        if self._jac is None:
            self._jac = _Jacobian(self)
        return self._jac


class _Jacobian:
    """∂g/∂θ at the nodes, g a previous integrand: values (n, *S, P)."""

    def __init__(self, parent):
        self.parent = parent
        self.P = parent.P
        self.out_ndim = parent.out_ndim + 1
        self.order = parent.order + 1
        self.cache: dict = {}
        self._jac = None

    def __call__(self, xs, th):
        return jacfwd(lambda t: self.parent(xs, t))(th)

    jacobian = _Integrand.jacobian


def _integral_value(g, opts: Options, a, b, th):
    """The value alone, on plain numbers (the custom function's primal)."""
    a, b = float(data_of(a)), float(data_of(b))
    th = np.asarray(data_of(th), dtype=np.float64)
    key = (a, b, th.tobytes())
    hit = g.cache.get(key)
    if hit is None:
        def fn(xs):
            with enable_grad():  # so that a traced value read from a closure shows up
                y = g(xs, th)
            if traced(y):
                raise ValueError(
                    "quad: the integrand depends on a differentiated value that is not in "
                    "`args` (it reads a tensor from a closure); pass it through `args` so that "
                    "quad can differentiate the integral with respect to it")
            y = np.asarray(data_of(y), dtype=np.float64)
            if not np.all(np.isfinite(y)):
                bad = xs[np.nonzero(~np.isfinite(y.reshape(len(xs), -1)).any(axis=1))[0][0]]
                raise IntegrationError(f"quad: the {_what(g)} is not finite at x = {bad!r}; "
                                       f"an integrable singularity must sit at an endpoint or "
                                       f"at one of `points`")
            return y
        hit = integrate(fn, a, b, opts, _what(g))
        g.cache[key] = hit
    return np.array(hit.value)


def _what(g) -> str:
    if g.order == 0:
        return "integrand"
    return f"derivative of order {g.order} of the integrand with respect to args"


_integral = custom_jvp(_integral_value, nondiff_argnums=(0, 1))


@_integral.defjvp
def _integral_jvp(g, opts, primals, tangents):
    a, b, th = primals
    ta, tb, tth = tangents
    out = _integral(g, opts, a, b, th)
    terms = []
    for x, tx, sign in ((b, tb, 1.0), (a, ta, -1.0)):
        # An infinite limit contributes f(±inf) dx = 0 (docs/integrate.md).
        if _zero(tx) or not math.isfinite(float(data_of(x))):
            continue
        fx = g(cnp.reshape(x, (1,)) if is_tensor(x) else np.array([float(x)]), th)[0]
        t = cnp.reshape(tx, tuple(np.shape(data_of(tx))) + (1,) * g.out_ndim)
        terms.append(t * fx if sign > 0 else -(t * fx))
    if g.P and not _zero(tth):
        qj = _integral(g.jacobian(), opts, a, b, th)  # (*S, P)
        terms.append(cnp.tensordot(tth, qj, axes=([-1], [-1])))
    if not terms:
        lead = tuple(np.shape(data_of(ta)))
        return out, np.zeros(lead + tuple(np.shape(data_of(out))))
    tot = terms[0]
    for t in terms[1:]:
        tot = tot + t
    return out, tot


def _zero(t) -> bool:
    """A tangent that is a constant zero (an input that is not differentiated)."""
    if t is None:
        return True
    if is_tensor(t) and (t._edge is not None or tangents_of(t)):
        return False
    return not np.any(data_of(t))


def _limit(x, name: str):
    if is_tensor(x):
        if x._data.size != 1 or x._data.dtype.kind not in "fiu":
            raise ValueError(f"quad: the limit {name} must be a real scalar, got a tensor of "
                             f"shape {tuple(x.shape)} and dtype {x._data.dtype}")
        return x.reshape(()).double() if x._data.dtype != np.float64 else x.reshape(())
    arr = np.asarray(x)
    if arr.size != 1 or arr.dtype.kind not in "fiub":
        raise ValueError(f"quad: the limit {name} must be a real scalar, got {x!r}")
    v = float(arr.reshape(()))
    if math.isnan(v):
        raise ValueError(f"quad: the limit {name} is nan")
    return v


@untraceable("quad", "its adaptive rule is NumPy code that chooses intervals from the values")
def quad(func: Callable[..., Any], a, b, args: Any = (), full_output: int = 0,
         epsabs: float = 1.49e-8, epsrel: float = 1.49e-8, limit: int = 50,
         points: Sequence[float] | None = None):
    """∫_a^b func(x, *args) dx by adaptive Gauss-Kronrod (G10/K21) quadrature.

    Returns ``(value, abserr)``, or ``(value, abserr, info)`` with ``full_output``, as
    ``scipy.integrate.quad``. ``a`` and ``b`` may be infinite. ``func`` is first called with
    an array of nodes; if that fails or does not return one value per node, it is called once
    per node. The value is differentiable (``grad``, ``jvp``, ``hessian``, ... and the Tensor
    face) with respect to ``a``, ``b`` and the floating-point leaves of ``args``, to any
    order, by Leibniz's rule with each derivative integral computed by ``quad`` to the same
    tolerance; ``abserr`` is not differentiable. Raises ``IntegrationError`` when the
    requested accuracy is not reached (docs/integrate.md)."""
    if not callable(func):
        raise TypeError(f"quad: func must be callable, got {type(func).__name__}")
    if not isinstance(args, tuple):
        args = (args,)
    if limit < 1:
        raise ValueError(f"quad: limit must be at least 1, got {limit}")
    if epsabs <= 0 and epsrel < 50 * np.finfo(float).eps:
        raise ValueError(f"quad: with epsabs={epsabs}, epsrel must be at least "
                         f"{50 * np.finfo(float).eps:.3g}, got {epsrel}")
    a, b = _limit(a, "a"), _limit(b, "b")
    pts = () if points is None else tuple(float(p) for p in np.ravel(points))
    opts = Options(float(epsabs), float(epsrel), int(limit), pts)
    g = _Integrand(func, args)
    th = g.theta()
    value = _integral(g, opts, a, b, th)
    hit = g.cache[(float(data_of(a)), float(data_of(b)),
                   np.asarray(data_of(th), dtype=np.float64).tobytes())]
    if not is_tensor(value):
        value = float(value)
    if full_output:
        return value, hit.abserr, dict(hit.info)
    return value, hit.abserr
