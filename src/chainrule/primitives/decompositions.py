"""Linear-algebra primitives: inverse, solves, determinants and factorisations.

A small core, everything else in ``chainrule.numpy.linalg`` / ``chainrule.scipy.linalg`` is
composed from it: ``inv``, ``solve`` (LU), ``solve_triangular``, ``cholesky``, ``det``,
``logabsdet``, ``eigh``, ``svd``, ``qr``, ``expm``, ``logm``, ``solve_sylvester`` and ``sqrtm``.

Every primitive accepts NumPy-style stacks of matrices ``(..., m, n)``. Rules follow the table's
convention (docs/architecture.md): a tangent or cotangent may carry leading batch axes beyond the
array it belongs to; products broadcast over them, and ``_align`` inserts length-1 axes where
an input has fewer stack axes than the output.

Decompositions with several results (``eigh``: w and V; ``svd``: U, s, Vh; ``qr``: Q, R) are one
node each: the kernel returns the results flattened and joined along the last axis (``_pack``),
and the public functions slice them apart, so that one factorisation serves every result.

Symmetric inputs (``cholesky``, ``eigh``) are taken as symmetric: the kernel reads one triangle
(as NumPy does), the gradient is the symmetric matrix (as in PyTorch and JAX), which is exact
for every symmetric perturbation.

SciPy is imported lazily inside kernels only (``import chainrule`` works without it).
"""

from __future__ import annotations

import numpy as np

from ._core import ANS, Primitive, apply, register, shape_of, tensor_types
from .elementwise import where
from .linalg import SWAPLAST, einsum, matmul
from .reduction import prod, sum, sum_to  # noqa: A004 - chainrule's sum
from .shape import concatenate, reshape

LinAlgError = np.linalg.LinAlgError


def _data(x):
    return x._data if type(x) in tensor_types else x


def _mT(x):
    return apply(SWAPLAST, (x,))


def _diag(x):
    return einsum("...ii->...i", x)


def _diag_embed(v):
    n = v.shape[-1]
    return reshape(v, v.shape[:-1] + (1, n)) * np.eye(n, dtype=_data(v).dtype)


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
    vjp=lambda g, ans: -matmul(matmul(_mT(ans), g), _mT(ans)),
    jvp=lambda t, ans: -matmul(matmul(ans, t), ans),
)


def _solve_impl(a, b):
    try:
        return np.linalg.solve(a, b)
    except LinAlgError as exc:
        raise _singular("solve", exc, "use lstsq for a least-squares solution") from None


# X = A^-1 B:  dX = A^-1 (dB - dA X);  gB = A^-T g,  gA = -gB X^T.
def _solve_da(g, a, b_shape, x):
    lead = g.ndim - x.ndim
    return sum_to(-matmul(solve(_mT(a), g), _mT(x)), a.shape, lead)


def _solve_db(g, a, b_shape, x):
    return sum_to(solve(_mT(a), g), b_shape, g.ndim - x.ndim)


