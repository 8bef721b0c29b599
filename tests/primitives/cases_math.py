"""Primitive-table cases for the math family (chainrule.primitives.math): inputs away from the
kinks and edges of each function. Merged into tests/primitives/test_primitive_table.py."""

from __future__ import annotations

import numpy as np
from tests.helpers import away_from_zero, positive, rand

_OFF_INT = np.array([[0.3, -1.4, 2.7], [-0.6, 1.2, 3.4]])
_INTS = np.array([[1, -2, 3]])

CASES = {
    "arcsin": ((rand((2, 3), 1, -0.9, 0.9),), ()),
    "arccos": ((rand((2, 3), 2, -0.9, 0.9),), ()),
    "arctan": ((rand((2, 3), 3),), ()),
    "sinh": ((rand((2, 3), 4),), ()),
    "cosh": ((rand((2, 3), 5),), ()),
    "arcsinh": ((rand((2, 3), 6),), ()),
    "arccosh": ((positive((2, 3), 7, 1.2, 3.0),), ()),
    "arctanh": ((rand((2, 3), 8, -0.9, 0.9),), ()),
    "exp2": ((rand((2, 3), 9),), ()),
    "log2": ((positive((2, 3), 10),), ()),
    "log10": ((positive((2, 3), 11),), ()),
    "logaddexp": ((rand((2, 3), 12), rand((3,), 13)), ()),
    "logaddexp2": ((rand((2, 1), 14), rand((3,), 15)), ()),
    "hypot": ((away_from_zero((2, 3), 16), rand((3,), 17)), ()),
    "arctan2": ((rand((2, 3), 18), away_from_zero((3,), 19)), ()),
    "sinc": ((np.array([[0.0, 0.004, -0.3], [1.7, -2.2, 0.5]]),), ()),
    "fmod": ((np.array([[2.5, -1.3, 0.4]]), np.array([[1.1], [-2.0]])), ()),
    "fmax": ((np.array([[0.1, 1.2, -0.4]]), np.array([[0.5], [-1.0]])), ()),
    "fmin": ((np.array([[0.1, 1.2, -0.4]]), np.array([[0.5], [-1.0]])), ()),
    "square": ((rand((2, 3), 20),), ()),
    "reciprocal": ((away_from_zero((2, 3), 21),), ()),
    "cbrt": ((away_from_zero((2, 3), 22),), ()),
    "deg2rad": ((rand((2, 3), 23),), ()),
    "rad2deg": ((rand((2, 3), 24),), ()),
    "copysign": ((away_from_zero((2, 3), 25), away_from_zero((3,), 26)), ()),
    "nan_to_num": ((np.array([[0.5, np.nan, -1.5], [np.inf, 2.0, -np.inf]]),), (0.0, 9.0, -9.0)),
    "positive": ((rand((2, 3), 27),), ()),
    "heaviside": ((np.array([[0, -1, 2]]), rand((2, 1), 28)), ()),  # x1 == 0: x2 passes
    "rint": ((_OFF_INT,), ()),
    "fix": ((_OFF_INT,), ()),
    "spacing": ((_OFF_INT,), ()),
    "modf_frac": ((_OFF_INT,), ()),
    "float_power": ((positive((2, 3), 30), rand((3,), 31)), ()),
    "ldexp": ((rand((2, 3), 29), _INTS), ()),
}
