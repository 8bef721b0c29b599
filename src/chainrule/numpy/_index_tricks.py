"""``r_`` and ``c_``: NumPy's index tricks that concatenate, differentiable.

``np.r_[a, b, 0:3, 7]`` joins its items along the first axis and ``np.c_[a, b]`` along the last
(1-D items as columns), with NumPy's rules:

- a slice ``start:stop:step`` is ``arange(start, stop, step)``, or with an imaginary step
  ``start:stop:nj`` ``linspace(start, stop, n)`` (constants);
- a number is a one-element array (a Python number does not raise the result's dtype: NumPy's
  weak scalars);
- an array gets at least ``ndmin`` dimensions (``r_``: 1, ``c_``: 2), a 1-D array as a column for
  ``c_`` (``trans1d``);
- a string as the first item is a directive: ``'axis'``, ``'axis,ndmin'``,
  ``'axis,ndmin,trans1d'`` (``np.r_['0,2,0', a, b]``), or ``'r'`` / ``'c'`` for a row (column)
  matrix: NumPy returns ``numpy.matrix`` there; with a tensor among the items chainrule returns a
  2-D tensor of the same shape (a tensor is never a matrix subclass).

Without a tensor among the items NumPy's own object answers (the same result, matrices
included). With one, the result is a tensor that is differentiable in every tensor item.
"""

from __future__ import annotations

import numpy as np

from ..primitives._core import tensor_types
from ..primitives.elementwise import astype
from ..primitives.shape import concatenate, permute, reshape
from ._wrappers import as_array, has_tensor, unwrap

__all__ = ["r_", "c_"]


def _has_tensor(item) -> bool:
    """``has_tensor``, slices' bounds included (``r_[0:t:5j]``)."""
    if isinstance(item, slice):
        return has_tensor((item.start, item.stop, item.step))
    return has_tensor(item)


def _range(item: slice):
    start = 0 if item.start is None else unwrap(item.start)
    step = 1 if item.step is None else unwrap(item.step)
    stop = unwrap(item.stop)
    if isinstance(step, (complex, np.complexfloating)):
        return np.linspace(start, stop, num=int(abs(step)))
    return np.arange(start, stop, step)


def _ndmin(x, ndmin):
    nd = len(x.shape)
    return x if nd >= ndmin else reshape(x, (1,) * (ndmin - nd) + tuple(x.shape))


class _Concatenator:
    """NumPy's ``AxisConcatenator`` for tensors (``r_``, ``c_``)."""

    def __init__(self, numpy_obj, axis: int, ndmin: int, trans1d: int):
        self._numpy = numpy_obj
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __len__(self):
        return 0

    def __repr__(self):
        return f"<chainrule.numpy.{self._name}>"

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not any(_has_tensor(x) for x in items):
            return self._numpy[key]
        if isinstance(key, str):
            raise TypeError(f"{self._name}: the matrix-builder string form ({key!r}) takes no "
                            f"tensors")
        axis, ndmin, trans1d, matrix = self.axis, self.ndmin, self.trans1d, None
        objs, kinds = [], []
        for k, item in enumerate(items):
            if isinstance(item, str):
                if k:
                    raise ValueError(f"{self._name}: special directives ({item!r}) must be the "
                                     f"first entry")
                axis, ndmin, trans1d, matrix = self._directive(item, axis, ndmin, trans1d)
                continue
            if isinstance(item, slice):
                arr = np.asarray(_range(item))
                obj = np.asarray(arr.reshape((1,) * max(ndmin - 1, 0) + arr.shape))
                if ndmin > 1 and trans1d != -1:
                    obj = np.swapaxes(obj, -1, trans1d)
                objs.append(obj)
                kinds.append(obj.dtype)
            elif isinstance(item, (bool, int, float, complex)):  # a weak Python scalar
                objs.append(np.asarray(item).reshape((1,) * max(ndmin, 1)))
                kinds.append(item)
            else:
                objs.append(self._array(item, ndmin, trans1d))
                kinds.append(unwrap(objs[-1]).dtype)
        if not objs:
            raise ValueError(f"{self._name}: nothing to concatenate")
        dtype = np.result_type(*kinds)
        objs = [astype(o, dtype) if type(o) in tensor_types else np.asarray(o, dtype=dtype)
                for o in objs]
        res = concatenate(objs, axis=axis)
        if matrix is not None:  # 'r' / 'c': a 2-D row (column) of a 1-D result
            if len(res.shape) == 1:
                res = reshape(res, (-1, 1) if matrix == "c" else (1, -1))
            elif len(res.shape) != 2:
                raise ValueError(f"{self._name}: a matrix ('r' or 'c') must be 2-D, got shape "
                                 f"{tuple(res.shape)}")
        return res

    @property
    def _name(self):
        return "r_" if self._numpy is np.r_ else "c_"

    def _directive(self, item, axis, ndmin, trans1d):
        if item in ("r", "c"):
            return axis, ndmin, trans1d, item
        try:
            parts = [int(p) for p in item.split(",")]
        except ValueError:
            raise ValueError(f"{self._name}: unknown special directive {item!r}; use 'r', 'c', "
                             f"'axis', 'axis,ndmin' or 'axis,ndmin,trans1d'") from None
        if not 1 <= len(parts) <= 3:
            raise ValueError(f"{self._name}: unknown special directive {item!r}")
        axis = parts[0]
        if len(parts) > 1:
            ndmin = parts[1]
        if len(parts) > 2:
            trans1d = parts[2]
        return axis, ndmin, trans1d, None

    @staticmethod
    def _array(item, ndmin, trans1d):
        if isinstance(item, (list, tuple)):
            item = as_array(item) if has_tensor(item) else np.asarray(item)
        elif type(item) not in tensor_types:
            item = np.asarray(item)
        nd = len(item.shape)
        obj = _ndmin(item, ndmin)
        if trans1d != -1 and nd < ndmin:  # NumPy's placement of the original axes
            k2 = ndmin - nd
            k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
            axes = list(range(ndmin))
            order = tuple(axes[:k1] + axes[k2:] + axes[k1:k2])
            if order != tuple(axes):
                obj = permute(obj, order) if type(obj) in tensor_types else \
                    np.transpose(obj, order)
        return obj


class _RClass(_Concatenator):
    """``chainrule.numpy.r_``: concatenation along the first axis (NumPy's ``r_``)."""

    def __init__(self):
        super().__init__(np.r_, 0, 1, -1)


class _CClass(_Concatenator):
    """``chainrule.numpy.c_``: concatenation along the last axis, 1-D items as columns (NumPy's
    ``c_``)."""

    def __init__(self):
        super().__init__(np.c_, -1, 2, 0)


r_ = _RClass()
c_ = _CClass()
