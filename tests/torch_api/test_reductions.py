"""chainrule's reductions and scans in PyTorch's spelling (ops/reductions.py) against torch:
values, gradients (ties included: torch's conventions) and second derivatives in float64,
forward mode on a few, torch's overloads and result types, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from tests.helpers import assert_matches_torch, check_forward, distinct, positive, rand

import chainrule as cr

torch = pytest.importorskip("torch")

X = rand((3, 4), seed=0)
X3 = rand((2, 3, 4), seed=1)
D = distinct((3, 4), seed=2)  # no ties: order statistics are differentiable
P = positive((3, 4), seed=3)
TIES = np.array([[1.0, 3.0, 3.0, 0.5], [2.0, 2.0, 2.0, 2.0], [-1.0, 4.0, 0.0, 4.0]])
NANS = np.array([[1.0, np.nan, 3.0, 0.5], [np.nan, np.nan, np.nan, np.nan],
                 [-1.0, 4.0, 0.0, 2.0]])


def both(name, *args, **kw):
    """``name(x, *args, **kw)`` in each library."""
    return (lambda x: getattr(cr, name)(x, *args, **kw),
            lambda x: getattr(torch, name)(x, *args, **kw))


def method(name, *args, **kw):
    """``x.name(*args, **kw)`` in each library."""
    return (lambda x: getattr(x, name)(*args, **kw), lambda x: getattr(x, name)(*args, **kw))


CASES = [
    ("sum", both("sum"), X3),
    ("sum_dim", both("sum", 1), X3),
    ("sum_tuple_keepdim", both("sum", (0, 2), True), X3),
    ("sum_list_neg", both("sum", [-1, 0]), X3),
    ("nansum", both("nansum"), NANS),
    ("nansum_dim", both("nansum", 1, True), NANS),
    ("prod", both("prod"), X),
    ("prod_dim", both("prod", 1, True), X),
    ("mean", both("mean"), X3),
    ("mean_tuple", both("mean", (0, 1), True), X3),
    ("nanmean", both("nanmean", 1), NANS[::2]),
    ("var", both("var"), X3),
    ("var_unbiased_false", both("var", False), X3),
    ("var_dim_unbiased_keepdim", both("var", 1, False, True), X3),
    ("var_correction", both("var", (0, 2), correction=2), X3),
    ("std", both("std"), X3),
    ("std_dim", both("std", 2, True, True), X3),
    ("std_correction0", both("std", 1, correction=0), X3),
    ("var_mean", both("var_mean", 1), X3),
    ("std_mean", both("std_mean", (0, 1), correction=0, keepdim=True), X3),
    ("max_all_ties", both("max"), TIES),
    ("min_all_ties", both("min"), TIES),
    ("max_dim", both("max", 1), D),
    ("max_dim_keepdim", both("max", 0, True), D),
    ("min_dim", both("min", -1), D),
    ("max_dim_ties", both("max", 1), TIES),
    ("min_dim_ties", both("min", 0, keepdim=True), TIES),
    ("amax_ties", both("amax", 1), TIES),
    ("amax_tuple", both("amax", (0, 1)), TIES),
    ("amin_ties", both("amin", 0, True), TIES),
    ("amin_all", both("amin"), TIES),
    ("aminmax", both("aminmax", dim=1), TIES),
    ("aminmax_all", both("aminmax"), TIES),
    ("logsumexp", both("logsumexp", 1), X3),
    ("logsumexp_tuple", both("logsumexp", (0, 2), True), X3),
    ("norm", both("norm"), X3),
    ("norm_p1_dim", both("norm", 1, 1), X3),
    ("norm_p3", both("norm", 3, (0, 2), True), X3),
    ("norm_inf", both("norm", float("inf"), 1), D),
    ("norm_ninf", both("norm", float("-inf")), D),
    ("norm_fro_dims", both("norm", "fro", (1, 2)), X3),
    ("norm_p0", both("norm", 0), X),
    ("norm_p0_5", both("norm", 0.5, 1), P),
    ("norm_nuc", both("norm", "nuc"), X),
    ("norm_nuc_dims_keepdim", both("norm", "nuc", (0, 2), True), X3),
    ("median_all", both("median"), D),
    ("median_all_ties", both("median"), TIES),
    ("median_dim", both("median", 1), D),
    ("median_dim_keepdim", both("median", 0, True), D),
    ("nanmedian_all", both("nanmedian"), NANS[::2]),
    ("nanmedian_dim", both("nanmedian", 1), NANS[::2]),
    ("quantile", both("quantile", 0.3), D),
    ("quantile_dim", both("quantile", 0.75, 1, True), D),
    ("quantile_q_tensor", (lambda x: cr.quantile(x, cr.tensor([0.1, 0.5, 1.0]), 0),
                           lambda x: torch.quantile(x, torch.tensor([0.1, 0.5, 1.0],
                                                                    dtype=torch.float64), 0)), D),
    *[(f"quantile_{m}", both("quantile", 0.4, 1, interpolation=m), D)
      for m in ("lower", "higher", "midpoint", "nearest")],
    ("quantile_3d", both("quantile", 0.6, 1), X3),
    ("nanquantile", both("nanquantile", 0.4, 1), NANS[::2]),
    ("nanquantile_all", both("nanquantile", 0.4), NANS),
    ("cumsum", both("cumsum", 1), X),
    ("cumsum_neg", both("cumsum", -3), X3),
    ("cumprod", both("cumprod", 1), X),
    ("cummax", both("cummax", 1), TIES),
    ("cummin", both("cummin", 0), TIES),
    ("cummax_3d", both("cummax", 2), X3),
    ("logcumsumexp", both("logcumsumexp", 1), X),
    ("diff", both("diff"), X),
    ("diff_n2_dim0", both("diff", 2, 0), X3),
    ("dist", (lambda x: cr.dist(x, cr.tensor(D)), lambda x: torch.dist(x, torch.tensor(D))), X),
    ("dist_p1", (lambda x: cr.dist(x, cr.tensor(D), 1), lambda x: torch.dist(x, torch.tensor(D),
                                                                              1)), X),
    ("m_sum", method("sum", (0, 1), keepdim=True), X3),
    ("m_nansum", method("nansum", 0), NANS),
    ("m_mean", method("mean", -1), X3),
    ("m_nanmean", method("nanmean"), NANS[::2]),
    ("m_prod", method("prod", 0), X),
    ("m_var", method("var", 1, correction=0), X3),
    ("m_std", method("std", False), X3),
    ("m_max", method("max", 1), D),
    ("m_min_all", method("min"), TIES),
    ("m_amax", method("amax", (0, 2)), X3),
    ("m_aminmax", method("aminmax", dim=0), D),
    ("m_norm", method("norm", 3, 1), X),
    ("m_dist", (lambda x: x.dist(cr.tensor(D), 3), lambda x: x.dist(torch.tensor(D), 3)), X),
    ("m_median", method("median", 1, True), D),
    ("m_nanmedian", method("nanmedian", 0), NANS[::2]),
    ("m_mode", method("mode", 0), TIES),
    ("m_quantile", method("quantile", 0.25), D),
    ("m_nanquantile", method("nanquantile", 0.25, 0), NANS[::2]),
    ("m_cumsum", method("cumsum", 0), X),
    ("m_cumprod", method("cumprod", 1), X),
    ("m_cummax", method("cummax", 0), TIES),
    ("m_cummin", method("cummin", 1), TIES),
    ("m_logcumsumexp", method("logcumsumexp", 0), X),
    ("m_diff", method("diff", 1, 0), X),
    ("m_logsumexp", method("logsumexp", (0, 1)), X3),
    ("trapezoid", both("trapezoid"), X),
    ("trapezoid_dx", both("trapezoid", dx=0.5, dim=0), X),
    ("trapezoid_x", (lambda y: cr.trapezoid(y, cr.tensor(np.cumsum(P[0]))),
                     lambda y: torch.trapezoid(y, torch.tensor(np.cumsum(P[0])))), X),
    ("trapz", both("trapz", dim=0), X),
    ("cumulative_trapezoid", both("cumulative_trapezoid", dx=2.0), X),
    ("cumulative_trapezoid_x", (lambda y: cr.cumulative_trapezoid(y, cr.tensor(np.cumsum(P, 0)),
                                                                  dim=0),
                                lambda y: torch.cumulative_trapezoid(
                                    y, torch.tensor(np.cumsum(P, 0)), dim=0)), X),
    ("renorm", both("renorm", 2, 0, 1.0), X),
    ("renorm_p1_dim1", both("renorm", 1, 1, 1.5), X3),
    ("gradient", both("gradient"), X),
    ("gradient_edge2_spacing", both("gradient", spacing=[0.5, 2.0], edge_order=2), X),
    ("gradient_coords", (lambda y: cr.gradient(y, spacing=[cr.tensor(np.cumsum(P[:, 0]))], dim=0),
                         lambda y: torch.gradient(y, spacing=[torch.tensor(np.cumsum(P[:, 0]))],
                                                  dim=0)), X),
    ("mode", both("mode", 1), np.array([[1.0, 2.0, 2.0, 1.0], [3.0, 3.0, 0.0, 1.0],
                                        [5.0, 4.0, 4.0, 5.0]])),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(case):
    name, (cr_fn, torch_fn), x = case
    second = not name.startswith(("nan", "m_nan"))  # torch's nan-masked second derivatives
    assert_matches_torch(cr_fn, torch_fn, x, second=second)


@pytest.mark.parametrize("name", ["sum_tuple_keepdim", "var_correction", "std_dim", "max_dim",
                                  "median_all", "quantile_dim", "cummax_3d", "logcumsumexp",
                                  "norm_p3", "norm_inf", "nanmean", "diff_n2_dim0"])
def test_forward_mode(name):
    (cr_fn, _), x = next(c[1:] for c in CASES if c[0] == name)
    check_forward(cr_fn, x)


def test_result_types_are_named_tuples():
    x = cr.tensor(D)
    r = cr.max(x, 1)
    assert r.values.shape == (3,) and r.indices._data.dtype == np.int64
    assert x.median(0).indices.shape == (4,)
    mn, mx = cr.aminmax(x)
    assert mn._data == D.min() and mx._data == D.max()
    assert cr.aminmax(x, dim=0).max.shape == (4,)
    assert cr.cummax(x, 0).indices._data.dtype == np.int64
    m, s = cr.std_mean(x, 1)
    np.testing.assert_allclose(s._data, D.mean(1))
    np.testing.assert_allclose(m._data, D.std(1, ddof=1))


@pytest.mark.parametrize("a", [np.array([[1, 5, 0], [7, 7, 2]], np.int64),
                               np.array([[True, False, True], [False, False, True]]),
                               np.array([[1, 5, 0], [7, 7, 2]], np.uint8),
                               np.array([[1, 5, 0], [7, 7, 2]], np.int32)])
@pytest.mark.parametrize("call", [
    lambda m, x: m.sum(x), lambda m, x: m.sum(x, 1), lambda m, x: m.prod(x, 0),
    lambda m, x: m.cumsum(x, 1), lambda m, x: m.argmax(x.int()),
    lambda m, x: m.argmin(x.int(), 1, True), lambda m, x: m.argmax(x.int(), keepdim=True),
    lambda m, x: m.all(x), lambda m, x: m.any(x, 1),
    lambda m, x: m.all(x, (0, 1)), lambda m, x: m.count_nonzero(x),
    lambda m, x: m.count_nonzero(x, 0), lambda m, x: m.amax(x, 1), lambda m, x: m.max(x),
    lambda m, x: m.nansum(x), lambda m, x: m.sum(x, dtype=m.float64), lambda m, x: m.cumprod(x, 0),
])
def test_integer_and_bool_results_match_torch(a, call):
    t = call(torch, torch.tensor(a))
    c = call(cr, cr.tensor(a))
    np.testing.assert_array_equal(c._data, t.numpy())
    assert c._data.dtype == t.numpy().dtype, (c._data.dtype, t.dtype)


def test_sum_dtype_and_all_nan_slices():
    assert_matches_torch(lambda x: cr.sum(x, 0, dtype=cr.float32),
                         lambda x: torch.sum(x, 0, dtype=torch.float32), X3, rtol=1e-6)
    # An all-nan slice: nan (torch's gradient there is nan or lands on a nan element; chainrule's
    # is 0, docs/pytorch.md).
    x = cr.tensor(NANS)
    for fn in (lambda m, a: m.nanmean(a, 1), lambda m, a: m.nanmedian(a, 1).values,
               lambda m, a: m.nanquantile(a, 0.3, 1), lambda m, a: m.nansum(a, 1)):
        np.testing.assert_array_equal(fn(cr, x)._data, fn(torch, torch.tensor(NANS)).numpy())
    assert np.isnan(cr.median(x)._data) and np.isnan(cr.quantile(x, 0.5)._data)
    np.testing.assert_array_equal(cr.median(x, 1).values._data,
                                  torch.median(torch.tensor(NANS), 1).values.numpy())
    np.testing.assert_array_equal(cr.median(x, 1).indices._data,
                                  torch.median(torch.tensor(NANS), 1).indices.numpy())


def test_mean_of_integers_raises_like_torch():
    x = cr.tensor([1, 2, 3])
    with pytest.raises(TypeError, match=r"mean\(\): could not infer output dtype.*int64"):
        cr.mean(x)
    with pytest.raises(TypeError, match="mean"):
        x.mean()
    assert cr.mean(x, dtype=cr.float64)._data == 2.0
    with pytest.raises(TypeError, match="var"):
        cr.var(x)


def test_float32_stays_float32():
    x = cr.tensor(X.astype(np.float32))
    for fn in (cr.sum, cr.mean, cr.std, cr.var, lambda a: cr.norm(a, 3), cr.median, cr.logsumexp,
               lambda a: cr.quantile(a, 0.3), lambda a: cr.cumsum(a, 0), lambda a: cr.prod(a, 1),
               lambda a: cr.logcumsumexp(a, 0), lambda a: cr.nanmean(a, 0),
               lambda a: cr.max(a, 0).values, cr.amax):
        assert fn(x)._data.dtype == np.float32


def test_numpy_spellings_still_work():
    x = cr.tensor(X3)
    np.testing.assert_allclose(cr.sum(x, axis=(0, 2), keepdims=True)._data,
                               X3.sum(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(cr.mean(x, axis=1)._data, X3.mean(axis=1))
    np.testing.assert_allclose(cr.max(x, axis=1)._data, X3.max(axis=1))  # values, not a tuple
    np.testing.assert_allclose(cr.var(x, ddof=0)._data, X3.var())
    np.testing.assert_allclose(cr.sum(x, ())._data, X3.sum())  # torch: dim=() reduces all


def test_errors_name_the_operation():
    x = cr.tensor(X)
    with pytest.raises(TypeError, match="max: dim must be one int"):
        cr.max(x, (0, 1))
    np.testing.assert_allclose(cr.cumsum(x)._data, np.cumsum(X))  # NumPy's flattening
    with pytest.raises(ValueError, match=r"quantile: q values must be in the range \[0, 1\]"):
        cr.quantile(x, 1.5)
    with pytest.raises(ValueError, match="quantile: interpolation must be one of"):
        cr.quantile(x, 0.5, interpolation="cubic")
    with pytest.raises(ValueError, match="amax"):
        cr.amax(cr.tensor(np.zeros((0, 2))), 0)
    with pytest.raises(ValueError, match="norm: p='nuc' needs a matrix"):
        cr.norm(cr.tensor(X[0]), "nuc")
    with pytest.raises(IndexError, match="dim"):
        cr.sum(x, 2)


def test_zero_norm_gradient_is_zero_like_torch():
    z = np.zeros((2, 3))
    for p in (2, "fro", 3):
        assert_matches_torch(lambda a, p=p: cr.norm(a, p), lambda a, p=p: torch.norm(a, p), z,
                             second=False)


def test_logcumsumexp_has_no_underflow_with_a_wide_spread():
    # A shift by the slice's maximum would give -inf before the large element; the logaddexp
    # scan does not. The tangent is checked against the exact sum of exp(x_j - out_i) v_j.
    x = np.array([[-1e4, 1.0, 2.0, 1e4], [5.0, -3.0, 1e4, 0.0]])
    out = cr.logcumsumexp(cr.tensor(x), 1)
    np.testing.assert_allclose(out._data, torch.logcumsumexp(torch.tensor(x), 1).numpy(),
                               rtol=1e-14)
    v = rand(x.shape, seed=11)
    _, t = cr.functional.jvp(lambda a: cr.logcumsumexp(a, 1), (cr.tensor(x),), (cr.tensor(v),))
    o = out._data
    exact = np.stack([np.sum(np.exp(x[:, :i + 1] - o[:, i:i + 1]) * v[:, :i + 1], axis=1)
                      for i in range(x.shape[1])], axis=1)
    np.testing.assert_allclose(t._data, exact, rtol=1e-12, atol=1e-300)


def test_quantile_is_differentiable_in_q_like_torch():
    q = np.array([0.2, 0.9])
    assert_matches_torch(lambda x, qq: cr.quantile(x, qq, 1),
                         lambda x, qq: torch.quantile(x, qq, 1), D, q, second=False)
