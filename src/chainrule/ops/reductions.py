"""PyTorch-spelled reductions and scans: ``sum(input, dim, keepdim, *, dtype)``, ``mean``,
``std``/``var`` (``unbiased`` and ``correction=``), ``max``/``min`` (value, named
``(values, indices)`` or maximum), ``median``, ``mode``, ``quantile``, ``norm``, ``cumsum``,
``cummax``, ``logcumsumexp``, ... (see chainrule/ops/__init__.py).

Gradient conventions follow torch: full reductions that select an element (``max()``,
``amax``, ``median()``) share the gradient evenly among tied elements; reductions along a
``dim`` that return indices (``max(x, dim)``, ``median(x, dim)``, ``mode``, ``cummax``) give it
to the element at the returned index. Integer sums and products are int64 as in torch; the
mean of integers raises as in torch (pass ``dtype=``).
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from .. import composite as C
from ..primitives import array_ops as A
from ..primitives import complex as CX
from ..primitives import elementwise as E
from ..primitives import math as M
from ..primitives import reduction as R
from ..primitives import shape as S
from ..primitives._core import data_of, is_concrete, tensor_types, values_of
from ..primitives.array_ops import cumprod as _cumprod
from ._linalg import svd as _svd

__all__ = [
    "sum", "nansum", "prod", "mean", "nanmean", "std", "var", "std_mean", "var_mean", "max",
    "min", "amax", "amin", "aminmax", "argmax", "argmin", "all", "any", "count_nonzero",
    "logsumexp", "norm", "dist", "median", "nanmedian", "mode", "quantile", "nanquantile",
    "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "diff", "trapezoid", "trapz",
    "cumulative_trapezoid", "renorm", "gradient",
]

_MISSING = C._MISSING

# (values, indices) results, named after their operation as torch.return_types are
_RESULTS = {op: namedtuple(op, ["values", "indices"])
            for op in ("max", "min", "median", "nanmedian", "mode", "cummax", "cummin")}
MinMax = namedtuple("aminmax", ["min", "max"])


def _arr(x) -> np.ndarray:
    return np.asarray(data_of(x))


def _const(arr, like):
    if type(like) in tensor_types:
        return type(like)._constant(np.asarray(arr))
    return np.asarray(arr)


def _dims(dim, axis, x, op):
    """torch's ``dim`` (int, tuple or list; an empty one means all dims) or NumPy's ``axis``,
    normalised to None or a sorted tuple."""
    d = C.pick_axis(dim, axis, op)
    if isinstance(d, (tuple, list)) and len(d) == 0:
        d = None
    return R.normalize_axis(d, _arr(x).ndim, op)


def _one_dim(dim, x, op) -> int:
    if isinstance(dim, (bool, np.bool_)):
        raise TypeError(f"{op}: got the bool {dim!r} as dim; dims are ints")
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be one int, got {dim!r}")
    nd = _arr(x).ndim
    return S.normalize_dim(dim, builtins.max(nd, 1), op)


def _int_to_int64(x, dtype):
    if dtype is not None:
        return E.astype(x, dtype)
    if _arr(x).dtype.kind in "biu":  # torch: integer and bool sums are int64
        return E.astype(x, np.int64)
    return x


def _require_float(x, dtype, op):
    if dtype is not None:
        return E.astype(x, dtype)
    dt = _arr(x).dtype
    if dt.kind not in "fc":
        raise TypeError(f"{op}(): could not infer output dtype. Input dtype must be either a "
                        f"floating point or complex dtype, got {dt.name}; pass dtype= (e.g. "
                        f"{op}(x, dtype=chainrule.float64)) or convert x first")
    return x


# --- sums, products, means ---------------------------------------------------------------------
def sum(input, dim=None, keepdim=False, *, dtype=None, axis=_MISSING, keepdims=False):  # noqa: A001, A002
    """Sum over ``dim`` (int or tuple; all dims when None). Integers and bools sum to int64."""
    ax = _dims(dim, axis, input, "sum")
    return R.sum(_int_to_int64(input, dtype), ax, C.pick_keep(keepdim, keepdims))


def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=_MISSING, keepdims=False):  # noqa: A002
    """Sum treating nan as 0 (gradient 0 at the nan entries)."""
    x = _int_to_int64(input, dtype)
    d = _arr(x)
    if d.dtype.kind in "fc":
        x = E.where(np.isnan(d), 0, x)
    return R.sum(x, _dims(dim, axis, x, "nansum"), C.pick_keep(keepdim, keepdims))


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=_MISSING, keepdims=False):  # noqa: A002
    """Product over ``dim`` (one int in torch; a tuple is accepted too), exact gradient with
    zeros present. Integers multiply in int64."""
    ax = _dims(dim, axis, input, "prod")
    return R.prod(_int_to_int64(input, dtype), ax, C.pick_keep(keepdim, keepdims))


def _count(shape, ax) -> int:
    if ax is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[a] for a in ax], dtype=np.int64))


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=_MISSING, keepdims=False):  # noqa: A002
    """Arithmetic mean over ``dim``; integer input needs ``dtype=`` (as torch)."""
    x = _require_float(input, dtype, "mean")
    return C.mean(x, _dims(dim, axis, x, "mean"), C.pick_keep(keepdim, keepdims))


def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=_MISSING, keepdims=False):  # noqa: A002
    """Mean of the non-nan entries (nan where all are nan)."""
    x = _require_float(input, dtype, "nanmean")
    d = _arr(x)
    ax = _dims(dim, axis, x, "nanmean")
    keep = C.pick_keep(keepdim, keepdims)
    ok = ~np.isnan(d)
    n = np.sum(ok, axis=ax, keepdims=keep).astype(d.real.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):  # an all-nan slice: nan, silently
        return E.div(R.sum(E.where(ok, x, 0), ax, keep), n)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=_MISSING, ddof=None,  # noqa: A002
        axis=_MISSING, keepdims=False):
    """Variance: torch's overloads ``var(x, unbiased)``, ``var(x, dim, unbiased, keepdim)`` and
    ``correction=`` (default 1); dim may be a tuple."""
    _require_float(input, None, "var")
    if isinstance(dim, list):
        dim = tuple(dim) or None
    return C.var(input, dim, unbiased, keepdim, correction=correction, ddof=ddof, axis=axis,
                 keepdims=keepdims)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=_MISSING, ddof=None,  # noqa: A002
        axis=_MISSING, keepdims=False):
    """Standard deviation, ``sqrt(var(...))`` with var's arguments; gradient 0 where it is 0."""
    _require_float(input, None, "std")
    if isinstance(dim, list):
        dim = tuple(dim) or None
    return C.std(input, dim, unbiased, keepdim, correction=correction, ddof=ddof, axis=axis,
                 keepdims=keepdims)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=_MISSING):  # noqa: A002
    """``(var, mean)`` with var's arguments."""
    v = var(input, dim, unbiased, keepdim, correction=correction)
    if isinstance(dim, (bool, np.bool_)):
        dim = None
    return v, mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=_MISSING):  # noqa: A002
    """``(std, mean)`` with std's arguments."""
    s = std(input, dim, unbiased, keepdim, correction=correction)
    if isinstance(dim, (bool, np.bool_)):
        dim = None
    return s, mean(input, dim, keepdim)


