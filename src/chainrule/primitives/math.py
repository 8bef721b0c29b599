"""NumPy's remaining math ufuncs: inverse trigonometric and hyperbolic functions, exponentials
and logarithms in other bases, two-argument functions (hypot, arctan2, logaddexp, fmod, fmax,
...), and the piecewise-constant ones whose derivative is zero.

Each entry states its derivative once, as in ``elementwise.py`` (``partial``: per input, the
partial derivative, holomorphic where the function has a complex form; ``d``: a rule that is
its own adjoint). The core ufuncs (exp, log, sin, ...) live there; this module only adds the
rest.

Conventions at kinks and ties (docs/semantics.md): fmax/fmin give a tie to the first input
(PyTorch); arctan2 and hypot have derivative 0 at the origin; sinc'(0) = 0, with its higher
derivatives at 0 exact; copysign has derivative 0 where x1 is 0; heaviside, rint, fix and
spacing have derivative 0 in x1 (heaviside's x2 gets the gradient where x1 == 0).
"""

from __future__ import annotations

import numpy as np

from ._core import (
    ANS,
    Primitive,
    apply,
    binary_op,
    data_of,
    elementwise,
    is_concrete,
    nondifferentiable,
    one_over,
    register,
    tensor_types,
    unary_op,
)
from .elementwise import (
    POW,
    abs,
    astype,
    cos,
    exp,
    greater_equal,
    isfinite,
    isnan,
    less_equal,
    logical_or,
    sign,
    sqrt,
    trunc,
    where,
    zeros_like,
)

__all__ = [
    "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "exp2",
    "log2", "log10", "logaddexp", "logaddexp2", "hypot", "arctan2", "sinc", "fmod", "fmax",
    "fmin", "square", "reciprocal", "cbrt", "deg2rad", "rad2deg", "radians", "degrees",
    "copysign", "nan_to_num", "float_power", "positive", "fabs", "heaviside", "rint", "fix",
    "signbit", "spacing", "ldexp", "frexp", "modf",
]

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))
_DEG = float(np.pi / 180.0)
_PI = float(np.pi)


def _zero(v, *saved):
    return zeros_like(v)


# --- sinc: (cos(pi x) - sinc(x)) / x, with its Taylor series near 0 -----------------------
# The closed form cancels near 0 (relative error eps / x^2); the series (odd powers up to x^9)
# is exact to double precision for |pi x| < 0.03 and gives every derivative at 0 up to the
# ninth exactly, where a `where(x == 0, 0, ...)` would make sinc''(0) = 0 instead of -pi^2/3.
_SINC_SMALL = 0.01
_SINC_SERIES = tuple(
    (-1) ** k * _PI ** (2 * k) * 2 * k / float(np.prod(np.arange(1, 2 * k + 2, dtype=float)))
    for k in range(1, 6)
)


def _dsinc(x):
    small = abs(x) < _SINC_SMALL
    xs = where(small, 1.0, x)  # keeps the unused branch finite (and its gradient too)
    closed = (cos(xs * _PI) - sinc(xs)) / xs
    x2 = x * x
    series = _SINC_SERIES[-1]
    for c in reversed(_SINC_SERIES[:-1]):
        series = series * x2 + c
    return where(small, series * x, closed)


def _hypot_part(x, ans):
    """x / hypot(x, y), and 0 at the origin (as abs'(0) = 0; torch.hypot gives nan)."""
    zero = ans == 0
    return where(zero, 0.0, x / where(zero, 1.0, ans))


def _atan2_part(y, x, num):
    """num / (x^2 + y^2), and 0 at the origin (PyTorch's value there)."""
    r2 = x * x + y * y
    zero = r2 == 0
    return where(zero, 0.0, num / where(zero, 1.0, r2))


def _first_wins(x, y, cmp):
    # x is picked where it wins or ties, or where y is nan (fmax/fmin ignore nan). A mask, so
    # computed on the values (NumPy) when they are known, with the comparison primitives (which
    # a trace records) when compile traces the rule.
    if is_concrete(x) and is_concrete(y):
        x, y = data_of(x), data_of(y)
        return (cmp(x, y) | (x == y)) | (y != y)
    op = greater_equal if cmp is np.greater else less_equal
    return logical_or(op(x, y), isnan(y))


# --- the table ---------------------------------------------------------------------------
# `partial`: the derivative per input (holomorphic where the function has a complex form); the
# builder writes both rules from it (_core.elementwise). NumPy has no complex loop for the
# functions of two inputs here (fmax and fmin order numbers): they are declared real.
ARCSIN = elementwise("arcsin", np.arcsin, save=(0,),
                     partial=one_over(lambda x: sqrt(1 - x * x)))
ARCCOS = elementwise("arccos", np.arccos, save=(0,),
                     partial=one_over(lambda x: -sqrt(1 - x * x)))
ARCTAN = elementwise("arctan", np.arctan, save=(0,), partial=one_over(lambda x: x * x + 1))
SINH = elementwise("sinh", np.sinh, save=(0,), partial=lambda x: cosh(x))
COSH = elementwise("cosh", np.cosh, save=(0,), partial=lambda x: sinh(x))
ARCSINH = elementwise("arcsinh", np.arcsinh, save=(0,),
                      partial=one_over(lambda x: sqrt(x * x + 1)))
