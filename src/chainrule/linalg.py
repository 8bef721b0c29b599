"""``chainrule.linalg``: ``torch.linalg`` in PyTorch's spelling (docs/pytorch.md, "linalg, fft,
special").

The functions compose those of ``chainrule.numpy.linalg`` and ``chainrule.ops.linalg`` (which
apply the decomposition primitives), so every derivative is written once, in the primitive
table. Inputs are tensors (arrays and numbers are taken as constant tensors); results are
tensors, and the named tuples carry PyTorch's field names.
"""

from __future__ import annotations

import operator
from collections import namedtuple

import numpy as _np

from .numpy import linalg as _nl
from .ops import _linalg as _ol
from .ops._linalg import LinAlgError, _floating, _matrix, _mT, _square, _tensor
from .primitives import decompositions as _d
from .primitives._core import values_of
from .primitives.complex import conj as _conj
from .primitives.complex import real as _real
from .primitives.elementwise import abs as _abs
from .primitives.elementwise import astype as _astype
from .primitives.elementwise import where as _where
from .primitives.linalg import matmul as _matmul
from .primitives.reduction import sum as _sum
from .primitives.shape import broadcast_to as _broadcast_to
from .primitives.shape import concatenate as _concatenate
from .primitives.shape import normalize_dim as _normalize_dim
from .primitives.shape import permute as _permute
from .primitives.shape import reshape as _reshape

# torch.return_types' names and fields
slogdet_result = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
eigh_result = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
eig_result = namedtuple("linalg_eig", ["eigenvalues", "eigenvectors"])
svd_result = namedtuple("linalg_svd", ["U", "S", "Vh"])
qr_result = namedtuple("linalg_qr", ["Q", "R"])
lstsq_result = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
inv_ex_result = namedtuple("linalg_inv_ex", ["inverse", "info"])
cholesky_ex_result = namedtuple("linalg_cholesky_ex", ["L", "info"])
solve_ex_result = namedtuple("linalg_solve_ex", ["result", "info"])
lu_result = namedtuple("linalg_lu", ["P", "L", "U"])
lu_factor_result = namedtuple("linalg_lu_factor", ["LU", "pivots"])
lu_factor_ex_result = namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
ldl_factor_result = namedtuple("linalg_ldl_factor", ["LD", "pivots"])
ldl_factor_ex_result = namedtuple("linalg_ldl_factor_ex", ["LD", "pivots", "info"])


def _out_dtype(x, dtype):
    """PyTorch's ``dtype=``: the input is cast before the computation."""
    return x if dtype is None else _astype(x, _np.dtype(dtype))


def _dims(dim, nd, op):
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(_normalize_dim(d, nd, op) for d in dim)
    return (_normalize_dim(operator.index(dim), nd, op),)


def _batch_info(shape):
    return _tensor(_np.zeros(tuple(shape[:-2]), dtype=_np.int32))


# --- determinants, inverses, solves -------------------------------------------------------------
def det(A):  # noqa: N803 - PyTorch's name
    """``torch.linalg.det``."""
    return _ol.det(A)


def slogdet(A):  # noqa: N803
    """``torch.linalg.slogdet``: ``(sign, logabsdet)``."""
    return slogdet_result(*_ol.slogdet(A))


def inv(A):  # noqa: N803
    """``torch.linalg.inv``."""
    return _ol.inverse(A)


def inv_ex(A, *, check_errors: bool = False):  # noqa: N803
    """``torch.linalg.inv_ex``: ``(inverse, info)``; ``info`` is k > 0 for a singular matrix
    (U[k-1, k-1] = 0 in its LU), whose inverse is then filled with nan (PyTorch leaves it
    unspecified)."""
    a = _floating(A)
    s = _square("linalg.inv_ex", a)
    info = _ol.lu_pivots(a._data, "linalg.inv_ex")[2]
    if not _np.any(info):
        return inv_ex_result(_d.inv(a), _tensor(info))
    if check_errors:
        raise LinAlgError(f"linalg.inv_ex: the matrix is singular (info = {info.tolist()}: "
                          f"U[k-1, k-1] of its LU is zero)")
    bad = (info > 0)[..., None, None]
    eye = _np.broadcast_to(_np.eye(s[-1], dtype=a._data.dtype), s)
    x = _d.inv(_where(bad, eye, a))
    return inv_ex_result(_where(bad, _np.nan, x), _tensor(info))


