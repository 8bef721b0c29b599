"""The one module that names NumPy.

Kernels and rules reach the array library through ``xp`` so that another backend
(CuPy, say) can later stand in without touching every rule.
"""

from __future__ import annotations

import numpy as np

xp = np
ndarray = np.ndarray
float_dtypes = (np.float16, np.float32, np.float64)


def is_float_dtype(dtype) -> bool:
    """True for real and complex floating dtypes (those that can carry a gradient)."""
    return np.issubdtype(dtype, np.inexact)


def as_dtype(dtype):
    """Normalise a dtype spelling (``np.float32``, ``"float32"``, ``chainrule.float32``)."""
    return None if dtype is None else np.dtype(dtype)


def asarray(x, dtype=None):
    return np.asarray(x, dtype=dtype)
