"""Elementwise primitives, as a table of partial derivatives.

Each entry gives, per input, ``rule(v, *saved)``: ``v`` times that input's partial derivative.
The same rule serves reverse mode (v is the cotangent; the engine then sums it back to the
input's shape under broadcasting) and forward mode (v is the tangent).

Conventions at kinks and ties follow PyTorch (docs/semantics.md): relu'(0) = 0, abs'(0) = 0,
maximum/minimum split the gradient evenly between tied inputs, clip passes the gradient on the
closed interval [min, max].
"""

from __future__ import annotations

import numpy as np

from .. import _backend
from ._core import (
    ANS,
    Primitive,
    apply,
    binary_op,
    dtype_of,
    elementwise,
    nondifferentiable,
    register,
    tensor_types,
    unary_op,
)

_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)


def _zero(v, *saved):
    return zeros_like(v)


def _sigmoid(x):
    # exp(-log(1 + exp(-x))): no overflow for any x, full relative precision in both tails.
    return np.exp(-np.logaddexp(0, -x))


# --- binary arithmetic -------------------------------------------------------------------
ADD = elementwise("add", np.add, d=(lambda v: v, lambda v: v))
SUB = elementwise("sub", np.subtract, d=(lambda v: v, lambda v: -v))
MUL = elementwise("mul", np.multiply, save=(0, 1), d=(lambda v, x, y: v * y,
                                                      lambda v, x, y: x * v))
DIV = elementwise("div", np.true_divide, save=(1, ANS), d=(lambda v, y, ans: v / y,
                                                           lambda v, y, ans: -(v * ans) / y))
POW = elementwise("pow", np.power, save=(0, 1, ANS), d=(
    # y * x ** (y - 1), with d/dx x ** 0 = 0 at x = 0 too (PyTorch's convention), not 0 * inf.
    lambda v, x, y, ans: v * y * x ** where(logical_and(x == 0, y == 0), 1, y - 1),
    # 0 ** y contributes nothing to the exponent's gradient (PyTorch's convention), not nan.
    lambda v, x, y, ans: v * ans * log(where(x == 0, 1, x)),
))
MAXIMUM = elementwise("maximum", np.maximum, save=(0, 1), d=(
    lambda v, x, y: where(x == y, v * 0.5, where(x > y, v, 0)),
    lambda v, x, y: where(x == y, v * 0.5, where(x < y, v, 0)),
))
MINIMUM = elementwise("minimum", np.minimum, save=(0, 1), d=(
    lambda v, x, y: where(x == y, v * 0.5, where(x < y, v, 0)),
    lambda v, x, y: where(x == y, v * 0.5, where(x > y, v, 0)),
))
REMAINDER = elementwise("remainder", np.remainder, save=(0, 1), d=(
    lambda v, x, y: v,
    lambda v, x, y: -(v * floor(x / y)),
))
FLOOR_DIVIDE = elementwise("floor_divide", np.floor_divide, d=(_zero, _zero))
WHERE = elementwise("where", np.where, save=(0,), d=(
    None,
    lambda v, c: where(c, v, 0),
    lambda v, c: where(c, 0, v),
))

# --- unary ----------------------------------------------------------------------------------
NEG = elementwise("neg", np.negative, d=lambda v: -v)
EXP = elementwise("exp", np.exp, save=(ANS,), d=lambda v, ans: v * ans)
EXPM1 = elementwise("expm1", np.expm1, save=(ANS,), d=lambda v, ans: v * (ans + 1))
LOG = elementwise("log", np.log, save=(0,), d=lambda v, x: v / x)
LOG1P = elementwise("log1p", np.log1p, save=(0,), d=lambda v, x: v / (x + 1))
SQRT = elementwise("sqrt", np.sqrt, save=(ANS,), d=lambda v, ans: v / (ans * 2))
SIN = elementwise("sin", np.sin, save=(0,), d=lambda v, x: v * cos(x))
COS = elementwise("cos", np.cos, save=(0,), d=lambda v, x: -(v * sin(x)))
TAN = elementwise("tan", np.tan, save=(ANS,), d=lambda v, ans: v * (ans * ans + 1))
TANH = elementwise("tanh", np.tanh, save=(ANS,), d=lambda v, ans: v * (1 - ans * ans))
SIGMOID = elementwise("sigmoid", _sigmoid, save=(ANS,), d=lambda v, ans: v * (ans * (1 - ans)))
# A product with the bool mask: three times faster than `where` in NumPy.
RELU = elementwise("relu", lambda x: np.maximum(x, 0), save=(ANS,),
                   d=lambda v, ans: v * (ans > 0))