# --- extrema -----------------------------------------------------------------------------------
def _select(input, dim, keepdim, idx_fn, op):
    """(values, indices) along one dim: the values taken at the indices, so that the gradient
    goes to the returned index (torch's convention for reductions that return indices).
    ``idx_fn(input, k)`` applies the primitive that gives the indices (dim ``k`` kept)."""
    d = _arr(input)
    if d.ndim == 0:
        _one_dim(dim, input, op)
        return _RESULTS[op](input, _const(np.zeros((), np.int64), input))
    k = _one_dim(dim, input, op)
    if d.shape[k] == 0:
        raise IndexError(f"{op}: cannot reduce over dim {k} of length 0 (shape {d.shape})")
    idx = idx_fn(input, k)
    values = S.take_along_axis(input, idx, k)
    if not keepdim:
        shape = d.shape[:k] + d.shape[k + 1:]
        values, idx = S.reshape(values, shape), S.reshape(idx, shape)
    return _RESULTS[op](values, idx)


# torch's argmax/argmin return the first occurrence, and a nan counts as the extremum (NumPy's)
def _argmax_kept(x, k):
    return A.argmax_index(x, k, True)


def _argmin_kept(x, k):
    return A.argmin_index(x, k, True)


def max(input, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False, other=_MISSING):  # noqa: A001, A002
    """``max(x)``: the largest value (ties share the gradient); ``max(x, dim, keepdim)``:
    ``(values, indices)`` (the gradient goes to the index); ``max(x, other)``: ``maximum``."""
    if type(dim) in tensor_types or isinstance(dim, np.ndarray) or other is not _MISSING:
        return E.maximum(input, dim if other is _MISSING else other)
    C.pick_axis(dim, axis, "max")  # both given: an error
    if dim is None:
        return amax(input, axis=axis, keepdim=keepdim, keepdims=keepdims)
    return _select(input, dim, C.pick_keep(keepdim, keepdims), _argmax_kept, "max")


