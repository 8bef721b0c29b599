"""Nested containers: flatten and unflatten (chainrule._pytree), and every transform giving
results in the structure of its inputs and outputs."""

from collections import OrderedDict, namedtuple

import numpy as np
import pytest
from tests.helpers import rand

import chainrule as cr
from chainrule._pytree import flatten, tree_map, unflatten
from chainrule.functional import (
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linearize,
    value_and_grad,
    vjp,
)

Point = namedtuple("Point", ["x", "y"])

TREES = [
    1.0,
    np.ones(2),
    (),
    [],
    {},
    (1.0, 2.0),
    [np.ones(2), (3.0, [4.0])],
    {"b": 1.0, "a": [2.0, {"c": 3.0}]},
    Point(1.0, (2.0, 3.0)),
    [Point(np.ones(1), 2.0), {"k": ()}],
    (None, 1.0),
]


def _same_structure(a, b):
    if isinstance(b, tuple) and hasattr(b, "_fields"):
        assert type(a) is type(b)
    if isinstance(b, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            _same_structure(u, v)
    elif isinstance(b, dict):
        assert isinstance(a, dict) and list(a) == list(b)
        for k in b:
            _same_structure(a[k], b[k])
    else:
        assert not isinstance(a, (tuple, list, dict))


@pytest.mark.parametrize("tree", TREES, ids=range(len(TREES)))
def test_flatten_unflatten_round_trip(tree):
    leaves, td = flatten(tree)
    assert td.num_leaves == len(leaves)
    back = unflatten(td, leaves)
    _same_structure(back, tree)
    again = flatten(back)[0]
    assert len(again) == len(leaves) and all(a is b for a, b in zip(again, leaves))


def test_leaves_in_order():
    tree = {"b": 1, "a": [2, (3, {"z": 4, "y": 5})], "c": Point(6, 7)}
    leaves, _ = flatten(tree)
    assert leaves == [1, 2, 3, 4, 5, 6, 7]  # dicts in insertion order


def test_tree_map_and_ordered_dict():
    tree = OrderedDict([("u", 1.0), ("v", [2.0, 3.0])])
    out = tree_map(lambda v: v * 10, tree)
    assert list(out) == ["u", "v"] and out["v"] == [20.0, 30.0]
    assert tree_map(lambda v: v + 1, Point(1, 2)) == Point(2, 3)


# --- transforms keep structures ----------------------------------------------------------------
def _tree_in():
    return {"w": rand((2, 3), seed=1), "pts": [Point(rand((3,), seed=2), 0.5)]}


def _loss(t):
    p = t["pts"][0]
    return cr.sum(cr.tanh(t["w"] @ p.x) * p.y) + p.y ** 2


def _loss_grad(t):
    w, p = t["w"], t["pts"][0]
    s = 1 - np.tanh(w @ p.x) ** 2
    return {"w": np.outer(s * p.y, p.x), "pts": [Point(w.T @ (s * p.y),
                                                      np.tanh(w @ p.x).sum() + 2 * p.y)]}


def _assert_tree_close(a, b, rtol=1e-13):
    _same_structure(a, b)
    for u, v in zip(flatten(a)[0], flatten(b)[0]):
        assert not isinstance(u, cr.Tensor)
        np.testing.assert_allclose(u, v, rtol=rtol, atol=1e-14)


def test_grad_and_value_and_grad_keep_the_structure():
    t = _tree_in()
    _assert_tree_close(grad(_loss)(t), _loss_grad(t))
    v, g = value_and_grad(_loss)(t)
    _assert_tree_close(g, _loss_grad(t))


def test_jvp_with_tree_primals_and_outputs():
    t = _tree_in()
    v = {"w": rand((2, 3), seed=3), "pts": [Point(rand((3,), seed=4), 1.0)]}
    f = lambda t: {"loss": _loss(t), "both": (t["w"] * 2.0, [t["pts"][0].y * 3.0])}
    out, tan = jvp(f, (t,), (v,))
    _same_structure(out, {"loss": 0.0, "both": (0.0, [0.0])})
    _same_structure(tan, {"loss": 0.0, "both": (0.0, [0.0])})
    g = _loss_grad(t)
    want = sum(np.sum(a * b) for a, b in zip(flatten(g)[0], flatten(v)[0]))
    assert float(tan["loss"]) == pytest.approx(want, rel=1e-13)
    np.testing.assert_allclose(tan["both"][0], 2 * v["w"])
    assert float(tan["both"][1][0]) == 3.0


def test_vjp_with_tree_primals_and_outputs():
    t = _tree_in()
    out, fn = vjp(lambda t: [_loss(t), {"s": t["w"] * 2.0}], t)
    assert isinstance(out, list) and isinstance(out[1], dict)
    (g,) = fn([1.0, {"s": np.zeros((2, 3))}])
    _assert_tree_close(g, _loss_grad(t))
    (g,) = fn([0.0, {"s": np.ones((2, 3))}])
    _assert_tree_close(g, {"w": np.full((2, 3), 2.0), "pts": [Point(np.zeros(3), 0.0)]})


@pytest.mark.parametrize("make", [jacfwd, jacrev, jacobian])
def test_jacobian_of_a_scalar_function_of_a_tree_is_the_gradient(make):
    t = _tree_in()
    _assert_tree_close(make(_loss)(t), _loss_grad(t))


@pytest.mark.parametrize("make", [jacfwd, jacrev])
def test_jacobian_tree_out_tree_in(make):
    x = {"a": rand((2,), seed=5), "b": 0.7}
    J = make(lambda x: (x["a"] * x["b"], [cr.sum(x["a"])]))(x)
    # output structure outside, input structure inside
    assert isinstance(J, tuple) and isinstance(J[0], dict) and isinstance(J[1], list)
    np.testing.assert_allclose(J[0]["a"], np.eye(2) * 0.7)
    np.testing.assert_allclose(J[0]["b"], x["a"])
    np.testing.assert_allclose(J[1][0]["a"], np.ones(2))
    assert np.shape(J[1][0]["b"]) == () and float(J[1][0]["b"]) == 0.0


def test_hessian_of_a_tree():
    x = {"a": rand((2,), seed=6), "b": 0.7}
    H = hessian(lambda x: cr.sum(x["a"] ** 3) * x["b"])(x)
    a, b = x["a"], x["b"]
    np.testing.assert_allclose(H["a"]["a"], np.diag(6 * a * b), rtol=1e-14)
    np.testing.assert_allclose(H["a"]["b"], 3 * a ** 2, rtol=1e-14)
    np.testing.assert_allclose(H["b"]["a"], 3 * a ** 2, rtol=1e-14)
    assert float(H["b"]["b"]) == 0.0


def test_hvp_with_a_tree():
    x = {"a": rand((2,), seed=7), "b": 0.7}
    v = {"a": np.array([1.0, -2.0]), "b": 0.5}
    _, hv = hvp(lambda x: cr.sum(x["a"] ** 3) * x["b"], (x,), (v,))
    a, b = x["a"], x["b"]
    assert isinstance(hv, dict)
    np.testing.assert_allclose(hv["a"], 6 * a * b * v["a"] + 3 * a ** 2 * v["b"], rtol=1e-14)
    assert float(hv["b"]) == pytest.approx(np.sum(3 * a ** 2 * v["a"]), rel=1e-14)


def test_linearize_with_several_primals():
    x, y = rand((3,), seed=8), rand((3,), seed=9)
    out, f_jvp = linearize(lambda x, y: cr.sin(x) * y, x, y)
    vx, vy = rand((3,), seed=10), rand((3,), seed=11)
    np.testing.assert_allclose(f_jvp(vx, vy), np.cos(x) * y * vx + np.sin(x) * vy, rtol=1e-14)