SOLVE = Primitive(
    "solve", _solve_impl, nin=2, save=(0, shape_of(1), ANS),
    vjp=(_solve_da, _solve_db),
    jvp=(lambda t, a, b_shape, x: -solve(a, matmul(_align(t, a.ndim, x.ndim), x)),
         lambda t, a, b_shape, x: solve(a, _align(t, len(b_shape), x.ndim))),
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


def _solve_tri_da(g, a, b_shape, x, lower, unit):
    gb = solve_triangular(_mT(a), g, not lower, unit)
    mask = _tri_mask(a.shape[-1], lower, -1 if unit else 0, _data(x).dtype)
    return sum_to(-matmul(gb, _mT(x)) * mask, a.shape, g.ndim - x.ndim)


def _solve_tri_ta(t, a, b_shape, x, lower, unit):
    mask = _tri_mask(a.shape[-1], lower, -1 if unit else 0, _data(x).dtype)
    return -solve_triangular(a, matmul(_align(t, a.ndim, x.ndim) * mask, x), lower, unit)


# Only the triangle named by `lower` is read (without its diagonal when unit_diagonal).
SOLVE_TRIANGULAR = Primitive(
    "solve_triangular", _solve_tri_impl, nin=2, save=(0, shape_of(1), ANS),
    vjp=(_solve_tri_da,
         lambda g, a, b_shape, x, lower, unit: sum_to(
             solve_triangular(_mT(a), g, not lower, unit), b_shape, g.ndim - x.ndim)),
    jvp=(_solve_tri_ta,
         lambda t, a, b_shape, x, lower, unit: solve_triangular(
             a, _align(t, len(b_shape), x.ndim), lower, unit)),
)


# --- Cholesky -----------------------------------------------------------------------------------
# Like NumPy's kernels, cholesky and eigh read one triangle of A (``uplo`` 'L' or 'U') and stand
# for the symmetric matrix it mirrors: S = R(A) = tril(A) + tril(A, -1)^T. The rules differentiate
# that function exactly: forward rules take R(t), reverse rules return R^T(G), which lives on the
# read triangle (off-diagonal entries count twice, since each stands for two entries of S).
def _reflect(t, uplo):
    n = t.shape[-1]
    dt = _data(t).dtype
    if uplo == "U":
        return t * _tri_mask(n, False, 0, dt) + _mT(t * _tri_mask(n, False, -1, dt))
    return t * _tri_mask(n, True, 0, dt) + _mT(t * _tri_mask(n, True, -1, dt))


def _reflect_t(g, uplo):
    n = g.shape[-1]
    lower = uplo != "U"
    dt = _data(g).dtype
    return g * _tri_mask(n, lower, 0, dt) + _mT(g) * _tri_mask(n, lower, -1, dt)


def _cholesky_impl(a, uplo):
    try:
        if uplo == "U":  # NumPy reads the upper triangle for upper=True: L = U^T
            return np.swapaxes(np.linalg.cholesky(a, upper=True), -1, -2)
        return np.linalg.cholesky(a)
    except LinAlgError as exc:
        raise LinAlgError(
            f"cholesky: the matrix is not positive definite ({exc}); a covariance or kernel "
            f"matrix often needs a small multiple of the identity added (jitter)") from None


def _phi(x):
    """The lower triangle with the diagonal halved."""
    n = x.shape[-1]
    return x * (np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n)).astype(_data(x).dtype)


# S = L L^T:  dL = L phi(L^-1 dS L^-T);  gS = L^-T phi(L^T g) L^-1.
def _cholesky_jvp(t, lo, uplo):
    y = solve_triangular(lo, _reflect(t, uplo), True, False)
    return matmul(lo, _phi(solve_triangular(lo, _mT(y), True, False)))


def _cholesky_vjp(g, lo, uplo):
    up = _mT(lo)
    w = solve_triangular(up, _phi(matmul(up, g)), False, False)
    return _reflect_t(_mT(solve_triangular(up, _mT(w), False, False)), uplo)


# The lower factor L (for uplo 'U' the transpose of NumPy's upper factor).
CHOLESKY = Primitive("cholesky", _cholesky_impl, save=(ANS,), vjp=_cholesky_vjp,
                     jvp=_cholesky_jvp)


# --- determinants -------------------------------------------------------------------------------
def _cofactor(a, d):
    """The cofactor matrix det(A) A^-T (the gradient of det), also at singular matrices: there
    it comes from the SVD, cof = det(U) det(V) U diag(prod_{j != i} s_j) V^T."""
    ad, dd = _data(a), _data(d)
    n = ad.shape[-1]
    if n == 0:
        return a * 0
    hadamard = np.prod(np.linalg.norm(ad, axis=-2), axis=-1)
    if np.all(np.abs(dd) > 1e-8 * hadamard):
        return reshape(d, d.shape + (1, 1)) * _mT(inv(a))
    u, s, vh = _svd_parts(a)
    sign = np.linalg.det(_data(u)) * np.linalg.det(_data(vh))
    others = prod(where(np.eye(n, dtype=bool), 1.0, _col(s)), axis=-1)
    return matmul(u * _col(others), vh) * sign[..., None, None]


def _det_impl(a):
    return np.asarray(np.linalg.det(a))


DET = Primitive(
    "det", _det_impl, save=(0, ANS),
    vjp=lambda g, a, d: reshape(g, g.shape + (1, 1)) * _cofactor(a, d),
    jvp=lambda t, a, d: sum(t * _cofactor(a, d), axis=(-2, -1)),
)


def _logabsdet_impl(a):
    return np.asarray(np.linalg.slogdet(a)[1])


def _inv_t(a):
    return _mT(inv(a))


LOGABSDET = Primitive(
    "logabsdet", _logabsdet_impl, save=(0,),
    vjp=lambda g, a: reshape(g, g.shape + (1, 1)) * _inv_t(a),
    jvp=lambda t, a: sum(t * _inv_t(a), axis=(-2, -1)),
)


