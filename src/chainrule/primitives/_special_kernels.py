"""The numerical kernels behind the special functions' derivatives that have no closed form
(the table, with the rules that use them, is ``special.py``). Raw NumPy arrays in and out, to
near machine precision:

- ``gammainc_da``: d^n/da^n of gammainc in the shape ``a`` (orders 1 to 4): the power series
  of P(a, x) (for x <= max(1, a)) or the continued fraction of Q(a, x) (elsewhere), evaluated on
  truncated Taylor series in ``a``, which differentiates them term by term to every order at
  once (the first order is Moore's, 1982, Applied Statistics AS 187);
- ``betainc_d``: betainc in ``a`` and ``b`` (every (i, j) with i + j from 1 to 4): the continued
  fraction of I_x(a, b) on Taylor series in two variables (the first order is Boik and
  Robinson-Cox's, 1998), on the side of the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where it
  converges fast;
- ``kv_dv``: kv/kve in the order ``v`` (orders 1 and 2): the integrals of t sinh(v t) and
  t^2 cosh(v t) times exp(-x cosh t), by quadrature;
- ``iv_dv``: iv/ive in the order (1 and 2): the power series differentiated term by term, or
  Schlafli's integral near v = 0 and at large x; ``jy_dv``: jv/yv in the order (1 and 2):
  Schlafli's integrals, or for ``jv`` where v > x the power series (near v = x for large v
  neither is accurate, and the derivative raises there).

Three tools serve them all: composite Gauss-Legendre quadrature (``_gl_points``, with
``_log_scaled_integral`` for integrands taken relative to their peak), the power series in the
order of I_v and J_v (``_order_series``, one loop for both), and jets (truncated Taylor
series) in one or two variables.
"""

from __future__ import annotations

import math

import numpy as np

# Convergence: a relative change of a few ulps (a last-bit jitter from rounding can persist).
_EPS = 4 * np.finfo(np.float64).eps
_MAX_ITER = 20000  # series and continued fractions: about sqrt(a) terms at large a
MAX_SHAPE_ORDER = 4  # derivatives in the shape parameters of gammainc and betainc

_scipy_special = None


def scipy_special():
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


def check_shape_order(fn, arg, n):
    if not 1 <= n <= MAX_SHAPE_ORDER:
        raise NotImplementedError(
            f"{fn}: the derivative of order {n} with respect to {arg} is not provided; "
            f"orders 1 to {MAX_SHAPE_ORDER} in {arg} (and every order in x) are")


# --- composite Gauss-Legendre quadrature ---------------------------------------------------
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)
_PANELS = 8


def _gl_points(hi, panels):
    """Nodes and weights of composite Gauss-Legendre quadrature on [0, hi], one upper limit per
    entry of ``hi``: two arrays (len(hi), panels * 48)."""
    edges = hi[:, None] * np.linspace(0.0, 1.0, panels + 1)[None, :]
    lo, up = edges[:, :-1], edges[:, 1:]
    half = (up - lo) / 2
    t = ((lo + half)[..., None] + half[..., None] * _GL_NODES).reshape(len(hi), -1)
    w = (half[..., None] * _GL_WEIGHTS).reshape(len(hi), -1)
    return t, w


def _gauss_legendre(hi, f, panels=_PANELS):
    """The integral of f on [0, hi] (one upper limit per entry); f(t), t (n, nodes)."""
    t, w = _gl_points(hi, panels)
    return np.sum(w * f(t), axis=1)


def _log_scaled_integral(log_f, params, t_peak, upper, cut, panels):
    """The integral of exp(log_f(t, *params)) on [0, inf), for integrands of one sign with one
    peak, as (integral * exp(-top), top): taken relative to its largest value at the nodes, the
    integrand neither underflows nor overflows. ``upper`` (a first guess) moves away from
    ``t_peak`` (a point near the peak) until the integrand there has fallen by exp(-cut)."""
    peak = log_f(t_peak, *params)
    for _ in range(200):
        far = log_f(upper, *params) > peak - cut
        if not far.any():
            break
        upper = np.where(far, t_peak + 2 * (upper - t_peak), upper)
    t, w = _gl_points(upper, panels)
    logs = log_f(t, *(p[:, None] for p in params))
    top = np.max(logs, axis=1)
    return np.sum(w * np.exp(logs - top[:, None]), axis=1), top


# --- K_v in the order ------------------------------------------------------------------------
# d/dv K_v(x) = integral_0^inf t sinh(v t) exp(-x cosh t) dt and d2/dv2 K_v(x) = integral_0^inf
# t^2 cosh(v t) exp(-x cosh t) dt: integrands of one sign (for v > 0; odd and even in v), so
# Gauss-Legendre quadrature on [0, T] reaches near machine precision. The integrand is taken
# relative to its largest value, so that neither exp(-x cosh t) underflows at large x nor
# sinh(v t) overflows at large v.
def kv_dv(v, x, scaled, n=1):
    """d^n/dv^n K_v(x) (exp(x) times it when ``scaled``), n = 1 or 2, for x > 0."""
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
    step = np.maximum(tpk, 1.0 / np.sqrt(xx + av))
    integral, top = _log_scaled_integral(log_f, (av, xx), tpk, tpk + step, 60, _PANELS)
    log_scale = top + (xx if scaled else 0.0)
    out[ok] = (np.sign(v[ok]) if n == 1 else 1.0) * integral * np.exp(log_scale)
    return out


