"""PyTorch-spelled sorting operations (see chainrule/ops/__init__.py): sort, topk, kthvalue,
unique, searchsorted, histograms. Values are gathered at the sorted indices
(take_along_axis), so their derivative is the gather's: no new primitive."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..primitives import shape as S
from ..primitives._conj import astype
from ..primitives._core import (
    apply,
    array_of,
    data_of,
    is_concrete,
    nondifferentiable,
    register,
    tensor_types,
    values_of,
)
from ..primitives.array_ops import argsort_index, topk_index
from ..primitives.shape import INDEX_ADD, getitem, normalize_dim, take_along_axis
from .shape import constant, shape_of

__all__ = [
    "sort", "argsort", "msort", "topk", "kthvalue", "searchsorted", "bucketize", "unique",
    "unique_consecutive", "histc", "bincount",
]

sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])
kthvalue_result = namedtuple("kthvalue", ["values", "indices"])


def _real(x, op):
    d = array_of(x)
    if d.dtype.kind == "c":
        raise TypeError(f"{op}: complex numbers have no order; sort the real part, the "
                        f"imaginary part or abs(x) instead")
    return d


def _argsort(x, axis, descending):
    """Indices (int64) that sort ``x`` along ``axis``, stably (PyTorch's CPU order): NaN counts
    as the largest value, ties keep their order in both directions. The argsort primitive, so
    that a compiled trace records it."""
    return argsort_index(x, axis, "stable", descending)


def _zero_index(input):
    return constant(np.zeros((), np.int64), input)


def sort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """``(values, indices)`` sorted along ``dim``; the values' gradient goes back to the
    positions they came from."""
    d = _real(input, "sort")
    if d.ndim == 0:
        return sort_result(input, _zero_index(input))
    ax = normalize_dim(dim, d.ndim, "sort")
    idx = _argsort(input, ax, descending)
    return sort_result(take_along_axis(input, idx, ax), idx)


def argsort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):
    d = _real(input, "argsort")
    if d.ndim == 0:
        return _zero_index(input)
    return _argsort(input, normalize_dim(dim, d.ndim, "argsort"), descending)


def msort(input):
    """Sorted along dim 0 (values only)."""
    return sort(input, 0).values


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) values along ``dim`` and their indices, in order."""
    d = _real(input, "topk")
    if d.ndim == 0:
        if k not in (0, 1):
            raise ValueError(f"topk: k ({k}) is out of range for a 0-D tensor")
        return topk_result(input, _zero_index(input))
    ax = normalize_dim(dim, d.ndim, "topk")
    n = d.shape[ax]
    if not 0 <= k <= n:
        raise ValueError(f"topk: k ({k}) must be between 0 and the length {n} of dim {ax}")
    idx = topk_index(input, k, ax, largest)
    return topk_result(take_along_axis(input, idx, ax), idx)


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest value (1-based) along ``dim`` and its index."""
    d = _real(input, "kthvalue")
    if d.ndim == 0:
        if k != 1:
            raise ValueError(f"kthvalue: k ({k}) is out of range for a 0-D tensor")
        return kthvalue_result(input, _zero_index(input))
    ax = normalize_dim(dim, d.ndim, "kthvalue")
    if not 1 <= k <= d.shape[ax]:
        raise ValueError(f"kthvalue: k ({k}) must be between 1 and the length {d.shape[ax]} of "
                         f"dim {ax}")
    idx = topk_index(input, k, ax, False, last_only=True)
    vals = take_along_axis(input, idx, ax)
    if not keepdim:
        shape = d.shape[:ax] + d.shape[ax + 1:]
        vals, idx = S.reshape(vals, shape), S.reshape(idx, shape)
    return kthvalue_result(vals, idx)


def _searchsorted_impl(seq, vals, side="left", dtype=np.int64):
    """NumPy's searchsorted of ``vals`` in ``seq``: 1-D ``seq`` for all of ``vals``, else row by
    row (the leading dims match)."""
    seq, vals = np.asarray(seq), np.asarray(vals)
    if seq.ndim <= 1:
        return np.asarray(np.searchsorted(seq.reshape(-1), vals, side=side)).astype(dtype)
    rows = int(np.prod(seq.shape[:-1], dtype=np.int64))
    s2, v2 = seq.reshape(rows, seq.shape[-1]), vals.reshape(rows, vals.shape[-1])
    out = np.zeros(v2.shape, dtype=dtype)
    for k in range(rows):
        out[k] = np.searchsorted(s2[k], v2[k], side=side)
    return out.reshape(vals.shape)


def _isin_impl(elements, test_elements, assume_unique=False, invert=False):
    return np.isin(elements, test_elements, assume_unique=assume_unique, invert=invert)


# non-differentiable primitives, with the sequence (test elements) and the values as inputs, so
# that a compiled trace records them rather than this call's answer
SEARCHSORTED = nondifferentiable("searchsorted", _searchsorted_impl, nin=2)
def _isin_batch(vals, bat, params, B, pbat):
    """vmap: with the test elements unbatched, one ``isin`` of the whole batch; else the values
    of both replaced by integer keys (a value's rank among all values, plus the example's
    offset) so that one ``isin`` compares each example with its own test elements only."""
    elements, test = vals
    if not bat[1]:
        return apply(ISIN, (elements, test), params)
    if not (is_concrete(elements) and is_concrete(test)):  # traced: the keys need values
        rows = [apply(ISIN, (getitem(elements, b) if bat[0] else elements, getitem(test, b)),
                      params) for b in range(B)]
        return S.concatenate([S.reshape(r, (1,) + np.shape(data_of(r))) for r in rows], 0)
    invert = bool(params[1]) if len(params) > 1 else False
    e, t = np.asarray(data_of(elements)), np.asarray(data_of(test))
    if not bat[0]:
        e = np.broadcast_to(e, (B,) + e.shape)
    both = np.concatenate([e.reshape(B, -1), t.reshape(B, -1)], axis=1)
    values, codes = np.unique(both, return_inverse=True)
    keys = codes.reshape(both.shape) + len(values) * np.arange(B)[:, None]
    if both.dtype.kind in "fc":  # NaN is in nothing (NumPy's isin compares with ==)
        nan = np.isnan(both)
        keys[:, : e[0].size][nan[:, : e[0].size]] = -1
        keys[:, e[0].size:][nan[:, e[0].size:]] = -2
    key_e, key_t = keys[:, : e[0].size].reshape(e.shape), keys[:, e[0].size:]
    return apply(ISIN, (_like(key_e, elements), _like(key_t, test)), (False, invert))


def _like(keys, x):
    """``keys`` as a constant of ``x``'s kind (a tensor for a tensor)."""
    return type(x)._constant(keys) if type(x) in tensor_types else keys


ISIN = nondifferentiable("isin", _isin_impl, nin=2, batch=_isin_batch)
register(SEARCHSORTED, ISIN)


def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter=None):
    """Where ``input``'s values would go in ``sorted_sequence`` (1-D, or N-D matched row by row
    with ``input``) to keep it sorted. Indices carry no gradient."""
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise ValueError("searchsorted: right=True and side='left' contradict each other")
        right = side == "right"
    seq = sorted_sequence
    if sorter is not None:
        seq = take_along_axis(seq, sorter, -1)
    sshape, vshape = shape_of(seq), shape_of(input)
    if len(sshape) > 1 and sshape[:-1] != vshape[:-1]:
        raise ValueError(f"searchsorted: the leading dims of sorted_sequence {sshape} and "
                         f"input {vshape} must match")
    dt = np.int32 if out_int32 else np.int64
    return apply(SEARCHSORTED, (seq, input), ("right" if right else "left", dt))


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False):
    """The bucket of each value: ``boundaries[i-1] < x <= boundaries[i]`` (``right=False``) or
    ``boundaries[i-1] <= x < boundaries[i]`` (``right=True``)."""
    if len(shape_of(boundaries)) != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {shape_of(boundaries)}")
    dt = np.int32 if out_int32 else np.int64
    return apply(SEARCHSORTED, (boundaries, input), ("right" if right else "left", dt))