def _vector_rhs(a_shape, b_shape) -> bool:
    # PyTorch's rule: B is a (batch of) vector(s) when it is 1-D or has A's shape without the
    # last dimension
    return len(b_shape) == 1 or (len(b_shape) == len(a_shape) - 1
                                 and tuple(b_shape) == tuple(a_shape[:-1]))


def solve(A, B, *, left: bool = True):  # noqa: N803
    """``torch.linalg.solve``: X with A X = B (``left=False``: X A = B); B a (batch of)
    vectors (*, n) or matrices (*, n, k)."""
    a, b = _floating(A), _floating(B)
    sa = _square("linalg.solve", a)
    sb = b._data.shape
    if _vector_rhs(sa, sb):
        x = solve(a, _reshape(b, (*sb, 1)), left=left) if left else \
            solve(a, _reshape(b, (*sb[:-1], 1, sb[-1])), left=False)
        return _reshape(x, sb)
    if len(sb) < 2:
        raise ValueError(f"linalg.solve: B of shape {tuple(sb)} does not fit A of shape "
                         f"{tuple(sa)}: it must be (*, n) or (*, n, k) with n = {sa[-1]}")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return _mT(solve(_mT(a), _mT(b)))
    if sb[-2] != sa[-1]:
        raise ValueError(f"linalg.solve: B of shape {tuple(sb)} does not fit A of shape "
                         f"{tuple(sa)}: B needs {sa[-1]} rows")
    return _d.solve(a, b)


def solve_ex(A, B, *, left: bool = True, check_errors: bool = False):  # noqa: N803
    """``torch.linalg.solve_ex``: ``(result, info)``; info = k > 0 for a singular A (U[k-1, k-1]
    = 0 in its LU), whose result is then filled with nan (``check_errors``: raises)."""
    a, b = _floating(A), _floating(B)
    s = _square("linalg.solve_ex", a)
    info = _ol.lu_pivots(a._data, "linalg.solve_ex")[2]
    if not _np.any(info):
        return solve_ex_result(solve(a, b, left=left), _tensor(info))
    if check_errors:
        raise LinAlgError(f"linalg.solve_ex: the matrix is singular (info = {info.tolist()}: "
                          f"U[k-1, k-1] of its LU is zero)")
    bad = (info > 0)[..., None, None]
    eye = _np.broadcast_to(_np.eye(s[-1], dtype=a._data.dtype), s)
    x = solve(_where(bad, eye, a), b, left=left)
    mask = bad[..., 0] if _vector_rhs(s, b._data.shape) else bad
    return solve_ex_result(_where(mask, _np.nan, x), _tensor(info))


def solve_triangular(A, B, *, upper: bool, left: bool = True,  # noqa: N803
                     unitriangular: bool = False):
    """``torch.linalg.solve_triangular``: X with A X = B (``left=False``: X A = B), reading only
    the upper or lower triangle of A (not its diagonal with ``unitriangular``)."""
    a, b = _floating(A), _floating(B)
    _square("linalg.solve_triangular", a)
    if b._data.ndim < 2:
        raise ValueError(f"linalg.solve_triangular: B must be a (batch of) matrices, got shape "
                         f"{b._data.shape}; use B.unsqueeze(-1) for a vector")
    if not left:
        return _mT(_d.solve_triangular(_mT(a), _mT(b), bool(upper), bool(unitriangular)))
    return _d.solve_triangular(a, b, not upper, bool(unitriangular))


