"""Discrete Fourier transforms, with NumPy's ``numpy.fft`` signatures.

Four transform primitives cover the whole family, each over a tuple of (negative) axes (so
leading axes are a stack: their batching rule for vmap is STACKED):

- ``fftn``: complex to complex, forward or inverse. It is complex-linear, so its reverse rule
  is its conjugate transpose: the transform in the other direction with the dual
  normalisation (backward <-> forward, ortho <-> ortho).
- ``rfftn``: real to half spectrum. Reverse rule: zero-pad the cotangent to the full length,
  apply the adjoint of the full transform, keep the real part.
- ``irfftn``: half spectrum to real. Reverse rule (as PyTorch's): ``rfftn`` of the cotangent
  with the dual normalisation, with the entries that stand for two conjugate-symmetric
  frequencies doubled (all but the zero frequency and, for even lengths, the Nyquist one). The
  imaginary parts of those two are ignored by the transform, and get a zero gradient.
- ``fft_resize``: crop or zero-pad along axes (the ``n``/``s`` arguments); its transpose is the
  resize back.

``fftshift``/``ifftshift`` are one rolling primitive; ``hfft``/``ihfft`` and the 1-D and 2-D
functions are compositions; ``fftfreq``/``rfftfreq`` are constants.
"""

from __future__ import annotations

import numpy as np

from ._core import STACKED, Primitive, apply, data_of, dtype_of, register, shape_of, tensor_types
from .complex import real
from .complex import real_for as _for
from .shape import normalize_dim

__all__ = [
    "fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "fftn", "ifftn", "rfft2", "irfft2",
    "rfftn", "irfftn", "hfft", "ihfft", "fftshift", "ifftshift", "fftfreq", "rfftfreq",
]

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


# --- kernels and rules --------------------------------------------------------------------------
def _resize_impl(x, axes, sizes):
    index = [slice(None)] * x.ndim
    pad = [(0, 0)] * x.ndim
    for a, n in zip(axes, sizes):
        m = x.shape[a]
        if n < m:
            index[a] = slice(0, n)
        elif n > m:
            pad[a] = (0, n - m)
    y = x[tuple(index)]
    return np.pad(y, pad) if any(p[1] for p in pad) else np.array(y, copy=True)


def _resize(x, axes, sizes):
    shape = data_of(x).shape
    if all(shape[a] == n for a, n in zip(axes, sizes)):
        return x
    return apply(RESIZE, (x,), (axes, sizes))


RESIZE = Primitive(
    "fft_resize", _resize_impl, save=(shape_of(0),),
    vjp=lambda g, shape, axes, sizes: _resize(g, axes, tuple(shape[a] for a in axes)),
    jvp=lambda t, shape, axes, sizes: _resize(t, axes, sizes),
    batch=STACKED,
)


def _fftn_impl(x, axes, norm, inverse):
    f = np.fft.ifftn if inverse else np.fft.fftn
    return f(x, axes=axes, norm=norm)


def _fftn_vjp(g, in_dtype, axes, norm, inverse):
    return _for(apply(FFTN, (g,), (axes, _DUAL[norm], not inverse)), in_dtype)


FFTN = Primitive(
    "fftn", _fftn_impl, save=(dtype_of(0),), vjp=_fftn_vjp,
    jvp=lambda t, in_dtype, axes, norm, inverse: apply(FFTN, (t,), (axes, norm, inverse)),
    batch=STACKED,
)


def _rfftn_vjp(g, shape, axes, norm):
    full = _resize(g, axes[-1:], (shape[axes[-1]],))
    return real(apply(FFTN, (full,), (axes, _DUAL[norm], True)))


RFFTN = Primitive(
    "rfftn", lambda x, axes, norm: np.fft.rfftn(x, axes=axes, norm=norm), save=(shape_of(0),),
    vjp=_rfftn_vjp,
    jvp=lambda t, shape, axes, norm: apply(RFFTN, (t,), (axes, norm)),
    batch=STACKED,
)


def _irfftn_impl(x, axes, n, norm):
    s = [x.shape[a] for a in axes[:-1]] + [n]
    return np.fft.irfftn(x, s=s, axes=axes, norm=norm)


