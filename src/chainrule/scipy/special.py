"""``chainrule.scipy.special``: SciPy's special functions, differentiable.

Same names, signatures and values as ``scipy.special`` (the kernels are SciPy's); NumPy arrays in
give NumPy arrays out, any chainrule Tensor in gives a Tensor out. The derivative rules live in
the primitive table (``chainrule.primitives.special``); this module adds the functions composed
from primitives (logsumexp, softmax, log_softmax, multigammaln, the Bessel functions of integer
order j0, j1, jn, y0, y1, yn, rgamma and gammasgn) with SciPy's signatures.
"""

from __future__ import annotations

import numpy as np

from ..composite import finite_max
from ..primitives._conj import astype
from ..primitives._core import array_of, tensor_types, values_of
from ..primitives.elementwise import abs, erf, exp, log, where
from ..primitives.math import logaddexp
from ..primitives.reduction import normalize_axis, sum
from ..primitives.shape import reshape
from ..primitives.special import (
    beta,
    betainc,
    betaincc,
    betaln,
    digamma,
    entr,
    erfc,
    erfcinv,
    erfcx,
    erfinv,
    expit,
    gamma,
    gammainc,
    gammaincc,
    gammaln,
    i0,
    i0e,
    i1,
    i1e,
    iv,
    ive,
    jv,
    kl_div,
    kv,
    kve,
    log_expit,
    log_ndtr,
    loggamma,
    logit,
    ndtr,
    ndtri,
    polygamma,
    psi,
    rel_entr,
    stdtr,
    xlog1py,
    xlogy,
    yv,
    zeta,
)

__all__ = [
    "beta", "betainc", "betaincc", "betaln", "digamma", "entr", "erf", "erfc", "erfcinv",
    "erfcx", "erfinv", "expit", "gamma", "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1",
    "i1e", "iv", "ive", "jv", "kl_div", "kv", "kve", "log_expit", "log_ndtr", "log_softmax",
    "loggamma", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma", "psi",
    "rel_entr", "softmax", "stdtr", "xlog1py", "xlogy", "yv", "zeta", "softplus",
    "j0", "j1", "jn", "y0", "y1", "yn", "rgamma", "gammasgn",
]


def _shift(x, axis):
    """The maximum over ``axis`` (kept dims), 0 where it is not finite: a constant shift that
    prevents overflow and whose derivative cancels exactly (integers shift as float64)."""
    if array_of(x).dtype.kind not in "fc":
        x = astype(x, np.float64)
    return finite_max(x, array_of(x), axis)


def _dropped(shape, axis):
    """``shape`` without the kept reduced axes (keepdims=False)."""
    if axis is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axis)


