"""Linear-algebra primitives: inverse, solves, determinants and factorisations.

A small core, everything else in ``chainrule.numpy.linalg`` / ``chainrule.scipy.linalg`` is
composed from it: ``inv``, ``solve`` (LU), ``solve_triangular``, ``solve_banded``, ``cholesky``,
``det``, ``logabsdet``, ``eigh``, ``eig``, ``svd``, ``qr``, ``pinv``, ``expm``, ``logm``,
``solve_sylvester`` and ``sqrtm``.

Complex matrices follow PyTorch's convention (docs/architecture.md, "Complex numbers"): forward
rules are the complex derivatives as they stand, reverse rules their adjoints for the real inner
product Re(sum(conj(a) b)) (conjugate transposes where the real rules have transposes), and a
real input of a complex result gets the real part of its gradient.

Every primitive accepts NumPy-style stacks of matrices ``(..., m, n)``. Rules follow the table's
convention (docs/architecture.md): a tangent or cotangent may carry leading batch axes beyond the
array it belongs to; products broadcast over them, and ``_align`` inserts length-1 axes where
an input has fewer stack axes than the output.

Decompositions with several results (``eigh``: w and V; ``svd``: U, s, Vh; ``qr``: Q, R) are one
node each: the kernel returns the results flattened and joined along the last axis (``_pack``),
and the public functions slice them apart, so that one factorisation serves every result.

Symmetric (Hermitian) inputs of ``cholesky`` and ``eigh``: the kernel reads one triangle (as
NumPy does), and the rules differentiate exactly that function (the gradient lives on the read
triangle; see ``_reflect``).

SciPy is imported lazily inside kernels only (``import chainrule`` works without it).

Rules that look at values (repeated eigenvalues or singular values, a singular matrix for
``det``, zero cotangents of unused results) do so in NumPy when the values are known; while
``chainrule.compile`` traces them (``is_concrete`` is False) they take the general formula
(masks from primitives, picked with ``where``) and their checks, which raise ``LinAlgError``
where a derivative does not exist, are recorded as the kernel ``CHECK`` and run with the
compiled program at every call. One case is refused instead: the compiled derivative of
``det`` at a singular complex matrix (see ``_cofactor_traced``).
"""

from __future__ import annotations

import numpy as np

from ._core import (
    ANS,
    STACKED,
    Primitive,
    apply,
    data_of,
    dtype_of,
    is_concrete,
    nondifferentiable,
    register,
    shape_of,
    tensor_types,
)
from .array_ops import argmax_index
from .complex import conj, imag, real
from .elementwise import (
    absolute,
    add,
    astype,
    equal,
    greater,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    not_equal,
    sqrt,
    stop_gradient,
    where,
)
from .linalg import SWAPLAST, einsum, matmul
from .reduction import amax, prod, sum, sum_to  # noqa: A004 - chainrule's sum
from .shape import PAD, concatenate, reshape

LinAlgError = np.linalg.LinAlgError


def _mT(x):
    return apply(SWAPLAST, (x,))


def _mH(x):
    """The conjugate transpose of the last two axes (the transpose of real data)."""
    return conj(apply(SWAPLAST, (x,)))


def _cx(x) -> bool:
    return data_of(x).dtype.kind == "c"


def _like(g, dtype):
    """A gradient for an input of ``dtype``: its real part when the input is real (a real input
    of a complex result), else ``g`` itself."""
    return real(g) if dtype.kind != "c" else g


def _diag(x):
    return einsum("...ii->...i", x)


def _diag_embed(v):
    n = v.shape[-1]
    return reshape(v, v.shape[:-1] + (1, n)) * np.eye(n, dtype=data_of(v).dtype)


def _col(v):
    """(..., n) -> (..., 1, n): scales the columns of a matrix it multiplies."""
    return reshape(v, v.shape[:-1] + (1, v.shape[-1]))


def _align(t, x_nd, out_nd):
    """A tangent ``t`` of an input with ``x_nd`` dimensions, its batch axes (if any) moved in
    front of the ``out_nd - x_nd`` stack axes the input lacks, so that it broadcasts against
    the output's stack axes."""
    k = out_nd - x_nd
    if k <= 0 or t.ndim == x_nd:
        return t
    lead = t.shape[: t.ndim - x_nd]
    return reshape(t, lead + (1,) * k + t.shape[len(lead):])


def _tri_mask(n, lower, k, dtype):
    """A constant mask of the lower (or upper) triangle, ``k`` diagonals away from the main."""
    m = np.tril(np.ones((n, n)), k) if lower else np.triu(np.ones((n, n)), -k)
    return m.astype(dtype)


def _singular(op, exc, hint):
    return LinAlgError(f"{op}: the matrix is singular ({exc}); {hint}")


# --- inverse and LU solve -------------------------------------------------------------------------
def _inv_impl(a):
    try:
        return np.linalg.inv(a)
    except LinAlgError as exc:
        raise _singular("inv", exc, "use pinv for a pseudo-inverse, or solve/lstsq") from None


INV = Primitive(
    "inv", _inv_impl, save=(ANS,),
    vjp=lambda g, ans: -matmul(matmul(_mH(ans), g), _mH(ans)),
    jvp=lambda t, ans: -matmul(matmul(ans, t), ans),
    batch=STACKED,
)


def _solve_impl(a, b):
    try:
        return np.linalg.solve(a, b)
    except LinAlgError as exc:
        raise _singular("solve", exc, "use lstsq for a least-squares solution") from None


# X = A^-1 B:  dX = A^-1 (dB - dA X);  gB = A^-H g,  gA = -gB X^H (real parts for real inputs).
def _solve_da(g, a, b_shape, b_dtype, x):
    lead = g.ndim - x.ndim
    return sum_to(_like(-matmul(solve(_mH(a), g), _mH(x)), data_of(a).dtype), a.shape, lead)


def _solve_db(g, a, b_shape, b_dtype, x):
    return sum_to(_like(solve(_mH(a), g), b_dtype), b_shape, g.ndim - x.ndim)


SOLVE = Primitive(
    "solve", _solve_impl, nin=2, save=(0, shape_of(1), dtype_of(1), ANS),
    vjp=(_solve_da, _solve_db),
    jvp=(lambda t, a, b_shape, b_dtype, x: -solve(a, matmul(_align(t, a.ndim, x.ndim), x)),
         lambda t, a, b_shape, b_dtype, x: solve(a, _align(t, len(b_shape), x.ndim))),
    batch=STACKED,
)


