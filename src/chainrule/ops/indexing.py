"""PyTorch-spelled indexing operations (see chainrule/ops/__init__.py): selection, scatter and
gather, composed from getitem, take_along_axis and their transposes (index_add,
along_axis_add), so that every derivative is theirs.

Writes that overwrite (``scatter``, ``index_copy``, ``index_put``, ``masked_scatter``, ``put``)
are one gather from the concatenation of the input and the source, flattened: each output
element reads either its own input element or the source element written last to its place
(PyTorch's CPU order), so the gradient reaches exactly the values that appear in the result.
"""

from __future__ import annotations

import numpy as np

from .. import composite as C
from ..primitives import shape as S
from ..primitives._core import apply, array_of, data_of, is_concrete, tensor_types, values_of
from ..primitives.elementwise import floor_divide as _floor_divide
from ..primitives.elementwise import ne as _ne
from ..primitives.elementwise import where as _where
from ..primitives.reduction import amax, amin, prod
from ..primitives.reduction import sum as _sum
from ..primitives.shape import (
    ALONG_AXIS_ADD,
    INDEX_ADD,
    getitem,
    normalize_dim,
    wrapped_index,
)
from .shape import _overwrite, _same_dtype, constant, shape_of

__all__ = [
    "index_select", "index_add", "index_copy", "index_fill", "index_put", "masked_fill",
    "masked_select", "masked_scatter", "scatter", "scatter_add", "scatter_reduce", "gather",
    "take", "take_along_dim", "put", "where", "nonzero", "argwhere", "index_reduce", "select",
]

_reshape = S.reshape


def _index(index, op, ndim=None) -> np.ndarray:
    """An integer index as an intp array (tensors carry no gradient into indices)."""
    idx = np.asarray(data_of(index))
    if idx.dtype.kind not in "iu" and not (idx.size == 0 and idx.dtype.kind == "f"):
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {idx.dtype}; "
                        f"convert it with .long()")
    if ndim is not None and idx.ndim > ndim:
        raise ValueError(f"{op}: index must have at most {ndim} dim(s), got shape {idx.shape}")
    return idx.astype(np.intp, copy=False)


def _check_range(idx, n, op, what="dim"):
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"{op}: index {int(idx.min() if idx.min() < -n else idx.max())} is out "
                         f"of range for a {what} of length {n}")
    return np.where(idx < 0, idx + n, idx)


def _checked(index, n, op, what="dim", ndim=None, flat=False):
    """``index`` (integers) with negative entries counted from the end and checked against
    ``[0, n)``: a NumPy array, or, while ``chainrule.compile`` traces it, an integer tensor
    computed by recorded operations (pass ``data_of`` of it as a primitive's parameter), so
    that the compiled program reads each call's indices."""
    if not is_concrete(index):
        _index(index, op, ndim)  # the dtype and rank checks read metadata only
        index = _reshape(index, (-1,)) if flat else index
        return wrapped_index(index, n, f"{op}: index {{}} is out of range for a {what} of "
                                       f"length {n} (negative indices counted from the end)")
    idx = _index(index, op, ndim)
    return _check_range(idx.reshape(-1) if flat else idx, n, op, what)


def _operand(x, idx):
    """``x`` as a constant tensor when the checked index ``idx`` is traced (a tensor) and
    ``x`` is not one: a primitive records itself only when an input is a tensor, and would
    otherwise run once, while tracing, on that call's index."""
    return constant(x) if type(idx) in tensor_types and type(x) not in tensor_types else x


def _length(idx) -> int:
    """The number of entries of an index (an array or a tensor)."""
    return int(np.prod(shape_of(idx), dtype=np.int64))


# --- selection --------------------------------------------------------------------------------
def index_select(input, dim: int, index):
    """The slices of ``input`` at ``index`` (1-D) along ``dim``."""
    s = shape_of(input)
    d = normalize_dim(dim, len(s), "index_select")
    idx = _checked(index, s[d] if s else 1, "index_select", ndim=1, flat=True)
    if not s:  # PyTorch treats a 0-D input as one element
        return input
    return getitem(_operand(input, idx), (slice(None),) * d + (idx,))


