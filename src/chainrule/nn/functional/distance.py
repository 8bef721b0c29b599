"""Similarity measures."""

from __future__ import annotations

import numpy as np

from ...primitives.reduction import sum as _sum
from ...primitives.shape import broadcast_to, normalize_dim
from ._util import clamp_min_keep_grad, data, safe_norm

__all__ = ["cosine_similarity"]


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
    if not shape:
        raise ValueError("cosine_similarity: the inputs need at least one dimension")
    dim = normalize_dim(dim, len(shape), "cosine_similarity")
    x1, x2 = broadcast_to(x1, shape), broadcast_to(x2, shape)
    n1 = clamp_min_keep_grad(safe_norm(x1, dim), eps)
    n2 = clamp_min_keep_grad(safe_norm(x2, dim), eps)
    return _sum((x1 / n1) * (x2 / n2), dim)