def min(input, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False, other=_MISSING):  # noqa: A001, A002
    """The mirror of ``max``."""
    if type(dim) in tensor_types or isinstance(dim, np.ndarray) or other is not _MISSING:
        return E.minimum(input, dim if other is _MISSING else other)
    C.pick_axis(dim, axis, "min")  # both given: an error
    if dim is None:
        return amin(input, axis=axis, keepdim=keepdim, keepdims=keepdims)
    return _select(input, dim, C.pick_keep(keepdim, keepdims), _argmin_kept, "min")


def amax(input, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):  # noqa: A002
    """Maximum over ``dim`` (int or tuple); tied maxima share the gradient evenly."""
    ax = _dims(dim, axis, input, "amax")
    return R.amax(input, ax, C.pick_keep(keepdim, keepdims))


def amin(input, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):  # noqa: A002
    """Minimum over ``dim`` (int or tuple); tied minima share the gradient evenly."""
    ax = _dims(dim, axis, input, "amin")
    return R.amin(input, ax, C.pick_keep(keepdim, keepdims))


def aminmax(input, *, dim=None, keepdim=False):  # noqa: A002
    """``(min, max)`` over one ``dim`` or all elements."""
    return MinMax(amin(input, dim, keepdim), amax(input, dim, keepdim))


def _arg(input, dim, keepdim, index, op):
    d = _arr(input)
    if d.size == 0:
        raise IndexError(f"{op}: cannot take the {op} of an empty tensor (shape {d.shape})")
    if dim is None:
        return index(input, None, bool(keepdim))
    k = _one_dim(dim, input, op)
    if d.ndim == 0:
        return _const(np.zeros((), np.int64), input)
    return index(input, k, bool(keepdim))


def argmax(input, dim=None, keepdim=False, *, axis=_MISSING):  # noqa: A002
    """The index of the first maximum (of the flattened tensor when dim is None); int64."""
    return _arg(input, C.pick_axis(dim, axis, "argmax"), keepdim, A.argmax_index, "argmax")


def argmin(input, dim=None, keepdim=False, *, axis=_MISSING):  # noqa: A002
    """The index of the first minimum; int64."""
    return _arg(input, C.pick_axis(dim, axis, "argmin"), keepdim, A.argmin_index, "argmin")


def _bool_reduce(input, dim, keepdim, fn, op):
    d = _arr(input)
    ax = R.normalize_axis(None if isinstance(dim, (tuple, list)) and not dim else dim, d.ndim, op)
    if not is_concrete(input):  # with primitives, so that a compiled trace records it
        nz = E.ne(input, 0)
        r = (E.eq(R.sum(E.logical_not(nz), ax, bool(keepdim)), 0) if fn is np.all
             else E.gt(R.sum(nz, ax, bool(keepdim)), 0))
        return A.index_cast(r, np.uint8) if d.dtype == np.uint8 else r
    r = np.asarray(fn(d, axis=ax, keepdims=bool(keepdim)))
    return _const(r.astype(np.uint8) if d.dtype == np.uint8 else r, input)


