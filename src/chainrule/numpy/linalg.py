"""``chainrule.numpy.linalg``: NumPy 2's ``numpy.linalg``, differentiable.

Names, signatures, defaults and results (``SlogdetResult``, ``EighResult``, ``SVDResult``,
``QRResult``) are NumPy's. Raw arrays in give NumPy's own results; any tensor in gives tensors
out, computed from the primitives in ``chainrule.primitives.decompositions``. Complex matrices
carry gradients with PyTorch's convention (docs/semantics.md). The decisions on degenerate cases
(repeated eigenvalues or singular values, singular matrices, the sign and phase of singular
vectors and eigenvectors) are in docs/linalg.md.
"""

from __future__ import annotations

import operator

import numpy as _np

from ..composite import tensordot as _tensordot
from ..ops import _linalg as _ops_linalg
from ..primitives import decompositions as _d
from ..primitives._core import apply as _apply
from ..primitives._core import is_concrete as _is_concrete
from ..primitives._core import tensor_types as _tt
from ..primitives.array_ops import argsort_index as _argsort_index
from ..primitives.complex import abs2
from ..primitives.complex import conj as _conj
from ..primitives.complex import imag as _imag
from ..primitives.complex import real as _real
from ..primitives.elementwise import abs as _abs
from ..primitives.elementwise import astype as _astype
from ..primitives.elementwise import eq as _eq
from ..primitives.elementwise import exp as _exp
from ..primitives.elementwise import ne as _ne
from ..primitives.elementwise import sign as _sign
from ..primitives.elementwise import sqrt as _sqrt
from ..primitives.elementwise import where as _where
from ..primitives.linalg import SWAPLAST as _SWAPLAST
from ..primitives.linalg import einsum as _einsum
from ..primitives.linalg import matmul as _matmul
from ..primitives.reduction import amax as _amax
from ..primitives.reduction import amin as _amin
from ..primitives.reduction import sum as _sum
from ..primitives.shape import broadcast_to as _broadcast_to
from ..primitives.shape import getitem as _getitem
from ..primitives.shape import normalize_dim as _normalize_dim
from ..primitives.shape import permute as _permute
from ..primitives.shape import reshape as _reshape
from ..primitives.shape import take_along_axis as _take_along_axis
from ._wrappers import data_of as _data_of
from ._wrappers import has_tensor as _has_tensor
from ._wrappers import requires_grad as _requires_grad
from ._wrappers import shape_of as _shape_of
from ._wrappers import stack_nested_args as _stack_nested_args

LinAlgError = _np.linalg.LinAlgError
SlogdetResult = type(_np.linalg.slogdet(_np.eye(1)))
EighResult = type(_np.linalg.eigh(_np.eye(1)))
SVDResult = type(_np.linalg.svd(_np.eye(1)))
QRResult = type(_np.linalg.qr(_np.eye(1)))
EigResult = type(_np.linalg.eig(_np.eye(1)))


# --- helpers ----------------------------------------------------------------------------------
def _real_only(op, *xs):
    """For the few functions whose rules are real only (expm, logm, sqrtm, solve_sylvester)."""
    for x in xs:
        if type(x) in _tt and x._data.dtype.kind == "c" and _requires_grad(x):
            raise NotImplementedError(
                f"{op}: gradients of complex matrices are not supported (dtype "
                f"{x._data.dtype}); use real matrices, or detach() for values only")


def _floating(x):
    """Integer and bool inputs are promoted to float64, as NumPy's linalg does."""
    if type(x) in _tt:
        return x if x._data.dtype.kind in "fc" else x.astype(_np.float64)
    x = _np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(_np.float64)


def _square(op, a):
    s = _shape_of(a)
    if len(s) < 2:
        raise LinAlgError(f"{op}: {len(s)}-dimensional array given (shape {s}); it must be a "
                          f"matrix or a stack of matrices (at least two dimensions)")
    if s[-1] != s[-2]:
        raise LinAlgError(f"{op}: the last two dimensions must be square, got shape {s}; "
                          f"for a non-square matrix use lstsq or pinv")
    return s


def _matrix(op, a):
    s = _shape_of(a)
    if len(s) < 2:
        raise LinAlgError(f"{op}: {len(s)}-dimensional array given (shape {s}); it must be a "
                          f"matrix or a stack of matrices (at least two dimensions)")
    return s


