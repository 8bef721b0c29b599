"""NumPy's array functions in ``chainrule.numpy``: values identical to NumPy, derivatives of
first and second order (reverse and forward), PyTorch as the oracle, NumPy's signatures, the
raw-input path returning exactly NumPy's result, and the errors for bad input.

The functions are the namespace's (``chainrule.numpy``); the families that define them are
``chainrule.numpy._reductions``, ``_shape``, ``_indexing``, ``_sorting``, ``_products``,
``_creation``, ``_polynomial`` and ``_interp``, whose ``__all__`` the namespace re-exports
unchanged."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
import torch
from tests.helpers import (
    assert_matches_torch,
    check_grads,
    distinct,
    leaf,
    positive,
    rand,
    to_numpy,
)

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.numpy import (
    _creation,
    _indexing,
    _interp,
    _polynomial,
    _products,
    _reductions,
    _shape,
    _sorting,
)

FAMILIES = (_reductions, _shape, _indexing, _sorting, _products, _creation, _polynomial, _interp)

X = rand((2, 3), 1)
X3 = rand((2, 3, 4), 2)
V = rand((5,), 3)
W = np.array([True, False, True])
EMPTY = np.zeros((0, 3))
XN = rand((3, 4), 4)
XN[0, 1] = XN[2, 3] = np.nan
XN[1, :] = [np.nan, 1.0, np.nan, -2.0]


def _t(a):
    return cr.tensor(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a


def _tensors(args):
    return tuple(_t(a) if not isinstance(a, list) else [_t(e) for e in a] for a in args)


# --- values: the tensor path gives NumPy's result ------------------------------------------------
VALUES = [
    ("sum", (X,), {}), ("sum", (X3,), {"axis": (0, -1), "keepdims": True}),
    ("sum", (X,), {"axis": 1, "initial": 2.0, "where": W}), ("sum", (EMPTY,), {"axis": 0}),
    ("mean", (EMPTY,), {"axis": 0}), ("var", (EMPTY,), {"axis": 1}),
    ("median", (EMPTY,), {"axis": 0}), ("quantile", (EMPTY,), {"q": 0.5, "axis": 1}),
    ("cumsum", (EMPTY,), {"axis": 0}), ("cumprod", (EMPTY,), {}), ("sort", (EMPTY,), {}),
    ("concatenate", ([X, EMPTY],), {}), ("max", (EMPTY,), {"axis": 1}),
    ("max", (EMPTY,), {"axis": 0, "initial": 1.0}), ("diff", (EMPTY,), {"axis": 0}),
    ("tile", (EMPTY,), {"reps": 2}), ("pad", (EMPTY,), {"pad_width": 1}),
    ("prod", (X3,), {"axis": -2}), ("prod", (X,), {"where": W, "initial": 3.0}),
    ("mean", (X3,), {"axis": (1, 2)}), ("mean", (X,), {"axis": -1, "where": W}),
    ("var", (X3,), {"axis": 1}), ("var", (X,), {"ddof": 1, "keepdims": True}),
    ("var", (X,), {"axis": 1, "where": W}), ("std", (X3,), {"axis": (0, 2), "correction": 1}),
    ("amax", (X3,), {"axis": (0, 2)}), ("max", (X,), {"axis": 0, "initial": 0.5}),
    ("min", (X,), {"axis": 1, "where": W, "initial": 9.0}), ("amin", (X,), {"keepdims": True}),
    ("ptp", (X3,), {"axis": 1}), ("cumsum", (X,), {}), ("cumsum", (X3,), {"axis": -2}),
    ("cumprod", (X,), {"axis": 1}), ("cumprod", (X3,), {}),
    ("average", (X,), {"axis": 1, "weights": np.array([1.0, 2.0, 0.5])}),
    ("average", (X,), {"axis": 0, "weights": positive((2, 3)), "returned": True}),
    ("average", (X,), {"returned": True}),
    ("nansum", (XN,), {"axis": 1}), ("nanmean", (XN,), {"axis": 0}), ("nanprod", (XN,), {}),
    ("nanmax", (XN,), {"axis": 1}), ("nanmin", (XN,), {"axis": 0, "keepdims": True}),
    ("nanvar", (XN,), {"axis": 1, "ddof": 1}), ("nanstd", (XN,), {}),
    ("nancumsum", (XN,), {"axis": 1}), ("nancumprod", (XN,), {}),
    ("median", (X3,), {"axis": 1}), ("median", (X,), {}), ("median", (X3,), {"axis": (0, 2)}),
    ("median", (XN,), {"axis": 1}), ("nanmedian", (XN,), {"axis": 1, "keepdims": True}),
    ("quantile", (X3,), {"q": [0.1, 0.5, 1.0], "axis": -1}),
    ("quantile", (X,), {"q": 0.3, "keepdims": True}),
    ("quantile", (X3,), {"q": [[0.25], [0.75]], "axis": (0, 1), "method": "lower"}),
    ("quantile", (V,), {"q": 0.4, "method": "higher"}),
    ("quantile", (V,), {"q": [0.125, 0.375, 0.6], "method": "nearest"}),
    ("quantile", (V,), {"q": [0.2, 0.5], "method": "midpoint"}),
    ("percentile", (X3,), {"q": 40, "axis": 2}), ("nanquantile", (XN,), {"q": 0.3, "axis": 1}),
    ("nanpercentile", (XN,), {"q": [10, 90]}),
    ("diff", (X3,), {"axis": 1}), ("diff", (V,), {"n": 2, "prepend": 0.5, "append": V[:2]}),
    ("ediff1d", (X,), {"to_begin": 1.0, "to_end": [2.0, 3.0]}),
    ("trapezoid", (X3,), {"axis": 1}), ("trapezoid", (X,), {"x": np.array([0.0, 0.5, 2.0])}),
    ("trapezoid", (X,), {"x": positive((2, 3)), "axis": -1}), ("trapezoid", (V,), {"dx": 0.3}),
    ("sort", (X3,), {"axis": 1}), ("sort", (X,), {"axis": None}),
    ("unique", (np.array([2.0, 1.0, 2.0, 3.0]),), {"return_counts": True}),
    ("reshape", (X3,), {"shape": (4, -1)}), ("reshape", (X3,), {"shape": (6, 4), "order": "F"}),
    ("ravel", (X3,), {}), ("ravel", (X,), {"order": "F"}), ("transpose", (X3,), {}),
    ("transpose", (X3,), {"axes": (1, -1, 0)}), ("moveaxis", (X3,), {"source": 0,
                                                                       "destination": -1}),
    ("moveaxis", (X3,), {"source": (0, 1), "destination": (2, 0)}),
    ("rollaxis", (X3,), {"axis": 2, "start": 1}), ("swapaxes", (X3,), {"axis1": 0, "axis2": 2}),
    ("expand_dims", (X,), {"axis": (0, -1)}), ("squeeze", (X[None],), {"axis": 0}),
    ("atleast_1d", (np.array(X[0, 0]),), {}), ("atleast_2d", (V,), {}), ("atleast_3d", (X,), {}),
    ("atleast_3d", (V,), {}), ("broadcast_to", (V[:3],), {"shape": (2, 3)}),
    ("tile", (X,), {"reps": (2, 1, 2)}), ("tile", (V,), {"reps": 2}),
    ("repeat", (X,), {"repeats": 2, "axis": 1}), ("repeat", (X,), {"repeats": [1, 0, 3],
                                                                    "axis": -1}),
    ("repeat", (X,), {"repeats": 2}), ("roll", (X3,), {"shift": (1, -2), "axis": (0, 2)}),
    ("roll", (X,), {"shift": 4}), ("flip", (X3,), {"axis": (0, 2)}), ("fliplr", (X,), {}),
    ("flipud", (X,), {}), ("rot90", (X3,), {"k": 1}), ("rot90", (X3,), {"k": 3, "axes": (2, 0)}),
    ("rot90", (X,), {"k": 2}), ("diag", (V,), {"k": -1}), ("diag", (X,), {"k": 1}),
    ("diagflat", (X,), {"k": 1}), ("diagonal", (X3,), {"offset": 1, "axis1": 2, "axis2": 1}),
    ("trace", (X3,), {"offset": -1, "axis1": 1, "axis2": 2}), ("triu", (X3,), {"k": 1}),
    ("tril", (X,), {"k": -1}), ("triu", (V,), {}),
    ("pad", (X,), {"pad_width": ((1, 0), (2, 1)), "constant_values": ((1.0, 2.0), (3.0, 4.0))}),
    ("pad", (X,), {"pad_width": 2, "mode": "reflect"}),
    ("pad", (X,), {"pad_width": (1, 3), "mode": "wrap"}),
    ("pad", (X,), {"pad_width": 1, "mode": "edge"}),
    ("pad", (X,), {"pad_width": 2, "mode": "symmetric"}),
    ("take", (X3,), {"indices": [[0, 2], [2, 2]], "axis": 1}),
    ("take", (X,), {"indices": [7, -1], "mode": "wrap"}),
    ("take", (X,), {"indices": [5, -4], "axis": 1, "mode": "clip"}),
    ("take", (X,), {"indices": 2}),
    ("take_along_axis", (X,), {"indices": np.array([[2, 0, 0]]), "axis": 1}),
    ("take_along_axis", (X,), {"indices": np.array([4, 0]), "axis": None}),
    ("compress", ([True, False, True], X), {"axis": 1}),
    ("extract", (X > 0, X), {}), ("delete", (X,), {"obj": [0, 2], "axis": 1}),
    ("delete", (X,), {"obj": slice(1, None, 2)}),
    ("insert", (X,), {"obj": 1, "values": V[:2], "axis": 1}),
    ("insert", (X,), {"obj": [0, 2], "values": 5.0}),
    ("insert", (X,), {"obj": [1], "values": V[:3][None], "axis": 0}),
    ("append", (X, X), {"axis": 0}), ("append", (X, V), {}),
    ("clip", (X,), {"a_min": -0.5, "a_max": 0.7}), ("clip", (X,), {"min": 0.1}),
    ("where", (X > 0, X, V[:3]), {}),
    ("choose", (np.array([[0, 1, 2], [2, 1, 0]]), [X, V[:3], X * 2]), {}),
    ("choose", (np.array([3, -1, 1]), [X, V[:3]]), {"mode": "wrap"}),
    ("dot", (X, X.T), {}), ("dot", (X3, V[:4]), {}), ("dot", (X3, X3.transpose(0, 2, 1)), {}),
    ("vdot", (X, X), {}), ("inner", (X3, X3[0]), {}), ("outer", (X, V), {}),
    ("matmul", (X3, rand((4, 2))), {}), ("tensordot", (X3, X3), {"axes": ([0, 2], [0, 2])}),
    ("tensordot", (X3, X3[0]), {}), ("vecdot", (X3, X3[0]), {}),
    ("vecdot", (X3, X3[:1, :, :1]), {"axis": 1}), ("matvec", (X3, rand((3, 1, 4), 5)), {}),
    ("vecmat", (rand((4, 1, 2), 6), X3[:, :2]), {}), ("kron", (X, X3), {}), ("kron", (V, X), {}),
    ("cross", (X3[..., :3], X3[..., 1:]), {}),
    ("cross", (X3[:, :, 0], X3[1, :, 2]), {"axisa": 1, "axisc": 0}),
    ("partition", (X3,), {"kth": [0, 2], "axis": 2}), ("partition", (X,), {"kth": 3,
                                                                       "axis": None}),
    ("unique_all", (np.array([2.0, np.nan, 2.0, 1.0, np.nan]),), {}),
    ("unique_counts", (np.array([[2.0, 1.0], [2.0, 3.0]]),), {}),
    ("unique_values", (np.array([2.0, 1.0, 2.0]),), {}),
    ("cumulative_sum", (X,), {"axis": 1, "include_initial": True}),
    ("cumulative_prod", (V,), {"include_initial": True}),
    ("trim_zeros", (np.array([[0.0, 0.0, 0.0], [0.0, 1.5, 0.0], [0.0, 0.0, 0.0]]),), {}),
    ("trim_zeros", (np.array([0.0, 2.0, 0.0, 3.0, 0.0]),), {"trim": "b"}),
    ("resize", (X,), {"new_shape": (4, 4)}), ("concat", ([X, X],), {"axis": None}),
    ("permute_dims", (X3,), {"axes": (2, 0, 1)}), ("matrix_transpose", (X3,), {}),
    ("interp", (np.array([-1.0, 0.0, 0.25, 1.0, 1.5, 2.0, 3.0]), np.array([0.0, 1.0, 2.0]),
                V[:3]), {}),
    ("interp", (np.array([-1.0, 0.2, 3.0]), np.array([0.0, 1.0, 2.0]), V[:3]),
     {"left": 7.0, "right": -7.0}),
    ("interp", (np.array([-1.0, 0.2, 5.5, 9.9]), np.array([1.0, 3.5, 7.0, 9.0]), V[:4]),
     {"period": 4.0}),
]


def _compare(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _compare(o, t)
        return
    assert type(ours) is cr.Tensor, type(ours)
    o, t = to_numpy(ours), np.asarray(theirs)
    assert o.shape == t.shape and o.dtype == t.dtype, (o.shape, t.shape, o.dtype, t.dtype)
    np.testing.assert_allclose(o, t, rtol=1e-13, atol=1e-15, equal_nan=True)


@pytest.mark.parametrize("name,args,kwargs", VALUES, ids=[f"{c[0]}-{i}"
                                                           for i, c in enumerate(VALUES)])
def test_values_match_numpy(name, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        theirs = getattr(np, name)(*args, **kwargs)
        ours = getattr(cnp, name)(*_tensors(args), **{k: _t(v) if k in ("values", "x") else v
                                                      for k, v in kwargs.items()})
    _compare(ours, theirs)


def _f32(a):
    if isinstance(a, np.ndarray) and a.dtype == np.float64:
        return a.astype(np.float32)
    return [_f32(e) for e in a] if isinstance(a, list) else a


def test_float32_and_python_scalars_keep_numpys_dtypes():
    """float32 data stays float32 where NumPy keeps it (Python numbers are weak, NEP 50)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name, args, kwargs in VALUES:
            args, kwargs = tuple(_f32(a) for a in args), {k: _f32(v) for k, v in kwargs.items()}
            theirs = getattr(np, name)(*args, **kwargs)
            ours = getattr(cnp, name)(*_tensors(args), **kwargs)
            pairs = zip(ours, theirs) if isinstance(theirs, (tuple, list)) else [(ours, theirs)]
            for o, t in pairs:
                assert o.dtype == np.asarray(t).dtype, (name, kwargs, o.dtype)
    x = np.arange(3.0, dtype=np.float32)
    t, c = cr.tensor(x), x > 0
    for fn in (lambda m, a: m.where(c, 0.5, a), lambda m, a: m.select([c], [a], 0),
               lambda m, a: m.choose([0, 1, 0], [a, 2.0]), lambda m, a: m.dot(a, 2.0),
               lambda m, a: m.quantile(a, [0.5]), lambda m, a: m.percentile(a, 50),
               lambda m, a: m.interp(a, [0, 1, 2], [1, 0, 1]),
               lambda m, a: m.sum(m.astype(a, int) if m is np else a.astype(int), initial=1.5)):
        assert fn(cnp, t).dtype == np.asarray(fn(np, x)).dtype