def _stacked(fn, a, b):
    """Apply a 2-D kernel ``fn(a, b)`` over the broadcast stack axes of non-empty ``a``, ``b``."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if not batch:
        return fn(a, b)
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    first = fn(a[(0,) * len(batch)], b[(0,) * len(batch)])
    out = np.empty(batch + first.shape, dtype=first.dtype)
    for idx in np.ndindex(*batch):
        out[idx] = first if not any(idx) else fn(a[idx], b[idx])
    return out


def _solve_tri_impl(a, b, lower, unit_diagonal):
    n = a.shape[-1]
    if n == 0 or b.size == 0:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        return np.zeros(batch + b.shape[-2:], dtype=np.result_type(a, b, 1.0))
    try:
        from scipy.linalg import solve_triangular as kernel
    except ImportError:  # NumPy only: an LU solve of the triangle (same result, O(n^3))
        def kernel(a2, b2, lower, unit_diagonal, check_finite):
            t = np.tril(a2) if lower else np.triu(a2)
            if unit_diagonal:
                np.fill_diagonal(t, 1)
            return np.linalg.solve(t, b2)
    try:
        return _stacked(lambda a2, b2: kernel(a2, b2, lower=lower, unit_diagonal=unit_diagonal,
                                              check_finite=False), a, b)
    except LinAlgError as exc:
        raise _singular("solve_triangular", exc, "a zero on the diagonal of the triangle") \
            from None


def _solve_tri_da(g, a, b_shape, b_dtype, x, lower, unit):
    gb = solve_triangular(_mH(a), g, not lower, unit)
    mask = _tri_mask(a.shape[-1], lower, -1 if unit else 0, data_of(x).dtype)
    ga = _like(-matmul(gb, _mH(x)) * mask, data_of(a).dtype)
    return sum_to(ga, a.shape, g.ndim - x.ndim)


def _solve_tri_ta(t, a, b_shape, b_dtype, x, lower, unit):
    mask = _tri_mask(a.shape[-1], lower, -1 if unit else 0, data_of(x).dtype)
    return -solve_triangular(a, matmul(_align(t, a.ndim, x.ndim) * mask, x), lower, unit)


# Only the triangle named by `lower` is read (without its diagonal when unit_diagonal).
SOLVE_TRIANGULAR = Primitive(
    "solve_triangular", _solve_tri_impl, nin=2, save=(0, shape_of(1), dtype_of(1), ANS),
    vjp=(_solve_tri_da,
         lambda g, a, b_shape, b_dtype, x, lower, unit: sum_to(
             _like(solve_triangular(_mH(a), g, not lower, unit), b_dtype), b_shape,
             g.ndim - x.ndim)),
    jvp=(_solve_tri_ta,
         lambda t, a, b_shape, b_dtype, x, lower, unit: solve_triangular(
             a, _align(t, len(b_shape), x.ndim), lower, unit)),
    batch=STACKED,
)


# --- Cholesky -----------------------------------------------------------------------------------
# Like NumPy's (LAPACK's) kernels, cholesky and eigh read one triangle of A (``uplo`` 'L' or 'U')
# and the real part of its diagonal, and stand for the symmetric (Hermitian) matrix that the
# triangle mirrors: S = R(A) = tril(A, -1) + tril(A, -1)^H + Re diag(A). The rules differentiate
# that function exactly: forward rules take R(t), reverse rules return the adjoint R^*(G) =
# tril(G + G^H, -1) + Re diag(G), which lives on the read triangle (off-diagonal entries count
# twice, since each stands for two entries of S).
def _reflect(t, uplo):
    n = t.shape[-1]
    dt = data_of(t).dtype
    lower = uplo != "U"
    if dt.kind != "c":
        return t * _tri_mask(n, lower, 0, dt) + _mT(t * _tri_mask(n, lower, -1, dt))
    strict = t * _tri_mask(n, lower, -1, dt)
    return strict + _mH(strict) + real(t) * np.eye(n)


def _reflect_t(g, uplo):
    n = g.shape[-1]
    lower = uplo != "U"
    dt = data_of(g).dtype
    if dt.kind != "c":
        return g * _tri_mask(n, lower, 0, dt) + _mT(g) * _tri_mask(n, lower, -1, dt)
    return (g + _mH(g)) * _tri_mask(n, lower, -1, dt) + real(g) * np.eye(n)


def _cholesky_impl(a, uplo):
    try:
        if uplo == "U":  # NumPy reads the upper triangle for upper=True: L = U^H
            return np.conj(np.swapaxes(np.linalg.cholesky(a, upper=True), -1, -2))
        return np.linalg.cholesky(a)
    except LinAlgError as exc:
        raise LinAlgError(
            f"cholesky: the matrix is not positive definite ({exc}); a covariance or kernel "
            f"matrix often needs a small multiple of the identity added (jitter)") from None


def _phi(x):
    """The lower triangle with the diagonal halved."""
    n = x.shape[-1]
    return x * (np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n)).astype(data_of(x).dtype)


# S = L L^H:  dL = L phi(L^-1 dS L^-H);  gS = L^-H phi(L^H g) L^-1 (phi has real
# coefficients, so it is its own adjoint; L^-1 dS L^-H is Hermitian, so dL keeps a real diagonal).
def _cholesky_jvp(t, lo, uplo):
    y = solve_triangular(lo, _reflect(t, uplo), True, False)
    return matmul(lo, _phi(solve_triangular(lo, _mH(y), True, False)))


def _cholesky_vjp(g, lo, uplo):
    up = _mH(lo)
    w = solve_triangular(up, _phi(matmul(up, g)), False, False)
    return _reflect_t(_mH(solve_triangular(up, _mH(w), False, False)), uplo)


# The lower factor L (for uplo 'U' the conjugate transpose of NumPy's upper factor).
CHOLESKY = Primitive("cholesky", _cholesky_impl, save=(ANS,), vjp=_cholesky_vjp,
                     jvp=_cholesky_jvp, batch=STACKED)


# --- determinants -------------------------------------------------------------------------------
# det and log det are holomorphic: d det = sum(cof * dA) with cof = det(A) A^-T, so the forward
# rules multiply by cof (A^-T for log det) and the reverse rules by its conjugate.
def _cofactor(a, d):
    """The cofactor matrix det(A) A^-T (the derivative of det), also at singular matrices: there
    it comes from the SVD A = U S V^H, cof = det(U) det(V^H) conj(U) diag(prod_{j != i} s_j)
    conj(V^H)."""
    ad, dd = data_of(a), data_of(d)
    n = ad.shape[-1]
    if n == 0:
        return a * 0
    if not (is_concrete(a) and is_concrete(d)):
        return _cofactor_traced(a, d)
    hadamard = np.prod(np.linalg.norm(ad, axis=-2), axis=-1)
    if np.all(np.abs(dd) > 1e-8 * hadamard):
        return reshape(d, d.shape + (1, 1)) * _mT(inv(a))
    if ad.dtype.kind == "c" and type(a) in tensor_types and (
            a._edge is not None or getattr(a, "_fw", None)):
        # the phase det(U) det(V^H) moves with A, and differentiating it through the SVD
        # cancels terms of size 1 / s_min: no accurate second derivative at a zero s_min
        raise LinAlgError(
            "det: the second derivative at a singular complex matrix is not provided (the "
            "cofactor matrix, the first derivative, is exact there); perturb the matrix, or "
            "differentiate det of its real representation")
    u, s, vh = _svd_parts(a)
    others = prod(where(np.eye(n, dtype=bool), 1.0, _col(real(s))), axis=-1)
    # det(U) det(V^H): a sign (real), a unit complex number (complex), taken as a constant
    phase = np.linalg.det(data_of(u)) * np.linalg.det(data_of(vh))
    return matmul(conj(u) * _col(others), conj(vh)) * phase[..., None, None]


def _cofactor_traced(a, d):
    """``_cofactor`` while compile traces: both formulas, picked per matrix with ``where`` by
    the same test of singularity, so that one trace serves every input. The inverse is taken
    of the identity where a matrix is singular (it would raise), the SVD formula everywhere
    (its value is dropped where the matrix is regular, and its cotangent there is 0)."""
    n = a.shape[-1]
    a0 = stop_gradient(a)
    norms = sqrt(sum(real(a0 * conj(a0)), axis=-2))
    regular = greater(absolute(stop_gradient(d)), prod(norms, axis=-1) * 1e-8)
    regular = reshape(regular, regular.shape + (1, 1))
    eye = np.eye(n, dtype=data_of(a).dtype)
    by_inverse = reshape(d, d.shape + (1, 1)) * _mT(inv(where(regular, a, eye)))
    if _cx(a):
        # the complex SVD formula has no accurate second derivative at a singular matrix (see
        # above), and a trace cannot know whether its result is differentiated again
        check = _checked("det_regular", "det", (regular,), "", data_of(a).dtype)
        return by_inverse + check
    u, s, vh = _svd_parts(a)
    others = prod(where(np.eye(n, dtype=bool), 1.0, _col(real(s))), axis=-1)
    phase = apply(DET, (stop_gradient(u),)) * apply(DET, (stop_gradient(vh),))
    by_svd = matmul(conj(u) * _col(others), conj(vh)) * reshape(phase, phase.shape + (1, 1))
    return where(regular, by_inverse, by_svd)


def _det_impl(a):
    return np.asarray(np.linalg.det(a))


DET = Primitive(
    "det", _det_impl, save=(0, ANS),
    vjp=lambda g, a, d: reshape(g, g.shape + (1, 1)) * conj(_cofactor(a, d)),
    jvp=lambda t, a, d: sum(t * _cofactor(a, d), axis=(-2, -1)),
    batch=STACKED,
)


def _logabsdet_impl(a):
    sign, logabs = np.linalg.slogdet(a)
    if np.iscomplexobj(a):  # log det = log|det| + i arg(det), holomorphic
        return np.asarray(logabs + 1j * np.angle(sign))
    return np.asarray(logabs)


def _inv_t(a):
    return _mT(inv(a))


# log|det A| of a real matrix; log det A = log|det A| + i arg det A of a complex one (its real
# part is log|det A|, the phase of its imaginary part slogdet's sign). d log det = tr(A^-1 dA).
LOGABSDET = Primitive(
    "logabsdet", _logabsdet_impl, save=(0,),
    vjp=lambda g, a: reshape(g, g.shape + (1, 1)) * conj(_inv_t(a)),
    jvp=lambda t, a: sum(t * _inv_t(a), axis=(-2, -1)),
    batch=STACKED,
)


# --- packing several results into one node ------------------------------------------------------
def _pack(parts):
    """Arrays ``(array, number of core axes)`` with their core axes flattened, joined along the
    last axis (the forward rules' counterpart of ``_np_pack``)."""
    flat = [reshape(p, p.shape[: p.ndim - c] + (_core_size(p.shape, c),)) for p, c in parts]
    kinds = {data_of(f).dtype.kind for f in flat}
    if "c" in kinds and len(kinds) > 1:  # real parts (eigenvalues, singular values) of a
        dt = next(data_of(f).dtype for f in flat if _cx(f))  # complex result: cast, so that
        flat = [f if _cx(f) else astype(f, dt) for f in flat]  # their cotangents turn real
    return flat[0] if len(flat) == 1 else concatenate(flat, axis=-1)


def _unpack(p, cores):
    """Split a packed array into arrays of the given core shapes (leading axes kept)."""
    out, start = [], 0
    for core in cores:
        size = int(np.prod(core, dtype=np.int64))
        out.append(reshape(p[..., start:start + size], p.shape[:-1] + tuple(core)))
        start += size
    return out


def _core_size(shape, c) -> int:
    # spelled out: reshape's -1 is ambiguous for an empty stack
    return int(np.prod(shape[len(shape) - c:], dtype=np.int64))


def _np_pack(*arrays_and_cores):
    return np.concatenate([a.reshape(a.shape[: a.ndim - c] + (_core_size(a.shape, c),))
                           for a, c in arrays_and_cores], axis=-1)


# --- symmetric (Hermitian) eigendecomposition ---------------------------------------------------
def _eigh_impl(a, uplo):
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return _np_pack((w, 1), (v, 2))


def _gap_inverse(w, squared=False):
    """F[i, j] = 1 / (w_j - w_i) (or 1 / (w_j^2 - w_i^2)), 0 on the diagonal and where the two
    values coincide (to rounding); with the mask of those coinciding pairs. ``w`` may be
    complex (the eigenvalues of ``eig``). The mask is a NumPy array when the values are known,
    a constant tensor while compile traces (the same test, with primitives)."""
    if not is_concrete(w):
        return _gap_inverse_traced(w, squared)
    wd = data_of(w)
    n = wd.shape[-1]
    # values equal to within their rounding (n eps max|w|, also for squared: singular values
    # are accurate to eps s_max in absolute terms, their squares' gaps are not the test)
    gap_d = wd[..., None, :] - wd[..., :, None]
    scale = np.max(np.abs(wd), axis=-1, keepdims=True)[..., None] if n else 0
    eps = np.finfo(wd.dtype).eps
    tol = max(n, 1) * eps * np.maximum(scale, np.finfo(wd.dtype).tiny)
    ok = np.abs(gap_d) > tol
    if squared:
        w = w * w
    gap = _col(w) - reshape(w, w.shape + (1,))
    degenerate = ~ok & ~np.eye(n, dtype=bool)
    return where(ok, 1.0 / where(ok, gap, 1.0), 0.0), degenerate


def _gap_inverse_traced(w, squared):
    w0 = stop_gradient(w)
    n = w.shape[-1]
    eps = np.finfo(data_of(w).dtype).eps
    gap_d = _col(w0) - reshape(w0, w0.shape + (1,))
    if n:
        scale = reshape(amax(absolute(w0), axis=-1, keepdims=True), w0.shape[:-1] + (1, 1))
        tol = maximum(scale, np.finfo(data_of(w).dtype).tiny) * (max(n, 1) * eps)
    else:
        tol = np.finfo(data_of(w).dtype).tiny * eps
    ok = greater(absolute(gap_d), tol)
    if squared:
        w = w * w
    gap = _col(w) - reshape(w, w.shape + (1,))
    degenerate = logical_and(logical_not(ok), ~np.eye(n, dtype=bool))
    return where(ok, 1.0 / where(ok, gap, 1.0), 0.0), degenerate


def _may_hold(mask) -> bool:
    """Whether a mask may have a true entry: ``np.any`` when its values are known, else True
    (while compile traces, the formula for the general case is taken)."""
    return not is_concrete(mask) or bool(np.any(data_of(mask)))


def _run_check(arrays, kind, op, text):
    """The value check ``kind`` of the derivative rules below (raises LinAlgError)."""
    if kind == "repeated":
        _check_repeated(op, *arrays[:3], arrays[3] if len(arrays) > 3 else None, text)
    elif kind == "phase":
        _check_phase(op, arrays[0], text)
    elif kind == "mixing":
        _check_mixing(op, *arrays, hermitian=text == "hermitian")
    elif kind == "eig_vectors":
        degenerate, w, gw, gv = arrays
        if np.any(data_of(gv)):
            if np.any(degenerate):
                _refuse_eig_vectors(degenerate, w)
        else:
            _check_repeated("eig", degenerate, w, gw, None, text)
    elif kind == "det_regular":
        if not np.all(data_of(arrays[0])):
            raise LinAlgError(
                "det: the compiled derivative at a singular complex matrix is not provided (the "
                "eager one is: call grad(det) outside compile there, or perturb the matrix)")


def _check_impl(*args):
    """The kernel of ``CHECK``: run the check, and return a 0-d zero of ``dtype`` that the rule
    adds to its result, so that the check stays in a compiled program."""
    *arrays, kind, op, text, dtype = args
    _run_check(arrays, kind, op, text)
    return np.zeros((), dtype)


# The checks of the rules below, as a kernel: where the values are not known (compile traces
# the rule), the check is recorded and runs with the compiled program, on each call's values.
CHECK = nondifferentiable("linalg_check", _check_impl, nin=None)


def _checked(kind, op, arrays, text, dtype):
    """Run the check ``kind`` now when every array's values are known (and return None), else
    record it (``CHECK``) and return its 0-d zero of ``dtype``, for ``_plus``."""
    for a in arrays:
        if not is_concrete(a):
            return apply(CHECK, tuple(arrays), (kind, op, text, np.dtype(dtype)))
    _run_check(arrays, kind, op, text)  # (the checks read a tensor's data themselves)
    return None


def _plus(x, *checks):
    """``x`` plus the zeros of recorded checks (which keeps them in a compiled program: a check
    whose result nothing used would be removed as dead code); ``x`` itself after eager ones."""
    for c in checks:
        if c is not None:
            x = x + c
    return x


def _fmt(x):
    x = complex(x) if np.iscomplexobj(x) else float(x)
    return repr(x)


def _pairs_message(op, vals, pos, what):
    """'op: the what is not defined: values i and j are repeated (...)' for the pair at ``pos``
    (an index into an array of shape lead + stack + (n, n))."""
    i, j = int(pos[-2]), int(pos[-1])
    vd = np.asarray(data_of(vals))
    nb = vd.ndim - 1
    row = vd[tuple(int(p) for p in pos[len(pos) - 2 - nb: len(pos) - 2])] if nb else vd
    return (f"{op}: the {what} is not defined: values {i} and {j} are repeated "
            f"({_fmt(row[i])} and {_fmt(row[j])}, gap {abs(row[i] - row[j]):.3g})")


def _check_repeated(op, degenerate, vals, gvals, k, fine):
    """Reverse mode at repeated values: the masked formula is exact when the loss is symmetric
    in the repeated values (equal cotangents) and does not depend on the basis chosen in their
    subspace (the anti-Hermitian part of ``k`` vanishes on those pairs); otherwise the gradient
    does not exist, and this raises."""
    if not np.any(degenerate):
        return
    checks = []
    gd = np.asarray(data_of(gvals))
    checks.append(np.abs(gd[..., :, None] - gd[..., None, :]) / max(np.max(np.abs(gd), initial=0),
                                                                     1e-300))
    if k is not None:
        kd = np.asarray(data_of(k))
        checks.append(np.abs(kd - np.conj(np.swapaxes(kd, -1, -2)))
                      / max(np.max(np.abs(kd), initial=0), 1e-300))
    for c in checks:
        bad = np.broadcast_to(degenerate, c.shape) & (c > 1e-7)
        if np.any(bad):
            raise LinAlgError(
                _pairs_message(op, vals, np.argwhere(bad)[0], "gradient")
                + "; the loss depends on them separately or on the basis of their subspace. "
                f"Gradients exist for losses symmetric in repeated values and independent of "
                f"that basis: {fine}, traces of matrix functions, projectors onto the whole "
                f"subspace")


def _check_phase(op, k, what):
    """Reverse mode with complex vectors: each is defined up to a factor e^{i phi}; the loss must
    not depend on it, which means Im(diag(k)) = 0 (k = V^H gV, summed over U and V for svd)."""
    kd = np.asarray(data_of(k))
    im = np.abs(np.imag(np.diagonal(kd, axis1=-2, axis2=-1)))
    if np.any(im > 1e-7 * max(np.max(np.abs(kd), initial=0), 1e-300)):
        i = int(np.argwhere(im == np.max(im))[0][-1])
        raise LinAlgError(
            f"{op}: the gradient is not defined: the loss depends on the phase of complex "
            f"{what} {i} (each is defined only up to a factor e^(i phi)); use a loss invariant "
            f"under that factor (|v|^2, v v^H, U diag(s) V^H, ...), and take all the results "
            f"you use from one call of {op} (each call is checked on its own)")


def _check_mixing(op, degenerate, vals, m, hermitian=True):
    """Forward mode at repeated values: the tangent exists when the perturbation does not mix
    the repeated pair (``m``, the perturbation in the eigenbasis, has a zero Hermitian part
    there; for ``eig``, with ``hermitian=False``, m itself is 0 there)."""
    if not np.any(degenerate):
        return
    md = np.asarray(data_of(m))
    mt = np.swapaxes(md, -1, -2)
    md = np.abs(md + np.conj(mt)) if hermitian else np.abs(md) + np.abs(mt)
    bad = np.broadcast_to(degenerate, md.shape) & (md > 1e-7 * max(np.max(md, initial=0), 1e-300))
    if np.any(bad):
        raise LinAlgError(_pairs_message(op, vals, np.argwhere(bad)[0], "tangent")
                          + " and the perturbation mixes them; use reverse mode for losses "
                          "symmetric in repeated values, or perturb the matrix slightly")


# S = V diag(w) V^H:  M = V^H dS V,  dw = Re diag(M),  dV = V (F o M) (the gauge Im(v_i^H dv_i)
# = 0, as PyTorch);  gS = V (diag(g_w) + F o V^H g_V) V^H.
def _eigh_jvp(t, packed, uplo):
    n = t.shape[-1]
    w, v = _unpack(packed, [(n,), (n, n)])
    w = real(w)
    f, degenerate = _gap_inverse(w)
    m = matmul(matmul(_mH(v), _reflect(t, uplo)), v)
    check = _checked("mixing", "eigh", (degenerate, w, m), "hermitian", data_of(m).dtype)
    return _pack([(real(_diag(m)), 1), (_plus(matmul(v, f * m), check), 2)])


def _eigh_vjp(g, packed, uplo):
    n = int(round(np.sqrt(packed.shape[-1] + 0.25) - 0.5))  # packed length n + n^2
    w, v = _unpack(packed, [(n,), (n, n)])
    w = real(w)
    gw, gv = _unpack(g, [(n,), (n, n)])
    gw = real(gw)
    inner = _diag_embed(gw)
    f, degenerate = _gap_inverse(w)
    checks = []
    # eigvalsh sends zeros for the vectors: skip them (while compile traces, k = 0 there)
    if _may_hold(gv):
        k = matmul(_mH(v), gv)
        if _cx(k):
            checks.append(_checked("phase", "eigh", (k,), "eigenvector", data_of(k).dtype))
        checks.append(_checked("repeated", "eigh", (degenerate, w, gw, k),
                               "eigenvalue sums (eigvalsh)", data_of(k).dtype))
        inner = inner + f * k
    else:
        _check_repeated("eigh", degenerate, w, gw, None, "eigenvalue sums (eigvalsh)")
    return _plus(_reflect_t(matmul(matmul(v, inner), _mH(v)), uplo), *checks)


EIGH = Primitive("eigh", _eigh_impl, save=(ANS,), vjp=_eigh_vjp, jvp=_eigh_jvp, batch=STACKED)


# --- general eigendecomposition -----------------------------------------------------------------
# A V = V diag(w), the columns of V of unit norm with their largest entry real (LAPACK's, hence
# NumPy's, normalisation). With M = V^-1 dA V and F[i, j] = 1 / (w_j - w_i):
#   dw = diag(M),  dV = Y + V diag(c),  Y = V (F o M),
# where c keeps the normalisation: Re c_i = -Re(v_i^H y_i) (unit norm), Im c_i = -Im(Y[k_i, i]) /
# V[k_i, i] (the largest entry k_i stays real). The reverse rule is its adjoint:
#   gY = gV - V diag(Re h) - i E diag(Im h / V[k, i]),  h = diag(V^H gV),  E the entries k_i,
#   gA = V^-H (diag(gw) + conj(F) o V^H gY) V^H,
# so gradients are those of NumPy's normalisation; for losses invariant under v_i -> v_i e^{i phi}
# (Im h = 0) they equal PyTorch's.
def _eig_impl(a):
    w, v = np.linalg.eig(a)
    return _np_pack((w, 1), (v, 2))


def _largest(v):
    """A constant mask of the largest entry (in modulus, the first of ties) of each column."""
    if not is_concrete(v):
        av = absolute(stop_gradient(v))
        k = argmax_index(av, axis=-2)
        rows = np.arange(v.shape[-2])[:, None]
        return astype(equal(rows, reshape(k, k.shape[:-1] + (1,) + k.shape[-1:])),
                      data_of(av).dtype)
    vd = np.abs(np.asarray(data_of(v)))
    k = np.argmax(vd, axis=-2)
    return (np.arange(vd.shape[-2])[:, None] == k[..., None, :]).astype(vd.dtype)


def _eig_solve(v, x):
    try:
        return solve(v, x)
    except LinAlgError:
        raise LinAlgError("eig: the eigenvectors are linearly dependent (a defective matrix): "
                          "the eigendecomposition is not differentiable there") from None


def _eig_jvp(t, in_dtype, packed):
    n = t.shape[-1]
    w, v = _unpack(packed, [(n,), (n, n)])
    f, degenerate = _gap_inverse(w)
    m = _eig_solve(v, matmul(t, v))
    check = _checked("mixing", "eig", (degenerate, w, m), "", data_of(m).dtype)
    y = _plus(matmul(v, f * m), check)
    c = -real(_diag(matmul(_mH(v), y)))
    if _cx(y):
        e = _largest(v)
        c = c - 1j * imag(sum(y * e, axis=-2)) / real(sum(v * e, axis=-2))
    return _pack([(_diag(m), 1), (y + v * _col(c), 2)])


def _eig_vjp(g, in_dtype, packed):
    n = int(round(np.sqrt(packed.shape[-1] + 0.25) - 0.5))
    w, v = _unpack(packed, [(n,), (n, n)])
    gw, gv = _unpack(g, [(n,), (n, n)])
    f, degenerate = _gap_inverse(w)
    inner = _diag_embed(gw)
    check = None
    # eigvals sends zeros for the vectors: skip them (while compile traces, h = gy = 0 there)
    if _may_hold(gv):
        if is_concrete(gv) and is_concrete(degenerate):
            if np.any(degenerate):
                _refuse_eig_vectors(degenerate, w)
        else:  # the same decision, in the compiled program
            check = _checked("eig_vectors", "eig", (degenerate, w, gw, gv),
                             "eigenvalue sums (eigvals)", data_of(gv).dtype)
        h = _diag(matmul(_mH(v), gv))
        gy = gv - v * _col(real(h))
        if _cx(gy):
            e = _largest(v)
            gy = gy - 1j * e * _col(imag(h) / real(sum(v * e, axis=-2)))
        inner = inner + conj(f) * matmul(_mH(v), gy)
    else:
        _check_repeated("eig", degenerate, w, gw, None, "eigenvalue sums (eigvals)")
    return _like(_eig_solve(_mH(v), matmul(_plus(inner, check), _mH(v))), in_dtype)


def _refuse_eig_vectors(degenerate, w):
    raise LinAlgError(
        _pairs_message("eig", w, np.argwhere(degenerate)[0], "gradient")
        + "; eigenvectors of repeated eigenvalues are not differentiable (eigenvalue "
        "sums are: use eigvals)")


EIG = Primitive("eig", _eig_impl, save=(dtype_of(0), ANS), vjp=_eig_vjp, jvp=_eig_jvp,
                batch=STACKED)


# --- singular value decomposition ---------------------------------------------------------------
def _svd_impl(a, full_matrices, values_only):
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return _np_pack((u, 2), (s, 1), (vh, 2))


def _svd_cores(m, n, full):
    k = min(m, n)
    return [(m, m if full else k), (k,), (n if full else k, n)]


def _svd_split(packed, m, n, full):
    """U, s, Vh of the reduced SVD (the first k columns of a full U and rows of a full Vh)."""
    k = min(m, n)
    u, s, vh = _unpack(packed, _svd_cores(m, n, full))
    if full:
        u, vh = u[..., :, :k], vh[..., :k, :]
    return u, real(s), vh


# A = U S V^H, P = U^H dA V:  ds = Re diag(P),  dU = U (F o (P S + S P^H)) + U D,
# dV = V (F o (S P + P^H S)) - V D with F[i, j] = 1 / (s_j^2 - s_i^2) and, for complex data,
# D = i Im(diag(P)) / (2 S) (the phase shared between u_i and v_i); tall and wide matrices add
# the parts outside the span of U (V): (I - U U^H) dA V S^-1, (I - V V^H) dA^H U S^-1.
def _cluster_mean(x, degenerate):
    """``x`` (..., k) averaged over each cluster of repeated values (``degenerate``, closed
    under chains of ties), a constant linear map."""
    k = degenerate.shape[-1]
    if not is_concrete(degenerate):  # compile traces: squarings, enough for chains of k
        link = astype(logical_or(degenerate, np.eye(k, dtype=bool)), data_of(x).dtype)
        for _ in range(max(k - 1, 1).bit_length()):
            link = astype(greater(matmul(link, link), 0), data_of(x).dtype)
        weights = link / sum(link, axis=-1, keepdims=True)
        return einsum("...ij,...j->...i", weights, x)
    link = degenerate | np.eye(k, dtype=bool)
    for _ in range(k):  # transitive closure
        grown = (link.astype(np.int64) @ link.astype(np.int64)) > 0
        if np.array_equal(grown, link):
            break
        link = grown
    weights = link / np.sum(link, axis=-1, keepdims=True)
    return einsum("...ij,...j->...i", weights.astype(data_of(x).dtype), x)


def _svd_jvp(t, a_shape, packed, full, values_only):
    m, n = a_shape[-2:]
    k = min(m, n)
    u, s, vh = _svd_split(packed, m, n, full)
    v = _mH(vh)
    f, degenerate = _gap_inverse(s, squared=True)
    p = matmul(matmul(_mH(u), t), v)  # U^H dA V (k x k)
    check = None
    if not values_only:
        check = _checked("mixing", "svd", (degenerate, s, p), "hermitian", data_of(p).dtype)
    ps = p * _col(s)  # P S
    sp = reshape(s, s.shape + (1,)) * p  # S P
    ju = f * (ps + _mH(ps))  # U^H dU off the diagonal
    jv = f * (sp + _mH(sp))  # V^H dV
    ds = real(_diag(p))
    if _may_hold(degenerate):
        # Inside a cluster of repeated values only U^H dU - V^H dV = (P - P^H) / s is
        # determined (the common rotation is the basis' freedom): half of it each, which is
        # the limit of the formula above where it has one, and what every loss independent of
        # that basis (U V^H, the gradient U diag(g) V^H of svdvals) needs.
        anti = _within_clusters(p, s, degenerate)
        ju, jv = ju + anti, jv - anti
        if values_only:
            # svdvals: the values one by one have no linear derivative when the perturbation
            # mixes them; their cluster mean has, and it serves every function symmetric in
            # them (sums, norms, tie-sharing extremes)
            ds = _cluster_mean(ds, degenerate)
    du = _plus(matmul(u, ju), check)
    dv = matmul(v, jv)
    s_inv = _safe_inverse(s)
    if _cx(p):
        d = _col(1j * imag(_diag(p)) * s_inv * 0.5)
        du = du + u * d
        dv = dv - v * d
    if m > n:
        dav = matmul(t, v)
        du = du + (dav - matmul(u, matmul(_mH(u), dav))) * _col(s_inv)
    if n > m:
        dau = matmul(_mH(t), u)
        dv = dv + (dau - matmul(v, matmul(_mH(v), dau))) * _col(s_inv)
    dvh = _mH(dv)
    if full:  # the completing columns are any basis of the complement: their tangent is 0
        lead = du.shape[:-2]
        if m > k:
            du = concatenate([du, np.zeros(lead + (m, m - k), dtype=data_of(du).dtype)], axis=-1)
        if n > k:
            dvh = concatenate([dvh, np.zeros(lead + (n - k, n), dtype=data_of(dvh).dtype)],
                              axis=-2)
    return _pack([(du, 2), (ds, 1), (dvh, 2)])


def _within_clusters(p, s, degenerate):
    """(P - P^H) / (2 (s_i + s_j)) on the pairs of repeated nonzero singular values, else 0."""
    if is_concrete(s) and is_concrete(degenerate):
        s_d = data_of(s)
        ok = degenerate & (s_d[..., :, None] + s_d[..., None, :] > 0)
    else:
        s0 = stop_gradient(s)
        ok = logical_and(degenerate, greater(add(_col(s0), reshape(s0, s0.shape + (1,))), 0))
    half = where(ok, 1.0 / where(ok, _col(s) + reshape(s, s.shape + (1,)), 1.0), 0.0)
    return (p - _mH(p)) * half * 0.5


def _safe_inverse(s):
    ok = data_of(s) != 0 if is_concrete(s) else not_equal(stop_gradient(s), 0)
    return where(ok, 1.0 / where(ok, s, 1.0), 0.0)


def _svd_parts(a):
    """U, s, Vh (reduced) of ``a`` through the SVD primitive (differentiable)."""
    m, n = a.shape[-2:]
    return _svd_split(apply(SVD, (a,), (False, False)), m, n, False)


def _svd_vjp(g, a_shape, packed, full, values_only):
    m, n = a_shape[-2:]
    u, s, vh = _svd_split(packed, m, n, full)
    gu, gs, gvh = _svd_split(g, m, n, full)
    v = _mH(vh)
    inner = _diag_embed(gs)
    # svdvals sends zeros for the vectors: skip them (while compile traces, au = av = 0 there)
    active_u, active_v = _may_hold(gu), _may_hold(gvh)
    f, degenerate = _gap_inverse(s, squared=True)
    checks = []
    if not (active_u or active_v):
        _check_repeated("svd", degenerate, s, gs, None, "sums of singular values (svdvals)")
    else:
        gv = _mH(gvh)
        au, av = matmul(_mH(u), gu), matmul(_mH(v), gv)
        both = au + av
        dt = data_of(both).dtype
        if _cx(both):
            checks.append(_checked("phase", "svd", (both,), "singular vector pair", dt))
        checks.append(_checked("repeated", "svd", (degenerate, s, gs, both),
                               "sums of singular values (svdvals)", dt))
        j, kk = f * au, f * av
        inner = inner + (j + _mH(j)) * _col(s) + reshape(s, s.shape + (1,)) * (kk + _mH(kk))
        if _may_hold(degenerate):  # the adjoint of the forward rule's rotation inside clusters
            inner = inner + _within_clusters(au - av, s, degenerate)
        if _cx(au) or _cx(av):
            inner = inner + _diag_embed(1j * imag(_diag(au - av)) * _safe_inverse(s) * 0.5)
    ga = matmul(matmul(u, _plus(inner, *checks)), vh)
    if (m > n and active_u) or (n > m and active_v):
        s_inv = _safe_inverse(s)
        if m > n:
            ga = ga + matmul((gu - matmul(u, matmul(_mH(u), gu))) * _col(s_inv), vh)
        else:
            gv = _mH(gvh)
            ga = ga + matmul(u * _col(s_inv), _mH(gv - matmul(v, matmul(_mH(v), gv))))
    return ga


# Parameters: full_matrices, and values_only (the public svdvals: the vectors are not results,
# so forward mode gives them no tangent and needs no test of mixed repeated values).
SVD = Primitive("svd", _svd_impl, save=(shape_of(0), ANS), vjp=_svd_vjp, jvp=_svd_jvp,
                batch=STACKED)


# --- QR -----------------------------------------------------------------------------------------
def _qr_impl(a):
    q, r = np.linalg.qr(a, mode="reduced")
    return _np_pack((q, 2), (r, 2))


def _strict_lower(x):
    n = x.shape[-1]
    return x * np.tril(np.ones((n, n)), -1).astype(data_of(x).dtype)


def _right_inverse_r(x, r):
    """x R^-1 for upper-triangular R."""
    return _mT(solve_triangular(_mT(r), _mT(x), True, False))


# Square or tall A = QR (reduced; R with a real diagonal, as LAPACK's): with X = dA R^-1,
# C = Q^H X, W = L(C) - L(C)^H + i Im diag(C) (L: strictly lower part; the anti-Hermitian
# Q^H dQ), dQ = Q (W - C) + X and dR = (C - W) R. A wide A = Q [R1 R2] splits as [X Y]:
# X = Q R1 is square, and R2 = Q^H Y.
def _qr_w(c):
    lo = _strict_lower(c)
    w = lo - _mH(lo)
    if _cx(c):
        w = w + _diag_embed(1j * imag(_diag(c)))
    return w


def _qr_jvp(t, a_shape, packed):
    m, n = a_shape[-2:]
    k = min(m, n)
    q, r = _unpack(packed, [(m, k), (k, n)])
    r1 = r[..., :, :k]
    x = _right_inverse_r(t[..., :, :k], r1)
    c = matmul(_mH(q), x)
    w = _qr_w(c)
    dq = matmul(q, w - c) + x
    dr = matmul(c - w, r1)
    if n > m:
        dr = concatenate([dr, matmul(_mH(dq), _y(q, r, k))
                          + matmul(_mH(q), t[..., :, k:])], axis=-1)
    return _pack([(dq, 2), (dr, 2)])


def _y(q, r, k):
    """The columns of a wide A beyond the first m: Y = Q R2."""
    return matmul(q, r[..., :, k:])


def _qr_vjp(g, a_shape, packed):
    m, n = a_shape[-2:]
    k = min(m, n)
    q, r = _unpack(packed, [(m, k), (k, n)])
    gq, gr = _unpack(g, [(m, k), (k, n)])
    r1 = r[..., :, :k]
    if n > m:
        gr2 = gr[..., :, k:]
        gq = gq + matmul(_y(q, r, k), _mH(gr2))
        gr = gr[..., :, :k]
    mm = matmul(_mH(q), gq) - matmul(gr, _mH(r1))
    gc = -mm + _strict_lower(mm - _mH(mm))
    if _cx(mm):
        gc = gc + _diag_embed(1j * imag(_diag(mm)))
    gx = gq + matmul(q, gc)
    ga = _mH(solve_triangular(r1, _mH(gx), False, False))
    if n > m:
        ga = concatenate([ga, matmul(q, gr2)], axis=-1)
    return ga


QR = Primitive("qr", _qr_impl, save=(shape_of(0), ANS), vjp=_qr_vjp, jvp=_qr_jvp, batch=STACKED)


# --- pseudo-inverse -----------------------------------------------------------------------------
def _pinv_impl(a, rcond, hermitian):
    return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian)


