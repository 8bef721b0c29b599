"""The functional forms of the layers: linear, bilinear, dropout, layer_norm, embedding."""

from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import no_grad
from ...composite import mean
from ...creation import Generator, rand
from ...primitives.elementwise import sqrt, where
from ...primitives.linalg import einsum, matmul
from ...primitives.shape import getitem
from ._util import data, detach, is_tensor, scale_grad

__all__ = ["linear", "bilinear", "dropout", "layer_norm", "embedding"]


def _transpose_last(w):
    return w.mT if is_tensor(w) else np.swapaxes(w, -1, -2)


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``: weight has shape (out_features, in_features) (or
    (in_features,) for a single output without that axis), input (..., in_features)."""
    xs, ws = data(input).shape, data(weight).shape
    if len(ws) not in (1, 2):
        raise ValueError(f"linear: weight must have shape (out_features, in_features), got "
                         f"{ws}")
    if not xs or xs[-1] != ws[-1]:
        raise ValueError(f"linear: the input's last dimension must equal in_features = "
                         f"{ws[-1]} (weight shape {ws}), but the input has shape {xs}; "
                         f"reshape the input (e.g. flatten it) or change in_features")
    out = matmul(input, _transpose_last(weight) if len(ws) == 2 else weight)
    return out if bias is None else out + bias


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]``."""
    s1, s2, ws = data(input1).shape, data(input2).shape, data(weight).shape
    if len(ws) != 3:
        raise ValueError(f"bilinear: weight must have shape (out_features, in1_features, "
                         f"in2_features), got {ws}")
    if not s1 or not s2 or s1[:-1] != s2[:-1]:
        raise ValueError(f"bilinear: input1 and input2 must have the same batch shape, got "
                         f"{s1} and {s2}")
    if s1[-1] != ws[1] or s2[-1] != ws[2]:
        raise ValueError(f"bilinear: inputs of shapes {s1} and {s2} need last dimensions "
                         f"in1_features = {ws[1]} and in2_features = {ws[2]} (weight shape "
                         f"{ws})")
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            generator: Generator | None = None):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``; the
    identity when ``training`` is False. The mask comes from chainrule's random generator
    (``chainrule.manual_seed`` or ``generator=``), so it is reproducible but not the same
    mask as PyTorch's. ``inplace`` is accepted and computes out of place."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: the probability p has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    d = data(input)
    if p == 1.0:
        return input * np.zeros((), d.dtype)
    keep = rand(*d.shape, generator=generator).numpy() >= p
    return input * (keep * (1.0 / (1.0 - p))).astype(d.dtype, copy=False)


def _normalized_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(n) for n in normalized_shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Normalise over the last ``len(normalized_shape)`` dimensions to mean 0 and variance 1
    (the biased variance, as PyTorch), then scale by ``weight`` and shift by ``bias``."""
    ns = _normalized_shape(normalized_shape)
    xs = data(input).shape
    k = len(ns)
    if k == 0 or len(xs) < k or xs[len(xs) - k:] != ns:
        raise ValueError(f"layer_norm: normalized_shape={ns} expects an input whose last "
                         f"{k} dimension(s) are {ns}, i.e. shape (*, {', '.join(map(str, ns))})"
                         f", but got an input of shape {xs}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and data(t).shape != ns:
            raise ValueError(f"layer_norm: {name} must have shape normalized_shape = {ns}, "
                             f"got {data(t).shape}")
    axes = tuple(range(len(xs) - k, len(xs)))
    centred = input - mean(input, axes, keepdim=True)
    var = mean(centred * centred, axes, keepdim=True)
    out = centred / sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _check_indices(idx: np.ndarray, n: int, op: str) -> None:
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"{op}: indices must be integers, got dtype {idx.dtype}; convert them "
                        f"with .long() or .astype('int64')")
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < 0 or hi >= n:
            bad = lo if lo < 0 else hi
            raise IndexError(f"{op}: index {int(bad)} is out of range for {n} embeddings "
                             f"(valid indices are 0 to {n - 1})")


def _padding_index(padding_idx, n: int, op: str):
    if padding_idx is None:
        return None
    if not -n <= padding_idx < n:
        raise ValueError(f"{op}: padding_idx {padding_idx} must be within num_embeddings "
                         f"({n}), i.e. in [{-n}, {n - 1}]")
    return int(padding_idx) % n


def _renorm_rows(weight, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: rows used by ``idx`` whose norm exceeds ``max_norm`` are
    scaled down in place to norm ``max_norm`` (a change of the weight, not recorded)."""
    rows = np.unique(idx)
    if rows.size == 0:
        return
    w = data(weight)
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if not big.any():
        return
    rows, scale = rows[big], (max_norm / (norms[big] + 1e-7))[:, None]
    with no_grad():
        weight[rows] = (w[rows] * scale).astype(w.dtype)


def embedding(input, weight, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input``;
    the result has shape ``input.shape + (embedding_dim,)``.

    ``padding_idx``: that row receives no gradient. ``max_norm``: rows used here whose
    ``norm_type``-norm exceeds it are rescaled in place first (as PyTorch does).
    ``scale_grad_by_freq``: gradients are divided by how often each index occurs in ``input``.
    """
    ws = data(weight).shape
    if len(ws) != 2:
        raise ValueError(f"embedding: weight must have shape (num_embeddings, embedding_dim), "
                         f"got {ws}")
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported; use "
                                  "sparse=False (the gradient is a dense array)")
    idx = data(input)
    _check_indices(idx, ws[0], "embedding")
    pad = _padding_index(padding_idx, ws[0], "embedding")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    out = getitem(weight, idx)
    if not is_tensor(out):
        return out
    if pad is not None:
        at_pad = idx == pad
        if at_pad.any():
            out = where(at_pad[..., None], detach(out), out)
    if scale_grad_by_freq and idx.size:
        counts = np.bincount(idx.ravel(), minlength=ws[0])
        s = (1.0 / counts[idx])[..., None].astype(data(weight).dtype)
        out = scale_grad(out, s)
    return out
