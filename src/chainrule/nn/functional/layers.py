"""The functional forms of the layers: linear, bilinear, dropout, layer_norm, embedding."""

from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import no_grad
from ...composite import mean
from ...creation import Generator, rand
from ...primitives._core import values_of
from ...primitives.elementwise import sqrt, where
from ...primitives.linalg import einsum, matmul
from ...primitives.reduction import amax
from ...primitives.reduction import sum as _sum
from ...primitives.shape import getitem, reshape
from ._util import data, detach, is_tensor, scale_grad

__all__ = ["linear", "bilinear", "dropout", "layer_norm", "embedding", "dropout1d", "dropout2d",
           "dropout3d", "alpha_dropout", "feature_alpha_dropout", "embedding_bag"]


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


def _check_p(p: float, op: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def _feature_mask_shape(xs: tuple, d: int, op: str) -> tuple:
    """The mask's shape for channel-wise dropout of a (N, C, *S) or (C, *S) input with d
    spatial dimensions: one value per channel (and sample)."""
    if len(xs) == d + 2:
        return xs[:2] + (1,) * d
    if len(xs) == d + 1:
        return xs[:1] + (1,) * d
    raise ValueError(f"{op}: expected a {d + 1}D (unbatched) or {d + 2}D (batched) input, but "
                     f"got input of shape {xs}")


def _feature_dropout(input, p, training, mask_shape, generator):
    d = data(input)
    if p == 1.0:
        return input * np.zeros((), d.dtype)
    keep = rand(*mask_shape, generator=generator).numpy() >= p
    return input * (keep * (1.0 / (1.0 - p))).astype(d.dtype, copy=False)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: Generator | None = None):
    """Zero whole channels of (N, C, L) or (C, L) with probability ``p``, scaling the rest by
    ``1 / (1 - p)``; the identity when not ``training``."""
    _check_p(p, "dropout1d")
    shape = _feature_mask_shape(data(input).shape, 1, "dropout1d")
    if not training or p == 0.0:
        return input
    return _feature_dropout(input, p, training, shape, generator)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: Generator | None = None):
    """Zero whole channels of (N, C, H, W) or (C, H, W) with probability ``p``. A 3-d input
    is taken as (N, C, L) (PyTorch's behaviour, with its warning)."""
    _check_p(p, "dropout2d")
    xs = data(input).shape
    if len(xs) == 3:
        import warnings

        warnings.warn("dropout2d: Received a 3D input; it is taken as (N, C, L) and whole "
                      "channels of each sample are dropped (1-D channel-wise dropout); use "
                      "dropout1d for that", stacklevel=2)
        shape = xs[:2] + (1,)
    else:
        shape = _feature_mask_shape(xs, 2, "dropout2d")
    if not training or p == 0.0:
        return input
    return _feature_dropout(input, p, training, shape, generator)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: Generator | None = None):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability ``p``."""
    _check_p(p, "dropout3d")
    shape = _feature_mask_shape(data(input).shape, 3, "dropout3d")
    if not training or p == 0.0:
        return input
    return _feature_dropout(input, p, training, shape, generator)


_ALPHA = 1.7580993408473766  # -SELU's scale * alpha: the value SELU saturates to


def _alpha_dropout(input, p, mask_shape, generator):
    d = data(input)
    if p == 1.0:
        return input * np.zeros((), d.dtype)
    keep = (rand(*mask_shape, generator=generator).numpy() >= p).astype(d.dtype)
    a = 1.0 / np.sqrt((_ALPHA ** 2 * p + 1) * (1 - p))
    b = (keep - 1) * (_ALPHA * a) + _ALPHA * a * p
    return input * (keep * a).astype(d.dtype) + b.astype(d.dtype)


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False, *,
                  generator: Generator | None = None):
    """Dropout for SELU networks: dropped elements are set to SELU's negative saturation
    value, then an affine map restores the mean and variance (PyTorch's constants); the
    identity when not ``training`` (the default)."""
    _check_p(p, "alpha_dropout")
    if not training or p == 0.0:
        return input
    return _alpha_dropout(input, p, data(input).shape, generator)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False,
                          inplace: bool = False, *, generator: Generator | None = None):
    """``alpha_dropout`` of whole channels (dimension 1 of (N, C, *))."""
    _check_p(p, "feature_alpha_dropout")
    xs = data(input).shape
    if not training or p == 0.0:
        return input
    if len(xs) < 2:
        raise ValueError(f"feature_alpha_dropout: expected an input of at least 2 dimensions "
                         f"(N, C, *), got shape {xs}")
    return _alpha_dropout(input, p, xs[:2] + (1,) * (len(xs) - 2), generator)


def embedding_bag(input, weight, offsets=None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights=None,
                  include_last_offset: bool = False, padding_idx: int | None = None):
    """Sums, means or maxima of bags of embeddings, without the intermediate (bag, index,
    dim) array in the user's hands: ``input`` (B, L) holds one bag per row, or ``input`` (n,)
    with ``offsets`` (B,) the start of each bag (``include_last_offset``: offsets has B + 1
    entries, the last one the end). ``per_sample_weights`` (mode 'sum' only) weigh each
    embedding; entries equal to ``padding_idx`` are left out (an empty bag gives zeros)."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    ws = data(weight).shape
    if len(ws) != 2:
        raise ValueError(f"embedding_bag: weight must have shape (num_embeddings, "
                         f"embedding_dim), got {ws}")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse gradients are not supported; use "
                                  "sparse=False")
    if scale_grad_by_freq and mode == "max":
        raise ValueError("embedding_bag: max mode does not support scaling the gradient by "
                         "the frequency")
    idx = values_of(input, "embedding_bag")  # the bags are formed in Python
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None; only "
                                      f"mode='sum' supports it, got mode={mode!r}")
        if data(per_sample_weights).shape != idx.shape:
            raise ValueError(f"embedding_bag: per_sample_weights must have the shape of input "
                             f"{idx.shape}, got {data(per_sample_weights).shape}")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2D, then offsets has to be None")
        b, length = idx.shape
        starts = np.arange(b) * length
        flat = idx.reshape(-1)
        psw = None if per_sample_weights is None else reshape(per_sample_weights, (-1,))
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("embedding_bag: offsets has to be a 1D Tensor but got None")
        starts = values_of(offsets, "embedding_bag").astype(np.int64).reshape(-1)
        if include_last_offset:
            if starts.size < 1:
                raise ValueError("embedding_bag: include_last_offset needs at least one offset")
            starts = starts[:-1]  # the last bag still runs to the input's end (as PyTorch)
        ends_last = idx.size
        if starts.size and (starts[0] != 0 or np.any(np.diff(starts) < 0)):
            raise ValueError(f"embedding_bag: offsets must start at 0 and be non-decreasing, "
                             f"got {starts.tolist()}")
        b = starts.size
        flat = idx
        psw = per_sample_weights
        idx = idx[:ends_last]
    else:
        raise ValueError(f"embedding_bag: input has to be 1D or 2D, got shape {idx.shape}")
    n_items = flat.size if idx.ndim == 2 else int(ends_last if b else 0)
    ends = np.append(starts[1:], n_items) if b else starts
    _check_indices(flat[:n_items], ws[0], "embedding_bag")
    pad = _padding_index(padding_idx, ws[0], "embedding_bag")
    if max_norm is not None:
        _renorm_rows(weight, flat[:n_items], max_norm, norm_type)
    # A (B, Lmax) grid of positions into the flattened input; unused cells are masked.
    lengths = ends - starts
    lmax = max(int(lengths.max()) if b else 0, 1)
    pos = starts[:, None] + np.arange(lmax)
    used = np.arange(lmax) < lengths[:, None]
    pos = np.where(used, pos, 0)
    ids = flat[pos] if flat.size else np.zeros(pos.shape, np.int64)
    if pad is not None:
        used &= ids != pad
    ids = np.where(used, ids, 0)
    rows = getitem(weight, ids)  # (B, Lmax, D)
    if scale_grad_by_freq and n_items:
        counts = np.bincount(flat[:n_items], minlength=ws[0])
        rows = scale_grad(rows, (1.0 / np.maximum(counts[ids], 1))[..., None]
                          .astype(data(weight).dtype))
    dt = data(weight).dtype
    m = used[..., None]
    if mode == "max":
        picked = where(m, rows, np.asarray(-np.inf, dt))
        out = amax(picked, 1)
        empty = ~used.any(axis=1)
        return where(empty[:, None], 0, out) if empty.any() else out
    if psw is not None:
        rows = rows * reshape(getitem(psw, pos), pos.shape + (1,))
    total = _sum(where(m, rows, 0), 1)
    if mode == "sum":
        return total
    cnt = np.maximum(used.sum(axis=1), 1).astype(dt)
    return total / cnt[:, None]
