"""``chainrule.special``: ``torch.special`` in PyTorch's spelling (docs/pytorch.md, "linalg, fft,
special").

The functions apply the special-function primitives (``primitives/special.py``, SciPy's kernels,
loaded on first use: these functions need SciPy) and compose the rest from them, so every
derivative is written once. Where PyTorch has no derivative (the Bessel functions of the first
and second kind, the modified Bessel functions K, the Airy function, the orthogonal
polynomials) chainrule has one, from the primitives' rules. Inputs are tensors or numbers;
results are tensors.
"""

from __future__ import annotations

import numpy as _np

from . import composite as _c
from .ops._linalg import _tensor
from .primitives import elementwise as _e
from .primitives import math as _m
from .primitives import special as _sp
from .primitives._core import tensor_types as _tt
from .primitives._core import values_of as _values_of

__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma",
    "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc",
    "gammaln", "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e", "i1", "i1e",
    "laguerre_polynomial_l", "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax", "logit",
    "logsumexp", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
    "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
    "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "sinc", "softmax", "spherical_bessel_j0", "xlog1py", "xlogy",
    "zeta",
]


def _t(x):
    """A tensor (numbers and arrays as constants); integers and bools become float64."""
    x = _tensor(x)
    return x if x._data.dtype.kind in "fc" else _e.astype(x, _np.float64)


def _two(x, y):
    """Two operands, at least one a tensor (PyTorch accepts a number for either)."""
    if type(x) not in _tt and type(y) not in _tt:
        return _t(x), y
    return (_t(x) if type(x) in _tt else x), (_t(y) if type(y) in _tt else y)


def _out(r):
    return r if type(r) in _tt else _tensor(r)


# --- elementary and error functions -------------------------------------------------------------
def erf(input):  # noqa: A002 - PyTorch's name
    """``torch.special.erf``."""
    return _e.erf(_t(input))


def erfc(input):  # noqa: A002
    """``torch.special.erfc``."""
    return _sp.erfc(_t(input))


def erfcx(input):  # noqa: A002
    """``torch.special.erfcx``: exp(x^2) erfc(x)."""
    return _sp.erfcx(_t(input))


def erfinv(input):  # noqa: A002
    """``torch.special.erfinv``."""
    return _sp.erfinv(_t(input))


def exp2(input):  # noqa: A002
    """``torch.special.exp2``: 2^x."""
    return _m.exp2(_t(input))


def expm1(input):  # noqa: A002
    """``torch.special.expm1``."""
    return _e.expm1(_t(input))


def log1p(input):  # noqa: A002
    """``torch.special.log1p``."""
    return _e.log1p(_t(input))


def expit(input):  # noqa: A002
    """``torch.special.expit``: the logistic sigmoid."""
    return _e.sigmoid(_t(input))


def logit(input, eps=None):  # noqa: A002
    """``torch.special.logit``: log(p / (1 - p)), p clamped to [eps, 1 - eps] when ``eps`` is
    given (the clamp's derivative is 0 outside, as PyTorch's)."""
    p = _t(input)
    if eps is not None:
        p = _e.clip(p, eps, 1 - eps)
    return _sp.logit(p)


def sinc(input):  # noqa: A002
    """``torch.special.sinc``: sin(pi x) / (pi x), 1 at 0."""
    return _m.sinc(_t(input))


def round(input, *, decimals: int = 0):  # noqa: A001,A002
    """``torch.special.round``: to the nearest integer, halves to even (derivative 0)."""
    x = _t(input)
    if decimals == 0:
        return _e.round(x)
    scale = 10.0 ** decimals
    return _e.round(x * scale) / scale


def entr(input):  # noqa: A002
    """``torch.special.entr``: -x log x (0 at 0, -inf for x < 0)."""
    return _sp.entr(_t(input))


def xlogy(input, other):  # noqa: A002
    """``torch.special.xlogy``: x log y, 0 where x == 0."""
    return _out(_sp.xlogy(*_two(input, other)))


def xlog1py(input, other):  # noqa: A002
    """``torch.special.xlog1py``: x log1p(y), 0 where x == 0."""
    return _out(_sp.xlog1py(*_two(input, other)))


# --- gamma family -------------------------------------------------------------------------------
def gammaln(input):  # noqa: A002
    """``torch.special.gammaln``: log |Gamma(x)|."""
    return _sp.gammaln(_t(input))


def digamma(input):  # noqa: A002
    """``torch.special.digamma`` (``psi``)."""
    return _sp.digamma(_t(input))


