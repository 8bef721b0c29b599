"""chainrule.scipy.linalg: values equal SciPy's, gradients of first and second order in both
modes (batched too), PyTorch as the oracle where it has the function, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
import torch
from tests.helpers import assert_matches_torch, check_grads, leaf, to_numpy

import chainrule as cr
import chainrule.scipy.linalg as SL


def rnd(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def well(shape=(3, 3), seed=0):
    return rnd(shape, seed) + 3 * np.eye(shape[-1])


def spd(shape=(3, 3), seed=0):
    x = rnd(shape, seed)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


LOWER = np.tril(well((2, 3, 3), 1))
UPPER = np.triu(well((3, 3), 2))

VALUE_CASES = {
    "solve_triangular": (lambda a, b: SL.solve_triangular(a, b, lower=True),
                         lambda a, b: sl.solve_triangular(a, b, lower=True), (LOWER, rnd((3, 2)))),
    "solve_triangular_vec": (SL.solve_triangular, sl.solve_triangular, (UPPER, rnd(3))),
    "solve_triangular_trans": (lambda a, b: SL.solve_triangular(a, b, trans="T",
                                                                unit_diagonal=True),
                               lambda a, b: sl.solve_triangular(a, b, trans="T",
                                                                unit_diagonal=True),
                               (UPPER, rnd((3, 2)))),
    "cholesky": (SL.cholesky, sl.cholesky, (spd(),)),
    "cholesky_lower": (lambda a: SL.cholesky(a, lower=True),
                       lambda a: sl.cholesky(a, lower=True), (spd(),)),
    "cho_solve": (lambda a, b: SL.cho_solve(SL.cho_factor(a), b),
                  lambda a, b: sl.cho_solve(sl.cho_factor(a), b), (spd(), rnd((3, 2)))),
    "cho_solve_lower": (lambda a, b: SL.cho_solve(SL.cho_factor(a, lower=True), b),
                        lambda a, b: sl.cho_solve(sl.cho_factor(a, lower=True), b),
                        (spd(), rnd(3))),
    "expm": (SL.expm, sl.expm, (0.5 * rnd((2, 3, 3)),)),
    "sqrtm": (SL.sqrtm, sl.sqrtm, (spd(),)),
    "logm": (SL.logm, sl.logm, (spd() / 4,)),
    "solve_sylvester": (SL.solve_sylvester, sl.solve_sylvester, (well(), well(seed=3),
                                                                 rnd((3, 3)))),
    "solve": (SL.solve, sl.solve, (well(), rnd(3))),
    "inv": (SL.inv, sl.inv, (well(),)),
    "det": (SL.det, sl.det, (well(),)),
}


@pytest.mark.parametrize("name", VALUE_CASES)
def test_values_equal_scipy(name):
    ours, theirs, args = VALUE_CASES[name]
    want = theirs(*args)
    np.testing.assert_array_equal(ours(*args), want)  # raw arrays: SciPy's own result
    got = ours(*[cr.tensor(a) for a in args])
    assert isinstance(got, cr.Tensor)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-10, atol=1e-12)


GRAD_CASES = {
    "solve_triangular": (lambda a, b: SL.solve_triangular(a, b, lower=True), (LOWER, rnd((3, 2)))),
    "solve_triangular_vec": (SL.solve_triangular, (UPPER, rnd(3))),
    "solve_triangular_trans": (lambda a, b: SL.solve_triangular(a, b, trans=1, lower=True,
                                                                unit_diagonal=True),
                               (LOWER, rnd((2, 3, 2)))),
    "cholesky": (SL.cholesky, (spd((2, 3, 3)),)),
    "cho_solve": (lambda a, b: SL.cho_solve(SL.cho_factor(a), b), (spd(), rnd((3, 2)))),
    "expm": (SL.expm, (0.5 * rnd((2, 3, 3)),)),
    "sqrtm": (SL.sqrtm, (spd((2, 3, 3)),)),
    "logm": (SL.logm, (well((2, 2)) / 3,)),
    "logm_expm": (lambda a: SL.logm(SL.expm(a)), (0.3 * rnd((2, 2)),)),
    "solve_sylvester": (SL.solve_sylvester, (well(), well(seed=3), rnd((3, 3)))),
    "solve": (SL.solve, (well(), rnd((3, 2)))),
    "inv_det": (lambda a: (SL.inv(a), SL.det(a)), (well(),)),
}


@pytest.mark.parametrize("name", GRAD_CASES)
def test_gradients(name):
    fn, args = GRAD_CASES[name]
    check_grads(fn, *args)


def test_solve_triangular_reads_one_triangle():
    a = well()  # full matrix: only the lower triangle is read
    x = leaf(a)
    out = SL.solve_triangular(x, cr.tensor(rnd(3)), lower=True)
    np.testing.assert_allclose(to_numpy(out), sl.solve_triangular(a, rnd(3), lower=True))
    (g,) = cr.grad(out.sum(), [x])
    assert np.all(np.triu(to_numpy(g), 1) == 0)


def test_matches_torch():
    b = rnd((2, 3, 2), 4)
    assert_matches_torch(lambda a, y: SL.solve_triangular(a, y, lower=True),
                         lambda a, y: torch.linalg.solve_triangular(a, y, upper=False),
                         LOWER, b, rtol=1e-8)
    assert_matches_torch(SL.expm, torch.linalg.matrix_exp, 0.5 * rnd((2, 3, 3)), rtol=1e-8)
    assert_matches_torch(lambda a: SL.cholesky((a + a.mT) / 2),
                         lambda a: torch.linalg.cholesky((a + a.mT) / 2).mT, spd(), rtol=1e-8)
    assert_matches_torch(lambda a, y: SL.cho_solve((SL.cholesky((a + a.mT) / 2, lower=True),
                                                    True), y),
                         lambda a, y: torch.cholesky_solve(
                             y, torch.linalg.cholesky((a + a.mT) / 2)), spd(), rnd((3, 2)),
                         rtol=1e-8)


def test_sqrtm_of_spd_matches_eigh_construction():
    a = spd(seed=5)
    w, v = np.linalg.eigh(a)
    x = leaf(a)
    s = SL.sqrtm(x)
    np.testing.assert_allclose(to_numpy(s), (v * np.sqrt(w)) @ v.T, rtol=1e-10)
    (g,) = cr.grad((s * cr.tensor(rnd((3, 3), 6))).sum(), [x])
    assert np.all(np.isfinite(to_numpy(g)))


def test_errors():
    with pytest.raises(np.linalg.LinAlgError, match="^solve_triangular: the matrix is singular"):
        SL.solve_triangular(leaf(np.tril(np.ones((3, 3))) - np.eye(3)), rnd(3), lower=True)
    with pytest.raises(ValueError, match=r"^solve_triangular: shapes of a \(3, 3\) and b \(2,\) "
                                         r"are incompatible"):
        SL.solve_triangular(leaf(well()), rnd(2))
    with pytest.raises(ValueError, match="^solve_triangular: invalid trans"):
        SL.solve_triangular(leaf(well()), rnd(3), trans=3)
    with pytest.raises(ValueError, match="^sqrtm: the matrix has no real square root"):
        SL.sqrtm(leaf(-spd()))
    with pytest.raises(ValueError, match="^logm: the matrix has no real logarithm"):
        SL.logm(leaf(-spd()))
    with pytest.raises(np.linalg.LinAlgError, match="^cholesky: the matrix is not positive"):
        SL.cholesky(leaf(-spd()))
    with pytest.raises(np.linalg.LinAlgError, match=r"^expm: the last two dimensions must be "
                                                    r"square, got shape \(2, 3\)"):
        SL.expm(leaf(rnd((2, 3))))


@pytest.mark.parametrize("assume_a", [None, "sym", "her", "pos", "diagonal", "tridiagonal",
                                      "upper triangular", "lower triangular"])
@pytest.mark.parametrize("lower", [False, True])
def test_solve_reads_what_scipy_reads(assume_a, lower):
    """assume_a selects the part of a that SciPy reads; values agree, and the gradient agrees
    with finite differences of SciPy's own function."""
    import scipy.linalg as ssl

    from chainrule.scipy import linalg as cl

    a = np.array([[2.0, 1.0, 0.5], [0.3, 3.0, 0.2], [0.1, 0.4, 4.0]])
    b = np.array([1.0, 1.0, 2.0])
    for tr in (False, True):
        got = cl.solve(cr.tensor(a), b, assume_a=assume_a, lower=lower, transposed=tr)
        ref = ssl.solve(a, b, assume_a=assume_a, lower=lower, transposed=tr)
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12)
    g = cr.grad(lambda m: (cl.solve(m, b, assume_a=assume_a, lower=lower) ** 2).sum())(a)
    eps = 1e-6
    num = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[idx] = eps
        f = [(ssl.solve(a + s * d, b, assume_a=assume_a, lower=lower) ** 2).sum()
             for s in (1, -1)]
        num[idx] = (f[0] - f[1]) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("lower", [False, True])
def test_cho_factor_values_are_scipys(lower):
    """The factor in one triangle and the matrix's own entries in the other, as SciPy returns;
    the unused triangle's gradient passes to ``a`` unchanged, and cho_solve does not read it."""
    a = spd() + np.triu(np.full((3, 3), 0.05), 1)  # not symmetric: the unread part differs
    c, low = SL.cho_factor(cr.tensor(a), lower=lower)
    want, wlow = sl.cho_factor(a, lower=lower)
    assert low is wlow is lower
    np.testing.assert_allclose(to_numpy(c), want, rtol=1e-12)
    x = leaf(a)
    c, _ = SL.cho_factor(x, lower=lower)
    (g,) = cr.grad(c.sum(), [x])
    unused = np.triu_indices(3, 1) if lower else np.tril_indices(3, -1)
    np.testing.assert_array_equal(to_numpy(g)[unused], 1.0)
    check_grads(lambda t: SL.cho_factor(t, lower=lower)[0], a)