# X = A^+ where the rank does not change (Golub and Pereyra, 1973):
#   dX = -X dA X + X X^H dA^H (I - A X) + (I - X A) dA^H X^H X,
# a formula in A and X alone: no singular vectors, so it holds at repeated singular values (the
# identity included) and costs products only. Its adjoint:
#   gA = -X^H G X^H + (I - A X) G^H X X^H + X^H X G^H (I - X A),
# both grouped so that no m x m product of a tall A is formed.
def _pinv_jvp(t, a, x, rcond, hermitian):
    xh, th = _mH(x), _mH(t)
    left = matmul(matmul(x, xh), th)
    right = matmul(matmul(th, xh), x)
    return (-matmul(matmul(x, t), x) + left - matmul(matmul(left, a), x)
            + right - matmul(matmul(x, a), right))


def _pinv_vjp(g, a, x, rcond, hermitian):
    xh, gh = _mH(x), _mH(g)
    k = matmul(gh, matmul(x, xh))
    w = matmul(x, gh)
    return (-matmul(matmul(xh, g), xh) + k - matmul(a, matmul(x, k))
            + matmul(xh, w - matmul(w, matmul(x, a))))


# The Moore-Penrose pseudo-inverse, NumPy's kernel (singular values at or below rcond times the
# largest dropped); the derivative holds while the rank does not change.
PINV = Primitive("pinv", _pinv_impl, save=(0, ANS), vjp=_pinv_vjp, jvp=_pinv_jvp, batch=STACKED)