def _unique_results(input, values, inverse, counts, return_inverse, return_counts):
    out = (values,)
    if return_inverse:
        out += (constant(inverse.astype(np.int64), input),)
    if return_counts:
        out += (constant(counts.astype(np.int64), input),)
    return out[0] if len(out) == 1 else out


def _first_of_groups(d, dim, consecutive):
    """For each unique value (slice along ``dim``): the index of its first occurrence, the
    inverse map and the counts."""
    if dim is None:
        flat = d.reshape(-1)
        if consecutive:
            new = np.ones(flat.size, dtype=bool)
            new[1:] = flat[1:] != flat[:-1]
            first = np.flatnonzero(new)
            inverse = np.cumsum(new) - 1
            return first, inverse.reshape(d.shape), np.diff(np.append(first, flat.size))
        _, first, inverse, counts = np.unique(flat, return_index=True, return_inverse=True,
                                              return_counts=True)
        return first, inverse.reshape(d.shape), counts
    rows = np.moveaxis(d, dim, 0)
    rows = rows.reshape(d.shape[dim], int(np.prod(rows.shape[1:], dtype=np.int64)))
    if consecutive:
        new = np.ones(rows.shape[0], dtype=bool)
        new[1:] = (rows[1:] != rows[:-1]).any(axis=1)
        first = np.flatnonzero(new)
        return first, np.cumsum(new) - 1, np.diff(np.append(first, rows.shape[0]))
    _, first, inverse, counts = np.unique(rows, axis=0, return_index=True, return_inverse=True,
                                          return_counts=True)
    return first, inverse.reshape(-1), counts


