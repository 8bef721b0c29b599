"""least_squares: SciPy's results on small problems (every method, loss, Jacobian kind and
scaling), pytree parameters, extra arguments, honest evaluation counts, fit statistics against
closed forms, implicit derivatives of the solution against pinv, and the errors on bad input."""

import warnings

import numpy as np
import pytest
import scipy.optimize as so

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.functional import jacfwd, jacrev
from chainrule.optimize import least_squares

RNG = np.random.default_rng(7)
T = np.linspace(0, 4, 40)
Y = 2.5 * np.exp(-1.3 * T) + 0.4 + 0.01 * RNG.standard_normal(T.size)
Y_OUT = Y.copy()
Y_OUT[::7] += 1.0  # outliers for the robust losses


def decay(b, t=T, y=Y):
    return b[0] * cnp.exp(-b[1] * t) + b[2] - y


def decay_np(b, t=T, y=Y):
    return b[0] * np.exp(-b[1] * t) + b[2] - y


def decay_jac(b, t=T, y=Y):
    e = np.exp(-b[1] * t)
    return np.stack([e, -b[0] * t * e, np.ones_like(t)], axis=1)


X0 = np.array([1.0, 1.0, 0.0])


def scipy_ls(fun, x0, **kw):
    kw.setdefault("ftol", 1e-15)
    kw.setdefault("xtol", 1e-15)
    kw.setdefault("gtol", 1e-15)
    return so.least_squares(fun, x0, max_nfev=10000, **kw)


@pytest.mark.parametrize("method", ["trf", "lm", "dogbox"])
@pytest.mark.parametrize("loss", ["linear", "soft_l1", "huber", "cauchy", "arctan"])
def test_every_method_and_loss_reaches_scipys_minimum(method, loss):
    # (robust losses are not convex in the residuals: a start in the basin of the robust fit,
    # so that every method meets the same local minimum)
    fun = lambda b: decay(b, y=Y_OUT)  # noqa: E731
    x0 = np.array([2.0, 1.0, 0.3])
    ref = scipy_ls(lambda b: decay_np(b, y=Y_OUT), x0, loss=loss, f_scale=0.1,
                   jac=lambda b: decay_jac(b, y=Y_OUT))
    res = least_squares(fun, x0, method=method, loss=loss, f_scale=0.1)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(res.cost, ref.cost, rtol=1e-10)
    assert res.optimality < 1e-8 * max(1.0, res.cost)
    if loss != "linear":  # the robust fit is far from the plain one, pulled by the outliers
        plain = least_squares(fun, x0, method=method)
        assert np.abs(plain.x - res.x).max() > 1e-3


def test_callable_loss_matches_the_named_one():
    def cauchy(z):
        return np.stack([np.log1p(z), 1 / (1 + z), -1 / (1 + z) ** 2])

    a = least_squares(lambda b: decay(b, y=Y_OUT), X0, loss=cauchy, method="lm")
    b = least_squares(lambda b: decay(b, y=Y_OUT), X0, loss="cauchy", method="lm")
    np.testing.assert_allclose(a.x, b.x, rtol=1e-12)


@pytest.mark.parametrize("jac", ["auto", "fwd", "rev", "2-point", "3-point", "cs", "callable"])
@pytest.mark.parametrize("method", ["trf", "lm"])
def test_every_jacobian_kind(jac, method):
    ref = scipy_ls(decay_np, X0, jac=decay_jac)
    fun = decay_np if jac in ("2-point", "3-point", "cs", "callable") else decay
    res = least_squares(fun, X0, jac=decay_jac if jac == "callable" else jac, method=method)
    tol = 1e-6 if jac == "2-point" else 1e-9
    np.testing.assert_allclose(res.x, ref.x, rtol=tol)
    np.testing.assert_allclose(res.jac, decay_jac(res.x), rtol=1e-6 if jac == "2-point" else
                               1e-8 if jac == "3-point" else 1e-12, atol=1e-7)
    mode = {"auto": "forward", "fwd": "forward", "rev": "reverse", "callable": "callable"}
    assert res.jac_mode == mode.get(jac, jac)