# --- banded solve (SciPy's storage: ab[u + i - j, j] = A[i, j]) -----------------------------------
def _solve_banded_impl(ab, b, lower, upper):
    n = ab.shape[-1]
    lead = b.shape[:-2]
    bm = np.moveaxis(b, -2, 0).reshape(n, -1)  # leading (batch) axes joined to the columns
    try:
        from scipy.linalg import solve_banded as kernel
    except ImportError:  # NumPy only: the dense matrix, an LU solve
        def kernel(lu, ab2, b2, check_finite):
            return np.linalg.solve(_band_dense(ab2, *lu), b2)
    try:
        x = np.asarray(kernel((lower, upper), ab, bm, check_finite=False)) if n else \
            np.zeros(bm.shape, np.result_type(ab, b, 1.0))
    except (LinAlgError, ValueError) as exc:
        raise _singular("solve_banded", exc, "use a dense least-squares solution (lstsq)") \
            from None
    return np.moveaxis(x.reshape((n,) + lead + b.shape[-1:]), 0, -2)


def _band_dense(ab, lower, upper):
    n = ab.shape[-1]
    a = np.zeros((n, n), dtype=ab.dtype)
    for d in range(-upper, lower + 1):
        if abs(d) < n:
            rows = np.arange(max(d, 0), min(n, n + d))
            a[rows, rows - d] = ab[upper + d, rows - d]
    return a


