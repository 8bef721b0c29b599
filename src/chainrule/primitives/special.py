"""Special functions (SciPy's ``scipy.special``), differentiable in every argument where the
derivative exists.

The kernels are SciPy's, imported when first called: ``import chainrule`` works without SciPy,
and calling one of these functions without it raises an ImportError that says what to install.
Each derivative rule is written with chainrule's operations (digamma's calls ``polygamma(1, x)``,
itself a primitive with a rule), so derivatives of any order work.

Derivatives with no closed form are computed here to near machine precision:

- ``gammainc``/``gammaincc`` in the shape ``a`` (orders 1 to 4): the power series of P(a, x)
  (for x <= max(1, a)) or the continued fraction of Q(a, x) (elsewhere), evaluated on truncated
  Taylor series in ``a``, which differentiates them term by term to every order at once (the
  first order is Moore's, 1982, Applied Statistics AS 187);
- ``betainc`` in ``a`` and ``b`` (every (i, j) with i + j from 1 to 4): the continued fraction
  of I_x(a, b) on Taylor series in two variables (the first order is Boik and Robinson-Cox's,
  1998), on the side of the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where it converges fast;
- ``kv``/``kve`` in the order ``v`` (orders 1 and 2): the integrals of t sinh(v t) and
  t^2 cosh(v t) times exp(-x cosh t), by quadrature;
- ``iv``/``ive`` in the order (1 and 2): the power series differentiated term by term, or
  Schlafli's integral near v = 0 and at large x; ``jv``/``yv`` in the order (1 and 2):
  Schlafli's integrals, or for ``jv`` where v > x the power series (see ``_jy_dv_impl``: near
  v = x for large v neither is accurate, and the derivative raises there).

Those derivatives are primitives in their turn, whose derivative in x is closed form. What is not
provided (a derivative of order above 4 in the shape parameters, of order 3 in a Bessel order,
the exponent ``x`` of ``zeta``, the integer ``n`` of ``polygamma``) raises
``NotImplementedError`` naming the function and the argument when a gradient reaches it: never
a silent zero.
"""

from __future__ import annotations

import math

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


JV = elementwise("jv", _kernel("jv"), save=(0, 1), d=(
    lambda g, v, x: g * apply(JY_DV, (v, x), ("jv", 1)),
    lambda g, v, x: _half(g, jv(v - 1, x), -jv(v + 1, x)),
))
YV = elementwise("yv", _kernel("yv"), save=(0, 1), d=(
    lambda g, v, x: g * apply(JY_DV, (v, x), ("yv", 1)),
    lambda g, v, x: _half(g, yv(v - 1, x), -yv(v + 1, x)),
))
IV = elementwise("iv", _kernel("iv"), save=(0, 1), d=(
    lambda g, v, x: g * apply(IV_DV, (v, x), (False, 1)),
    lambda g, v, x: _half(g, iv(v - 1, x), iv(v + 1, x)),
))
KV = elementwise("kv", _kernel("kv"), save=(0, 1), d=(
    lambda g, v, x: g * apply(KV_DV, (v, x), (False, 1)),
    lambda g, v, x: -_half(g, kv(v - 1, x), kv(v + 1, x)),
))
# ive = iv * exp(-|x|), kve = kv * exp(x).
IVE = elementwise("ive", _kernel("ive"), save=(0, 1, ANS), d=(
    lambda g, v, x, ans: g * apply(IV_DV, (v, x), (True, 1)),
    lambda g, v, x, ans: _half(g, ive(v - 1, x), ive(v + 1, x)) - g * sign(x) * ans,
))
KVE = elementwise("kve", _kernel("kve"), save=(0, 1, ANS), d=(
    lambda g, v, x, ans: g * apply(KV_DV, (v, x), (True, 1)),
    lambda g, v, x, ans: g * ans - _half(g, kve(v - 1, x), kve(v + 1, x)),
))


# d/dv K_v(x) = integral_0^inf t sinh(v t) exp(-x cosh t) dt and d2/dv2 K_v(x) = integral_0^inf
# t^2 cosh(v t) exp(-x cosh t) dt: integrands of one sign (for v > 0; odd and even in v), so
# Gauss-Legendre quadrature on [0, T] reaches near machine precision. The integrand is taken
# relative to its largest value, so that neither exp(-x cosh t) underflows at large x nor
# sinh(v t) overflows at large v.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)
_KV_PANELS = 8


def _kv_dv_impl(v, x, scaled, n=1):
    v, x = np.broadcast_arrays(np.asarray(v, np.float64), np.asarray(x, np.float64))
    out = np.full(v.shape, np.nan)
    ok = (x > 0) & np.isfinite(x) & np.isfinite(v)
    if n == 1:
        out[ok & (v == 0)] = 0.0
        ok &= v != 0
    if not ok.any():
        return out
    av, xx = np.abs(v[ok]), x[ok]
    sgn = 1.0 if n == 2 else -1.0  # log sinh or log cosh of |v| t

    def log_f(t, a, xv):  # log(t^n (sinh or cosh)(a t)) - x cosh t, for t > 0
        return (n * np.log(t) + a * t + np.log1p(sgn * np.exp(-2 * a * t)) - np.log(2.0)
                - xv * np.cosh(t))

    # a point near the peak (where x sinh t = v, or t^n's growth meets e^(-x cosh t))
    tpk = np.maximum(np.arcsinh(av / xx), np.minimum(1.0, np.sqrt(n / xx)))
    peak = log_f(tpk, av, xx)
    # upper limit: the integrand has fallen by exp(-60) below that point's value
    step = np.maximum(tpk, 1.0 / np.sqrt(xx + av))
    upper = tpk + step
    for _ in range(200):
        far = log_f(upper, av, xx) > peak - 60
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
    logs = log_f(t, av[:, None], xx[:, None])
    top = np.max(logs, axis=1)
    integral = np.sum(w * np.exp(logs - top[:, None]), axis=1)
    log_scale = top + (xx if scaled else 0.0)
    out[ok] = (np.sign(v[ok]) if n == 1 else 1.0) * integral * np.exp(log_scale)
    return out