psi = digamma


def polygamma(n: int, input):  # noqa: A002
    """``torch.special.polygamma``: the n-th derivative of digamma."""
    return _sp.polygamma(n, _t(input))


def multigammaln(input, p: int):  # noqa: A002
    """``torch.special.multigammaln``: log of the multivariate gamma function of dimension p."""
    from .scipy.special import multigammaln as kernel

    return kernel(_t(input), p)


def gammainc(input, other):  # noqa: A002
    """``torch.special.gammainc``: the regularised lower incomplete gamma P(a, x);
    differentiable in x and (unlike PyTorch) in a."""
    return _out(_sp.gammainc(*_two(input, other)))


def gammaincc(input, other):  # noqa: A002
    """``torch.special.gammaincc``: Q(a, x) = 1 - P(a, x); differentiable in x and a."""
    return _out(_sp.gammaincc(*_two(input, other)))


def zeta(input, other):  # noqa: A002
    """``torch.special.zeta``: the Hurwitz zeta function sum_k (k + q)^-x; differentiable in q
    (not in x: that raises, as in PyTorch)."""
    return _out(_sp.zeta(*_two(input, other)))


# --- normal distribution ------------------------------------------------------------------------
def ndtr(input):  # noqa: A002
    """``torch.special.ndtr``: the standard normal distribution function."""
    return _sp.ndtr(_t(input))


def ndtri(input):  # noqa: A002
    """``torch.special.ndtri``: its inverse."""
    return _sp.ndtri(_t(input))


def log_ndtr(input):  # noqa: A002
    """``torch.special.log_ndtr``."""
    return _sp.log_ndtr(_t(input))


# --- Bessel functions ---------------------------------------------------------------------------
def i0(input):  # noqa: A002
    """``torch.special.i0``."""
    return _sp.i0(_t(input))


def i0e(input):  # noqa: A002
    """``torch.special.i0e``: exp(-|x|) i0(x)."""
    return _sp.i0e(_t(input))


def i1(input):  # noqa: A002
    """``torch.special.i1``."""
    return _sp.i1(_t(input))


def i1e(input):  # noqa: A002
    """``torch.special.i1e``."""
    return _sp.i1e(_t(input))


modified_bessel_i0 = i0
modified_bessel_i1 = i1


# The integer orders are the real-order primitives (jv, yv, kv, kve), whose rules give the
# derivatives; the values are those of SciPy's integer-order kernels (Cephes, as PyTorch's), which
# differ from the real-order ones (AMOS) by rounding-level amounts for large x: the difference is
# added as a constant.
def _integer_order(kernel: str, x, composed):
    import scipy.special

    d = _np.asarray(composed._data)
    with _np.errstate(all="ignore"):
        off = getattr(scipy.special, kernel)(x._data) - d
    off = _np.where(_np.isfinite(off), off, 0.0)
    return composed + off.astype(d.dtype) if _np.any(off) else composed


def bessel_j0(input):  # noqa: A002
    """``torch.special.bessel_j0``: J_0(x); its derivative is -J_1(x)."""
    x = _t(input)
    return _integer_order("j0", x, _sp.jv(0.0, x))


def bessel_j1(input):  # noqa: A002
    """``torch.special.bessel_j1``."""
    x = _t(input)
    return _integer_order("j1", x, _sp.jv(1.0, x))


def bessel_y0(input):  # noqa: A002
    """``torch.special.bessel_y0``: Y_0(x) (x > 0; nan below 0, -inf at 0)."""
    x = _t(input)
    return _integer_order("y0", x, _sp.yv(0.0, x))


def bessel_y1(input):  # noqa: A002
    """``torch.special.bessel_y1``."""
    x = _t(input)
    return _integer_order("y1", x, _sp.yv(1.0, x))


def modified_bessel_k0(input):  # noqa: A002
    """``torch.special.modified_bessel_k0``: K_0(x) (x > 0)."""
    x = _t(input)
    return _integer_order("k0", x, _sp.kv(0.0, x))


def modified_bessel_k1(input):  # noqa: A002
    """``torch.special.modified_bessel_k1``."""
    x = _t(input)
    return _integer_order("k1", x, _sp.kv(1.0, x))


def scaled_modified_bessel_k0(input):  # noqa: A002
    """``torch.special.scaled_modified_bessel_k0``: exp(x) K_0(x)."""
    x = _t(input)
    return _integer_order("k0e", x, _sp.kve(0.0, x))