def _shift(v, before, after):
    """Pad the last axis of ``v`` with zeros."""
    return apply(PAD, (v,), (((before, after),), 0))


def _band_matmul(ab, x, lower, upper):
    """A X for A in band storage (leading batch axes of ``ab`` and ``x`` broadcast)."""
    n = x.shape[-2]
    out = None
    for d in range(-upper, lower + 1):  # the diagonal A[i, i - d], row upper + d of ab
        if abs(d) >= n:
            continue
        r = upper + d
        if d >= 0:
            piece = ab[..., r, : n - d, None] * x[..., : n - d, :]
            piece = _mT(_shift(_mT(piece), d, 0))
        else:
            piece = ab[..., r, -d:, None] * x[..., -d:, :]
            piece = _mT(_shift(_mT(piece), 0, -d))
        out = piece if out is None else out + piece
    return out if out is not None else x * 0


def _band_h(ab, lower, upper):
    """The band storage of A^H (lower and upper exchanged)."""
    n = ab.shape[-1]
    rows = []
    for rp in range(lower + upper + 1):  # row lower + d' holds A^H[j + d', j] = conj A[j, j + d']
        d = rp - lower
        src = ab[..., upper - d, :]
        if d >= 0:
            piece = _shift(src[..., min(d, n):], 0, min(d, n))
        else:
            piece = _shift(src[..., : max(n + d, 0)], min(-d, n), 0)
        rows.append(reshape(piece, piece.shape[:-1] + (1, n)))
    return conj(concatenate(rows, axis=-2))


