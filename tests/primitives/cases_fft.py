"""Primitive-table cases for the FFT family: the four transform primitives and the roll
behind fftshift, with complex inputs where they take them."""

from tests.helpers import crand, rand

CASES = {
    # crop one axis (5 -> 3), zero-pad the other (2 -> 3)
    "fft_resize": ((crand((2, 5), 1),), ((-2, -1), (3, 3))),
    "fftn": ((crand((2, 3, 4), 2),), ((-3, -1), "ortho", False)),
    "rfftn": ((rand((3, 4), 3),), ((-2, -1), "backward")),
    # a half spectrum of length 3 along the last axis, for an odd output length 5
    "irfftn": ((crand((3, 3), 4),), ((-2, -1), 5, "forward")),
    "fftshift": ((crand((3, 4), 5),), ((1, 2), (-2, -1))),
}
