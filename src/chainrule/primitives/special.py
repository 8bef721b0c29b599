"""Special functions (SciPy's ``scipy.special``), differentiable in every argument where the
derivative exists.

The kernels are SciPy's, imported when first called: ``import chainrule`` works without SciPy,
and calling one of these functions without it raises an ImportError that says what to install.
Each derivative rule is written with chainrule's operations (digamma's calls ``polygamma(1, x)``,
itself a primitive with a rule), so derivatives of any order work.

Derivatives with no closed form are computed here to near machine precision:

- ``gammainc``/``gammaincc`` in the shape ``a``: the power series of P(a, x) (for x <= max(1, a))
  or the continued fraction of Q(a, x) (elsewhere), each differentiated term by term in ``a``,
  as in Moore (1982, Applied Statistics AS 187);
- ``betainc`` in ``a`` and ``b``: the continued fraction of I_x(a, b) differentiated term by term
  (Boik and Robinson-Cox, 1998), on the side of the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where
  it converges fast;
- ``kv``/``kve`` in the order ``v``: the integral of t sinh(v t) exp(-x cosh t), by quadrature.

Those derivatives are primitives in their turn, whose derivative in x is closed form; their own
derivative in the shape parameters is not provided. Every derivative that is not provided (the
order of jv, yv, iv, ive, the exponent ``x`` of ``zeta``, the integer ``n`` of ``polygamma``)
raises ``NotImplementedError`` naming the function and the argument when a gradient reaches it:
never a silent zero.
"""

from __future__ import annotations

import numpy as np

from ._core import ANS, apply, binary_op, elementwise, register, tensor_types, unary_op
from .elementwise import abs, exp, log, log1p, sigmoid, sign, where

__all__ = [
    "gamma", "gammaln", "loggamma", "digamma", "psi", "polygamma", "beta", "betaln", "erfc",
    "erfinv", "erfcinv", "erfcx", "ndtr", "log_ndtr", "ndtri", "expit", "logit", "log_expit",
    "xlogy", "xlog1py", "entr", "rel_entr", "kl_div", "i0", "i0e", "i1", "i1e", "zeta",
    "gammainc", "gammaincc", "betainc", "betaincc", "stdtr", "jv", "yv", "iv", "kv", "ive", "kve",
]

_SQRT_PI_2 = float(np.sqrt(np.pi) / 2)
_TWO_OVER_SQRT_PI = float(2 / np.sqrt(np.pi))
_INV_SQRT_2PI = float(1 / np.sqrt(2 * np.pi))
_SQRT_2PI = float(np.sqrt(2 * np.pi))
# Convergence: a relative change of a few ulps (a last-bit jitter from rounding can persist).
_EPS = 4 * np.finfo(np.float64).eps
_MAX_ITER = 20000  # series and continued fractions: about sqrt(a) terms at large a

_scipy_special = None


def _sc():
    """scipy.special, imported on first use (SciPy is an optional dependency)."""
    global _scipy_special
    if _scipy_special is None:
        try:
            import scipy.special as sc
        except ImportError as e:  # pragma: no cover - exercised where SciPy is absent
            raise ImportError(
                'chainrule\'s special functions need SciPy: pip install "chainrule[scipy]"'
            ) from e
        _scipy_special = sc
    return _scipy_special


def _kernel(name):
    def kernel(*args):
        return getattr(_sc(), name)(*args)

    kernel.__name__ = name
    return kernel


def _data(x):
    return x._data if type(x) in tensor_types else x


def not_provided(fn: str, arg: str, what: str = "derivative", hint: str = ""):
    """A rule that raises: this derivative is not provided (never a silent zero)."""
    msg = f"{fn}: the {what} with respect to {arg} is not provided"
    if hint:
        msg += f"; {hint}"

    def rule(v, *saved):
        raise NotImplementedError(msg)

    rule.__name__ = f"{fn}_no_{what.replace(' ', '_')}"
    return rule


# --- the gamma family -----------------------------------------------------------------------
GAMMA = elementwise("gamma", _kernel("gamma"), save=(0, ANS),
                    d=lambda v, x, ans: v * ans * digamma(x))
GAMMALN = elementwise("gammaln", _kernel("gammaln"), save=(0,), d=lambda v, x: v * digamma(x))
LOGGAMMA = elementwise("loggamma", _kernel("loggamma"), save=(0,),
                       d=lambda v, x: v * digamma(x))
