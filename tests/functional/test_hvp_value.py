"""hvp's value and jvp of value_and_grad: a result keeps its graph edge only when it leads
outside the transforms (an inner transform's private leaves are not outside)."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd.dispatch import is_tensor
from chainrule.functional import hvp, jvp, value_and_grad, vjp


def cube(x):
    return (x ** 3).sum()


def test_hvp_value_is_numpy_for_numpy_inputs():
    v, h = hvp(cube, (np.ones(3),), (np.ones(3),))
    assert isinstance(v, np.floating) and not is_tensor(v)
    assert v == pytest.approx(3.0)
    assert type(h) is np.ndarray
    np.testing.assert_allclose(h, 6.0)


def test_hvp_value_is_a_tensor_without_grad_for_tensor_inputs():
    v, h = hvp(cube, (cr.tensor(np.ones(3)),), (np.ones(3),))
    assert is_tensor(v) and not v.requires_grad and v.grad_fn is None
    assert is_tensor(h) and not h.requires_grad
    assert float(v) == pytest.approx(3.0)


def test_hvp_value_requires_grad_when_the_input_does():
    x = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    v, h = hvp(cube, (x,), (np.ones(2),))
    assert is_tensor(v) and v.requires_grad
    v.backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.array([1.0, 2.0]) ** 2)


def test_hvp_several_primals():
    v, (ha, hb) = hvp(lambda a, b: (a * a * b).sum(), (np.ones(2), np.full(2, 2.0)),
                      (np.ones(2), np.zeros(2)))
    assert not is_tensor(v) and v == pytest.approx(4.0)
    assert type(ha) is np.ndarray and type(hb) is np.ndarray
    np.testing.assert_allclose(ha, 4.0)
    np.testing.assert_allclose(hb, 2.0)


def test_jvp_of_value_and_grad_values_are_numpy():
    (v, g), (tv, tg) = jvp(value_and_grad(cube), (np.ones(3),), (np.ones(3),))
    for r in (v, g, tv, tg):
        assert not is_tensor(r)
    assert v == pytest.approx(3.0) and tv == pytest.approx(9.0)
    np.testing.assert_allclose(g, 3.0)
    np.testing.assert_allclose(tg, 6.0)


def test_jvp_of_vjp_value_is_numpy():
    def f(x):
        out, back = vjp(cr.sin, x)
        return out, back(np.ones(2))[0]

    (o, g), (to, tg) = jvp(f, (np.array([0.3, 0.7]),), (np.ones(2),))
    for r in (o, g, to, tg):
        assert type(r) is np.ndarray
    np.testing.assert_allclose(to, np.cos([0.3, 0.7]))


def test_closure_keeps_the_value_differentiable():
    w = cr.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    v, h = hvp(lambda x: (x * x * w).sum(), (np.ones(3),), (np.ones(3),))
    assert is_tensor(v) and v.requires_grad
    assert float(v) == pytest.approx(6.0)
    v.backward()
    np.testing.assert_allclose(w.grad.numpy(), 1.0)
    assert is_tensor(h) and h.requires_grad
    np.testing.assert_allclose(h.detach().numpy(), [2.0, 4.0, 6.0])


def test_closure_in_jvp_of_value_and_grad():
    w = cr.tensor(2.0, requires_grad=True)
    (v, _), _ = jvp(value_and_grad(lambda x: (x * w).sum()), (np.ones(3),), (np.ones(3),))
    assert is_tensor(v) and v.requires_grad
    v.backward()
    assert float(w.grad) == pytest.approx(3.0)


def test_grad_of_hvp_value_and_product():
    x0 = np.array([0.5, -1.0, 2.0])
    ones = np.ones(3)
    g_val = cr.grad(lambda x: hvp(cube, (x,), (ones,))[0])(x0)
    g_hv = cr.grad(lambda x: hvp(cube, (x,), (ones,))[1].sum())(x0)
    assert type(g_val) is np.ndarray and type(g_hv) is np.ndarray
    np.testing.assert_allclose(g_val, 3 * x0 ** 2)
    np.testing.assert_allclose(g_hv, 6 * ones)


def test_hvp_inside_a_reverse_transform_on_constants():
    c = np.array([1.0, 2.0])
    g = cr.grad(lambda x: (x * hvp(cube, (c,), (c,))[0]).sum())(np.ones(2))
    np.testing.assert_allclose(g, 9.0)
