"""chainrule.optim.functional: optimizers as functions over nested parameters."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.optim import functional as F

TARGET = {"w": np.array([1.0, -2.0]), "b": [np.array(0.5), np.ones((2, 2))]}


def loss(p):
    return (cr.sum((p["w"] - TARGET["w"]) ** 2)
            + cr.sum((p["b"][0] - TARGET["b"][0]) ** 2)
            + cr.sum((p["b"][1] - TARGET["b"][1]) ** 2))


def start():
    return {"w": np.zeros(2), "b": [np.array(0.0), np.zeros((2, 2))]}


@pytest.mark.parametrize("opt, kw", [(F.sgd, dict(steps=400, lr=0.5)),
                                     (F.rmsprop, dict(steps=400, lr=0.05)),
                                     (F.adam, dict(steps=600, lr=0.05))])
def test_converges_over_nested_parameters(opt, kw):
    g = cr.grad(loss)
    out = opt(lambda p, i: g(p), start(), **kw)
    assert isinstance(out, dict) and isinstance(out["b"], list)
    assert isinstance(out["w"], np.ndarray)  # NumPy in, NumPy out
    np.testing.assert_allclose(out["w"], TARGET["w"], atol=1e-3)
    np.testing.assert_allclose(out["b"][1], TARGET["b"][1], atol=1e-3)


def test_adam_matches_the_update_formula():
    x0, lr, b1, b2, eps = np.array([0.3, -1.2]), 0.1, 0.8, 0.99, 1e-8
    grad = lambda x, i: np.cos(x) + i  # noqa: E731
    x, m, v = x0.copy(), np.zeros(2), np.zeros(2)
    for i in range(5):
        gi = grad(x, i)
        m = b1 * m + (1 - b1) * gi
        v = b2 * v + (1 - b2) * gi**2
        x = x - lr * (m / (1 - b1 ** (i + 1))) / (np.sqrt(v / (1 - b2 ** (i + 1))) + eps)
    got = F.adam(grad, x0, steps=5, lr=lr, b1=b1, b2=b2, eps=eps)
    np.testing.assert_allclose(got, x, rtol=1e-14)


def test_callback_sees_parameters_step_and_gradient():
    seen = []
    F.sgd(lambda p, i: {"a": 2 * p["a"]}, {"a": np.array([1.0])}, steps=3,
          callback=lambda p, i, g: seen.append((i, float(p["a"][0]), float(g["a"][0]))))
    assert [s[0] for s in seen] == [0, 1, 2]
    assert seen[0][1:] == (1.0, 2.0)


def test_the_result_is_differentiable_in_the_step_size():
    # meta-gradient: d/d lr of the loss after a few steps, against finite differences
    def final_loss(lr):
        out = F.adam(lambda p, i: cr.grad(loss)(p), start(), steps=4, lr=lr)
        return loss(out)

    g = cr.grad(final_loss)(0.1)
    h = 1e-6
    fd = (final_loss(0.1 + h) - final_loss(0.1 - h)) / (2 * h)
    assert g == pytest.approx(fd, rel=1e-6)


def test_gradient_tree_mismatch_names_the_optimizer():
    with pytest.raises(ValueError, match="adam: grad returned a tree with 1 leaves"):
        F.adam(lambda p, i: np.ones(2), {"a": np.ones(2), "b": np.ones(2)}, steps=1)
