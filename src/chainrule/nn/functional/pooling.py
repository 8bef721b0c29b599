"""Pooling: max and average pooling over windows, adaptive average pooling.

Max and average pooling reduce the windows that ``unfold`` cuts out of each channel (``amax``,
``sum``), so their derivatives come from the primitive table. Adaptive average pooling is a
linear map along each spatial axis, applied as a matrix product.

Max pooling and ties: where several elements of a window share the maximum, the gradient is
shared evenly among them (the rule of ``amax``); PyTorch gives it all to one of them (the first
in its scan). Both are valid subgradients; they differ only on exact ties.
"""

from __future__ import annotations

import math

import numpy as np

from ...composite import mean
from ...primitives._core import values_of
from ...primitives.array_ops import argmax_index
from ...primitives.conv import unfold
from ...primitives.elementwise import abs as _abs
from ...primitives.elementwise import add, floor_divide, mul, relu, remainder, sign, where
from ...primitives.linalg import matmul
from ...primitives.reduction import amax
from ...primitives.reduction import sum as _sum
from ...primitives.shape import concatenate, getitem, permute, reshape, take_along_axis
from ._util import as_tensor, data
from .conv import ntuple

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "lp_pool1d",
           "lp_pool2d", "lp_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d",
           "fractional_max_pool2d", "fractional_max_pool3d"]


def _pool_size(n, k, s, p, dl, ceil_mode):
    """PyTorch's pooling output size along one axis."""
    span = n + 2 * p - dl * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1  # the last window must start inside the input or its left padding
    return out


def _windows(input, d, kernel_size, stride, padding, dilation, ceil_mode, value, op):
    """The pooling windows of ``input`` (N, C, *S) or (C, *S): shape (N, prod(K), C, *O) or
    (prod(K), C, *O), and the parameters as tuples."""
    xs = data(input).shape
    if len(xs) not in (d + 1, d + 2):
        raise ValueError(f"{op}: expected {d + 1}D (unbatched) or {d + 2}D (batched) input, but "
                         f"got input of shape {xs}")
    kernel = ntuple(kernel_size, d, "kernel_size", op)
    stride = kernel if stride is None or (not isinstance(stride, (int, np.integer))
                                          and len(stride) == 0) \
        else ntuple(stride, d, "stride", op)
    padding = ntuple(padding, d, "padding", op)
    dilation = ntuple(dilation, d, "dilation", op)
    if any(k < 1 for k in kernel) or any(s < 1 for s in stride) or any(a < 1 for a in dilation):
        raise ValueError(f"{op}: kernel_size, stride and dilation must be positive, got "
                         f"kernel_size={kernel}, stride={stride}, dilation={dilation}")
    for p, k, dl in zip(padding, kernel, dilation):
        if p < 0 or p > (dl * (k - 1) + 1) // 2:
            raise ValueError(f"{op}: pad should be at most half of effective kernel size, but "
                             f"got pad={p}, kernel_size={k} and dilation={dl}")
    spatial = xs[len(xs) - d:]
    osz = tuple(_pool_size(n, k, s, p, dl, ceil_mode)
                for n, k, s, p, dl in zip(spatial, kernel, stride, padding, dilation))
    if any(o < 1 for o in osz):
        raise ValueError(f"{op}: given input of shape {xs}, the output size {osz} is too small "
                         f"(kernel_size={kernel}, stride={stride}, padding={padding}, "
                         f"dilation={dilation})")
    # Extra padding at the end for ceil_mode's last, partial window.
    pads = tuple((p, p + max(0, (o - 1) * s + dl * (k - 1) + 1 - (n + 2 * p)))
                 for n, k, s, p, dl, o in zip(spatial, kernel, stride, padding, dilation, osz))
    # Each channel is pooled as an image of its own: (..., C, 1, *S) -> (..., 1, *K, C, *O).
    lead = xs[: len(xs) - d - 1]
    x = reshape(input, xs[: len(xs) - d] + (1,) + spatial)
    w = unfold(x, kernel, stride, pads, dilation, value)
    w = reshape(w, lead + (math.prod(kernel),) + xs[len(xs) - d - 1:len(xs) - d] + osz)
    return w, (kernel, stride, padding, dilation, osz, spatial)


