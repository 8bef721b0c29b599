"""Operations in PyTorch's spelling (``torch.X(input, dim=..., keepdim=...)``), composed from the
primitives, so that each derivative stays written once, in the primitive table.

This package stands with ``composite.py`` in the primitive layer: Tensor's methods dispatch to
it, and ``chainrule/__init__.py`` exports its names as the Tensor face's functions (docs/pytorch.md).
Each family module lists its public names in ``__all__``.
"""

from .blas import *  # noqa: F403
from .indexing import *  # noqa: F403
from .pointwise import *  # noqa: F403
from .reductions import *  # noqa: F403
from .shape import *  # noqa: F403
from .sorting import *  # noqa: F403
