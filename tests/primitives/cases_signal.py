"""Primitive-table case for the signal family: the full convolution over the last two axes,
with broadcasting leading axes."""

from tests.helpers import rand

CASES = {
    "convolve_full": ((rand((2, 3, 4), 1), rand((2, 3), 2)), (2,)),
}
