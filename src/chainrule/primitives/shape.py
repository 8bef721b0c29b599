"""Shape and indexing primitives: reshape, permute, broadcast_to, getitem and its transpose,
concatenate, flip, pad, take_along_axis and its transpose.

All of these are linear in their array input: the forward rule is the operation itself applied
to the tangent, and each reverse rule is the transposed operation.
"""

from __future__ import annotations

import numpy as np

from ._core import (
    OUT_SHAPE,
    STACKED,
    Primitive,
    apply,
    nondifferentiable,
    per_input,
    register,
    shape_of,
    tensor_types,
)
from .elementwise import add as _add
from .elementwise import lt as _lt
from .elementwise import where as _where


def _lead(v, nd):
    """The leading batch axes of a tangent or cotangent ``v`` that belongs to an array of
    ``nd`` dimensions (empty when there is no batch)."""
    return v.shape[: v.ndim - nd]


def _permute_rule(v, axes):
    k = v.ndim - len(axes)
    return permute(v, tuple(range(k)) + tuple(k + a for a in axes))


def _broadcast_jvp(t, in_shape, shape):
    lead = _lead(t, len(in_shape))
    t = reshape(t, lead + (1,) * (len(shape) - len(in_shape)) + tuple(in_shape))
    return broadcast_to(t, lead + tuple(shape))


# --- batching rules (vmap): operands that carry the batch have it at axis 0 -------------------
def batch_broadcast(v, B: int):
    """An operand without the batch, broadcast along a new leading batch axis of size B."""
    return broadcast_to(v, (B,) + tuple(np.shape(v._data if type(v) in tensor_types else v)))


def batch_align(v, rank: int):
    """A batched operand given singleton axes after the batch axis, up to ``rank`` axes per
    example, so that NumPy's broadcasting lines its examples up with unbatched operands."""
    shape = np.shape(v._data if type(v) in tensor_types else v)
    missing = rank - (len(shape) - 1)
    return reshape(v, shape[:1] + (1,) * missing + shape[1:]) if missing > 0 else v


def _reshape_batch(vals, bat, params, B, pbat):
    return apply(RESHAPE, (vals[0],), ((B,) + tuple(params[0]),))


def _broadcast_batch(vals, bat, params, B, pbat):
    shape = tuple(params[0])
    return apply(BROADCAST_TO, (batch_align(vals[0], len(shape)),), ((B,) + shape,))


def _permute_batch(vals, bat, params, B, pbat):
    axes = tuple(params[0])
    return apply(PERMUTE, (vals[0],), ((0,) + tuple(int(a) % len(axes) + 1 for a in axes),))


def _take_along_batch(vals, bat, params, B, pbat):
    # the kernel stacks leading axes; indices that carry the batch too line up with it
    x = vals[0] if bat[0] else batch_broadcast(vals[0], B)
    return apply(TAKE_ALONG_AXIS, (x,), params)


def _along_axis_add_batch(vals, bat, params, B, pbat):
    g = vals[0] if bat[0] else batch_broadcast(vals[0], B)
    if pbat:  # indices with the batch in front: one more axis for the kernel's result
        params = (params[0], params[1], (B,) + tuple(params[2]))
    return apply(ALONG_AXIS_ADD, (g,), params)


RESHAPE = Primitive(
    "reshape", lambda x, shape: np.reshape(x, shape), save=(shape_of(0),),
    vjp=lambda g, in_shape, shape: reshape(g, _lead(g, len(shape)) + in_shape),
    jvp=lambda t, in_shape, shape: reshape(t, _lead(t, len(in_shape)) + shape), view=True,
    batch=_reshape_batch,
)
PERMUTE = Primitive(
    "permute", lambda x, axes: np.transpose(x, axes),
    vjp=lambda g, axes: _permute_rule(g, tuple(int(a) for a in np.argsort(axes))),
    jvp=_permute_rule, view=True, batch=_permute_batch,
)
BROADCAST_TO = Primitive(
    "broadcast_to", lambda x, shape: np.broadcast_to(x, shape), save=(shape_of(0),),
    vjp=lambda g, in_shape, shape: sum_to(g, in_shape, g.ndim - len(shape)),
    jvp=_broadcast_jvp, view=True, batch=_broadcast_batch,
)