def _max_pool(input, d, kernel_size, stride, padding, dilation, ceil_mode, return_indices, op):
    dt = data(input).dtype
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"{op}: expected a floating point input, got dtype {dt}")
    w, (kernel, stride, padding, dilation, osz, spatial) = _windows(
        input, d, kernel_size, stride, padding, dilation, ceil_mode, -np.inf, op)
    ax = -d - 2  # the kernel axis
    out = amax(w, ax)
    if not return_indices:
        return out
    # Flat index into the input's spatial positions of each window's (first) maximum.
    offs = _unravel(argmax_index(w, ax), kernel)
    flat = np.zeros((), np.int64)
    for i in range(d):
        shape = (1,) * i + (osz[i],) + (1,) * (d - 1 - i)
        start = (np.arange(osz[i]) * stride[i] - padding[i]).reshape(shape)
        flat = add(add(mul(flat, spatial[i]), start), mul(offs[i], dilation[i]))
    return out, as_tensor(flat)


def _unravel(arg, shape):
    """``numpy.unravel_index(arg, shape)`` with primitives (so that a compiled trace records
    it): the offset along each axis of ``shape``."""
    offs = []
    for n in reversed(shape):
        offs.append(remainder(arg, n))
        arg = floor_divide(arg, n)
    return offs[::-1]


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over windows of (N, C, L) or (C, L); see ``max_pool2d``."""
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool1d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over windows of (N, C, H, W) or (C, H, W), as PyTorch: ``stride`` defaults to
    ``kernel_size``; ``padding`` (at most half the dilated kernel) adds -inf borders;
    ``ceil_mode`` keeps a last partial window. With ``return_indices``, also the flat index
    (into H * W) of each maximum. Tied maxima share the gradient (see the module docstring)."""
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool2d")


def _avg_pool(input, d, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, op):
    w, (kernel, stride, padding, _, osz, spatial) = _windows(
        input, d, kernel_size, stride, padding, 1, ceil_mode, 0, op)
    total = _sum(w, -d - 2)
    dt = data(w).dtype
    if divisor_override is not None:
        if int(divisor_override) == 0:
            raise ValueError(f"{op}: divisor_override must not be zero")
        return total * np.asarray(1.0 / divisor_override, dt)
    # PyTorch's divisor: the window clipped to the padded input (count_include_pad) or to the
    # input itself, as a product of per-axis counts.
    div = np.ones((), np.float64)
    for n, k, s, p, o in zip(spatial, kernel, stride, padding, osz):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        cnt = end - start if count_include_pad else \
            np.minimum(end, n) - np.maximum(start, 0)
        div = np.multiply.outer(div, cnt)
    if np.all(div == div.flat[0]):
        return total * np.asarray(1.0 / div.flat[0], dt)
    return total * (1.0 / div).astype(dt)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Average over windows of (N, C, L) or (C, L); see ``avg_pool2d``."""
    return _avg_pool(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                     "avg_pool1d")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Average over windows of (N, C, H, W) or (C, H, W), as PyTorch: zero padding counted in
    the divisor unless ``count_include_pad=False``; ``divisor_override`` replaces the divisor."""
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool2d")


def _adaptive_matrix(n_in: int, n_out: int, dtype) -> np.ndarray:
    """(n_out, n_in): row i averages PyTorch's window [floor(i n / m), ceil((i + 1) n / m))."""
    i = np.arange(n_out)
    start = (i * n_in) // n_out
    end = -((-(i + 1) * n_in) // n_out)
    j = np.arange(n_in)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _adaptive_avg_pool(input, d, output_size, op):
    xs = data(input).shape
    if len(xs) not in (d + 1, d + 2) or any(n == 0 for n in xs[len(xs) - d:]):
        raise ValueError(f"{op}: expected {d + 1}D or {d + 2}D input with non-zero spatial "
                         f"dimensions, but got input of shape {xs}")
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * d
    output_size = tuple(output_size)
    if len(output_size) != d:
        raise ValueError(f"{op}: output_size must be an int or {d} values, got {output_size!r}")
    spatial = xs[len(xs) - d:]
    osz = tuple(n if o is None else int(o) for n, o in zip(spatial, output_size))
    if any(o < 1 for o in osz):
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    if all(o == 1 for o in osz):
        return mean(input, tuple(range(len(xs) - d, len(xs))), keepdim=True)
    dt = data(input).dtype
    out = input
    nd = len(xs)
    # Along the last axis: x @ A.T; along the one before: A @ x (matmul broadcasts the rest);
    # a third axis is moved last and back.
    for i in range(d):
        n, o = spatial[i], osz[i]
        if n == o:
            continue
        a = _adaptive_matrix(n, o, dt)
        ax = nd - d + i
        if ax == nd - 1:
            out = matmul(out, a.T)
        elif ax == nd - 2:
            out = matmul(a, out)
        else:
            perm = list(range(nd))
            perm[ax], perm[-1] = perm[-1], perm[ax]
            out = permute(matmul(permute(out, tuple(perm)), a.T), tuple(perm))
    return out


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) or (C, L) to ``output_size`` positions, with PyTorch's
    windows."""
    return _adaptive_avg_pool(input, 1, output_size, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of (N, C, H, W) or (C, H, W) to ``output_size`` (an int, or a pair whose
    entries may be None to keep that size), with PyTorch's windows: output i averages inputs
    floor(i H / oH) to ceil((i + 1) H / oH) - 1."""
    return _adaptive_avg_pool(input, 2, output_size, "adaptive_avg_pool2d")



