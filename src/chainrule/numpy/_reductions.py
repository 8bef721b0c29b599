"""NumPy's reductions, differentiable: sums, products, means and variances, extrema, scans, the
NaN-aware family, ``average``, order statistics (``median``, ``quantile``, ``percentile``),
differences (``diff``, ``ediff1d``, ``trapezoid``, ``gradient``) and statistics (``cov``,
``corrcoef``, ``bincount`` with weights).

The choices at ties, kinks and NaNs are in docs/numpy_arrays.md.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from .. import composite as C
from ..ops.reductions import trapezoid as _ops_trapezoid
from ..primitives import elementwise as E
from ..primitives import reduction as R
from ..primitives import shape as S
from ..primitives._core import apply, is_concrete, values_of
from ..primitives.array_ops import argmax_index, argmin_index, argsort_index, index_cast
from ..primitives.array_ops import cumprod as _cumprod
from ..primitives.complex import abs2, conj, real
from ._elementwise import clip
from ._indexing import diagonal
from ._products import dot
from ._shape import _slice_along, atleast_2d, concatenate, squeeze, transpose
from ._wrappers import (
    as_array,
    const,
    data_of,
    is_tensor,
    no_out,
    numpy_unless_tensor,
    public_functions,
    shape_of,
    unwrap,
)

_NV = np._NoValue  # NumPy's "argument not given" marker, kept so signatures match NumPy's


def _kd(keepdims) -> bool:
    return False if keepdims is _NV else bool(keepdims)


def _axes(a, axis, op: str):
    """``axis`` normalised: None or a sorted tuple of non-negative ints."""
    return R.normalize_axis(axis, data_of(a).ndim, op)


def _float_dtype(dt) -> np.dtype:
    dt = np.dtype(dt)
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def _count(shape, axis) -> int:
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[i] for i in axis], dtype=np.int64))


def _mask(where, shape):
    if not is_concrete(where):  # with primitives, so that a compiled trace records it
        return S.broadcast_to(where if data_of(where).dtype == bool else E.ne(where, 0), shape)
    return np.broadcast_to(np.asarray(data_of(where), dtype=bool), shape)


# --- sums, products, means, variances ------------------------------------------------------------
@numpy_unless_tensor(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=_NV, initial=_NV, where=_NV):  # noqa: A001
    """``numpy.sum``; masked-out entries (``where``) get no gradient."""
    no_out(out, "sum")
    a = as_array(a)
    if dtype is not None:
        a = E.astype(a, dtype)
    if where is not _NV:
        a = E.where(_mask(where, data_of(a).shape), a, 0)
    r = R.sum(a, axis, _kd(keepdims))
    # `initial` is cast into the reduction's dtype, as NumPy does.
    return r if initial is _NV else E.astype(r + initial, data_of(r).dtype)


@numpy_unless_tensor(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.prod``; the gradient is exact with zeros present."""
    no_out(out, "prod")
    a = as_array(a)
    if dtype is not None:
        a = E.astype(a, dtype)
    if where is not _NV:
        a = E.where(_mask(where, data_of(a).shape), a, 1)
    r = R.prod(a, axis, _kd(keepdims))
    return r if initial is _NV else E.astype(r * initial, data_of(r).dtype)


@numpy_unless_tensor(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=_NV, *, where=_NV):
    """``numpy.mean`` (integer input gives float64)."""
    no_out(out, "mean")
    a = as_array(a)
    if dtype is not None:
        a = E.astype(a, dtype)
    d = data_of(a)
    ax = _axes(a, axis, "mean")
    if where is _NV:
        return C.mean(a, axis=ax, keepdims=_kd(keepdims))
    w = _mask(where, d.shape)
    # the count with primitives: a traced mask is recorded
    n = E.astype(R.sum(w, ax, _kd(keepdims)), _float_dtype(d.dtype))
    return R.sum(E.where(w, a, 0), ax, _kd(keepdims)) / n


