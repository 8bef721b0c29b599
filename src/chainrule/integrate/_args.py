"""What ``quad`` and the ODE solvers share about a function's extra ``args``: its floating-point
leaves seen as one parameter vector theta (the variables the derivative rules differentiate),
and the test of whether a value carries an outer derivative."""

from __future__ import annotations

import numpy as np

from .. import numpy as cnp
from .._pytree import flatten, unflatten
from ..autograd.dispatch import tangents_of
from ..primitives._core import data_of, is_tensor


def traced(x) -> bool:
    """Whether an outer derivative flows through ``x`` (recorded, or carrying tangents)."""
    return is_tensor(x) and (x._edge is not None or bool(tangents_of(x)))


def _is_param(x) -> bool:
    """A leaf of ``args`` that is differentiated: a floating tensor, array or number."""
    if is_tensor(x):
        return x._data.dtype.kind == "f"
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (float, np.floating)):
        return True
    return isinstance(x, np.ndarray) and x.dtype.kind == "f"


class Params:
    """``args`` (a pytree) with its floating-point leaves as one float64 vector theta (P,);
    integer and other leaves are constants. A complex leaf is refused (``op`` names the
    caller): its derivative would otherwise be lost without a word."""

    def __init__(self, op: str, args: tuple):
        leaves, self.tree = flatten(args)
        self.leaves = list(leaves)
        self.slots = []  # (leaf index, offset, shape, was a Python/NumPy scalar)
        off = 0
        for i, leaf in enumerate(leaves):
            if (is_tensor(leaf) or isinstance(leaf, (np.ndarray, complex, np.complexfloating))) \
                    and np.iscomplexobj(data_of(leaf)):
                raise TypeError(f"{op}: args leaf {i} is complex "
                                f"({np.asarray(data_of(leaf)).dtype}); {op} takes real "
                                f"parameters: pass the real and imaginary parts as separate "
                                f"real arguments")
            if _is_param(leaf):
                shape = tuple(np.shape(data_of(leaf)))
                self.slots.append((i, off, shape, not is_tensor(leaf) and np.ndim(leaf) == 0))
                off += int(np.prod(shape))
        self.P = off
        self._split = None  # (theta, args) of the last args(): every step of a solve reuses it

    def theta(self):
        """The parameters as one vector: a tensor where any of them is one, else NumPy."""
        parts = [self.leaves[i] for i, *_ in self.slots]
        parts = [cnp.reshape(p.double(), (-1,)) if is_tensor(p) else
                 np.asarray(p, dtype=np.float64).reshape(-1) for p in parts]
        if not parts:
            return np.zeros(0)
        if not any(is_tensor(p) for p in parts):
            return np.concatenate(parts)
        return cnp.concatenate(parts)

    def args(self, th) -> tuple:
        """``args`` with the parameters taken from ``th`` (plain scalars stay Python floats,
        so that an integrand may use ``math``); kept for the next call with the same ``th``."""
        hit = self._split
        if hit is not None and hit[0] is th:
            return hit[1]
        leaves = list(self.leaves)
        plain = not is_tensor(th)
        for i, off, shape, scalar in self.slots:
            size = int(np.prod(shape))
            if plain and scalar:
                leaves[i] = float(th[off])
            else:
                leaves[i] = cnp.reshape(th[off:off + size], shape)
        out = tuple(unflatten(self.tree, leaves))
        self._split = (th, out)
        return out