def _drop(r, axis):
    return reshape(r, _dropped(r.shape, axis))


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False):
    """``log(sum(b * exp(a)))`` over ``axis`` without overflow (SciPy's signature).

    ``b`` scales the terms (it may be negative; then ``return_sign=True`` returns
    ``(log|s|, sign(s))``, the sign a constant). Differentiable in ``a`` and ``b``.
    """
    d = array_of(a)
    if b is not None:
        bd = array_of(b)
        shape = np.broadcast_shapes(d.shape, bd.shape)
        if d.shape != shape:
            from ..primitives.shape import broadcast_to

            a, d = broadcast_to(a, shape), np.broadcast_to(d, shape)
        # Terms with b == 0 are dropped, whatever a holds there (SciPy).
        zero_b = np.broadcast_to(bd == 0, shape)
        if zero_b.any():
            a = where(zero_b, -np.inf, a)
            d = np.where(zero_b, -np.inf, d)
    ax = normalize_axis(axis, d.ndim, "logsumexp")
    m = _shift(a, ax)
    e = exp(a - m)
    if b is not None:
        e = e * b
    s = sum(e, ax, True)
    if return_sign:
        sgn = np.sign(array_of(s))
        r = log(abs(s)) + m
        if not keepdims:
            r, sgn = _drop(r, ax), np.reshape(sgn, _dropped(sgn.shape, ax))
        return r, sgn
    with np.errstate(invalid="ignore"):  # a negative sum gives nan, silently (SciPy)
        r = log(s) + m
    return r if keepdims else _drop(r, ax)


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` over ``axis`` (SciPy's default None: over all entries)."""
    d = array_of(x)
    ax = normalize_axis(axis, d.ndim, "softmax")
    e = exp(x - _shift(x, ax))
    return e / sum(e, ax, True)


def log_softmax(x, axis=None):
    """``x - logsumexp(x)`` over ``axis`` (SciPy's default None: over all entries)."""
    d = array_of(x)
    ax = normalize_axis(axis, d.ndim, "log_softmax")
    shifted = x - _shift(x, ax)  # as SciPy: (x - max) - log(sum(exp(x - max)))
    return shifted - log(sum(exp(shifted), ax, True))


def softplus(x):
    """``log(1 + exp(x))`` without overflow (``scipy.special.softplus``)."""
    return logaddexp(0.0, x)


def multigammaln(a, d: int):
    """The log of the multivariate gamma function of dimension ``d``:
    ``d (d-1)/4 log(pi) + sum_{j=0}^{d-1} gammaln(a - j/2)``; differentiable in ``a``."""
    if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 1:
        raise ValueError(f"multigammaln: d must be a positive integer, got {d!r}")
    ad = array_of(a)
    if np.any(ad <= 0.5 * (d - 1)):
        raise ValueError(
            f"multigammaln: every a must be > (d - 1) / 2 = {0.5 * (d - 1)} (got min(a) = "
            f"{np.min(ad)}); the multivariate gamma function is not defined there")
    r = gammaln(a)
    for j in range(1, d):
        r = r + gammaln(a - 0.5 * j)
    return r + 0.25 * d * (d - 1) * np.log(np.pi)


# --- Bessel functions of integer order, reciprocal gamma, sign of gamma -------------------------
# Raw arrays go to SciPy's own kernels (its values exactly); tensors are composed from jv, yv and
# gammaln, so their derivatives are those primitives' rules: J0' = -J1, J1' = (J0 - J2) / 2 (the
# recurrence, finite at 0, equal to J0 - J1 / x elsewhere), Y likewise. Tensor values agree with
# SciPy's to rounding (SciPy's integer-order kernels are other algorithms for the same function).
def _is_t(*xs) -> bool:
    return any(type(x) in tensor_types for x in xs)


def _sc():
    import scipy.special

    return scipy.special


def _integer_order(n, fn):
    """The integer order ``n`` of jn / yn as a constant (SciPy truncates a float)."""
    if type(n) in tensor_types:
        if n._edge is not None or getattr(n, "_fw", None):
            raise TypeError(f"{fn}: the order n is an integer and has no derivative; pass it "
                            f"as a number, an integer array or a constant tensor (for a "
                            f"derivative in a real order use jv / yv)")
    return np.trunc(values_of(n, fn))  # a parameter of the kernel, read in Python


def j0(x):
    """Bessel function of the first kind of order 0; its derivative is -j1(x)."""
    return jv(0.0, x) if _is_t(x) else _sc().j0(x)


def j1(x):
    """Bessel function of the first kind of order 1; its derivative is (j0(x) - jv(2, x)) / 2."""
    return jv(1.0, x) if _is_t(x) else _sc().j1(x)


jn = jv  # SciPy's jn is jv itself


def y0(x):
    """Bessel function of the second kind of order 0 (x > 0); its derivative is -y1(x)."""
    return yv(0.0, x) if _is_t(x) else _sc().y0(x)


def y1(x):
    """Bessel function of the second kind of order 1 (x > 0)."""
    return yv(1.0, x) if _is_t(x) else _sc().y1(x)


def yn(n, x):
    """Bessel function of the second kind of integer order ``n`` (a float is truncated, as in
    SciPy); differentiable in x, not in the order (use yv for a real order)."""
    if not _is_t(n, x):
        return _sc().yn(n, x)
    return yv(_integer_order(n, "yn"), x)


def gammasgn(x):
    """The sign of the gamma function (nan at its poles x = 0, -1, ...); its derivative is 0
    (a tensor in gives a tensor out whose gradient is 0, as for ``sign``)."""
    if not _is_t(x):
        return _sc().gammasgn(x)
    d = array_of(x)
    return where(np.ones(d.shape, dtype=bool), _sc().gammasgn(d), x)


def rgamma(x):
    """1 / Gamma(x), an entire function: 0 at the poles of Gamma (x = 0, -1, -2, ...), where
    its derivatives come from the Taylor series (-1)^n n! (e - psi(n + 1) e^2 + ((psi^2 +
    psi_1) / 2 - pi^2 / 6) e^3) in e = x + n (exact to the third order there); elsewhere
    1 / gamma(x) (derivative -digamma(x) / gamma(x)), and sign * exp(-gammaln(x)) where gamma
    overflows (|x| > 170)."""
    if not _is_t(x):
        return _sc().rgamma(x)
    d = array_of(x)
    if d.dtype.kind == "c":
        return 1.0 / gamma(x)
    sc = _sc()
    pole = (d <= 0) & (d == np.floor(d))
    big = np.abs(d) > 170
    inner = where(pole | big, 2.0, x)
    r = 1.0 / gamma(inner)
    if np.any(big):
        outer = where(big & ~pole, x, 2.5)
        with np.errstate(over="ignore"):  # beyond the largest float: inf, as SciPy
            r = where(big, exp(-gammaln(outer)) * np.where(pole, 1.0, sc.gammasgn(d)), r)
    if np.any(pole):
        n = np.where(pole, -d, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            fact = (-1.0) ** n * sc.gamma(n + 1)
            psi, psi1 = sc.psi(n + 1), sc.polygamma(1, n + 1)
            coeffs = [fact, -fact * psi, fact * ((psi * psi + psi1) / 2 - np.pi ** 2 / 6)]
        big_c = np.finfo(np.float64).max
        c1, c2, c3 = (np.nan_to_num(c, posinf=big_c, neginf=-big_c) for c in coeffs)
        e = x - np.where(pole, d, 0.0)
        r = where(pole, e * (c1 + e * (c2 + e * c3)), r)
    return r
