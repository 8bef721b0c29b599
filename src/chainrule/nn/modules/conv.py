"""``Conv1d`` and ``Conv2d``."""

from __future__ import annotations

from ..functional.conv import _convnd, ntuple
from ._util import kaiming_reset, param_dtype, weight_and_bias
from .module import Module

__all__ = ["Conv1d", "Conv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """The shared part of the convolution layers: PyTorch's arguments, attributes, parameter
    shapes and initialisation."""

    _d = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__()
        name, d = type(self).__name__, self._d
        dt = param_dtype(device, dtype, name)
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups "
                             f"({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by "
                             f"groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = ntuple(kernel_size, d, "kernel_size", name)
        self.stride = ntuple(stride, d, "stride", name)
        self.dilation = ntuple(dilation, d, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one "
                                 f"of 'valid' or 'same'")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions")
            self.padding = padding
        else:
            self.padding = ntuple(padding, d, "padding", name)
        self.output_padding = (0,) * d
        self.transposed = False
        self.groups = groups
        self.padding_mode = padding_mode
        weight_and_bias(self, (out_channels, in_channels // groups) + self.kernel_size, dt,
                        bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        kaiming_reset(self)

    def forward(self, input):
        return _convnd(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                       self.groups, self._d, repr(self), self.padding_mode)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-d convolution over (N, C_in, L) or (C_in, L): weight (out_channels, in_channels /
    groups, kernel_size), bias (out_channels,), initialised as PyTorch (kaiming_uniform_ with
    a=sqrt(5), bias uniform on ±1/sqrt(fan_in)). ``padding``: an int, 'valid' or 'same';
    ``padding_mode``: 'zeros', 'reflect', 'replicate' or 'circular'."""

    _d = 1


class Conv2d(_ConvNd):
    """2-d convolution over (N, C_in, H, W) or (C_in, H, W): weight (out_channels, in_channels
    / groups, kH, kW), bias (out_channels,), initialised as PyTorch (kaiming_uniform_ with
    a=sqrt(5), bias uniform on ±1/sqrt(fan_in)). ``kernel_size``, ``stride``, ``dilation``: an
    int or a pair; ``padding``: an int, a pair, 'valid' or 'same'; ``padding_mode``: 'zeros',
    'reflect', 'replicate' or 'circular'."""

    _d = 2
