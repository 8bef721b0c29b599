"""minimize: SciPy's methods with AD derivatives reach SciPy's solutions in no more iterations
than SciPy given hand-written exact derivatives; the argmin is differentiable in the args."""

import sys

import numpy as np
import pytest
import scipy.optimize as so

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import func
from chainrule.optimize import ImplicitDiffError, minimize


def rosen(x):
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


HESSP = {"Newton-CG", "trust-ncg", "trust-krylov", "trust-constr"}
HESS = {"trust-exact", "dogleg"}


def scipy_exact(fun, jac, hess, hessp, x0, method, **kw):
    """SciPy given hand-written exact derivatives, as the method uses them."""
    extra = {}
    if method in HESSP:
        extra["hessp"] = hessp
    if method in HESS:
        extra["hess"] = hess
    return so.minimize(fun, x0, jac=jac, method=method, **extra, **kw)


METHODS_2D = ["BFGS", "L-BFGS-B", "CG", "Newton-CG", "trust-ncg", "trust-krylov",
              "trust-exact", "trust-constr", "SLSQP", "TNC"]


@pytest.mark.parametrize("method", METHODS_2D)
def test_rosenbrock_2d(method):
    x0 = np.array([-1.2, 1.0])
    res = minimize(rosen, x0, method=method)
    ref = scipy_exact(so.rosen, so.rosen_der, so.rosen_hess, so.rosen_hess_prod, x0, method)
    assert res.success
    np.testing.assert_allclose(res.x, ref.x, atol=1e-4 if method == "TNC" else 1e-6)
    assert np.abs(res.x - 1).max() < 1e-3
    assert res.nit <= ref.nit


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "Newton-CG", "trust-ncg",
                                    "trust-krylov", "trust-exact", "CG"])
def test_rosenbrock_100d(method):
    x0 = np.full(100, 1.2)
    res = minimize(rosen, x0, method=method)
    ref = scipy_exact(so.rosen, so.rosen_der, so.rosen_hess, so.rosen_hess_prod, x0, method)
    assert res.success
    np.testing.assert_allclose(res.x, ref.x, atol=1e-5)
    assert res.nit <= ref.nit


def beale(x):
    return ((1.5 - x[0] + x[0] * x[1]) ** 2 + (2.25 - x[0] + x[0] * x[1] ** 2) ** 2
            + (2.625 - x[0] + x[0] * x[1] ** 3) ** 2)


def beale_parts(x):
    a, b = x
    t = [(1.5, 1), (2.25, 2), (2.625, 3)]
    f = sum((c - a + a * b ** k) ** 2 for c, k in t)
    g = np.zeros(2)
    H = np.zeros((2, 2))
    for c, k in t:
        r = c - a + a * b ** k
        dr = np.array([-1 + b ** k, k * a * b ** (k - 1)])
        d2r = np.array([[0, k * b ** (k - 1)],
                        [k * b ** (k - 1), k * (k - 1) * a * b ** (k - 2) if k > 1 else 0.0]])
        g += 2 * r * dr
        H += 2 * (np.outer(dr, dr) + r * d2r)
    return f, g, H


@pytest.mark.parametrize("method", ["BFGS", "trust-exact", "Newton-CG"])
def test_beale(method):
    x0 = np.array([1.0, 1.0])
    res = minimize(beale, x0, method=method)
    ref = scipy_exact(lambda x: beale_parts(x)[0], lambda x: beale_parts(x)[1],
                      lambda x: beale_parts(x)[2], lambda x, p: beale_parts(x)[2] @ p,
                      x0, method)
    np.testing.assert_allclose(res.x, [3.0, 0.5], atol=1e-5)
    assert res.nit <= ref.nit


def test_slsqp_constrained_and_bounded():
    # SciPy's tutorial problem: solution (1.4, 1.7)
    fun = lambda x: (x[0] - 1) ** 2 + (x[1] - 2.5) ** 2  # noqa: E731
    cons = [{"type": "ineq", "fun": lambda x: x[0] - 2 * x[1] + 2},
            {"type": "ineq", "fun": lambda x: -x[0] - 2 * x[1] + 6},
            {"type": "ineq", "fun": lambda x: -x[0] + 2 * x[1] + 2}]
    res = minimize(fun, np.array([2.0, 0.0]), method="SLSQP", bounds=((0, None), (0, None)),
                   constraints=cons)
    jacs = [np.array([1.0, -2.0]), np.array([-1.0, -2.0]), np.array([-1.0, 2.0])]
    ref_cons = [dict(c, jac=lambda x, j=j: j) for c, j in zip(cons, jacs)]
    ref = so.minimize(fun, [2.0, 0.0], method="SLSQP", bounds=((0, None), (0, None)),
                      constraints=ref_cons, jac=lambda x: np.array([2 * (x[0] - 1),
                                                                    2 * (x[1] - 2.5)]))
    np.testing.assert_allclose(res.x, [1.4, 1.7], atol=1e-8)
    assert res.nit <= ref.nit