ERF = elementwise("erf", _backend.erf, save=(0,),
                  d=lambda v, x: v * (exp(-(x * x)) * _TWO_OVER_SQRT_PI))
ABS = elementwise("abs", np.abs, save=(0,), d=lambda v, x: v * sign(x))
SIGN = elementwise("sign", np.sign, d=_zero)
FLOOR = elementwise("floor", np.floor, d=_zero)
CEIL = elementwise("ceil", np.ceil, d=_zero)
ROUND = elementwise("round", np.round, d=_zero)
TRUNC = elementwise("trunc", np.trunc, d=_zero)


def _clip_impl(x, lo, hi):
    return np.clip(x, lo, hi)


def _clip_mask(x, lo, hi):
    if lo is None:
        return x <= hi
    if hi is None:
        return x >= lo
    return (x >= lo) & (x <= hi)


CLIP = elementwise("clip", _clip_impl, save=(0,), nin=1,
                   d=lambda v, x, lo, hi: where(_clip_mask(x, lo, hi), v, 0))

# Casting: the gradient is cast back to the input's dtype.
CAST = Primitive("cast", lambda x, dtype: x.astype(dtype), save=(dtype_of(0),),
                 vjp=lambda g, in_dtype, dtype: astype(g, in_dtype),
                 jvp=lambda t, in_dtype, dtype: astype(t, dtype))

# --- no derivative: comparisons and logic return bool arrays --------------------------------
EQ = nondifferentiable("eq", np.equal, 2)
NE = nondifferentiable("ne", np.not_equal, 2)
LT = nondifferentiable("lt", np.less, 2)
LE = nondifferentiable("le", np.less_equal, 2)
GT = nondifferentiable("gt", np.greater, 2)
GE = nondifferentiable("ge", np.greater_equal, 2)
LOGICAL_AND = nondifferentiable("logical_and", np.logical_and, 2)
LOGICAL_OR = nondifferentiable("logical_or", np.logical_or, 2)
LOGICAL_XOR = nondifferentiable("logical_xor", np.logical_xor, 2)
LOGICAL_NOT = nondifferentiable("logical_not", np.logical_not, 1)
ISNAN = nondifferentiable("isnan", np.isnan, 1)
ISINF = nondifferentiable("isinf", np.isinf, 1)
ISFINITE = nondifferentiable("isfinite", np.isfinite, 1)
BITWISE_AND = nondifferentiable("bitwise_and", np.bitwise_and, 2)
BITWISE_OR = nondifferentiable("bitwise_or", np.bitwise_or, 2)
BITWISE_XOR = nondifferentiable("bitwise_xor", np.bitwise_xor, 2)
INVERT = nondifferentiable("invert", np.invert, 1)

register(ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, REMAINDER, FLOOR_DIVIDE, WHERE, NEG, EXP,
         EXPM1, LOG, LOG1P, SQRT, SIN, COS, TAN, TANH, SIGMOID, RELU, ERF, ABS, SIGN, FLOOR, CEIL,
         ROUND, TRUNC, CLIP, CAST, EQ, NE, LT, LE, GT, GE, LOGICAL_AND, LOGICAL_OR, LOGICAL_XOR,
         LOGICAL_NOT, ISNAN, ISINF, ISFINITE, BITWISE_AND, BITWISE_OR, BITWISE_XOR, INVERT)