def test_auto_mode_picks_reverse_when_parameters_outnumber_residuals():
    A = RNG.standard_normal((3, 6))
    y = RNG.standard_normal(3)
    res = least_squares(lambda x: A @ x - y + 0.1 * x[:3] ** 3, np.zeros(6))
    assert res.jac_mode == "reverse"
    assert res.cost < 1e-20  # underdetermined: a zero-residual solution exists
    with pytest.raises(ValueError, match=r"least_squares: method='lm' needs at least as many "
                                         r"residuals as parameters, got 3 residuals for 6"):
        least_squares(lambda x: A @ x - y, np.zeros(6), method="lm")


def test_counts_are_calls_of_fun():
    for jac, f in (("auto", decay), ("rev", decay), ("2-point", decay_np),
                   ("callable", decay_np)):
        calls = []

        def counted(b, f=f, calls=calls):
            calls.append(1)
            return f(b)

        res = least_squares(counted, X0, jac=decay_jac if jac == "callable" else jac)
        # (auto: one extra call to size the output and choose the mode)
        assert res.nfev == len(calls), jac
        assert res.njev >= 1
    # forward mode: residuals and Jacobian from one call, so a Jacobian per evaluation
    res = least_squares(decay, X0, jac="fwd", polish=False)
    assert res.njev == res.nfev


@pytest.mark.parametrize("method", ["trf", "dogbox"])
def test_bounds_match_scipy(method):
    lb, ub = np.array([0.0, 1.5, -1.0]), np.array([2.0, 5.0, 1.0])
    ref = scipy_ls(decay_np, X0.clip(lb + 0.1, ub), jac=decay_jac, bounds=(lb, ub),
                   method=method)
    res = least_squares(decay, X0.clip(lb + 0.1, ub), bounds=(lb, ub), method=method)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-8, atol=1e-10)
    assert list(res.active_mask) == [1, -1, 0]
    assert np.all(res.x >= lb) and np.all(res.x <= ub)


@pytest.mark.parametrize("method", ["trf", "lm", "dogbox"])
def test_x_scale_array_and_jac_reach_the_same_minimum(method):
    ref = least_squares(decay, X0, method=method, x_scale=1.0)
    for xs in ("jac", np.array([1.0, 0.1, 10.0])):
        res = least_squares(decay, X0, method=method, x_scale=xs)
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-9)


def test_pytree_parameters_args_kwargs_and_tensor_face():
    def model(p, t, *, y):
        out = p["amp"] * (-p["rate"][0] * cr.as_tensor(t)).exp() + p["offset"]
        return (out - cr.as_tensor(y)).reshape(8, 5)  # any shape: flattened

    p0 = {"amp": np.array(1.0), "rate": np.array([1.0]), "offset": np.array(0.0)}
    res = least_squares(model, p0, args=(T,), kwargs={"y": Y})
    ref = least_squares(decay, X0)
    assert set(res.x) == {"amp", "rate", "offset"} and res.x["rate"].shape == (1,)
    np.testing.assert_allclose([res.x["amp"], res.x["rate"][0], res.x["offset"]], ref.x,
                               rtol=1e-10)
    assert res.stderr["rate"].shape == (1,)
    np.testing.assert_allclose([res.stderr["amp"], res.stderr["rate"][0], res.stderr["offset"]],
                               ref.stderr, rtol=1e-8)
    assert res.fun.shape == (40,)


def test_statistics_of_a_linear_fit_are_the_textbook_ones():
    A = np.stack([np.ones_like(T), T, T**2], axis=1)
    y = A @ np.array([1.0, -2.0, 0.5]) + 0.1 * RNG.standard_normal(T.size)
    res = least_squares(lambda b: A @ b - y, np.zeros(3))
    beta, rss = np.linalg.lstsq(A, y, rcond=None)[:2]
    s2 = rss[0] / (T.size - 3)
    cov = s2 * np.linalg.inv(A.T @ A)
    np.testing.assert_allclose(res.x, beta, rtol=1e-12)
    assert res.dof == T.size - 3
    np.testing.assert_allclose(res.cov, cov, rtol=1e-10)
    np.testing.assert_allclose(res.stderr, np.sqrt(np.diag(cov)), rtol=1e-10)
    np.testing.assert_allclose(res.corr, cov / np.outer(res.stderr, res.stderr), rtol=1e-10)
    np.testing.assert_allclose(np.diag(res.corr), 1.0)


