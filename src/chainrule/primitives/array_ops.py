"""Array operations that need a rule of their own: the cumulative product; and the index
computations of sorting and selection (``argsort``, ``argpartition``, ``argmax``, ``argmin``,
the median's and the mode's index along an axis), non-differentiable primitives so that a
compiled trace records them rather than reading the values (see the end of the module).

``cumprod`` is a primitive rather than ``exp(cumsum(log(x)))`` or a loop of products because
both of those are wrong or slow with zeros in the input: the derivative of the running product
with respect to a zero entry is the product of the *other* entries, which no division by ``x``
can give. Without zeros the rules are the usual O(n) formulas; with zeros they split each slice
at its first zero (see the rules), still O(n) per zero in a slice and exact to every order.

The axis parameter is stored negative, so the same rules serve batched tangents and cotangents.
"""

from __future__ import annotations

import numpy as np

from ._conj import CAST
from ._core import ANS, STACKED, Primitive, apply, data_of, is_concrete, nondifferentiable, register
from .complex import conj
from .elementwise import where
from .reduction import cumsum, sum
from .shape import flip, normalize_dim, permute, reshape


def _rev_cumsum(v, axis):
    return flip(cumsum(flip(v, axis), axis), axis)


def _zero_masks(x, axis):
    """Per slice along ``axis``: the positions before its first zero, and the first zero."""
    zero = data_of(x) == 0
    seen = np.cumsum(zero, axis=axis)
    return seen == 0, zero & (seen == 1)


# With zeros, split each slice at its first zero z (value x_z = 0):
#   i < z: the usual formula, exact there (no zero among x_0..x_i);
#   i = z: the products of the others are the cumprod of x with x_z set to 1 (xp);
#   i > z: every such product holds the factor x_z, so the term is x_z times the same rule at
#          xp, which has one zero fewer (a recursion as deep as the zeros in one slice).
# Written this way the rules stay exact as functions of x, so they differentiate again, and
# they cost O(n) per zero instead of forming n products of n - 1 factors.
def _cumprod_vjp(g, x, ans, axis):
    if data_of(x).dtype.kind == "c":
        # cumprod is holomorphic: its reverse rule is J^H g = conj(J^T conj(g))
        # (docs/semantics.md, "Complex numbers")
        return conj(_cumprod_vjp_t(conj(g), x, ans, axis))
    return _cumprod_vjp_t(g, x, ans, axis)


def _axis_last(v, axis):
    """``v`` with ``axis`` (negative) moved to the end."""
    nd = v.ndim
    a = axis % nd
    return permute(v, *(tuple(i for i in range(nd) if i != a) + (a,)))


def _axis_back(v, axis):
    """The inverse of ``_axis_last``."""
    nd = v.ndim
    a = axis % nd
    perm = tuple(i for i in range(nd) if i != a) + (a,)
    return permute(v, *tuple(int(i) for i in np.argsort(perm)))


def _cumprod_of_others(x, axis):
    """``C[..., i, k]`` = the product of ``x_j`` for ``j <= k``, ``j != i``, along ``axis``
    (moved to the end), zero where ``k < i``: the Jacobian of cumprod, right whatever the zeros.
    O(n^2) per slice: the rules use it only where values are not known (a compiled trace)."""
    xl = _axis_last(x, axis)
    n = xl.shape[-1]
    rows = where(np.eye(n, dtype=bool), 1, reshape(xl, xl.shape[:-1] + (1, n)))
    return cumprod(rows, -1) * np.triu(np.ones((n, n), dtype=bool))


def _cumprod_vjp_t(g, x, ans, axis):
    """J^T g (no conjugation)."""
    if not is_concrete(x):  # a trace: the formula right for every input
        gl = _axis_last(g, axis)
        return _axis_back(sum(reshape(gl, gl.shape[:-1] + (1, gl.shape[-1]))
                              * _cumprod_of_others(x, axis), -1), axis)
    if not np.any(data_of(x) == 0):  # d ans[k] / d x[i] = ans[k] / x[i] for i <= k
        return _rev_cumsum(g * ans, axis) / x
    before, first = _zero_masks(x, axis)
    xp = where(first, 1, x)
    yp = cumprod(xp, axis)
    x_z = sum(where(first, x, 0), axis, True)
    return where(before, _rev_cumsum(g * ans, axis) / where(before, x, 1),
                 where(first, _rev_cumsum(g * yp, axis), x_z * _cumprod_vjp_t(g, xp, yp, axis)))


