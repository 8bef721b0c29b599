"""Optimizers as functions over nested parameters: ``params = adam(grad, params, steps=...)``.

The stateful optimizers of ``chainrule.optim`` (PyTorch's) update tensors in place. These take
the parameters as a value, any nested tuple, list or dict of arrays (a pytree, as
``chainrule.ravel_pytree`` and ``chainrule.func`` take them), and return the optimized value of
the same structure. ``grad(params, step)`` gives the gradient at each step, a tree of the same
structure (``chainrule.grad(loss)`` with a step argument, say); ``callback(params, step, g)``,
when given, is called before each update.

The updates are elementwise, leaf by leaf, and written with chainrule operations, so an
optimizer's result can itself be differentiated with respect to the initial parameters or a
hyperparameter (meta-optimization). The formulas are those of HIPS autograd's
``misc.optimizers`` (``chainrule.compat.autograd`` serves them under autograd's signatures).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._pytree import flatten, unflatten
from ..autograd.dispatch import is_tensor
from ..primitives.elementwise import sqrt

__all__ = ["sgd", "rmsprop", "adam"]

Grad = Callable[[Any, int], Any]
Callback = Callable[[Any, int, Any], Any] | None


def _zeros(x):
    """A constant state of ``x``'s shape (the state's own derivative flows through the
    updates, which mix in the traced gradients and parameters)."""
    d = x._data if is_tensor(x) else np.asarray(x)
    return np.zeros(d.shape, d.dtype if d.dtype.kind in "fc" else np.float64)


def _leaves(tree, td, op: str):
    leaves, _ = flatten(tree)
    if len(leaves) != td.num_leaves:
        raise ValueError(f"{op}: grad returned a tree with {len(leaves)} leaves for parameters "
                         f"with {td.num_leaves}; return one gradient per parameter array")
    return leaves


def _run(op: str, grad: Grad, params, steps: int, callback: Callback, init, update):
    """The loop shared by the optimizers: ``state = init(x)`` per leaf, then per step and leaf
    ``x, state = update(x, g, state, step)``."""
    if int(steps) < 0:
        raise ValueError(f"{op}: steps must be >= 0, got {steps}")
    xs, td = flatten(params)
    states = [init(x) for x in xs]
    for step in range(int(steps)):
        g_tree = grad(unflatten(td, xs), step)
        gs = _leaves(g_tree, td, op)
        if callback is not None:
            callback(unflatten(td, xs), step, g_tree)
        pairs = [update(x, g, s, step) for x, g, s in zip(xs, gs, states)]
        xs, states = [p[0] for p in pairs], [p[1] for p in pairs]
    return unflatten(td, xs)


def sgd(grad: Grad, params, *, steps: int = 200, lr: float = 0.1, mass: float = 0.9,
        callback: Callback = None):
    """Gradient descent with momentum: the velocity is an exponential average of the negative
    gradients with weight ``mass`` (``v = mass v - (1 - mass) g``; ``x = x + lr v``)."""

    def update(x, g, v, step):
        v = mass * v - (1.0 - mass) * g
        return x + lr * v, v

    return _run("sgd", grad, params, steps, callback, _zeros, update)


def rmsprop(grad: Grad, params, *, steps: int = 100, lr: float = 0.1, gamma: float = 0.9,
            eps: float = 1e-8, callback: Callback = None):
    """Steps scaled by a running root mean square of the gradient (decay ``gamma``, started at
    one)."""

    def update(x, g, avg_sq, step):
        avg_sq = gamma * avg_sq + (1 - gamma) * g**2
        return x - lr * g / (sqrt(avg_sq) + eps), avg_sq

    return _run("rmsprop", grad, params, steps, callback, lambda x: np.ones_like(_zeros(x)), update)


def adam(grad: Grad, params, *, steps: int = 100, lr: float = 1e-3, b1: float = 0.9,
         b2: float = 0.999, eps: float = 1e-8, callback: Callback = None):
    """Adam (Kingma and Ba, 2015): first and second moment averages of the gradient with
    bias correction."""

    def update(x, g, moments, step):
        m, v = moments
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1 ** (step + 1))
        v_hat = v / (1 - b2 ** (step + 1))
        return x - lr * m_hat / (sqrt(v_hat) + eps), (m, v)

    return _run("adam", grad, params, steps, callback, lambda x: (_zeros(x), _zeros(x)),
                update)