def _var(a, axis, dtype, ddof, keepdims, where, mean_, correction, op):
    if correction is not _NV:
        if ddof != 0:
            raise ValueError(f"{op}: ddof and correction can't be provided simultaneously")
        ddof = correction
    a = as_array(a)
    if dtype is not None:
        a = E.astype(a, dtype)
    d = data_of(a)
    if d.dtype.kind not in "fc":
        a = E.astype(a, np.float64)
    ax = _axes(a, axis, op)
    kd = _kd(keepdims)
    if where is _NV:
        w = None
        n_k = n = _count(d.shape, ax)
    else:
        # Masked-out entries are replaced before any arithmetic, so a NaN or inf there cannot
        # leak into the gradient of the others through 0 * nan.
        w = _mask(where, d.shape)
        a = E.where(w, a, 0)
        fd = _float_dtype(d.dtype)
        n_k = E.astype(R.sum(w, ax, True), fd)  # primitives: a traced mask is recorded
        fd = np.finfo(fd).dtype  # the variance itself is real, also for complex data
        n = E.astype(R.sum(w, ax, kd), fd)
    mu = R.sum(a, ax, True) / n_k if mean_ is _NV else mean_
    dev = a - mu
    if w is not None:
        dev = E.where(w, dev, 0)
    # A Python number keeps float32 float32 (NEP 50); counts from a mask are cast above.
    denom = builtins.max(n - ddof, 0) if isinstance(n, int) else E.maximum(n - ddof, 0)
    return R.sum(abs2(dev), ax, kd) / denom  # real for complex input, as NumPy


@numpy_unless_tensor(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NV, *, where=_NV, mean=_NV,
        correction=_NV):
    """``numpy.var``: population variance by default (``ddof=0``)."""
    no_out(out, "var")
    return _var(a, axis, dtype, ddof, keepdims, where, mean, correction, "var")


def _sqrt0(v):
    # sqrt with gradient 0 (not inf or nan) where the variance is 0, as composite.std does.
    zero = E.eq(v, 0)
    return E.where(zero, 0.0, E.sqrt(E.where(zero, 1.0, v)))


@numpy_unless_tensor(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NV, *, where=_NV, mean=_NV,
        correction=_NV):
    """``numpy.std``: ``sqrt(var)``; its gradient is 0 where the variance is 0."""
    no_out(out, "std")
    return _sqrt0(_var(a, axis, dtype, ddof, keepdims, where, mean, correction, "std"))


# --- extrema -------------------------------------------------------------------------------------
def _extreme(a, axis, keepdims, initial, where, is_max, op):
    a = as_array(a)
    d = data_of(a)
    ax = _axes(a, axis, op)
    kd = _kd(keepdims)
    if where is not _NV:
        if initial is _NV:
            raise ValueError(f"{op}: reduction operation '{'maximum' if is_max else 'minimum'}'"
                             f" does not have an identity, so to use a where mask one has to "
                             f"specify 'initial'")
        # A masked-out entry stands in as `initial`, which the result is compared with anyway.
        a = E.where(_mask(where, d.shape), a, initial)
    if _count(d.shape, ax) == 0:
        if initial is _NV:
            raise ValueError(f"{op}: zero-size array (shape {d.shape}) to reduction operation "
                             f"{'maximum' if is_max else 'minimum'} which has no identity; "
                             f"pass initial=")
        red = np.max if is_max else np.min
        return const(red(d, axis=ax, keepdims=kd, initial=initial))
    r = (R.amax if is_max else R.amin)(a, ax, kd)
    if initial is _NV:
        return r
    # The comparison keeps NaN (NaN < initial is False); a tie gives the gradient to `a`.
    beaten = E.lt(r, initial) if is_max else E.gt(r, initial)
    return E.astype(E.where(beaten, initial, r), data_of(r).dtype)


