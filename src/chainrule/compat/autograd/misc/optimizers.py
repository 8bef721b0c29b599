"""``autograd.misc.optimizers``: ``sgd`` (with momentum), ``rmsprop`` and ``adam`` with
autograd's signatures, e.g.
``adam(grad, x, callback=None, num_iters=100, step_size=0.001, b1=0.9, b2=0.999, eps=1e-8)``,
where ``grad(x, i)`` is the gradient at iteration ``i`` and ``callback(x, i, g)`` is called
before each step; ``x`` may be a nested container of arrays.

The optimizers themselves are chainrule's own, ``chainrule.optim.functional`` (the same update
formulas, over nested parameters, differentiable); this module only maps autograd's argument
names onto them. ``unflatten_optimizer`` (autograd's decorator that lets an optimizer written
for one flat vector take nested containers) is kept for users' own optimizers.
"""

from __future__ import annotations

import functools

from chainrule.optim import functional as F

from .flatten import flatten

__all__ = ["sgd", "rmsprop", "adam", "unflatten_optimizer"]


def unflatten_optimizer(optimize):
    """An optimizer on flat vectors -> the same optimizer on nested containers."""

    @functools.wraps(optimize)
    def on_trees(grad, x0, callback=None, *args, **kwargs):
        flat0, unflatten = flatten(x0)

        def flat_grad(x, i):
            return flatten(grad(unflatten(x), i))[0]

        flat_callback = None
        if callback:
            def flat_callback(x, i, g):
                return callback(unflatten(x), i, unflatten(g))

        return unflatten(optimize(flat_grad, flat0, flat_callback, *args, **kwargs))

    return on_trees


def sgd(grad, x, callback=None, num_iters=200, step_size=0.1, mass=0.9):
    """Stochastic gradient descent with momentum ``mass``."""
    return F.sgd(grad, x, steps=num_iters, lr=step_size, mass=mass, callback=callback)


def rmsprop(grad, x, callback=None, num_iters=100, step_size=0.1, gamma=0.9, eps=10**-8):
    """Root-mean-square propagation: steps scaled by a running RMS of the gradient."""
    return F.rmsprop(grad, x, steps=num_iters, lr=step_size, gamma=gamma, eps=eps,
                     callback=callback)


def adam(grad, x, callback=None, num_iters=100, step_size=0.001, b1=0.9, b2=0.999, eps=10**-8):
    """Adam (Kingma and Ba, arXiv:1412.6980)."""
    return F.adam(grad, x, steps=num_iters, lr=step_size, b1=b1, b2=b2, eps=eps,
                  callback=callback)