DIGAMMA = elementwise("digamma", _kernel("psi"), save=(0,), d=lambda v, x: v * polygamma(1, x))
POLYGAMMA = elementwise("polygamma", _kernel("polygamma"), save=(0, 1), d=(
    not_provided("polygamma", "the order n", hint="n is an integer"),
    lambda v, n, x: v * polygamma(np.add(_data(n), 1), x),
))
BETA = elementwise("beta", _kernel("beta"), save=(0, 1, ANS), d=(
    lambda v, a, b, ans: v * ans * (digamma(a) - digamma(a + b)),
    lambda v, a, b, ans: v * ans * (digamma(b) - digamma(a + b)),
))
BETALN = elementwise("betaln", _kernel("betaln"), save=(0, 1), d=(
    lambda v, a, b: v * (digamma(a) - digamma(a + b)),
    lambda v, a, b: v * (digamma(b) - digamma(a + b)),
))

# --- error function and the normal distribution -------------------------------------------------
ERFC = elementwise("erfc", _kernel("erfc"), save=(0,),
                   d=lambda v, x: -(v * exp(-(x * x)) * _TWO_OVER_SQRT_PI))
ERFINV = elementwise("erfinv", _kernel("erfinv"), save=(ANS,),
                     d=lambda v, ans: v * exp(ans * ans) * _SQRT_PI_2)
ERFCINV = elementwise("erfcinv", _kernel("erfcinv"), save=(ANS,),
                      d=lambda v, ans: -(v * exp(ans * ans) * _SQRT_PI_2))
ERFCX = elementwise("erfcx", _kernel("erfcx"), save=(0, ANS),
                    d=lambda v, x, ans: v * (x * ans * 2 - _TWO_OVER_SQRT_PI))
NDTR = elementwise("ndtr", _kernel("ndtr"), save=(0,),
                   d=lambda v, x: v * exp(x * x * -0.5) * _INV_SQRT_2PI)
# exp(-x^2/2 - log_ndtr(x)): no underflow in the left tail, where both terms are large.
LOG_NDTR = elementwise("log_ndtr", _kernel("log_ndtr"), save=(0, ANS),
                       d=lambda v, x, ans: v * exp(x * x * -0.5 - ans) * _INV_SQRT_2PI)
NDTRI = elementwise("ndtri", _kernel("ndtri"), save=(ANS,),
                    d=lambda v, ans: v * exp(ans * ans * 0.5) * _SQRT_2PI)
LOGIT = elementwise("logit", _kernel("logit"), save=(0,), d=lambda v, x: v / (x * (1 - x)))
LOG_EXPIT = elementwise("log_expit", _kernel("log_expit"), save=(0,),
                        d=lambda v, x: v * sigmoid(-x))


# --- information theory -------------------------------------------------------------------------
def _dx_xlog(v, x, y, log_fn, edge):
    """d/dx x log(y) = log(y), except where x == 0 and y is outside the domain (y <= edge):
    there xlogy is 0 for all y and so is its derivative in x (PyTorch's convention)."""
    off = (_data(x) == 0) & (_data(y) <= edge)
    if not off.any():
        return v * log_fn(y)
    return where(off, 0.0, v * log_fn(where(off, edge + 1.0, y)))


XLOGY = elementwise("xlogy", _kernel("xlogy"), save=(0, 1), d=(
    lambda v, x, y: _dx_xlog(v, x, y, log, 0.0),
    lambda v, x, y: v * x / y,
))
XLOG1PY = elementwise("xlog1py", _kernel("xlog1py"), save=(0, 1), d=(
    lambda v, x, y: _dx_xlog(v, x, y, log1p, -1.0),
    lambda v, x, y: v * x / (y + 1),
))
ENTR = elementwise("entr", _kernel("entr"), save=(0,), d=lambda v, x: -(v * (log(x) + 1)))
REL_ENTR = elementwise("rel_entr", _kernel("rel_entr"), save=(0, 1), d=(
    lambda v, x, y: v * (log(x) - log(y) + 1),
    lambda v, x, y: -(v * x / y),
))
KL_DIV = elementwise("kl_div", _kernel("kl_div"), save=(0, 1), d=(
    lambda v, x, y: v * (log(x) - log(y)),
    lambda v, x, y: v * (1 - x / y),
))


