"""Elementwise primitives: gradcheck of first and second order, PyTorch as an oracle (values,
gradients, and the conventions at kinks and ties), and the errors for bad inputs."""

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
    prims_in_graph,
    rand,
    to_numpy,
)

import chainrule as cr


def _off_integers(shape, seed=0):
    """Values whose fractional part lies in [0.2, 0.8]: floor, ceil, round, trunc are flat."""
    r = np.random.default_rng(seed)
    return r.integers(-3, 3, size=shape) + r.uniform(0.2, 0.8, size=shape)


def _off_half_integers(shape, seed=0):
    """Fractional part in [0.1, 0.4] or [0.6, 0.9]: away from round's jumps at k + 0.5."""
    r = np.random.default_rng(seed)
    frac = r.uniform(0.1, 0.4, size=shape) + r.choice([0.0, 0.5], size=shape)
    return r.integers(-3, 3, size=shape) + frac


DOMAINS = {
    "any": rand,
    "nonzero": away_from_zero,
    "positive": positive,
    "log1p": lambda s, seed=0: rand(s, seed, -0.6, 2.0),
    "tan": lambda s, seed=0: rand(s, seed, -1.2, 1.2),
    "off_int": _off_integers,
    "off_half": _off_half_integers,
}

# name: (chainrule function, torch function, domain of the random inputs)
UNARY = {
    "neg": (cr.neg, torch.neg, "any"),
    "exp": (cr.exp, torch.exp, "any"),
    "expm1": (cr.expm1, torch.expm1, "any"),
    "log": (cr.log, torch.log, "positive"),
    "log1p": (cr.log1p, torch.log1p, "log1p"),
    "sqrt": (cr.sqrt, torch.sqrt, "positive"),
    "sin": (cr.sin, torch.sin, "any"),
    "cos": (cr.cos, torch.cos, "any"),
    "tan": (cr.tan, torch.tan, "tan"),
    "tanh": (cr.tanh, torch.tanh, "any"),
    "sigmoid": (cr.sigmoid, torch.sigmoid, "any"),
    "erf": (cr.erf, torch.erf, "any"),
    "relu": (cr.relu, torch.relu, "nonzero"),
    "abs": (cr.abs, torch.abs, "nonzero"),
    "sign": (cr.sign, torch.sign, "nonzero"),
    "floor": (cr.floor, torch.floor, "off_int"),
    "ceil": (cr.ceil, torch.ceil, "off_int"),
    "round": (cr.round, torch.round, "off_half"),
    "trunc": (cr.trunc, torch.trunc, "off_int"),
}

# The same operations through the Tensor methods (they must reach the same primitives).
METHODS = ["neg", "exp", "expm1", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid",
           "erf", "relu", "abs", "sign", "floor", "ceil", "round", "trunc"]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_gradcheck(name, shape):
    fn, _, domain = UNARY[name]
    check_grads(fn, DOMAINS[domain](shape, seed=len(name)))


@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (0, 2)], ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(name, shape):
    fn, tfn, domain = UNARY[name]
    assert_matches_torch(fn, tfn, DOMAINS[domain](shape, seed=3))


@pytest.mark.parametrize("name", METHODS)
def test_unary_method_matches_torch(name):
    x = DOMAINS[UNARY[name][2]]((2, 3), seed=5)
    assert_matches_torch(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), x)


def test_operators_reach_primitives():
    x, y = leaf(positive((2, 3), 1)), leaf(positive((3,), 2))
    out = (-x + y - x * y / y) ** 2 % 3.0 + abs(x) ** y
    assert {"neg", "add", "sub", "mul", "div", "pow", "remainder", "abs"} <= prims_in_graph(out)


