"""More of NumPy's API, written from the namespace's differentiable functions.

Conversions (``ascontiguousarray``), NumPy 2's array-API names (``matrix_transpose``,
``cumulative_sum``, ``vecdot``, ``unstack``, ``unique_values``), polynomials on coefficient
arrays (``polyval``, ``polymul``, ...), statistics (``cov``, ``corrcoef``, ``bincount`` with
weights), finite differences (``gradient``) and the in-place writers (``copyto``, ``put``,
``place``, ``putmask``, ``fill_diagonal``, ``put_along_axis``). No new derivative rules: each is
composed from existing operations, so its gradient is theirs.

In-place writers follow ``ufunc.at``: on a tensor the new value is computed as a recorded
function of the old one and written with ``copy_``; on an ndarray the values are written, and
a value that requires grad is an error (its gradient would be lost).

Each function calls NumPy itself when no argument is a tensor.
"""

from __future__ import annotations

import numpy as np

from ..primitives import shape as S
from ..primitives import special as _special
from ..primitives._core import apply, tensor_types
from ..primitives.elementwise import where
from ._fallback import numpy_unless_tensor
from ._passthrough import requires_grad, unwrap

_NOVALUE = np._NoValue


def _ns():
    from .. import numpy as cnp  # the assembled namespace (other layers' versions included)

    return cnp


def _is_t(x) -> bool:
    return type(x) in tensor_types


def _shape(x):
    return x.shape if _is_t(x) else np.shape(x)


def _asarray(a):
    return a if _is_t(a) else _ns().asarray(a)


# --- conversions ----------------------------------------------------------------------------------
@numpy_unless_tensor(np.ascontiguousarray)
def ascontiguousarray(a, dtype=None):
    """A tensor is always contiguous in the sense that matters here: ``asarray``."""
    return _ns().asarray(a, dtype=dtype)


@numpy_unless_tensor(np.asfortranarray)
def asfortranarray(a, dtype=None):
    """``asarray`` (memory order is not observable on a tensor)."""
    return _ns().asarray(a, dtype=dtype)


@numpy_unless_tensor(np.asarray_chkfinite)
def asarray_chkfinite(a, dtype=None, order=None):
    """``asarray``, raising ValueError if the values hold inf or nan (as NumPy)."""
    r = _ns().asarray(a, dtype=dtype)
    if not np.all(np.isfinite(unwrap(r))):
        raise ValueError("array must not contain infs or NaNs")
    return r


@numpy_unless_tensor(np.require)
def require(a, dtype=None, requirements=None):
    """``asarray`` (the memory requirements are met by every tensor)."""
    return _ns().asarray(a, dtype=dtype)


@numpy_unless_tensor(np.real_if_close)
def real_if_close(a, tol=100):
    """The real part when every imaginary part is below ``tol`` (in machine epsilons when
    ``tol > 1``, as NumPy)."""
    d = unwrap(a)
    if not np.iscomplexobj(d):
        return a
    bound = tol * np.finfo(d.real.dtype).eps if tol > 1 else tol
    return _ns().real(a) if np.all(np.abs(d.imag) < bound) else a


# --- array API names ------------------------------------------------------------------------------
@numpy_unless_tensor(np.matrix_transpose)
def matrix_transpose(x):
    """Swap the last two axes."""
    if len(_shape(x)) < 2:
        raise ValueError(f"matrix_transpose: the input must have at least 2 dimensions, got "
                         f"shape {_shape(x)}")
    return _ns().swapaxes(x, -1, -2)


def _cumulative(name, op, identity, x, axis, dtype, include_initial):
    cnp = _ns()
    nd = len(_shape(x))
    if axis is None:
        if nd > 1:
            raise ValueError(f"{name}: axis must be given for arrays with more than one "
                             f"dimension")
        axis = 0
    if dtype is not None:
        x = cnp.astype(x, dtype)
    r = op(x, axis=axis)
    if include_initial:
        shape = list(_shape(x))
        shape[axis] = 1
        start = np.full(shape, identity, dtype=unwrap(r).dtype)
        r = cnp.concatenate([start, r], axis=axis)
    return r


