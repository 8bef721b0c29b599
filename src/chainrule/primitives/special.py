"""Special functions (SciPy's ``scipy.special``), differentiable in every argument where the
derivative exists: the table.

The kernels are SciPy's, imported when first called: ``import chainrule`` works without SciPy,
and calling one of these functions without it raises an ImportError that says what to install.
Each entry states its derivative once (``_core.elementwise``), written with chainrule's
operations (digamma's is ``polygamma(1, x)``, itself a primitive with a derivative), so
derivatives of any order work. The functions of several arguments are declared ``real``: their
SciPy kernels, or their derivatives in the order of a Bessel function, are for real data.

Derivatives with no closed form (gammainc and betainc in their shape parameters, Bessel
functions in their order) are primitives here too (``GAMMAINC_DA``, ``BETAINC_D``, ``KV_DV``,
``IV_DV``, ``JY_DV``) whose kernels, series, continued fractions and quadratures computed to
near machine precision, are in ``_special_kernels.py``; their derivative in x is closed form.
What is not provided (a derivative of order above 4 in the shape parameters, of order 3 in a
Bessel order, the exponent ``x`` of ``zeta``, the integer ``n`` of ``polygamma``) raises
``NotImplementedError`` naming the function and the argument when a gradient reaches it: never
a silent zero.
"""

from __future__ import annotations

import math

import numpy as np

from . import _special_kernels as K
from ._core import (
    ANS,
    apply,
    binary_op,
    data_of,
    elementwise,
    is_concrete,
    one_over,
    register,
    unary_op,
)
from .elementwise import (
    abs,
    equal,
    exp,
    less_equal,
    log,
    log1p,
    logical_and,
    sigmoid,
    sign,
    where,
)

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


def _kernel(name):
    def kernel(*args):
        return getattr(K.scipy_special(), name)(*args)

    kernel.__name__ = name
    return kernel


def not_provided(fn: str, arg: str, what: str = "derivative", hint: str = ""):
    """A partial derivative that raises: it is not provided (never a silent zero)."""
    msg = f"{fn}: the {what} with respect to {arg} is not provided"
    if hint:
        msg += f"; {hint}"

    def partial(*saved):
        raise NotImplementedError(msg)

    partial.__name__ = f"{fn}_no_{what.replace(' ', '_')}"
    return partial


# --- the gamma family -----------------------------------------------------------------------
GAMMA = elementwise("gamma", _kernel("gamma"), save=(0, ANS),
                    partial=lambda x, ans: ans * digamma(x))
GAMMALN = elementwise("gammaln", _kernel("gammaln"), save=(0,), partial=lambda x: digamma(x))
LOGGAMMA = elementwise("loggamma", _kernel("loggamma"), save=(0,),
                       partial=lambda x: digamma(x))
DIGAMMA = elementwise("digamma", _kernel("psi"), save=(0,), partial=lambda x: polygamma(1, x))
POLYGAMMA = elementwise("polygamma", _kernel("polygamma"), save=(0, 1), real=True, partial=(
    not_provided("polygamma", "the order n", hint="n is an integer"),
    lambda n, x: polygamma(np.add(data_of(n), 1), x),
))
BETA = elementwise("beta", _kernel("beta"), save=(0, 1, ANS), real=True, partial=(
    lambda a, b, ans: ans * (digamma(a) - digamma(a + b)),
    lambda a, b, ans: ans * (digamma(b) - digamma(a + b)),
))
BETALN = elementwise("betaln", _kernel("betaln"), save=(0, 1), real=True, partial=(
    lambda a, b: digamma(a) - digamma(a + b),
    lambda a, b: digamma(b) - digamma(a + b),
))

# --- error function and the normal distribution -------------------------------------------------
ERFC = elementwise("erfc", _kernel("erfc"), save=(0,),
                   partial=lambda x: -(exp(-(x * x)) * _TWO_OVER_SQRT_PI))
ERFINV = elementwise("erfinv", _kernel("erfinv"), save=(ANS,),
                     partial=lambda ans: exp(ans * ans) * _SQRT_PI_2)
ERFCINV = elementwise("erfcinv", _kernel("erfcinv"), save=(ANS,),
                      partial=lambda ans: -(exp(ans * ans) * _SQRT_PI_2))
ERFCX = elementwise("erfcx", _kernel("erfcx"), save=(0, ANS),
                    partial=lambda x, ans: x * ans * 2 - _TWO_OVER_SQRT_PI)
NDTR = elementwise("ndtr", _kernel("ndtr"), save=(0,),
                   partial=lambda x: exp(x * x * -0.5) * _INV_SQRT_2PI)
# exp(-x^2/2 - log_ndtr(x)): no underflow in the left tail, where both terms are large.
LOG_NDTR = elementwise("log_ndtr", _kernel("log_ndtr"), save=(0, ANS),
                       partial=lambda x, ans: exp(x * x * -0.5 - ans) * _INV_SQRT_2PI)
