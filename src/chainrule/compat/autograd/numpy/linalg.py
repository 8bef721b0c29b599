"""``autograd.numpy.linalg``: chainrule's differentiable ``numpy.linalg``."""

from __future__ import annotations

import chainrule.numpy.linalg as _cl

globals().update({_n: getattr(_cl, _n) for _n in dir(_cl) if not _n.startswith("_")})


def __getattr__(name):  # noqa: N807
    return getattr(_cl, name)


def T(x):
    """The transpose of the last two axes (autograd.numpy.linalg.T)."""
    from chainrule.numpy import swapaxes

    return swapaxes(x, -1, -2)


def _dot(a, b):
    from chainrule.numpy import einsum

    return einsum("...ij,...jk->...ik", a, b)


def _matrix_diag(a):
    from chainrule.autograd.dispatch import is_tensor
    from chainrule.numpy import expand_dims, eye

    n = (a._data if is_tensor(a) else a).shape[-1]
    return expand_dims(a, -1) * eye(n)
