"""NumPy names that chainrule.numpy passes through, and the error for the ones it refuses.

Three kinds of NumPy objects need no derivative rule:

- constants, dtypes, type objects and the submodules that hold no array functions (``pi``,
  ``float64``, ``finfo``, ``random``): the NumPy object itself;
- functions whose result carries no derivative by nature (indices, bools, shapes, dtypes,
  printing, file output: ``argmax``, ``isclose``, ``shape``, ``save``): NumPy runs on the
  values of any tensor argument; given a tensor, array results come back as constant tensors
  (tensor in, tensor out, as everywhere in chainrule.numpy), while Python numbers, shapes and
  dtypes stay as NumPy gives them;
- functions that build constants (``zeros``, ``arange``, ``linspace``, ``eye``): likewise, but
  an argument that requires grad is an error, since its gradient would be lost.

Everything else NumPy has and chainrule does not provide raises ``NotDifferentiableError``.
"""

from __future__ import annotations

import numpy as np

from ._wrappers import builds_constant, values_only

__all__ = [
    "NotDifferentiableError", "not_differentiable", "pass_through", "ABSENT", "VALUE_ONLY",
    "CONSTANT", "PASS_MODULES", "REFUSED", "numpy_public_names",
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


# --- the lists ---------------------------------------------------------------------------------
# A name has one home: a name listed here that a family module (or numpy.linalg / numpy.fft of
# chainrule) also defines makes the namespace's assembly raise. "linalg.name" and "fft.name"
# are the submodules' names.
# Results that are indices, bools, counts, shapes, dtypes, text or files.
VALUE_ONLY = frozenset("""
    argwhere nonzero flatnonzero nanargmax nanargmin
    searchsorted digitize lexsort count_nonzero all any allclose isclose array_equal
    array_equiv isin isreal iscomplex isrealobj iscomplexobj isscalar isneginf isposinf
    isfortran iterable shape ndim size result_type can_cast promote_types min_scalar_type
    common_type mintypecode issubdtype isdtype broadcast_shapes unravel_index ravel_multi_index
    indices diag_indices diag_indices_from tril_indices tril_indices_from triu_indices
    triu_indices_from mask_indices may_share_memory shares_memory packbits unpackbits
    get_printoptions set_printoptions printoptions geterr seterr geterrcall seterrcall getbufsize
    setbufsize show_config show_runtime info get_include test typename binary_repr base_repr
    format_float_positional format_float_scientific array2string array_repr array_str save
    savez savez_compressed savetxt datetime_as_string datetime_data busday_count busday_offset
    is_busday nested_iters einsum_path isnat gcd lcm left_shift right_shift
    bitwise_left_shift bitwise_right_shift bitwise_count
""".split())

# Constant arrays built from numbers (shapes, ranges, files, window functions).
CONSTANT = frozenset("""
    zeros ones empty full arange linspace logspace
    geomspace eye identity tri fromfunction frombuffer fromfile fromiter fromstring fromregex
    loadtxt genfromtxt load from_dlpack bartlett blackman hamming hanning kaiser
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
        return values_only(obj, qual)
    if key in CONSTANT:
        return builds_constant(obj, qual)
    if name in REFUSED or key in REFUSED:
        return ABSENT
    if type(obj) is type(np) and name not in PASS_MODULES:
        return ABSENT
    if not callable(obj) or isinstance(obj, type):
        return obj  # constants (pi, newaxis), dtypes and other types (float64, finfo, dtype)
    return ABSENT
