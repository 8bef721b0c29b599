"""Loss functions, with PyTorch's arguments, defaults and reductions.

Each is composed from differentiable operations, so its gradient (and the gradient of that, to
any order) is exact. ``reduction`` is 'mean' (the default), 'sum' or 'none'. The deprecated
``size_average``/``reduce`` flags are accepted where PyTorch has them, in the same positions.
"""

from __future__ import annotations

import warnings

import numpy as np

from ...composite import log_softmax
from ...primitives.elementwise import abs as _abs
from ...primitives.elementwise import exp, where
from ...primitives.reduction import sum as _sum
from ...primitives.shape import getitem, reshape, take_along_axis
from ._util import (
    check_reduction,
    clamped_log,
    data,
    legacy_reduction,
    softplus,
    warn_size,
    xlogy_self,
)
from ._util import reduce as _reduce

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]


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
    loss = where(data(ad) < beta, d * 0.5 * d / beta, ad - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``."""
    check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    warn_size(input, target, "huber_loss")
    d = input - target
    ad = _abs(d)
    loss = where(data(ad) < delta, d * 0.5 * d, (ad - 0.5 * delta) * delta)
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
    return getitem(weight, idx) if hasattr(weight, "_data") else np.asarray(weight)[idx]


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
    ignored = t == ignore_index
    safe = np.where(ignored, 0, t)
    n = xs[cdim]
    bad = (safe < 0) | (safe >= n)
    if bad.any():
        raise IndexError(f"{op}: target {int(safe[bad].flat[0])} is out of bounds for {n} "
                         f"classes (valid targets are 0 to {n - 1}, or ignore_index = "
                         f"{ignore_index})")
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
    picked = take_along_axis(input, np.expand_dims(safe, cdim), cdim)
    picked = reshape(picked, safe.shape)
    keep = (~ignored).astype(data(input).dtype)
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