# --- modified Bessel functions of order 0 and 1 ---------------------------------------------
# I1(x)/x = sum_k (x/2)^(2k) / (2 k! (k+1)!): its series near 0 (where the quotient is 0/0)
# keeps every derivative at 0 exact.
_I1X_SERIES = tuple(0.25**k / (2 * float(np.prod(np.arange(1, k + 1))) *
                               float(np.prod(np.arange(1, k + 2)))) for k in range(7))
_I1X_SMALL = 0.1


def _i1_over_x(x, scaled):
    small = abs(x) < _I1X_SMALL
    xs = where(small, 1.0, x)
    closed = (i1e(xs) if scaled else i1(xs)) / xs
    x2 = x * x
    series = _I1X_SERIES[-1]
    for c in reversed(_I1X_SERIES[:-1]):
        series = series * x2 + c
    if scaled:
        series = series * exp(-abs(x))
    return where(small, series, closed)


I0 = elementwise("i0", _kernel("i0"), save=(0,), d=lambda v, x: v * i1(x))
I0E = elementwise("i0e", _kernel("i0e"), save=(0, ANS),
                  d=lambda v, x, ans: v * (i1e(x) - sign(x) * ans))
I1 = elementwise("i1", _kernel("i1"), save=(0,),
                 d=lambda v, x: v * (i0(x) - _i1_over_x(x, False)))
I1E = elementwise("i1e", _kernel("i1e"), save=(0, ANS),
                  d=lambda v, x, ans: v * (i0e(x) - sign(x) * ans - _i1_over_x(x, True)))


# --- Hurwitz zeta ---------------------------------------------------------------------------
def _zeta_impl(x, q, riemann):
    return _sc().zeta(x) if riemann else _sc().zeta(x, q)


ZETA = elementwise("zeta", _zeta_impl, save=(0, 1), nin=2, d=(
    not_provided("zeta", "x (the exponent)"),
    lambda v, x, q, riemann: -(v * x * zeta(x + 1, q)),
))


# --- Bessel functions: derivatives in x by the recurrences; the order is not provided ----------
def _half(v, a, b):
    return v * (a + b) * 0.5


_NO_ORDER = "the derivative in the order exists but is not implemented"
JV = elementwise("jv", _kernel("jv"), save=(0, 1), d=(
    not_provided("jv", "the order v", hint=_NO_ORDER),
    lambda g, v, x: _half(g, jv(v - 1, x), -jv(v + 1, x)),
))
YV = elementwise("yv", _kernel("yv"), save=(0, 1), d=(
    not_provided("yv", "the order v", hint=_NO_ORDER),
    lambda g, v, x: _half(g, yv(v - 1, x), -yv(v + 1, x)),
))
IV = elementwise("iv", _kernel("iv"), save=(0, 1), d=(
    not_provided("iv", "the order v", hint=_NO_ORDER),
    lambda g, v, x: _half(g, iv(v - 1, x), iv(v + 1, x)),
))
KV = elementwise("kv", _kernel("kv"), save=(0, 1), d=(
    lambda g, v, x: g * apply(KV_DV, (v, x), (False,)),
    lambda g, v, x: -_half(g, kv(v - 1, x), kv(v + 1, x)),
))
# ive = iv * exp(-|x|), kve = kv * exp(x).
IVE = elementwise("ive", _kernel("ive"), save=(0, 1, ANS), d=(
    not_provided("ive", "the order v", hint=_NO_ORDER),
    lambda g, v, x, ans: _half(g, ive(v - 1, x), ive(v + 1, x)) - g * sign(x) * ans,
))
KVE = elementwise("kve", _kernel("kve"), save=(0, 1, ANS), d=(
    lambda g, v, x, ans: g * apply(KV_DV, (v, x), (True,)),
    lambda g, v, x, ans: g * ans - _half(g, kve(v - 1, x), kve(v + 1, x)),
))


# d/dv K_v(x) = integral_0^inf t sinh(v t) exp(-x cosh t) dt: a positive integrand (for v > 0;
# odd in v), so Gauss-Legendre quadrature on [0, T] reaches near machine precision. The
# integrand is taken relative to its peak (at t* = arcsinh(|v| / x)), so that neither
# exp(-x cosh t) underflows at large x nor sinh(v t) overflows at large v.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)
_KV_PANELS = 8


