"""``autograd.extend``: defining new primitives and their derivatives.

A ``@primitive`` function becomes, when called on traced values, one chainrule custom
operation (``chainrule.autograd.Function``) whose reverse and forward rules are the ones given
here in autograd's curried form, e.g. ``defvjp(f, lambda ans, x: lambda g: g * cos(x))``.
Rules written with ``autograd.numpy`` can be differentiated again (higher order).
"""

from __future__ import annotations

from .core import (  # noqa: F401
    SparseObject,
    VSpace,
    def_linear,
    defjvp,
    defjvp_argnum,
    defjvp_argnums,
    defjvp_is_zero,
    defvjp,
    defvjp_argnum,
    defvjp_argnums,
    defvjp_is_zero,
    primitive,
    vspace,
)
from .tracer import Box, notrace_primitive, register_notrace  # noqa: F401


class JVPNode:
    """Named for programs that import it; chainrule's forward mode has no node objects."""


class VJPNode:
    """Named for programs that import it; chainrule's graph nodes are its own."""


__all__ = ["primitive", "defvjp", "defjvp", "defvjp_argnum", "defjvp_argnum", "defvjp_argnums",
           "defjvp_argnums", "defvjp_is_zero", "defjvp_is_zero", "def_linear",
           "notrace_primitive", "register_notrace", "Box", "VSpace", "vspace", "SparseObject",
           "JVPNode", "VJPNode"]
