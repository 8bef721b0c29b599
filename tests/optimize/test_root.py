"""root (SciPy's with the AD Jacobian), custom_root and fixed_point: solutions against SciPy and
closed forms, differentiable in their parameters (implicitly) in both modes and to second order."""

import sys

import numpy as np
import pytest
import scipy.optimize as so

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import func
from chainrule.optimize import ImplicitDiffError, custom_root, fixed_point, root

RNG = np.random.default_rng(3)


def powell_hybrid(x, a):
    """SciPy's documented root example, with a parameter scaling the cubic terms."""
    return cnp.stack([x[0] + a * 0.5 * (x[0] - x[1]) ** 3 - 1.0,
                      a * 0.5 * (x[1] - x[0]) ** 3 + x[1]])


def powell_np(x, a):
    return np.array([x[0] + a * 0.5 * (x[0] - x[1]) ** 3 - 1.0,
                     a * 0.5 * (x[1] - x[0]) ** 3 + x[1]])


def powell_jac_np(x, a):
    d = 1.5 * a * (x[0] - x[1]) ** 2
    return np.array([[1 + d, -d], [-d, 1 + d]])


@pytest.mark.parametrize("method", ["hybr", "lm"])
def test_root_matches_scipy_with_exact_jacobian(method):
    res = root(powell_hybrid, np.array([0.0, 0.0]), args=(1.0,), method=method)
    ref = so.root(powell_np, [0.0, 0.0], args=(1.0,), method=method, jac=powell_jac_np)
    assert res.success
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-12)
    assert res.nfev <= ref.nfev
    np.testing.assert_allclose(res.x, [0.8411639, 0.1588361], atol=1e-7)


def test_root_pytree_and_jacobian_free_method():
    def f(x):
        return {"a": x["a"] ** 2 - 4.0, "b": x["b"] * x["a"] - 1.0}

    res = root(f, {"a": 1.0, "b": np.array([0.5, 1.0])})
    assert res.success and set(res.x) == {"a", "b"}
    assert abs(res.x["a"] - 2.0) < 1e-10
    np.testing.assert_allclose(res.x["b"], [0.5, 0.5], atol=1e-10)
    res = root(lambda x: x ** 3 - 8.0, np.array([1.5]), method="broyden1")
    assert res.success and abs(res.x[0] - 2.0) < 1e-5
    with pytest.raises(ValueError, match="uses no Jacobian"):
        root(lambda x: x ** 3 - 8.0, np.array([1.5]), method="broyden1", jac=lambda x: 3 * x)


def test_root_differentiable_in_args():
    # x = (a^(1/3)): root of x^3 - a, dx/da = 1/(3 a^(2/3)), d2x/da2 = -2/(9 a^(5/3))
    def r(a):
        return root(lambda x, a: x ** 3 - a, np.array([1.0]), args=(a,), tol=1e-14).x[0]

    a = 5.0
    assert abs(func.grad(r)(a) - 1 / (3 * a ** (2 / 3))) < 1e-10
    assert abs(func.jvp(r, (a,), (1.0,))[1] - 1 / (3 * a ** (2 / 3))) < 1e-10
    assert abs(func.grad(func.grad(r))(a) + 2 / (9 * a ** (5 / 3))) < 1e-10
    assert abs(func.hessian(r)(a) + 2 / (9 * a ** (5 / 3))) < 1e-10
    # finite differences of the converged solver, the vector case
    g = func.grad(lambda a: root(powell_hybrid, np.zeros(2), args=(a,), tol=1e-14).x[1])(1.0)
    h = 1e-5
    fd = (so.root(powell_np, [0.0, 0.0], args=(1 + h,), tol=1e-14).x[1]
          - so.root(powell_np, [0.0, 0.0], args=(1 - h,), tol=1e-14).x[1]) / (2 * h)
    assert abs(g - fd) < 1e-6


def test_root_not_converged_and_traced_raises():
    with pytest.raises(ImplicitDiffError, match="did not converge"):
        func.grad(lambda a: root(lambda x, a: x ** 2 + a, np.array([1.0]), args=(a,)).x[0])(1.0)