# --- packing several results into one node ------------------------------------------------------
def _pack(parts):
    """Arrays ``(array, number of core axes)`` with their core axes flattened, joined along the
    last axis (the forward rules' counterpart of ``_np_pack``)."""
    flat = [reshape(p, p.shape[: p.ndim - c] + (-1,)) for p, c in parts]
    return flat[0] if len(flat) == 1 else concatenate(flat, axis=-1)


def _unpack(p, cores):
    """Split a packed array into arrays of the given core shapes (leading axes kept)."""
    out, start = [], 0
    for core in cores:
        size = int(np.prod(core, dtype=np.int64))
        out.append(reshape(p[..., start:start + size], p.shape[:-1] + tuple(core)))
        start += size
    return out


def _np_pack(*arrays_and_cores):
    # the core size is spelled out: -1 is ambiguous for an empty stack
    return np.concatenate([a.reshape(a.shape[: a.ndim - c]
                                     + (int(np.prod(a.shape[a.ndim - c:], dtype=np.int64)),))
                           for a, c in arrays_and_cores], axis=-1)


# --- symmetric eigendecomposition ---------------------------------------------------------------
def _eigh_impl(a, uplo):
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return _np_pack((w, 1), (v, 2))


def _gap_inverse(w, squared=False):
    """F[i, j] = 1 / (w_j - w_i) (or 1 / (w_j^2 - w_i^2)), 0 on the diagonal and where the two
    values coincide (to rounding); with the mask of those coinciding pairs."""
    wd = _data(w)
    n = wd.shape[-1]
    if squared:
        w = w * w
        wd = wd * wd
    gap_d = wd[..., None, :] - wd[..., :, None]
    scale = np.max(np.abs(wd), axis=-1, keepdims=True)[..., None] if n else 0
    tol = max(n, 1) * np.finfo(wd.dtype).eps * np.maximum(scale, np.finfo(wd.dtype).tiny)
    ok = np.abs(gap_d) > tol
    gap = _col(w) - reshape(w, w.shape + (1,))
    degenerate = ~ok & ~np.eye(n, dtype=bool)
    return where(ok, 1.0 / where(ok, gap, 1.0), 0.0), degenerate


def _pairs_message(op, vals, pos, what):
    """'op: the what is not defined: values i and j are repeated (...)' for the pair at ``pos``
    (an index into an array of shape lead + stack + (n, n))."""
    i, j = int(pos[-2]), int(pos[-1])
    vd = np.asarray(_data(vals))
    nb = vd.ndim - 1
    row = vd[tuple(int(p) for p in pos[len(pos) - 2 - nb: len(pos) - 2])] if nb else vd
    return (f"{op}: the {what} is not defined: values {i} and {j} are repeated "
            f"({float(row[i])!r} and {float(row[j])!r}, gap {abs(row[i] - row[j]):.3g})")


def _check_repeated(op, degenerate, vals, gvals, k, fine):
    """Reverse mode at repeated values: the masked formula is exact when the loss is symmetric
    in the repeated values (equal cotangents) and does not depend on the basis chosen in their
    subspace (the antisymmetric part of ``k`` vanishes on those pairs); otherwise the gradient
    does not exist, and this raises."""
    if not np.any(degenerate):
        return
    checks = []
    gd = np.asarray(_data(gvals))
    checks.append(np.abs(gd[..., :, None] - gd[..., None, :]) / max(np.max(np.abs(gd), initial=0),
                                                                     1e-300))
    if k is not None:
        kd = np.asarray(_data(k))
        checks.append(np.abs(kd - np.swapaxes(kd, -1, -2)) / max(np.max(np.abs(kd), initial=0),
                                                                 1e-300))
    for c in checks:
        bad = np.broadcast_to(degenerate, c.shape) & (c > 1e-7)
        if np.any(bad):
            raise LinAlgError(
                _pairs_message(op, vals, np.argwhere(bad)[0], "gradient")
                + "; the loss depends on them separately or on the basis of their subspace. "
                f"Gradients exist for losses symmetric in repeated values and independent of "
                f"that basis: {fine}, traces of matrix functions, projectors onto the whole "
                f"subspace")


def _check_mixing(op, degenerate, vals, m):
    """Forward mode at repeated values: the tangent exists when the perturbation does not mix
    the repeated pair (``m``, the perturbation in the eigenbasis, is 0 there)."""
    if not np.any(degenerate):
        return
    md = np.asarray(_data(m))
    md = np.abs(md + np.swapaxes(md, -1, -2))
    bad = np.broadcast_to(degenerate, md.shape) & (md > 1e-7 * max(np.max(md, initial=0), 1e-300))
    if np.any(bad):
        raise LinAlgError(_pairs_message(op, vals, np.argwhere(bad)[0], "tangent")
                          + " and the perturbation mixes them; use reverse mode for losses "
                          "symmetric in repeated values, or perturb the matrix slightly")