def _mT(x):
    return _apply(_SWAPLAST, (x,))


def _prep(op, a, square=True, complex_ok=False):
    """Checks shared by the tensor paths: shape, dtype (complex gradients where ``complex_ok``),
    float promotion."""
    s = _square(op, a) if square else _matrix(op, a)
    if not complex_ok:
        _real_only(op, a)
    return _floating(a), s


def _prepc(op, a, square=True):
    return _prep(op, a, square, complex_ok=True)


# --- inverse, solve, determinants --------------------------------------------------------------
def inv(a):
    """``numpy.linalg.inv``; its gradient is -A^-T G A^-T."""
    if not _has_tensor(a):
        return _np.linalg.inv(a)
    a, _ = _prepc("inv", a)
    return _d.inv(a)


def solve(a, b):
    """``numpy.linalg.solve`` with NumPy 2's rule: ``b`` is a vector only when it is 1-D,
    otherwise a (stack of) matrices; stack axes broadcast."""
    if not _has_tensor((a, b)):
        return _np.linalg.solve(a, b)
    sa = _square("solve", a)
    a, b = _floating(a), _floating(b)
    sb = _shape_of(b)
    vector = len(sb) == 1
    if (sb[0] if vector else (sb[-2] if len(sb) >= 2 else None)) != sa[-1]:
        raise ValueError(
            f"solve: b of shape {sb} does not fit a of shape {sa}: b must be a vector of length "
            f"{sa[-1]} or a (stack of) matrices with {sa[-1]} rows (NumPy 2 treats b as a vector "
            f"only when it is 1-D; use b[..., None] for a stack of vectors)")
    if vector:
        return _d.solve(a, _reshape(b, (sb[0], 1)))[..., 0]
    return _d.solve(a, b)


def det(a):
    """``numpy.linalg.det``; the gradient is the cofactor matrix, also at singular matrices."""
    if not _has_tensor(a):
        return _np.linalg.det(a)
    a, _ = _prepc("det", a)
    return _d.det(a)


def slogdet(a):
    """``numpy.linalg.slogdet``: ``SlogdetResult(sign, logabsdet)``. For real matrices ``sign``
    is a constant (+-1); for complex ones it is the unit number det / |det|, differentiable too
    (from log det = log|det| + i arg det)."""
    if not _has_tensor(a):
        return _np.linalg.slogdet(a)
    a, _ = _prepc("slogdet", a)
    if a._data.dtype.kind == "c":
        logdet = _d.logabsdet(a)  # complex: log det
        return SlogdetResult(_exp(1j * _imag(logdet)), _real(logdet))
    if not _is_concrete(a):  # traced: the sign with primitives
        return SlogdetResult(_ops_linalg.real_det_sign(a), _d.logabsdet(a))
    sign = type(a)._constant(_np.asarray(_np.linalg.slogdet(a._data)[0]))
    return SlogdetResult(sign, _d.logabsdet(a))


def cholesky(a, /, *, upper: bool = False):
    """``numpy.linalg.cholesky``: the lower factor L (``upper=True``: the upper factor U).
    Only the lower (upper) triangle is read, and the gradient lives on that triangle."""
    if not _has_tensor(a):
        return _np.linalg.cholesky(a, upper=upper)
    a, _ = _prepc("cholesky", a)
    lo = _d.cholesky(a, "U" if upper else "L")
    return _conj(_mT(lo)) if upper else lo


# --- factorisations ---------------------------------------------------------------------------
def qr(a, mode: str = "reduced"):
    """``numpy.linalg.qr``. Differentiable for mode 'reduced' (tall, square or wide) and 'r';
    'complete' with more rows than columns is not (its last columns are an arbitrary basis)."""
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"qr: unrecognized mode {mode!r}; use 'reduced', 'complete', 'r' or "
                         f"'raw'")
    if not _has_tensor(a):
        return _np.linalg.qr(a, mode=mode)
    s = _matrix("qr", a)
    m, n = s[-2:]
    if mode == "raw" or (mode == "complete" and m > n):
        if _requires_grad(a):
            raise NotImplementedError(
                f"qr: mode={mode!r} is not differentiable for a matrix of shape {s}"
                + (": the last m - n columns of Q are an arbitrary basis of the complement of "
                   "A's columns" if mode == "complete" else "") + "; use mode='reduced'")
        res = _np.linalg.qr(a._data, mode=mode)
        if mode == "raw":
            return tuple(type(a)._constant(r) for r in res)
        return QRResult(*(type(a)._constant(r) for r in res))
    a, _ = _prepc("qr", a, square=False)
    k = min(m, n)
    q, r = _d._unpack(_apply(_d.QR, (a,)), [(m, k), (k, n)])
    return r if mode == "r" else QRResult(q, r)


