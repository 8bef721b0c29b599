"""PyTorch-spelled linear algebra at the top level (``torch.det``, ``torch.inverse``,
``torch.cholesky_solve``, ``torch.lu``, ...) and the LU factorisation that ``chainrule.linalg``
shares (see chainrule/ops/__init__.py and docs/pytorch.md, "linalg, fft, special").

Everything is composed from the decomposition primitives (``primitives/decompositions.py``), so
each derivative stays written once. LU has no primitive: the pivots are found on the values
(partial pivoting, LAPACK's choice of the first largest entry), then the elimination runs on the
permuted matrix with differentiable operations, so L and U are exact rational functions of A
and every order of derivative follows.
"""

from __future__ import annotations

import operator
from collections import namedtuple

import numpy as np

from ..primitives import decompositions as _d
from ..primitives._core import apply as _apply
from ..primitives._core import data_of as _data_of
from ..primitives._core import is_concrete as _is_concrete
from ..primitives._core import tensor_types as _tt
from ..primitives._core import values_of
from ..primitives.complex import conj as _conj
from ..primitives.complex import imag as _imag
from ..primitives.complex import real as _real
from ..primitives.elementwise import astype as _astype
from ..primitives.elementwise import exp as _exp
from ..primitives.elementwise import where as _where
from ..primitives.linalg import SWAPLAST as _SWAPLAST
from ..primitives.linalg import matmul as _matmul
from ..primitives.shape import concatenate as _concatenate
from ..primitives.shape import take_along_axis as _take_along_axis
from .random import rng as _rng

LinAlgError = np.linalg.LinAlgError

# torch.return_types' field names
slogdet_result = namedtuple("slogdet", ["sign", "logabsdet"])
lu_result = namedtuple("lu_unpack", ["P", "L", "U"])
triangular_solve_result = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])
qr_result = namedtuple("qr", ["Q", "R"])
svd_result = namedtuple("svd", ["U", "S", "V"])
lu_info_result = namedtuple("_lu_with_info", ["LU", "pivots", "info"])
geqrf_result = namedtuple("geqrf", ["a", "tau"])


# --- helpers ------------------------------------------------------------------------------------
def _tensor(x):
    """``x`` as a tensor (a constant one when it is an array or a number)."""
    if type(x) in _tt:
        return x
    return next(iter(_tt))._constant(np.asarray(x))


def _floating(x):
    """Integer and bool tensors are promoted to float64 (PyTorch refuses them; NumPy's rule)."""
    x = _tensor(x)
    return x if x._data.dtype.kind in "fc" else _astype(x, np.float64)


def _mT(x):
    return _apply(_SWAPLAST, (x,))


def _mH(x):
    return _conj(_mT(x))


def _square(op, a):
    s = a._data.shape
    if len(s) < 2 or s[-1] != s[-2]:
        raise LinAlgError(f"{op}: A must be a square matrix or a batch of square matrices "
                          f"(shape (*, n, n)), got shape {tuple(s)}")
    return s


def _matrix(op, a):
    s = a._data.shape
    if len(s) < 2:
        raise LinAlgError(f"{op}: A must have at least two dimensions (shape (*, m, n)), got "
                          f"shape {tuple(s)}")
    return s


def _requires(x) -> bool:
    return type(x) in _tt and (x._edge is not None or bool(getattr(x, "_fw", None)))


