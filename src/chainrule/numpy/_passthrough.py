"""NumPy names that chainrule.numpy passes through, and the error for the ones it refuses.

Three kinds of NumPy objects need no derivative rule:

- constants, dtypes, type objects and the submodules that hold no array functions (``pi``,
  ``float64``, ``finfo``, ``random``): the NumPy object itself;
- functions whose result carries no derivative by nature (indices, bools, shapes, dtypes,
  printing, file output: ``argmax``, ``isclose``, ``shape``, ``save``): NumPy runs on the
  values of any tensor argument; given a tensor, array results come back as constant tensors
  (tensor in, tensor out, as in ``chainrule.numpy._arrays``), while Python numbers, shapes and
  dtypes stay as NumPy gives them;
- functions that build constants (``zeros``, ``arange``, ``linspace``, ``eye``): likewise, but
  an argument that requires grad is an error, since its gradient would be lost.

Everything else NumPy has and chainrule does not provide raises ``NotDifferentiableError``.
"""

from __future__ import annotations

import functools

import numpy as np

from ..primitives._core import tensor_types

__all__ = [
    "NotDifferentiableError", "not_differentiable", "unwrap", "requires_grad", "value_only",
    "constant", "pass_through", "ABSENT", "VALUE_ONLY", "CONSTANT", "PASS_MODULES", "REFUSED",
    "numpy_public_names",
]


class NotDifferentiableError(AttributeError, NotImplementedError):
    """A NumPy function that chainrule does not differentiate. An ``AttributeError`` (so that
    ``hasattr`` and ``getattr(np, name, default)`` treat the name as absent) and a
    ``NotImplementedError``."""


def not_differentiable(qualname: str) -> str:
    """The message for a NumPy function (``numpy.polyfit``, ``numpy.linalg.cond``) that
    chainrule does not cover."""
    return (
        f"{qualname} is not differentiable by chainrule: chainrule.numpy does not provide it, "
        f"so it would silently drop the gradient. To use it without derivatives, call NumPy on "
        f"the values ({qualname}(t.detach().numpy(), ...)); to differentiate through it, write "
        f"it with chainrule.numpy functions or give it a rule with chainrule.custom_vjp.")


# --- unwrapping ------------------------------------------------------------------------------
def unwrap(a):
    """``a`` with every tensor replaced by its array (inside lists, tuples and dicts too)."""
    if type(a) in tensor_types:
        return a._data
    if type(a) in (list, tuple):
        return type(a)(unwrap(b) for b in a)
    if type(a) is dict:
        return {k: unwrap(v) for k, v in a.items()}
    return a


def requires_grad(a) -> bool:
    """Whether ``a`` (or a tensor inside a list, tuple or dict) carries a derivative: it
    requires grad or has a forward-mode tangent."""
    if type(a) in tensor_types:
        return a._edge is not None or getattr(a, "_fw", None) is not None
    if type(a) in (list, tuple):
        return any(requires_grad(b) for b in a)
    if type(a) is dict:
        return any(requires_grad(v) for v in a.values())
    return False


def _tensor_type(a):
    """The tensor type of the first tensor in ``a`` (lists, tuples, dicts searched), or None."""
    if type(a) in tensor_types:
        return type(a)
    items = a if type(a) in (list, tuple) else a.values() if type(a) is dict else ()
    for b in items:
        t = _tensor_type(b)
        if t is not None:
            return t
    return None


def _as_constants(res, tt):
    """Array results as constant tensors of type ``tt`` (tensor in, tensor out); Python
    numbers, shapes, dtypes and text stay as they are."""
    if isinstance(res, np.ndarray) or (isinstance(res, np.generic) and
                                       res.dtype.kind in "biufc"):
        return tt._constant(res)
    if isinstance(res, tuple) and res and all(isinstance(r, np.ndarray) for r in res):
        items = [tt._constant(r) for r in res]
        return type(res)(*items) if hasattr(res, "_fields") else tuple(items)
    return res


def _mark(f, kind: str):
    f._chainrule_kind = kind
    return f


def value_only(fn, qualname: str):
    """``fn`` on the values of its arguments: for results that carry no derivative."""

    @functools.wraps(fn)
    def values(*args, **kwargs):
        res = fn(*unwrap(args), **unwrap(kwargs))
        tt = _tensor_type(args) or _tensor_type(kwargs)
        return res if tt is None else _as_constants(res, tt)

    values.__doc__ = (f"{qualname} on the values of its arguments (no derivative: the result "
                      f"is an index, a bool, a shape or other information). Given a tensor, "
                      f"array results are constant tensors.")
    return _mark(values, "value-only")


