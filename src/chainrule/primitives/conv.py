"""Convolution and pooling: the sliding-window pair ``unfold`` (im2col) and ``fold`` (col2im).

``unfold`` maps an array of shape ``(N, C, *S)`` (``S``: d spatial sizes) to its windows,
``(C, *K, N, *O)``::

    out[c, k, n, o] = xpad[n, c, o * stride + k * dilation]

where ``xpad`` is the input padded by ``padding`` (one ``(lo, hi)`` pair per spatial axis) with
``value``, ``K`` the kernel size and ``O`` the number of window positions per axis. The channel
and kernel axes come first, so that a convolution is one matrix product of the weight
``(C_out, C * prod(K))`` with the windows ``(C * prod(K), N * prod(O))``, and pooling reduces
over an outer axis (NumPy reduces a short innermost axis a hundred times slower).

``fold`` is its transpose: it scatters windows back onto ``(N, C, *S)``, adding where windows
overlap. Both are linear in their array (``unfold``'s padding value enters its forward rule as
0), so each is the other's reverse rule and each is its own forward rule.

Batch axes: axes in front of ``(N, C, *S)`` (or of the windows' ``(C, *K, N, *O)``) are carried
through in front, as a Jacobian's batch of tangents or cotangents needs; pooling uses them too
(each channel pooled as its own image).

The kernels use strides (no loop over positions): ``unfold`` is one strided view copied into a
contiguous array; ``fold`` adds one strided slice per kernel offset (or, for windows that tile
the input without overlap, is one transposed copy).
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._core import STACKED, Primitive, apply, register, tensor_types


def out_size(spatial, kernel, stride, padding, dilation) -> tuple:
    """Window positions per spatial axis (may be 0 or negative for too small inputs)."""
    return tuple((s + lo + hi - d * (k - 1) - 1) // st + 1
                 for s, k, st, (lo, hi), d in zip(spatial, kernel, stride, padding, dilation))


def _padded(x, spatial, padding, value):
    """``x`` (..., C, *S) padded by ``padding`` on its last d axes (``x`` itself if none)."""
    if not any(lo or hi for lo, hi in padding):
        return x
    d = len(spatial)
    shape = x.shape[:-d] + tuple(s + lo + hi for s, (lo, hi) in zip(spatial, padding))
    xp = np.zeros(shape, x.dtype) if value == 0 else np.full(shape, value, x.dtype)
    xp[(Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(spatial, padding))] = x
    return xp


def _unfold_impl(x, spatial, kernel, stride, padding, dilation, value):
    d = len(kernel)
    xp = _padded(x, spatial, padding, value)
    osz = out_size(spatial, kernel, stride, padding, dilation)
    nl = xp.ndim - d - 2  # leading (batch) axes
    st = xp.strides
    (n, c), (sn, sc), sp = xp.shape[nl:nl + 2], st[nl:nl + 2], st[nl + 2:]
    view = as_strided(
        xp, xp.shape[:nl] + (c,) + tuple(kernel) + (n,) + osz,
        st[:nl] + (sc,) + tuple(s * t for s, t in zip(sp, dilation))
        + (sn,) + tuple(s * t for s, t in zip(sp, stride)),
        writeable=False)
    return view.copy()


def _fold_impl(g, spatial, kernel, stride, padding, dilation):
    d = len(kernel)
    nl = g.ndim - 2 * d - 2  # leading (batch) axes
    lead, c, n, osz = g.shape[:nl], g.shape[nl], g.shape[nl + d + 1], g.shape[nl + d + 2:]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(spatial, padding))
    if all(dl == 1 or k == 1 for dl, k in zip(dilation, kernel)) and tuple(stride) == tuple(kernel):
        # Windows tile the (padded) input without overlap: one transposed copy.
        perm = tuple(range(nl)) + (nl + d + 1, nl) + tuple(
            a for i in range(d) for a in (nl + d + 2 + i, nl + 1 + i))
        tiles = g.transpose(perm).reshape(
            lead + (n, c) + tuple(o * k for o, k in zip(osz, kernel)))
        if tiles.shape[nl + 2:] == padded:
            out = tiles
        else:
            out = np.zeros(lead + (n, c) + padded, g.dtype)
            out[(Ellipsis,) + tuple(slice(0, m) for m in tiles.shape[nl + 2:])] = tiles
    else:
        out = np.zeros(lead + (n, c) + padded, g.dtype)
        out_cn = np.swapaxes(out, nl, nl + 1)  # a (C, N, ...) view, laid out as g's windows
        for offs in itertools.product(*(range(k) for k in kernel)):
            idx = tuple(slice(k * dl, k * dl + s * (o - 1) + 1, s)
                        for k, dl, s, o in zip(offs, dilation, stride, osz))
            out_cn[(Ellipsis,) + idx] += g[(slice(None),) * (nl + 1) + offs]
    if not any(lo or hi for lo, hi in padding):
        return out
    return out[(Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(spatial, padding))]


UNFOLD = Primitive(
    "unfold", _unfold_impl,
    vjp=lambda g, spatial, kernel, stride, padding, dilation, value: apply(
        FOLD, (g,), (spatial, kernel, stride, padding, dilation)),
    jvp=lambda t, spatial, kernel, stride, padding, dilation, value: apply(
        UNFOLD, (t,), (spatial, kernel, stride, padding, dilation, 0)),
    batch=STACKED,
)
FOLD = Primitive(
    "fold", _fold_impl,
    vjp=lambda g, spatial, kernel, stride, padding, dilation: apply(
        UNFOLD, (g,), (spatial, kernel, stride, padding, dilation, 0)),
    jvp=lambda t, spatial, kernel, stride, padding, dilation: apply(
        FOLD, (t,), (spatial, kernel, stride, padding, dilation)),
    batch=STACKED,
)

register(UNFOLD, FOLD)


# --- public functions -------------------------------------------------------------------------
def _shape(x):
    return x._data.shape if type(x) in tensor_types else np.shape(x)


def _check(op, shape, nd, kernel, stride, padding, dilation):
    d = len(kernel)
    if len(shape) < nd:
        raise ValueError(f"{op}: expected an array with at least {nd} dimensions for a {d}-d "
                         f"kernel, got shape {shape}")
    for name, v in (("stride", stride), ("dilation", dilation)):
        if len(v) != d or any(int(a) < 1 for a in v):
            raise ValueError(f"{op}: {name} must be {d} positive integers, got {v}")
    if len(padding) != d or any(lo < 0 or hi < 0 for lo, hi in padding):
        raise ValueError(f"{op}: padding must be {d} non-negative (lo, hi) pairs, got {padding}")
    if any(int(k) < 1 for k in kernel):
        raise ValueError(f"{op}: kernel sizes must be positive, got {kernel}")


def unfold(x, kernel, stride, padding, dilation, value=0.0):
    """The windows of ``x`` (..., N, C, *S): shape (..., C, *K, N, *O). ``kernel``, ``stride``,
    ``dilation`` hold one int per spatial axis, ``padding`` one (lo, hi) pair; padded
    positions hold ``value`` (0 for convolutions, -inf for max pooling)."""
    d = len(kernel)
    shape = _shape(x)
    _check("unfold", shape, d + 2, kernel, stride, padding, dilation)
    spatial = tuple(shape[len(shape) - d:])
    osz = out_size(spatial, kernel, stride, padding, dilation)
    if any(o < 1 for o in osz):
        raise ValueError(f"unfold: the padded input of spatial size "
                         f"{tuple(s + lo + hi for s, (lo, hi) in zip(spatial, padding))} is "
                         f"smaller than the dilated kernel "
                         f"{tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation))}")
    return apply(UNFOLD, (x,), (spatial, tuple(kernel), tuple(stride), tuple(padding),
                                tuple(dilation), value))


def fold(windows, spatial, kernel, stride, padding, dilation):
    """The transpose of ``unfold``: windows (..., C, *K, N, *O) added back onto
    (..., N, C, *S), ``S = spatial``."""
    d = len(kernel)
    shape = _shape(windows)
    _check("fold", shape, 2 * d + 2, kernel, stride, padding, dilation)
    spatial = tuple(spatial)
    osz = out_size(spatial, kernel, stride, padding, dilation)
    nl = len(shape) - 2 * d - 2
    if shape[len(shape) - d:] != osz or shape[nl + 1:nl + 1 + d] != tuple(kernel):
        raise ValueError(f"fold: windows of shape {shape} do not match {osz} positions of a "
                         f"kernel {tuple(kernel)} over spatial size {spatial}")
    return apply(FOLD, (windows,), (spatial, tuple(kernel), tuple(stride), tuple(padding),
                                    tuple(dilation)))
