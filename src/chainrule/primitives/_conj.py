"""The complex basics every rule may call, below the families: ``conj``, ``real``,
``real_for``, ``iscomplexobj`` and ``astype`` (the ``cast`` primitive, whose rules need
``real``, and ``real``'s reverse rule needs it back).

``_core``'s generated elementwise rules call ``conj`` and ``real_for`` on complex data; they
are handed to it at import (``_core.install_complex``), as the tensor type is handed to the
table, since ``_core`` sits below this module. The primitives are registered by their families
(``CAST`` by ``elementwise``, ``REAL`` and ``CONJ`` by ``complex``), which re-export these names.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._core import STACKED, Primitive, apply, data_of, dtype_of, tensor_types


def iscomplexobj(x) -> bool:
    """True when ``x`` has a complex dtype (NumPy's ``iscomplexobj``)."""
    return np.iscomplexobj(data_of(x))


_is_complex = iscomplexobj


REAL = Primitive(
    "real", lambda z: np.asarray(z).real.copy(), save=(dtype_of(0),),
    # A real cotangent becomes g + 0j: the imaginary part of z does not reach L.
    vjp=lambda g, in_dtype: astype(g, in_dtype),
    jvp=lambda t, in_dtype: real(t),
    batch=STACKED,
)
# conj is real-linear but not complex-linear; its adjoint for Re(conj(a) b) is conj itself.
CONJ = Primitive("conj", np.conjugate, vjp=lambda g: conj(g), jvp=lambda t: conj(t))


def real(x):
    """The real part (NumPy's ``real``); a real input is returned as it is."""
    if not _is_complex(x):
        return x
    return apply(REAL, (x,))


def conj(x):
    """The complex conjugate; a real input is returned as it is (no copy, nothing recorded)."""
    if not _is_complex(x):
        return x
    return apply(CONJ, (x,))


def real_for(r, like):
    """``r`` as the gradient of an input with the data or dtype ``like``: its real part when
    that input is real (the transpose of promoting a real input to complex)."""
    return r if getattr(like, "dtype", like).kind == "c" else real(r)


def _cast_vjp(g, in_dtype, dtype):
    if in_dtype.kind != "c" and iscomplexobj(g):
        g = real(g)  # real -> complex: the imaginary part never reached the input
    return astype(g, in_dtype)


def _cast_jvp(t, in_dtype, dtype):
    if dtype.kind != "c" and iscomplexobj(t):
        t = real(t)  # complex -> real keeps the real part (NumPy's astype)
    return astype(t, dtype)


def _cast_impl(x, dtype):
    if x.dtype.kind == "c" and dtype.kind != "c":
        return x.real.astype(dtype)  # NumPy's astype would also warn (ComplexWarning)
    return x.astype(dtype)


# Casting: the gradient is cast back to the input's dtype (its real part for a real input);
# complex -> real keeps the real part, whose gradient is g + 0j.
CAST = Primitive("cast", _cast_impl, save=(dtype_of(0),), vjp=_cast_vjp, jvp=_cast_jvp,
                 batch=STACKED)


def astype(x, dtype):
    """``x`` converted to ``dtype``; differentiable between floating dtypes (the gradient is
    cast back). Converting to an integer or bool dtype gives a constant."""
    dtype = np.dtype(dtype)
    if type(x) in tensor_types:
        if x._data.dtype == dtype:
            return x
        if dtype.kind not in "fc":
            # a constant: the cast of a tensor without a graph (recorded, so a trace sees it)
            return apply(CAST, (type(x)._constant(x._data),), (dtype,))
        return apply(CAST, (x,), (dtype,))
    x = np.asarray(x)
    return x if x.dtype == dtype else x.astype(dtype)


_core.install_complex(conj, real_for)
