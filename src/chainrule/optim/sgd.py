"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Callable

from ..autograd.dispatch import wrap
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """PyTorch's SGD: with ``g`` the gradient (negated when ``maximize``),

    ``g += weight_decay * p``; with momentum ``b = momentum * b + (1 - dampening) * g`` (``b = g``
    at the first step) and ``g = g + momentum * b`` (Nesterov) or ``g = b``; then
    ``p -= lr * g``.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False):
        if lr < 0.0:
            raise ValueError(f"SGD: invalid learning rate {lr}; it must be >= 0")
        if momentum < 0.0:
            raise ValueError(f"SGD: invalid momentum {momentum}; it must be >= 0")
        if weight_decay < 0.0:
            raise ValueError(f"SGD: invalid weight_decay {weight_decay}; it must be >= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero "
                             "dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def step(self, closure: Callable | None = None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss
        when a closure is given (it is evaluated first, with grad enabled)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, wd = float(group["lr"]), group["weight_decay"]
            mom, damp, nesterov = group["momentum"], group["dampening"], group["nesterov"]
            for p in self._params_to_update(group):
                g = p.grad._data
                if group["maximize"]:
                    g = -g
                if wd != 0:
                    g = g + wd * p._data
                if mom != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = wrap(g.copy())
                    else:
                        b = buf._data
                        b *= mom
                        b += (1 - damp) * g
                    g = g + mom * buf._data if nesterov else buf._data
                p._data -= lr * g
        return loss