def _check_uplo(uplo):
    if uplo not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {uplo!r}")


def eigh(a, UPLO: str = "L"):  # noqa: N803 - NumPy's name
    """``numpy.linalg.eigh``: ``EighResult(eigenvalues, eigenvectors)`` of a symmetric matrix.
    The gradient of the eigenvectors divides by eigenvalue gaps: with repeated eigenvalues it
    exists only for losses that do not depend on the basis chosen in their eigenspace
    (otherwise ``LinAlgError``, docs/linalg.md)."""
    _check_uplo(UPLO)
    if not _has_tensor(a):
        return _np.linalg.eigh(a, UPLO=UPLO)
    a, s = _prepc("eigh", a)
    n = s[-1]
    w, v = _d._unpack(_apply(_d.EIGH, (a,), (UPLO,)), [(n,), (n, n)])
    return EighResult(_real(w), v)  # real eigenvalues, also of a complex Hermitian matrix


def eigvalsh(a, UPLO: str = "L"):  # noqa: N803
    """``numpy.linalg.eigvalsh``; differentiable with repeated eigenvalues too."""
    _check_uplo(UPLO)
    if not _has_tensor(a):
        return _np.linalg.eigvalsh(a, UPLO=UPLO)
    return eigh(a, UPLO).eigenvalues


def eig(a):
    """``numpy.linalg.eig``: ``EigResult(eigenvalues, eigenvectors)`` of a general square matrix,
    complex unless every eigenvalue is real (NumPy's rule, also for real input). The eigenvectors
    are NumPy's: unit norm, largest entry real. Each is defined only up to a factor e^{i phi}: a
    loss should not depend on it (as PyTorch documents); chainrule differentiates NumPy's choice,
    so such losses get that choice's derivative. Repeated eigenvalues: eigenvalue sums only."""
    if not _has_tensor(a):
        return _np.linalg.eig(a)
    a, s = _prepc("eig", a)
    n = s[-1]  # the primitive also without a gradient: a compiled trace records it
    w, v = _d._unpack(_apply(_d.EIG, (a,)), [(n,), (n, n)])
    return EigResult(w, v)


def eigvals(a):
    """``numpy.linalg.eigvals``; the gradient V^-H diag(g) V^H needs the eigenvectors (the
    matrix must be diagonalizable), repeated eigenvalues included for their symmetric functions."""
    if not _has_tensor(a):
        return _np.linalg.eigvals(a)
    _square("eigvals", a)
    if not _requires_grad(a) and _is_concrete(a):  # LAPACK without the vectors
        return type(a)._constant(_np.linalg.eigvals(_floating(a)._data))
    return eig(a).eigenvalues


def svd(a, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False):
    """``numpy.linalg.svd``: ``SVDResult(U, S, Vh)``. Gradients of U and Vh are defined for
    losses that do not depend on the signs of singular vectors (and, with repeated singular
    values, on the basis of their subspace; otherwise ``LinAlgError``). With ``full_matrices``
    the completing columns of U (rows of Vh) get no gradient, as in PyTorch."""
    if not _has_tensor(a):
        return _np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv,
                              hermitian=hermitian)
    a, s = _prepc("svd", a, square=hermitian)
    if hermitian:
        return _svd_hermitian(a, compute_uv)
    if not compute_uv:
        return svdvals(a)
    m, n = s[-2:]
    u, sv, vh = _d._unpack(_apply(_d.SVD, (a,), (bool(full_matrices), False)),
                           _d._svd_cores(m, n, bool(full_matrices)))
    return SVDResult(u, _real(sv), vh)