# --- derivatives ---------------------------------------------------------------------------------
GRADS = [
    ("sum", lambda t: cnp.sum(t, axis=(0, 2), keepdims=True, where=W[:, None]), X3),
    ("prod", lambda t: cnp.prod(t, axis=1, initial=2.0), X),
    ("mean-where", lambda t: cnp.mean(t, axis=1, where=W), X),
    ("var", lambda t: cnp.var(t, axis=-1, ddof=1), X3),
    ("var-where", lambda t: cnp.var(t, axis=1, where=W), X),
    ("std", lambda t: cnp.std(t, axis=(0, 1)), X3),
    ("max-initial-where", lambda t: cnp.max(t, axis=1, initial=-0.5, where=W), distinct((2, 3))),
    ("amin", lambda t: cnp.amin(t, axis=0), distinct((2, 3))),
    ("ptp", lambda t: cnp.ptp(t, axis=1, keepdims=True), distinct((2, 3))),
    ("cumsum", lambda t: cnp.cumsum(t), X),
    ("cumprod", lambda t: cnp.cumprod(t, axis=0), X3),
    ("average", lambda t, w: cnp.average(t, axis=1, weights=w), X, positive((3,))),
    ("nansum", lambda t: cnp.nansum(t, axis=1), XN),
    ("nanmean", lambda t: cnp.nanmean(t, axis=0), XN),
    ("nanvar", lambda t: cnp.nanvar(t, axis=1), XN),
    ("nanmax", lambda t: cnp.nanmax(t, axis=1), XN),
    ("nancumprod", lambda t: cnp.nancumprod(t, axis=1), XN),
    ("median", lambda t: cnp.median(t, axis=1), distinct((3, 4))),
    ("quantile", lambda t: cnp.quantile(t, [0.3, 0.8], axis=0), distinct((5, 2))),
    ("nanmedian", lambda t: cnp.nanmedian(t, axis=1), XN),
    ("diff", lambda t: cnp.diff(t, n=2, axis=0, prepend=1.0), X3),
    ("trapezoid", lambda y, x: cnp.trapezoid(y, x), X, positive((2, 3))),
    ("sort", lambda t: cnp.sort(t, axis=0), distinct((3, 2))),
    ("unique", lambda t: cnp.unique(t), np.array([2.0, 1.0, 2.5, 3.0])),
    ("partition", lambda t: cnp.partition(t, 1, axis=0), distinct((4, 2))),
    ("cumulative_prod", lambda t: cnp.cumulative_prod(t, axis=0, include_initial=True), X),
    ("trim_zeros", lambda t: cnp.trim_zeros(t * np.array([0.0, 1.0, 1.0, 0.0])), rand((4,))),
    ("resize", lambda t: cnp.resize(t, (3, 3)), X),
    ("reshape-F", lambda t: cnp.reshape(t, (4, 6), order="F"), X3),
    ("moveaxis", lambda t: cnp.moveaxis(t, (0, 1), (2, 0)), X3),
    ("tile", lambda t: cnp.tile(t, (2, 1, 2)), X),
    ("repeat", lambda t: cnp.repeat(t, [1, 0, 2], axis=1), X),
    ("roll", lambda t: cnp.roll(t, (1, -1), (0, 1)), X),
    ("rot90", lambda t: cnp.rot90(t, 3), X),
    ("diag", lambda t: cnp.diag(t, -1), V),
    ("diagonal", lambda t: cnp.diagonal(t, 1, 2, 1), X3),
    ("trace", lambda t: cnp.trace(t), X),
    ("triu", lambda t: cnp.triu(t, 1), X3),
    ("pad", lambda t: cnp.pad(t, ((1, 0), (0, 2)), constant_values=((1.0, 2.0), (3.0, 4.0))), X),
    ("pad-reflect", lambda t: cnp.pad(t, 2, mode="reflect"), X),
    ("take", lambda t: cnp.take(t, [[0, 2], [2, 2]], axis=1), X3),
    ("take_along_axis", lambda t: cnp.take_along_axis(t, np.array([[2, 0, 0]]), 1), X),
    ("insert", lambda t, v: cnp.insert(t, [0, 2], v, axis=1), X, rand((2, 2), 9)),
    ("delete", lambda t: cnp.delete(t, 1, axis=1), X),
    ("select", lambda a, b: cnp.select([a > 0, b > 0], [a, b], default=0.5), X, rand((3,), 8)),
    ("choose", lambda a, b: cnp.choose(np.array([[0, 1, 1], [1, 0, 1]]), [a, b]), X, V[:3]),
    ("block", lambda a, b: cnp.block([[a, b[:, :1]], [b[:1, :], a[:1, :2]]]), X, rand((2, 2))),
    ("concatenate-None", lambda a, b: cnp.concatenate([a, b], axis=None), X, V),
    ("stack", lambda a, b: cnp.stack([a, b], axis=-1), X, rand((2, 3), 5)),
    ("hstack", lambda a, b: cnp.hstack([a, b]), V, V[:2]),
    ("dstack", lambda a, b: cnp.dstack([a, b]), X, X),
    ("column_stack", lambda a, b: cnp.column_stack([a, b]), V[:2], X),
    ("split", lambda t: cnp.array_split(t, 2, axis=1), X),
    ("meshgrid", lambda a, b: cnp.meshgrid(a, b), V[:2], V[2:]),
    ("array", lambda a, b: cnp.array([[a, b], [b, a]]), 0.5, 1.5),
    ("full_like", lambda v: cnp.full_like(X, v), 0.5),
    ("dot", lambda a, b: cnp.dot(a, b), X3, rand((4, 2))),
    ("inner", lambda a, b: cnp.inner(a, b), X, rand((4, 3))),
    ("outer", lambda a, b: cnp.outer(a, b), X, V[:2]),
    ("vdot", lambda a, b: cnp.vdot(a, b), X, X),
    ("einsum-implicit", lambda a, b: cnp.einsum("...ij,jk", a, b), X3, rand((4, 2))),
    ("einsum-sublist", lambda a, b: cnp.einsum(a, [0, 1], b, [1, 2], [0, 2]), X, rand((3, 2))),
    ("kron", lambda a, b: cnp.kron(a, b), X, rand((2, 2))),
    ("matvec", lambda a, b: cnp.matvec(a, b), X3, rand((3, 1, 4), 5)),
    ("vecdot", lambda a, b: cnp.vecdot(a, b, axis=0), X, rand((2, 1), 5)),
    ("cross", lambda a, b: cnp.cross(a, b, axis=0), rand((3, 2)), rand((3, 2), 4)),
    ("interp", lambda x, xp, fp: cnp.interp(x, xp, fp),
     np.array([-0.5, 0.3, 1.7, 2.5]), np.array([0.0, 1.0, 2.0]), V[:3]),
    ("interp-period", lambda x, fp: cnp.interp(x, np.array([1.0, 3.5, 7.0]), fp, period=5.0),
     np.array([-1.2, 0.4, 4.6]), V[:3]),
]