def kept_shape(shape, axis):
    """The shape a reduction over ``axis`` (None, or axes of either sign) would have with
    keepdims=True."""
    if axis is None:
        return (1,) * len(shape)
    nd = len(shape)
    axes = {a % nd for a in axis} if nd else set()
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _restore(g, shape, axis, keepdims):
    """Broadcast a reduction's cotangent back over the reduced axes (and keep the leading
    batch axes of ``g``, if any)."""
    out_nd = len(shape) if keepdims else len(shape) - len(axis)
    lead = g.shape[: g.ndim - out_nd]
    if not keepdims:
        g = reshape(g, lead + kept_shape(shape, axis))
    return broadcast_to(g, lead + tuple(shape))


def _sum_impl(x, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims)


# sum and broadcast_to are each other's transpose, so they live side by side; ``sum``, the
# public function, and the registration of SUM are in reduction.py.
SUM = Primitive(
    "sum", _sum_impl, save=(shape_of(0),),
    vjp=lambda g, shape, axis, keepdims: _restore(g, shape, axis, keepdims),
    jvp=lambda t, shape, axis, keepdims: apply(SUM, (t,), (axis, keepdims)),
    batch=STACKED,
)


# Axes are stored negative, so the same rule serves batched tangents.
FLIP = Primitive(
    "flip", lambda x, axes: np.flip(x, axes),
    vjp=lambda g, axes: flip(g, axes), jvp=lambda t, axes: flip(t, axes), view=True,
    batch=STACKED,
)


# --- indexing ---------------------------------------------------------------------------------
def _is_basic(index) -> bool:
    """True when NumPy's basic indexing applies (no element is selected twice)."""
    items = index if type(index) is tuple else (index,)
    for it in items:
        if it is None or it is Ellipsis or type(it) in (int, slice):
            continue
        if not isinstance(it, np.integer):
            return False
    return True


def _advanced_front(index) -> int:
    """When NumPy moves the advanced-index axes to the front of the result (advanced indices
    separated by a slice, None or Ellipsis), the number of those axes; else 0. Such an index
    needs its batch axes moved explicitly."""
    items = index if type(index) is tuple else (index,)
    arrays = [np.asarray(it) for it in items if isinstance(it, (np.ndarray, list))]
    if not arrays:
        return 0
    pos = [i for i, it in enumerate(items)
           if isinstance(it, (np.ndarray, list, int, np.integer)) and not isinstance(it, bool)]
    if pos == list(range(pos[0], pos[-1] + 1)):
        return 0
    shapes = [a.nonzero()[0].shape if a.dtype == bool else a.shape for a in arrays]
    return len(np.broadcast_shapes(*shapes))


def _batched_index(index, k):
    return (slice(None),) * k + (index if type(index) is tuple else (index,))


def _getitem_impl(x, index, basic, nd):
    k = x.ndim - nd  # leading batch axes
    if not k:
        r = x[index]
        if basic and type(r) is not np.ndarray:
            # NumPy gives a scalar copy for x[i, j]; x[i, j, ...] is the 0-d view (PyTorch's
            # x[i, j] is a view too, so writing into it changes x)
            r = x[(index if type(index) is tuple else (index,)) + (Ellipsis,)]
        return r
    r = x[_batched_index(index, k)]
    front = _advanced_front(index)
    if front:  # NumPy put the advanced axes before the batch axes: put them back after
        r = np.moveaxis(r, tuple(range(front, front + k)), tuple(range(k)))
    return r


def _index_add_impl(g, index, shape, basic, nd):
    k = g.ndim - nd
    out = np.zeros(g.shape[:k] + tuple(shape), dtype=g.dtype)
    if k:
        front = _advanced_front(index)
        if front:
            g = np.moveaxis(g, tuple(range(k)), tuple(range(front, front + k)))
        index = _batched_index(index, k)
    if basic:
        out[index] = g
    else:
        np.add.at(out, index, g)  # repeated indices add up
    return out


def _getitem_vjp(g, shape, out_shape, index, basic, nd):
    # The input may itself have carried b leading batch axes (a batched tangent indexed inside
    # a forward rule): the index applies to its last nd axes, so the scatter treats those b
    # axes, like g's own extra axes, as batch.
    b = len(shape) - nd
    return apply(INDEX_ADD, (g,), (index, tuple(shape[b:]), basic, len(out_shape) - b))


