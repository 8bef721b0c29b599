"""Helpers for layer constructors."""

from __future__ import annotations

import numpy as np


def param_dtype(device, dtype, layer: str) -> np.dtype:
    """The dtype of a layer's parameters: float32 unless ``dtype=`` says otherwise (as in
    PyTorch); ``device`` may only be the CPU."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError(f"{layer}: chainrule runs on the CPU only; device {device!r} is not "
                           f"available")
    dt = np.dtype(np.float32 if dtype is None else dtype)
    if not np.issubdtype(dt, np.inexact):
        raise TypeError(f"{layer}: parameters need a floating point dtype, got {dt.name}")
    return dt