def scaled_modified_bessel_k1(input):  # noqa: A002
    """``torch.special.scaled_modified_bessel_k1``: exp(x) K_1(x)."""
    x = _t(input)
    return _integer_order("k1e", x, _sp.kve(1.0, x))


def spherical_bessel_j0(input):  # noqa: A002
    """``torch.special.spherical_bessel_j0``: sin(x) / x, 1 at 0."""
    return _m.sinc(_t(input) / _np.pi)


_AI0, _AIP0 = 0.355028053887817239, -0.258819403792806798  # Ai(0), Ai'(0)


def _airy_series(x):
    """Ai by its Maclaurin series Ai(0) f(x) + Ai'(0) g(x) (|x| < 1: 12 terms, past rounding)."""
    x3 = x * x * x
    f = g = None
    a, b = 1.0, x
    for k in range(1, 13):
        f = a if f is None else f + a
        g = b if g is None else g + b
        a = a * x3 / ((3 * k - 1) * (3 * k))
        b = b * x3 / ((3 * k) * (3 * k + 1))
    return _AI0 * f + _AIP0 * g


def airy_ai(input):  # noqa: A002
    """``torch.special.airy_ai``: the Airy function Ai(x), differentiable (PyTorch has no
    derivative): its Maclaurin series for |x| < 1, and beyond, with zeta = 2/3 |x|^(3/2),
    Ai(x) = sqrt(x / 3) K_{1/3}(zeta) / pi and Ai(-z) = sqrt(z) (J_{1/3}(zeta) + J_{-1/3}(zeta))
    / 3, composed of the Bessel primitives; the values are SciPy's (the difference added as a
    constant)."""
    x = _t(input)
    d = x._data
    near = _np.abs(d) < 1
    r = _airy_series(_e.where(near, x, 0.5))
    if not _np.all(near):
        xp = _e.where(d >= 1, x, 1.0)
        zp = (2.0 / 3.0) * xp * _e.sqrt(xp)
        pos = _e.sqrt(xp / 3.0) * _sp.kv(1.0 / 3.0, zp) / _np.pi
        xn = _e.where(d <= -1, -x, 1.0)
        zn = (2.0 / 3.0) * xn * _e.sqrt(xn)
        neg = _e.sqrt(xn) * (_sp.jv(1.0 / 3.0, zn) + _sp.jv(-1.0 / 3.0, zn)) / 3.0
        r = _e.where(near, r, _e.where(d > 0, pos, neg))
    import scipy.special

    off = scipy.special.airy(d)[0] - r._data
    off = _np.where(_np.isfinite(off), off, 0.0)
    return r + off.astype(r._data.dtype) if _np.any(off) else r


# --- orthogonal polynomials ---------------------------------------------------------------------
# P_n(x) for an integer n (a number or a tensor, broadcasting with x; floats are truncated) by
# the three-term recurrence up to the largest n, each entry picking its own degree; n < 0 gives 0,
# as PyTorch.
# The result is a polynomial in x built of products, so every derivative in x is exact; n is an
# integer and has none.
def _degree(n, op):
    if type(n) in _tt:
        if n._edge is not None or getattr(n, "_fw", None):
            raise TypeError(f"special.{op}: the degree n is an integer and has no derivative; "
                            f"pass it as a number or a constant tensor")
        n = n._data
    nd = _values_of(n, f"special.{op}")  # the recurrence runs to the largest degree
    if nd.dtype.kind == "f":  # truncated toward zero, as PyTorch's cast (nan: no degree, 0)
        nd = _np.where(_np.isfinite(nd), _np.trunc(_np.where(_np.isfinite(nd), nd, 0)), -1)
    elif nd.dtype.kind not in "iub":
        raise TypeError(f"special.{op}: the degree n must be an integer (tensor), got dtype "
                        f"{nd.dtype}")
    return nd.astype(_np.int64)


def _polynomial(x, n, first, step, op):
    x = _t(x)
    nd = _degree(n, op)
    shape = _np.broadcast_shapes(x._data.shape, nd.shape)
    top = int(nd.max(initial=-1))
    zero = x * 0.0
    if top < 0:
        return _c.expand(zero, *shape) if zero._data.shape != shape else zero
    prev, cur = zero + 1.0, first(x)
    result = _e.where(nd == 0, prev, zero)
    if top >= 1:
        result = _e.where(nd == 1, cur, result)
    for k in range(1, top):
        prev, cur = cur, step(k, x, cur, prev)
        result = _e.where(nd == k + 1, cur, result)
    return result if result._data.shape == shape else _c.expand(result, *shape)