def _band_outer(gb, x, lower, upper):
    """The band part of gB X^H, in band storage: row upper + d holds sum_k gB[j + d, k]
    conj(X[j, k])."""
    n = x.shape[-2]
    xc = conj(x)
    rows = []
    for r in range(lower + upper + 1):
        d = r - upper
        if d >= 0:
            m = max(n - d, 0)
            piece = _shift(sum(gb[..., n - m:, :] * xc[..., :m, :], axis=-1), 0, n - m)
        else:
            m = max(n + d, 0)
            piece = _shift(sum(gb[..., :m, :] * xc[..., n - m:, :], axis=-1), n - m, 0)
        rows.append(reshape(piece, piece.shape[:-1] + (1, n)))
    return concatenate(rows, axis=-2)


# X = A^-1 B:  dX = A^-1 (dB - dA X);  gB = A^-H g;  gab = the band of -gB X^H.
def _banded_gb(g, ab, b_shape, b_dtype, x, lower, upper):
    return solve_banded(_band_h(ab, lower, upper), g, upper, lower)


SOLVE_BANDED = Primitive(
    "solve_banded", _solve_banded_impl, nin=2, save=(0, shape_of(1), dtype_of(1), ANS),
    vjp=(lambda g, ab, bs, bd, x, lo, up: sum_to(
            _like(-_band_outer(_banded_gb(g, ab, bs, bd, x, lo, up), x, lo, up),
                  data_of(ab).dtype), ab.shape, g.ndim - x.ndim),
         lambda g, ab, bs, bd, x, lo, up: sum_to(
            _like(_banded_gb(g, ab, bs, bd, x, lo, up), bd), bs, g.ndim - x.ndim)),
    jvp=(lambda t, ab, bs, bd, x, lo, up: -solve_banded(ab, _band_matmul(t, x, lo, up), lo, up),
         lambda t, ab, bs, bd, x, lo, up: solve_banded(ab, t, lo, up)),
)


