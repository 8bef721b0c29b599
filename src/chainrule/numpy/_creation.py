"""NumPy's functions that make arrays from data, differentiable: ``array``, ``asarray`` and the
other conversions, ``copy``, the ``*_like`` family, ``meshgrid`` and ``ix_``. (The functions
that build constants from numbers, ``zeros``, ``arange``, ``linspace``, are NumPy's own:
``_passthrough``.)
"""

from __future__ import annotations

import numpy as np

from ..primitives import elementwise as E
from ..primitives import shape as S
from ..primitives.complex import real
from ._shape import broadcast_arrays
from ._wrappers import (
    as_array,
    const,
    data_of,
    is_tensor,
    numpy_unless_tensor,
    public_functions,
    unwrap,
)


# --- grids ---------------------------------------------------------------------------------------
@numpy_unless_tensor(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """``numpy.meshgrid``: a tuple of coordinate arrays."""
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: valid values for `indexing` are 'xy' and 'ij'")
    n = len(xi)
    out = []
    for i, x in enumerate(xi):
        shape = [1] * n
        shape[i] = -1
        out.append(S.reshape(as_array(x), tuple(shape)))
    if indexing == "xy" and n > 1:
        out[0] = S.reshape(out[0], (1, -1) + (1,) * (n - 2))
        out[1] = S.reshape(out[1], (-1, 1) + (1,) * (n - 2))
    if not sparse:
        out = list(broadcast_arrays(*out))
    return tuple(out)


@numpy_unless_tensor(np.ix_)
def ix_(*args):
    """``numpy.ix_``: open-mesh index arrays (float inputs stay differentiable)."""
    out = []
    n = len(args)
    for k, x in enumerate(args):
        x = as_array(x)
        dd = data_of(x)
        if dd.ndim != 1:
            raise ValueError(f"ix_: cross index must be 1 dimensional, argument {k} has shape "
                             f"{dd.shape}")
        if dd.dtype == bool:
            x = const(np.nonzero(dd)[0])
        out.append(S.reshape(x, (1,) * k + (-1,) + (1,) * (n - k - 1)))
    return tuple(out)


# --- array creation from data --------------------------------------------------------------------
def _copy(x):
    return x.clone() if is_tensor(x) else np.array(x)


def _as(a, dtype, copy_, ndmin=0):
    x = as_array(a)
    made = not is_tensor(a)  # a list of tensors was stacked: already a new array
    if dtype is not None:
        new = E.astype(x, dtype)
        made = made or new is not x
        x = new
    if copy_ and not made:
        x = _copy(x)
    nd = data_of(x).ndim
    if ndmin > nd:
        x = S.reshape(x, (1,) * (ndmin - nd) + data_of(x).shape)
    return x


@numpy_unless_tensor(np.array)
def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, ndmax=0,  # noqa: A002
          like=None):
    """``numpy.array``: a tensor (or a list holding tensors, which is stacked) stays
    differentiable."""
    return _as(object, dtype, bool(copy), ndmin)


@numpy_unless_tensor(np.asarray)
def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """``numpy.asarray``: a tensor is returned as it is (differentiable)."""
    return _as(a, dtype, bool(copy))


@numpy_unless_tensor(np.asanyarray)
def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """``numpy.asanyarray``: as ``asarray``."""
    return _as(a, dtype, bool(copy))


@numpy_unless_tensor(np.copy)
def copy(a, order="K", subok=False):
    """``numpy.copy``: a copy that stays in the graph."""
    return _as(a, None, True)


def _like(a, dtype, shape, fill):
    d = data_of(a)
    return const(np.full_like(d, fill, dtype=dtype, shape=shape))


@numpy_unless_tensor(np.zeros_like)
def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """``numpy.zeros_like``: a constant."""
    return _like(a, dtype, shape, 0)


@numpy_unless_tensor(np.ones_like)
def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """``numpy.ones_like``: a constant."""
    return _like(a, dtype, shape, 1)


@numpy_unless_tensor(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """``numpy.full_like``: differentiable in a tensor ``fill_value`` (``a`` only gives the
    shape and dtype)."""
    if not is_tensor(fill_value):
        return _like(a, dtype, shape, data_of(fill_value))
    d = data_of(a)
    out_shape = d.shape if shape is None else (
        (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape))
    return S.broadcast_to(E.astype(fill_value, d.dtype if dtype is None else dtype), out_shape)


@numpy_unless_tensor(np.empty_like)
def empty_like(prototype, /, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """``numpy.empty_like``: a constant (filled with zeros, so no garbage reaches a graph)."""
    return _like(prototype, dtype, shape, 0)


# --- conversions -------------------------------------------------------------------------------
@numpy_unless_tensor(np.ascontiguousarray, stack_lists=True)
def ascontiguousarray(a, dtype=None):
    """``numpy.ascontiguousarray``: ``asarray`` (a tensor is contiguous in the sense that
    matters here)."""
    return asarray(a, dtype=dtype)


@numpy_unless_tensor(np.asfortranarray, stack_lists=True)
def asfortranarray(a, dtype=None):
    """``numpy.asfortranarray``: ``asarray`` (memory order is not observable on a tensor)."""
    return asarray(a, dtype=dtype)


@numpy_unless_tensor(np.asarray_chkfinite, stack_lists=True)
def asarray_chkfinite(a, dtype=None, order=None):
    """``numpy.asarray_chkfinite``: ``asarray``, raising ValueError if the values hold inf or
    nan (as NumPy)."""
    r = asarray(a, dtype=dtype)
    if not np.all(np.isfinite(unwrap(r))):
        raise ValueError("array must not contain infs or NaNs")
    return r


@numpy_unless_tensor(np.require, stack_lists=True)
def require(a, dtype=None, requirements=None):
    """``numpy.require``: ``asarray`` (the memory requirements are met by every tensor)."""
    return asarray(a, dtype=dtype)


@numpy_unless_tensor(np.real_if_close, stack_lists=True)
def real_if_close(a, tol=100):
    """``numpy.real_if_close``: the real part when every imaginary part is below ``tol`` (in
    machine epsilons when ``tol > 1``, as NumPy)."""
    d = unwrap(a)
    if not np.iscomplexobj(d):
        return a
    bound = tol * np.finfo(d.real.dtype).eps if tol > 1 else tol
    return real(a) if np.all(np.abs(d.imag) < bound) else a


__all__: list[str] = public_functions(globals(), __name__)
