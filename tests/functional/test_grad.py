"""grad, value_and_grad and elementwise_grad: argnums, has_aux, keyword arguments, the types and
structures of inputs and results, and the errors for what cannot be differentiated."""

from collections import namedtuple

import numpy as np
import pytest
from tests.helpers import positive, rand

import chainrule as cr
from chainrule.functional import elementwise_grad, grad, value_and_grad


def _f(x):  # sum(x sin x): gradient sin x + x cos x
    return cr.sum(cr.sin(x) * x)


def _df(x):
    return np.sin(x) + x * np.cos(x)


def _close(a, b, rtol=1e-12, atol=1e-14):
    np.testing.assert_allclose(np.asarray(a._data if isinstance(a, cr.Tensor) else a), b,
                               rtol=rtol, atol=atol)


# --- types of inputs and results -----------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_numpy_input_gives_numpy_gradient(shape):
    x = rand(shape, seed=1)
    g = grad(_f)(x)
    assert isinstance(g, (np.ndarray, np.generic)) and not isinstance(g, cr.Tensor)
    assert np.shape(g) == shape
    _close(g, _df(x))


def test_python_float_input():
    g = grad(lambda x: x ** 3 + 2.0 * x)(2.0)
    assert not isinstance(g, cr.Tensor)
    assert np.ndim(g) == 0
    assert float(g) == pytest.approx(14.0, rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_keeps_the_input_dtype(dtype):
    x = rand((3,), seed=2).astype(dtype)
    g = grad(_f)(x)
    assert g.dtype == dtype
    _close(g, _df(x.astype(np.float64)), rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


def test_tensor_input_gives_tensor_gradient():
    x = rand((2, 3), seed=3)
    g = grad(_f)(cr.tensor(x))
    assert isinstance(g, cr.Tensor)
    assert g.shape == (2, 3)
    _close(g, _df(x))


def test_gradient_of_a_constant_tensor_records_nothing():
    # Nothing outside asked for a graph: the gradient is a plain value, as torch.func.grad gives.
    g = grad(_f)(cr.tensor(rand((3,), seed=4)))
    assert not g.requires_grad
    assert g.grad_fn is None


def test_grad_does_not_touch_dot_grad():
    x = cr.tensor(rand((3,), seed=5), requires_grad=True)
    g = grad(_f)(x)
    assert x.grad is None
    _close(g, _df(x._data))


def test_input_is_not_modified():
    x = rand((3,), seed=6)
    before = x.copy()
    grad(_f)(x)
    np.testing.assert_array_equal(x, before)


def test_output_that_does_not_depend_on_the_input_gives_zeros():
    x = rand((2, 2), seed=7)
    for fn in (lambda x: cr.tensor(3.0), lambda x: 3.0, lambda x: cr.sum(cr.tensor(x._data))):
        g = grad(fn)(x)
        assert np.shape(g) == (2, 2)
        np.testing.assert_array_equal(g, np.zeros((2, 2)))


def test_one_element_outputs_of_any_shape_count_as_scalar():
    x = rand((3,), seed=8)
    g = grad(lambda x: cr.sum(x * x, axis=0, keepdims=True))(x)
    _close(g, 2 * x)


# --- argnums --------------------------------------------------------------------------------------
def _h(x, y, z):  # sum(x^2 y) + sum(z) * x[0]
    return cr.sum(x * x * y) + cr.sum(z) * x[0]


def _dh(x, y, z):
    dx = 2 * x * y
    dx[0] += z.sum()
    return dx, x * x, np.full(z.shape, x[0])


@pytest.fixture
def xyz():
    return rand((3,), seed=10), rand((3,), seed=11), rand((2,), seed=12)


def test_argnums_int(xyz):
    dx, dy, dz = _dh(*xyz)
    _close(grad(_h)(*xyz), dx)
    _close(grad(_h, argnums=1)(*xyz), dy)
    _close(grad(_h, argnums=2)(*xyz), dz)
    _close(grad(_h, argnums=-1)(*xyz), dz)


def test_argnums_tuple(xyz):
    dx, dy, dz = _dh(*xyz)
    g = grad(_h, argnums=(0, 2))(*xyz)
    assert isinstance(g, tuple) and len(g) == 2
    _close(g[0], dx)
    _close(g[1], dz)
    g = grad(_h, argnums=(2, 0))(*xyz)  # in the order asked for
    _close(g[0], dz)
    _close(g[1], dx)
    g = grad(_h, argnums=(1,))(*xyz)  # a one-element tuple gives a one-element tuple
    assert isinstance(g, tuple) and len(g) == 1
    _close(g[0], dy)


def test_argnums_out_of_range(xyz):
    with pytest.raises(ValueError, match="argnums"):
        grad(_h, argnums=3)(*xyz)
    with pytest.raises(ValueError, match="argnums"):
        grad(_h, argnums=(0, -4))(*xyz)


def test_non_differentiated_arguments_may_be_anything(xyz):
    x, y, _ = xyz
    g = grad(lambda x, n, mode: cr.sum(x ** n) if mode == "pow" else None, argnums=0)(
        x, 3, "pow")
    _close(g, 3 * x ** 2)
    # an integer array that is not differentiated is a constant
    idx = np.array([2, 0])
    _close(grad(lambda x, i: cr.sum(x[i] * y[i]))(x, idx), np.array([y[0], 0.0, y[2]]))


def test_keyword_arguments_are_passed_through():
    x = rand((3,), seed=13)
    seen = {}

    def f(x, *, scale, shift=0.0):
        seen.update(scale=scale, shift=shift)
        return cr.sum(scale * x * x + shift * x)

    _close(grad(f)(x, scale=3.0, shift=2.0), 6.0 * x + 2.0)
    assert seen == {"scale": 3.0, "shift": 2.0}
    (v, g) = value_and_grad(f)(x, scale=0.5)
    _close(v, 0.5 * (x * x).sum())
    _close(g, x)
    _close(elementwise_grad(lambda x, k: cr.sin(k * x))(x, k=2.0), 2.0 * np.cos(2.0 * x))


# --- value_and_grad and has_aux -------------------------------------------------------------------
def test_value_and_grad(xyz):
    v, g = value_and_grad(_h, argnums=(0, 1))(*xyz)
    x, y, z = xyz
    _close(v, (x * x * y).sum() + z.sum() * x[0])
    assert not isinstance(v, cr.Tensor) and np.ndim(v) == 0
    dx, dy, _ = _dh(*xyz)
    _close(g[0], dx)
    _close(g[1], dy)
    v, g = value_and_grad(_f)(cr.tensor(x))
    assert isinstance(v, cr.Tensor) and isinstance(g, cr.Tensor)
    _close(v, (np.sin(x) * x).sum())


def test_has_aux():
    x = rand((3,), seed=14)
    aux_obj = {"note": "anything", "n": 3}

    def f(x):
        y = cr.sin(x)
        return cr.sum(y * y), (y, aux_obj)

    g, aux = grad(f, has_aux=True)(x)
    _close(g, 2 * np.sin(x) * np.cos(x))
    assert aux[1] is aux_obj
    _close(aux[0], np.sin(x))
    (v, aux), g = value_and_grad(f, has_aux=True)(x)
    _close(v, (np.sin(x) ** 2).sum())
    _close(g, 2 * np.sin(x) * np.cos(x))
    assert aux[1] is aux_obj


def test_has_aux_needs_a_pair():
    x = rand((3,), seed=15)
    with pytest.raises(TypeError, match="has_aux"):
        grad(lambda x: cr.sum(x), has_aux=True)(x)
    with pytest.raises(TypeError, match="has_aux"):
        grad(lambda x: (cr.sum(x), 1, 2), has_aux=True)(x)


# --- nested containers ---------------------------------------------------------------------------
def test_dict_of_arrays():
    p = {"w": rand((2, 3), seed=16), "b": rand((2,), seed=17)}
    x = rand((3,), seed=18)

    def loss(p, x):
        return cr.sum(cr.tanh(p["w"] @ x + p["b"]))

    g = grad(loss)(p, x)
    assert isinstance(g, dict) and list(g) == ["w", "b"]
    s = 1 - np.tanh(p["w"] @ x + p["b"]) ** 2
    _close(g["b"], s)
    _close(g["w"], np.outer(s, x))
    assert all(type(v) is np.ndarray for v in g.values())


def test_nested_tuples_lists_dicts_and_floats():
    a, b, c = rand((3,), seed=19), rand((2, 2), seed=20), 1.5
    tree = (a, [b, {"c": c, "d": (a + 1,)}])

    def f(t):
        a, (b, d) = t
        return cr.sum(a * a) + cr.sum(cr.exp(b)) + d["c"] ** 3 + cr.sum(d["d"][0] * a)

    g = grad(f)(tree)
    assert type(g) is tuple and len(g) == 2
    assert type(g[1]) is list and len(g[1]) == 2
    assert type(g[1][1]) is dict and list(g[1][1]) == ["c", "d"]
    assert type(g[1][1]["d"]) is tuple and len(g[1][1]["d"]) == 1
    _close(g[0], 2 * a + (a + 1))
    _close(g[1][0], np.exp(b))
    _close(g[1][1]["c"], 3 * c ** 2)
    assert np.ndim(g[1][1]["c"]) == 0 and not isinstance(g[1][1]["c"], cr.Tensor)
    _close(g[1][1]["d"][0], a)


def test_namedtuple_structure_is_kept():
    Params = namedtuple("Params", ["w", "b"])
    p = Params(rand((3,), seed=21), 0.5)
    g = grad(lambda p: cr.sum(p.w * p.w) * p.b)(p)
    assert type(g) is Params
    _close(g.w, 2 * p.w * p.b)
    _close(g.b, (p.w ** 2).sum())


def test_tree_of_tensors_gives_tree_of_tensors():
    p = {"a": cr.tensor(rand((2,), seed=22)), "b": [cr.tensor(rand((3,), seed=23))]}
    g = grad(lambda p: cr.sum(p["a"] ** 2) + cr.sum(cr.sin(p["b"][0])))(p)
    assert isinstance(g["a"], cr.Tensor) and isinstance(g["b"][0], cr.Tensor)
    _close(g["a"], 2 * p["a"]._data)
    _close(g["b"][0], np.cos(p["b"][0]._data))


def test_argnums_tuple_with_trees():
    x, y = {"u": rand((2,), seed=24)}, [rand((2,), seed=25), 2.0]
    g = grad(lambda x, y: cr.sum(x["u"] * y[0]) * y[1], argnums=(0, 1))(x, y)
    assert isinstance(g, tuple) and isinstance(g[0], dict) and isinstance(g[1], list)
    _close(g[0]["u"], y[0] * 2.0)
    _close(g[1][0], x["u"] * 2.0)
    _close(g[1][1], (x["u"] * y[0]).sum())


# --- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.array([1, 2, 3]), 3, np.array([True, False]),
                                 {"a": np.array([1.0]), "b": 2}, [1.0, np.arange(2)]])
