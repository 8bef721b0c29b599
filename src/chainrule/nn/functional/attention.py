"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

Composed from chainrule's differentiable operations (matmul, softmax, where, ...), so both
differentiate to any order and in forward mode. Masks follow PyTorch: for
``scaled_dot_product_attention`` a boolean mask marks with True the positions that **take
part**; for ``multi_head_attention_forward`` (``nn.MultiheadAttention``) a boolean
``attn_mask`` or ``key_padding_mask`` marks with True the positions that are **masked out**.
A float mask is added to the attention scores in both.
"""

from __future__ import annotations

import math

import numpy as np

from ...composite import mean, softmax, swapaxes, unsqueeze
from ...primitives.elementwise import astype, where
from ...primitives.linalg import matmul
from ...primitives.reduction import sum as _sum
from ...primitives.shape import broadcast_to, concatenate, getitem, reshape
from ._util import data, is_tensor, vals
from .layers import dropout as _dropout
from .layers import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _safe_softmax(scores):
    """Softmax over the last axis, with 0 (not nan) for rows whose scores are all -inf (fully
    masked), as PyTorch's scaled_dot_product_attention gives."""
    sv = vals(scores)
    if is_tensor(sv):  # traced: the mask recorded, and always applied
        dead = _sum(sv != -np.inf, -1, True) == 0
        return where(dead, 0, softmax(where(dead, 0, scores), -1))
    dead = np.all(sv == -np.inf, axis=-1, keepdims=True)
    if not dead.any():
        return softmax(scores, -1)
    return where(dead, 0, softmax(where(dead, 0, scores), -1))


def _attend(q, k, v, mask, dropout_p: float, scale: float, safe: bool, generator=None):
    """``softmax(q k^T * scale + mask) v`` over the last two axes; returns (output, weights).
    ``mask`` is additive (an array or a tensor) or None."""
    scores = matmul(q, swapaxes(k, -1, -2)) * scale
    if mask is not None:
        scores = scores + mask
    w = _safe_softmax(scores) if safe else softmax(scores, -1)
    if dropout_p > 0.0:
        w = _dropout(w, dropout_p, True, generator=generator)
    return matmul(w, v), w