# --- public functions -------------------------------------------------------------------------
add = binary_op(ADD)
sub = subtract = binary_op(SUB)
mul = multiply = binary_op(MUL)
div = true_divide = divide = binary_op(DIV)
pow = power = binary_op(POW)  # noqa: A001 - torch.pow
maximum = binary_op(MAXIMUM)
minimum = binary_op(MINIMUM)
remainder = binary_op(REMAINDER)
floor_divide = binary_op(FLOOR_DIVIDE)
neg = negative = unary_op(NEG)
exp = unary_op(EXP)
expm1 = unary_op(EXPM1)
log = unary_op(LOG)
log1p = unary_op(LOG1P)
sqrt = unary_op(SQRT)
sin = unary_op(SIN)
cos = unary_op(COS)
tan = unary_op(TAN)
tanh = unary_op(TANH)
sigmoid = unary_op(SIGMOID, "Logistic sigmoid 1 / (1 + exp(-x)), stable for any x.")
relu = unary_op(RELU, "max(x, 0); its derivative at 0 is taken as 0.")
erf = unary_op(ERF, "The error function 2/sqrt(pi) * integral of exp(-t^2) from 0 to x.")
abs = absolute = unary_op(ABS, "|x|; its derivative at 0 is taken as 0.")  # noqa: A001
sign = unary_op(SIGN, "Sign of x; its derivative is zero everywhere.")
floor = unary_op(FLOOR)
ceil = unary_op(CEIL)
round = unary_op(ROUND)  # noqa: A001
trunc = unary_op(TRUNC)
eq = equal = binary_op(EQ, "x == y, elementwise; not differentiable (bool result).")
ne = not_equal = binary_op(NE, "x != y, elementwise; not differentiable (bool result).")
lt = less = binary_op(LT, "x < y, elementwise; not differentiable (bool result).")
le = less_equal = binary_op(LE, "x <= y, elementwise; not differentiable (bool result).")
gt = greater = binary_op(GT, "x > y, elementwise; not differentiable (bool result).")
ge = greater_equal = binary_op(GE, "x >= y, elementwise; not differentiable (bool result).")
logical_and = binary_op(LOGICAL_AND)
logical_or = binary_op(LOGICAL_OR)
logical_xor = binary_op(LOGICAL_XOR)
logical_not = unary_op(LOGICAL_NOT)
isnan = unary_op(ISNAN)
isinf = unary_op(ISINF)
isfinite = unary_op(ISFINITE)
bitwise_and = binary_op(BITWISE_AND)
bitwise_or = binary_op(BITWISE_OR)
bitwise_xor = binary_op(BITWISE_XOR)
invert = bitwise_not = unary_op(INVERT)


def where(condition, x, y):
    """``x`` where ``condition`` holds, else ``y`` (NumPy broadcasting); differentiable in x, y."""
    return apply(WHERE, (condition, x, y))


def clip(x, min=None, max=None):  # noqa: A002 - NumPy's and PyTorch's keyword names
    """Limit ``x`` to [min, max]. The gradient passes where min <= x <= max (inclusive).

    Bounds may be numbers, arrays, or tensors; tensor bounds are differentiable too.
    """
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    if type(min) in tensor_types or type(max) in tensor_types:
        # Tensor bounds: x keeps the gradient on the closed interval (a tie goes to x, not
        # split as maximum/minimum would); a bound gets it where it is the result. As in
        # PyTorch, max wins where min > max.
        y = x if min is None else where(x < min, min, x)
        return y if max is None else where(y > max, max, y)
    return apply(CLIP, (x,), (min, max))


clamp = clip


def zeros_like(x):
    """Zeros shaped and typed like ``x``; a constant (carries no gradient)."""
    if type(x) in tensor_types:
        return type(x)._constant(np.zeros_like(x._data))
    return np.zeros_like(x)


def astype(x, dtype):
    """``x`` converted to ``dtype``; differentiable between floating dtypes (the gradient is
    cast back). Converting to an integer or bool dtype gives a constant."""
    dtype = np.dtype(dtype)
    if type(x) in tensor_types:
        if x._data.dtype == dtype:
            return x
        if dtype.kind not in "fc":
            return type(x)._constant(x._data.astype(dtype))
        return apply(CAST, (x,), (dtype,))
    x = np.asarray(x)
    return x if x.dtype == dtype else x.astype(dtype)
