"""autograd.tracer on chainrule: what a traced value is (``Box``, ``isbox``, ``getval``) and
``primitive`` / ``notrace_primitive``.

In autograd a traced value is a ``Box`` around the real value; in chainrule it is a
``chainrule.Tensor`` (data plus graph and tangents). ``isinstance(x, Box)`` therefore asks
whether ``x`` is a tensor, and ``getval(x)`` returns its NumPy data.
"""

from __future__ import annotations

from chainrule.autograd.dispatch import is_tensor

from .core import _raw, notrace_primitives
from .core import primitive_ as primitive

__all__ = ["Box", "isbox", "getval", "primitive", "notrace_primitive", "register_notrace",
           "new_box"]


class _BoxMeta(type):
    def __instancecheck__(cls, obj):
        if cls.__dict__.get("_tensor_test", False):
            return is_tensor(obj)
        return type.__instancecheck__(cls, obj)

    def __subclasscheck__(cls, sub):
        if cls.__dict__.get("_tensor_test", False):
            from chainrule.tensor import Tensor

            return issubclass(sub, Tensor) or type.__subclasscheck__(cls, sub)
        return type.__subclasscheck__(cls, sub)


class Box(metaclass=_BoxMeta):
    """A traced value. On chainrule every traced value is a ``chainrule.Tensor``:
    ``isinstance(x, Box)`` is true exactly for tensors. Boxes are not created by hand."""

    _tensor_test = True
    types: set = set()
    type_mappings: dict = {}

    def __init__(self, value, trace=None, node=None):
        raise TypeError("autograd Box: on chainrule traced values are chainrule tensors; "
                        "boxes cannot be created directly")

    @classmethod
    def register(cls, value_type):
        """Kept for programs that register box types; chainrule traces arrays, scalars and
        containers of them, which need no registration."""
        Box.types.add(cls)
        Box.type_mappings[value_type] = cls


def isbox(x) -> bool:
    """Whether ``x`` is being traced (a chainrule tensor)."""
    return is_tensor(x)


def getval(x):
    """The value of ``x`` without any tracing: NumPy data for a tensor, ``x`` otherwise."""
    return _raw(x)


def new_box(value, trace=None, node=None):
    raise TypeError("autograd new_box: on chainrule traced values are chainrule tensors")


def register_notrace(trace_type, primitive_fun):
    """Run ``primitive_fun`` on plain values, untraced (its result is a constant)."""
    notrace_primitives.add(primitive_fun)


def notrace_primitive(f_raw):
    """``f_raw`` called on the plain values of its arguments: its result is a constant."""

    def f_wrapped(*args, **kwargs):
        return f_raw(*(_raw(a) for a in args), **kwargs)

    for attr in ("__name__", "__qualname__", "__doc__"):
        try:
            setattr(f_wrapped, attr, getattr(f_raw, attr))
        except (AttributeError, TypeError):
            pass
    f_wrapped._is_primitive = True
    return f_wrapped