def _chebyshev(first):
    return first, lambda k, x, p, q: 2.0 * x * p - q


_T = _chebyshev(lambda x: x)
_U = _chebyshev(lambda x: 2.0 * x)
_V = _chebyshev(lambda x: 2.0 * x - 1.0)
_W = _chebyshev(lambda x: 2.0 * x + 1.0)


def chebyshev_polynomial_t(input, n):  # noqa: A002
    """``torch.special.chebyshev_polynomial_t``: T_n(x)."""
    return _polynomial(input, n, *_T, "chebyshev_polynomial_t")


def chebyshev_polynomial_u(input, n):  # noqa: A002
    """``torch.special.chebyshev_polynomial_u``: U_n(x)."""
    return _polynomial(input, n, *_U, "chebyshev_polynomial_u")


def chebyshev_polynomial_v(input, n):  # noqa: A002
    """``torch.special.chebyshev_polynomial_v``: V_n(x)."""
    return _polynomial(input, n, *_V, "chebyshev_polynomial_v")


def chebyshev_polynomial_w(input, n):  # noqa: A002
    """``torch.special.chebyshev_polynomial_w``: W_n(x)."""
    return _polynomial(input, n, *_W, "chebyshev_polynomial_w")


def shifted_chebyshev_polynomial_t(input, n):  # noqa: A002
    """``torch.special.shifted_chebyshev_polynomial_t``: T_n(2x - 1)."""
    return _polynomial(2.0 * _t(input) - 1.0, n, *_T, "shifted_chebyshev_polynomial_t")


def shifted_chebyshev_polynomial_u(input, n):  # noqa: A002
    """``torch.special.shifted_chebyshev_polynomial_u``: U_n(2x - 1)."""
    return _polynomial(2.0 * _t(input) - 1.0, n, *_U, "shifted_chebyshev_polynomial_u")


def shifted_chebyshev_polynomial_v(input, n):  # noqa: A002
    """``torch.special.shifted_chebyshev_polynomial_v``: V_n(2x - 1)."""
    return _polynomial(2.0 * _t(input) - 1.0, n, *_V, "shifted_chebyshev_polynomial_v")


def shifted_chebyshev_polynomial_w(input, n):  # noqa: A002
    """``torch.special.shifted_chebyshev_polynomial_w``: W_n(2x - 1)."""
    return _polynomial(2.0 * _t(input) - 1.0, n, *_W, "shifted_chebyshev_polynomial_w")


def hermite_polynomial_h(input, n):  # noqa: A002
    """``torch.special.hermite_polynomial_h``: the physicists' H_n(x)."""
    return _polynomial(input, n, lambda x: 2.0 * x,
                       lambda k, x, p, q: 2.0 * x * p - 2.0 * k * q, "hermite_polynomial_h")


def hermite_polynomial_he(input, n):  # noqa: A002
    """``torch.special.hermite_polynomial_he``: the probabilists' He_n(x)."""
    return _polynomial(input, n, lambda x: x, lambda k, x, p, q: x * p - k * q,
                       "hermite_polynomial_he")


def laguerre_polynomial_l(input, n):  # noqa: A002
    """``torch.special.laguerre_polynomial_l``: L_n(x)."""
    return _polynomial(input, n, lambda x: 1.0 - x,
                       lambda k, x, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1),
                       "laguerre_polynomial_l")


def legendre_polynomial_p(input, n):  # noqa: A002
    """``torch.special.legendre_polynomial_p``: P_n(x)."""
    return _polynomial(input, n, lambda x: x,
                       lambda k, x, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1),
                       "legendre_polynomial_p")


# --- reductions ---------------------------------------------------------------------------------
def _cast(x, dtype):
    x = _t(x)
    return x if dtype is None else _e.astype(x, _np.dtype(dtype))


def softmax(input, dim: int, *, dtype=None):  # noqa: A002
    """``torch.special.softmax`` along ``dim``."""
    return _c.softmax(_cast(input, dtype), dim)


def log_softmax(input, dim: int, *, dtype=None):  # noqa: A002
    """``torch.special.log_softmax`` along ``dim``."""
    return _c.log_softmax(_cast(input, dtype), dim)


def logsumexp(input, dim, keepdim: bool = False):  # noqa: A002
    """``torch.special.logsumexp`` over ``dim``."""
    return _c.logsumexp(_t(input), dim, keepdim)