def take(input, index):
    """Elements of the flattened input at ``index`` (the result has the index's shape)."""
    n = int(np.prod(shape_of(input), dtype=np.int64))
    idx = _checked(index, n, "take", "tensor of that many elements")
    return getitem(_reshape(_operand(input, idx), (-1,)), (idx,))


def gather(input, dim: int, index, *, sparse_grad: bool = False):
    """``out[i][j] = input[i][index[i][j]]`` for dim=1; ``index`` may be smaller than the input
    in the other dims."""
    s = shape_of(input)
    idx = _index(index, "gather")
    if not s:
        return _reshape(input, idx.shape) if idx.size else input
    d = normalize_dim(dim, len(s), "gather")
    if idx.size == 0:  # PyTorch accepts any empty index: an empty result
        return getitem(_reshape(input, (-1,)), (np.zeros(idx.shape, np.intp),))
    idx = _checked(index, s[d], "gather")
    return C.gather(_operand(input, idx), d, idx)


def take_along_dim(input, indices, dim: int | None = None):
    """Values at ``indices`` along ``dim`` (the flattened input when None); the input and the
    indices broadcast in the other dims."""
    idx = _index(indices, "take_along_dim")
    if dim is None:
        return take(input, _reshape(indices, (-1,)) if not is_concrete(indices) else
                    idx.reshape(-1))
    s = shape_of(input)
    if len(s) != idx.ndim:
        raise ValueError(f"take_along_dim: input and indices must have the same number of dims, "
                         f"got shapes {s} and {idx.shape}")
    d = normalize_dim(dim, len(s), "take_along_dim")
    full = np.broadcast_shapes(s[:d] + (1,) + s[d + 1:], idx.shape[:d] + (1,) + idx.shape[d + 1:])
    want = full[:d] + (idx.shape[d],) + full[d + 1:]
    idx = _checked(indices, s[d], "take_along_dim")
    x = S.broadcast_to(_operand(input, idx), full[:d] + (s[d],) + full[d + 1:])
    return S.take_along_axis(x, S.broadcast_to(idx, want), d)


def masked_select(input, mask):
    """The elements where ``mask`` holds (input and mask broadcast), as a 1-D tensor."""
    m = values_of(mask, "masked_select")  # the result's shape is the number of Trues
    if m.dtype != bool:
        raise TypeError(f"masked_select: mask must be bool, got dtype {m.dtype}")
    shape = np.broadcast_shapes(shape_of(input), m.shape) or (1,)
    return getitem(S.broadcast_to(input, shape), np.nonzero(np.broadcast_to(m, shape)))


def nonzero(input, *, as_tuple: bool = False):
    """The indices of the non-zero elements: an (n, ndim) tensor, or one 1-D tensor per dim
    with ``as_tuple=True``."""
    d = values_of(input, "nonzero")  # the result's shape depends on the values
    if as_tuple:
        if d.ndim == 0:
            return (constant(np.nonzero(d.reshape(1))[0], input),)
        return tuple(constant(i, input) for i in np.nonzero(d))
    return constant(np.argwhere(d), input)


def argwhere(input):
    return constant(np.argwhere(values_of(input, "argwhere")), input)