def _eigh_jvp(t, packed, uplo):
    n = t.shape[-1]
    w, v = _unpack(packed, [(n,), (n, n)])
    f, degenerate = _gap_inverse(w)
    m = matmul(matmul(_mT(v), _reflect(t, uplo)), v)
    _check_mixing("eigh", degenerate, w, m)
    return _pack([(_diag(m), 1), (matmul(v, f * m), 2)])


def _eigh_vjp(g, packed, uplo):
    n = int(round(np.sqrt(packed.shape[-1] + 0.25) - 0.5))  # packed length n + n^2
    w, v = _unpack(packed, [(n,), (n, n)])
    gw, gv = _unpack(g, [(n,), (n, n)])
    inner = _diag_embed(gw)
    f, degenerate = _gap_inverse(w)
    if np.any(_data(gv)):  # eigvalsh sends zeros for the vectors: skip them
        k = matmul(_mT(v), gv)
        _check_repeated("eigh", degenerate, w, gw, k, "eigenvalue sums (eigvalsh)")
        inner = inner + f * k
    else:
        _check_repeated("eigh", degenerate, w, gw, None, "eigenvalue sums (eigvalsh)")
    return _reflect_t(matmul(matmul(v, inner), _mT(v)), uplo)


EIGH = Primitive("eigh", _eigh_impl, save=(ANS,), vjp=_eigh_vjp, jvp=_eigh_jvp)


# --- singular value decomposition ---------------------------------------------------------------
def _svd_impl(a, full_matrices):
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
    return u, s, vh


def _svd_jvp(t, a_shape, packed, full):
    m, n = a_shape[-2:]
    k = min(m, n)
    u, s, vh = _svd_split(packed, m, n, full)
    v = _mT(vh)
    f, degenerate = _gap_inverse(s, squared=True)
    p = matmul(matmul(_mT(u), t), v)  # U^T dA V (k x k)
    _check_mixing("svd", degenerate, s, p)
    ps = p * _col(s)  # P S
    sp = reshape(s, s.shape + (1,)) * p  # S P
    du = matmul(u, f * (ps + _mT(ps)))
    dv = matmul(v, f * (sp + _mT(sp)))
    s_inv = _safe_inverse(s)
    if m > n:
        dav = matmul(t, v)
        du = du + (dav - matmul(u, matmul(_mT(u), dav))) * _col(s_inv)
    if n > m:
        dau = matmul(_mT(t), u)
        dv = dv + (dau - matmul(v, matmul(_mT(v), dau))) * _col(s_inv)
    dvh = _mT(dv)
    if full:  # the completing columns are any basis of the complement: their tangent is 0
        lead = du.shape[:-2]
        if m > k:
            du = concatenate([du, np.zeros(lead + (m, m - k), dtype=_data(du).dtype)], axis=-1)
        if n > k:
            dvh = concatenate([dvh, np.zeros(lead + (n - k, n), dtype=_data(dvh).dtype)],
                              axis=-2)
    return _pack([(du, 2), (_diag(p), 1), (dvh, 2)])


def _safe_inverse(s):
    ok = _data(s) != 0
    return where(ok, 1.0 / where(ok, s, 1.0), 0.0)


def _svd_parts(a):
    """U, s, Vh (reduced) of ``a`` through the SVD primitive (differentiable)."""
    m, n = a.shape[-2:]
    return _svd_split(apply(SVD, (a,), (False,)), m, n, False)


def _svd_vjp(g, a_shape, packed, full):
    m, n = a_shape[-2:]
    u, s, vh = _svd_split(packed, m, n, full)
    gu, gs, gvh = _svd_split(g, m, n, full)
    v = _mT(vh)
    inner = _diag_embed(gs)
    active_u, active_v = bool(np.any(_data(gu))), bool(np.any(_data(gvh)))
    f, degenerate = _gap_inverse(s, squared=True)
    if not (active_u or active_v):  # svdvals sends zeros for the vectors: skip them
        _check_repeated("svd", degenerate, s, gs, None, "sums of singular values (svdvals)")
    else:
        gv = _mT(gvh)
        j = f * matmul(_mT(u), gu)
        kk = f * matmul(_mT(v), gv)
        _check_repeated("svd", degenerate, s, gs, matmul(_mT(u), gu) + matmul(_mT(v), gv),
                        "sums of singular values (svdvals)")
        s_col = _col(s)
        inner = inner + (j + _mT(j)) * s_col + reshape(s, s.shape + (1,)) * (kk + _mT(kk))
    ga = matmul(matmul(u, inner), vh)
    if (m > n and active_u) or (n > m and active_v):
        s_inv = _safe_inverse(s)
        if m > n:
            ga = ga + matmul((gu - matmul(u, matmul(_mT(u), gu))) * _col(s_inv), vh)
        else:
            gv = _mT(gvh)
            ga = ga + matmul(u * _col(s_inv), _mT(gv - matmul(v, matmul(_mT(v), gv))))
    return ga