def _svd_hermitian(a, compute_uv):
    # NumPy's construction from eigh: s = |w| sorted down, U = V sorted, Vh = (V sign(w))^T.
    # The order and signs come from primitives, so that a compiled trace records them.
    w, v = eigh(a)
    aw = _abs(w)
    order = _getitem(_argsort_index(aw, -1), (Ellipsis, slice(None, None, -1)))
    sv = _take_along_axis(aw, order, -1)
    if not compute_uv:
        return sv
    sgn = _take_along_axis(_sign(w), order, -1)
    rows = _broadcast_to(_getitem(order, (Ellipsis, None, slice(None))), _shape_of(v))
    u = _take_along_axis(v, rows, -1)
    return SVDResult(u, sv, _conj(_mT(u * _getitem(sgn, (Ellipsis, None, slice(None))))))


def svdvals(x, /):
    """``numpy.linalg.svdvals``; differentiable with repeated singular values too: reverse mode
    for losses symmetric in them (else ``LinAlgError``), forward mode gives each the tangent of
    their mean (exact for every such loss)."""
    if not _has_tensor(x):
        return _np.linalg.svdvals(x)
    x, s = _prepc("svdvals", x, square=False)
    m, n = s[-2:]
    return _real(_d._unpack(_apply(_d.SVD, (x,), (False, True)), _d._svd_cores(m, n, False))[1])


# --- norms --------------------------------------------------------------------------------------
def _safe_sqrt(s):
    """sqrt whose gradient at 0 is 0 (the subgradient PyTorch uses for the 2-norm at 0)."""
    if not _is_concrete(s):  # traced: the mask with a primitive, for all values
        zero = _eq(s, 0)
        return _where(zero, 0.0, _sqrt(_where(zero, 1.0, s)))
    zero = _data_of(s) == 0
    if not _np.any(zero):
        return _sqrt(s)
    return _where(zero, 0.0, _sqrt(_where(zero, 1.0, s)))


def _keep(ret, shape, axes, keepdims):
    if not keepdims:
        return ret
    return _reshape(ret, tuple(1 if i in axes else d for i, d in enumerate(shape)))


def norm(x, ord=None, axis=None, keepdims: bool = False):  # noqa: A002 - NumPy's name
    """``numpy.linalg.norm``: every vector order (including 0 and ±inf) and matrix order ('fro',
    'nuc', ±1, ±2, ±inf), over ``axis`` (an int or a pair), with ``keepdims``."""
    if not _has_tensor(x):
        return _np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    x = _floating(x)
    shape = _shape_of(x)
    nd = len(shape)
    if axis is None:
        if ord is None or (ord in ("f", "fro") and nd == 2) or (ord == 2 and nd == 1):
            ret = _safe_sqrt(_sum(abs2(x)))
            return _reshape(ret, (1,) * nd) if keepdims else ret
        axis = tuple(range(nd))
    elif not isinstance(axis, tuple):
        try:
            axis = (operator.index(axis),)
        except TypeError:
            raise TypeError(f"norm: 'axis' must be None, an integer or a tuple of integers, "
                            f"got {axis!r}") from None
    axes = tuple(_normalize_dim(a, nd, "norm") for a in axis)
    if len(axes) == 1:
        ret = _vector_norm(x, ord, axes[0])
    elif len(axes) == 2:
        ret = _matrix_norm(x, ord, axes)
    else:
        raise ValueError(f"norm: improper number of dimensions to norm: axis {axis} for an "
                         f"array of shape {shape}; give one axis (vector) or two (matrix)")
    return _keep(ret, shape, axes, keepdims)


def _vector_norm(x, ord, ax):  # noqa: A002
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    if ord is None or ord == 2:
        return _safe_sqrt(_sum(abs2(x), axis=ax))
    if ord == _np.inf:
        return _amax(_abs(x), axis=ax)
    if ord == -_np.inf:
        return _amin(_abs(x), axis=ax)
    if ord == 0:
        if not _is_concrete(x):  # the count with primitives: a compiled trace records it
            return _astype(_sum(_ne(x, 0), axis=ax), x._data.dtype)
        return type(x)._constant(_np.sum(x._data != 0, axis=ax).astype(x._data.dtype))
    if ord == 1:
        return _sum(_abs(x), axis=ax)
    if ord < 0:
        return _sum(_abs(x) ** ord, axis=ax) ** (1.0 / ord)
    # |x|^p and s^(1/p) have infinite slopes at 0: there the gradient is taken as 0 (PyTorch's
    # subgradient), not 0 * inf = nan
    ax_ = _abs(x)
    small = _eq(ax_, 0)  # primitives: a compiled trace records the masks
    s = _sum(_where(small, 0.0, _where(small, 1.0, ax_) ** ord), axis=ax)
    zero = _eq(s, 0)
    return _where(zero, 0.0, _where(zero, 1.0, s) ** (1.0 / ord))


