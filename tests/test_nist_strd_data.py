"""The NIST StRD problems kept as test data (tests/data/nist_strd) and their models in
tools/nist_strd.py: each model, written with chainrule.numpy, reproduces NIST's certified
residual sum of squares at the certified parameters, so the data were read and the models
transcribed right; and its Jacobian by AD agrees with finite differences there."""

from __future__ import annotations

import numpy as onp
import pytest
from tools import nist_strd

import chainrule as cr


@pytest.mark.parametrize("name", nist_strd.names())
def test_model_reproduces_the_certified_residual_sum_of_squares(name):
    p = nist_strd.load(name)
    assert len(p.starts) == 2 and all(s.shape == p.certified.shape for s in p.starts)
    rss = float(onp.sum(onp.asarray(p.residuals(p.certified)) ** 2))
    if p.certified_rss < 1e-20:  # Lanczos1: exact data, the RSS is rounding
        assert rss < 1e-20
    else:
        assert rss == pytest.approx(p.certified_rss, rel=1e-9)


@pytest.mark.parametrize("name", ["Misra1a", "Thurber", "ENSO", "Nelson", "MGH10"])
def test_ad_jacobian_agrees_with_finite_differences(name):
    p = nist_strd.load(name)
    b = p.certified
    J = onp.asarray(cr.jacobian(p.residuals)(b))
    assert J.shape == (p.y.size, b.size)
    for k in range(b.size):
        h = 1e-6 * max(abs(b[k]), 1e-3)
        e = onp.zeros_like(b)
        e[k] = h
        fd = (onp.asarray(p.residuals(b + e)) - onp.asarray(p.residuals(b - e))) / (2 * h)
        onp.testing.assert_allclose(J[:, k], fd, rtol=1e-5, atol=1e-7 * onp.abs(fd).max())


def test_lre_counts_agreeing_digits():
    assert nist_strd.lre([1.0, 2.0], [1.0, 2.0]) == 11.0
    assert nist_strd.lre([1.001], [1.0]) == pytest.approx(3.0)
    assert nist_strd.lre([5.0, 2.0], [1.0, 2.0]) == 0.0  # worse than the value itself