def test_rank_deficient_jacobian_warns_and_uses_the_pseudo_inverse():
    A = np.stack([np.ones_like(T), T, 2 * T], axis=1)  # columns 2 and 3 are parallel
    y = 1 + T
    with pytest.warns(RuntimeWarning, match="rank-deficient .rank 2 < 3"):
        res = least_squares(lambda b: A @ b - y + 1e-3 * RNG.standard_normal(T.size) * 0,
                            np.zeros(3))
    assert res.rank == 2
    np.testing.assert_allclose(A @ res.x, y, atol=1e-10)
    np.testing.assert_allclose(res.cov, res.cov.T)
    with pytest.warns(RuntimeWarning, match="no degrees of freedom"):
        res = least_squares(lambda b: b - 1.0, np.zeros(2))
    assert np.all(np.isinf(res.cov))


# --- implicit differentiation of the solution ------------------------------------------------
A_LIN = RNG.standard_normal((9, 3))
Y_LIN = RNG.standard_normal(9)


def lin(x, A, y):
    return A @ x - y


@pytest.mark.parametrize("transform", [jacrev, jacfwd])
@pytest.mark.parametrize("method", ["trf", "lm"])
def test_solution_is_differentiable_in_the_data(transform, method):
    def solve(y):
        return least_squares(lin, np.zeros(3), args=(A_LIN, y), method=method).x

    np.testing.assert_allclose(transform(solve)(Y_LIN), np.linalg.pinv(A_LIN), atol=1e-10)

    def solve_a(A):
        return least_squares(lin, np.zeros(3), args=(A, Y_LIN), method=method).x

    JA = transform(solve_a)(A_LIN)
    E = np.zeros_like(A_LIN)
    E[4, 1] = 1e-6
    fd = (np.linalg.lstsq(A_LIN + E, Y_LIN, rcond=None)[0]
          - np.linalg.lstsq(A_LIN - E, Y_LIN, rcond=None)[0]) / 2e-6
    np.testing.assert_allclose(JA[:, 4, 1], fd, atol=1e-8)


def test_solution_with_tensor_data_backpropagates_and_kwargs_pytree():
    y = cr.tensor(Y_LIN, requires_grad=True)
    res = least_squares(lambda p, y: A_LIN @ cnp.concatenate([p["a"], p["b"]]) - y,
                        {"a": np.zeros(2), "b": np.zeros(1)}, kwargs={"y": y})
    (res.x["a"].sum() + 2 * res.x["b"].sum()).backward()
    w = np.array([1.0, 1.0, 2.0])
    np.testing.assert_allclose(y.grad, w @ np.linalg.pinv(A_LIN), atol=1e-10)


def test_robust_loss_solution_derivative_matches_finite_differences():
    def solve(y):
        return least_squares(decay, X0, kwargs={"y": y}, loss="soft_l1", f_scale=0.1).x

    J = jacrev(solve)(Y_OUT)
    e = np.zeros_like(Y_OUT)
    e[5] = 1e-6
    fd = (least_squares(decay, X0, kwargs={"y": Y_OUT + e}, loss="soft_l1", f_scale=0.1,
                        ftol=1e-15, xtol=1e-15).x
          - least_squares(decay, X0, kwargs={"y": Y_OUT - e}, loss="soft_l1", f_scale=0.1,
                          ftol=1e-15, xtol=1e-15).x) / 2e-6
    np.testing.assert_allclose(J[:, 5], fd, atol=1e-6)


def test_active_bounds_with_traced_data_raise():
    y = cr.tensor(Y_LIN, requires_grad=True)
    with pytest.raises(ValueError, match="bounds are active at the solution"):
        least_squares(lin, np.zeros(3), args=(A_LIN, y), bounds=(-0.01, 0.01))
    # inactive bounds: the interior solution's derivative, as without bounds
    J = jacrev(lambda y: least_squares(lin, np.zeros(3), args=(A_LIN, y), bounds=(-9, 9)).x)
    np.testing.assert_allclose(J(Y_LIN), np.linalg.pinv(A_LIN), atol=1e-10)


# --- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    (dict(bounds=(np.zeros(2), 1.0)), r"the lower bound has shape \(2,\) but x0 has 3 parameters"),
    (dict(bounds=(0.5, 2.0)), r"x0 is infeasible: parameter\(s\) \[2\]"),
    (dict(bounds=(1.0, 1.0)), "each lower bound must be strictly less than its upper"),
    (dict(loss="l3"), "unknown loss 'l3'"),
    (dict(method="newton"), "method must be one of"),
    (dict(method="lm", bounds=(-5, 5)), "method='lm' does not handle bounds"),
    (dict(x_scale=np.ones(2)), r"x_scale has shape \(2,\) but x0 has 3"),
    (dict(x_scale=-1.0), "x_scale must be positive"),
    (dict(jac="central"), "jac must be"),
    (dict(tr_solver="lsmr"), "tr_solver='lsmr' is not supported"),
    (dict(f_scale=0.0), "f_scale must be positive"),
])
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match="least_squares: " + message):
        least_squares(decay, np.array([1.0, 1.0, 0.0]), **kwargs)