def _order_next(fn, prim):
    """The reverse and forward rule in the order v of a primitive holding d^n/dv^n (n <= 2)."""
    def rule(g, v, x, *params):
        *head, n = params
        if n >= 2:
            raise NotImplementedError(
                f"{fn(*head)}: the derivative of order {n + 1} with respect to the order v is "
                f"not provided; orders 1 and 2 in v (mixed with x to any order) are")
        return g * apply(prim(), (v, x), (*head, n + 1))
    return rule


KV_DV = elementwise("kv_dv", _kv_dv_impl, save=(0, 1), nin=2, d=(
    _order_next(lambda scaled: "kve" if scaled else "kv", lambda: KV_DV),
    # d/dx of d^n/dv^n K_v = d^n/dv^n of -(K_{v-1} + K_{v+1}) / 2; kve carries exp(x) as well
    lambda g, v, x, scaled, n: (
        g * (apply(KV_DV, (v, x), (True, n))
             - _half(1.0, apply(KV_DV, (v - 1, x), (True, n)),
                     apply(KV_DV, (v + 1, x), (True, n))))
        if scaled else
        -_half(g, apply(KV_DV, (v - 1, x), (False, n)), apply(KV_DV, (v + 1, x), (False, n)))),
))


# d/dv I_v(x) and d2/dv2 I_v(x), for x > 0, from v >= 0 (v < 0 by the reflection
# I_-u = I_u + (2/pi) sin(u pi) K_u):
# - the power series sum_k t_k (log(x/2) - psi(k + v + 1)), t_k = (x/2)^(2k+v) / (k! Gamma(k+v+1))
#   (for d2/dv2: sum_k t_k ((log(x/2) - psi(k + v + 1))^2 - psi'(k + v + 1))), differentiated
#   term by term. Its terms change sign near the largest one, but the sum is of the size of
#   I_v * asinh(v / x) while the rounding is of I_v / sqrt(x): accurate away from v = 0.
# - near v = 0 (where the derivative is -K_0(x), exponentially smaller than the terms) and for
#   large x, Schlafli's integral differentiated in v:
#   -(1/pi) int_0^pi t e^(x cos t) sin(v t) dt - cos(v pi) int_0^inf e^(-x cosh t - v t) dt
#   + (sin(v pi) / pi) int_0^inf t e^(-x cosh t - v t) dt (and its derivative in v),
#   used where sin(v t) (cos(v t)) keeps one sign over the part of [0, pi] where e^(x cos t)
#   matters, by composite Gauss-Legendre quadrature.
def _gauss_legendre(hi, f, panels=_KV_PANELS):
    """Composite Gauss-Legendre on [0, hi] (one upper limit per entry); f(t), t (n, nodes)."""
    edges = hi[:, None] * np.linspace(0.0, 1.0, panels + 1)[None, :]
    lo, up = edges[:, :-1], edges[:, 1:]
    half = (up - lo) / 2
    t = ((lo + half)[..., None] + half[..., None] * _GL_NODES).reshape(len(hi), -1)
    w = (half[..., None] * _GL_WEIGHTS).reshape(len(hi), -1)
    return np.sum(w * f(t), axis=1)


_IV_CUT = 50.0  # the integrands are cut where they have fallen by exp(-50)


def _ive_dv_integral(v, x, n):
    """exp(-x) d^n/dv^n I_v(x) by Schlafli's integral (see above), n = 1 or 2."""
    vc, xc = v[:, None], x[:, None]
    th = np.arccos(1 - np.minimum(_IV_CUT / x, 2.0))
    trig = np.sin if n == 1 else np.cos
    f1 = _gauss_legendre(th, lambda t: t**n * np.exp(xc * (np.cos(t) - 1)) * trig(vc * t))
    tm = np.arccosh(1 + _IV_CUT / x)
    ab = [_gauss_legendre(tm, lambda t, k=k: t**k * np.exp(-xc * (np.cosh(t) - 1) - vc * t))
          for k in range(n + 1)]
    s, c = np.sin(v * np.pi), np.cos(v * np.pi)
    if n == 1:  # the tail is -(sin(v pi) / pi) int e^(-x cosh t - v t) dt, differentiated
        return -f1 / np.pi - np.exp(-2 * x) * (c * ab[0] - s / np.pi * ab[1])
    return -f1 / np.pi + np.exp(-2 * x) * (np.pi * s * ab[0] + 2 * c * ab[1] - s / np.pi * ab[2])


def _ive_dv_series(sc, v, x, n):
    """exp(-x) d^n/dv^n I_v(x) by the power series (see above), v >= 0, n = 1 or 2. The terms
    are kept relative to a running scale exp(m): no underflow at large x, no overflow at large
    terms."""
    lx = np.log(x / 2)
    m = v * lx - sc.gammaln(v + 1) - x
    t, q, psi, psi1 = np.ones_like(v), (x / 2) ** 2, sc.psi(v + 1), sc.polygamma(1, v + 1)
    s = t * ((lx - psi) if n == 1 else (lx - psi) ** 2 - psi1)
    size = np.abs(s) + t
    active = np.ones(v.shape, bool)
    for k in range(1, _MAX_ITER):
        t = t * q / (k * (k + v))
        psi, psi1 = psi + 1 / (k + v), psi1 - 1 / (k + v) ** 2
        term = t * ((lx - psi) if n == 1 else (lx - psi) ** 2 - psi1)
        s, size = s + np.where(active, term, 0.0), size + np.where(active, np.abs(term), 0.0)
        # past the largest term, stop once the terms no longer change the sum
        active &= ~((k * (k + v) > q) & (np.abs(term) <= _EPS * 1e-3 * size))
        if not active.any():
            break
        big = t > 1e250
        if big.any():
            t, s, size = (np.where(big, u * 1e-250, u) for u in (t, s, size))
            m = m + np.where(big, 250 * np.log(10.0), 0.0)
    return s * np.exp(m)


