"""RMSprop (centred or not, with momentum)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..autograd.dispatch import wrap
from .optimizer import Optimizer, param_and_grad, real_view

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """PyTorch's RMSprop: ``g += weight_decay * p``; ``s = alpha * s + (1 - alpha) * g**2``;
    ``avg = sqrt(s - a**2) + eps`` when ``centered`` (``a`` the running mean of g), else
    ``sqrt(s) + eps``; then ``b = momentum * b + g / avg`` and ``p -= lr * b`` with momentum,
    or ``p -= lr * g / avg``."""

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False):
        for name, value in (("learning rate", lr), ("epsilon", eps), ("momentum", momentum),
                            ("weight_decay", weight_decay), ("alpha", alpha)):
            if value < 0.0:
                raise ValueError(f"RMSprop: invalid {name} {value}; it must be >= 0")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def step(self, closure: Callable | None = None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss
        when a closure is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps = float(group["lr"]), group["alpha"], group["eps"]
            wd, mom, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p in self._params_to_update(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0.0
                    state["square_avg"] = wrap(np.zeros_like(p._data))
                    if mom > 0:
                        state["momentum_buffer"] = wrap(np.zeros_like(p._data))
                    if centered:
                        state["grad_avg"] = wrap(np.zeros_like(p._data))
                state["step"] += 1
                param, g = param_and_grad(p, group, wd)
                sq = real_view(state["square_avg"]._data)
                sq *= alpha
                sq += (1 - alpha) * g * g
                if centered:
                    ga = real_view(state["grad_avg"]._data)
                    ga += (1 - alpha) * (g - ga)
                    avg = np.sqrt(sq - ga * ga) + eps
                else:
                    avg = np.sqrt(sq) + eps
                if mom > 0:
                    buf = real_view(state["momentum_buffer"]._data)
                    buf *= mom
                    buf += g / avg
                    param -= lr * buf
                else:
                    param += (-lr * g) / avg
        return loss
