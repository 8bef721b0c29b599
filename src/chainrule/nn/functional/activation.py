"""Activation functions, composed from chainrule's differentiable operations.

Every function here is differentiable to any order, including at its kinks, where it follows
PyTorch's convention for the first derivative (``relu'(0) = 0``, ``leaky_relu'(0) =
negative_slope``, ``elu'(0) = alpha``). ``inplace=True`` is accepted for compatibility and
computes out of place: the result is returned and the input is not modified.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...autograd.dispatch import wrap
from ...composite import log_softmax as _log_softmax
from ...composite import softmax as _softmax
from ...creation import Generator, rand
from ...primitives.elementwise import abs as _abs
from ...primitives.elementwise import astype, erf, expm1, where
from ...primitives.elementwise import relu as _relu
from ...primitives.elementwise import sigmoid as _sigmoid
from ...primitives.elementwise import tanh as _tanh
from ...primitives.reduction import amax
from ...primitives.reduction import sum as _sum
from ...primitives.shape import getitem, normalize_dim, reshape
from ._util import data, detach, safe_norm, vals
from ._util import softplus as _softplus

__all__ = ["relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "tanh", "sigmoid",
           "softmax", "log_softmax", "hardtanh", "relu6", "hardsigmoid", "hardswish",
           "hardshrink", "softshrink", "tanhshrink", "softsign", "selu", "celu", "rrelu",
           "prelu", "logsigmoid", "threshold", "softmin", "gumbel_softmax", "glu", "mish",
           "normalize", "one_hot"]

# sqrt(2 / pi), written as PyTorch's kernel computes it
_GELU_BETA = math.sqrt(2.0) * (2.0 / math.sqrt(math.pi)) * 0.5
_GELU_KAPPA = 0.044715
_SQRT_HALF = math.sqrt(0.5)


def relu(input, inplace: bool = False):
    """``max(x, 0)``; the derivative at 0 is 0."""
    return _relu(input)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    """``x`` for x > 0, else ``negative_slope * x``."""
    return where(vals(input) > 0, input, input * negative_slope)


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """``x`` for x > 0, else ``alpha * (exp(x) - 1)``."""
    pos = vals(input) > 0
    # expm1 only sees the non-positive inputs: no overflow, no 0 * inf in the gradient.
    return where(pos, input, alpha * expm1(where(pos, 0, input)))


def gelu(input, approximate: str = "none"):
    """Gaussian error linear unit: exactly ``x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))``
    (PyTorch's default), or with ``approximate='tanh'``
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``.
    """
    if approximate == "tanh":
        inner = (input + input * input * input * _GELU_KAPPA) * _GELU_BETA
        return input * 0.5 * (1 + _tanh(inner))
    if approximate == "none":
        return input * 0.5 * (1 + erf(input * _SQRT_HALF))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input, inplace: bool = False):
    """``x * sigmoid(x)`` (also called swish)."""
    return input * _sigmoid(input)


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``
    (as PyTorch, for numerical stability)."""
    z = input if beta == 1 else input * beta
    linear = vals(z) > threshold
    if isinstance(linear, np.ndarray) and not linear.any():  # (traced: a tensor, always masked)
        sp = _softplus(z)
        return sp if beta == 1 else sp / beta
    sp = _softplus(where(linear, 0, z))
    return where(linear, input, sp if beta == 1 else sp / beta)


def tanh(input):
    """Hyperbolic tangent."""
    return _tanh(input)


def sigmoid(input):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, stable for any x."""
    return _sigmoid(input)


def _implicit_dim(name: str, ndim: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim: int | None = None, _stacklevel: int = 3, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``. Without ``dim``, PyTorch's legacy choice (0 for
    0-, 1- and 3-d inputs, else 1) is made, with a warning."""
    if dim is None:
        dim = _implicit_dim("softmax", data(input).ndim)
    if dtype is not None:
        input = astype(input, dtype)
    return _softmax(input, dim)


def log_softmax(input, dim: int | None = None, _stacklevel: int = 3, dtype=None):
    """``x - logsumexp(x)`` along ``dim`` (see ``softmax`` for ``dim=None``)."""
    if dim is None:
        dim = _implicit_dim("log_softmax", data(input).ndim)
    if dtype is not None:
        input = astype(input, dtype)
    return _log_softmax(input, dim)


# --- piecewise-linear and shrinking activations ------------------------------------------------
# Masks are taken from the values (constants), so each branch carries its own derivative; at a
# kink the side follows PyTorch's backward kernels (noted per function).
def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """``clip(x, min_val, max_val)``; the derivative is 1 strictly inside, 0 elsewhere
    (0 at the two corners, as PyTorch)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val "
                         f"({max_val})")
    d = data(input)
    inside = (d > min_val) & (d < max_val)
    return where(inside, input, np.clip(d, min_val, max_val).astype(d.dtype, copy=False))


def relu6(input, inplace: bool = False):
    """``min(max(x, 0), 6)`` (``hardtanh(x, 0, 6)``)."""
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input, inplace: bool = False):
    """``clip(x / 6 + 1 / 2, 0, 1)``; the derivative is 1/6 for -3 < x < 3, else 0."""
    d = data(input)
    inside = (d > -3) & (d < 3)
    return where(inside, input / 6 + 0.5, (d >= 3).astype(d.dtype))


def hardswish(input, inplace: bool = False):
    """``x * relu6(x + 3) / 6``; the derivative is PyTorch's: 0 up to -3, ``x / 3 + 1/2``
    between, 1 from 3 on."""
    d = data(input)
    return where(d <= -3, 0, where(d < 3, input * (input + 3) / 6, input))


def hardshrink(input, lambd: float = 0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    d = data(input)
    return where((d > lambd) | (d < -lambd), input, 0)


def softshrink(input, lambd: float = 0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    if lambd < 0:
        raise ValueError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                         f"{lambd}")
    d = data(input)
    return where(d > lambd, input - lambd, where(d < -lambd, input + lambd, 0))


def tanhshrink(input):
    """``x - tanh(x)``."""
    return input - _tanh(input)


def softsign(input):
    """``x / (1 + |x|)``."""
    return input / (_abs(input) + 1)


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """``x`` where ``x > threshold``, else ``value``."""
    d = data(input)
    # the comparison on the tensor: a compiled trace records it
    return where(input > threshold, input, np.asarray(value, d.dtype))


# --- exponential family ------------------------------------------------------------------------
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace: bool = False):
    """``scale * elu(x, alpha)`` with SELU's fixed alpha and scale."""
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """``x`` for x > 0, else ``alpha * (exp(x / alpha) - 1)``."""
    if alpha == 0:
        raise ValueError("celu: ZeroDivisionError, alpha cannot be 0")
    pos = vals(input) > 0
    return where(pos, input, alpha * expm1(where(pos, 0, input) / alpha))


def logsigmoid(input):
    """``log(sigmoid(x)) = -softplus(-x)``, stable for any x."""
    return -_softplus(-input)


def mish(input, inplace: bool = False):
    """``x * tanh(softplus(x))``."""
    return input * _tanh(_softplus(input))


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False, *, generator: Generator | None = None):
    """Randomised leaky ReLU: in evaluation (the default) ``leaky_relu`` with slope
    ``(lower + upper) / 2``; when training, each negative element gets its own slope drawn
    uniformly from [lower, upper] (chainrule's generator, so not PyTorch's draws)."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    d = data(input)
    slope = lower + (upper - lower) * rand(*d.shape, generator=generator).numpy()
    return where(d >= 0, input, input * slope.astype(d.dtype))


def prelu(input, weight):
    """``x`` for x > 0, else ``weight * x``; ``weight`` has one entry or one per channel
    (dimension 1; dimension 0 of a 1-d input)."""
    xs, ws = data(input).shape, data(weight).shape
    n = int(np.prod(ws, dtype=np.int64))
    if len(ws) > 1:
        raise ValueError(f"prelu: weight must be 0-d or 1-d, got shape {ws}")
    if n != 1:
        c = xs[1] if len(xs) >= 2 else (xs[0] if xs else 1)
        if n != c:
            raise ValueError(f"prelu: weight has {n} entries but the input of shape {xs} has "
                             f"{c} channels (dimension {1 if len(xs) >= 2 else 0}); give 1 or "
                             f"{c} weights")
        if len(xs) >= 2:
            weight = reshape(weight, (c,) + (1,) * (len(xs) - 2))
    elif ws:
        weight = reshape(weight, ())
    return where(vals(input) > 0, input, input * weight)


# --- along a dimension ---------------------------------------------------------------------
def softmin(input, dim: int | None = None, _stacklevel: int = 3, dtype=None):
    """``softmax(-x)`` along ``dim``."""
    if dim is None:
        dim = _implicit_dim("softmin", data(input).ndim)
    if dtype is not None:
        input = astype(input, dtype)
    return _softmax(-input, dim)


def glu(input, dim: int = -1):
    """Gated linear unit: ``a * sigmoid(b)`` for the two halves ``a``, ``b`` of ``dim``."""
    xs = data(input).shape
    if not xs:
        raise ValueError("glu: does not support scalars because halving size must be even")
    dim = normalize_dim(dim, len(xs), "glu")
    if xs[dim] % 2:
        raise ValueError(f"glu: halving dimension must be even, but dimension {dim} is size "
                         f"{xs[dim]}")
    h = xs[dim] // 2
    lead = (slice(None),) * dim
    a, b = getitem(input, lead + (slice(0, h),)), getitem(input, lead + (slice(h, None),))
    return a * _sigmoid(b)


def _pnorm(x, p: float, dim: int):
    """The ``p``-norm along ``dim`` (kept), with gradient 0 at a zero vector."""
    if p == 2:
        return safe_norm(x, dim)
    a = _abs(x)
    if p == np.inf:
        return amax(a, dim, True)
    if p == 1:
        return _sum(a, dim, True)
    if p == 0:  # the count of non-zeros: a constant
        dt = data(x).dtype
        return _sum(where(vals(x) != 0, np.ones((), dt), np.zeros((), dt)), dim, True)
    s = _sum(a ** p, dim, True)
    zero = vals(s) == 0
    return where(zero, 0, where(zero, 1, s) ** (1.0 / p))


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    """``x / max(||x||_p, eps)`` along ``dim`` (the clamp passes no gradient below ``eps``,
    as PyTorch's ``clamp_min``)."""
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    xs = data(input).shape
    dim = normalize_dim(dim, max(len(xs), 1), "normalize")
    norm = _pnorm(input, float(p), dim)
    nd = data(norm)
    return input / where(norm >= eps, norm, np.asarray(eps, nd.dtype))


def one_hot(tensor, num_classes: int = -1):
    """int64 one-hot encoding of an integer tensor: shape ``tensor.shape + (num_classes,)``
    (``num_classes=-1``: one more than the largest value)."""
    t = data(tensor)
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"one_hot: one_hot is only applicable to index tensor (an integer "
                        f"dtype), got {t.dtype}")
    if num_classes == -1:
        if t.size == 0:
            raise ValueError("one_hot: can not infer total number of classes from empty "
                             "tensor; give num_classes")
        num_classes = int(t.max()) + 1
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got values in "
                         f"[{int(t.min())}, {int(t.max())}]")
    return wrap((t[..., None] == np.arange(num_classes)).astype(np.int64))


def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1, *, generator: Generator | None = None):
    """A sample of the Gumbel-softmax distribution: ``softmax((logits + g) / tau)`` with
    Gumbel noise ``g = -log(E)``, E ~ Exponential(1) (chainrule's generator or
    ``generator=``). ``hard=True``: the one-hot of the argmax, with the soft sample's gradient
    (straight-through)."""
    d = data(logits)
    u = rand(*d.shape, generator=generator).numpy()
    gumbels = (-np.log(-np.log1p(-u))).astype(d.dtype)  # -log(Exponential(1)); u < 1
    y = _softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y
    yd = data(y)
    ax = normalize_dim(dim, yd.ndim, "gumbel_softmax")
    idx = np.expand_dims(np.argmax(yd, axis=ax), ax)
    hard_y = np.zeros_like(yd)
    np.put_along_axis(hard_y, idx, 1.0, axis=ax)
    return y - detach(y) + hard_y
