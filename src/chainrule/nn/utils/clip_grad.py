"""Gradient clipping, in place, as PyTorch's ``torch.nn.utils``."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ...autograd.dispatch import wrap
from ...autograd.inplace import bump_all
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters, op: str) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    out = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expects tensors (e.g. model.parameters()), got "
                            f"{type(p).__name__}")
        if p.grad is not None:
            out.append(p.grad._data)
    return out


def _vector_norm(a: np.ndarray, p: float):
    a = np.abs(a.ravel())
    if p == math.inf:
        return a.max(initial=0)
    if p == 0:
        return np.asarray(np.count_nonzero(a), dtype=a.dtype)
    if p == 2:
        return np.sqrt(np.dot(a, a))
    return np.sum(a**p) ** (1.0 / p)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients of ``parameters`` in place so that their total ``norm_type``-norm
    (the norm of the per-parameter norms) is at most ``max_norm``; returns the total norm
    before clipping. Gradients are multiplied by ``min(1, max_norm / (total + 1e-6))``."""
    grads = _grads(parameters, "clip_grad_norm_")
    norm_type = float(norm_type)
    if not grads:
        return wrap(np.asarray(0.0))
    norms = np.array([_vector_norm(g, norm_type) for g in grads])
    total = _vector_norm(norms, norm_type).astype(np.result_type(*grads), copy=False)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           f"gradients is non-finite ({float(total)}), so it cannot be "
                           f"clipped. To scale the gradients by the non-finite norm anyway, "
                           f"pass error_if_nonfinite=False")
    coef = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    bump_all(grads, "clip_grad_norm_")  # in-place changes count, as in PyTorch
    for g in grads:
        g *= np.asarray(coef, dtype=g.dtype)
    return wrap(np.asarray(total))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element of ``parameters`` into [-clip_value, clip_value], in
    place."""
    clip_value = float(clip_value)
    grads = _grads(parameters, "clip_grad_value_")
    bump_all(grads, "clip_grad_value_")  # in-place changes count, as in PyTorch
    for g in grads:
        np.clip(g, -clip_value, clip_value, out=g)
