"""Convolutions: ``conv1d`` and ``conv2d`` with PyTorch's arguments and weight layout.

A convolution is the weight times the windows of the input (``unfold``): one matrix product of
(out_channels, C * kernel) by (C * kernel, N * positions), or one per group.
The derivatives come from ``unfold``/``fold`` and ``matmul`` in the primitive table.
"""

from __future__ import annotations

import numpy as np

from ...primitives.conv import fold, unfold
from ...primitives.linalg import matmul
from ...primitives.shape import getitem, pad, permute, reshape
from ._util import data

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]

_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def ntuple(v, d: int, name: str, op: str) -> tuple:
    """An int or a sequence of ``d`` ints as a tuple of ``d`` ints."""
    if isinstance(v, (int, np.integer)):
        return (int(v),) * d
    t = tuple(int(a) for a in v)
    if len(t) == 1 and d > 1:
        t = t * d
    if len(t) != d:
        raise ValueError(f"{op}: {name} must be an int or {d} ints, got {v!r}")
    return t


def conv_padding(padding, kernel, stride, dilation, op: str) -> tuple:
    """(lo, hi) per spatial axis from an int, a tuple, 'valid' or 'same' (PyTorch puts the odd
    extra element of 'same' at the end)."""
    d = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * d
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride}); use an explicit padding")
            total = [dl * (k - 1) for k, dl in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in total)
        raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of "
                         f"'valid' or 'same'")
    p = ntuple(padding, d, "padding", op)
    if any(a < 0 for a in p):
        raise ValueError(f"{op}: negative padding is not supported, got {padding!r}")
    return tuple((a, a) for a in p)


def _check_ranks(xs, ws, groups, d, op, weight_layout) -> int:
    """The ranks of a d-dimensional convolution's input and weight checked; ``groups`` as an int."""
    if len(ws) != d + 2:
        raise ValueError(f"{op}: weight must have shape ({weight_layout}, "
                         f"{', '.join('k' + str(i) for i in range(d))}), got {ws}")
    if len(xs) not in (d + 1, d + 2):
        raise ValueError(f"{op}: expected {d + 1}D (unbatched) or {d + 2}D (batched) input, but "
                         f"got input of shape {xs}")
    groups = int(groups)
    if groups < 1:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups}")
    return groups


