"""PyTorch-spelled shape operations (see chainrule/ops/__init__.py): joining, splitting,
reordering, repeating and the triangular/diagonal family, composed from the shape primitives
(reshape, permute, broadcast_to, flip, getitem, concatenate, pad), so that every derivative is
theirs."""

from __future__ import annotations

import builtins
import itertools

import numpy as np

from .. import composite as C
from ..primitives import shape as S
from ..primitives._conj import astype, conj
from ..primitives._core import apply, array_of, data_of, is_concrete, tensor_types, values_of
from ..primitives.elementwise import stop_gradient, where
from ..primitives.reduction import sum as _sum
from ..primitives.shape import INDEX_ADD, broadcast_to, getitem, normalize_dim

__all__ = [
    "concatenate", "cat", "concat", "stack", "hstack", "vstack", "dstack", "column_stack",
    "row_stack", "flip", "fliplr", "flipud", "roll", "rot90", "narrow", "unbind", "split",
    "tensor_split", "hsplit", "vsplit", "dsplit", "chunk", "movedim", "moveaxis",
    "transpose", "swapaxes", "swapdims", "t", "adjoint", "squeeze", "unsqueeze", "flatten",
    "unflatten", "ravel", "broadcast_tensors", "broadcast_shapes", "atleast_1d",
    "atleast_2d", "atleast_3d", "tile", "repeat_interleave", "tril", "triu", "tril_indices",
    "triu_indices", "diag", "diag_embed", "diagonal", "diagflat", "trace", "meshgrid",
    "cartesian_prod", "combinations", "block_diag", "clone", "as_strided", "fill",
]


_concatenate, _flip, _pad, _permute, _reshape = S.concatenate, S.flip, S.pad, S.permute, S.reshape


# --- helpers shared by the ops modules ---------------------------------------------------------
def shape_of(x) -> tuple:
    return x._data.shape if type(x) in tensor_types else np.shape(x)


def has_tensor(*xs) -> bool:
    return any(type(x) in tensor_types for x in xs)


def tensor_type():
    """chainrule's Tensor class (handed down at import; the base of any subclass)."""
    return builtins.min(tensor_types, key=lambda c: len(c.__mro__))


def constant(array, *like):
    """``array`` as a constant tensor when any of ``like`` is a tensor (or none is given, as
    for factories such as ``tril_indices``), else as the array itself."""
    if like and not has_tensor(*like):
        return np.asarray(array)
    return tensor_type()._constant(np.asarray(array))


def int_list(x, op: str) -> list[int]:
    """An int, a sequence of ints or an integer tensor, as a list of ints."""
    d = data_of(x)
    if isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)):
        return [int(d)]
    d = values_of(x, op)
    if d.dtype.kind not in "iu" and d.size:
        raise TypeError(f"{op}: expected ints, got {x!r} of dtype {d.dtype}")
    return [int(v) for v in d.reshape(-1)]


def sizes_arg(sizes, op: str) -> tuple:
    """PyTorch's ``*sizes``: separate ints or one sequence."""
    if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
        sizes = tuple(sizes[0])
    return tuple(int(s) for s in sizes)


def _dim_axis(dim, axis, default, op):
    d = C.pick_axis(C._MISSING if dim is None else dim, C._MISSING if axis is None else axis, op)
    return default if d is None else d


def _same_dtype(src, like):
    dt = array_of(like).dtype
    return src if array_of(src).dtype == dt else astype(src, dt)


def _select_from(input, src_flat, positions):
    """``out.flat[i] = cat(input.flat, src_flat)[positions.flat[i]]``, shaped as input."""
    both = _concatenate([_reshape(input, (-1,)), _reshape(_same_dtype(src_flat, input), (-1,))])
    return _reshape(getitem(both, (positions.reshape(-1),)), shape_of(input))


def _overwrite(input, flat_targets, src):
    """Write ``src`` (flattened, one value per target) at the flat positions ``flat_targets``
    of ``input``; where a position is written twice, the last write wins."""
    n = int(np.prod(shape_of(input), dtype=np.int64))
    pos = np.arange(n, dtype=np.intp)
    pos[flat_targets.reshape(-1)] = n + np.arange(flat_targets.size)  # last write wins
    return _select_from(input, src, pos)


