"""chainrule's own functions, under NumPy's names and signatures.

The base layer of the namespace: the elementwise operations of ``primitives.elementwise`` and
a few array functions of ``composite`` and ``primitives`` whose NumPy signature chainrule
already serves. ``chainrule.numpy._arrays``, ``primitives.math`` and the other families are
laid over this layer, so where they define a name (with NumPy's full semantics) theirs is used.

Each function here calls NumPy itself when no argument is a tensor, so plain arrays get
exactly NumPy's result.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import composite as C
from ..primitives import elementwise as E
from ..primitives import linalg as L
from ..primitives import shape as S
from ..primitives._core import tensor_types
from ..primitives.reduction import cumsum as _cumsum

_NOVALUE = np._NoValue

# chainrule's elementwise functions whose signature is NumPy's (the NumPy name on the left).
ELEMENTWISE = {
    "add": E.add, "subtract": E.subtract, "multiply": E.multiply, "divide": E.divide,
    "true_divide": E.true_divide, "power": E.power, "pow": E.power, "maximum": E.maximum,
    "minimum": E.minimum, "remainder": E.remainder, "mod": E.remainder,
    "floor_divide": E.floor_divide, "negative": E.negative, "exp": E.exp, "expm1": E.expm1,
    "log": E.log, "log1p": E.log1p, "sqrt": E.sqrt, "sin": E.sin, "cos": E.cos, "tan": E.tan,
    "tanh": E.tanh, "abs": E.abs, "absolute": E.absolute, "sign": E.sign, "floor": E.floor,
    "ceil": E.ceil, "trunc": E.trunc, "fix": E.trunc, "rint": E.round, "equal": E.equal,
    "not_equal": E.not_equal, "less": E.less, "less_equal": E.less_equal,
    "greater": E.greater, "greater_equal": E.greater_equal, "logical_and": E.logical_and,
    "logical_or": E.logical_or, "logical_xor": E.logical_xor, "logical_not": E.logical_not,
    "isnan": E.isnan, "isinf": E.isinf, "isfinite": E.isfinite, "bitwise_and": E.bitwise_and,
    "bitwise_or": E.bitwise_or, "bitwise_xor": E.bitwise_xor, "invert": E.invert,
    "bitwise_not": E.invert, "bitwise_invert": E.invert,
}


def _tensor_in(args) -> bool:
    tt = tensor_types
    for a in args:
        if type(a) in tt or (type(a) in (list, tuple) and _tensor_in(a)):
            return True
    return False


def numpy_unless_tensor(np_func):
    """Decorator: the function runs only when some argument is a tensor; otherwise NumPy's
    ``np_func`` answers (plain arrays get exactly NumPy's result)."""

    def deco(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            if _tensor_in(args) or _tensor_in(kwargs.values()):
                return f(*args, **kwargs)
            return np_func(*args, **kwargs)

        return wrapper

    return deco


def _ufunc(name):
    from .. import numpy as cnp  # the namespace's ufunc objects (with reduce and friends)

    return getattr(cnp, name)


@numpy_unless_tensor(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE,  # noqa: A001
        where=True):
    """NumPy's ``sum``, differentiable: ``add.reduce``."""
    return _ufunc("add").reduce(a, axis, dtype, out, keepdims, initial, where)


@numpy_unless_tensor(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE, where=True):
    """NumPy's ``prod``, differentiable (exact with zeros present)."""
    return _ufunc("multiply").reduce(a, axis, dtype, out, keepdims, initial, where)


@numpy_unless_tensor(np.max)
def max(a, axis=None, out=None, keepdims=False, initial=_NOVALUE, where=True):  # noqa: A001
    """NumPy's ``max`` (values only); tied maxima share the gradient."""
    return _ufunc("maximum").reduce(a, axis, None, out, keepdims, initial, where)


@numpy_unless_tensor(np.min)
def min(a, axis=None, out=None, keepdims=False, initial=_NOVALUE, where=True):  # noqa: A001
    """NumPy's ``min`` (values only); tied minima share the gradient."""
    return _ufunc("minimum").reduce(a, axis, None, out, keepdims, initial, where)


amax, amin = max, min


@numpy_unless_tensor(np.mean)
def mean(a, axis=None, dtype=None, keepdims=False):
    """NumPy's ``mean``."""
    return C.mean(a, axis=axis, keepdims=keepdims, dtype=dtype)


@numpy_unless_tensor(np.var)
def var(a, axis=None, dtype=None, ddof=0, keepdims=False):
    """NumPy's ``var``: ``ddof=0`` (the population variance) by default."""
    a = a if dtype is None else E.astype(a, dtype)
    return C.var(a, axis=axis, ddof=ddof, keepdims=keepdims)


@numpy_unless_tensor(np.std)
def std(a, axis=None, dtype=None, ddof=0, keepdims=False):
    """NumPy's ``std``: ``ddof=0`` by default."""
    a = a if dtype is None else E.astype(a, dtype)
    return C.std(a, axis=axis, ddof=ddof, keepdims=keepdims)


@numpy_unless_tensor(np.cumsum)
def cumsum(a, axis=None, dtype=None):
    """NumPy's ``cumsum``; ``axis=None`` works on the flattened array."""
    a = a if dtype is None else E.astype(a, dtype)
    if axis is None:
        return _cumsum(S.reshape(a, (-1,)), 0)
    return _cumsum(a, axis)


@numpy_unless_tensor(np.reshape)
def reshape(a, shape, order="C"):
    """NumPy's ``reshape`` (C order)."""
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is supported on tensors")
    return S.reshape(a, shape)


@numpy_unless_tensor(np.ravel)
def ravel(a, order="C"):
    """NumPy's ``ravel`` (C order)."""
    return reshape(a, (-1,), order)


@numpy_unless_tensor(np.transpose)
def transpose(a, axes=None):
    """NumPy's ``transpose``: reverse the axes, or permute them by ``axes``."""
    return C.transpose(a) if axes is None else S.permute(a, tuple(axes))


@numpy_unless_tensor(np.concatenate)
def concatenate(arrays, axis=0):
    """NumPy's ``concatenate``; ``axis=None`` flattens first."""
    if axis is None:
        return S.concatenate([S.reshape(a, (-1,)) for a in arrays], 0)
    return S.concatenate(arrays, axis)


@numpy_unless_tensor(np.stack)
def stack(arrays, axis=0):
    """NumPy's ``stack``."""
    return C.stack(arrays, axis=axis)


@numpy_unless_tensor(np.squeeze)
def squeeze(a, axis=None):
    """NumPy's ``squeeze``."""
    return C.squeeze(a, axis=axis)


@numpy_unless_tensor(np.where)
def where(condition, x=_NOVALUE, y=_NOVALUE):
    """NumPy's ``where``: ``x`` where ``condition`` holds, else ``y``; with the condition alone,
    its nonzero indices."""
    if x is _NOVALUE and y is _NOVALUE:
        return np.nonzero(condition._data if type(condition) in tensor_types else condition)
    return E.where(condition._data if type(condition) in tensor_types else condition, x, y)


@numpy_unless_tensor(np.clip)
def clip(a, a_min=_NOVALUE, a_max=_NOVALUE, *, min=None, max=None):  # noqa: A002
    """NumPy's ``clip``; the gradient passes where a_min <= a <= a_max."""
    lo = min if a_min is _NOVALUE else a_min
    hi = max if a_max is _NOVALUE else a_max
    return E.clip(a, lo, hi)


@numpy_unless_tensor(np.round)
def round(a, decimals=0):  # noqa: A001
    """NumPy's ``round`` (half to even); derivative 0."""
    if decimals == 0:
        return E.round(a)
    scale = 10.0 ** decimals
    return E.round(a * scale) / scale


around = round


@numpy_unless_tensor(np.copy)
def copy(a):
    """A copy that stays in the graph."""
    return a.clone() if type(a) in tensor_types else np.copy(a)


@numpy_unless_tensor(np.asarray)
def asarray(a, dtype=None):
    """A tensor stays a tensor (cast to ``dtype``, differentiably between floating dtypes)."""
    if type(a) in tensor_types:
        return a if dtype is None else E.astype(a, dtype)
    return C.stack([asarray(b, dtype) for b in a]) if len(a) else np.asarray(a, dtype)


@numpy_unless_tensor(np.array)
def array(a, dtype=None):
    """Like ``asarray``, but a tensor is copied (the copy stays in the graph)."""
    if type(a) in tensor_types:
        return copy(a) if dtype is None else E.astype(a, dtype)
    return asarray(a, dtype)


FUNCTIONS = {
    "sum": sum, "prod": prod, "max": max, "min": min, "amax": amax, "amin": amin,
    "mean": mean, "var": var, "std": std, "cumsum": cumsum, "reshape": reshape,
    "ravel": ravel, "transpose": transpose, "concatenate": concatenate,
    "concat": concatenate, "stack": stack, "squeeze": squeeze, "where": where,
    "clip": clip, "round": round, "around": around, "copy": copy, "asarray": asarray,
    "array": array,
    "swapaxes": numpy_unless_tensor(np.swapaxes)(C.swapaxes),
    "expand_dims": numpy_unless_tensor(np.expand_dims)(C.expand_dims),
    "broadcast_to": numpy_unless_tensor(np.broadcast_to)(S.broadcast_to),
    "flip": numpy_unless_tensor(np.flip)(S.flip),
    "take_along_axis": numpy_unless_tensor(np.take_along_axis)(S.take_along_axis),
    "pad": numpy_unless_tensor(np.pad)(S.pad),
    "dot": numpy_unless_tensor(np.dot)(C.dot),
    "tensordot": numpy_unless_tensor(np.tensordot)(C.tensordot),
    "einsum": numpy_unless_tensor(np.einsum)(L.einsum),
    "matmul": L.matmul,
    "astype": E.astype,
}
