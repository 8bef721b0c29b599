"""``chainrule.func``: the functional transforms under one namespace (like ``torch.func``)."""

from ._pytree import ravel_pytree  # noqa: E402,F401
from .functional import (  # noqa: F401
    elementwise_grad,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linearize,
    value_and_grad,
    vjp,
)
