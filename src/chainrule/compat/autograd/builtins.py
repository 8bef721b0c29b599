"""autograd.builtins: the container constructors and type tests that work on traced values.

On chainrule a tuple, list or dict that holds tensors is differentiable as it is, so ``tuple``,
``list`` and ``dict`` are Python's own (``tuple((x, y))`` builds a plain tuple whose items
carry their graphs). ``isinstance`` and ``type`` look at the value under a traced array (a
NumPy array or scalar), as in autograd.
"""

from __future__ import annotations

import builtins as _b

from ._vspace import *  # noqa: F403 - autograd.builtins re-exports the vector spaces
from .core import defjvp, defvjp, primitive  # noqa: F401 - and these
from .tracer import Box, notrace_primitive  # noqa: F401

__all__ = ["tuple", "list", "dict", "isinstance", "type", "SequenceBox", "DictBox",
           "container_take"]

tuple_, list_, dict_ = _b.tuple, _b.list, _b.dict
isinstance_, type_ = _b.isinstance, _b.type

tuple = _b.tuple
list = _b.list
dict = _b.dict


def isinstance(obj, classinfo):  # noqa: A001
    """``isinstance`` on the value of ``obj``: a traced array counts as a ``numpy.ndarray``."""
    return _b.isinstance(_value(obj), classinfo)


def type(obj):  # noqa: A001
    """``type`` of the value of ``obj`` (a traced array's is its NumPy type)."""
    return _b.type(_value(obj))


def _value(obj):
    from .tracer import getval

    return getval(obj)


class SequenceBox(Box):
    """Kept for programs that name it; traced sequences are plain tuples and lists."""


class DictBox(Box):
    """Kept for programs that name it; traced dicts are plain dicts."""


def container_take(A, idx):
    return A[idx]
