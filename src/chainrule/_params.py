"""Helpers shared by ``nn.Module`` and ``optim.Optimizer``."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .autograd.dispatch import wrap
from .autograd.inplace import bump_all


def zero_grads(params: Iterable, set_to_none: bool = True) -> None:
    """Reset the gradients of ``params``: to ``None``, or to zeros (in place when the gradient
    is a plain writable array, as PyTorch does; the in-place changes count in the version)."""
    zeroed = []
    for p in params:
        g = p.grad
        if g is None:
            continue
        if set_to_none:
            p.grad = None
        elif g.grad_fn is None and g._data.flags.writeable:
            g.requires_grad_(False)
            g._data.fill(0)
            zeroed.append(g._data)
        else:
            p.grad = wrap(np.zeros_like(g._data))
    bump_all(zeroed, "zero_grad")
