"""``chainrule.fft``: ``torch.fft`` in PyTorch's spelling (``dim=``, default ``dim=-1``;
``n``/``s``; ``norm`` 'backward', 'ortho' or 'forward'). docs/pytorch.md, "linalg, fft, special".

Every transform applies the FFT primitives of ``primitives/fft.py`` (those of
``chainrule.numpy.fft``); the Hermitian transforms of two and more dimensions are compositions
(``hfftn(x) = irfftn(conj(x))`` and ``ihfftn(x) = conj(rfftn(x))``, each with the dual
normalisation). Inputs are tensors (arrays and numbers are taken as constant tensors); integer
and bool inputs are promoted to float64.
"""

from __future__ import annotations

import numpy as _np

from ._default_dtype import get_default_dtype as _default_dtype
from .ops._linalg import _floating, _tensor
from .primitives import fft as _f
from .primitives.complex import conj as _conj
from .primitives.elementwise import astype as _astype

__all__ = [
    "fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2", "hfft2",
    "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fftfreq", "rfftfreq",
    "fftshift", "ifftshift",
]

_DUAL = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def _dim(dim):
    return dim if dim is None or isinstance(dim, (int, _np.integer)) else tuple(dim)


def _s(s):
    return None if s is None else ((s,) if isinstance(s, (int, _np.integer)) else tuple(s))


def _cx(x):
    """Half-spectrum input as complex (a real one is promoted, as PyTorch does), so that the
    gradient of a real input is the real part of the complex one, taken by the cast's rule."""
    x = _floating(x)
    if x._data.dtype.kind == "c":
        return x
    return _astype(x, _np.result_type(x._data.dtype, _np.complex64))


def _dual(norm, op):
    if norm not in _DUAL:
        raise ValueError(f"{op}: norm must be None, 'backward', 'ortho' or 'forward', "
                         f"got {norm!r}")
    return _DUAL[norm]


# --- one dimension ------------------------------------------------------------------------------
def fft(input, n=None, dim: int = -1, norm=None):  # noqa: A002 - PyTorch's name
    """``torch.fft.fft``: the discrete Fourier transform along ``dim``."""
    return _f.fft(_floating(input), n, dim, norm)


def ifft(input, n=None, dim: int = -1, norm=None):  # noqa: A002
    """``torch.fft.ifft``."""
    return _f.ifft(_floating(input), n, dim, norm)


def rfft(input, n=None, dim: int = -1, norm=None):  # noqa: A002
    """``torch.fft.rfft``: a real signal's n // 2 + 1 frequencies."""
    return _f.rfft(_floating(input), n, dim, norm)


def irfft(input, n=None, dim: int = -1, norm=None):  # noqa: A002
    """``torch.fft.irfft``: real output of length ``n`` (default 2 * (m - 1))."""
    return _f.irfft(_cx(input), n, dim, norm)


def hfft(input, n=None, dim: int = -1, norm=None):  # noqa: A002
    """``torch.fft.hfft``: the real spectrum of a Hermitian signal given by its first half."""
    return _f.hfft(_cx(input), n, dim, norm)


def ihfft(input, n=None, dim: int = -1, norm=None):  # noqa: A002
    """``torch.fft.ihfft``: inverse of ``hfft`` for real input (the first half)."""
    return _f.ihfft(_floating(input), n, dim, norm)


# --- two and n dimensions -----------------------------------------------------------------------
def fftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """``torch.fft.fftn``: over ``dim`` (default: the last len(s) dimensions, or all)."""
    return _f.fftn(_floating(input), _s(s), _dim(dim), norm)


def ifftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """``torch.fft.ifftn``."""
    return _f.ifftn(_floating(input), _s(s), _dim(dim), norm)


def rfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """``torch.fft.rfftn``: the last transformed dimension keeps s[-1] // 2 + 1 frequencies."""
    return _f.rfftn(_floating(input), _s(s), _dim(dim), norm)


def irfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """``torch.fft.irfftn``: s[-1] defaults to 2 * (m - 1) along the last transformed dimension."""
    return _f.irfftn(_cx(input), _s(s), _dim(dim), norm)


def hfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """``torch.fft.hfftn``: the real n-dimensional spectrum of a Hermitian signal, given by its
    half along the last transformed dimension."""
    return _f.irfftn(_conj(_cx(input)), _s(s), _dim(dim), _dual(norm, "hfftn"))


def ihfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    """``torch.fft.ihfftn``: inverse of ``hfftn`` for real input."""
    return _conj(_f.rfftn(_floating(input), _s(s), _dim(dim), _dual(norm, "ihfftn")))


def fft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """``torch.fft.fft2``."""
    return fftn(input, s, dim, norm)


def ifft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """``torch.fft.ifft2``."""
    return ifftn(input, s, dim, norm)


def rfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """``torch.fft.rfft2``."""
    return rfftn(input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """``torch.fft.irfft2``."""
    return irfftn(input, s, dim, norm)


def hfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """``torch.fft.hfft2``."""
    return hfftn(input, s, dim, norm)


def ihfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    """``torch.fft.ihfft2``."""
    return ihfftn(input, s, dim, norm)


# --- helpers ------------------------------------------------------------------------------------
def fftshift(input, dim=None):  # noqa: A002
    """``torch.fft.fftshift``: the zero frequency to the centre of ``dim`` (default: all)."""
    return _f.fftshift(_tensor(input), _dim(dim))


def ifftshift(input, dim=None):  # noqa: A002
    """``torch.fft.ifftshift``."""
    return _f.ifftshift(_tensor(input), _dim(dim))


def _freq(values, dtype, requires_grad):
    t = _tensor(values.astype(_np.dtype(dtype) if dtype is not None else _default_dtype()))
    if requires_grad:
        t.requires_grad_()
    return t


def fftfreq(n: int, d: float = 1.0, *, dtype=None, device=None, requires_grad: bool = False):
    """``torch.fft.fftfreq``: the sample frequencies of ``fft`` (a tensor)."""
    return _freq(_np.fft.fftfreq(n, d), dtype, requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, device=None, requires_grad: bool = False):
    """``torch.fft.rfftfreq``: the sample frequencies of ``rfft`` (a tensor)."""
    return _freq(_np.fft.rfftfreq(n, d), dtype, requires_grad)

