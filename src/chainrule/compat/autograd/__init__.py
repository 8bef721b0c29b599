"""``chainrule.compat.autograd``: HIPS autograd's API (version 1.9.1) on chainrule.

Programs written for autograd run unchanged: ``python -m chainrule.compat.autograd script.py``
makes ``import autograd`` load this package, or import it yourself as
``import chainrule.compat.autograd as autograd``. See docs/autograd.md.
"""

from __future__ import annotations

from .builtins import dict, isinstance, list, tuple, type  # noqa: A004
from .core import primitive_with_deprecation_warnings as primitive
from .differential_operators import (
    checkpoint,
    deriv,
    elementwise_grad,
    grad,
    grad_and_aux,
    grad_named,
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    holomorphic_grad,
    jacobian,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    value_and_grad,
    vector_jacobian_product,
)

__version__ = "1.9.1"

__all__ = [
    "primitive", "dict", "isinstance", "list", "tuple", "type", "checkpoint", "deriv",
    "elementwise_grad", "grad", "grad_and_aux", "grad_named", "hessian",
    "hessian_tensor_product", "hessian_vector_product", "holomorphic_grad", "jacobian",
    "make_ggnvp", "make_hvp", "make_jvp", "make_vjp", "multigrad_dict",
    "tensor_jacobian_product", "value_and_grad", "vector_jacobian_product",
]