def lstsq(A, B, rcond=None, *, driver=None):  # noqa: N803
    """``torch.linalg.lstsq``: ``(solution, residuals, rank, singular_values)``. The solution is
    the least-norm one, pinv(A) B (differentiable while the rank does not change). The other
    fields follow PyTorch's CPU drivers: residuals (squared, per column of B) for a tall A of
    full rank with 'gels', 'gelsd' and 'gelss' (empty with the default 'gelsy'), the rank with
    all but 'gels', the singular values with 'gelsd' and 'gelss'."""
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise ValueError(f"linalg.lstsq: driver must be one of None, 'gels', 'gelsy', 'gelsd', "
                         f"'gelss', got {driver!r}")
    a, b = _floating(A), _floating(B)
    sa = _matrix("linalg.lstsq", a)
    sb = b._data.shape
    vector = len(sb) == len(sa) - 1
    if vector:
        b = _reshape(b, (*sb, 1))
    if b._data.shape[-2] != sa[-2]:
        raise ValueError(f"linalg.lstsq: B of shape {tuple(sb)} does not fit A of shape "
                         f"{tuple(sa)}: both need {sa[-2]} rows")
    m, n = sa[-2:]
    eps = _np.finfo(a._data.dtype).eps
    rc = eps * max(m, n) if rcond is None else float(rcond)
    x = _matmul(_d.pinv(a, _np.asarray(rc), False), b)
    sv = _np.linalg.svd(a._data, compute_uv=False)
    rank = _np.sum(sv > rc * _np.max(sv, axis=-1, keepdims=True, initial=0.0), axis=-1)
    dt = _np.empty(0, a._data.dtype).real.dtype
    res = _tensor(_np.empty((0,), dtype=dt))
    svt = _tensor(_np.empty((0,), dtype=dt))
    if driver in ("gelsd", "gelss"):
        svt = _nl.svdvals(a)
    if driver in ("gels", "gelsd", "gelss") and m > n and _np.all(rank == n):
        r = b - _matmul(a, x)
        res = _sum(_real(_conj(r) * r), axis=-2)
    rank_t = _tensor(_np.empty((0,), _np.int64) if driver == "gels" else rank.astype(_np.int64))
    if vector:
        x = _reshape(x, x._data.shape[:-1])
    return lstsq_result(x, res, rank_t, svt)


def cholesky(A, *, upper: bool = False):  # noqa: N803
    """``torch.linalg.cholesky``: reads the lower triangle; the gradient is Hermitian, as
    PyTorch's."""
    return _ol.cholesky(A, upper)


def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False):  # noqa: N803
    """``torch.linalg.cholesky_ex``: ``(L, info)``; info = k > 0 when the leading minor of order
    k is not positive definite (L is then filled with nan)."""
    a = _floating(A)
    s = _square("linalg.cholesky_ex", a)
    try:
        return cholesky_ex_result(_ol.cholesky(a, upper), _batch_info(s))
    except LinAlgError:
        pass
    d = a._data.reshape((-1, *s[-2:]))
    info = _np.zeros(len(d), dtype=_np.int32)
    for i, m in enumerate(d):
        for k in range(1, s[-1] + 1):
            try:
                _np.linalg.cholesky(m[:k, :k])
            except LinAlgError:
                info[i] = k
                break
    info = info.reshape(s[:-2])
    if check_errors:
        raise LinAlgError(f"linalg.cholesky_ex: the matrix is not positive definite (info = "
                          f"{info.tolist()}: the leading minor of that order is not)")
    bad = (info > 0)[..., None, None]
    eye = _np.broadcast_to(_np.eye(s[-1], dtype=a._data.dtype), s)
    lo = _ol.cholesky(_where(bad, eye, a), upper)
    return cholesky_ex_result(_where(bad, _np.nan, lo), _tensor(info))


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False):  # noqa: N803
    """``torch.linalg.pinv``: singular values at or below max(atol, rtol * largest) are dropped
    (rtol defaults to eps * max(m, n) when neither is given, else to 0); differentiable while
    the rank does not change."""
    a = _floating(A)
    s = _square("linalg.pinv", a) if hermitian else _matrix("linalg.pinv", a)
    m, n = s[-2:]
    eps = _np.finfo(a._data.dtype).eps
    rt = _np.asarray(_tensor(rtol)._data if rtol is not None else
                     (eps * max(m, n) if atol is None else 0.0), dtype=_np.float64)
    # hermitian: NumPy's kernel reads the lower triangle; the rule (Golub and Pereyra's, in A and
    # its pseudo-inverse) differentiates every entry, as PyTorch does
    rc = rt
    if atol is not None:
        top = (_np.max(_np.abs(_np.linalg.eigvalsh(a._data)), axis=-1) if hermitian
               else _np.linalg.svd(a._data, compute_uv=False)[..., 0]) if a._data.size else 0.0
        with _np.errstate(divide="ignore", invalid="ignore"):
            rel = _np.where(top > 0, values_of(atol, "linalg.pinv") / _np.where(
                top > 0, top, 1.0), _np.inf)
        rc = _np.maximum(rt if rtol is None else values_of(rtol, "linalg.pinv"), rel)
    return _d.pinv(a, _np.asarray(rc), hermitian)


