"""Primitive-table cases for the complex family (real, imag, conj, angle): complex inputs,
checked as pairs of reals (see test_primitive_table.py)."""

from tests.helpers import crand

CASES = {
    "real": ((crand((2, 3), 1),), ()),
    "imag": ((crand((2, 3), 2),), ()),
    "conj": ((crand((2, 3), 3),), ()),
    "angle": ((crand((2, 3), 4),), ()),
}