def test_trust_constr_nonlinear_constraint_exact_hessians():
    # min x0 + x1 on the unit disc: (-1/sqrt2, -1/sqrt2)
    nlc = so.NonlinearConstraint(lambda x: x[0] ** 2 + x[1] ** 2, -np.inf, 1.0)
    res = minimize(lambda x: x[0] + x[1], np.array([0.1, 0.2]), method="trust-constr",
                   constraints=nlc, options={"gtol": 1e-10, "xtol": 1e-12})
    np.testing.assert_allclose(res.x, [-2 ** -0.5, -2 ** -0.5], atol=1e-5)  # (barrier)
    eq = {"type": "eq", "fun": lambda x: x[0] ** 2 + x[1] ** 2 - 1.0}
    res = minimize(lambda x: x[0] + 2 * x[1], np.array([0.5, 0.5]), method="trust-constr",
                   constraints=[eq], options={"gtol": 1e-10, "xtol": 1e-12})
    np.testing.assert_allclose(res.x, -np.array([1.0, 2.0]) / 5 ** 0.5, atol=1e-7)


def test_lbfgsb_bounded():
    x0 = np.full(6, 0.0)
    bounds = [(-2.0, 0.8)] * 6
    res = minimize(rosen, x0, method="L-BFGS-B", bounds=bounds)
    ref = so.minimize(so.rosen, x0, jac=so.rosen_der, method="L-BFGS-B", bounds=bounds)
    np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
    assert res.x.max() <= 0.8 and abs(res.x[0] - 0.8) < 1e-8
    assert res.nit <= ref.nit


def test_pytree_x0_tensor_face_callback_and_default_method():
    seen = []

    def fun(p):  # the Tensor face: methods on tensors
        w, b = p["w"], p["b"]
        return ((w - 3.0) ** 2).sum() + (b + 1.0) ** 2 + (w * b).sum() * 0.0

    res = minimize(fun, {"w": np.zeros(3), "b": 0.5}, callback=lambda p: seen.append(p))
    assert res.success and set(res.x) == {"w", "b"}
    np.testing.assert_allclose(res.x["w"], 3.0, atol=1e-6)
    assert abs(res.x["b"] + 1.0) < 1e-6
    assert set(res.jac) == {"w", "b"} and seen and set(seen[0]) == {"w", "b"}
    # derivative-free methods get no derivative and still work
    nm = minimize(lambda x: ((x - 2.0) ** 2).sum(), np.zeros(2), method="Nelder-Mead",
                  options={"xatol": 1e-10, "fatol": 1e-12})
    np.testing.assert_allclose(nm.x, 2.0, atol=1e-6)


def test_value_and_gradient_share_one_evaluation():
    calls = []

    def fun(x):
        calls.append(1)
        return rosen(x)

    res = minimize(fun, np.array([-1.2, 1.0]), method="BFGS")
    # one evaluation per point, gradient included (and one at x0 that checks that fun reads
    # nothing traced from outside args)
    assert len(calls) == res.nfev + 1
    assert res.njev == res.nfev


# --- argmin differentiation ----------------------------------------------------------------
RNG = np.random.default_rng(11)
XR = RNG.standard_normal((15, 4))
YR = RNG.standard_normal(15)


def ridge_obj(w, lam):
    r = XR @ w - YR
    return 0.5 * (r * r).sum() + 0.5 * lam * (w * w).sum()


def ridge_closed(lam):
    a = XR.T @ XR + lam * np.eye(4)
    x = np.linalg.solve(a, XR.T @ YR)
    return x, -np.linalg.solve(a, x), 2 * np.linalg.solve(a, np.linalg.solve(a, x))


@pytest.mark.parametrize("method", ["trust-exact", "BFGS"])
def test_ridge_argmin_derivative_closed_form(method):
    lam = 0.8
    opts = {"gtol": 1e-13} if method == "BFGS" else {"gtol": 1e-14}

    def sol(lam):
        return minimize(ridge_obj, np.zeros(4), args=(lam,), method=method, options=opts).x

    x, dx, d2x = ridge_closed(lam)
    tol = 1e-10 if method == "trust-exact" else 1e-8  # (the solution's own accuracy)
    np.testing.assert_allclose(func.jacrev(sol)(lam), dx, rtol=0, atol=tol)
    np.testing.assert_allclose(func.jvp(sol, (lam,), (1.0,))[1], dx, rtol=0, atol=tol)
    np.testing.assert_allclose(func.jacfwd(func.jacrev(sol))(lam), d2x, rtol=0, atol=tol)
    lt = cr.tensor(lam, requires_grad=True)
    sol(lt).sum().backward()
    assert abs(float(lt.grad) - dx.sum()) < tol


