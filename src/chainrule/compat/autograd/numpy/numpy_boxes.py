"""``autograd.numpy.numpy_boxes``: on chainrule a traced array is a ``chainrule.Tensor``;
``ArrayBox`` is the ``Box`` test for it."""

from __future__ import annotations

from ..tracer import Box

__all__ = ["ArrayBox"]


class ArrayBox(Box):
    """``isinstance(x, ArrayBox)``: whether ``x`` is a traced array (a chainrule tensor)."""

    _tensor_test = True