def _nuclear(sv):
    """The sum of the singular values. Its gradient U V^H does not depend on the bases of
    repeated singular values; singular values that are 0 (to rounding) are left out of it
    (their singular vectors are arbitrary): U_r V_r^H, the subgradient of least norm (0 at the
    zero matrix)."""
    d = sv._data
    n = d.shape[-1]
    zero = d <= n * _np.finfo(d.dtype).eps * _np.max(d, axis=-1, keepdims=True, initial=0.0)
    if not _np.any(zero):
        return _sum(sv, axis=-1)
    zero = _tied(d, zero)
    return _sum(_where(zero, 0.0, sv), axis=-1)


def _tied(d, seed):
    """A mask of the singular values tied (to rounding, the SVD rule's own test, closed under
    chains of ties) with the one at index ``seed`` (or those of the mask ``seed``)."""
    _, degenerate = _d._gap_inverse(d, squared=True)
    n = d.shape[-1]
    if isinstance(seed, _np.ndarray):
        tied = seed.copy()
    else:
        tied = _np.zeros(d.shape, dtype=bool)
        tied[..., seed] = True
    for _ in range(n):
        grown = tied | _np.any(degenerate & tied[..., :, None], axis=-2)
        if _np.array_equal(grown, tied):
            break
        tied = grown
    return tied


def _extreme(sv, top):
    """The largest (``top``) or smallest singular value. Where it is repeated the function is
    not differentiable; as PyTorch (whose amax shares ties) the gradient is then shared evenly
    among the tied values: (1/k) U_k V_k^H, a subgradient that does not depend on the basis of
    the tied singular subspace (chainrule also counts values equal to rounding as tied). Where
    the value is exactly 0 the gradient is 0 (the least-norm subgradient)."""
    d = sv._data
    index = 0 if top else -1
    tied = _tied(d, index)
    k = _np.sum(tied, axis=-1, keepdims=True)
    if _np.all(k == 1) and _np.all(d[..., index] != 0):
        return sv[..., index]
    w = tied / k * (d[..., index][..., None] != 0)
    # the value of the extreme itself; the weighted sum contributes 0 to it, and its gradient
    return type(sv)._constant(d[..., index]) + _sum((sv - d) * w, axis=-1)


def _to_end(x, r, c):
    """x with axes (r, c) moved to the end, in that order."""
    nd = len(_shape_of(x))
    rest = tuple(i for i in range(nd) if i not in (r, c))
    return _permute(x, rest + (r, c))


def _matrix_norm(x, ord, axes):  # noqa: A002
    r, c = axes
    if r == c:
        raise ValueError(f"norm: duplicate axes given: {axes}")
    if ord in (2, -2, "nuc"):
        sv = svdvals(_to_end(x, r, c))
        return _extreme(sv, ord == 2) if ord != "nuc" else _nuclear(sv)
    if ord in (None, "fro", "f"):
        return _safe_sqrt(_sum(abs2(x), axis=axes))
    if ord in (1, -1):  # largest (smallest) column sum
        sums = _sum(_abs(x), axis=r)
        return (_amax if ord == 1 else _amin)(sums, axis=c - 1 if c > r else c)
    if ord in (_np.inf, -_np.inf):  # largest (smallest) row sum
        sums = _sum(_abs(x), axis=c)
        return (_amax if ord > 0 else _amin)(sums, axis=r - 1 if r > c else r)
    raise ValueError(f"norm: invalid norm order {ord!r} for matrices; use 'fro', 'nuc', 1, -1, "
                     f"2, -2, inf or -inf")