def _ive_dv_nonneg(sc, v, x, n):
    out = np.empty(v.shape)
    th = np.arccos(1 - np.minimum(_IV_CUT / x, 2.0))
    # the integral where its first integrand keeps one sign (sin(v t) or cos(v t) on [0, th])
    reach = np.pi if n == 1 else np.pi / 2
    integral = ((v < 0.5) & (x >= 1)) | ((x >= 50) & (v * th <= reach))
    if integral.any():
        out[integral] = _ive_dv_integral(v[integral], x[integral], n)
    series = ~integral
    if series.any():
        out[series] = _ive_dv_series(sc, v[series], x[series], n)
    return out


def _iv_dv_impl(v, x, scaled, n=1):
    """d^n/dv^n I_v(x) (exp(-x) times it when ``scaled``), n = 1 or 2, for x > 0; 0 at x = 0
    for v > 0."""
    sc = _sc()
    v, x = np.broadcast_arrays(np.asarray(v, np.float64), np.asarray(x, np.float64))
    out = np.full(v.shape, np.nan)
    out[(x == 0) & (v > 0)] = 0.0
    ok = (x > 0) & np.isfinite(x) & np.isfinite(v)
    if not ok.any():
        return out
    vv, xx = v[ok], x[ok]
    u = np.abs(vv)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        d = _ive_dv_nonneg(sc, u, xx, n)
        if not scaled:
            d = np.where(d == 0, 0.0, d * np.exp(xx))  # -K_0(x) e^x underflows at large x
        neg = vv < 0
        if neg.any():
            # I_-u = I_u + (2/pi) sin(u pi) K_u, differentiated n times in v = -u
            un, xn = u[neg], x[ok][neg]
            s, c = np.sin(np.pi * un), np.cos(np.pi * un)
            k0, k1 = sc.kv(un, xn), _kv_dv_impl(un, xn, False)
            if n == 1:
                k = -(2 * c * k0 + 2 / np.pi * s * k1)
                d[neg] = -d[neg] + (k * np.exp(-xn) if scaled else k)
            else:
                k = 2 / np.pi * (-np.pi**2 * s * k0 + 2 * np.pi * c * k1
                                 + s * _kv_dv_impl(un, xn, False, 2))
                d[neg] = d[neg] + (k * np.exp(-xn) if scaled else k)
    out[ok] = d
    return out


IV_DV = elementwise("iv_dv", _iv_dv_impl, save=(0, 1), nin=2, d=(
    _order_next(lambda scaled: "ive" if scaled else "iv", lambda: IV_DV),
    # d/dx of d^n/dv^n I_v = d^n/dv^n of (I_{v-1} + I_{v+1}) / 2; ive carries exp(-|x|) too
    lambda g, v, x, scaled, n: (
        _half(g, apply(IV_DV, (v - 1, x), (True, n)), apply(IV_DV, (v + 1, x), (True, n)))
        - g * sign(x) * apply(IV_DV, (v, x), (True, n))
        if scaled else
        _half(g, apply(IV_DV, (v - 1, x), (False, n)), apply(IV_DV, (v + 1, x), (False, n)))),
))


# d/dv and d2/dv2 of J_v(x) and Y_v(x), for x > 0, from v >= 0 (v < 0 by the reflections
# J_-u = cos(u pi) J_u - sin(u pi) Y_u, Y_-u = sin(u pi) J_u + cos(u pi) Y_u), by
# - Schlafli's integrals differentiated in v:
#   dJ/dv = -(1/pi) int_0^pi t sin(v t - x sin t) dt - cos(v pi) A + (sin(v pi) / pi) B,
#   dY/dv = -(1/pi) int_0^pi t cos(x sin t - v t) dt
#           - (1/pi) (C - cos(v pi) B - pi sin(v pi) A),
#   A = int_0^inf e^(-x sinh t - v t) dt, B = int_0^inf t e^(-x sinh t - v t) dt,
#   C = int_0^inf t e^(v t - x sinh t) dt, by composite Gauss-Legendre quadrature (panels enough
#   for the oscillation of the first integrand), differentiated once more for d2/dv2. Their
#   error is a few ulps of the integrands' size, O(1): near machine precision wherever dJ/dv
#   and dY/dv are not far below 1.
# - for J where v > x (J_v(x) exponentially small: the integral's O(1) rounding would swamp
#   it), the power series sum_k (-1)^k t_k (log(x/2) - psi(k + v + 1)) (the terms of iv's
#   series with alternating signs), whose rounding is a few ulps of the sum of |terms|.
# Each entry takes the one with the smaller error estimate; where even that is above
# _JY_TOL * (|dJ/dv| + |J_v| + |J_{v+1}|) (J_v(x) below about 1e-5 of its size for x > v:
# the edge of the region x < v where J_v(x) decays exponentially) no accurate method is
# provided, and the derivative raises rather than return a wrong number.
_JY_TOL = 1e-10
_JY_MAX = 2000.0  # |v| + x above this: the oscillatory integrand needs too many nodes


