"""chainrule.numpy.r_ and c_: NumPy's values and dtypes for every kind of item (arrays, tensors,
numbers, slices with real and imaginary steps, nested lists holding tensors) and directive
('axis', 'axis,ndmin', 'axis,ndmin,trans1d', 'r', 'c'), differentiable in every tensor item."""

from __future__ import annotations

import numpy as onp
import pytest
from tests.helpers import check_grads, rand, to_numpy

import chainrule as cr
import chainrule.numpy as np

A, B, M = rand(3, 1), rand(2, 2), rand((2, 3), 3)


def _both(obj, build):
    """``build(obj, a, b, m)`` with tensors equals it with arrays and NumPy's own object."""
    want = build(getattr(onp, obj), A, B, M)
    got = build(getattr(np, obj), cr.tensor(A), cr.tensor(B), cr.tensor(M))
    assert isinstance(got, cr.Tensor)
    assert got.dtype == onp.asarray(want).dtype
    onp.testing.assert_array_equal(to_numpy(got), onp.asarray(want))


BUILDS = {
    "r_arrays": ("r_", lambda o, a, b, m: o[a, b]),
    "r_numbers_slices": ("r_", lambda o, a, b, m: o[a, 0:3, 7, -1.5, 1:2:0.25]),
    "r_linspace": ("r_", lambda o, a, b, m: o[0:1:5j, a]),
    "r_matrices": ("r_", lambda o, a, b, m: o[m, m]),
    "r_axis": ("r_", lambda o, a, b, m: o["-1", m, m]),
    "r_axis_ndmin": ("r_", lambda o, a, b, m: o["0,2", a, a]),
    "r_trans1d": ("r_", lambda o, a, b, m: o["-1,2,0", a, a]),
    "r_trans1d_last": ("r_", lambda o, a, b, m: o["0,2,-1", a, a]),
    "r_int_with_float": ("r_", lambda o, a, b, m: o[a, onp.array([1, 2])]),
    "c_vectors": ("c_", lambda o, a, b, m: o[a, a, a]),
    "c_matrix_and_vector": ("c_", lambda o, a, b, m: o[m.T, a]),
    "c_slice": ("c_", lambda o, a, b, m: o[a, 0:3]),
    "c_numbers": ("c_", lambda o, a, b, m: o[b, 0.5 * onp.ones(2)]),
}


@pytest.mark.parametrize("name", BUILDS)
def test_values_equal_numpys(name):
    _both(*BUILDS[name])


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # NumPy's matrix
def test_matrix_directives_give_2d_tensors():
    for d, shape in (("r", (1, 4)), ("c", (4, 1))):
        want = onp.r_[d, A, 5.0]
        got = np.r_[d, cr.tensor(A), 5.0]
        assert got.shape == shape == want.shape
        onp.testing.assert_array_equal(to_numpy(got), onp.asarray(want))


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_without_tensors_numpy_answers():
    assert np.r_[1, 2, 3].tolist() == [1, 2, 3]
    assert type(np.r_["r", 1, 2]) is onp.matrix  # NumPy's own object, matrix included
    onp.testing.assert_array_equal(np.c_[A, A], onp.c_[A, A])


def test_gradients():
    check_grads(lambda a, b: np.r_[a, 0:2, b * 2, 3.0], A, B)
    check_grads(lambda a, m: np.c_[m.T, a], A, M)
    check_grads(lambda a: np.r_["0,2,0", a, a], A)
    x = cr.tensor(A, requires_grad=True)
    y = np.r_[[x[0], 1.0], x]  # a list holding tensors keeps their gradients
    (g,) = cr.grad((y * y).sum(), [x])
    onp.testing.assert_allclose(to_numpy(g), 2 * A + onp.array([2 * A[0], 0, 0]))


def test_bad_directives():
    with pytest.raises(ValueError, match="^r_: unknown special directive 'x'"):
        np.r_["x", cr.tensor(A)]
    with pytest.raises(ValueError, match="^r_: special directives .* must be the first entry"):
        np.r_[cr.tensor(A), "0"]