# --- kinks and extreme inputs -------------------------------------------------------------------
def test_kinks_at_zero_match_torch():
    """relu'(0) = 0, abs'(0) = 0, sign' = 0 everywhere; torch agrees."""
    x = np.array([-1.5, -0.0, 0.0, 2.0])
    for fn, tfn in [(cr.relu, torch.relu), (cr.abs, torch.abs), (cr.sign, torch.sign)]:
        assert_matches_torch(fn, tfn, x)
    t = leaf(x)
    (gr,) = cr.grad(cr.relu(t).sum(), t)
    np.testing.assert_array_equal(to_numpy(gr), [0, 0, 0, 1])
    t = leaf(x)
    (ga,) = cr.grad(cr.abs(t).sum(), t)
    np.testing.assert_array_equal(to_numpy(ga), [-1, 0, 0, 1])


def test_floor_family_gradient_is_zero_at_integers():
    x = np.array([-2.0, -0.5, 0.0, 1.0, 2.5])
    for fn, tfn in [(cr.floor, torch.floor), (cr.ceil, torch.ceil), (cr.round, torch.round),
                    (cr.trunc, torch.trunc)]:
        assert_matches_torch(fn, tfn, x)


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_saturating_functions_are_finite_at_extremes(name):
    fn, tfn, _ = UNARY[name]
    x = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    t = leaf(x)
    y = fn(t)
    (g,) = cr.grad(y.sum(), t)
    assert np.all(np.isfinite(to_numpy(y))) and np.all(np.isfinite(to_numpy(g)))
    assert_matches_torch(fn, tfn, x)