def _jy_osc(v, x, kind, n):
    """(1/pi) int_0^pi t^n f(t) dt, f = sin(v t - x sin t) ("j", n = 1), cos(v t - x sin t)
    ("j", n = 2), cos(x sin t - v t) ("y", n = 1), sin(x sin t - v t) ("y", n = 2)."""
    panels = int(np.ceil(np.max(v * np.pi + 2 * x) / 10)) + _KV_PANELS
    vc, xc = v[:, None], x[:, None]
    trig = np.sin if (kind == "j") == (n == 1) else np.cos
    sgn = 1.0 if kind == "j" else -1.0

    def f(t):
        return t**n * trig(sgn * (vc * t - xc * np.sin(t)))

    return _gauss_legendre(np.full(v.shape, np.pi), f, panels) / np.pi


def _jy_tails(v, x, n, with_e):
    """A_k = int_0^inf t^k e^(-x sinh t - v t) dt for k = 0..n, and (with_e) E_n = int_0^inf
    t^n e^(v t - x sinh t) dt as (E_n / exp(s), s), v >= 0."""
    vc, xc = v[:, None], x[:, None]
    hi = np.arcsinh(_IV_CUT / x)
    a = [_gauss_legendre(hi, lambda t, k=k: t**k * np.exp(-xc * np.sinh(t) - vc * t),
                         2 * _KV_PANELS) for k in range(n + 1)]
    if not with_e:
        return a, None, None
    # t^n e^(v t - x sinh t) peaks near cosh t = v / x: taken relative to its largest value
    tp = np.maximum(np.arccosh(np.maximum(v / x, 1.0)), np.minimum(1.0, np.sqrt(n / x)))

    def log_f(t, vv, xv):
        return n * np.log(t) + vv * t - xv * np.sinh(t)

    peak = log_f(tp, v, x)
    up = tp + 1.0
    for _ in range(200):
        far = log_f(up, v, x) > peak - _IV_CUT
        if not far.any():
            break
        up = np.where(far, tp + 2 * (up - tp), up)
    edges = up[:, None] * np.linspace(0.0, 1.0, 2 * _KV_PANELS + 1)[None, :]
    lo, top_edge = edges[:, :-1], edges[:, 1:]
    half = (top_edge - lo) / 2
    t = ((lo + half)[..., None] + half[..., None] * _GL_NODES).reshape(len(v), -1)
    w = (half[..., None] * _GL_WEIGHTS).reshape(len(v), -1)
    logs = log_f(t, vc, xc)
    top = np.max(logs, axis=1)
    e = np.sum(w * np.exp(logs - top[:, None]), axis=1)
    return a, e, top


def _jv_dv_series(sc, v, x, n):
    """The power series of d^n J_v / dv^n (v >= 0, n = 1 or 2) and the sum of its |terms| (its
    rounding scale)."""
    lx = np.log(x / 2)
    m = v * lx - sc.gammaln(v + 1)
    t, q, psi, psi1 = np.ones_like(v), (x / 2) ** 2, sc.psi(v + 1), sc.polygamma(1, v + 1)
    s = t * ((lx - psi) if n == 1 else (lx - psi) ** 2 - psi1)
    size = np.abs(s)
    active = np.ones(v.shape, bool)
    for k in range(1, _MAX_ITER):
        t = -t * q / (k * (k + v))
        psi, psi1 = psi + 1 / (k + v), psi1 - 1 / (k + v) ** 2
        term = t * ((lx - psi) if n == 1 else (lx - psi) ** 2 - psi1)
        s, size = s + np.where(active, term, 0.0), size + np.where(active, np.abs(term), 0.0)
        active &= ~((k * (k + v) > q) & (np.abs(term) <= _EPS * 1e-3 * size))
        if not active.any():
            break
        big = size > 1e250
        if big.any():
            t, s, size = (np.where(big, u * 1e-250, u) for u in (t, s, size))
            m = m + np.where(big, 250 * np.log(10.0), 0.0)
    scale = np.exp(m)
    return s * scale, size * scale


def _jy_dv_nonneg(sc, v, x, n, want_y):
    """(d^n J/dv^n, its error estimate, d^n Y/dv^n or None) for v >= 0, x > 0."""
    dj, err = np.zeros(v.shape), np.full(v.shape, np.inf)
    s, c = np.sin(v * np.pi), np.cos(v * np.pi)
    # the integral: where J_v(x) is not exponentially small (or for Y, everywhere)
    use_int = np.ones(v.shape, bool) if want_y else x > 0.5 * v
    a = e = le = None
    if use_int.any():
        vi, xi, si, ci = v[use_int], x[use_int], s[use_int], c[use_int]
        a, e, le = _jy_tails(vi, xi, n, want_y)
        if n == 1:
            tail = -ci * a[0] + si / np.pi * a[1]
        else:
            tail = np.pi * si * a[0] + 2 * ci * a[1] - si / np.pi * a[2]
        dj[use_int] = -_jy_osc(vi, xi, "j", n) + tail
        # measured: below a third of this (the integrands are of size pi^n)
        err[use_int] = _EPS / 4 * (10 + vi + xi) * np.pi ** (n - 1)
    # the series: where x is not far above v (elsewhere its terms are far above the sum)
    use_ser = x < v + 20
    if use_ser.any():
        ds, size = _jv_dv_series(sc, v[use_ser], x[use_ser], n)
        es = _EPS * size
        better = es < err[use_ser]
        dj[use_ser] = np.where(better, ds, dj[use_ser])
        err[use_ser] = np.minimum(es, err[use_ser])
    dy = None
    if want_y:
        big = e * np.exp(le)  # overflows where Y_v(x) itself does
        if n == 1:
            rest = big - c * a[1] - np.pi * s * a[0]
        else:
            rest = big + c * a[2] + 2 * np.pi * s * a[1] - np.pi**2 * c * a[0]
        dy = -_jy_osc(v, x, "y", n) - rest / np.pi
    return dj, err, dy


