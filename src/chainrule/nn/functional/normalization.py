"""Batch and group normalisation, composed from means and variances (``layer_norm`` lives in
``layers``)."""

from __future__ import annotations

import math

import numpy as np

from ...autograd.inplace import bump_all
from ...composite import mean
from ...primitives.elementwise import sqrt
from ...primitives.shape import reshape
from ._util import data

__all__ = ["batch_norm", "group_norm"]


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
        bump_all([data(b) for b in (running_mean, running_var) if b is not None], "batch_norm")
        for buf, stat, scale in ((running_mean, mu, 1.0), (running_var, var, n / (n - 1))):
            if buf is not None:
                b = data(buf)
                s = np.asarray(data(stat)).reshape(c)
                b[...] = (1 - momentum) * b + (momentum * scale) * s
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var must be given when "
                             "training=False (evaluation uses the running statistics)")
        out = (input - reshape(running_mean, kept)) / sqrt(reshape(running_var, kept) + eps)
    if weight is not None:
        out = out * reshape(weight, kept)
    if bias is not None:
        out = out + reshape(bias, kept)
    return out


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
    kept = (1, c) + (1,) * (len(xs) - 2)
    if weight is not None:
        out = out * reshape(weight, kept)
    if bias is not None:
        out = out + reshape(bias, kept)
    return out
