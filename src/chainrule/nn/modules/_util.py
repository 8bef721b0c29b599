"""Helpers for layer constructors."""

from __future__ import annotations

import numpy as np

from ..._default_dtype import get_default_dtype
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
