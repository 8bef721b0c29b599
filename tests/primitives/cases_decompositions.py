"""Primitive-table cases for the linear-algebra family (inverse, solves, determinants,
factorisations, matrix functions), on well-conditioned stacks of matrices. The inputs of
``cholesky`` and ``eigh`` are not symmetric on purpose: the kernels read one triangle, and the
rules differentiate exactly that function."""

import numpy as np
from tests.helpers import rand

_R = np.random.default_rng(7)
_N = _R.standard_normal((2, 3, 3)) + 3 * np.eye(3)  # a stack of two well-conditioned matrices
_SPD = _N @ np.swapaxes(_N, -1, -2) + np.eye(3)
_SPD_SKEWED = _SPD + np.triu(rand((3, 3), 3, -0.3, 0.3), 1)  # upper triangle not read ('L')
_LOWER = np.tril(_N) + 2 * np.eye(3)
# a rotation-like part gives a complex pair of eigenvalues (a real input of a complex result)
_ROT = _R.standard_normal((2, 3, 3)) * 0.3 + np.array([[1.0, 2.0, 0.0], [-2.0, 1.0, 0.0],
                                                         [0.0, 0.0, 3.0]])
_BAND = rand((4, 5), 9)  # lower 1, upper 2 diagonals of a 5 x 5 matrix: row 2 its diagonal
_BAND[2] += 4.0

CASES = {
    "inv": ((_N,), ()),
    "solve": ((_N, rand((3, 2), 1)), ()),  # b broadcast over the stack
    "solve_triangular": ((_LOWER, rand((2, 3, 2), 2)), (True, False)),
    "cholesky": ((_SPD_SKEWED,), ("L",)),
    "det": ((_N,), ()),
    "logabsdet": ((_N,), ()),
    "eigh": ((_SPD_SKEWED.swapaxes(-1, -2),), ("U",)),
    "svd": ((rand((2, 4, 3), 4),), (False, False)),
    "qr": ((rand((2, 4, 3), 5),), ()),
    "eig": ((_ROT,), ()),
    "pinv": ((rand((2, 4, 3), 10),), (1e-15, False)),
    "solve_banded": ((_BAND, rand((5, 2), 11)), (1, 2)),
    "expm": ((0.5 * rand((2, 3, 3), 6),), ()),
    "solve_sylvester": ((_N, _N[::-1], rand((3, 3), 8)), ()),
    "sqrtm": ((_SPD,), ()),
    "logm": ((_SPD / 8,), ()),
}