def _kv_dv_impl(v, x, scaled):
    v, x = np.broadcast_arrays(np.asarray(v, np.float64), np.asarray(x, np.float64))
    out = np.full(v.shape, np.nan)
    ok = (x > 0) & np.isfinite(x) & np.isfinite(v)
    out[ok & (v == 0)] = 0.0
    ok &= v != 0
    if not ok.any():
        return out
    av, xx = np.abs(v[ok]), x[ok]

    def log_f(t):  # log(t sinh(|v| t)) - x cosh t, for t > 0
        return (np.log(t) + av[..., None] * t + np.log1p(-np.exp(-2 * av[..., None] * t))
                - np.log(2.0) - xx[..., None] * np.cosh(t)) if t.ndim > 1 else (
            np.log(t) + av * t + np.log1p(-np.exp(-2 * av * t)) - np.log(2.0)
            - xx * np.cosh(t))

    tpk = np.maximum(np.arcsinh(av / xx), 1e-300)
    peak = log_f(tpk)
    # upper limit: the integrand has fallen by exp(-60) past the peak
    step = np.maximum(tpk, 1.0 / np.sqrt(xx + av))
    upper = tpk + step
    for _ in range(200):
        far = log_f(upper) > peak - 60
        if not far.any():
            break
        upper = np.where(far, tpk + 2 * (upper - tpk), upper)
    # composite Gauss-Legendre: panels on [0, upper]
    edges = upper[:, None] * np.linspace(0.0, 1.0, _KV_PANELS + 1)[None, :]
    lo, hi = edges[:, :-1], edges[:, 1:]
    half = (hi - lo) / 2
    t = (lo + half)[..., None] + half[..., None] * _GL_NODES  # (n, panels, nodes)
    t = t.reshape(len(av), -1)
    w = (half[..., None] * _GL_WEIGHTS).reshape(len(av), -1)
    vals = np.where(t > 0, np.exp(log_f(np.maximum(t, 1e-300)) - peak[:, None]), 0.0)
    integral = np.sum(w * vals, axis=1)
    log_scale = peak + (xx if scaled else 0.0)
    out[ok] = np.sign(v[ok]) * integral * np.exp(log_scale)
    return out


KV_DV = elementwise("kv_dv", _kv_dv_impl, save=(0, 1), nin=2, d=(
    not_provided("kv", "the order v", "second derivative",
                 hint="the first derivative in v (and every derivative in x) is"),
    # d/dx of d/dv K_v = d/dv of -(K_{v-1} + K_{v+1}) / 2; kve carries exp(x) as well
    lambda g, v, x, scaled: (
        g * (apply(KV_DV, (v, x), (True,))
             - _half(1.0, apply(KV_DV, (v - 1, x), (True,)), apply(KV_DV, (v + 1, x), (True,))))
        if scaled else
        -_half(g, apply(KV_DV, (v - 1, x), (False,)), apply(KV_DV, (v + 1, x), (False,)))),
))


# --- incomplete gamma -----------------------------------------------------------------------
def _gammainc_dx(a, x):
    """d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)."""
    return exp(xlogy(a - 1, x) - x - gammaln(a))


def _gammainc_da_impl(a, x):
    """d/da P(a, x), to near machine precision (see the module docstring)."""
    sc = _sc()
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.full(a.shape, np.nan)
    valid = (a > 0) & (x >= 0) & ~np.isnan(x)
    out[valid & ((x == 0) | np.isinf(x))] = 0.0
    inner = valid & (x > 0) & np.isfinite(x)
    series = inner & ((x <= 1) | (x <= a))
    cf = inner & ~series
    if series.any():
        aa, xx = a[series], x[series]
        out[series] = _igam_series_da(sc, aa, xx)
    if cf.any():
        aa, xx = a[cf], x[cf]
        out[cf] = -_igamc_cf_da(sc, aa, xx)
    return out