def _cumprod_jvp(t, x, ans, axis):
    if not is_concrete(x):  # a trace: the formula right for every input
        tl = _axis_last(t, axis)
        return _axis_back(sum(reshape(tl, tl.shape + (1,)) * _cumprod_of_others(x, axis), -2),
                          axis)
    if not np.any(data_of(x) == 0):
        return ans * cumsum(t / x, axis)
    before, first = _zero_masks(x, axis)
    xp = where(first, 1, x)
    yp = cumprod(xp, axis)
    x_z = sum(where(first, x, 0), axis, True)
    t_z = sum(where(first, t, 0), axis, True)
    head = ans * cumsum(where(before, t, 0) / where(before, x, 1), axis)
    tail = t_z * yp + x_z * _cumprod_jvp(where(first, 0, t), xp, yp, axis)
    return where(before, head, tail)


CUMPROD = Primitive("cumprod", lambda x, axis: np.cumprod(x, axis=axis), save=(0, ANS),
                    vjp=_cumprod_vjp, jvp=_cumprod_jvp, batch=STACKED)

register(CUMPROD)


def cumprod(x, axis):
    """Cumulative product along ``axis``; the gradient is exact with zeros in the input."""
    nd = data_of(x).ndim if hasattr(data_of(x), "ndim") else np.ndim(x)
    if nd == 0:
        return reshape(apply(CUMPROD, (reshape(x, (1,)),), (-1,)), ())
    return apply(CUMPROD, (x,), (normalize_dim(axis, nd, "cumprod") - nd,))


# --- index computations -------------------------------------------------------------------------
# Indices computed from values carry no derivative; as primitives (rather than NumPy on a
# tensor's data) they are recorded by chainrule.compile's trace, and the indices they give are
# program values that take_along_axis and getitem take as parameters. The kernels' defaults let
# them run without parameters.
def _own(r):
    """``r`` as an array that owns its memory: the trace recognises an index parameter by its
    array, and a view of a temporary (NumPy's keepdims, expand_dims) would not be found."""
    r = np.asarray(r)
    return r if r.base is None else r.copy()


def _argsort_impl(x, axis=-1, kind=None, descending=False):
    """``numpy.argsort``; ``descending`` keeps tied values in their original order."""
    if not descending:
        return _own(np.argsort(x, axis=axis, kind=kind))
    # sort the reversed array ascending (stably), reverse that, and map the positions back
    n = x.shape[axis]
    r = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return n - 1 - np.flip(r, axis)


def _argpartition_impl(x, kth=0, axis=-1, kind="introselect"):
    return _own(np.argpartition(x, kth, axis=axis, kind=kind))


def _argmax_impl(x, axis=None, keepdims=False):
    return _own(np.argmax(x, axis=axis, keepdims=keepdims))


def _argmin_impl(x, axis=None, keepdims=False):
    return _own(np.argmin(x, axis=axis, keepdims=keepdims))


def _topk_impl(x, k=1, axis=-1, largest=True, last_only=False):
    """Indices (int64) of the ``k`` largest (smallest) entries along ``axis``, in order (ties
    in their original order); with ``last_only``, the ``k``-th alone (``axis`` kept)."""
    n = x.shape[axis]
    if last_only:
        order = _argsort_impl(x, axis, "stable", largest)
        return _own(np.take(order, [k - 1], axis=axis).astype(np.int64, copy=False))
    if 0 < k < n:  # partition first (linear), then sort only the k chosen
        part = np.argpartition(x, n - k if largest else k - 1, axis=axis)
        sel = np.take(part, np.arange(n - k, n) if largest else np.arange(k), axis=axis)
        order = _argsort_impl(np.take_along_axis(x, sel, axis), axis, "stable", largest)
        idx = np.take_along_axis(sel, order, axis)
    else:
        idx = np.take(_argsort_impl(x, axis, "stable", largest), np.arange(k), axis=axis)
    return _own(idx.astype(np.int64, copy=False))