def _additive(mask, dtype, keep_when_true: bool, op: str):
    """A mask as something to add to the scores: a boolean mask becomes 0 / -inf (``-inf``
    where the position is masked out), a float mask is returned as it is."""
    if mask is None:
        return None
    m = data(mask)
    if m.dtype == np.bool_:
        mv = vals(mask)  # traced: a tensor, so that the trace records the mask
        masked = ~mv if keep_when_true else mv
        if is_tensor(masked):
            return astype(where(masked, -np.inf, 0.0), dtype)
        return np.where(masked, -np.inf, 0.0).astype(dtype)
    if not np.issubdtype(m.dtype, np.floating):
        raise TypeError(f"{op}: a mask must be boolean or floating point, got dtype {m.dtype}")
    return mask


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False, *, generator=None):
    """``softmax(query @ key^T * scale + mask) @ value`` over the last two axes.

    query (..., L, E), key (..., S, E), value (..., S, Ev); the leading axes broadcast.
    ``attn_mask`` broadcastable to (..., L, S): boolean (True where a query may attend to a
    key) or float (added to the scores). ``is_causal`` masks out keys after each query (the
    top-left aligned lower triangle, as PyTorch); it excludes ``attn_mask``. ``scale`` defaults
    to ``1 / sqrt(E)``. ``dropout_p`` drops attention weights (always, as PyTorch's function
    does; pass 0 in evaluation). Rows with every key masked out give 0. ``enable_gqa`` lets
    key and value have fewer heads (axis -3) than query, each shared by a group of query heads.
    """
    qs, ks, vs = data(query).shape, data(key).shape, data(value).shape
    op = "scaled_dot_product_attention"
    if len(qs) < 2 or len(ks) < 2 or len(vs) < 2:
        raise ValueError(f"{op}: query, key and value need at least 2 dimensions (..., L, E), "
                         f"got shapes {qs}, {ks} and {vs}")
    if qs[-1] != ks[-1]:
        raise ValueError(f"{op}: query and key must have the same embedding size (last "
                         f"dimension), got shapes {qs} and {ks}")
    if ks[-2] != vs[-2]:
        raise ValueError(f"{op}: key and value must have the same sequence length "
                         f"(dimension -2), got shapes {ks} and {vs}")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1], got {dropout_p}")
    if enable_gqa and len(qs) >= 3 and len(ks) >= 3 and qs[-3] != ks[-3]:
        hq, hk = qs[-3], ks[-3]
        if hk == 0 or hq % hk or vs[-3] != hk:
            raise ValueError(f"{op}: with enable_gqa the number of query heads ({hq}) must be "
                             f"a multiple of the number of key and value heads ({hk} and "
                             f"{vs[-3]})")
        idx = np.repeat(np.arange(hk), hq // hk)
        key = getitem(key, (Ellipsis, idx, slice(None), slice(None)))
        value = getitem(value, (Ellipsis, idx, slice(None), slice(None)))
    L, S = qs[-2], ks[-2]
    dt = np.result_type(data(query).dtype, data(key).dtype)
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{op}: explicit attn_mask should not be set when is_causal=True")
        mask = np.where(np.tril(np.ones((L, S), bool)), 0.0, -np.inf).astype(dt)
    else:
        mask = _additive(attn_mask, dt, True, op)
        if mask is not None:
            ms = data(mask).shape
            try:
                np.broadcast_shapes(ms, qs[:-1] + (S,))
            except ValueError:
                raise ValueError(f"{op}: attn_mask of shape {ms} cannot be broadcast to the "
                                 f"attention scores' shape {qs[:-1] + (S,)}") from None
    s = 1.0 / math.sqrt(qs[-1]) if scale is None else scale
    out, _ = _attend(query, key, value, mask, dropout_p, s, True, generator)
    return out


def _split_heads(x, length: int, bsz: int, num_heads: int, head_dim: int):
    """(length, bsz, num_heads * head_dim) -> (bsz, num_heads, length, head_dim)."""
    x = reshape(x, (length, bsz, num_heads, head_dim))
    return swapaxes(swapaxes(x, 0, 1), 1, 2)


def _pad_last(mask, dtype):
    """Append a column of zeros (nothing masked) to an additive mask."""
    if mask is None:
        return None
    ms = data(mask).shape
    zeros = np.zeros(ms[:-1] + (1,), dtype)
    return concatenate([mask, zeros], -1)


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v,
                                 add_zero_attn: bool, dropout_p: float, out_proj_weight,
                                 out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None,
                                 use_separate_proj_weight: bool = False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True,
                                 is_causal: bool = False, *, generator=None):
    """PyTorch's ``F.multi_head_attention_forward``: query (L, N, E) or (L, E), key (S, N, kdim)
    or (S, kdim), value (S, N, vdim) or (S, vdim). Returns ``(attn_output, attn_weights)`` with
    attn_output (L, N, E) and attn_weights (N, L, S) averaged over the heads (or (N, H, L, S)
    with ``average_attn_weights=False``), or None without ``need_weights``.

    A boolean ``key_padding_mask`` (N, S) or ``attn_mask`` ((L, S) or (N * num_heads, L, S))
    marks with True the positions that may **not** be attended to; a float one is added to the
    scores. ``is_causal`` is a hint, as in PyTorch: ``attn_mask`` must be given; it is used
    with ``key_padding_mask`` or ``need_weights``, else a causal mask over all keys replaces it.
    """
    op = "multi_head_attention_forward"
    if static_k is not None or static_v is not None:
        raise NotImplementedError(f"{op}: static_k and static_v are not supported")
    qs, ks, vs = data(query).shape, data(key).shape, data(value).shape
    if len(qs) not in (2, 3):
        raise ValueError(f"{op}: query should be 2-D (unbatched) or 3-D (batched), got shape "
                         f"{qs}")
    batched = len(qs) == 3
    if len(ks) != len(qs) or len(vs) != len(qs):
        raise ValueError(f"{op}: query, key and value must all be {len(qs)}-D, got shapes "
                         f"{qs}, {ks} and {vs}")
    if not batched:
        query, key, value = unsqueeze(query, 1), unsqueeze(key, 1), unsqueeze(value, 1)
        if key_padding_mask is not None:
            if data(key_padding_mask).ndim != 1:
                raise ValueError(f"{op}: for unbatched (2-D) query, key_padding_mask should be "
                                 f"1-D (S,), got shape {data(key_padding_mask).shape}")
            key_padding_mask = unsqueeze(key_padding_mask, 0) if is_tensor(key_padding_mask) \
                else np.asarray(key_padding_mask)[None]
        if attn_mask is not None and data(attn_mask).ndim == 3 and \
                data(attn_mask).shape[0] != num_heads:
            raise ValueError(f"{op}: for unbatched (2-D) query, a 3-D attn_mask should have "
                             f"shape (num_heads, L, S) = ({num_heads}, ...), got "
                             f"{data(attn_mask).shape}")
    tgt_len, bsz, embed_dim = data(query).shape
    src_len = data(key).shape[0]
    if embed_dim != embed_dim_to_check:
        raise ValueError(f"{op}: was expecting embedding dimension of {embed_dim_to_check}, "
                         f"but got {embed_dim} (query shape {qs})")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise ValueError(f"{op}: embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if data(key).shape[:2] != data(value).shape[:2]:
        raise ValueError(f"{op}: key's sequence and batch dims {data(key).shape[:2]} do not "
                         f"match value's {data(value).shape[:2]}")
    if data(key).shape[1] != bsz:
        raise ValueError(f"{op}: key and value must have the batch size of query ({bsz}), got "
                         f"shapes {ks} and {vs}")
    if is_causal and attn_mask is None:
        raise ValueError(f"{op}: need attn_mask if specifying the is_causal hint; pass the "
                         f"causal mask itself, e.g. np.triu(np.ones((L, S), bool), 1)")
    # As PyTorch: without key_padding_mask and need_weights, the hint replaces attn_mask by a
    # causal mask over all keys (bias_k and the zero key included); otherwise attn_mask is used.
    causal = is_causal and key_padding_mask is None and not need_weights
    if causal:
        attn_mask = None

    # input projections
    if not use_separate_proj_weight:
        if data(key).shape[-1] != embed_dim or data(value).shape[-1] != embed_dim:
            raise ValueError(f"{op}: with a packed in_proj_weight, key and value must have "
                             f"embedding dimension {embed_dim}, got shapes {ks} and {vs}")
        w_q, w_k, w_v = (getitem(in_proj_weight, slice(i * embed_dim, (i + 1) * embed_dim))
                         for i in range(3))
    else:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    if in_proj_bias is None:
        b_q = b_k = b_v = None
    else:
        b_q, b_k, b_v = (getitem(in_proj_bias, slice(i * embed_dim, (i + 1) * embed_dim))
                         for i in range(3))
    q = linear(query, w_q, b_q)
    k = linear(key, w_k, b_k)
    v = linear(value, w_v, b_v)
    dt = np.result_type(data(q).dtype, data(k).dtype)

    # masks, additive, shaped (N, H, L, S) or broadcastable to it
    mask = _additive(attn_mask, dt, False, op)
    if mask is not None:
        ms = data(mask).shape
        if len(ms) == 2:
            if ms != (tgt_len, src_len):
                raise ValueError(f"{op}: the shape of the 2-D attn_mask is {ms}, but should be "
                                 f"{(tgt_len, src_len)}")
        elif len(ms) == 3:
            want = (bsz * num_heads, tgt_len, src_len)
            if ms != want:
                raise ValueError(f"{op}: the shape of the 3-D attn_mask is {ms}, but should be "
                                 f"{want}")
            mask = reshape(mask, (bsz, num_heads, tgt_len, src_len))
        else:
            raise ValueError(f"{op}: attn_mask's dimension {len(ms)} is not supported (use a "
                             f"2-D or 3-D mask)")
    kpm = _additive(key_padding_mask, dt, False, op)
    if kpm is not None and data(kpm).shape != (bsz, src_len):
        raise ValueError(f"{op}: expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                         f"{data(kpm).shape}")

    if bias_k is not None and bias_v is not None:
        k = concatenate([k, broadcast_to(bias_k, (1, bsz, embed_dim))], 0)
        v = concatenate([v, broadcast_to(bias_v, (1, bsz, embed_dim))], 0)
        mask, kpm = _pad_last(mask, dt), _pad_last(kpm, dt)
    elif bias_k is not None or bias_v is not None:
        raise ValueError(f"{op}: bias_k and bias_v must both be given or both be None")

    s_len = data(k).shape[0]
    q = _split_heads(q, tgt_len, bsz, num_heads, head_dim)
    k = _split_heads(k, s_len, bsz, num_heads, head_dim)
    v = _split_heads(v, s_len, bsz, num_heads, head_dim)
    if add_zero_attn:
        zeros = np.zeros((bsz, num_heads, 1, head_dim), dt)
        k = concatenate([k, zeros], 2)
        v = concatenate([v, zeros], 2)
        mask, kpm = _pad_last(mask, dt), _pad_last(kpm, dt)
    if causal:
        n_keys = data(k).shape[2]
        mask = np.where(np.tril(np.ones((tgt_len, n_keys), bool)), 0.0, -np.inf).astype(dt)
    if kpm is not None:
        kpm = reshape(kpm, (bsz, 1, 1, data(kpm).shape[-1]))
        mask = kpm if mask is None else mask + kpm

    if not training:
        dropout_p = 0.0
    out, w = _attend(q, k, v, mask, dropout_p, 1.0 / math.sqrt(head_dim), not need_weights,
                     generator)
    # (N, H, L, hd) -> (L, N, E)
    out = reshape(swapaxes(swapaxes(out, 1, 2), 0, 1), (tgt_len, bsz, embed_dim))
    out = linear(out, out_proj_weight, out_proj_bias)
    if need_weights:
        if average_attn_weights:
            w = mean(w, 1)
        if not batched:
            w = getitem(w, 0)
    else:
        w = None
    if not batched:
        out = getitem(out, (slice(None), 0))
    return out, w
