"""What every function of chainrule.numpy shares: finding tensors among NumPy's arguments, their
data, and the wrappers that give a function its two paths.

A function of the namespace takes what NumPy takes (arrays, Python numbers, nested lists, with
tensors anywhere among them):

- no tensor anywhere in the arguments: NumPy's own function runs, so the result is exactly
  NumPy's (``numpy_unless_tensor``);
- a tensor somewhere: chainrule's version runs, and every array in its result is a tensor
  (constants where the result does not depend on a tensor: tensor in, tensor out).

Functions whose results carry no derivative by nature (indices, bools, shapes) run NumPy on
the values of their arguments (``values_only``); functions that build constant arrays do the
same but refuse an argument that carries a derivative (``builds_constant``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from ..composite import stack as _stack
from ..primitives._core import is_tensor, tensor_types
from ..tensor import Tensor

__all__ = [
    "is_tensor", "has_tensor", "requires_grad", "data_of", "shape_of", "unwrap", "as_array",
    "PY_SCALARS", "const", "stack_nested_args", "numpy_unless_tensor", "values_only",
    "builds_constant", "no_out", "public_functions",
]

PY_SCALARS = (int, float, complex, bool)


# --- finding tensors ---------------------------------------------------------------------------
def has_tensor(x) -> bool:
    """Whether a tensor is ``x`` or inside it (lists, tuples and dicts searched)."""
    if type(x) in tensor_types:
        return True
    if isinstance(x, (list, tuple)):
        return any(has_tensor(e) for e in x)
    if type(x) is dict:
        return any(has_tensor(v) for v in x.values())
    return False


def requires_grad(x) -> bool:
    """Whether ``x`` (or a tensor inside a list, tuple or dict) carries a derivative: it
    requires grad or has a forward-mode tangent."""
    if type(x) in tensor_types:
        return x._edge is not None or bool(getattr(x, "_fw", None))
    if isinstance(x, (list, tuple)):
        return any(requires_grad(e) for e in x)
    if type(x) is dict:
        return any(requires_grad(v) for v in x.values())
    return False


# --- data -------------------------------------------------------------------------------------
def data_of(x) -> np.ndarray:
    """The data of ``x`` as an ndarray (tensors inside lists included)."""
    if type(x) in tensor_types:
        return x._data
    if isinstance(x, (list, tuple)) and has_tensor(x):
        return np.asarray([data_of(e) for e in x])
    return np.asarray(x)


def shape_of(x) -> tuple:
    return data_of(x).shape


def unwrap(x):
    """``x`` with every tensor replaced by its array (inside lists, tuples and dicts too);
    anything else as it is."""
    if type(x) in tensor_types:
        return x._data
    if type(x) in (list, tuple):
        return type(x)(unwrap(e) for e in x)
    if type(x) is dict:
        return {k: unwrap(v) for k, v in x.items()}
    return x


def as_array(x):
    """A tensor stays as it is; a list holding tensors becomes a differentiable stack; a Python
    number stays a number (weak in dtype promotion, NEP 50); anything else becomes an
    ndarray."""
    if type(x) in tensor_types or type(x) in PY_SCALARS:
        return x
    if isinstance(x, (list, tuple)) and has_tensor(x):
        return _stack_nested(x)
    return np.asarray(x)


def _stack_nested(x):
    parts = [as_array(e) for e in x]
    if not parts:
        return np.asarray(x)
    shapes = {data_of(p).shape for p in parts}
    if len(shapes) > 1:
        raise ValueError(f"array: setting an array element with a sequence: the nested "
                         f"sequences have shapes {sorted(shapes)}; all must have the same shape")
    return _stack(parts, axis=0)


def const(arr):
    """``arr`` (an integer or bool result, say) as a constant tensor."""
    return Tensor._constant(np.asarray(arr))


def _tensorize(r):
    """A tensor was given, so every array in the result is a tensor (constants where the
    result did not depend on a tensor)."""
    if type(r) in tensor_types or r is None:
        return r
    if isinstance(r, tuple):
        items = [_tensorize(x) for x in r]
        return type(r)(*items) if hasattr(r, "_fields") else tuple(items)  # keep namedtuples
    if isinstance(r, list):
        return [_tensorize(x) for x in r]
    return const(r)


# --- the two paths ------------------------------------------------------------------------------
def _is_nested(a) -> bool:
    return isinstance(a, (list, tuple)) and has_tensor(a)


def _stacked(args: tuple, kwargs: dict):
    args = tuple(as_array(a) if _is_nested(a) else a for a in args)
    kwargs = {k: as_array(v) if _is_nested(v) else v for k, v in kwargs.items()}
    return args, kwargs


def stack_nested_args(fn: Callable) -> Callable:
    """``fn`` with its list or tuple arguments that hold tensors made into differentiable
    arrays first: NumPy would convert such a list with ``asarray``, and the tensors inside must
    not lose their gradients (``np.linalg.det([[x, 1], [2, y]])``). For functions whose array
    arguments are single arrays (not sequences of arrays, as ``concatenate`` takes)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if any(_is_nested(a) for a in args) or any(_is_nested(v) for v in kwargs.values()):
            args, kwargs = _stacked(args, kwargs)
        return fn(*args, **kwargs)

    return wrapper


