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
from ...primitives.conv import unfold
from ...primitives.linalg import matmul
from ...primitives.reduction import amax
from ...primitives.reduction import sum as _sum
from ...primitives.shape import reshape
from ._util import as_tensor, data
from .conv import ntuple

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d"]


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
    offs = np.unravel_index(np.argmax(data(w), axis=ax), kernel)
    flat = np.zeros(data(out).shape, np.int64)
    for i in range(d):
        shape = (1,) * i + (osz[i],) + (1,) * (d - 1 - i)
        start = (np.arange(osz[i]) * stride[i] - padding[i]).reshape(shape)
        flat = flat * spatial[i] + start + offs[i] * dilation[i]
    return out, as_tensor(flat)


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
    # Along the last axis: x @ A.T; along the one before: A @ x (matmul broadcasts the rest).
    n, o = spatial[-1], osz[-1]
    if n != o:
        out = matmul(out, _adaptive_matrix(n, o, dt).T)
    if d == 2 and spatial[0] != osz[0]:
        out = matmul(_adaptive_matrix(spatial[0], osz[0], dt), out)
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