def all(input, dim=None, keepdim=False, *, axis=_MISSING):  # noqa: A001, A002
    """Whether every element (along ``dim``) is non-zero; bool (uint8 for uint8 input)."""
    return _bool_reduce(input, C.pick_axis(dim, axis, "all"), keepdim, np.all, "all")


def any(input, dim=None, keepdim=False, *, axis=_MISSING):  # noqa: A001, A002
    """Whether any element (along ``dim``) is non-zero; bool (uint8 for uint8 input)."""
    return _bool_reduce(input, C.pick_axis(dim, axis, "any"), keepdim, np.any, "any")


def count_nonzero(input, dim=None):  # noqa: A002
    """The number of non-zero elements (along ``dim``, int or tuple); int64."""
    d = _arr(input)
    ax = R.normalize_axis(dim, d.ndim, "count_nonzero")
    if not is_concrete(input):  # with primitives, so that a compiled trace records it
        return A.index_cast(R.sum(E.ne(input, 0), ax, False), np.int64)
    return _const(np.asarray(np.count_nonzero(d, axis=ax), np.int64), input)


def logsumexp(input, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):  # noqa: A002
    """``log(sum(exp(x)))`` over ``dim`` (int or tuple; all dims when None), stable."""
    x = E.astype(input, np.float64) if _arr(input).dtype.kind in "biu" else input
    return C.logsumexp(x, _dims(dim, axis, x, "logsumexp"), C.pick_keep(keepdim, keepdims))


# --- norms -------------------------------------------------------------------------------------
def _sqrt0(s):
    zero = E.eq(s, 0)
    return E.where(zero, 0.0, E.sqrt(E.where(zero, 1.0, s)))


def _vector_norm(x, p, ax, keep, op):
    a = E.abs(x)
    if p == 2:
        return _sqrt0(R.sum(CX.abs2(x), ax, keep))  # gradient 0 at the zero vector (torch)
    if p == 1:
        return R.sum(a, ax, keep)
    if p == float("inf"):
        return R.amax(a, ax, keep)
    if p == float("-inf"):
        return R.amin(a, ax, keep)
    if p == 0:  # the count of non-zeros, derivative 0 (sign of |x|)
        return R.sum(E.sign(a), ax, keep)
    s = R.sum(E.pow(a, float(p)), ax, keep)
    zero = E.eq(s, 0)
    return E.where(zero, 0.0, E.pow(E.where(zero, 1.0, s), 1.0 / p))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):  # noqa: A002
    """torch.norm: the vector p-norm over ``dim`` (all elements when None; p a number, inf or
    -inf); ``"fro"`` is the 2-norm over the given dims. Gradient 0 at a zero input (torch)."""
    x = input if dtype is None else E.astype(input, dtype)
    d = _arr(x)
    if d.dtype.kind not in "fc":
        raise TypeError(f"norm: expected a floating point or complex tensor, got dtype "
                        f"{d.dtype.name}; pass dtype= or convert it first")
    if p == "nuc":
        return _nuclear(x, dim, bool(keepdim))
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise ValueError(f"norm: p must be a number, inf, -inf, 'fro' or 'nuc', got {p!r}")
    if isinstance(dim, list):
        dim = tuple(dim)
    ax = R.normalize_axis(dim, d.ndim, "norm")
    return _vector_norm(x, float(p), ax, bool(keepdim), "norm")


def _nuclear(x, dim, keep):
    """The sum of the singular values over the two dims ``dim`` (the last two when None)."""
    nd = _arr(x).ndim
    pair = (-2, -1) if dim is None else tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if nd < 2 or len(pair) != 2:
        raise ValueError(f"norm: p='nuc' needs a matrix: two dims, got dim={dim!r} for a "
                         f"tensor of {nd} dimension(s)")
    a, b = (S.normalize_dim(i, nd, "norm") for i in pair)
    rest = tuple(i for i in range(nd) if i not in (a, b))
    r = R.sum(_svd(S.permute(x, rest + (a, b)), True, False).S, (-1,), False)
    if keep:
        shape = tuple(1 if i in (a, b) else _arr(x).shape[i] for i in range(nd))
        r = S.reshape(r, shape)
    return r


def dist(input, other, p=2):  # noqa: A002
    """The p-norm of ``input - other`` (broadcast), over all elements."""
    return norm(E.sub(input, other), p)


