"""implicit_solution: solutions differentiated by the implicit function theorem, against closed
forms (1e-10), finite differences of the converged solver (1e-6), in reverse and forward mode
and to second order; a failed linear solve raises."""

import numpy as np
import pytest
from tests.helpers import check_forward, check_grads

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import func
from chainrule.optimize import ImplicitDiffError, implicit_solution

RNG = np.random.default_rng(7)
N, P = 12, 5
X = RNG.standard_normal((N, P))
Y = RNG.standard_normal(N)
LAM = 0.7


def data(v):
    return v._data if hasattr(v, "_data") else np.asarray(v)


# --- ridge regression: x(lam) = (X'X + lam I)^{-1} X'y ------------------------------------
def ridge_objective(w, lam):
    r = X @ w - Y
    return 0.5 * (r * r).sum() + 0.5 * lam * (w * w).sum()


def ridge_optimality(w, lam):
    return func.grad(ridge_objective)(w, lam)


def ridge_plain(lam):
    return np.linalg.solve(X.T @ X + lam * np.eye(P), X.T @ Y)


def ridge(lam, solve="auto"):
    return implicit_solution(ridge_optimality, ridge_plain(float(data(lam))), (lam,), solve=solve)


def ridge_closed_forms(lam):
    a = X.T @ X + lam * np.eye(P)
    x = np.linalg.solve(a, X.T @ Y)
    dx = -np.linalg.solve(a, x)  # d/dlam
    d2x = 2 * np.linalg.solve(a, np.linalg.solve(a, x))
    return x, dx, d2x


@pytest.mark.parametrize("solve", ["dense", "gmres", "cg"])
def test_ridge_against_closed_form_all_modes(solve):
    x, dx, d2x = ridge_closed_forms(LAM)
    np.testing.assert_allclose(ridge(LAM, solve), x, rtol=0, atol=1e-12)
    w = RNG.standard_normal(P)
    # reverse
    g = func.grad(lambda lam: (ridge(lam, solve) * w).sum())(LAM)
    assert abs(g - dx @ w) < 1e-10
    J = func.jacrev(lambda lam: ridge(lam, solve))(LAM)
    np.testing.assert_allclose(J, dx, rtol=0, atol=1e-10)
    # forward
    _, t = func.jvp(lambda lam: ridge(lam, solve), (LAM,), (1.0,))
    np.testing.assert_allclose(t, dx, rtol=0, atol=1e-10)
    # second order, every nesting
    f = lambda lam: (ridge(lam, solve) * w).sum()  # noqa: E731
    for h in (func.hessian(f), func.jacrev(func.grad(f)), func.jacfwd(func.jacfwd(f)),
              func.jacrev(func.jacfwd(f))):
        assert abs(h(LAM) - d2x @ w) < 1e-10
    # second order of the vector solution itself, forward over forward
    d2 = func.jvp(lambda lam: func.jvp(lambda m: ridge(m, solve), (lam,), (1.0,))[1],
                  (LAM,), (1.0,))[1]
    np.testing.assert_allclose(d2, d2x, rtol=0, atol=1e-10)
    if solve == "dense":  # third order: d3x/dlam3 = -6 A^{-3} x
        a = X.T @ X + LAM * np.eye(P)
        d3x = -6 * np.linalg.solve(a, np.linalg.solve(a, np.linalg.solve(a, x)))
        d3 = func.jacfwd(func.jacrev(func.jacrev(lambda lam: ridge(lam, solve))))(LAM)
        np.testing.assert_allclose(d3, d3x, rtol=0, atol=1e-10)


# --- a quadratic's minimiser / linear system: x = A^{-1} b, differentiated in A and b -------
M = RNG.standard_normal((4, 4))
A0 = M @ M.T + 4 * np.eye(4)
B0 = RNG.standard_normal(4)


def lin_solution(a, b):
    return implicit_solution(lambda x, a, b: a @ x - b,
                             np.linalg.solve(data(a), data(b)), (a, b))


def test_quadratic_against_closed_form():
    w = RNG.standard_normal(4)
    x = np.linalg.solve(A0, B0)
    lam = np.linalg.solve(A0.T, w)
    ga, gb = func.grad(lambda a, b: (lin_solution(a, b) * w).sum(), (0, 1))(A0, B0)
    np.testing.assert_allclose(gb, lam, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ga, -np.outer(lam, x), rtol=0, atol=1e-12)
    # second order against the differentiated closed form cnp.linalg.solve
    T1, T2 = RNG.standard_normal((2, 4, 4))

    def second(f):
        return func.jvp(lambda a: func.jvp(lambda m: f(m, B0), (a,), (T1,))[1], (A0,), (T2,))[1]

    np.testing.assert_allclose(second(lin_solution), second(cnp.linalg.solve), rtol=0,
                               atol=1e-12)
    h = func.hessian(lambda a: (lin_solution(a, B0) ** 3 * w).sum())(A0)
    he = func.hessian(lambda a: (cnp.linalg.solve(a, B0) ** 3 * w).sum())(A0)
    np.testing.assert_allclose(h, he, rtol=0, atol=1e-12)


