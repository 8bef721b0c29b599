"""Primitive-table cases for ``chainrule.primitives.array_ops``."""

from __future__ import annotations

from tests.helpers import rand

# Zeros exercise the exact rules: one zero in the first row, two (the recursion) in the second.
_CUMPROD_X = rand((2, 4), 7)
_CUMPROD_X[0, 1] = _CUMPROD_X[1, 0] = _CUMPROD_X[1, 2] = 0.0

CASES = {
    "cumprod": ((_CUMPROD_X,), (-1,)),
}