@numpy_unless_tensor(np.cumulative_sum)
def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """NumPy 2's ``cumulative_sum`` (``include_initial`` puts the 0 in front)."""
    _no_out(out, "cumulative_sum")
    return _cumulative("cumulative_sum", _ns().cumsum, 0, x, axis, dtype, include_initial)


@numpy_unless_tensor(np.cumulative_prod)
def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """NumPy 2's ``cumulative_prod`` (``include_initial`` puts the 1 in front)."""
    _no_out(out, "cumulative_prod")
    return _cumulative("cumulative_prod", _ns().cumprod, 1, x, axis, dtype, include_initial)


def _no_out(out, name):
    if out is not None:
        raise TypeError(f"{name}: out= is not supported on tensors; use the returned value")


def _conj_if_complex(x):
    return _ns().conj(x) if np.iscomplexobj(unwrap(x)) else x


@numpy_unless_tensor(np.vecdot)
def vecdot(x1, x2, /, *, axis=-1):
    """``sum(conj(x1) * x2, axis)``: the vector dot product over ``axis`` (broadcasting)."""
    return _ns().sum(_conj_if_complex(x1) * x2, axis=axis)


@numpy_unless_tensor(np.matvec)
def matvec(x1, x2, /):
    """Matrix (..., m, n) times vector (..., n), broadcasting over the leading axes."""
    return _ns().einsum("...ij,...j->...i", x1, x2)


@numpy_unless_tensor(np.vecmat)
def vecmat(x1, x2, /):
    """Conjugated vector (..., n) times matrix (..., n, m)."""
    return _ns().einsum("...j,...jk->...k", _conj_if_complex(x1), x2)


@numpy_unless_tensor(np.divmod)
def divmod_(x1, x2):
    """``(floor_divide(x1, x2), remainder(x1, x2))``."""
    cnp = _ns()
    return cnp.floor_divide(x1, x2), cnp.remainder(x1, x2)


@numpy_unless_tensor(np.unstack)
def unstack(x, /, *, axis=0):
    """The slices along ``axis``, as a tuple."""
    nd = len(_shape(x))
    axis = S.normalize_dim(axis, nd, "unstack")
    lead = (slice(None),) * axis
    return tuple(S.getitem(x, lead + (i,)) for i in range(_shape(x)[axis]))


