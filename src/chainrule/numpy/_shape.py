"""NumPy's shape functions, differentiable: reshaping and moving axes, broadcasting, joining
and splitting, repeating, rolling and flipping, ``append``, ``insert`` and ``delete``.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from .. import composite as C
from ..primitives import elementwise as E
from ..primitives import reduction as R
from ..primitives import shape as S
from ..primitives._core import values_of
from ._wrappers import (
    as_array,
    const,
    data_of,
    has_tensor,
    no_out,
    numpy_unless_tensor,
    public_functions,
    shape_of,
)


def _slice_along(nd, axis, sl):
    """The index that applies ``sl`` along ``axis`` of an ``nd``-dimensional array."""
    return (slice(None),) * axis + (sl,) + (slice(None),) * (nd - axis - 1)


def _along(a, axis, op: str):
    """``(a, axis, ndim)``: ``a`` as an array, ``axis`` normalised; ``axis=None`` means the
    flattened array (NumPy's rule for take, compress, repeat and delete)."""
    a = as_array(a)
    if axis is None:
        a, axis = S.reshape(a, (-1,)), 0
    nd = data_of(a).ndim
    return a, S.normalize_dim(axis, nd, op), nd


# --- reshaping and axes --------------------------------------------------------------------------
def _rev(a):
    nd = data_of(a).ndim
    return S.permute(a, tuple(reversed(range(nd)))) if nd > 1 else a


@numpy_unless_tensor(np.reshape)
def reshape(a, /, shape, order="C", *, copy=None):
    """``numpy.reshape`` (orders 'C' and 'F')."""
    a = as_array(a)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if order == "F":
        return _rev(S.reshape(_rev(a), tuple(reversed(shape))))
    return S.reshape(a, shape)


@numpy_unless_tensor(np.ravel)
def ravel(a, order="C"):
    """``numpy.ravel`` (orders 'C' and 'F')."""
    a = as_array(a)
    return S.reshape(_rev(a) if order == "F" else a, (-1,))


@numpy_unless_tensor(np.transpose)
def transpose(a, axes=None):
    """``numpy.transpose``: reverse the axes, or permute them by ``axes``."""
    a = as_array(a)
    if axes is None:
        return _rev(a)
    return S.permute(a, tuple(axes))


@numpy_unless_tensor(np.permute_dims)
def permute_dims(a, axes=None):
    """``numpy.permute_dims``: the array-API name of ``transpose``."""
    return transpose(a, axes)


@numpy_unless_tensor(np.matrix_transpose)
def matrix_transpose(x, /):
    """``numpy.matrix_transpose``: swap the last two axes."""
    x = as_array(x)
    if data_of(x).ndim < 2:
        raise ValueError(f"matrix_transpose: input array must be at least 2-dimensional, got "
                         f"shape {data_of(x).shape}")
    return C.swapaxes(x, -1, -2)


@numpy_unless_tensor(np.resize)
def resize(a, new_shape):
    """``numpy.resize``: the flattened data repeated (or cut) to fill ``new_shape``."""
    a = as_array(a)
    shape = (new_shape,) if isinstance(new_shape, (int, np.integer)) else tuple(new_shape)
    if builtins.any(n < 0 for n in shape):
        raise ValueError(f"resize: all elements of `new_shape` must be non-negative, got "
                         f"{shape}")
    n = int(np.prod(shape, dtype=np.int64))
    size = data_of(a).size
    if size == 0 or n == 0:
        return const(np.zeros(shape, data_of(a).dtype))
    return S.reshape(S.getitem(S.reshape(a, (-1,)), np.arange(n) % size), shape)


@numpy_unless_tensor(np.trim_zeros)
def trim_zeros(filt, trim="fb", axis=None):
    """``numpy.trim_zeros``: the slice without leading and/or trailing zeros."""
    a = as_array(filt)
    d = data_of(a)
    trim = trim.lower()
    if trim not in ("f", "b", "fb", "bf"):
        raise ValueError(f"trim_zeros: unexpected character(s) in `trim`: {trim!r}")
    axes = range(d.ndim) if axis is None else _axis_list(axis, d.ndim, "trim_zeros")
    nz = values_of(a, "trim_zeros") != 0  # the result's shape depends on the values
    index = [slice(None)] * d.ndim
    for ax in axes:
        hits = np.nonzero(np.any(nz, axis=tuple(i for i in range(d.ndim) if i != ax)))[0]
        if hits.size == 0:
            index[ax] = slice(0, 0)
            continue
        start = int(hits[0]) if "f" in trim else 0
        stop = int(hits[-1]) + 1 if "b" in trim else d.shape[ax]
        index[ax] = slice(start, stop)
    return S.getitem(a, tuple(index))


def _axis_list(axis, nd, op):
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    return [S.normalize_dim(x, nd, op) for x in axes]


@numpy_unless_tensor(np.moveaxis)
def moveaxis(a, source, destination):
    """``numpy.moveaxis``."""
    a = as_array(a)
    nd = data_of(a).ndim
    src = _axis_list(source, nd, "moveaxis")
    dst = _axis_list(destination, nd, "moveaxis")
    if len(src) != len(dst):
        raise ValueError("moveaxis: `source` and `destination` arguments must have the same "
                         f"number of elements ({len(src)} and {len(dst)})")
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axis in {source!r} or {destination!r}")
    order = [i for i in range(nd) if i not in src]
    for d_, s in sorted(zip(dst, src)):
        order.insert(d_, s)
    return S.permute(a, tuple(order))


@numpy_unless_tensor(np.rollaxis)
def rollaxis(a, axis, start=0):
    """``numpy.rollaxis``."""
    a = as_array(a)
    nd = data_of(a).ndim
    axis = S.normalize_dim(axis, nd, "rollaxis")
    if not -nd <= start <= nd:
        raise ValueError(f"rollaxis: start {start} is out of range for an array of {nd} "
                         f"dimension(s); it must be in [{-nd}, {nd}]")
    start = start + nd if start < 0 else start
    if axis < start:
        start -= 1
    if axis == start:
        return a
    order = [i for i in range(nd) if i != axis]
    order.insert(start, axis)
    return S.permute(a, tuple(order))


@numpy_unless_tensor(np.swapaxes)
def swapaxes(a, axis1, axis2):
    """``numpy.swapaxes``."""
    return C.swapaxes(as_array(a), axis1, axis2)


@numpy_unless_tensor(np.expand_dims)
def expand_dims(a, axis):
    """``numpy.expand_dims``; ``axis`` may be a tuple."""
    return C.expand_dims(as_array(a), axis)


@numpy_unless_tensor(np.squeeze)
def squeeze(a, axis=None):
    """``numpy.squeeze``; selecting an axis whose length is not 1 is an error (NumPy)."""
    a = as_array(a)
    s = data_of(a).shape
    if axis is None:
        return S.reshape(a, tuple(n for n in s if n != 1))
    axes = R.normalize_axis(axis, len(s), "squeeze") or ()
    for i in axes:
        if s[i] != 1:
            raise ValueError(f"squeeze: cannot select an axis to squeeze out which has size not "
                             f"equal to one (axis {i} of shape {s})")
    return S.reshape(a, tuple(n for i, n in enumerate(s) if i not in axes))


def _atleast(arys, nd, op):
    out = []
    for x in arys:
        x = as_array(x)
        s = data_of(x).shape
        if len(s) < nd:
            if nd == 3 and len(s) == 1:
                s = (1,) + s + (1,)
            elif nd == 3 and len(s) == 2:
                s = s + (1,)
            else:
                s = (1,) * (nd - len(s)) + s
            x = S.reshape(x, s)
        out.append(x)
    return out[0] if len(out) == 1 else tuple(out)


@numpy_unless_tensor(np.atleast_1d)
def atleast_1d(*arys):
    """``numpy.atleast_1d``."""
    return _atleast(arys, 1, "atleast_1d")


@numpy_unless_tensor(np.atleast_2d)
def atleast_2d(*arys):
    """``numpy.atleast_2d``: a 1-D array becomes a row."""
    return _atleast(arys, 2, "atleast_2d")


@numpy_unless_tensor(np.atleast_3d)
def atleast_3d(*arys):
    """``numpy.atleast_3d``: (n,) becomes (1, n, 1), (m, n) becomes (m, n, 1)."""
    return _atleast(arys, 3, "atleast_3d")


@numpy_unless_tensor(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    """``numpy.broadcast_to``; the gradient sums back over the broadcast axes."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return S.broadcast_to(as_array(array), shape)


@numpy_unless_tensor(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    """``numpy.broadcast_arrays``: a tuple of arrays broadcast to one shape."""
    args = [as_array(a) for a in args]
    try:
        shape = np.broadcast_shapes(*[data_of(a).shape for a in args])
    except ValueError:
        raise ValueError(f"broadcast_arrays: shapes {[data_of(a).shape for a in args]} cannot be "
                         f"broadcast together") from None
    return tuple(S.broadcast_to(a, shape) for a in args)


# --- joining -------------------------------------------------------------------------------------
def _cast_all(arrays, dtype):
    arrays = [as_array(x) for x in arrays]
    return arrays if dtype is None else [E.astype(x, dtype) for x in arrays]


@numpy_unless_tensor(np.concatenate)
def concatenate(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``numpy.concatenate`` (``axis=None`` joins the flattened arrays)."""
    no_out(out, "concatenate")
    arrays = _cast_all(arrays, dtype)
    if axis is None:
        arrays = [S.reshape(x, (-1,)) for x in arrays]
        axis = 0
    return S.concatenate(arrays, axis)


@numpy_unless_tensor(np.concat)
def concat(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``numpy.concat``: the array-API name of ``concatenate``."""
    return concatenate(arrays, axis, out, dtype=dtype, casting=casting)


@numpy_unless_tensor(np.stack)
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``numpy.stack``: join along a new axis."""
    no_out(out, "stack")
    return C.stack(_cast_all(arrays, dtype), axis=axis)


@numpy_unless_tensor(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    """``numpy.hstack``."""
    arrs = _cast_all(tup, dtype)
    arrs = [_atleast([x], 1, "hstack") for x in arrs]
    if not arrs:
        raise ValueError("hstack: need at least one array to concatenate")
    return S.concatenate(arrs, 0 if data_of(arrs[0]).ndim == 1 else 1)


@numpy_unless_tensor(np.vstack)
def vstack(tup, *, dtype=None, casting="same_kind"):
    """``numpy.vstack``."""
    arrs = [_atleast([x], 2, "vstack") for x in _cast_all(tup, dtype)]
    if not arrs:
        raise ValueError("vstack: need at least one array to concatenate")
    return S.concatenate(arrs, 0)


def row_stack(tup, *, dtype=None, casting="same_kind"):
    """``numpy.row_stack``: a deprecated alias of ``vstack`` (as in NumPy 2)."""
    warnings.warn("`row_stack` alias is deprecated. Use `np.vstack` directly.",
                  DeprecationWarning, stacklevel=2)
    return vstack(tup, dtype=dtype, casting=casting)


@numpy_unless_tensor(np.dstack)
def dstack(tup):
    """``numpy.dstack``."""
    arrs = [_atleast([x], 3, "dstack") for x in _cast_all(tup, None)]
    if not arrs:
        raise ValueError("dstack: need at least one array to concatenate")
    return S.concatenate(arrs, 2)


@numpy_unless_tensor(np.column_stack)
def column_stack(tup):
    """``numpy.column_stack``: 1-D arrays become columns."""
    arrs = []
    for x in _cast_all(tup, None):
        if data_of(x).ndim < 2:
            x = S.reshape(x, (-1, 1))
        arrs.append(x)
    if not arrs:
        raise ValueError("column_stack: need at least one array to concatenate")
    return S.concatenate(arrs, 1)


def _block_depth(x, path="arrays"):
    if isinstance(x, tuple):
        raise TypeError(f"block: {path} is a tuple; only lists can be used to arrange blocks, "
                        f"and np.block does not allow implicit conversion from tuple to ndarray")
    if not isinstance(x, list):
        return 0, data_of(x).ndim
    if not x:
        raise ValueError(f"block: list {path} cannot be empty")
    depths = [_block_depth(e, f"{path}[{i}]") for i, e in enumerate(x)]
    if len({dp for dp, _ in depths}) != 1:
        raise ValueError(f"block: list depths are mismatched inside {path}: "
                         f"{[dp for dp, _ in depths]}")
    return depths[0][0] + 1, builtins.max(nd for _, nd in depths)


@numpy_unless_tensor(np.block)
def block(arrays):
    """``numpy.block``: assemble an array from nested lists of blocks."""
    depth, max_nd = _block_depth(arrays)
    nd = builtins.max(depth, max_nd)

    def build(x, level):
        if not isinstance(x, list):
            x = as_array(x)
            s = data_of(x).shape
            return S.reshape(x, (1,) * (nd - len(s)) + s)
        return S.concatenate([build(e, level + 1) for e in x], nd - (depth - level))

    return build(arrays, 0)


# --- splitting -----------------------------------------------------------------------------------
def _split(a, sections, axis, equal, op):
    a = as_array(a)
    nd = data_of(a).ndim
    axis = S.normalize_dim(axis, nd, op)
    n = data_of(a).shape[axis]
    if isinstance(sections, (int, np.integer)):
        k = int(sections)
        if k <= 0:
            raise ValueError(f"{op}: number sections must be larger than 0, got {k}")
        if equal and n % k:
            raise ValueError(f"{op}: array split does not result in an equal division: axis "
                             f"{axis} has length {n}, not divisible by {k} (use array_split)")
        each, extra = divmod(n, k)
        sizes = [each + 1] * extra + [each] * (k - extra)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        bounds = [0] + [int(i) for i in sections] + [n]
    return [S.getitem(a, _slice_along(nd, axis, slice(lo, hi)))
            for lo, hi in zip(bounds[:-1], bounds[1:])]


@numpy_unless_tensor(np.split)
def split(ary, indices_or_sections, axis=0):
    """``numpy.split``: equal sections, or cuts at the given indices (a list of arrays)."""
    return _split(ary, indices_or_sections, axis, True, "split")


@numpy_unless_tensor(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    """``numpy.array_split``: like split, sections may differ by one."""
    return _split(ary, indices_or_sections, axis, False, "array_split")


@numpy_unless_tensor(np.hsplit)
def hsplit(ary, indices_or_sections):
    """``numpy.hsplit``."""
    nd = data_of(ary).ndim
    if nd == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return _split(ary, indices_or_sections, 1 if nd > 1 else 0, True, "hsplit")


@numpy_unless_tensor(np.vsplit)
def vsplit(ary, indices_or_sections):
    """``numpy.vsplit``."""
    if data_of(ary).ndim < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return _split(ary, indices_or_sections, 0, True, "vsplit")


@numpy_unless_tensor(np.dsplit)
def dsplit(ary, indices_or_sections):
    """``numpy.dsplit``."""
    if data_of(ary).ndim < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return _split(ary, indices_or_sections, 2, True, "dsplit")


# --- repeating, rolling, flipping ----------------------------------------------------------------
@numpy_unless_tensor(np.tile)
def tile(A, reps):  # noqa: N803 - NumPy's name
    """``numpy.tile``: broadcast and reshape (the gradient sums over the copies)."""
    a = as_array(A)
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    s = data_of(a).shape
    nd = builtins.max(len(s), len(reps))
    s = (1,) * (nd - len(s)) + s
    reps = (1,) * (nd - len(reps)) + reps
    inter = tuple(v for n in s for v in (1, n))
    big = tuple(v for r, n in zip(reps, s) for v in (r, n))
    x = S.broadcast_to(S.reshape(a, inter), big)
    return S.reshape(x, tuple(r * n for r, n in zip(reps, s)))


@numpy_unless_tensor(np.repeat)
def repeat(a, repeats, axis=None):
    """``numpy.repeat``: one count for all, or one per element."""
    a, axis, _ = _along(a, axis, "repeat")
    s = data_of(a).shape
    r = values_of(repeats, "repeat")  # the result's shape depends on them
    if np.any(r < 0):
        raise ValueError("repeat: negative dimensions are not allowed (repeats must be >= 0)")
    if r.size == 1:  # one count: broadcast along a new axis, then merge
        k = int(r.reshape(()))
        x = S.reshape(a, s[:axis + 1] + (1,) + s[axis + 1:])
        x = S.broadcast_to(x, s[:axis + 1] + (k,) + s[axis + 1:])
        return S.reshape(x, s[:axis] + (s[axis] * k,) + s[axis + 1:])
    if r.shape != (s[axis],):
        raise ValueError(f"repeat: operands could not be broadcast together: {r.size} repeats "
                         f"for axis {axis} of length {s[axis]}")
    idx = np.repeat(np.arange(s[axis]), r)
    return S.getitem(a, _slice_along(len(s), axis, idx))


@numpy_unless_tensor(np.roll)
def roll(a, shift, axis=None):
    """``numpy.roll`` (shift and axis may be tuples)."""
    a = as_array(a)
    if axis is None:
        s = data_of(a).shape
        return S.reshape(roll(S.reshape(a, (-1,)), shift, 0), s)
    nd = data_of(a).ndim
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    total = {}
    for sh, ax in zip(shifts.reshape(-1), axes.reshape(-1)):
        ax = S.normalize_dim(ax, nd, "roll")
        total[ax] = total.get(ax, 0) + int(sh)
    for ax, sh in total.items():
        n = data_of(a).shape[ax]
        if n and sh % n:
            a = S.getitem(a, _slice_along(nd, ax, np.roll(np.arange(n), sh)))
    return a


@numpy_unless_tensor(np.flip)
def flip(m, axis=None):
    """``numpy.flip``."""
    return S.flip(as_array(m), axis)


@numpy_unless_tensor(np.fliplr)
def fliplr(m):
    """``numpy.fliplr``."""
    m = as_array(m)
    if data_of(m).ndim < 2:
        raise ValueError(f"fliplr: input must be >= 2-d, got shape {data_of(m).shape}")
    return S.flip(m, 1)


@numpy_unless_tensor(np.flipud)
def flipud(m):
    """``numpy.flipud``."""
    m = as_array(m)
    if data_of(m).ndim < 1:
        raise ValueError("flipud: input must be >= 1-d, got a 0-d array")
    return S.flip(m, 0)


@numpy_unless_tensor(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    """``numpy.rot90``."""
    m = as_array(m)
    nd = data_of(m).ndim
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("rot90: len(axes) must be 2")
    if axes[0] == axes[1] or builtins.abs(axes[0] - axes[1]) == nd:
        raise ValueError(f"rot90: axes must be different, got {axes}")
    if not (-nd <= axes[0] < nd and -nd <= axes[1] < nd):
        raise ValueError(f"rot90: axes={axes} out of range for array of ndim={nd}")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return S.flip(S.flip(m, axes[0]), axes[1])
    perm = list(range(nd))
    a0, a1 = axes[0] % nd, axes[1] % nd
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return S.permute(S.flip(m, a1), tuple(perm))
    return S.flip(S.permute(m, tuple(perm)), a1)


@numpy_unless_tensor(np.append)
def append(arr, values, axis=None):
    """``numpy.append``."""
    arr, values = as_array(arr), as_array(values)
    if axis is None:
        return S.concatenate([S.reshape(arr, (-1,)), S.reshape(values, (-1,))], 0)
    return S.concatenate([arr, values], axis)


@numpy_unless_tensor(np.insert)
def insert(arr, obj, values, axis=None):
    """``numpy.insert``: differentiable in ``arr`` and ``values`` (cast to arr's dtype)."""
    a = as_array(arr)
    v = as_array(values)
    d, vd = data_of(a), data_of(v)
    # Where each output element comes from, found by running NumPy's insert on index arrays:
    # positions from `arr` carry index + 1, inserted positions carry 0; and separately the
    # index into `values` that NumPy broadcast into each inserted slot.
    obj = values_of(obj, "insert") if has_tensor(obj) else obj
    # (the zeros have values' shape: with a scalar obj NumPy inserts as many slots as values
    # has along the axis)
    src = np.insert(np.arange(1, d.size + 1).reshape(d.shape), obj, np.zeros(vd.shape, np.intp),
                    axis=axis)
    vidx = np.insert(np.zeros(d.shape, np.intp), obj, np.arange(vd.size).reshape(vd.shape),
                     axis=axis)
    from_arr = src > 0
    flat_a = S.reshape(a, (-1,))
    flat_v = S.reshape(E.astype(v, d.dtype), (-1,))
    left = S.getitem(flat_a, np.where(from_arr, src - 1, 0))
    if vd.size == 0:
        return left
    return E.where(from_arr, left, S.getitem(flat_v, vidx))


@numpy_unless_tensor(np.delete)
def delete(arr, obj, axis=None):
    """``numpy.delete``."""
    a, axis, nd = _along(arr, axis, "delete")
    obj = values_of(obj, "delete") if has_tensor(obj) else obj
    keep = np.delete(np.arange(data_of(a).shape[axis]), obj)
    return S.getitem(a, _slice_along(nd, axis, keep))


@numpy_unless_tensor(np.unstack, stack_lists=True)
def unstack(x, /, *, axis=0):
    """``numpy.unstack``: the slices along ``axis``, as a tuple."""
    nd = len(shape_of(x))
    axis = S.normalize_dim(axis, nd, "unstack")
    lead = (slice(None),) * axis
    return tuple(S.getitem(x, lead + (i,)) for i in range(shape_of(x)[axis]))


__all__: list[str] = public_functions(globals(), __name__)