# --- order statistics --------------------------------------------------------------------------
def _evenly(input, flat, i):
    """A full reduction that selects ``flat[i]`` (``flat`` is ``input`` flattened, ``i`` an index
    of shape (1,)): the value itself, with the gradient shared evenly among the elements equal
    to it (torch's evenly_distribute_backward). Written with primitives, branch-free, so that a
    compiled trace records it."""
    v = E.stop_gradient(S.reshape(S.take_along_axis(flat, i, 0), ()))
    mask = E.logical_or(E.eq(input, v), E.logical_and(E.isnan(input), E.isnan(v)))
    n = A.index_cast(E.maximum(R.sum(mask, None, False), 1), _arr(input).dtype)
    # v + sum(mask * (x - v)) / n: exactly v in value (x - v is 0 on the mask)
    dev = E.where(mask, E.sub(input, v), 0)
    return E.add(v, E.div(R.sum(dev, None, False), n))


def _median(input, dim, keepdim, nan_aware, op):
    d = _arr(input)
    if dim is None:
        if d.size == 0:
            return _const(np.asarray(np.nan, d.dtype), input)
        flat = S.reshape(input, (-1,))
        return _evenly(input, flat, A.median_index(flat, 0, nan_aware))
    return _select(input, dim, keepdim, lambda x, k: A.median_index(x, k, nan_aware), op)


def median(input, dim=None, keepdim=False):  # noqa: A002
    """The lower median (no averaging, as torch): ``median(x)`` a value (ties share the
    gradient), ``median(x, dim)`` ``(values, indices)``. A nan in the slice gives nan."""
    return _median(input, dim, keepdim, False, "median")


def nanmedian(input, dim=None, keepdim=False):  # noqa: A002
    """``median`` ignoring nan (nan only where a slice is all nan)."""
    return _median(input, dim, keepdim, True, "nanmedian")


def mode(input, dim=-1, keepdim=False):  # noqa: A002
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest among ties)
    and an index where it occurs; the gradient goes to that index."""
    return _select(input, dim, keepdim, A.mode_index, "mode")


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, nan_aware, op):
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{op}: interpolation must be one of {', '.join(_INTERPOLATIONS)}, "
                         f"got {interpolation!r}")
    d = _arr(input)
    if d.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a float tensor, got dtype {d.dtype.name}")
    qd = np.asarray(values_of(q, op), np.float64)  # checked and used in Python
    if qd.ndim > 1:
        raise ValueError(f"{op}: q must be a scalar or a 1-D tensor, got shape {qd.shape}")
    if np.any((qd < 0) | (qd > 1)) or np.any(np.isnan(qd)):
        raise ValueError(f"{op}: q values must be in the range [0, 1], got {qd}")
    if d.size == 0:
        raise IndexError(f"{op}: input tensor must be non-empty (shape {d.shape})")
    if dim is None:
        x = S.reshape(input, (-1,))
        rest = (1,) * d.ndim if keepdim else ()
    else:
        k = S.normalize_dim(dim, builtins.max(d.ndim, 1), op)
        x = input if d.ndim else S.reshape(input, (1,))
        others = tuple(i for i in range(_arr(x).ndim) if i != k)
        x = S.permute(x, others + (k,))  # the reduced dim last
        rest = tuple(1 if i == k else d.shape[i] for i in range(d.ndim) if keepdim or i != k)
    xd = _arr(x)
    n = xd.shape[-1]
    # The order and the positions are computed with primitives (argsort, isnan, ...), not
    # NumPy on the data, and nans are handled without a branch on values: a compiled trace
    # records them. Nans sort last.
    xs = S.take_along_axis(x, A.argsort_index(x, -1, "stable"), -1)
    if nan_aware:
        valid = E.sub(n, R.sum(E.isnan(x), -1, True))
        bad = E.eq(valid, 0)  # an all-nan slice
    else:
        valid = np.full(xd.shape[:-1] + (1,), n)
        bad = E.isnan(S.getitem(xs, (Ellipsis, slice(n - 1, n))))  # a nan in the slice
    last = E.astype(E.maximum(E.sub(valid, 1), 0), np.float64)
    pos = E.mul(last, qd.reshape(-1))  # (..., nq)
    if interpolation == "lower":
        pos = E.floor(pos)
    elif interpolation == "higher":
        pos = E.ceil(pos)
    elif interpolation == "nearest":
        pos = E.round(pos)  # half to even, as torch
    lo_f = E.floor(pos)
    lo, hi = A.index_cast(lo_f), A.index_cast(E.ceil(pos))
    a, b = S.take_along_axis(xs, lo, -1), S.take_along_axis(xs, hi, -1)
    if interpolation == "midpoint":
        w = np.full(_arr(pos).shape, 0.5, xd.dtype)
    else:
        w = E.astype(E.sub(pos, lo_f), xd.dtype)
    if interpolation == "linear" and type(q) in tensor_types:
        # torch differentiates the weight in q: w = q * (n - 1) - floor(q * (n - 1))
        w = E.sub(E.mul(S.reshape(q, (-1,)), E.astype(last, xd.dtype)),
                  E.astype(lo_f, xd.dtype))
    v = E.where(bad, np.nan, _lerp_values(a, b, w))
    vnd = _arr(v).ndim
    v = S.permute(v, (vnd - 1,) + tuple(range(vnd - 1)))  # q's dim first
    v = S.reshape(v, qd.shape + rest)
    return v


def _lerp_values(a, b, w):
    """torch's lerp, from the nearer end (the rounding of torch.quantile)."""
    diff = E.sub(b, a)
    return E.where(w < 0.5, E.add(a, E.mul(diff, w)), E.sub(b, E.mul(diff, 1 - w)))


