"""chainrule.numpy.linalg: values equal NumPy's (raw arrays and tensors), gradients of first and
second order in both modes on batched well-conditioned matrices, PyTorch as the oracle, the
documented degenerate cases and the errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import assert_matches_torch, check_grads, leaf, prims_in_graph, to_numpy

import chainrule as cr
from chainrule.numpy import linalg as LA

R = np.random.default_rng(11)


def well(shape=(3, 3), seed=0):
    """A (stack of) well-conditioned square matrices."""
    r = np.random.default_rng(seed)
    return r.standard_normal(shape) + 3 * np.eye(shape[-1])


def rnd(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def spd(shape=(3, 3), seed=0):
    x = rnd(shape, seed)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def sym(x):
    return (x + x.mT) / 2


def tsym(x):
    return (x + x.mT) / 2


# --- values: raw arrays get NumPy's results, tensors the same values ---------------------------
VALUE_CASES = {
    "inv": (LA.inv, np.linalg.inv, (well((2, 3, 3)),)),
    "solve": (LA.solve, np.linalg.solve, (well((2, 3, 3)), rnd((3, 2)))),
    "solve_vector": (LA.solve, np.linalg.solve, (well((2, 3, 3)), rnd(3))),
    "det": (LA.det, np.linalg.det, (well((2, 3, 3)),)),
    "slogdet": (LA.slogdet, np.linalg.slogdet, (-well((3, 3)),)),
    "cholesky": (LA.cholesky, np.linalg.cholesky, (spd((2, 3, 3)),)),
    "cholesky_upper": (lambda a: LA.cholesky(a, upper=True),
                       lambda a: np.linalg.cholesky(a, upper=True), (spd(),)),
    "qr": (LA.qr, np.linalg.qr, (rnd((2, 4, 3)),)),
    "qr_wide": (LA.qr, np.linalg.qr, (rnd((3, 5)),)),
    "qr_r": (lambda a: LA.qr(a, "r"), lambda a: np.linalg.qr(a, "r"), (rnd((4, 3)),)),
    "eigh": (LA.eigh, np.linalg.eigh, (spd((2, 3, 3)),)),
    "eigh_U": (lambda a: LA.eigh(a, "U"), lambda a: np.linalg.eigh(a, "U"), (rnd((3, 3)),)),
    "eigvalsh": (LA.eigvalsh, np.linalg.eigvalsh, (spd(),)),
    "svd": (LA.svd, np.linalg.svd, (rnd((2, 4, 3)),)),
    "svd_reduced": (lambda a: LA.svd(a, False), lambda a: np.linalg.svd(a, False), (rnd((3, 5)),)),
    "svd_values": (lambda a: LA.svd(a, compute_uv=False),
                   lambda a: np.linalg.svd(a, compute_uv=False), (rnd((4, 3)),)),
    "svd_hermitian": (lambda a: LA.svd(a, hermitian=True),
                      lambda a: np.linalg.svd(a, hermitian=True), (sym(rnd((3, 3))),)),
    "svdvals": (LA.svdvals, np.linalg.svdvals, (rnd((2, 3, 4)),)),
    "pinv": (LA.pinv, np.linalg.pinv, (rnd((4, 3)),)),
    "pinv_rtol": (lambda a: LA.pinv(a, rtol=0.5), lambda a: np.linalg.pinv(a, rtol=0.5),
                  (rnd((4, 3)),)),
    "pinv_rank_deficient": (LA.pinv, np.linalg.pinv, (np.outer([1.0, 2, 3], [1.0, -1]),)),
    "matrix_power": (lambda a: LA.matrix_power(a, 5), lambda a: np.linalg.matrix_power(a, 5),
                     (well(),)),
    "matrix_power_neg": (lambda a: LA.matrix_power(a, -2),
                         lambda a: np.linalg.matrix_power(a, -2), (well(),)),
    "matrix_power_0": (lambda a: LA.matrix_power(a, 0), lambda a: np.linalg.matrix_power(a, 0),
                       (well((2, 3, 3)),)),
    "multi_dot": (lambda a, b, c: LA.multi_dot([a, b, c]),
                  lambda a, b, c: np.linalg.multi_dot([a, b, c]),
                  (rnd(3), rnd((3, 4)), rnd(4))),
    "cond": (LA.cond, np.linalg.cond, (well(),)),
    "cond_1": (lambda a: LA.cond(a, 1), lambda a: np.linalg.cond(a, 1), (well(),)),
    "cond_fro": (lambda a: LA.cond(a, "fro"), lambda a: np.linalg.cond(a, "fro"), (well(),)),
    "tensorinv": (lambda a: LA.tensorinv(a, 1), lambda a: np.linalg.tensorinv(a, 1),
                  (well((4, 4)).reshape(4, 2, 2),)),
    "tensorsolve": (LA.tensorsolve, np.linalg.tensorsolve, (well((6, 6)).reshape(2, 3, 6),
                                                             rnd((2, 3)))),
    "cross": (LA.cross, np.linalg.cross, (rnd((2, 3)), rnd(3))),
    "outer": (LA.outer, np.linalg.outer, (rnd(3), rnd(2))),
    "diagonal": (lambda a: LA.diagonal(a, offset=1), lambda a: np.linalg.diagonal(a, offset=1),
                 (rnd((2, 3, 4)),)),
    "trace": (lambda a: LA.trace(a, offset=-1), lambda a: np.linalg.trace(a, offset=-1),
              (rnd((2, 3, 4)),)),
    "matmul": (LA.matmul, np.linalg.matmul, (rnd((2, 3)), rnd((3, 2)))),
    "vecdot": (LA.vecdot, np.linalg.vecdot, (rnd((2, 3)), rnd(3))),
    "matrix_transpose": (LA.matrix_transpose, np.linalg.matrix_transpose, (rnd((2, 3, 4)),)),
    "tensordot": (lambda a, b: LA.tensordot(a, b, axes=1),
                  lambda a, b: np.linalg.tensordot(a, b, axes=1), (rnd((2, 3)), rnd((3, 2)))),
}


def _flat(x):
    return list(x) if isinstance(x, tuple) else [x]


@pytest.mark.parametrize("name", VALUE_CASES)
def test_values_equal_numpy(name):
    ours, theirs, args = VALUE_CASES[name]
    want = theirs(*args)
    raw = ours(*args)
    assert type(raw) is type(want)  # raw arrays in: NumPy's own result (named tuples included)
    for a, b in zip(_flat(raw), _flat(want)):
        np.testing.assert_array_equal(a, b)
    got = ours(*[cr.tensor(a) for a in args])
    assert type(got) is type(want) or not isinstance(want, tuple)
    for a, b in zip(_flat(got), _flat(want)):
        assert isinstance(a, cr.Tensor)
        np.testing.assert_allclose(to_numpy(a), b, rtol=1e-10, atol=1e-12)


NORM_CASES = [
    ((3,), {}), ((2, 3), {}), ((2, 3, 4), {}), ((3,), {"ord": 1}), ((3,), {"ord": 3}),
    ((3,), {"ord": 0.5}), ((3,), {"ord": np.inf}), ((3,), {"ord": -np.inf}),
    ((3,), {"ord": 0}), ((2, 3), {"ord": "fro"}), ((2, 3), {"ord": "nuc"}),
    ((2, 3), {"ord": 1}), ((2, 3), {"ord": -1}), ((2, 3), {"ord": 2}), ((2, 3), {"ord": -2}),
    ((2, 3), {"ord": np.inf}), ((2, 3), {"ord": -np.inf}), ((2, 3, 4), {"axis": 1}),
    ((2, 3, 4), {"axis": (2, 0), "ord": 1}), ((2, 3, 4), {"axis": (0, 2), "ord": np.inf}),
    ((2, 3, 4), {"axis": (-1, -2), "ord": 2, "keepdims": True}),
    ((2, 3, 4), {"axis": -1, "ord": 3, "keepdims": True}), ((2, 3), {"keepdims": True}),
]


@pytest.mark.parametrize("shape,kw", NORM_CASES, ids=str)
def test_norm(shape, kw):
    x = rnd(shape, 3) + 0.1  # no ties, no zeros
    want = np.linalg.norm(x, **kw)
    np.testing.assert_allclose(to_numpy(LA.norm(cr.tensor(x), **kw)), want, rtol=1e-12)
    order = 1 if kw.get("ord") == 0 else 2
    check_grads(lambda t: LA.norm(t, **kw), x, order=order)


def test_matrix_and_vector_norm():
    x = rnd((2, 3, 4), 4) + 0.1
    for kw in ({}, {"ord": "nuc"}, {"ord": -np.inf, "keepdims": True}):
        np.testing.assert_allclose(to_numpy(LA.matrix_norm(cr.tensor(x), **kw)),
                                   np.linalg.matrix_norm(x, **kw), rtol=1e-12)
    for kw in ({}, {"axis": (0, 2), "ord": 3}, {"axis": 1, "keepdims": True},
               {"keepdims": True, "ord": np.inf}):
        np.testing.assert_allclose(to_numpy(LA.vector_norm(cr.tensor(x), **kw)),
                                   np.linalg.vector_norm(x, **kw), rtol=1e-12)
    check_grads(lambda t: LA.vector_norm(t, axis=(0, 2), ord=3), x)
    assert_matches_torch(lambda t: LA.matrix_norm(t, ord="nuc"),
                         lambda t: torch.linalg.matrix_norm(t, ord="nuc"), x, rtol=1e-8)
    assert_matches_torch(lambda t: LA.vector_norm(t, axis=(0, 2)),
                         lambda t: torch.linalg.vector_norm(t, dim=(0, 2)), x)


def test_norm_at_zero_has_zero_gradient():
    x = leaf(np.zeros(3))
    (g,) = cr.grad(LA.norm(x), [x])
    np.testing.assert_array_equal(to_numpy(g), np.zeros(3))  # PyTorch's subgradient


# --- gradients ----------------------------------------------------------------------------------
GRAD_CASES = {
    "inv": (LA.inv, (well((2, 3, 3)),)),
    "solve": (LA.solve, (well((2, 3, 3)), rnd((3, 2)))),
    "solve_vector": (LA.solve, (well((3, 3)), rnd(3))),
    "solve_broadcast": (LA.solve, (well((3, 3)), rnd((2, 3, 2)))),
    "det": (LA.det, (well((2, 3, 3)),)),
    "slogdet": (lambda a: LA.slogdet(a).logabsdet, (-well((2, 3, 3)),)),
    "cholesky": (LA.cholesky, (spd((2, 3, 3)),)),
    "cholesky_upper": (lambda a: LA.cholesky(a, upper=True), (spd(),)),
    "qr_tall": (lambda a: tuple(LA.qr(a)), (rnd((2, 4, 3)),)),
    "qr_square": (lambda a: tuple(LA.qr(a)), (well(),)),
    "qr_wide": (lambda a: tuple(LA.qr(a)), (rnd((3, 5)),)),
    "qr_r": (lambda a: LA.qr(a, mode="r"), (rnd((4, 3)),)),
    "eigh": (lambda a: tuple(LA.eigh(a)), (spd((2, 3, 3)),)),
    "eigh_U": (lambda a: tuple(LA.eigh(a, UPLO="U")), (spd(),)),
    "eigvalsh": (LA.eigvalsh, (spd((2, 3, 3)),)),
    # gauge-invariant functions of the singular vectors: U_ij * Vh_jk summed over j, |U|^2
    "svd": (lambda a: (LA.svd(a, False).S, LA.svd(a, False).U * LA.svd(a, False).U,
                       LA.svd(a, False).U @ LA.svd(a, False).Vh), (rnd((2, 4, 3)),)),
    "svd_wide": (lambda a: (LA.svd(a, False).U @ LA.svd(a, False).Vh), (rnd((3, 5)),)),
    "svd_full": (lambda a: LA.svd(a).U[..., :3] @ LA.svd(a).Vh, (rnd((4, 3)),)),
    "svd_hermitian": (lambda a: LA.svd(a @ a.mT, hermitian=True).S, (rnd((3, 3)),)),
    "svdvals": (LA.svdvals, (rnd((2, 3, 4)),)),
    "pinv": (LA.pinv, (rnd((4, 3)),)),
    "lstsq": (lambda a, b: LA.lstsq(a, b)[:2], (rnd((5, 3)), rnd((5, 2)))),
    "matrix_power": (lambda a: LA.matrix_power(a, 3), (rnd((3, 3)),)),
    "matrix_power_neg": (lambda a: LA.matrix_power(a, -2), (well(),)),
    "multi_dot": (lambda a, b, c: LA.multi_dot([a, b, c]), (rnd(3), rnd((3, 4)), rnd((4, 2)))),
    "cond": (lambda a: (LA.cond(a), LA.cond(a, -2), LA.cond(a, np.inf)), (well(),)),
    "tensorinv": (lambda a: LA.tensorinv(a, 1), (well((4, 4)).reshape(4, 2, 2),)),
    "tensorsolve": (LA.tensorsolve, (well((4, 4)).reshape(2, 2, 4), rnd((2, 2)))),
    "cross": (lambda a, b: LA.cross(a, b, axis=0), (rnd((3, 2)), rnd((3, 1)))),
    "outer": (LA.outer, (rnd(3), rnd(2))),
    "diagonal_trace": (lambda a: (LA.diagonal(a, offset=1), LA.trace(a)), (rnd((2, 3, 3)),)),
    "vecdot": (LA.vecdot, (rnd((2, 3)), rnd(3))),
}


@pytest.mark.parametrize("name", GRAD_CASES)
def test_gradients(name):
    fn, args = GRAD_CASES[name]
    check_grads(fn, *args)


TORCH_CASES = {
    "inv": (LA.inv, torch.linalg.inv, (well((2, 3, 3)),)),
    "solve": (LA.solve, torch.linalg.solve, (well((2, 3, 3)), rnd((2, 3, 2)))),
    "det": (LA.det, torch.linalg.det, (well((2, 3, 3)),)),
    "slogdet": (lambda a: LA.slogdet(a)[1], lambda a: torch.linalg.slogdet(a)[1],
                (-well((3, 3)),)),
    "cholesky": (lambda a: LA.cholesky(tsym(a)), lambda a: torch.linalg.cholesky(tsym(a)),
                 (spd((2, 3, 3)),)),
    "eigh": (lambda a: (LA.eigh(tsym(a))[0], LA.eigh(tsym(a))[1] ** 2),
             lambda a: (torch.linalg.eigh(tsym(a))[0], torch.linalg.eigh(tsym(a))[1] ** 2),
             (spd((2, 3, 3)),)),
    "eigvalsh": (lambda a: LA.eigvalsh(tsym(a)), lambda a: torch.linalg.eigvalsh(tsym(a)),
                 (spd(),)),
    "svd": (lambda a: LA.svd(a, False)[0] @ LA.svd(a, False)[2],
            lambda a: torch.linalg.svd(a, False)[0] @ torch.linalg.svd(a, False)[2],
            (rnd((2, 4, 3)),)),
    "svdvals": (LA.svdvals, torch.linalg.svdvals, (rnd((3, 5)),)),
    "qr": (lambda a: tuple(LA.qr(a)), lambda a: tuple(torch.linalg.qr(a)), (rnd((2, 4, 3)),)),
    "pinv": (LA.pinv, torch.linalg.pinv, (rnd((4, 3)),)),
    "matrix_power": (lambda a: LA.matrix_power(a, -3), lambda a: torch.linalg.matrix_power(a, -3),
                     (well(),)),
    "cond": (LA.cond, torch.linalg.cond, (well(),)),
    "norm_nuc": (lambda a: LA.norm(a, "nuc"), lambda a: torch.linalg.norm(a, "nuc"),
                 (rnd((3, 4)),)),
    "norm_2": (lambda a: LA.norm(a, 2), lambda a: torch.linalg.norm(a, 2), (rnd((3, 4)),)),
    "cross": (LA.cross, torch.linalg.cross, (rnd((2, 3)), rnd((2, 3)))),
    "vecdot": (LA.vecdot, torch.linalg.vecdot, (rnd((2, 3)), rnd((2, 3)))),
}


@pytest.mark.parametrize("name", TORCH_CASES)
def test_matches_torch(name):
    ours, theirs, args = TORCH_CASES[name]
    assert_matches_torch(ours, theirs, *args, rtol=1e-8, atol=1e-10)


def test_lstsq_matches_numpy_and_torch():
    a, b = rnd((5, 3), 1), rnd(5, 2)
    x, res, rank, s = LA.lstsq(cr.tensor(a), cr.tensor(b))
    wx, wres, wrank, ws = np.linalg.lstsq(a, b)
    for got, want in ((x, wx), (res, wres), (s, ws)):
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-10)
    assert rank == wrank and to_numpy(res).shape == (1,)
    assert_matches_torch(lambda p, q: LA.lstsq(p, q)[0],
                         lambda p, q: torch.linalg.lstsq(p, q.unsqueeze(-1)).solution[..., 0],
                         a, b, rtol=1e-8)


def test_lstsq_rank_deficient_values():
    a = np.outer(rnd(4, 3), rnd(3, 4))  # rank 1
    b = rnd((4, 2), 5)
    got = LA.lstsq(cr.tensor(a), cr.tensor(b))
    want = np.linalg.lstsq(a, b)
    np.testing.assert_allclose(to_numpy(got[0]), want[0], rtol=1e-8, atol=1e-12)
    assert got[2] == want[2] == 1 and to_numpy(got[1]).shape == want[1].shape == (0,)


# --- degenerate cases -------------------------------------------------------------------------
def test_det_gradient_at_singular_matrix_is_the_adjugate():
    a = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])  # rank 2
    x = leaf(a)
    (g,) = cr.grad(LA.det(x), [x])
    cof = np.array([[np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) * (-1) ** (i + j)
                     for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(to_numpy(g), cof, atol=1e-12)
    check_grads(LA.det, a)  # second order too
    b = np.outer([1.0, 2, 3], [1.0, 0, 2])  # rank 1: the adjugate is 0
    xb = leaf(b)
    (gb,) = cr.grad(LA.det(xb), [xb])
    np.testing.assert_allclose(to_numpy(gb), np.zeros((3, 3)), atol=1e-12)


def _repeated():
    q = np.linalg.qr(rnd((3, 3), 9))[0]
    return q @ np.diag([1.0, 1.0, 3.0]) @ q.T


def test_eigh_repeated_eigenvalues():
    a = _repeated()
    # symmetric functions of the eigenvalues, and the projector onto the whole repeated
    # eigenspace, are differentiable
    check_grads(lambda t: (LA.eigvalsh(tsym(t)) ** 3).sum(), a, order=1, forward=False)
    # the eigenvalues one by one are not, nor (through the vectors) second derivatives
    x = leaf(a)
    with pytest.raises(np.linalg.LinAlgError, match="^eigh: the gradient is not defined: values "
                                                    "0 and 1 are repeated"):
        cr.grad(LA.eigvalsh(x)[0], [x])
    (g,) = cr.grad((LA.eigvalsh(x) ** 3).sum(), [x], create_graph=True)
    with pytest.raises(np.linalg.LinAlgError, match="^eigh: the gradient is not defined"):
        cr.grad(g[1, 0], [x])
    # forward mode: a perturbation that mixes the repeated pair has no tangent
    from chainrule.autograd import forward_ad as fwad

    with fwad.dual_level(), pytest.raises(np.linalg.LinAlgError,
                                          match="^eigh: the tangent is not defined"):
        LA.eigvalsh(fwad.make_dual(cr.tensor(a), cr.tensor(rnd((3, 3), 4))))
    x = leaf(a)
    w, v = LA.eigh(x)
    p = v[:, :2] @ v[:, :2].mT
    (g,) = cr.grad((p * cr.tensor(rnd((3, 3), 2))).sum(), [x])
    assert np.all(np.isfinite(to_numpy(g)))
    # one eigenvector of a repeated pair depends on an arbitrary choice: no gradient
    x = leaf(a)
    w, v = LA.eigh(x)
    with pytest.raises(np.linalg.LinAlgError) as info:
        cr.grad(v[:, 0].sum(), [x])
    msg = str(info.value)
    assert msg.startswith("eigh: the gradient is not defined: values 0 and 1 are repeated")
    assert "eigenvalue sums (eigvalsh)" in msg and "projectors onto the whole subspace" in msg


def test_svd_repeated_singular_values():
    a = _repeated()  # singular values 3, 1, 1
    x = leaf(a)
    u, s, vh = LA.svd(x)
    with pytest.raises(np.linalg.LinAlgError, match=r"^svd: the gradient is not defined.*"
                                                     r"singular values \(svdvals\)"):
        cr.grad(u[:, 1].sum(), [x])
    x = leaf(a)
    (g,) = cr.grad(LA.svdvals(x).sum(), [x])  # fine
    np.testing.assert_allclose(to_numpy(g), np.linalg.svd(a)[0] @ np.linalg.svd(a)[2],
                               atol=1e-12)


def test_svd_sign_gauge_invariant_loss_is_unaffected():
    a = rnd((4, 3), 12)
    u, s, vh = LA.svd(cr.tensor(a), full_matrices=False)
    recon = (u * s[None, :]) @ vh
    np.testing.assert_allclose(to_numpy(recon), a, atol=1e-12)
    check_grads(lambda t: (LA.svd(t, False).U * LA.svd(t, False).S[None, :]) @ LA.svd(t, False).Vh,
                a)


# --- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn,shape,what", [
    (LA.inv, (3,), "1-dimensional array given"),
    (LA.inv, (2, 3), "must be square"),
    (LA.det, (2, 3, 4), "must be square"),
    (LA.cholesky, (3, 2), "must be square"),
    (LA.eigh, (4,), "at least two dimensions"),
])
def test_shape_errors_name_the_op(fn, shape, what):
    with pytest.raises(np.linalg.LinAlgError) as info:
        fn(leaf(rnd(shape)))
    assert str(info.value).startswith(fn.__name__ + ":") and what in str(info.value)
    assert str(shape) in str(info.value)


def test_solve_shape_error_explains_numpy2_rule():
    with pytest.raises(ValueError, match=r"solve: b of shape \(2, 3\) does not fit a of shape "
                                         r"\(2, 3, 3\).*b\[\.\.\., None\]"):
        LA.solve(leaf(well((2, 3, 3))), rnd((2, 3)))


def test_singular_matrix_errors():
    s = np.ones((3, 3))
    with pytest.raises(np.linalg.LinAlgError, match="^inv: the matrix is singular.*pinv"):
        LA.inv(leaf(s))
    with pytest.raises(np.linalg.LinAlgError, match="^solve: the matrix is singular.*lstsq"):
        LA.solve(leaf(s), rnd(3))
    with pytest.raises(np.linalg.LinAlgError, match="^cholesky: the matrix is not positive "
                                                    "definite.*jitter"):
        LA.cholesky(leaf(-np.eye(3)))


def test_complex_gradients_are_refused_only_by_the_matrix_functions():
    """Complex gradients are supported by the decompositions (tests/numpy_api/
    test_linalg_complex.py); the SciPy matrix functions still refuse them, naming themselves."""
    import chainrule.scipy.linalg as SL

    z = cr.tensor(np.eye(2) * (1 + 1j), requires_grad=True)
    for fn in (SL.expm, SL.sqrtm, SL.logm):
        with pytest.raises(NotImplementedError, match=f"^{fn.__name__}: gradients of complex"):
            fn(z)
    assert LA.inv(z).requires_grad and LA.norm(z).requires_grad


def test_non_differentiable_modes_raise():
    with pytest.raises(NotImplementedError, match=r"qr: mode='complete' is not differentiable "
                                                  r"for a matrix of shape \(4, 3\).*reduced"):
        LA.qr(leaf(rnd((4, 3))), mode="complete")
    q, r = LA.qr(cr.tensor(rnd((4, 3))), mode="complete")  # values only: fine
    assert q.shape == (4, 4) and not q.requires_grad
    w, v = LA.eig(cr.tensor(well()))  # values only: NumPy's own
    assert not w.requires_grad
    np.testing.assert_array_equal(to_numpy(w), np.linalg.eig(well())[0])


def test_matrix_rank_is_a_count():
    a = np.outer([1.0, 2], [3.0, 4, 5])
    assert LA.matrix_rank(cr.tensor(a)) == np.linalg.matrix_rank(a) == 1


def test_mvn_style_graph_has_no_inverse():
    a = leaf(spd())
    out = LA.slogdet(a)[1]
    assert "inv" not in prims_in_graph(out)  # the forward pass never inverts


def test_works_without_scipy():
    """The linalg primitives import SciPy lazily: without it, NumPy kernels serve (the
    triangular solves in cholesky's rules among them)."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['scipy'] = None\n"
        "import numpy as np, chainrule as cr\n"
        "from chainrule.numpy import linalg as LA\n"
        "a = cr.tensor(np.array([[4.0, 1.0], [1.0, 3.0]]), requires_grad=True)\n"
        "(g,) = cr.grad(LA.cholesky(a).sum(), [a])\n"
        "print(np.round(np.asarray(g._data), 6).tolist())\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    x = leaf(np.array([[4.0, 1.0], [1.0, 3.0]]))
    (g,) = cr.grad(LA.cholesky(x).sum(), [x])
    assert run.stdout.strip() == str(np.round(to_numpy(g), 6).tolist())


JACOBIAN_CASES = {
    "inv": (LA.inv, (well((2, 3, 3)),)),
    "solve_broadcast": (LA.solve, (well((3, 3)), rnd((2, 3, 2)))),
    "cholesky": (LA.cholesky, (spd((2, 3, 3)),)),
    "det": (LA.det, (well((2, 3, 3)),)),
    "eigh": (lambda a: LA.eigh(a)[1] ** 2, (spd(),)),
    "svd": (lambda a: LA.svd(a, False)[0] @ LA.svd(a, False)[2], (rnd((3, 2)),)),
    "qr": (lambda a: LA.qr(a)[1], (rnd((2, 3)),)),
}


@pytest.mark.parametrize("name", JACOBIAN_CASES)
def test_jacobians_batch_the_rules(name):
    """jacrev and jacfwd push several cotangents / tangents through each rule at once (leading
    batch axes); both equal the Jacobian built one column at a time."""
    fn, args = JACOBIAN_CASES[name]
    argnums = tuple(range(len(args)))
    ts = [cr.tensor(a) for a in args]
    rev = cr.jacrev(fn, argnums=argnums)(*ts)
    fwd = cr.jacfwd(fn, argnums=argnums)(*ts)
    for k, a in enumerate(args):
        cols = []
        for i in range(a.size):
            e = np.zeros(a.size)
            e[i] = 1e-6
            plus = [x + e.reshape(x.shape) if j == k else x for j, x in enumerate(args)]
            minus = [x - e.reshape(x.shape) if j == k else x for j, x in enumerate(args)]
            cols.append((np.asarray(fn(*plus)) - np.asarray(fn(*minus))) / 2e-6)
        num = np.stack(cols, axis=-1).reshape(np.shape(fn(*args)) + a.shape)
        np.testing.assert_allclose(to_numpy(rev[k]), num, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(to_numpy(fwd[k]), num, rtol=1e-5, atol=1e-6)