# --- joining ----------------------------------------------------------------------------------
def concatenate(tensors, dim: int | None = None, *, axis: int | None = None):
    """``torch.cat``: join along an existing dim (0 by default; NumPy's ``axis=`` too). As in
    PyTorch, 1-D empty tensors (shape ``(0,)``) are skipped, and the dtypes promote."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate (cat): expected a non-empty sequence of tensors")
    kept = [t for t in tensors if shape_of(t) != (0,)] or tensors[:1]
    return _concatenate(kept, _dim_axis(dim, axis, 0, "concatenate"))


cat = concat = concatenate


def stack(tensors, dim: int | None = None, *, axis: int | None = None):
    """Join tensors of one shape along a new dim."""
    return C.stack(tensors, _dim_axis(dim, axis, 0, "stack"))


def atleast_1d(*tensors):
    """Each tensor with at least one dim (one tensor in, one out; several in, a tuple)."""
    return _each(tensors, lambda t, s: _reshape(t, (1,)) if not s else t)


def atleast_2d(*tensors):
    return _each(tensors, lambda t, s: _reshape(t, (1,) * (2 - len(s)) + s) if len(s) < 2 else t)


def atleast_3d(*tensors):
    def up(t, s):
        if len(s) == 0:
            return _reshape(t, (1, 1, 1))
        if len(s) == 1:
            return _reshape(t, (1, s[0], 1))
        if len(s) == 2:
            return _reshape(t, s + (1,))
        return t
    return _each(tensors, up)


def _each(tensors, f):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(f(t, shape_of(t)) for t in tensors[0])
    out = tuple(f(t, shape_of(t)) for t in tensors)
    return out[0] if len(out) == 1 else out


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def hstack(tensors):
    """Join along dim 1 (dim 0 for 1-D tensors)."""
    ts = _as_tuple(atleast_1d(*tensors))
    return concatenate(ts, 0 if len(shape_of(ts[0])) == 1 else 1)


def vstack(tensors):
    """Join along dim 0, 1-D tensors as rows."""
    return concatenate(_as_tuple(atleast_2d(*tensors)), 0)


row_stack = vstack


def dstack(tensors):
    """Join along dim 2 (depth), after ``atleast_3d``."""
    return concatenate(_as_tuple(atleast_3d(*tensors)), 2)


def column_stack(tensors):
    """0-D and 1-D tensors as columns, then ``hstack``."""
    cols = [_reshape(t, (-1, 1)) if len(shape_of(t)) < 2 else t for t in tensors]
    return concatenate(cols, 1)


# --- reordering -------------------------------------------------------------------------------
def flip(input, dims=None, *, axis=None):
    """Reverse the order along ``dims`` (an int or a sequence; NumPy's ``axis=`` too, and all
    dims when neither is given)."""
    return _flip(input, _dim_axis(dims, axis, None, "flip"))


def fliplr(input):
    if len(shape_of(input)) < 2:
        raise ValueError(f"fliplr: the input must have at least 2 dims, got shape "
                         f"{shape_of(input)}")
    return _flip(input, 1)


def flipud(input):
    if len(shape_of(input)) < 1:
        raise ValueError("fliplr: the input must have at least 1 dim, got a 0-d tensor")
    return _flip(input, 0)


def roll(input, shifts, dims=None):
    """Shift elements circularly by ``shifts`` along ``dims`` (the flattened tensor when
    ``dims`` is None)."""
    s = shape_of(input)
    shifts = int_list(shifts, "roll")
    if dims is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: with dims=None, shifts must be one int, got {shifts}")
        return _reshape(roll(_reshape(input, (-1,)), shifts, 0), s)
    dims = int_list(dims, "roll")
    if len(dims) != len(shifts):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    out = input
    for sh, d in zip(shifts, dims):
        d = normalize_dim(d, len(s), "roll")
        n = s[d]
        k = sh % n if n else 0
        if k:
            lead = (slice(None),) * d
            out = _concatenate([getitem(out, lead + (slice(n - k, None),)),
                                getitem(out, lead + (slice(0, n - k),))], d)
    return out


def rot90(input, k: int = 1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane ``dims``, from the first toward the
    second."""
    nd = len(shape_of(input))
    if len(dims) != 2:
        raise ValueError(f"rot90: dims must have length 2, got {dims}")
    a, b = normalize_dim(dims[0], nd, "rot90"), normalize_dim(dims[1], nd, "rot90")
    if a == b:
        raise ValueError(f"rot90: the two dims must differ, got {dims}")
    k %= 4
    if k == 1:
        return C.swapaxes(_flip(input, b), a, b)
    if k == 2:
        return _flip(input, (a, b))
    if k == 3:
        return C.swapaxes(_flip(input, a), a, b)
    return input


