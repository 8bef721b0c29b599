"""``chainrule.func``: the functional transforms under one namespace (like ``torch.func``)."""

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