def _convnd(input, weight, bias, stride, padding, dilation, groups, d, op, padding_mode="zeros"):
    xs, ws = data(input).shape, data(weight).shape
    groups = _check_ranks(xs, ws, groups, d, op, "out_channels, in_channels / groups")
    x = input
    unbatched = len(xs) == d + 1
    if unbatched:
        xs = (1,) + xs
        x = reshape(x, xs)
    n, c, spatial = xs[0], xs[1], xs[2:]
    o, cg, kernel = ws[0], ws[1], ws[2:]
    if o % groups:
        raise ValueError(f"{op}: given groups={groups}, expected the weight's out_channels "
                         f"(dimension 0 of weight shape {ws}) to be divisible by {groups}")
    if c != cg * groups:
        raise ValueError(f"{op}: given groups={groups} and weight of shape {ws}, expected the "
                         f"input (shape {xs}) to have {cg * groups} channels, but got {c} "
                         f"channels instead")
    if bias is not None and data(bias).shape != (o,):
        raise ValueError(f"{op}: bias must have shape (out_channels,) = ({o},), got "
                         f"{data(bias).shape}")
    stride = ntuple(stride, d, "stride", op)
    dilation = ntuple(dilation, d, "dilation", op)
    if any(s < 1 for s in stride) or any(a < 1 for a in dilation):
        raise ValueError(f"{op}: stride and dilation must be positive, got stride={stride}, "
                         f"dilation={dilation}")
    pads = conv_padding(padding, kernel, stride, dilation, op)
    if padding_mode != "zeros" and any(lo or hi for lo, hi in pads):
        x = pad(x, ((0, 0), (0, 0)) + pads, mode=_PAD_MODES[padding_mode])
        spatial = data(x).shape[2:]
        pads = ((0, 0),) * d
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(spatial, pads))
    if any(p < dl * (k - 1) + 1 for p, k, dl in zip(padded, kernel, dilation)):
        raise ValueError(f"{op}: the padded input of spatial size {padded} is smaller than the "
                         f"(dilated) kernel "
                         f"{tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation))}")
    cols = unfold(x, kernel, stride, pads, dilation)  # (C, *K, N, *O)
    osz = data(cols).shape[d + 2:]
    npos = n * int(np.prod(osz, dtype=np.int64))
    kg = cg * int(np.prod(kernel, dtype=np.int64))
    if groups == 1:
        out = matmul(reshape(weight, (o, kg)), reshape(cols, (kg, npos)))
    else:  # (G, O / G, kg) @ (G, kg, N * positions)
        out = reshape(matmul(reshape(weight, (groups, o // groups, kg)),
                             reshape(cols, (groups, kg, npos))), (o, npos))
    if bias is not None:
        out = out + reshape(bias, (o, 1))
    out = permute(reshape(out, (o, n) + osz), (1, 0) + tuple(range(2, d + 2)))
    return reshape(out, data(out).shape[1:]) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation, as PyTorch): input (N, C_in, L) or (C_in, L), weight
    (C_out, C_in / groups, k), bias (C_out,). ``padding``: an int, a 1-tuple, 'valid' or
    'same'."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation, as PyTorch): input (N, C_in, H, W) or (C_in, H, W),
    weight (C_out, C_in / groups, kH, kW), bias (C_out,). ``stride``, ``dilation``: an int or a
    pair; ``padding``: an int, a pair, 'valid' or 'same'."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution (cross-correlation, as PyTorch): input (N, C_in, D, H, W) or
    (C_in, D, H, W), weight (C_out, C_in / groups, kD, kH, kW), bias (C_out,)."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation,
                      d, op):
    """The transpose (adjoint in the input) of a convolution: the weight spreads each input
    position over a window of the output (one matrix product, then ``fold`` adds the
    overlapping windows), then ``padding`` is cut from both sides and ``output_padding`` adds
    positions at the end."""
    xs, ws = data(input).shape, data(weight).shape
    groups = _check_ranks(xs, ws, groups, d, op, "in_channels, out_channels / groups")
    unbatched = len(xs) == d + 1
    x = reshape(input, (1,) + xs) if unbatched else input
    xs = data(x).shape
    n, c, spatial = xs[0], xs[1], xs[2:]
    cin, og, kernel = ws[0], ws[1], ws[2:]
    if c != cin or cin % groups:
        raise ValueError(f"{op}: given groups={groups} and weight of shape {ws}, expected the "
                         f"input (shape {xs}) to have {cin} channels (divisible by groups), but "
                         f"got {c} channels instead")
    o = og * groups
    if bias is not None and data(bias).shape != (o,):
        raise ValueError(f"{op}: bias must have shape (out_channels,) = ({o},), got "
                         f"{data(bias).shape}")
    stride = ntuple(stride, d, "stride", op)
    dilation = ntuple(dilation, d, "dilation", op)
    pads = ntuple(padding, d, "padding", op)
    opad = ntuple(output_padding, d, "output_padding", op)
    if any(s < 1 for s in stride) or any(a < 1 for a in dilation) or any(p < 0 for p in pads):
        raise ValueError(f"{op}: stride and dilation must be positive and padding "
                         f"non-negative, got stride={stride}, dilation={dilation}, "
                         f"padding={pads}")
    for op_, s, dl in zip(opad, stride, dilation):
        if op_ < 0 or (op_ >= s and op_ >= dl):
            raise ValueError(f"{op}: output padding must be smaller than either stride or "
                             f"dilation, got output_padding={opad}, stride={stride}, "
                             f"dilation={dilation}")
    full = tuple((i - 1) * s + dl * (k - 1) + 1
                 for i, s, dl, k in zip(spatial, stride, dilation, kernel))
    osz = tuple(f + op_ - 2 * p for f, op_, p in zip(full, opad, pads))
    if any(q < 1 for q in osz):
        raise ValueError(f"{op}: the output size {osz} is too small (input {xs}, kernel "
                         f"{kernel}, stride={stride}, padding={pads})")
    npos = n * int(np.prod(spatial, dtype=np.int64))
    kk = int(np.prod(kernel, dtype=np.int64))
    xm = reshape(permute(x, (1, 0) + tuple(range(2, d + 2))), (c, npos))
    if groups == 1:  # (O * K, C) @ (C, N * positions)
        cols = matmul(permute(reshape(weight, (c, o * kk)), (1, 0)), xm)
    else:  # (G, O/G * K, C/G) @ (G, C/G, N * positions)
        wg = permute(reshape(weight, (groups, c // groups, og * kk)), (0, 2, 1))
        cols = matmul(wg, reshape(xm, (groups, c // groups, npos)))
    cols = reshape(cols, (o,) + tuple(kernel) + (n,) + tuple(spatial))
    out = fold(cols, full, kernel, stride, ((0, 0),) * d, dilation)  # (N, O, *full)
    if any(opad):
        out = pad(out, ((0, 0), (0, 0)) + tuple((0, q) for q in opad))
    if any(pads):
        out = getitem(out, (slice(None), slice(None)) + tuple(slice(p, p + q)
                                                            for p, q in zip(pads, osz)))
    if bias is not None:
        out = out + reshape(bias, (o,) + (1,) * d)
    return reshape(out, data(out).shape[1:]) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """1-d transposed convolution: input (N, C_in, L) or (C_in, L), weight
    (C_in, C_out / groups, k); output length ``(L - 1) stride - 2 padding + dilation (k - 1) +
    output_padding + 1``."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 1, "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """2-d transposed convolution: input (N, C_in, H, W) or (C_in, H, W), weight
    (C_in, C_out / groups, kH, kW)."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 2, "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """3-d transposed convolution: input (N, C_in, D, H, W) or (C_in, D, H, W), weight
    (C_in, C_out / groups, kD, kH, kW)."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 3, "conv_transpose3d")
