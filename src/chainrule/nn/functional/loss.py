"""Loss functions, with PyTorch's arguments, defaults and reductions.

Each is composed from differentiable operations, so its gradient (and the gradient of that, to
any order) is exact. ``reduction`` is 'mean' (the default), 'sum' or 'none'. The deprecated
``size_average``/``reduce`` flags are accepted where PyTorch has them, in the same positions.
"""

from __future__ import annotations

import warnings

import numpy as np

from ...composite import expand_dims, log_softmax
from ...primitives._conj import astype
from ...primitives._core import values_of
from ...primitives.elementwise import abs as _abs
from ...primitives.elementwise import eq, exp, log, logical_not, sqrt, where
from ...primitives.elementwise import minimum as _minimum
from ...primitives.reduction import sum as _sum
from ...primitives.shape import (
    check_index,
    concatenate,
    getitem,
    reshape,
    take_along_axis,
)
from ._util import (
    check_reduction,
    clamp_min_keep_grad,
    clamped_log,
    data,
    is_tensor,
    legacy_reduction,
    softplus,
    vals,
    warn_size,
    wrap,
    xlogy_self,
)
from ._util import reduce as _reduce

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
           "soft_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
           "multilabel_margin_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "poisson_nll_loss", "gaussian_nll_loss", "ctc_loss", "linear_cross_entropy"]


def _weighted(loss, weight, reduction: str, op: str, mean_by_weight: bool = True):
    """PyTorch's elementwise weighting of mse_loss, l1_loss (mean: divided by the sum of the
    weights) and huber_loss (mean: the plain mean)."""
    if data(weight).shape != data(loss).shape:
        raise ValueError(f"{op}: weight must have the shape of the input (Weights and input "
                         f"must have the same size), got {data(weight).shape} and "
                         f"{data(loss).shape}")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return _sum(loss) / _sum(weight)
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None):
    """Mean squared error ``(input - target) ** 2``, optionally weighted elementwise."""
    reduction = legacy_reduction(size_average, reduce, reduction, "mse_loss")
    check_reduction(reduction, "mse_loss")
    warn_size(input, target, "mse_loss")
    d = input - target
    if weight is not None:
        return _weighted(d * d, weight, reduction, "mse_loss")
    return _reduce(d * d, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
            weight=None):
    """Mean absolute error ``|input - target|`` (its derivative at 0 is 0)."""
    reduction = legacy_reduction(size_average, reduce, reduction, "l1_loss")
    check_reduction(reduction, "l1_loss")
    warn_size(input, target, "l1_loss")
    loss = _abs(input - target)
    if weight is not None:
        return _weighted(loss, weight, reduction, "l1_loss")
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0):
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta``."""
    reduction = legacy_reduction(size_average, reduce, reduction, "smooth_l1_loss")
    check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    warn_size(input, target, "smooth_l1_loss")
    d = input - target
    ad = _abs(d)
    loss = where(vals(ad) < beta, d * 0.5 * d / beta, ad - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``."""
    check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    warn_size(input, target, "huber_loss")
    d = input - target
    ad = _abs(d)
    loss = where(vals(ad) < delta, d * 0.5 * d, (ad - 0.5 * delta) * delta)
    if weight is not None:
        return _weighted(loss, weight, reduction, "huber_loss", mean_by_weight=False)
    return _reduce(loss, reduction)


# --- classification -------------------------------------------------------------------------
def _class_dim(shape, op: str) -> int:
    if len(shape) == 0:
        raise ValueError(f"{op}: the input must have a class dimension: shape (C,), (N, C) or "
                         f"(N, C, d1, ...); got a 0-d input")
    return 1 if len(shape) >= 2 else 0


def _take(weight, idx):
    if is_tensor(idx) and not is_tensor(weight):
        weight = wrap(np.asarray(weight))  # so that a traced index is recorded, not read
    return getitem(weight, idx) if is_tensor(weight) else np.asarray(weight)[idx]


