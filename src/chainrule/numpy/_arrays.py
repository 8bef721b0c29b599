"""NumPy's array functions, differentiable: reductions, shape and indexing, joining and
splitting, sorting and order statistics, products, interpolation.

Every public function keeps NumPy's name, signature and defaults. Two paths:

- no chainrule tensor anywhere in the arguments (nested lists included): the NumPy function
  itself runs, so the result is exactly NumPy's (arrays, tuples or lists of arrays, scalars);
- a tensor anywhere: the function is composed from chainrule's primitives, so the result is a
  tensor that carries gradients of any order, forward and reverse. Integer and bool results
  (argmax, nonzero, count_nonzero, ...) are constant tensors.

The semantic choices at ties, kinks and NaNs are listed in docs/numpy_arrays.md.
"""

from __future__ import annotations

import builtins
import functools
import operator
import warnings
from collections.abc import Callable

import numpy as np

from .. import composite as C
from ..primitives import elementwise as E
from ..primitives import linalg as L
from ..primitives import reduction as R
from ..primitives import shape as S
from ..primitives._core import apply, tensor_types
from ..primitives.array_ops import cumprod as _cumprod
from ..primitives.complex import abs2, conj

_NV = np._NoValue  # NumPy's "argument not given" marker, kept so signatures match NumPy's


# --- helpers ------------------------------------------------------------------------------------
def _has_tensor(obj) -> bool:
    if type(obj) in tensor_types:
        return True
    if isinstance(obj, (list, tuple)):
        return builtins.any(_has_tensor(o) for o in obj)
    return False


def _is_nested(a) -> bool:
    return (type(a) is list or type(a) is tuple) and _has_tensor(a)


def _stack_nested_args(fn: Callable) -> Callable:
    """``fn`` with its list or tuple arguments that hold tensors made into differentiable
    arrays first: NumPy would convert such a list with ``asarray``, and the tensors inside must
    not lose their gradients (``np.linalg.det([[x, 1], [2, y]])``). For functions whose array
    arguments are single arrays (not sequences of arrays, as ``concatenate`` takes)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if builtins.any(_is_nested(a) for a in args) or \
                builtins.any(_is_nested(v) for v in kwargs.values()):
            args = tuple(_arr(a) if _is_nested(a) else a for a in args)
            kwargs = {k: _arr(v) if _is_nested(v) else v for k, v in kwargs.items()}
        return fn(*args, **kwargs)

    return wrapper


def _numpy_fallback(np_func: Callable):
    """Run ``np_func`` itself when no tensor is among the arguments (NumPy's exact result)."""

    def deco(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if not (_has_tensor(args) or _has_tensor(tuple(kwargs.values()))):
                return np_func(*args, **kwargs)
            try:
                return _tensorize(func(*args, **kwargs))
            except IndexError as exc:
                # A bad axis: NumPy's AxisError (both an IndexError and a ValueError), so code
                # that catches either keeps working; the message is chainrule's.
                if "out of range for an array of" in str(exc):
                    raise np.exceptions.AxisError(str(exc)) from None
                raise

        wrapper.__wrapped_numpy__ = np_func
        return wrapper

    return deco


def _tensorize(r):
    """A tensor was given, so every array in the result is a tensor (constants where the
    result did not depend on a tensor)."""
    if type(r) in tensor_types:
        return r
    if isinstance(r, tuple):
        items = [_tensorize(x) for x in r]
        return type(r)(*items) if hasattr(r, "_fields") else tuple(items)  # keep namedtuples
    if isinstance(r, list):
        return [_tensorize(x) for x in r]
    return _const(r)


def _d(x) -> np.ndarray:
    """The data of ``x`` as an ndarray (tensors inside lists included)."""
    if type(x) in tensor_types:
        return x._data
    if isinstance(x, (list, tuple)) and _has_tensor(x):
        return np.asarray([_d(e) for e in x])
    return np.asarray(x)


def _arr(x):
    """A tensor stays as it is; a list holding tensors becomes a differentiable stack; a Python
    number stays a number (weak in dtype promotion, NEP 50); anything else becomes an
    ndarray."""
    if type(x) in tensor_types or type(x) in _PY_SCALARS:
        return x
    if isinstance(x, (list, tuple)) and _has_tensor(x):
        return _stack_nested(x)
    return np.asarray(x)


_PY_SCALARS = (int, float, complex, bool)


def _strong(x):
    """``_arr``, with Python numbers made arrays (for functions where NumPy does so)."""
    x = _arr(x)
    return np.asarray(x) if type(x) in _PY_SCALARS else x


def _result_dtype(*xs):
    """NumPy's result dtype of ``xs``, Python numbers weak."""
    return np.result_type(*[x if type(x) in _PY_SCALARS else _d(x) for x in xs])


def _stack_nested(x):
    parts = [_arr(e) for e in x]
    if not parts:
        return np.asarray(x)
    shapes = {_d(p).shape for p in parts}
    if len(shapes) > 1:
        raise ValueError(f"array: setting an array element with a sequence: the nested "
                         f"sequences have shapes {sorted(shapes)}; all must have the same shape")
    return C.stack(parts, axis=0)


def _const(arr):
    """An integer or bool result, as a constant tensor."""
    from ..tensor import Tensor

    return Tensor._constant(np.asarray(arr))


def _no_out(out, op: str):
    if out is not None:
        raise TypeError(f"{op}: out= is not supported with chainrule tensors (a tensor's value "
                        f"cannot be written into another array and stay differentiable); use "
                        f"the returned value")


def _kd(keepdims) -> bool:
    return False if keepdims is _NV else bool(keepdims)


def _axes(a, axis, op: str):
    """``axis`` normalised: None or a sorted tuple of non-negative ints."""
    return R.normalize_axis(axis, _d(a).ndim, op)


def _float_dtype(dt) -> np.dtype:
    dt = np.dtype(dt)
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def _count(shape, axis) -> int:
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[i] for i in axis], dtype=np.int64))


def _mask(where, shape):
    return np.broadcast_to(np.asarray(_d(where), dtype=bool), shape)


def _norm1(axis, nd, op):
    return S.normalize_dim(axis, nd, op)


# --- sums, products, means, variances ------------------------------------------------------------
@_numpy_fallback(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=_NV, initial=_NV, where=_NV):  # noqa: A001
    """``numpy.sum``; masked-out entries (``where``) get no gradient."""
    _no_out(out, "sum")
    a = _arr(a)
    if dtype is not None:
        a = E.astype(a, dtype)
    if where is not _NV:
        a = E.where(_mask(where, _d(a).shape), a, 0)
    r = R.sum(a, axis, _kd(keepdims))
    # `initial` is cast into the reduction's dtype, as NumPy does.
    return r if initial is _NV else E.astype(r + initial, _d(r).dtype)


