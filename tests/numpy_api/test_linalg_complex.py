"""Complex matrices in chainrule.numpy.linalg (and the complex paths of chainrule.scipy.linalg):
gradients in PyTorch's convention (dL/dRe + i dL/dIm), checked by finite differences (gradcheck
perturbs real and imaginary parts; first and second order, reverse and forward mode), against
torch.linalg's complex autograd, and the rules themselves as adjoints of each other under
Re<a, b>. Losses of eigenvectors and singular vectors are invariant under their phases (the only
meaningful ones); a loss that depends on a phase raises."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import assert_matches_torch, check_grads, crand, leaf, to_numpy

import chainrule as cr
import chainrule.numpy as cnp
import chainrule.scipy.linalg as SL
from chainrule.numpy import linalg as LA
from chainrule.primitives import REGISTRY
from chainrule.primitives.decompositions import _unpack


def cwell(shape=(3, 3), seed=0):
    """Well-conditioned complex matrices."""
    return crand(shape, seed, -1.0, 1.0) + 3 * np.eye(shape[-1])


def hpd(shape=(3, 3), seed=0):
    """Hermitian positive definite matrices."""
    x = crand(shape, seed, -1.0, 1.0)
    return x @ np.conj(np.swapaxes(x, -1, -2)) + shape[-1] * np.eye(shape[-1])


def herm(x):
    """(x + x^H) / 2 for chainrule and torch tensors."""
    return (x + x.mT.conj()) / 2


def tall(seed=0):
    return crand((4, 3), seed)


def _svd_parts(a):
    r = LA.svd(a, full_matrices=False)  # one call: the phases of U and V pair up
    return r.S, r.U @ r.Vh, abs(r.U) ** 2


def _torch_svd_parts(a):
    r = torch.linalg.svd(a, full_matrices=False)
    return r.S, r.U @ r.Vh, r.U.abs() ** 2


# name: (chainrule function, torch function, inputs); complex inputs unless noted
CASES = {
    "inv": (LA.inv, torch.linalg.inv, (cwell((2, 3, 3)),)),
    "solve": (LA.solve, torch.linalg.solve, (cwell((2, 3, 3)), crand((3, 2), 1))),
    "solve_vector": (LA.solve, torch.linalg.solve, (cwell(), crand(3, 2))),
    "solve_real_a": (LA.solve, lambda a, b: torch.linalg.solve(a.to(b.dtype), b),
                     (np.real(cwell((3, 3), 3)), crand((3, 2), 4))),  # a real input
    "solve_real_b": (LA.solve, lambda a, b: torch.linalg.solve(a, b.to(a.dtype)),
                     (cwell((3, 3), 3), np.real(crand((3, 2), 4)))),
    "det": (LA.det, torch.linalg.det, (cwell((2, 3, 3)),)),
    "slogdet": (lambda a: tuple(LA.slogdet(a)), lambda a: tuple(torch.linalg.slogdet(a)),
                (cwell((2, 3, 3), 5),)),
    "cholesky": (lambda a: LA.cholesky(herm(a)), lambda a: torch.linalg.cholesky(herm(a)),
                 (hpd((2, 3, 3)),)),
    "cholesky_upper": (lambda a: LA.cholesky(herm(a), upper=True),
                       lambda a: torch.linalg.cholesky(herm(a), upper=True), (hpd(),)),
    "qr_tall": (lambda a: tuple(LA.qr(a)), lambda a: tuple(torch.linalg.qr(a)),
                (crand((2, 4, 3), 6),)),
    "qr_square": (lambda a: tuple(LA.qr(a)), lambda a: tuple(torch.linalg.qr(a)), (cwell(),)),
    "qr_wide": (lambda a: tuple(LA.qr(a)), lambda a: tuple(torch.linalg.qr(a)),
                (crand((3, 5), 7),)),
    "eigh": (lambda a: (lambda r: (r[0], abs(r[1]) ** 2))(LA.eigh(herm(a))),
             lambda a: (lambda r: (r[0], r[1].abs() ** 2))(torch.linalg.eigh(herm(a))),
             (hpd((2, 3, 3), 8),)),
    "eigh_projector": (lambda a: (lambda r: r[1][:, :1] @ r[1][:, :1].mT.conj())(
                           LA.eigh(herm(a))),
                       lambda a: (lambda r: r[1][:, :1] @ r[1][:, :1].mH)(
                           torch.linalg.eigh(herm(a))), (hpd((3, 3), 9),)),
    "eigvalsh": (lambda a: LA.eigvalsh(herm(a)), lambda a: torch.linalg.eigvalsh(herm(a)),
                 (hpd(),)),
    "svd_tall": (_svd_parts, _torch_svd_parts, (crand((2, 4, 3), 10),)),
    "svd_wide": (_svd_parts, _torch_svd_parts, (crand((3, 5), 11),)),
    "svd_square": (_svd_parts, _torch_svd_parts, (cwell((3, 3), 12),)),
    "svdvals": (LA.svdvals, torch.linalg.svdvals, (crand((3, 5), 13),)),
    "pinv": (LA.pinv, torch.linalg.pinv, (tall(14),)),
    "pinv_wide": (LA.pinv, torch.linalg.pinv, (crand((2, 4), 15),)),
    "norm_fro": (LA.norm, torch.linalg.norm, (crand((3, 4), 16),)),
    "norm_nuc": (lambda a: LA.norm(a, "nuc"), lambda a: torch.linalg.matrix_norm(a, "nuc"),
                 (crand((3, 4), 17),)),
    "norm_2": (lambda a: LA.norm(a, 2), lambda a: torch.linalg.matrix_norm(a, 2),
               (crand((3, 4), 18),)),
    "norm_-2": (lambda a: LA.norm(a, -2), lambda a: torch.linalg.matrix_norm(a, -2),
                (crand((3, 4), 19),)),
    "norm_1_inf": (lambda a: (LA.norm(a, 1), LA.norm(a, np.inf)),
                   lambda a: (torch.linalg.matrix_norm(a, 1),
                              torch.linalg.matrix_norm(a, float("inf"))), (crand((3, 4), 20),)),
    "vector_norm_3": (lambda a: LA.norm(a, 3), lambda a: torch.linalg.vector_norm(a, 3),
                      (crand(4, 21),)),
    "cond": (LA.cond, torch.linalg.cond, (cwell((3, 3), 22),)),
    "eig": (lambda a: (lambda r: (r[0], abs(r[1]) ** 2))(LA.eig(a)),
            lambda a: (lambda r: (r[0], r[1].abs() ** 2))(torch.linalg.eig(a)),
            (cwell((2, 3, 3), 23),)),
    "eig_real_input": (lambda a: (lambda r: (r[0], abs(r[1]) ** 2))(LA.eig(a)),
                       lambda a: (lambda r: (r[0], r[1].abs() ** 2))(torch.linalg.eig(a)),
                       (np.array([[1.0, 2.0, 0.3], [-2.0, 1.0, 0.1], [0.2, 0.0, 3.0]]),)),
    "eigvals": (LA.eigvals, torch.linalg.eigvals, (cwell((3, 3), 24),)),
    "eig_reconstruct": (lambda a: (lambda r: (r[1] * r[0][None, :]) @ LA.inv(r[1]))(LA.eig(a)),
                        lambda a: (lambda r: (r[1] * r[0][None, :]) @ torch.linalg.inv(r[1]))(
                            torch.linalg.eig(a)), (cwell((3, 3), 25),)),
    "matrix_power": (lambda a: LA.matrix_power(a, -2),
                     lambda a: torch.linalg.matrix_power(a, -2), (cwell((3, 3), 26),)),
    "lstsq": (lambda a, b: LA.lstsq(a, b)[0],
              lambda a, b: torch.linalg.lstsq(a, b).solution, (tall(27), crand((4, 2), 28))),
    "vecdot": (LA.vecdot, torch.linalg.vecdot, (crand((2, 3), 29), crand(3, 30))),
}


@pytest.mark.parametrize("name", CASES)
def test_complex_gradients_match_torch(name):
    ours, theirs, args = CASES[name]
    assert_matches_torch(ours, theirs, *args, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", CASES)
def test_complex_gradients_by_finite_differences(name):
    ours, _, args = CASES[name]
    check_grads(ours, *args)


def test_eig_vectors_follow_numpys_normalisation():
    """The eigenvectors themselves (not only phase-invariant functions of them) are
    differentiable: chainrule differentiates NumPy's normalisation (unit norm, largest entry
    real), so finite differences of NumPy's eig agree, for complex and for real input."""
    check_grads(lambda a: LA.eig(a).eigenvectors, cwell((3, 3), 31))
    rot = np.array([[1.0, 2.0, 0.3], [-2.0, 1.0, 0.1], [0.2, 0.0, 3.0]])
    check_grads(lambda a: LA.eig(a).eigenvectors, rot)
    x = leaf(rot)
    w, v = LA.eig(x)
    assert w.dtype == np.complex128 and v.dtype == np.complex128
    (g,) = cr.grad(cnp.real(v[0, 0] * w[0]), [x])
    assert g.dtype == np.float64  # a real input gets a real gradient