# --- matrix functions (SciPy kernels) -----------------------------------------------------------
def _expm_impl(a):
    from scipy.linalg import expm as kernel

    return np.asarray(kernel(a)) if a.size else a.astype(np.result_type(a, 1.0))


def _frechet(a, e, fn):
    """The Fréchet derivative L(A, E) of a matrix function by the block-triangular identity
    f([[A, E], [0, A]]) = [[f(A), L(A, E)], [0, f(A)]] (stack and batch axes of E kept)."""
    n = a.shape[-1]
    a = a if a.shape == e.shape else a * np.ones(e.shape, dtype=data_of(e).dtype)
    zero = np.zeros(e.shape, dtype=np.result_type(data_of(a), data_of(e)))
    block = concatenate([concatenate([a, e], axis=-1), concatenate([zero, a], axis=-1)], axis=-2)
    return fn(block)[..., :n, n:]


EXPM = Primitive(
    "expm", _expm_impl, save=(0,),
    vjp=lambda g, a: _frechet(_mT(a), g, expm),
    jvp=lambda t, a: _frechet(a, t, expm),
    batch=STACKED,
)


def _sylvester_impl(a, b, q):
    from scipy.linalg import solve_sylvester as kernel

    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2], q.shape[:-2])
    a, b, q = (np.broadcast_to(x, batch + x.shape[-2:]) for x in (a, b, q))
    out = np.empty(q.shape, dtype=np.result_type(a, b, q, 1.0))
    for idx in np.ndindex(*batch):
        out[idx] = kernel(a[idx], b[idx], q[idx])
    return out


