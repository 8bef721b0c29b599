"""``Parameter``: a tensor that a ``Module`` registers as one of its parameters."""

from __future__ import annotations

import numpy as np

from .._default_dtype import get_default_dtype
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that a ``Module`` registers when it is
    assigned as an attribute (``self.weight = Parameter(...)``).

    ``Parameter(t)`` shares memory with the tensor or array ``t`` (as in PyTorch) and is always
    a leaf, even when ``t`` was computed by other operations. Operations on a parameter return
    plain tensors.
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty((0,), dtype=get_default_dtype())
        elif isinstance(data, Tensor):
            data = data._data
        Tensor.__init__(self, np.asarray(data))
        if requires_grad:
            if not np.issubdtype(self._data.dtype, np.inexact):
                raise TypeError(
                    f"Parameter: only floating point or complex data can require gradients, "
                    f"but this has dtype {self._data.dtype}; convert it first (e.g. "
                    f"data.astype('float32')) or pass requires_grad=False")
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