def matrix_norm(x, /, *, keepdims: bool = False, ord="fro"):  # noqa: A002
    """``numpy.linalg.matrix_norm`` over the last two axes."""
    if not _has_tensor(x):
        return _np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def vector_norm(x, /, *, axis=None, keepdims: bool = False, ord=2):  # noqa: A002
    """``numpy.linalg.vector_norm``: over all axes (None), one axis or several (flattened)."""
    if not _has_tensor(x):
        return _np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    shape = _shape_of(x)
    nd = len(shape)
    if axis is None:
        axes = tuple(range(nd))
    elif isinstance(axis, tuple):
        axes = tuple(_normalize_dim(a, nd, "vector_norm") for a in axis)
    else:
        axes = (_normalize_dim(axis, nd, "vector_norm"),)
    rest = tuple(i for i in range(nd) if i not in axes)
    y = _reshape(_permute(x, rest + axes), tuple(shape[i] for i in rest) + (-1,))
    ret = norm(y, ord=ord, axis=-1)
    return _keep(ret, shape, axes, keepdims)


def cond(x, p=None):
    """``numpy.linalg.cond``: differentiable for every ``p`` (2 and -2 through the singular
    values, the others as norm(x) * norm(inv(x)))."""
    if not _has_tensor(x):
        return _np.linalg.cond(x, p)
    if p is None or p in (2, -2):
        sv = svdvals(x)
        if _np.any(sv._data[..., -1] == 0):  # singular: NumPy's inf (no gradient there)
            return type(x)._constant(_np.linalg.cond(x._data, p))
        top, bottom = _extreme(sv, True), _extreme(sv, False)
        return top / bottom if p != -2 else bottom / top
    _square("cond", x)
    try:
        return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))
    except _np.linalg.LinAlgError:  # singular: NumPy's answer is inf (no gradient there)
        return type(x)._constant(_np.linalg.cond(x._data, p))


def matrix_rank(A, tol=None, hermitian: bool = False, *, rtol=None):  # noqa: N803
    """``numpy.linalg.matrix_rank``: an integer count (no gradient)."""
    return _np.linalg.matrix_rank(_data_of(A), tol=None if tol is None else _data_of(tol),
                                  hermitian=hermitian,
                                  rtol=None if rtol is None else _data_of(rtol))


# --- pseudo-inverse, least squares, powers ------------------------------------------------------
_NOVALUE = object()


def pinv(a, rcond=None, hermitian: bool = False, *, rtol=_NOVALUE):
    """``numpy.linalg.pinv`` (NumPy's kernel): singular values at or below ``rcond`` (default
    1e-15; ``rtol=None``: max(M, N) eps) times the largest are dropped. Its derivative is Golub
    and Pereyra's, written with A and its pseudo-inverse only: exact while the rank does not
    change, repeated singular values included (``pinv(eye(3))``)."""
    if not _has_tensor(a):
        if rtol is _NOVALUE:
            return _np.linalg.pinv(a, rcond=rcond, hermitian=hermitian)
        return _np.linalg.pinv(a, rcond=rcond, hermitian=hermitian, rtol=rtol)
    a, s = _prepc("pinv", a, square=hermitian)
    m, n = s[-2:]
    if rcond is None:  # NumPy 2's defaults
        if rtol is _NOVALUE:
            rcond = 1e-15
        else:
            rcond = _np.finfo(a._data.dtype).eps * max(m, n) if rtol is None else rtol
    elif rtol is not _NOVALUE:
        raise ValueError("pinv: `rtol` and `rcond` can't be both set; give one of them")
    rcond = _np.asarray(_data_of(rcond))
    if hermitian:  # NumPy's hermitian kernel (eigh) reads the lower triangle
        a = _d._reflect(a, "L")
    return _d.pinv(a, rcond, hermitian)