def movedim(input, source, destination):
    """Move dims ``source`` to positions ``destination`` (ints or sequences); the others keep
    their order."""
    nd = len(shape_of(input))
    src = [normalize_dim(a, nd, "movedim") for a in int_list(source, "movedim")]
    dst = [normalize_dim(a, nd, "movedim") for a in int_list(destination, "movedim")]
    if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must be "
                         f"distinct dims of equal number")
    rest = iter([a for a in range(nd) if a not in src])
    where_to = dict(zip(dst, src))
    return _permute(input, tuple(where_to[i] if i in where_to else next(rest)
                                 for i in range(nd)))


moveaxis = movedim


def transpose(input, *dims, dim0: int | None = None, dim1: int | None = None):
    """``transpose(input, dim0, dim1)`` swaps two dims (PyTorch); NumPy's ``transpose(x)`` and
    ``transpose(x, axes)`` stay accepted."""
    if dim0 is not None or dim1 is not None:
        dims = dims + tuple(d for d in (dim0, dim1) if d is not None)
    return C.transpose(input, *dims)


def swapaxes(input, axis0: int, axis1: int):
    return C.swapaxes(input, axis0, axis1)


swapdims = swapaxes


def t(input):
    """Transpose a tensor of at most 2 dims (0-D and 1-D ones come back as they are)."""
    s = shape_of(input)
    if len(s) > 2:
        raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {s}; use "
                         f"transpose(input, dim0, dim1) or mT")
    return C.transpose(input) if len(s) == 2 else input


def adjoint(input):
    """The conjugate transpose of the last two dims."""
    if len(shape_of(input)) < 2:
        raise ValueError(f"adjoint: the input must have at least 2 dims, got shape "
                         f"{shape_of(input)}")
    return conj(C.swapaxes(input, -2, -1))


def squeeze(input, dim=None):
    """Remove dims of length 1 (all, or those in ``dim``: an int or a tuple); a named dim of
    another length stays, as in PyTorch."""
    return C.squeeze(input, dim)


def unsqueeze(input, dim: int):
    return C.unsqueeze(input, dim)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    return C.flatten(input, start_dim, end_dim)


def unflatten(input, dim: int, sizes):
    """Split dim ``dim`` into ``sizes`` (one may be -1)."""
    s = shape_of(input)
    d = normalize_dim(dim, len(s), "unflatten")
    sizes = tuple(int(n) for n in sizes)
    if not sizes:
        raise ValueError("unflatten: sizes must be non-empty")
    known = int(np.prod([n for n in sizes if n != -1], dtype=np.int64))
    if -1 not in sizes and known != s[d] or -1 in sizes and (known == 0 or s[d] % known):
        raise ValueError(f"unflatten: sizes {sizes} do not multiply to the length {s[d]} of "
                         f"dim {dim} (shape {s})")
    return _reshape(input, s[:d] + sizes + s[d + 1:])


def ravel(input):
    return _reshape(input, (-1,))


def broadcast_shapes(*shapes) -> tuple:
    return tuple(np.broadcast_shapes(*[(s,) if isinstance(s, (int, np.integer)) else tuple(s)
                                       for s in shapes]))


