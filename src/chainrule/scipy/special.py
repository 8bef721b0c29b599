"""``chainrule.scipy.special``: SciPy's special functions, differentiable.

Same names, signatures and values as ``scipy.special`` (the kernels are SciPy's); NumPy arrays in
give NumPy arrays out, any chainrule Tensor in gives a Tensor out. The derivative rules live in
the primitive table (``chainrule.primitives.special``); this module adds the functions composed
from primitives (logsumexp, softmax, log_softmax, multigammaln) with SciPy's signatures.
"""

from __future__ import annotations

import numpy as np

from ..primitives._core import tensor_types
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
]


def _data(x):
    return x._data if type(x) in tensor_types else np.asarray(x)


def _shift(d, axis):
    """The maximum over ``axis`` (kept dims), 0 where it is not finite: a constant shift that
    prevents overflow and whose derivative cancels exactly."""
    if d.size == 0:
        return np.zeros((1,) * d.ndim, d.dtype if d.dtype.kind == "f" else np.float64)
    m = np.max(d, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0).astype(np.result_type(d.dtype, np.float64)
                                                 if d.dtype.kind not in "fc" else d.dtype)


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
    d = _data(a)
    if b is not None:
        bd = _data(b)
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
    m = _shift(d, ax)
    e = exp(a - m)
    if b is not None:
        e = e * b
    s = sum(e, ax, True)
    if return_sign:
        sgn = np.sign(_data(s))
        r = log(abs(s)) + m
        if not keepdims:
            r, sgn = _drop(r, ax), np.reshape(sgn, _dropped(sgn.shape, ax))
        return r, sgn
    with np.errstate(invalid="ignore"):  # a negative sum gives nan, silently (SciPy)
        r = log(s) + m
    return r if keepdims else _drop(r, ax)


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` over ``axis`` (SciPy's default None: over all entries)."""
    d = _data(x)
    ax = normalize_axis(axis, d.ndim, "softmax")
    e = exp(x - _shift(d, ax))
    return e / sum(e, ax, True)


def log_softmax(x, axis=None):
    """``x - logsumexp(x)`` over ``axis`` (SciPy's default None: over all entries)."""
    d = _data(x)
    ax = normalize_axis(axis, d.ndim, "log_softmax")
    shifted = x - _shift(d, ax)  # as SciPy: (x - max) - log(sum(exp(x - max)))
    return shifted - log(sum(exp(shifted), ax, True))


def softplus(x):
    """``log(1 + exp(x))`` without overflow (``scipy.special.softplus``)."""
    return logaddexp(0.0, x)


def multigammaln(a, d: int):
    """The log of the multivariate gamma function of dimension ``d``:
    ``d (d-1)/4 log(pi) + sum_{j=0}^{d-1} gammaln(a - j/2)``; differentiable in ``a``."""
    if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 1:
        raise ValueError(f"multigammaln: d must be a positive integer, got {d!r}")
    ad = _data(a)
    if np.any(ad <= 0.5 * (d - 1)):
        raise ValueError(
            f"multigammaln: every a must be > (d - 1) / 2 = {0.5 * (d - 1)} (got min(a) = "
            f"{np.min(ad)}); the multivariate gamma function is not defined there")
    r = gammaln(a)
    for j in range(1, d):
        r = r + gammaln(a - 0.5 * j)
    return r + 0.25 * d * (d - 1) * np.log(np.pi)
