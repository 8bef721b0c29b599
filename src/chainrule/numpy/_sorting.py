"""NumPy's sorting functions, differentiable: ``sort``, ``partition``, ``sort_complex``, the
``unique`` family and ``setdiff1d``. Each output position differentiates the input it was
taken from (the gradient follows the permutation).

The permutations are the non-differentiable primitives ``argsort`` and ``argpartition``
(primitives/array_ops.py), so that a compiled trace records them. The index functions
themselves (``numpy.argsort``, ``argpartition``) are NumPy's, on the values (``_passthrough``).
"""

from __future__ import annotations

import numpy as np

from ..primitives import complex as CX
from ..primitives import elementwise as E
from ..primitives import shape as S
from ..primitives.array_ops import argpartition_index, argsort_index
from ._indexing import take
from ._wrappers import as_array, const, data_of, numpy_unless_tensor, public_functions, unwrap


@numpy_unless_tensor(np.unique)
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, sorted=True):  # noqa: A002 - NumPy's keyword
    """``numpy.unique``. The unique values are differentiable: each is read from its first
    occurrence in ``ar`` (which gets the whole gradient); indices and counts are constants."""
    a = as_array(ar)
    d = data_of(a)
    vals, idx, inv, cnt = np.unique(d, True, True, True, axis, equal_nan=equal_nan,
                                    sorted=sorted)
    if axis is None:
        values = S.getitem(S.reshape(a, (-1,)), idx)
    else:
        values = take(a, idx, axis=axis)
    extra = [(return_index, idx), (return_inverse, inv), (return_counts, cnt)]
    out = [values] + [const(x) for flag, x in extra if flag]
    return out[0] if len(out) == 1 else tuple(out)


# --- sorting and order statistics ----------------------------------------------------------------
@numpy_unless_tensor(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``numpy.sort``. The gradient follows the permutation of a stable sort: tied values keep
    their order, each output position differentiates the input it was taken from."""
    a = as_array(a)
    if order is not None:
        raise ValueError("sort: order= (structured arrays) is not supported for tensors")
    if axis is None:
        a, axis = S.reshape(a, (-1,)), -1
    d = data_of(a)
    if d.ndim == 0:
        raise ValueError("sort: axis -1 is out of bounds for a 0-d array; use axis=None")
    return S.take_along_axis(a, argsort_index(a, axis, "stable"), axis)


@numpy_unless_tensor(np.argsort)
def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``numpy.argsort``: indices, no derivative (the argsort primitive, which a compiled
    trace records)."""
    a = as_array(a)
    if order is not None:
        raise ValueError("argsort: order= (structured arrays) is not supported for tensors")
    if axis is None:
        a, axis = S.reshape(a, (-1,)), -1
    if data_of(a).ndim == 0:
        raise ValueError("argsort: axis -1 is out of bounds for a 0-d array; use axis=None")
    return argsort_index(a, axis, "stable" if stable else kind)


def _kth(kth):
    """``kth`` as a static number or tuple of numbers (NumPy checks them)."""
    k = data_of(kth)
    if isinstance(k, np.ndarray):
        return k.item() if k.ndim == 0 else tuple(k.tolist())
    return tuple(k) if isinstance(k, list) else k


@numpy_unless_tensor(np.argpartition)
def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """``numpy.argpartition``: indices, no derivative (a recorded primitive)."""
    a = as_array(a)
    if order is not None:
        raise ValueError("argpartition: order= (structured arrays) is not supported for "
                         "tensors")
    if axis is None:
        a, axis = S.reshape(a, (-1,)), -1
    return argpartition_index(a, _kth(kth), axis, kind)


@numpy_unless_tensor(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """``numpy.partition``: the values of NumPy's own partition (the permutation of
    ``argpartition``); each output position differentiates the input it was taken from."""
    a = as_array(a)
    if order is not None:
        raise ValueError("partition: order= (structured arrays) is not supported for tensors")
    if axis is None:
        a, axis = S.reshape(a, (-1,)), -1
    return S.take_along_axis(a, argpartition_index(a, _kth(kth), axis, kind), axis)


def _unique_first(x):
    """The unique values of ``x`` (array-API semantics: NaNs distinct), each read from its first
    occurrence, and NumPy's full result on the data."""
    x = as_array(x)
    res = np.unique_all(data_of(x))
    return S.getitem(S.reshape(x, (-1,)), res.indices), res


@numpy_unless_tensor(np.unique_values)
def unique_values(x):
    """``numpy.unique_values``: differentiable, each value from its first occurrence."""
    return _unique_first(x)[0]


@numpy_unless_tensor(np.unique_counts)
def unique_counts(x):
    """``numpy.unique_counts``: (values, counts); the counts are constants."""
    v, res = _unique_first(x)
    return type(np.unique_counts(np.zeros(1)))(v, const(res.counts))


@numpy_unless_tensor(np.unique_inverse)
def unique_inverse(x):
    """``numpy.unique_inverse``: (values, inverse_indices)."""
    v, res = _unique_first(x)
    return type(np.unique_inverse(np.zeros(1)))(v, const(res.inverse_indices))


@numpy_unless_tensor(np.unique_all)
def unique_all(x):
    """``numpy.unique_all``: (values, indices, inverse_indices, counts)."""
    v, res = _unique_first(x)
    return type(res)(v, const(res.indices), const(res.inverse_indices), const(res.counts))


@numpy_unless_tensor(np.sort_complex, stack_lists=True)
def sort_complex(a):
    """``numpy.sort_complex``: sorted by real part, then imaginary part (the result is
    complex)."""
    a = as_array(a)
    if np.iscomplexobj(data_of(a)):
        # NumPy's lexsort as two stable sorts (imaginary part, then real part), with the
        # argsort primitive so that a compiled trace records them
        first = argsort_index(CX.imag(a), -1, "stable")
        then = argsort_index(S.take_along_axis(CX.real(a), first, -1), -1, "stable")
        return S.take_along_axis(a, S.take_along_axis(first, then, -1), -1)
    r = S.take_along_axis(a, argsort_index(a, -1, "stable"), -1)
    return E.astype(r, np.result_type(data_of(a).dtype, np.complex64))


@numpy_unless_tensor(np.setdiff1d, stack_lists=True)
def setdiff1d(ar1, ar2, assume_unique=False):
    """``numpy.setdiff1d``: the unique values of ``ar1`` that are not in ``ar2``
    (differentiable in ``ar1``)."""
    flat = S.reshape(ar1, (-1,))
    d = np.asarray(unwrap(flat))
    if assume_unique:
        keep = np.flatnonzero(~np.isin(d, unwrap(ar2)))
        return S.getitem(flat, keep)
    vals, first = np.unique(d, return_index=True)
    return S.getitem(flat, first[~np.isin(vals, unwrap(ar2))])


__all__: list[str] = public_functions(globals(), __name__)
