"""scipy.stats.multivariate_normal: values equal SciPy's for every parameter form, gradients in
x, mean and cov (first and second order, both modes) against finite differences and
torch.distributions.MultivariateNormal, and a graph without any matrix inverse."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats
from tests.helpers import assert_matches_torch, check_grads, leaf, prims_in_graph, to_numpy

import chainrule as cr
from chainrule.scipy.stats._mvn import multivariate_normal as mvn

R = np.random.default_rng(3)
D = 3
_A = R.standard_normal((D, D))
COV = _A @ _A.T + D * np.eye(D)
MEAN = R.standard_normal(D)
X = R.standard_normal((4, D))


def tsym(c):
    return (c + c.mT) / 2


PARAMS = [
    (X, MEAN, COV), (X[0], MEAN, COV), (X.reshape(2, 2, D), MEAN, COV), (X, None, COV),
    (X, MEAN, 2.5), (X, MEAN, np.array([1.0, 2.0, 0.5])), (np.array([0.5, -1.0]), 1.0, 2.0),
    (0.3, None, 1),
]


@pytest.mark.parametrize("k", range(len(PARAMS)))
def test_values_equal_scipy(k):
    x, mean, cov = PARAMS[k]
    want = stats.multivariate_normal.logpdf(x, mean, cov)
    raw = mvn.logpdf(x, mean, cov)
    np.testing.assert_allclose(raw, want, rtol=1e-12)
    assert np.shape(raw) == np.shape(want)
    t = [cr.tensor(np.asarray(x, dtype=float))] + [
        cr.tensor(a) if isinstance(a, np.ndarray) else a for a in (mean, cov)]
    got = mvn.logpdf(*t)
    assert isinstance(got, cr.Tensor) and got.shape == np.shape(want)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(mvn.pdf(*t)), stats.multivariate_normal.pdf(x, mean, cov),
                               rtol=1e-12)
    frozen = mvn(t[1], t[2])
    np.testing.assert_allclose(to_numpy(frozen.logpdf(t[0])), want, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(frozen.entropy()),
                               stats.multivariate_normal(mean, cov).entropy(), rtol=1e-12)


def test_gradients():
    check_grads(lambda x, m, c: mvn.logpdf(x, m, tsym(c)), X[:2], MEAN, COV)
    check_grads(lambda x, m, c: mvn(m, c).pdf(x), X[:1], MEAN, COV, order=1)  # lower triangle
    check_grads(lambda c: mvn(MEAN, c).entropy(), np.array([1.0, 2.0, 0.5]))
    check_grads(lambda x, s: mvn.logpdf(x, MEAN, s), X[:2], 1.7)


def test_matches_torch():
    assert_matches_torch(
        lambda x, m, c: mvn.logpdf(x, m, tsym(c)),
        lambda x, m, c: torch.distributions.MultivariateNormal(
            m, covariance_matrix=tsym(c)).log_prob(x), X, MEAN, COV, rtol=1e-8, atol=1e-10)
    assert_matches_torch(
        lambda c: mvn(MEAN, tsym(c)).entropy(),
        lambda c: torch.distributions.MultivariateNormal(
            torch.tensor(MEAN), covariance_matrix=tsym(c)).entropy(), COV, rtol=1e-8)


def test_no_inverse_in_the_graph():
    x, m, c = leaf(X), leaf(MEAN), leaf(COV)
    names = prims_in_graph(mvn.logpdf(x, m, c))
    assert {"cholesky", "solve_triangular"} <= names
    assert not names & {"inv", "solve", "logabsdet", "det"}
    # nor in the gradient's graph (create_graph records the rules)
    gs = cr.grad(mvn.logpdf(x, m, c).sum(), [x, m, c], create_graph=True)
    assert "inv" not in prims_in_graph(list(gs))


def test_singular_covariance():
    cov = np.diag([1.0, 2.0, 0.0])
    on = X.copy()
    on[:, 2] = MEAN[2]  # on the support
    for pts in (X, on):
        want = stats.multivariate_normal.logpdf(pts, MEAN, cov, allow_singular=True)
        got = mvn.logpdf(cr.tensor(pts), MEAN, cr.tensor(cov), allow_singular=True)
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(mvn(MEAN, cr.tensor(cov), allow_singular=True).entropy()),
                               stats.multivariate_normal(MEAN, cov, allow_singular=True).entropy())
    check_grads(lambda x, m, c: mvn.logpdf(x, m, tsym(c), allow_singular=True), X, MEAN, COV)
    with pytest.raises(np.linalg.LinAlgError, match="^multivariate_normal: when allow_singular is "
                                                    "False.*allow_singular=True"):
        mvn.logpdf(cr.tensor(X), MEAN, leaf(cov))


def test_rvs_values():
    got = mvn(cr.tensor(MEAN), leaf(COV)).rvs(size=3, random_state=1)
    np.testing.assert_array_equal(got, stats.multivariate_normal(MEAN, COV).rvs(3, random_state=1))


def test_bad_parameters():
    with pytest.raises(ValueError, match=r"^multivariate_normal: cov must be a scalar, a vector of "
                                         r"length 3 or a 3 x 3 matrix.*\(2, 2\)"):
        mvn.logpdf(X, leaf(MEAN), np.eye(2))
    with pytest.raises(ValueError, match="^multivariate_normal: x has 2 entries along its last "
                                         "axis but the distribution has dimension 3"):
        mvn.logpdf(leaf(np.zeros((4, 2))), MEAN, COV)
