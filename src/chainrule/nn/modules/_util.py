"""Helpers for layer constructors."""

from __future__ import annotations

import numpy as np

from ..._default_dtype import get_default_dtype


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