def where(condition, input=None, other=None):
    """``where(condition, input, other)``: input where condition holds, else other;
    ``where(condition)`` is ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: pass both input and other, or neither")
    # a non-bool condition counts its non-zeros as true (NumPy; PyTorch wants bool)
    if type(condition) in tensor_types:  # recorded, so a compiled program reads it
        return _where(condition if condition.dtype == bool else _ne(condition, 0), input,
                      other)
    return _where(np.asarray(condition).astype(bool, copy=False), input, other)


# --- scatter ----------------------------------------------------------------------------------
def _scatter_setup(input, dim, index, src, op, traceable=False):
    """The checked operands; the index is traced (``_checked``) when ``traceable``, else its
    values are read (the caller computes positions from them with NumPy)."""
    s = shape_of(input)
    if not traceable:
        index = values_of(index, op)
    idx = _index(index, op)
    if not s:  # PyTorch treats 0-D tensors as one element here
        s, input = (1,), _reshape(input, (1,))
        if idx.ndim == 0:
            idx, index = idx.reshape(1), _reshape(index, (1,))
        if src is not None and type(src) not in (int, float, bool, complex) \
                and not shape_of(src):
            src = _reshape(src, (1,))
    d = normalize_dim(dim, len(s), op)
    if idx.ndim != len(s):
        raise ValueError(f"{op}: index must have as many dims as the input, got shapes "
                         f"{idx.shape} and {s}")
    for k in range(len(s)):
        if k != d and idx.shape[k] > s[k]:
            raise ValueError(f"{op}: index shape {idx.shape} exceeds the input shape {s} in dim "
                             f"{k}")
    shape = idx.shape
    idx = _checked(idx if type(index) not in tensor_types else index, s[d], op)
    if src is not None and type(src) not in (int, float, bool, complex):
        ss = shape_of(src)
        if len(ss) != len(s) or any(a > b for a, b in zip(shape, ss)):
            raise ValueError(f"{op}: src of shape {ss} must have as many dims as the index and "
                             f"be at least as large, index shape {shape}")
        if tuple(ss) != shape:
            src = getitem(src, tuple(slice(0, n) for n in shape))
    return input, d, idx, src


def _flat_targets(shape, idx, d):
    """The flat positions in an array of ``shape`` that ``idx`` (along ``d``) points at."""
    grids = list(np.indices(idx.shape, sparse=True))
    grids[d] = idx
    return np.ravel_multi_index(tuple(np.broadcast_arrays(*grids)), shape)


def scatter(input, dim: int, index, src=None, *, value=None, reduce: str | None = None):
    """``out = input`` with ``out[i][index[i][j]] = src[i][j]`` (dim=1); ``value=`` writes one
    number. ``reduce='add'`` or ``'multiply'`` combines instead (``scatter_reduce``'s sum and
    prod)."""
    if src is None and value is None:
        raise TypeError("scatter: pass src (a tensor) or value (a number)")
    if src is not None and value is not None:
        raise TypeError("scatter: pass either src or value, not both")
    scalar = value is not None or type(src) in (int, float, bool)
    if scalar and value is None:
        value, src = src, None
    orig = shape_of(input)
    # with reduce, scatter_reduce reads the values if it must
    x, d, idx, src = _scatter_setup(input, dim, index, None if scalar else src, "scatter",
                                    traceable=reduce is not None)
    if reduce is not None:
        names = {"add": "sum", "multiply": "prod"}
        if reduce not in names:
            raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        if scalar:
            src = np.full(shape_of(idx), value, dtype=array_of(input).dtype)
        return scatter_reduce(input, dim, index, src, names[reduce])
    targets = _flat_targets(shape_of(x), idx, d)
    if scalar:
        mask = np.zeros(shape_of(x), dtype=bool)
        mask.reshape(-1)[targets.reshape(-1)] = True
        out = _where(mask, np.asarray(value, dtype=array_of(input).dtype), x)
    else:
        out = _overwrite(x, targets, src)
    return _reshape(out, orig)


def scatter_add(input, dim: int, index, src):
    """``out = input`` plus ``src[i][j]`` added at ``out[i][index[i][j]]`` (dim=1)."""
    orig = shape_of(input)
    x, d, idx, src = _scatter_setup(input, dim, index, src, "scatter_add", traceable=True)
    s = shape_of(x)
    # the index may be smaller than the input outside dim d: along_axis_add takes that
    added = apply(ALONG_AXIS_ADD, (_operand(_same_dtype(src, input), idx),),
                  (data_of(idx), d - len(s), s))
    return _reshape(x + added, orig)


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """Combine ``src`` into ``input`` at ``index`` along ``dim`` with ``reduce`` ('sum',
    'prod', 'mean', 'amax', 'amin'); ``include_self=False`` leaves the input's own value out
    where something is written. Composed as a gather into a padded (place, contributor) table
    and a reduction over it, so the derivative is the reduction's (ties in amax/amin share the
    gradient, as in PyTorch)."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise ValueError(f"scatter_reduce: reduce must be 'sum', 'prod', 'mean', 'amax' or "
                         f"'amin', got {reduce!r}")
    orig = shape_of(input)
    plain_sum = reduce == "sum" and include_self
    x, d, idx, src = _scatter_setup(input, dim, index, src, "scatter_reduce",
                                    traceable=plain_sum)
    src = _same_dtype(src, input)
    if plain_sum:
        return scatter_add(input, dim, index, src)
    shape = shape_of(x)
    n = int(np.prod(shape, dtype=np.int64))
    targets = _flat_targets(shape, idx, d).reshape(-1)
    # Contributors of each place: its own value (position t) if included, then the sources
    # (positions n + j), in order; the table is padded with the reduction's identity.
    order = np.argsort(targets, kind="stable")
    counts = np.bincount(targets, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(targets.size) - starts[targets[order]]
    width = int(counts.max(initial=0)) + int(include_self)
    dt = array_of(input).dtype
    fill = {"sum": 0, "mean": 0, "prod": 1,
            "amax": -np.inf if dt.kind == "f" else np.iinfo(dt).min if dt.kind in "iu" else 0,
            "amin": np.inf if dt.kind == "f" else np.iinfo(dt).max if dt.kind in "iu" else 1}
    table = np.full((n, width), n + targets.size, dtype=np.intp)
    if include_self:
        table[:, 0] = np.arange(n)
    table[targets[order], rank + int(include_self)] = n + order
    pad = np.full(1, fill[reduce], dtype=dt)
    both = S.concatenate([_reshape(x, (-1,)), _reshape(src, (-1,)), pad])
    vals = getitem(both, (table,))
    if reduce in ("sum", "mean"):
        r = _sum(vals, 1)
        if reduce == "mean":
            cnt = np.maximum(counts + int(include_self), 1).astype(dt if dt.kind in "fc" else
                                                                   np.float64)
            r = r / cnt if dt.kind in "fc" else _floor_divide(r, cnt.astype(dt))
    elif reduce == "prod":
        r = prod(vals, 1)
    else:
        r = (amax if reduce == "amax" else amin)(vals, 1)
    if not include_self:  # places nothing is written to keep the input
        r = _where(counts > 0, r, _reshape(x, (-1,)))
    return _reshape(r, orig)


# --- index_* ----------------------------------------------------------------------------------
def _along(input, dim, index, op, traceable=False):
    """The input's shape (a 0-D input as one element), the dim, and the checked flat index
    (traced when ``traceable``, else read: the caller computes with its values)."""
    s = shape_of(input) or (1,)  # a 0-D input is one element (callers reshape)
    d = normalize_dim(dim, len(s), op)
    if not traceable:
        index = values_of(index, op)
    return s, d, _checked(index, s[d], op, ndim=1, flat=True)


def _source_shape(source, s, d, idx, op):
    want = s[:d] + (_length(idx),) + s[d + 1:]
    if tuple(shape_of(source)) != want:
        raise ValueError(f"{op}: source must have shape {want} (the input's with dim {d} of the "
                         f"index's length {_length(idx)}), got {shape_of(source)}")


def index_add(input, dim: int, index, source, *, alpha=1):
    """``input`` plus ``alpha * source`` added at ``index`` along ``dim`` (repeated indices
    add up)."""
    s, d, idx = _along(input, dim, index, "index_add", traceable=True)
    source = _reshape(source, (1,)) if not shape_of(source) else source
    _source_shape(source, s, d, idx, "index_add")
    src = _operand(_same_dtype(source, input), idx)
    added = apply(INDEX_ADD, (src,), ((slice(None),) * d + (data_of(idx),), s, False, len(s)))
    added = _reshape(added, shape_of(input))
    return input + (added if alpha == 1 else alpha * added)


def index_copy(input, dim: int, index, source):
    """``input`` with the slices at ``index`` along ``dim`` replaced by ``source``'s."""
    s, d, idx = _along(input, dim, index, "index_copy")
    source = _reshape(source, (1,)) if not shape_of(source) else source
    _source_shape(source, s, d, idx, "index_copy")
    pos = np.arange(int(np.prod(s, dtype=np.int64))).reshape(s)
    targets = np.take(pos, idx, axis=d)
    return _overwrite(input, targets, source)


def index_reduce(input, dim: int, index, source, reduce: str, *, include_self: bool = True):
    """Combine the slices of ``source`` into ``input`` at ``index`` along ``dim`` with
    ``reduce`` ('prod', 'mean', 'amax', 'amin'): ``scatter_reduce`` with the index spread over
    the source's shape."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise ValueError(f"index_reduce: reduce must be 'prod', 'mean', 'amax' or 'amin', got "
                         f"{reduce!r}")
    s, d, idx = _along(input, dim, index, "index_reduce")
    x = _reshape(input, s)
    source = _reshape(source, (1,)) if not shape_of(source) else source
    _source_shape(source, s, d, idx, "index_reduce")
    full = np.broadcast_to(idx.reshape((-1,) + (1,) * (len(s) - d - 1)), shape_of(source))
    out = scatter_reduce(x, d, full, source, reduce, include_self=include_self)
    return _reshape(out, shape_of(input))


def select(input, dim: int, index: int):
    """The slice at ``index`` along ``dim``, that dim removed."""
    s = shape_of(input)
    d = normalize_dim(dim, len(s), "select")
    i = int(values_of(index, "select"))
    if not -s[d] <= i < s[d]:
        raise IndexError(f"select: index {i} is out of range for dim {d} of length {s[d]}")
    return getitem(input, (slice(None),) * d + (i,))


def index_fill(input, dim: int, index, value):
    """``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a number or a
    0-D tensor, which gets the gradient)."""
    s = shape_of(input)
    if not s:
        return _where(np.asarray(True), value, input)
    s, d, idx = _along(input, dim, index, "index_fill")
    mask = np.zeros(s[d], dtype=bool)
    mask[idx] = True
    mask = mask.reshape((-1,) + (1,) * (len(s) - d - 1))
    if type(value) in tensor_types and len(shape_of(value)):
        raise ValueError(f"index_fill: value must be a number or a 0-D tensor, got shape "
                         f"{shape_of(value)}")
    return _where(mask, _same_dtype(value, input) if type(value) in tensor_types else
                  np.asarray(value, dtype=array_of(input).dtype), input)


def _index_tuple(indices, s, op, traceable=False):
    """The checked integer indices (a boolean mask as its nonzero's); integer ones traced
    when ``traceable``, else read."""
    out = []
    for i in indices:
        if i is None:
            raise TypeError(f"{op}: indices must be tensors, not None")
        if not traceable or type(i) not in tensor_types or i.dtype == bool:
            a = values_of(i, op)  # a mask's nonzero has a shape that depends on the values
            if a.dtype == bool:
                out.extend(np.nonzero(a))
            else:
                out.append(_index(a, op))
        else:
            out.append(i)
    if len(out) > len(s):
        raise IndexError(f"{op}: {len(out)} indices for a tensor of {len(s)} dims")
    return tuple(_checked(a, s[k], op) for k, a in enumerate(out))


def index_put(input, indices, values, accumulate: bool = False):
    """``input[indices] = values`` (``+=`` with ``accumulate=True``, where repeated indices
    add up) as a new tensor."""
    s = shape_of(input)
    idx = _index_tuple(indices, s, "index_put", traceable=accumulate)
    # the shape of input[idx] (from the indices' shapes alone: they are all integer arrays)
    target_shape = np.empty(s, dtype=np.int8)[tuple(np.zeros(shape_of(i), np.intp)
                                                    for i in idx)].shape
    vals = _same_dtype(values, input)
    if shape_of(vals) != target_shape:
        vals = S.broadcast_to(vals, target_shape)
    if accumulate:
        for i in idx:
            vals = _operand(vals, i)
        return input + apply(INDEX_ADD, (vals,), (tuple(data_of(i) for i in idx), s, False,
                                                  len(s)))
    pos = np.arange(int(np.prod(s, dtype=np.int64))).reshape(s)
    return _overwrite(input, pos[idx], vals)


def masked_fill(input, mask, value):
    """``value`` where ``mask`` holds (mask broadcasts to the input), else ``input``."""
    m = mask if type(mask) in tensor_types else np.asarray(mask)  # recorded when a tensor
    if m.dtype != bool:
        raise TypeError(f"masked_fill: mask must be bool, got dtype {m.dtype}")
    if type(value) in tensor_types:
        if shape_of(value):
            raise ValueError(f"masked_fill: value must be a number or a 0-D tensor, got shape "
                             f"{shape_of(value)}")
        value = _same_dtype(value, input)
    else:
        value = np.asarray(value, dtype=array_of(input).dtype)
    return _where(m, value, input)  # input and mask broadcast, as in PyTorch


def masked_scatter(input, mask, source):
    """``input`` with the places where ``mask`` holds filled, in order, by the first elements of
    ``source``."""
    m = values_of(mask, "masked_scatter")
    if m.dtype != bool:
        raise TypeError(f"masked_scatter: mask must be bool, got dtype {m.dtype}")
    s = np.broadcast_shapes(shape_of(input), m.shape)
    x = S.broadcast_to(input, s)
    targets = np.flatnonzero(np.broadcast_to(m, s))
    n_src = int(np.prod(shape_of(source), dtype=np.int64))
    if n_src < targets.size:
        raise ValueError(f"masked_scatter: source has {n_src} elements but the mask selects "
                         f"{targets.size}")
    src = getitem(_reshape(source, (-1,)), (slice(0, targets.size),))
    return _overwrite(x, targets, src)


def put(input, index, source, accumulate: bool = False):
    """``input`` with ``source`` written at the flat positions ``index`` (added with
    ``accumulate=True``)."""
    s = shape_of(input)
    n = int(np.prod(s, dtype=np.int64))
    if not accumulate:  # the last write wins: positions computed from the values
        index = values_of(index, "put")
    idx = _checked(index, n, "put", "tensor of that many elements", flat=True)
    if int(np.prod(shape_of(source), dtype=np.int64)) != _length(idx):
        raise ValueError(f"put: source has shape {shape_of(source)} but the index has "
                         f"{_length(idx)} elements; they must match")
    src = _reshape(_same_dtype(source, input), (-1,))
    if accumulate:
        added = apply(INDEX_ADD, (_operand(src, idx),), ((data_of(idx),), (n,), False, 1))
        return input + _reshape(added, s)
    return _overwrite(input, idx, src)


def unravel_index(indices, shape):
    """The coordinates of flat ``indices`` in an array of ``shape``: one tensor per dim."""
    idx = _index(values_of(indices, "unravel_index"), "unravel_index")
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
    n = int(np.prod(shape, dtype=np.int64))
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"unravel_index: an index is out of range for shape {shape}")
    return tuple(constant(c.astype(np.int64), indices)
                 for c in np.unravel_index(np.where(idx < 0, idx + n, idx), shape))


def nonzero_static(input, *, size: int, fill_value: int = -1):
    """``nonzero`` padded with ``fill_value`` (or cut) to exactly ``size`` rows."""
    found = np.argwhere(values_of(input, "nonzero_static"))
    out = np.full((int(size), found.shape[1]), fill_value, dtype=np.int64)
    out[:min(int(size), len(found))] = found[:int(size)]
    return constant(out, input)


__all__ += ["unravel_index", "nonzero_static"]