def quantile(input, q, dim=None, keepdim=False, *, interpolation: str = "linear"):  # noqa: A002
    """The q-th quantiles (q a number or 1-D tensor in [0, 1]) along ``dim`` (of all elements
    when None); q's dim comes first. A nan in the slice gives nan."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation: str = "linear"):  # noqa: A002
    """``quantile`` ignoring nan."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# --- scans and differences ---------------------------------------------------------------------
def _scan_dim(input, dim, axis, op):
    """The scan's dim and input: without a dim (NumPy's default), the flattened input."""
    d = C.pick_axis(dim, axis, op)
    if d is None:
        return 0, S.reshape(input, (-1,))
    return _one_dim(d, input, op), input


def cumsum(input, dim=None, *, dtype=None, axis=_MISSING):  # noqa: A002
    """Cumulative sum along ``dim`` (of the flattened input without one, as NumPy);
    integers accumulate in int64."""
    k, x = _scan_dim(input, dim, axis, "cumsum")
    return R.cumsum(_int_to_int64(x, dtype), k)


def cumprod(input, dim=None, *, dtype=None, axis=_MISSING):  # noqa: A002
    """Cumulative product along ``dim`` (of the flattened input without one), exact gradient
    with zeros present."""
    k, x = _scan_dim(input, dim, axis, "cumprod")
    x = _int_to_int64(x, dtype)
    if _arr(x).ndim == 0:
        return S.reshape(_cumprod(S.reshape(x, (1,)), 0), ())
    return _cumprod(x, k)


def _cum_extremum(input, dim, minimum, op):
    d = _arr(input)
    if d.ndim == 0:
        _one_dim(dim, input, op)
        return _RESULTS[op](input, _const(np.zeros((), np.int64), input))
    k = _one_dim(dim, input, op)
    if d.shape[k] == 0:
        return _RESULTS[op](input, _const(np.zeros(d.shape, np.int64), input))
    idx = A.cum_extremum_index(input, k, minimum)
    return _RESULTS[op](S.take_along_axis(input, idx, k), idx)


def cummax(input, dim):  # noqa: A002
    """``(values, indices)``: the running maximum along ``dim``; each value's gradient goes to
    the element it was taken from."""
    return _cum_extremum(input, dim, False, "cummax")


def cummin(input, dim):  # noqa: A002
    """The running minimum; the mirror of ``cummax``."""
    return _cum_extremum(input, dim, True, "cummin")


