"""Activation functions, composed from chainrule's differentiable operations.

Every function here is differentiable to any order, including at its kinks, where it follows
PyTorch's convention for the first derivative (``relu'(0) = 0``, ``leaky_relu'(0) =
negative_slope``, ``elu'(0) = alpha``). ``inplace=True`` is accepted for compatibility and
computes out of place: the result is returned and the input is not modified.
"""

from __future__ import annotations

import math
import warnings

from ...composite import log_softmax as _log_softmax
from ...composite import softmax as _softmax
from ...primitives.elementwise import astype, erf, expm1, where
from ...primitives.elementwise import relu as _relu
from ...primitives.elementwise import sigmoid as _sigmoid
from ...primitives.elementwise import tanh as _tanh
from ._util import data
from ._util import softplus as _softplus

__all__ = ["relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "tanh", "sigmoid",
           "softmax", "log_softmax"]

# sqrt(2 / pi), written as PyTorch's kernel computes it
_GELU_BETA = math.sqrt(2.0) * (2.0 / math.sqrt(math.pi)) * 0.5
_GELU_KAPPA = 0.044715
_SQRT_HALF = math.sqrt(0.5)


def relu(input, inplace: bool = False):
    """``max(x, 0)``; the derivative at 0 is 0."""
    return _relu(input)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    """``x`` for x > 0, else ``negative_slope * x``."""
    return where(data(input) > 0, input, input * negative_slope)


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """``x`` for x > 0, else ``alpha * (exp(x) - 1)``."""
    pos = data(input) > 0
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
    linear = data(z) > threshold
    if not linear.any():
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
