"""chainrule.scipy.special's j0, j1, jn, y0, y1, yn, rgamma and gammasgn: SciPy's values (its own
kernels for arrays; to rounding for tensors, which are composed from jv, yv and gammaln),
derivatives by finite differences (first and second order, both modes), the closed forms
J0' = -J1, J1' = J0 - J1 / x, Y likewise, against mpmath where they have none, and torch's values
(torch.special has the Bessel functions without gradients)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.special as sc
import torch
from tests.helpers import check_grads, leaf, to_numpy

import chainrule as cr
from chainrule.scipy import special as S

X = np.array([0.3, 1.7, 4.0, 9.5])


@pytest.mark.parametrize("name", ["j0", "j1", "y0", "y1"])
def test_values(name):
    ours, theirs = getattr(S, name), getattr(sc, name)
    np.testing.assert_array_equal(ours(X), theirs(X))  # arrays: SciPy's own kernel
    np.testing.assert_allclose(to_numpy(ours(cr.tensor(X))), theirs(X), rtol=1e-13, atol=1e-15)
    torch_fn = getattr(torch.special, "bessel_" + name)
    np.testing.assert_allclose(to_numpy(ours(cr.tensor(X))), torch_fn(torch.tensor(X)).numpy(),
                               rtol=1e-8, atol=1e-9)  # torch's approximations: about 1e-9


def test_integer_orders():
    n = np.array([0, 1, 2, 5])
    np.testing.assert_allclose(to_numpy(S.jn(n, cr.tensor(X))), sc.jn(n, X), rtol=1e-13)
    np.testing.assert_allclose(to_numpy(S.yn(n, cr.tensor(X))), sc.yn(n, X), rtol=1e-12)
    np.testing.assert_array_equal(S.yn(n, X), sc.yn(n, X))
    assert S.jn is S.jv  # SciPy's jn is jv itself


@pytest.mark.parametrize("fn", [S.j0, S.j1, S.y0, S.y1, lambda x: S.jn(3, x),
                                lambda x: S.yn(2, x)],
                         ids=["j0", "j1", "y0", "y1", "jn3", "yn2"])
def test_gradients(fn):
    check_grads(fn, X)


def test_closed_form_derivatives():
    x = leaf(X)
    (g0,) = cr.grad(S.j0(x).sum(), [x])
    np.testing.assert_allclose(to_numpy(g0), -sc.j1(X), rtol=1e-12)
    x = leaf(X)
    (g1,) = cr.grad(S.j1(x).sum(), [x])
    np.testing.assert_allclose(to_numpy(g1), sc.j0(X) - sc.j1(X) / X, rtol=1e-12, atol=1e-15)
    x = leaf(X)
    (gy,) = cr.grad(S.y1(x).sum(), [x])
    np.testing.assert_allclose(to_numpy(gy), sc.y0(X) - sc.y1(X) / X, rtol=1e-12)
    x = leaf(np.array([0.0]))  # J1'(0) = 1/2: the recurrence has no 0/0
    (g,) = cr.grad(S.j1(x).sum(), [x])
    assert float(to_numpy(g)[0]) == pytest.approx(0.5, abs=1e-15)


def test_yn_order_has_no_derivative():
    n = cr.tensor(2.0, requires_grad=True)
    with pytest.raises(TypeError, match="^yn: the order n is an integer and has no derivative"):
        S.yn(n, cr.tensor(X))
    # a constant tensor order is fine, truncated as SciPy does
    np.testing.assert_allclose(to_numpy(S.yn(cr.tensor(2.0), cr.tensor(X))), sc.yn(2, X))


R = np.array([0.3, -1.7, 2.5, 7.0, -0.5, 120.0])
POLES = np.array([0.0, -1.0, -2.0, -5.0])


def test_rgamma_values():
    np.testing.assert_array_equal(S.rgamma(R), sc.rgamma(R))
    got = to_numpy(S.rgamma(cr.tensor(np.concatenate([R, POLES, [-180.5, 171.0]]))))
    want = sc.rgamma(np.concatenate([R, POLES, [-180.5, 171.0]]))
    np.testing.assert_allclose(got, want, rtol=1e-12)  # exp(-gammaln) where gamma overflows
    assert np.all(got[len(R):len(R) + len(POLES)] == 0)


def test_rgamma_derivatives():
    check_grads(S.rgamma, R)
    for order in (1, 2, 3):  # at the poles, and elsewhere, against mpmath
        xs = np.concatenate([R[:5], POLES])
        x = leaf(xs)
        g = S.rgamma(x).sum()
        for _ in range(order):
            (g,) = cr.grad(g.sum(), [x], create_graph=True)
        want = [float(mpmath.diff(mpmath.rgamma, mpmath.mpf(float(v)), order)) for v in xs]
        np.testing.assert_allclose(to_numpy(g), want, rtol=1e-10, atol=1e-12)


def test_gammasgn():
    xs = np.array([0.5, -0.5, -1.5, -2.5, 3.0, -1.0, 0.0])
    np.testing.assert_array_equal(S.gammasgn(xs), sc.gammasgn(xs))
    x = leaf(xs)
    y = S.gammasgn(x)
    np.testing.assert_array_equal(to_numpy(y), sc.gammasgn(xs))
    assert y.requires_grad
    (g,) = cr.grad(y.sum(), [x])
    np.testing.assert_array_equal(to_numpy(g), np.zeros(len(xs)))
    check_grads(S.gammasgn, xs[:5])
