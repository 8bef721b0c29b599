"""Helpers shared by the functional layers and losses."""

from __future__ import annotations

import warnings

import numpy as np

from ...autograd.dispatch import is_tensor, wrap  # noqa: F401 - is_tensor: for the nn modules
from ...primitives._core import is_concrete, tensor_types
from ...primitives.elementwise import exp, log, log1p, sqrt, where
from ...primitives.reduction import sum as _sum


def data(x) -> np.ndarray:
    """The array behind a tensor, or ``x`` as an array."""
    return x._data if type(x) in tensor_types else np.asarray(x)


def vals(x):
    """An operand for a mask (``vals(x) > 0``): the array behind ``x`` (a raw mask, the cheap
    way), or, while ``chainrule.compile`` traces ``x``, the tensor itself, so that the
    comparison is recorded rather than read from this call's values."""
    return x if not is_concrete(x) and type(x) in tensor_types else data(x)


def as_tensor(x):
    """``x`` itself when it is a tensor, else a constant tensor around it (no copy)."""
    return x if type(x) in tensor_types else wrap(np.asarray(x))


def detach(x):
    return x.detach() if type(x) in tensor_types else x


def softplus(z):
    """``log(1 + exp(z))`` for any z without overflow, with exact derivatives of every order
    at every point (each branch is the analytic function on its side of 0)."""
    pos = vals(z) > 0
    return where(pos, z, 0) + log1p(exp(where(pos, -z, z)))


def clamped_log(x, floor: float = -100.0):
    """``max(log(x), floor)`` as PyTorch's binary_cross_entropy takes it; the gradient is 0
    where the floor is used (also at x = 0, where it would otherwise be nan)."""
    pos = vals(x) > 0
    lx = log(where(pos, x, 1))
    keep = pos & (vals(lx) > floor)
    return where(keep, lx, floor)


def xlogy_self(t):
    """``t * log(t)`` with the value 0 at t = 0."""
    pos = vals(t) > 0
    return where(pos, t * log(where(pos, t, 1)), 0)


def safe_norm(x, dim: int):
    """The 2-norm along ``dim`` (kept), with gradient 0 at a zero vector (not nan)."""
    sq = _sum(x * x, dim, True)
    zero = vals(sq) == 0
    return where(zero, 0, sqrt(where(zero, 1, sq)))


def clamp_min_keep_grad(n, lo: float):
    """``max(n, lo)`` in value, while the gradient is that of ``n`` everywhere (PyTorch clamps
    norms under no_grad in cosine_similarity)."""
    nd = data(n)
    small = nd < lo
    if not small.any():
        return n
    return where(small, (n - nd) + lo, n)


def scale_grad(t, s):
    """The value of ``t`` with its gradient multiplied by ``s`` (a constant array)."""
    t_const = detach(t)
    return t_const + (t - t_const) * s


_REDUCTIONS = ("none", "mean", "sum")


def legacy_reduction(size_average, reduce, reduction: str, op: str) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` flags, mapped to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn(f"{op}: size_average and reduce are deprecated, use reduction='mean', "
                  f"'sum' or 'none' instead", stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def check_reduction(reduction: str, op: str, allowed=_REDUCTIONS) -> None:
    if reduction not in allowed:
        names = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; use one of "
                         f"{names}")


def reduce(loss, reduction: str):
    """Apply a validated reduction: 'none', 'sum', or 'mean' (nan for an empty loss)."""
    if reduction == "none":
        return loss
    total = _sum(loss)
    if reduction == "sum":
        return total
    n = data(loss).size
    if n == 0:
        return total * np.nan
    return total / n


def warn_size(input, target, op: str) -> None:
    si, st = data(input).shape, data(target).shape
    if si != st:
        warnings.warn(f"{op}: the target shape {st} differs from the input shape {si}; they are "
                      f"broadcast together, which is likely not what you want", stacklevel=3)
