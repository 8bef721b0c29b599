"""chainrule.scipy.special: SciPy's values, derivatives of every order where they exist (gradcheck,
PyTorch, mpmath for the shape derivatives with no closed form), the errors for derivatives that
are not provided, SciPy's signatures (logsumexp, softmax), and SciPy staying optional."""

from __future__ import annotations

import subprocess
import sys

import mpmath  # the high-precision reference (in the test extra)
import numpy as np
import pytest
import scipy.special as ss
import torch
from tests.helpers import (
    assert_matches_torch,
    check_grads,
    leaf,
    positive,
    rand,
    to_numpy,
)

import chainrule as cr
from chainrule.primitives import special as ps
from chainrule.primitives._core import apply
from chainrule.scipy import special as sp

DOM = {
    "any": rand,
    "positive": positive,
    "unit": lambda s, seed=0: positive(s, seed, 0.1, 0.9),
    "erfc": lambda s, seed=0: positive(s, seed, 0.1, 1.9),
    "wide": lambda s, seed=0: rand(s, seed, -6.0, 4.0),
    "nz": lambda s, seed=0: rand(s, seed, 0.3, 2.0) * np.where(rand(s, seed + 9) > 0, 1, -1),
}

# name: (domain, torch function or None)
UNARY = {
    "gamma": ("positive", None),
    "gammaln": ("positive", torch.special.gammaln),
    "loggamma": ("positive", None),
    "digamma": ("positive", torch.special.digamma),
    "psi": ("positive", torch.special.psi),
    "erf": ("any", torch.special.erf),
    "erfc": ("any", torch.special.erfc),
    "erfinv": ("unit", torch.special.erfinv),
    "erfcinv": ("erfc", None),
    "erfcx": ("any", torch.special.erfcx),
    "ndtr": ("any", torch.special.ndtr),
    "log_ndtr": ("wide", torch.special.log_ndtr),
    "ndtri": ("unit", torch.special.ndtri),
    "expit": ("any", torch.special.expit),
    "logit": ("unit", torch.special.logit),
    "log_expit": ("any", None),
    "entr": ("positive", torch.special.entr),
    "i0": ("any", torch.special.i0),
    "i0e": ("nz", torch.special.i0e),
    "i1": ("any", torch.special.i1),
    "i1e": ("nz", torch.special.i1e),
    "softplus": ("any", torch.nn.functional.softplus),
}

# name: (domain of x1, domain of x2, torch function or None)
BINARY = {
    "xlogy": ("any", "positive", torch.special.xlogy),
    "xlog1py": ("any", "positive", torch.special.xlog1py),
    "rel_entr": ("positive", "positive", None),
    "kl_div": ("positive", "positive", None),
    "beta": ("positive", "positive", None),
    "betaln": ("positive", "positive", None),
}


@pytest.mark.parametrize("name", [*UNARY, *BINARY])
def test_values_are_scipys(name):
    fn, ref = getattr(sp, name), getattr(ss, name)
    if name in UNARY:
        args = (DOM[UNARY[name][0]]((3, 4), seed=2),)
    else:
        args = (DOM[BINARY[name][0]]((3, 4), seed=2), DOM[BINARY[name][1]]((4,), seed=3))
    out = fn(*args)
    assert type(out) is np.ndarray
    np.testing.assert_allclose(out, ref(*args), rtol=2e-16 if name != "expit" else 1e-15)
    t = fn(*(cr.tensor(a) for a in args))
    assert isinstance(t, cr.Tensor)
    np.testing.assert_allclose(to_numpy(t), ref(*args), rtol=2e-16 if name != "expit" else 1e-15)


