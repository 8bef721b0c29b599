"""Padding, resampling and rearranging: ``pad``, ``interpolate``/``upsample``,
``grid_sample``, ``affine_grid``, ``pixel_shuffle``, ``pixel_unshuffle``, ``channel_shuffle``,
and PyTorch's im2col pair ``unfold``/``fold``.

Resampling is linear in the input: ``interpolate`` applies, along each spatial axis, a small
(out, in) matrix of PyTorch's interpolation weights (nearest, linear, cubic or area), so its
derivatives are matrix products. ``grid_sample`` gathers the corner values (indices from the
data, constants) and weighs them with weights computed from the grid, so it is differentiable
in both the input and the grid.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ...primitives.conv import fold as _fold
from ...primitives.conv import unfold as _unfold
from ...primitives.elementwise import where
from ...primitives.linalg import matmul
from ...primitives.shape import getitem, permute, reshape
from ...primitives.shape import pad as _np_pad
from ._util import data
from .conv import ntuple
from .pooling import _adaptive_matrix

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "unfold", "fold",
           "affine_grid", "grid_sample"]

_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# --- pad ---------------------------------------------------------------------------------------
def pad(input, pad, mode: str = "constant", value: float | None = None):
    """Pad (or, with negative amounts in 'constant' mode, crop) the last dimensions.

    ``pad`` lists (before, after) amounts starting from the LAST dimension:
    ``(left, right)`` pads the last one, ``(left, right, top, bottom)`` the last two, and so
    on. ``mode``: 'constant' (with ``value``, default 0), 'reflect' (mirror without repeating
    the edge), 'replicate' (repeat the edge) or 'circular' (wrap around); the last three pad
    the last 1 to 3 dimensions of a batched or unbatched input, as PyTorch."""
    xs = data(input).shape
    amounts = [int(a) for a in pad]
    if len(amounts) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got {tuple(pad)}")
    k = len(amounts) // 2
    if k > len(xs):
        raise ValueError(f"pad: padding length {len(amounts)} is too large for an input of "
                         f"shape {xs}: at most 2 values per dimension ({2 * len(xs)})")
    pairs = [(0, 0)] * (len(xs) - k) + [(amounts[2 * i], amounts[2 * i + 1])
                                        for i in reversed(range(k))]
    if mode == "replicate" and len(xs) in (k + 1, k + 2) and k <= 3:
        # Output j of each padded axis reads input clip(j - before, 0, n - 1): one gather,
        # which also covers negative amounts (PyTorch clamps, so even a fully cropped axis
        # repeats its edge).
        for n, (lo, hi) in zip(xs, pairs):
            if n + lo + hi < 0 or (n == 0 and n + lo + hi > 0):
                raise ValueError(f"pad: cannot 'replicate'-pad the input of shape {xs} by "
                                 f"{tuple(pad)}")
        grids = np.ix_(*[np.clip(np.arange(n + lo + hi) - lo, 0, max(n - 1, 0))
                         for n, (lo, hi) in zip(xs, pairs)])
        return getitem(input, grids)
    if any(a < 0 for a in amounts):
        # Negative amounts crop first (in every mode, as PyTorch); then the rest is padded.
        for n, (lo, hi) in zip(xs, pairs):
            if n + min(lo, 0) + min(hi, 0) < 0:
                raise ValueError(f"pad: the negative padding {tuple(pad)} removes more than "
                                 f"the input of shape {xs} has")
        index = tuple(slice(-min(lo, 0), n + min(hi, 0)) for n, (lo, hi) in zip(xs, pairs))
        input = getitem(input, index)
        pairs = [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
        xs = data(input).shape
    if mode == "constant":
        if not any(lo or hi for lo, hi in pairs):
            return input
        return _np_pad(input, pairs, "constant", 0 if value is None else value)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: unsupported mode {mode!r}; use 'constant', 'reflect', "
                         f"'replicate' or 'circular'")
    if value is not None and value != 0:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    if k > 3 or len(xs) not in (k + 1, k + 2):
        raise NotImplementedError(
            f"pad: mode {mode!r} pads the last 1, 2 or 3 dimensions of a batched or unbatched "
            f"input ((N, C, *S) or (C, *S)); got a padding of {len(amounts)} values for an "
            f"input of shape {xs}")
    for n, (lo, hi) in zip(xs[len(xs) - k:], pairs[len(xs) - k:]):
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ValueError(f"pad: padding size should be less than the corresponding input "
                             f"dimension for 'reflect', but got padding ({lo}, {hi}) for a "
                             f"dimension of size {n}")
        if mode == "circular" and (lo > n or hi > n):
            raise ValueError(f"pad: padding value causes wrapping around more than once for "
                             f"'circular' ({lo}, {hi}) for a dimension of size {n}")
    return _np_pad(input, pairs, _PAD_MODES[mode])


# --- interpolate -------------------------------------------------------------------------------
_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _cubic_weights(t: np.ndarray) -> np.ndarray:
    """PyTorch's cubic convolution weights (A = -0.75) for offsets -1, 0, 1, 2 from floor."""
    a = -0.75

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=-1)


