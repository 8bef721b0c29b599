"""``chainrule.func``: the functional transforms under one namespace (like ``torch.func``)."""

from ._pytree import ravel_pytree
from .functional import *  # noqa: F403 - the transforms, functional.__all__
from .functional import __all__ as _transforms

__all__ = [*_transforms, "ravel_pytree"]