@pytest.mark.parametrize("case", GRADS, ids=[c[0] for c in GRADS])
def test_derivatives(case):
    _, fn, *args = case
    check_grads(fn, *args)


def test_derivatives_on_empty_arrays():
    for fn in (lambda t: cnp.sum(t, axis=0), lambda t: cnp.mean(t, axis=1),
               lambda t: cnp.cumprod(t, axis=0), lambda t: cnp.sort(t, axis=0),
               lambda t: cnp.tile(t, 2), lambda t: cnp.pad(t, 1), lambda t: cnp.diff(t, axis=1)):
        check_grads(fn, EMPTY)


# --- PyTorch as the oracle -----------------------------------------------------------------------
def test_cumprod_with_zeros_matches_torch():
    x = rand((4, 5), 11)
    # one zero, two apart, two adjacent, a whole row: every branch of the rule, every order
    x[0, 1] = x[1, 0] = x[1, 3] = x[2, 2] = x[2, 3] = x[3, :] = 0.0
    for axis in (0, 1, -1):
        assert_matches_torch(lambda t, a=axis: cnp.cumprod(t, axis=a),
                             lambda t, a=axis: torch.cumprod(t, a), x)
    assert_matches_torch(lambda t: cnp.cumprod(t, axis=1), lambda t: torch.cumprod(t, 1),
                         rand((3, 5), 12))
    check_grads(lambda t: cnp.cumprod(t, axis=1), x)