def _check_weight(weight, n_classes: int, op: str) -> None:
    if weight is not None and data(weight).shape != (n_classes,):
        raise ValueError(f"{op}: weight must have one entry per class, shape ({n_classes},), "
                         f"got {data(weight).shape}")


def _class_weight_view(weight, ndim: int, cdim: int):
    shape = [1] * ndim
    shape[cdim] = data(weight).shape[0]
    return reshape(weight, tuple(shape))


def _index_target(target, xs, cdim: int, ignore_index: int, op: str):
    """The class-index target as an int array, checked; with the mask of ignored entries and
    the indices made safe (0 where ignored)."""
    t = data(target)
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"{op}: a target of class indices must have an integer dtype, got "
                        f"{t.dtype} with shape {t.shape}; for class probabilities give a target "
                        f"of the input's shape {xs} (cross_entropy)")
    expected = xs[:cdim] + xs[cdim + 1:]
    if t.shape != expected:
        raise ValueError(f"{op}: for an input of shape {xs} (classes along dim {cdim}) the "
                         f"target must have shape {expected}, got {t.shape}")
    # with primitives, not NumPy on the data: a compiled trace records them
    ignored = eq(target, ignore_index)
    n = xs[cdim]
    safe = check_index(where(ignored, 0, target), n,
                       f"{op}: target {{}} is out of bounds for {n} classes (valid targets are "
                       f"0 to {n - 1}, or ignore_index = {ignore_index})")
    return safe, ignored


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean"):
    """Negative log-likelihood of the target classes, given log-probabilities ``input`` of
    shape (C,), (N, C) or (N, C, d1, ...) and integer ``target`` of shape (), (N) or
    (N, d1, ...). 'mean' divides by the summed weights of the targets that are not ignored."""
    reduction = legacy_reduction(size_average, reduce, reduction, "nll_loss")
    check_reduction(reduction, "nll_loss")
    xs = data(input).shape
    cdim = _class_dim(xs, "nll_loss")
    _check_weight(weight, xs[cdim], "nll_loss")
    safe, ignored = _index_target(target, xs, cdim, ignore_index, "nll_loss")
    picked = take_along_axis(input, expand_dims(safe, cdim), cdim)
    picked = reshape(picked, data(safe).shape)
    keep = astype(logical_not(ignored), data(input).dtype)
    w = keep if weight is None else _take(weight, safe) * keep
    loss = -(picked * w)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return _sum(loss)
    return _sum(loss) / _sum(w)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """Cross-entropy between ``softmax(input)`` along the class dimension and the target.

    ``target`` is either class indices (integers of shape (), (N) or (N, d1, ...), with
    ``ignore_index`` and ``weight`` as in ``nll_loss``) or class probabilities (floats of the
    input's shape). ``label_smoothing`` mixes the target with the uniform distribution.
    """
    reduction = legacy_reduction(size_average, reduce, reduction, "cross_entropy")
    check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    xs = data(input).shape
    cdim = _class_dim(xs, "cross_entropy")
    n_classes = xs[cdim]
    _check_weight(weight, n_classes, "cross_entropy")
    logp = log_softmax(input, cdim)
    td = data(target)
    if td.shape == xs and not np.issubdtype(td.dtype, np.integer):
        return _cross_entropy_probs(logp, target, weight, cdim, reduction, label_smoothing,
                                    ignore_index)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    safe, ignored = _index_target(target, xs, cdim, ignore_index, "cross_entropy")
    wlogp = logp if weight is None else logp * _class_weight_view(weight, len(xs), cdim)
    smooth = where(ignored, 0, -_sum(wlogp, cdim))
    if reduction == "none":
        ret = smooth
    elif reduction == "sum":
        ret = _sum(smooth)
    elif weight is None:
        ret = _sum(smooth) / int((~ignored).sum())
    else:
        ret = _sum(smooth) / _sum(_take(weight, safe[~ignored]))
    return nll * (1 - label_smoothing) + ret * (label_smoothing / n_classes)


