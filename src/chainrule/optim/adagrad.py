"""Adagrad."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..autograd.dispatch import wrap
from .optimizer import Optimizer, param_and_grad, real_view

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """PyTorch's Adagrad: ``g += weight_decay * p``; ``s += g**2``;
    ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)``. The sums start at
    ``initial_accumulator_value``."""

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False):
        for name, value in (("learning rate", lr), ("lr_decay", lr_decay),
                            ("weight_decay", weight_decay),
                            ("initial_accumulator_value", initial_accumulator_value),
                            ("epsilon", eps)):
            if value < 0.0:
                raise ValueError(f"Adagrad: invalid {name} {value}; it must be >= 0")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))
        for group in self.param_groups:
            self._init_group(group)

    def _init_group(self, group) -> None:
        for p in group["params"]:
            state = self.state[p]
            if not state:
                state["step"] = 0.0
                state["sum"] = wrap(np.full_like(p._data, group["initial_accumulator_value"]))

    def step(self, closure: Callable | None = None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss
        when a closure is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = float(group["lr"]), group["lr_decay"], group["eps"]
            wd = group["weight_decay"]
            for p in self._params_to_update(group):
                state = self.state[p]
                if not state:
                    self._init_group({**group, "params": [p]})
                state["step"] += 1
                t = state["step"]
                param, g = param_and_grad(p, group, wd)
                clr = lr / (1 + (t - 1) * lr_decay)
                s = real_view(state["sum"]._data)
                s += g * g
                param += (-clr * g) / (np.sqrt(s) + eps)
        return loss