@pytest.mark.parametrize("ours,theirs,args", [
    (lambda t: cnp.var(t, axis=1), lambda t: torch.var(t, 1, correction=0), (X3,)),
    (lambda t: cnp.std(t, axis=1, ddof=1), lambda t: torch.std(t, 1), (X3,)),
    (lambda t: cnp.nansum(t, axis=1), lambda t: torch.nansum(t, 1), (XN,)),
    (lambda t: cnp.nanmean(t, axis=0), lambda t: torch.nanmean(t, 0), (XN,)),
    (lambda t: cnp.quantile(t, 0.3, axis=1), lambda t: torch.quantile(t, 0.3, 1), (X3,)),
    (lambda t: cnp.sort(t, axis=0), lambda t: torch.sort(t, 0).values, (distinct((4, 3)),)),
    (lambda t: cnp.diff(t, axis=0), lambda t: torch.diff(t, dim=0), (X3,)),
    (lambda t: cnp.trapezoid(t, dx=0.5), lambda t: torch.trapezoid(t, dx=0.5), (X3,)),
    (lambda a, b: cnp.kron(a, b), torch.kron, (X, X3)),
    (lambda a, b: cnp.cross(a, b), lambda a, b: torch.linalg.cross(a, b), (X3[..., :3],
                                                                          X3[..., 1:])),
    (lambda t: cnp.tile(t, (2, 3)), lambda t: torch.tile(t, (2, 3)), (X,)),
    (lambda t: cnp.repeat(t, [2, 0, 1], axis=1),
     lambda t: torch.repeat_interleave(t, torch.tensor([2, 0, 1]), 1), (X,)),
    (lambda t: cnp.roll(t, (1, 2), (0, 1)), lambda t: torch.roll(t, (1, 2), (0, 1)), (X,)),
    (lambda t: cnp.rot90(t, 1, (1, 2)), lambda t: torch.rot90(t, 1, (1, 2)), (X3,)),
    (lambda t: cnp.diag(t, 1), lambda t: torch.diag(t, 1), (V,)),
    (lambda t: cnp.diagonal(t, -1, 1, 2), lambda t: torch.diagonal(t, -1, 1, 2), (X3,)),
    (lambda t: cnp.trace(t), torch.trace, (X,)),
    (lambda t: cnp.tril(t, 1), lambda t: torch.tril(t, 1), (X3,)),
    (lambda a, b: cnp.outer(a, b), torch.outer, (V, V[:3])),
    (lambda a, b: cnp.inner(a, b), torch.inner, (X3, X3[0])),
    (lambda a, b: cnp.tensordot(a, b, 1), lambda a, b: torch.tensordot(a, b, 1), (X, X3[0])),
    (lambda a, b: cnp.einsum("bij,kj->bik", a, b), lambda a, b: torch.einsum("bij,kj->bik", a, b),
     (X3, rand((2, 4)))),
    (lambda a, b: cnp.meshgrid(a, b, indexing="xy"),
     lambda a, b: torch.meshgrid(a, b, indexing="xy"), (V, V[:2])),
    (lambda a, b: cnp.hstack([a, b]), lambda a, b: torch.hstack([a, b]), (X, X)),
    (lambda t: cnp.take_along_axis(t, np.array([[0, 2, 1, 2]]), 1),
     lambda t: torch.take_along_dim(t, torch.tensor([[0, 2, 1, 2]]), 1), (X,)),
])
def test_against_torch(ours, theirs, args):
    assert_matches_torch(ours, theirs, *args)


