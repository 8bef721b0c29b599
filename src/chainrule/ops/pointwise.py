"""PyTorch-spelled pointwise operations: arithmetic overloads (``add(alpha=)``,
``div(rounding_mode=)``, ``round(decimals=)``), math and special functions under torch's names,
comparisons, bitwise and logical operations (see chainrule/ops/__init__.py).

Each is a composition of primitives (elementwise.py, math.py, special.py), so each derivative
stays written once. dtype promotion is NumPy's (docs/semantics.md), except that functions whose
result is real-valued in torch for integer input (``reciprocal``, ``rsqrt``, ``div``) compute in
float64 rather than integer arithmetic.
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple

import numpy as np

from .. import composite as C
from ..primitives import complex as CX
from ..primitives import elementwise as E
from ..primitives import math as M
from ..primitives import shape as S
from ..primitives import special as SP
from ..primitives._core import data_of, is_concrete, tensor_types, values_of

__all__ = [
    # arithmetic
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
    "floor_divide", "remainder", "fmod", "pow", "float_power", "round", "rsqrt", "reciprocal",
    "square", "neg", "negative", "positive", "sgn", "frac", "trunc", "fix", "exp2", "logit",
    "xlogy", "lerp", "addcmul", "addcdiv", "ldexp", "nextafter", "frexp", "gcd", "lcm",
    # math and special functions
    "lgamma", "digamma", "polygamma", "erfinv", "erfc", "i0", "sinc", "mvlgamma", "igamma",
    "igammac", "atan2", "arctan2", "hypot", "copysign", "logaddexp", "logaddexp2", "log2",
    "log10", "heaviside", "deg2rad", "rad2deg", "asin", "acos", "atan", "arcsin", "arccos",
    "arctan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh",
    "softmax", "log_softmax", "real", "imag", "angle", "conj", "conj_physical", "resolve_conj",
    "resolve_neg", "complex", "polar", "view_as_real", "view_as_complex",
    # clamping
    "clamp", "clip", "clamp_min", "clamp_max", "nan_to_num",
    # bitwise, logical, predicates, comparisons
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift", "signbit", "isposinf", "isneginf", "isreal", "is_nonzero", "isclose",
    "allclose", "equal", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
    "less_equal", "not_equal", "maximum", "minimum", "fmax", "fmin",
]


def _const(arr, *like):
    """``arr`` as a constant: a tensor when any of ``like`` is one (torch returns tensors)."""
    for x in like:
        if type(x) in tensor_types:
            return type(x)._constant(np.asarray(arr))
    return np.asarray(arr)


def _floating(x):
    """``x`` cast to float64 when it holds integers or bools (torch computes these in a
    floating dtype, where NumPy's ufunc would use integer arithmetic)."""
    d = data_of(x)
    if np.asarray(d).dtype.kind in "biu":
        return E.astype(x, np.float64)
    return x


def _scaled(v, alpha):
    """``v * alpha``; Python numbers stay Python numbers (weak in NumPy's promotion)."""
    if alpha == 1:
        return v
    if isinstance(v, (int, float, builtins.complex)):
        return v * alpha
    return E.mul(v, alpha)


def _is_int(x) -> bool:
    return np.asarray(data_of(x)).dtype.kind in "biu"


# --- arithmetic --------------------------------------------------------------------------------
def add(input, other, *, alpha=1):  # noqa: A002 - PyTorch's argument names
    """``input + alpha * other``."""
    return E.add(input, _scaled(other, alpha))


def sub(input, other, *, alpha=1):  # noqa: A002
    """``input - alpha * other``."""
    return E.sub(input, _scaled(other, alpha))


subtract = sub


def rsub(input, other, *, alpha=1):  # noqa: A002
    """``other - alpha * input`` (sub with the operands swapped)."""
    return E.sub(other, _scaled(input, alpha))


mul = multiply = E.mul
true_divide = E.div
floor_divide = E.floor_divide
remainder = E.remainder
fmod = M.fmod
pow = E.pow  # noqa: A001 - torch.pow
float_power = M.float_power


def _trunc_int_div(a, b):
    q = np.floor_divide(a, b)
    # floor and trunc differ where the remainder is not 0 and the signs differ
    return q + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))