# --- I_v, J_v and Y_v in the order -----------------------------------------------------------
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


def _order_series(sc, v, x, n, kind):
    """The power series of exp(-x) d^n/dv^n I_v(x) (``kind`` "i", see above) or of
    d^n/dv^n J_v(x) ("j": the same terms with alternating signs), v >= 0, n = 1 or 2, as
    (sum, size, m): the sum, and the sum of its |terms| (its rounding scale; for I_v it counts
    the first t_k too, so that convergence is also measured against I_v's own size), both
    relative to exp(m). The terms are kept relative to a running scale: no underflow at large
    x, no overflow at large terms."""
    i = kind == "i"
    lx = np.log(x / 2)
    m = v * lx - sc.gammaln(v + 1) - (x if i else 0.0)
    t, q, psi, psi1 = np.ones_like(v), (x / 2) ** 2, sc.psi(v + 1), sc.polygamma(1, v + 1)
    s = t * ((lx - psi) if n == 1 else (lx - psi) ** 2 - psi1)
    size = np.abs(s) + t if i else np.abs(s)
    sign = 1.0 if i else -1.0
    active = np.ones(v.shape, bool)
    for k in range(1, _MAX_ITER):
        t = sign * t * q / (k * (k + v))
        psi, psi1 = psi + 1 / (k + v), psi1 - 1 / (k + v) ** 2
        term = t * ((lx - psi) if n == 1 else (lx - psi) ** 2 - psi1)
        s, size = s + np.where(active, term, 0.0), size + np.where(active, np.abs(term), 0.0)
        # past the largest term, stop once the terms no longer change the sum
        active &= ~((k * (k + v) > q) & (np.abs(term) <= _EPS * 1e-3 * size))
        if not active.any():
            break
        big = np.abs(t) > 1e250
        if big.any():
            t, s, size = (np.where(big, u * 1e-250, u) for u in (t, s, size))
            m = m + np.where(big, 250 * np.log(10.0), 0.0)
    return s, size, m


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
        d, _, m = _order_series(sc, v[series], x[series], n, "i")
        out[series] = d * np.exp(m)
    return out


def iv_dv(v, x, scaled, n=1):
    """d^n/dv^n I_v(x) (exp(-x) times it when ``scaled``), n = 1 or 2, for x > 0; 0 at x = 0
    for v > 0."""
    sc = scipy_special()
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
            k0, k1 = sc.kv(un, xn), kv_dv(un, xn, False)
            if n == 1:
                k = -(2 * c * k0 + 2 / np.pi * s * k1)
                d[neg] = -d[neg] + (k * np.exp(-xn) if scaled else k)
            else:
                k = 2 / np.pi * (-np.pi**2 * s * k0 + 2 * np.pi * c * k1
                                 + s * kv_dv(un, xn, False, 2))
                d[neg] = d[neg] + (k * np.exp(-xn) if scaled else k)
    out[ok] = d
    return out


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
    panels = int(np.ceil(np.max(v * np.pi + 2 * x) / 10)) + _PANELS
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
                         2 * _PANELS) for k in range(n + 1)]
    if not with_e:
        return a, None, None
    # t^n e^(v t - x sinh t) peaks near cosh t = v / x: taken relative to its largest value
    tp = np.maximum(np.arccosh(np.maximum(v / x, 1.0)), np.minimum(1.0, np.sqrt(n / x)))

    def log_f(t, vv, xv):
        return n * np.log(t) + vv * t - xv * np.sinh(t)

    e, top = _log_scaled_integral(log_f, (v, x), tp, tp + 1.0, _IV_CUT, 2 * _PANELS)
    return a, e, top


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
        ds, size, m = _order_series(sc, v[use_ser], x[use_ser], n, "j")
        scale = np.exp(m)
        ds, es = ds * scale, _EPS * (size * scale)
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


def jy_dv(v, x, which, n=1):
    """d^n/dv^n J_v(x) (``which`` "jv") or Y_v(x) ("yv"), n = 1 or 2, for x > 0."""
    sc = scipy_special()
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


# --- incomplete gamma -----------------------------------------------------------------------
# Derivatives of any order n <= MAX_SHAPE_ORDER in the shape: the series and continued
# fractions are evaluated on truncated Taylor series in the shape ("jets": lists of Taylor
# coefficients [f, f', f''/2, ...], one array each), which differentiates them term by term to
# every order at once.
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


def gammainc_da(a, x, n):
    """d^n/da^n P(a, x), to near machine precision (see the module docstring)."""
    check_shape_order("gammainc", "a", n)
    sc = scipy_special()
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


# --- incomplete beta ------------------------------------------------------------------------
# Derivatives of order (i, j) in (a, b), i + j <= MAX_SHAPE_ORDER: the continued fraction on
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


def betainc_d(a, b, x, i, j):
    """d^(i+j)/da^i db^j I_x(a, b), to near machine precision (see the module docstring)."""
    check_shape_order("betainc", "a and b", i + j)
    sc = scipy_special()
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