def numpy_unless_tensor(np_func: Callable, *, stack_lists: bool = False):
    """Decorator: NumPy's ``np_func`` answers when no tensor is among the arguments (NumPy's
    exact result); otherwise the function runs, and the arrays in its result are tensors.

    ``stack_lists``: list arguments holding tensors are stacked into one array first (see
    ``stack_nested_args``), for functions that do not convert their arguments themselves."""

    def deco(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if not (has_tensor(args) or has_tensor(kwargs)):
                return np_func(*args, **kwargs)
            if stack_lists:
                args, kwargs = _stacked(args, kwargs)
            try:
                return _tensorize(func(*args, **kwargs))
            except IndexError as exc:
                # A bad axis: NumPy's AxisError (both an IndexError and a ValueError), so code
                # that catches either keeps working; the message is chainrule's.
                if "out of range for an array of" in str(exc):
                    raise np.exceptions.AxisError(str(exc)) from None
                raise

        return wrapper

    return deco


def _as_constants(res, np_func):
    """Array results as constant tensors; Python numbers, shapes, dtypes and text stay as
    they are."""
    if isinstance(res, np.ndarray) or (isinstance(res, np.generic) and
                                       res.dtype.kind in "biufc"):
        return const(res)
    if isinstance(res, tuple) and res and all(isinstance(r, np.ndarray) for r in res):
        items = [const(r) for r in res]
        return type(res)(*items) if hasattr(res, "_fields") else tuple(items)
    if np_func is np.count_nonzero and type(res) is int:  # NumPy < 2.3 counts in a Python int
        return const(res)
    return res


def _mark(f, kind: str):
    f._chainrule_kind = kind  # read by the namespace's assembly and the coverage table
    return f


def values_only(np_func: Callable, qualname: str | None = None) -> Callable:
    """``np_func`` on the values of its arguments: for results that carry no derivative
    (indices, bools, shapes). Given a tensor, array results are constant tensors."""
    qualname = qualname or f"numpy.{np_func.__name__}"

    @functools.wraps(np_func)
    def values(*args, **kwargs):
        res = np_func(*unwrap(args), **unwrap(kwargs))
        return _as_constants(res, np_func) if has_tensor(args) or has_tensor(kwargs) else res

    values.__doc__ = (f"{qualname} on the values of its arguments (no derivative: the result "
                      f"is an index, a bool, a shape or other information). Given a tensor, "
                      f"array results are constant tensors.")
    return _mark(values, "value-only")


def builds_constant(np_func: Callable, qualname: str | None = None) -> Callable:
    """``np_func`` on the values of its arguments, refusing arguments that carry a derivative:
    for functions that build constant arrays (``zeros``, ``arange``)."""
    qualname = qualname or f"numpy.{np_func.__name__}"

    @functools.wraps(np_func)
    def const_(*args, **kwargs):
        if requires_grad(args) or requires_grad(kwargs):
            raise TypeError(
                f"{qualname}: an argument requires grad, but {qualname} builds a constant "
                f"array (its result carries no gradient). Pass t.detach(), or build the array "
                f"from chainrule.numpy operations on the tensor.")
        res = np_func(*unwrap(args), **unwrap(kwargs))
        return _as_constants(res, np_func) if has_tensor(args) or has_tensor(kwargs) else res

    const_.__doc__ = (f"{qualname} on plain values; the result is a constant (a NumPy array, "
                      f"or a constant tensor when a tensor was given).")
    return _mark(const_, "constant")


# --- small shared pieces ----------------------------------------------------------------------
def no_out(out, op: str):
    if out is not None:
        raise TypeError(f"{op}: out= is not supported with chainrule tensors (a tensor's value "
                        f"cannot be written into another array and stay differentiable); use "
                        f"the returned value")


def public_functions(namespace: dict, module: str) -> list[str]:
    """A family module's ``__all__``: the functions it defines whose names have no leading
    underscore."""
    return sorted(name for name, v in namespace.items()
                  if callable(v) and not name.startswith("_")
                  and getattr(v, "__module__", None) == module)