def _jy_dv_impl(v, x, which, n=1):
    """d^n/dv^n J_v(x) (``which`` "jv") or Y_v(x) ("yv"), n = 1 or 2, for x > 0."""
    sc = _sc()
    v, x = np.broadcast_arrays(np.asarray(v, np.float64), np.asarray(x, np.float64))
    out = np.full(v.shape, np.nan)
    if which == "jv":
        out[(x == 0) & (v > 0)] = 0.0
    ok = (x > 0) & np.isfinite(x) & np.isfinite(v)
    if not ok.any():
        return out
    vv, xx = v[ok], x[ok]
    if np.any(np.abs(vv) + xx > _JY_MAX):
        raise NotImplementedError(
            f"{which}: the derivative with respect to the order v is provided for |v| + x <= "
            f"{_JY_MAX:g}")
    u, neg = np.abs(vv), vv < 0
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        dj, err, dy = _jy_dv_nonneg(sc, u, xx, n, which == "yv" or neg.any())
        if neg.any():
            # J_-u = cos(u pi) J_u - sin(u pi) Y_u, Y_-u = sin(u pi) J_u + cos(u pi) Y_u,
            # differentiated n times in v = -u
            un, xn = u[neg], xx[neg]
            s, c = np.sin(np.pi * un), np.cos(np.pi * un)
            ju, yu, dju, dyu = sc.jv(un, xn), sc.yv(un, xn), dj[neg], dy[neg]
            if n == 1:
                dj[neg] = np.pi * s * ju - c * dju + np.pi * c * yu + s * dyu
                dy[neg] = -np.pi * c * ju - s * dju + np.pi * s * yu - c * dyu
                err[neg] = err[neg] * np.abs(c if which == "jv" else s)
            else:
                j1, e1, y1 = _jy_dv_nonneg(sc, un, xn, 1, True)
                pi2 = np.pi**2
                dj[neg] = (-pi2 * c * ju - 2 * np.pi * s * j1 + c * dju + pi2 * s * yu
                           - 2 * np.pi * c * y1 - s * dyu)
                dy[neg] = (-pi2 * s * ju + 2 * np.pi * c * j1 + s * dju - pi2 * c * yu
                           - 2 * np.pi * s * y1 + c * dyu)
                err[neg] = (err[neg] * np.abs(c if which == "jv" else s)
                            + e1 * 2 * np.pi * np.abs(s if which == "jv" else c))
        d = dj if which == "jv" else dy
        if which == "jv" or neg.any():
            f = sc.jv if which == "jv" else sc.yv
            size = np.abs(d) + np.abs(f(vv, xx)) + np.abs(f(vv + 1, xx))
            bad = ~(err <= _JY_TOL * size)
            if which == "yv":
                bad &= neg
            if bad.any():
                k = np.argmax(bad)
                raise NotImplementedError(
                    f"{which}: the derivative with respect to the order v is not provided at "
                    f"v = {vv[k]:g}, x = {xx[k]:g}: J_v(x) is exponentially small there (x < "
                    f"|v|), beyond what the series and the integral give to {_JY_TOL:g}")
    out[ok] = d
    return out


JY_DV = elementwise("jy_dv", _jy_dv_impl, save=(0, 1), nin=2, d=(
    _order_next(lambda which: which, lambda: JY_DV),
    # d/dx of d^n/dv^n J_v = d^n/dv^n of (J_{v-1} - J_{v+1}) / 2 (Y_v alike)
    lambda g, v, x, which, n: _half(g, apply(JY_DV, (v - 1, x), (which, n)),
                                    -apply(JY_DV, (v + 1, x), (which, n))),
))


# --- incomplete gamma -----------------------------------------------------------------------
# Derivatives of any order n <= _MAX_SHAPE_ORDER in the shape: the series and continued
# fractions are evaluated on truncated Taylor series in the shape ("jets": lists of Taylor
# coefficients [f, f', f''/2, ...], one array each), which differentiates them term by term to
# every order at once.
_MAX_SHAPE_ORDER = 4


def _jmul(p, q):
    return [sum(p[i] * q[k - i] for i in range(k + 1)) for k in range(len(p))]


def _jdiv(p, q):
    r = []
    for k in range(len(p)):
        s = p[k]
        for i in range(k):
            s = s - r[i] * q[k - i]
        r.append(s / q[0])
    return r


def _jexp(lj):
    e = [np.exp(lj[0])]
    for k in range(1, len(lj)):
        e.append(sum(j * lj[j] * e[k - j] for j in range(1, k + 1)) / k)
    return e


def _jlin(c0, c1, order):
    """The jet of c0 + c1 * (a - a0)."""
    return [c0, c1 * np.ones_like(c0)] + [np.zeros_like(c0)] * (order - 1)


def _neg_gammaln_jet(sc, a, order):
    """The jet of -log Gamma at a."""
    return [-sc.gammaln(a)] + [-sc.polygamma(k - 1, a) / math.factorial(k)
                               for k in range(1, order + 1)]


def _check_shape_order(fn, arg, n):
    if not 1 <= n <= _MAX_SHAPE_ORDER:
        raise NotImplementedError(
            f"{fn}: the derivative of order {n} with respect to {arg} is not provided; "
            f"orders 1 to {_MAX_SHAPE_ORDER} in {arg} (and every order in x) are")


