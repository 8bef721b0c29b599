"""Batch and group normalisation, composed from means and variances (``layer_norm`` lives in
``layers``)."""

from __future__ import annotations

import math

import numpy as np

from ...autograd.inplace import bump_all
from ...composite import mean
from ...primitives._core import values_of
from ...primitives.elementwise import sqrt
from ...primitives.shape import getitem, pad, reshape
from ._util import data
from .layers import _normalized_shape

__all__ = ["batch_norm", "group_norm", "instance_norm", "local_response_norm", "rms_norm"]


def _normalize(x, axes, eps):
    """``(x - mean) / sqrt(var + eps)`` over ``axes`` (biased variance), and the mean and
    variance (kept dimensions)."""
    mu = mean(x, axes, keepdim=True)
    centred = x - mu
    var = mean(centred * centred, axes, keepdim=True)
    return centred / sqrt(var + eps), mu, var


def _check_param(t, c, name, op):
    if t is not None and data(t).shape != (c,):
        raise ValueError(f"{op}: {name} must have shape (num_features,) = ({c},), got "
                         f"{data(t).shape}")


def _update_running(running_mean, running_var, mu, var, n, momentum, c, op):
    """``running = (1 - momentum) * running + momentum * stat`` in place (not recorded: state,
    not graph), the variance made unbiased (n / (n - 1)); a per-sample ``stat`` (instance
    norm's) is averaged over the batch first."""
    bump_all([data(b) for b in (running_mean, running_var) if b is not None], op)
    for buf, stat, scale in ((running_mean, mu, 1.0), (running_var, var, n / (n - 1))):
        if buf is not None:
            b = data(buf)
            # state updated in place, outside the graph: a compiled trace cannot record it
            st = values_of(stat, op).reshape(-1, c).mean(axis=0)
            b[...] = (1 - momentum) * b + (momentum * scale) * st


def _from_running(input, running_mean, running_var, kept, eps, op, when):
    """``input`` normalised by the running statistics (evaluation)."""
    if running_mean is None or running_var is None:
        raise ValueError(f"{op}: running_mean and running_var must be given when {when}")
    return (input - reshape(running_mean, kept)) / sqrt(reshape(running_var, kept) + eps)


