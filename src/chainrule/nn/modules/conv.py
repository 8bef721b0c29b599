"""``Conv1d`` and ``Conv2d``."""

from __future__ import annotations

import numpy as np

from ..functional._util import data
from ..functional.conv import _conv_transposend, _convnd, ntuple
from ..parameter import Parameter
from ._util import kaiming_reset, param_dtype, weight_and_bias
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

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
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
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


class Conv3d(_ConvNd):
    """3-d convolution over (N, C_in, D, H, W) or (C_in, D, H, W): weight (out_channels,
    in_channels / groups, kD, kH, kW), bias (out_channels,), PyTorch's initialisation."""

    _d = 3


class _ConvTransposeNd(Module):
    """The transposed convolution layers: weight (in_channels, out_channels / groups, *K),
    bias (out_channels,), initialised as PyTorch (kaiming_uniform_ with a=sqrt(5) on the
    weight; fan_in is out_channels / groups * prod(K), as PyTorch computes it)."""

    _d = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__()
        name, d = type(self).__name__, self._d
        dt = param_dtype(device, dtype, name)
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must be divisible by groups ({groups})")
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only 'zeros' padding mode is supported for "
                             f"{name}, got {padding_mode!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = ntuple(kernel_size, d, "kernel_size", name)
        self.stride = ntuple(stride, d, "stride", name)
        self.padding = ntuple(padding, d, "padding", name)
        self.dilation = ntuple(dilation, d, "dilation", name)
        self.output_padding = ntuple(output_padding, d, "output_padding", name)
        self.transposed = True
        self.groups = groups
        self.padding_mode = padding_mode
        weight_and_bias(self, (in_channels, out_channels // groups) + self.kernel_size, dt,
                        False)
        if bias:  # (out_channels,), not the weight's first dimension
            self.bias = Parameter(np.empty((out_channels,), dt))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        kaiming_reset(self)

    def _output_padding(self, input, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        d = self._d
        osz = tuple(int(a) for a in output_size)
        if len(osz) == d + 2 or (len(osz) == d + 1 and data(input).ndim == d + 1):
            osz = osz[len(osz) - d:]
        if len(osz) != d:
            raise ValueError(f"{type(self).__name__}: output_size must have {d} or {d + 2} "
                             f"elements, got {len(osz)}")
        spatial = data(input).shape[data(input).ndim - d:]
        pads = []
        for i in range(d):
            lo = ((spatial[i] - 1) * self.stride[i] - 2 * self.padding[i]
                  + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            hi = lo + self.stride[i] - 1
            if not lo <= osz[i] <= hi:
                raise ValueError(f"{type(self).__name__}: requested an output size of {osz}, "
                                 f"but valid sizes range from {lo} to {hi} along spatial "
                                 f"dimension {i} (for an input of size {spatial})")
            pads.append(osz[i] - lo)
        return tuple(pads)

    def forward(self, input, output_size=None):
        return _conv_transposend(input, self.weight, self.bias, self.stride, self.padding,
                                 self._output_padding(input, output_size), self.groups,
                                 self.dilation, self._d, type(self).__name__)

    extra_repr = _ConvNd.extra_repr


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution over (N, C_in, L) or (C_in, L); ``forward(input,
    output_size=None)`` may name the output length (it picks ``output_padding``)."""

    _d = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution over (N, C_in, H, W) or (C_in, H, W)."""

    _d = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution over (N, C_in, D, H, W) or (C_in, D, H, W)."""

    _d = 3