def test_quadratic_gradcheck_and_forward():
    check_grads(lambda a, b: lin_solution(a, b), A0, B0)
    check_forward(lambda a, b: lin_solution(a, b), A0, B0)


# --- a nonlinear condition, pytrees, against finite differences of the converged solver -----
K = 6
C = RNG.standard_normal((K, K)) / np.sqrt(K)


def cond(x, p):
    return {"u": x["u"] + 0.4 * cnp.tanh(C @ x["u"]) - p["theta"] * p["s"]}


def newton(theta, s):
    u = np.zeros(K)
    for _ in range(50):
        F = u + 0.4 * np.tanh(C @ u) - theta * s
        J = np.eye(K) + 0.4 * (1 - np.tanh(C @ u) ** 2)[:, None] * C
        u = u - np.linalg.solve(J, F)
        if np.max(np.abs(F)) < 1e-15:
            break
    return u


def solved(theta, s, solve="auto"):
    x = {"u": newton(data(theta), data(s))}
    return implicit_solution(cond, x, ({"theta": theta, "s": s},), solve=solve)["u"]


@pytest.mark.parametrize("solve", ["dense", "gmres"])
def test_nonlinear_against_finite_differences(solve):
    theta, s = RNG.standard_normal(K), 1.3
    w, e = RNG.standard_normal((2, K))
    f = lambda th, s: (solved(th, s, solve) ** 2 * w).sum()  # noqa: E731
    gt, gs = func.grad(f, (0, 1))(theta, s)
    h = 1e-5
    fd_t = (f(theta + h * e, s) - f(theta - h * e, s)) / (2 * h)
    fd_s = (f(theta, s + h) - f(theta, s - h)) / (2 * h)
    assert abs(gt @ e - fd_t) < 1e-6 and abs(gs - fd_s) < 1e-6
    _, tan = func.jvp(lambda th: f(th, s), (theta,), (e,))
    assert abs(tan - fd_t) < 1e-6
    H = func.hessian(lambda th: f(th, s))(theta)
    fd_h = (func.grad(f)(theta + h * e, s) - func.grad(f)(theta - h * e, s)) / (2 * h)
    np.testing.assert_allclose(H @ e, fd_h, rtol=0, atol=1e-6)
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-10)


def test_tensor_face_backward_and_plain_params():
    lam = cr.tensor(LAM, requires_grad=True)
    x = ridge(lam)
    assert isinstance(x, cr.Tensor)
    x.sum().backward()
    _, dx, _ = ridge_closed_forms(LAM)
    assert abs(float(lam.grad) - dx.sum()) < 1e-10
    # untraced params: the solution comes back as it was given
    assert isinstance(ridge(LAM), np.ndarray)



# --- an exponential fit whose optimality function calls grad: NumPy in, NumPy out -------------
TS = np.linspace(0.0, 1.0, 5)
Y_FIT = np.exp(0.3 * TS) + 0.05 * np.sin(7 * TS)
V_FIT = np.cos(3 * TS)


def fit_loss(x, y):
    return 0.5 * cnp.sum((cnp.exp(x[0] * TS) - y) ** 2)


def fit_optimality_by_grad(x, y):
    return func.grad(fit_loss)(x, y)


def fit_optimality_by_hand(x, y):
    e = cnp.exp(x[0] * TS)
    return cnp.reshape((e - y) @ (TS * e), (1,))


def fit_newton(y):
    x = 0.3
    for _ in range(100):
        e = np.exp(x * TS)
        step = ((e - y) @ (TS * e)) / ((TS * e) @ (TS * e) + (e - y) @ (TS * TS * e))
        x -= step
        if abs(step) < 1e-16:
            break
    return np.array([x])