# sqrt(x - 1) * sqrt(x + 1) rather than sqrt(x^2 - 1): no overflow for huge x, right branch
# for complex x.
ARCCOSH = elementwise("arccosh", np.arccosh, save=(0,),
                      partial=one_over(lambda x: sqrt(x - 1) * sqrt(x + 1)))
ARCTANH = elementwise("arctanh", np.arctanh, save=(0,), partial=one_over(lambda x: 1 - x * x))
EXP2 = elementwise("exp2", np.exp2, save=(ANS,), partial=lambda ans: ans * _LN2)
LOG2 = elementwise("log2", np.log2, save=(0,), partial=one_over(lambda x: x * _LN2))
LOG10 = elementwise("log10", np.log10, save=(0,), partial=one_over(lambda x: x * _LN10))
LOGADDEXP = elementwise("logaddexp", np.logaddexp, save=(0, 1, ANS), real=True, partial=(
    lambda x, y, ans: exp(x - ans),
    lambda x, y, ans: exp(y - ans),
))
LOGADDEXP2 = elementwise("logaddexp2", np.logaddexp2, save=(0, 1, ANS), real=True, partial=(
    lambda x, y, ans: exp2(x - ans),
    lambda x, y, ans: exp2(y - ans),
))
HYPOT = elementwise("hypot", np.hypot, save=(0, 1, ANS), real=True, partial=(
    lambda x, y, ans: _hypot_part(x, ans),
    lambda x, y, ans: _hypot_part(y, ans),
))
ARCTAN2 = elementwise("arctan2", np.arctan2, save=(0, 1), real=True, partial=(
    lambda y, x: _atan2_part(y, x, x),
    lambda y, x: _atan2_part(y, x, -y),
))
SINC = elementwise("sinc", np.sinc, save=(0,), partial=lambda x: _dsinc(x))
FMOD = elementwise("fmod", np.fmod, save=(0, 1), real=True,
                   partial=(1, lambda x, y: -trunc(x / y)))
FMAX = elementwise("fmax", np.fmax, save=(0, 1), real="complex numbers have no order", d=(
    lambda v, x, y: where(_first_wins(x, y, np.greater), v, 0.0),
    lambda v, x, y: where(_first_wins(x, y, np.greater), 0.0, v),
))
FMIN = elementwise("fmin", np.fmin, save=(0, 1), real="complex numbers have no order", d=(
    lambda v, x, y: where(_first_wins(x, y, np.less), v, 0.0),
    lambda v, x, y: where(_first_wins(x, y, np.less), 0.0, v),
))
SQUARE = elementwise("square", np.square, save=(0,), partial=lambda x: x * 2)
RECIPROCAL = elementwise("reciprocal", np.reciprocal, save=(ANS,),
                         partial=lambda ans: -(ans * ans))
CBRT = elementwise("cbrt", np.cbrt, save=(ANS,), partial=one_over(lambda ans: ans * ans * 3))
DEG2RAD = elementwise("deg2rad", np.deg2rad, partial=_DEG)
RAD2DEG = elementwise("rad2deg", np.rad2deg, partial=1.0 / _DEG)
# d/dx1 copysign(x1, x2) = +-1 (whether the sign flipped), 0 where x1 is 0 (PyTorch).
COPYSIGN = elementwise("copysign", np.copysign, save=(0, ANS), real=True, d=(
    lambda v, x, ans: v * (sign(x) * sign(ans)),
    _zero,
))


def _nan_to_num_impl(x, nan, posinf, neginf):
    return np.nan_to_num(x, copy=True, nan=nan, posinf=posinf, neginf=neginf)


# The gradient passes where x is finite; replaced entries are constants.
NAN_TO_NUM = elementwise("nan_to_num", _nan_to_num_impl, save=(0,),
                         d=lambda v, x, nan, posinf, neginf: where(isfinite(x), v, 0.0))
POSITIVE = elementwise("positive", np.positive, partial=1)
# heaviside(x1, x2) is x2 where x1 == 0: that is where x2 gets the gradient.
HEAVISIDE = elementwise("heaviside", np.heaviside, save=(0,), real=True, d=(
    _zero,
    lambda v, x1: where(x1 == 0, v, 0.0),
))
RINT = elementwise("rint", np.rint, d=_zero)
FIX = elementwise("fix", np.fix, d=_zero)
SPACING = elementwise("spacing", np.spacing, d=_zero)
# float_power is pow computed in float64: the same rules (the public function casts first).
FLOAT_POWER = Primitive("float_power", np.float_power, nin=2, save=POW.save, vjp=POW.vjp,
                        jvp=POW.jvp, elementwise=True)
# ldexp(x1, x2) = x1 * 2**x2 with integer x2 (no derivative there).
LDEXP = elementwise("ldexp", np.ldexp, save=(1,), real=True, d=(lambda v, e: ldexp(v, e), None))
SIGNBIT = nondifferentiable("signbit", np.signbit, 1)
# modf's fractional part: derivative 1 (its jumps at the integers are ignored, as for x % 1).
MODF_FRAC = elementwise("modf_frac", lambda x: np.modf(x)[0], partial=1)

