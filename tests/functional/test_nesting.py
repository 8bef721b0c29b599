"""Transforms nested in any order: derivatives of second and third order against closed forms,
Jacobians of Jacobians, jvp of grad and grad of jvp, a transform inside a function being
differentiated, and no perturbation confusion, in the functional and the Tensor faces."""

import numpy as np
import pytest
import torch
import torch.func
from tests.helpers import positive, rand, to_numpy

import chainrule as cr
from chainrule.autograd import forward_ad as fwad
from chainrule.functional import elementwise_grad, grad, hessian, jacfwd, jacrev, jvp, vjp


def _sech2(x):
    return 1 - np.tanh(x) ** 2


# name: (f, f', f'', f''')
SCALAR = {
    "sin": (cr.sin, np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)),
    "exp_x2": (lambda x: cr.exp(x) * x ** 2, lambda x: np.exp(x) * (x ** 2 + 2 * x),
               lambda x: np.exp(x) * (x ** 2 + 4 * x + 2),
               lambda x: np.exp(x) * (x ** 2 + 6 * x + 6)),
    "tanh": (cr.tanh, _sech2, lambda x: -2 * np.tanh(x) * _sech2(x),
             lambda x: -2 * _sech2(x) * (1 - 3 * np.tanh(x) ** 2)),
    "log_x3": (lambda x: x ** 3 * cr.log(x), lambda x: 3 * x ** 2 * np.log(x) + x ** 2,
               lambda x: 6 * x * np.log(x) + 5 * x, lambda x: 6 * np.log(x) + 11),
    "sigmoid": (cr.sigmoid,
                lambda x: _s(x) * (1 - _s(x)),
                lambda x: _s(x) * (1 - _s(x)) * (1 - 2 * _s(x)),
                lambda x: _s(x) * (1 - _s(x)) * (1 - 6 * _s(x) + 6 * _s(x) ** 2)),
}


def _s(x):
    return 1 / (1 + np.exp(-x))


POINTS = [0.3, 1.7]