def adaptive_avg_pool3d(input, output_size):
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to ``output_size``, with PyTorch's
    windows."""
    return _adaptive_avg_pool(input, 3, output_size, "adaptive_avg_pool3d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over windows of (N, C, D, H, W) or (C, D, H, W); see ``max_pool2d``."""
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool3d")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Average over windows of (N, C, D, H, W) or (C, D, H, W); see ``avg_pool2d``."""
    return _avg_pool(input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool3d")


def _lp_pool(input, d, norm_type, kernel_size, stride, ceil_mode, op):
    """PyTorch's power-average pooling: ``(sum over the window of x**p) ** (1 / p)``, computed
    as it does: ``(sign(s) relu(|s|) * prod(K)) ** (1 / p)`` with ``s`` the window average of
    ``x**p``."""
    p = float(norm_type)
    kernel = ntuple(kernel_size, d, "kernel_size", op)
    avg = _avg_pool(input ** p if p != 1 else input, d, kernel, stride, 0, ceil_mode, True,
                    None, op)
    return (sign(avg) * relu(_abs(avg)) * math.prod(kernel)) ** (1.0 / p)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over windows of (N, C, L) or (C, L)."""
    return _lp_pool(input, 1, norm_type, kernel_size, stride, ceil_mode, "lp_pool1d")


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over windows of (N, C, H, W) or (C, H, W):
    ``(sum x**p) ** (1 / p)`` per window."""
    return _lp_pool(input, 2, norm_type, kernel_size, stride, ceil_mode, "lp_pool2d")


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over windows of (N, C, D, H, W) or (C, D, H, W)."""
    return _lp_pool(input, 3, norm_type, kernel_size, stride, ceil_mode, "lp_pool3d")


# --- adaptive max pooling ----------------------------------------------------------------------
def _window_index(n_in: int, n_out: int):
    """(n_out, L) gather indices of PyTorch's adaptive windows along one axis, L the longest
    window, and the mask of the real (not repeated) entries."""
    i = np.arange(n_out)
    start = (i * n_in) // n_out
    end = -((-(i + 1) * n_in) // n_out)
    length = int((end - start).max())
    idx = start[:, None] + np.arange(length)
    valid = idx < end[:, None]
    return np.minimum(idx, n_in - 1), valid


def _output_size(output_size, d, spatial, op):
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * d
    output_size = tuple(output_size)
    if len(output_size) != d:
        raise ValueError(f"{op}: output_size must be an int or {d} values, got {output_size!r}")
    osz = tuple(n if o is None else int(o) for n, o in zip(spatial, output_size))
    if any(o < 1 for o in osz):
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return osz


def _adaptive_max_pool(input, d, output_size, return_indices, op):
    xs = data(input).shape
    if len(xs) not in (d + 1, d + 2) or any(n == 0 for n in xs[len(xs) - d:]):
        raise ValueError(f"{op}: expected {d + 1}D or {d + 2}D input with non-zero spatial "
                         f"dimensions, but got input of shape {xs}")
    dt = data(input).dtype
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"{op}: expected a floating point input, got dtype {dt}")
    nd = len(xs)
    spatial = xs[nd - d:]
    osz = _output_size(output_size, d, spatial, op)
    # The window grid: every spatial axis i becomes (O_i, L_i); positions outside a window
    # (repeats of its last element) hold -inf. Gathered at once with broadcast index arrays.
    idx, valid = zip(*(_window_index(n, o) for n, o in zip(spatial, osz)))
    grids, mask = [], np.ones((1,) * (2 * d), bool)
    for i in range(d):
        shape = [1] * (2 * d)
        shape[i], shape[d + i] = idx[i].shape
        grids.append(idx[i].reshape(shape))
        mask = mask & valid[i].reshape(shape)
    w = getitem(input, (Ellipsis,) + tuple(grids))  # (..., *O, *L)
    w = where(mask, w, np.asarray(-np.inf, dt))
    wl = reshape(w, xs[:nd - d] + osz + (math.prod(v.shape[1] for v in valid),))
    out = amax(wl, -1)
    if not return_indices:
        return out
    lens = tuple(v.shape[1] for v in valid)
    offs = _unravel(argmax_index(wl, -1), lens)
    flat = np.zeros((), np.int64)
    for i in range(d):
        start = idx[i][:, 0].reshape((osz[i],) + (1,) * (d - 1 - i))
        flat = add(add(mul(flat, spatial[i]), start), offs[i])
    return out, as_tensor(flat)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Maximum over PyTorch's adaptive windows of (N, C, L) or (C, L)."""
    return _adaptive_max_pool(input, 1, output_size, return_indices, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Maximum over PyTorch's adaptive windows of (N, C, H, W) or (C, H, W); with
    ``return_indices`` also the flat index (into H * W) of each maximum."""
    return _adaptive_max_pool(input, 2, output_size, return_indices, "adaptive_max_pool2d")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Maximum over PyTorch's adaptive windows of (N, C, D, H, W) or (C, D, H, W)."""
    return _adaptive_max_pool(input, 3, output_size, return_indices, "adaptive_max_pool3d")


# --- max_unpool --------------------------------------------------------------------------------
def _max_unpool(input, indices, d, kernel_size, stride, padding, output_size, op):
    xs, ids = data(input).shape, data(indices)
    if len(xs) not in (d + 1, d + 2):
        raise ValueError(f"{op}: expected {d + 1}D or {d + 2}D input, got shape {xs}")
    if ids.shape != xs or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{op}: indices must be integers of the input's shape {xs}, got "
                         f"{ids.dtype} {ids.shape}")
    kernel = ntuple(kernel_size, d, "kernel_size", op)
    stride = kernel if stride is None else ntuple(stride, d, "stride", op)
    padding = ntuple(padding, d, "padding", op)
    spatial = xs[len(xs) - d:]
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(spatial, stride, padding,
                                                                  kernel))
    if output_size is None:
        osz = default
    else:
        osz = tuple(int(a) for a in output_size)[-d:]
        if len(osz) != d or any(not (q - s < o < q + s) for o, q, s in
                                zip(osz, default, stride)):
            raise ValueError(f"{op}: output_size {tuple(output_size)} must be within one stride "
                             f"({stride}) of the default {default}")
    lead = xs[:len(xs) - d]
    m = math.prod(osz)
    flat_in = reshape(input, lead + (-1,))
    fi = ids.reshape(lead + (-1,))
    if fi.size and (fi.min() < 0 or fi.max() >= m):
        raise ValueError(f"{op}: found an invalid max index {int(fi.max())} (output volume of "
                         f"size {m} = {osz})")
    # Each output position reads the input that points to it (the last one, when several do),
    # or a zero appended at the end: a gather, whose derivative is the scatter.
    k = fi.shape[-1]
    src = np.full(lead + (m,), k, np.int64)
    rows = np.indices(fi.shape)
    src[tuple(rows[:-1]) + (fi,)] = rows[-1]
    zero = np.zeros(lead + (1,), data(input).dtype)
    ext = concatenate([flat_in, zero], axis=-1)
    out = take_along_axis(ext, src, -1)
    return reshape(out, lead + osz)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool1d``: each value goes to its index, zeros elsewhere."""
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size,
                       "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool2d(..., return_indices=True)``: each value goes to its
    flat index in (H_out, W_out), zeros elsewhere."""
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size,
                       "max_unpool2d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool3d``: each value goes to its index, zeros elsewhere."""
    return _max_unpool(input, indices, 3, kernel_size, stride, padding, output_size,
                       "max_unpool3d")