def _igam_series_da(sc, a, x):
    # P = (ax / a) S, S = sum_n c_n, c_0 = 1, c_n = c_{n-1} x / (a + n); dc_n/da carried along.
    logx = np.log(x)
    c, dc = np.ones_like(a), np.zeros_like(a)
    s, ds = np.ones_like(a), np.zeros_like(a)
    r = a.copy()
    active = np.ones(a.shape, bool)
    for _ in range(_MAX_ITER):
        r = r + 1
        dc = dc * x / r - c * x / (r * r)
        c = c * x / r
        # Converged entries stop changing (c, dc keep shrinking but are no longer added).
        s, ds = s + np.where(active, c, 0.0), ds + np.where(active, dc, 0.0)
        active &= ~((np.abs(c) <= _EPS * s) & (np.abs(dc) <= _EPS * (np.abs(ds) + s)))
        if not active.any():
            break
    log_front = a * logx - x - sc.gammaln(a) - np.log(a)
    return np.exp(log_front) * (ds + s * (logx - sc.psi(a) - 1 / a))


def _igamc_cf_da(sc, a, x):
    # Q = ax * (continued fraction) (Cephes igamc), the convergents p/q and their derivatives
    # in a carried through the three-term recurrence (dy/da = dz/da = -1).
    big, biginv = 2.0**53, 2.0**-53
    y = 1 - a
    z = x + y + 1
    c = np.zeros_like(a)
    pkm2, qkm2, pkm1, qkm1 = np.ones_like(a), x.copy(), x + 1, z * x
    dpkm2, dqkm2, dpkm1, dqkm1 = (np.zeros_like(a), np.zeros_like(a), np.zeros_like(a), -x)
    ans = pkm1 / qkm1
    dans = (dpkm1 - ans * dqkm1) / qkm1
    active = np.ones(a.shape, bool)
    for _ in range(_MAX_ITER):
        c = c + 1
        y = y + 1
        z = z + 2
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        dpk = dpkm1 * z - pkm1 - dpkm2 * yc + pkm2 * c
        dqk = dqkm1 * z - qkm1 - dqkm2 * yc + qkm2 * c
        ok = qk != 0
        qs = np.where(ok, qk, 1.0)
        r = np.where(ok, pk / qs, ans)
        dr = np.where(ok, (dpk - r * dqk) / qs, dans)
        done = ((np.abs(ans - r) <= _EPS * np.abs(r))
                & (np.abs(dans - dr) <= _EPS * (np.abs(dr) + np.abs(r))))
        ans, dans = np.where(active, r, ans), np.where(active, dr, dans)
        active &= ~done
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        dpkm2, dpkm1, dqkm2, dqkm1 = dpkm1, dpk, dqkm1, dqk
        scale = np.where(np.abs(pk) > big, biginv, 1.0)
        pkm2, pkm1, qkm2, qkm1 = pkm2 * scale, pkm1 * scale, qkm2 * scale, qkm1 * scale
        dpkm2, dpkm1 = dpkm2 * scale, dpkm1 * scale
        dqkm2, dqkm1 = dqkm2 * scale, dqkm1 * scale
        if not active.any():
            break
    ax = np.exp(a * np.log(x) - x - sc.gammaln(a))
    return ax * (dans + ans * (np.log(x) - sc.psi(a)))


GAMMAINC = elementwise("gammainc", _kernel("gammainc"), save=(0, 1), d=(
    lambda v, a, x: v * gammainc_da(a, x),
    lambda v, a, x: v * _gammainc_dx(a, x),
))
GAMMAINCC = elementwise("gammaincc", _kernel("gammaincc"), save=(0, 1), d=(
    lambda v, a, x: -(v * gammainc_da(a, x)),
    lambda v, a, x: -(v * _gammainc_dx(a, x)),
))
GAMMAINC_DA = elementwise("gammainc_da", _gammainc_da_impl, save=(0, 1), d=(
    not_provided("gammainc", "a", "second derivative",
                 hint="the first derivative in a (and every derivative in x) is"),
    lambda v, a, x: v * _gammainc_dx(a, x) * (log(x) - digamma(a)),
))


# --- incomplete beta ------------------------------------------------------------------------
def _betainc_dx(a, b, x):
    """d/dx I_x(a, b) = x^(a-1) (1-x)^(b-1) / B(a, b)."""
    return exp(xlogy(a - 1, x) + xlog1py(b - 1, -x) - betaln(a, b))