# --- LU -----------------------------------------------------------------------------------------
def lu_pivots(a, op: str = "lu"):
    """Partial pivoting of the array ``a`` (*, m, n) as LAPACK's getrf chooses it: the row
    permutation ``perm`` (P^T A = A[perm]), the 1-based sequential swaps ``pivots`` (int32) and
    ``info`` (0, or k where U[k-1, k-1] is exactly 0)."""
    a = values_of(a, op)  # pivoting reads the values (compile: a TracingError naming op)
    a = np.array(a, dtype=np.result_type(a.dtype, np.float64) if a.dtype.kind not in "fc"
                 else a.dtype)
    *batch, m, n = a.shape
    k = min(m, n)
    nb = int(np.prod(batch, dtype=np.int64))
    a = a.reshape(nb, m, n)  # a copy: eliminated in place below
    rows = np.arange(nb)
    perm = np.broadcast_to(np.arange(m), (nb, m)).copy()
    pivots = np.empty((nb, k), dtype=np.int32)
    info = np.zeros(nb, dtype=np.int32)
    for j in range(k):
        col = a[:, j:, j]
        # LAPACK's i?amax: |Re| + |Im| for complex entries, not the modulus
        size = np.abs(col.real) + np.abs(col.imag) if col.dtype.kind == "c" else np.abs(col)
        p = j + np.argmax(size, axis=-1)
        pivots[:, j] = p + 1
        a[rows, j], a[rows, p] = a[rows, p].copy(), a[rows, j].copy()  # swap rows j and p
        perm[rows, j], perm[rows, p] = perm[rows, p].copy(), perm[rows, j].copy()
        piv = a[:, j, j]
        zero = piv == 0
        info = np.where(zero & (info == 0), j + 1, info).astype(np.int32)
        col = np.where(zero[:, None], 0, a[:, j + 1:, j] / np.where(zero, 1, piv)[:, None])
        a[:, j + 1:, j + 1:] -= col[:, :, None] * a[:, j, None, j + 1:]
        a[:, j + 1:, j] = col
    return (perm.reshape(*batch, m), pivots.reshape(*batch, k),
            info.reshape(tuple(batch)))


def _eliminate(pa):
    """L (unit lower, m x k) and U (k x n) of a matrix whose rows are already pivoted, by
    Gaussian elimination written with differentiable operations."""
    *batch, m, n = pa._data.shape
    k = min(m, n)
    dt = pa._data.dtype
    s = pa
    l_cols, u_rows = [], []
    for j in range(k):
        row = s[..., 0:1, :]  # (*, 1, n - j)
        piv = s[..., 0:1, 0:1]
        zero = _data_of(piv) == 0
        safe = _where(zero, 1.0, piv) if np.any(zero) else piv
        col = s[..., 1:, 0:1] / safe  # (*, m - j - 1, 1)
        if np.any(zero):
            col = _where(zero, 0.0, col)
        u_rows.append(_concatenate([np.zeros((*batch, 1, j), dt), row], axis=-1)
                      if j else row)
        head = np.zeros((*batch, j, 1), dt)
        l_cols.append(_concatenate([head, np.ones((*batch, 1, 1), dt), col], axis=-2))
        s = s[..., 1:, 1:] - _matmul(col, row[..., :, 1:])
    if k == 0:
        return (_tensor(np.zeros((*batch, m, 0), dt)), _tensor(np.zeros((*batch, 0, n), dt)))
    return _concatenate(l_cols, axis=-1), _concatenate(u_rows, axis=-2)


def _perm_matrix(perm, dtype):
    """P with A = P L U, from ``perm`` (P^T A = A[perm])."""
    m = perm.shape[-1]
    eye = np.eye(m, dtype=dtype)
    return np.swapaxes(eye[perm], -1, -2)


def lu_parts(a, pivot: bool = True):
    """``(perm, pivots, info, L, U)`` of A = P L U (``perm`` as in :func:`lu_pivots`)."""
    a = _floating(a)
    _matrix("lu", a)
    if pivot:
        perm, pivots, info = lu_pivots(a._data)
    else:  # no row exchanges (PyTorch allows this on CUDA only; here everywhere)
        *batch, m, n = a._data.shape
        perm = np.broadcast_to(np.arange(m), (*batch, m)).copy()
        pivots = np.broadcast_to(np.arange(1, min(m, n) + 1, dtype=np.int32),
                                 (*batch, min(m, n))).copy()
        info = np.zeros(tuple(batch), dtype=np.int32)
    pa = _take_along_axis(a, perm[..., None], -2)
    lo, up = _eliminate(pa)
    if not pivot:
        d = np.diagonal(up._data, axis1=-2, axis2=-1)
        zero = np.argmax(d == 0, axis=-1)
        info = np.where(np.any(d == 0, axis=-1), zero + 1, 0).astype(np.int32)
    return perm, pivots, info, lo, up


