"""chainrule.scipy.stats.chi2: SciPy's values (every method, loc and scale, frozen form, the edge
at 0 for df below, at and above 2), gradients in the data, df, loc and scale by finite
differences (first and second order, both modes) and against torch.distributions.Chi2."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as ss
import torch
import torch.distributions as td
from tests.helpers import assert_matches_torch, check_grads, leaf, to_numpy

import chainrule as cr
from chainrule.scipy import stats as cs

X = np.array([-1.0, 0.0, 0.3, 1.5, 4.0, 9.0])
METHODS = ["logpdf", "pdf", "cdf", "sf", "logcdf", "logsf"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("df", [1.0, 2.0, 3.5])
def test_values_are_scipys(method, df):
    want = getattr(ss.chi2, method)(X, df, 0.2, 1.5)
    with np.errstate(divide="ignore"):
        got = getattr(cs.chi2, method)(X, df, 0.2, 1.5)
        kw = getattr(cs.chi2, method)(cr.tensor(X), df=cr.tensor(df), loc=0.2, scale=1.5)
        frozen = getattr(cs.chi2(df, loc=0.2, scale=1.5), method)(X)
        plain = getattr(cs.chi2, method)(list(X), df)
    for out in (got, to_numpy(kw), frozen):
        np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(plain, getattr(ss.chi2, method)(X, df), rtol=1e-12, atol=1e-300)


def test_edges():
    with np.errstate(divide="ignore"):
        assert cs.chi2.logpdf(0.0, 1.0) == np.inf == ss.chi2.logpdf(0.0, 1.0)
        assert cs.chi2.logpdf(-0.5, 3.0) == -np.inf
        assert np.isnan(cs.chi2.logpdf(1.0, -1.0)) and np.isnan(ss.chi2.logpdf(1.0, -1.0))
    x = leaf(np.array([-0.5, 0.0]))
    (g,) = cr.grad(cs.chi2.pdf(x, 3.0).sum(), [x])  # outside the support, and a zero density
    np.testing.assert_array_equal(to_numpy(g), [0.0, 0.0])
    with pytest.raises(NotImplementedError, match="^chi2.ppf: the quantile function is not "
                                                  "provided"):
        cs.chi2.ppf(0.5, 3.0)


@pytest.mark.parametrize("method", METHODS)
def test_gradients(method):
    x = np.array([0.3, 1.5, 4.0])
    check_grads(lambda x, df, loc, scale: getattr(cs.chi2, method)(x, df, loc, scale),
                x, 3.5, 0.1, 1.3)


def test_matches_torch():
    x = np.array([0.3, 1.5, 4.0, 9.0])
    assert_matches_torch(lambda x, df: cs.chi2.logpdf(x, df),
                         lambda x, df: td.Chi2(df).log_prob(x), x, 3.5, rtol=1e-10)
    assert_matches_torch(lambda x, df: cs.chi2.logpdf(x, df),
                         lambda x, df: td.Gamma(df / 2, torch.tensor(0.5, dtype=df.dtype))
                         .log_prob(x), x, 1.5, rtol=1e-10)