def logcumsumexp(input, dim):  # noqa: A002
    """``log(cumsum(exp(x)))`` along ``dim``, as a scan of ``logaddexp`` (log2(n) steps, each
    adding the element 2**k places back), so that no element underflows whatever the spread."""
    d = _arr(input)
    if d.ndim == 0:
        return input
    k = _one_dim(dim, input, "logcumsumexp")
    n = d.shape[k]
    lead = (slice(None),) * k
    y, step = input, 1
    while step < n:
        pad_shape = d.shape[:k] + (step,) + d.shape[k + 1:]
        back = S.concatenate([np.full(pad_shape, -np.inf, d.dtype),
                              S.getitem(y, lead + (slice(0, n - step),))], k)
        y = M.logaddexp(y, back)
        step *= 2
    return y


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None):  # noqa: A002
    """The n-th forward difference along ``dim``, after joining ``prepend``/``append``."""
    d = _arr(input)
    if d.ndim == 0:
        raise RuntimeError("diff: expects input to be at least one-dimensional")
    k = S.normalize_dim(dim, d.ndim, "diff")
    if n == 0:  # torch: the input itself, prepend and append left out
        return input
    parts = [p for p in (prepend, input, append) if p is not None]
    x = S.concatenate(parts, k) if len(parts) > 1 else input
    for _ in range(n):
        m = _arr(x).shape[k]
        lead = (slice(None),) * k
        hi = S.getitem(x, lead + (slice(1, None),))
        lo = S.getitem(x, lead + (slice(0, builtins.max(m - 1, 0)),))
        x = E.logical_xor(hi, lo) if _arr(x).dtype == bool else E.sub(hi, lo)
    return x


# --- integration, gradients, renormalisation ---------------------------------------------------
def _trapezoid_terms(y, x, dx, dim, op):
    d = _arr(y)
    if d.ndim == 0:
        raise RuntimeError(f"{op}: expects a tensor with at least one dimension")
    k = S.normalize_dim(dim, d.ndim, op)
    n = d.shape[k]
    lead = (slice(None),) * k
    hi = S.getitem(y, lead + (slice(1, None),))
    lo = S.getitem(y, lead + (slice(0, builtins.max(n - 1, 0)),))
    avg = E.div(E.add(hi, lo), 2)
    if x is None:
        return E.mul(avg, 1.0 if dx is None else dx), k
    if dx is not None:
        raise TypeError(f"{op}: pass either x or dx, not both")
    xd = _arr(x)
    if xd.ndim == 1:  # coordinates along dim, broadcast over the others
        if xd.shape[0] != n:
            raise ValueError(f"{op}: x has {xd.shape[0]} points but dim {k} of y has {n}")
        x = S.reshape(x, (n,) + (1,) * (d.ndim - 1 - k))
        kx = 0
    else:
        kx = S.normalize_dim(dim, xd.ndim, op)
    m = _arr(x).shape[kx]
    xl = (slice(None),) * kx
    dxs = E.sub(S.getitem(x, xl + (slice(1, None),)),
                S.getitem(x, xl + (slice(0, builtins.max(m - 1, 0)),)))
    return E.mul(avg, dxs), k


def trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """The trapezoidal rule along ``dim``: sample points ``x`` (1-D, or shaped like y) or a
    constant spacing ``dx`` (1 by default)."""
    terms, k = _trapezoid_terms(y, x, dx, dim, "trapezoid")
    return R.sum(terms, (k,), False)


