"""Helpers for layer constructors."""

from __future__ import annotations

import math

import numpy as np

from ..._default_dtype import get_default_dtype
from .. import init
from ..parameter import Parameter


def param_dtype(device, dtype, layer: str) -> np.dtype:
    """The dtype of a layer's parameters: ``dtype=`` if given, else the default dtype
    (``chainrule.get_default_dtype()``, float32 unless set otherwise, as in PyTorch);
    ``device`` may only be the CPU."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError(f"{layer}: chainrule runs on the CPU only; device {device!r} is not "
                           f"available")
    dt = np.dtype(get_default_dtype() if dtype is None else dtype)
    if not np.issubdtype(dt, np.inexact):
        raise TypeError(f"{layer}: parameters need a floating point dtype, got {dt.name}")
    return dt


def affine_parameters(module, shape: tuple, dtype, affine: bool, bias: bool) -> None:
    """Register a normalisation layer's per-feature ``weight`` and ``bias`` (values are set by
    its ``reset_parameters``), or None for each that is switched off."""
    module.register_parameter("weight", Parameter(np.empty(shape, dtype)) if affine else None)
    module.register_parameter("bias", Parameter(np.empty(shape, dtype)) if affine and bias
                              else None)


def reset_affine(module) -> None:
    """A normalisation layer's ``reset_parameters``: weight to 1 and bias to 0 (each that is
    not None)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


def weight_and_bias(module, weight_shape: tuple, dtype, bias: bool) -> None:
    """Set a layer's ``weight`` of ``weight_shape`` and, when ``bias``, a ``bias`` of
    ``(weight_shape[0],)`` (values are set by its ``reset_parameters``); else ``bias`` None."""
    module.weight = Parameter(np.empty(weight_shape, dtype))
    if bias:
        module.bias = Parameter(np.empty((weight_shape[0],), dtype))
    else:
        module.register_parameter("bias", None)


def kaiming_reset(module) -> None:
    """PyTorch's initialisation of ``Linear`` and convolution layers: weight
    ``kaiming_uniform_`` with a=sqrt(5), bias uniform on ±1/sqrt(fan_in), where fan_in is the
    product of the weight's dimensions after the first."""
    init.kaiming_uniform_(module.weight, a=math.sqrt(5))
    if module.bias is not None:
        fan_in = math.prod(module.weight.shape[1:])
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(module.bias, -bound, bound)
