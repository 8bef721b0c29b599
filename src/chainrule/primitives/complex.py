"""Complex-number primitives: real, imag, conj, angle (real and conj are defined in
``_conj.py``, below the families, since every rule may call them).

Convention (PyTorch's, docs/semantics.md "Complex numbers"): for a real loss L of a complex
z = x + iy, the gradient is dL/dx + i dL/dy, and a complex cotangent g of an output w stands for
dL/d(Re w) + i dL/d(Im w). So the reverse rule of a real-linear map is its adjoint for the real
inner product Re(conj(a) b): real's is g + 0j, imag's is 1j * g, conj's is conj(g).

On real inputs ``real`` and ``conj`` return their input itself (nothing recorded) and ``imag``
returns zeros, as NumPy does; so rules can call ``conj`` on real data at no cost.
"""

from __future__ import annotations

import numpy as np

from ._conj import (  # noqa: F401 - iscomplexobj, real_for: part of this module's face
    CONJ,
    REAL,
    _is_complex,
    astype,
    conj,
    iscomplexobj,
    real,
    real_for,
)
from ._core import STACKED, Primitive, apply, data_of, dtype_of, register, tensor_types
from .elementwise import where

__all__ = ["real", "imag", "conj", "conjugate", "angle"]


def _real_dtype(dtype):
    return np.empty(0, dtype).real.dtype


IMAG = Primitive(
    "imag", lambda z: np.asarray(z).imag.copy(), save=(dtype_of(0),),
    vjp=lambda g, in_dtype: astype(g, in_dtype) * 1j,
    jvp=lambda t, in_dtype: imag(t),
    batch=STACKED,
)


def _angle_d(z):
    """d angle = Im(conj(z) dz) / |z|^2, i.e. the gradient 1j * z / |z|^2 (0 at z = 0, as
    PyTorch)."""
    r2 = real(z * conj(z))
    zero = r2 == 0
    return where(zero, 0, z / where(zero, 1, r2))


ANGLE = Primitive(
    "angle", lambda z: np.angle(z), save=(0,),
    vjp=lambda g, z: g * (_angle_d(z) * 1j) if _is_complex(z) else g * 0.0,
    jvp=lambda t, z: imag(t * conj(_angle_d(z))) if _is_complex(z) else real(t) * 0.0,
    batch=STACKED,  # np.angle is elementwise
)

register(REAL, IMAG, CONJ, ANGLE)


def imag(x):
    """The imaginary part (NumPy's ``imag``); zeros (a constant) for a real input."""
    if not _is_complex(x):
        d = np.zeros_like(data_of(x))
        return type(x)._constant(d) if type(x) in tensor_types else d
    return apply(IMAG, (x,))


conjugate = conj


def abs2(x):
    """``|x| ** 2``, real: ``x * x`` for real input, ``real(x)**2 + imag(x)**2`` for complex
    (what variances and 2-norms need; ``x * x`` would be wrong for complex)."""
    if not _is_complex(x):
        return x * x
    re, im = real(x), imag(x)
    return re * re + im * im


def angle(z, deg: bool = False):
    """The argument of ``z`` in (-pi, pi] (degrees with ``deg=True``); its gradient is
    1j * z / |z|^2, and 0 at z = 0 and for real inputs (as PyTorch)."""
    if type(z) not in tensor_types:
        return np.angle(z, deg=deg)
    a = apply(ANGLE, (z,))
    return a * (180.0 / np.pi) if deg else a


def isrealobj(x) -> bool:
    """True when ``x`` does not have a complex dtype (NumPy's ``isrealobj``)."""
    return not _is_complex(x)