def test_active_bounds_hold_components():
    # argmin of 0.5 |x - p|^2 over x >= 0 is max(p, 0): derivative 1 where free, 0 at the bound
    p = np.array([1.5, -0.7, 0.3])

    def sol(p):
        return minimize(lambda x, p: 0.5 * ((x - p) ** 2).sum(), np.ones(3), args=(p,),
                        method="L-BFGS-B", bounds=so.Bounds(0.0, np.inf)).x

    np.testing.assert_allclose(sol(p), [1.5, 0.0, 0.3], atol=1e-8)
    np.testing.assert_allclose(func.jacrev(sol)(p), np.diag([1.0, 0.0, 1.0]), atol=1e-10)
    np.testing.assert_allclose(func.jacfwd(sol)(p), np.diag([1.0, 0.0, 1.0]), atol=1e-10)


def test_traced_args_errors():
    cons = {"type": "ineq", "fun": lambda x: x[0]}
    with pytest.raises(ValueError, match="constraints"):
        func.grad(lambda a: minimize(lambda x, a: ((x - a) ** 2).sum(), np.ones(2), args=(a,),
                                     constraints=cons).x.sum())(1.0)
    with pytest.raises(ImplicitDiffError, match="did not converge"):
        func.grad(lambda a: minimize(lambda x, a: ((x - a) ** 4).sum(), np.ones(2), args=(a,),
                                     options={"maxiter": 1}).x.sum())(3.0)


def test_bad_input():
    with pytest.raises(ValueError, match="scalar"):
        minimize(lambda x: x * 2.0, np.ones(2))
    with pytest.raises(ValueError, match="bound pairs"):
        minimize(rosen, np.ones(3), bounds=[(0, 1)])


def test_missing_scipy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    with pytest.raises(ImportError, match=r"pip install chainrule\[scipy\]"):
        minimize(rosen, np.ones(2))


def test_fun_with_numpy_namespace():
    res = minimize(lambda x: cnp.sum(cnp.cosh(x - 0.5)), np.zeros(3), method="trust-exact",
                   options={"gtol": 1e-12})
    np.testing.assert_allclose(res.x, 0.5, atol=1e-8)


def test_untraced_tensor_args_are_constants():
    # tensors that require no grad: nothing to differentiate, so constraints are fine
    cons = {"type": "ineq", "fun": lambda x: x[0] - 2.0}
    res = minimize(lambda x, a: ((x - a) ** 2).sum(), np.zeros(2), args=(cr.tensor(1.0),),
                   constraints=cons)
    np.testing.assert_allclose(res.x, [2.0, 1.0], atol=1e-6)
    assert isinstance(res.x, np.ndarray)


@pytest.mark.parametrize("method", ["dogleg", "trust-exact", "Newton-CG", "trust-constr"])
def test_convex_hessian_methods(method):
    res = minimize(lambda x: cnp.sum(cnp.cosh(x - 0.5)) + (x[0] - 2 * x[1]) ** 2, np.zeros(3),
                   method=method, options={"gtol": 1e-9} if method != "Newton-CG" else None)
    assert res.success
    ref = so.minimize(lambda x: np.cosh(x - 0.5).sum() + (x[0] - 2 * x[1]) ** 2, np.zeros(3),
                      method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(res.x, ref.x, atol=1e-5)


def test_user_derivatives_on_the_pytree_are_used():
    calls = {"jac": 0, "hessp": 0}

    def fun(p):
        return ((p["a"] - 1.0) ** 2).sum() + (p["b"] - 2.0) ** 2

    def jac(p):
        calls["jac"] += 1
        return {"a": 2 * (p["a"] - 1.0), "b": 2 * (p["b"] - 2.0)}

    def hessp(p, v):
        calls["hessp"] += 1
        return {"a": 2 * v["a"], "b": 2 * v["b"]}

    x0 = {"a": np.zeros(2), "b": 0.0}
    res = minimize(fun, x0, method="Newton-CG", jac=jac, hessp=hessp)
    np.testing.assert_allclose(res.x["a"], 1.0, atol=1e-8)
    assert calls["jac"] > 0 and calls["hessp"] > 0
    # jac=True: fun returns (value, gradient)
    res = minimize(lambda x: (float(((x - 3.0) ** 2).sum()), 2 * (x - 3.0)), np.zeros(2),
                   method="BFGS", jac=True)
    np.testing.assert_allclose(res.x, 3.0, atol=1e-6)
    seen = []
    minimize(fun, x0, method="trust-constr",
             callback=lambda intermediate_result: seen.append(intermediate_result.x))
    assert seen and set(seen[-1]) == {"a", "b"}


def test_tensor_face_methods_and_closures():
    # x arrives as a tensor in every method, derivative-free ones included
    for method in ("Nelder-Mead", "BFGS"):
        res = minimize(lambda x: (x - 1.0).exp().sum() - x.sum(), np.ones(2) * 0.3,
                       method=method)
        np.testing.assert_allclose(res.x, 1.0, atol=1e-4)
    with pytest.raises(ValueError, match="closure"):
        func.grad(lambda a: minimize(lambda x: ((x - a) ** 2).sum(), np.zeros(2)).x.sum())(1.0)
