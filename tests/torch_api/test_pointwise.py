"""chainrule's pointwise operations in PyTorch's spelling (ops/pointwise.py) against torch:
values, gradients and second derivatives (float64, tight tolerances), forward mode on a few,
and torch's overloads, aliases, dtypes and errors."""

from __future__ import annotations

import numpy as np
import pytest
from tests.helpers import assert_matches_torch, away_from_zero, check_forward, positive, rand

import chainrule as cr

torch = pytest.importorskip("torch")

X = rand((2, 3), seed=0)
Y = rand((2, 3), seed=1)
Z = rand((2, 3), seed=2)
P = positive((2, 3), seed=3)
Q = positive((2, 3), seed=4)
U = rand((2, 3), seed=5, low=0.05, high=0.95)  # in (0, 1)
NZ = away_from_zero((2, 3), seed=6)
ROW = rand((3,), seed=7)


def both(name, **kw):
    """The function ``name`` of each library, called with keyword arguments ``kw``."""
    return (lambda *a: getattr(cr, name)(*a, **kw)), (lambda *a: getattr(torch, name)(*a, **kw))


# (id, chainrule function, torch function, args): differentiable in every float array.
CASES = [
    ("add_alpha", *both("add", alpha=2.5), X, ROW),
    ("sub_alpha", *both("sub", alpha=-0.5), X, Y),
    ("subtract", *both("subtract"), X, Y),
    ("rsub", *both("rsub", alpha=3), X, Y),
    ("mul", *both("mul"), X, Y),
    ("multiply", *both("multiply"), X, ROW),
    ("div", *both("div"), X, NZ),
    ("divide", *both("divide"), X, NZ),
    ("true_divide", *both("true_divide"), X, NZ),
    ("div_trunc", *both("div", rounding_mode="trunc"), X * 3, NZ),
    ("div_floor", *both("div", rounding_mode="floor"), X * 3, NZ),
    ("remainder", *both("remainder"), X * 3, NZ),
    ("fmod", *both("fmod"), X * 3, NZ),
    ("pow", *both("pow"), P, Y),
    ("float_power", *both("float_power"), P, Y),
    ("round", *both("round"), X * 3),
    ("round_decimals", *both("round", decimals=2), X),
    ("round_neg_decimals", *both("round", decimals=-1), X * 100),
    ("rsqrt", *both("rsqrt"), P),
    ("reciprocal", *both("reciprocal"), NZ),
    ("square", *both("square"), X),
    ("neg", *both("neg"), X),
    ("negative", *both("negative"), X),
    ("positive", *both("positive"), X),
    ("sgn", *both("sgn"), NZ),
    ("frac", *both("frac"), X * 3),
    ("trunc", *both("trunc"), X * 3),
    ("fix", *both("fix"), X * 3),
    ("exp2", *both("exp2"), X),
    ("logit", *both("logit"), U),
    ("logit_eps", *both("logit", eps=0.2), U),
    ("xlogy", *both("xlogy"), X, P),
    ("lgamma", *both("lgamma"), P),
    ("digamma", *both("digamma"), P),
    ("polygamma", lambda x: cr.polygamma(2, x), lambda x: torch.polygamma(2, x), P),
    ("erfinv", *both("erfinv"), U - 0.5),
    ("erfc", *both("erfc"), X),
    ("i0", *both("i0"), X),
    ("sinc", *both("sinc"), X),
    ("mvlgamma", *both("mvlgamma", p=3), P + 1.5),
    ("atan2", *both("atan2"), X, NZ),
    ("arctan2", *both("arctan2"), X, NZ),
    ("hypot", *both("hypot"), X, Y),
    ("copysign", *both("copysign"), X, NZ),
    ("ldexp", *both("ldexp"), X, Y),
    ("logaddexp", *both("logaddexp"), X, Y),
    ("logaddexp2", *both("logaddexp2"), X, Y),
    ("lerp", *both("lerp"), X, Y, U),
    ("lerp_scalar", lambda a, b: cr.lerp(a, b, 0.75), lambda a, b: torch.lerp(a, b, 0.75), X, Y),
    ("addcmul", *both("addcmul", value=0.5), X, Y, Z),
    ("addcdiv", *both("addcdiv", value=2), X, Y, NZ),
    ("clamp", *both("clamp", min=-0.5, max=0.7), X),
    ("clamp_tensor", lambda x, lo, hi: cr.clamp(x, lo, hi),
     lambda x, lo, hi: torch.clamp(x, lo, hi), X, Y - 1, Z + 1),
    ("clamp_min", *both("clamp_min", min=0.1), X),
    ("clamp_max", *both("clamp_max", max=0.1), X),
    ("clip", *both("clip", min=-1.0), X),
    ("deg2rad", *both("deg2rad"), X),
    ("rad2deg", *both("rad2deg"), X),
    ("sigmoid", *both("sigmoid"), X),
    ("softmax", *both("softmax", dim=0), X),
    ("log_softmax", *both("log_softmax", dim=1), X),
    ("maximum", *both("maximum"), X, Y),
    ("minimum", *both("minimum"), X, Y),
    ("fmax", *both("fmax"), X, Y),
    ("fmin", *both("fmin"), X, Y),
    ("igammac_x", lambda x: cr.igammac(P, x), lambda x: torch.igammac(torch.tensor(P), x), Q),
    ("igamma_x", lambda x: cr.igamma(P, x), lambda x: torch.igamma(torch.tensor(P), x), Q),
    ("complex", *both("complex"), X, Y),
    ("polar", *both("polar"), P, Y),
    ("nextafter", lambda x: cr.nextafter(x, cr.tensor(Y)),
     lambda x: x + (torch.nextafter(x.detach(), torch.tensor(Y)) - x.detach()), X),
] + [(n, *both(n), X * 0.45) for n in ("sin", "cos", "tan", "asin", "acos", "atan", "arcsin",
                                      "arccos", "arctan", "sinh", "cosh", "tanh", "asinh",
                                      "arcsinh", "atanh", "arctanh", "exp", "expm1", "abs",
                                      "absolute")] + [
    (n, *both(n), P + 1) for n in ("acosh", "arccosh", "log", "log2", "log10", "log1p", "sqrt")]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_function_matches_torch(case):
    _, cr_fn, torch_fn, *args = case
    assert_matches_torch(cr_fn, torch_fn, *args)