def _betainc_dab_impl(a, b, x):
    """(d/da, d/db) of I_x(a, b), to near machine precision (see the module docstring)."""
    sc = _sc()
    a, b, x = np.broadcast_arrays(*(np.asarray(t, np.float64) for t in (a, b, x)))
    da, db = np.full(a.shape, np.nan), np.full(a.shape, np.nan)
    valid = (a > 0) & (b > 0) & (x >= 0) & (x <= 1)
    edge = valid & ((x == 0) | (x == 1))
    da[edge] = db[edge] = 0.0
    inner = valid & ~edge
    # The fraction converges fast for x < (a + 1) / (a + b + 2); beyond, use the symmetry.
    direct = inner & (x * (a + b + 2) < a + 1)
    flipped = inner & ~direct
    if direct.any():
        da[direct], db[direct] = _betainc_cf_dab(sc, a[direct], b[direct], x[direct])
    if flipped.any():
        # I_x(a, b) = 1 - I_{1-x}(b, a)
        dfb, dfa = _betainc_cf_dab(sc, b[flipped], a[flipped], 1 - x[flipped])
        da[flipped], db[flipped] = -dfa, -dfb
    return da, db


def _betainc_cf_dab(sc, a, b, x):
    # I = front * K, front = x^a (1-x)^b / (a B(a, b)), K = 1/(1 + d1/(1 + d2/(1 + ...))):
    # the convergents A_n / B_n by the forward recurrence, with their derivatives in a and b.
    one, zero = np.ones_like(a), np.zeros_like(a)
    # (value, d/da, d/db) of A_{n-2}, A_{n-1}, B_{n-2}, B_{n-1}; start from K = 1 / (1 + ...)
    am2, am1 = (one, zero, zero), (zero, zero, zero)
    bm2, bm1 = (zero, zero, zero), (one, zero, zero)
    # First step: a_1 = 1, b_1 = 1: A_1 = 1 * A_0 + 1 * A_{-1}
    am2, am1 = am1, (am1[0] + am2[0], zero, zero)
    bm2, bm1 = bm1, (bm1[0] + bm2[0], zero, zero)
    k, dk_a, dk_b = am1[0] / bm1[0], zero, zero
    active = np.ones(a.shape, bool)
    for n in range(1, 2 * _MAX_ITER):
        m = n // 2
        if n % 2:  # d_{2m+1}
            num = -(a + m) * (a + b + m) * x
            den = (a + 2 * m) * (a + 2 * m + 1)
            d = num / den
            dd_a = -(2 * a + b + 2 * m) * x / den - d * (2 * a + 4 * m + 1) / den
            dd_b = -(a + m) * x / den
        else:  # d_{2m}
            den = (a + 2 * m - 1) * (a + 2 * m)
            d = m * (b - m) * x / den
            dd_a = -d * (2 * a + 4 * m - 1) / den
            dd_b = m * x / den
        # X_n = X_{n-1} + d X_{n-2}
        an = (am1[0] + d * am2[0], am1[1] + dd_a * am2[0] + d * am2[1],
              am1[2] + dd_b * am2[0] + d * am2[2])
        bn = (bm1[0] + d * bm2[0], bm1[1] + dd_a * bm2[0] + d * bm2[1],
              bm1[2] + dd_b * bm2[0] + d * bm2[2])
        am2, am1, bm2, bm1 = am1, an, bm1, bn
        kn = an[0] / bn[0]
        dkn_a = (an[1] - kn * bn[1]) / bn[0]
        dkn_b = (an[2] - kn * bn[2]) / bn[0]
        # A derivative may be exactly 0 (I_x(a, 1) = x^a has dK/da = 0): its change is measured
        # against |K| too, the size of the other term it is added to.
        size = np.abs(kn)
        done = ((np.abs(kn - k) <= _EPS * size)
                & (np.abs(dkn_a - dk_a) <= _EPS * (np.abs(dkn_a) + size))
                & (np.abs(dkn_b - dk_b) <= _EPS * (np.abs(dkn_b) + size)))
        # Converged entries keep their value (later convergents only add rounding).
        k, dk_a, dk_b = (np.where(active, kn, k), np.where(active, dkn_a, dk_a),
                         np.where(active, dkn_b, dk_b))
        if n > 2:
            active &= ~done
            if not active.any():
                break
        # Renormalise so that B_n = 1: the convergents neither overflow nor underflow.
        s = 1 / np.where(bn[0] == 0, 1.0, np.abs(bn[0]))
        am2, am1 = tuple(t * s for t in am2), tuple(t * s for t in am1)
        bm2, bm1 = tuple(t * s for t in bm2), tuple(t * s for t in bm1)
    psi_ab = sc.psi(a + b)
    log_front = a * np.log(x) + b * np.log1p(-x) - sc.betaln(a, b) - np.log(a)
    front = np.exp(log_front)
    da = front * (dk_a + k * (np.log(x) - sc.psi(a) + psi_ab - 1 / a))
    db = front * (dk_b + k * (np.log1p(-x) - sc.psi(b) + psi_ab))
    return da, db


