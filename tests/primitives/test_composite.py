"""Composite functions built from primitives: softmax, log_softmax, logsumexp (mean, var, std,
max and min are in test_reduction.py; the shape helpers in test_shape.py).

gradcheck of first and second order, PyTorch as the oracle, and numerical stability at large and
infinite inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import assert_matches_torch, check_grads, leaf, rand, to_numpy

import chainrule as cr

SOFTMAX_CASES = [((4,), -1), ((4,), 0), ((2, 3), -1), ((2, 3), 0), ((2, 3, 2), 1), ((0, 3), -1),
                 ((0, 3), 0), ((1,), 0), ((), -1)]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log(0) over a length-0 axis
@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES, ids=str)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family(name, shape, dim):
    x = rand(shape, 1)
    f = getattr(cr, name)
    check_grads(lambda t: f(t, dim), x)
    assert_matches_torch(lambda t: f(t, dim), lambda t: getattr(torch, name)(t, dim), x)
    assert_matches_torch(lambda t: getattr(t, name)(dim), lambda t: getattr(t, name)(dim), x)
    assert_matches_torch(lambda t: f(t, axis=dim), lambda t: getattr(torch, name)(t, dim), x)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_default_dim_is_last(name):
    x = rand((2, 3), 2)
    assert_matches_torch(getattr(cr, name), lambda t: getattr(torch, name)(t, -1), x)


STABILITY = {
    "large": np.array([1000.0, 1000.0, 999.0]),
    "very negative": np.array([-1000.0, -1001.0, -1000.5]),
    "spread": np.array([1000.0, 0.0, -1000.0]),
    "-inf entry": np.array([-np.inf, 0.0, 1.0]),
    "-inf and large": np.array([1000.0, -np.inf, 999.0]),
}


@pytest.mark.parametrize("case", STABILITY)
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_stable_at_large_and_infinite_inputs(name, case):
    x = STABILITY[case]
    f = getattr(cr, name)
    tf = lambda t: getattr(torch, name)(t, 0)  # noqa: E731
    t = leaf(x)
    y = f(t, 0)
    (g,) = cr.grad(y.sum() if y.ndim else y, t)
    assert not np.any(np.isnan(to_numpy(y))), to_numpy(y)
    assert np.all(np.isfinite(to_numpy(g))), to_numpy(g)
    assert_matches_torch(lambda t: f(t, 0), tf, x, second=False)


def test_logsumexp_of_large_values_is_exact():
    y = to_numpy(cr.logsumexp(cr.tensor([1000.0, 1000.0]), 0))
    np.testing.assert_allclose(y, 1000.0 + np.log(2.0), rtol=1e-15)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log(0)
def test_logsumexp_of_all_minus_inf_is_minus_inf_like_torch():
    x = np.full((2, 3), -np.inf)
    assert_matches_torch(lambda t: cr.logsumexp(t, 1), lambda t: torch.logsumexp(t, 1), x,
                         grad=False)
    x = np.array([[np.inf, 0.0], [1.0, 2.0]])
    assert_matches_torch(lambda t: cr.logsumexp(t, 1), lambda t: torch.logsumexp(t, 1), x,
                         grad=False)


LSE_CASES = [((4,), 0), ((4,), None), ((2, 3), 1), ((2, 3), -2), ((2, 3), None),
             ((2, 3, 2), (0, 2)), ((), None), ((0, 3), 1), ((0, 3), 0)]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log(0) over a length-0 axis
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", LSE_CASES, ids=str)
def test_logsumexp(shape, dim, keepdim):
    x = rand(shape, 3)
    tdim = tuple(range(len(shape))) if dim is None else dim
    check_grads(lambda t: cr.logsumexp(t, dim, keepdim), x)
    assert_matches_torch(lambda t: cr.logsumexp(t, dim, keepdim),
                         lambda t: torch.logsumexp(t, tdim, keepdim), x)
    assert_matches_torch(lambda t: t.logsumexp(dim, keepdim),
                         lambda t: torch.logsumexp(t, tdim, keepdim), x)
    assert_matches_torch(lambda t: cr.logsumexp(t, axis=dim, keepdims=keepdim),
                         lambda t: torch.logsumexp(t, tdim, keepdim), x)


def test_log_softmax_is_log_of_softmax():
    x = rand((3, 4), 4)
    np.testing.assert_allclose(to_numpy(cr.log_softmax(cr.tensor(x), 1)),
                               np.log(to_numpy(cr.softmax(cr.tensor(x), 1))), rtol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family_axis_out_of_range(name):
    with pytest.raises(IndexError) as info:
        getattr(cr, name)(leaf(rand((2, 3))), 2)
    assert str(info.value).startswith(name + ":"), str(info.value)