def _irfftn_vjp(g, axes, n, norm):
    gi = apply(RFFTN, (g,), (axes, _DUAL[norm]))
    m = n // 2 + 1
    weight = np.ones(m, dtype=data_of(gi).real.dtype)
    weight[1: 1 + n - m] = 2.0  # frequencies that stand for a conjugate pair
    return gi * weight.reshape((m,) + (1,) * (-axes[-1] - 1))


IRFFTN = Primitive(
    "irfftn", _irfftn_impl, vjp=_irfftn_vjp,
    jvp=lambda t, axes, n, norm: apply(IRFFTN, (t,), (axes, n, norm)),
    batch=STACKED,
)

ROLL = Primitive(
    "fftshift", lambda x, shifts, axes: np.roll(x, shifts, axes),
    vjp=lambda g, shifts, axes: apply(ROLL, (g,), (tuple(-s for s in shifts), axes)),
    jvp=lambda t, shifts, axes: apply(ROLL, (t,), (shifts, axes)),
    batch=STACKED,
)

register(RESIZE, FFTN, RFFTN, IRFFTN, ROLL)


# --- argument handling --------------------------------------------------------------------------
def _norm(norm, op):
    if norm is None:
        return "backward"
    if norm not in _DUAL:
        raise ValueError(f"{op}: norm must be None, 'backward', 'ortho' or 'forward', "
                         f"got {norm!r}")
    return norm


def _shape(x):
    d = data_of(x)
    return d.shape if hasattr(d, "shape") else np.shape(d)