def pack_lu(lo, up):
    """LAPACK's packed form: the strict lower part of L over U."""
    m, n = lo._data.shape[-2], up._data.shape[-1]
    k = min(m, n)
    dt = up._data.dtype
    if m >= n:  # L is m x n: add U on and above its diagonal
        return lo * np.tril(np.ones((m, n), dt), -1) + _concatenate(
            [up, np.zeros((*up._data.shape[:-2], m - n, n), dt)], axis=-2)
    return _concatenate([lo, np.zeros((*lo._data.shape[:-2], m, n - k), dt)], axis=-1) * \
        np.tril(np.ones((m, n), dt), -1) + up


def pivots_to_perm(pivots, m: int):
    """``perm`` (P^T B = B[perm]) from LAPACK's 1-based sequential swaps."""
    pv = values_of(pivots, "lu_solve").astype(np.int64) - 1  # checked and applied in Python
    batch = pv.shape[:-1]
    perm = np.broadcast_to(np.arange(m), (*batch, m)).copy()
    for j in range(pv.shape[-1]):
        p = pv[..., j]
        if np.any((p < j) | (p >= m)):
            raise ValueError(f"lu_solve: pivots must be 1-based row indices in [j + 1, {m}] "
                             f"(LAPACK's sequential swaps, as lu_factor returns), got "
                             f"{pv[..., j] + 1} at position {j}")
        pj = perm[..., j].copy()
        pp = np.take_along_axis(perm, p[..., None], -1)[..., 0]
        perm[..., j] = pp
        np.put_along_axis(perm, p[..., None], pj[..., None], axis=-1)
    return perm


def unpack_lu(lu_data, m: int, n: int):
    """L (unit lower, m x k) and U (k x n) from the packed factor."""
    k = min(m, n)
    dt = lu_data._data.dtype
    lo = lu_data[..., :, :k] * np.tril(np.ones((m, k), dt), -1) + np.eye(m, k, dtype=dt)
    up = lu_data[..., :k, :] * np.triu(np.ones((k, n), dt))
    return lo, up


def lu_solve_packed(lu_data, perm, b, left: bool = True, adjoint: bool = False):
    """X with A X = B (``adjoint``: A^H X = B; ``left=False``: X A = B), A = P L U given
    packed, ``perm`` from :func:`pivots_to_perm`."""
    lu_data, b = _floating(lu_data), _floating(b)
    if not left:  # X A = B  <=>  A^H X^H = B^H
        return _mH(lu_solve_packed(lu_data, perm, _mH(b), True, not adjoint))
    if not adjoint:  # L U X = P^T B
        pb = _gather_rows(b, perm)
        y = _d.solve_triangular(lu_data, pb, True, True)
        return _d.solve_triangular(lu_data, y, False, False)
    # A^H X = B: U^H L^H P^T X = B, X = P (L^-H U^-H B)
    lh = _mH(lu_data)
    y = _d.solve_triangular(lh, b, True, False)
    z = _d.solve_triangular(lh, y, False, True)
    inv = np.argsort(perm, axis=-1)
    return _gather_rows(z, inv)


def _gather_rows(b, perm):
    """b[..., perm, :] with batch axes of ``perm`` and ``b`` broadcast."""
    batch = np.broadcast_shapes(b._data.shape[:-2], perm.shape[:-1])
    idx = np.broadcast_to(perm[..., None], (*batch, perm.shape[-1], 1))
    if b._data.shape[:-2] != batch:
        from ..primitives.shape import broadcast_to

        b = broadcast_to(b, (*batch, *b._data.shape[-2:]))
    return _take_along_axis(b, idx, -2)


# --- determinants and inverses ------------------------------------------------------------------
def det(input):  # noqa: A002 - PyTorch's name
    """``torch.det``: the determinant of a (batch of) square matrices; its gradient is the
    cofactor matrix, also at singular matrices."""
    a = _floating(input)
    _square("det", a)
    return _d.det(a)