def _antialias_matrix(n_in: int, n_out: int, mode: str, align_corners: bool,
                      scale: float | None) -> np.ndarray:
    """(n_out, n_in): PyTorch's antialiased weights (align_corners=False): the triangle
    (bilinear) or cubic (a = -0.5, bicubic) filter stretched by the downsampling factor,
    normalised per row."""
    s = 1.0 / scale if scale is not None and scale > 0 else n_in / n_out
    half = 1.0 if mode == "bilinear" else 2.0  # half the filter's width
    support = half * s if s >= 1.0 else half
    inv = 1.0 / s if s >= 1.0 else 1.0

    def filt(x):
        x = np.abs(x)
        if mode == "bilinear":
            return np.maximum(0.0, 1.0 - x)
        a = -0.5
        return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                        np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))

    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        center = s * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n_in)
        j = np.arange(lo, hi)
        w = filt((j - center + 0.5) * inv)
        total = w.sum()
        m[i, lo:hi] = w / total if total != 0 else w
    return m


def _interp_matrix(n_in: int, n_out: int, mode: str, align_corners: bool,
                   scale: float | None, antialias: bool = False) -> np.ndarray:
    """(n_out, n_in) float64: row i holds the weights of output position i (PyTorch's source
    index rules; ``scale`` is the user's scale_factor when PyTorch passes it to the kernel)."""
    if antialias:
        return _antialias_matrix(n_in, n_out, mode, align_corners, scale)
    dst = np.arange(n_out, dtype=np.float64)
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if mode in ("nearest", "nearest-exact"):
        # PyTorch computes this scale in float32.
        s = np.float32(1.0 / scale) if scale is not None and scale > 0 else \
            np.float32(n_in) / np.float32(n_out)
        off = np.float32(0.5) if mode == "nearest-exact" else np.float32(0)
        src = np.floor((dst.astype(np.float32) + off) * s).astype(np.int64)
        m[rows, np.minimum(src, n_in - 1)] = 1.0
        return m
    if mode == "area":
        return _adaptive_matrix(n_in, n_out, np.float64)
    if align_corners:
        s = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        src = dst * s
    else:
        s = 1.0 / scale if scale is not None and scale > 0 else n_in / n_out
        src = s * (dst + 0.5) - 0.5
    if mode == "bicubic":
        i0 = np.floor(src).astype(np.int64)
        w = _cubic_weights(src - i0)
        for k in range(4):
            np.add.at(m, (rows, np.clip(i0 - 1 + k, 0, n_in - 1)), w[:, k])
        return m
    src = np.maximum(src, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0, 0.0, 1.0)
    i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
    np.add.at(m, (rows, i0), 1.0 - lam)
    np.add.at(m, (rows, i1), lam)
    return m


