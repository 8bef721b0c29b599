"""The primitive table: every differentiable operation, defined once.

Families: ``elementwise``, ``reduction``, ``shape`` (shape and indexing), ``linalg``,
``conv`` (sliding windows for convolution and pooling). Each module defines its primitives
(forward kernel, reverse rules, forward rules side by side) and the public functions that apply
them. ``REGISTRY`` maps names to primitives.
"""

from . import conv, elementwise, linalg, reduction, shape
from ._core import REGISTRY, Primitive

__all__ = ["REGISTRY", "Primitive", "conv", "elementwise", "linalg", "reduction", "shape"]