def real_det_sign(a):
    """The sign of det A (+-1, 0 where singular) of real matrices, written with primitives, so
    that a compiled trace records it: LU in complex arithmetic keeps a real matrix's factors
    real, so the imaginary part of log det is exactly 0 or pi. No gradient (a constant)."""
    c = _astype(a.detach(), np.result_type(a._data.dtype, np.complex64))
    logdet = _d.logabsdet(c)
    sign = _real(_exp(1j * _imag(logdet)))
    return _where(_real(logdet) == -np.inf, 0.0, sign)


def slogdet(input):  # noqa: A002
    """``torch.slogdet``: ``(sign, logabsdet)``; for complex matrices sign = det / |det| is
    differentiable too."""
    a = _floating(input)
    _square("slogdet", a)
    if a._data.dtype.kind == "c":
        logdet = _d.logabsdet(a)  # complex: log det
        return slogdet_result(_exp(1j * _imag(logdet)), _real(logdet))
    la = _d.logabsdet(a)
    sign = np.asarray(np.linalg.slogdet(a._data)[0]) if _is_concrete(a) else real_det_sign(a)
    # a function of A with derivative 0 (PyTorch's sign requires grad too)
    return slogdet_result(_where(np.ones(sign.shape, bool), sign, la), la)


def logdet(input):  # noqa: A002
    """``torch.logdet``: log det A; nan where det < 0 and -inf where det = 0, as PyTorch."""
    a = _floating(input)
    _square("logdet", a)
    if a._data.dtype.kind == "c":
        return _d.logabsdet(a)
    sign = np.linalg.slogdet(a._data)[0]
    la = _d.logabsdet(a)
    if np.all(sign > 0):
        return la
    return _where(sign < 0, np.nan, la)


def inverse(input):  # noqa: A002
    """``torch.inverse`` (``torch.linalg.inv``); its gradient is -A^-H G A^-H."""
    a = _floating(input)
    _square("inverse", a)
    return _d.inv(a)


def pinverse(input, rcond: float = 1e-15):  # noqa: A002
    """``torch.pinverse``: singular values at or below ``rcond`` times the largest are dropped;
    the derivative holds while the rank does not change."""
    a = _floating(input)
    _matrix("pinverse", a)
    return _d.pinv(a, np.asarray(rcond), False)


def matrix_power(input, n: int):  # noqa: A002
    """``torch.matrix_power``: A^n by repeated squaring; a negative ``n`` inverts first."""
    a = _tensor(input)
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"matrix_power: the exponent n must be an integer, got {n!r}") from None
    s = _square("matrix_power", a)
    if n == 0:  # the identity, a function of A with derivative 0 (as PyTorch)
        return np.eye(s[-1], dtype=a._data.dtype) + a * 0
    if n < 0:
        a, n = _d.inv(_floating(a)), -n
    result, base = None, a
    while n:
        if n & 1:
            result = base if result is None else _matmul(result, base)
        n >>= 1
        if n:
            base = _matmul(base, base)
    return result


def matrix_exp(input):  # noqa: A002
    """``torch.matrix_exp``: the matrix exponential (SciPy's kernel, needs SciPy); its
    derivative is the Frechet derivative (real matrices)."""
    a = _floating(input)
    _square("matrix_exp", a)
    if a._data.dtype.kind == "c" and _requires(a):
        raise NotImplementedError(
            f"matrix_exp: derivatives of complex matrices are not supported (dtype "
            f"{a._data.dtype}); use real matrices, or detach() for values only")
    return _d.expm(a)


# --- Cholesky -----------------------------------------------------------------------------------
def hermitian_part(a, uplo: str = "L"):
    """The Hermitian matrix that the ``uplo`` triangle of ``a`` stands for, with the derivative
    of sym(A) = (A + A^H) / 2: PyTorch's convention for Hermitian inputs (its gradients are
    Hermitian), where chainrule's primitives give the gradient on the read triangle. The
    primitive applied next reads the same triangle, so the value is that of ``a`` itself."""
    if not _requires(a):
        return a
    sym = 0.5 * (a + _mH(a))
    return sym + _tensor(_data_of(_d._reflect(_tensor(a._data), uplo)) - _data_of(sym))


