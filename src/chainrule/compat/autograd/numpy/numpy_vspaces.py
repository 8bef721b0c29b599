"""``autograd.numpy.numpy_vspaces``: the vector spaces of arrays."""

from __future__ import annotations

from .._vspace import ArrayVSpace, ComplexArrayVSpace  # noqa: F401

__all__ = ["ArrayVSpace", "ComplexArrayVSpace"]