def trapz(y, x=None, *, dx=None, dim: int = -1):
    """The older name of ``trapezoid``."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """The running trapezoidal integral along ``dim`` (one element fewer than y there)."""
    terms, k = _trapezoid_terms(y, x, dx, dim, "cumulative_trapezoid")
    if _arr(terms).shape[k] == 0:
        return terms
    return R.cumsum(terms, k)


def renorm(input, p, dim: int, maxnorm):  # noqa: A002
    """Each slice ``input.select(dim, i)`` whose p-norm exceeds ``maxnorm`` scaled down to
    ``maxnorm`` (torch's ``maxnorm / (norm + 1e-7)``); the gradient includes the norm's."""
    d = _arr(input)
    k = S.normalize_dim(dim, builtins.max(d.ndim, 1), "renorm")
    others = tuple(i for i in range(d.ndim) if i != k)
    nrm = norm(input, p, others, True) if others else E.abs(input)
    big = E.gt(nrm, maxnorm)
    factor = E.where(big, E.div(maxnorm, E.add(nrm, 1e-7)), 1.0)
    return E.mul(input, E.astype(factor, d.dtype))


def _gradient_along(f, coords, k, edge_order, op):
    """NumPy's and torch's second-order differences along dim k at the points ``coords``."""
    d = _arr(f)
    n = d.shape[k]
    if n < edge_order + 1:
        raise ValueError(f"{op}: dim {k} has {n} points; edge_order={edge_order} needs at least "
                         f"{edge_order + 1}")
    lead = (slice(None),) * k
    shape1 = (-1,) + (1,) * (d.ndim - 1 - k)

    def at(sl):
        return S.getitem(f, lead + (sl,))

    def c(v):
        return np.asarray(v, d.dtype).reshape(shape1)

    h = np.diff(coords)
    parts = []
    if edge_order == 1:
        parts.append(E.div(E.sub(at(slice(1, 2)), at(slice(0, 1))), c(h[:1])))
    else:
        h1, h2 = h[0], h[1]
        a, b = -(2 * h1 + h2) / (h1 * (h1 + h2)), (h1 + h2) / (h1 * h2)
        cc = -h1 / (h2 * (h1 + h2))
        parts.append(E.add(E.add(E.mul(at(slice(0, 1)), a), E.mul(at(slice(1, 2)), b)),
                           E.mul(at(slice(2, 3)), cc)))
    if n > 2:
        hs, hd = h[:-1], h[1:]
        a = -hd / (hs * (hd + hs))
        b = (hd - hs) / (hd * hs)
        cc = hs / (hd * (hd + hs))
        parts.append(E.add(E.add(E.mul(at(slice(0, n - 2)), c(a)),
                                 E.mul(at(slice(1, n - 1)), c(b))),
                           E.mul(at(slice(2, n)), c(cc))))
    if edge_order == 1:
        parts.append(E.div(E.sub(at(slice(n - 1, n)), at(slice(n - 2, n - 1))), c(h[-1:])))
    else:
        h1, h2 = h[-2], h[-1]
        a, b = h2 / (h1 * (h1 + h2)), -(h2 + h1) / (h1 * h2)
        cc = (2 * h2 + h1) / (h2 * (h1 + h2))
        parts.append(E.add(E.add(E.mul(at(slice(n - 3, n - 2)), a),
                                 E.mul(at(slice(n - 2, n - 1)), b)),
                           E.mul(at(slice(n - 1, n)), cc)))
    return S.concatenate(parts, k)


def gradient(input, *, spacing=1, dim=None, edge_order: int = 1):  # noqa: A002
    """torch.gradient: a tuple with the derivative estimate along each of ``dim`` (all dims
    when None), second-order accurate inside; ``spacing`` is a number, one number per dim, or
    one 1-D coordinate tensor per dim (held constant)."""
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    d = _arr(input)
    if dim is None:
        dims = list(range(d.ndim))
    elif isinstance(dim, (int, np.integer)):
        dims = [S.normalize_dim(dim, d.ndim, "gradient")]
    else:
        dims = [S.normalize_dim(a, d.ndim, "gradient") for a in dim]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise ValueError(f"gradient: {len(spacing)} spacings for {len(dims)} dims; give one "
                             f"per dim, or a single number")
        sp = list(spacing)
    else:
        sp = [1.0 if spacing is None else spacing] * len(dims)
    out = []
    for k, s in zip(dims, sp):
        sd = np.asarray(values_of(s, "gradient"), np.float64)  # coordinates used by NumPy
        coords = sd if sd.ndim == 1 else np.arange(d.shape[k], dtype=np.float64) * float(sd)
        if coords.shape[0] != d.shape[k]:
            raise ValueError(f"gradient: {coords.shape[0]} coordinates for dim {k} of length "
                             f"{d.shape[k]}")
        out.append(_gradient_along(input, coords, k, edge_order, "gradient"))
    return tuple(out)