@pytest.mark.parametrize("fn", [
    lambda t: cnp.cumprod(t, axis=0), lambda t: cnp.quantile(t, [0.2, 0.9], axis=1),
    lambda t: cnp.diag(cnp.ravel(t)[:3], 1), lambda t: cnp.insert(t, [1, 3], t[0, :2], axis=1),
    lambda t: cnp.interp(t[0], np.array([-1.0, 0.0, 1.5]), t[1, :3]),
    lambda t: cnp.average(t, axis=1, weights=t[0] ** 2), lambda t: cnp.nanvar(t, axis=1),
], ids=["cumprod", "quantile", "diag", "insert", "interp", "average", "nanvar"])
def test_batched_jacobians_agree(fn):
    """jacrev and jacfwd carry a leading batch axis through every rule."""
    x = rand((3, 4), 6)
    x[1, 2] = 0.0  # cumprod's exact rule with a zero
    jr = to_numpy(cr.jacrev(fn)(cr.tensor(x)))
    jf = to_numpy(cr.jacfwd(fn)(cr.tensor(x)))
    np.testing.assert_allclose(jr, jf, rtol=1e-12, atol=1e-12)
    t = leaf(x)
    out = fn(t)
    u = np.random.default_rng(0).standard_normal(out.shape)
    (g,) = cr.grad(out, [t], cr.tensor(u))
    np.testing.assert_allclose(np.tensordot(u, jr, u.ndim), to_numpy(g), rtol=1e-12,
                               atol=1e-12)