BETAINC = elementwise("betainc", _kernel("betainc"), save=(0, 1, 2), d=(
    lambda v, a, b, x: v * betainc_da(a, b, x),
    lambda v, a, b, x: v * betainc_db(a, b, x),
    lambda v, a, b, x: v * _betainc_dx(a, b, x),
))
BETAINCC = elementwise("betaincc", _kernel("betaincc"), save=(0, 1, 2), d=(
    lambda v, a, b, x: -(v * betainc_da(a, b, x)),
    lambda v, a, b, x: -(v * betainc_db(a, b, x)),
    lambda v, a, b, x: -(v * _betainc_dx(a, b, x)),
))
_BETA2 = "the first derivatives in a and b (and every derivative in x) are"
BETAINC_DA = elementwise("betainc_da", lambda a, b, x: _betainc_dab_impl(a, b, x)[0],
                         save=(0, 1, 2), d=(
    not_provided("betainc", "a", "second derivative", hint=_BETA2),
    not_provided("betainc", "a and b", "mixed second derivative", hint=_BETA2),
    lambda v, a, b, x: v * _betainc_dx(a, b, x) * (log(x) - digamma(a) + digamma(a + b)),
))
BETAINC_DB = elementwise("betainc_db", lambda a, b, x: _betainc_dab_impl(a, b, x)[1],
                         save=(0, 1, 2), d=(
    not_provided("betainc", "a and b", "mixed second derivative", hint=_BETA2),
    not_provided("betainc", "b", "second derivative", hint=_BETA2),
    lambda v, a, b, x: v * _betainc_dx(a, b, x) * (log1p(-x) - digamma(b) + digamma(a + b)),
))


# --- Student's t distribution function ------------------------------------------------------
def _stdtr_ddf(df, t):
    """d/d(df) of stdtr(df, t) = 1 - I_z(df/2, 1/2) / 2 for t > 0 (z = df / (df + t^2)), the
    mirror image for t < 0; the dI/dz term written so that it is finite at t = 0."""
    s = df + t * t
    z = df / s
    # dI/dz * dz/d(df) = z^(df/2 - 1) (1 - z)^(-1/2) / B * t^2 / s^2 = z^(df/2-1) |t| s^(-3/2) / B
    dz_term = exp(xlogy(df * 0.5 - 1, z) - betaln(df * 0.5, 0.5)) * abs(t) / (s * s ** 0.5)
    return -(sign(t) * 0.5) * (betainc_da(df * 0.5, 0.5, z) * 0.5 + dz_term)


def _stdtr_dt(df, t):
    """The density of Student's t."""
    return exp(gammaln((df + 1) * 0.5) - gammaln(df * 0.5) - log(df * np.pi) * 0.5
               - log1p(t * t / df) * ((df + 1) * 0.5))


STDTR = elementwise("stdtr", _kernel("stdtr"), save=(0, 1), d=(
    lambda v, df, t: v * _stdtr_ddf(df, t),
    lambda v, df, t: v * _stdtr_dt(df, t),
))

register(GAMMA, GAMMALN, LOGGAMMA, DIGAMMA, POLYGAMMA, BETA, BETALN, ERFC, ERFINV, ERFCINV, ERFCX,
         NDTR, LOG_NDTR, NDTRI, LOGIT, LOG_EXPIT, XLOGY, XLOG1PY, ENTR, REL_ENTR, KL_DIV, I0, I0E,
         I1, I1E, ZETA, JV, YV, IV, KV, IVE, KVE, KV_DV, GAMMAINC, GAMMAINCC, GAMMAINC_DA, BETAINC,
         BETAINCC, BETAINC_DA, BETAINC_DB, STDTR)