def _cross_entropy_probs(logp, target, weight, cdim, reduction, label_smoothing,
                         ignore_index):
    if ignore_index >= 0:
        raise ValueError("cross_entropy: ignore_index is not supported for class-probability "
                         "(floating point) targets")
    n_classes = data(logp).shape[cdim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * _class_weight_view(weight, data(logp).ndim, cdim)
    if reduction == "none":
        return -_sum(prod, cdim)
    total = -_sum(prod)
    if reduction == "sum":
        return total
    n = data(logp).size // n_classes if n_classes else 0
    return total * np.nan if n == 0 else total / n


# --- binary ----------------------------------------------------------------------------------
def _check_same_shape(input, target, op: str) -> None:
    si, st = data(input).shape, data(target).shape
    if si != st:
        raise ValueError(f"{op}: the target shape {st} must be the same as the input shape "
                         f"{si}")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean"):
    """``-(t * log(x) + (1 - t) * log(1 - x))`` for probabilities ``x`` in [0, 1]; each log is
    clamped at -100, as in PyTorch, so the loss stays finite."""
    reduction = legacy_reduction(size_average, reduce, reduction, "binary_cross_entropy")
    check_reduction(reduction, "binary_cross_entropy")
    _check_same_shape(input, target, "binary_cross_entropy")
    xd = data(input)
    if ((xd < 0) | (xd > 1)).any():
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and "
                         "1 (probabilities); for logits use binary_cross_entropy_with_logits")
    loss = (target - 1) * clamped_log(1 - input) - target * clamped_log(input)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight=None):
    """``binary_cross_entropy(sigmoid(input), target)``, computed stably from the logits.
    ``pos_weight`` weighs the positive term (broadcast along the last dimension, the
    classes)."""
    reduction = legacy_reduction(size_average, reduce, reduction,
                                 "binary_cross_entropy_with_logits")
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    neg_log_sigmoid = softplus(-input)
    if pos_weight is not None:
        neg_log_sigmoid = neg_log_sigmoid * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input + neg_log_sigmoid
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False):
    """Kullback-Leibler divergence with ``input`` given as log-probabilities:
    ``target * (log(target) - input)`` pointwise (``exp(target) * (target - input)`` with
    ``log_target``). ``reduction='batchmean'`` divides the sum by the batch size, which is the
    mathematical KL divergence; 'mean' divides by the number of elements (with a warning, as
    in PyTorch)."""
    reduction = legacy_reduction(size_average, reduce, reduction, "kl_div")
    check_reduction(reduction, "kl_div", ("none", "batchmean", "sum", "mean"))
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, which "
                      "is the KL divergence", stacklevel=2)
    if log_target:
        loss = exp(target) * (target - input)
    else:
        loss = xlogy_self(target) - target * input
    if reduction == "batchmean":
        total = _sum(loss)
        nd = data(input).ndim
        return total / data(input).shape[0] if nd else total
    return _reduce(loss, reduction)



# --- margin and embedding losses -------------------------------------------------------------
def _clamp_min0(z):
    """``max(z, 0)`` with PyTorch's ``clamp_min`` derivative (1 where z >= 0)."""
    return where(vals(z) >= 0, z, 0)