def cholesky(input, upper: bool = False):  # noqa: A002
    """``torch.cholesky`` (``torch.linalg.cholesky`` with ``upper``): the factor of the Hermitian
    positive-definite matrix whose lower triangle is given; its gradient is Hermitian, as
    PyTorch's."""
    a = _floating(input)
    _square("cholesky", a)
    lo = _d.cholesky(hermitian_part(a), "L")
    return _mH(lo) if upper else lo


def _factor_stand_in(f, upper):
    """The triangle of the factor (what LAPACK reads) as the value, with the derivative of the
    whole matrix: PyTorch's cholesky_solve and cholesky_inverse differentiate A = L L^H as a
    product of full matrices, so the entries off the triangle get gradients too."""
    n = f._data.shape[-1]
    mask = np.triu(np.ones((n, n), bool)) if upper else np.tril(np.ones((n, n), bool))
    if not _requires(f):
        return _tensor(np.where(mask, f._data, 0))
    return f + _tensor(np.where(mask, 0, -f._data))


def _gram(f, upper):
    f = _factor_stand_in(f, upper)
    return _matmul(_mH(f), f) if upper else _matmul(f, _mH(f))


def cholesky_solve(input, input2, upper: bool = False):  # noqa: A002
    """``torch.cholesky_solve(B, L)``: X with A X = B where A = L L^H (``upper``: A = U^H U),
    the factor's triangle read; as PyTorch, the derivative treats A = L L^H as a product of
    full matrices (entries off the triangle get gradients)."""
    b, f = _floating(input), _floating(input2)
    _square("cholesky_solve", f)
    if b._data.ndim < 2:
        raise ValueError(f"cholesky_solve: B must be a (batch of) matrices (*, n, k), got shape "
                         f"{b._data.shape}")
    return _d.solve(_gram(f, upper), b)


def cholesky_inverse(input, upper: bool = False):  # noqa: A002
    """``torch.cholesky_inverse(L)``: (L L^H)^-1 (``upper``: (U^H U)^-1), with PyTorch's
    derivative (as cholesky_solve)."""
    f = _floating(input)
    _square("cholesky_inverse", f)
    return _d.inv(_gram(f, upper))


def triangular_solve(b, A, upper: bool = True, transpose: bool = False,  # noqa: N803
                     unitriangular: bool = False):
    """``torch.triangular_solve(b, A)``: ``(solution, cloned_coefficient)``, the solution X of
    op(A) X = b with op(A) = A or A^T (``transpose``), A upper (default) or lower triangular."""
    a, bb = _floating(A), _floating(b)
    _square("triangular_solve", a)
    lower = not upper
    if transpose:
        a2, lower = _mT(a), upper
    else:
        a2 = a
    x = _d.solve_triangular(a2, bb, lower, unitriangular)
    return triangular_solve_result(x, a * 1)


# --- LU at the top level ------------------------------------------------------------------------
def lu(A, pivot: bool = True, get_infos: bool = False):  # noqa: N803
    """``torch.lu`` (``Tensor.lu``): ``(LU, pivots)`` (and ``infos`` with ``get_infos``)."""
    a = _floating(A)
    _, pivots, info, lo, up = lu_parts(a, pivot)
    packed = pack_lu(lo, up)
    piv = _tensor(pivots)
    return lu_info_result(packed, piv, _tensor(info)) if get_infos else (packed, piv)


def lu_unpack(LU_data, LU_pivots, unpack_data: bool = True,  # noqa: N803
              unpack_pivots: bool = True):
    """``torch.lu_unpack``: ``(P, L, U)`` from the packed factor and its pivots."""
    lu_data = _floating(LU_data)
    m, n = _matrix("lu_unpack", lu_data)[-2:]
    lo, up = unpack_lu(lu_data, m, n) if unpack_data else (None, None)
    p = _tensor(_perm_matrix(pivots_to_perm(LU_pivots, m), lu_data._data.dtype)) \
        if unpack_pivots else None
    return lu_result(p, lo, up)


def lu_solve(b, LU_data, LU_pivots):  # noqa: N803
    """``torch.lu_solve(b, LU_data, LU_pivots)``: X with A X = b from ``torch.lu``'s factor."""
    lu_data = _floating(LU_data)
    m = _square("lu_solve", lu_data)[-1]
    return lu_solve_packed(lu_data, pivots_to_perm(LU_pivots, m), b)