def _affine(out, weight, bias, kept):
    if weight is not None:
        out = out * reshape(weight, kept)
    if bias is not None:
        out = out + reshape(bias, kept)
    return out


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (dimension 1) of (N, C, *) over the batch and the other
    dimensions, then scale by ``weight`` and shift by ``bias`` (each (C,)).

    ``training=True``: use the batch's mean and (biased) variance, and, where given, update
    ``running_mean`` and ``running_var`` in place: ``running = (1 - momentum) * running +
    momentum * batch_stat``, the variance unbiased (n / (n - 1)), as PyTorch. The update is not
    recorded (it is state, not part of the graph). ``training=False``: use the running
    statistics."""
    xs = data(input).shape
    if xs == (0,):  # PyTorch returns an empty 1-d input as it is (its op_db samples one)
        return input * 1
    if len(xs) < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, *) with at least 2 "
                         f"dimensions, got {xs}")
    c = xs[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_param(t, c, name, "batch_norm")
    kept = (1, c) + (1,) * (len(xs) - 2)
    if training:
        n = math.prod(xs) // c
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {xs}")
        out, mu, var = _normalize(input, (0,) + tuple(range(2, len(xs))), eps)
        _update_running(running_mean, running_var, mu, var, n, momentum, c, "batch_norm")
    else:
        out = _from_running(input, running_mean, running_var, kept, eps, "batch_norm",
                            "training=False (evaluation uses the running statistics)")
    return _affine(out, weight, bias, kept)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the channels (dimension 1) of (N, C, *) into ``num_groups`` groups, normalise each
    group of each sample over its channels and positions (biased variance), then scale and
    shift per channel by ``weight`` and ``bias`` (each (C,))."""
    xs = data(input).shape
    if len(xs) < 2:
        raise ValueError(f"group_norm: expected an input of shape (N, C, *) with at least 2 "
                         f"dimensions, got {xs}")
    c, g = xs[1], int(num_groups)
    if g < 1 or c % g:
        raise ValueError(f"group_norm: expected the number of channels ({c}) to be divisible "
                         f"by num_groups ({num_groups})")
    for name, t in (("weight", weight), ("bias", bias)):
        _check_param(t, c, name, "group_norm")
    grouped = reshape(input, (xs[0], g, math.prod(xs[1:]) // g))
    out, _, _ = _normalize(grouped, (2,), eps)
    out = reshape(out, xs)
    return _affine(out, weight, bias, (1, c) + (1,) * (len(xs) - 2))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """Normalise each channel of each sample of (N, C, *) over its positions (biased
    variance), then scale and shift per channel. With ``use_input_stats`` (the default) and
    running buffers, these are updated in place with the batch average of the per-sample
    statistics (variance unbiased), as PyTorch; ``use_input_stats=False`` uses them instead."""
    xs = data(input).shape
    if len(xs) < 3:
        raise ValueError(f"instance_norm: expected an input of shape (N, C, *) with at least "
                         f"one spatial dimension, got {xs}")
    c = xs[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_param(t, c, name, "instance_norm")
    kept = (1, c) + (1,) * (len(xs) - 2)
    if use_input_stats:
        n = math.prod(xs[2:])
        if n <= 1:
            raise ValueError(f"instance_norm: expected more than 1 spatial element when "
                             f"training, got input of shape {xs}")
        out, mu, var = _normalize(input, tuple(range(2, len(xs))), eps)
        _update_running(running_mean, running_var, mu, var, n, momentum, c, "instance_norm")
    else:
        out = _from_running(input, running_mean, running_var, kept, eps, "instance_norm",
                            "use_input_stats=False")
    return _affine(out, weight, bias, kept)


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0):
    """``x / (k + alpha * mean(x**2 over size neighbouring channels)) ** beta``, channels
    along dimension 1, the window zero-padded (size // 2 before, (size - 1) // 2 after) and
    always divided by ``size``, as PyTorch."""
    xs = data(input).shape
    if len(xs) < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher dimensional input, got "
                         f"shape {xs}")
    if size < 1:
        raise ValueError(f"local_response_norm: size must be positive, got {size}")
    c = xs[1]
    sq = pad(input * input, ((0, 0), (size // 2, (size - 1) // 2)) + ((0, 0),) * (len(xs) - 2))
    div = None
    for j in range(size):
        part = getitem(sq, (slice(None), slice(j, j + c)))
        div = part if div is None else div + part
    return input / (div * (alpha / size) + k) ** beta


def rms_norm(input, normalized_shape, weight=None, eps: float | None = None):
    """``x / sqrt(mean(x**2) + eps) * weight`` over the last ``len(normalized_shape)``
    dimensions; ``eps`` defaults to the dtype's machine epsilon, as PyTorch."""
    ns = _normalized_shape(normalized_shape)
    xs = data(input).shape
    kd = len(ns)
    if kd == 0 or len(xs) < kd or xs[len(xs) - kd:] != ns:
        raise ValueError(f"rms_norm: normalized_shape={ns} expects an input of shape (*, "
                         f"{', '.join(map(str, ns))}), got {xs}")
    if weight is not None and data(weight).shape != ns:
        raise ValueError(f"rms_norm: weight must have shape normalized_shape = {ns}, got "
                         f"{data(weight).shape}")
    if eps is None:
        eps = float(np.finfo(data(input).dtype).eps)
    axes = tuple(range(len(xs) - kd, len(xs)))
    out = input / sqrt(mean(input * input, axes, keepdim=True) + eps)
    return out if weight is None else out * weight