def constant(fn, qualname: str):
    """``fn`` on the values of its arguments, refusing arguments that carry a derivative."""

    @functools.wraps(fn)
    def const(*args, **kwargs):
        if requires_grad(args) or requires_grad(kwargs):
            raise TypeError(
                f"{qualname}: an argument requires grad, but {qualname} builds a constant "
                f"array (its result carries no gradient). Pass t.detach(), or build the array "
                f"from chainrule.numpy operations on the tensor.")
        res = fn(*unwrap(args), **unwrap(kwargs))
        tt = _tensor_type(args) or _tensor_type(kwargs)
        return res if tt is None else _as_constants(res, tt)

    const.__doc__ = (f"{qualname} on plain values; the result is a constant (a NumPy array, or "
                     f"a constant tensor when a tensor was given).")
    return _mark(const, "constant")


# --- the lists ---------------------------------------------------------------------------------
# Results that are indices, bools, counts, shapes, dtypes, text or files.
VALUE_ONLY = frozenset("""
    argmax argmin argsort argpartition argwhere nonzero flatnonzero nanargmax nanargmin
    searchsorted digitize lexsort count_nonzero all any allclose isclose array_equal
    array_equiv isin isreal iscomplex isrealobj iscomplexobj isscalar isneginf isposinf
    isfortran iterable shape ndim size result_type can_cast promote_types min_scalar_type
    common_type mintypecode issubdtype isdtype broadcast_shapes unravel_index ravel_multi_index
    indices ix_ diag_indices diag_indices_from tril_indices tril_indices_from triu_indices
    triu_indices_from mask_indices may_share_memory shares_memory packbits unpackbits
    get_printoptions set_printoptions printoptions geterr seterr geterrcall seterrcall getbufsize
    setbufsize show_config show_runtime info get_include test typename binary_repr base_repr
    format_float_positional format_float_scientific array2string array_repr array_str save
    savez savez_compressed savetxt datetime_as_string datetime_data busday_count busday_offset
    is_busday nested_iters einsum_path signbit isnat gcd lcm left_shift right_shift
    bitwise_left_shift bitwise_right_shift bitwise_count
    linalg.matrix_rank
""".split())

# Constant arrays built from numbers (shapes, ranges, files, window functions).
CONSTANT = frozenset("""
    zeros ones empty full zeros_like ones_like empty_like full_like arange linspace logspace
    geomspace eye identity tri fromfunction frombuffer fromfile fromiter fromstring fromregex
    loadtxt genfromtxt load from_dlpack bartlett blackman hamming hanning kaiser
    fft.fftfreq fft.rfftfreq
""".split())

# Non-callable attributes and type objects of NumPy that are passed through as they are,
# except those that would convert a tensor and drop its gradient.
PASS_MODULES = frozenset({"random", "dtypes", "exceptions", "typing"})
REFUSED = frozenset("""
    vectorize frompyfunc poly1d matrix asmatrix bmat piecewise apply_along_axis
    apply_over_axes r_ c_ ma polynomial emath char strings rec lib testing ctypeslib f2py core
""".split())


def numpy_public_names(module=np) -> list[str]:
    """NumPy's public names for ``module``: its ``__all__``, else its names without a leading
    underscore."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return sorted(n for n in names if not n.startswith("_"))


ABSENT = object()  # pass_through's answer for a name that needs a derivative rule


def pass_through(name: str, module=np, prefix: str = "numpy"):
    """The chainrule.numpy object for NumPy's ``module.name`` when it needs no derivative
    rule, else ``ABSENT``."""
    key = name if module is np else f"{prefix.split('.')[-1]}.{name}"
    obj = getattr(module, name)
    qual = f"{prefix}.{name}"
    if key in VALUE_ONLY:
        return value_only(obj, qual)
    if key in CONSTANT:
        return constant(obj, qual)
    if name in REFUSED or key in REFUSED:
        return ABSENT
    if type(obj) is type(np) and name not in PASS_MODULES:
        return ABSENT
    if not callable(obj) or isinstance(obj, type):
        return obj  # constants (pi, newaxis), dtypes and other types (float64, finfo, dtype)
    return ABSENT
