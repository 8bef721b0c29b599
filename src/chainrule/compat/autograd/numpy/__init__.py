"""``import autograd.numpy as np``: chainrule's differentiable NumPy namespace.

Every name is ``chainrule.numpy``'s (with NumPy values in, NumPy calls NumPy; with traced
values, a traced result), with autograd's own additions: ``where`` keeps Python lists and
scalars as autograd does, and ``random``, ``linalg`` and ``fft`` are submodules
(``import autograd.numpy.random as npr``).
"""

from __future__ import annotations

import builtins as _builtins

import numpy as _onp

import chainrule.numpy as _cnp
from chainrule.autograd.dispatch import is_tensor as _is_tensor

globals().update({_n: getattr(_cnp, _n) for _n in _cnp.__all__
                  if _n not in ("linalg", "fft", "random")})  # ours are submodules

from . import fft, linalg, numpy_boxes, numpy_vjps, numpy_vspaces, numpy_wrapper, random  # noqa: E402,F401,I001

__version__ = _onp.__version__

_where = _cnp.where


def _is_array_or_traced(x):
    if _is_tensor(x) or isinstance(x, (_onp.ndarray, _onp.generic)):
        return True
    if isinstance(x, (list, tuple)):
        return _builtins.any(_is_array_or_traced(i) for i in x)
    return False


def where(condition, *args, **kwargs):
    """``numpy.where``; with only Python values (no arrays) a list result comes back as a
    Python list, as in autograd."""
    if not args and not kwargs:
        return _where(condition)
    if _builtins.len(args) + _builtins.len(kwargs) != 2:
        raise ValueError("either both or neither of x and y should be given")
    x = args[0] if _builtins.len(args) > 0 else kwargs.get("x")
    y = args[1] if _builtins.len(args) > 1 else kwargs.get("y")
    res = _where(condition, x, y)
    if not (_is_array_or_traced(condition) or _is_array_or_traced(x)
            or _is_array_or_traced(y)) and isinstance(res, _onp.ndarray):
        return res.tolist()
    return res


def _int_type(cls):
    """NumPy's integer type ``cls``, whose constructor takes a traced value's data (an
    integer conversion has no derivative), as in autograd: ``np.int64(x)``."""

    def __new__(sub, *args, **kwargs):  # noqa: N807
        args = [a._data if _is_tensor(a) else a for a in args]
        return cls.__new__(cls, *args, **kwargs)

    return type(cls.__name__, (cls,), {"__new__": __new__, "__module__": __name__,
                                       "__doc__": cls.__doc__})


for _name in ("int8", "int16", "int32", "int64", "integer"):
    globals()[_name] = _int_type(getattr(_onp, _name))


def make_diagonal(D, offset=0, axis1=0, axis2=1):
    """autograd's complement to ``diagonal``: an array whose last two axes hold ``D`` on their
    diagonal (only ``offset=0, axis1=-1, axis2=-2``)."""
    if not (offset == 0 and axis1 == -1 and axis2 == -2):
        raise NotImplementedError("Currently make_diagonal only supports offset=0, axis1=-1, "
                                  "axis2=-2")
    n = _onp.shape(D._data if _is_tensor(D) else D)[-1]
    return _cnp.expand_dims(D, -1) * _onp.eye(n)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``numpy.linspace``, differentiable in ``start`` and ``stop`` (as in autograd)."""
    if not (_is_tensor(start) or _is_tensor(stop)):
        return _onp.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, dtype=dtype,
                             axis=axis)
    num = _builtins.int(num)
    div = (num - 1) if endpoint else num
    frac = _onp.arange(num, dtype=float) / div if div > 0 else _onp.zeros(num)
    shape = _onp.broadcast_shapes(_onp.shape(start._data if _is_tensor(start) else start),
                                  _onp.shape(stop._data if _is_tensor(stop) else stop))
    frac = frac.reshape((num,) + (1,) * _builtins.len(shape))
    delta = stop - start
    out = start + delta * frac
    if endpoint and num > 1:  # the last sample is exactly ``stop``, as in NumPy
        out = _cnp.concatenate([out[:-1], _cnp.expand_dims(stop + 0.0 * start, 0)], axis=0)
    if axis != 0:
        out = _cnp.moveaxis(out, 0, axis)
    if dtype is not None:
        out = out.astype(dtype)
    if retstep:
        return out, (delta / div if div > 0 else _onp.nan)
    return out


def full(shape, fill_value, dtype=None, order="C"):
    """``numpy.full``, differentiable in ``fill_value`` (as in autograd)."""
    if not _is_tensor(fill_value):
        return _onp.full(shape, fill_value, dtype=dtype, order=order)
    out = _cnp.broadcast_to(fill_value, shape) + _onp.zeros(shape, dtype=fill_value.dtype)
    return out.astype(dtype) if dtype is not None else out


def metadata(A):
    """(shape, ndim, result dtype, whether complex) of ``A``'s value."""
    a = A._data if _is_tensor(A) else A
    return _onp.shape(a), _onp.ndim(a), _onp.result_type(a), _onp.iscomplexobj(a)


__all__ = sorted(set(_cnp.__all__) | {"where", "random", "linalg", "fft", "make_diagonal",
                                      "metadata", "linspace", "full"})


def __getattr__(name):  # noqa: N807 - PEP 562: NumPy names chainrule.numpy does not list
    return getattr(_cnp, name)
