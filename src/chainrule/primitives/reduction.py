"""Reductions and scans: sum, max/min, prod, cumsum.

Composite reductions (mean, var, std, logsumexp, ...) live in ``chainrule.composite``.
The primitives receive their axes as a tuple of negative ints (``None`` never reaches them),
so that the rules are the same when a tangent or cotangent has leading batch axes.
"""

from __future__ import annotations

import numpy as np

from ._conj import astype
from ._core import ANS, STACKED, Primitive, apply, data_of, is_concrete, register
from .elementwise import where
from .shape import (  # noqa: F401 - kept_shape, sum_to: part of this module's face
    SUM,
    _restore,
    broadcast_to,
    flip,
    kept_shape,
    normalize_dim,
    reshape,
    sum_to,
)


def normalize_axis(axis, ndim: int, op: str):
    """``None`` or a sorted tuple of distinct non-negative axes; a clear error otherwise."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = [normalize_dim(a, ndim, op) for a in axes]
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out)) if ndim else None


def negative_axes(axis, ndim: int):
    """Normalised axes (None or non-negative) as a tuple of negative ints."""
    if axis is None:
        return tuple(range(-ndim, 0))
    return tuple(a - ndim for a in axis)


def _extremum_mask(x, ans, axis, keepdims):
    """Where x attains the extremum, and how many times along the reduced axes (kept dims).
    Ties share the gradient evenly (PyTorch's amax/amin and full max/min convention). Complex
    data are ordered as NumPy orders them (lexicographically, real part first); the derivative
    selects the element NumPy selects, a real-linear map that needs no conjugation."""
    ans_k = ans if keepdims else reshape(ans, kept_shape(x.shape, axis))
    mask = x == ans_k
    # counted with the sum primitive (not NumPy on the data), so that a trace records it
    count = sum(astype(mask, x.dtype), axis, True)
    return mask, count


def _extremum_vjp(v, x, ans, axis, keepdims):
    mask, count = _extremum_mask(x, ans, axis, keepdims)
    return where(mask, _restore(v, x.shape, axis, keepdims) / count, 0)


def _extremum_jvp(t, x, ans, axis, keepdims):
    mask, count = _extremum_mask(x, ans, axis, keepdims)
    return sum(where(mask, t / count, 0), axis, keepdims)


AMAX = Primitive("amax", lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
                 save=(0, ANS), vjp=_extremum_vjp, jvp=_extremum_jvp, batch=STACKED)
AMIN = Primitive("amin", lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
                 save=(0, ANS), vjp=_extremum_vjp, jvp=_extremum_jvp, batch=STACKED)


def _prod_partials(x, ans, axis, keepdims):
    """d prod / d x_i = product of the other entries. Without zeros that is ans / x_i; with
    zeros, the product of the others is formed explicitly (memory: n times the reduced axis
    length, only when a zero is present)."""
    if is_concrete(x) and not np.any(data_of(x) == 0):
        ans_k = ans if keepdims else reshape(ans, kept_shape(x.shape, axis))
        return ans_k / x
    # zeros, or a compiled trace (values not known): right whatever the zeros
    return _prod_of_others(x, axis)


def _prod_vjp(v, x, ans, axis, keepdims):
    partials = _prod_partials(x, ans, axis, keepdims)
    if v.dtype.kind == "c":  # complex: v * conj(d prod / d x_i)
        from .complex import conj

        partials = conj(partials)
    return _restore(v, x.shape, axis, keepdims) * partials


def _prod_jvp(t, x, ans, axis, keepdims):
    return sum(t * _prod_partials(x, ans, axis, keepdims), axis, keepdims)


def _prod_of_others(x, axis):
    # Move the reduced axes to the end as one axis of length n, then for each i take the
    # product over j of (x_j if j != i else 1): shape (..., n, n) reduced over the last axis.
    from .shape import permute

    nd = x.ndim
    axes = tuple(range(nd)) if axis is None else tuple(sorted(a % nd for a in axis))
    rest = tuple(a for a in range(nd) if a not in axes)
    perm = rest + axes
    xp_ = permute(x, perm)
    lead = xp_.shape[: len(rest)]
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    flat = reshape(xp_, lead + (n,))
    eye = np.eye(n, dtype=bool)
    rows = where(eye, 1, reshape(flat, lead + (1, n)))
    others = prod(rows, axis=-1)
    others = reshape(others, xp_.shape)
    inv = tuple(np.argsort(perm))
    return permute(others, inv)


PROD = Primitive("prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
                 save=(0, ANS), vjp=_prod_vjp, jvp=_prod_jvp, batch=STACKED)

CUMSUM = Primitive(
    "cumsum", lambda x, axis: np.cumsum(x, axis=axis),
    vjp=lambda g, axis: flip(cumsum(flip(g, axis), axis), axis),
    jvp=lambda t, axis: cumsum(t, axis),
    batch=STACKED,
)

register(SUM, AMAX, AMIN, PROD, CUMSUM)


def _ndim(x):
    return data_of(x).ndim if hasattr(data_of(x), "ndim") else np.ndim(x)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - numpy.sum / torch.sum
    """Sum over ``axis`` (None: all axes)."""
    return apply(SUM, (x,), (_reduce_axis(x, axis, "sum"), keepdims))


def amax(x, axis=None, keepdims=False):
    """Maximum over ``axis``; tied maxima share the gradient evenly."""
    return apply(AMAX, (x,), (_reduce_axis(x, axis, "amax"), keepdims))


def amin(x, axis=None, keepdims=False):
    """Minimum over ``axis``; tied minima share the gradient evenly."""
    return apply(AMIN, (x,), (_reduce_axis(x, axis, "amin"), keepdims))


def prod(x, axis=None, keepdims=False):
    """Product over ``axis``; its gradient is exact with zeros present too."""
    return apply(PROD, (x,), (_reduce_axis(x, axis, "prod"), keepdims))


def cumsum(x, axis):
    """Cumulative sum along ``axis``."""
    nd = _ndim(x)
    (axis,) = normalize_axis(axis, nd, "cumsum") or (0,)
    if nd == 0:  # NumPy would return shape (1,); PyTorch keeps the 0-d shape
        return reshape(apply(CUMSUM, (reshape(x, (1,)),), (-1,)), ())
    return apply(CUMSUM, (x,), (axis - nd,))


def _reduce_axis(x, axis, op):
    """The axes for a reduction primitive: negative ints (see the module docstring)."""
    nd = _ndim(x)
    return negative_axes(normalize_axis(axis, nd, op), nd)
