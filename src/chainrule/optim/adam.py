"""Adam and AdamW (with AMSGrad)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..autograd.dispatch import wrap
from .optimizer import Optimizer, param_and_grad, real_view

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """PyTorch's Adam. With ``g`` the gradient (negated when ``maximize``), at step ``t``:

    ``g += weight_decay * p`` (or, with ``decoupled_weight_decay``, as AdamW,
    ``p *= 1 - lr * weight_decay``); ``m = m + (1 - beta1) * (g - m)``;
    ``v = beta2 * v + (1 - beta2) * g**2``; with ``amsgrad`` v is replaced by its running
    maximum; ``p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False):
        name = type(self).__name__
        if lr < 0.0:
            raise ValueError(f"{name}: invalid learning rate {lr}; it must be >= 0")
        if eps < 0.0:
            raise ValueError(f"{name}: invalid epsilon {eps}; it must be >= 0")
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{name}: invalid beta parameter at index {i}: {b}; it must "
                                 f"be in [0, 1)")
        if weight_decay < 0.0:
            raise ValueError(f"{name}: invalid weight_decay {weight_decay}; it must be >= 0")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _init_state(self, p, amsgrad: bool) -> dict:
        state = self.state[p]
        if not state:
            state["step"] = 0.0
            state["exp_avg"] = wrap(np.zeros_like(p._data))
            state["exp_avg_sq"] = wrap(np.zeros_like(p._data))
            if amsgrad:
                state["max_exp_avg_sq"] = wrap(np.zeros_like(p._data))
        return state

    def step(self, closure: Callable | None = None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss
        when a closure is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd, amsgrad = group["eps"], group["weight_decay"], group["amsgrad"]
            for p in self._params_to_update(group):
                state = self._init_state(p, amsgrad)
                state["step"] += 1
                t = state["step"]
                decoupled = group["decoupled_weight_decay"]
                param, g = param_and_grad(p, group, 0 if decoupled else wd)
                if wd != 0 and decoupled:
                    param *= 1 - lr * wd
                m = real_view(state["exp_avg"]._data)
                v = real_view(state["exp_avg_sq"]._data)
                m += (1 - beta1) * (g - m)
                v *= beta2
                v += (1 - beta2) * g * g
                if amsgrad:
                    vmax = real_view(state["max_exp_avg_sq"]._data)
                    np.maximum(vmax, v, out=vmax)
                    v = vmax
                step_size = lr / (1 - beta1**t)
                denom = np.sqrt(v) / (1 - beta2**t) ** 0.5 + eps
                param += (-step_size * m) / denom
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (``p *= 1 - lr * weight_decay`` before the Adam
    step), weight_decay 0.01 by default, as PyTorch's AdamW."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