def _along_axis(x, mat: np.ndarray, axis: int, ndim: int):
    """Apply the (out, in) matrix ``mat`` along ``axis`` of ``x``."""
    if axis == ndim - 1:
        return matmul(x, mat.T)
    if axis == ndim - 2:
        return matmul(mat, x)
    perm = list(range(ndim))
    perm[axis], perm[ndim - 1] = perm[ndim - 1], perm[axis]
    return permute(matmul(permute(x, tuple(perm)), mat.T), tuple(perm))


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False):
    """Resample (N, C, *S) to a new spatial size, as PyTorch: ``mode`` 'nearest',
    'nearest-exact', 'linear' (3-d input), 'bilinear' / 'bicubic' (4-d), 'trilinear' (5-d) or
    'area' (adaptive average pooling). Give ``size`` (an int or one per spatial axis) or
    ``scale_factor`` (output size ``floor(in * scale)``; the scale itself enters the source
    positions unless ``recompute_scale_factor=True``). ``align_corners`` (linear modes only)
    maps the corner pixels' centres onto each other. ``antialias=True`` (bilinear and bicubic,
    with align_corners=False) low-pass filters when downsampling, as PyTorch."""
    xs = data(input).shape
    d = len(xs) - 2
    if d < 1 or d > 3:
        raise ValueError(f"interpolate: expected a 3-d, 4-d or 5-d input (N, C, *S), got shape "
                         f"{xs}")
    modes = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
    if mode not in modes:
        raise ValueError(f"interpolate: mode {mode!r} is not one of {modes}")
    if mode in _MODE_DIMS and _MODE_DIMS[mode] != d:
        raise ValueError(f"interpolate: mode {mode!r} expects a {_MODE_DIMS[mode] + 2}-d input, "
                         f"got shape {xs}")
    if mode in _MODE_DIMS:
        align_corners = bool(align_corners)
    elif align_corners is not None:
        raise ValueError("interpolate: align_corners option can only be set with the "
                         "interpolating modes: linear | bilinear | bicubic | trilinear")
    if antialias and (mode not in ("bilinear", "bicubic")):
        raise ValueError(f"interpolate: anti-alias option is restricted to bilinear and "
                         f"bicubic modes and requires a 4-D tensor as input, got mode {mode!r}")
    if antialias and align_corners:
        raise NotImplementedError("interpolate: antialias=True with align_corners=True is not "
                                  "supported; use align_corners=False")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    scales: list = [None] * d
    if size is not None:
        osz = ntuple(size, d, "size", "interpolate") if not isinstance(size, (list, tuple)) \
            or len(size) == d else None
        if osz is None:
            raise ValueError(f"interpolate: size must be an int or {d} ints for a {d + 2}-d "
                             f"input, got {size!r}")
    else:
        sf = [float(scale_factor)] * d if np.ndim(scale_factor) == 0 else \
            [float(s) for s in scale_factor]
        if len(sf) != d:
            raise ValueError(f"interpolate: scale_factor must be a number or {d} numbers for a "
                             f"{d + 2}-d input, got {scale_factor!r}")
        osz = tuple(int(math.floor(n * s)) for n, s in zip(xs[2:], sf))
        if not recompute_scale_factor:
            scales = sf
    if any(o < 1 for o in osz):
        raise ValueError(f"interpolate: the output size {osz} must be positive (input shape "
                         f"{xs})")
    out = input
    dt = data(input).dtype
    for i in range(d):
        n_in, n_out = xs[2 + i], osz[i]
        if n_in == n_out and (mode in ("nearest", "nearest-exact", "area")
                              or scales[i] in (None, 1.0)):
            continue  # the identity (PyTorch's kernels copy)
        mat = _interp_matrix(n_in, n_out, mode, bool(align_corners), scales[i],
                             antialias).astype(dt)
        out = _along_axis(out, mat, 2 + i, d + 2)
    return out


def upsample(input, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None):
    """Deprecated spelling of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """``interpolate(..., mode='nearest')``."""
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """``interpolate(..., mode='bilinear', align_corners=True)``."""
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


# --- rearranging -------------------------------------------------------------------------------
def pixel_shuffle(input, upscale_factor: int):
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    xs, r = data(input).shape, int(upscale_factor)
    if len(xs) < 3:
        raise ValueError(f"pixel_shuffle: expected an input of at least 3 dimensions "
                         f"(*, C r^2, H, W), got shape {xs}")
    if r < 1 or xs[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: the channel dimension ({xs[-3]}) must be divisible "
                         f"by upscale_factor squared ({r}^2)")
    lead, c, h, w = xs[:-3], xs[-3] // (r * r), xs[-2], xs[-1]
    nl = len(lead)
    x = reshape(input, lead + (c, r, r, h, w))
    x = permute(x, tuple(range(nl)) + tuple(nl + a for a in (0, 3, 1, 4, 2)))
    return reshape(x, lead + (c, h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of ``pixel_shuffle``."""
    xs, r = data(input).shape, int(downscale_factor)
    if len(xs) < 3:
        raise ValueError(f"pixel_unshuffle: expected an input of at least 3 dimensions "
                         f"(*, C, H r, W r), got shape {xs}")
    if r < 1 or xs[-2] % r or xs[-1] % r:
        raise ValueError(f"pixel_unshuffle: the height ({xs[-2]}) and width ({xs[-1]}) must "
                         f"be divisible by downscale_factor ({r})")
    lead, c, h, w = xs[:-3], xs[-3], xs[-2] // r, xs[-1] // r
    nl = len(lead)
    x = reshape(input, lead + (c, h, r, w, r))
    x = permute(x, tuple(range(nl)) + tuple(nl + a for a in (0, 2, 4, 1, 3)))
    return reshape(x, lead + (c * r * r, h, w))


