"""Reductions and scans: sum, mean, prod, amax/amin, max/min, var/std, cumsum.

gradcheck of first and second order, PyTorch as an oracle (ties and zeros included), errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import (
    assert_matches_torch,
    check_grads,
    distinct,
    leaf,
    rand,
    to_numpy,
)

import chainrule as cr

# (shape, axis) for reductions; axis None reduces everything.
AXES = [
    ((), None),
    ((4,), None),
    ((4,), 0),
    ((2, 3), None),
    ((2, 3), 0),
    ((2, 3), -1),
    ((2, 3), (0, 1)),
    ((2, 3, 2), (0, 2)),
    ((2, 3, 2), 1),
    ((0, 3), 0),
    ((0, 3), 1),
]
IDS = [f"{s}-{a}" for s, a in AXES]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axis", AXES, ids=IDS)
def test_sum(shape, axis, keepdims):
    x = rand(shape, 1)
    check_grads(lambda t: cr.sum(t, axis, keepdims), x)
    assert_matches_torch(lambda t: cr.sum(t, axis, keepdims),
                         lambda t: torch.sum(t, dim=axis, keepdim=keepdims), x)
    assert_matches_torch(lambda t: t.sum(axis, keepdims), lambda t: t.sum(axis, keepdims), x)
    assert_matches_torch(lambda t: t.sum(axis=axis, keepdims=keepdims),
                         lambda t: t.sum(axis, keepdims), x)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the mean of nothing is nan
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axis", AXES, ids=IDS)
def test_mean(shape, axis, keepdims):
    x = rand(shape, 2)
    check_grads(lambda t: cr.mean(t, axis, keepdims), x)
    assert_matches_torch(lambda t: cr.mean(t, axis, keepdims),
                         lambda t: torch.mean(t, dim=axis, keepdim=keepdims), x)
    assert_matches_torch(lambda t: t.mean(axis=axis, keepdims=keepdims),
                         lambda t: t.mean(axis, keepdims), x)


# Reducing over a length-0 axis has no maximum: that is an error, tested below.
EXTREMUM_AXES = [(s, a) for s, a in AXES if s != (0, 3) or a == 1]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axis", EXTREMUM_AXES, ids=str)
def test_amax_amin(shape, axis, keepdims):
    x = distinct(shape, 3)
    for f, tf in [(cr.amax, torch.amax), (cr.amin, torch.amin)]:
        check_grads(lambda t, f=f: f(t, axis, keepdims), x)
        tdim = () if axis is None else axis
        assert_matches_torch(lambda t, f=f: f(t, axis, keepdims),
                             lambda t, tf=tf, d=tdim: tf(t, dim=d, keepdim=keepdims), x)


# --- prod: zeros ------------------------------------------------------------------------------
PROD_INPUTS = {
    "no zero": np.array([[1.5, -0.7, 2.0], [0.9, 1.3, -1.1]]),
    "one zero": np.array([[1.5, 0.0, 2.0], [0.9, 1.3, -1.1]]),
    "two zeros in a row": np.array([[0.0, 0.0, 2.0], [0.9, 1.3, -1.1]]),
    "two zeros apart": np.array([[0.0, -0.7, 2.0], [0.9, 0.0, -1.1]]),
    "all zero": np.zeros((2, 3)),
}


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("case", PROD_INPUTS)
def test_prod_with_zeros_matches_torch(case, axis):
    x = PROD_INPUTS[case]
    if axis is None:
        assert_matches_torch(lambda t: cr.prod(t), lambda t: torch.prod(t), x)
        assert_matches_torch(lambda t: t.prod(), lambda t: t.prod(), x)
    else:
        for keep in (False, True):
            assert_matches_torch(lambda t, k=keep: cr.prod(t, axis, k),
                                 lambda t, k=keep: torch.prod(t, axis, keepdim=k), x)
            assert_matches_torch(lambda t, k=keep: t.prod(axis, k),
                                 lambda t, k=keep: t.prod(axis, k), x)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("case", PROD_INPUTS)
def test_prod_gradcheck(case, axis):
    # Finite differences move a zero off zero: the no-zero rule and the zero rule must agree.
    check_grads(lambda t: cr.prod(t, axis), PROD_INPUTS[case])


@pytest.mark.parametrize("shape,axis", [((), None), ((4,), 0), ((2, 3, 2), (0, 2)),
                                        ((0, 3), 1), ((0, 3), 0)], ids=str)
def test_prod_shapes(shape, axis):
    x = rand(shape, 4)
    check_grads(lambda t: cr.prod(t, axis, True), x)
    check_grads(lambda t: cr.prod(t, axis), x)


def test_prod_zero_in_scalar_and_3d():
    check_grads(cr.prod, np.array(0.0))
    x = rand((2, 2, 3), 5)
    x[0, 1, 2] = 0.0
    x[1, 0, 0] = 0.0
    check_grads(lambda t: cr.prod(t, (0, 2)), x)
    assert_matches_torch(lambda t: cr.prod(t, 1), lambda t: torch.prod(t, 1), x)


# --- max / min: full reductions, dim (values, indices), axis=, binary --------------------------
# Ties along both axes and in the full reduction (for max; -TIES has them for min).
TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 3.0, 2.0, -1.0], [5.0, 1.0, 5.0, 5.0]])


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_full_reduction_ties_share_evenly_like_torch(name):
    x = TIES if name.endswith("max") else -TIES
    assert_matches_torch(getattr(cr, name), getattr(torch, name), x)
    t = leaf(x)
    (g,) = cr.grad(getattr(cr, name)(t), t)
    expected = np.zeros_like(x)
    expected[x == (x.max() if name.endswith("max") else x.min())] = 1 / 3
    np.testing.assert_allclose(to_numpy(g), expected)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin_axis_ties_share_evenly_like_torch(name, dim, keepdim):
    assert_matches_torch(lambda t: getattr(cr, name)(t, dim, keepdim),
                         lambda t: getattr(torch, name)(t, dim, keepdim), TIES)
    assert_matches_torch(lambda t: getattr(t, name)(dim, keepdim),
                         lambda t: getattr(t, name)(dim, keepdim), TIES)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim_return_values_and_indices_like_torch(name, dim, keepdim):
    """``max(x, dim)`` is torch's (values, indices); the gradient goes to the index returned,
    also when there are ties (torch's rule for a value-selecting reduction)."""
    x = TIES if name == "max" else -TIES
    assert_matches_torch(lambda t: getattr(cr, name)(t, dim, keepdim),
                         lambda t: getattr(torch, name)(t, dim, keepdim), x)
    assert_matches_torch(lambda t: getattr(t, name)(dim, keepdim=keepdim),
                         lambda t: getattr(t, name)(dim, keepdim=keepdim), x)
    out = getattr(cr, name)(leaf(x), dim)
    assert out.values.shape == out[0].shape and out.indices.dtype.kind == "i"


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim_gradcheck(name):
    x = distinct((3, 4), 6)
    check_grads(lambda t: getattr(cr, name)(t, 1)[0], x)
    check_grads(lambda t: getattr(cr, name)(t, 0, True).values, x)


@pytest.mark.parametrize("name,tname", [("max", "amax"), ("min", "amin")])
def test_max_min_with_axis_keyword_return_values(name, tname):
    """The NumPy spelling ``max(x, axis=k)`` returns values only (ties share evenly)."""
    assert_matches_torch(lambda t: getattr(cr, name)(t, axis=1),
                         lambda t: getattr(torch, tname)(t, 1), TIES)
    assert_matches_torch(lambda t: getattr(cr, name)(t, axis=0, keepdims=True),
                         lambda t: getattr(torch, tname)(t, 0, keepdim=True), TIES)
    check_grads(lambda t: getattr(cr, name)(t, axis=(0, 1)), distinct((2, 3), 1))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_of_two_tensors_is_elementwise(name):
    x, y = np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])
    tf = getattr(torch, name + "imum")
    assert_matches_torch(lambda a, b: getattr(cr, name)(a, b), tf, x, y)
    assert_matches_torch(lambda a, b: getattr(cr, name)(a, other=b), tf, x, y)


