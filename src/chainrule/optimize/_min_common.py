"""What minimize, root and fixed_point share: SciPy's lazy import, plain copies of traced
arguments, flat vectors for pytrees."""

from __future__ import annotations

import numpy as np

from .._pytree import flatten, ravel_pytree, unflatten
from ..autograd.dispatch import is_tensor, tangents_of, wrap


def scipy_optimize(op: str):
    """``scipy.optimize``, imported on first use (SciPy is an optional extra)."""
    try:
        import scipy.optimize
    except ImportError as e:
        raise ImportError(f"chainrule.optimize.{op} wraps SciPy's solver, and SciPy is not "
                          f"installed: pip install chainrule[scipy]") from e
    return scipy.optimize


def plain(tree):
    """``tree`` with every tensor replaced by its NumPy data (what the solvers iterate on)."""
    leaves, td = flatten(tree)
    return unflatten(td, [x._data if is_tensor(x) else x for x in leaves])


def is_traced(tree) -> bool:
    """Whether ``tree`` holds a float tensor that a derivative may flow into (requiring grad,
    part of a graph, or carrying a tangent): the solution is then differentiated."""
    return any(is_tensor(x) and np.issubdtype(x._data.dtype, np.inexact)
               and (x._edge is not None or bool(tangents_of(x))) for x in flatten(tree)[0])


def flat_start(x0, op: str):
    """``(z0, unravel)``: ``x0`` (a pytree of arrays) as a float64 vector, and back."""
    x0 = plain(x0)
    leaves, td = flatten(x0)
    if not leaves:
        raise ValueError(f"{op}: x0 has no arrays")
    fixed = []
    for v in leaves:
        a = np.asarray(v)
        if not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating):
            raise TypeError(f"{op}: x0's leaves must be real numbers, got dtype {a.dtype}")
        fixed.append(a.astype(np.float64) if not np.issubdtype(a.dtype, np.floating) else a)
    z0, unravel = ravel_pytree(unflatten(td, fixed))
    return np.array(z0, dtype=np.float64), unravel


def as_tensor(z):
    """A copy of the solver's point as a chainrule tensor (no grad): user functions written on
    the Tensor face (``x.exp()``) run as they do under the derivative transforms."""
    return wrap(np.array(z, dtype=np.float64))


def values(x, op: str) -> np.ndarray:
    """A value of the user's function at the solver's (plain) point, as float64 NumPy. A value
    that carries a derivative read something traced from outside ``args`` (a closure): the
    solution could not be differentiated in it, so that is an error, not a silent zero."""
    if is_tensor(x) and (x._edge is not None or tangents_of(x)):
        raise ValueError(f"{op}: the function reads a traced value that is not one of its args "
                         f"(a closure over a tensor being differentiated); pass it in args, so "
                         f"that the solution is differentiable in it")
    return numbers(x)


def numbers(x) -> np.ndarray:
    """A derivative computed for the solver, as float64 NumPy. Inside an outer transform the
    derivative transforms record their graph (nothing outside reads it: the solver runs on
    plain values), so the data is taken as it is."""
    return np.asarray(x._data if is_tensor(x) else x, dtype=np.float64)


def tree_sub(a, b):
    """``a - b`` leaf by leaf (same structure)."""
    la, td = flatten(a)
    lb, _ = flatten(b)
    return unflatten(td, [x - y for x, y in zip(la, lb)])