def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False):  # noqa: N803
    """``torch.linalg.matrix_rank``: an int64 count (no gradient)."""
    a = _floating(A)
    s = _matrix("linalg.matrix_rank", a)
    sv = (_np.abs(_np.linalg.eigvalsh(a._data)) if hermitian
          else _np.linalg.svd(a._data, compute_uv=False))
    top = _np.max(sv, axis=-1, initial=0.0)
    eps = _np.finfo(a._data.dtype).eps
    rt = (eps * max(s[-2:]) if atol is None else 0.0) if rtol is None \
        else values_of(rtol, "linalg.matrix_rank")
    at = 0.0 if atol is None else values_of(atol, "linalg.matrix_rank")
    tol = _np.maximum(at, rt * top)
    return _tensor(_np.sum(sv > _np.asarray(tol)[..., None], axis=-1).astype(_np.int64))


def matrix_power(A, n: int):  # noqa: N803
    """``torch.linalg.matrix_power``."""
    return _ol.matrix_power(A, n)


def matrix_exp(A):  # noqa: N803
    """``torch.linalg.matrix_exp`` (needs SciPy)."""
    return _ol.matrix_exp(A)


# --- factorisations -----------------------------------------------------------------------------
def qr(A, mode: str = "reduced"):  # noqa: N803
    """``torch.linalg.qr``: ``(Q, R)``; ``mode`` 'reduced', 'complete' (differentiable for
    square and wide A) or 'r' (Q is empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    a = _floating(A)
    _matrix("linalg.qr", a)
    if mode == "r":
        return qr_result(_tensor(_np.empty((0,), a._data.dtype)), _nl.qr(a, mode="r"))
    return qr_result(*_nl.qr(a, mode=mode))


def eigh(A, UPLO: str = "L"):  # noqa: N803
    """``torch.linalg.eigh``: ``(eigenvalues, eigenvectors)`` of the Hermitian matrix that the
    ``UPLO`` triangle stands for; the gradient of the eigenvectors needs distinct eigenvalues
    (or a loss that does not depend on the basis of a repeated one)."""
    return eigh_result(*_nl.eigh(_ol.hermitian_part(_floating(A), UPLO), UPLO))


def eigvalsh(A, UPLO: str = "L"):  # noqa: N803
    """``torch.linalg.eigvalsh``."""
    return _nl.eigvalsh(_ol.hermitian_part(_floating(A), UPLO), UPLO)


def _complex(x):
    return x if x._data.dtype.kind == "c" else _astype(x, _np.result_type(x._data.dtype, 1j))


def eig(A):  # noqa: N803
    """``torch.linalg.eig``: complex eigenvalues and eigenvectors (unit norm; NumPy's phase,
    the largest entry real: a loss should not depend on the phase, as PyTorch documents)."""
    w, v = _nl.eig(_floating(A))
    return eig_result(_complex(w), _complex(v))


def eigvals(A):  # noqa: N803
    """``torch.linalg.eigvals``: complex eigenvalues."""
    return _complex(_nl.eigvals(_floating(A)))


def svd(A, full_matrices: bool = True, *, driver=None):  # noqa: N803
    """``torch.linalg.svd``: ``(U, S, Vh)``."""
    return svd_result(*_nl.svd(_floating(A), full_matrices=full_matrices))


def svdvals(A, *, driver=None):  # noqa: N803
    """``torch.linalg.svdvals``."""
    return _nl.svdvals(_floating(A))


def lu_factor(A, *, pivot: bool = True):  # noqa: N803
    """``torch.linalg.lu_factor``: ``(LU, pivots)``, LAPACK's packed form and 1-based swaps."""
    _, pivots, _, lo, up = _ol.lu_parts(A, pivot)
    return lu_factor_result(_ol.pack_lu(lo, up), _tensor(pivots))