def _cook(x, s, axes, op, half=False):
    """Negative axes and the lengths to transform (NumPy's rules for ``s`` and ``axes``).
    ``half``: ``s`` is not given and the last axis holds a half spectrum (irfftn)."""
    shape = _shape(x)
    nd = len(shape)
    if axes is None:
        axes = tuple(range(-len(s), 0)) if s is not None else tuple(range(-nd, 0))
    elif isinstance(axes, (int, np.integer)):
        axes = (axes,)
    axes = tuple(normalize_dim(a, nd, op) - nd for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: repeated axis in axes={axes}")
    if s is None:
        s = [shape[a] for a in axes]
        if half and s:
            s[-1] = 2 * (s[-1] - 1)
    elif isinstance(s, (int, np.integer)):
        s = (s,)
    s = tuple(int(n) for n in s)
    if len(s) != len(axes):
        raise ValueError(f"{op}: s has {len(s)} entries but {len(axes)} axes are transformed; "
                         f"give one length per axis")
    for a, n in zip(axes, s):
        if n < 1:
            raise ValueError(f"{op}: invalid number of data points ({n}) along axis "
                             f"{a + nd} of an array of shape {tuple(shape)}; each transformed "
                             f"axis needs at least 1 (pass n= or s= to zero-pad)")
    if not axes:
        raise ValueError(f"{op}: no axes to transform (array of shape {tuple(shape)})")
    return axes, s


def _asarray(x):
    return x if type(x) in tensor_types or isinstance(x, np.ndarray) else np.asarray(x)


# --- public functions ---------------------------------------------------------------------------
def _c2c(a, s, axes, norm, inverse, op):
    a = _asarray(a)
    axes, s = _cook(a, s, axes, op)
    return apply(FFTN, (_resize(a, axes, s),), (axes, _norm(norm, op), inverse))


def _r2c(a, s, axes, norm, op):
    a = _asarray(a)
    _real_input(a, op)
    axes, s = _cook(a, s, axes, op)
    return apply(RFFTN, (_resize(a, axes, s),), (axes, _norm(norm, op)))


def _c2r(a, s, axes, norm, op):
    a = _asarray(a)
    axes, s = _cook(a, s, axes, op, half=s is None)
    n = s[-1]
    a = _resize(a, axes, s[:-1] + (n // 2 + 1,))
    return apply(IRFFTN, (a,), (axes, n, _norm(norm, op)))


def _real_input(a, op):
    if np.iscomplexobj(data_of(a)):
        raise TypeError(f"{op}: the input is complex ({data_of(a).dtype}); the real transform "
                        f"takes real data: use fft for complex data, or pass real(a)")


def _one(n):
    return None if n is None else (n,)


def fftn(a, s=None, axes=None, norm=None):
    """N-dimensional discrete Fourier transform (``numpy.fft.fftn``)."""
    return _c2c(a, s, axes, norm, False, "fftn")


def ifftn(a, s=None, axes=None, norm=None):
    """N-dimensional inverse discrete Fourier transform (``numpy.fft.ifftn``)."""
    return _c2c(a, s, axes, norm, True, "ifftn")


def rfftn(a, s=None, axes=None, norm=None):
    """N-dimensional transform of real data: the last axis keeps n // 2 + 1 frequencies."""
    return _r2c(a, s, axes, norm, "rfftn")


def irfftn(a, s=None, axes=None, norm=None):
    """Inverse of ``rfftn``: a real array; ``s[-1]`` (default ``2 * (m - 1)``) is the output
    length along the last axis."""
    return _c2r(a, s, axes, norm, "irfftn")


def fft(a, n=None, axis=-1, norm=None):
    """One-dimensional discrete Fourier transform (``numpy.fft.fft``)."""
    return _c2c(a, _one(n), (axis,), norm, False, "fft")


def ifft(a, n=None, axis=-1, norm=None):
    """One-dimensional inverse discrete Fourier transform (``numpy.fft.ifft``)."""
    return _c2c(a, _one(n), (axis,), norm, True, "ifft")


def rfft(a, n=None, axis=-1, norm=None):
    """One-dimensional transform of real data (``numpy.fft.rfft``)."""
    return _r2c(a, _one(n), (axis,), norm, "rfft")


def irfft(a, n=None, axis=-1, norm=None):
    """Inverse of ``rfft`` (``numpy.fft.irfft``); ``n`` defaults to ``2 * (m - 1)``."""
    return _c2r(a, _one(n), (axis,), norm, "irfft")


def fft2(a, s=None, axes=(-2, -1), norm=None):
    """Two-dimensional discrete Fourier transform (``numpy.fft.fft2``)."""
    return _c2c(a, s, axes, norm, False, "fft2")


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """Two-dimensional inverse discrete Fourier transform (``numpy.fft.ifft2``)."""
    return _c2c(a, s, axes, norm, True, "ifft2")


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    """Two-dimensional transform of real data (``numpy.fft.rfft2``)."""
    return _r2c(a, s, axes, norm, "rfft2")


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    """Inverse of ``rfft2`` (``numpy.fft.irfft2``)."""
    return _c2r(a, s, axes, norm, "irfft2")


def hfft(a, n=None, axis=-1, norm=None):
    """Transform of a Hermitian-symmetric signal given by its first half: a real spectrum
    (``numpy.fft.hfft``); ``n`` defaults to ``2 * (m - 1)``."""
    from .complex import conj

    a = _asarray(a)
    if n is None:
        n = 2 * (_shape(a)[normalize_dim(axis, len(_shape(a)), "hfft")] - 1)
    return _c2r(conj(a), (n,), (axis,), _DUAL[_norm(norm, "hfft")], "hfft")


def ihfft(a, n=None, axis=-1, norm=None):
    """Inverse of ``hfft`` for real data (``numpy.fft.ihfft``)."""
    from .complex import conj

    return conj(_r2c(a, _one(n), (axis,), _DUAL[_norm(norm, "ihfft")], "ihfft"))


def _shift(x, axes, sign, op):
    x = _asarray(x)
    shape = _shape(x)
    nd = len(shape)
    if axes is None:
        axes = tuple(range(-nd, 0))
    elif isinstance(axes, (int, np.integer)):
        axes = (axes,)
    axes = tuple(normalize_dim(a, nd, op) - nd for a in axes)
    shifts = tuple(sign * (shape[a] // 2) for a in axes)
    if not axes:
        return x
    return apply(ROLL, (x,), (shifts, axes))


def fftshift(x, axes=None):
    """Move the zero frequency to the centre (``numpy.fft.fftshift``)."""
    return _shift(x, axes, 1, "fftshift")


def ifftshift(x, axes=None):
    """Inverse of ``fftshift`` (``numpy.fft.ifftshift``)."""
    return _shift(x, axes, -1, "ifftshift")


def fftfreq(n: int, d: float = 1.0, device=None):
    """Sample frequencies of ``fft`` (a constant NumPy array, as ``numpy.fft.fftfreq``)."""
    return np.fft.fftfreq(n, d)


def rfftfreq(n: int, d: float = 1.0, device=None):
    """Sample frequencies of ``rfft`` (a constant NumPy array, as ``numpy.fft.rfftfreq``)."""
    return np.fft.rfftfreq(n, d)

