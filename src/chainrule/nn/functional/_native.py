"""PyTorch's ATen-level spellings that ``torch`` exports at the top level (not in
``torch.nn.functional``): the normalisations that also return their statistics, and
``constant_pad_nd``. Each is the ``nn.functional`` operation plus the statistics, composed from
the same differentiable operations (``chainrule/__init__.py`` exports them)."""

from __future__ import annotations

from ...creation import zeros
from ...primitives.shape import reshape
from ._util import data
from .layers import _normalized_shape, layer_norm
from .normalization import _normalize, batch_norm, group_norm
from .vision import pad as _pad

__all__ = ["native_layer_norm", "native_batch_norm", "native_group_norm", "constant_pad_nd"]


def _rstd(var, eps):
    return 1.0 / (var + eps) ** 0.5


def native_layer_norm(input, normalized_shape, weight, bias, eps: float):
    """``(layer_norm(...), mean, rstd)``, the statistics over the last
    ``len(normalized_shape)`` dims kept as size 1 (``rstd = 1 / sqrt(var + eps)``)."""
    out = layer_norm(input, normalized_shape, weight, bias, eps)
    ndim = data(input).ndim
    axes = tuple(range(ndim - len(_normalized_shape(normalized_shape)), ndim))
    _, mu, var = _normalize(input, axes, eps)
    return out, mu, _rstd(var, eps)


def native_batch_norm(input, weight, bias, running_mean, running_var, training: bool,
                      momentum: float, eps: float):
    """``(batch_norm(...), save_mean, save_invstd)``: the batch's per-channel mean and
    ``1 / sqrt(var + eps)`` when training, else empty tensors (PyTorch's CPU convention)."""
    out = batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    shape = data(input).shape
    if not training:
        dt = out.dtype
        return out, zeros(0, dtype=dt), zeros(0, dtype=dt)
    _, mu, var = _normalize(input, (0,) + tuple(range(2, len(shape))), eps)
    c = shape[1]
    return out, reshape(mu, (c,)), reshape(_rstd(var, eps), (c,))


def native_group_norm(input, weight, bias, N: int, C: int, HxW: int, group: int, eps: float):
    """``(group_norm(...), mean, rstd)``, the statistics of shape ``(N, group)``."""
    out = group_norm(input, group, weight, bias, eps)
    _, mu, var = _normalize(reshape(input, (N, group, C * HxW // group)), (2,), eps)
    return out, reshape(mu, (N, group)), reshape(_rstd(var, eps), (N, group))


def constant_pad_nd(input, pad, value: float = 0):
    """``nn.functional.pad(input, pad, 'constant', value)`` (negative amounts crop)."""
    return _pad(input, pad, "constant", value)