def lu_factor_ex(A, *, pivot: bool = True, check_errors: bool = False):  # noqa: N803
    """``torch.linalg.lu_factor_ex``: ``(LU, pivots, info)``."""
    _, pivots, info, lo, up = _ol.lu_parts(A, pivot)
    if check_errors and _np.any(info):
        raise LinAlgError(f"linalg.lu_factor_ex: U[k-1, k-1] is exactly zero for k = "
                          f"{info.tolist()}")
    return lu_factor_ex_result(_ol.pack_lu(lo, up), _tensor(pivots), _tensor(info))


def lu(A, *, pivot: bool = True):  # noqa: N803
    """``torch.linalg.lu``: ``(P, L, U)`` with A = P L U."""
    a = _floating(A)
    perm, _, _, lo, up = _ol.lu_parts(a, pivot)
    return lu_result(_tensor(_ol._perm_matrix(perm, a._data.dtype)), lo, up)


def lu_solve(LU, pivots, B, *, left: bool = True, adjoint: bool = False):  # noqa: N803
    """``torch.linalg.lu_solve``: X with A X = B (``adjoint``: A^H X = B; ``left=False``:
    X A = B) from ``lu_factor``'s result."""
    lu_data = _floating(LU)
    m = _square("linalg.lu_solve", lu_data)[-1]
    return _ol.lu_solve_packed(lu_data, _ol.pivots_to_perm(pivots, m), B, left, adjoint)


def householder_product(A, tau):  # noqa: N803
    """``torch.linalg.householder_product``: the first n columns of H_1 ... H_k, H_i = I -
    tau_i v_i v_i^H, v_i the i-th column of A below the diagonal and 1 on it."""
    return _ol.householder_product(A, tau)


# --- LDL (values only, as in PyTorch) ------------------------------------------------------------
def _no_derivative(op, *xs):
    if any(_ol._requires(x) for x in xs):
        raise NotImplementedError(f"linalg.{op}: its derivative is not provided (nor by PyTorch); "
                                  f"detach() the inputs for values only, or use "
                                  f"linalg.solve / linalg.cholesky, which are differentiable")


def _lapack(name, hermitian, x):
    from scipy.linalg.lapack import get_lapack_funcs

    kind = ("he" if hermitian and x.dtype.kind == "c" else "sy") + name
    return get_lapack_funcs((kind,), (x,))[0]


def ldl_factor_ex(A, *, hermitian: bool = False, check_errors: bool = False):  # noqa: N803
    """``torch.linalg.ldl_factor_ex``: ``(LD, pivots, info)``, LAPACK's Bunch-Kaufman
    factorisation (?sytrf / ?hetrf, through SciPy) of the symmetric (``hermitian``: Hermitian)
    matrix that the lower triangle stands for. Values only."""
    a = _floating(A)
    _no_derivative("ldl_factor", a)
    s = _square("linalg.ldl_factor", a)
    n = s[-1]
    d = values_of(a, "linalg.ldl_factor").reshape((int(_np.prod(s[:-2], dtype=_np.int64)), n, n))
    ld = _np.zeros(d.shape, d.dtype)
    piv = _np.zeros(d.shape[:2], _np.int32)
    info = _np.zeros(len(d), _np.int32)
    if n:
        trf = _lapack("trf", hermitian, d)
        for i, m in enumerate(d):
            f, p, inf = trf(m, lower=1)
            ld[i], piv[i], info[i] = _np.tril(f), p, inf
    info = info.reshape(s[:-2])
    if check_errors and _np.any(info):
        raise LinAlgError(f"linalg.ldl_factor_ex: D is exactly singular (info = "
                          f"{info.tolist()})")
    return ldl_factor_ex_result(_tensor(ld.reshape(s)), _tensor(piv.reshape(s[:-1])),
                                _tensor(info))


def ldl_factor(A, *, hermitian: bool = False):  # noqa: N803
    """``torch.linalg.ldl_factor``: ``(LD, pivots)`` (values only)."""
    r = ldl_factor_ex(A, hermitian=hermitian)
    return ldl_factor_result(r.LD, r.pivots)


