"""Functions composed from primitives: no derivative formula lives here.

Argument names: PyTorch's ``dim``/``keepdim`` and NumPy's ``axis``/``keepdims`` are both
accepted. Where the two libraries disagree on defaults, the Tensor face follows PyTorch
(docs/semantics.md lists each case).
"""

from __future__ import annotations

import builtins

import numpy as np

from .primitives._conj import astype
from .primitives._core import array_of
from .primitives.complex import abs2
from .primitives.elementwise import exp, isfinite, log, sqrt, stop_gradient, where
from .primitives.linalg import einsum, matmul
from .primitives.reduction import amax, normalize_axis, sum
from .primitives.shape import (
    broadcast_to,
    concatenate,
    getitem,
    normalize_dim,
    permute,
    reshape,
    take_along_axis,
)

_MISSING = object()


def pick_axis(dim, axis, op: str):
    """Whichever of PyTorch's ``dim`` and NumPy's ``axis`` was given."""
    if dim is not _MISSING and axis is not _MISSING and dim is not None and axis is not None:
        raise TypeError(f"{op}: pass either dim or axis, not both")
    if dim is not _MISSING and dim is not None:
        return dim
    return None if axis is _MISSING else axis


def pick_keep(keepdim, keepdims):
    return bool(keepdim or keepdims)


def _count(shape, axis):
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[a] for a in axis], dtype=np.int64))


# --- reductions -----------------------------------------------------------------------------
def mean(x, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False, dtype=None):
    """Arithmetic mean over ``dim``/``axis`` (all axes when None)."""
    d = array_of(x)
    ax = normalize_axis(pick_axis(dim, axis, "mean"), d.ndim, "mean")
    s = sum(x if dtype is None else x.astype(dtype), ax, pick_keep(keepdim, keepdims))
    return s / _count(d.shape, ax)


def _correction(dim, unbiased, correction, ddof, op):
    """``(dim, c)``: the axes and the number subtracted from the count, from PyTorch's
    ``var(input, unbiased)``, ``var(input, dim, unbiased, keepdim)`` and ``correction=``
    overloads and NumPy's ``ddof=``."""
    if isinstance(dim, (bool, np.bool_)):  # PyTorch's var(input, unbiased): over all elements
        if unbiased is not None:
            raise TypeError(f"{op}: got the bools {dim!r} and {unbiased!r} as dim and unbiased; "
                            f"a bool second argument already is unbiased (PyTorch's "
                            f"{op}(input, unbiased)); pass {op}(x, dim, unbiased) for one axis")
        dim, unbiased = None, bool(dim)
    if unbiased is not None and not isinstance(unbiased, (bool, np.bool_)):
        raise TypeError(f"{op}: unbiased must be a bool, got {unbiased!r} of type "
                        f"{type(unbiased).__name__}; the positional order is {op}(x, dim, "
                        f"unbiased, keepdim); for another correction pass correction={unbiased!r}")
    given = [name for name, v in (("unbiased", unbiased), ("ddof", ddof),
                                  ("correction", None if correction is _MISSING else correction))
             if v is not None]
    if len(given) > 1:
        raise TypeError(f"{op}: pass only one of {' and '.join(given)}: each sets the number "
                        f"subtracted from the count (unbiased=True is correction=1, "
                        f"unbiased=False is correction=0; ddof is NumPy's name for correction)")
    if ddof is not None:
        return dim, ddof
    if unbiased is not None:
        return dim, 1 if unbiased else 0
    return dim, 1 if correction is _MISSING or correction is None else correction


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=_MISSING, ddof=None,
        axis=_MISSING, keepdims=False):
    """Variance over ``dim``/``axis`` (all elements when None). PyTorch's overloads:
    ``var(x, unbiased)`` (a bool second argument: all elements), ``var(x, dim, unbiased,
    keepdim)`` and ``correction=``. The default follows PyTorch (correction=1, unbiased); pass
    ``ddof=0``, ``correction=0`` or ``unbiased=False`` for NumPy's default (the population
    variance)."""
    dim, c = _correction(dim, unbiased, correction, ddof, "var")
    d = array_of(x)
    ax = normalize_axis(pick_axis(dim, axis, "var"), d.ndim, "var")
    dev = x - mean(x, ax, keepdim=True)
    n = builtins.max(_count(d.shape, ax) - c, 0)
    return sum(abs2(dev), ax, pick_keep(keepdim, keepdims)) / n  # real for complex x too


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=_MISSING, ddof=None,
        axis=_MISSING, keepdims=False):
    """Standard deviation: ``sqrt(var(...))`` with the same arguments (PyTorch's overloads
    ``std(x, unbiased)`` and ``std(x, dim, unbiased, keepdim)`` included) and defaults.

    Where the variance is 0 (constant input), sqrt has no derivative; as in PyTorch the
    gradient is taken as 0 there, not nan."""
    dim, c = _correction(dim, unbiased, correction, ddof, "std")
    v = var(x, dim, keepdim=keepdim, correction=c, axis=axis, keepdims=keepdims)
    zero = v == 0
    return where(zero, 0.0, sqrt(where(zero, 1.0, v)))


