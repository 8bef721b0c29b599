"""NumPy's elementwise functions that chainrule's primitives serve under NumPy's names, and a few
composed ones (``round``, ``clip``, ``divmod``, ``unwrap``, ``i0``).

The rest of NumPy's elementwise math (``arcsin``, ``logaddexp``, ``hypot``, ...) is
``primitives.math`` and ``primitives.complex``, which the namespace takes as they are. The
namespace turns every name that is a ufunc in NumPy into a ufunc (``_ufunc``).
"""

from __future__ import annotations

import numpy as np

from ..primitives import elementwise as E
from ..primitives import special as _special
from ._creation import _copy
from ._wrappers import as_array, data_of, no_out, numpy_unless_tensor, stack_nested_args

_NV = np._NoValue  # NumPy's "argument not given" marker, kept so signatures match NumPy's

# NumPy's name -> chainrule's function; each takes NumPy's arguments as they are (a list
# argument holding tensors is stacked into one array first, see stack_nested_args).
_TABLE = {
    "add": E.add, "subtract": E.subtract, "multiply": E.multiply, "divide": E.divide,
    "true_divide": E.true_divide, "power": E.power, "pow": E.power, "maximum": E.maximum,
    "minimum": E.minimum, "remainder": E.remainder, "mod": E.remainder,
    "floor_divide": E.floor_divide, "negative": E.negative, "exp": E.exp, "expm1": E.expm1,
    "log": E.log, "log1p": E.log1p, "sqrt": E.sqrt, "sin": E.sin, "cos": E.cos, "tan": E.tan,
    "tanh": E.tanh, "abs": E.abs, "absolute": E.absolute, "sign": E.sign, "floor": E.floor,
    "ceil": E.ceil, "trunc": E.trunc, "equal": E.equal, "not_equal": E.not_equal,
    "less": E.less, "less_equal": E.less_equal, "greater": E.greater,
    "greater_equal": E.greater_equal, "logical_and": E.logical_and, "logical_or": E.logical_or,
    "logical_xor": E.logical_xor, "logical_not": E.logical_not, "isnan": E.isnan,
    "isinf": E.isinf, "isfinite": E.isfinite, "bitwise_and": E.bitwise_and,
    "bitwise_or": E.bitwise_or, "bitwise_xor": E.bitwise_xor, "invert": E.invert,
    "bitwise_not": E.invert, "bitwise_invert": E.invert, "astype": E.astype,
}
globals().update({name: stack_nested_args(f) for name, f in _TABLE.items()})


@numpy_unless_tensor(np.round, stack_lists=True)
def round(a, decimals=0):  # noqa: A001 - NumPy's name
    """``numpy.round`` (half to even); derivative 0."""
    if decimals == 0:
        return E.round(a)
    scale = 10.0 ** decimals
    return E.round(a * scale) / scale


around = round


@numpy_unless_tensor(np.clip)
def clip(a, a_min=_NV, a_max=_NV, out=None, *, min=_NV, max=_NV, **kwargs):  # noqa: A002
    """``numpy.clip``: the gradient passes where ``a_min <= a <= a_max`` (bounds included);
    tensor bounds are differentiable where they are the result."""
    no_out(out, "clip")
    if (a_min is not _NV or a_max is not _NV) and (min is not _NV or max is not _NV):
        raise ValueError("clip: passing `min` or `max` keyword argument when `a_min` and "
                         "`a_max` are provided is forbidden")
    lo = min if a_min is _NV else a_min
    hi = max if a_max is _NV else a_max
    lo = None if lo is _NV else lo
    hi = None if hi is _NV else hi
    a = as_array(a)
    if lo is None and hi is None:
        return _copy(a)
    return E.clip(a, lo, hi)


@numpy_unless_tensor(np.divmod, stack_lists=True)
def divmod(x1, x2):  # noqa: A001 - NumPy's name
    """``numpy.divmod``: ``(floor_divide(x1, x2), remainder(x1, x2))``."""
    return E.floor_divide(x1, x2), E.remainder(x1, x2)


@numpy_unless_tensor(np.unwrap, stack_lists=True)
def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """``numpy.unwrap``: ``p`` plus the constant multiples of ``period`` that remove the jumps
    (a constant shift: the gradient passes unchanged)."""
    d = data_of(p)
    return p + (np.unwrap(d, discont, axis, period=period) - d)


__all__ = [*_TABLE, "round", "around", "clip", "divmod", "unwrap"]

if hasattr(_special, "i0"):  # the special-function family provides the primitive
    i0 = numpy_unless_tensor(np.i0, stack_lists=True)(_special.i0)
    __all__.append("i0")