def test_integer_inputs_raise_type_error(bad):
    def f(x):
        leaves = list(x.values()) if isinstance(x, dict) else x if isinstance(x, list) else [x]
        return sum(cr.sum(v * 1.0) for v in leaves)

    with pytest.raises(TypeError, match=r"grad.*(int|bool)"):
        grad(f)(bad)


def test_integer_tensor_input_raises_type_error():
    with pytest.raises(TypeError, match=r"grad.*int"):
        grad(lambda x: cr.sum(x * 1.0))(cr.tensor(np.array([1, 2])))


def test_non_scalar_output_raises():
    x = rand((3,), seed=26)
    with pytest.raises(TypeError, match=r"grad.*scalar.*\(3,\)"):
        grad(lambda x: x * 2.0)(x)
    with pytest.raises(TypeError, match=r"scalar.*\(2, 3\)"):
        value_and_grad(lambda x: cr.reshape(cr.concatenate([x, x]), (2, 3)))(x)


# --- elementwise_grad -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_elementwise_grad(shape):
    x = rand(shape, seed=27)
    g = elementwise_grad(cr.tanh)(x)
    assert not isinstance(g, cr.Tensor) and np.shape(g) == shape
    _close(g, 1 - np.tanh(x) ** 2)
    p = positive(shape, seed=28)
    _close(elementwise_grad(lambda x: x * cr.log(x))(p), np.log(p) + 1)