def test_max_with_dim_and_axis_is_an_error():
    with pytest.raises(TypeError, match="max"):
        cr.max(leaf(TIES), 0, axis=1)
    with pytest.raises(TypeError, match="max: dim must be one int"):
        cr.max(leaf(TIES), (0, 1))
    with pytest.raises(IndexError, match="min: axis 2 is out of range"):
        cr.min(leaf(TIES), 2)


def test_max_min_with_dim_of_a_scalar_like_torch():
    x = np.array(1.5)
    assert_matches_torch(lambda t: cr.max(t, 0), lambda t: torch.max(t, 0), x)
    assert_matches_torch(lambda t: cr.min(t, -1, True), lambda t: torch.min(t, -1, True), x)


# --- var / std ------------------------------------------------------------------------------
VAR_CASES = [
    ((5,), None),
    ((2, 3), None),
    ((2, 3), 0),
    ((2, 3), 1),
    ((2, 3, 4), (0, 2)),
    ((2, 3), -1),
]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,axis", VAR_CASES, ids=str)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_default_correction_is_one_like_torch(name, shape, axis, keepdim):
    x = rand(shape, 7)
    f = getattr(cr, name)
    check_grads(lambda t: f(t, axis, keepdim=keepdim), x)
    assert_matches_torch(lambda t: f(t, axis, keepdim=keepdim),
                         lambda t: getattr(torch, name)(t, axis, keepdim=keepdim), x)
    assert_matches_torch(lambda t: getattr(t, name)(axis, keepdim=keepdim),
                         lambda t: getattr(t, name)(axis, keepdim=keepdim), x)