# --- conventions at ties, kinks and NaNs ---------------------------------------------------------
def _grad(fn, x):
    t = leaf(x)
    out = fn(t)
    (g,) = cr.grad(out, [t], cr.tensor(np.ones(out.shape)))
    return to_numpy(g)


def test_ties_share_in_max_and_ptp_is_zero_on_constant_slices():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    np.testing.assert_array_equal(_grad(lambda t: cnp.max(t, axis=1), x),
                                  [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(_grad(lambda t: cnp.ptp(t, axis=1), x)[1], 0.0)
    # a tie with `initial` gives the whole gradient to the array
    np.testing.assert_array_equal(_grad(lambda t: cnp.max(t, initial=3.0), x[:1]), [[0, .5, .5]])


def test_sort_and_median_follow_a_stable_permutation():
    x = np.array([3.0, 1.0, 3.0, 2.0])
    # sorted: 1, 2, 3 (index 0), 3 (index 2): the last output position goes to index 2
    g = _grad(lambda t: cnp.sort(t)[3], x)
    np.testing.assert_array_equal(g, [0, 0, 1, 0])
    np.testing.assert_array_equal(_grad(cnp.median, x), [0.5, 0, 0, 0.5])
    np.testing.assert_array_equal(_grad(cnp.median, x[:3]), [1, 0, 0])


def test_nan_entries_get_zero_gradient():
    for fn in (cnp.nansum, cnp.nanmean, cnp.nanvar, cnp.nanstd, cnp.nanmax, cnp.nanprod,
               cnp.nanmedian, lambda t: cnp.nancumsum(t, 1)):
        g = _grad(fn, XN)
        assert np.all(g[np.isnan(XN)] == 0) and np.all(np.isfinite(g)), fn
    g = _grad(lambda t: cnp.sum(t, where=~np.isnan(XN)), XN)
    assert np.all(np.isfinite(g))
    with pytest.warns(RuntimeWarning, match="All-NaN"):
        r = cnp.nanmax(cr.tensor(np.array([[np.nan, 1.0], [np.nan, np.nan]])), axis=1)
    np.testing.assert_array_equal(to_numpy(r), [1.0, np.nan])


def test_interp_derivative_at_knots():
    xp, fp = np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 3.0])
    g = _grad(lambda t: cnp.interp(t, xp, fp), np.array([-1.0, 0.0, 1.0, 3.0, 4.0]))
    # right-hand slope at a knot, left-hand slope at the last knot, 0 outside
    np.testing.assert_array_equal(g, [0.0, 2.0, 0.5, 0.5, 0.0])
    r = cnp.interp(cr.tensor(np.array([3.0])), xp, cr.tensor(fp))
    assert to_numpy(r)[0] == 3.0  # exactly fp[-1] at the last knot, as NumPy