NDTRI = elementwise("ndtri", _kernel("ndtri"), save=(ANS,),
                    partial=lambda ans: exp(ans * ans * 0.5) * _SQRT_2PI)
LOGIT = elementwise("logit", _kernel("logit"), save=(0,), partial=one_over(lambda x: x * (1 - x)))
LOG_EXPIT = elementwise("log_expit", _kernel("log_expit"), save=(0,),
                        partial=lambda x: sigmoid(-x))


# --- information theory -------------------------------------------------------------------------
def _dx_xlog(x, y, log_fn, edge):
    """d/dx x log(y) = log(y), except where x == 0 and y is outside the domain (y <= edge):
    there xlogy is 0 for all y and so is its derivative in x (PyTorch's convention)."""
    if is_concrete(x) and is_concrete(y):  # the values are known: skip the masks if unused
        off = (data_of(x) == 0) & (data_of(y) <= edge)
        if not off.any():
            return log_fn(y)
    else:  # traced by compile: the masked formula, right for all values
        off = logical_and(equal(x, 0), less_equal(y, edge))
    return where(off, 0.0, log_fn(where(off, edge + 1.0, y)))


XLOGY = elementwise("xlogy", _kernel("xlogy"), save=(0, 1), real=True, partial=(
    lambda x, y: _dx_xlog(x, y, log, 0.0),
    lambda x, y: x / y,
))
XLOG1PY = elementwise("xlog1py", _kernel("xlog1py"), save=(0, 1), real=True, partial=(
    lambda x, y: _dx_xlog(x, y, log1p, -1.0),
    lambda x, y: x / (y + 1),
))
ENTR = elementwise("entr", _kernel("entr"), save=(0,), partial=lambda x: -(log(x) + 1))
REL_ENTR = elementwise("rel_entr", _kernel("rel_entr"), save=(0, 1), real=True, partial=(
    lambda x, y: log(x) - log(y) + 1,
    lambda x, y: -(x / y),
))
KL_DIV = elementwise("kl_div", _kernel("kl_div"), save=(0, 1), real=True, partial=(
    lambda x, y: log(x) - log(y),
    lambda x, y: 1 - x / y,
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


I0 = elementwise("i0", _kernel("i0"), save=(0,), partial=lambda x: i1(x))
I0E = elementwise("i0e", _kernel("i0e"), save=(0, ANS),
                  partial=lambda x, ans: i1e(x) - sign(x) * ans)
I1 = elementwise("i1", _kernel("i1"), save=(0,),
                 partial=lambda x: i0(x) - _i1_over_x(x, False))
I1E = elementwise("i1e", _kernel("i1e"), save=(0, ANS),
                  partial=lambda x, ans: i0e(x) - sign(x) * ans - _i1_over_x(x, True))


# --- Hurwitz zeta ---------------------------------------------------------------------------
def _zeta_impl(x, q, riemann):
    return K.scipy_special().zeta(x) if riemann else K.scipy_special().zeta(x, q)


ZETA = elementwise("zeta", _zeta_impl, save=(0, 1), nin=2, real=True, partial=(
    not_provided("zeta", "x (the exponent)"),
    lambda x, q, riemann: -(x * zeta(x + 1, q)),
))


# --- Bessel functions: in x by the recurrences, in the order v by the kernels ------------------
def _half(a, b):
    return (a + b) * 0.5


JV = elementwise("jv", _kernel("jv"), save=(0, 1), real=True, partial=(
    lambda v, x: apply(JY_DV, (v, x), ("jv", 1)),
    lambda v, x: _half(jv(v - 1, x), -jv(v + 1, x)),
))
YV = elementwise("yv", _kernel("yv"), save=(0, 1), real=True, partial=(
    lambda v, x: apply(JY_DV, (v, x), ("yv", 1)),
    lambda v, x: _half(yv(v - 1, x), -yv(v + 1, x)),
))
IV = elementwise("iv", _kernel("iv"), save=(0, 1), real=True, partial=(
    lambda v, x: apply(IV_DV, (v, x), (False, 1)),
    lambda v, x: _half(iv(v - 1, x), iv(v + 1, x)),
))
KV = elementwise("kv", _kernel("kv"), save=(0, 1), real=True, partial=(
    lambda v, x: apply(KV_DV, (v, x), (False, 1)),
    lambda v, x: -_half(kv(v - 1, x), kv(v + 1, x)),
))
# ive = iv * exp(-|x|), kve = kv * exp(x).
IVE = elementwise("ive", _kernel("ive"), save=(0, 1, ANS), real=True, partial=(
    lambda v, x, ans: apply(IV_DV, (v, x), (True, 1)),
    lambda v, x, ans: _half(ive(v - 1, x), ive(v + 1, x)) - sign(x) * ans,
))
KVE = elementwise("kve", _kernel("kve"), save=(0, 1, ANS), real=True, partial=(
    lambda v, x, ans: apply(KV_DV, (v, x), (True, 1)),
    lambda v, x, ans: ans - _half(kve(v - 1, x), kve(v + 1, x)),
))


def _order_next(fn, prim):
    """The partial derivative in the order v of a primitive holding d^n/dv^n (n <= 2)."""
    def partial(v, x, *params):
        *head, n = params
        if n >= 2:
            raise NotImplementedError(
                f"{fn(*head)}: the derivative of order {n + 1} with respect to the order v is "
                f"not provided; orders 1 and 2 in v (mixed with x to any order) are")
        return apply(prim(), (v, x), (*head, n + 1))
    return partial


# The derivatives in the order: d^n/dv^n, n = 1 or 2 (a parameter), differentiable once more in
# v and to any order in x (d/dx of d^n/dv^n F_v is d^n/dv^n of F_v's recurrence in x).
KV_DV = elementwise("kv_dv", K.kv_dv, save=(0, 1), nin=2, real=True, partial=(
    _order_next(lambda scaled: "kve" if scaled else "kv", lambda: KV_DV),
    # kve carries exp(x) as well
    lambda v, x, scaled, n: (
        apply(KV_DV, (v, x), (True, n))
        - _half(apply(KV_DV, (v - 1, x), (True, n)), apply(KV_DV, (v + 1, x), (True, n)))
        if scaled else
        -_half(apply(KV_DV, (v - 1, x), (False, n)), apply(KV_DV, (v + 1, x), (False, n)))),
))
IV_DV = elementwise("iv_dv", K.iv_dv, save=(0, 1), nin=2, real=True, partial=(
    _order_next(lambda scaled: "ive" if scaled else "iv", lambda: IV_DV),
    # ive carries exp(-|x|) as well
    lambda v, x, scaled, n: (
        _half(apply(IV_DV, (v - 1, x), (True, n)), apply(IV_DV, (v + 1, x), (True, n)))
        - sign(x) * apply(IV_DV, (v, x), (True, n))
        if scaled else
        _half(apply(IV_DV, (v - 1, x), (False, n)), apply(IV_DV, (v + 1, x), (False, n)))),
))
JY_DV = elementwise("jy_dv", K.jy_dv, save=(0, 1), nin=2, real=True, partial=(
    _order_next(lambda which: which, lambda: JY_DV),
    lambda v, x, which, n: _half(apply(JY_DV, (v - 1, x), (which, n)),
                                 -apply(JY_DV, (v + 1, x), (which, n))),
))


# --- incomplete gamma -----------------------------------------------------------------------
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


GAMMAINC = elementwise("gammainc", _kernel("gammainc"), save=(0, 1), real=True, partial=(
    lambda a, x: gammainc_da(a, x),
    lambda a, x: _gammainc_dx(a, x),
))
GAMMAINCC = elementwise("gammaincc", _kernel("gammaincc"), save=(0, 1), real=True, partial=(
    lambda a, x: -gammainc_da(a, x),
    lambda a, x: -_gammainc_dx(a, x),
))


def _gammainc_da_next(a, x, n):
    K.check_shape_order("gammainc", "a", n + 1)
    return apply(GAMMAINC_DA, (a, x), (n + 1,))


# d^n/da^n P(a, x), n from 1 to 4 (a parameter)
GAMMAINC_DA = elementwise("gammainc_da", K.gammainc_da, save=(0, 1), nin=2, real=True, partial=(
    _gammainc_da_next,
    lambda a, x, n: _gammainc_dx(a, x, n),
))


# --- incomplete beta ------------------------------------------------------------------------
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
    def partial(a, b, x, i, j):
        K.check_shape_order("betainc", "a and b", i + j + 1)
        return apply(BETAINC_D, (a, b, x), (i + di, j + dj))
    return partial


BETAINC = elementwise("betainc", _kernel("betainc"), save=(0, 1, 2), real=True, partial=(
    lambda a, b, x: betainc_da(a, b, x),
    lambda a, b, x: betainc_db(a, b, x),
    lambda a, b, x: _betainc_dx(a, b, x),
))
BETAINCC = elementwise("betaincc", _kernel("betaincc"), save=(0, 1, 2), real=True, partial=(
    lambda a, b, x: -betainc_da(a, b, x),
    lambda a, b, x: -betainc_db(a, b, x),
    lambda a, b, x: -_betainc_dx(a, b, x),
))
# d^(i+j)/da^i db^j I_x(a, b), i + j from 1 to 4 (parameters)
BETAINC_D = elementwise("betainc_d", K.betainc_d, save=(0, 1, 2), nin=3, real=True, partial=(
    _betainc_d_next(1, 0),
    _betainc_d_next(0, 1),
    lambda a, b, x, i, j: _betainc_dx(a, b, x, i, j),
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


STDTR = elementwise("stdtr", _kernel("stdtr"), save=(0, 1), real=True,
                    partial=(_stdtr_ddf, _stdtr_dt))

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