# --- selection by value ---------------------------------------------------------------------------
@numpy_unless_tensor(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """NumPy's ``partition``: the values are taken along ``argpartition``'s order, so each
    output position differentiates the input it came from."""
    cnp = _ns()
    if axis is None:
        a, axis = cnp.reshape(a, (-1,)), -1
    idx = np.argpartition(unwrap(a), kth, axis=axis)
    return S.take_along_axis(a, idx, axis)


@numpy_unless_tensor(np.sort_complex)
def sort_complex(a):
    """Sorted by real part, then imaginary part (the result is complex)."""
    d = np.asarray(unwrap(a))
    idx = np.lexsort((d.imag, d.real), axis=-1)
    r = S.take_along_axis(a, idx, -1)
    return r if np.iscomplexobj(d) else _ns().astype(r, np.result_type(d.dtype, np.complex64))


@numpy_unless_tensor(np.trim_zeros)
def trim_zeros(filt, trim="fb", axis=None):
    """Leading and/or trailing zeros removed (a slice of the input)."""
    nz = np.flatnonzero(np.asarray(unwrap(filt)))
    n = _shape(filt)[0]
    first = nz[0] if ("f" in trim.lower() and nz.size) else (n if not nz.size else 0)
    last = nz[-1] + 1 if ("b" in trim.lower() and nz.size) else (first if not nz.size else n)
    return S.getitem(filt, slice(int(first), int(max(first, last))))


@numpy_unless_tensor(np.resize)
def resize(a, new_shape):
    """The values of ``a`` (flattened) repeated to fill ``new_shape``."""
    size = int(np.prod(_shape(a), dtype=np.int64))
    idx = np.resize(np.arange(size), new_shape)
    return S.getitem(S.reshape(a, (size,)), idx)


def _unique(x, **kw):
    return _ns().unique(S.reshape(x, (-1,)) if len(_shape(x)) != 1 else x, **kw)


@numpy_unless_tensor(np.unique_values)
def unique_values(x):
    """The sorted unique values (each differentiates its first occurrence)."""
    return _unique(x)


@numpy_unless_tensor(np.unique_counts)
def unique_counts(x):
    """``(values, counts)``, a named tuple as in NumPy."""
    v, c = _unique(x, return_counts=True)
    return type(np.unique_counts(np.zeros(1)))(v, c)


@numpy_unless_tensor(np.unique_inverse)
def unique_inverse(x):
    """``(values, inverse_indices)``; the indices have ``x``'s shape."""
    v, inv = _unique(x, return_inverse=True)
    return type(np.unique_inverse(np.zeros(1)))(v, np.reshape(inv, _shape(x)))


@numpy_unless_tensor(np.unique_all)
def unique_all(x):
    """``(values, indices, inverse_indices, counts)``."""
    v, idx, inv, c = _unique(x, return_index=True, return_inverse=True, return_counts=True)
    return type(np.unique_all(np.zeros(1)))(v, idx, np.reshape(inv, _shape(x)), c)


@numpy_unless_tensor(np.setdiff1d)
def setdiff1d(ar1, ar2, assume_unique=False):
    """The unique values of ``ar1`` that are not in ``ar2`` (differentiable in ``ar1``)."""
    flat = S.reshape(ar1, (-1,))
    d = np.asarray(unwrap(flat))
    if assume_unique:
        keep = np.flatnonzero(~np.isin(d, unwrap(ar2)))
        return S.getitem(flat, keep)
    vals, first = np.unique(d, return_index=True)
    return S.getitem(flat, first[~np.isin(vals, unwrap(ar2))])


# --- polynomials on coefficient arrays (highest power first) --------------------------------------
@numpy_unless_tensor(np.polyval)
def polyval(p, x):
    """Horner's scheme: differentiable in the coefficients and in ``x``."""
    if not hasattr(x, "shape"):
        x = np.asarray(x)  # NumPy takes x as an array: a Python float is float64, not weak
    n = _shape(p)[0]
    y = x * 0.0
    for i in range(n):
        y = y * x + S.getitem(p, i)
    return y


def _align(a, b):
    cnp = _ns()
    na, nb = _shape(a)[0], _shape(b)[0]
    if na < nb:
        a = cnp.concatenate([np.zeros(nb - na, dtype=unwrap(a).dtype), a])
    elif nb < na:
        b = cnp.concatenate([np.zeros(na - nb, dtype=unwrap(b).dtype), b])
    return a, b


@numpy_unless_tensor(np.polyadd)
def polyadd(a1, a2):
    """The sum of two polynomials."""
    a, b = _align(_asarray(a1), _asarray(a2))
    return a + b


@numpy_unless_tensor(np.polysub)
def polysub(a1, a2):
    """The difference of two polynomials."""
    a, b = _align(_asarray(a1), _asarray(a2))
    return a - b


@numpy_unless_tensor(np.polymul)
def polymul(a1, a2):
    """The product of two polynomials (a convolution of the coefficients)."""
    return _ns().convolve(a1, a2)


@numpy_unless_tensor(np.polyder)
def polyder(p, m=1):
    """The ``m``-th derivative."""
    for _ in range(m):
        n = _shape(p)[0]
        if n <= 1:
            return p * 0.0 if n else p
        p = S.getitem(p, slice(0, n - 1)) * np.arange(n - 1, 0, -1)
    return p


@numpy_unless_tensor(np.polyint)
def polyint(p, m=1, k=None):
    """The ``m``-th antiderivative, with integration constants ``k`` (default 0)."""
    cnp = _ns()
    ks = np.zeros(m) if k is None else k
    for i in range(m):
        n = _shape(p)[0]
        c = S.getitem(ks, i) if _is_t(ks) else np.atleast_1d(ks)[i if np.ndim(ks) else 0]
        p = cnp.concatenate([p / np.arange(n, 0, -1), cnp.reshape(c * 1.0, (1,))])
    return p


@numpy_unless_tensor(np.vander)
def vander(x, N=None, increasing=False):  # noqa: N803 - NumPy's argument name
    """The Vandermonde matrix: columns are powers of ``x``."""
    n = _shape(x)[0] if N is None else N
    powers = range(n) if increasing else range(n - 1, -1, -1)
    x = _ns().astype(x, np.promote_types(unwrap(x).dtype, int))  # NumPy's result dtype
    cols = [x ** p for p in powers]  # x ** 0 is 1, with derivative 0
    return _ns().stack(cols, axis=1) if cols else np.zeros((_shape(x)[0], 0))


# --- statistics and finite differences ------------------------------------------------------------
@numpy_unless_tensor(np.bincount)
def bincount(x, /, weights=None, minlength=0):
    """Counts of each value of ``x``; with ``weights``, sums of the weights (differentiable in
    the weights)."""
    idx = np.asarray(unwrap(x))
    if weights is None:
        return np.bincount(idx, minlength=minlength)
    n = int(max(idx.max() + 1 if idx.size else 0, minlength))
    w = S.reshape(weights, (-1,)) if _is_t(weights) else np.ravel(weights)
    return apply(S.INDEX_ADD, (_ns().astype(w, np.float64),), ((idx.ravel(),), (n,), False, 1))


@numpy_unless_tensor(np.cov)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """The covariance matrix of the rows (variables) of ``m``; without frequency or analytic
    weights."""
    cnp = _ns()
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov: fweights and aweights are not supported on tensors")
    if dtype is None:  # NumPy computes in at least float64
        dtype = np.result_type(unwrap(m), np.float64) if y is None else \
            np.result_type(unwrap(m), unwrap(y), np.float64)
    x = cnp.atleast_2d(cnp.astype(m, dtype))
    if not rowvar and _shape(x)[0] != 1:
        x = cnp.transpose(x)
    if y is not None:
        yy = cnp.atleast_2d(y)
        if not rowvar and _shape(yy)[0] != 1:
            yy = cnp.transpose(yy)
        x = cnp.concatenate([x, yy], axis=0)
    n = _shape(x)[1]
    ddof = (0 if bias else 1) if ddof is None else ddof
    xc = x - cnp.mean(x, axis=1, keepdims=True)
    c = cnp.dot(xc, cnp.transpose(_conj_if_complex(xc))) / max(n - ddof, 0)
    return cnp.squeeze(c)


@numpy_unless_tensor(np.corrcoef)
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """Pearson correlation coefficients, clipped to [-1, 1] as NumPy does."""
    cnp = _ns()
    c = cov(x, y, rowvar, dtype=dtype)
    if len(_shape(c)) == 0:
        return c / c
    d = cnp.sqrt(cnp.real(cnp.diagonal(c)) if np.iscomplexobj(unwrap(c)) else cnp.diagonal(c))
    c = c / d[:, None] / d[None, :]
    return cnp.clip(c, -1.0, 1.0) if not np.iscomplexobj(unwrap(c)) else c


@numpy_unless_tensor(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """NumPy's ``gradient`` with uniform (scalar) spacings: central differences inside,
    one-sided ones of order ``edge_order`` at the ends."""
    nd = len(_shape(f))
    axes = tuple(range(nd)) if axis is None else (
        (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis))
    axes = tuple(S.normalize_dim(a, nd, "gradient") for a in axes)
    hs = list(varargs) if varargs else [1.0] * len(axes)
    if len(hs) == 1:
        hs = hs * len(axes)
    if len(hs) != len(axes) or any(np.ndim(unwrap(h)) for h in hs):
        raise NotImplementedError("gradient: only scalar spacings are supported on tensors")
    out = [_gradient_1(f, a, float(unwrap(h)), edge_order) for a, h in zip(axes, hs)]
    return out[0] if len(out) == 1 else tuple(out)


def _gradient_1(f, axis, h, edge_order):
    n = _shape(f)[axis]
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
    return _ns().concatenate([first, inner, last], axis=axis)


@numpy_unless_tensor(np.unwrap)
def unwrap_phase(p, discont=None, axis=-1, *, period=2 * np.pi):
    """NumPy's ``unwrap``: ``p`` plus the constant multiples of ``period`` that remove the
    jumps (a constant shift: the gradient passes unchanged)."""
    d = np.asarray(unwrap(p))
    return p + (np.unwrap(d, discont, axis, period=period) - d)


# --- in-place writers -----------------------------------------------------------------------------
def _write(name, dst, positions, values):
    """Write ``values`` at flat ``positions`` of ``dst`` (the last write to a position wins)."""
    if not _is_t(dst):
        if requires_grad(values):
            raise TypeError(f"{name}: the values require grad but the target is a NumPy "
                            f"array, which would lose the gradient; use a chainrule tensor")
        flat = np.asarray(dst).reshape(-1)  # a view: dst is written in place
        flat[positions] = np.asarray(unwrap(values)).reshape(-1)
        return
    n = int(np.prod(dst.shape, dtype=np.int64))
    p = np.asarray(positions).reshape(-1)
    keep = np.sort(p.size - 1 - np.unique(p[::-1], return_index=True)[1])  # last occurrences
    vals = values if _is_t(values) else np.asarray(values)
    vals = S.reshape(vals, (-1,)) if _is_t(vals) else vals.reshape(-1)
    vals = S.getitem(vals, keep) if _is_t(vals) else vals[keep]
    scattered = apply(S.INDEX_ADD, (vals,), ((p[keep],), (n,), False, 1))
    mask = np.zeros(n, dtype=bool)
    mask[p[keep]] = True
    dst.copy_(S.reshape(where(mask, scattered, S.reshape(dst, (n,))), dst.shape))


def _cycled(values, count):
    """``values`` flattened and repeated to ``count`` entries (NumPy's put/place rule)."""
    size = int(np.prod(_shape(values), dtype=np.int64))
    idx = np.resize(np.arange(size), count)
    if _is_t(values):
        return S.getitem(S.reshape(values, (size,)), idx)
    return np.ravel(values)[idx]


def _flat_positions(shape):
    return np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)


def put(a, ind, v, mode="raise"):
    """``a.flat[ind] = v`` (values cycled), in place."""
    pos = np.ravel(_flat_positions(_shape(a)).reshape(-1).take(
        np.asarray(unwrap(ind)), mode=mode))
    _write("put", a, pos, _cycled(v, pos.size))


def put_along_axis(arr, indices, values, axis):
    """``numpy.put_along_axis``, in place."""
    pos = np.take_along_axis(_flat_positions(_shape(arr)), np.asarray(unwrap(indices)), axis)
    vals = _ns().broadcast_to(values, pos.shape) if _is_t(values) else \
        np.broadcast_to(values, pos.shape)
    _write("put_along_axis", arr, pos.reshape(-1), vals)


def place(arr, mask, vals):
    """Where ``mask`` holds, the next values of ``vals`` (cycled), in place."""
    pos = _flat_positions(_shape(arr))[np.asarray(unwrap(mask), dtype=bool)]
    if pos.size:
        _write("place", arr, pos, _cycled(vals, pos.size))


def putmask(a, mask, values):
    """Where ``mask`` holds, ``values`` at the same flat position (cycled), in place."""
    m = np.broadcast_to(np.asarray(unwrap(mask), dtype=bool), _shape(a))
    pos = _flat_positions(_shape(a))[m]
    vals = _cycled(values, int(np.prod(_shape(a), dtype=np.int64)))
    vals = S.getitem(vals, pos) if _is_t(vals) else vals[pos]
    _write("putmask", a, pos, vals)


def copyto(dst, src, casting="same_kind", where=True):  # noqa: A002 - NumPy's keyword
    """``src`` (broadcast) into ``dst`` where ``where`` holds, in place."""
    m = np.broadcast_to(np.asarray(unwrap(where), dtype=bool), _shape(dst))
    pos = _flat_positions(_shape(dst))[m]
    vals = S.broadcast_to(src, _shape(dst)) if _is_t(src) else np.broadcast_to(src, _shape(dst))
    vals = S.getitem(vals, m) if _is_t(vals) else vals[m]
    _write("copyto", dst, pos, vals)


def fill_diagonal(a, val, wrap=False):
    """``val`` (cycled) on the main diagonal, in place."""
    shape = _shape(a)
    flat = _flat_positions(shape)
    if len(shape) == 2:
        rows = shape[0] if wrap else min(shape)
        step = shape[1] + 1
        pos = np.arange(0, rows * shape[1], step)
        pos = pos[pos < flat.size]
    else:
        if len(set(shape)) != 1:
            raise ValueError("All dimensions of input must be of equal length")
        pos = flat[(np.arange(shape[0]),) * len(shape)]
    _write("fill_diagonal", a, pos, _cycled(val, pos.size))


def _writer(np_func, f):
    """In-place writers: NumPy itself when nothing involved is a tensor."""

    def run(*args, **kwargs):
        if any(_is_t(a) for a in args) or any(_is_t(v) for v in kwargs.values()):
            return f(*args, **kwargs)
        return np_func(*args, **kwargs)

    run.__name__ = run.__qualname__ = f.__name__
    run.__doc__ = f.__doc__
    return run


FUNCTIONS = {
    "ascontiguousarray": ascontiguousarray, "asfortranarray": asfortranarray,
    "asarray_chkfinite": asarray_chkfinite, "require": require, "real_if_close": real_if_close,
    "matrix_transpose": matrix_transpose, "cumulative_sum": cumulative_sum,
    "cumulative_prod": cumulative_prod, "vecdot": vecdot, "matvec": matvec, "vecmat": vecmat,
    "divmod": divmod_, "unstack": unstack, "partition": partition, "sort_complex": sort_complex,
    "trim_zeros": trim_zeros, "resize": resize, "unique_values": unique_values,
    "unique_counts": unique_counts, "unique_inverse": unique_inverse, "unique_all": unique_all,
    "setdiff1d": setdiff1d, "polyval": polyval, "polyadd": polyadd, "polysub": polysub,
    "polymul": polymul, "polyder": polyder, "polyint": polyint, "vander": vander,
    "bincount": bincount, "cov": cov, "corrcoef": corrcoef, "gradient": gradient,
    "unwrap": unwrap_phase,
    "put": _writer(np.put, put), "put_along_axis": _writer(np.put_along_axis, put_along_axis),
    "place": _writer(np.place, place), "putmask": _writer(np.putmask, putmask),
    "copyto": _writer(np.copyto, copyto), "fill_diagonal": _writer(np.fill_diagonal,
                                                                    fill_diagonal),
}
if hasattr(_special, "i0"):  # the special-function family provides the primitive
    FUNCTIONS["i0"] = numpy_unless_tensor(np.i0)(_special.i0)