register(ARCSIN, ARCCOS, ARCTAN, SINH, COSH, ARCSINH, ARCCOSH, ARCTANH, EXP2, LOG2, LOG10,
         LOGADDEXP, LOGADDEXP2, HYPOT, ARCTAN2, SINC, FMOD, FMAX, FMIN, SQUARE, RECIPROCAL, CBRT,
         DEG2RAD, RAD2DEG, COPYSIGN, NAN_TO_NUM, POSITIVE, HEAVISIDE, RINT, FIX, SPACING, LDEXP,
         SIGNBIT, MODF_FRAC, FLOAT_POWER)

# --- public functions ---------------------------------------------------------------------
arcsin = unary_op(ARCSIN, "Inverse sine, elementwise.")
arccos = unary_op(ARCCOS, "Inverse cosine, elementwise.")
arctan = unary_op(ARCTAN, "Inverse tangent, elementwise.")
sinh = unary_op(SINH, "Hyperbolic sine, elementwise.")
cosh = unary_op(COSH, "Hyperbolic cosine, elementwise.")
arcsinh = unary_op(ARCSINH, "Inverse hyperbolic sine, elementwise.")
arccosh = unary_op(ARCCOSH, "Inverse hyperbolic cosine, elementwise.")
arctanh = unary_op(ARCTANH, "Inverse hyperbolic tangent, elementwise.")
exp2 = unary_op(EXP2, "2 ** x, elementwise.")
log2 = unary_op(LOG2, "Base-2 logarithm, elementwise.")
log10 = unary_op(LOG10, "Base-10 logarithm, elementwise.")
logaddexp = binary_op(LOGADDEXP, "log(exp(x1) + exp(x2)) without overflow.")
logaddexp2 = binary_op(LOGADDEXP2, "log2(2**x1 + 2**x2) without overflow.")
hypot = binary_op(HYPOT, "sqrt(x1**2 + x2**2) without overflow; derivative 0 at the origin.")
arctan2 = binary_op(ARCTAN2, "The angle of the point (x2, x1); derivative 0 at the origin.")
sinc = unary_op(SINC, "sin(pi x) / (pi x), 1 at 0 (NumPy's normalised sinc).")
fmod = binary_op(FMOD, "C's remainder (the sign of the dividend); d/dx2 = -trunc(x1 / x2).")
fmax = binary_op(FMAX, "Elementwise maximum ignoring nan; a tie gives the gradient to x1.")
fmin = binary_op(FMIN, "Elementwise minimum ignoring nan; a tie gives the gradient to x1.")
square = unary_op(SQUARE, "x * x, elementwise.")
reciprocal = unary_op(RECIPROCAL, "1 / x, elementwise.")
cbrt = unary_op(CBRT, "Real cube root, elementwise.")
deg2rad = radians = unary_op(DEG2RAD, "Degrees to radians.")
rad2deg = degrees = unary_op(RAD2DEG, "Radians to degrees.")
copysign = binary_op(COPYSIGN, "|x1| with the sign of x2; no gradient to x2.")
positive = unary_op(POSITIVE, "+x (a copy).")
fabs = abs
heaviside = binary_op(HEAVISIDE, "0 for x1 < 0, x2 for x1 == 0, 1 for x1 > 0.")
rint = unary_op(RINT, "Round to the nearest integer; derivative 0.")
fix = unary_op(FIX, "Round towards zero; derivative 0.")
spacing = unary_op(SPACING, "Distance to the next float; derivative 0.")
ldexp = binary_op(LDEXP, "x1 * 2**x2 for integer x2; differentiable in x1.")
signbit = unary_op(SIGNBIT, "Whether the sign bit is set; not differentiable (bool result).")


def nan_to_num(x, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None):
    """Replace nan and infinities by numbers (NumPy's signature). The gradient passes where x
    is finite and is 0 at the replaced entries. ``copy=False`` is accepted; a new array is
    returned all the same."""
    return apply(NAN_TO_NUM, (x,), (nan, posinf, neginf))


def float_power(x1, x2):
    """``x1 ** x2`` computed in float64 (complex128 for complex inputs), as NumPy."""
    d1, d2 = np.asarray(data_of(x1)), np.asarray(data_of(x2))
    kind = np.complex128 if "c" in (d1.dtype.kind, d2.dtype.kind) else np.float64
    return apply(FLOAT_POWER, (astype(x1, kind), astype(x2, kind)))


def frexp(x):
    """``(mantissa, exponent)`` with ``x = mantissa * 2**exponent``; the mantissa is
    differentiable (d/dx = 2**-exponent), the integer exponent is a constant."""
    _, e = np.frexp(data_of(x))
    m = ldexp(x, np.negative(e))
    return m, (type(x)._constant(e) if type(x) in tensor_types else e)


def modf(x):
    """``(fractional part, integral part)``, both with the sign of x; the fractional part has
    derivative 1, the integral part 0."""
    return apply(MODF_FRAC, (x,)), trunc(x)