@pytest.mark.parametrize("solve", ["dense", "gmres"])
@pytest.mark.parametrize("optimality", [fit_optimality_by_grad, fit_optimality_by_hand])
def test_second_order_results_are_numpy_when_optimality_calls_grad(optimality, solve):
    """jvp(grad(g)) with NumPy inputs returns NumPy arrays, also when the optimality function
    differentiates (its backward rule ran under a pass that keeps no graph, but recorded onto
    the inputs' edges, so the results came back as tensors that require grad)."""

    def g(y):
        return cnp.sum(implicit_solution(optimality, fit_newton(data(y)), (y,), solve=solve) ** 2)

    h = 1e-5
    fd = (func.grad(g)(Y_FIT + h * V_FIT) - func.grad(g)(Y_FIT - h * V_FIT)) / (2 * h)
    H = func.hessian(g)(Y_FIT)
    assert type(H) is np.ndarray
    np.testing.assert_allclose(H @ V_FIT, fd, rtol=0, atol=1e-8)
    results = {
        "jvp(grad)": func.jvp(func.grad(g), (Y_FIT,), (V_FIT,)),
        "hvp": (func.hvp(g, (Y_FIT,), (V_FIT,))[1],),
        "grad(grad)": (func.grad(lambda y: func.grad(g)(y) @ V_FIT)(Y_FIT),),
        "vjp(grad)": func.vjp(func.grad(g), Y_FIT)[1](V_FIT),
        "jacfwd(grad)": (func.jacfwd(func.grad(g))(Y_FIT) @ V_FIT,),
    }
    for name, res in results.items():
        for r in res:
            assert type(r) is np.ndarray, (name, type(r))
    gy, hv = results["jvp(grad)"]
    np.testing.assert_allclose(gy, func.grad(g)(Y_FIT), rtol=0, atol=1e-14)
    for name, res in results.items():
        np.testing.assert_allclose(res[-1], H @ V_FIT, rtol=0, atol=1e-12, err_msg=name)
    # the Tensor face: tensors back, requiring grad only when an input does
    gy, hv = func.jvp(func.grad(g), (cr.tensor(Y_FIT),), (cr.tensor(V_FIT),))
    assert isinstance(hv, cr.Tensor) and not gy.requires_grad and not hv.requires_grad
    np.testing.assert_allclose(hv.numpy(), H @ V_FIT, rtol=0, atol=1e-12)


# --- failures ----------------------------------------------------------------------------------
def degenerate(x, a):
    # a = 1, x = (1, anything) solves it: the solution is not isolated, d_x F = diag(1, 0)
    return cnp.stack([x[0] * a - 1.0, 0.0 * x[1] + a - 1.0])


@pytest.mark.parametrize("solve", ["dense", "gmres"])
def test_singular_jacobian_raises(solve):
    with pytest.raises(ImplicitDiffError, match="degenerate.*singular"):
        func.grad(lambda a: implicit_solution(degenerate, np.array([1.0, 0.0]), (a,),
                                              solve=solve).sum())(1.0)
    with pytest.raises(ImplicitDiffError, match="singular"):
        func.jvp(lambda a: implicit_solution(degenerate, np.array([1.0, 0.0]), (a,),
                                             solve=solve), (1.0,), (1.0,))
    assert issubclass(ImplicitDiffError, RuntimeError)
    assert issubclass(ImplicitDiffError, np.linalg.LinAlgError)


def test_non_finite_and_indefinite_raise():
    nan_cond = lambda x, a: x * cnp.sqrt(a - 2.0) - 1.0  # noqa: E731 - d_x F = nan at a = 1
    with pytest.raises(ImplicitDiffError, match="non-finite"), np.errstate(invalid="ignore"):
        func.grad(lambda a: implicit_solution(nan_cond, np.array([1.0]), (a,)).sum())(1.0)
    indefinite = lambda x, a: cnp.stack([x[0] - a, -x[1] + a])  # noqa: E731
    with pytest.raises(ImplicitDiffError, match="not positive definite"):
        func.grad(lambda a: implicit_solution(indefinite, np.array([1.0, 1.0]), (a,),
                                              solve="cg").sum())(1.0)


def test_bad_arguments():
    with pytest.raises(TypeError, match="params must be a tuple"):
        implicit_solution(ridge_optimality, ridge_plain(LAM), LAM)
    with pytest.raises(ValueError, match="solve="):
        implicit_solution(ridge_optimality, ridge_plain(LAM), (LAM,), solve="lu")
    with pytest.raises(ValueError, match="one equation per unknown"):
        func.grad(lambda a: implicit_solution(lambda x, a: x[:2] * a, np.ones(3),
                                              (a,)).sum())(1.0)


@pytest.mark.parametrize("solve", ["dense", "gmres"])
def test_one_linear_solve_per_cotangent_and_tangent(solve, monkeypatch):
    from chainrule.optimize import _implicit

    count = []
    original = _implicit._Problem.solve_plain

    def counted(self, b, transpose):
        if np.any(b):
            count.append(transpose)
        return original(self, b, transpose)

    monkeypatch.setattr(_implicit._Problem, "solve_plain", counted)
    func.grad(lambda lam: ridge(lam, solve).sum())(LAM)
    assert count == [True]  # one solve with (d_x F)^T
    count.clear()
    func.jvp(lambda lam: ridge(lam, solve), (LAM,), (1.0,))
    assert count == [False]  # one solve with d_x F