def _case(name):
    return next(c for c in CASES if c[0] == name)


# (method name, args after self, kwargs): Tensor.X against torch.Tensor.X
METHODS = [
    ("add", (Y,), {"alpha": 2}), ("sub", (Y,), {"alpha": 2}), ("subtract", (Y,), {}),
    ("multiply", (Y,), {}), ("divide", (NZ,), {}), ("true_divide", (NZ,), {}),
    ("div", (NZ,), {"rounding_mode": "floor"}), ("rsqrt", (), {}), ("negative", (), {}),
    ("sgn", (), {}), ("frac", (), {}), ("lerp", (Y, 0.3), {}), ("addcmul", (Y, Z), {"value": 2}),
    ("addcdiv", (Y, NZ), {"value": 2}), ("clamp_min", (0.0,), {}), ("clamp_max", (0.0,), {}),
    ("round", (), {"decimals": 1}), ("logit", (), {"eps": 0.1}), ("absolute", (), {}),
    ("reciprocal", (), {}), ("ldexp", (Y,), {}), ("softmax", (0,), {}),
    ("log_softmax", (1,), {}), ("mvlgamma", (2,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", METHODS, ids=[m[0] for m in METHODS])
def test_method_matches_torch(name, args, kwargs):
    base = P + 0.6 if name in ("rsqrt", "mvlgamma", "igamma", "logit") else X
    if name == "logit":
        base = U
    assert_matches_torch(lambda x: getattr(x, name)(*map(_tensor, args), **kwargs),
                         lambda x: getattr(x, name)(*map(_torch_tensor, args), **kwargs),
                         base, second=False)


def _tensor(a):
    return cr.tensor(a) if isinstance(a, np.ndarray) else a


def _torch_tensor(a):
    return torch.tensor(a) if isinstance(a, np.ndarray) else a


@pytest.mark.parametrize("name", ["add_alpha", "div_trunc", "lerp", "addcdiv", "logit_eps",
                                  "mvlgamma", "rsqrt", "ldexp", "clamp_tensor", "sgn"])
def test_forward_mode(name):
    _, cr_fn, _, *args = _case(name)
    check_forward(cr_fn, *args)


def test_complex_sgn_and_angle():
    z = rand((4,), seed=8) + 1j * rand((4,), seed=9)
    assert_matches_torch(cr.sgn, torch.sgn, z)
    assert_matches_torch(cr.angle, torch.angle, z)
    assert_matches_torch(lambda a: cr.real(a) * cr.imag(a), lambda a: torch.real(a) * torch.imag(a),
                         z)
    assert cr.sgn(cr.tensor(np.zeros(2, complex)))._data.tolist() == [0, 0]


INT_A = np.array([[7, -7, 5], [-5, 9, 0]], np.int64)
INT_B = np.array([[2, 2, -3], [-3, 4, 5]], np.int64)


@pytest.mark.parametrize("name,kw", [
    ("div", {}), ("div", {"rounding_mode": "trunc"}), ("div", {"rounding_mode": "floor"}),
    ("floor_divide", {}), ("remainder", {}), ("fmod", {}), ("bitwise_and", {}),
    ("bitwise_or", {}), ("bitwise_xor", {}), ("gcd", {}), ("lcm", {}), ("mul", {}),
    ("add", {"alpha": 3}), ("eq", {}), ("ne", {}), ("lt", {}), ("le", {}), ("gt", {}), ("ge", {}),
    ("greater", {}), ("greater_equal", {}), ("less", {}), ("less_equal", {}), ("not_equal", {}),
    ("maximum", {}), ("minimum", {}), ("logical_and", {}), ("logical_xor", {}),
])
def test_integer_binary_values(name, kw):
    a, b = np.abs(INT_B) if name in ("gcd", "lcm") else INT_A, INT_B
    c = getattr(cr, name)(cr.tensor(a), cr.tensor(b), **kw)
    t = getattr(torch, name)(torch.tensor(a), torch.tensor(b), **kw)
    np.testing.assert_allclose(c._data, t.numpy(), rtol=1e-6)  # int / int: float32 in torch
    if t.dtype in (torch.int64, torch.bool):
        assert c._data.dtype == t.numpy().dtype


def test_shifts_bitwise_not_and_predicates():
    a = np.array([1, -8, 5], np.int64)
    s = np.array([1, 2, 0], np.int64)
    for name in ("bitwise_left_shift", "bitwise_right_shift"):
        np.testing.assert_array_equal(getattr(cr, name)(cr.tensor(a), cr.tensor(s))._data,
                                      getattr(torch, name)(torch.tensor(a), torch.tensor(s)))
        np.testing.assert_array_equal(getattr(cr.tensor(a), name)(cr.tensor(s))._data,
                                      getattr(torch.tensor(a), name)(torch.tensor(s)))
    np.testing.assert_array_equal(cr.bitwise_not(cr.tensor(a))._data, ~a)
    np.testing.assert_array_equal(cr.tensor(a).bitwise_not()._data, ~a)
    v = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 2.0])
    for name in ("isposinf", "isneginf", "isreal", "signbit", "isnan", "isinf", "isfinite"):
        np.testing.assert_array_equal(getattr(cr, name)(cr.tensor(v))._data,
                                      getattr(torch, name)(torch.tensor(v)).numpy(), err_msg=name)
        np.testing.assert_array_equal(getattr(cr.tensor(v), name)()._data,
                                      getattr(torch.tensor(v), name)().numpy(), err_msg=name)
    z = np.array([1 + 0j, 1j])
    np.testing.assert_array_equal(cr.isreal(cr.tensor(z))._data, [True, False])


def test_isclose_allclose_equal_is_nonzero():
    a = np.array([1.0, 2.0, np.nan])
    b = np.array([1.0 + 1e-9, 2.1, np.nan])
    for eq_nan in (False, True):
        np.testing.assert_array_equal(
            cr.isclose(cr.tensor(a), cr.tensor(b), equal_nan=eq_nan)._data,
            torch.isclose(torch.tensor(a), torch.tensor(b), equal_nan=eq_nan).numpy())
    assert cr.allclose(cr.tensor(a[:1]), cr.tensor(b[:1])) is True
    assert cr.tensor(a).allclose(cr.tensor(b), atol=0.2, equal_nan=True) is True
    assert cr.tensor(a).allclose(cr.tensor(b), atol=0.2) is False
    assert cr.equal(cr.tensor([1, 2]), cr.tensor([1, 2])) is True
    assert cr.equal(cr.tensor([1, 2]), cr.tensor([[1, 2]])) is False
    assert cr.tensor([1.0]).equal(cr.tensor([1.5])) is False
    assert cr.is_nonzero(cr.tensor([0.5])) is True
    assert cr.tensor(0).is_nonzero() is False
    with pytest.raises(RuntimeError, match="is_nonzero: a tensor with 2 elements"):
        cr.is_nonzero(cr.tensor([1, 2]))


def test_nan_to_num_frexp_nextafter_values():
    v = np.array([np.nan, np.inf, -np.inf, 1.5], np.float32)
    for kw in ({}, {"nan": 1.0, "posinf": 2.0, "neginf": -3.0}):
        c = cr.nan_to_num(cr.tensor(v), **kw)
        np.testing.assert_array_equal(c._data, torch.nan_to_num(torch.tensor(v), **kw).numpy())
        assert c._data.dtype == np.float32
    m, e = cr.frexp(cr.tensor(X))
    tm, te = torch.frexp(torch.tensor(X))
    np.testing.assert_array_equal(m._data, tm.numpy())
    np.testing.assert_array_equal(e._data, te.numpy())
    assert e._data.dtype == np.int32 and cr.tensor(X).frexp().exponent._data.dtype == np.int32
    np.testing.assert_array_equal(cr.nextafter(cr.tensor(X), cr.tensor(Y))._data,
                                  torch.nextafter(torch.tensor(X), torch.tensor(Y)).numpy())


def test_dtypes_follow_torch_for_floats_and_ints():
    x32 = cr.tensor(U.astype(np.float32))
    for fn in (cr.rsqrt, cr.reciprocal, cr.sgn, cr.frac, cr.exp2, cr.sinc, cr.lgamma, cr.erfinv,
               lambda a: cr.round(a, decimals=2), lambda a: cr.add(a, 1.5, alpha=2),
               lambda a: cr.lerp(a, a, 0.5), lambda a: cr.softmax(a, 0)):
        assert fn(x32)._data.dtype == np.float32
    i = cr.tensor(INT_A)
    assert cr.reciprocal(cr.tensor([2]))._data.tolist() == [0.5]  # not integer 1 // 2
    assert cr.div(i, cr.tensor(INT_B))._data.dtype.kind == "f"
    assert cr.div(i, cr.tensor(INT_B), rounding_mode="trunc")._data.dtype == np.int64
    assert cr.softmax(cr.tensor(X), 0, dtype=cr.float32)._data.dtype == np.float32


def test_errors_name_the_operation():
    x = cr.tensor(X)
    with pytest.raises(ValueError, match="div: rounding_mode must be"):
        cr.div(x, x, rounding_mode="round")
    with pytest.raises(ZeroDivisionError, match="div: integer division by zero"):
        cr.div(cr.tensor([1]), cr.tensor([0]), rounding_mode="trunc")
    with pytest.raises(ValueError, match=r"mvlgamma: all elements must be greater than \(p-1\)/2"):
        cr.mvlgamma(x, 3)
    with pytest.raises(TypeError, match="addcdiv: integer division"):
        cr.addcdiv(x, cr.tensor([1]), cr.tensor([2]))
    with pytest.raises(TypeError, match="round: decimals=2 is only supported for floating"):
        cr.round(cr.tensor([1]), decimals=2)


def test_clamp_bounds_reversed_and_ties_follow_torch():
    # max wins where min > max; the gradient at the closed interval's ends passes to x.
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    assert_matches_torch(lambda a: cr.clamp(a, 0.0, 1.0), lambda a: torch.clamp(a, 0.0, 1.0), x,
                         second=False)
    assert_matches_torch(lambda a: cr.clamp(a, 1.0, 0.0), lambda a: torch.clamp(a, 1.0, 0.0), x,
                         second=False)


@pytest.mark.parametrize("name", ["floor_divide", "heaviside", "igamma", "igammac"])
def test_where_torch_has_no_derivative_values_match(name):
    # torch raises "derivative ... not implemented"; chainrule's derivative (zero for the
    # piecewise-constant ones, the incomplete gamma's for igamma) is checked in the primitive
    # table. Here: the values.
    a, b = (P, Q) if name.startswith("igamma") else (X * 3, NZ)
    c = getattr(cr, name)(cr.tensor(a), cr.tensor(b))
    np.testing.assert_allclose(c._data, getattr(torch, name)(torch.tensor(a), torch.tensor(b)),
                               rtol=1e-12)
    m = getattr(cr.tensor(a), name)(cr.tensor(b))
    np.testing.assert_allclose(m._data, c._data, rtol=0)


def test_piecewise_constant_gradients_are_zero():
    x = cr.tensor(X * 3, requires_grad=True)
    for fn in (lambda a: cr.floor_divide(a, 2.0), lambda a: cr.div(a, 2.0, rounding_mode="trunc"),
               lambda a: cr.round(a, decimals=1), cr.trunc, lambda a: cr.heaviside(a, 0.5)):
        (g,) = cr.autograd.grad(fn(x).sum(), [x])
        np.testing.assert_array_equal(g._data, 0.0)