def ldl_solve(LD, pivots, B, *, hermitian: bool = False):  # noqa: N803
    """``torch.linalg.ldl_solve``: X with A X = B from ``ldl_factor``'s result (values only;
    batch dimensions broadcast)."""
    ld, b = _floating(LD), _floating(B)
    _no_derivative("ldl_solve", ld, b)
    s = _square("linalg.ldl_solve", ld)
    pv = values_of(pivots, "linalg.ldl_solve")  # LAPACK on the values
    ldv, bv = values_of(ld, "linalg.ldl_solve"), values_of(b, "linalg.ldl_solve")
    sb = b._data.shape
    if len(sb) < 2 or sb[-2] != s[-1]:
        raise ValueError(f"linalg.ldl_solve: B of shape {tuple(sb)} does not fit LD of shape "
                         f"{tuple(s)}: it must be (*, {s[-1]}, k)")
    batch = _np.broadcast_shapes(s[:-2], pv.shape[:-1], sb[:-2])
    dt = _np.result_type(ld._data.dtype, b._data.dtype)
    nb = int(_np.prod(batch, dtype=_np.int64))
    lds = _np.broadcast_to(ldv, (*batch, *s[-2:])).astype(dt).reshape((nb, *s[-2:]))
    pvs = _np.broadcast_to(pv, (*batch, pv.shape[-1])).reshape((nb, pv.shape[-1]))
    bs = _np.broadcast_to(bv, (*batch, *sb[-2:])).astype(dt).reshape((nb, *sb[-2:]))
    out = _np.zeros(bs.shape, dt)
    if s[-1] and bs.size:
        trs = _lapack("trs", hermitian, lds)
        for i in range(len(bs)):
            out[i] = trs(lds[i], pvs[i], bs[i], lower=1)[0]
    return _tensor(out.reshape((*batch, *sb[-2:])))


# --- norms --------------------------------------------------------------------------------------
def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    """``torch.linalg.vector_norm``: over all entries (``dim=None``), one dimension or several."""
    x = _out_dtype(_floating(x), dtype)
    nd = x._data.ndim
    if nd == 0:  # a number: dim 0 or -1 names it, as PyTorch allows
        _dims(dim, 1, "linalg.vector_norm")
        return _reshape(vector_norm(_reshape(x, (1,)), ord), ())
    axes = _dims(dim, nd, "linalg.vector_norm")
    if isinstance(ord, (int, float)) and -_np.inf < ord < 0:
        # a zero entry makes the norm 0; there the gradient is 0 (PyTorch's), not 0 * inf
        ax = _abs(x)
        small = ax._data == 0
        zero = _np.any(small, axis=axes, keepdims=True)
        terms = _where(small, 0.0, _where(small, 1.0, ax) ** ord)
        total = _sum(terms, axis=axes, keepdims=True)
        r = _where(zero, 0.0, _where(zero, 1.0, total) ** (1.0 / ord))
        if not keepdim:
            r = _reshape(r, tuple(d for i, d in enumerate(r._data.shape)
                                  if axes is not None and i not in axes))
        return r
    if ord == 0:  # the count of nonzeros, with a zero gradient (PyTorch's)
        nz = _where(x._data != 0, 1.0, _real(x) * 0.0) if x._data.dtype.kind == "c" else \
            _where(x._data != 0, 1.0, x * 0.0)
        return _sum(nz, axis=axes, keepdims=keepdim)
    return _nl.vector_norm(x, axis=axes if axes is None or len(axes) > 1 else axes[0],
                           keepdims=keepdim, ord=ord)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):  # noqa: A002,N803
    """``torch.linalg.matrix_norm``: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2 over ``dim``."""
    a = _out_dtype(_floating(A), dtype)
    axes = _dims(dim, a._data.ndim, "linalg.matrix_norm")
    if axes is None or len(axes) != 2:
        raise ValueError(f"linalg.matrix_norm: dim must be a pair of dimensions, got {dim!r}")
    return _nl.norm(a, ord=ord, axis=axes, keepdims=keepdim)


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002,N803
    """``torch.linalg.norm``: a vector norm for one ``dim`` (or a 1-D input), a matrix norm for
    two (or a 2-D input with ``ord`` given); with neither ``ord`` nor ``dim``, the 2-norm of all
    entries."""
    a = _out_dtype(_floating(A), dtype)
    nd = a._data.ndim
    if dim is None:
        if ord is None:
            return vector_norm(a, 2, None, keepdim)
        if nd not in (1, 2):
            raise ValueError(f"linalg.norm: with ord={ord!r} and dim=None the input must be 1-D "
                             f"or 2-D, got shape {a._data.shape}; give dim")
        dim = (-2, -1) if nd == 2 else -1
    axes = _dims(dim, nd, "linalg.norm")
    if len(axes) == 1:
        return vector_norm(a, 2 if ord is None else ord, axes, keepdim)
    return matrix_norm(a, "fro" if ord is None else ord, axes, keepdim)