def _householder_q(a, t):
    """H_1 ... H_k (m x m), H_i = I - tau_i v_i v_i^H, v_i the i-th column of A below the
    diagonal and 1 on it: products of differentiable operations."""
    m = a._data.shape[-2]
    dt = np.result_type(a._data.dtype, t._data.dtype)
    rows = np.arange(m)[:, None]
    batch = np.broadcast_shapes(a._data.shape[:-2], t._data.shape[:-1])
    q = _tensor(np.broadcast_to(np.eye(m, dtype=dt), (*batch, m, m)))
    for i in range(t._data.shape[-1]):
        v = _where(rows > i, a[..., :, i:i + 1], (rows == i).astype(dt))  # (*, m, 1)
        qv = _matmul(q, v)
        q = q - _matmul(qv * t[..., i:i + 1, None], _mH(v))
    return q


def householder_product(A, tau):  # noqa: N803
    """``torch.linalg.householder_product`` (``torch.orgqr``): the first n columns of
    H_1 ... H_k, H_i = I - tau_i v_i v_i^H with v_i the i-th column of A below the diagonal and
    1 on it."""
    a, t = _floating(A), _floating(tau)
    m, n = _matrix("householder_product", a)[-2:]
    k = t._data.shape[-1]
    if n > m or k > n:
        raise ValueError(f"householder_product: needs m >= n >= k, got A of shape "
                         f"{a._data.shape} and tau of shape {t._data.shape}")
    q = _householder_q(a, t)
    if k == 0:  # the identity's columns, still a function of A (gradient 0), as PyTorch
        return q[..., :, :n] + a * 0.0
    return q[..., :, :n]


def ormqr(input, input2, input3, left: bool = True, transpose: bool = False):  # noqa: A002
    """``torch.ormqr(A, tau, C)``: Q C (``left=False``: C Q; ``transpose``: Q^H) with Q the
    product of the Householder reflectors that ``geqrf`` returns; differentiable in all three."""
    a, t, c = _floating(input), _floating(input2), _floating(input3)
    m = _matrix("ormqr", a)[-2]
    need = c._data.shape[-2] if left else c._data.shape[-1]
    if need != m or t._data.shape[-1] > min(a._data.shape[-2:]):
        raise ValueError(f"ormqr: input of shape {a._data.shape} (m = {m} reflectors' length), "
                         f"tau of shape {t._data.shape} and other of shape {c._data.shape} do "
                         f"not fit: other needs {m} {'rows' if left else 'columns'}")
    q = _householder_q(a, t)
    if transpose:
        q = _mH(q)
    return _matmul(q, c) if left else _matmul(c, q)


def geqrf(input):  # noqa: A002
    """``torch.geqrf``: ``(a, tau)``, LAPACK's QR in Householder form (values only: as in
    PyTorch its derivative is not provided, and asking for one raises; use ``linalg.qr``)."""
    a = _floating(input)
    _matrix("geqrf", a)
    if _requires(a):
        raise NotImplementedError("geqrf: the derivative of the Householder form is not "
                                  "provided (nor by PyTorch); use linalg.qr, or detach() the "
                                  "input for values only")
    h, tau = np.linalg.qr(a._data, mode="raw")
    return geqrf_result(_tensor(np.swapaxes(h, -1, -2).copy()), _tensor(tau))


orgqr = householder_product


# --- QR and SVD in torch.X's older spelling -----------------------------------------------------
def qr(input, some: bool = True):  # noqa: A002
    """``torch.qr``: ``(Q, R)``, reduced (``some``) or complete."""
    a = _floating(input)
    m, n = _matrix("qr", a)[-2:]
    if not some and m > n:
        raise NotImplementedError(
            f"qr: some=False for a tall matrix (shape {a._data.shape}) is not differentiable "
            f"(the last m - n columns of Q are an arbitrary basis); use some=True")
    k = min(m, n)
    q, r = _d._unpack(_apply(_d.QR, (a,)), [(m, k), (k, n)])
    return qr_result(q, r)