def channel_shuffle(input, groups: int):
    """(N, C, *) with the channels regrouped: (N, g, C/g, *) transposed to (N, C/g, g, *)."""
    xs, g = data(input).shape, int(groups)
    if len(xs) < 3:
        raise ValueError(f"channel_shuffle: expected an input of at least 3 dimensions, got "
                         f"shape {xs}")
    if g < 1 or xs[1] % g:
        raise ValueError(f"channel_shuffle: the number of channels ({xs[1]}) must be divisible "
                         f"by groups ({groups})")
    x = reshape(input, (xs[0], g, xs[1] // g) + xs[2:])
    x = permute(x, (0, 2, 1) + tuple(range(3, len(xs) + 1)))
    return reshape(x, xs)


# --- im2col ------------------------------------------------------------------------------------
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding windows of (N, C, H, W) (or (C, H, W)) as columns: (N, C kH kW, L), L the number
    of window positions, PyTorch's ``nn.functional.unfold`` (im2col)."""
    xs = data(input).shape
    if len(xs) not in (3, 4):
        raise ValueError(f"unfold: expected a 3-d (unbatched) or 4-d (batched) input, got "
                         f"shape {xs}")
    x = reshape(input, (1,) + xs) if len(xs) == 3 else input
    k = ntuple(kernel_size, 2, "kernel_size", "unfold")
    dl = ntuple(dilation, 2, "dilation", "unfold")
    p = ntuple(padding, 2, "padding", "unfold")
    s = ntuple(stride, 2, "stride", "unfold")
    cols = _unfold(x, k, s, tuple((a, a) for a in p), dl)  # (C, kH, kW, N, oH, oW)
    c, n = data(cols).shape[0], data(cols).shape[3]
    osz = data(cols).shape[4:]
    out = reshape(permute(cols, (3, 0, 1, 2, 4, 5)), (n, c * k[0] * k[1], osz[0] * osz[1]))
    return reshape(out, data(out).shape[1:]) if len(xs) == 3 else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The transpose of ``unfold`` (col2im): columns (N, C kH kW, L) (or unbatched) summed back
    onto (N, C, *output_size), overlapping windows adding up."""
    xs = data(input).shape
    if len(xs) not in (2, 3):
        raise ValueError(f"fold: expected a 2-d (unbatched) or 3-d (batched) input, got shape "
                         f"{xs}")
    x = reshape(input, (1,) + xs) if len(xs) == 2 else input
    osz = ntuple(output_size, 2, "output_size", "fold")
    k = ntuple(kernel_size, 2, "kernel_size", "fold")
    dl = ntuple(dilation, 2, "dilation", "fold")
    p = ntuple(padding, 2, "padding", "fold")
    s = ntuple(stride, 2, "stride", "fold")
    n, ck, length = data(x).shape
    kk = k[0] * k[1]
    pos = tuple((o + 2 * a - b * (q - 1) - 1) // t + 1
                for o, a, b, q, t in zip(osz, p, dl, k, s))
    if ck % kk or pos[0] * pos[1] != length or min(pos) < 1:
        raise ValueError(f"fold: an input of shape {xs} does not match kernel_size={k} over "
                         f"output_size={osz} (expected (N, C * {kk}, {pos[0] * pos[1]}) with "
                         f"{pos} window positions)")
    c = ck // kk
    w = permute(reshape(x, (n, c, k[0], k[1]) + pos), (1, 2, 3, 0, 4, 5))
    out = _fold(w, osz, k, s, tuple((a, a) for a in p), dl)
    return reshape(out, data(out).shape[1:]) if len(xs) == 2 else out


# --- affine_grid and grid_sample ---------------------------------------------------------------
def _base_coords(n: int, align_corners: bool) -> np.ndarray:
    if n <= 1:
        return np.zeros(max(n, 0))
    r = np.linspace(-1.0, 1.0, n)
    return r if align_corners else r * (n - 1) / n


def affine_grid(theta, size, align_corners: bool | None = None):
    """The sampling grid of an affine map, for ``grid_sample``: theta (N, 2, 3) and size
    (N, C, H, W) give (N, H, W, 2); theta (N, 3, 4) and size (N, C, D, H, W) give
    (N, D, H, W, 3). Coordinates are (x, y[, z]) in [-1, 1]."""
    align_corners = bool(align_corners)
    ts, size = data(theta).shape, tuple(int(a) for a in size)
    d = len(size) - 2
    if d not in (2, 3) or ts != (size[0], d, d + 1):
        raise ValueError(f"affine_grid: expected theta of shape (N, {max(d, 2)}, "
                         f"{max(d, 2) + 1}) for size (N, C, {'D, ' if d == 3 else ''}H, W), got "
                         f"theta {ts} and size {size}")
    axes = [_base_coords(n, align_corners) for n in reversed(size[2:])]  # x, y[, z]
    mesh = list(np.meshgrid(*axes[::-1], indexing="ij"))[::-1]  # each of shape size[2:]
    base = np.stack(mesh + [np.ones(size[2:])], axis=-1).astype(data(theta).dtype)
    base = reshape(base, (1, -1, d + 1))
    grid = matmul(base, permute(theta, (0, 2, 1)))  # (N, prod(S), d)
    return reshape(grid, (size[0],) + size[2:] + (d,))


def _unnormalize(coord, n: int, align_corners: bool):
    if align_corners:
        return (coord + 1) * ((n - 1) / 2)
    return ((coord + 1) * n - 1) / 2


def _reflect(coord, lo2: float, hi2: float):
    """Reflect ``coord`` into [lo2 / 2, hi2 / 2] (twice the bounds, as PyTorch): a sign and an
    offset per element, taken from the values, applied to the coordinate."""
    c = data(coord)
    if lo2 == hi2:
        return coord * 0
    mn, span = lo2 / 2, (hi2 - lo2) / 2
    s = np.sign(c - mn)
    s = np.where(s == 0, 1, s)
    flips = np.floor(np.abs(c - mn) / span)
    even = (flips % 2) == 0
    # |c - mn| = s (c - mn), extra = |c - mn| - flips span; PyTorch's value is mn + extra
    # (even flips) or mn + span - extra (odd): linear in c with slope +-s.
    sign = np.where(even, s, -s).astype(c.dtype)
    offset = np.where(even, mn - s * mn - flips * span, mn + span + s * mn + flips * span)
    return coord * sign + offset.astype(c.dtype)


def _source_coord(coord, n: int, padding_mode: str, align_corners: bool):
    x = _unnormalize(coord, n, align_corners)
    if padding_mode == "border":
        xd = data(x)
        return where((xd > 0) & (xd < n - 1), x, np.clip(xd, 0, n - 1).astype(xd.dtype))
    if padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (n - 1)) if align_corners else _reflect(x, -1, 2 * n - 1)
        xd = data(x)
        return where((xd > 0) & (xd < n - 1), x, np.clip(xd, 0, n - 1).astype(xd.dtype))
    return x


def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None):
    """Sample (N, C, H, W) at the points of ``grid`` (N, Ho, Wo, 2), coordinates (x, y) in
    [-1, 1] (or (N, C, D, H, W) at (N, Do, Ho, Wo, 3)), as PyTorch: ``mode`` 'bilinear'
    (trilinear on 5-d input), 'nearest' or 'bicubic' (4-d input); ``padding_mode`` 'zeros',
    'border' or 'reflection'. Differentiable in the input and (bilinear, bicubic) the grid."""
    xs, gs = data(input).shape, data(grid).shape
    d = len(xs) - 2
    if d not in (2, 3) or len(gs) != d + 2 or gs[0] != xs[0] or gs[-1] != d:
        raise ValueError(f"grid_sample: expected input (N, C, H, W) with grid (N, Ho, Wo, 2) "
                         f"or input (N, C, D, H, W) with grid (N, Do, Ho, Wo, 3), got input "
                         f"{xs} and grid {gs}")
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"grid_sample: mode must be 'bilinear', 'nearest' or 'bicubic', got "
                         f"{mode!r}")
    if mode == "bicubic" and d != 2:
        raise ValueError(f"grid_sample: mode 'bicubic' needs a 4-d input, got shape {xs}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"grid_sample: padding_mode must be 'zeros', 'border' or "
                         f"'reflection', got {padding_mode!r}")
    align_corners = bool(align_corners)
    spatial = xs[2:]  # (H, W) or (D, H, W); the grid's last axis holds (x, y[, z])
    if mode == "bicubic":
        return _grid_sample_bicubic(input, grid, padding_mode, align_corners)
    coords = [_source_coord(getitem(grid, (Ellipsis, d - 1 - i)), spatial[i], padding_mode,
                            align_corners) for i in range(d)]
    # channels last: (N, *S, C), gathered at (n, i0, i1[, i2]) -> (N, *So, C)
    xl = permute(input, (0,) + tuple(range(2, d + 2)) + (1,))
    nidx = np.arange(xs[0]).reshape((xs[0],) + (1,) * d)
    dt = data(input).dtype
    if mode == "nearest":
        idx = [np.rint(data(c)).astype(np.int64) for c in coords]
        corners = [(idx, None)]
    else:
        lo = [np.floor(data(c)).astype(np.int64) for c in coords]
        corners = []
        for bits in itertools.product((0, 1), repeat=d):
            idx, w = [], None
            for i, b in enumerate(bits):
                frac = coords[i] - lo[i].astype(dt)
                wi = frac if b else 1 - frac
                w = wi if w is None else w * wi
                idx.append(lo[i] + b)
            corners.append((idx, w))
    out = None
    for idx, w in corners:
        inside = np.ones(data(grid).shape[:-1], bool)
        for i, ix in enumerate(idx):
            inside &= (ix >= 0) & (ix < spatial[i])
        safe = tuple(np.clip(ix, 0, n - 1) for ix, n in zip(idx, spatial))
        vals = getitem(xl, (nidx,) + safe)  # (N, *So, C)
        mask = inside.astype(dt)
        wm = mask if w is None else w * mask
        term = vals * reshape(wm, data(wm).shape + (1,))
        out = term if out is None else out + term
    return permute(out, (0, d + 1) + tuple(range(1, d + 1)))


def _cubic_weights_of(t):
    """The four cubic convolution weights (A = -0.75) of a fractional offset ``t`` (a tensor:
    the weights carry its derivatives)."""
    a = -0.75

    def near(x):
        return ((x * (a + 2) - (a + 3)) * x) * x + 1

    def far(x):
        return ((x * a - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _tap_index(ix: np.ndarray, n: int, padding_mode: str, align_corners: bool):
    """PyTorch's bounded tap of bicubic sampling: the integer position moved by the padding
    mode (clipped or reflected), and whether it lies inside."""
    x = ix.astype(np.float64)
    if padding_mode == "border":
        x = np.clip(x, 0, n - 1)
    elif padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (n - 1)) if align_corners else _reflect(x, -1, 2 * n - 1)
        x = np.clip(x, 0, n - 1)
    xi = x.astype(np.int64)
    return np.clip(xi, 0, n - 1), (xi >= 0) & (xi < n)


def _grid_sample_bicubic(input, grid, padding_mode, align_corners):
    xs = data(input).shape
    h, w = xs[2:]
    gx = _unnormalize(getitem(grid, (Ellipsis, 0)), w, align_corners)
    gy = _unnormalize(getitem(grid, (Ellipsis, 1)), h, align_corners)
    x0, y0 = np.floor(data(gx)), np.floor(data(gy))
    wx = _cubic_weights_of(gx - x0.astype(data(gx).dtype))
    wy = _cubic_weights_of(gy - y0.astype(data(gy).dtype))
    xl = permute(input, (0, 2, 3, 1))  # (N, H, W, C)
    nidx = np.arange(xs[0]).reshape(xs[0], 1, 1)
    dt = data(input).dtype
    out = None
    for j in range(4):
        iy, in_y = _tap_index(y0 + j - 1, h, padding_mode, align_corners)
        for i in range(4):
            ix, in_x = _tap_index(x0 + i - 1, w, padding_mode, align_corners)
            vals = getitem(xl, (nidx, iy, ix))  # (N, Ho, Wo, C)
            wt = wy[j] * wx[i] * (in_x & in_y).astype(dt)
            term = vals * reshape(wt, data(wt).shape + (1,))
            out = term if out is None else out + term
    return permute(out, (0, 3, 1, 2))