GETITEM = Primitive(
    "getitem", _getitem_impl, save=(shape_of(0), OUT_SHAPE),
    vjp=_getitem_vjp,
    jvp=lambda t, shape, out_shape, index, basic, nd: apply(
        GETITEM, (t,), (index, basic, nd)),
    view=True,
    batch=STACKED,
)
# The transpose of getitem: scatter g into zeros of `shape`, adding at repeated indices.
INDEX_ADD = Primitive(
    "index_add", _index_add_impl,
    vjp=lambda g, index, shape, basic, nd: apply(GETITEM, (g,), (index, basic, len(shape))),
    jvp=lambda t, index, shape, basic, nd: apply(INDEX_ADD, (t,), (index, shape, basic, nd)),
    batch=STACKED,
)


def _with_lead(indices, v):
    """``indices`` with length-1 axes in front for the batch axes of ``v``."""
    k = v.ndim - indices.ndim
    return indices.reshape((1,) * k + indices.shape) if k > 0 else indices


def _take_along_impl(x, indices, axis):
    return np.take_along_axis(x, _with_lead(indices, x), axis)


def _along_axis_add_impl(g, indices, axis, shape):
    k = g.ndim - indices.ndim
    out = np.zeros(g.shape[:k] + tuple(shape), dtype=g.dtype)
    # A full index grid for np.add.at: positions along `axis` from `indices`, the others open.
    grids = list(np.indices(g.shape, sparse=True))
    grids[axis] = np.broadcast_to(_with_lead(indices, g), g.shape)
    np.add.at(out, tuple(grids), g)
    return out


def _along_axis_add_vjp(g, in_shape, indices, axis, shape):
    # The kernel accepts an input (and an index broadcast to it) smaller than `shape` in the
    # axes other than `axis` (PyTorch's scatter_add): its values land in the leading block of
    # the output, so the gradient reads that block, at the index broadcast to the input's shape.
    nd = len(shape)
    ins = tuple(in_shape[len(in_shape) - nd:])
    block = ins[:nd + axis] + (shape[axis],) + ins[nd + axis + 1:]
    if block != tuple(shape):
        g = apply(GETITEM, (g,), (tuple(slice(0, n) for n in block), True, nd))
    if indices.shape != ins:
        indices = np.broadcast_to(indices, ins)
    return apply(TAKE_ALONG_AXIS, (g,), (indices, axis))


# `axis` is negative (batch axes may lead).
TAKE_ALONG_AXIS = Primitive(
    "take_along_axis", _take_along_impl, save=(shape_of(0),),
    # (the input may itself carry leading batch axes that the indices lack, under vmap: the
    # scatter's shape is the indexed part, and those axes come from g, as getitem's rule does)
    vjp=lambda g, shape, indices, axis: apply(
        ALONG_AXIS_ADD, (g,), (indices, axis, shape[len(shape) - np.ndim(indices):])),
    jvp=lambda t, shape, indices, axis: apply(TAKE_ALONG_AXIS, (t,), (indices, axis)),
    batch=_take_along_batch,
)
# The transpose of take_along_axis: `indices` broadcasts to the input's shape (less its batch
# axes), which may be smaller than `shape` outside `axis` (see _along_axis_add_vjp).
ALONG_AXIS_ADD = Primitive(
    "along_axis_add", _along_axis_add_impl, save=(shape_of(0),),
    vjp=_along_axis_add_vjp,
    jvp=lambda t, in_shape, indices, axis, shape: apply(
        ALONG_AXIS_ADD, (t,), (indices, axis, shape)),
    batch=_along_axis_add_batch,
)


# --- joining and padding ------------------------------------------------------------------------
# concatenate's axis is negative (batch axes may lead).
def _concat_span(shapes, i, axis):
    start = int(np.sum([s[axis] for s in shapes[:i]], dtype=np.int64))
    return start, start + shapes[i][axis]


def _concat_rule(i, g, *saved):
    *shapes, axis = saved
    start, stop = _concat_span(shapes, i, axis)
    index = (Ellipsis, slice(start, stop)) + (slice(None),) * (-axis - 1)
    return apply(GETITEM, (g,), (index, True, len(shapes[i])))


def _concat_jvp(i, t, *saved):
    # Input i's tangent, placed at its slot in zeros of the output's shape.
    *shapes, axis = saved
    start, stop = _concat_span(shapes, i, axis)
    total = int(np.sum([s[axis] for s in shapes], dtype=np.int64))
    nd = len(shapes[i])
    pw = tuple((start, total - stop) if k - nd == axis else (0, 0) for k in range(nd))
    return apply(PAD, (t,), (pw, 0))


CONCATENATE = Primitive(
    "concatenate", lambda *args: np.concatenate(args[:-1], axis=args[-1]), nin=None,
    vjp=per_input(_concat_rule), jvp=per_input(_concat_jvp),
    batch=STACKED,
)
CONCATENATE.saver = lambda d, o: tuple(np.shape(x) for x in d)


