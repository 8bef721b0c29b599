"""Similarity measures."""

from __future__ import annotations

import numpy as np

from ...primitives.elementwise import abs as _abs
from ...primitives.elementwise import where
from ...primitives.reduction import amax, amin
from ...primitives.reduction import sum as _sum
from ...primitives.shape import broadcast_to, getitem, normalize_dim, reshape
from ._util import clamp_min_keep_grad, data, safe_norm, vals

__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """``sum(x1 * x2) / (max(|x1|, eps) * max(|x2|, eps))`` along ``dim``, after broadcasting
    ``x1`` and ``x2`` together. As in PyTorch, each vector is divided by its norm first, and
    the clamp to ``eps`` does not enter the gradient."""
    s1, s2 = data(x1).shape, data(x2).shape
    try:
        shape = np.broadcast_shapes(s1, s2)
    except ValueError:
        raise ValueError(f"cosine_similarity: x1 of shape {s1} and x2 of shape {s2} cannot be "
                         f"broadcast together") from None
    if not shape:  # 0-d: one vector of one element
        normalize_dim(dim, 1, "cosine_similarity")
        return reshape(cosine_similarity(reshape(x1, (1,)), reshape(x2, (1,)), 0, eps), ())
    dim = normalize_dim(dim, len(shape), "cosine_similarity")
    x1, x2 = broadcast_to(x1, shape), broadcast_to(x2, shape)
    n1 = clamp_min_keep_grad(safe_norm(x1, dim), eps)
    n2 = clamp_min_keep_grad(safe_norm(x2, dim), eps)
    return _sum((x1 / n1) * (x2 / n2), dim)


def _vector_norm(x, p: float, dim: int, keepdim: bool, op: str):
    """The ``p``-norm along ``dim``; its gradient is 0 at a zero vector (PyTorch's norm
    backward), for p = 0 (the count of non-zeros) it is 0 everywhere."""
    p = float(p)
    if p == 0:
        dt = data(x).dtype
        cnt = _sum(where(vals(x) != 0, np.ones((), dt), np.zeros((), dt)), dim, keepdim)
        return _sum(x * 0, dim, keepdim) + cnt
    a = _abs(x)
    if p == np.inf:
        return amax(a, dim, keepdim)
    if p == -np.inf:
        return amin(a, dim, keepdim)
    if p == 1:
        return _sum(a, dim, keepdim)
    if p == 2:
        s = _sum(x * x, dim, keepdim)
    else:
        s = _sum(a ** p, dim, keepdim)
    zero = vals(s) == 0
    safe = where(zero, 1, s)
    root = safe ** 0.5 if p == 2 else safe ** (1.0 / p)
    return where(zero, 0, root)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """``||x1 - x2 + eps||_p`` along the last dimension (broadcast together)."""
    s1, s2 = data(x1).shape, data(x2).shape
    try:
        shape = np.broadcast_shapes(s1, s2)
    except ValueError:
        raise ValueError(f"pairwise_distance: x1 of shape {s1} and x2 of shape {s2} cannot be "
                         f"broadcast together") from None
    if not shape:
        return _vector_norm(reshape(x1 - x2 + eps, (1,)), p, 0, False, "pairwise_distance")
    nd = max(len(s1), len(s2))
    out = _vector_norm(x1 - x2 + eps, p, nd - 1, keepdim, "pairwise_distance")
    return out


def pdist(input, p: float = 2.0):
    """The ``p``-norm distances between all pairs of rows i < j of (N, M), in row order:
    shape (N (N - 1) / 2,)."""
    xs = data(input).shape
    if len(xs) != 2:
        raise ValueError(f"pdist: only supports 2D tensors (N, M), got input of shape {xs}")
    i, j = np.triu_indices(xs[0], 1)
    return _vector_norm(getitem(input, i) - getitem(input, j), p, 1, False, "pdist")
