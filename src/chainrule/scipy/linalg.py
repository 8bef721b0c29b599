"""``chainrule.scipy.linalg``: differentiable parts of ``scipy.linalg``.

Names, signatures and defaults are SciPy's (``cholesky`` and ``cho_factor`` default to the
upper factor, ``solve_triangular`` to ``lower=False``). Raw arrays in give SciPy's own results;
any tensor in gives tensors out. ``b`` is a vector when it is 1-D and a (stack of) matrices
otherwise, as in SciPy. See docs/linalg.md.
"""

from __future__ import annotations

import numpy as _np
import scipy.linalg as _sl

from ..numpy import linalg as _nl
from ..primitives import decompositions as _d
from ..primitives._core import apply as _apply
from ..primitives._core import tensor_types as _tt
from ..primitives.complex import conj as _conj
from ..primitives.complex import real as _real
from ..primitives.linalg import SWAPLAST as _SWAPLAST
from ..primitives.shape import reshape as _reshape

LinAlgError = _np.linalg.LinAlgError

def _as_double(a):
    """SciPy computes det and logm in double precision (float32 in, float64 out)."""
    from ..primitives.elementwise import astype

    kind = a._data.dtype.kind
    return astype(a, _np.complex128 if kind == "c" else _np.float64) if kind in "fc" and \
        a._data.dtype.itemsize < (16 if kind == "c" else 8) else a


_TRANS = {0: 0, "N": 0, 1: 1, "T": 1, 2: 2, "C": 2}


def _is_t(*xs) -> bool:
    return any(type(x) in _tt for x in xs)


def _shape(x):
    return x._data.shape if type(x) in _tt else _np.shape(x)


def _mT(x):
    return _apply(_SWAPLAST, (x,))


def _mH(x):
    return _conj(_apply(_SWAPLAST, (x,)))


def _as_matrix_rhs(op, a_shape, b):
    """``b`` as a (stack of) matrices, and whether it was a vector."""
    sb = _shape(b)
    n = a_shape[-1]
    vector = len(sb) == 1
    if (sb[0] if vector else (sb[-2] if len(sb) >= 2 else None)) != n:
        raise ValueError(f"{op}: shapes of a {a_shape} and b {sb} are incompatible: b must be a "
                         f"vector of length {n} or a (stack of) matrices with {n} rows")
    return (_reshape(b, (n, 1)) if vector else b), vector


def solve_triangular(a, b, trans=0, lower: bool = False, unit_diagonal: bool = False,
                     overwrite_b: bool = False, check_finite: bool = True):
    """``scipy.linalg.solve_triangular``: x with ``a x = b`` (``trans=1``: ``a^T x = b``,
    ``trans=2``: ``a^H x = b``), reading only one triangle of ``a``. Differentiable in ``a``
    (that triangle) and ``b``, real or complex."""
    if not _is_t(a, b):
        return _sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal,
                                    overwrite_b=overwrite_b, check_finite=check_finite)
    if trans not in _TRANS:
        raise ValueError(f"solve_triangular: invalid trans {trans!r}; use 0 ('N'), 1 ('T') or "
                         f"2 ('C')")
    sa = _nl._square("solve_triangular", a)
    a, b = _nl._floating(a), _nl._floating(b)
    bm, vector = _as_matrix_rhs("solve_triangular", sa, b)
    if _TRANS[trans]:  # a^T (a^H) is triangular on the other side
        a, lower = (_mT(a) if _TRANS[trans] == 1 else _mH(a)), not lower
    x = _d.solve_triangular(a, bm, bool(lower), bool(unit_diagonal))
    return x[..., 0] if vector else x


