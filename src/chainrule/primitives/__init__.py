"""The primitive table: every differentiable operation, defined once.

Families: ``elementwise`` (arithmetic and the core ufuncs), ``math`` (the rest of NumPy's math
ufuncs), ``special`` (special functions), ``complex`` (real, imag, conj, angle), ``reduction``,
``shape`` (shape and indexing), ``array_ops`` (sorting, cumulative products and other array
operations), ``linalg`` (products), ``decompositions`` (inverse, solve, factorisations),
``fft``, ``signal`` (convolution of signals), ``conv`` (sliding windows for convolution and
pooling), ``views`` (writing through a view). Each module defines its primitives (forward
kernel, reverse rules, forward rules side by side) and the public functions that apply them.
``REGISTRY`` maps names to primitives.
"""

from . import (
    array_ops,
    complex,  # noqa: A004 - the family of complex-number primitives
    conv,
    decompositions,
    elementwise,
    fft,
    linalg,
    math,
    reduction,
    shape,
    signal,
    special,
    views,
)
from ._core import REGISTRY, Primitive

__all__ = [
    "REGISTRY", "Primitive", "array_ops", "complex", "conv", "decompositions", "elementwise",
    "fft", "linalg", "math", "reduction", "shape", "signal", "special", "views",
]
