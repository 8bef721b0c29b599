"""The short-time Fourier transform and its inverse in PyTorch's spelling (``stft``,
``istft``), composed from the FFT primitives: frames are gathered by indexing, and the
inverse overlap-adds them with ``index_add``, so both are differentiable in the signal and the
window without a rule of their own."""

from __future__ import annotations

import numpy as np

from .. import composite as C
from ..primitives import elementwise as E
from ..primitives import fft as F
from ..primitives._core import data_of, values_of
from ..primitives.shape import getitem, pad, reshape
from .indexing import index_add
from .pointwise import view_as_complex, view_as_real
from .shape import constant, tile

__all__ = ["stft", "istft"]

_PAD_MODES = {"reflect": "reflect", "constant": "constant", "replicate": "edge",
              "circular": "wrap"}


def _window(window, win_length, n_fft, op):
    """The window (ones by default) centred in ``n_fft`` samples."""
    if win_length is None:
        win_length = n_fft if window is None else np.shape(data_of(window))[0]
    if not 0 < win_length <= n_fft:
        raise ValueError(f"{op}: expected 0 < win_length <= n_fft, got win_length="
                         f"{win_length} and n_fft={n_fft}")
    if window is None:
        window = np.ones(win_length)
    elif np.shape(data_of(window)) != (win_length,):
        raise ValueError(f"{op}: expected a 1-D window of size win_length={win_length}, got "
                         f"shape {np.shape(data_of(window))}")
    left = (n_fft - win_length) // 2
    return pad(window, [(left, n_fft - win_length - left)]) if win_length < n_fft else window


def stft(input, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
         window=None, center: bool = True, pad_mode: str = "reflect", normalized: bool = False,
         onesided: bool | None = None, return_complex: bool | None = None):
    """``torch.stft``: the spectra of windowed frames of a 1-D signal (or a batch of them),
    shape ``(*, n_fft // 2 + 1 (onesided) or n_fft, n_frames)``, complex unless
    ``return_complex=False`` (then real pairs on a last axis of 2)."""
    x = np.asarray(data_of(input))
    if x.ndim not in (1, 2):
        raise ValueError(f"stft: expected a 1-D or 2-D input, got {x.ndim}-D")
    if return_complex is None and x.dtype.kind != "c" and (
            window is None or np.asarray(data_of(window)).dtype.kind != "c"):
        raise ValueError("stft: return_complex must be given for real inputs (PyTorch "
                         "requires it); return_complex=True is recommended")
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    if hop <= 0:
        raise ValueError(f"stft: expected hop_length > 0, got {hop}")
    w = _window(window, win_length, n_fft, "stft")
    if center:
        if pad_mode not in _PAD_MODES:
            raise ValueError(f"stft: pad_mode must be one of {sorted(_PAD_MODES)}, got "
                             f"{pad_mode!r}")
        half = n_fft // 2
        input = pad(input, [(0, 0)] * (x.ndim - 1) + [(half, half)], _PAD_MODES[pad_mode])
    n = np.shape(data_of(input))[-1]
    if not 0 < n_fft <= n:
        raise ValueError(f"stft: expected 0 < n_fft <= {n} (the padded length), got {n_fft}")
    frames_at = np.arange(1 + (n - n_fft) // hop)[:, None] * hop + np.arange(n_fft)
    frames = E.mul(getitem(input, (Ellipsis, frames_at)), w)  # (*, n_frames, n_fft)
    complex_in = x.dtype.kind == "c" or np.asarray(data_of(w)).dtype.kind == "c"
    if onesided is None:
        onesided = not complex_in
    if onesided and complex_in:
        raise ValueError("stft: cannot have a onesided output for a complex input or window")
    norm = "ortho" if normalized else "backward"
    spec = F.rfft(frames, None, -1, norm) if onesided else F.fft(frames, None, -1, norm)
    spec = C.swapaxes(spec, -1, -2)
    return spec if return_complex or return_complex is None else view_as_real(spec)


def istft(input, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
          window=None, center: bool = True, normalized: bool = False,
          onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False):
    """``torch.istft``: the signal whose ``stft`` is ``input`` (complex, shape ``(*, n_freq,
    n_frames)``; real pairs on a last axis of 2 are read as complex), by inverse transforms of
    the frames, windowed overlap-add, and division by the summed squared window."""
    if np.asarray(data_of(input)).dtype.kind != "c":
        input = view_as_complex(input)
    shape = np.shape(data_of(input))
    if len(shape) not in (2, 3):
        raise ValueError(f"istft: expected a 2-D or 3-D complex input, got shape {shape}")
    n_freq, n_frames = shape[-2:]
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    w = _window(window, win_length, n_fft, "istft")
    if onesided is None:
        onesided = n_freq != n_fft
    if onesided:
        if return_complex:
            raise ValueError("istft: cannot have onesided input with return_complex=True")
        if n_freq != n_fft // 2 + 1:
            raise ValueError(f"istft: a onesided input needs n_fft // 2 + 1 = "
                             f"{n_fft // 2 + 1} frequencies, got {n_freq}")
    elif n_freq != n_fft:
        raise ValueError(f"istft: a two-sided input needs n_fft = {n_fft} frequencies, got "
                         f"{n_freq}")
    norm = "ortho" if normalized else "backward"
    spec = C.swapaxes(input, -1, -2)  # (*, n_frames, n_freq)
    if return_complex:
        frames = F.ifft(spec, None, -1, norm)
    else:  # a real signal: the half spectrum's inverse (PyTorch drops the other half)
        spec = spec if onesided else getitem(spec, (Ellipsis, slice(0, n_fft // 2 + 1)))
        frames = F.irfft(spec, n_fft, -1, norm)
    frames = E.mul(frames, w)
    full = n_fft + hop * (n_frames - 1)
    at = (np.arange(n_frames)[:, None] * hop + np.arange(n_fft)).ravel()
    batch = shape[:-2]
    flat = reshape(frames, batch + (n_frames * n_fft,))
    y = index_add(constant(np.zeros(batch + (full,), dtype=np.asarray(data_of(frames)).dtype),
                           input), -1, at, flat)
    w2 = reshape(tile(E.mul(w, w), (n_frames,)), (n_frames * n_fft,))
    env = index_add(constant(np.zeros(full, dtype=np.asarray(data_of(w2)).dtype), w2), 0,
                    at, w2)
    start = n_fft // 2 if center else 0
    end = full if length is None and not center else \
        full - n_fft // 2 if length is None else start + int(length)
    y, env = getitem(y, (Ellipsis, slice(start, end))), getitem(env, slice(start, end))
    if np.abs(values_of(env, "istft")).min() < 1e-11:  # a traced window: no check to record
        raise ValueError("istft: window overlap-add has a zero: the window and hop_length do "
                         "not satisfy the nonzero overlap-add (NOLA) condition")
    y = E.div(y, env)
    if end > full:
        y = pad(y, [(0, 0)] * len(batch) + [(0, end - full)])
    return y