def test_unique_values_take_their_first_occurrence():
    np.testing.assert_array_equal(_grad(cnp.unique, np.array([2.0, 1.0, 2.0, 3.0])),
                                  [1, 1, 0, 1])


def test_std_gradient_is_zero_for_a_constant():
    np.testing.assert_array_equal(_grad(cnp.std, np.ones(3)), [0.0, 0.0, 0.0])


def test_cumprod_no_zero_path_matches_zero_path():
    x = rand((2, 4), 3)
    g1 = _grad(lambda t: cnp.cumprod(t, axis=1), x)
    x0 = x.copy()
    x0[1, 3] = 0.0  # the last entry gets no product-of-others in its row's earlier outputs
    g2 = _grad(lambda t: cnp.cumprod(t, axis=1), x0)
    np.testing.assert_allclose(g1[0], g2[0], rtol=1e-13)


# --- the raw path, tensors inside lists, signatures ----------------------------------------------
def test_raw_inputs_give_numpy_results_exactly():
    assert type(cnp.sum([[1, 2], [3, 4]])) is np.int64
    assert isinstance(cnp.split(np.arange(6.0), 3), list)
    assert isinstance(cnp.atleast_1d(1.0, [2.0]), tuple)
    assert type(cnp.argmax([1.0, 3.0])) is np.int64
    assert isinstance(cnp.meshgrid([1, 2], [3]), tuple)
    out = cnp.median(np.arange(5.0))
    assert type(out) is np.float64 and out == 2.0


def test_tensors_inside_lists_stay_differentiable():
    a = leaf(np.array([1.0, 2.0]))
    for out in (cnp.array([a, [3.0, 4.0]]), cnp.asarray([[a], [a]]),
                cnp.stack([a, np.zeros(2)]), cnp.concatenate([np.ones(1), a]),
                cnp.sum([a, a]), cnp.array(a), cnp.copy(a)):
        assert type(out) is cr.Tensor and out.requires_grad
    assert cnp.asarray(a) is a
    b = cnp.array([a, a], dtype=np.float32)
    assert b.dtype == np.float32 and b.requires_grad
    t = cr.tensor([1.0, 2.0])
    # results that do not depend on the data are constant tensors
    for out in (cnp.argmax(t), cnp.zeros_like(t), cnp.nonzero(t)[0], cnp.count_nonzero(t),
                cnp.where(t > 1, 1.0, 2.0), cnp.searchsorted(t, 1.5)):
        assert type(out) is cr.Tensor and not out.requires_grad


