"""chainrule.integrate.quad: nodes, values against SciPy, derivatives against mpmath, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from tests.integrate._cases import CASES, ORDERS, REFS, _reference, usable

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import func
from chainrule.integrate import IntegrationError, gauss_kronrod, quad


@pytest.fixture
def scipy_integrate():
    return pytest.importorskip("scipy.integrate")  # an oracle only; the rest runs without it

TIGHT = {"epsabs": 1e-13, "epsrel": 1e-12, "limit": 200}


# --- nodes -------------------------------------------------------------------------------

def test_kronrod_21_matches_the_published_table():
    # QUADPACK's qk21 (Piessens et al. 1983), to the double nearest the published decimals.
    x, wk, wg = gauss_kronrod(10)
    assert x[-1] == 0.995657163025808080735527280689003
    assert x[-2] == 0.973906528517171720077964012084452   # a Gauss node
    assert x[-3] == 0.930157491355708226001207180059508
    assert wk[10] == 0.149445554002916905664936468389821
    assert wk[-1] == 0.011694638867371874278064396062192
    assert wk[-2] == 0.032558162307964727478818972459390
    assert wg[-2] == 0.066671344308688137593568809893332
    assert wg[-4] == 0.149451349150580593145776339657697
    assert wg[-1] == 0.0 and wg[10] == 0.0


def test_kronrod_is_exact_to_degree_3n_plus_1():
    for n in (7, 10):
        x, wk, wg = gauss_kronrod(n)
        for d in range(3 * n + 2):
            exact = (1 - (-1) ** (d + 1)) / (d + 1)
            assert abs(wk @ x ** d - exact) < 4e-16, (n, d)
        assert abs(wk @ x ** (3 * n + 3) - 2 / (3 * n + 4)) > 1e-10  # and no further
        xg, wgl = np.polynomial.legendre.leggauss(n)
        np.testing.assert_allclose(x[wg != 0], xg, rtol=0, atol=2e-16)
        np.testing.assert_allclose(wg[wg != 0], wgl, rtol=3e-15, atol=0)  # NumPy's, to 1 ulp


# --- values --------------------------------------------------------------------------------

VALUE_TABLE = [
    (lambda x: cnp.exp(-x) * cnp.sin(3 * x), 0.0, 2.0),
    (lambda x: 1 / (1e-4 + x * x), -1.0, 1.0),            # peaked
    (lambda x: cnp.cos(20 * x), 0.0, 3.0),                 # oscillatory
    (lambda x: cnp.exp(-x * x), -math.inf, math.inf),
    (lambda x: 1 / (1 + x * x), 0.0, math.inf),
    (lambda x: cnp.exp(x), -math.inf, 1.0),
    (lambda x: 1 / cnp.sqrt(x), 0.0, 1.0),                 # endpoint singularities
    (lambda x: cnp.log(x), 0.0, 1.0),
    (lambda x: cnp.sin(x), 2.0, -1.0),                     # reversed limits
    (lambda x: 7.0 + 0 * x, 1.0, 1.0),                     # empty interval
]


@pytest.mark.parametrize("k", range(len(VALUE_TABLE)))
def test_values_agree_with_scipy(k, scipy_integrate):
    f, a, b = VALUE_TABLE[k]
    got, err = quad(f, a, b)
    ref, ref_err = scipy_integrate.quad(f, a, b)
    assert isinstance(got, float) and isinstance(err, float)
    assert abs(got - ref) <= 1e-10 * max(1.0, abs(ref)) + 2 * ref_err
    assert err <= max(1.49e-8, 1.49e-8 * abs(got))


@pytest.mark.parametrize("name", list(CASES))
def test_parametrised_values_agree_with_scipy(name, scipy_integrate):
    f, _, a, b, p = CASES[name]
    got, _ = quad(f, a, b, args=(p,))
    ref, ref_err = scipy_integrate.quad(f, a, b, args=(p,), limit=200,
                                        points=[0.0] if name == "peaked" else None)
    assert abs(got - ref) <= 1e-9 * max(1.0, abs(ref)) + 2 * ref_err


def test_points_and_full_output():
    f = lambda x: cnp.abs(x - 0.3)  # noqa: E731  (a kink at 0.3)
    val, err, info = quad(f, 0.0, 1.0, points=[0.3], full_output=1)
    assert abs(val - (0.3 ** 2 + 0.7 ** 2) / 2) < 1e-14
    assert info["last"] == 2 and info["neval"] == 42
    assert set(info) >= {"neval", "last", "alist", "blist", "rlist", "elist"}
    assert abs(np.sum(info["rlist"]) - val) < 1e-15


# --- derivatives against mpmath -------------------------------------------------------------

_refs = json.loads(REFS.read_text())


def _partial(fun, k, mode):
    """d fun / d (argument k), as a function of the same three arguments."""
    if mode == "reverse":
        return func.grad(fun, argnums=k)

    def d(*xs):
        return func.jvp(lambda v: fun(*xs[:k], v, *xs[k + 1:]), (xs[k],), (1.0,))[1]
    return d


def _derivative(name, order, modes):
    f, _, a, b, p = CASES[name]
    fun = lambda a, b, p: quad(f, a, b, args=(p,), **TIGHT)[0]  # noqa: E731
    ks = [k for k in range(3) for _ in range(order[k])]
    for k, mode in zip(ks, modes):
        fun = _partial(fun, k, mode)
    return float(fun(a, b, p))


_DERIV_CASES = [(n, o) for n in CASES for o in ORDERS if usable(n, o)]


@pytest.mark.parametrize("name,order", _DERIV_CASES,
                         ids=[f"{n}-{''.join(map(str, o))}" for n, o in _DERIV_CASES])
def test_derivatives_agree_with_mpmath(name, order):
    ref = _refs[name][",".join(map(str, order))]
    n = sum(order)
    mode_sets = [("reverse",) * n, ("forward",) * n]
    if n >= 2:  # forward over reverse and reverse over forward
        mode_sets += [("reverse",) + ("forward",) * (n - 1), ("forward",) + ("reverse",) * (n - 1)]
    for modes in mode_sets:
        got = _derivative(name, order, modes)
        assert abs(got - ref) <= 1e-10 * max(1.0, abs(ref)), (modes, got, ref)


def test_stored_references_are_mpmath_s():
    pytest.importorskip("mpmath")
    for name, order in [("smooth", (0, 0, 2)), ("lorentz_half", (0, 0, 1)),
                        ("oscillatory", (0, 1, 1))]:
        ref = _reference(name, order)
        assert abs(_refs[name][",".join(map(str, order))] - ref) <= 1e-14 * max(1, abs(ref))


def test_derivative_at_an_infinite_limit_is_zero():
    f = lambda x, p: cnp.exp(-p * x * x)  # noqa: E731
    g = func.grad(lambda a, b: quad(f, a, b, args=(1.0,))[0], argnums=(0, 1))(-math.inf, 0.5)
    assert g[0] == 0.0 and abs(g[1] - math.exp(-0.25)) < 1e-15
    _, t = func.jvp(lambda b: quad(f, 0.0, b, args=(1.0,))[0], (math.inf,), (1.0,))
    assert t == 0.0


def test_array_parameters_jacobians_and_hessian(scipy_integrate):
    # F(p) = ∫_0^2 exp(-(p0 x + p1 x^2)) dx: gradient -∫ m f, Hessian ∫ m m^T f, m = (x, x^2)
    f = lambda x, p: cnp.exp(-(p[0] * x + p[1] * x * x))  # noqa: E731
    p = np.array([0.4, 0.3])
    F = lambda p: quad(f, 0.0, 2.0, args=(p,), **TIGHT)[0]  # noqa: E731
    ff = lambda x, i, j: x ** (i + j) * math.exp(-(p[0] * x + p[1] * x * x))  # noqa: E731
    grad_ref = np.array([-scipy_integrate.quad(ff, 0, 2, args=(1, 0), epsabs=1e-14)[0],
                         -scipy_integrate.quad(ff, 0, 2, args=(2, 0), epsabs=1e-14)[0]])
    hess_ref = np.array([[scipy_integrate.quad(ff, 0, 2, args=(i, j), epsabs=1e-14)[0]
                          for j in (1, 2)] for i in (1, 2)])
    np.testing.assert_allclose(func.grad(F)(p), grad_ref, rtol=1e-11)
    np.testing.assert_allclose(func.jacfwd(F)(p), grad_ref, rtol=1e-11)
    for H in (func.hessian(F)(p), func.jacrev(func.jacrev(F))(p), func.jacfwd(func.jacfwd(F))(p)):
        np.testing.assert_allclose(H, hess_ref, rtol=1e-11)


def test_tensor_face_and_nested_args(scipy_integrate):
    p = cr.tensor([0.5, 2.0], requires_grad=True)
    f = lambda x, d: cnp.exp(-d["rate"][0] * x) * cnp.cos(d["rate"][1] * x) * d["k"]  # noqa: E731
    val, err = quad(f, 0.0, 1.0, args=({"rate": p, "k": 3},))
    assert isinstance(val, cr.Tensor) and isinstance(err, float) and val.dtype == cr.float64
    val.backward()
    ref = [scipy_integrate.quad(lambda x: -3 * x * math.exp(-0.5 * x) * math.cos(2 * x), 0, 1)[0],
           scipy_integrate.quad(lambda x: -3 * x * math.exp(-0.5 * x) * math.sin(2 * x), 0, 1)[0]]
    np.testing.assert_allclose(p.grad.numpy(), ref, rtol=1e-9)


def test_vectorised_call_and_loop_fallback():
    calls = []

    def vec(x, c):
        calls.append(np.shape(x))
        return cnp.exp(c * x)

    quad(vec, 0.0, 1.0, args=(1.0,))
    assert all(s == (21,) or s == (42,) for s in calls)  # one call per batch of nodes

    scalar_calls = []

    def scalar_only(x, c):  # math.exp refuses arrays: quad falls back to one call per node
        scalar_calls.append(type(x))
        return math.exp(c * x) if x > 0 else 1.0

    v, _ = quad(scalar_only, 0.0, 1.0, args=(1.0,))
    assert abs(v - (math.e - 1)) < 1e-14
    assert float in scalar_calls
    # a derivative through a scalar-only integrand written with chainrule works too
    g = func.grad(lambda c: quad(lambda x, c: cr.exp(c * x) if float(x) >= 0 else 0.0,
                                 0.0, 1.0, args=(c,))[0])(1.0)
    assert abs(g - 1.0) < 1e-12  # ∫ x e^x dx on [0, 1] = 1


def test_accuracy_not_reached_raises_a_clear_error():
    with pytest.raises(IntegrationError) as e:
        quad(lambda x: cnp.sin(50 * x) ** 2, 0.0, 10.0, limit=3)
    msg = str(e.value)
    assert "quad" in msg and "[0.0, 10.0]" in msg and "limit" in msg and "points" in msg
    assert e.value.value is not None and e.value.abserr > 1.49e-8
    # in a derivative quadrature, the message says so
    # (the value is large, so its relative tolerance is loose; its derivative's is not)
    f = lambda x, p: 100 + cnp.sin(p * x * x)  # noqa: E731
    quad(f, 0.0, 5.0, args=(3.0,), limit=6)  # the value converges, its derivative does not:
    with pytest.raises(IntegrationError, match="derivative of order 1"):
        func.grad(lambda p: quad(f, 0.0, 5.0, args=(p,), limit=6)[0])(3.0)


def test_bad_input_errors():
    with pytest.raises(IntegrationError, match="not finite"), np.errstate(divide="ignore"):
        quad(lambda x: 1 / (x - 0.5), 0.0, 1.0)  # 0.5 is a node
    with pytest.raises(ValueError, match="closure"):
        func.grad(lambda p: quad(lambda x: p * x, 0.0, 1.0)[0])(2.0)
    with pytest.raises(TypeError, match="callable"):
        quad(3.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="real scalar"):
        quad(cnp.sin, np.array([0.0, 1.0]), 1.0)
    with pytest.raises(TypeError, match="complex"):
        quad(lambda x, c: x, 0.0, 1.0, args=(np.array([1j]),))
    with pytest.raises(ValueError, match="points"):
        quad(cnp.sin, 0.0, math.inf, points=[1.0])


def test_float32_limits_and_scalar_tensor_args():
    b = cr.tensor(1.0, dtype=cr.float32, requires_grad=True)
    q = cr.tensor(2.0, requires_grad=True)  # 0-d
    val, _ = quad(lambda x, q: cnp.exp(-q * x), 0.0, b, args=(q,))
    val.backward()
    assert abs(b.grad.item() - math.exp(-2.0)) < 1e-7
    assert abs(q.grad.item() - (3 * math.exp(-2.0) - 1) / 4) < 1e-12  # -∫ x e^{-2x} on [0, 1]


def test_strong_endpoint_singularity_is_extrapolated(scipy_integrate):
    # x^-0.9: bisection alone would need thousands of subintervals; Wynn's epsilon algorithm
    # on the totals of successive depths converges in a few.
    val, err, info = quad(lambda x: x ** -0.9, 0.0, 1.0, full_output=1)
    assert info["extrapolated"] and info["last"] < 20
    assert abs(val - 10.0) < 1e-10 and err < 1.49e-7
    assert abs(val - scipy_integrate.quad(lambda x: x ** -0.9, 0.0, 1.0)[0]) < 1e-9
    # and the derivatives of ∫_0^1 x^(p-1) dx = 1/p at p = 0.15 (integrands x^-0.85 log^k x)
    F = lambda p: quad(lambda x, p: x ** (p - 1), 0.0, 1.0, args=(p,))[0]  # noqa: E731
    p = 0.15
    for got, ref in [(func.grad(F)(p), -1 / p ** 2),
                     (func.hessian(F)(p), 2 / p ** 3),
                     (func.grad(func.grad(func.grad(F)))(p), -6 / p ** 4)]:
        assert abs(got - ref) <= 1e-7 * abs(ref), (got, ref)


def test_integrand_in_plain_numpy_and_math():
    # NumPy's functions reach chainrule through the array protocol when given tensors
    F = lambda p: quad(lambda x, p: np.exp(-p * x), 0.0, 1.0, args=(p,))[0]  # noqa: E731
    assert abs(func.grad(F)(2.0) - (3 * math.exp(-2.0) - 1) / 4) < 1e-14
    # math.exp cannot carry a derivative: a clear error, not a silent zero
    G = lambda p: quad(lambda x, p: math.exp(-p * x), 0.0, 1.0, args=(p,))[0]  # noqa: E731
    assert abs(G(2.0) - (1 - math.exp(-2.0)) / 2) < 1e-14
    with pytest.raises(cr.autograd.conversion.TracedConversionError):
        func.grad(G)(2.0)