def test_eig_real_matrix_with_real_eigenvalues_stays_real():
    a = np.array([[2.0, 1.0, 0.0], [0.5, 3.0, 0.2], [0.1, 0.0, 5.0]])
    w, v = LA.eig(leaf(a))
    assert w.dtype == np.float64 and v.dtype == np.float64  # NumPy's dtype rule
    np.testing.assert_allclose(to_numpy(w), np.linalg.eig(a)[0], rtol=1e-12)
    check_grads(lambda t: tuple(LA.eig(t)), a)


def test_slogdet_sign_is_differentiable_for_complex():
    a = cwell((3, 3), 32)
    sign, logabs = LA.slogdet(cr.tensor(a))
    want = np.linalg.slogdet(a)
    np.testing.assert_allclose(to_numpy(sign), want[0], rtol=1e-12)
    np.testing.assert_allclose(to_numpy(logabs), want[1], rtol=1e-12)
    assert to_numpy(logabs).dtype == np.float64
    x = leaf(a)
    (g,) = cr.grad(cnp.imag(LA.slogdet(x).sign), [x])
    assert np.abs(to_numpy(g)).max() > 1e-3  # the sign moves with the matrix


def test_det_of_singular_complex_matrix_is_the_adjugate():
    u = crand((3, 2), 33)
    a = u @ crand((2, 3), 34)  # rank 2
    x = leaf(a)
    (g,) = cr.grad(cnp.real(LA.det(x)), [x])
    cof = np.array([[np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) * (-1) ** (i + j)
                     for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(to_numpy(g), np.conj(cof), atol=1e-10)  # PyTorch's convention
    check_grads(LA.det, a, order=1)
    x = leaf(a)  # second derivatives there are refused, by name
    with pytest.raises(np.linalg.LinAlgError, match="^det: the second derivative at a singular "
                                                    "complex matrix is not provided"):
        cr.grad(cnp.real(LA.det(x)), [x], create_graph=True)


_W = cr.tensor(crand((3, 3), 99))


@pytest.mark.parametrize("fn,what", [
    (lambda a: cnp.real((LA.eigh(herm(a)).eigenvectors * _W).sum()), "eigh"),
    (lambda a: cnp.real((LA.svd(a, full_matrices=False).U * _W).sum()), "svd"),
])
def test_phase_dependent_losses_raise(fn, what):
    a = hpd((3, 3), 35)
    x = leaf(a)
    with pytest.raises(np.linalg.LinAlgError) as info:
        cr.grad(fn(x), [x])
    msg = str(info.value)
    assert msg.startswith(f"{what}: the gradient is not defined: the loss depends on the phase")
    assert "e^(i phi)" in msg and "one call" in msg


def test_cholesky_reads_one_triangle_and_the_real_diagonal():
    """The kernel (LAPACK's) reads the lower triangle and the real part of the diagonal: the
    gradient lives there, with zero imaginary part on the diagonal."""
    a = hpd((3, 3), 36)
    x = leaf(a)
    l = LA.cholesky(x)
    (g,) = cr.grad(cnp.real((l * cr.tensor(crand((3, 3), 37))).sum()), [x])
    g = to_numpy(g)
    assert np.all(g[np.triu_indices(3, 1)] == 0)
    assert np.all(np.imag(np.diag(g)) == 0)
    check_grads(LA.cholesky, a)  # the raw function, perturbed in every entry


def _randn(r, shape, like):
    x = r.standard_normal(shape)
    return x + 1j * r.standard_normal(shape) if np.iscomplexobj(like) else x


def _phase_free(u, packed, n_vec, cores, vec_slots):
    """A cotangent for eigenvectors (singular vectors) with Im(diag(V^H gV)) = 0: each
    phase-invariant, as a loss's must be."""
    parts = _unpack(u, cores)
    vals = _unpack(packed, cores)
    for k in vec_slots:
        v, gv = vals[k], parts[k]
        h = np.imag(np.einsum("...ij,...ij->...j", np.conj(v), gv))
        parts[k] = gv - 1j * v * h[..., None, :]
    flat = [p.reshape(p.shape[: p.ndim - len(c)] + (-1,)) for p, c in zip(parts, cores)]
    return np.concatenate(flat, axis=-1)


TRANSPOSE_CASES = {
    "inv": ((cwell((2, 3, 3), 40),), ()),
    "solve": ((cwell((2, 3, 3), 41), crand((3, 2), 42)), ()),
    "solve_triangular": ((np.tril(cwell((3, 3), 43)), crand((3, 2), 44)), (True, False)),
    "cholesky": ((hpd((3, 3), 45),), ("L",)),
    "det": ((cwell((2, 3, 3), 46),), ()),
    "logabsdet": ((cwell((3, 3), 47),), ()),
    "qr": ((crand((4, 3), 48),), ()),
    "pinv": ((crand((4, 3), 49),), (1e-15, False)),
    "eig": ((cwell((3, 3), 50),), ()),
    "eigh": ((hpd((3, 3), 51),), ("U",)),
    "svd": ((crand((4, 3), 52),), (False, False)),
    "solve_banded": ((crand((3, 4), 53) + np.array([[0.0], [4.0], [0.0]]), crand((4, 2), 54)),
                     (1, 1)),
}


@pytest.mark.parametrize("name", TRANSPOSE_CASES)
def test_complex_rules_are_adjoint(name):
    """<u, J t> by the forward rules equals <J^* u, t> by the reverse rules, with the real inner
    product Re(sum(conj(a) b)) and complex inputs (the table's own test uses real ones)."""
    prim = REGISTRY[name]
    inputs, params = TRANSPOSE_CASES[name]
    out = prim.impl(*inputs, *params)
    saved = (prim.saver(inputs, out) if prim.saver else ()) + tuple(params)
    r = np.random.default_rng(0)
    u = _randn(r, out.shape, out)
    if name == "eigh":
        u = _phase_free(u, out, 3, [(3,), (3, 3)], [1])
    elif name == "svd":
        # a phase-free cotangent of U alone (and none on Vh) keeps each pair's phase
        u = _phase_free(u, out, 3, [(4, 3), (3,), (3, 3)], [0])
        u[..., 12 + 3:] = 0
    jt = vju = 0.0
    for i, x in enumerate(inputs):
        t = _randn(r, x.shape, x)
        jt += np.real(np.sum(np.conj(u) * np.asarray(prim.jvp[i](t, *saved))))
        gi = np.asarray(prim.vjp[i](u, *saved))
        assert gi.shape == x.shape and gi.dtype.kind == "c"
        vju += np.real(np.sum(np.conj(gi) * t))
    np.testing.assert_allclose(jt, vju, rtol=1e-10, atol=1e-12)


# --- chainrule.scipy.linalg on complex data ----------------------------------------------------
SCIPY_CASES = {
    "solve_triangular_C": (lambda a, b: SL.solve_triangular(a, b, trans="C", lower=True),
                           (np.tril(cwell((3, 3), 60)), crand((3, 2), 61))),
    "solve_triangular_T": (lambda a, b: SL.solve_triangular(a, b, trans=1),
                           (np.triu(cwell((3, 3), 62)), crand(3, 63))),
    "cho_solve": (lambda a, b: SL.cho_solve(SL.cho_factor(a), b), (hpd((3, 3), 64),
                                                                    crand((3, 2), 65))),
    "cho_solve_lower": (lambda a, b: SL.cho_solve(SL.cho_factor(a, lower=True), b),
                        (hpd((3, 3), 66), crand(3, 67))),
    "solve_her": (lambda a, b: SL.solve(a, b, assume_a="her"), (hpd((3, 3), 68),
                                                                 crand(3, 69))),
    "solve_pos_lower": (lambda a, b: SL.solve(a, b, assume_a="pos", lower=True),
                        (hpd((3, 3), 70), crand((3, 2), 71))),
    "solve_sym": (lambda a, b: SL.solve(a, b, assume_a="sym"),
                  (cwell((3, 3), 72) + cwell((3, 3), 72).T, crand(3, 73))),
}


@pytest.mark.parametrize("name", SCIPY_CASES)
def test_scipy_linalg_complex(name):
    import scipy.linalg

    fn, args = SCIPY_CASES[name]
    # values equal SciPy's (its kernels read the same parts of the arrays)
    scipy_fn = {"solve_triangular_C": lambda a, b: scipy.linalg.solve_triangular(
        a, b, trans="C", lower=True),
        "solve_triangular_T": lambda a, b: scipy.linalg.solve_triangular(a, b, trans=1),
        "cho_solve": lambda a, b: scipy.linalg.cho_solve(scipy.linalg.cho_factor(a), b),
        "cho_solve_lower": lambda a, b: scipy.linalg.cho_solve(
            scipy.linalg.cho_factor(a, lower=True), b),
        "solve_her": lambda a, b: scipy.linalg.solve(a, b, assume_a="her"),
        "solve_pos_lower": lambda a, b: scipy.linalg.solve(a, b, assume_a="pos", lower=True),
        "solve_sym": lambda a, b: scipy.linalg.solve(a, b, assume_a="sym")}[name]
    got = fn(*[cr.tensor(a) for a in args])
    np.testing.assert_allclose(to_numpy(got), scipy_fn(*args), rtol=1e-10, atol=1e-12)
    check_grads(fn, *args)
