"""NumPy's indexing functions, differentiable: diagonals and triangles, ``pad``, selection
(``where``, ``select``, ``take``, ``take_along_axis``, ``choose``, ``compress``, ``extract``)
and the in-place writers (``put``, ``put_along_axis``, ``place``, ``putmask``, ``copyto``,
``fill_diagonal``).

The in-place writers follow ``ufunc.at``: on a tensor the new value is computed as a recorded
function of the old one and written with ``copy_``; on an ndarray the values are written, and a
value that requires grad is an error (its gradient would be lost).
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import composite as C
from ..primitives import elementwise as E
from ..primitives import reduction as R
from ..primitives import shape as S
from ..primitives._core import apply, is_concrete, values_of
from ._shape import _along, _slice_along, broadcast_to
from ._wrappers import (
    PY_SCALARS,
    as_array,
    const,
    data_of,
    is_tensor,
    no_out,
    numpy_unless_tensor,
    public_functions,
    requires_grad,
    shape_of,
    unwrap,
)


def _result_dtype(*xs):
    """NumPy's result dtype of ``xs``, Python numbers weak."""
    return np.result_type(*[x if type(x) in PY_SCALARS else data_of(x) for x in xs])


# --- diagonals and triangles ---------------------------------------------------------------------
def _diag_index(n1, n2, k):
    length = builtins.max(0, builtins.min(n1 - builtins.max(-k, 0), n2 - builtins.max(k, 0)))
    rows = np.arange(length) + builtins.max(-k, 0)
    return rows, rows + k


@numpy_unless_tensor(np.diag)
def diag(v, k=0):
    """``numpy.diag``: a 1-D input becomes a diagonal matrix, a 2-D one gives its diagonal."""
    v = as_array(v)
    s = data_of(v).shape
    if len(s) == 1:
        n = s[0] + builtins.abs(k)
        idx = _diag_index(n, n, k)
        # Scatter into zeros: getitem's transpose (the positions are distinct).
        return apply(S.INDEX_ADD, (v,), (idx, (n, n), True, 1))
    if len(s) == 2:
        return diagonal(v, k)
    raise ValueError(f"diag: input must be 1- or 2-d, got shape {s}")


@numpy_unless_tensor(np.diagflat)
def diagflat(v, k=0):
    """``numpy.diagflat``: the flattened input on a diagonal."""
    return diag(S.reshape(as_array(v), (-1,)), k)