# NumPy's signature differs only in what the tensor path does not take: like=, and putmask's
# positional-only marker.
_SIGNATURES_DIFFER = {"putmask", "ascontiguousarray", "asfortranarray", "require"}


def test_signatures_are_numpys():
    for family in FAMILIES:
        for name in sorted(set(family.__all__) - _SIGNATURES_DIFFER):
            ours = inspect.signature(getattr(family, name))
            theirs = inspect.signature(getattr(np, name))
            assert str(ours) == str(theirs), (family.__name__, name, str(ours), str(theirs))


def test_the_namespace_serves_the_families_functions():
    """A family's function is the namespace's object itself (a NumPy ufunc's name, such as
    matmul, gets a ufunc over it), with no other wrapper in between."""
    for family in FAMILIES:
        for name in family.__all__:
            ours = getattr(cnp, name)
            ours = getattr(ours, "_chainrule_ufunc", None) and ours._chainrule_ufunc._fn or ours
            assert ours is getattr(family, name), (family.__name__, name)


def test_row_stack_is_deprecated_like_numpy():
    with pytest.warns(DeprecationWarning):
        out = cnp.row_stack([cr.tensor([1.0]), cr.tensor([2.0])])
    assert out.shape == (2, 1)


# --- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,exc,words", [
    (lambda t: cnp.max(cr.tensor(EMPTY), axis=0), ValueError, ["max", "zero-size", "initial"]),
    (lambda t: cnp.max(t, where=W), ValueError, ["max", "initial"]),
    (lambda t: cnp.var(t, ddof=1, correction=1), ValueError, ["var", "correction"]),
    (lambda t: cnp.sum(t, out=np.zeros(())), TypeError, ["sum", "out="]),
    (lambda t: cnp.squeeze(t, axis=0), ValueError, ["squeeze", "axis 0", "(2, 3)"]),
    (lambda t: cnp.split(t, 2, axis=1), ValueError, ["split", "equal division", "array_split"]),
    (lambda t: cnp.average(t, weights=np.ones(3)), TypeError, ["average", "axis"]),
    (lambda t: cnp.average(t, axis=1, weights=np.zeros(3)), ZeroDivisionError, ["average"]),
    (lambda t: cnp.take(t, [3], axis=1), IndexError, ["take", "3", "size 3"]),
    (lambda t: cnp.quantile(t, 1.5), ValueError, ["quantile", "[0, 1]"]),
    (lambda t: cnp.quantile(t, 0.5, method="weibull"), ValueError, ["quantile", "weibull"]),
    (lambda t: cnp.interp(t, [0.0, 1.0], [1.0]), ValueError, ["interp", "same length"]),
    (lambda t: cnp.interp(t, [], []), ValueError, ["interp", "empty"]),
    (lambda t: cnp.block([[t], t]), ValueError, ["block", "depths"]),
    (lambda t: cnp.block((t, t)), TypeError, ["block", "tuple"]),
    (lambda t: cnp.cross(cr.tensor(np.ones((2, 4))), t), ValueError, ["cross", "2 or 3"]),
    (lambda t: cnp.dot(t, t), ValueError, ["dot", "(2, 3)", "not aligned"]),
    (lambda t: cnp.tensordot(t, t, 1), ValueError, ["tensordot", "(2, 3)"]),
    (lambda t: cnp.diagonal(cr.tensor(V)), ValueError, ["diag", "two dimensions"]),
    (lambda t: cnp.select([t > 0], [t, t]), ValueError, ["select", "same length"]),
    (lambda t: cnp.moveaxis(t, 0, 5), np.exceptions.AxisError, ["moveaxis", "axis 5"]),
    (lambda t: cnp.sum(t, axis=(0, 2)), np.exceptions.AxisError, ["sum", "axis 2", "-2 to 1"]),
    (lambda t: cnp.flip(t, -3), np.exceptions.AxisError, ["flip", "axis -3"]),
    (lambda t: cnp.median(t, axis=2), np.exceptions.AxisError, ["median", "axis 2"]),
    (lambda t: cnp.where(t > 0, t), ValueError, ["where", "both"]),
    (lambda t: cnp.pad(t, 1, mode="maximum"), NotImplementedError, ["pad", "maximum"]),
    (lambda t: cnp.concatenate([t, cr.tensor(V)]), ValueError, ["concatenate", "(5,)"]),
])
def test_bad_input_errors(call, exc, words):
    with pytest.raises(exc) as info:
        call(leaf(X))
    msg = str(info.value)
    for w in words:
        assert w in msg, (w, msg)