def cond(A, p=None):  # noqa: N803
    """``torch.linalg.cond``."""
    return _nl.cond(_floating(A), p)


# --- products and the rest ----------------------------------------------------------------------
def multi_dot(tensors):
    """``torch.linalg.multi_dot``: a 1-D first (last) tensor is a row (column) vector."""
    return _nl.multi_dot([_tensor(t) for t in tensors])


def matmul(input, other):  # noqa: A002
    """``torch.linalg.matmul``."""
    return _matmul(input, other)


def cross(input, other, *, dim: int = -1):  # noqa: A002
    """``torch.linalg.cross``: 3-element vectors along ``dim``, broadcasting."""
    x, y = _tensor(input), _tensor(other)
    shape = _np.broadcast_shapes(x._data.shape, y._data.shape)
    x = x if x._data.shape == shape else _broadcast_to(x, shape)
    y = y if y._data.shape == shape else _broadcast_to(y, shape)
    return _nl.cross(x, y, axis=dim)


def vecdot(x, y, *, dim: int = -1):
    """``torch.linalg.vecdot``: sum(conj(x) * y) along ``dim``."""
    return _nl.vecdot(_tensor(x), _tensor(y), axis=dim)


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1):  # noqa: N803
    """``torch.linalg.diagonal``: the diagonal of the (dim1, dim2) planes, as the last axis."""
    a = _tensor(A)
    nd = a._data.ndim
    d1, d2 = _normalize_dim(dim1, nd, "linalg.diagonal"), _normalize_dim(dim2, nd,
                                                                          "linalg.diagonal")
    if d1 == d2:
        raise ValueError(f"linalg.diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    rest = tuple(i for i in range(nd) if i not in (d1, d2))
    return _nl.diagonal(_permute(a, rest + (d1, d2)), offset=offset)


def tensorinv(A, ind: int = 2):  # noqa: N803
    """``torch.linalg.tensorinv``."""
    return _nl.tensorinv(_floating(A), ind=ind)


def tensorsolve(A, B, dims=None):  # noqa: N803
    """``torch.linalg.tensorsolve``."""
    return _nl.tensorsolve(_floating(A), _floating(B), axes=dims)


def vander(x, *, N=None):  # noqa: N803
    """``torch.linalg.vander``: columns x^0, x^1, ..., x^(N-1) (increasing powers), built by
    products so that the derivative at x = 0 is finite."""
    x = _tensor(x)
    if x._data.ndim < 1:  # PyTorch takes a number as one point
        x = _reshape(x, (1,))
    n = x._data.shape[-1] if N is None else operator.index(N)
    if n < 1:
        raise ValueError(f"linalg.vander: N must be at least 1, got {n}")
    col = _reshape(x, (*x._data.shape, 1))
    cols = [_tensor(_np.ones(col._data.shape, x._data.dtype))]
    for _ in range(1, n):
        cols.append(cols[-1] * col)
    return _concatenate(cols, axis=-1)


__all__ = [
    "LinAlgError", "det", "slogdet", "inv", "inv_ex", "solve", "solve_ex", "solve_triangular",
    "lstsq", "cholesky", "cholesky_ex", "pinv", "matrix_rank", "matrix_power", "matrix_exp",
    "qr", "eigh", "eigvalsh", "eig", "eigvals", "svd", "svdvals", "lu_factor", "lu_factor_ex",
    "lu", "lu_solve", "householder_product", "vector_norm", "matrix_norm", "norm", "cond",
    "multi_dot", "matmul", "cross", "vecdot", "diagonal", "tensorinv", "tensorsolve", "vander",
    "ldl_factor", "ldl_factor_ex", "ldl_solve",
]
