"""chainrule.scipy.stats: SciPy's values and signatures, gradients in the data and every parameter
(gradcheck, torch.distributions' log_prob), the support and parameter edges, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as ss
import torch
import torch.distributions as td
from tests.helpers import assert_matches_torch, check_grads, leaf, positive, rand, to_numpy

import chainrule as cr
from chainrule.scipy import stats as cs

X = np.linspace(-3.0, 5.0, 9)
# name: (shape parameters, loc, scale)
CONTINUOUS = {
    "norm": ((), 0.5, 2.0),
    "t": ((3.0,), 0.5, 2.0),
    "gamma": ((2.5,), -0.5, 1.5),
    "beta": ((2.0, 3.0), -1.0, 6.0),
    "expon": ((), 0.5, 2.0),
    "uniform": ((), -1.0, 4.0),
    "laplace": ((), 0.5, 2.0),
    "cauchy": ((), 0.5, 2.0),
    "lognorm": ((0.7,), -0.5, 2.0),
}
METHODS = ["logpdf", "pdf", "cdf", "sf", "logcdf", "logsf"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", CONTINUOUS)
def test_continuous_values_are_scipys(name, method):
    shapes, loc, scale = CONTINUOUS[name]
    want = getattr(getattr(ss, name), method)(X, *shapes, loc, scale)
    with np.errstate(divide="ignore"):
        got = getattr(getattr(cs, name), method)(X, *shapes, loc, scale)
        kw = getattr(getattr(cs, name), method)(cr.tensor(X), *shapes, loc=loc, scale=scale)
        frozen = getattr(getattr(cs, name)(*shapes, loc=loc, scale=scale), method)(X)
    for out in (got, to_numpy(kw), frozen):
        np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("method", ["logpmf", "pmf", "cdf", "sf", "logcdf", "logsf"])
@pytest.mark.parametrize("name, shapes", [("poisson", (2.5,)), ("binom", (6, 0.3))])
def test_discrete_values_are_scipys(name, shapes, method):
    k = np.array([-1.0, 0.0, 1.0, 2.5, 3.0, 6.0, 7.0])
    want = getattr(getattr(ss, name), method)(k, *shapes)
    with np.errstate(divide="ignore"):
        got = getattr(getattr(cs, name), method)(k, *shapes)
        shifted = getattr(getattr(cs, name), method)(k + 1, *shapes, loc=1)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(shifted, want, rtol=1e-12, atol=1e-300)


def test_quantiles_with_a_closed_form():
    q = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    for name, (shapes, loc, scale) in CONTINUOUS.items():
        if name in ("t", "gamma", "beta"):
            with pytest.raises(NotImplementedError, match=f"{name}.ppf: the quantile function "
                                                          "is not provided"):
                getattr(cs, name).ppf(q, *shapes, loc, scale)
            continue
        for method in ("ppf", "isf"):
            np.testing.assert_allclose(getattr(getattr(cs, name), method)(q, *shapes, loc, scale),
                                       getattr(getattr(ss, name), method)(q, *shapes, loc, scale),
                                       rtol=1e-12)


def test_invalid_parameters_give_nan():
    np.testing.assert_array_equal(cs.norm.logpdf(np.array([1.0, 2.0]), 0.0, np.array([-1.0, 1.0])),
                                  ss.norm.logpdf(np.array([1.0, 2.0]), 0.0, np.array([-1.0, 1.0])))
    assert np.isnan(cs.gamma.logpdf(1.0, -2.0)) and np.isnan(ss.gamma.logpdf(1.0, -2.0))
    assert np.isnan(cs.binom.pmf(1.0, 3, 1.5)) and np.isnan(ss.binom.pmf(1.0, 3, 1.5))


# --- gradients -------------------------------------------------------------------------------
# name: (data, shape parameters, loc, scale): every float is differentiated
GRAD_POINTS = {
    "norm": (rand((2, 3), 1), (), rand((3,), 2), positive((3,), 3)),
    "t": (rand((2, 3), 4), (positive((3,), 5, 1.0, 5.0),), 0.2, positive((), 6)),
    "gamma": (positive((2, 3), 7, 1.0, 3.0), (positive((3,), 8, 1.0, 3.0),), 0.3, 1.4),
    "beta": (positive((2, 3), 9, 0.2, 0.8), (positive((3,), 10), positive((3,), 11)), 0.0,
             1.0),
    "expon": (positive((2, 3), 12, 1.0, 3.0), (), 0.5, positive((3,), 13)),
    "uniform": (positive((2, 3), 14, 0.5, 1.5), (), 0.2, 2.0),
    "laplace": (rand((2, 3), 15) + 0.1, (), 0.0, positive((3,), 16)),
    "cauchy": (rand((2, 3), 17), (), rand((3,), 18), positive((3,), 19)),
    "lognorm": (positive((2, 3), 20, 1.0, 3.0), (positive((3,), 21),), 0.2, 1.3),
}


@pytest.mark.parametrize("name", GRAD_POINTS)
def test_logpdf_gradcheck_in_data_and_parameters(name):
    x, shapes, loc, scale = GRAD_POINTS[name]
    dist = getattr(cs, name)
    n = len(shapes)
    check_grads(lambda x_, *p: dist.logpdf(x_, *p[:n], loc=p[n], scale=p[n + 1]),
                x, *shapes, np.asarray(loc, float), np.asarray(scale, float))


@pytest.mark.parametrize("name", GRAD_POINTS)
def test_cdf_and_sf_gradcheck(name):
    x, shapes, loc, scale = GRAD_POINTS[name]
    dist = getattr(cs, name)
    n = len(shapes)
    # the shape derivatives of gammainc, betainc and stdtr are first order only
    order = 1 if name in ("t", "gamma", "beta") else 2
    for method in ("cdf", "sf", "logcdf"):
        fn = getattr(dist, method)
        check_grads(lambda x_, *p, fn=fn: fn(x_, *p[:n], loc=p[n], scale=p[n + 1]),
                    x, *shapes, np.asarray(loc, float), np.asarray(scale, float), order=order)


def test_discrete_gradcheck_in_parameters():
    k = np.array([0.0, 1.0, 3.0, 5.0])
    check_grads(lambda mu: cs.poisson.logpmf(k, mu), positive((4,), 1, 0.5, 4.0))
    check_grads(lambda p: cs.binom.logpmf(k, 6, p), positive((4,), 2, 0.1, 0.9))
    check_grads(lambda mu: cs.poisson.cdf(k, mu), positive((4,), 3, 0.5, 4.0))
    check_grads(lambda p: cs.binom.cdf(k, 6, p), positive((4,), 4, 0.1, 0.9))
    check_grads(lambda p: cs.binom.sf(k, 6, p), positive((4,), 5, 0.1, 0.9))


# the torch oracle: log_prob of torch.distributions
TORCH = {
    "norm": (lambda x, m, s: cs.norm.logpdf(x, m, s),
             lambda x, m, s: td.Normal(m, s).log_prob(x)),
    "t": (lambda x, df, m, s: cs.t.logpdf(x, df, m, s),
          lambda x, df, m, s: td.StudentT(df, m, s).log_prob(x)),
    "gamma": (lambda x, a, s: cs.gamma.logpdf(x, a, scale=s),
              lambda x, a, s: td.Gamma(a, 1 / s).log_prob(x)),
    "beta": (lambda x, a, b: cs.beta.logpdf(x, a, b),
             lambda x, a, b: td.Beta(a, b).log_prob(x)),
    "expon": (lambda x, s: cs.expon.logpdf(x, scale=s),
              lambda x, s: td.Exponential(1 / s).log_prob(x)),
    "laplace": (lambda x, m, s: cs.laplace.logpdf(x, m, s),
                lambda x, m, s: td.Laplace(m, s).log_prob(x)),
    "cauchy": (lambda x, m, s: cs.cauchy.logpdf(x, m, s),
               lambda x, m, s: td.Cauchy(m, s).log_prob(x)),
    "lognorm": (lambda x, sig, s: cs.lognorm.logpdf(x, sig, scale=s),
                lambda x, sig, s: td.LogNormal(torch.log(s), sig).log_prob(x)),
}
TORCH_ARGS = {
    "norm": (rand((2, 3), 1), rand((3,), 2), positive((3,), 3)),
    "t": (rand((2, 3), 4), positive((3,), 5, 1.0, 5.0), rand((3,), 6), positive((3,), 7)),
    "gamma": (positive((2, 3), 8), positive((3,), 9), positive((3,), 10)),
    "beta": (positive((2, 3), 11, 0.1, 0.9), positive((3,), 12), positive((3,), 13)),
    "expon": (positive((2, 3), 14), positive((3,), 15)),
    "laplace": (rand((2, 3), 16) + 0.05, rand((3,), 17) * 0.01, positive((3,), 18)),
    "cauchy": (rand((2, 3), 19), rand((3,), 20), positive((3,), 21)),
    "lognorm": (positive((2, 3), 22), positive((3,), 23), positive((3,), 24)),
}


@pytest.mark.parametrize("name", TORCH)
def test_logpdf_matches_torch_distributions(name):
    fn, tfn = TORCH[name]
    # torch's trigamma (in the second derivatives in the shape parameters) is accurate to about
    # 1e-9 only; SciPy's, which chainrule uses, to 1e-16 (checked against mpmath).
    assert_matches_torch(fn, tfn, *TORCH_ARGS[name], rtol=1e-8, atol=1e-10)


def test_discrete_and_dirichlet_match_torch():
    k = np.array([0.0, 2.0, 5.0])
    assert_matches_torch(lambda mu: cs.poisson.logpmf(k, mu),
                         lambda mu: td.Poisson(mu).log_prob(torch.tensor(k)),
                         positive((3,), 1), rtol=1e-10)
    assert_matches_torch(lambda p: cs.binom.logpmf(k, 7, p),
                         lambda p: td.Binomial(7, probs=p).log_prob(torch.tensor(k)),
                         positive((3,), 2, 0.1, 0.9), rtol=1e-10)
    x = np.array([[0.2, 0.5], [0.3, 0.1], [0.5, 0.4]])  # components along the first axis
    alpha = positive((3,), 3)
    assert_matches_torch(lambda x_, a: cs.dirichlet.logpdf(x_, a),
                         lambda x_, a: td.Dirichlet(a).log_prob(x_.T), x, alpha, rtol=1e-8)


def test_dirichlet_values_and_checks():
    alpha = np.array([1.0, 2.0, 3.0])
    x = np.array([[0.2, 0.3], [0.5, 0.1], [0.3, 0.6]])
    np.testing.assert_allclose(cs.dirichlet.logpdf(x, alpha), ss.dirichlet.logpdf(x, alpha),
                               rtol=1e-13)
    np.testing.assert_allclose(cs.dirichlet.pdf(x[:2], alpha), ss.dirichlet.pdf(x[:2], alpha),
                               rtol=1e-13)  # K - 1 components: the last is 1 - their sum
    np.testing.assert_allclose(cs.dirichlet(alpha).logpdf(x[:, 0]),
                               ss.dirichlet.logpdf(x[:, 0], alpha), rtol=1e-13)
    check_grads(lambda a: cs.dirichlet.logpdf(x, a), alpha)
    with pytest.raises(ValueError, match=r"dirichlet: x must have len\(alpha\) = 3 or 2 entries"):
        cs.dirichlet.logpdf(np.array([0.5, 0.25, 0.25, 0.0]), alpha)
    with pytest.raises(ValueError, match="dirichlet: every alpha must be > 0"):
        cs.dirichlet.logpdf(x, np.array([1.0, 0.0, 2.0]))
    with pytest.raises(ValueError, match="dirichlet: x must lie in the simplex"):
        cs.dirichlet.logpdf(np.array([0.5, 0.6, 0.1]), alpha)


# --- edges and errors --------------------------------------------------------------------------
def test_outside_the_support_value_minus_inf_and_gradient_zero():
    x = leaf(np.array([-1.0, 0.5, 2.0]))
    a, b = leaf(np.array(2.0)), leaf(np.array(3.0))
    lp = cs.beta.logpdf(x, a, b)
    np.testing.assert_array_equal(to_numpy(lp), ss.beta.logpdf([-1.0, 0.5, 2.0], 2.0, 3.0))
    for g in cr.grad(lp.sum(), [x, a, b]):
        assert np.all(np.isfinite(to_numpy(g)))
    (gx,) = cr.grad(cs.beta.logpdf(x, a, b).sum(), x)
    np.testing.assert_array_equal(to_numpy(gx)[[0, 2]], 0.0)
    for g in cr.grad(cs.beta.cdf(x, a, b)[[0, 2]].sum(), [x, a, b]):
        np.testing.assert_array_equal(to_numpy(g), 0.0)


def test_cdf_is_differentiable_in_the_shape_parameters():
    a = leaf(np.array([2.0, 0.7]))
    x = np.array([1.5, 0.2])
    (g,) = cr.grad(cs.gamma.cdf(x, a).sum(), a)
    h = 1e-6
    num = (ss.gamma.cdf(x, a._data + h) - ss.gamma.cdf(x, a._data - h)) / (2 * h)
    np.testing.assert_allclose(to_numpy(g), num, rtol=1e-7)


def test_parameter_errors():
    with pytest.raises(TypeError, match="gamma.logpdf: missing shape parameter"):
        cs.gamma.logpdf(1.0)
    with pytest.raises(TypeError, match="norm.logpdf: unexpected parameter 'sigma'"):
        cs.norm.logpdf(1.0, sigma=2.0)
    with pytest.raises(TypeError, match="norm.cdf: takes 2 parameters"):
        cs.norm.cdf(1.0, 0.0, 1.0, 3.0)
    with pytest.raises(TypeError, match="norm.logpdf: parameter 'loc' given twice"):
        cs.norm.logpdf(1.0, 0.0, loc=1.0)


def test_other_methods_go_to_scipy_for_arrays_only():
    np.testing.assert_allclose(cs.gamma.mean(2.0, scale=3.0), 6.0)
    assert cs.norm.rvs(size=3, random_state=0).shape == (3,)
    with pytest.raises(TypeError, match="norm.entropy is not differentiable in chainrule"):
        cs.norm.entropy(scale=cr.tensor(2.0, requires_grad=True))


def test_multivariate_normal_is_exported():
    assert hasattr(cs, "multivariate_normal")