def _start(size_average, reduce, reduction, op):
    """The validated reduction, from PyTorch's deprecated flags where they are given."""
    reduction = legacy_reduction(size_average, reduce, reduction, op)
    check_reduction(reduction, op)
    return reduction


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean"):
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos(x1, x2) - margin)`` where it is
    -1; the cosine along the last dimension of (N, D) (or (D,)), with 1e-12 added to each
    squared norm, as PyTorch."""
    reduction = _start(size_average, reduce, reduction, "cosine_embedding_loss")
    s1, s2, st = data(input1).shape, data(input2).shape, data(target).shape
    if s1 != s2 or len(s1) not in (1, 2) or st != s1[:-1]:
        raise ValueError(f"cosine_embedding_loss: expected input1 and input2 of the same shape "
                         f"(N, D) or (D,) and target (N,) or (), got {s1}, {s2} and {st}")
    dim = len(st)
    prod = _sum(input1 * input2, dim)
    m1 = _sum(input1 * input1, dim) + 1e-12
    m2 = _sum(input2 * input2, dim) + 1e-12
    cos = prod / sqrt(m1 * m2)
    t = data(target)
    loss = where(t == 1, 1 - cos, 0) + where(t == -1, _clamp_min0(cos - margin), 0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean"):
    """``max(0, -target * (x1 - x2) + margin)``."""
    reduction = _start(size_average, reduce, reduction, "margin_ranking_loss")
    shapes = [data(a).shape for a in (input1, input2, target)]
    if len({len(sh) for sh in shapes}) != 1:
        raise ValueError(f"margin_ranking_loss: all input tensors should have the same number "
                         f"of dimensions, got shapes {shapes}")
    return _reduce(_clamp_min0(-target * (input1 - input2) + margin), reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean"):
    """``x`` where target is 1, ``max(0, margin - x)`` where it is -1 (PyTorch adds both
    terms for other target values)."""
    reduction = _start(size_average, reduce, reduction, "hinge_embedding_loss")
    t = data(target)
    loss = where(t != 1, _clamp_min0(margin - input), 0) + where(t != -1, input, 0)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """``log(1 + exp(-target * x))``."""
    reduction = _start(size_average, reduce, reduction, "soft_margin_loss")
    _check_same_shape(input, target, "soft_margin_loss")
    return _reduce(softplus(-target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean"):
    """``-mean_c(t log sigmoid(x) + (1 - t) log sigmoid(-x))`` over the classes (the last
    dimension), optionally weighted per class."""
    reduction = _start(size_average, reduce, reduction, "multilabel_soft_margin_loss")
    _check_same_shape(input, target, "multilabel_soft_margin_loss")
    loss = target * softplus(-input) + (1 - target) * softplus(input)
    if weight is not None:
        loss = loss * weight
    nd = data(loss).ndim
    c = data(input).shape[-1] if nd else 1
    loss = _sum(loss, nd - 1) / c if nd else loss
    return _reduce(loss, reduction)


def _class_target(input, target, op):
    """(N, C) input and (N,) int target, from (C,)/() as well."""
    xs, t = data(input).shape, data(target)
    if len(xs) not in (1, 2) or t.shape != xs[:-1]:
        raise ValueError(f"{op}: expected input (N, C) with target (N,), or (C,) with a 0-d "
                         f"target, got {xs} and {t.shape}")
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"{op}: the target must hold class indices (an integer dtype), got "
                        f"{t.dtype}")
    c = xs[-1]
    if t.size and (t.min() < 0 or t.max() >= c):
        raise IndexError(f"{op}: target values must be in [0, {c}), got values in "
                         f"[{int(t.min())}, {int(t.max())}]")
    return t


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean"):
    """Multi-class hinge loss: ``sum_{i != y} max(0, margin - x[y] + x[i]) ** p / C`` (p 1 or
    2), each term times ``weight[y]`` when given."""
    reduction = _start(size_average, reduce, reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got {p}")
    if data(input).ndim == 0:  # one sample of one class
        input = reshape(input, (1,))
    if data(input).ndim == 1 and data(target).shape == (1,):  # PyTorch: one sample, (1,)
        input = reshape(input, (1, -1))
    t = _class_target(input, target, "multi_margin_loss")
    xs = data(input).shape
    c = xs[-1]
    _check_weight(weight, c, "multi_margin_loss")
    ax = len(xs) - 1
    xy = take_along_axis(input, t[..., None], ax)
    z = (xy * -1 + margin) + input
    others = np.arange(c) != t[..., None]
    h = where(others & (vals(z) > 0), z, 0)
    if p == 2:
        h = h * h
    if weight is not None:
        h = h * reshape(_take(weight, t), t.shape + (1,))
    return _reduce(_sum(h, ax) / c, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None,
                           reduction: str = "mean"):
    """``sum_{j in targets} sum_{i not in targets} max(0, 1 - (x[j] - x[i])) / C``; the targets
    of a sample are its target row's values up to the first -1."""
    reduction = _start(size_average, reduce, reduction, "multilabel_margin_loss")
    if data(input).ndim == 0:  # one sample of one class
        input, target = reshape(input, (1,)), np.reshape(data(target), (1,))
    xs, t = data(input).shape, data(target)
    if len(xs) not in (1, 2) or t.shape != xs or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"multilabel_margin_loss: expected input (N, C) or (C,) and an integer "
                         f"target of the same shape, got {xs} and {t.dtype} {t.shape}")
    c = xs[-1]
    t2 = t.reshape(-1, c)
    # Entries after the first -1 do not count.
    valid = np.cumprod(t2 != -1, axis=1).astype(bool)
    if ((t2 < -1) | (t2 >= c))[valid].any():
        raise IndexError(f"multilabel_margin_loss: target values must be in [0, {c}) or -1")
    cnt = np.zeros(t2.shape)
    rows = np.nonzero(valid)
    np.add.at(cnt, (rows[0], t2[rows]), 1.0)
    non_target = (cnt == 0).astype(np.float64)
    wts = (cnt[:, :, None] * non_target[:, None, :]).reshape(xs[:-1] + (c, c))
    x = input
    ax = len(xs) - 1
    xj = reshape(x, xs + (1,))
    xi = reshape(x, xs[:-1] + (1, c))
    z = (xi - xj) + 1
    h = where(vals(z) > 0, z, 0) * wts.astype(data(input).dtype)
    return _reduce(_sum(h, (ax, ax + 1)) / c, reduction)


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean"):
    """``max(0, d(a, p) - d(a, n) + margin)`` with ``d = pairwise_distance(., ., p, eps)``;
    ``swap`` uses ``min(d(a, n), d(p, n))``."""
    from .distance import pairwise_distance

    reduction = _start(size_average, reduce, reduction, "triplet_margin_loss")
    dims = {data(a).ndim for a in (anchor, positive, negative)}
    if len(dims) != 1 or dims.pop() not in (1, 2):
        raise ValueError(f"triplet_margin_loss: anchor, positive and negative must all be 1-d "
                         f"or all 2-d, got shapes "
                         f"{[data(a).shape for a in (anchor, positive, negative)]}")
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(_clamp_min0(d_pos - d_neg + margin), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean"):
    """``triplet_margin_loss`` with any distance (default ``pairwise_distance``)."""
    from .distance import pairwise_distance

    check_reduction(reduction, "triplet_margin_with_distance_loss")
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be greater than 0, "
                         f"got {margin}")
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = _minimum(d_neg, dist(positive, negative))
    return _reduce(_clamp_min0(d_pos - d_neg + margin), reduction)


