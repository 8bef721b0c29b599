"""``autograd.numpy.numpy_wrapper``: the helpers programs import from it."""

from __future__ import annotations

import numpy as _onp

from ..core import primitive
from ..tracer import notrace_primitive

__all__ = ["wrap_namespace", "numpy_version"]

numpy_version = _onp.__version__


def wrap_namespace(old, new):
    """Put into dict ``new`` the functions of namespace ``old`` as autograd primitives
    (without derivatives unless defined with ``defvjp``); types and constants as they are."""
    for name, obj in old.items():
        if callable(obj) and not isinstance(obj, type):
            new[name] = primitive(obj)
        else:
            new[name] = obj


def unbox_if_possible(x):
    from ..tracer import getval

    return getval(x)


__all__ += ["notrace_primitive"]