@numpy_unless_tensor(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """``numpy.diagonal``: the diagonal becomes the last axis."""
    a = as_array(a)
    s = data_of(a).shape
    if len(s) < 2:
        raise ValueError(f"diagonal: diag requires an array of at least two dimensions, got "
                         f"shape {s}")
    a1, a2 = S.normalize_dim(axis1, len(s), "diagonal"), S.normalize_dim(axis2, len(s), "diagonal")
    if a1 == a2:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same (both {a1})")
    rest = tuple(i for i in range(len(s)) if i not in (a1, a2))
    x = S.permute(a, rest + (a1, a2))
    rows, cols = _diag_index(s[a1], s[a2], int(offset))
    return S.getitem(x, (Ellipsis, rows, cols))


@numpy_unless_tensor(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """``numpy.trace``: the sum of the diagonal."""
    no_out(out, "trace")
    r = R.sum(diagonal(a, offset, axis1, axis2), -1)
    return r if dtype is None else E.astype(r, dtype)


def _triangle(m, k, upper: bool, op: str):
    m = as_array(m)
    s = data_of(m).shape
    if not s:
        raise ValueError(f"{op}: input must be at least 1-d")
    # True on and below diagonal k (what tril keeps), or below it (what triu zeroes)
    below = np.tri(*(s[-2:] if len(s) > 1 else (s[0], s[0])), k=k - 1 if upper else k,
                   dtype=bool)
    zero = np.zeros(1, data_of(m).dtype)
    return E.where(below, zero, m) if upper else E.where(below, m, zero)


@numpy_unless_tensor(np.triu)
def triu(m, k=0):
    """``numpy.triu``: zeros below the k-th diagonal."""
    return _triangle(m, k, True, "triu")


@numpy_unless_tensor(np.tril)
def tril(m, k=0):
    """``numpy.tril``: zeros above the k-th diagonal."""
    return _triangle(m, k, False, "tril")


# --- padding, selection and indexing -------------------------------------------------------------
@numpy_unless_tensor(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """``numpy.pad`` with modes 'constant' (per-side values too), 'edge', 'reflect',
    'symmetric', 'wrap' and 'empty' (zeros); the gradient adds back where values were copied."""
    a = as_array(array)
    s = data_of(a).shape
    if not s:
        return a
    pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (len(s), 2))
    if np.any(pw < 0):
        raise ValueError(f"pad: index can't contain negative values, got {pad_width!r}")
    pw = tuple((int(x), int(y)) for x, y in pw)
    if mode == "empty":
        mode = "constant"
    if mode == "constant":
        cv = kwargs.pop("constant_values", 0)
        if kwargs:
            raise ValueError(f"pad: unsupported keyword arguments for mode 'constant': "
                             f"{sorted(kwargs)}")
        if is_tensor(cv):  # a traced 0-d value is a parameter the trace records; others read
            cv = cv._data if np.ndim(cv._data) == 0 and is_tensor(a) else values_of(cv, "pad")
        if np.ndim(cv) == 0:
            return apply(S.PAD, (a,), (pw, cv))
        fill = np.pad(np.zeros(s, data_of(a).dtype), pw, constant_values=cv)
        return apply(S.PAD, (a,), (pw, 0)) + fill
    if mode in ("reflect", "symmetric") and kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError("pad: reflect_type='odd' is not supported for tensors")
    kwargs.pop("reflect_type", None)
    if kwargs:
        raise ValueError(f"pad: unsupported keyword arguments for mode {mode!r}: {sorted(kwargs)}")
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise NotImplementedError(f"pad: mode {mode!r} is not supported for tensors; use "
                                  f"'constant', 'edge', 'reflect', 'symmetric', 'wrap' or "
                                  f"'empty'")
    return S.pad(a, pw, mode=mode)


@numpy_unless_tensor(np.where)
def where(condition, x=None, y=None, /):
    """``numpy.where``: three arguments select elementwise (differentiable in x and y); one
    argument is ``nonzero`` (constant index tensors)."""
    if x is None and y is None:
        return np.nonzero(values_of(condition, "where"))  # its shape depends on the values
    if x is None or y is None:
        raise ValueError("where: either both or neither of x and y should be given")
    if is_tensor(condition):  # recorded, so that a compiled program reads it
        c = condition if condition.dtype == bool else E.ne(condition, 0)
    else:
        c = np.asarray(condition).astype(bool, copy=False)
    return E.where(c, as_array(x), as_array(y))


@numpy_unless_tensor(np.select)
def select(condlist, choicelist, default=0):
    """``numpy.select``: the first choice whose condition holds, else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: list of cases must be same length as list of conditions "
                         f"({len(choicelist)} and {len(condlist)})")
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    conds = [data_of(c) for c in condlist]
    for i, c in enumerate(conds):
        if c.dtype != bool:
            raise TypeError(f"select: invalid entry {i} in condlist: should be boolean ndarray, "
                            f"got dtype {c.dtype}")
    choices = [as_array(c) for c in choicelist]
    default = as_array(default)
    dtype = _result_dtype(*choices, default)
    shape = np.broadcast_shapes(*[c.shape for c in conds], *[data_of(c).shape for c in choices],
                                np.shape(data_of(default)))
    out = default
    for c, v in zip(reversed(conds), reversed(choices)):
        out = E.where(c, v, out)
    out = E.astype(out, dtype)
    return out if data_of(out).shape == shape else S.broadcast_to(out, shape)


def _mode_index(idx, n, mode, op):
    if not is_concrete(idx):  # recorded operations, so that a compiled program reads idx
        if mode in ("wrap", "clip"):
            return E.remainder(idx, n) if mode == "wrap" and n else \
                E.clip(idx, 0, builtins.max(n - 1, 0)) if mode == "clip" else idx
        if mode != "raise":
            raise ValueError(f"{op}: clipmode must be one of 'clip', 'raise', or 'wrap', got "
                             f"{mode!r}")
        return S.wrapped_index(idx, n, f"{op}: index {{}} is out of bounds for axis with size "
                                       f"{n} (negative indices counted from the end)")
    if mode == "wrap":
        return idx % n if n else idx
    if mode == "clip":
        return np.clip(idx, 0, builtins.max(n - 1, 0))
    if mode != "raise":
        raise ValueError(f"{op}: clipmode must be one of 'clip', 'raise', or 'wrap', got "
                         f"{mode!r}")
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx[(idx < -n) | (idx >= n)].reshape(-1)[0]
        raise IndexError(f"{op}: index {bad} is out of bounds for axis with size {n}")
    return idx


@numpy_unless_tensor(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    """``numpy.take``; repeated indices add up in the gradient."""
    no_out(out, "take")
    a, axis, nd = _along(a, axis, "take")
    traced = not is_concrete(indices)
    idx = indices if traced else np.asarray(data_of(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take: indices must be integers, got dtype {idx.dtype}")
    idx = _mode_index(idx, data_of(a).shape[axis], mode, "take")
    key = idx if traced else int(idx) if idx.ndim == 0 else idx
    # a constant array as a tensor, so that the getitem of a traced index is recorded
    return S.getitem(const(a) if traced and not is_tensor(a) else a, _slice_along(nd, axis, key))


@numpy_unless_tensor(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """``numpy.take_along_axis`` (``axis=None`` works on the flattened array)."""
    a = as_array(arr)
    traced = not is_concrete(indices)  # then broadcast by a recorded operation
    idx = np.asarray(data_of(indices))
    if axis is None:
        if idx.ndim != 1:
            raise ValueError(f"take_along_axis: when axis=None, indices must have a single "
                             f"dimension, got shape {idx.shape}")
        a, axis = S.reshape(a, (-1,)), 0
    s = data_of(a).shape
    if idx.ndim != len(s):
        raise ValueError(f"take_along_axis: indices have {idx.ndim} dimensions but the array "
                         f"has {len(s)} (shape {s}); they must match")
    axis = S.normalize_dim(axis, len(s), "take_along_axis")
    # Broadcast the array and the indices against each other except along `axis`.
    other = np.broadcast_shapes(tuple(1 if i == axis else n for i, n in enumerate(s)),
                                tuple(1 if i == axis else n for i, n in enumerate(idx.shape)))
    a = const(a) if traced and not is_tensor(a) else a  # recorded with a traced index
    a = S.broadcast_to(a, tuple(s[axis] if i == axis else n for i, n in enumerate(other)))
    idx = (S.broadcast_to if traced else np.broadcast_to)(
        indices if traced else idx, tuple(idx.shape[axis] if i == axis else n
                                          for i, n in enumerate(other)))
    return S.take_along_axis(a, idx, axis)


@numpy_unless_tensor(np.choose)
def choose(a, choices, out=None, mode="raise"):
    """``numpy.choose``: differentiable in the choices."""
    no_out(out, "choose")
    idx = values_of(a, "choose")
    choices = [as_array(c) for c in choices]
    dtype = _result_dtype(*choices)
    choices = [E.astype(c, dtype) for c in choices]
    n = len(choices)
    if mode == "raise" and idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"choose: invalid entry in choice array: indices must be in [0, {n})")
    idx = _mode_index(idx, n, "raise" if mode == "raise" else mode, "choose")
    shape = np.broadcast_shapes(idx.shape, *[data_of(c).shape for c in choices])
    stacked = C.stack([S.broadcast_to(c, shape) for c in choices], axis=0)
    picked = S.take_along_axis(stacked, np.broadcast_to(idx, shape)[None].astype(np.intp), 0)
    return S.reshape(picked, shape)


@numpy_unless_tensor(np.compress)
def compress(condition, a, axis=None, out=None):
    """``numpy.compress``: the slices along ``axis`` where ``condition`` holds."""
    no_out(out, "compress")
    a, axis, nd = _along(a, axis, "compress")
    c = values_of(condition, "compress").reshape(-1)  # the result's shape depends on it
    nz = np.nonzero(c)[0]
    if nz.size and nz[-1] >= data_of(a).shape[axis]:
        raise IndexError(f"compress: condition has {c.size} entries, true beyond the length "
                         f"{data_of(a).shape[axis]} of axis {axis}")
    return S.getitem(a, _slice_along(nd, axis, nz))


@numpy_unless_tensor(np.extract)
def extract(condition, arr):
    """``numpy.extract``: the elements of ``ravel(arr)`` where ``ravel(condition)`` holds."""
    return S.getitem(S.reshape(as_array(arr), (-1,)),
                     np.nonzero(values_of(condition, "extract").reshape(-1))[0])


# --- in-place writers ----------------------------------------------------------------------------
def _write(name, dst, positions, values):
    """Write ``values`` at flat ``positions`` of ``dst`` (the last write to a position wins)."""
    if not is_tensor(dst):
        if requires_grad(values):
            raise TypeError(f"{name}: the values require grad but the target is a NumPy "
                            f"array, which would lose the gradient; use a chainrule tensor")
        flat = np.asarray(dst).reshape(-1)  # a view: dst is written in place
        flat[positions] = values_of(unwrap(values), name).reshape(-1)  # a NumPy target
        return
    n = int(np.prod(dst.shape, dtype=np.int64))
    p = np.asarray(positions).reshape(-1)
    keep = np.sort(p.size - 1 - np.unique(p[::-1], return_index=True)[1])  # last occurrences
    vals = values if is_tensor(values) else np.asarray(values)
    vals = S.reshape(vals, (-1,)) if is_tensor(vals) else vals.reshape(-1)
    vals = S.getitem(vals, keep) if is_tensor(vals) else vals[keep]
    scattered = apply(S.INDEX_ADD, (vals,), ((p[keep],), (n,), False, 1))
    mask = np.zeros(n, dtype=bool)
    mask[p[keep]] = True
    dst.copy_(S.reshape(E.where(mask, scattered, S.reshape(dst, (n,))), dst.shape))


def _cycled(values, count):
    """``values`` flattened and repeated to ``count`` entries (NumPy's put/place rule)."""
    size = int(np.prod(shape_of(values), dtype=np.int64))
    idx = np.resize(np.arange(size), count)
    if is_tensor(values):
        return S.getitem(S.reshape(values, (size,)), idx)
    return np.ravel(values)[idx]


def _flat_positions(shape):
    return np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)


@numpy_unless_tensor(np.put, stack_lists=True)
def put(a, ind, v, mode="raise"):
    """``numpy.put``: ``a.flat[ind] = v`` (values cycled), in place."""
    pos = np.ravel(_flat_positions(shape_of(a)).reshape(-1).take(
        values_of(unwrap(ind), "put"), mode=mode))
    _write("put", a, pos, _cycled(v, pos.size))


@numpy_unless_tensor(np.put_along_axis, stack_lists=True)
def put_along_axis(arr, indices, values, axis):
    """``numpy.put_along_axis``, in place."""
    pos = np.take_along_axis(_flat_positions(shape_of(arr)),
                             values_of(unwrap(indices), "put_along_axis"), axis)
    vals = broadcast_to(values, pos.shape) if is_tensor(values) else \
        np.broadcast_to(values, pos.shape)
    _write("put_along_axis", arr, pos.reshape(-1), vals)


@numpy_unless_tensor(np.place, stack_lists=True)
def place(arr, mask, vals):
    """``numpy.place``: where ``mask`` holds, the next values of ``vals`` (cycled), in
    place."""
    pos = _flat_positions(shape_of(arr))[values_of(unwrap(mask), "place").astype(bool)]
    if pos.size:
        _write("place", arr, pos, _cycled(vals, pos.size))


@numpy_unless_tensor(np.putmask, stack_lists=True)
def putmask(a, mask, values):
    """``numpy.putmask``: where ``mask`` holds, ``values`` at the same flat position (cycled),
    in place."""
    m = np.broadcast_to(values_of(unwrap(mask), "putmask").astype(bool), shape_of(a))
    pos = _flat_positions(shape_of(a))[m]
    vals = _cycled(values, int(np.prod(shape_of(a), dtype=np.int64)))
    vals = S.getitem(vals, pos) if is_tensor(vals) else vals[pos]
    _write("putmask", a, pos, vals)


@numpy_unless_tensor(np.copyto, stack_lists=True)
def copyto(dst, src, casting="same_kind", where=True):  # noqa: A002 - NumPy's keyword
    """``numpy.copyto``: ``src`` (broadcast) into ``dst`` where ``where`` holds, in place."""
    m = np.broadcast_to(values_of(unwrap(where), "copyto").astype(bool), shape_of(dst))
    pos = _flat_positions(shape_of(dst))[m]
    vals = S.broadcast_to(src, shape_of(dst)) if is_tensor(src) else \
        np.broadcast_to(src, shape_of(dst))
    vals = S.getitem(vals, m) if is_tensor(vals) else vals[m]
    _write("copyto", dst, pos, vals)


@numpy_unless_tensor(np.fill_diagonal, stack_lists=True)
def fill_diagonal(a, val, wrap=False):
    """``numpy.fill_diagonal``: ``val`` (cycled) on the main diagonal, in place."""
    shape = shape_of(a)
    flat = _flat_positions(shape)
    if len(shape) == 2:
        rows = shape[0] if wrap else builtins.min(shape)
        step = shape[1] + 1
        pos = np.arange(0, rows * shape[1], step)
        pos = pos[pos < flat.size]
    else:
        if len(set(shape)) != 1:
            raise ValueError("All dimensions of input must be of equal length")
        pos = flat[(np.arange(shape[0]),) * len(shape)]
    _write("fill_diagonal", a, pos, _cycled(val, pos.size))


__all__: list[str] = public_functions(globals(), __name__)