def cholesky(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """``scipy.linalg.cholesky``: the upper factor U with A = U^T U by default (SciPy's
    default), the lower with ``lower=True``."""
    if not _is_t(a):
        return _sl.cholesky(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite)
    return _nl.cholesky(a, upper=not lower)


def cho_factor(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """``scipy.linalg.cho_factor``: ``(c, lower)``, SciPy's values: the factor in one triangle,
    ``a``'s own entries in the other (which ``cho_solve`` does not read; their gradient passes
    to ``a`` unchanged)."""
    if not _is_t(a):
        return _sl.cho_factor(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite)
    from ..numpy import _indexing as _na

    a = _nl._floating(a)
    factor = cholesky(a, lower=lower)
    return factor + (_na.triu(a, 1) if lower else _na.tril(a, -1)), lower


def cho_solve(c_and_lower, b, overwrite_b: bool = False, check_finite: bool = True):
    """``scipy.linalg.cho_solve``: x with ``A x = b`` from ``cho_factor``'s result; two
    triangular solves, differentiable in the factor and ``b``."""
    c, lower = c_and_lower
    if not _is_t(c, b):
        return _sl.cho_solve((c, lower), b, overwrite_b=overwrite_b, check_finite=check_finite)
    lo = c if lower else _mH(c)  # only the factor's triangle is read
    y = solve_triangular(lo, b, lower=True)
    return solve_triangular(lo, y, trans=2, lower=True)


def expm(A):
    """``scipy.linalg.expm``; its derivative is the Fréchet derivative, computed with expm of a
    block-triangular matrix twice the size (the reverse rule uses A^T)."""
    if not _is_t(A):
        return _sl.expm(A)
    A, _ = _nl._prep("expm", A)
    return _d.expm(A)


def sqrtm(A, disp=True, blocksize=64):
    """``scipy.linalg.sqrtm`` for matrices with a real square root (eigenvalues off the
    negative real axis). The derivative solves the Sylvester equation X dX + dX X = dA, which is
    well posed when no two eigenvalues of X sum to zero: stable for symmetric positive definite
    matrices and close to them, ill-conditioned as eigenvalues approach 0."""
    if not _is_t(A):
        return _sl.sqrtm(A)
    A, _ = _nl._prep("sqrtm", A)
    return _d.sqrtm(A)


def logm(A, disp=True):
    """``scipy.linalg.logm`` for matrices with a real logarithm (no eigenvalue on the closed
    negative real axis); the derivative is the Fréchet derivative by the block-triangular
    identity, as for expm."""
    if not _is_t(A):
        return _sl.logm(A)
    A, _ = _nl._prep("logm", _as_double(A))
    return _d.logm(A)


def solve_sylvester(a, b, q):
    """``scipy.linalg.solve_sylvester``: X with ``a X + X b = q``, differentiable in all three."""
    if not _is_t(a, b, q):
        return _sl.solve_sylvester(a, b, q)
    _nl._square("solve_sylvester", a)
    _nl._square("solve_sylvester", b)
    _nl._real_only("solve_sylvester", a, b, q)
    return _d.solve_sylvester(*(_nl._floating(x) for x in (a, b, q)))


def solve(a, b, lower: bool = False, overwrite_a: bool = False, overwrite_b: bool = False,
          check_finite: bool = True, assume_a=None, transposed: bool = False):
    """``scipy.linalg.solve``. For tensors, ``assume_a`` reads the part of ``a`` that SciPy
    reads (one triangle for 'sym', 'her' and 'pos'; the diagonal; the band of 'tridiagonal';
    a triangle for the triangular kinds) and the system is solved by LU (or a triangular
    solve): the values agree with SciPy's to rounding, and the gradient flows to that part."""
    if not _is_t(a, b):
        return _sl.solve(a, b, lower=lower, overwrite_a=overwrite_a, overwrite_b=overwrite_b,
                         check_finite=check_finite, assume_a=assume_a, transposed=transposed)
    from ..numpy import _indexing as _na

    kind = _ASSUME.get(assume_a)
    if kind is None:
        raise ValueError(f"solve: assume_a={assume_a!r} is not one of {sorted(_ASSUME, key=str)}")
    if kind == "triangular":
        tri_lower = assume_a in ("lower triangular", "lower")
        return solve_triangular(a, b, trans=1 if transposed else 0, lower=tri_lower)
    if kind == "sym":
        tri = _na.tril(a) if lower else _na.triu(a)
        strict = _na.tril(a, -1) if lower else _na.triu(a, 1)
        if assume_a in _HERMITIAN and _np.iscomplexobj(a._data if _is_t(a) else a):
            # the other triangle conjugated and mirrored, the diagonal's real part (LAPACK's)
            diag = _na.tril(_na.triu(a))
            a = tri - diag + _real(diag) + _mH(strict)
        else:
            a = tri + _mT(strict)  # the other triangle mirrored
    elif kind == "diagonal":
        a = _na.tril(_na.triu(a))
    elif kind == "tridiagonal":
        a = _na.tril(_na.triu(a, -1), 1)
    if transposed:
        a = _mT(a)
    return _nl.solve(a, b)


_HERMITIAN = frozenset({"her", "hermitian", "pos", "positive definite"})

# SciPy's names for assume_a, and what part of ``a`` each reads.
_ASSUME = {None: "general", "gen": "general", "general": "general", "sym": "sym",
           "symmetric": "sym", "her": "sym", "hermitian": "sym", "pos": "sym",
           "positive definite": "sym", "diagonal": "diagonal", "tridiagonal": "tridiagonal",
           "upper triangular": "triangular", "lower triangular": "triangular"}


def solve_banded(l_and_u, ab, b, overwrite_ab: bool = False, overwrite_b: bool = False,
                 debug=None, check_finite: bool = True):
    """``scipy.linalg.solve_banded``: x with ``a x = b`` for ``a`` in band storage
    (``ab[u + i - j, j] = a[i, j]``, ``l_and_u = (l, u)`` the numbers of nonzero lower and upper
    diagonals); ``b`` of shape (n,) or (n, k). Differentiable in ``ab`` (the entries that stand
    for ``a``; the unused corners of the storage get gradient 0) and ``b``, real or complex;
    every rule is a banded solve or a product along the band, O(n (l + u)) per column."""
    if not _is_t(ab, b):
        return _sl.solve_banded(l_and_u, ab, b, overwrite_ab=overwrite_ab,
                                overwrite_b=overwrite_b, check_finite=check_finite)
    try:
        lo, up = (int(v) for v in l_and_u)
    except (TypeError, ValueError):
        raise ValueError(f"solve_banded: l_and_u must be a pair of integers (l, u), got "
                         f"{l_and_u!r}") from None
    sab, sb = _shape(ab), _shape(b)
    if lo < 0 or up < 0:
        raise ValueError(f"solve_banded: the numbers of diagonals (l, u) must be non-negative, "
                         f"got ({lo}, {up})")
    if len(sab) != 2 or sab[0] != lo + up + 1:
        raise ValueError(f"solve_banded: ab of shape {sab} does not hold (l, u) = ({lo}, {up}) "
                         f"diagonals: it must be 2-D with l + u + 1 = {lo + up + 1} rows")
    n = sab[1]
    if len(sb) not in (1, 2) or sb[0] != n:
        raise ValueError(f"solve_banded: b of shape {sb} does not fit ab of shape {sab}: it must "
                         f"be a vector of length {n} or a matrix with {n} rows")
    ab, b = _nl._floating(ab), _nl._floating(b)
    if len(sb) == 1:
        return _d.solve_banded(ab, _reshape(b, (n, 1)), lo, up)[..., 0]
    return _d.solve_banded(ab, b, lo, up)


def inv(a, overwrite_a: bool = False, check_finite: bool = True):
    """``scipy.linalg.inv``."""
    if not _is_t(a):
        return _sl.inv(a, overwrite_a=overwrite_a, check_finite=check_finite)
    return _nl.inv(a)


def det(a, overwrite_a: bool = False, check_finite: bool = True):
    """``scipy.linalg.det``; its gradient is the cofactor matrix (singular matrices too)."""
    if not _is_t(a):
        return _sl.det(a, overwrite_a=overwrite_a, check_finite=check_finite)
    return _nl.det(_as_double(a))


__all__ = ["solve_triangular", "solve_banded", "cholesky", "cho_factor", "cho_solve", "expm",
           "sqrtm", "logm", "solve_sylvester", "solve", "inv", "det", "LinAlgError"]