@numpy_unless_tensor(np.amax)
def amax(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.amax``; tied maxima share the gradient evenly (chainrule's amax)."""
    no_out(out, "amax")
    return _extreme(a, axis, keepdims, initial, where, True, "amax")


@numpy_unless_tensor(np.amin)
def amin(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.amin``; tied minima share the gradient evenly."""
    no_out(out, "amin")
    return _extreme(a, axis, keepdims, initial, where, False, "amin")


@numpy_unless_tensor(np.max)
def max(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):  # noqa: A001
    """``numpy.max``: the same as ``amax``."""
    no_out(out, "max")
    return _extreme(a, axis, keepdims, initial, where, True, "max")


@numpy_unless_tensor(np.min)
def min(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):  # noqa: A001
    """``numpy.min``: the same as ``amin``."""
    no_out(out, "min")
    return _extreme(a, axis, keepdims, initial, where, False, "min")


@numpy_unless_tensor(np.ptp)
def ptp(a, axis=None, out=None, keepdims=_NV):
    """``numpy.ptp``: ``max - min``; ties share as in max and min (a constant slice gets a zero
    gradient)."""
    no_out(out, "ptp")
    return _extreme(a, axis, keepdims, _NV, _NV, True, "ptp") - \
        _extreme(a, axis, keepdims, _NV, _NV, False, "ptp")


# --- scans ---------------------------------------------------------------------------------------
def _scan(a, axis, dtype, op):
    a = as_array(a)
    if dtype is not None:
        a = E.astype(a, dtype)
    if axis is None:
        return S.reshape(a, (-1,)), 0
    return a, axis


@numpy_unless_tensor(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    """``numpy.cumsum`` (``axis=None`` scans the flattened array)."""
    no_out(out, "cumsum")
    a, axis = _scan(a, axis, dtype, "cumsum")
    if data_of(a).ndim == 0:
        raise ValueError("cumsum: axis given for a 0-d array; use axis=None")
    return R.cumsum(a, axis)


@numpy_unless_tensor(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """``numpy.cumprod``; the gradient is exact with zeros in the input."""
    no_out(out, "cumprod")
    a, axis = _scan(a, axis, dtype, "cumprod")
    if data_of(a).ndim == 0:
        raise ValueError("cumprod: axis given for a 0-d array; use axis=None")
    return _cumprod(a, axis)


def _cumulative(x, axis, dtype, include_initial, prod_, op):
    x = as_array(x)
    if dtype is not None:
        x = E.astype(x, dtype)
    nd = data_of(x).ndim
    if nd == 0:
        raise ValueError(f"{op}: the input must have at least one dimension, got a 0-d array")
    if axis is None:
        if nd > 1:
            raise ValueError(f"{op}: axis must be specified for multi-dimensional arrays "
                             f"(shape {data_of(x).shape})")
        axis = 0
    axis = S.normalize_dim(axis, nd, op)
    r = _cumprod(x, axis) if prod_ else R.cumsum(x, axis)
    if include_initial:
        pw = tuple((1, 0) if i == axis else (0, 0) for i in range(nd))
        r = apply(S.PAD, (r,), (pw, 1 if prod_ else 0))
    return r


@numpy_unless_tensor(np.cumulative_sum)
def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """``numpy.cumulative_sum`` (the array-API scan; ``include_initial`` prepends 0)."""
    no_out(out, "cumulative_sum")
    return _cumulative(x, axis, dtype, include_initial, False, "cumulative_sum")


@numpy_unless_tensor(np.cumulative_prod)
def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """``numpy.cumulative_prod``; exact gradient with zeros, ``include_initial`` prepends 1."""
    no_out(out, "cumulative_prod")
    return _cumulative(x, axis, dtype, include_initial, True, "cumulative_prod")


# --- NaN-aware reductions: NaN entries are left out and get a zero gradient ----------------------
def _notnan(a):
    d = data_of(a)
    # isnan as a primitive: a compiled trace records the mask
    return E.logical_not(E.isnan(a)) if d.dtype.kind in "fc" else np.ones(d.shape, dtype=bool)


def _and_where(mask, where):
    return mask if where is _NV else mask & _mask(where, mask.shape)


@numpy_unless_tensor(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.nansum``: NaNs count as zero (and get no gradient)."""
    no_out(out, "nansum")
    a = as_array(a)
    return sum(a, axis, dtype, None, keepdims, initial, _and_where(_notnan(a), where))


@numpy_unless_tensor(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.nanprod``: NaNs count as one."""
    no_out(out, "nanprod")
    a = as_array(a)
    return prod(a, axis, dtype, None, keepdims, initial, _and_where(_notnan(a), where))


@numpy_unless_tensor(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=_NV, *, where=_NV):
    """``numpy.nanmean``: the mean of the non-NaN entries (NaN where there are none)."""
    no_out(out, "nanmean")
    a = as_array(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return mean(a, axis, dtype, None, keepdims, where=_and_where(_notnan(a), where))


@numpy_unless_tensor(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NV, *, where=_NV, mean=_NV,
           correction=_NV):
    """``numpy.nanvar``: the variance of the non-NaN entries."""
    no_out(out, "nanvar")
    a = as_array(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _var(a, axis, dtype, ddof, keepdims, _and_where(_notnan(a), where), mean,
                    correction, "nanvar")


@numpy_unless_tensor(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NV, *, where=_NV, mean=_NV,
           correction=_NV):
    """``numpy.nanstd``: the standard deviation of the non-NaN entries."""
    no_out(out, "nanstd")
    a = as_array(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _sqrt0(_var(a, axis, dtype, ddof, keepdims, _and_where(_notnan(a), where), mean,
                           correction, "nanstd"))


def _nanextreme(a, axis, keepdims, initial, where, is_max, op):
    a = as_array(a)
    ok = _notnan(a)
    fill = -np.inf if is_max else np.inf
    if data_of(a).dtype.kind not in "fc":
        return _extreme(a, axis, keepdims, initial, where, is_max, op)
    x = E.where(ok, a, fill)
    r = _extreme(x, axis, keepdims, initial, where, is_max, op)
    if initial is _NV:
        ax = _axes(a, axis, op)
        seen = E.gt(R.sum(_and_where(ok, where), ax, _kd(keepdims)), 0)
        if not is_concrete(seen):  # traced: NaN where all are NaN, without the warning
            return E.where(seen, r, np.nan)
        seen = data_of(seen)
        if not np.all(seen):
            warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
            r = E.where(seen, r, np.nan)
    return r


@numpy_unless_tensor(np.nanmax)
def nanmax(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.nanmax``: the maximum ignoring NaNs (NaN for an all-NaN slice)."""
    no_out(out, "nanmax")
    return _nanextreme(a, axis, keepdims, initial, where, True, "nanmax")


@numpy_unless_tensor(np.nanmin)
def nanmin(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.nanmin``: the minimum ignoring NaNs."""
    no_out(out, "nanmin")
    return _nanextreme(a, axis, keepdims, initial, where, False, "nanmin")


@numpy_unless_tensor(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    """``numpy.nancumsum``: NaNs count as zero."""
    no_out(out, "nancumsum")
    a = as_array(a)
    return cumsum(E.where(_notnan(a), a, 0), axis, dtype)


@numpy_unless_tensor(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    """``numpy.nancumprod``: NaNs count as one."""
    no_out(out, "nancumprod")
    a = as_array(a)
    return cumprod(E.where(_notnan(a), a, 1), axis, dtype)


@numpy_unless_tensor(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=_NV):
    """``numpy.average``: differentiable in ``a`` and in ``weights``."""
    a = as_array(a)
    d = data_of(a)
    kd = _kd(keepdims)
    ax = _axes(a, axis, "average")
    if weights is None:
        avg = mean(a, ax, keepdims=kd)
        scl = np.broadcast_to(np.asarray(_count(d.shape, ax), dtype=data_of(avg).dtype),
                              data_of(avg).shape).copy()
        return (avg, const(scl)) if returned else avg
    w = as_array(weights)
    wd = data_of(w)
    if wd.shape != d.shape:
        if axis is None:
            raise TypeError("average: axis must be specified when shapes of a and weights "
                            f"differ ({d.shape} and {wd.shape})")
        if wd.ndim != 1:
            raise TypeError(f"average: 1D weights expected when shapes of a and weights differ "
                            f"({d.shape} and {wd.shape})")
        if len(ax) != 1 or wd.shape[0] != d.shape[ax[0]]:
            raise ValueError(f"average: length of weights ({wd.shape[0]}) not compatible with "
                             f"the specified axis {axis} of an array of shape {d.shape}")
        w = S.reshape(w, tuple(wd.shape[0] if i == ax[0] else 1 for i in range(d.ndim)))
    scl = R.sum(w, ax, kd)
    if np.any(values_of(scl, "average with weights") == 0.0):
        raise ZeroDivisionError("average: weights sum to zero, can't be normalized")
    avg = R.sum(a * w, ax, kd) / scl
    if not returned:
        return avg
    if data_of(scl).shape != data_of(avg).shape:
        scl = S.broadcast_to(scl, data_of(avg).shape)
    return avg, E.astype(scl, data_of(avg).dtype)  # NumPy: the weights' sum in the result's dtype


def _lerp(lo, hi, t):
    # NumPy's quantile interpolation, written the same way (same rounding).
    diff = hi - lo
    return E.where(t >= 0.5, hi - diff * (1 - t), lo + diff * t)


_QMETHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _quantile(a, q, axis, method, keepdims, op, nan_aware=False, median_=False):
    if method not in _QMETHODS:
        raise ValueError(f"{op}: method {method!r} is not supported for tensors; use one of "
                         f"{', '.join(_QMETHODS)}")
    a = as_array(a)
    d = data_of(a)
    if d.dtype.kind not in "fc":
        a = E.astype(a, np.float64)
        d = data_of(a)
    nd = d.ndim
    ax = _axes(a, axis, op)
    ax = tuple(range(nd)) if ax is None else ax
    rest = tuple(i for i in range(nd) if i not in ax)
    # The reduced axes moved last and merged into one of length n.
    x = S.permute(a, rest + ax) if nd else a
    rest_shape = tuple(d.shape[i] for i in rest)
    n = _count(d.shape, ax)
    x = S.reshape(x, rest_shape + (n,))
    xd = data_of(x)
    if n == 0:
        if not median_:  # NumPy: IndexError
            raise IndexError(f"{op}: cannot take a quantile over an empty axis (shape "
                             f"{d.shape})")
        # NumPy's median of nothing: NaN, with the warning of the mean of an empty slice.
        warnings.warn("Mean of empty slice.", RuntimeWarning, stacklevel=4)
        kept = tuple(1 if i in ax else d.shape[i] for i in range(nd))
        return const(np.full(kept if keepdims else rest_shape, np.nan, xd.dtype))
    # The order and the positions are computed with primitives (argsort, isnan, ...), not
    # NumPy on the data, and NaNs are handled without a branch on values: a compiled trace
    # records them. NaNs sort last.
    xs = S.take_along_axis(x, argsort_index(x, -1, "stable"), -1)
    if nan_aware:
        nvalid = E.sub(n, R.sum(E.isnan(x), -1, False))
        bad = E.eq(nvalid, 0)  # an all-NaN slice
    else:
        nvalid = np.full(rest_shape, n)
        bad = E.isnan(S.getitem(xs, (Ellipsis, n - 1)))  # a NaN in the slice
    qd = np.asarray(values_of(q, op), dtype=np.float64)  # checked and used in Python
    if np.any((qd < 0) | (qd > 1)) or np.any(np.isnan(qd)):
        raise ValueError(f"{op}: quantiles must be in the range [0, 1]"
                         + (" (percentiles in [0, 100])" if op.endswith("percentile") else ""))
    qf = qd.reshape(-1)
    nv = S.reshape(nvalid, rest_shape + (1,))
    last = E.maximum(E.sub(nv, 1), 0)  # (rest..., 1)

    def at(i):
        return S.take_along_axis(xs, i, -1)

    if median_:
        # NumPy's median: the middle entry, or the mean of the two middle ones.
        k = E.floor_divide(nv, 2)
        odd = E.eq(E.remainder(nv, 2), 1)
        lo_i = E.where(odd, k, E.maximum(E.sub(k, 1), 0))
        v = E.where(odd, at(k), (at(lo_i) + at(k)) / 2.0)
    else:
        pos = E.mul(E.astype(last, np.float64), qf)  # (rest..., nq) virtual positions
        if method == "lower":
            pos = E.floor(pos)
        elif method == "higher":
            pos = E.ceil(pos)
        elif method == "nearest":
            pos = E.round(pos)  # half to even, as numpy.around
        lo_f = E.floor(pos)
        lo_i = index_cast(lo_f)
        hi_i = E.minimum(E.add(lo_i, 1), index_cast(last))
        t = E.sub(pos, lo_f)
        if method == "midpoint":
            t = E.where(E.eq(t, 0), 0.0, 0.5)
        v = _lerp(at(lo_i), at(hi_i), E.astype(t, xd.dtype))
    # NaN in a slice: NaN (nan-aware: only when the slice is all NaN).
    v = E.where(S.reshape(bad, rest_shape + (1,)), np.nan, v)
    # NumPy interpolates in the common dtype of the data and q (a Python number is weak).
    if method in ("linear", "midpoint") and not median_:
        rdt = np.result_type(xd.dtype, q if isinstance(q, (int, float)) else qd)
        if rdt != xd.dtype:
            v = E.astype(v, rdt)
    # q's axes first, then the kept axes (NumPy's layout).
    if median_ or qd.ndim == 0:
        v = S.reshape(v, rest_shape)
    else:
        v = S.permute(v, (len(rest_shape),) + tuple(range(len(rest_shape))))
        v = S.reshape(v, qd.shape + rest_shape)
    if keepdims:
        kept = tuple(1 if i in ax else d.shape[i] for i in range(nd))
        v = S.reshape(v, (() if median_ else qd.shape) + kept)
    return v


def _percent(q):
    # A Python number stays a Python number (weak for the result's dtype, as in NumPy).
    if isinstance(q, (int, float)):
        return q / 100
    return np.true_divide(values_of(q, "percentile"), 100)


@numpy_unless_tensor(np.argmax)
def argmax(a, axis=None, out=None, *, keepdims=_NV):
    """``numpy.argmax``: indices, no derivative (the argmax primitive, which a compiled trace
    records)."""
    no_out(out, "argmax")
    return argmax_index(as_array(a), axis, _kd(keepdims))


@numpy_unless_tensor(np.argmin)
def argmin(a, axis=None, out=None, *, keepdims=_NV):
    """``numpy.argmin``: indices, no derivative (a recorded primitive)."""
    no_out(out, "argmin")
    return argmin_index(as_array(a), axis, _kd(keepdims))


@numpy_unless_tensor(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``numpy.median``; the gradient goes to the middle element(s) (half each for an even
    count), with ties resolved by a stable sort."""
    no_out(out, "median")
    return _quantile(a, 0.5, axis, "linear", keepdims, "median", median_=True)


@numpy_unless_tensor(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
             *, weights=None):
    """``numpy.quantile`` (methods linear, lower, higher, nearest, midpoint); differentiable
    in ``a`` through the selected and interpolated elements (``q`` is a constant)."""
    no_out(out, "quantile")
    if weights is not None:
        raise NotImplementedError("quantile: weights= is not supported for tensors")
    return _quantile(a, q, axis, method, keepdims, "quantile")


@numpy_unless_tensor(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None):
    """``numpy.percentile``: ``quantile`` with ``q`` in percent."""
    no_out(out, "percentile")
    if weights is not None:
        raise NotImplementedError("percentile: weights= is not supported for tensors")
    return _quantile(a, _percent(q), axis, method, keepdims, "percentile")


@numpy_unless_tensor(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=_NV):
    """``numpy.nanmedian``: the median of the non-NaN entries."""
    no_out(out, "nanmedian")
    return _quantile(a, 0.5, axis, "linear", _kd(keepdims), "nanmedian", True, True)


@numpy_unless_tensor(np.nanquantile)
def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=_NV, *, weights=None):
    """``numpy.nanquantile``: quantiles of the non-NaN entries."""
    no_out(out, "nanquantile")
    return _quantile(a, q, axis, method, _kd(keepdims), "nanquantile", True)


@numpy_unless_tensor(np.nanpercentile)
def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=_NV, *, weights=None):
    """``numpy.nanpercentile``: percentiles of the non-NaN entries."""
    no_out(out, "nanpercentile")
    return _quantile(a, _percent(q), axis, method, _kd(keepdims), "nanpercentile", True)


# --- differences and integration -----------------------------------------------------------------
@numpy_unless_tensor(np.diff)
def diff(a, n=1, axis=-1, prepend=_NV, append=_NV):
    """``numpy.diff``: the n-th discrete difference along ``axis``."""
    a = as_array(a)
    nd = data_of(a).ndim
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    if n == 0:
        return a
    if nd == 0:
        raise ValueError("diff: requires input that is at least one dimensional")
    axis = S.normalize_dim(axis, nd, "diff")
    parts = []
    for extra in (prepend, None, append):
        if extra is None:
            parts.append(a)
        elif extra is not _NV:
            e = as_array(extra)
            if data_of(e).ndim == 0:
                shape = list(data_of(a).shape)
                shape[axis] = 1
                e = S.broadcast_to(e, tuple(shape))
            parts.append(e)
    if len(parts) > 1:
        a = S.concatenate(parts, axis)
    for _ in range(n):
        m = data_of(a).shape[axis]
        hi = S.getitem(a, _slice_along(nd, axis, slice(1, None)))
        lo = S.getitem(a, _slice_along(nd, axis, slice(None, builtins.max(m - 1, 0))))
        a = (hi != lo) if data_of(a).dtype == bool else hi - lo
    return a


@numpy_unless_tensor(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None):
    """``numpy.ediff1d``: differences of the flattened array, with optional ends."""
    a = S.reshape(as_array(ary), (-1,))
    dt = data_of(a).dtype
    parts = []
    if to_begin is not None:
        parts.append(E.astype(S.reshape(as_array(to_begin), (-1,)), dt))
    parts.append(diff(a))
    if to_end is not None:
        parts.append(E.astype(S.reshape(as_array(to_end), (-1,)), dt))
    return parts[0] if len(parts) == 1 else S.concatenate(parts, 0)


@numpy_unless_tensor(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """``numpy.trapezoid``: the trapezoidal rule; differentiable in ``y``, ``x`` and ``dx``
    (the Tensor face's ``trapezoid``; NumPy ignores ``dx`` when ``x`` is given)."""
    return _ops_trapezoid(y, x, dx=None if x is not None else dx, dim=axis)


@numpy_unless_tensor(np.gradient, stack_lists=True)
def gradient(f, *varargs, axis=None, edge_order=1):
    """``numpy.gradient`` with uniform (scalar) spacings: central differences inside,
    one-sided ones of order ``edge_order`` at the ends."""
    nd = len(shape_of(f))
    axes = tuple(range(nd)) if axis is None else (
        (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis))
    axes = tuple(S.normalize_dim(a, nd, "gradient") for a in axes)
    hs = list(varargs) if varargs else [1.0] * len(axes)
    if len(hs) == 1:
        hs = hs * len(axes)
    if len(hs) != len(axes) or builtins.any(np.ndim(unwrap(h)) for h in hs):
        raise NotImplementedError("gradient: only scalar spacings are supported on tensors")
    out = [_gradient_1(f, a, float(unwrap(h)), edge_order) for a, h in zip(axes, hs)]
    return out[0] if len(out) == 1 else tuple(out)


def _gradient_1(f, axis, h, edge_order):
    n = shape_of(f)[axis]
    if n < edge_order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, at "
                         "least (edge_order + 1) elements are required.")

    def at(sl):
        return S.getitem(f, (slice(None),) * axis + (sl,))

    inner = (at(slice(2, None)) - at(slice(0, -2))) / (2 * h)
    if edge_order == 1:
        first = (at(slice(1, 2)) - at(slice(0, 1))) / h
        last = (at(slice(-1, None)) - at(slice(-2, -1))) / h
    else:
        first = (-1.5 * at(slice(0, 1)) + 2 * at(slice(1, 2)) - 0.5 * at(slice(2, 3))) / h
        last = (0.5 * at(slice(-3, -2)) - 2 * at(slice(-2, -1)) + 1.5 * at(slice(-1, None))) / h
    return concatenate([first, inner, last], axis=axis)


# --- statistics ----------------------------------------------------------------------------------
@numpy_unless_tensor(np.bincount, stack_lists=True)
def bincount(x, /, weights=None, minlength=0):
    """``numpy.bincount``: counts of each value of ``x``; with ``weights``, sums of the weights
    (differentiable in the weights)."""
    idx = values_of(x, "bincount")  # the result's length depends on the values
    if weights is None:
        return np.bincount(idx, minlength=minlength)
    n = int(builtins.max(idx.max() + 1 if idx.size else 0, minlength))
    w = S.reshape(weights, (-1,)) if is_tensor(weights) else np.ravel(weights)
    return apply(S.INDEX_ADD, (E.astype(w, np.float64),), ((idx.ravel(),), (n,), False, 1))


def _conj_if_complex(x):
    return conj(x) if np.iscomplexobj(unwrap(x)) else x


@numpy_unless_tensor(np.cov, stack_lists=True)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """``numpy.cov``: the covariance matrix of the rows (variables) of ``m``; without frequency
    or analytic weights."""
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov: fweights and aweights are not supported on tensors")
    if dtype is None:  # NumPy computes in at least float64
        dtype = np.result_type(unwrap(m), np.float64) if y is None else \
            np.result_type(unwrap(m), unwrap(y), np.float64)
    x = atleast_2d(E.astype(m, dtype))
    if not rowvar and shape_of(x)[0] != 1:
        x = transpose(x)
    if y is not None:
        yy = atleast_2d(y)
        if not rowvar and shape_of(yy)[0] != 1:
            yy = transpose(yy)
        x = concatenate([x, yy], axis=0)
    n = shape_of(x)[1]
    ddof = (0 if bias else 1) if ddof is None else ddof
    xc = x - mean(x, axis=1, keepdims=True)
    c = dot(xc, transpose(_conj_if_complex(xc))) / builtins.max(n - ddof, 0)
    return squeeze(c)


@numpy_unless_tensor(np.corrcoef, stack_lists=True)
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """``numpy.corrcoef``: Pearson correlation coefficients, clipped to [-1, 1] as NumPy
    does."""
    c = cov(x, y, rowvar, dtype=dtype)
    if len(shape_of(c)) == 0:
        return c / c
    d = E.sqrt(real(diagonal(c)) if np.iscomplexobj(unwrap(c)) else diagonal(c))
    c = c / d[:, None] / d[None, :]
    return clip(c, -1.0, 1.0) if not np.iscomplexobj(unwrap(c)) else c


__all__: list[str] = public_functions(globals(), __name__)