SVD = Primitive("svd", _svd_impl, save=(shape_of(0), ANS), vjp=_svd_vjp, jvp=_svd_jvp)


# --- QR -----------------------------------------------------------------------------------------
def _qr_impl(a):
    q, r = np.linalg.qr(a, mode="reduced")
    return _np_pack((q, 2), (r, 2))


def _strict_lower(x):
    n = x.shape[-1]
    return x * np.tril(np.ones((n, n)), -1).astype(_data(x).dtype)


def _right_inverse_r(x, r):
    """x R^-1 for upper-triangular R."""
    return _mT(solve_triangular(_mT(r), _mT(x), True, False))


# Square or tall A = QR (reduced): with X = dA R^-1, C = Q^T X, W = L(C) - L(C)^T (L: strictly
# lower part), dQ = Q (W - C) + X and dR = (C - W) R. A wide A = Q [R1 R2] splits as [X Y]:
# X = Q R1 is square, and R2 = Q^T Y.
def _qr_jvp(t, a_shape, packed):
    m, n = a_shape[-2:]
    k = min(m, n)
    q, r = _unpack(packed, [(m, k), (k, n)])
    r1 = r[..., :, :k]
    x = _right_inverse_r(t[..., :, :k], r1)
    c = matmul(_mT(q), x)
    lo = _strict_lower(c)
    w = lo - _mT(lo)
    dq = matmul(q, w - c) + x
    dr = matmul(c - w, r1)
    if n > m:
        dr = concatenate([dr, matmul(_mT(dq), _y(q, r, k))
                          + matmul(_mT(q), t[..., :, k:])], axis=-1)
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
        gq = gq + matmul(_y(q, r, k), _mT(gr2))
        gr = gr[..., :, :k]
    mm = matmul(_mT(q), gq) - matmul(gr, _mT(r1))
    gc = -mm + _strict_lower(mm - _mT(mm))
    gx = gq + matmul(q, gc)
    ga = _mT(solve_triangular(r1, _mT(gx), False, False))
    if n > m:
        ga = concatenate([ga, matmul(q, gr2)], axis=-1)
    return ga


QR = Primitive("qr", _qr_impl, save=(shape_of(0), ANS), vjp=_qr_vjp, jvp=_qr_jvp)


# --- matrix functions (SciPy kernels) -----------------------------------------------------------
def _expm_impl(a):
    from scipy.linalg import expm as kernel

    return np.asarray(kernel(a)) if a.size else a.astype(np.result_type(a, 1.0))


def _frechet(a, e, fn):
    """The Fréchet derivative L(A, E) of a matrix function by the block-triangular identity
    f([[A, E], [0, A]]) = [[f(A), L(A, E)], [0, f(A)]] (stack and batch axes of E kept)."""
    n = a.shape[-1]
    a = a if a.shape == e.shape else a * np.ones(e.shape, dtype=_data(e).dtype)
    zero = np.zeros(e.shape, dtype=np.result_type(_data(a), _data(e)))
    block = concatenate([concatenate([a, e], axis=-1), concatenate([zero, a], axis=-1)], axis=-2)
    return fn(block)[..., :n, n:]


EXPM = Primitive(
    "expm", _expm_impl, save=(0,),
    vjp=lambda g, a: _frechet(_mT(a), g, expm),
    jvp=lambda t, a: _frechet(a, t, expm),
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

register(INV, SOLVE, SOLVE_TRIANGULAR, CHOLESKY, DET, LOGABSDET, EIGH, SVD, QR, EXPM,
         SOLVE_SYLVESTER, SQRTM, LOGM)


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


__all__ = ["inv", "solve", "solve_triangular", "cholesky", "det", "logabsdet", "expm", "sqrtm",
           "logm", "solve_sylvester", "LinAlgError"]