def _pad_impl(x, pad_width, value):
    k = x.ndim - len(pad_width)
    return np.pad(x, ((0, 0),) * k + pad_width, mode="constant", constant_values=value)


def _unpad(g, pad_width):
    k = g.ndim - len(pad_width)
    index = tuple(slice(lo, g.shape[k + i] - hi) for i, (lo, hi) in enumerate(pad_width))
    return apply(GETITEM, (g,), (index, True, len(pad_width)))


PAD = Primitive(
    "pad", _pad_impl,
    vjp=lambda g, pad_width, value: _unpad(g, pad_width),
    jvp=lambda t, pad_width, value: apply(PAD, (t,), (pad_width, 0)),
    batch=STACKED,
)



_NO_BOUND = np.iinfo(np.int64).max


def _check_index_impl(idx, n=_NO_BOUND, message="index {} is out of bounds"):
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        raise IndexError(message.format(int(idx[bad].flat[0])))
    return idx


# Integer indices checked against [0, n) when they are used, as a kernel: a compiled program
# keeps the check (a negative index would otherwise wrap around silently).
CHECK_INDEX = nondifferentiable("check_index", _check_index_impl, batch=STACKED)

register(RESHAPE, PERMUTE, BROADCAST_TO, FLIP, GETITEM, INDEX_ADD, TAKE_ALONG_AXIS,
         ALONG_AXIS_ADD, CONCATENATE, PAD, CHECK_INDEX)


# --- public functions -------------------------------------------------------------------------
def _shape(x):
    return x._data.shape if type(x) in tensor_types else np.shape(x)


def normalize_dim(axis, ndim: int, op: str) -> int:
    """One axis as a non-negative int, or an IndexError naming ``op``. As in PyTorch, a 0-d
    array accepts the axes 0 and -1."""
    n = max(ndim, 1)
    if isinstance(axis, (bool, np.bool_)):  # int(True) would silently be axis 1
        raise TypeError(f"{op}: got the bool {axis!r} as an axis; axes are ints (both PyTorch "
                        f"and NumPy refuse bools here). For keepdim pass keepdim={axis!r} by "
                        f"name")
    a = int(axis)
    if not -n <= a < n:
        raise IndexError(f"{op}: axis {a} is out of range for an array of {ndim} dimension(s); "
                         f"valid axes are {-n} to {n - 1}")
    return a % n