@pytest.mark.parametrize("shape,axis", VAR_CASES, ids=str)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_population(name, shape, axis):
    x = rand(shape, 8)
    f = getattr(cr, name)
    tf = lambda t: getattr(torch, name)(t, axis, correction=0)  # noqa: E731
    check_grads(lambda t: f(t, axis, ddof=0), x)
    assert_matches_torch(lambda t: f(t, axis, ddof=0), tf, x)
    assert_matches_torch(lambda t: f(t, axis, correction=0), tf, x)
    assert_matches_torch(lambda t: f(t, axis, unbiased=False), tf, x)
    assert_matches_torch(lambda t: f(t, axis=axis, keepdims=True, ddof=0),
                         lambda t: getattr(torch, name)(t, axis, correction=0, keepdim=True), x)


def test_var_values_match_numpy():
    x = rand((3, 4), 9)
    np.testing.assert_allclose(to_numpy(cr.var(cr.tensor(x), ddof=0)), np.var(x))
    np.testing.assert_allclose(to_numpy(cr.var(cr.tensor(x), 1)), np.var(x, 1, ddof=1))
    np.testing.assert_allclose(to_numpy(cr.std(cr.tensor(x), 0, correction=2)),
                               np.std(x, 0, ddof=2))


def test_std_of_constant_input_has_zero_gradient_like_torch():
    """sqrt is not differentiable at 0; torch takes 0 as std's gradient there, and so do we
    (not nan), in first and second order."""
    x = np.array([[1.5, 1.5, 1.5], [0.5, 1.0, 2.0]])
    assert_matches_torch(lambda t: cr.std(t, 1), lambda t: torch.std(t, 1), x)
    assert_matches_torch(lambda t: cr.std(t), lambda t: torch.std(t), np.full((2, 2), 3.0))


# --- cumsum ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim", [((4,), 0), ((4,), -1), ((2, 3), 0), ((2, 3), 1),
                                       ((2, 3, 2), -2), ((0, 3), 1), ((), 0), ((), -1)], ids=str)
def test_cumsum(shape, dim):
    x = rand(shape, 10)
    check_grads(lambda t: cr.cumsum(t, dim), x)
    assert_matches_torch(lambda t: cr.cumsum(t, dim), lambda t: torch.cumsum(t, dim), x)
    assert_matches_torch(lambda t: t.cumsum(dim), lambda t: t.cumsum(dim), x)


def test_cumsum_without_axis_flattens_like_numpy():
    x = rand((2, 3), 11)
    np.testing.assert_allclose(to_numpy(leaf(x).cumsum()), np.cumsum(x))
    check_grads(lambda t: t.cumsum(), x)


# --- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", [
    lambda t: cr.sum(t, 2), lambda t: cr.mean(t, -3), lambda t: cr.amax(t, 5),
    lambda t: cr.amin(t, (0, 2)), lambda t: cr.prod(t, 2), lambda t: cr.cumsum(t, 2),
    lambda t: cr.var(t, 2), lambda t: cr.std(t, 3), lambda t: t.sum(2), lambda t: t.max(2),
    lambda t: cr.logsumexp(t, 2),
], ids=["sum", "mean", "amax", "amin", "prod", "cumsum", "var", "std", "Tensor.sum", "max",
        "logsumexp"])
def test_axis_out_of_range_names_the_op(op):
    with pytest.raises(IndexError) as info:
        op(leaf(rand((2, 3))))
    msg = str(info.value)
    assert "out of range" in msg and "2 dimension" in msg, msg


@pytest.mark.parametrize("name", ["sum", "amax", "prod", "mean", "var"])
def test_repeated_axis_is_an_error(name):
    with pytest.raises(ValueError, match=f"{name}: repeated axis"):
        getattr(cr, name)(leaf(rand((2, 3))), (1, -1))


@pytest.mark.parametrize("name", ["amax", "amin", "max", "min"])
def test_extremum_of_empty_array_names_the_op(name):
    with pytest.raises(ValueError) as info:
        getattr(cr, name)(leaf(np.zeros((0, 3))))
    assert str(info.value).startswith(("amax", "amin")), str(info.value)


@pytest.mark.parametrize("name", ["max", "min"])
def test_complex_max_min_follow_numpy_order_and_differentiate(name):
    import chainrule.numpy as cnp

    # distinct real parts: a tie in the real part is a kink of the lexicographic order
    z = np.array([[1.0 + 2.0j, 1.1 - 3.0j, -0.5 + 0.1j], [0.2 - 1.0j, 2.5 + 0.3j, 2.4 - 0.7j]])
    for axis in (None, 0, 1):
        np.testing.assert_array_equal(getattr(cnp, name)(cr.tensor(z), axis=axis).numpy(),
                                      getattr(np, name)(z, axis=axis))
        check_grads(lambda x, a=axis: cnp.abs(getattr(cnp, name)(x, axis=a)) ** 2, z)
    # the gradient goes to the element NumPy selects (lexicographic: real part, then imaginary)
    x = cr.tensor(z, requires_grad=True)
    cnp.real(getattr(cnp, name)(x)).backward()
    expected = np.zeros(z.shape)
    expected[np.unravel_index(getattr(np, "arg" + name)(z), z.shape)] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)