def div(input, other, *, rounding_mode: str | None = None):  # noqa: A002
    """``input / other``; ``rounding_mode="trunc"`` rounds the quotient towards zero and
    ``"floor"`` down (both with derivative 0, as in torch). Integer operands give a float64
    quotient without a rounding mode and an integer one with it."""
    if rounding_mode is None:
        return E.div(_floating(input), other) if _is_int(input) and _is_int(other) else \
            E.div(input, other)
    if rounding_mode == "floor":
        return E.floor_divide(input, other)
    if rounding_mode == "trunc":
        if _is_int(input) and _is_int(other):
            a, b = values_of(input, "div"), values_of(other, "div")
            if np.any(b == 0):
                raise ZeroDivisionError("div: integer division by zero (rounding_mode='trunc')")
            return _const(_trunc_int_div(a, b), input, other)
        return E.trunc(E.div(input, other))
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                     f"{rounding_mode!r}")


divide = div


def round(input, *, decimals: int = 0):  # noqa: A001, A002
    """Round half to even, to ``decimals`` decimal places (negative: to tens, hundreds, ...);
    derivative 0. As torch, ``x * 10**decimals`` is rounded and divided back."""
    if decimals == 0:
        return E.round(input)
    if _is_int(input):
        raise TypeError(f"round: decimals={decimals} is only supported for floating point "
                        f"tensors, got dtype {np.asarray(data_of(input)).dtype}")
    if decimals > 0:
        s = 10.0 ** decimals
        return E.div(E.round(E.mul(input, s)), s)
    s = 10.0 ** -decimals
    return E.mul(E.round(E.div(input, s)), s)


def rsqrt(input):  # noqa: A002
    """``1 / sqrt(input)``."""
    return M.reciprocal(E.sqrt(_floating(input)))


def reciprocal(input):  # noqa: A002
    """``1 / input`` (in float64 for integer input, as torch computes it in a float dtype)."""
    return M.reciprocal(_floating(input))


square = M.square
neg = negative = E.neg
positive = M.positive
trunc = fix = E.trunc
exp2 = M.exp2
log2 = M.log2
log10 = M.log10


def sgn(input):  # noqa: A002
    """``sign`` for real input; ``z / |z|`` (0 at 0) for complex input."""
    if np.asarray(data_of(input)).dtype.kind != "c":
        return E.sign(input)
    r = E.abs(input)
    zero = E.eq(r, 0)  # recorded, so that a compiled program computes it
    return E.where(zero, 0, E.div(input, E.where(zero, 1, r)))


def frac(input):  # noqa: A002
    """``input - trunc(input)`` (with the sign of input); derivative 1."""
    return M.modf(input)[0]


def logit(input, eps: float | None = None):  # noqa: A002
    """``log(p / (1 - p))``; with ``eps``, p is first clamped to [eps, 1 - eps] (gradient 0
    outside)."""
    return SP.logit(input if eps is None else E.clip(input, eps, 1 - eps))


def xlogy(input, other):  # noqa: A002
    """``input * log(other)``, 0 where input is 0."""
    return SP.xlogy(input, other)


def lerp(input, end, weight):  # noqa: A002
    """``input + weight * (end - input)``, written as torch evaluates it (from the nearer
    end), so the rounding matches."""
    # recorded while compile traces, so that the compiled program picks the side per call
    near_start = E.lt(E.abs(E.stop_gradient(weight)), 0.5) if not is_concrete(weight) \
        else np.abs(np.asarray(data_of(weight))) < 0.5
    diff = E.sub(end, input)
    return E.where(near_start, E.add(input, E.mul(weight, diff)),
                   E.sub(end, E.mul(diff, 1 - weight if isinstance(weight, (int, float))
                                     else E.sub(1, weight))))