# --- fractional max pooling --------------------------------------------------------------------
def _fractional_starts(n_in: int, n_out: int, k: int, sample: np.ndarray) -> np.ndarray:
    """PyTorch's pseudo-random window starts along one axis for samples u in [0, 1): shape
    ``sample.shape + (n_out,)``."""
    u = np.asarray(sample, np.float64)[..., None]
    last = np.full(u.shape, n_in - k, np.int64)
    if n_out == 1:
        return last
    alpha = (n_in - k) / (n_out - 1)
    i = np.arange(n_out - 1)
    seq = (np.floor((i + u) * alpha) - np.floor(u * alpha)).astype(np.int64)
    return np.concatenate([seq, last], axis=-1)


def _fractional_max_pool(input, d, kernel_size, output_size, output_ratio, return_indices,
                         _random_samples, generator, op):
    xs = data(input).shape
    if len(xs) not in (d + 1, d + 2):
        raise ValueError(f"{op}: expected {d + 1}D or {d + 2}D input, got shape {xs}")
    kernel = ntuple(kernel_size, d, "kernel_size", op)
    spatial = xs[len(xs) - d:]
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{op}: fractional_max_pool requires specifying either an "
                             f"output_size or an output_ratio")
        ratio = (float(output_ratio),) * d if np.ndim(output_ratio) == 0 else \
            tuple(float(r) for r in output_ratio)
        osz = tuple(int(n * r) for n, r in zip(spatial, ratio))
    else:
        osz = ntuple(output_size, d, "output_size", op)
    if any(o + k - 1 > n for o, k, n in zip(osz, kernel, spatial)) or min(osz) < 1:
        raise ValueError(f"{op}: output_size {osz} + kernel_size {kernel} - 1 must not exceed "
                         f"the input size {spatial}")
    batched = len(xs) == d + 2
    x = input if batched else reshape(input, (1,) + xs)
    n, c = data(x).shape[:2]
    if _random_samples is None:
        from ...creation import rand
        samples = rand(n, c, d, generator=generator).numpy()
    else:
        # the windows are placed in Python
        samples = np.asarray(values_of(_random_samples, op), np.float64)
        if samples.shape != (n, c, d):
            raise ValueError(f"{op}: _random_samples must have shape (N, C, {d}) = "
                             f"{(n, c, d)}, got {samples.shape}")
    # One window grid per (sample, channel); gathered with broadcast index arrays.
    idx = []
    for i in range(d):  # PyTorch's sample order: (w, h) in 2-d, (t, h, w) in 3-d
        ax = d - 1 - i if d == 2 else i
        starts = _fractional_starts(spatial[ax], osz[ax], kernel[ax], samples[..., i])
        idx.append((ax, starts[..., None] + np.arange(kernel[ax])))  # (N, C, O, K)
    idx = [a for _, a in sorted(idx, key=lambda t: t[0])]
    grids = [np.arange(n).reshape((n,) + (1,) * (2 * d + 1)),
             np.arange(c).reshape((1, c) + (1,) * (2 * d))]
    for i, a in enumerate(idx):
        shape = [n, c] + [1] * (2 * d)
        shape[2 + i], shape[2 + d + i] = a.shape[2], a.shape[3]
        grids.append(a.reshape(n, c, *shape[2:]))
    w = getitem(x, tuple(grids))  # (N, C, *O, *K)
    wl = reshape(w, (n, c) + osz + (math.prod(kernel),))
    out = amax(wl, -1)
    if not batched:
        out = reshape(out, data(out).shape[1:])
    if not return_indices:
        return out
    offs = _unravel(argmax_index(wl, -1), kernel)
    flat = np.zeros((), np.int64)
    for i in range(d):
        start = idx[i][..., 0].reshape((n, c) + (1,) * i + (osz[i],) + (1,) * (d - 1 - i))
        flat = add(add(mul(flat, spatial[i]), start), offs[i])
    return out, as_tensor(flat if batched else getitem(flat, 0))


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None, *, generator=None):
    """Maximum over pseudo-randomly placed windows of (N, C, H, W) or (C, H, W) (Graham's
    fractional max pooling, PyTorch's window rule). ``_random_samples`` (N, C, 2) in [0, 1)
    fixes the windows; else they are drawn from chainrule's generator (or ``generator=``)."""
    return _fractional_max_pool(input, 2, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples, generator,
                                "fractional_max_pool2d")


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None, *, generator=None):
    """Fractional max pooling of (N, C, D, H, W) or (C, D, H, W); see
    ``fractional_max_pool2d`` (``_random_samples`` of shape (N, C, 3))."""
    return _fractional_max_pool(input, 3, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples, generator,
                                "fractional_max_pool3d")