def _gammainc_da_impl(a, x, n):
    """d^n/da^n P(a, x), to near machine precision (see the module docstring)."""
    _check_shape_order("gammainc", "a", n)
    sc = _sc()
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.full(a.shape, np.nan)
    valid = (a > 0) & (x >= 0) & ~np.isnan(x)
    out[valid & ((x == 0) | np.isinf(x))] = 0.0
    inner = valid & (x > 0) & np.isfinite(x)
    series = inner & ((x <= 1) | (x <= a))
    cf = inner & ~series
    scale = math.factorial(n)
    if series.any():
        out[series] = _igam_series_jet(sc, a[series], x[series], n)[n] * scale
    if cf.any():
        out[cf] = -_igamc_cf_jet(sc, a[cf], x[cf], n)[n] * scale
    return out


def _igam_series_jet(sc, a, x, order):
    # P = x^a e^-x / Gamma(a + 1) * S, S = sum_n c_n, c_0 = 1, c_n = c_{n-1} x / (a + n). The
    # jets of c_n alternate in sign coefficient by coefficient: no cancellation in S's jet.
    c = _jlin(np.ones_like(a), 0.0, order)
    s = list(c)
    r = a.copy()
    active = np.ones(a.shape, bool)
    for _ in range(_MAX_ITER):
        r = r + 1
        f = [x / r]  # the jet of x / (r + da)
        for _k in range(order):
            f.append(-f[-1] / r)
        c = _jmul(c, f)
        # Converged entries stop changing (the terms keep shrinking but are no longer added).
        s = [sk + np.where(active, ck, 0.0) for sk, ck in zip(s, c)]
        done = active.copy()
        for sk, ck in zip(s, c):
            done &= np.abs(ck) <= _EPS * np.abs(sk)
        active &= ~done
        if not active.any():
            break
    front = _neg_gammaln_jet(sc, a + 1, order)
    front[0] = front[0] + a * np.log(x) - x
    front[1] = front[1] + np.log(x)
    return _jmul(_jexp(front), s)


def _igamc_cf_jet(sc, a, x, order):
    # Q = a x^a e^-x / Gamma(a + 1) * (continued fraction) (Cephes igamc), the convergents p/q
    # carried through the three-term recurrence as jets in a (dy/da = dz/da = -1).
    big, biginv = 2.0**53, 2.0**-53
    y = 1 - a
    z = x + y + 1
    c = 0.0
    pkm2, qkm2 = _jlin(np.ones_like(a), 0.0, order), _jlin(x.copy(), 0.0, order)
    pkm1, qkm1 = _jlin(x + 1, 0.0, order), _jlin(z * x, -x, order)
    ans = _jdiv(pkm1, qkm1)
    active = np.ones(a.shape, bool)
    for _ in range(_MAX_ITER):
        c = c + 1
        y = y + 1
        z = z + 2
        zj, ycj = _jlin(z, -1.0, order), _jlin(y * c, -c, order)
        pk = [u - w for u, w in zip(_jmul(pkm1, zj), _jmul(pkm2, ycj))]
        qk = [u - w for u, w in zip(_jmul(qkm1, zj), _jmul(qkm2, ycj))]
        ok = qk[0] != 0
        r = [np.where(ok, t, old) for t, old in
             zip(_jdiv(pk, [np.where(ok, q, 1.0) for q in qk]), ans)]
        done = active.copy()
        for rk, old in zip(r, ans):
            done &= np.abs(old - rk) <= _EPS * (np.abs(rk) + np.abs(r[0]))
        ans = [np.where(active, rk, old) for rk, old in zip(r, ans)]
        active &= ~done
        scale = np.where(np.abs(pk[0]) > big, biginv, 1.0)
        pkm2, pkm1 = [t * scale for t in pkm1], [t * scale for t in pk]
        qkm2, qkm1 = [t * scale for t in qkm1], [t * scale for t in qk]
        if not active.any():
            break
    # a / Gamma(a + 1) rather than 1 / Gamma(a): no cancellation near a = 0
    front = _neg_gammaln_jet(sc, a + 1, order)
    front[0] = front[0] + a * np.log(x) - x
    front[1] = front[1] + np.log(x)
    return _jmul(_jmul(_jexp(front), _jlin(a, 1.0, order)), ans)


def _bell(gs):
    """The complete Bell polynomial of g1..gn (chainrule operations): the n-th derivative of
    exp(g) is exp(g) times it, with gs[k - 1] the k-th derivative of g."""
    b = [1.0]
    for m in range(len(gs)):
        b.append(sum(math.comb(m, k) * b[m - k] * gs[k] for k in range(m + 1)))
    return b[-1]


def _gammainc_dx(a, x, n=0):
    """d^n/da^n of d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)."""
    dens = exp(xlogy(a - 1, x) - x - gammaln(a))
    if n == 0:
        return dens
    gs = [log(x) - digamma(a)] + [-polygamma(k, a) for k in range(1, n)]
    return dens * _bell(gs)


GAMMAINC = elementwise("gammainc", _kernel("gammainc"), save=(0, 1), d=(
    lambda v, a, x: v * gammainc_da(a, x),
    lambda v, a, x: v * _gammainc_dx(a, x),
))
GAMMAINCC = elementwise("gammaincc", _kernel("gammaincc"), save=(0, 1), d=(
    lambda v, a, x: -(v * gammainc_da(a, x)),
    lambda v, a, x: -(v * _gammainc_dx(a, x)),
))


def _gammainc_da_next(v, a, x, n):
    _check_shape_order("gammainc", "a", n + 1)
    return v * apply(GAMMAINC_DA, (a, x), (n + 1,))


GAMMAINC_DA = elementwise("gammainc_da", _gammainc_da_impl, save=(0, 1), nin=2, d=(
    _gammainc_da_next,
    lambda v, a, x, n: v * _gammainc_dx(a, x, n),
))