def addcmul(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """``input + value * tensor1 * tensor2``."""
    p = E.mul(tensor1, tensor2)
    return E.add(input, p if value == 1 else E.mul(p, value))


def addcdiv(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """``input + value * tensor1 / tensor2``."""
    if _is_int(tensor1) and _is_int(tensor2):
        raise TypeError("addcdiv: integer division of tensors is not supported (as in torch); "
                        "convert tensor1 or tensor2 to a floating dtype first")
    q = E.div(tensor1, tensor2)
    return E.add(input, q if value == 1 else E.mul(q, value))


def ldexp(input, other):  # noqa: A002
    """``input * 2**other`` (differentiable in both, other may be a float, as torch)."""
    return E.mul(_floating(input), E.pow(2.0, _floating(other)))


def nextafter(input, other):  # noqa: A002
    """The next float after ``input`` towards ``other``. The step is held constant, so the
    derivative is 1 in input and 0 in other (torch has none)."""
    a = values_of(input, "nextafter")
    step = np.nextafter(a, values_of(other, "nextafter")) - a
    return E.add(input, _const(step, input))


Frexp = namedtuple("frexp", ["mantissa", "exponent"])


def frexp(input):  # noqa: A002
    """``(mantissa, exponent)``, ``input = mantissa * 2**exponent``; the exponent is int32."""
    m, e = M.frexp(input)
    return Frexp(m, E.astype(e, np.int32) if type(e) in tensor_types else e.astype(np.int32))


def gcd(input, other):  # noqa: A002
    """Greatest common divisor of integer tensors (no derivative: integer result)."""
    return _const(np.gcd(data_of(input), data_of(other)), input, other)


def lcm(input, other):  # noqa: A002
    """Least common multiple of integer tensors (no derivative: integer result)."""
    return _const(np.lcm(data_of(input), data_of(other)), input, other)


# --- math and special functions ----------------------------------------------------------------
lgamma = SP.gammaln
digamma = SP.digamma
erfinv = SP.erfinv
erfc = SP.erfc
i0 = SP.i0
sinc = M.sinc
atan2 = arctan2 = M.arctan2
hypot = M.hypot
copysign = M.copysign
logaddexp = M.logaddexp
logaddexp2 = M.logaddexp2
heaviside = M.heaviside
deg2rad = M.deg2rad
rad2deg = M.rad2deg
asin = arcsin = M.arcsin
acos = arccos = M.arccos
atan = arctan = M.arctan
sinh = M.sinh
cosh = M.cosh
asinh = arcsinh = M.arcsinh
acosh = arccosh = M.arccosh
atanh = arctanh = M.arctanh
real = CX.real
imag = CX.imag
conj = conj_physical = CX.conj


def angle(input):  # noqa: A002
    """The argument of each element (0 or pi for real ones)."""
    return CX.angle(input)


def complex(real, imag):  # noqa: A001 - torch.complex
    """``real + 1j * imag`` (complex64 from float32, complex128 from float64); differentiable in
    both parts."""
    _check_same_float("complex", real, imag)
    return E.add(real, E.mul(imag, 1j))


def polar(abs, angle):  # noqa: A002
    """``abs * (cos(angle) + 1j * sin(angle))``; differentiable in both."""
    _check_same_float("polar", abs, angle)
    return complex(E.mul(abs, E.cos(angle)), E.mul(abs, E.sin(angle)))


def view_as_real(input):
    """A complex tensor as real pairs: a new last axis of 2 holding real and imaginary parts
    (a copy here, not a view); differentiable."""
    if np.asarray(data_of(input)).dtype.kind != "c":
        raise TypeError("view_as_real: expects a complex tensor")
    return C.stack([CX.real(input), CX.imag(input)], -1)


def view_as_complex(input):
    """Real pairs on a last axis of 2 as a complex tensor (a copy here); differentiable."""
    d = np.asarray(data_of(input))
    if d.dtype.kind != "f" or d.ndim == 0 or d.shape[-1] != 2:
        raise ValueError(f"view_as_complex: expects a float tensor whose last dim has size 2, "
                         f"got {d.dtype.name} of shape {d.shape}")
    return complex(S.getitem(input, (Ellipsis, 0)), S.getitem(input, (Ellipsis, 1)))


def _check_same_float(op, a, b):
    da, db = np.asarray(data_of(a)).dtype, np.asarray(data_of(b)).dtype
    if da != db or da.kind != "f":
        raise TypeError(f"{op}: expected two floating point tensors of the same dtype, got "
                        f"{da.name} and {db.name}")


def resolve_conj(input):  # noqa: A002
    """The tensor itself (chainrule has no lazy conjugation)."""
    return input


resolve_neg = resolve_conj


def polygamma(n: int, input):  # noqa: A002
    """The n-th derivative of digamma at ``input`` (torch's argument order: n first)."""
    return SP.polygamma(n, input)


def mvlgamma(input, p: int):  # noqa: A002
    """The multivariate log-gamma of dimension p: ``sum_i lgamma(x - i/2) + p(p-1)/4 log pi``;
    every element must exceed (p - 1) / 2."""
    d = values_of(input, "mvlgamma")  # the domain check reads the values
    if np.any(d <= (p - 1) / 2):
        raise ValueError(f"mvlgamma: all elements must be greater than (p-1)/2 = {(p - 1) / 2} "
                         f"for p={p}")
    x = _floating(input)
    out = SP.gammaln(x)
    for i in range(1, p):
        out = E.add(out, SP.gammaln(E.sub(x, i / 2)))
    return E.add(out, p * (p - 1) / 4 * math.log(math.pi))


def igamma(input, other):  # noqa: A002
    """The regularised lower incomplete gamma function P(input, other)."""
    return SP.gammainc(input, other)


def igammac(input, other):  # noqa: A002
    """The regularised upper incomplete gamma function Q(input, other)."""
    return SP.gammaincc(input, other)


def softmax(input, dim=None, dtype=None, *, axis=C._MISSING):  # noqa: A002
    """``exp(x) / sum(exp(x))`` along ``dim`` (the last axis when None; torch would guess a
    dim with a warning), computed in ``dtype`` when given."""
    return C.softmax(input if dtype is None else E.astype(input, dtype), dim, axis=axis)


def log_softmax(input, dim=None, dtype=None, *, axis=C._MISSING):  # noqa: A002
    """``x - logsumexp(x)`` along ``dim`` (the last axis when None), in ``dtype`` if given."""
    return C.log_softmax(input if dtype is None else E.astype(input, dtype), dim, axis=axis)


# --- clamping ----------------------------------------------------------------------------------
def clamp(input, min=None, max=None):  # noqa: A001, A002
    """Limit ``input`` to [min, max] (numbers or tensors; max wins where min > max). The
    gradient passes where min <= input <= max; a tensor bound gets it where it is the result."""
    return E.clip(input, min, max)


clip = clamp


def clamp_min(input, min):  # noqa: A001, A002
    """``clamp(input, min=min)``."""
    return E.clip(input, min, None)


def clamp_max(input, max):  # noqa: A001, A002
    """``clamp(input, max=max)``."""
    return E.clip(input, None, max)


def nan_to_num(input, nan: float = 0.0, posinf: float | None = None,  # noqa: A002
               neginf: float | None = None):
    """Replace nan by ``nan``, +-inf by ``posinf``/``neginf`` (the dtype's extremes when None);
    gradient 0 at replaced entries."""
    return M.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)


# --- bitwise, logical, predicates, comparisons -------------------------------------------------
bitwise_and = E.bitwise_and
bitwise_or = E.bitwise_or
bitwise_xor = E.bitwise_xor
bitwise_not = E.invert
signbit = M.signbit
eq = E.eq
ne = not_equal = E.ne
lt = less = E.lt
le = less_equal = E.le
gt = greater = E.gt
ge = greater_equal = E.ge
maximum = E.maximum
minimum = E.minimum
fmax = M.fmax
fmin = M.fmin


def bitwise_left_shift(input, other):  # noqa: A002
    """``input << other`` for integer tensors (no derivative)."""
    return _const(np.left_shift(data_of(input), data_of(other)), input, other)


def bitwise_right_shift(input, other):  # noqa: A002
    """``input >> other`` (arithmetic shift) for integer tensors (no derivative)."""
    return _const(np.right_shift(data_of(input), data_of(other)), input, other)


def isposinf(input):  # noqa: A002
    """Whether each element is +inf (bool, no derivative)."""
    return _const(np.isposinf(data_of(input)), input)


def isneginf(input):  # noqa: A002
    """Whether each element is -inf (bool, no derivative)."""
    return _const(np.isneginf(data_of(input)), input)


def isreal(input):  # noqa: A002
    """Whether each element has a zero imaginary part (True everywhere for real dtypes)."""
    if type(input) in tensor_types and input.dtype.kind == "c":
        return E.eq(CX.imag(input), 0)  # recorded, so that a compiled program computes it
    d = np.asarray(data_of(input))
    return _const(d.imag == 0 if d.dtype.kind == "c" else np.ones(d.shape, bool), input)


def is_nonzero(input) -> bool:  # noqa: A002
    """Whether the single element of ``input`` is non-zero; an error for other sizes."""
    d = values_of(input, "is_nonzero")  # a Python bool
    if d.size != 1:
        raise RuntimeError(f"is_nonzero: a tensor with {d.size} elements (shape {d.shape}) is "
                           f"ambiguous; only single-element tensors have a truth value")
    return bool(d.reshape(()))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
            equal_nan: bool = False):
    """``|input - other| <= atol + rtol * |other|`` elementwise (bool, no derivative)."""
    return _const(np.isclose(data_of(input), data_of(other), rtol=rtol, atol=atol,
                             equal_nan=equal_nan), input, other)


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    """Whether ``isclose`` holds everywhere (a Python bool)."""
    return bool(np.allclose(data_of(input), data_of(other), rtol=rtol, atol=atol,
                            equal_nan=equal_nan))


def equal(input, other) -> bool:  # noqa: A002
    """Whether both have the same shape and the same elements (a Python bool)."""
    a, b = values_of(input, "equal"), values_of(other, "equal")  # a Python bool
    return builtins.bool(a.shape == b.shape and np.array_equal(a, b))