# A X + X B = Q:  dX = sylv(A, B, dQ - dA X - X dB);  gQ = sylv(A^T, B^T, g),
# gA = -gQ X^T,  gB = -X^T gQ.
def _sylv_g(g, a, b, q_shape, x):
    return solve_sylvester(_mT(a), _mT(b), g)


SOLVE_SYLVESTER = Primitive(
    "solve_sylvester", _sylvester_impl, nin=3, save=(0, 1, shape_of(2), ANS),
    vjp=(lambda g, a, b, qs, x: sum_to(-matmul(_sylv_g(g, a, b, qs, x), _mT(x)), a.shape,
                                       g.ndim - x.ndim),
         lambda g, a, b, qs, x: sum_to(-matmul(_mT(x), _sylv_g(g, a, b, qs, x)), b.shape,
                                       g.ndim - x.ndim),
         lambda g, a, b, qs, x: sum_to(_sylv_g(g, a, b, qs, x), qs, g.ndim - x.ndim)),
    jvp=(lambda t, a, b, qs, x: solve_sylvester(a, b, -matmul(_align(t, a.ndim, x.ndim), x)),
         lambda t, a, b, qs, x: solve_sylvester(a, b, -matmul(x, _align(t, b.ndim, x.ndim))),
         lambda t, a, b, qs, x: solve_sylvester(a, b, _align(t, len(qs), x.ndim))),
)


def _real_matrix_function(name: str, what: str):
    """A stacked kernel for scipy.linalg's ``name`` that insists on a real result."""

    def impl(a):
        import scipy.linalg

        kernel = getattr(scipy.linalg, name)
        out = np.empty(a.shape, dtype=np.result_type(a, 1.0))
        for idx in np.ndindex(*a.shape[:-2]):
            r = kernel(a[idx])
            if np.iscomplexobj(r):
                if np.max(np.abs(r.imag), initial=0.0) > \
                        1e-10 * max(np.max(np.abs(r.real)), 1.0):
                    raise ValueError(
                        f"{name}: the matrix has no real {what} (an eigenvalue on the negative "
                        f"real axis); differentiable {name} needs a real result")
                r = r.real
            out[idx] = r
        return out

    return impl


_sqrtm_impl = _real_matrix_function("sqrtm", "square root")


# X X = A:  X dX + dX X = dA, a Sylvester equation; its adjoint has X^T in place of X.
SQRTM = Primitive(
    "sqrtm", _sqrtm_impl, save=(ANS,),
    vjp=lambda g, x: solve_sylvester(_mT(x), _mT(x), g),
    jvp=lambda t, x: solve_sylvester(x, x, t),
)

_logm_impl = _real_matrix_function("logm", "logarithm")


# The Fréchet derivative by the same block-triangular identity as expm's.
LOGM = Primitive(
    "logm", _logm_impl, save=(0,),
    vjp=lambda g, a: _frechet(_mT(a), g, logm),
    jvp=lambda t, a: _frechet(a, t, logm),
)

register(INV, SOLVE, SOLVE_TRIANGULAR, CHOLESKY, DET, LOGABSDET, EIGH, EIG, SVD, QR, PINV,
         SOLVE_BANDED, EXPM, SOLVE_SYLVESTER, SQRTM, LOGM, CHECK)


# --- functions the rules (and the public namespaces) use ----------------------------------------
def inv(a):
    """Inverse of a (stack of) square matrices."""
    return apply(INV, (a,))


def solve(a, b):
    """A^-1 B for B a (stack of) matrices, stack axes broadcasting (NumPy 2's rule for b with
    two or more dimensions)."""
    return apply(SOLVE, (a, b))


def solve_triangular(a, b, lower: bool = True, unit_diagonal: bool = False):
    """A^-1 B reading only the lower (or upper) triangle of A; B a (stack of) matrices."""
    return apply(SOLVE_TRIANGULAR, (a, b), (bool(lower), bool(unit_diagonal)))


def cholesky(a, uplo: str = "L"):
    """Lower Cholesky factor L with S = L L^T, S the symmetric matrix that the ``uplo``
    triangle of ``a`` stands for (positive definite)."""
    return apply(CHOLESKY, (a,), (uplo,))


def det(a):
    return apply(DET, (a,))


def logabsdet(a):
    return apply(LOGABSDET, (a,))


def expm(a):
    return apply(EXPM, (a,))


def sqrtm(a):
    return apply(SQRTM, (a,))


def logm(a):
    return apply(LOGM, (a,))


def solve_sylvester(a, b, q):
    return apply(SOLVE_SYLVESTER, (a, b, q))


def pinv(a, rcond, hermitian: bool = False):
    """The pseudo-inverse (NumPy's, with its ``rcond``), differentiable at constant rank."""
    return apply(PINV, (a,), (rcond, bool(hermitian)))


def solve_banded(ab, b, lower: int, upper: int):
    """A^-1 B for A in SciPy's band storage (``lower``, ``upper`` diagonals), B an (n, k)
    matrix (leading axes of B are solved for as well)."""
    return apply(SOLVE_BANDED, (ab, b), (int(lower), int(upper)))


__all__ = ["inv", "solve", "solve_triangular", "cholesky", "det", "logabsdet", "expm", "sqrtm",
           "logm", "solve_sylvester", "pinv", "solve_banded", "LinAlgError"]
