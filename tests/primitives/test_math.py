"""NumPy's math ufuncs (chainrule.primitives.math): values identical to NumPy, gradcheck of first
and second order in both modes, PyTorch as an oracle, the conventions at kinks and ties, and the
errors for bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import (
    BINARY_SHAPES,
    SHAPES,
    assert_matches_torch,
    away_from_zero,
    check_grads,
    leaf,
    positive,
    rand,
    to_numpy,
)

import chainrule as cr
from chainrule.primitives import math as m

DOMAINS = {
    "any": rand,
    "unit": lambda s, seed=0: rand(s, seed, -0.9, 0.9),
    "positive": positive,
    "above1": lambda s, seed=0: positive(s, seed, 1.2, 3.0),
    "nonzero": away_from_zero,
    "off_int": lambda s, seed=0: np.round(rand(s, seed, -3, 3)) + rand(s, seed + 1, -0.4, 0.4),
}

# name: (chainrule function, NumPy function, torch function or None, domain)
UNARY = {
    "arcsin": (m.arcsin, np.arcsin, torch.asin, "unit"),
    "arccos": (m.arccos, np.arccos, torch.acos, "unit"),
    "arctan": (m.arctan, np.arctan, torch.atan, "any"),
    "sinh": (m.sinh, np.sinh, torch.sinh, "any"),
    "cosh": (m.cosh, np.cosh, torch.cosh, "any"),
    "arcsinh": (m.arcsinh, np.arcsinh, torch.asinh, "any"),
    "arccosh": (m.arccosh, np.arccosh, torch.acosh, "above1"),
    "arctanh": (m.arctanh, np.arctanh, torch.atanh, "unit"),
    "exp2": (m.exp2, np.exp2, torch.exp2, "any"),
    "log2": (m.log2, np.log2, torch.log2, "positive"),
    "log10": (m.log10, np.log10, torch.log10, "positive"),
    "sinc": (m.sinc, np.sinc, torch.sinc, "nonzero"),
    "square": (m.square, np.square, torch.square, "any"),
    "reciprocal": (m.reciprocal, np.reciprocal, torch.reciprocal, "nonzero"),
    "cbrt": (m.cbrt, np.cbrt, None, "nonzero"),
    "deg2rad": (m.deg2rad, np.deg2rad, torch.deg2rad, "any"),
    "rad2deg": (m.rad2deg, np.rad2deg, torch.rad2deg, "any"),
    "radians": (m.radians, np.radians, torch.deg2rad, "any"),
    "degrees": (m.degrees, np.degrees, torch.rad2deg, "any"),
    "positive": (m.positive, np.positive, torch.positive, "any"),
    "fabs": (m.fabs, np.fabs, torch.abs, "nonzero"),
    "rint": (m.rint, np.rint, torch.round, "off_int"),
    "fix": (m.fix, np.fix, torch.trunc, "off_int"),
    "spacing": (m.spacing, np.spacing, None, "off_int"),
    "nan_to_num": (m.nan_to_num, np.nan_to_num, torch.nan_to_num, "any"),
}

# name: (chainrule function, NumPy function, torch function or None, domain of x1, of x2)
BINARY = {
    "logaddexp": (m.logaddexp, np.logaddexp, torch.logaddexp, "any", "any"),
    "logaddexp2": (m.logaddexp2, np.logaddexp2, torch.logaddexp2, "any", "any"),
    "hypot": (m.hypot, np.hypot, torch.hypot, "nonzero", "any"),
    "arctan2": (m.arctan2, np.arctan2, torch.atan2, "any", "nonzero"),
    "fmod": (m.fmod, np.fmod, torch.fmod, "any", "nonzero"),
    "copysign": (m.copysign, np.copysign, torch.copysign, "nonzero", "nonzero"),
    "float_power": (m.float_power, np.float_power, torch.float_power, "positive", "any"),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_gradcheck(name, shape):
    fn, _, _, domain = UNARY[name]
    check_grads(fn, DOMAINS[domain](shape, seed=len(name)))


@pytest.mark.parametrize("name", [n for n in UNARY if UNARY[n][2] is not None])
def test_unary_matches_torch(name):
    fn, _, tfn, domain = UNARY[name]
    assert_matches_torch(fn, tfn, DOMAINS[domain]((2, 3), seed=3))


@pytest.mark.parametrize("name", UNARY)
def test_unary_values_are_numpys(name):
    fn, npfn, _, domain = UNARY[name]
    x = DOMAINS[domain]((4, 3), seed=7)
    out = fn(x)
    assert type(out) is np.ndarray  # raw in, raw out
    np.testing.assert_array_equal(out, npfn(x))
    t = fn(cr.tensor(x))
    assert isinstance(t, cr.Tensor)
    np.testing.assert_array_equal(to_numpy(t), npfn(x))


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_gradcheck(name, shapes):
    fn, _, _, d1, d2 = BINARY[name]
    s1, s2 = shapes
    check_grads(fn, DOMAINS[d1](s1, seed=1), DOMAINS[d2](s2, seed=2))


@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch_and_numpy(name):
    fn, npfn, tfn, d1, d2 = BINARY[name]
    x, y = DOMAINS[d1]((2, 3), seed=4), DOMAINS[d2]((3,), seed=5)
    np.testing.assert_array_equal(fn(x, y), npfn(x, y))
    assert_matches_torch(fn, tfn, x, y)


def test_all_names_exist_in_numpy():
    for name in m.__all__:
        assert callable(getattr(m, name)), name
        assert hasattr(np, name), f"{name} is not a NumPy name"


# --- conventions at kinks, ties and edges -----------------------------------------------------
def _grads(fn, *xs):
    ts = [leaf(x) for x in xs]
    return [to_numpy(g) for g in cr.grad(fn(*ts).sum(), ts, allow_unused=True,
                                        materialize_grads=True)]


def test_fmax_fmin_ties_and_nan_follow_torch():
    x = np.array([1.0, 2.0, np.nan, 0.5, np.nan])
    y = np.array([1.0, 1.0, 3.0, np.nan, np.nan])
    for fn, tfn in [(m.fmax, torch.fmax), (m.fmin, torch.fmin)]:
        assert_matches_torch(fn, tfn, x, y, second=False)
    gx, gy = _grads(m.fmax, x, y)
    np.testing.assert_array_equal(gx, [1, 1, 0, 1, 1])  # a tie goes to x1
    np.testing.assert_array_equal(gy, [0, 0, 1, 0, 0])


def test_fmax_fmin_gradcheck_without_ties():
    x, y = rand((2, 3), 1), rand((3,), 2)
    check_grads(m.fmax, x, y)
    check_grads(m.fmin, x, y)


def test_hypot_and_arctan2_at_the_origin():
    gx, gy = _grads(m.hypot, np.array([0.0, 3.0]), np.array([0.0, 4.0]))
    np.testing.assert_allclose(gx, [0.0, 0.6])  # 0 at the origin (torch.hypot gives nan)
    np.testing.assert_allclose(gy, [0.0, 0.8])
    assert_matches_torch(m.arctan2, torch.atan2, np.array([0.0, 1.0]), np.array([0.0, -2.0]),
                         second=False)


def test_sinc_at_zero_derivatives_are_exact():
    x = leaf(np.array([0.0, 1e-9, 0.004]))
    (g,) = cr.grad(m.sinc(x).sum(), x, create_graph=True)
    (h,) = cr.grad(g.sum(), x)
    exact_h = lambda t: (-(np.pi ** 2) / 3 + np.pi ** 4 * t ** 2 / 10)  # noqa: E731
    np.testing.assert_allclose(to_numpy(g)[0], 0.0)
    np.testing.assert_allclose(to_numpy(h), exact_h(np.array([0.0, 1e-9, 0.004])), rtol=1e-9)
    assert_matches_torch(m.sinc, torch.sinc, np.array([0.0, 0.3]), second=False)


def test_copysign_heaviside_nan_to_num_gradients():
    gx, gy = _grads(m.copysign, np.array([2.0, -2.0, 0.0]), np.array([-1.0, -1.0, 1.0]))
    np.testing.assert_array_equal(gx, [-1, 1, 0])
    np.testing.assert_array_equal(gy, [0, 0, 0])
    g1, g2 = _grads(m.heaviside, np.array([-1.0, 0.0, 2.0]), np.array([0.5, 0.5, 0.5]))
    np.testing.assert_array_equal(g1, [0, 0, 0])
    np.testing.assert_array_equal(g2, [0, 1, 0])
    x = np.array([1.0, np.nan, np.inf, -np.inf])
    (g,) = _grads(lambda t: m.nan_to_num(t, nan=1.0, posinf=5.0), x)
    np.testing.assert_array_equal(g, [1, 0, 0, 0])
    np.testing.assert_array_equal(m.nan_to_num(x, nan=1.0, posinf=5.0),
                                  np.nan_to_num(x, nan=1.0, posinf=5.0))
    assert_matches_torch(lambda t: m.nan_to_num(t, nan=1.0, posinf=5.0),
                         lambda t: torch.nan_to_num(t, nan=1.0, posinf=5.0), x)


def test_frexp_modf_ldexp():
    x = np.array([-3.0, 0.75, 10.5, 0.0, np.inf, -np.inf])
    for got, want in zip(m.modf(x), np.modf(x)):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    xf = x[:4]
    for got, want in zip(m.frexp(xf), np.frexp(xf)):
        np.testing.assert_array_equal(got, want)
    (gm,) = _grads(lambda t: m.frexp(t)[0], xf)
    np.testing.assert_array_equal(gm, 2.0 ** -np.frexp(xf)[1])
    (gf,) = _grads(lambda t: m.modf(t)[0] + m.modf(t)[1], x[:3])
    np.testing.assert_array_equal(gf, [1, 1, 1])
    e = np.array([1, -2, 3])
    check_grads(lambda t: m.ldexp(t, e), rand((2, 3)))
    e_t = torch.tensor(e, dtype=torch.float64)  # torch computes 2**e in the exponent's dtype
    assert_matches_torch(lambda t: m.ldexp(t, e), lambda t: torch.ldexp(t, e_t), rand((2, 3)))
    check_grads(lambda t: m.frexp(t)[0], away_from_zero((2, 3)))


def test_float_power_computes_in_float64():
    a = np.array([1, 2, 3], dtype=np.int32)
    out = m.float_power(cr.tensor(a), 2)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(to_numpy(out), np.float_power(a, 2))
    x = cr.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = m.float_power(x, 3.0)
    assert y.dtype == np.float64
    (g,) = cr.grad(y.sum(), x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(to_numpy(g), [3.0, 12.0])


def test_forward_mode_with_batched_tangents():
    """Rules broadcast over a leading batch axis: jacfwd equals jacrev."""
    x = rand((3,), 11, -0.9, 0.9)
    for fn in [m.arcsin, m.sinc, lambda t: m.hypot(t, 0.5), lambda t: m.arctan2(t, -0.3)]:
        jf = to_numpy(cr.jacfwd(fn)(cr.tensor(x)))
        jr = to_numpy(cr.jacrev(fn)(cr.tensor(x)))
        np.testing.assert_allclose(jf, jr, rtol=1e-12)


def test_ldexp_bad_exponent_names_the_operation():
    with pytest.raises(TypeError, match="ldexp"):
        m.ldexp(cr.tensor([1.0], requires_grad=True), np.array([1.5]))