@pytest.mark.parametrize("name", sorted(SCALAR))
@pytest.mark.parametrize("x", POINTS)
def test_grad_of_grad_and_grad_of_grad_of_grad(name, x):
    f, d1, d2, d3 = SCALAR[name]
    assert float(grad(f)(x)) == pytest.approx(d1(x), rel=1e-13)
    assert float(grad(grad(f))(x)) == pytest.approx(d2(x), rel=1e-12)
    assert float(grad(grad(grad(f)))(x)) == pytest.approx(d3(x), rel=1e-11)


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_third_derivatives_on_arrays(name):
    f, _, d2, d3 = SCALAR[name]
    x = positive((4,), seed=1)

    def d(g):  # elementwise derivative of an elementwise g, by grad of a sum
        return grad(lambda x: cr.sum(g(x)))

    np.testing.assert_allclose(d(d(d(f)))(x), d3(x), rtol=1e-11)
    np.testing.assert_allclose(hessian(lambda x: cr.sum(f(x)))(x), np.diag(d2(x)), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_nested_elementwise_grad(name):
    f, _, d2, d3 = SCALAR[name]
    x = positive((4,), seed=1)
    eg = elementwise_grad
    np.testing.assert_allclose(eg(eg(f))(x), d2(x), rtol=1e-12)
    np.testing.assert_allclose(eg(eg(eg(f)))(x), d3(x), rtol=1e-11)


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_forward_over_forward_third_derivative(name):
    f, d1, d2, d3 = SCALAR[name]
    x = 0.8

    def deriv(g):
        return lambda x: jvp(g, (x,), (1.0,))[1]

    assert float(deriv(f)(x)) == pytest.approx(d1(x), rel=1e-13)
    assert float(deriv(deriv(f))(x)) == pytest.approx(d2(x), rel=1e-12)
    assert float(deriv(deriv(deriv(f)))(x)) == pytest.approx(d3(x), rel=1e-11)
    # mixed: forward over reverse over forward, and reverse over forward over reverse
    assert float(deriv(grad(deriv(f)))(x)) == pytest.approx(d3(x), rel=1e-11)
    assert float(grad(deriv(grad(f)))(x)) == pytest.approx(d3(x), rel=1e-11)


def test_fourth_derivative_of_sin():
    assert float(grad(grad(grad(grad(cr.sin))))(0.9)) == pytest.approx(np.sin(0.9), rel=1e-11)


# --- Jacobians of Jacobians -----------------------------------------------------------------------
W = rand((3, 3), seed=2)


def _vec(x):
    return cr.tanh(cr.tensor(W) @ x) * cr.sum(x ** 2)


def _tvec(x):
    return torch.tanh(torch.tensor(W) @ x) * torch.sum(x ** 2)


@pytest.mark.parametrize("outer, inner, t_outer, t_inner", [
    (jacfwd, jacrev, torch.func.jacfwd, torch.func.jacrev),
    (jacrev, jacfwd, torch.func.jacrev, torch.func.jacfwd),
], ids=["jacfwd(jacrev)", "jacrev(jacfwd)"])
def test_second_derivative_tensor_of_a_vector_function(outer, inner, t_outer, t_inner):
    x = rand((3,), seed=3)
    T = outer(inner(_vec))(x)
    want = t_outer(t_inner(_tvec))(torch.tensor(x)).numpy()
    assert T.shape == (3, 3, 3)
    np.testing.assert_allclose(T, want, rtol=1e-11, atol=1e-12)


def test_jacfwd_jacrev_of_a_scalar_function_closed_form():
    # f = sum(exp(x)) * sum(x): H = diag(exp x) * sum(x) + exp(x) 1^T + 1 exp(x)^T
    x = rand((4,), seed=4)
    e = np.exp(x)
    want = np.diag(e) * x.sum() + np.outer(e, np.ones(4)) + np.outer(np.ones(4), e)
    f = lambda x: cr.sum(cr.exp(x)) * cr.sum(x)
    np.testing.assert_allclose(jacfwd(jacrev(f))(x), want, rtol=1e-13)
    np.testing.assert_allclose(jacrev(jacfwd(f))(x), want, rtol=1e-13)


# --- jvp of grad, grad of jvp ---------------------------------------------------------------------
def _scal(x):
    return cr.sum(cr.sin(x) * x ** 2)


def _scal_hess(x):
    return np.diag(-np.sin(x) * x ** 2 + 4 * x * np.cos(x) + 2 * np.sin(x))


def test_jvp_of_grad():
    x, v = rand((3,), seed=5), rand((3,), seed=6)
    g, hv = jvp(grad(_scal), (x,), (v,))
    np.testing.assert_allclose(g, np.cos(x) * x ** 2 + 2 * x * np.sin(x), rtol=1e-14)
    np.testing.assert_allclose(hv, _scal_hess(x) @ v, rtol=1e-13)


def test_grad_of_jvp():
    x, v = rand((3,), seed=7), rand((3,), seed=8)
    g = grad(lambda x: jvp(_scal, (x,), (v,))[1])(x)  # d/dx <grad f(x), v> = H v
    np.testing.assert_allclose(g, _scal_hess(x) @ v, rtol=1e-13)


def test_vjp_of_jvp_and_jvp_of_vjp():
    x, v, u = rand((3,), seed=9), rand((3,), seed=10), rand((3,), seed=11)
    f = lambda x: cr.exp(x) * cr.sum(x)
    # J = diag(e) s + e 1^T;  d/dx [J v] along w ...  compare against torch
    _, fn = vjp(lambda x: jvp(f, (x,), (v,))[1], x)
    t_f = lambda x: torch.exp(x) * torch.sum(x)
    _, t_fn = torch.func.vjp(lambda x: torch.func.jvp(t_f, (x,), (torch.tensor(v),))[1],
                             torch.tensor(x))
    np.testing.assert_allclose(fn(u)[0], t_fn(torch.tensor(u))[0].numpy(), rtol=1e-12)
    _, t = jvp(lambda x: vjp(f, x)[1](u)[0], (x,), (v,))
    _, t_t = torch.func.jvp(lambda x: torch.func.vjp(t_f, x)[1](torch.tensor(u))[0],
                            (torch.tensor(x),), (torch.tensor(v),))
    np.testing.assert_allclose(t, t_t.numpy(), rtol=1e-12)


# --- a transform inside the function being differentiated -----------------------------------------
def test_grad_inside_a_function_being_differentiated():
    x = rand((3,), seed=12)

    def h(x):  # grad of sum(sin) is cos: h = sum(x cos x)
        return cr.sum(grad(lambda z: cr.sum(cr.sin(z)))(x) * x)

    np.testing.assert_allclose(grad(h)(x), np.cos(x) - x * np.sin(x), rtol=1e-14)


def test_inner_grad_closes_over_the_outer_variable():
    x = rand((3,), seed=13)
    y = rand((3,), seed=14)

    def outer(x):
        # d/dy sum(x^2 y) = x^2, a function of the outer x
        return cr.sum(grad(lambda y: cr.sum(x * x * y))(y) * y)

    np.testing.assert_allclose(grad(outer)(x), 2 * x * y, rtol=1e-14)
    # the same through jvp outside
    v = rand((3,), seed=15)
    _, t = jvp(outer, (x,), (v,))
    assert float(t) == pytest.approx(np.sum(2 * x * y * v), rel=1e-13)


def test_cross_derivative_through_an_inner_grad():
    x, y = rand((3,), seed=16), rand((3,), seed=17)

    def f(x, y):
        return cr.sum(cr.sin(x * y))

    # d/dy sum_i df/dx_i = d/dy sum(y cos(xy)) = cos(xy) - xy sin(xy)
    g = grad(lambda x, y: cr.sum(grad(f)(x, y)), argnums=1)(x, y)
    np.testing.assert_allclose(g, np.cos(x * y) - x * y * np.sin(x * y), rtol=1e-13)


# --- perturbation confusion -----------------------------------------------------------------------
def _d_grad(f):
    return lambda x: grad(f)(x)


def _d_jvp(f):
    return lambda x: jvp(f, (x,), (1.0,))[1]


DERIVS = {"grad": _d_grad, "jvp": _d_jvp}


@pytest.mark.parametrize("outer", sorted(DERIVS))
@pytest.mark.parametrize("inner", sorted(DERIVS))
def test_no_perturbation_confusion(outer, inner):
    D_out, D_in = DERIVS[outer], DERIVS[inner]
    # d/dx [x * (d/dy (x + y) at y = 1)] at x = 1 is 1 (confusion gives 2)
    got = D_out(lambda x: x * D_in(lambda y: x + y)(1.0))(1.0)
    assert float(got) == 1.0


@pytest.mark.parametrize("outer", sorted(DERIVS))
@pytest.mark.parametrize("inner", sorted(DERIVS))
def test_inner_derivative_that_depends_on_the_outer_variable(outer, inner):
    D_out, D_in = DERIVS[outer], DERIVS[inner]
    # d/dx [x * (d/dy (x * y) at y = 1)] = d/dx [x * x] = 2x: 2 at x = 1, 3 at x = 1.5
    for x0 in (1.0, 1.5):
        got = D_out(lambda x: x * D_in(lambda y: x * y)(1.0))(x0)
        assert float(got) == pytest.approx(2 * x0, rel=1e-15)
    # the inner point given as an array, not a float
    got = D_out(lambda x: x * D_in(lambda y: x * y)(np.array(1.0)))(np.array(1.5))
    assert float(got) == pytest.approx(3.0, rel=1e-15)


@pytest.mark.parametrize("outer", sorted(DERIVS))
@pytest.mark.parametrize("inner", sorted(DERIVS))
def test_inner_point_depends_on_the_outer_variable(outer, inner):
    D_out, D_in = DERIVS[outer], DERIVS[inner]
    # g(x) = d/dy [x y^2] at y = x  = 2 x^2;  g'(x) = 4x
    got = D_out(lambda x: D_in(lambda y: x * y * y)(x))(1.5)
    assert float(got) == pytest.approx(6.0, rel=1e-15)


def test_tensor_face_nested_grad_no_perturbation_confusion():
    x = cr.tensor(1.0, requires_grad=True)
    y = cr.tensor(1.0, requires_grad=True)
    (inner,) = cr.grad(x + y, y, create_graph=True)
    (out,) = cr.grad(x * inner, x, allow_unused=True, materialize_grads=True)
    assert float(to_numpy(out)) == 1.0
    (inner,) = cr.grad(x * y, y, create_graph=True)  # = x
    (out,) = cr.grad(x * inner, x)
    assert float(to_numpy(out)) == 2.0


def test_tensor_face_third_derivative_with_create_graph():
    x = cr.tensor(0.7, requires_grad=True)
    y = cr.exp(x) * x ** 2
    (d1,) = cr.grad(y, x, create_graph=True)
    (d2,) = cr.grad(d1, x, create_graph=True)
    (d3,) = cr.grad(d2, x)
    assert float(to_numpy(d3)) == pytest.approx(np.exp(0.7) * (0.49 + 4.2 + 6), rel=1e-13)


def test_tensor_face_forward_inside_reverse():
    # reverse over forward through forward_ad: d/dx [x * (d/dy (x + y))] with the inner
    # derivative by a dual number
    x = cr.tensor(1.0, requires_grad=True)
    with fwad.dual_level():
        y = fwad.make_dual(cr.tensor(1.0), cr.tensor(1.0))
        inner = fwad.unpack_dual(x + y).tangent
    (out,) = cr.grad(x * inner, x)
    assert float(to_numpy(out)) == 1.0
    with fwad.dual_level():
        y = fwad.make_dual(cr.tensor(1.0), cr.tensor(1.0))
        inner = fwad.unpack_dual(x * y).tangent  # = x
    (out,) = cr.grad(x * inner, x)
    assert float(to_numpy(out)) == 2.0


def test_functional_grad_inside_tensor_face_backward():
    x = cr.tensor(rand((3,), seed=18), requires_grad=True)
    g = grad(lambda z: cr.sum(z ** 3))(x)  # 3 x^2, connected to x's graph
    assert g.requires_grad
    cr.sum(g).backward()
    np.testing.assert_allclose(to_numpy(x.grad), 6 * x._data, rtol=1e-15)