# --- incomplete beta ------------------------------------------------------------------------
# Derivatives of order (i, j) in (a, b), i + j <= _MAX_SHAPE_ORDER: the continued fraction on
# jets in two variables (arrays c[p, q] of the Taylor coefficients of da^p db^q, truncated to
# p <= i, q <= j, which products and quotients respect).
def _bjmul(p, q):
    r = np.zeros(np.broadcast_shapes(p.shape, q.shape))
    ni, nj = r.shape[:2]
    for i in range(ni):
        for j in range(nj):
            r[i:, j:] += p[i, j] * q[:ni - i, :nj - j]
    return r


def _bjdiv(p, q):
    r = np.zeros(np.broadcast_shapes(p.shape, q.shape))
    ni, nj = r.shape[:2]
    for i in range(ni):
        for j in range(nj):
            s = p[i, j]
            for k in range(i + 1):
                for m in range(j + 1):
                    if k or m:
                        s = s - q[k, m] * r[i - k, j - m]
            r[i, j] = s / q[0, 0]
    return r


def _bjexp(g):
    e = np.zeros(g.shape)
    e[0, 0] = np.exp(g[0, 0])
    ni, nj = g.shape[:2]
    for i in range(ni):
        for j in range(nj):
            if i:  # i e[i, j] = sum_{p >= 1, q} p g[p, q] e[i - p, j - q]
                e[i, j] = sum(p * g[p, q] * e[i - p, j - q] for p in range(1, i + 1)
                              for q in range(j + 1)) / i
            elif j:
                e[0, j] = sum(q * g[0, q] * e[0, j - q] for q in range(1, j + 1)) / j
    return e


def _bjlin(c0, ca, cb, ni, nj):
    """The jet of c0 + ca * da + cb * db."""
    r = np.zeros((ni, nj) + np.shape(c0))
    r[0, 0] = c0
    if ni > 1:
        r[1, 0] = ca
    if nj > 1:
        r[0, 1] = cb
    return r


def _betainc_d_impl(a, b, x, i, j):
    """d^(i+j)/da^i db^j I_x(a, b), to near machine precision (see the module docstring)."""
    _check_shape_order("betainc", "a and b", i + j)
    sc = _sc()
    a, b, x = np.broadcast_arrays(*(np.asarray(t, np.float64) for t in (a, b, x)))
    out = np.full(a.shape, np.nan)
    valid = (a > 0) & (b > 0) & (x >= 0) & (x <= 1)
    edge = valid & ((x == 0) | (x == 1))
    out[edge] = 0.0
    inner = valid & ~edge
    # The fraction converges fast for x < (a + 1) / (a + b + 2); beyond, use the symmetry.
    direct = inner & (x * (a + b + 2) < a + 1)
    flipped = inner & ~direct
    scale = math.factorial(i) * math.factorial(j)
    if direct.any():
        out[direct] = _betainc_cf_jet(sc, a[direct], b[direct], x[direct], i + 1, j + 1)[i, j]
    if flipped.any():
        # I_x(a, b) = 1 - I_{1-x}(b, a)
        jet = _betainc_cf_jet(sc, b[flipped], a[flipped], 1 - x[flipped], j + 1, i + 1)
        out[flipped] = -jet[j, i]
    return out * scale


def _betainc_cf_jet(sc, a, b, x, ni, nj):
    # I = front * K, front = x^a (1-x)^b / (a B(a, b)), K = 1/(1 + d1/(1 + d2/(1 + ...))):
    # the convergents A_n / B_n by the forward recurrence X_n = X_{n-1} + d_n X_{n-2}, on jets.
    def lin(c0, ca, cb):
        return _bjlin(c0, ca, cb, ni, nj)

    one, zero = np.ones_like(a), np.zeros_like(a)
    # A_0 = 0, A_1 = 1, B_0 = B_1 = 1 (the first step, a_1 = b_1 = 1)
    am2, am1, bm2, bm1 = lin(zero, 0, 0), lin(one, 0, 0), lin(one, 0, 0), lin(one, 0, 0)
    k = _bjdiv(am1, bm1)
    active = np.ones(a.shape, bool)
    for n in range(1, 2 * _MAX_ITER):
        m = n // 2
        if n % 2:  # d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
            num = _bjmul(lin(-(a + m) * x, -x, 0), lin(a + b + m, 1, 1))
            den = _bjmul(lin(a + 2 * m, 1, 0), lin(a + 2 * m + 1, 1, 0))
        else:  # d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m))
            num = lin(m * (b - m) * x, 0, m * x)
            den = _bjmul(lin(a + 2 * m - 1, 1, 0), lin(a + 2 * m, 1, 0))
        d = _bjdiv(num, den)
        an, bn = am1 + _bjmul(d, am2), bm1 + _bjmul(d, bm2)
        am2, am1, bm2, bm1 = am1, an, bm1, bn
        kn = _bjdiv(an, bn)
        # A derivative may be exactly 0 (I_x(a, 1) = x^a has dK/da = 0): its change is measured
        # against |K| too, the size of the other terms it is added to.
        done = np.all(np.abs(kn - k) <= _EPS * (np.abs(kn) + np.abs(kn[0, 0])), axis=(0, 1))
        # Converged entries keep their value (later convergents only add rounding).
        k = np.where(active, kn, k)
        if n > 2:
            active &= ~done
            if not active.any():
                break
        # Renormalise so that B_n = 1: the convergents neither overflow nor underflow.
        s = 1 / np.where(bn[0, 0] == 0, 1.0, np.abs(bn[0, 0]))
        am2, am1, bm2, bm1 = am2 * s, am1 * s, bm2 * s, bm1 * s
    # log front = a log x + b log1p(-x) - log Gamma(a + 1) - log Gamma(b + 1)
    #             + log Gamma(a + b) + log b; exp(log b) = b is put in as the jet b + db (no
    # cancellation near b = 0), betaln for the value (no cancellation at large a and b).
    g = np.zeros((ni, nj) + a.shape)
    g[0, 0] = (a * np.log(x) + b * np.log1p(-x) - sc.betaln(a, b) - np.log(a) - np.log(b))
    if ni > 1:
        g[1, 0] += np.log(x)
    if nj > 1:
        g[0, 1] += np.log1p(-x)
    for p in range(ni):
        for q in range(nj):
            if p + q:
                g[p, q] += sc.polygamma(p + q - 1, a + b) / (math.factorial(p)
                                                              * math.factorial(q))
                if q == 0:
                    g[p, q] -= sc.polygamma(p - 1, a + 1) / math.factorial(p)
                if p == 0:
                    g[p, q] -= sc.polygamma(q - 1, b + 1) / math.factorial(q)
    return _bjmul(_bjmul(_bjexp(g), lin(b, 0, 1)), k)


