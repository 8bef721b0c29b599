"""PyTorch's dtype queries over chainrule's dtypes, which are NumPy's (``numpy.dtype``
objects): ``dtype`` for ``isinstance`` checks, ``finfo``, ``iinfo``, ``is_floating_point``,
``is_complex``. The dtype names themselves are set in ``chainrule/__init__.py``.
"""

from __future__ import annotations

import numpy as np

from ._default_dtype import get_default_dtype
from .tensor import Tensor

__all__ = ["dtype", "finfo", "iinfo", "is_floating_point", "is_complex", "UNSUPPORTED"]

# PyTorch dtypes NumPy has no type for: naming one raises this (chainrule.__getattr__).
UNSUPPORTED = {
    "bfloat16": "NumPy has no bfloat16 type; use chainrule.float32 (or float16)",
    "chalf": "NumPy has no 32-bit complex type; use chainrule.complex64",
    "complex32": "NumPy has no 32-bit complex type; use chainrule.complex64",
}


class _DTypeMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, np.dtype)


class dtype(metaclass=_DTypeMeta):  # noqa: N801 - PyTorch's name
    """chainrule's dtypes are NumPy's: ``isinstance(chainrule.float32, chainrule.dtype)`` and
    ``isinstance(t.dtype, chainrule.dtype)`` hold, and ``chainrule.dtype('float32')`` is
    ``numpy.dtype('float32')``."""

    def __new__(cls, spec) -> np.dtype:
        return np.dtype(spec)


def _dtype_of(x, op: str) -> np.dtype:
    if isinstance(x, Tensor):
        return x.dtype
    try:
        return np.dtype(x)
    except TypeError:
        raise TypeError(f"{op}: expected a dtype (chainrule.float32, ...), got {x!r}") from None


def finfo(type=None) -> np.finfo:  # noqa: A002 - PyTorch's name
    """Limits of a floating point dtype (the default dtype when none is given): NumPy's
    ``finfo`` (``eps``, ``tiny``, ``smallest_normal``, ``max``, ``min``, ``resolution``)."""
    dt = get_default_dtype() if type is None else _dtype_of(type, "finfo")
    if dt.kind not in "fc":
        raise TypeError(f"finfo: {dt.name} is not a floating point dtype; use iinfo for "
                        f"integer dtypes")
    return np.finfo(dt)


def iinfo(type) -> np.iinfo:  # noqa: A002 - PyTorch's name
    """Limits of an integer dtype: NumPy's ``iinfo`` (``min``, ``max``, ``bits``)."""
    dt = _dtype_of(type, "iinfo")
    if dt.kind not in "iu":
        raise TypeError(f"iinfo: {dt.name} is not an integer dtype; use finfo for floating "
                        f"point dtypes")
    return np.iinfo(dt)


def is_floating_point(input) -> bool:  # noqa: A002 - PyTorch's name
    """True for a tensor of real floating point dtype (float16/32/64)."""
    return _dtype_of(input, "is_floating_point").kind == "f"


def is_complex(input) -> bool:  # noqa: A002 - PyTorch's name
    return _dtype_of(input, "is_complex").kind == "c"