def test_sigmoid_tails_keep_relative_precision():
    y = to_numpy(cr.sigmoid(cr.tensor([-700.0, -30.0, 30.0])))
    np.testing.assert_allclose(y, [np.exp(-700.0), 1 / (1 + np.exp(30.0)), 1 / (1 + np.exp(-30))],
                               rtol=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_sqrt_and_log_at_zero_match_torch():
    x = np.array([0.0, 1.0])
    assert_matches_torch(cr.sqrt, torch.sqrt, x, second=False)
    assert_matches_torch(cr.log, torch.log, x, second=False)


# --- binary arithmetic ----------------------------------------------------------------------
def _maxmin_pair(sa, sb, seed):
    """Two arrays on offset half-integer grids: |x - y| >= 0.2 wherever they broadcast."""
    r = np.random.default_rng(seed)
    return (np.round(r.uniform(-2, 2, sa) * 2) / 2 + 0.1,
            np.round(r.uniform(-2, 2, sb) * 2) / 2 - 0.1)


def _remainder_pair(sa, sb, seed):
    """x / y at least 0.15 from an integer: y in {+-1, +-2}, x = k + f with f in [0.3, 0.7]."""
    r = np.random.default_rng(seed)
    x = r.integers(-3, 3, sa) + r.uniform(0.3, 0.7, sa)
    y = r.choice([-2.0, -1.0, 1.0, 2.0], sb)
    return x, y


BINARY = {
    "add": (cr.add, torch.add, lambda sa, sb, s: (rand(sa, s), rand(sb, s + 1))),
    "sub": (cr.sub, torch.sub, lambda sa, sb, s: (rand(sa, s), rand(sb, s + 1))),
    "mul": (cr.mul, torch.mul, lambda sa, sb, s: (rand(sa, s), rand(sb, s + 1))),
    "div": (cr.div, torch.div, lambda sa, sb, s: (rand(sa, s), away_from_zero(sb, s + 1))),
    "pow": (cr.pow, torch.pow, lambda sa, sb, s: (positive(sa, s), rand(sb, s + 1))),
    "maximum": (cr.maximum, torch.maximum, _maxmin_pair),
    "minimum": (cr.minimum, torch.minimum, _maxmin_pair),
    "remainder": (cr.remainder, torch.remainder, _remainder_pair),
}


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_gradcheck(name, shapes):
    fn, _, make = BINARY[name]
    check_grads(fn, *make(*shapes, 7))


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch(name, shapes):
    fn, tfn, make = BINARY[name]
    assert_matches_torch(fn, tfn, *make(*shapes, 11))


OPERATORS = ["__add__", "__sub__", "__mul__", "__truediv__", "__pow__", "__mod__", "__radd__",
             "__rsub__", "__rmul__", "__rtruediv__", "__rpow__", "__rmod__"]
# Values away from zero and from the jumps of x % 1.5 and 1.5 % x.
SCALAR_OP_INPUT = np.array([[0.6, 0.9, 1.1], [1.7, 2.2, 3.4]])


@pytest.mark.parametrize("op", OPERATORS)
def test_operators_with_python_scalars_gradcheck(op):
    check_grads(lambda t: getattr(t, op)(1.5), SCALAR_OP_INPUT)


# torch has no derivative of remainder(scalar, tensor) in the tensor: __rmod__ is gradchecked
# above only.
@pytest.mark.parametrize("op", [o for o in OPERATORS if o != "__rmod__"])
def test_operators_with_python_scalars_match_torch(op):
    assert_matches_torch(lambda t: getattr(t, op)(1.5), lambda t: getattr(t, op)(1.5),
                         SCALAR_OP_INPUT)


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
def test_floor_divide_has_zero_gradient(shapes):
    """floor_divide is piecewise constant: its gradient is zero (torch has no derivative for
    it at all, so there is no oracle here)."""
    x, y = _remainder_pair(*shapes, 12)
    check_grads(cr.floor_divide, x, y)
    check_grads(lambda a, b: a // b, x, y)
    np.testing.assert_array_equal(to_numpy(cr.floor_divide(cr.tensor(x), cr.tensor(y))),
                                  np.floor_divide(x, y))


def test_binary_with_constant_operand():
    """Only the tensor that requires grad gets a gradient; the constant may broadcast."""
    c = cr.tensor(rand((2, 3), 3))
    check_grads(lambda x: cr.mul(x, c) + cr.div(c, x), away_from_zero((3,), 4))


def test_maximum_minimum_ties_split_evenly_like_torch():
    x = np.array([1.0, 2.0, 3.0, -1.0])
    y = np.array([1.0, 0.0, 3.0, 5.0])
    for fn, tfn in [(cr.maximum, torch.maximum), (cr.minimum, torch.minimum)]:
        assert_matches_torch(fn, tfn, x, y)
    a, b = leaf(x), leaf(y)
    ga, gb = cr.grad(cr.maximum(a, b).sum(), (a, b))
    np.testing.assert_array_equal(to_numpy(ga), [0.5, 1, 0.5, 0])
    np.testing.assert_array_equal(to_numpy(gb), [0.5, 0, 0.5, 1])


def test_maximum_tie_under_broadcasting_matches_torch():
    assert_matches_torch(cr.maximum, torch.maximum, np.array([[1.0, 2.0], [0.0, 1.0]]),
                         np.array([1.0]))


# --- pow ------------------------------------------------------------------------------------
@pytest.mark.parametrize("exponent", [2, 3, 1, -1, -2, 0.5, -1.5, 2.5, 0])
def test_pow_python_scalar_exponent(exponent):
    x = positive((2, 3), 8) if isinstance(exponent, float) else away_from_zero((2, 3), 8)
    check_grads(lambda t: t ** exponent, x)
    assert_matches_torch(lambda t: t ** exponent, lambda t: t ** exponent, x)


@pytest.mark.parametrize("base", [2.0, 0.5, 3])
def test_pow_python_scalar_base(base):
    x = rand((2, 3), 9)
    check_grads(lambda t: base ** t, x)
    assert_matches_torch(lambda t: base ** t, lambda t: base ** t, x)


def test_pow_zero_base_tensor_exponent_matches_torch():
    """0 ** y: the exponent's gradient is 0 where y >= 0 (not nan), as in PyTorch."""
    x = np.array([0.0, 0.0, 0.0, 1.5, 2.0])
    y = np.array([2.0, 0.0, 1.0, 0.0, -1.0])
    assert_matches_torch(cr.pow, torch.pow, x, y, second=False)
    a, b = leaf(x), leaf(y)
    ga, gb = cr.grad(cr.pow(a, b).sum(), (a, b))
    assert np.all(np.isfinite(to_numpy(ga))) and np.all(np.isfinite(to_numpy(gb)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_pow_zero_exponent_at_zero_base_matches_torch():
    """d/dx x ** 0 = 0 everywhere, x = 0 included (PyTorch's convention), not 0 * inf."""
    x = np.array([0.0, 1.0, -2.0])
    assert_matches_torch(lambda t: t ** 0, lambda t: t ** 0, x, second=False)
    assert_matches_torch(lambda t: t ** 0.0, lambda t: t ** 0.0, x, second=False)
    assert_matches_torch(lambda t, e: t ** e, lambda t, e: t ** e, x, np.zeros(3), second=False)


def test_pow_scalar_zero_base_matches_torch():
    y = np.array([0.0, 1.0, 2.5])
    assert_matches_torch(lambda t: 0.0 ** t, lambda t: 0.0 ** t, y, second=False)


def test_pow_integer_powers_of_negative_numbers():
    x = np.array([-2.0, -0.5, 1.5])
    assert_matches_torch(lambda t: t ** 3, lambda t: t ** 3, x)
    assert_matches_torch(lambda t: t ** -2, lambda t: t ** -2, x)


# --- where and clip ----------------------------------------------------------------------------
@pytest.mark.parametrize("shapes", [((), (), ()), ((3,), (3,), (3,)), ((2, 3), (2, 3), (3,)),
                                    ((2, 1), (3,), ()), ((0, 3), (3,), (0, 3))], ids=str)
def test_where(shapes):
    sc, sx, sy = shapes
    cond = np.asarray(np.random.default_rng(2).random(sc) > 0.5)
    x, y = rand(sx, 3), rand(sy, 4)
    check_grads(cr.where, cond, x, y)
    assert_matches_torch(cr.where, torch.where, cond, x, y)


def test_where_with_python_scalar_branch():
    cond = np.array([True, False, True])
    assert_matches_torch(lambda c, x: cr.where(c, x, 0.0), lambda c, x: torch.where(c, x, 0.0),
                         cond, rand((3,), 5))


def test_tensor_where_method():
    cond = np.array([[True, False, True], [False, False, True]])
    assert_matches_torch(lambda c, x, y: x.where(c, y), lambda c, x, y: x.where(c, y),
                         cond, rand((2, 3), 1), rand((3,), 2))


@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (None, 0.25), (-0.25, None), (0.3, 0.3)])
def test_clip_scalar_bounds(bounds):
    lo, hi = bounds
    x = np.array([-1.3, -0.7, -0.4, -0.1, 0.1, 0.45, 0.8, 1.2])
    check_grads(lambda t: cr.clip(t, lo, hi), x)
    assert_matches_torch(lambda t: cr.clamp(t, lo, hi), lambda t: torch.clamp(t, lo, hi), x)
    assert_matches_torch(lambda t: t.clamp(lo, hi), lambda t: t.clamp(lo, hi), x)


def test_clip_gradient_passes_on_the_closed_interval():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    assert_matches_torch(lambda t: cr.clip(t, -0.5, 0.5), lambda t: torch.clamp(t, -0.5, 0.5), x)
    t = leaf(x)
    (g,) = cr.grad(cr.clip(t, -0.5, 0.5).sum(), t)
    np.testing.assert_array_equal(to_numpy(g), [0, 1, 1, 1, 0])


def test_clip_tensor_bounds_gradcheck():
    r = np.random.default_rng(3)
    x = np.array([[-1.0, 0.0, 1.0], [2.0, -2.0, 0.5]])
    lo = np.array([-0.5, 0.3, 0.6]) + r.uniform(-0.05, 0.05, 3)
    hi = np.array([[0.8], [1.5]])
    check_grads(cr.clip, x, lo, hi)
    check_grads(lambda t, a: cr.clip(t, a), x, lo)
    check_grads(lambda t, b: cr.clip(t, None, b), x, hi)
    check_grads(lambda t, a: cr.clip(t, a, 0.7), x, lo)


def test_clip_tensor_bounds_match_torch_including_ties():
    x = np.array([1.0, 2.0, 3.0, 0.5, -1.0, 4.0])
    lo = np.array([1.0, 0.0, 3.0, 1.0, 0.0, 0.0])
    hi = np.array([2.0, 2.0, 3.0, 0.0, 1.0, 1.0])
    assert_matches_torch(cr.clip, torch.clamp, x, lo, hi, second=False)
    assert_matches_torch(lambda t, a: cr.clip(t, a), lambda t, a: torch.clamp(t, a), x, lo,
                         second=False)
    assert_matches_torch(lambda t, b: cr.clip(t, max=b), lambda t, b: torch.clamp(t, max=b), x,
                         hi, second=False)


def test_clip_array_bounds_are_constants():
    x = np.array([-1.0, 0.2, 0.8])
    lo, hi = np.array([0.0, 0.0, 0.0]), np.array([0.5, 0.5, 0.5])
    assert_matches_torch(lambda t: cr.clip(t, lo, hi),
                         lambda t: torch.clamp(t, torch.tensor(lo), torch.tensor(hi)), x)


def test_clip_without_bounds_is_an_error():
    with pytest.raises(ValueError, match="clip"):
        cr.clip(leaf([1.0]))


# --- casting -------------------------------------------------------------------------------------
def test_clone_gradcheck_and_torch():
    check_grads(lambda t: t.clone() * 2, rand((2, 3)))
    assert_matches_torch(lambda t: t.clone(), lambda t: t.clone(), rand((2, 3)))
    t = leaf([1.0, 2.0])
    c = t.clone()
    assert c._data is not t._data and c.grad_fn is not None


def test_astype_float32_roundtrip():
    """Casting is linear: the gradient is cast back to the input's dtype."""
    x = rand((2, 3), 1)
    check_grads(lambda t: cr.astype(cr.astype(t, np.float32) * 3, np.float64), x, eps=1e-2,
                atol=1e-4, rtol=1e-4)
    t = leaf(x)
    (g,) = cr.grad((t.astype(np.float32) * 2).sum(), t)
    assert g.dtype == np.float64
    np.testing.assert_array_equal(to_numpy(g), np.full((2, 3), 2.0))
    assert_matches_torch(lambda t: t.astype(np.float32), lambda t: t.to(torch.float32), x,
                         rtol=1e-6, atol=1e-7)


def test_astype_to_integer_is_a_constant():
    t = leaf([1.5, 2.5])
    assert t.astype(np.int64).requires_grad is False
    assert cr.astype(t, np.float64) is t


# --- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [cr.add, cr.mul, cr.maximum, cr.pow])
def test_binary_shape_mismatch_names_op_and_shapes(fn):
    with pytest.raises(ValueError) as info:
        fn(leaf(rand((2, 3))), leaf(rand((4,))))
    msg = str(info.value)
    assert msg.startswith(fn.__name__ + ":"), msg
    assert "(2,3)" in msg.replace(" ", "") and "(4,)" in msg.replace(" ", ""), msg


def test_erf_without_scipy_matches_scipy():
    from scipy.special import erf as scipy_erf

    from chainrule import _backend

    x = np.linspace(-4, 4, 41)
    np.testing.assert_allclose(_backend._erf_fallback(x), scipy_erf(x), rtol=1e-14, atol=1e-16)
    assert _backend._erf_fallback(x.astype(np.float32)).dtype == np.float32
