"""chainrule.scipy.linalg.solve_banded: SciPy's values, gradients in the band storage and the
right-hand side (finite differences, first and second order, reverse and forward mode; real and
complex), Jacobians, PyTorch's dense solve as the oracle, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
from tests.helpers import assert_matches_torch, check_grads, crand, leaf, rand, to_numpy

import chainrule as cr
from chainrule.scipy import linalg as SL


def band(lower, upper, n, seed=0, cx=False):
    ab = crand((lower + upper + 1, n), seed) if cx else rand((lower + upper + 1, n), seed)
    ab[upper] += 5.0  # a dominant diagonal
    return ab


def dense(ab, lower, upper):
    n = ab.shape[1]
    a = np.zeros((n, n), dtype=ab.dtype)
    for i in range(n):
        for j in range(max(0, i - lower), min(n, i + upper + 1)):
            a[i, j] = ab[upper + i - j, j]
    return a


CASES = [((1, 2), 5, (5, 2)), ((0, 0), 3, (3,)), ((2, 0), 4, (4,)), ((1, 1), 6, (6, 3)),
         ((0, 3), 4, (4, 2)), ((3, 3), 3, (3,))]  # the last: a band wider than the matrix


@pytest.mark.parametrize("lu,n,bshape", CASES, ids=str)
def test_values_are_scipys(lu, n, bshape):
    ab, b = band(*lu, n), rand(bshape, 1)
    want = scipy.linalg.solve_banded(lu, ab, b)
    np.testing.assert_array_equal(SL.solve_banded(lu, ab, b), want)
    got = SL.solve_banded(lu, cr.tensor(ab), cr.tensor(b))
    assert isinstance(got, cr.Tensor) and got.shape == want.shape
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(got), np.linalg.solve(dense(ab, *lu), b), rtol=1e-10)


@pytest.mark.parametrize("lu,n,bshape", CASES, ids=str)
def test_gradients(lu, n, bshape):
    check_grads(lambda ab, b: SL.solve_banded(lu, ab, b), band(*lu, n), rand(bshape, 2))


def test_complex_gradients():
    lu = (1, 2)
    check_grads(lambda ab, b: SL.solve_banded(lu, ab, b), band(*lu, 5, 3, cx=True),
                crand((5, 2), 4))
    check_grads(lambda ab, b: SL.solve_banded(lu, ab, b), band(*lu, 5, 3), crand(5, 4))


def test_matches_torch_dense_solve():
    lu, n = (1, 2), 5
    ab, b = band(*lu, n), rand((n, 2), 5)
    idx = [(upper_row, j) for upper_row, j in np.ndindex(ab.shape)]

    def torch_fn(ab_t, b_t):
        a = torch.zeros((n, n), dtype=ab_t.dtype)
        for r, j in idx:
            i = r - lu[1] + j
            if 0 <= i < n:
                a = a.index_put((torch.tensor([i]), torch.tensor([j])), ab_t[r, j:j + 1])
        return torch.linalg.solve(a, b_t)

    assert_matches_torch(lambda p, q: SL.solve_banded(lu, p, q), torch_fn, ab, b, rtol=1e-10)


def test_unused_corners_get_no_gradient():
    lu, n = (1, 2), 5
    ab = leaf(band(*lu, n))
    x = SL.solve_banded(lu, ab, cr.tensor(rand(n, 6)))
    (g,) = cr.grad((x * x).sum(), [ab])
    g = to_numpy(g)
    for r in range(4):
        for j in range(n):
            if not 0 <= r - lu[1] + j < n:  # ab[r, j] stands for no entry of a
                assert g[r, j] == 0


def test_jacobians():
    lu, n = (1, 1), 4
    ab, b = band(*lu, n, 7), rand(n, 8)
    rev = cr.jacrev(lambda p, q: SL.solve_banded(lu, p, q), argnums=(0, 1))(cr.tensor(ab),
                                                                            cr.tensor(b))
    fwd = cr.jacfwd(lambda p, q: SL.solve_banded(lu, p, q), argnums=(0, 1))(cr.tensor(ab),
                                                                            cr.tensor(b))
    for r, f in zip(rev, fwd):
        np.testing.assert_allclose(to_numpy(r), to_numpy(f), rtol=1e-10, atol=1e-12)
    a = dense(ab, *lu)
    np.testing.assert_allclose(to_numpy(rev[1]), np.linalg.inv(a), rtol=1e-10)


@pytest.mark.parametrize("lu,abshape,bshape,what", [
    ((1, 1), (2, 4), (4,), r"ab of shape \(2, 4\) does not hold \(l, u\) = \(1, 1\)"),
    ((1, 1), (3, 4), (3,), r"b of shape \(3,\) does not fit ab of shape \(3, 4\)"),
    ((-1, 1), (1, 4), (4,), r"the numbers of diagonals \(l, u\) must be non-negative"),
    ("x", (3, 4), (4,), r"l_and_u must be a pair of integers"),
])
def test_errors_name_the_function(lu, abshape, bshape, what):
    with pytest.raises(ValueError, match="^solve_banded: " + what):
        SL.solve_banded(lu, leaf(rand(abshape)), rand(bshape))


def test_singular_band_matrix():
    ab = np.array([[0.0, 1.0, 1.0], [0.0, 0.0, 0.0]])  # lower 0, upper 1, zero diagonal
    with pytest.raises(np.linalg.LinAlgError, match="^solve_banded: the matrix is singular"):
        SL.solve_banded((0, 1), leaf(ab), np.ones(3))