def test_custom_root_decorator():
    # Newton's method for sqrt(p): the solver's iterations are never traced.
    @custom_root(lambda x, p: x * x - p)
    def newton_sqrt(x, p):
        assert not isinstance(x, cr.Tensor) and not isinstance(p, cr.Tensor)
        for _ in range(60):
            x = 0.5 * (x + p / x)
        return x

    p = np.array([2.0, 9.0])
    np.testing.assert_allclose(newton_sqrt(np.ones(2), p), np.sqrt(p), rtol=1e-15)
    J = func.jacrev(lambda p: newton_sqrt(np.ones(2), p))(p)
    np.testing.assert_allclose(J, np.diag(0.5 / np.sqrt(p)), rtol=0, atol=1e-12)
    Jf = func.jacfwd(lambda p: newton_sqrt(np.ones(2), p))(p)
    np.testing.assert_allclose(Jf, J, rtol=0, atol=1e-14)
    H = func.hessian(lambda p: newton_sqrt(np.ones(2), p).sum())(p)
    np.testing.assert_allclose(H, np.diag(-0.25 * p ** -1.5), rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", ["anderson", "iteration"])
def test_fixed_point_of_a_quadratic(method):
    # x = x - eta (A x - b): the minimiser of 0.5 x'Ax - b'x, x* = A^{-1} b
    m = RNG.standard_normal((4, 4))
    A = m @ m.T / 4 + np.eye(4)
    b = RNG.standard_normal(4)
    eta = 1.0 / np.linalg.eigvalsh(A).max()
    step = lambda x, A, b: x - eta * (A @ x - b)  # noqa: E731
    x = fixed_point(step, np.zeros(4), A, b, tol=1e-14, maxiter=5000, method=method)
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=0, atol=1e-12)
    w = RNG.standard_normal(4)
    gA, gb = func.grad(lambda A, b: (fixed_point(step, np.zeros(4), A, b, tol=1e-14,
                                                 maxiter=5000, method=method) * w).sum(),
                       (0, 1))(A, b)
    lam = np.linalg.solve(A, w)
    np.testing.assert_allclose(gb, lam, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gA, -np.outer(lam, np.linalg.solve(A, b)), rtol=0, atol=1e-10)


@pytest.mark.parametrize("method", ["anderson", "del2", "iteration"])
def test_fixed_point_pytree_forward_and_second_order(method):
    # x = cos(c x) elementwise, as a dict; derivative against finite differences of the solver
    def f(x, c):
        return {"v": cnp.cos(c * x["v"])}

    def sol(c):
        return fixed_point(f, {"v": np.full(3, 0.5)}, c, tol=1e-15, method=method)["v"]

    c = np.array([0.5, 0.9, 1.1])
    h = 1e-5
    fd = (sol(c + h) - sol(c - h)) / (2 * h)
    np.testing.assert_allclose(func.jvp(sol, (c,), (np.ones(3),))[1], fd, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.diag(func.jacrev(sol)(c)), fd, rtol=0, atol=1e-6)
    g2 = func.hessian(lambda c: sol(c).sum())(c)
    fd2 = (func.grad(lambda c: sol(c).sum())(c + h) - func.grad(lambda c: sol(c).sum())(c - h)) \
        / (2 * h)
    np.testing.assert_allclose(g2.sum(1), fd2, rtol=0, atol=1e-6)


def test_fixed_point_failure_and_bad_method():
    with pytest.raises(RuntimeError, match="no fixed point"):
        fixed_point(lambda x: 2.0 * x + 1.0, np.array([1.0]), maxiter=20, method="iteration")
    with pytest.raises(ValueError, match="method="):
        fixed_point(lambda x: x, np.array([1.0]), method="newton")


def test_missing_scipy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    with pytest.raises(ImportError, match=r"pip install chainrule\[scipy\]"):
        root(lambda x: x - 1.0, np.array([0.0]))


def test_closure_over_a_traced_value_raises():
    with pytest.raises(ValueError, match="closure"):
        func.grad(lambda a: root(lambda x: x ** 3 - a, np.array([1.0])).x[0])(2.0)
    with pytest.raises(ValueError, match="closure"):
        func.grad(lambda a: fixed_point(lambda x: 0.5 * x + a, np.array([0.0])).sum())(2.0)