def test_non_finite_residuals_and_jacobian_shapes_are_refused():
    with pytest.raises(ValueError, match=r"residuals at x0 are not finite \(at indices \[0\]"):
        least_squares(lambda b: cnp.log(b), np.array([-1.0, 1.0]))
    with pytest.raises(ValueError, match=r"callable jac returned shape \(3, 3\), but there are "
                                         r"40 residuals and 3 parameters"):
        least_squares(decay_np, X0, jac=lambda b: np.eye(3))
    with pytest.raises(ValueError, match="x0 has non-finite values"):
        least_squares(decay, np.array([np.nan, 1.0, 0.0]))
    with pytest.raises(ValueError, match="x0 must be 1-D"):
        least_squares(decay, np.ones((3, 1)))


def test_loss_callable_shape_is_checked():
    with pytest.raises(ValueError, match=r"callable loss must return an array of shape "
                                         r"\(3, 40\)"):
        least_squares(decay, X0, loss=lambda z: z)


def test_max_nfev_stops_with_status_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = least_squares(decay, np.array([10.0, 10.0, 5.0]), max_nfev=3)
    assert res.status == 0 and not res.success and res.nfev <= 4
    assert "maximum number of function evaluations" in res.message


def test_pytree_bounds_and_scalar_x0():
    t = np.linspace(0, 1, 10)
    y = 3 * t + 1
    res = least_squares(lambda p: p["a"] * t + p["b"] - y, {"a": 0.0, "b": 0.0},
                        bounds=({"a": -1.0, "b": -5.0}, {"a": 2.0, "b": 5.0}))
    assert list(res.active_mask) == [1, 0]
    np.testing.assert_allclose([res.x["a"], res.x["b"]], [2.0, 1.5], rtol=1e-12)
    res = least_squares(lambda a: a * t - y, 1.0)  # SciPy: a float x0 is a 1-vector
    assert res.x.shape == (1,)
    np.testing.assert_allclose(res.x, [np.dot(t, y) / np.dot(t, t)], rtol=1e-12)


def test_second_order_derivative_of_a_nonlinear_fit():
    """d^2/dy^2 of a function of the fitted parameters (forward over reverse through the
    implicit solution) against central differences of its exact gradient."""
    from chainrule.functional import grad, hessian

    def g(y):
        x = least_squares(decay, X0, args=(T, y)).x
        return x[0] * x[1] + x[2] ** 2

    v = RNG.standard_normal(Y.size)
    gy = grad(g)
    hv = hessian(g)(Y) @ v
    h = 1e-5
    fd = (gy(Y + h * v) - gy(Y - h * v)) / (2 * h)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-8)
    assert np.abs(hv).max() > 1e-2


def test_traced_value_read_from_the_closure_is_refused():
    y = cr.tensor(Y_LIN, requires_grad=True)
    for jac in ("auto", "fwd"):
        with pytest.raises(ValueError, match="least_squares: fun reads a traced value"):
            least_squares(lambda x: A_LIN @ x - y, np.zeros(3), jac=jac)
    with pytest.raises(ValueError, match="pass it through args or kwargs"):
        jacrev(lambda yy: least_squares(lambda x: A_LIN @ x - yy, np.zeros(3)).x)(Y_LIN)


def test_residuals_must_be_real_and_of_fixed_size():
    with pytest.raises(ValueError, match="least_squares: fun returned complex residuals"):
        least_squares(lambda b: decay_np(b) + 0j, X0, jac="2-point")
    with pytest.raises(ValueError, match=r"fun returned \d+ residuals here but 40 at x0"):
        least_squares(lambda b: decay(b)[: 40 if b[0] == 1.0 else 30], X0)


def test_verbose_prints_the_outcome(capsys):
    least_squares(decay, X0, verbose=1)
    out = capsys.readouterr().out
    assert out.startswith("least_squares (trf): ") and "nfev" in out