def broadcast_tensors(*tensors):
    """The tensors broadcast to their common shape (NumPy's rules, as PyTorch's)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    try:
        shape = np.broadcast_shapes(*[shape_of(t) for t in tensors])
    except ValueError:
        raise ValueError(f"broadcast_tensors: shapes {[shape_of(t) for t in tensors]} do not "
                         f"broadcast; each dim must match or be 1") from None
    return tuple(broadcast_to(t, shape) for t in tensors)


# --- splitting --------------------------------------------------------------------------------
def _pieces(input, bounds, dim):
    lead = (slice(None),) * dim
    return tuple(getitem(input, lead + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:]))


def split(tensor, split_size_or_sections, dim: int = 0):
    """Pieces of ``split_size`` along ``dim`` (the last may be shorter), or of the given list
    of sizes."""
    return C.split(tensor, split_size_or_sections, dim)


def chunk(input, chunks: int, dim: int = 0):
    """``chunks`` pieces of size ceil(n / chunks) (so possibly fewer pieces), as PyTorch."""
    return C.chunk(input, chunks, dim)


def narrow(input, dim: int, start, length: int):
    """The slice ``start:start + length`` of dim ``dim`` (``start`` may be negative or a 0-D
    tensor)."""
    s = shape_of(input)
    d = normalize_dim(dim, len(s), "narrow")
    st = int(values_of(start, "narrow"))
    st = st + s[d] if st < 0 else st
    if not 0 <= st <= s[d] or length < 0 or st + length > s[d]:
        raise IndexError(f"narrow: start {start} and length {length} fall outside dim {d} of "
                         f"length {s[d]}")
    return getitem(input, (slice(None),) * d + (slice(st, st + int(length)),))


def unbind(input, dim: int = 0):
    """The slices along ``dim``, that dim removed."""
    s = shape_of(input)
    d = normalize_dim(dim, len(s), "unbind")
    lead = (slice(None),) * d
    return tuple(getitem(input, lead + (i,)) for i in range(s[d]))


def tensor_split(input, indices_or_sections, dim: int = 0):
    """``n`` sections (the first ``len % n`` one longer) or pieces cut at the given indices."""
    s = shape_of(input)
    d = normalize_dim(dim, len(s), "tensor_split")
    n = s[d]
    ios = data_of(indices_or_sections)
    if type(indices_or_sections) in tensor_types:
        ios = values_of(indices_or_sections, "tensor_split")
    if isinstance(ios, np.ndarray) and ios.ndim == 0 or isinstance(ios, (int, np.integer)):
        k = int(ios)
        if k <= 0:
            raise ValueError(f"tensor_split: the number of sections must be positive, got {k}")
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
        bounds = [0] + list(itertools.accumulate(sizes))
    else:
        bounds = [0] + [builtins.min(builtins.max(int(i) if i >= 0 else int(i) + n, 0), n)
                        for i in int_list(ios, "tensor_split")] + [n]
        bounds = [b if b >= bounds[i - 1] or i == 0 else bounds[i - 1]
                  for i, b in enumerate(bounds)]
    return _pieces(input, bounds, d)


def _nsplit(input, ios, dim, op, min_nd):
    s = shape_of(input)
    if len(s) < min_nd:
        raise ValueError(f"{op}: the input must have at least {min_nd} dims, got shape {s}")
    if isinstance(ios, (int, np.integer)) and s[dim] % int(ios):
        raise ValueError(f"{op}: dim {dim} of length {s[dim]} does not split into {ios} equal "
                         f"sections; use tensor_split for unequal ones")
    return tensor_split(input, ios, dim)


def hsplit(input, indices_or_sections):
    return _nsplit(input, indices_or_sections, 1 if len(shape_of(input)) > 1 else 0, "hsplit", 1)


def vsplit(input, indices_or_sections):
    return _nsplit(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    return _nsplit(input, indices_or_sections, 2, "dsplit", 3)


# --- repeating --------------------------------------------------------------------------------
def repeat(input, sizes):
    """``Tensor.repeat(*sizes)``: tile the tensor ``sizes[i]`` times along dim i (leading
    sizes add dims). Composed as a broadcast, so the gradient sums the copies."""
    s = shape_of(input)
    sizes = tuple(int(r) for r in sizes)
    if len(sizes) < len(s):
        raise ValueError(f"repeat: the number of repeats ({len(sizes)}) must be at least the "
                         f"number of dims of the tensor ({len(s)}, shape {s})")
    s = (1,) * (len(sizes) - len(s)) + s
    inter = tuple(v for pair in zip((1,) * len(s), s) for v in pair)
    big = tuple(v for pair in zip(sizes, s) for v in pair)
    out = broadcast_to(_reshape(input, inter), big)
    return _reshape(out, tuple(r * n for r, n in zip(sizes, s)))


def tile(input, dims):
    """Repeat along each dim; fewer ``dims`` than the tensor has dims count from the right."""
    dims = tuple(int(r) for r in dims)
    nd = len(shape_of(input))
    return repeat(input, (1,) * (nd - len(dims)) + dims)


def repeat_interleave(input, repeats=None, dim: int | None = None, *, output_size=None):
    """Repeat each element (each slice along ``dim``) ``repeats`` times (an int or one count
    per element). ``repeat_interleave(repeats)`` alone gives the indices ``[0]*r0 + [1]*r1 +
    ...``."""
    if repeats is None:
        r = values_of(input, "repeat_interleave")  # the result's length is their sum
        if r.ndim != 1:
            raise ValueError(f"repeat_interleave: repeats must be 1-D, got shape {r.shape}")
        return constant(np.repeat(np.arange(r.size), r), input)
    if dim is None:
        input, dim = _reshape(input, (-1,)), 0
    s = shape_of(input)
    d = normalize_dim(dim, len(s), "repeat_interleave")
    r = values_of(repeats, "repeat_interleave")
    if r.ndim > 1 or r.ndim == 1 and r.size not in (1, s[d]):
        raise ValueError(f"repeat_interleave: repeats of shape {r.shape} must be one int or "
                         f"one per element of dim {d} (length {s[d]})")
    if (r < 0).any():
        raise ValueError("repeat_interleave: repeats must be non-negative")
    idx = np.repeat(np.arange(s[d]), r.reshape(-1) if r.ndim else int(r))
    if output_size is not None and idx.size != output_size:
        raise ValueError(f"repeat_interleave: output_size {output_size} differs from the "
                         f"repeated length {idx.size}")
    return getitem(input, (slice(None),) * d + (idx,))


# --- triangles and diagonals ------------------------------------------------------------------
def _tri_mask(s, diagonal, upper):
    if len(s) < 2:
        raise ValueError(f"{'triu' if upper else 'tril'}: the input must have at least 2 dims, "
                         f"got shape {s}")
    m = np.tri(s[-2], s[-1], int(diagonal) - (1 if upper else 0), dtype=bool)
    return ~m if upper else m


def tril(input, diagonal: int = 0):
    """The lower triangle of the last two dims (on and below ``diagonal``), zeros elsewhere."""
    return where(_tri_mask(shape_of(input), diagonal, False), input, 0)


def triu(input, diagonal: int = 0):
    """The upper triangle of the last two dims (on and above ``diagonal``), zeros elsewhere."""
    return where(_tri_mask(shape_of(input), diagonal, True), input, 0)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=np.int64, device=None):
    """The (2, N) indices of the lower triangle of a row x col matrix, row by row."""
    return constant(np.stack(np.tril_indices(row, offset, col)).astype(dtype))


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=np.int64, device=None):
    return constant(np.stack(np.triu_indices(row, offset, col)).astype(dtype))


def _diag_rc(n, m, offset):
    """Rows and columns of diagonal ``offset`` of an n x m matrix."""
    if offset >= 0:
        k = builtins.max(builtins.min(n, m - offset), 0)
        return np.arange(k), np.arange(k) + offset
    k = builtins.max(builtins.min(n + offset, m), 0)
    return np.arange(k) - offset, np.arange(k)


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The diagonal ``offset`` of the (dim1, dim2) planes, as a new last dim."""
    s = shape_of(input)
    a, b = normalize_dim(dim1, len(s), "diagonal"), normalize_dim(dim2, len(s), "diagonal")
    if a == b:
        raise ValueError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    moved = movedim(input, [a, b], [-2, -1])
    r, c = _diag_rc(s[a], s[b], int(offset))
    return getitem(moved, (Ellipsis, r, c))


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Tensors whose (dim1, dim2) planes hold the last dim of ``input`` on diagonal
    ``offset``, zeros elsewhere."""
    s = shape_of(input)
    if not s:
        raise ValueError("diag_embed: the input must have at least 1 dim")
    n = s[-1] + abs(int(offset))
    r, c = _diag_rc(n, n, int(offset))
    out = apply(INDEX_ADD, (input,), ((Ellipsis, r, c), s[:-1] + (n, n), False, len(s)))
    nd = len(s) + 1
    a, b = normalize_dim(dim1, nd, "diag_embed"), normalize_dim(dim2, nd, "diag_embed")
    if a == b:
        raise ValueError(f"diag_embed: dim1 and dim2 must differ, got {dim1} and {dim2}")
    return movedim(out, [nd - 2, nd - 1], [a, b])


def diag(input, diagonal: int = 0):
    """A 1-D input: the square matrix with it on ``diagonal``; a 2-D one: that diagonal."""
    nd = len(shape_of(input))
    if nd == 1:
        return diag_embed(input, diagonal)
    if nd == 2:
        return globals()["diagonal"](input, diagonal)
    raise ValueError(f"diag: the input must be 1-D or 2-D, got shape {shape_of(input)}")


def diagflat(input, offset: int = 0):
    return diag_embed(_reshape(input, (-1,)), offset)


def trace(input):
    """The sum of the main diagonal of a 2-D tensor."""
    if len(shape_of(input)) != 2:
        raise ValueError(f"trace: the input must be 2-D, got shape {shape_of(input)}")
    return _sum(diagonal(input))


# --- grids and combinations -------------------------------------------------------------------
def meshgrid(*tensors, indexing: str = "ij"):
    """Coordinate grids from 1-D (or 0-D) tensors. PyTorch's default is ``indexing='ij'``;
    ``'xy'`` swaps the first two dims (NumPy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in tensors:
        if len(shape_of(t)) > 1:
            raise ValueError(f"meshgrid: expects 0-D or 1-D tensors, got shape {shape_of(t)}")
    lens = [int(np.prod(shape_of(t), dtype=np.int64)) for t in tensors]
    if indexing == "xy" and len(lens) >= 2:
        lens[0], lens[1] = lens[1], lens[0]
    out = []
    for i, t in enumerate(tensors):
        pos = i if indexing == "ij" or len(lens) < 2 or i > 1 else 1 - i
        shape = [1] * len(lens)
        shape[pos] = -1
        out.append(broadcast_to(_reshape(t, tuple(shape)), tuple(lens)))
    return tuple(out)


def cartesian_prod(*tensors):
    """Every combination of elements of the 1-D tensors, as rows (one tensor: itself)."""
    if len(tensors) == 1:
        return tensors[0]
    return C.stack([_reshape(g, (-1,)) for g in meshgrid(*tensors, indexing="ij")], 1)


def combinations(input, r: int = 2, with_replacement: bool = False):
    """The length-``r`` combinations of a 1-D tensor's elements, as rows (itertools' order)."""
    s = shape_of(input)
    if len(s) != 1:
        raise ValueError(f"combinations: expects a 1-D tensor, got shape {s}")
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    if r <= 0:
        return getitem(input, (np.zeros(0, np.intp),))
    idx = np.array(list(pick(range(s[0]), r)), dtype=np.intp).reshape(-1, r)
    return getitem(input, (idx,))


def block_diag(*tensors):
    """The tensors (0-D, 1-D as a row, or 2-D) along the diagonal of one matrix."""
    mats = []
    for t in tensors:
        s = shape_of(t)
        if len(s) > 2:
            raise ValueError(f"block_diag: expects tensors of at most 2 dims, got shape {s}")
        mats.append(_reshape(t, (1,) * (2 - len(s)) + s))
    if not mats:
        return constant(np.zeros((1, 0)))
    width = builtins.sum(shape_of(m)[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        w = shape_of(m)[1]
        rows.append(_pad(m, ((0, 0), (left, width - left - w))))
        left += w
    dt = np.result_type(*[data_of(m) for m in mats])
    return _concatenate([r if np.asarray(data_of(r)).dtype == dt else _cast(r, dt) for r in rows],
                        0)


def _cast(x, dtype):
    return astype(x, dtype)


# --- copies and strides -----------------------------------------------------------------------
def clone(input, *, memory_format=None):
    """A copy that stays in the graph."""
    if type(input) in tensor_types:
        return input.clone()
    return np.array(input, copy=True)


def unfold(input, dimension: int, size: int, step: int):
    """``Tensor.unfold``: the windows of ``size`` along ``dimension``, ``step`` apart, as a new
    last dim (a copy here; the gradient adds where windows overlap)."""
    s = shape_of(input)
    d = normalize_dim(dimension, len(s), "unfold")
    n = s[d] if s else 1
    if size < 0 or size > n or step <= 0:
        raise ValueError(f"unfold: size {size} must be in [0, {n}] (the length of dim {d}) and "
                         f"step {step} positive")
    if not s:
        return _reshape(input, (1,))
    windows = np.arange((n - size) // step + 1)[:, None] * step + np.arange(size)
    out = getitem(input, (slice(None),) * d + (windows,))
    return movedim(out, d + 1, -1)


def as_strided(input, size, stride, storage_offset: int = 0):
    """A copying equivalent of ``torch.as_strided``: element ``i`` of the result is element
    ``storage_offset + sum(i_k * stride[k])`` of the tensor's row-major (contiguous) layout, as
    in PyTorch for a contiguous tensor. The result does not share memory; the gradient adds
    where elements are read more than once."""
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    if len(size) != len(stride):
        raise ValueError(f"as_strided: size {size} and stride {stride} must have equal length")
    flat_n = int(np.prod(shape_of(input), dtype=np.int64))
    idx = np.full(size, int(storage_offset), dtype=np.intp)
    for k, (n, st) in enumerate(zip(size, stride)):
        idx = idx + (np.arange(n) * st).reshape((-1,) + (1,) * (len(size) - k - 1))
    if idx.size and (idx.min() < 0 or idx.max() >= flat_n):
        raise ValueError(f"as_strided: size {size}, stride {stride} and offset "
                         f"{storage_offset} read outside the {flat_n} elements of the tensor")
    return getitem(_reshape(input, (-1,)), (idx,))



def fill(input, value):
    """A new tensor of ``input``'s shape and dtype filled with ``value`` (a number or a 0-d
    tensor, differentiable in it): PyTorch's ``torch.fill``, the out-of-place ``fill_``."""
    d = array_of(input)
    if has_tensor(value):
        return clone(broadcast_to(astype(value, d.dtype), d.shape))
    return constant(np.full(d.shape, value, dtype=d.dtype), input)


# --- Tensor.new_* -----------------------------------------------------------------------------
def new_full(like, size, fill_value, dtype=None, requires_grad: bool = False):
    """A new leaf of ``size`` filled with ``fill_value``, of ``like``'s dtype unless ``dtype``
    is given (``Tensor.new_zeros``, ``new_ones``, ``new_empty`` (zeros here), ``new_full``)."""
    out = tensor_type()._constant(np.full(tuple(size), fill_value,
                                          dtype=dtype or array_of(like).dtype))
    return out.requires_grad_() if requires_grad else out


def new_tensor(like, data, dtype=None, requires_grad: bool = False):
    """A new leaf holding a copy of ``data``, of ``like``'s dtype unless ``dtype`` is given."""
    dt = dtype or array_of(like).dtype
    if type(data) in tensor_types and not is_concrete(data):
        # the same value with no derivative, recorded, so that a compiled program reads it
        out = stop_gradient(astype(data, dt))
        return out.requires_grad_() if requires_grad else out
    out = tensor_type()._constant(np.array(data_of(data), dtype=dt))
    return out.requires_grad_() if requires_grad else out


# --- the *_copy spellings: the same operations, never sharing memory with the input ----------
def _copied(f):
    def op(input, *args, **kwargs):
        out = f(input, *args, **kwargs)
        return tuple(clone(o) for o in out) if isinstance(out, tuple) else clone(out)
    op.__name__ = op.__qualname__ = f.__name__ + "_copy"
    op.__doc__ = f"``{f.__name__}``, returning a copy (PyTorch's ``{f.__name__}_copy``)."
    return op


def _expand(input, size):
    return C.expand(input, *size) if not isinstance(size, (int, np.integer)) else \
        C.expand(input, size)


def _view(input, size):
    return _reshape(input, (size,) if isinstance(size, (int, np.integer)) else tuple(size))


def _alias(input):
    return input


_alias.__name__ = "alias"
_expand.__name__ = "expand"
_view.__name__ = "view"
alias_copy = _copied(_alias)
as_strided_copy = _copied(as_strided)
diagonal_copy = _copied(diagonal)
expand_copy = _copied(_expand)
narrow_copy = _copied(narrow)
permute_copy = _copied(_permute)
permute_copy.__name__ = "permute_copy"
squeeze_copy = _copied(squeeze)
t_copy = _copied(t)
transpose_copy = _copied(transpose)
unbind_copy = _copied(unbind)
unfold_copy = _copied(unfold)
unsqueeze_copy = _copied(unsqueeze)
view_copy = _copied(_view)


def split_with_sizes(input, split_sizes, dim: int = 0):
    """``split`` with a list of sizes."""
    return C.split(input, list(split_sizes), dim)


split_with_sizes_copy = _copied(split_with_sizes)
unsafe_chunk = chunk
unsafe_split = split


# --- writing into a view's places: *_scatter --------------------------------------------------
def _scatter_into(input, src, view, op):
    """``input`` with the elements that ``view`` selects replaced by ``src``: the view applied
    to the positions 0..n-1 names the places, and one gather writes them."""
    s = shape_of(input)
    targets = np.asarray(view(np.arange(int(np.prod(s, dtype=np.int64))).reshape(s)))
    if tuple(shape_of(src)) != targets.shape:
        raise ValueError(f"{op}: src must have the shape {targets.shape} of the places it "
                         f"fills, got {shape_of(src)}")
    return _overwrite(input, targets, src)


def select_scatter(input, src, dim: int, index: int):
    """``input`` with the slice at ``index`` along ``dim`` replaced by ``src``."""
    d = normalize_dim(dim, len(shape_of(input)), "select_scatter")
    return _scatter_into(input, src, lambda p: np.take(p, int(index), axis=d), "select_scatter")


def slice_scatter(input, src, dim: int = 0, start=None, end=None, step: int = 1):
    """``input`` with ``input[..., start:end:step, ...]`` (along ``dim``) replaced by ``src``."""
    d = normalize_dim(dim, len(shape_of(input)), "slice_scatter")
    sl = (slice(None),) * d + (slice(start, end, step),)
    return _scatter_into(input, src, lambda p: p[sl], "slice_scatter")


def diagonal_scatter(input, src, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """``input`` with the diagonal ``offset`` of the (dim1, dim2) planes replaced by ``src``."""
    return _scatter_into(input, src, lambda p: diagonal(p, offset, dim1, dim2),
                         "diagonal_scatter")


def as_strided_scatter(input, src, size, stride, storage_offset: int = 0):
    """``input`` with the elements ``as_strided(input, size, stride, storage_offset)`` reads
    replaced by ``src`` (positions in the row-major layout, as ``as_strided``)."""
    return _scatter_into(input, src, lambda p: as_strided(p, size, stride, storage_offset),
                         "as_strided_scatter")


__all__ += [
    "alias_copy", "as_strided_copy", "diagonal_copy", "expand_copy", "narrow_copy",
    "permute_copy", "squeeze_copy", "t_copy", "transpose_copy", "unbind_copy", "unfold_copy",
    "unsqueeze_copy", "view_copy", "split_with_sizes", "split_with_sizes_copy", "unsafe_chunk",
    "unsafe_split", "select_scatter", "slice_scatter", "diagonal_scatter", "as_strided_scatter",
]
