"""hessian (forward over reverse) and hvp: the 100-dimensional Rosenbrock function against its
closed form, another function against torch.func.hessian, and H v against hessian @ v."""

import numpy as np
import pytest
import torch
import torch.func
from tests.helpers import positive, rand, to_numpy

import chainrule as cr
from chainrule.functional import hessian, hvp, jacfwd, jacrev


def rosenbrock(x):
    return cr.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hessian(x):
    """The closed form: tridiagonal."""
    n = x.size
    diag = np.zeros(n)
    diag[:-1] += 1200 * x[:-1] ** 2 - 400 * x[1:] + 2
    diag[1:] += 200
    off = -400 * x[:-1]
    return np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)


def rosenbrock_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return g


def test_closed_form_is_right():
    # the reference itself, against SciPy's
    from scipy.optimize import rosen_der, rosen_hess

    x = rand((6,), seed=0)
    np.testing.assert_allclose(rosenbrock_hessian(x), rosen_hess(x), rtol=1e-14)
    np.testing.assert_allclose(rosenbrock_grad(x), rosen_der(x), rtol=1e-14)


def test_rosenbrock_hessian_100d():
    x = rand((100,), seed=1)
    H = hessian(rosenbrock)(x)
    assert type(H) is np.ndarray and H.shape == (100, 100)
    np.testing.assert_allclose(H, rosenbrock_hessian(x), rtol=1e-12, atol=1e-10)


def test_rosenbrock_hessian_chunked():
    x = rand((100,), seed=2)
    want = rosenbrock_hessian(x)
    for c in (1, 7, None):
        np.testing.assert_allclose(hessian(rosenbrock, chunk_size=c)(x), want, rtol=1e-12,
                                   atol=1e-10)


def test_rosenbrock_hvp_100d():
    x, v = rand((100,), seed=3), rand((100,), seed=4)
    value, hv = hvp(rosenbrock, (x,), (v,))
    assert float(value) == pytest.approx(
        np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2), rel=1e-14)
    assert type(hv) is np.ndarray and hv.shape == (100,)
    np.testing.assert_allclose(hv, rosenbrock_hessian(x) @ v, rtol=1e-12, atol=1e-10)


A = rand((4, 3), seed=5)


def _cr_f(x):
    return cr.logsumexp(cr.tensor(A) @ x, axis=0) + cr.sum(cr.sin(x) * x ** 2) \
        + cr.prod(x) * cr.sqrt(cr.sum(x * x))


def _t_f(x):
    return torch.logsumexp(torch.tensor(A) @ x, 0) + torch.sum(torch.sin(x) * x ** 2) \
        + torch.prod(x) * torch.sqrt(torch.sum(x * x))


def test_hessian_matches_torch():
    x = rand((3,), seed=6)
    H = hessian(_cr_f)(x)
    want = torch.func.hessian(_t_f)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(H, want, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-13)


def test_hessian_of_a_matrix_input_matches_torch():
    B = rand((2, 3), seed=7)

    def f(X):
        return cr.sum(cr.tanh(X @ cr.tensor(B).T) ** 2) + cr.sum(cr.softmax(X, axis=1) * X)

    def tf(X):
        return torch.sum(torch.tanh(X @ torch.tensor(B).T) ** 2) \
            + torch.sum(torch.softmax(X, 1) * X)

    X = rand((2, 3), seed=8)
    H = hessian(f)(X)
    assert H.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(H, torch.func.hessian(tf)(torch.tensor(X)).numpy(), rtol=1e-11,
                               atol=1e-12)


def test_hessian_with_argnums_tuple():
    def f(x, y):
        return cr.sum(cr.exp(y @ x)) * cr.sum(x ** 2) + cr.sum(y ** 3)

    def tf(x, y):
        return torch.sum(torch.exp(y @ x)) * torch.sum(x ** 2) + torch.sum(y ** 3)

    x, y = rand((3,), seed=9), rand((2, 3), seed=10)
    H = hessian(f, argnums=(0, 1))(x, y)
    want = torch.func.hessian(tf, argnums=(0, 1))(torch.tensor(x), torch.tensor(y))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(H[i][j], want[i][j].numpy(), rtol=1e-11, atol=1e-12)


def test_hessian_of_a_quadratic_is_exact():
    M = rand((5, 5), seed=11)
    H = hessian(lambda x: 0.5 * (x @ (cr.tensor(M) @ x)))(rand((5,), seed=12))
    np.testing.assert_allclose(H, (M + M.T) / 2, rtol=1e-15, atol=1e-15)


def test_hessian_scalar_and_tensor_inputs():
    assert float(hessian(lambda x: x ** 3 * cr.log(x))(2.0)) == pytest.approx(
        6 * 2 * np.log(2) + 5 * 2, rel=1e-14)
    x = cr.tensor(positive((3,), seed=13))
    H = hessian(lambda x: cr.sum(x * cr.log(x)))(x)
    assert isinstance(H, cr.Tensor)
    np.testing.assert_allclose(to_numpy(H), np.diag(1 / x._data), rtol=1e-14)


@pytest.mark.parametrize("outer, inner", [(jacfwd, jacrev), (jacrev, jacfwd), (jacrev, jacrev),
                                          (jacfwd, jacfwd)])
def test_any_composition_of_jacobians_gives_the_hessian(outer, inner):
    x = rand((3,), seed=14)
    H = outer(inner(_cr_f))(x)
    want = torch.func.hessian(_t_f)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(H, want, rtol=1e-11, atol=1e-12)


def test_hvp_matches_hessian_times_v():
    x, v = rand((3,), seed=15), rand((3,), seed=16)
    value, hv = hvp(_cr_f, (x,), (v,))
    assert float(value) == pytest.approx(float(to_numpy(_cr_f(cr.tensor(x)))), rel=1e-15)
    np.testing.assert_allclose(hv, hessian(_cr_f)(x) @ v, rtol=1e-11, atol=1e-12)
    _, t_hv = torch.func.jvp(torch.func.grad(_t_f), (torch.tensor(x),), (torch.tensor(v),))
    np.testing.assert_allclose(hv, t_hv.numpy(), rtol=1e-11, atol=1e-12)


def test_hvp_several_primals():
    def f(x, y):
        return cr.sum(cr.sin(x) * y) + cr.sum(y ** 4)

    x, y = rand((3,), seed=17), rand((3,), seed=18)
    vx, vy = rand((3,), seed=19), rand((3,), seed=20)
    _, (hx, hy) = hvp(f, (x, y), (vx, vy))
    # H = [[-diag(sin x * y), diag(cos x)], [diag(cos x), diag(12 y^2)]]
    np.testing.assert_allclose(hx, -np.sin(x) * y * vx + np.cos(x) * vy, rtol=1e-13)
    np.testing.assert_allclose(hy, np.cos(x) * vx + 12 * y ** 2 * vy, rtol=1e-13)


def test_hvp_tensors():
    x = cr.tensor(rand((4,), seed=21))
    v = cr.tensor(rand((4,), seed=22))
    value, hv = hvp(lambda x: cr.sum(cr.exp(x)), (x,), (v,))
    assert isinstance(hv, cr.Tensor)
    np.testing.assert_allclose(to_numpy(hv), np.exp(x._data) * v._data, rtol=1e-15)
