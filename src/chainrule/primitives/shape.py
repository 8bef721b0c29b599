"""Shape and indexing primitives: reshape, permute, broadcast_to, getitem and its transpose,
concatenate, flip, pad, take_along_axis and its transpose.

All of these are linear in their array input: the forward rule is the operation itself applied
to the tangent, and each reverse rule is the transposed operation.
"""

from __future__ import annotations

import numpy as np

from ._core import Primitive, apply, per_input, register, shape_of, tensor_types

RESHAPE = Primitive(
    "reshape", lambda x, shape: np.reshape(x, shape), save=(shape_of(0),),
    vjp=lambda g, in_shape, shape: reshape(g, in_shape),
    jvp=lambda t, in_shape, shape: reshape(t, shape), linear=True,
)
PERMUTE = Primitive(
    "permute", lambda x, axes: np.transpose(x, axes),
    vjp=lambda g, axes: permute(g, tuple(np.argsort(axes))),
    jvp=lambda t, axes: permute(t, axes), linear=True,
)
BROADCAST_TO = Primitive(
    "broadcast_to", lambda x, shape: np.broadcast_to(x, shape), save=(shape_of(0),),
    vjp=lambda g, in_shape, shape: _sum_to(g, in_shape),
    jvp=lambda t, in_shape, shape: broadcast_to(t, shape), linear=True,
)
FLIP = Primitive(
    "flip", lambda x, axes: np.flip(x, axes),
    vjp=lambda g, axes: flip(g, axes), jvp=lambda t, axes: flip(t, axes), linear=True,
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


def _index_add_impl(g, index, shape, basic):
    out = np.zeros(shape, dtype=g.dtype)
    if basic:
        out[index] = g
    else:
        np.add.at(out, index, g)  # repeated indices add up
    return out


GETITEM = Primitive(
    "getitem", lambda x, index, basic: x[index], save=(shape_of(0),),
    vjp=lambda g, shape, index, basic: apply(INDEX_ADD, (g,), (index, shape, basic)),
    jvp=lambda t, shape, index, basic: apply(GETITEM, (t,), (index, basic)), linear=True,
)
# The transpose of getitem: scatter g into zeros of `shape`, adding at repeated indices.
INDEX_ADD = Primitive(
    "index_add", _index_add_impl,
    vjp=lambda g, index, shape, basic: apply(GETITEM, (g,), (index, basic)),
    jvp=lambda t, index, shape, basic: apply(INDEX_ADD, (t,), (index, shape, basic)),
    linear=True,
)


def _along_axis_add_impl(g, indices, axis, shape):
    out = np.zeros(shape, dtype=g.dtype)
    # A full index grid for np.add.at: positions along `axis` from `indices`, the others open.
    grids = list(np.indices(indices.shape, sparse=True))
    grids[axis] = indices
    np.add.at(out, tuple(grids), g)
    return out


TAKE_ALONG_AXIS = Primitive(
    "take_along_axis", lambda x, indices, axis: np.take_along_axis(x, indices, axis),
    save=(shape_of(0),),
    vjp=lambda g, shape, indices, axis: apply(ALONG_AXIS_ADD, (g,), (indices, axis, shape)),
    jvp=lambda t, shape, indices, axis: apply(TAKE_ALONG_AXIS, (t,), (indices, axis)),
    linear=True,
)
ALONG_AXIS_ADD = Primitive(
    "along_axis_add", _along_axis_add_impl,
    vjp=lambda g, indices, axis, shape: apply(TAKE_ALONG_AXIS, (g,), (indices, axis)),
    jvp=lambda t, indices, axis, shape: apply(ALONG_AXIS_ADD, (t,), (indices, axis, shape)),
    linear=True,
)


# --- joining and padding ------------------------------------------------------------------------
def _concat_rule(i, g, *saved):
    *shapes, axis = saved
    start = int(np.sum([s[axis] for s in shapes[:i]], dtype=np.int64))
    index = (slice(None),) * axis + (slice(start, start + shapes[i][axis]),)
    return apply(GETITEM, (g,), (index, True))


def _concat_jvp(i, t, *saved):
    # Input i's tangent, placed at its slot in zeros of the output's shape.
    *shapes, axis = saved
    start = int(np.sum([s[axis] for s in shapes[:i]], dtype=np.int64))
    total = int(np.sum([s[axis] for s in shapes], dtype=np.int64))
    pw = tuple((start, total - start - s) if k == axis else (0, 0)
               for k, s in enumerate(shapes[i]))
    return apply(PAD, (t,), (pw, 0))


CONCATENATE = Primitive(
    "concatenate", lambda *args: np.concatenate(args[:-1], axis=args[-1]), nin=None,
    vjp=per_input(_concat_rule), jvp=per_input(_concat_jvp), linear=True,
)
CONCATENATE.saver = lambda d, o: tuple(np.shape(x) for x in d)


def _pad_impl(x, pad_width, value):
    return np.pad(x, pad_width, mode="constant", constant_values=value)


def _unpad(g, pad_width):
    index = tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(pad_width))
    return apply(GETITEM, (g,), (index, True))


PAD = Primitive(
    "pad", _pad_impl,
    vjp=lambda g, pad_width, value: _unpad(g, pad_width),
    jvp=lambda t, pad_width, value: apply(PAD, (t,), (pad_width, 0)), linear=True,
)

register(RESHAPE, PERMUTE, BROADCAST_TO, FLIP, GETITEM, INDEX_ADD, TAKE_ALONG_AXIS,
         ALONG_AXIS_ADD, CONCATENATE, PAD)


# --- public functions -------------------------------------------------------------------------
def _shape(x):
    return x._data.shape if type(x) in tensor_types else np.shape(x)


def normalize_dim(axis, ndim: int, op: str) -> int:
    """One axis as a non-negative int, or an IndexError naming ``op``. As in PyTorch, a 0-d
    array accepts the axes 0 and -1."""
    n = max(ndim, 1)
    a = int(axis)
    if not -n <= a < n:
        raise IndexError(f"{op}: axis {a} is out of range for an array of {ndim} dimension(s); "
                         f"valid axes are {-n} to {n - 1}")
    return a % n


def _sum_to(g, shape):
    from .reduction import sum_to

    return sum_to(g, shape)


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
    return apply(FLIP, (x,), (axes,))


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
    return apply(GETITEM, (x,), (index, _is_basic(index)))


def take_along_axis(x, indices, axis):
    """``numpy.take_along_axis``: pick values along ``axis`` at ``indices``."""
    indices = np.asarray(indices._data if type(indices) in tensor_types else indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"take_along_axis: indices must be integers, got dtype {indices.dtype}")
    nd = len(_shape(x))
    if indices.ndim != nd:
        raise ValueError(f"take_along_axis: indices have {indices.ndim} dimensions but the "
                         f"array has {nd}; they must match (use expand_dims on the indices)")
    return apply(TAKE_ALONG_AXIS, (x,), (indices, normalize_dim(axis, nd, "take_along_axis")))


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
    return apply(CONCATENATE, arrays, (axis,))


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