def unique(input, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None):
    """The distinct values (or slices along ``dim``), sorted; optionally the inverse map and the
    counts. The values are gathered from each one's first occurrence, which gets the
    gradient."""
    _real(input, "unique")
    d = values_of(input, "unique")  # the result's shape depends on the values
    ax = None if dim is None else normalize_dim(dim, d.ndim, "unique")
    first, inverse, counts = _first_of_groups(d, ax, False)
    vals = _gather_first(input, first, ax)
    return _unique_results(input, vals, inverse, counts, return_inverse, return_counts)


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):
    """Collapse runs of equal values (or slices along ``dim``) into one."""
    d = values_of(input, "unique_consecutive")  # the result's shape depends on the values
    ax = None if dim is None else normalize_dim(dim, d.ndim, "unique_consecutive")
    first, inverse, counts = _first_of_groups(d, ax, True)
    vals = _gather_first(input, first, ax)
    return _unique_results(input, vals, inverse, counts, return_inverse, return_counts)


def _gather_first(input, first, ax):
    if ax is None:
        return getitem(S.reshape(input, (-1,)), (first,))
    return getitem(input, (slice(None),) * ax + (first,))


def histc(input, bins: int = 100, min: float = 0, max: float = 0):  # noqa: A002
    """Counts of values in ``bins`` equal bins between ``min`` and ``max`` (the data's range
    when both are 0); values outside are left out. Not differentiable (a count)."""
    d = values_of(input, "histc")  # counted with NumPy
    if d.dtype.kind not in "f":
        raise TypeError(f"histc: expects a floating tensor, got dtype {d.dtype}")
    lo, hi = float(min), float(max)
    if lo == hi:
        lo, hi = (float(d.min()), float(d.max())) if d.size else (0.0, 0.0)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise ValueError(f"histc: min ({min}) must not exceed max ({max})")
    counts, _ = np.histogram(d, bins=int(bins), range=(lo, hi))
    return constant(counts.astype(d.dtype), input)


def bincount(input, weights=None, minlength: int = 0):
    """How often each non-negative int occurs in the 1-D ``input`` (the sum of ``weights`` at
    those places when given: differentiable in the weights)."""
    idx = values_of(input, "bincount")  # the result's length depends on the values
    if idx.ndim != 1 or idx.dtype.kind not in "iu":
        raise TypeError(f"bincount: input must be a 1-D tensor of ints, got shape {idx.shape} "
                        f"and dtype {idx.dtype}")
    if idx.size and idx.min() < 0:
        raise ValueError("bincount: input must be non-negative")
    n = int(np.maximum(idx.max() + 1 if idx.size else 0, minlength))
    if weights is None:
        return constant(np.bincount(idx, minlength=n).astype(np.int64), input)
    if shape_of(weights) != idx.shape:
        raise ValueError(f"bincount: weights of shape {shape_of(weights)} must match the input's "
                         f"{idx.shape}")
    # PyTorch counts integer weights in double
    w = weights if array_of(weights).dtype.kind in "fc" else astype(weights, np.float64)
    return apply(INDEX_ADD, (w,), ((idx.astype(np.intp),), (n,), False, 1))


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """Whether each element of ``elements`` occurs in ``test_elements`` (a bool tensor)."""
    return apply(ISIN, (elements, test_elements), (bool(assume_unique), bool(invert)))


histogram_result = namedtuple("histogram", ["hist", "bin_edges"])
histogramdd_result = namedtuple("histogramdd", ["hist", "bin_edges"])


def histogram(input, bins=100, *, range=None, weight=None, density: bool = False):  # noqa: A002
    """Counts (or weight sums) of values in bins (a count or the edges), and the edges. Not
    differentiable."""
    d = values_of(input, "histogram")  # counted with NumPy
    b = values_of(bins, "histogram")
    b = int(b) if np.ndim(b) == 0 else np.asarray(b)
    w = None if weight is None else values_of(weight, "histogram")
    rng = None if range is None else (float(range[0]), float(range[1]))
    hist, edges = np.histogram(d, bins=b, range=rng, weights=w, density=density)
    return histogram_result(constant(hist.astype(d.dtype), input),
                            constant(edges.astype(d.dtype), input))


def histogramdd(input, bins=10, *, range=None, weight=None, density: bool = False):  # noqa: A002
    """The histogram of the rows of ``input`` (N, D) over D dims; edges per dim."""
    d = values_of(input, "histogramdd")  # counted with NumPy
    b = data_of(bins)
    b = [values_of(x, "histogramdd") for x in b] if isinstance(b, (list, tuple)) and \
        np.ndim(data_of(b[0])) else (int(values_of(b, "histogramdd")) if np.ndim(b) == 0
                                     else [int(values_of(x, "histogramdd")) for x in b])
    rng = None if range is None else [(float(range[2 * k]), float(range[2 * k + 1]))
                                      for k in np.arange(len(range) // 2)]
    w = None if weight is None else values_of(weight, "histogramdd")
    try:
        hist, edges = np.histogramdd(d.reshape(-1, d.shape[-1]), bins=b, range=rng, weights=w,
                                     density=density)
    except ValueError as exc:  # e.g. edges that do not increase (PyTorch does not check)
        raise ValueError(f"histogramdd: {exc}") from None
    return histogramdd_result(constant(hist.astype(d.dtype), input),
                              tuple(constant(e.astype(d.dtype), input) for e in edges))


__all__ += ["isin", "histogram", "histogramdd"]