def lstsq(a, b, rcond=None):
    """``numpy.linalg.lstsq``: ``(x, residuals, rank, s)``. x is pinv(a) @ b (the minimum-norm
    solution), differentiated through pinv's rule (exact while the rank does not change, repeated
    singular values included); residuals and s are differentiable too."""
    if not _has_tensor((a, b)):
        return _np.linalg.lstsq(a, b, rcond=rcond)
    sa = _matrix("lstsq", a)
    if len(sa) != 2:
        raise LinAlgError(f"lstsq: a must be 2-dimensional, got shape {sa}")
    a, b = _floating(a), _floating(b)
    sb = _shape_of(b)
    if len(sb) not in (1, 2) or sb[0] != sa[0]:
        raise LinAlgError(f"lstsq: b of shape {sb} does not fit a of shape {sa}: it must have "
                          f"{sa[0]} rows (1-D or 2-D)")
    m, n = sa
    if rcond is None:
        rcond = _np.finfo(_data_of(a).dtype).eps * max(m, n)
    x = _matmul(pinv(a, rcond=rcond), b)
    sv = svdvals(a)
    rank = _np.int32(_np.sum(_data_of(sv) > rcond * _np.max(_data_of(sv), initial=0.0)))  # LAPACK's
    if rank == n and m > n:
        r = b - _matmul(a, x)
        res = _sum(abs2(r), axis=0)
        if len(sb) == 1:
            res = _reshape(res, (1,))
    else:
        res = type(x)._constant(_np.empty((0,), dtype=_data_of(a).dtype))
    return x, res, rank, sv


def matrix_power(a, n: int):
    """``numpy.linalg.matrix_power`` by repeated squaring; negative ``n`` inverts first (the
    Tensor face's ``matrix_power``, which NumPy's spelling shares)."""
    if not _has_tensor(a):
        return _np.linalg.matrix_power(a, n)
    return _ops_linalg.matrix_power(a, n)


def multi_dot(arrays, *, out=None):
    """``numpy.linalg.multi_dot``: a 1-D first (last) array is a row (column) vector."""
    arrays = list(arrays)
    if not _has_tensor(arrays):
        return _np.linalg.multi_dot(arrays, out=out)
    if len(arrays) < 2:
        raise ValueError("multi_dot: expecting at least two arrays")
    if out is not None:
        raise TypeError("multi_dot: out= is not supported for tensors")
    result = arrays[0]
    for x in arrays[1:]:
        result = _matmul(result, x)
    return result


def tensorinv(a, ind: int = 2):
    """``numpy.linalg.tensorinv``: inv of ``a`` reshaped to a square matrix."""
    if not _has_tensor(a):
        return _np.linalg.tensorinv(a, ind=ind)
    s = _shape_of(a)
    if ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind}")
    rows, cols = s[:ind], s[ind:]
    nr = int(_np.prod(rows, dtype=_np.int64))
    if nr != int(_np.prod(cols, dtype=_np.int64)):
        raise LinAlgError(f"tensorinv: the first {ind} axes of shape {s} ({nr} elements) must "
                          f"have as many elements as the others")
    return _reshape(inv(_reshape(a, (nr, nr))), cols + rows)


def tensorsolve(a, b, axes=None):
    """``numpy.linalg.tensorsolve``: solve after reshaping ``a`` to a square matrix."""
    if not _has_tensor((a, b)):
        return _np.linalg.tensorsolve(a, b, axes=axes)
    nd = len(_shape_of(a))
    if axes is not None:
        rest = [k for k in range(nd) if k not in [x % nd for x in axes]]
        a = _permute(a, tuple(rest) + tuple(x % nd for x in axes))
    s = _shape_of(a)
    nb = len(_shape_of(b))
    xshape = s[nb:]
    nx = int(_np.prod(xshape, dtype=_np.int64))
    nrow = int(_np.prod(s[:nb], dtype=_np.int64))
    if nx != nrow:
        raise LinAlgError(f"tensorsolve: a of shape {s} is not square after splitting off b's "
                          f"{nb} axes ({nrow} by {nx})")
    x = solve(_reshape(a, (nrow, nx)), _reshape(b, (nrow,)))
    return _reshape(x, xshape)


# --- NumPy 2's array-API additions ------------------------------------------------------------
_LEVI_CIVITA = _np.zeros((3, 3, 3))
for _i, _j, _k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
    _LEVI_CIVITA[_i, _j, _k], _LEVI_CIVITA[_i, _k, _j] = 1.0, -1.0