def finite_max(x, d, ax):
    """The maximum of ``x`` over ``ax`` (kept dims; 0 where it is not finite, and for an empty
    ``x``), held constant: computed with primitives, so that a compiled trace records it."""
    if not d.size:
        return np.zeros((1,) * d.ndim, d.dtype)
    m = amax(stop_gradient(x), ax, True)
    return where(isfinite(m), m, astype(0, d.dtype))


def logsumexp(x, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):
    """``log(sum(exp(x)))`` over ``dim``, computed without overflow."""
    d = array_of(x)
    ax = normalize_axis(pick_axis(dim, axis, "logsumexp"), d.ndim, "logsumexp")
    # Shift by the maximum, held constant: its derivative cancels exactly.
    m = finite_max(x, d, ax)
    r = log(sum(exp(x - m), ax, True)) + m
    if not pick_keep(keepdim, keepdims):
        r = reshape(r, tuple(s for i, s in enumerate(r.shape) if ax is not None and i not in ax))
    return r


def _last_by_default(dim, axis, op):
    ax = pick_axis(dim, axis, op)
    return -1 if ax is None else ax


def softmax(x, dim=None, *, axis=_MISSING):
    """``exp(x) / sum(exp(x))`` along ``dim`` (default: the last axis), stable for any x."""
    d = array_of(x)
    ax = normalize_axis(_last_by_default(dim, axis, "softmax"), d.ndim, "softmax")
    e = exp(x - finite_max(x, d, ax))
    return e / sum(e, ax, True)


def log_softmax(x, dim=None, *, axis=_MISSING):
    """``x - logsumexp(x)`` along ``dim`` (default: the last axis)."""
    ax = normalize_axis(_last_by_default(dim, axis, "log_softmax"), array_of(x).ndim, "log_softmax")
    return x - logsumexp(x, ax, keepdim=True)


# --- shape ------------------------------------------------------------------------------------
def unsqueeze(x, dim):
    """Insert an axis of length 1 at ``dim`` (NumPy's expand_dims)."""
    s = array_of(x).shape
    if isinstance(dim, (bool, np.bool_)):
        raise TypeError(f"unsqueeze: got the bool {dim!r} as dim; dims are ints")
    d = int(dim)
    if not -len(s) - 1 <= d <= len(s):
        raise IndexError(f"unsqueeze: dim {d} is out of range for a tensor of {len(s)} "
                         f"dimension(s); valid dims are {-len(s) - 1} to {len(s)}")
    d %= len(s) + 1
    return reshape(x, s[:d] + (1,) + s[d:])


def expand_dims(x, axis):
    """NumPy's name for ``unsqueeze``; ``axis`` may be a tuple."""
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    nd = array_of(x).ndim + len(axes)
    axes = sorted(normalize_dim(a, nd, "expand_dims") for a in axes)
    for a in axes:
        x = unsqueeze(x, a)
    return x


def squeeze(x, dim=None, *, axis=_MISSING):
    """Remove axes of length 1 (all of them, or those in ``dim``/``axis``)."""
    s = array_of(x).shape
    ax = pick_axis(dim, axis, "squeeze")
    if ax is None:
        return reshape(x, tuple(n for n in s if n != 1))
    axes = normalize_axis(ax, len(s), "squeeze") or ()
    # PyTorch leaves a dim of length > 1 alone; NumPy raises. We follow PyTorch.
    return reshape(x, tuple(n for i, n in enumerate(s) if not (i in axes and n == 1)))


def swapaxes(x, axis1, axis2):
    """Exchange two axes (PyTorch's ``transpose(x, dim0, dim1)``)."""
    nd = array_of(x).ndim
    perm = list(range(nd))
    a, b = normalize_dim(axis1, nd, "swapaxes"), normalize_dim(axis2, nd, "swapaxes")
    if nd == 0:
        return x
    perm[a], perm[b] = perm[b], perm[a]
    return permute(x, tuple(perm))