def _median_index_impl(x, axis=-1, nan_aware=False):
    """Indices (``axis`` kept, int64) of PyTorch's median along ``axis``: the lower of the two
    middle elements of a stable sort; a NaN in the slice wins (its first one), or, with
    ``nan_aware`` (nanmedian), NaNs are skipped."""
    order = np.argsort(x, axis=axis, kind="stable")  # NaNs sort last
    n = x.shape[axis]
    if x.dtype.kind in "fc":
        nans = np.isnan(x).sum(axis=axis, keepdims=True)
    else:
        nans = np.zeros(order.shape[:axis % x.ndim] + (1,) + order.shape[axis % x.ndim + 1:],
                        np.int64)
    if nan_aware:
        valid = n - nans
        pos = np.where(valid > 0, (valid - 1) // 2, 0)
    else:
        pos = np.where(nans > 0, n - nans, (n - 1) // 2)
    return np.take_along_axis(order, pos.astype(np.intp), axis=axis).astype(np.int64)


def _mode_index_impl(x, axis=-1):
    """Index (``axis`` kept, int64) of the most frequent value along ``axis``: the smallest
    value among equally frequent ones, at its last occurrence (PyTorch on CPU)."""
    moved = np.moveaxis(x, axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    out = np.empty(flat.shape[0], np.int64)
    for r, row in enumerate(flat):
        vals, counts = np.unique(row, return_counts=True)
        best = vals[np.argmax(counts)]  # unique sorts: the first maximum is the smallest value
        out[r] = np.nonzero(row == best)[0][-1]
    return _own(np.expand_dims(out.reshape(moved.shape[:-1]), axis))


ARGSORT = nondifferentiable("argsort", _argsort_impl)
ARGPARTITION = nondifferentiable("argpartition", _argpartition_impl)
ARGMAX = nondifferentiable("argmax", _argmax_impl)
ARGMIN = nondifferentiable("argmin", _argmin_impl)
def _cum_extremum_index_impl(x, axis=-1, minimum=False):
    """Indices (int64) of PyTorch's running maximum (minimum) along ``axis``: a tie or a NaN
    moves the index to the later element; after a NaN, only a NaN does."""
    better = np.less if minimum else np.greater
    moved = np.moveaxis(x, axis, 0)
    idx = np.zeros(moved.shape, np.int64)
    if moved.shape[0] == 0:
        return idx.reshape(x.shape)
    best, cur = moved[0], np.zeros(moved.shape[1:], np.int64)
    for i in range(1, moved.shape[0]):
        row = moved[i]
        take = np.isnan(row) | (~np.isnan(best) & (better(row, best) | (row == best)))
        cur = np.where(take, i, cur)
        best = np.where(take, row, best)
        idx[i] = cur
    return _own(np.moveaxis(idx, 0, axis))


TOPK_INDEX = nondifferentiable("topk_index", _topk_impl)
MEDIAN_INDEX = nondifferentiable("median_index", _median_index_impl)
MODE_INDEX = nondifferentiable("mode_index", _mode_index_impl)
CUM_EXTREMUM_INDEX = nondifferentiable("cum_extremum_index", _cum_extremum_index_impl)



def _axis_batch(prim, pos, defaults):
    """vmap for a kernel over one axis (the parameter at ``pos``; ``defaults``: the kernel's
    parameters): leading axes are a stack, so a non-negative axis moves one place; ``None``
    (the flattened array) becomes the last axis of the batch flattened per example (argmax's
    ``keepdims`` then gives one axis of length 1 per example axis)."""

    def rule(vals, bat, params, B, pbat):
        x = vals[0]
        p = list(params) + list(defaults[len(params):])
        axis, shape = p[pos], np.shape(data_of(x))
        if axis is not None:
            p[pos] = axis + 1 if axis >= 0 else axis
            return apply(prim, (x,), tuple(p))
        p[pos] = -1
        out = apply(prim, (reshape(x, (B, int(np.prod(shape[1:], dtype=np.int64)))),),
                    tuple(p))
        if prim in (ARGMAX, ARGMIN) and p[1]:
            out = reshape(out, (B,) + (1,) * (len(shape) - 1))
        return out

    return rule


# (mode_index has none: its kernel loops over the rows in Python, batch or not)
for _prim, _pos, _defaults in ((ARGSORT, 0, (-1, None, False)),
                               (ARGPARTITION, 1, (0, -1, "introselect")),
                               (ARGMAX, 0, (None, False)), (ARGMIN, 0, (None, False)),
                               (TOPK_INDEX, 1, (1, -1, True, False)),
                               (MEDIAN_INDEX, 0, (-1, False)),
                               (CUM_EXTREMUM_INDEX, 0, (-1, False))):
    _prim.batch = _axis_batch(_prim, _pos, _defaults)

register(ARGSORT, ARGPARTITION, ARGMAX, ARGMIN, TOPK_INDEX, MEDIAN_INDEX, MODE_INDEX,
         CUM_EXTREMUM_INDEX)


def index_cast(x, dtype=np.intp):
    """``x`` (whole numbers, or counts) converted to an integer ``dtype`` by the cast primitive,
    so that a compiled trace records the conversion (``astype`` to an integer dtype makes a
    constant, which a trace would hold fixed)."""
    dtype = np.dtype(dtype)
    return x if data_of(x).dtype == dtype else apply(CAST, (x,), (dtype,))


def argsort_index(x, axis: int = -1, kind=None, descending: bool = False):
    """The indices that sort ``x`` along ``axis`` (an array, or a constant tensor for a
    tensor); ``descending`` keeps ties in their original order."""
    return apply(ARGSORT, (x,), (axis, kind, bool(descending)))


def argpartition_index(x, kth, axis: int = -1, kind: str = "introselect"):
    """``numpy.argpartition``'s indices (``kth`` an int or a tuple of ints)."""
    return apply(ARGPARTITION, (x,), (kth, axis, kind))


def argmax_index(x, axis=None, keepdims: bool = False):
    """``numpy.argmax``'s indices, as an array (0-d for ``axis=None``) or constant tensor."""
    return apply(ARGMAX, (x,), (axis, bool(keepdims)))


def argmin_index(x, axis=None, keepdims: bool = False):
    """``numpy.argmin``'s indices, as an array (0-d for ``axis=None``) or constant tensor."""
    return apply(ARGMIN, (x,), (axis, bool(keepdims)))


def topk_index(x, k: int, axis: int = -1, largest: bool = True, last_only: bool = False):
    """The indices (int64) of the ``k`` largest (or smallest) entries along ``axis``, sorted;
    with ``last_only`` the ``k``-th one alone (``axis`` kept: ``kthvalue``)."""
    return apply(TOPK_INDEX, (x,), (int(k), axis, bool(largest), bool(last_only)))


def median_index(x, axis: int, nan_aware: bool = False):
    """The index (``axis`` kept) of PyTorch's (lower) median, or nanmedian, along ``axis``."""
    return apply(MEDIAN_INDEX, (x,), (axis, bool(nan_aware)))


def mode_index(x, axis: int):
    """The index (``axis`` kept) of PyTorch's mode along ``axis``."""
    return apply(MODE_INDEX, (x,), (axis,))


def cum_extremum_index(x, axis: int, minimum: bool = False):
    """The indices of PyTorch's ``cummax`` (``cummin`` with ``minimum``) along ``axis``."""
    return apply(CUM_EXTREMUM_INDEX, (x,), (axis, bool(minimum)))


__all__ = ["CUMPROD", "cumprod", "ARGSORT", "ARGPARTITION", "ARGMAX", "ARGMIN", "TOPK_INDEX",
           "MEDIAN_INDEX", "MODE_INDEX", "CUM_EXTREMUM_INDEX", "index_cast", "argsort_index",
           "argpartition_index", "argmax_index", "argmin_index", "topk_index", "median_index",
           "mode_index", "cum_extremum_index"]