def cross(x1, x2, /, *, axis: int = -1):
    """``numpy.linalg.cross`` of 3-element vectors along ``axis``."""
    if not _has_tensor((x1, x2)):
        return _np.linalg.cross(x1, x2, axis=axis)
    s1, s2 = _shape_of(x1), _shape_of(x2)
    if not s1 or not s2 or s1[axis] != 3 or s2[axis] != 3:
        raise ValueError(f"cross: both inputs must have 3 elements along axis {axis}, got "
                         f"shapes {s1} and {s2}")
    a, b = (_moveaxis_last(x, axis) for x in (x1, x2))
    eps = _LEVI_CIVITA.astype(_np.result_type(_data_of(x1).dtype, _data_of(x2).dtype, 1.0))
    out = _einsum("...i,...j,ijk->...k", a, b, eps)
    return _moveaxis_back(out, axis)


def _moveaxis_last(x, axis):
    nd = len(_shape_of(x))
    ax = _normalize_dim(axis, nd, "cross")
    return _permute(x, tuple(i for i in range(nd) if i != ax) + (ax,))


def _moveaxis_back(x, axis):
    nd = len(_shape_of(x))
    ax = axis % nd
    order = list(range(nd - 1))
    order.insert(ax, nd - 1)
    return _permute(x, tuple(order))


def outer(x1, x2, /):
    """``numpy.linalg.outer`` of two 1-D arrays."""
    if not _has_tensor((x1, x2)):
        return _np.linalg.outer(x1, x2)
    if len(_shape_of(x1)) != 1 or len(_shape_of(x2)) != 1:
        raise ValueError(f"outer: both inputs must be 1-D, got shapes {_shape_of(x1)} and "
                         f"{_shape_of(x2)}")
    return _einsum("i,j->ij", x1, x2)


def diagonal(x, /, *, offset: int = 0):
    """``numpy.linalg.diagonal``: the diagonal of the last two axes."""
    if not _has_tensor(x):
        return _np.linalg.diagonal(x, offset=offset)
    m, n = _matrix("diagonal", x)[-2:]
    rows = _np.arange(max(0, -offset), min(m, n - offset))
    return _getitem(x, (Ellipsis, rows, rows + offset))


def trace(x, /, *, offset: int = 0, dtype=None):
    """``numpy.linalg.trace`` over the last two axes."""
    if not _has_tensor(x):
        return _np.linalg.trace(x, offset=offset, dtype=dtype)
    r = _sum(diagonal(x, offset=offset), axis=-1)
    return r if dtype is None else r.astype(dtype)


def matmul(x1, x2, /):
    """``numpy.linalg.matmul``."""
    return _matmul(x1, x2) if _has_tensor((x1, x2)) else _np.linalg.matmul(x1, x2)


def vecdot(x1, x2, /, *, axis: int = -1):
    """``numpy.linalg.vecdot``: sum(conj(x1) * x2) along ``axis`` (broadcasting)."""
    if not _has_tensor((x1, x2)):
        return _np.linalg.vecdot(x1, x2, axis=axis)
    return _sum(_conj(x1) * x2, axis=axis)  # NumPy conjugates the first argument


def matrix_transpose(x, /):
    """``numpy.linalg.matrix_transpose``: swap the last two axes."""
    if not _has_tensor(x):
        return _np.linalg.matrix_transpose(x)
    _matrix("matrix_transpose", x)
    return _mT(x)


def tensordot(x1, x2, /, *, axes=2):
    """``numpy.linalg.tensordot``."""
    if not _has_tensor((x1, x2)):
        return _np.linalg.tensordot(x1, x2, axes=axes)
    return _tensordot(x1, x2, axes)


__all__ = [
    "LinAlgError", "SlogdetResult", "EighResult", "SVDResult", "QRResult", "EigResult",
    "inv", "solve", "det", "slogdet", "cholesky", "qr", "eigh", "eigvalsh", "eig", "eigvals",
    "svd", "svdvals", "norm", "matrix_norm", "vector_norm", "cond", "matrix_rank", "pinv",
    "lstsq", "matrix_power", "multi_dot", "tensorinv", "tensorsolve", "cross", "outer",
    "diagonal", "trace", "matmul", "vecdot", "matrix_transpose", "tensordot",
]


def _accept_nested_lists() -> None:
    # A list holding tensors is an array argument too (multi_dot takes a list of arrays itself).
    for name in __all__:
        fn = globals()[name]
        if callable(fn) and not isinstance(fn, type) and name != "multi_dot":
            globals()[name] = _stack_nested_args(fn)


_accept_nested_lists()
