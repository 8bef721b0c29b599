"""The default dtype of ``nn`` parameters: ``set_default_dtype`` and ``get_default_dtype``.

It is the dtype that layers (``nn.Linear`` and the others) and ``nn.Parameter()`` give their
parameters when no ``dtype=`` is passed: float32 unless set otherwise, as in PyTorch. Tensor
factories (``chainrule.zeros``, ``tensor``, ``randn``, ...) do not use it: they keep NumPy's
float64 default (docs/semantics.md). The setting is global to the process, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["set_default_dtype", "get_default_dtype"]

_ALLOWED = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_default = np.dtype(np.float32)


def set_default_dtype(dtype) -> None:
    """Make ``dtype`` (``chainrule.float16``, ``float32`` or ``float64``, or a NumPy dtype or
    name of one of these) the dtype of new ``nn`` parameters."""
    global _default
    dt = None
    if dtype is not None:  # np.dtype(None) would be float64
        try:
            dt = np.dtype(dtype)
        except TypeError:
            pass
    if dt is None or not any(dt == allowed for allowed in _ALLOWED):
        shown = dt.name if dt is not None else repr(dtype)
        raise TypeError(f"set_default_dtype: only the floating point dtypes float16, float32 "
                        f"and float64 can be the default, got {shown}")
    _default = dt


def get_default_dtype() -> np.dtype:
    """The dtype of new ``nn`` parameters when no ``dtype=`` is given (float32 at start)."""
    return _default
