"""``Identity``, ``Flatten``, ``Linear`` and ``Bilinear``."""

from __future__ import annotations

import math

from ...composite import flatten
from .. import functional as F
from .. import init
from ..functional._util import data
from ._util import kaiming_reset, param_dtype, weight_and_bias
from .module import Module

__all__ = ["Identity", "Flatten", "Unflatten", "Linear", "Bilinear"]


class Identity(Module):
    """Returns its input; any constructor arguments are ignored (a placeholder layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Merge dimensions ``start_dim`` to ``end_dim`` (by default all but the batch one)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size`` (a tuple of ints; one may be -1)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(n, int) for n in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got "
                            f"{unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size) if isinstance(unflattened_size, list) \
            else unflattened_size

    def forward(self, input):
        from ...primitives.shape import normalize_dim, reshape

        xs = data(input).shape
        d = normalize_dim(self.dim, len(xs), "Unflatten")
        return reshape(input, xs[:d] + tuple(self.unflattened_size) + xs[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Linear(Module):
    """``y = x @ weight.T + bias`` with weight (out_features, in_features) and bias
    (out_features,). Initialised as PyTorch does: both uniform on ±1/sqrt(in_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        dt = param_dtype(device, dtype, "Linear")
        self.in_features = in_features
        self.out_features = out_features
        weight_and_bias(self, (out_features, in_features), dt, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        kaiming_reset(self)

    def forward(self, input):
        xs = data(input).shape
        if not xs or xs[-1] != self.in_features:
            raise ValueError(f"{self!r}: the input's last dimension must be in_features = "
                             f"{self.in_features}, but the input has shape {xs}")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """``y = x1 @ weight @ x2 + bias`` per output feature: weight (out_features,
    in1_features, in2_features). Initialised uniform on ±1/sqrt(in1_features), as PyTorch."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        dt = param_dtype(device, dtype, "Bilinear")
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        weight_and_bias(self, (out_features, in1_features, in2_features), dt, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        s1, s2 = data(input1).shape, data(input2).shape
        if not s1 or not s2 or s1[-1] != self.in1_features or s2[-1] != self.in2_features:
            raise ValueError(f"{self!r}: the inputs' last dimensions must be in1_features = "
                             f"{self.in1_features} and in2_features = {self.in2_features}, but "
                             f"the inputs have shapes {s1} and {s2}")
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