@_numpy_fallback(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.prod``; the gradient is exact with zeros present."""
    _no_out(out, "prod")
    a = _arr(a)
    if dtype is not None:
        a = E.astype(a, dtype)
    if where is not _NV:
        a = E.where(_mask(where, _d(a).shape), a, 1)
    r = R.prod(a, axis, _kd(keepdims))
    return r if initial is _NV else E.astype(r * initial, _d(r).dtype)


@_numpy_fallback(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=_NV, *, where=_NV):
    """``numpy.mean`` (integer input gives float64)."""
    _no_out(out, "mean")
    a = _arr(a)
    if dtype is not None:
        a = E.astype(a, dtype)
    d = _d(a)
    ax = _axes(a, axis, "mean")
    if where is _NV:
        return C.mean(a, axis=ax, keepdims=_kd(keepdims))
    w = _mask(where, d.shape)
    n = np.sum(w, axis=ax, keepdims=_kd(keepdims)).astype(_float_dtype(d.dtype))
    return R.sum(E.where(w, a, 0), ax, _kd(keepdims)) / n


def _var(a, axis, dtype, ddof, keepdims, where, mean_, correction, op):
    if correction is not _NV:
        if ddof != 0:
            raise ValueError(f"{op}: ddof and correction can't be provided simultaneously")
        ddof = correction
    a = _arr(a)
    if dtype is not None:
        a = E.astype(a, dtype)
    d = _d(a)
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
        n_k = np.sum(w, axis=ax, keepdims=True).astype(fd)
        fd = np.finfo(fd).dtype  # the variance itself is real, also for complex data
        n = np.sum(w, axis=ax, keepdims=kd).astype(fd)
    mu = R.sum(a, ax, True) / n_k if mean_ is _NV else mean_
    dev = a - mu
    if w is not None:
        dev = E.where(w, dev, 0)
    # A Python number keeps float32 float32 (NEP 50); counts from a mask are cast above.
    denom = builtins.max(n - ddof, 0) if isinstance(n, int) else np.maximum(n - ddof, 0)
    return R.sum(abs2(dev), ax, kd) / denom  # real for complex input, as NumPy


@_numpy_fallback(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NV, *, where=_NV, mean=_NV,
        correction=_NV):
    """``numpy.var``: population variance by default (``ddof=0``)."""
    _no_out(out, "var")
    return _var(a, axis, dtype, ddof, keepdims, where, mean, correction, "var")


def _sqrt0(v):
    # sqrt with gradient 0 (not inf or nan) where the variance is 0, as composite.std does.
    zero = _d(v) == 0
    return E.where(zero, 0.0, E.sqrt(E.where(zero, 1.0, v)))


@_numpy_fallback(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NV, *, where=_NV, mean=_NV,
        correction=_NV):
    """``numpy.std``: ``sqrt(var)``; its gradient is 0 where the variance is 0."""
    _no_out(out, "std")
    return _sqrt0(_var(a, axis, dtype, ddof, keepdims, where, mean, correction, "std"))


# --- extrema -------------------------------------------------------------------------------------
def _extreme(a, axis, keepdims, initial, where, is_max, op):
    a = _arr(a)
    d = _d(a)
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
        return _const(red(d, axis=ax, keepdims=kd, initial=initial))
    r = (R.amax if is_max else R.amin)(a, ax, kd)
    if initial is _NV:
        return r
    # The comparison keeps NaN (NaN < initial is False); a tie gives the gradient to `a`.
    beaten = (_d(r) < initial) if is_max else (_d(r) > initial)
    return E.astype(E.where(beaten, initial, r), _d(r).dtype)


@_numpy_fallback(np.amax)
def amax(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.amax``; tied maxima share the gradient evenly (chainrule's amax)."""
    _no_out(out, "amax")
    return _extreme(a, axis, keepdims, initial, where, True, "amax")


@_numpy_fallback(np.amin)
def amin(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.amin``; tied minima share the gradient evenly."""
    _no_out(out, "amin")
    return _extreme(a, axis, keepdims, initial, where, False, "amin")


@_numpy_fallback(np.max)
def max(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):  # noqa: A001
    """``numpy.max``: the same as ``amax``."""
    _no_out(out, "max")
    return _extreme(a, axis, keepdims, initial, where, True, "max")


@_numpy_fallback(np.min)
def min(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):  # noqa: A001
    """``numpy.min``: the same as ``amin``."""
    _no_out(out, "min")
    return _extreme(a, axis, keepdims, initial, where, False, "min")


@_numpy_fallback(np.ptp)
def ptp(a, axis=None, out=None, keepdims=_NV):
    """``numpy.ptp``: ``max - min``; ties share as in max and min (a constant slice gets a zero
    gradient)."""
    _no_out(out, "ptp")
    return _extreme(a, axis, keepdims, _NV, _NV, True, "ptp") - \
        _extreme(a, axis, keepdims, _NV, _NV, False, "ptp")


# --- scans ---------------------------------------------------------------------------------------
def _scan(a, axis, dtype, op):
    a = _arr(a)
    if dtype is not None:
        a = E.astype(a, dtype)
    if axis is None:
        return S.reshape(a, (-1,)), 0
    return a, axis


@_numpy_fallback(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    """``numpy.cumsum`` (``axis=None`` scans the flattened array)."""
    _no_out(out, "cumsum")
    a, axis = _scan(a, axis, dtype, "cumsum")
    if _d(a).ndim == 0:
        raise ValueError("cumsum: axis given for a 0-d array; use axis=None")
    return R.cumsum(a, axis)


@_numpy_fallback(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """``numpy.cumprod``; the gradient is exact with zeros in the input."""
    _no_out(out, "cumprod")
    a, axis = _scan(a, axis, dtype, "cumprod")
    if _d(a).ndim == 0:
        raise ValueError("cumprod: axis given for a 0-d array; use axis=None")
    return _cumprod(a, axis)


def _cumulative(x, axis, dtype, include_initial, prod_, op):
    x = _arr(x)
    if dtype is not None:
        x = E.astype(x, dtype)
    nd = _d(x).ndim
    if nd == 0:
        raise ValueError(f"{op}: the input must have at least one dimension, got a 0-d array")
    if axis is None:
        if nd > 1:
            raise ValueError(f"{op}: axis must be specified for multi-dimensional arrays "
                             f"(shape {_d(x).shape})")
        axis = 0
    axis = _norm1(axis, nd, op)
    r = _cumprod(x, axis) if prod_ else R.cumsum(x, axis)
    if include_initial:
        pw = tuple((1, 0) if i == axis else (0, 0) for i in range(nd))
        r = apply(S.PAD, (r,), (pw, 1 if prod_ else 0))
    return r


@_numpy_fallback(np.cumulative_sum)
def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """``numpy.cumulative_sum`` (the array-API scan; ``include_initial`` prepends 0)."""
    _no_out(out, "cumulative_sum")
    return _cumulative(x, axis, dtype, include_initial, False, "cumulative_sum")


@_numpy_fallback(np.cumulative_prod)
def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """``numpy.cumulative_prod``; exact gradient with zeros, ``include_initial`` prepends 1."""
    _no_out(out, "cumulative_prod")
    return _cumulative(x, axis, dtype, include_initial, True, "cumulative_prod")


# --- NaN-aware reductions: NaN entries are left out and get a zero gradient ----------------------
def _notnan(a):
    d = _d(a)
    return ~np.isnan(d) if d.dtype.kind in "fc" else np.ones(d.shape, dtype=bool)


def _and_where(mask, where):
    return mask if where is _NV else mask & _mask(where, mask.shape)


@_numpy_fallback(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.nansum``: NaNs count as zero (and get no gradient)."""
    _no_out(out, "nansum")
    a = _arr(a)
    return sum(a, axis, dtype, None, keepdims, initial, _and_where(_notnan(a), where))


@_numpy_fallback(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.nanprod``: NaNs count as one."""
    _no_out(out, "nanprod")
    a = _arr(a)
    return prod(a, axis, dtype, None, keepdims, initial, _and_where(_notnan(a), where))


@_numpy_fallback(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=_NV, *, where=_NV):
    """``numpy.nanmean``: the mean of the non-NaN entries (NaN where there are none)."""
    _no_out(out, "nanmean")
    a = _arr(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return mean(a, axis, dtype, None, keepdims, where=_and_where(_notnan(a), where))


@_numpy_fallback(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NV, *, where=_NV, mean=_NV,
           correction=_NV):
    """``numpy.nanvar``: the variance of the non-NaN entries."""
    _no_out(out, "nanvar")
    a = _arr(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _var(a, axis, dtype, ddof, keepdims, _and_where(_notnan(a), where), mean,
                    correction, "nanvar")


@_numpy_fallback(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NV, *, where=_NV, mean=_NV,
           correction=_NV):
    """``numpy.nanstd``: the standard deviation of the non-NaN entries."""
    _no_out(out, "nanstd")
    a = _arr(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _sqrt0(_var(a, axis, dtype, ddof, keepdims, _and_where(_notnan(a), where), mean,
                           correction, "nanstd"))


def _nanextreme(a, axis, keepdims, initial, where, is_max, op):
    a = _arr(a)
    ok = _notnan(a)
    fill = -np.inf if is_max else np.inf
    if _d(a).dtype.kind not in "fc":
        return _extreme(a, axis, keepdims, initial, where, is_max, op)
    x = E.where(ok, a, fill)
    r = _extreme(x, axis, keepdims, initial, where, is_max, op)
    if initial is _NV:
        ax = _axes(a, axis, op)
        seen = np.any(_and_where(ok, where), axis=ax, keepdims=_kd(keepdims))
        if not np.all(seen):
            warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
            r = E.where(seen, r, np.nan)
    return r


@_numpy_fallback(np.nanmax)
def nanmax(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.nanmax``: the maximum ignoring NaNs (NaN for an all-NaN slice)."""
    _no_out(out, "nanmax")
    return _nanextreme(a, axis, keepdims, initial, where, True, "nanmax")


@_numpy_fallback(np.nanmin)
def nanmin(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    """``numpy.nanmin``: the minimum ignoring NaNs."""
    _no_out(out, "nanmin")
    return _nanextreme(a, axis, keepdims, initial, where, False, "nanmin")


@_numpy_fallback(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    """``numpy.nancumsum``: NaNs count as zero."""
    _no_out(out, "nancumsum")
    a = _arr(a)
    return cumsum(E.where(_notnan(a), a, 0), axis, dtype)


@_numpy_fallback(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    """``numpy.nancumprod``: NaNs count as one."""
    _no_out(out, "nancumprod")
    a = _arr(a)
    return cumprod(E.where(_notnan(a), a, 1), axis, dtype)


@_numpy_fallback(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=_NV):
    """``numpy.average``: differentiable in ``a`` and in ``weights``."""
    a = _arr(a)
    d = _d(a)
    kd = _kd(keepdims)
    ax = _axes(a, axis, "average")
    if weights is None:
        avg = mean(a, ax, keepdims=kd)
        scl = np.broadcast_to(np.asarray(_count(d.shape, ax), dtype=_d(avg).dtype),
                              _d(avg).shape).copy()
        return (avg, _const(scl)) if returned else avg
    w = _arr(weights)
    wd = _d(w)
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
    if np.any(_d(scl) == 0.0):
        raise ZeroDivisionError("average: weights sum to zero, can't be normalized")
    avg = R.sum(a * w, ax, kd) / scl
    if not returned:
        return avg
    if _d(scl).shape != _d(avg).shape:
        scl = S.broadcast_to(scl, _d(avg).shape)
    return avg, E.astype(scl, _d(avg).dtype)  # NumPy: the weights' sum in the result's dtype


# --- logical reductions and index queries: values only ------------------------------------------
def _values_only(np_func: Callable, doc: str):
    """A function whose result carries no gradient (counts, bools, indices): NumPy on the data;
    with a tensor among the arguments the result is a constant tensor."""

    @functools.wraps(np_func)
    def f(*args, **kwargs):
        if not (_has_tensor(args) or _has_tensor(tuple(kwargs.values()))):
            return np_func(*args, **kwargs)
        args = tuple(_d(a) if _has_tensor(a) else a for a in args)
        kwargs = {k: _d(v) if _has_tensor(v) else v for k, v in kwargs.items()}
        r = np_func(*args, **kwargs)
        if isinstance(r, tuple):
            return tuple(_const(x) for x in r)
        return _const(r)

    f.__doc__ = f"``numpy.{np_func.__name__}``: {doc}"
    f.__module__ = __name__
    f._chainrule_kind = "value-only"  # for the namespace's coverage table
    return f


count_nonzero = _values_only(np.count_nonzero, "a count (no gradient).")
all = _values_only(np.all, "a bool (no gradient).")  # noqa: A001
any = _values_only(np.any, "a bool (no gradient).")  # noqa: A001
argmax = _values_only(np.argmax, "indices (no gradient).")
argmin = _values_only(np.argmin, "indices (no gradient).")
argsort = _values_only(np.argsort, "indices (no gradient).")
nonzero = _values_only(np.nonzero, "a tuple of index arrays (no gradient).")
flatnonzero = _values_only(np.flatnonzero, "indices (no gradient).")
argwhere = _values_only(np.argwhere, "indices (no gradient).")
searchsorted = _values_only(np.searchsorted, "insertion indices (no gradient).")
nanargmax = _values_only(np.nanargmax, "indices (no gradient).")
nanargmin = _values_only(np.nanargmin, "indices (no gradient).")


@_numpy_fallback(np.unique)
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, sorted=True):  # noqa: A002 - NumPy's keyword
    """``numpy.unique``. The unique values are differentiable: each is read from its first
    occurrence in ``ar`` (which gets the whole gradient); indices and counts are constants."""
    a = _arr(ar)
    d = _d(a)
    vals, idx, inv, cnt = np.unique(d, True, True, True, axis, equal_nan=equal_nan,
                                    sorted=sorted)
    if axis is None:
        values = S.getitem(S.reshape(a, (-1,)), idx)
    else:
        values = take(a, idx, axis=axis)
    extra = [(return_index, idx), (return_inverse, inv), (return_counts, cnt)]
    out = [values] + [_const(x) for flag, x in extra if flag]
    return out[0] if len(out) == 1 else tuple(out)


# --- sorting and order statistics ----------------------------------------------------------------
@_numpy_fallback(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``numpy.sort``. The gradient follows the permutation of a stable sort: tied values keep
    their order, each output position differentiates the input it was taken from."""
    a = _arr(a)
    if order is not None:
        raise ValueError("sort: order= (structured arrays) is not supported for tensors")
    if axis is None:
        a, axis = S.reshape(a, (-1,)), -1
    d = _d(a)
    if d.ndim == 0:
        raise ValueError("sort: axis -1 is out of bounds for a 0-d array; use axis=None")
    idx = np.argsort(d, axis=axis, kind="stable")
    return S.take_along_axis(a, idx, axis)


@_numpy_fallback(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """``numpy.partition``: the values of NumPy's own partition (the permutation of
    ``argpartition``); each output position differentiates the input it was taken from."""
    a = _arr(a)
    if order is not None:
        raise ValueError("partition: order= (structured arrays) is not supported for tensors")
    if axis is None:
        a, axis = S.reshape(a, (-1,)), -1
    idx = np.argpartition(_d(a), _d(kth), axis=axis, kind=kind)
    return S.take_along_axis(a, idx, axis)


argpartition = _values_only(np.argpartition, "indices (no gradient).")


def _unique_first(x):
    """The unique values of ``x`` (array-API semantics: NaNs distinct), each read from its first
    occurrence, and NumPy's full result on the data."""
    x = _arr(x)
    res = np.unique_all(_d(x))
    return S.getitem(S.reshape(x, (-1,)), res.indices), res


@_numpy_fallback(np.unique_values)
def unique_values(x):
    """``numpy.unique_values``: differentiable, each value from its first occurrence."""
    return _unique_first(x)[0]


@_numpy_fallback(np.unique_counts)
def unique_counts(x):
    """``numpy.unique_counts``: (values, counts); the counts are constants."""
    v, res = _unique_first(x)
    return type(np.unique_counts(np.zeros(1)))(v, _const(res.counts))


@_numpy_fallback(np.unique_inverse)
def unique_inverse(x):
    """``numpy.unique_inverse``: (values, inverse_indices)."""
    v, res = _unique_first(x)
    return type(np.unique_inverse(np.zeros(1)))(v, _const(res.inverse_indices))


@_numpy_fallback(np.unique_all)
def unique_all(x):
    """``numpy.unique_all``: (values, indices, inverse_indices, counts)."""
    v, res = _unique_first(x)
    return type(res)(v, _const(res.indices), _const(res.inverse_indices), _const(res.counts))


def _lerp(lo, hi, t):
    # NumPy's quantile interpolation, written the same way (same rounding).
    diff = hi - lo
    return E.where(t >= 0.5, hi - diff * (1 - t), lo + diff * t)


_QMETHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _quantile(a, q, axis, method, keepdims, op, nan_aware=False, median_=False):
    if method not in _QMETHODS:
        raise ValueError(f"{op}: method {method!r} is not supported for tensors; use one of "
                         f"{', '.join(_QMETHODS)}")
    a = _arr(a)
    d = _d(a)
    if d.dtype.kind not in "fc":
        a = E.astype(a, np.float64)
        d = _d(a)
    nd = d.ndim
    ax = _axes(a, axis, op)
    ax = tuple(range(nd)) if ax is None else ax
    rest = tuple(i for i in range(nd) if i not in ax)
    # The reduced axes moved last and merged into one of length n.
    x = S.permute(a, rest + ax) if nd else a
    rest_shape = tuple(d.shape[i] for i in rest)
    n = _count(d.shape, ax)
    x = S.reshape(x, rest_shape + (n,))
    xd = _d(x)
    if n == 0:
        if not median_:  # NumPy: IndexError
            raise IndexError(f"{op}: cannot take a quantile over an empty axis (shape "
                             f"{d.shape})")
        # NumPy's median of nothing: NaN, with the warning of the mean of an empty slice.
        warnings.warn("Mean of empty slice.", RuntimeWarning, stacklevel=4)
        kept = tuple(1 if i in ax else d.shape[i] for i in range(nd))
        return _const(np.full(kept if keepdims else rest_shape, np.nan, xd.dtype))
    xs = S.take_along_axis(x, np.argsort(xd, axis=-1, kind="stable"), -1)  # NaNs sort last
    isnan = np.isnan(xd)
    nvalid = (n - np.sum(isnan, axis=-1)) if nan_aware else np.full(rest_shape, n)
    qd = np.asarray(_d(q), dtype=np.float64)
    if np.any((qd < 0) | (qd > 1)) or np.any(np.isnan(qd)):
        raise ValueError(f"{op}: quantiles must be in the range [0, 1]"
                         + (" (percentiles in [0, 100])" if op.endswith("percentile") else ""))
    qf = qd.reshape(-1)
    last = np.maximum(nvalid - 1, 0)[..., None].astype(np.float64)  # (rest..., 1)
    if median_:
        # NumPy's median: the middle entry, or the mean of the two middle ones.
        k = (nvalid[..., None] // 2).astype(np.intp)
        odd = (nvalid[..., None] % 2) == 1
        lo_i = np.where(odd, k, np.maximum(k - 1, 0))
        v = (S.take_along_axis(xs, lo_i, -1) + S.take_along_axis(xs, k, -1)) / 2.0
        v = E.where(odd, S.take_along_axis(xs, k, -1), v)
    else:
        pos = last * qf  # (rest..., nq) virtual positions
        if method == "lower":
            pos = np.floor(pos)
        elif method == "higher":
            pos = np.ceil(pos)
        elif method == "nearest":
            pos = np.around(pos)
        lo_i = np.floor(pos).astype(np.intp)
        hi_i = np.minimum(lo_i + 1, last.astype(np.intp))
        t = pos - lo_i
        if method == "midpoint":
            t = np.where(t == 0, 0.0, 0.5)
        t = t.astype(xd.dtype)
        v = _lerp(S.take_along_axis(xs, lo_i, -1), S.take_along_axis(xs, hi_i, -1), t)
    # NaN in a slice: NaN (nan-aware: only when the slice is all NaN).
    bad = (nvalid == 0) if nan_aware else np.any(isnan, axis=-1)
    if np.any(bad):
        v = E.where(bad[..., None], np.nan, v)
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
    return q / 100 if isinstance(q, (int, float)) else np.true_divide(_d(q), 100)


@_numpy_fallback(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``numpy.median``; the gradient goes to the middle element(s) (half each for an even
    count), with ties resolved by a stable sort."""
    _no_out(out, "median")
    return _quantile(a, 0.5, axis, "linear", keepdims, "median", median_=True)


@_numpy_fallback(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
             *, weights=None):
    """``numpy.quantile`` (methods linear, lower, higher, nearest, midpoint); differentiable
    in ``a`` through the selected and interpolated elements (``q`` is a constant)."""
    _no_out(out, "quantile")
    if weights is not None:
        raise NotImplementedError("quantile: weights= is not supported for tensors")
    return _quantile(a, q, axis, method, keepdims, "quantile")


@_numpy_fallback(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None):
    """``numpy.percentile``: ``quantile`` with ``q`` in percent."""
    _no_out(out, "percentile")
    if weights is not None:
        raise NotImplementedError("percentile: weights= is not supported for tensors")
    return _quantile(a, _percent(q), axis, method, keepdims, "percentile")


@_numpy_fallback(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=_NV):
    """``numpy.nanmedian``: the median of the non-NaN entries."""
    _no_out(out, "nanmedian")
    return _quantile(a, 0.5, axis, "linear", _kd(keepdims), "nanmedian", True, True)


@_numpy_fallback(np.nanquantile)
def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=_NV, *, weights=None):
    """``numpy.nanquantile``: quantiles of the non-NaN entries."""
    _no_out(out, "nanquantile")
    return _quantile(a, q, axis, method, _kd(keepdims), "nanquantile", True)


@_numpy_fallback(np.nanpercentile)
def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=_NV, *, weights=None):
    """``numpy.nanpercentile``: percentiles of the non-NaN entries."""
    _no_out(out, "nanpercentile")
    return _quantile(a, _percent(q), axis, method, _kd(keepdims), "nanpercentile", True)


# --- differences and integration -----------------------------------------------------------------
def _slice_along(nd, axis, sl):
    return (slice(None),) * axis + (sl,) + (slice(None),) * (nd - axis - 1)


@_numpy_fallback(np.diff)
def diff(a, n=1, axis=-1, prepend=_NV, append=_NV):
    """``numpy.diff``: the n-th discrete difference along ``axis``."""
    a = _arr(a)
    nd = _d(a).ndim
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    if n == 0:
        return a
    if nd == 0:
        raise ValueError("diff: requires input that is at least one dimensional")
    axis = _norm1(axis, nd, "diff")
    parts = []
    for extra in (prepend, None, append):
        if extra is None:
            parts.append(a)
        elif extra is not _NV:
            e = _arr(extra)
            if _d(e).ndim == 0:
                shape = list(_d(a).shape)
                shape[axis] = 1
                e = S.broadcast_to(e, tuple(shape))
            parts.append(e)
    if len(parts) > 1:
        a = S.concatenate(parts, axis)
    for _ in range(n):
        m = _d(a).shape[axis]
        hi = S.getitem(a, _slice_along(nd, axis, slice(1, None)))
        lo = S.getitem(a, _slice_along(nd, axis, slice(None, builtins.max(m - 1, 0))))
        a = (hi != lo) if _d(a).dtype == bool else hi - lo
    return a


@_numpy_fallback(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None):
    """``numpy.ediff1d``: differences of the flattened array, with optional ends."""
    a = S.reshape(_arr(ary), (-1,))
    dt = _d(a).dtype
    parts = []
    if to_begin is not None:
        parts.append(E.astype(S.reshape(_arr(to_begin), (-1,)), dt))
    parts.append(diff(a))
    if to_end is not None:
        parts.append(E.astype(S.reshape(_arr(to_end), (-1,)), dt))
    return parts[0] if len(parts) == 1 else S.concatenate(parts, 0)


@_numpy_fallback(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """``numpy.trapezoid``: the trapezoidal rule; differentiable in ``y``, ``x`` and ``dx``."""
    y = _arr(y)
    nd = _d(y).ndim
    axis = _norm1(axis, nd, "trapezoid")
    if x is None:
        dd = dx
    else:
        x = _arr(x)
        if _d(x).ndim == 1:
            dd = diff(x)
            dd = S.reshape(dd, tuple(-1 if i == axis else 1 for i in range(nd)))
        else:
            dd = diff(x, axis=axis)
    n = _d(y).shape[axis]
    hi = S.getitem(y, _slice_along(nd, axis, slice(1, None)))
    lo = S.getitem(y, _slice_along(nd, axis, slice(None, builtins.max(n - 1, 0))))
    return R.sum(dd * (hi + lo) / 2.0, axis)


# --- reshaping and axes --------------------------------------------------------------------------
def _rev(a):
    nd = _d(a).ndim
    return S.permute(a, tuple(reversed(range(nd)))) if nd > 1 else a


@_numpy_fallback(np.reshape)
def reshape(a, /, shape, order="C", *, copy=None):
    """``numpy.reshape`` (orders 'C' and 'F')."""
    a = _arr(a)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if order == "F":
        return _rev(S.reshape(_rev(a), tuple(reversed(shape))))
    return S.reshape(a, shape)


@_numpy_fallback(np.ravel)
def ravel(a, order="C"):
    """``numpy.ravel`` (orders 'C' and 'F')."""
    a = _arr(a)
    return S.reshape(_rev(a) if order == "F" else a, (-1,))


@_numpy_fallback(np.transpose)
def transpose(a, axes=None):
    """``numpy.transpose``: reverse the axes, or permute them by ``axes``."""
    a = _arr(a)
    if axes is None:
        return _rev(a)
    return S.permute(a, tuple(axes))


@_numpy_fallback(np.permute_dims)
def permute_dims(a, axes=None):
    """``numpy.permute_dims``: the array-API name of ``transpose``."""
    return transpose(a, axes)


@_numpy_fallback(np.matrix_transpose)
def matrix_transpose(x, /):
    """``numpy.matrix_transpose``: swap the last two axes."""
    x = _arr(x)
    if _d(x).ndim < 2:
        raise ValueError(f"matrix_transpose: input array must be at least 2-dimensional, got "
                         f"shape {_d(x).shape}")
    return C.swapaxes(x, -1, -2)


@_numpy_fallback(np.resize)
def resize(a, new_shape):
    """``numpy.resize``: the flattened data repeated (or cut) to fill ``new_shape``."""
    a = _arr(a)
    shape = (new_shape,) if isinstance(new_shape, (int, np.integer)) else tuple(new_shape)
    if builtins.any(n < 0 for n in shape):
        raise ValueError(f"resize: all elements of `new_shape` must be non-negative, got "
                         f"{shape}")
    n = int(np.prod(shape, dtype=np.int64))
    size = _d(a).size
    if size == 0 or n == 0:
        return _const(np.zeros(shape, _d(a).dtype))
    return S.reshape(S.getitem(S.reshape(a, (-1,)), np.arange(n) % size), shape)


@_numpy_fallback(np.trim_zeros)
def trim_zeros(filt, trim="fb", axis=None):
    """``numpy.trim_zeros``: the slice without leading and/or trailing zeros."""
    a = _arr(filt)
    d = _d(a)
    trim = trim.lower()
    if trim not in ("f", "b", "fb", "bf"):
        raise ValueError(f"trim_zeros: unexpected character(s) in `trim`: {trim!r}")
    axes = range(d.ndim) if axis is None else _axis_list(axis, d.ndim, "trim_zeros")
    nz = d != 0
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
    return [_norm1(x, nd, op) for x in axes]


@_numpy_fallback(np.moveaxis)
def moveaxis(a, source, destination):
    """``numpy.moveaxis``."""
    a = _arr(a)
    nd = _d(a).ndim
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


@_numpy_fallback(np.rollaxis)
def rollaxis(a, axis, start=0):
    """``numpy.rollaxis``."""
    a = _arr(a)
    nd = _d(a).ndim
    axis = _norm1(axis, nd, "rollaxis")
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


@_numpy_fallback(np.swapaxes)
def swapaxes(a, axis1, axis2):
    """``numpy.swapaxes``."""
    return C.swapaxes(_arr(a), axis1, axis2)


@_numpy_fallback(np.expand_dims)
def expand_dims(a, axis):
    """``numpy.expand_dims``; ``axis`` may be a tuple."""
    return C.expand_dims(_arr(a), axis)


@_numpy_fallback(np.squeeze)
def squeeze(a, axis=None):
    """``numpy.squeeze``; selecting an axis whose length is not 1 is an error (NumPy)."""
    a = _arr(a)
    s = _d(a).shape
    if axis is None:
        return S.reshape(a, tuple(n for n in s if n != 1))
    axes = _axes(a, axis, "squeeze") or ()
    for i in axes:
        if s[i] != 1:
            raise ValueError(f"squeeze: cannot select an axis to squeeze out which has size not "
                             f"equal to one (axis {i} of shape {s})")
    return S.reshape(a, tuple(n for i, n in enumerate(s) if i not in axes))


def _atleast(arys, nd, op):
    out = []
    for x in arys:
        x = _arr(x)
        s = _d(x).shape
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


@_numpy_fallback(np.atleast_1d)
def atleast_1d(*arys):
    """``numpy.atleast_1d``."""
    return _atleast(arys, 1, "atleast_1d")


@_numpy_fallback(np.atleast_2d)
def atleast_2d(*arys):
    """``numpy.atleast_2d``: a 1-D array becomes a row."""
    return _atleast(arys, 2, "atleast_2d")


@_numpy_fallback(np.atleast_3d)
def atleast_3d(*arys):
    """``numpy.atleast_3d``: (n,) becomes (1, n, 1), (m, n) becomes (m, n, 1)."""
    return _atleast(arys, 3, "atleast_3d")


@_numpy_fallback(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    """``numpy.broadcast_to``; the gradient sums back over the broadcast axes."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return S.broadcast_to(_arr(array), shape)


@_numpy_fallback(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    """``numpy.broadcast_arrays``: a tuple of arrays broadcast to one shape."""
    args = [_arr(a) for a in args]
    try:
        shape = np.broadcast_shapes(*[_d(a).shape for a in args])
    except ValueError:
        raise ValueError(f"broadcast_arrays: shapes {[_d(a).shape for a in args]} cannot be "
                         f"broadcast together") from None
    return tuple(S.broadcast_to(a, shape) for a in args)


# --- joining -------------------------------------------------------------------------------------
def _cast_all(arrays, dtype):
    arrays = [_arr(x) for x in arrays]
    return arrays if dtype is None else [E.astype(x, dtype) for x in arrays]


@_numpy_fallback(np.concatenate)
def concatenate(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``numpy.concatenate`` (``axis=None`` joins the flattened arrays)."""
    _no_out(out, "concatenate")
    arrays = _cast_all(arrays, dtype)
    if axis is None:
        arrays = [S.reshape(x, (-1,)) for x in arrays]
        axis = 0
    return S.concatenate(arrays, axis)


@_numpy_fallback(np.concat)
def concat(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``numpy.concat``: the array-API name of ``concatenate``."""
    return concatenate(arrays, axis, out, dtype=dtype, casting=casting)


@_numpy_fallback(np.stack)
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``numpy.stack``: join along a new axis."""
    _no_out(out, "stack")
    return C.stack(_cast_all(arrays, dtype), axis=axis)


@_numpy_fallback(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    """``numpy.hstack``."""
    arrs = _cast_all(tup, dtype)
    arrs = [_atleast([x], 1, "hstack") for x in arrs]
    if not arrs:
        raise ValueError("hstack: need at least one array to concatenate")
    return S.concatenate(arrs, 0 if _d(arrs[0]).ndim == 1 else 1)


@_numpy_fallback(np.vstack)
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


@_numpy_fallback(np.dstack)
def dstack(tup):
    """``numpy.dstack``."""
    arrs = [_atleast([x], 3, "dstack") for x in _cast_all(tup, None)]
    if not arrs:
        raise ValueError("dstack: need at least one array to concatenate")
    return S.concatenate(arrs, 2)


@_numpy_fallback(np.column_stack)
def column_stack(tup):
    """``numpy.column_stack``: 1-D arrays become columns."""
    arrs = []
    for x in _cast_all(tup, None):
        if _d(x).ndim < 2:
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
        return 0, _d(x).ndim
    if not x:
        raise ValueError(f"block: list {path} cannot be empty")
    depths = [_block_depth(e, f"{path}[{i}]") for i, e in enumerate(x)]
    if len({dp for dp, _ in depths}) != 1:
        raise ValueError(f"block: list depths are mismatched inside {path}: "
                         f"{[dp for dp, _ in depths]}")
    return depths[0][0] + 1, builtins.max(nd for _, nd in depths)


@_numpy_fallback(np.block)
def block(arrays):
    """``numpy.block``: assemble an array from nested lists of blocks."""
    depth, max_nd = _block_depth(arrays)
    nd = builtins.max(depth, max_nd)

    def build(x, level):
        if not isinstance(x, list):
            x = _arr(x)
            s = _d(x).shape
            return S.reshape(x, (1,) * (nd - len(s)) + s)
        return S.concatenate([build(e, level + 1) for e in x], nd - (depth - level))

    return build(arrays, 0)


# --- splitting -----------------------------------------------------------------------------------
def _split(a, sections, axis, equal, op):
    a = _arr(a)
    nd = _d(a).ndim
    axis = _norm1(axis, nd, op)
    n = _d(a).shape[axis]
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


@_numpy_fallback(np.split)
def split(ary, indices_or_sections, axis=0):
    """``numpy.split``: equal sections, or cuts at the given indices (a list of arrays)."""
    return _split(ary, indices_or_sections, axis, True, "split")


@_numpy_fallback(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    """``numpy.array_split``: like split, sections may differ by one."""
    return _split(ary, indices_or_sections, axis, False, "array_split")


@_numpy_fallback(np.hsplit)
def hsplit(ary, indices_or_sections):
    """``numpy.hsplit``."""
    nd = _d(ary).ndim
    if nd == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return _split(ary, indices_or_sections, 1 if nd > 1 else 0, True, "hsplit")


@_numpy_fallback(np.vsplit)
def vsplit(ary, indices_or_sections):
    """``numpy.vsplit``."""
    if _d(ary).ndim < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return _split(ary, indices_or_sections, 0, True, "vsplit")


@_numpy_fallback(np.dsplit)
def dsplit(ary, indices_or_sections):
    """``numpy.dsplit``."""
    if _d(ary).ndim < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return _split(ary, indices_or_sections, 2, True, "dsplit")


# --- repeating, rolling, flipping ----------------------------------------------------------------
@_numpy_fallback(np.tile)
def tile(A, reps):  # noqa: N803 - NumPy's name
    """``numpy.tile``: broadcast and reshape (the gradient sums over the copies)."""
    a = _arr(A)
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    s = _d(a).shape
    nd = builtins.max(len(s), len(reps))
    s = (1,) * (nd - len(s)) + s
    reps = (1,) * (nd - len(reps)) + reps
    inter = tuple(v for n in s for v in (1, n))
    big = tuple(v for r, n in zip(reps, s) for v in (r, n))
    x = S.broadcast_to(S.reshape(a, inter), big)
    return S.reshape(x, tuple(r * n for r, n in zip(reps, s)))


@_numpy_fallback(np.repeat)
def repeat(a, repeats, axis=None):
    """``numpy.repeat``: one count for all, or one per element."""
    a = _arr(a)
    if axis is None:
        a, axis = S.reshape(a, (-1,)), 0
    s = _d(a).shape
    axis = _norm1(axis, len(s), "repeat")
    r = np.asarray(_d(repeats))
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


@_numpy_fallback(np.roll)
def roll(a, shift, axis=None):
    """``numpy.roll`` (shift and axis may be tuples)."""
    a = _arr(a)
    if axis is None:
        s = _d(a).shape
        return S.reshape(roll(S.reshape(a, (-1,)), shift, 0), s)
    nd = _d(a).ndim
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    total = {}
    for sh, ax in zip(shifts.reshape(-1), axes.reshape(-1)):
        ax = _norm1(ax, nd, "roll")
        total[ax] = total.get(ax, 0) + int(sh)
    for ax, sh in total.items():
        n = _d(a).shape[ax]
        if n and sh % n:
            a = S.getitem(a, _slice_along(nd, ax, np.roll(np.arange(n), sh)))
    return a


@_numpy_fallback(np.flip)
def flip(m, axis=None):
    """``numpy.flip``."""
    return S.flip(_arr(m), axis)


@_numpy_fallback(np.fliplr)
def fliplr(m):
    """``numpy.fliplr``."""
    m = _arr(m)
    if _d(m).ndim < 2:
        raise ValueError(f"fliplr: input must be >= 2-d, got shape {_d(m).shape}")
    return S.flip(m, 1)


@_numpy_fallback(np.flipud)
def flipud(m):
    """``numpy.flipud``."""
    m = _arr(m)
    if _d(m).ndim < 1:
        raise ValueError("flipud: input must be >= 1-d, got a 0-d array")
    return S.flip(m, 0)


@_numpy_fallback(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    """``numpy.rot90``."""
    m = _arr(m)
    nd = _d(m).ndim
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


# --- diagonals and triangles ---------------------------------------------------------------------
def _diag_index(n1, n2, k):
    length = builtins.max(0, builtins.min(n1 - builtins.max(-k, 0), n2 - builtins.max(k, 0)))
    rows = np.arange(length) + builtins.max(-k, 0)
    return rows, rows + k


@_numpy_fallback(np.diag)
def diag(v, k=0):
    """``numpy.diag``: a 1-D input becomes a diagonal matrix, a 2-D one gives its diagonal."""
    v = _arr(v)
    s = _d(v).shape
    if len(s) == 1:
        n = s[0] + builtins.abs(k)
        idx = _diag_index(n, n, k)
        # Scatter into zeros: getitem's transpose (the positions are distinct).
        return apply(S.INDEX_ADD, (v,), (idx, (n, n), True, 1))
    if len(s) == 2:
        return diagonal(v, k)
    raise ValueError(f"diag: input must be 1- or 2-d, got shape {s}")


@_numpy_fallback(np.diagflat)
def diagflat(v, k=0):
    """``numpy.diagflat``: the flattened input on a diagonal."""
    return diag(S.reshape(_arr(v), (-1,)), k)


@_numpy_fallback(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """``numpy.diagonal``: the diagonal becomes the last axis."""
    a = _arr(a)
    s = _d(a).shape
    if len(s) < 2:
        raise ValueError(f"diagonal: diag requires an array of at least two dimensions, got "
                         f"shape {s}")
    a1, a2 = _norm1(axis1, len(s), "diagonal"), _norm1(axis2, len(s), "diagonal")
    if a1 == a2:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same (both {a1})")
    rest = tuple(i for i in range(len(s)) if i not in (a1, a2))
    x = S.permute(a, rest + (a1, a2))
    rows, cols = _diag_index(s[a1], s[a2], int(offset))
    return S.getitem(x, (Ellipsis, rows, cols))


@_numpy_fallback(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """``numpy.trace``: the sum of the diagonal."""
    _no_out(out, "trace")
    r = R.sum(diagonal(a, offset, axis1, axis2), -1)
    return r if dtype is None else E.astype(r, dtype)


@_numpy_fallback(np.triu)
def triu(m, k=0):
    """``numpy.triu``: zeros below the k-th diagonal."""
    m = _arr(m)
    s = _d(m).shape
    if not s:
        raise ValueError("triu: input must be at least 1-d")
    mask = np.tri(*(s[-2:] if len(s) > 1 else (s[0], s[0])), k=k - 1, dtype=bool)
    return E.where(mask, np.zeros(1, _d(m).dtype), m)


@_numpy_fallback(np.tril)
def tril(m, k=0):
    """``numpy.tril``: zeros above the k-th diagonal."""
    m = _arr(m)
    s = _d(m).shape
    if not s:
        raise ValueError("tril: input must be at least 1-d")
    mask = np.tri(*(s[-2:] if len(s) > 1 else (s[0], s[0])), k=k, dtype=bool)
    return E.where(mask, m, np.zeros(1, _d(m).dtype))


# --- padding, selection and indexing -------------------------------------------------------------
@_numpy_fallback(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """``numpy.pad`` with modes 'constant' (per-side values too), 'edge', 'reflect',
    'symmetric', 'wrap' and 'empty' (zeros); the gradient adds back where values were copied."""
    a = _arr(array)
    s = _d(a).shape
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
        if type(cv) in tensor_types:
            cv = cv._data
        if np.ndim(cv) == 0:
            return apply(S.PAD, (a,), (pw, cv))
        fill = np.pad(np.zeros(s, _d(a).dtype), pw, constant_values=cv)
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


@_numpy_fallback(np.where)
def where(condition, x=None, y=None, /):
    """``numpy.where``: three arguments select elementwise (differentiable in x and y); one
    argument is ``nonzero``."""
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("where: either both or neither of x and y should be given")
    return E.where(_d(condition).astype(bool, copy=False), _arr(x), _arr(y))


@_numpy_fallback(np.select)
def select(condlist, choicelist, default=0):
    """``numpy.select``: the first choice whose condition holds, else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: list of cases must be same length as list of conditions "
                         f"({len(choicelist)} and {len(condlist)})")
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    conds = [_d(c) for c in condlist]
    for i, c in enumerate(conds):
        if c.dtype != bool:
            raise TypeError(f"select: invalid entry {i} in condlist: should be boolean ndarray, "
                            f"got dtype {c.dtype}")
    choices = [_arr(c) for c in choicelist]
    default = _arr(default)
    dtype = _result_dtype(*choices, default)
    shape = np.broadcast_shapes(*[c.shape for c in conds], *[_d(c).shape for c in choices],
                                np.shape(_d(default)))
    out = default
    for c, v in zip(reversed(conds), reversed(choices)):
        out = E.where(c, v, out)
    out = E.astype(out, dtype)
    return out if _d(out).shape == shape else S.broadcast_to(out, shape)


def _mode_index(idx, n, mode, op):
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


@_numpy_fallback(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    """``numpy.take``; repeated indices add up in the gradient."""
    _no_out(out, "take")
    a = _arr(a)
    if axis is None:
        a, axis = S.reshape(a, (-1,)), 0
    nd = _d(a).ndim
    axis = _norm1(axis, nd, "take")
    idx = np.asarray(_d(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take: indices must be integers, got dtype {idx.dtype}")
    idx = _mode_index(idx, _d(a).shape[axis], mode, "take")
    key = int(idx) if idx.ndim == 0 else idx
    return S.getitem(a, _slice_along(nd, axis, key))


@_numpy_fallback(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """``numpy.take_along_axis`` (``axis=None`` works on the flattened array)."""
    a = _arr(arr)
    idx = np.asarray(_d(indices))
    if axis is None:
        if idx.ndim != 1:
            raise ValueError(f"take_along_axis: when axis=None, indices must have a single "
                             f"dimension, got shape {idx.shape}")
        a, axis = S.reshape(a, (-1,)), 0
    s = _d(a).shape
    if idx.ndim != len(s):
        raise ValueError(f"take_along_axis: indices have {idx.ndim} dimensions but the array "
                         f"has {len(s)} (shape {s}); they must match")
    axis = _norm1(axis, len(s), "take_along_axis")
    # Broadcast the array and the indices against each other except along `axis`.
    other = np.broadcast_shapes(tuple(1 if i == axis else n for i, n in enumerate(s)),
                                tuple(1 if i == axis else n for i, n in enumerate(idx.shape)))
    a = S.broadcast_to(a, tuple(s[axis] if i == axis else n for i, n in enumerate(other)))
    idx = np.broadcast_to(idx, tuple(idx.shape[axis] if i == axis else n
                                     for i, n in enumerate(other)))
    return S.take_along_axis(a, idx, axis)


@_numpy_fallback(np.choose)
def choose(a, choices, out=None, mode="raise"):
    """``numpy.choose``: differentiable in the choices."""
    _no_out(out, "choose")
    idx = np.asarray(_d(a))
    choices = [_arr(c) for c in choices]
    dtype = _result_dtype(*choices)
    choices = [E.astype(c, dtype) for c in choices]
    n = len(choices)
    if mode == "raise" and idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"choose: invalid entry in choice array: indices must be in [0, {n})")
    idx = _mode_index(idx, n, "raise" if mode == "raise" else mode, "choose")
    shape = np.broadcast_shapes(idx.shape, *[_d(c).shape for c in choices])
    stacked = C.stack([S.broadcast_to(c, shape) for c in choices], axis=0)
    picked = S.take_along_axis(stacked, np.broadcast_to(idx, shape)[None].astype(np.intp), 0)
    return S.reshape(picked, shape)


@_numpy_fallback(np.compress)
def compress(condition, a, axis=None, out=None):
    """``numpy.compress``: the slices along ``axis`` where ``condition`` holds."""
    _no_out(out, "compress")
    a = _arr(a)
    if axis is None:
        a, axis = S.reshape(a, (-1,)), 0
    nd = _d(a).ndim
    axis = _norm1(axis, nd, "compress")
    c = np.asarray(_d(condition)).reshape(-1)
    nz = np.nonzero(c)[0]
    if nz.size and nz[-1] >= _d(a).shape[axis]:
        raise IndexError(f"compress: condition has {c.size} entries, true beyond the length "
                         f"{_d(a).shape[axis]} of axis {axis}")
    return S.getitem(a, _slice_along(nd, axis, nz))


@_numpy_fallback(np.extract)
def extract(condition, arr):
    """``numpy.extract``: the elements of ``ravel(arr)`` where ``ravel(condition)`` holds."""
    return S.getitem(S.reshape(_arr(arr), (-1,)),
                     np.nonzero(np.asarray(_d(condition)).reshape(-1))[0])


@_numpy_fallback(np.append)
def append(arr, values, axis=None):
    """``numpy.append``."""
    arr, values = _arr(arr), _arr(values)
    if axis is None:
        return S.concatenate([S.reshape(arr, (-1,)), S.reshape(values, (-1,))], 0)
    return S.concatenate([arr, values], axis)


@_numpy_fallback(np.insert)
def insert(arr, obj, values, axis=None):
    """``numpy.insert``: differentiable in ``arr`` and ``values`` (cast to arr's dtype)."""
    a = _arr(arr)
    v = _arr(values)
    d, vd = _d(a), _d(v)
    # Where each output element comes from, found by running NumPy's insert on index arrays:
    # positions from `arr` carry index + 1, inserted positions carry 0; and separately the
    # index into `values` that NumPy broadcast into each inserted slot.
    obj = _d(obj) if _has_tensor(obj) else obj
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


@_numpy_fallback(np.delete)
def delete(arr, obj, axis=None):
    """``numpy.delete``."""
    a = _arr(arr)
    if axis is None:
        a, axis = S.reshape(a, (-1,)), 0
    nd = _d(a).ndim
    axis = _norm1(axis, nd, "delete")
    obj = _d(obj) if _has_tensor(obj) else obj
    keep = np.delete(np.arange(_d(a).shape[axis]), obj)
    return S.getitem(a, _slice_along(nd, axis, keep))


# --- grids ---------------------------------------------------------------------------------------
@_numpy_fallback(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """``numpy.meshgrid``: a tuple of coordinate arrays."""
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: valid values for `indexing` are 'xy' and 'ij'")
    n = len(xi)
    out = []
    for i, x in enumerate(xi):
        shape = [1] * n
        shape[i] = -1
        out.append(S.reshape(_arr(x), tuple(shape)))
    if indexing == "xy" and n > 1:
        out[0] = S.reshape(out[0], (1, -1) + (1,) * (n - 2))
        out[1] = S.reshape(out[1], (-1, 1) + (1,) * (n - 2))
    if not sparse:
        out = list(broadcast_arrays(*out))
    return tuple(out)


@_numpy_fallback(np.ix_)
def ix_(*args):
    """``numpy.ix_``: open-mesh index arrays (float inputs stay differentiable)."""
    out = []
    n = len(args)
    for k, x in enumerate(args):
        x = _arr(x)
        dd = _d(x)
        if dd.ndim != 1:
            raise ValueError(f"ix_: cross index must be 1 dimensional, argument {k} has shape "
                             f"{dd.shape}")
        if dd.dtype == bool:
            x = _const(np.nonzero(dd)[0])
        out.append(S.reshape(x, (1,) * k + (-1,) + (1,) * (n - k - 1)))
    return tuple(out)


# --- array creation from data --------------------------------------------------------------------
def _copy(x):
    return x.clone() if type(x) in tensor_types else np.array(x)


def _as(a, dtype, copy_, ndmin=0):
    x = _arr(a)
    made = type(a) not in tensor_types  # a list of tensors was stacked: already a new array
    if dtype is not None:
        new = E.astype(x, dtype)
        made = made or new is not x
        x = new
    if copy_ and not made:
        x = _copy(x)
    nd = _d(x).ndim
    if ndmin > nd:
        x = S.reshape(x, (1,) * (ndmin - nd) + _d(x).shape)
    return x


@_numpy_fallback(np.array)
def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, ndmax=0,  # noqa: A002
          like=None):
    """``numpy.array``: a tensor (or a list holding tensors, which is stacked) stays
    differentiable."""
    return _as(object, dtype, bool(copy), ndmin)


@_numpy_fallback(np.asarray)
def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """``numpy.asarray``: a tensor is returned as it is (differentiable)."""
    return _as(a, dtype, bool(copy))


@_numpy_fallback(np.asanyarray)
def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """``numpy.asanyarray``: as ``asarray``."""
    return _as(a, dtype, bool(copy))


@_numpy_fallback(np.copy)
def copy(a, order="K", subok=False):
    """``numpy.copy``: a copy that stays in the graph."""
    return _as(a, None, True)


def _like(a, dtype, shape, fill):
    d = _d(a)
    return _const(np.full_like(d, fill, dtype=dtype, shape=shape))


@_numpy_fallback(np.zeros_like)
def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """``numpy.zeros_like``: a constant."""
    return _like(a, dtype, shape, 0)


@_numpy_fallback(np.ones_like)
def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """``numpy.ones_like``: a constant."""
    return _like(a, dtype, shape, 1)


@_numpy_fallback(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """``numpy.full_like``: differentiable in a tensor ``fill_value`` (``a`` only gives the
    shape and dtype)."""
    if type(fill_value) not in tensor_types:
        return _like(a, dtype, shape, _d(fill_value))
    d = _d(a)
    out_shape = d.shape if shape is None else (
        (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape))
    return S.broadcast_to(E.astype(fill_value, d.dtype if dtype is None else dtype), out_shape)


@_numpy_fallback(np.empty_like)
def empty_like(prototype, /, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """``numpy.empty_like``: a constant (filled with zeros, so no garbage reaches a graph)."""
    return _like(prototype, dtype, shape, 0)


@_numpy_fallback(np.clip)
def clip(a, a_min=_NV, a_max=_NV, out=None, *, min=_NV, max=_NV, **kwargs):  # noqa: A002
    """``numpy.clip``: the gradient passes where ``a_min <= a <= a_max`` (bounds included);
    tensor bounds are differentiable where they are the result."""
    _no_out(out, "clip")
    if (a_min is not _NV or a_max is not _NV) and (min is not _NV or max is not _NV):
        raise ValueError("clip: passing `min` or `max` keyword argument when `a_min` and "
                         "`a_max` are provided is forbidden")
    lo = min if a_min is _NV else a_min
    hi = max if a_max is _NV else a_max
    lo = None if lo is _NV else lo
    hi = None if hi is _NV else hi
    a = _arr(a)
    if lo is None and hi is None:
        return _copy(a)
    return E.clip(a, lo, hi)


# --- products ------------------------------------------------------------------------------------
@_numpy_fallback(np.dot)
def dot(a, b, out=None):
    """``numpy.dot``."""
    _no_out(out, "dot")
    a, b = _strong(a), _strong(b)
    da, db = _d(a), _d(b)
    if da.ndim and db.ndim and da.shape[-1] != db.shape[-2 if db.ndim > 1 else -1]:
        raise ValueError(f"dot: shapes {da.shape} and {db.shape} not aligned: "
                         f"{da.shape[-1]} (dim {da.ndim - 1}) != "
                         f"{db.shape[-2 if db.ndim > 1 else -1]} "
                         f"(dim {db.ndim - 2 if db.ndim > 1 else 0})")
    return C.dot(a, b)


@_numpy_fallback(np.vdot)
def vdot(a, b, /):
    """``numpy.vdot``: the dot product of the flattened arrays, the first conjugated."""
    a, b = S.reshape(conj(_arr(a)), (-1,)), S.reshape(_arr(b), (-1,))
    if _d(a).size != _d(b).size:
        raise ValueError(f"vdot: vectors have different lengths ({_d(a).size} and "
                         f"{_d(b).size})")
    return L.matmul(a, b)


@_numpy_fallback(np.inner)
def inner(a, b, /):
    """``numpy.inner``: a sum over the last axes."""
    a, b = _strong(a), _strong(b)
    da, db = _d(a), _d(b)
    if da.ndim == 0 or db.ndim == 0:
        return a * b
    if da.shape[-1] != db.shape[-1]:
        raise ValueError(f"inner: shapes {da.shape} and {db.shape} not aligned: the last "
                         f"dimensions ({da.shape[-1]} and {db.shape[-1]}) must match")
    return C.tensordot(a, b, ([-1], [-1]))


@_numpy_fallback(np.outer)
def outer(a, b, out=None):
    """``numpy.outer``: of the flattened inputs."""
    _no_out(out, "outer")
    return S.reshape(_arr(a), (-1, 1)) * S.reshape(_arr(b), (1, -1))


@_numpy_fallback(np.matmul)
def matmul(x1, x2, /, out=None, *, axes=_NV, axis=_NV, keepdims=False, casting="same_kind",
           order="K", dtype=None, subok=True, signature=None):
    """``numpy.matmul`` (``axes``, ``axis``, ``keepdims`` and ``signature`` are not supported
    for tensors)."""
    _no_out(out, "matmul")
    if axes is not _NV or axis is not _NV or keepdims or signature is not None:
        raise NotImplementedError("matmul: axes=, axis=, keepdims= and signature= are not "
                                  "supported for tensors; move the axes with moveaxis first")
    x1, x2 = _arr(x1), _arr(x2)
    if dtype is not None:
        x1, x2 = E.astype(x1, dtype), E.astype(x2, dtype)
    return L.matmul(x1, x2)


def _gufunc(op, x1, x2, out, axes, axis, keepdims, signature, dtype, spec, core):
    _no_out(out, op)
    if axes is not _NV or keepdims or signature is not None or (axis is not _NV and core != 1):
        raise NotImplementedError(f"{op}: axes=, keepdims= and signature= are not supported "
                                  f"for tensors; move the axes with moveaxis first")
    x1, x2 = _arr(x1), _arr(x2)
    if dtype is not None:
        x1, x2 = E.astype(x1, dtype), E.astype(x2, dtype)
    if axis is not _NV:  # vecdot: the contracted axis moved last
        x1 = moveaxis(x1, _norm1(axis, _d(x1).ndim, op), -1)
        x2 = moveaxis(x2, _norm1(axis, _d(x2).ndim, op), -1)
    s1, s2 = _d(x1).shape, _d(x2).shape
    k1 = s1[-1] if s1 else None
    k2 = (s2[-2] if len(s2) > 1 else None) if spec == "...i,...ij->...j" else (s2[-1] if s2
                                                                                 else None)
    if k1 is None or k2 is None or k1 != k2:
        raise ValueError(f"{op}: the core dimensions of shapes {s1} and {s2} do not match "
                         f"(signature {spec})")
    if op in ("vecdot", "vecmat"):  # NumPy conjugates the vector operand (a no-op when real)
        x1 = conj(x1)
    return L.einsum(spec, x1, x2)


@_numpy_fallback(np.vecdot)
def vecdot(x1, x2, /, out=None, *, axes=_NV, axis=_NV, keepdims=False, casting="same_kind",
           order="K", dtype=None, subok=True, signature=None):
    """``numpy.vecdot``: the dot product over the last axis (or ``axis``), broadcasting the
    others; the first operand is conjugated."""
    return _gufunc("vecdot", x1, x2, out, axes, axis, keepdims, signature, dtype,
                   "...i,...i->...", 1)


@_numpy_fallback(np.matvec)
def matvec(x1, x2, /, out=None, *, axes=_NV, axis=_NV, keepdims=False, casting="same_kind",
           order="K", dtype=None, subok=True, signature=None):
    """``numpy.matvec``: matrices (..., m, n) times vectors (..., n), broadcasting."""
    if _d(x1).ndim < 2:
        raise ValueError(f"matvec: the first operand must be a stack of matrices, got shape "
                         f"{_d(x1).shape}")
    return _gufunc("matvec", x1, x2, out, axes, axis, keepdims, signature, dtype,
                   "...ij,...j->...i", 2)


@_numpy_fallback(np.vecmat)
def vecmat(x1, x2, /, out=None, *, axes=_NV, axis=_NV, keepdims=False, casting="same_kind",
           order="K", dtype=None, subok=True, signature=None):
    """``numpy.vecmat``: vectors (..., m) times matrices (..., m, n), broadcasting."""
    if _d(x2).ndim < 2:
        raise ValueError(f"vecmat: the second operand must be a stack of matrices, got shape "
                         f"{_d(x2).shape}")
    return _gufunc("vecmat", x1, x2, out, axes, axis, keepdims, signature, dtype,
                   "...i,...ij->...j", 2)


@_numpy_fallback(np.tensordot)
def tensordot(a, b, axes=2):
    """``numpy.tensordot``."""
    a, b = _arr(a), _arr(b)
    sa, sb = _d(a).shape, _d(b).shape
    if isinstance(axes, (int, np.integer)):
        axa, axb = list(range(len(sa) - axes, len(sa))), list(range(int(axes)))
    else:
        axa, axb = axes
        axa = [axa] if isinstance(axa, (int, np.integer)) else list(axa)
        axb = [axb] if isinstance(axb, (int, np.integer)) else list(axb)
    if len(axa) != len(axb) or builtins.any(
            sa[i] != sb[j] for i, j in zip(axa, axb)):
        raise ValueError(f"tensordot: shape-mismatch for sum: axes {axa} of shape {sa} and "
                         f"axes {axb} of shape {sb} must have equal lengths")
    return C.tensordot(a, b, (axa, axb))


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _sublist(sub):
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
        else:
            s = operator.index(s)
            if not 0 <= s < 52:
                raise ValueError(f"einsum: subscript {s} is not within the valid range [0, 52)")
            out.append(_LETTERS[s])
    return "".join(out)


@_numpy_fallback(np.einsum)
def einsum(*operands, out=None, optimize=False, **kwargs):
    """``numpy.einsum``: the string form (implicit output and ellipses included) and the
    sublist form; ``optimize`` is accepted (the contraction order is chosen internally). As in
    NumPy, a list after the subscripts is one array-like operand (tensors in it are stacked
    differentiably); ``chainrule.einsum`` reads it as the list of operands (torch.einsum)."""
    _no_out(out, "einsum")
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("casting", None)
    kwargs.pop("order", None)
    if kwargs:
        raise TypeError(f"einsum: unexpected keyword arguments {sorted(kwargs)}")
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:  # sublist form: op, sublist, op, sublist, ..., [output sublist]
        items = list(operands)
        ops, subs = items[0::2], items[1::2]
        if len(ops) > len(subs):
            subscripts = ",".join(_sublist(s) for s in subs) + "->" + _sublist(ops.pop())
        else:
            subscripts = ",".join(_sublist(s) for s in subs)
    ops = [_arr(o) for o in ops]
    if dtype is not None:
        ops = [E.astype(o, dtype) for o in ops]
    return L.einsum(subscripts, *ops)


@_numpy_fallback(np.kron)
def kron(a, b):
    """``numpy.kron``: the Kronecker product."""
    a, b = _arr(a), _arr(b)
    sa, sb = _d(a).shape, _d(b).shape
    nd = builtins.max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    ai = S.reshape(a, tuple(v for n in sa for v in (n, 1)))
    bi = S.reshape(b, tuple(v for n in sb for v in (1, n)))
    return S.reshape(ai * bi, tuple(x * y for x, y in zip(sa, sb)))


@_numpy_fallback(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """``numpy.cross`` of 3-vectors (and of 2-vectors, deprecated in NumPy 2)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _arr(a), _arr(b)
    a = moveaxis(a, _norm1(axisa, _d(a).ndim, "cross"), -1)
    b = moveaxis(b, _norm1(axisb, _d(b).ndim, "cross"), -1)
    na, nb = _d(a).shape[-1], _d(b).shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: incompatible dimensions for cross product (dimension must be "
                         f"2 or 3), got {na} and {nb}")
    if na == 2 or nb == 2:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=3)
    ca = [S.getitem(a, (Ellipsis, i)) for i in range(na)]
    cb = [S.getitem(b, (Ellipsis, i)) for i in range(nb)]
    z = ca[0] * cb[1] - ca[1] * cb[0]
    if na == 2 and nb == 2:
        return z
    if na == 2:
        x, y = ca[1] * cb[2], -(ca[0] * cb[2])
    elif nb == 2:
        x, y = -(ca[2] * cb[1]), ca[2] * cb[0]
    else:
        x, y = ca[1] * cb[2] - ca[2] * cb[1], ca[2] * cb[0] - ca[0] * cb[2]
    shape = np.broadcast_shapes(_d(x).shape, _d(y).shape, _d(z).shape)
    cp = C.stack([S.broadcast_to(c, shape) for c in (x, y, z)], axis=-1)
    return moveaxis(cp, -1, _norm1(axisc, len(shape) + 1, "cross"))


# --- interpolation -------------------------------------------------------------------------------
@_numpy_fallback(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """``numpy.interp``: piecewise-linear interpolation, differentiable in ``x``, ``fp``,
    ``xp``, ``left`` and ``right``. At a knot the slope of the interval to its right is used
    (at the last knot, the interval to its left); outside ``[xp[0], xp[-1]]`` the derivative in
    ``x`` is 0."""
    x, xp, fp = _arr(x), _arr(xp), _arr(fp)
    xpd, fpd = _d(xp), _d(fp)
    if xpd.ndim != 1 or fpd.ndim != 1:
        raise ValueError(f"interp: xp and fp must be 1-D, got shapes {xpd.shape} and "
                         f"{fpd.shape}")
    if xpd.shape != fpd.shape:
        raise ValueError(f"interp: fp and xp are not of the same length ({fpd.shape[0]} and "
                         f"{xpd.shape[0]})")
    if xpd.size == 0:
        raise ValueError("interp: array of sample points is empty")
    # NumPy interpolates in float64 (complex128 for complex fp), whatever the input dtypes.
    x, xp = (E.astype(v, np.float64) for v in (x, xp))
    fp = E.astype(fp, np.complex128 if fpd.dtype.kind == "c" else np.float64)
    if period is not None:
        period = builtins.abs(float(_d(period)))
        if period == 0:
            raise ValueError("interp: period must be a non-zero value")
        left = right = None
        x = E.remainder(x, period)
        xp = E.remainder(xp, period)
        order = np.argsort(_d(xp), kind="stable")
        xp, fp = S.getitem(xp, order), S.getitem(fp, order)
        xp = S.concatenate([S.getitem(xp, slice(-1, None)) - period, xp,
                            S.getitem(xp, slice(0, 1)) + period], 0)
        fp = S.concatenate([S.getitem(fp, slice(-1, None)), fp, S.getitem(fp, slice(0, 1))], 0)
    xd, xpd = _d(x), _d(xp)
    n = xpd.shape[0]
    first, last = S.getitem(fp, 0), S.getitem(fp, n - 1)
    left = first if left is None else _arr(left)
    right = last if right is None else _arr(right)
    if n == 1:
        inside = first
    else:
        # The interval [xp[j], xp[j + 1]] holding x (a knot belongs to the interval on its
        # right, the last knot to the interval on its left).
        j = np.clip(np.searchsorted(xpd, xd, side="right") - 1, 0, n - 2)
        x0, x1 = S.getitem(xp, j), S.getitem(xp, j + 1)
        f0, f1 = S.getitem(fp, j), S.getitem(fp, j + 1)
        slope = (f1 - f0) / (x1 - x0)
        # At the last knot anchor at the right end: exactly fp[-1] (as NumPy), same slope.
        at_end = xd == xpd[-1]
        inside = E.where(at_end, slope * (x - x1) + f1, slope * (x - x0) + f0)
    r = E.where(xd < xpd[0], left, E.where(xd > xpd[-1], right, inside))
    return S.reshape(r, xd.shape) if _d(r).shape != xd.shape else r


def _public():
    return sorted(name for name, v in globals().items()
                  if callable(v) and not name.startswith("_")
                  and getattr(v, "__module__", None) == __name__)


__all__: list[str] = _public()
del _public