# --- public functions -------------------------------------------------------------------------
gamma = unary_op(GAMMA, "The gamma function.")
gammaln = unary_op(GAMMALN, "log |Gamma(x)|.")
loggamma = unary_op(LOGGAMMA, "log Gamma(x) (real arguments).")
digamma = psi = unary_op(DIGAMMA, "The digamma function, d/dx log Gamma(x).")
polygamma = binary_op(POLYGAMMA, "The n-th derivative of digamma; differentiable in x.")
beta = binary_op(BETA, "The beta function Gamma(a) Gamma(b) / Gamma(a + b).")
betaln = binary_op(BETALN, "log |B(a, b)|.")
erfc = unary_op(ERFC, "1 - erf(x), accurate in the right tail.")
erfinv = unary_op(ERFINV, "The inverse of erf.")
erfcinv = unary_op(ERFCINV, "The inverse of erfc.")
erfcx = unary_op(ERFCX, "exp(x^2) erfc(x), the scaled complementary error function.")
ndtr = unary_op(NDTR, "The standard normal distribution function.")
log_ndtr = unary_op(LOG_NDTR, "log ndtr(x), accurate in both tails (value and gradient).")
ndtri = unary_op(NDTRI, "The inverse of ndtr (the standard normal quantile).")
expit = sigmoid
logit = unary_op(LOGIT, "log(p / (1 - p)).")
log_expit = unary_op(LOG_EXPIT, "log expit(x), accurate for any x.")
xlogy = binary_op(XLOGY, "x * log(y), 0 where x == 0 (whatever y).")
xlog1py = binary_op(XLOG1PY, "x * log1p(y), 0 where x == 0 (whatever y).")
entr = unary_op(ENTR, "-x log x (0 at 0, -inf for x < 0).")
rel_entr = binary_op(REL_ENTR, "x log(x / y) (SciPy's conventions at 0 and outside).")
kl_div = binary_op(KL_DIV, "x log(x / y) - x + y (SciPy's conventions at 0 and outside).")
i0 = unary_op(I0, "Modified Bessel function of the first kind, order 0.")
i0e = unary_op(I0E, "Exponentially scaled i0: exp(-|x|) i0(x).")
i1 = unary_op(I1, "Modified Bessel function of the first kind, order 1.")
i1e = unary_op(I1E, "Exponentially scaled i1: exp(-|x|) i1(x).")
jv = binary_op(JV, "Bessel function of the first kind J_v(x); differentiable in x.")
yv = binary_op(YV, "Bessel function of the second kind Y_v(x); differentiable in x.")
iv = binary_op(IV, "Modified Bessel function of the first kind I_v(x); differentiable in x.")
kv = binary_op(KV, "Modified Bessel function of the second kind K_v(x); differentiable in x.")
ive = binary_op(IVE, "exp(-|x|) iv(v, x); differentiable in x.")
kve = binary_op(KVE, "exp(x) kv(v, x); differentiable in x.")
gammainc = binary_op(GAMMAINC, "The regularised lower incomplete gamma P(a, x); "
                     "differentiable in x and a.")
gammaincc = binary_op(GAMMAINCC, "The regularised upper incomplete gamma Q(a, x); "
                      "differentiable in x and a.")
gammainc_da = binary_op(GAMMAINC_DA, "d/da gammainc(a, x); differentiable in x.")
stdtr = binary_op(STDTR, "Student's t distribution function; differentiable in df and t.")


def zeta(x, q=None):
    """The Hurwitz zeta function sum_k (k + q)^-x (Riemann's when ``q`` is None, SciPy's
    signature). Differentiable in q; the derivative in x is not provided (an error if asked)."""
    if q is None:
        return apply(ZETA, (x, 1.0), (True,))
    return apply(ZETA, (x, q), (False,))


def betainc(a, b, x):
    """The regularised incomplete beta function I_x(a, b); differentiable in a, b and x."""
    return apply(BETAINC, (a, b, x))


def betaincc(a, b, x):
    """1 - I_x(a, b), accurate where I_x is near 1; differentiable in a, b and x."""
    return apply(BETAINCC, (a, b, x))


def betainc_da(a, b, x):
    """d/da betainc(a, b, x); differentiable in x."""
    return apply(BETAINC_DA, (a, b, x))


def betainc_db(a, b, x):
    """d/db betainc(a, b, x); differentiable in x."""
    return apply(BETAINC_DB, (a, b, x))
