"""``default_collate`` and ``default_convert``: samples to batches, as in PyTorch."""

from __future__ import annotations

import collections.abc
import numbers

import numpy as np

from ...autograd.dispatch import wrap
from ...composite import stack
from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_collate(batch):
    """Stack a list of samples into a batch: tensors, arrays and numbers become one tensor
    with a new first dimension (Python floats float64, ints int64, bools bool); mappings,
    named tuples and sequences are collated field by field (tuples and lists give lists, as in
    PyTorch); strings stay as they come."""
    if not isinstance(batch, collections.abc.Sequence) or len(batch) == 0:
        raise TypeError(f"default_collate: expects a non-empty list of samples, got "
                        f"{type(batch).__name__}")
    elem = batch[0]
    if isinstance(elem, Tensor):
        shapes = {tuple(e.shape) for e in batch}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: the samples' tensors must have one shape to "
                               f"be stacked, got shapes {sorted(shapes)}; pad them or pass a "
                               f"collate_fn")
        return stack(list(batch))
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        arrays = [np.asarray(e) for e in batch]
        if arrays[0].dtype == object:
            raise TypeError("default_collate: cannot batch NumPy arrays of dtype object")
        if len({a.shape for a in arrays}) != 1:
            raise RuntimeError(f"default_collate: the samples' arrays must have one shape to be "
                               f"stacked, got shapes {sorted({a.shape for a in arrays})}")
        return wrap(np.stack(arrays))
    if isinstance(elem, bool):
        return wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, numbers.Complex):
        return wrap(np.array(batch, dtype=np.complex128))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if len({len(e) for e in batch}) != 1:
            raise RuntimeError("default_collate: each element in the list of samples should be "
                               "of equal size")
        return [default_collate(s) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, NumPy arrays, numbers, "
                    f"dicts or lists; found {type(elem).__name__}")


def default_convert(data):
    """The conversion of unbatched samples (``batch_size=None``): NumPy arrays and scalars
    become tensors, inside mappings and sequences too; everything else is left as it is."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind not in "OSUV":
        return wrap(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data