@pytest.mark.parametrize("shape", [(), (2, 3), (0,)], ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_gradcheck(name, shape):
    check_grads(getattr(sp, name), DOM[UNARY[name][0]](shape, seed=len(name)))


@pytest.mark.parametrize("name", [n for n in UNARY if UNARY[n][1] is not None])
def test_unary_matches_torch(name):
    assert_matches_torch(getattr(sp, name), UNARY[name][1], DOM[UNARY[name][0]]((2, 3), seed=4),
                         rtol=1e-8)


@pytest.mark.parametrize("shapes", [((2, 3), (3,)), ((), (2, 1)), ((0, 3), (3,))], ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_gradcheck(name, shapes):
    d1, d2, _ = BINARY[name]
    check_grads(getattr(sp, name), DOM[d1](shapes[0], seed=1), DOM[d2](shapes[1], seed=2))


@pytest.mark.parametrize("name", [n for n in BINARY if BINARY[n][2] is not None])
def test_binary_matches_torch(name):
    d1, d2, tfn = BINARY[name]
    x = DOM[d1]((2, 3), seed=5)
    x[0, 0] = 0.0  # xlogy(0, y): derivative in x is 0 there (PyTorch)
    assert_matches_torch(getattr(sp, name), tfn, x, DOM[d2]((3,), seed=6))


def test_polygamma_and_zeta_in_x_and_q():
    n = np.array([[0], [1], [3]])
    x = positive((4,), 1)
    np.testing.assert_array_equal(sp.polygamma(n, x), ss.polygamma(n, x))
    check_grads(lambda t: sp.polygamma(n, t), x)
    assert_matches_torch(lambda t: sp.polygamma(2, t), lambda t: torch.special.polygamma(2, t), x)
    s = np.array([2.0, 3.5, 5.0])
    q = positive((3,), 2)
    np.testing.assert_array_equal(sp.zeta(s, q), ss.zeta(s, q))
    np.testing.assert_array_equal(sp.zeta(np.array([-1.5, 0.5, 2.0])),
                                  ss.zeta(np.array([-1.5, 0.5, 2.0])))
    check_grads(lambda t: sp.zeta(s, t), q)
    assert_matches_torch(lambda t: sp.zeta(s, t), lambda t: torch.special.zeta(
        torch.tensor(s), t), q)


def test_multigammaln():
    a = positive((2, 3), 3, 2.0, 4.0)
    np.testing.assert_allclose(sp.multigammaln(a, 3), ss.multigammaln(a, 3), rtol=1e-15)
    check_grads(lambda t: sp.multigammaln(t, 3), a)
    assert_matches_torch(lambda t: sp.multigammaln(t, 3),
                         lambda t: torch.special.multigammaln(t, 3), a)
    with pytest.raises(ValueError, match=r"multigammaln: every a must be > \(d - 1\) / 2 = 1.0"):
        sp.multigammaln(np.array([0.5, 3.0]), 3)
    with pytest.raises(ValueError, match="multigammaln: d must be a positive integer"):
        sp.multigammaln(a, 0)


def test_log_ndtr_gradient_is_stable_in_both_tails():
    x = leaf(np.array([-40.0, -10.0, 0.0, 10.0, 40.0]))
    (g,) = cr.grad(sp.log_ndtr(x).sum(), x)
    ref = np.array([float(mpmath.npdf(v) / mpmath.ncdf(v)) for v in [-40, -10, 0, 10, 40]])
    np.testing.assert_allclose(to_numpy(g), ref, rtol=1e-12)


def test_i1_derivatives_at_zero_are_exact():
    x = leaf(np.array([0.0]))
    (g,) = cr.grad(sp.i1(x).sum(), x, create_graph=True)
    (h,) = cr.grad(g.sum(), x, create_graph=True)
    (k,) = cr.grad(h.sum(), x)
    np.testing.assert_allclose([to_numpy(g)[0], to_numpy(h)[0], to_numpy(k)[0]],
                               [0.5, 0.0, 0.375])  # I1 = x/2 + x^3/16 + ...


# --- Bessel functions of real order -------------------------------------------------------
@pytest.mark.parametrize("name", ["jv", "yv", "iv", "kv", "ive", "kve"])
def test_bessel_in_x(name):
    v = np.array([[0.0], [1.5], [-0.7]])
    x = positive((4,), 3, 0.5, 4.0)
    fn = getattr(sp, name)
    np.testing.assert_array_equal(fn(v, x), getattr(ss, name)(v, x))
    check_grads(lambda t: fn(v, t), x)


@pytest.mark.parametrize("name", ["kv", "kve"])
def test_kv_derivative_in_the_order_matches_mpmath(name):
    pts = [(0.5, 1.0), (1.5, 0.2), (-2.3, 3.0), (10.0, 1.0), (0.1, 50.0), (30.0, 5.0),
           (0.3, 1e-3), (100.0, 20.0), (0.0, 2.0)]
    v, x = (np.array(c) for c in zip(*pts))
    tv = leaf(v)
    (g,) = cr.grad(getattr(sp, name)(tv, x).sum(), tv)
    mpmath.mp.dps = 30
    ref = [float(mpmath.diff(lambda s, xi=xi: mpmath.besselk(s, xi), vi)
                 * (mpmath.exp(xi) if name == "kve" else 1)) for vi, xi in pts]
    np.testing.assert_allclose(to_numpy(g), ref, rtol=1e-13, atol=1e-300)
    fn = getattr(sp, name)
    check_grads(fn, rand((2, 1), 1), positive((3,), 2, 0.5, 3.0), order=1)
    # the mixed derivative d2/dv dx is closed form too: gradcheck d/dv as a function of x
    vv = rand((3,), 3)

    def d_dv(t):
        tv = leaf(vv)
        return cr.grad(fn(tv, t).sum(), tv, create_graph=True)[0]

    check_grads(d_dv, positive((3,), 4), order=1)


IV_POINTS = [(0.5, 1.0), (1.5, 0.2), (2.5, 7.0), (10.0, 1.0), (0.1, 50.0), (30.0, 5.0),
             (0.3, 1e-3), (100.0, 20.0), (0.0, 2.0), (1e-3, 30.0), (0.7, 300.0), (5.0, 1500.0),
             (-0.7, 3.0), (-2.0, 1.5), (-10.3, 4.0), (-0.2, 60.0)]


@pytest.mark.parametrize("name", ["iv", "ive"])
def test_iv_derivative_in_the_order_matches_mpmath(name):
    v, x = (np.array(c) for c in zip(*IV_POINTS))
    tv = leaf(v)
    (g,) = cr.grad(getattr(sp, name)(tv, x).sum(), tv)
    mpmath.mp.dps = 40

    def ref(vi, xi):
        if vi == 0:  # d/dv I_v at v = 0 is -K_0(x), far below I_0(x): no difference quotient
            d = -mpmath.besselk(0, xi)
        else:
            d = mpmath.diff(lambda s: mpmath.besseli(s, xi), vi)
        return float(d * (mpmath.exp(-xi) if name == "ive" else 1))

    want = [ref(vi, xi) for vi, xi in IV_POINTS]
    got = to_numpy(g)
    big = np.abs(want) > 1e300  # iv(5, 1500) overflows, as SciPy's iv does
    np.testing.assert_allclose(got[~big], np.array(want)[~big], rtol=2e-13, atol=0)
    assert name == "iv" or not big.any()
    # x = 0: I_v(0) = 0 for v > 0, derivative 0; x < 0: not real (nan)
    tv = leaf(np.array([1.5, 0.5]))
    (g,) = cr.grad(getattr(sp, name)(tv, np.array([0.0, -1.0])).sum(), tv)
    np.testing.assert_array_equal(to_numpy(g), [0.0, np.nan])


JY_POINTS = [(0.0, 1.0), (0.3, 1e-3), (0.5, 7.0), (1.0, 40.0), (2.5, 0.1), (7.0, 5.0),
             (20.0, 2.0), (20.0, 60.0), (50.0, 20.0), (50.0, 40.0), (100.0, 300.0), (3.0, 1500.0),
             (-0.5, 2.0), (-1.0, 10.0), (-2.5, 0.5), (-7.3, 30.0), (-20.5, 5.0)]


@pytest.mark.parametrize("name", ["jv", "yv"])
def test_jv_yv_derivative_in_the_order_matches_mpmath(name):
    v, x = (np.array(c) for c in zip(*JY_POINTS))
    tv = leaf(v)
    (g,) = cr.grad(getattr(sp, name)(tv, x).sum(), tv)
    mpmath.mp.dps = 40
    f = mpmath.besselj if name == "jv" else mpmath.bessely
    want = np.array([float(mpmath.diff(lambda s, xi=xi: f(s, xi), vi)) for vi, xi in JY_POINTS])
    # error relative to the local size of the oscillation: |dF/dv| + |F_v| + |F_{v+1}|
    size = np.abs(want) + np.abs(getattr(ss, name)(v, x)) + np.abs(getattr(ss, name)(v + 1, x))
    assert np.all(np.abs(to_numpy(g) - want) <= 1e-12 * size)
    np.testing.assert_allclose(to_numpy(g), want, rtol=1e-9)
    tv = leaf(np.array([1.5]))
    (g,) = cr.grad(sp.jv(tv, 0.0).sum(), tv)  # J_v(0) = 0 for v > 0
    np.testing.assert_array_equal(to_numpy(g), [0.0])


BESSEL = ["kv", "kve", "iv", "ive", "jv", "yv"]


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_second_derivative_in_the_order_matches_mpmath(name):
    pts = [(0.5, 1.0), (2.5, 7.0), (0.0, 2.0), (0.2, 40.0), (10.0, 3.0), (-0.7, 3.0),
           (-2.0, 1.5), (-7.3, 12.0)]
    v, x = (np.array(c) for c in zip(*pts))
    fn = getattr(sp, name)
    tv = leaf(v)
    (g,) = cr.grad(fn(tv, x).sum(), tv, create_graph=True)
    (h,) = cr.grad(g.sum(), tv)
    mpmath.mp.dps = 40
    base = {"k": mpmath.besselk, "i": mpmath.besseli, "j": mpmath.besselj,
            "y": mpmath.bessely}[name[0]]
    scale = {"kve": mpmath.exp, "ive": lambda t: mpmath.exp(-t)}.get(name, lambda t: 1)
    want = np.array([float(mpmath.diff(lambda s, xi=xi: base(s, xi), vi, 2) * scale(xi))
                     for vi, xi in pts])
    np.testing.assert_allclose(to_numpy(h), want, rtol=1e-12)


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_order_gradcheck_second_order_and_mixed(name):
    fn = getattr(sp, name)
    check_grads(fn, np.array([[-1.3], [0.2], [2.5]]), positive((3,), 2, 0.5, 6.0))
    vv = np.array([-0.6, 0.3, 1.7])

    def d_dv(t):  # d2/dv dx to the third order in x (both modes)
        tv = leaf(vv)
        return cr.grad(fn(tv, t).sum(), tv, create_graph=True)[0]

    check_grads(d_dv, positive((3,), 4, 0.5, 6.0))
    # the third derivative in the order is not provided
    tv = leaf(np.array([0.7]))
    (g,) = cr.grad(fn(tv, 1.5).sum(), tv, create_graph=True)
    (h,) = cr.grad(g.sum(), tv, create_graph=True)
    with pytest.raises(NotImplementedError, match=f"{name}: the derivative of order 3 with "
                                                  "respect to the order v is not provided"):
        cr.grad(h.sum(), tv)


def test_jv_order_derivative_raises_where_not_accurate():
    """For large v and 0.3 v < x < v (J_v(x) exponentially small, the series ill-conditioned)
    no method is accurate: the derivative raises, naming the point, rather than be wrong."""
    tv = leaf(np.array([0.5, 100.0]))
    y = sp.jv(tv, np.array([1.0, 60.0]))
    with pytest.raises(NotImplementedError, match=r"jv: the derivative with respect to the "
                                                  r"order v is not provided at v = 100, x = 60"):
        cr.grad(y.sum(), tv)
    with pytest.raises(NotImplementedError, match=r"yv: the derivative with respect to the "
                                                  r"order v is provided for \|v\| \+ x <= 2000"):
        cr.grad(sp.yv(tv, 1950.0).sum(), tv)


# --- the shape derivatives with no closed form ------------------------------------------------
def _mp_diff(f, at):
    mpmath.mp.dps = 30
    return float(mpmath.diff(f, at))


GAMMA_POINTS = [(0.1, 0.05), (0.5, 2.0), (1.0, 1.0), (3.0, 10.0), (10.0, 9.0), (50.0, 60.0),
                (0.01, 3.0), (1.5, 30.0), (200.0, 210.0), (30.0, 1.5), (5.0, 1e-3)]


def test_gammainc_derivative_in_a_matches_mpmath():
    a, x = (np.array(c) for c in zip(*GAMMA_POINTS))
    ta = leaf(a)
    (ga,) = cr.grad(sp.gammainc(ta, x).sum(), ta)
    ta = leaf(a)
    (gc,) = cr.grad(sp.gammaincc(ta, x).sum(), ta)
    ref = np.array([_mp_diff(lambda s, xi=xi: mpmath.gammainc(s, 0, xi, regularized=True), ai)
                    for ai, xi in GAMMA_POINTS])
    np.testing.assert_allclose(to_numpy(ga), ref, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(gc), -ref, rtol=1e-12)
    # edges: x = 0 and x = inf have derivative 0 in a
    ta = leaf(np.array([2.0, 2.0]))
    (g0,) = cr.grad(sp.gammainc(ta, np.array([0.0, np.inf])).sum(), ta)
    np.testing.assert_array_equal(to_numpy(g0), [0.0, 0.0])


def _mp_diff_n(f, at, n):
    mpmath.mp.dps = 40
    return float(mpmath.diff(f, at, n))


def _mp_gammainc(ai, xi):
    # P near 1 loses its derivatives in a to cancellation: take them from Q = 1 - P there
    if xi <= 1 or xi <= ai:
        return lambda s: mpmath.gammainc(s, 0, xi, regularized=True)
    return lambda s: -mpmath.gammainc(s, xi, mpmath.inf, regularized=True)


def test_gammainc_higher_derivatives_in_a_match_mpmath():
    """d2/da2 by reverse over reverse and forward over reverse, d3/da3 and d4/da4 by the
    primitive, against mpmath (including x where P is within 1e-44 of 1)."""
    pts = GAMMA_POINTS + [(0.3, 100.0), (1000.0, 990.0)]
    a, x = (np.array(c) for c in zip(*pts))
    ta = leaf(a)
    (g,) = cr.grad(sp.gammainc(ta, x).sum(), ta, create_graph=True)
    (h,) = cr.grad(g.sum(), ta)
    want = np.array([_mp_diff_n(_mp_gammainc(ai, xi), ai, 2) for ai, xi in pts])
    np.testing.assert_allclose(to_numpy(h), want, rtol=1e-12)
    _, hv = cr.hvp(lambda t: sp.gammaincc(t, x).sum(), (a,), (np.ones_like(a),))
    np.testing.assert_allclose(to_numpy(hv), -want, rtol=1e-12)
    for n in (3, 4):
        want = [_mp_diff_n(_mp_gammainc(ai, xi), ai, n) for ai, xi in pts]
        np.testing.assert_allclose(ps.gammainc_da(a, x, n), want, rtol=1e-11)


def test_gammainc_second_order_gradcheck_both_modes():
    check_grads(sp.gammainc, positive((2, 1), 1, 0.3, 5.0), positive((3,), 2, 0.1, 8.0))
    check_grads(sp.gammaincc, positive((3,), 3, 0.3, 5.0), positive((3,), 4, 0.1, 8.0))


BETA_POINTS = [(0.5, 0.5, 0.3), (2.0, 3.0, 0.2), (2.0, 3.0, 0.8), (10, 20, 0.33),
               (0.1, 5.0, 0.01), (5, 0.1, 0.99), (50, 60, 0.45), (1, 1, 0.5), (3.5, 1.2, 0.6),
               (200, 300, 0.41), (0.5, 20, 0.9)]


def test_betainc_derivatives_in_a_and_b_match_mpmath():
    a, b, x = (np.array(c, dtype=float) for c in zip(*BETA_POINTS))
    ta, tb = leaf(a), leaf(b)
    ga, gb = cr.grad(sp.betainc(ta, tb, x).sum(), [ta, tb])
    ref_a = [_mp_diff(lambda s, bi=bi, xi=xi: mpmath.betainc(s, bi, 0, xi, regularized=True), ai)
             for ai, bi, xi in BETA_POINTS]
    ref_b = [_mp_diff(lambda s, ai=ai, xi=xi: mpmath.betainc(ai, s, 0, xi, regularized=True), bi)
             for ai, bi, xi in BETA_POINTS]
    np.testing.assert_allclose(to_numpy(ga), ref_a, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(gb), ref_b, rtol=1e-12)
    ta, tb = leaf(a), leaf(b)
    ga_c, gb_c = cr.grad(sp.betaincc(ta, tb, x).sum(), [ta, tb])
    np.testing.assert_allclose(to_numpy(ga_c), -np.array(ref_a), rtol=1e-12)


def test_betainc_second_derivatives_in_a_and_b_match_mpmath():
    pts = [(0.5, 0.5, 0.3), (2.0, 3.0, 0.8), (10, 20, 0.33), (0.1, 5.0, 0.01), (3.5, 1.2, 0.6),
           (200, 300, 0.41), (0.5, 20, 0.9)]
    a, b, x = (np.array(c, dtype=float) for c in zip(*pts))
    ta, tb = leaf(a), leaf(b)
    ga, gb = cr.grad(sp.betainc(ta, tb, x).sum(), [ta, tb], create_graph=True)
    haa, hab = cr.grad(ga.sum(), [ta, tb])
    hba, hbb = cr.grad(gb.sum(), [ta, tb])
    mpmath.mp.dps = 40

    def ref(i, j):
        out = []
        for ai, bi, xi in pts:
            if xi * (ai + bi + 2) < ai + 1:
                f, sgn = (lambda s, u, xi=xi: mpmath.betainc(s, u, 0, xi, regularized=True)), 1
            else:  # from the complement, where I is near 1
                f, sgn = (lambda s, u, xi=xi: mpmath.betainc(s, u, xi, 1, regularized=True)), -1
            out.append(sgn * float(mpmath.diff(f, (ai, bi), (i, j))))
        return np.array(out)

    np.testing.assert_allclose(to_numpy(haa), ref(2, 0), rtol=1e-11)
    np.testing.assert_allclose(to_numpy(hbb), ref(0, 2), rtol=1e-11)
    r11 = ref(1, 1)
    np.testing.assert_allclose(to_numpy(hab), r11, rtol=1e-11)
    np.testing.assert_allclose(to_numpy(hba), r11, rtol=1e-11)
    ta, tb = leaf(a), leaf(b)
    (gc,) = cr.grad(sp.betaincc(ta, tb, x).sum(), ta, create_graph=True)
    (hc,) = cr.grad(gc.sum(), tb)
    np.testing.assert_allclose(to_numpy(hc), -r11, rtol=1e-11)


def test_shape_derivatives_second_order_gradcheck_both_modes():
    a, b, x = positive((2, 1), 3, 0.5, 3.0), positive((3,), 4, 0.5, 3.0), positive((2, 3), 5,
                                                                                    0.1, 0.9)
    check_grads(sp.betainc, a, b, x)
    check_grads(sp.betaincc, a[:1], b, x[:1])
    check_grads(sp.stdtr, positive((2, 1), 6, 1.0, 6.0), rand((3,), 7, -3.0, 3.0))


def test_shape_derivatives_first_order_gradcheck_both_modes():
    a, x = positive((2, 3), 1, 0.5, 3.0), positive((3,), 2, 0.2, 4.0)
    check_grads(sp.gammainc, a, x, order=1)
    check_grads(sp.gammaincc, a, x, order=1)
    a, b, x = positive((2, 1), 3, 0.5, 3.0), positive((3,), 4, 0.5, 3.0), positive((2, 3), 5,
                                                                                    0.1, 0.9)
    check_grads(sp.betainc, a, b, x, order=1)
    check_grads(sp.stdtr, positive((2, 1), 6, 1.0, 6.0), rand((3,), 7, -3.0, 3.0), order=1)


def test_mixed_second_derivatives_in_shape_and_x():
    """d/dx of d/da gammainc (and of d/da, d/db betainc) is closed form: check it against
    central differences of the first derivative."""
    def da_gammainc(a, x):
        ta = leaf(a)
        return to_numpy(cr.grad(sp.gammainc(ta, cr.tensor(x)).sum(), ta)[0])

    a, x, h = np.array([0.7, 3.0]), np.array([0.5, 4.0]), 1e-6
    ta, tx = leaf(a), leaf(x)
    (ga,) = cr.grad(sp.gammainc(ta, tx).sum(), ta, create_graph=True)
    (gx,) = cr.grad(ga.sum(), tx)
    num = (da_gammainc(a, x + h) - da_gammainc(a, x - h)) / (2 * h)
    np.testing.assert_allclose(to_numpy(gx), num, rtol=1e-6)
    b = np.array([1.3, 2.0])
    xb = np.array([0.3, 0.6])
    ta, tb, tx = leaf(a), leaf(b), leaf(xb)
    ga, gb = cr.grad(sp.betainc(ta, tb, tx).sum(), [ta, tb], create_graph=True)
    (gxa,) = cr.grad(ga.sum(), tx)
    (gxb,) = cr.grad(gb.sum(), tx)

    def dab(xv):
        ta, tb = leaf(a), leaf(b)
        return [to_numpy(g) for g in cr.grad(sp.betainc(ta, tb, xv).sum(), [ta, tb])]

    num_a, num_b = ((p - m) / (2 * h) for p, m in zip(dab(xb + h), dab(xb - h)))
    np.testing.assert_allclose(to_numpy(gxa), num_a, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(gxb), num_b, rtol=1e-6)


def test_stdtr_derivative_in_df_matches_mpmath():
    df = np.array([1.0, 3.0, 10.0, 3.0])
    t = np.array([0.7, -2.0, 1.5, 0.0])
    tdf = leaf(df)
    (g,) = cr.grad(sp.stdtr(tdf, t).sum(), tdf)

    def cdf(nu, tv):
        nu, tv = mpmath.mpf(nu), mpmath.mpf(tv)
        z = nu / (nu + tv * tv)
        half = mpmath.betainc(nu / 2, 0.5, 0, z, regularized=True) / 2
        return 1 - half if tv > 0 else half

    ref = [_mp_diff(lambda s, tv=tv: cdf(s, tv), d) for d, tv in zip(df, t)]
    np.testing.assert_allclose(to_numpy(g), ref, rtol=1e-11, atol=1e-15)
    np.testing.assert_array_equal(sp.stdtr(df, t), ss.stdtr(df, t))


def test_gammainc_in_x_matches_torch():
    a = np.array([0.5, 2.0, 7.0])
    x = positive((2, 3), 4, 0.2, 5.0)
    assert_matches_torch(lambda t: sp.gammainc(a, t), lambda t: torch.special.gammainc(
        torch.tensor(a), t), x, rtol=1e-10)
    assert_matches_torch(lambda t: sp.gammaincc(a, t), lambda t: torch.special.gammaincc(
        torch.tensor(a), t), x, rtol=1e-10)


# --- derivatives that are not provided raise, naming the function and the argument --------------
@pytest.mark.parametrize("case", ["zeta", "polygamma", "gammainc5", "betainc5", "forward"])
def test_not_provided_derivatives_raise(case):
    if case == "zeta":
        s = leaf(np.array([2.0, 3.0]))
        with pytest.raises(NotImplementedError,
                           match=r"zeta: the derivative with respect to x \(the exponent\) is not "
                                 "provided"):
            cr.grad(sp.zeta(s, 1.5).sum(), s)
    elif case == "polygamma":
        n = leaf(np.array([1.0]))
        with pytest.raises(NotImplementedError, match="polygamma: the derivative with respect "
                                                      "to the order n is not provided"):
            cr.grad(sp.polygamma(n, 2.0).sum(), n)
    elif case == "gammainc5":
        a, x = leaf(np.array([2.0])), leaf(np.array([1.0]))
        (gx,) = cr.grad(ps.gammainc_da(a, x, 4).sum(), x)  # x alone is fine
        assert np.isfinite(to_numpy(gx)).all()
        with pytest.raises(NotImplementedError, match="gammainc: the derivative of order 5 "
                                                      "with respect to a is not provided"):
            cr.grad(ps.gammainc_da(a, 1.0, 4).sum(), a)
        with pytest.raises(NotImplementedError, match="gammainc: the derivative of order 5"):
            ps.gammainc_da(2.0, 1.0, 5)
    elif case == "betainc5":
        a, b = leaf(np.array([2.0])), leaf(np.array([3.0]))
        y = apply(ps.BETAINC_D, (a, b, 0.3), (1, 3))
        with pytest.raises(NotImplementedError, match="betainc: the derivative of order 5 with "
                                                      "respect to a and b is not provided"):
            cr.grad(y.sum(), b)
    else:
        with pytest.raises(NotImplementedError, match="polygamma: the derivative with respect "
                                                      "to the order n is not provided"):
            cr.jacfwd(lambda n: sp.polygamma(n, 2.0))(cr.tensor([1.0, 2.0]))


# --- SciPy's signatures: logsumexp, softmax, log_softmax --------------------------------------
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_signature_and_values(axis, keepdims):
    a = rand((2, 3, 4), 1, -3, 3) * 100
    b = rand((3, 4), 2)
    for kw in [{}, {"b": b}, {"b": b, "return_sign": True}]:
        got = sp.logsumexp(a, axis=axis, keepdims=keepdims, **kw)
        want = ss.logsumexp(a, axis=axis, keepdims=keepdims, **kw)
        for g, w in zip(got if isinstance(got, tuple) else [got],
                        want if isinstance(want, tuple) else [want]):
            assert np.shape(g) == np.shape(w)
            np.testing.assert_allclose(g, w, rtol=1e-13)


def test_logsumexp_gradients():
    a, b = rand((2, 3), 1), positive((3,), 2)
    check_grads(lambda t: sp.logsumexp(t, axis=1), a)
    check_grads(lambda t, u: sp.logsumexp(t, axis=0, b=u), a, b)
    check_grads(lambda t, u: sp.logsumexp(t, b=u, return_sign=True)[0], a, -b)
    assert_matches_torch(lambda t: sp.logsumexp(t, axis=-1),
                         lambda t: torch.logsumexp(t, dim=-1), a)
    # b == 0 drops the term, whatever a holds there
    np.testing.assert_array_equal(sp.logsumexp(np.array([1.0, np.inf]), b=np.array([1.0, 0.0])),
                                  ss.logsumexp(np.array([1.0, np.inf]), b=np.array([1.0, 0.0])))


def test_softmax_defaults_to_all_axes_as_scipy():
    x = rand((2, 3), 3) * 50
    for fn in ["softmax", "log_softmax"]:
        for axis in [None, 0, 1]:
            np.testing.assert_allclose(getattr(sp, fn)(x, axis=axis),
                                       getattr(ss, fn)(x, axis=axis), rtol=1e-13, atol=1e-300)
        check_grads(getattr(sp, fn), x / 50)
    assert_matches_torch(lambda t: sp.softmax(t, axis=1), lambda t: torch.softmax(t, 1), x)


# --- use from NumPy code, and SciPy staying optional ----------------------------------------
def test_numpy_program_differentiated_by_grad():
    from chainrule.scipy.special import gammaln, logsumexp

    def neg_log_lik(theta, counts):
        # Poisson log-likelihood with a softmax-parametrised rate
        log_rate = theta - logsumexp(theta) + np.log(counts.sum())
        return -(counts * log_rate - np.exp(log_rate) - gammaln(counts + 1)).sum()

    counts = np.array([3.0, 0.0, 7.0])
    theta = np.array([0.1, -0.2, 0.3])
    g = cr.grad(neg_log_lik)(theta, counts)
    rate = np.exp(theta) / np.exp(theta).sum()
    n = counts.sum()
    # d/dtheta of -(sum c log r - n r): the softmax Jacobian applied to -(c - n r)
    want = -(counts - n * rate) + rate * (-(counts - n * rate)).sum()
    np.testing.assert_allclose(to_numpy(g), want, rtol=1e-12, atol=1e-12)


def _run_without_scipy(code):
    prelude = ("import sys\n"
               "class _Block:\n"
               "    def find_spec(self, name, path=None, target=None):\n"
               "        if name == 'scipy' or name.startswith('scipy.'):\n"
               "            raise ImportError('No module named ' + repr(name))\n"
               "sys.meta_path.insert(0, _Block())\n")
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True,
                          text=True, timeout=120)


def test_chainrule_imports_without_scipy():
    r = _run_without_scipy(
        "import chainrule as cr\n"
        "print(float(cr.erf(cr.tensor(0.5))))\n"
        "try:\n"
        "    import chainrule.scipy\n"
        "except ImportError as e:\n"
        "    print('ERR', e)\n"
        "from chainrule.primitives import special\n"
        "try:\n"
        "    special.gammaln(1.5)\n"
        "except ImportError as e:\n"
        "    print('ERR2', e)\n")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert abs(float(lines[0]) - 0.5204998778130465) < 1e-15
    assert lines[1].startswith("ERR chainrule.scipy needs SciPy")
    assert 'pip install "chainrule[scipy]"' in lines[1]
    assert 'pip install "chainrule[scipy]"' in lines[2]


def test_import_chainrule_scipy_raises_clearly_when_scipy_is_missing(monkeypatch):
    for name in [n for n in sys.modules if n == "chainrule.scipy" or
                 n.startswith("chainrule.scipy.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "scipy", None)  # `import scipy` now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "chainrule\[scipy\]"'):
        import chainrule.scipy  # noqa: F401