def _betainc_dx(a, b, x, i=0, j=0):
    """d^(i+j)/da^i db^j of d/dx I_x(a, b) = x^(a-1) (1-x)^(b-1) / B(a, b)."""
    dens = exp(xlogy(a - 1, x) + xlog1py(b - 1, -x) - betaln(a, b))
    if i + j == 0:
        return dens
    # derivatives of g = log dens: g_(p, q) = d^(p+q) g / da^p db^q
    ab = a + b

    def g(p, q):
        r = polygamma(p + q - 1, ab) if p + q > 1 else digamma(ab)
        if q == 0:
            r = r - (polygamma(p - 1, a) if p > 1 else digamma(a) - log(x))
        if p == 0:
            r = r - (polygamma(q - 1, b) if q > 1 else digamma(b) - log1p(-x))
        return r

    # y[(p, q)]: d^(p+q)/da^p db^q exp(g) = exp(g) y[(p, q)]
    y = {(0, 0): 1.0}
    for p in range(i + 1):
        for q in range(j + 1):
            if p:
                y[p, q] = sum(math.comb(p - 1, s) * math.comb(q, t) * g(s + 1, t)
                              * y[p - 1 - s, q - t] for s in range(p) for t in range(q + 1))
            elif q:
                y[0, q] = sum(math.comb(q - 1, t) * g(0, t + 1) * y[0, q - 1 - t]
                              for t in range(q))
    return dens * y[i, j]


def _betainc_d_next(di, dj):
    def rule(v, a, b, x, i, j):
        _check_shape_order("betainc", "a and b", i + j + 1)
        return v * apply(BETAINC_D, (a, b, x), (i + di, j + dj))
    return rule


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
BETAINC_D = elementwise("betainc_d", _betainc_d_impl, save=(0, 1, 2), nin=3, d=(
    _betainc_d_next(1, 0),
    _betainc_d_next(0, 1),
    lambda v, a, b, x, i, j: v * _betainc_dx(a, b, x, i, j),
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
         I1, I1E, ZETA, JV, YV, IV, KV, IVE, KVE, KV_DV, IV_DV, JY_DV,
         GAMMAINC, GAMMAINCC, GAMMAINC_DA,
         BETAINC, BETAINCC, BETAINC_D, STDTR)

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
_IN_ORDER = "differentiable in x, and in the order v to the second order (x > 0)."
jv = binary_op(JV, "Bessel function of the first kind J_v(x); " + _IN_ORDER)
yv = binary_op(YV, "Bessel function of the second kind Y_v(x); " + _IN_ORDER)
iv = binary_op(IV, "Modified Bessel function of the first kind I_v(x); " + _IN_ORDER)
kv = binary_op(KV, "Modified Bessel function of the second kind K_v(x); " + _IN_ORDER)
ive = binary_op(IVE, "exp(-|x|) iv(v, x); " + _IN_ORDER)
kve = binary_op(KVE, "exp(x) kv(v, x); " + _IN_ORDER)
gammainc = binary_op(GAMMAINC, "The regularised lower incomplete gamma P(a, x); "
                     "differentiable in x and a.")
gammaincc = binary_op(GAMMAINCC, "The regularised upper incomplete gamma Q(a, x); "
                      "differentiable in x and a.")
stdtr = binary_op(STDTR, "Student's t distribution function; differentiable in df and t.")


def zeta(x, q=None):
    """The Hurwitz zeta function sum_k (k + q)^-x (Riemann's when ``q`` is None, SciPy's
    signature). Differentiable in q; the derivative in x is not provided (an error if asked)."""
    if q is None:
        return apply(ZETA, (x, 1.0), (True,))
    return apply(ZETA, (x, q), (False,))


def gammainc_da(a, x, n=1):
    """d^n/da^n gammainc(a, x) (n from 1 to 4); differentiable in x, and in a up to the total
    order 4."""
    return apply(GAMMAINC_DA, (a, x), (n,))


def betainc(a, b, x):
    """The regularised incomplete beta function I_x(a, b); differentiable in a, b and x."""
    return apply(BETAINC, (a, b, x))


def betaincc(a, b, x):
    """1 - I_x(a, b), accurate where I_x is near 1; differentiable in a, b and x."""
    return apply(BETAINCC, (a, b, x))


def betainc_da(a, b, x):
    """d/da betainc(a, b, x); differentiable in x, and in a and b up to the total order 4."""
    return apply(BETAINC_D, (a, b, x), (1, 0))


def betainc_db(a, b, x):
    """d/db betainc(a, b, x); differentiable in x, and in a and b up to the total order 4."""
    return apply(BETAINC_D, (a, b, x), (0, 1))
