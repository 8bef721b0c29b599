"""``chainrule.ravel_pytree`` (also ``chainrule.func.ravel_pytree``): nested containers to one
vector and back, differentiable both ways (the chainrule-level piece under autograd's
``misc.flatten`` and ``misc.optimizers``)."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import chainrule as cr
from chainrule import func

Point = collections.namedtuple("Point", "x y")


def _tree():
    return {"w": np.arange(6.0).reshape(2, 3), "b": [1.5, (np.float32(2.0),)],
            "p": Point(np.ones(2), 3.0)}


def test_round_trip_structure_shapes_dtypes():
    tree = _tree()
    flat, unravel = cr.ravel_pytree(tree)
    assert isinstance(flat, np.ndarray) and flat.shape == (6 + 1 + 1 + 2 + 1,)
    assert flat.dtype == np.float64
    back = unravel(flat)
    assert list(back) == ["w", "b", "p"] and isinstance(back["p"], Point)
    assert isinstance(back["b"][1], tuple) and back["b"][1][0].dtype == np.float32
    np.testing.assert_array_equal(back["w"], tree["w"])
    assert back["b"][0] == 1.5 and back["p"].y == 3.0
    with pytest.raises(ValueError, match="11"):
        unravel(np.zeros(3))
    empty, unravel_empty = cr.ravel_pytree(())
    assert empty.shape == (0,) and unravel_empty(empty) == ()


def test_differentiable_both_ways_and_in_forward_mode():
    tree = _tree()

    def loss(t):
        flat, _ = cr.ravel_pytree(t)
        return (flat**2).sum()

    g = func.grad(loss)(tree)
    np.testing.assert_allclose(g["w"], 2 * tree["w"])
    assert g["p"].y == 6.0 and isinstance(g["p"], Point)
    flat, unravel = func.ravel_pytree(tree)
    gv = func.grad(lambda v: (unravel(v)["w"] ** 3).sum())(flat)
    np.testing.assert_allclose(gv[:6], 3 * tree["w"].ravel() ** 2)
    assert not gv[6:].any()
    _, t = func.jvp(lambda v: unravel(v)["p"].x, (flat,), (np.ones_like(flat),))
    np.testing.assert_allclose(t, np.ones(2))


def test_tensors_stay_on_the_tape():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    flat, unravel = cr.ravel_pytree({"a": w, "b": 3.0})
    (unravel(flat * 2)["a"] ** 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 8 * np.array([1.0, 2.0]))