# --- likelihoods -------------------------------------------------------------------------------
def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean"):
    """Poisson negative log-likelihood: ``exp(x) - t x`` (``log_input``) or
    ``x - t log(x + eps)``; ``full`` adds Stirling's ``t log t - t + log(2 pi t) / 2`` where
    t > 1."""
    reduction = _start(size_average, reduce, reduction, "poisson_nll_loss")
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        # Stirling's term where target > 1 (0 elsewhere); target may be a tensor with
        # derivatives, so it is composed (with a safe value where it is masked out).
        big = vals(target) > 1
        ts = where(big, target, 2.0)
        loss = loss + where(big, ts * log(ts) - ts + 0.5 * log(ts * (2 * np.pi)), 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean"):
    """Gaussian negative log-likelihood ``(log(var) + (x - t)**2 / var) / 2`` (plus
    ``log(2 pi) / 2`` with ``full``). ``var`` has the input's shape, or one dimension less
    (or a last dimension of 1): one variance per sample; it is clamped to at least ``eps``
    without changing its gradient, as PyTorch."""
    check_reduction(reduction, "gaussian_nll_loss")
    xs = data(input).shape
    if np.ndim(data(var)) == 0 and not hasattr(var, "_data"):
        var = np.full(xs, float(var), data(input).dtype)
    vs = data(var).shape
    if vs != xs:
        if xs[:-1] == vs:
            var = reshape(var, vs + (1,))
        elif not (xs[:-1] == vs[:-1] and vs[-1:] == (1,)):
            raise ValueError(f"gaussian_nll_loss: var of shape {vs} does not match the input's "
                             f"shape {xs}: give the same shape, one dimension less, or a last "
                             f"dimension of 1")
    if (data(var) < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    var = clamp_min_keep_grad(var, eps)
    d = input - target
    loss = (log(var) + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * np.log(2 * np.pi)
    return _reduce(loss, reduction)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False):
    """Connectionist temporal classification loss: ``-log`` of the total probability of all
    alignments of each target, by the forward algorithm in log space (composed from
    ``logsumexp``, so differentiable to any order). ``log_probs`` (T, N, C) or (T, C);
    ``targets`` (N, S) padded or concatenated (1-d); 'mean' divides each loss by its target
    length, then averages, as PyTorch."""
    check_reduction(reduction, "ctc_loss")
    ls = data(log_probs).shape
    unbatched = len(ls) == 2
    if unbatched:
        log_probs = reshape(log_probs, (ls[0], 1, ls[1]))
        ls = data(log_probs).shape
    if len(ls) != 3:
        raise ValueError(f"ctc_loss: log_probs must have shape (T, N, C) or (T, C), got {ls}")
    t_len, n, c = ls
    # the alignment lattice is built in Python from the targets and lengths
    tg = values_of(targets, "ctc_loss").astype(np.int64)
    il = values_of(input_lengths, "ctc_loss").astype(np.int64).reshape(-1)
    tl = values_of(target_lengths, "ctc_loss").astype(np.int64).reshape(-1)
    if unbatched and tg.ndim == 1 and tl.size == 1:
        tg = tg[None, :]
    if il.shape != (n,) or tl.shape != (n,):
        raise ValueError(f"ctc_loss: input_lengths and target_lengths must have {n} entries, "
                         f"got {il.shape} and {tl.shape}")
    if tg.ndim == 1:  # concatenated targets
        ends = np.cumsum(tl)
        rows = [tg[e - k:e] for e, k in zip(ends, tl)]
    else:
        rows = [tg[i, :tl[i]] for i in range(n)]
    if (il > t_len).any() or (il < 0).any():
        raise ValueError(f"ctc_loss: input_lengths must be in [0, {t_len}], got {il}")
    dt = data(log_probs).dtype
    neg = np.asarray(-np.inf, dt)
    # All samples at once: the extended labels (blank, l1, blank, l2, ..., blank) padded to
    # the longest, positions past a sample's own end held at -inf, and each sample's alpha
    # frozen once its input length is reached.
    ls = 2 * tl + 1
    smax = int(ls.max()) if n else 1
    ext = np.full((n, smax), blank, np.int64)
    for b in range(n):
        ext[b, 1:2 * len(rows[b]):2] = rows[b]
    pos = np.arange(smax)
    valid = pos < ls[:, None]
    # alpha_t(s) may come from s, s - 1, and s - 2 when ext[s] is not blank and differs from
    # ext[s - 2].
    skip = np.zeros((n, smax), bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    lp = getitem(log_probs, (np.arange(t_len)[:, None, None], np.arange(n)[None, :, None],
                             ext[None]))  # (T, N, S)
    first = (pos < 2) & valid
    alpha = where(first, getitem(lp, 0), neg) if t_len else np.where(first, 0.0, neg)
    # An empty input: only the empty target has an alignment.
    alpha = where((il == 0)[:, None], np.where(pos == 0, 0.0, -np.inf).astype(dt), alpha)
    inf_col = np.full((n, 1), -np.inf, dt)
    for t in range(1, int(il.max()) if n else 0):
        prev1 = concatenate([inf_col, getitem(alpha, (slice(None), slice(0, smax - 1)))], 1)
        prev2 = concatenate([inf_col, inf_col, getitem(alpha, (slice(None),
                                                               slice(0, smax - 2)))], 1) \
            if smax > 2 else np.full((n, smax), -np.inf, dt)
        prev2 = where(skip, prev2, neg)
        stacked = concatenate([reshape(a, (1, n, smax)) for a in (alpha, prev1, prev2)])
        new = where(valid, _lse(stacked, 0) + getitem(lp, t), neg)
        alpha = where((t < il)[:, None], new, alpha)
    ends = np.stack([2 * tl, np.maximum(2 * tl - 1, 0)], axis=1)
    last = where(np.stack([tl >= 0, tl > 0], axis=1), take_along_axis(alpha, ends, 1), neg)
    loss = -_lse(last, 1)
    if zero_infinity:
        loss = where(np.isinf(data(loss)), 0, loss)
    if unbatched:
        loss = reshape(loss, ())
    if reduction == "none":
        return loss
    if reduction == "sum":
        return _sum(loss)
    denom = np.maximum(tl, 1).astype(dt)
    return _sum(loss / (denom if not unbatched else denom[0])) / n


def _lse(x, axis: int):
    """``log(sum(exp(x)))`` along ``axis``, -inf (with gradient 0) where every entry is -inf:
    those entries are replaced by 0 before the sum and the result set back to -inf."""
    xd = data(x)
    m = np.max(xd, axis=axis, keepdims=True)
    dead = np.isneginf(m)
    m = np.where(dead, 0.0, m).astype(xd.dtype)
    x = where(np.broadcast_to(dead, xd.shape), 0, x)
    out = log(_sum(exp(x - m), axis, True)) + m
    out = where(dead, np.asarray(-np.inf, xd.dtype), out)
    return reshape(out, np.delete(np.array(xd.shape), axis % xd.ndim).tolist())


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options=None):
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``: the class
    logits are ``input (..., in) @ linear_weight (C, *d, in)``, moved so that the classes are
    dimension 1 (dimension 0 of a 1-d input). ``ignore_index=None`` ignores no target.
    ``options`` (PyTorch's chunking) is accepted and has no effect: the logits are formed
    whole."""
    from ...primitives.linalg import einsum
    from ...primitives.shape import permute

    xs, ws = data(input).shape, data(linear_weight).shape
    if not xs or len(ws) < 2 or xs[-1] != ws[-1]:
        raise ValueError(f"linear_cross_entropy: expected input (..., in_features) and "
                         f"linear_weight (C, ..., in_features) with equal in_features, got "
                         f"{xs} and {ws}")
    logits = einsum("...i,ci->...c", input, reshape(linear_weight, (-1, ws[-1])))
    lead = xs[:-1]
    logits = reshape(logits, lead + ws[:-1])
    if linear_bias is not None:
        logits = logits + linear_bias
    if len(lead) >= 1 and len(xs) >= 2:
        # (N, C, *d): the classes after the batch dimension.
        nl = len(lead)
        kd = len(ws) - 1
        perm = (0, nl) + tuple(range(1, nl)) + tuple(range(nl + 1, nl + kd))
        logits = permute(logits, perm)
    ii = ignore_index
    if ii is None:
        tgt = data(target)
        ii = int(tgt.min()) - 1 if np.issubdtype(tgt.dtype, np.integer) and tgt.size else -100
    return cross_entropy(logits, target, weight, ignore_index=ii, reduction=reduction,
                         label_smoothing=label_smoothing)