def transpose(x, *axes):
    """``transpose(x, dim0, dim1)`` swaps two axes (PyTorch); ``transpose(x)`` reverses them
    and ``transpose(x, axes_tuple)`` permutes them (NumPy)."""
    if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
        return swapaxes(x, *axes)
    nd = array_of(x).ndim
    if not axes or axes == (None,):
        return permute(x, tuple(reversed(range(nd))))
    return permute(x, *axes)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim`` to ``end_dim`` into one."""
    s = array_of(x).shape
    if not s:
        return reshape(x, (1,))
    a, b = normalize_dim(start_dim, len(s), "flatten"), normalize_dim(end_dim, len(s), "flatten")
    if a > b:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(x, s[:a] + (int(np.prod(s[a:b + 1], dtype=np.int64)),) + s[b + 1:])


def expand(x, *sizes):
    """PyTorch's ``expand``: broadcast to ``sizes``, where -1 keeps a dimension."""
    if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
        sizes = tuple(sizes[0])
    s = array_of(x).shape
    lead = len(sizes) - len(s)
    if lead < 0:
        raise ValueError(f"expand: the number of sizes ({len(sizes)}) must be at least the "
                         f"number of dimensions of the tensor ({len(s)}), shape {s}")
    shape = tuple(s[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    return broadcast_to(x, shape)


def stack(tensors, dim=None, *, axis=_MISSING):
    """Join along a new axis (``dim`` or ``axis``, default 0)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: need at least one array to stack")
    s0 = array_of(tensors[0]).shape
    ax = pick_axis(dim, axis, "stack")
    ax = normalize_dim(0 if ax is None else ax, len(s0) + 1, "stack")
    for k, t in enumerate(tensors):
        if array_of(t).shape != s0:
            raise ValueError(f"stack: all inputs must have the same shape, but input 0 has "
                             f"shape {s0} and input {k} has shape {array_of(t).shape}")
    return concatenate([unsqueeze(t, ax) for t in tensors], ax)


def split(x, split_size_or_sections, dim=0):
    """PyTorch's ``split``: pieces of ``split_size`` along ``dim`` (the last may be shorter),
    or pieces of the given list of sizes. (``chainrule.numpy.split`` keeps NumPy's meaning.)"""
    d = array_of(x)
    dim = normalize_dim(dim, d.ndim, "split")
    n = d.shape[dim]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [builtins.min(step, n - i) for i in range(0, n, step)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} add up to {builtins.sum(sizes)}, but dim "
                             f"{dim} has length {n}")
    out, start = [], 0
    lead = (slice(None),) * dim
    for size in sizes:
        out.append(getitem(x, lead + (slice(start, start + size),)))
        start += size
    return tuple(out)


def chunk(x, chunks: int, dim=0):
    """Split into ``chunks`` pieces of (nearly) equal size, as PyTorch does."""
    d = array_of(x)
    dim = normalize_dim(dim, d.ndim, "chunk")
    chunks = int(chunks)
    if chunks <= 0:
        raise ValueError(f"chunk: the number of chunks must be positive, got {chunks}")
    n = d.shape[dim]
    if n == 0:  # PyTorch: `chunks` empty pieces
        return split(x, [0] * chunks, dim)
    return split(x, -(-n // chunks), dim)


def gather(x, dim, index):
    """PyTorch's ``gather``: ``out[i][j] = x[i][index[i][j]]`` for ``dim=1``."""
    idx = array_of(index)
    d = array_of(x)
    dim = normalize_dim(dim, d.ndim, "gather")
    if idx.ndim != d.ndim:
        raise ValueError(f"gather: index has {idx.ndim} dimensions but the input has "
                         f"{d.ndim}; they must match")
    for k in range(d.ndim):
        if k != dim and idx.shape[k] > d.shape[k]:
            raise ValueError(f"gather: index shape {idx.shape} exceeds input shape {d.shape} "
                             f"in dimension {k}")
    if any(idx.shape[k] != d.shape[k] for k in range(d.ndim) if k != dim):
        x = getitem(x, tuple(slice(0, idx.shape[k]) if k != dim else slice(None)
                             for k in range(d.ndim)))
    return take_along_axis(x, idx, dim)


def dot(a, b):
    """NumPy's ``dot``: matmul for 1-D and 2-D operands, scalar product for 0-D ones, and a sum
    over the last axis of ``a`` and the second-to-last of ``b`` otherwise."""
    da, db = array_of(a), array_of(b)
    if da.ndim == 0 or db.ndim == 0:
        return a * b
    if da.ndim <= 2 and db.ndim <= 2:
        return matmul(a, b)
    return tensordot(a, b, ([-1], [-2 if db.ndim > 1 else -1]))


def tensordot(a, b, axes=2):
    """NumPy's ``tensordot``, via einsum."""
    na, nb = array_of(a).ndim, array_of(b).ndim
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(na - axes, na)), list(range(int(axes)))
    else:
        ax_a, ax_b = ([axes[0]] if isinstance(axes[0], (int, np.integer)) else list(axes[0]),
                      [axes[1]] if isinstance(axes[1], (int, np.integer)) else list(axes[1]))
    ax_a = [int(i) % na for i in ax_a]
    ax_b = [int(i) % nb for i in ax_b]
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sa = [next(letters) for _ in range(na)]
    sb = [next(letters) for _ in range(nb)]
    for i, j in zip(ax_a, ax_b):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in ax_a] + [
        c for j, c in enumerate(sb) if j not in ax_b]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


__all__ = [
    "mean", "var", "std", "logsumexp", "softmax", "log_softmax", "unsqueeze",
    "expand_dims", "squeeze", "swapaxes", "transpose", "flatten", "expand", "stack", "split",
    "chunk", "gather", "dot", "tensordot", "where",
]