def test_elementwise_grad_argnums_and_tensors():
    x, y = rand((4,), seed=29), rand((4,), seed=30)
    f = lambda x, y: cr.sin(x) * cr.exp(y)
    _close(elementwise_grad(f, argnums=1)(x, y), np.sin(x) * np.exp(y))
    gx, gy = elementwise_grad(f, argnums=(0, 1))(x, y)
    _close(gx, np.cos(x) * np.exp(y))
    _close(gy, np.sin(x) * np.exp(y))
    g = elementwise_grad(f)(cr.tensor(x), cr.tensor(y))
    assert isinstance(g, cr.Tensor)
    _close(g, np.cos(x) * np.exp(y))


def test_elementwise_grad_of_second_order():
    x = rand((4,), seed=31)
    _close(elementwise_grad(elementwise_grad(cr.sin))(x), -np.sin(x))


def test_grad_matches_torch_func_grad():
    import torch
    import torch.func

    W, x = rand((4, 3), seed=32), rand((3,), seed=33)
    cr_f = lambda W, x: cr.sum(cr.softmax(W @ x, axis=0) * cr.arange(4.0)) + cr.sum(x ** 4)
    t_f = lambda W, x: (torch.softmax(W @ x, 0) * torch.arange(4.0, dtype=torch.float64)).sum() \
        + (x ** 4).sum()
    ours = grad(cr_f, argnums=(0, 1))(W, x)
    theirs = torch.func.grad(t_f, argnums=(0, 1))(torch.tensor(W), torch.tensor(x))
    for a, b in zip(ours, theirs):
        _close(a, b.numpy(), rtol=1e-10, atol=1e-12)
