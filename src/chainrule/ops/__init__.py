"""Operations in PyTorch's spelling (``torch.X(input, dim=..., keepdim=...)``), composed from the
primitives, so that each derivative stays written once, in the primitive table.

This package stands with ``composite.py`` in the primitive layer: Tensor's methods dispatch to
it, and ``chainrule/__init__.py`` exports its names as the Tensor face's functions
(docs/pytorch.md). Each family module lists its public names in ``__all__``; ``_linalg`` has a
private name because ``chainrule.linalg`` is the ``torch.linalg`` namespace.
"""

from . import _linalg, blas, indexing, pointwise, random, reductions, shape, sorting, spectral
from ._linalg import *  # noqa: F403
from .blas import *  # noqa: F403
from .indexing import *  # noqa: F403
from .pointwise import *  # noqa: F403
from .random import *  # noqa: F403
from .reductions import *  # noqa: F403
from .shape import *  # noqa: F403
from .sorting import *  # noqa: F403
from .spectral import *  # noqa: F403

# the families' names only, not the modules; a name two families define is a bug (a test)
_FAMILIES = (_linalg, blas, indexing, pointwise, random, reductions, shape, sorting, spectral)
__all__ = [name for family in _FAMILIES for name in family.__all__]