def reshape(x, *shape):
    """Reshape (one dimension may be -1); a tuple or separate ints, like NumPy and PyTorch."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    if _shape(x) == shape:
        return x
    return apply(RESHAPE, (x,), (shape,))


def permute(x, *axes):
    """Reorder the axes: ``permute(x, (2, 0, 1))`` or ``permute(x, 2, 0, 1)``."""
    if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = tuple(axes[0])
    nd = len(_shape(x))
    if any(not -nd <= int(a) < nd for a in axes):
        raise IndexError(f"permute: axes {axes} are out of range for an array of shape "
                         f"{_shape(x)}; valid axes are {-nd} to {nd - 1}")
    axes = tuple(int(a) % nd for a in axes)
    if sorted(axes) != list(range(nd)):
        raise ValueError(f"permute: axes {axes} are not a permutation of the {nd} axes of an "
                         f"array of shape {_shape(x)}")
    if axes == tuple(range(nd)):
        return x
    return apply(PERMUTE, (x,), (axes,))


def broadcast_to(x, shape):
    """Broadcast ``x`` to ``shape`` (NumPy's rules); the gradient sums back."""
    shape = tuple(shape)
    xs = _shape(x)
    if xs == shape:
        return x
    try:
        np.broadcast_shapes(xs, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast an array of shape {xs} to {shape}; "
                         f"each dimension must match or be 1 in the input") from None
    return apply(BROADCAST_TO, (x,), (shape,))


def sum_to(x, shape, batch: int = 0):
    """Sum ``x`` down to ``shape``: the transpose of broadcasting ``shape`` up to ``x.shape``.
    The first ``batch`` axes of ``x`` are batch axes and are kept as they are."""
    xs = x.shape
    shape = tuple(shape)
    inner = xs[batch:]
    if inner == shape:
        return x
    lead = len(inner) - len(shape)
    axes = tuple(range(batch, batch + lead)) + tuple(
        batch + lead + i for i, s in enumerate(shape) if s == 1 and inner[lead + i] != 1
    )
    nd = len(xs)  # the axes as SUM takes them (negative; see reduction.py)
    return reshape(apply(SUM, (x,), (tuple(a - nd for a in axes), False)), xs[:batch] + shape)


def flip(x, axis=None):
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    nd = len(_shape(x))
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        axes = tuple(normalize_dim(a, nd, "flip") for a in axes) if nd else ()
        if len(set(axes)) != len(axes):
            raise ValueError(f"flip: repeated axis in {axis!r}")
    return apply(FLIP, (x,), (tuple(a - nd for a in axes),))


def _convert_index(index):
    """Tensors inside an index become arrays (indices carry no gradient)."""
    if type(index) is tuple:
        if any(type(i) in tensor_types or isinstance(i, list) for i in index):
            return tuple(_convert_index(i) for i in index)
        return index
    if type(index) in tensor_types:
        return index._data
    if isinstance(index, list):
        return np.asarray(index._data if type(index) in tensor_types else index)
    return index


def getitem(x, index):
    """``x[index]`` with NumPy's basic and advanced indexing; repeated indices add up in the
    gradient."""
    index = _convert_index(index)
    return apply(GETITEM, (x,), (index, _is_basic(index), len(_shape(x))))


def check_index(idx, n: int, message: str):
    """``idx`` (integers), raising ``IndexError(message.format(value))`` for the first value
    outside ``[0, n)``; recorded, so a compiled program checks at every call."""
    return apply(CHECK_INDEX, (idx,), (n, message))


def wrapped_index(index, n: int, message: str):
    """The integer tensor ``index`` with its negative entries counted from the end (``+ n``),
    each checked against ``[0, n)`` by a recorded kernel (``message.format(value)``, value
    after that wrap): the traced form of normalising an index with NumPy, whose array a
    primitive takes as a parameter (the trace records it as a value of the program)."""
    return check_index(_where(_lt(index, 0), _add(index, n), index), n, message)


def take_along_axis(x, indices, axis):
    """``numpy.take_along_axis``: pick values along ``axis`` at ``indices``."""
    indices = np.asarray(indices._data if type(indices) in tensor_types else indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"take_along_axis: indices must be integers, got dtype {indices.dtype}")
    nd = len(_shape(x))
    if indices.ndim != nd:
        raise ValueError(f"take_along_axis: indices have {indices.ndim} dimensions but the "
                         f"array has {nd}; they must match (use expand_dims on the indices)")
    return apply(TAKE_ALONG_AXIS, (x,),
                 (indices, normalize_dim(axis, nd, "take_along_axis") - nd))


def concatenate(arrays, axis=0):
    """Join a sequence of arrays along an existing axis."""
    arrays = tuple(arrays)
    if not arrays:
        raise ValueError("concatenate: need at least one array to concatenate")
    nd = len(_shape(arrays[0]))
    if nd == 0:
        raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated; "
                         "use stack instead")
    axis = normalize_dim(axis, nd, "concatenate")
    for k, a in enumerate(arrays):
        s, s0 = _shape(a), _shape(arrays[0])
        if len(s) != nd or s[:axis] + s[axis + 1:] != s0[:axis] + s0[axis + 1:]:
            raise ValueError(
                f"concatenate: array {k} has shape {s}, which does not match shape {s0} of "
                f"array 0 in all dimensions except axis {axis}")
    return apply(CONCATENATE, arrays, (axis - nd,))


def pad(x, pad_width, mode="constant", constant_values=0):
    """NumPy's ``pad``. Mode 'constant' pads with a value; 'edge', 'reflect', 'symmetric' and
    'wrap' gather from the array itself (their gradient adds back where values were copied)."""
    shape = _shape(x)
    if not shape:  # a 0-d array has no axis to pad (NumPy returns it unchanged)
        return x
    pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (len(shape), 2))
    pw = tuple((int(a), int(b)) for a, b in pw)
    if mode == "constant":
        return apply(PAD, (x,), (pw, constant_values))
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise ValueError(f"pad: unsupported mode {mode!r}; use 'constant', 'edge', 'reflect', "
                         f"'symmetric' or 'wrap'")
    # Each padded position reads some input position: build those positions with np.pad on
    # index ranges, then gather (advanced indexing; the gradient scatters back and adds).
    grids = np.ix_(*[np.pad(np.arange(n), p, mode=mode) for n, p in zip(shape, pw)])
    return getitem(x, grids)