def svd(input, some: bool = True, compute_uv: bool = True):  # noqa: A002
    """``torch.svd``: ``(U, S, V)`` with A = U diag(S) V^H (V, not V^H)."""
    a = _floating(input)
    m, n = _matrix("svd", a)[-2:]
    full = not some
    u, sv, vh = _d._unpack(_apply(_d.SVD, (a,), (bool(full), False)),
                           _d._svd_cores(m, n, bool(full)))
    if not compute_uv:  # PyTorch returns zero-filled U and V
        return svd_result(_tensor(np.zeros(u._data.shape, u._data.dtype)), _real(sv),
                          _tensor(np.zeros(vh._data.shape, vh._data.dtype)))
    return svd_result(u, _real(sv), _mH(vh))


# --- randomized low-rank SVD and PCA (Halko, Martinsson and Tropp, 2009), as torch's ------------
def _sub(a, b):
    return a if b is None else a - b


def _approximate_basis(a, q, niter, m=None):
    """An orthonormal basis (m-by-q) of the range of ``a - m`` from a Gaussian sketch (drawn
    from the default generator) and ``niter`` subspace iterations."""
    r = _rng(None).standard_normal((a._data.shape[-1], q)).astype(a._data.dtype, copy=False)
    basis = qr(_sub(_matmul(a, r), None if m is None else _matmul(m, r))).Q
    for _ in range(niter):
        x = _sub(_matmul(_mH(a), basis), None if m is None else _matmul(_mH(m), basis))
        basis = qr(x).Q
        x = _sub(_matmul(a, basis), None if m is None else _matmul(m, basis))
        basis = qr(x).Q
    return basis


def svd_lowrank(A, q: int | None = 6, niter: int | None = 2, M=None):  # noqa: N803
    """``torch.svd_lowrank``: ``(U, S, V)`` of rank ``q`` approximating ``A - M`` (``M``
    broadcast to A), by a randomized range finder; differentiable through QR and SVD."""
    a = _floating(A)
    q = 6 if q is None else int(q)
    niter = 2 if niter is None else int(niter)
    m, n = _matrix("svd_lowrank", a)[-2:]
    mm = None if M is None else _floating(M) + np.zeros(a._data.shape, a._data.dtype)
    if m < n or n > q:  # sketch the transpose, keeping the small matrix small
        basis = _approximate_basis(_mH(a), q, niter, None if mm is None else _mH(mm))
        b_t = _sub(_matmul(a, basis), None if mm is None else _matmul(mm, basis))
        u, sv, v = svd(b_t)
        return svd_result(u, sv, _matmul(basis, v))
    basis = _approximate_basis(a, q, niter, mm)
    b = _sub(_matmul(_mH(basis), a), None if mm is None else _matmul(_mH(basis), mm))
    u, sv, v = svd(b)
    return svd_result(_matmul(basis, u), sv, v)


def pca_lowrank(A, q: int | None = None, center: bool = True, niter: int = 2):  # noqa: N803
    """``torch.pca_lowrank``: ``svd_lowrank`` of ``A`` less its column means (``center``),
    with ``q`` defaulting to ``min(6, m, n)``."""
    a = _floating(A)
    m, n = _matrix("pca_lowrank", a)[-2:]
    q = min(6, m, n) if q is None else int(q)
    if not 0 <= q <= min(m, n):
        raise ValueError(f"pca_lowrank: q={q} must lie in [0, min(m, n)] = [0, {min(m, n)}]")
    if not center:
        return svd_lowrank(a, q, niter)
    mean = _matmul(np.full((1, m), 1.0 / m, a._data.dtype), a)
    return svd_lowrank(a - mean, q, niter)


__all__ = [
    "det", "slogdet", "logdet", "inverse", "pinverse", "matrix_power", "matrix_exp", "cholesky",
    "cholesky_solve", "cholesky_inverse", "triangular_solve", "lu", "lu_unpack", "lu_solve",
    "qr", "svd", "orgqr", "ormqr", "geqrf", "svd_lowrank", "pca_lowrank",
]
