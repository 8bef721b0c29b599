"""Functions that are smooth at repeated singular values (pinv, lstsq, the nuclear norm) have
exact derivatives there; the 2-norm and cond, which are not differentiable at a repeated
extreme singular value, get a basis-independent subgradient (PyTorch's at exact ties). The
general eigendecomposition at repeated eigenvalues. Checked against finite differences and
PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import assert_matches_torch, check_grads, leaf, prims_in_graph, to_numpy

import chainrule as cr
from chainrule.numpy import linalg as LA


def orth(m, n, seed=0):
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((m, n)))[0]


def with_singular_values(s, m=None, seed=0):
    """U diag(s) V^T with random orthonormal U (m x k) and V (k x k)."""
    k = len(s)
    return orth(m or k, k, seed) @ np.diag(s) @ orth(k, k, seed + 1).T


NEAR = with_singular_values([2.0, 1.0 + 1e-16, 1.0], seed=3)  # equal to rounding
EXACT = np.eye(3)
TALL_REPEATED = with_singular_values([1.5, 1.5, 0.5], m=5, seed=4)


@pytest.mark.parametrize("a", [EXACT, 2.0 * EXACT, NEAR, TALL_REPEATED],
                         ids=["eye", "2eye", "near", "tall"])
def test_pinv_at_repeated_singular_values(a):
    """pinv is smooth at full rank, repeated singular values or not: its rule (Golub and
    Pereyra) uses A and A^+ only, no singular vectors."""
    np.testing.assert_allclose(to_numpy(LA.pinv(cr.tensor(a))), np.linalg.pinv(a), rtol=1e-12,
                               atol=1e-14)
    check_grads(LA.pinv, a)
    assert_matches_torch(LA.pinv, torch.linalg.pinv, a, rtol=1e-8, atol=1e-10)
    assert "svd" not in prims_in_graph(LA.pinv(leaf(a)))


def test_pinv_near_repeated_was_wrong_by_svd():
    """The regression: through the SVD's basis derivative the gradient at singular values 1e-16
    apart was off by about 0.2; the closed form equals the finite differences."""
    x = leaf(NEAR)
    w = np.random.default_rng(5).standard_normal((3, 3))
    (g,) = cr.grad((LA.pinv(x) * cr.tensor(w)).sum(), [x])
    h, num = 1e-6, np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            e = np.zeros((3, 3))
            e[i, j] = h
            num[i, j] = (np.sum(np.linalg.pinv(NEAR + e) * w)
                         - np.sum(np.linalg.pinv(NEAR - e) * w)) / (2 * h)
    np.testing.assert_allclose(to_numpy(g), num, rtol=1e-6, atol=1e-8)


def test_pinv_at_constant_rank():
    """Rank deficiency: exact along perturbations that keep the rank (here B C, rank 1)."""
    b, c = np.array([[1.0], [2.0], [-0.5]]), np.array([[0.3, -1.2]])
    check_grads(lambda p, q: LA.pinv(p @ q), b, c)
    assert_matches_torch(lambda p, q: LA.pinv(p @ q), lambda p, q: torch.linalg.pinv(p @ q),
                         b, c, rtol=1e-8, atol=1e-10)


def test_pinv_hermitian_reads_the_lower_triangle():
    a = np.array([[2.0, 0.5, 9.0], [0.5, 1.0, 9.0], [0.3, 0.2, 3.0]])  # upper triangle unread
    sym = np.tril(a) + np.tril(a, -1).T
    got = LA.pinv(cr.tensor(a), hermitian=True)
    np.testing.assert_allclose(to_numpy(got), np.linalg.pinv(a, hermitian=True), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(got), np.linalg.pinv(sym), rtol=1e-10)
    check_grads(lambda t: LA.pinv(t, hermitian=True), a)
    x = leaf(a)
    (g,) = cr.grad(LA.pinv(x, hermitian=True).sum(), [x])
    assert np.all(to_numpy(g)[np.triu_indices(3, 1)] == 0)


def test_lstsq_at_repeated_singular_values():
    a, b = TALL_REPEATED, np.random.default_rng(6).standard_normal((5, 2))
    check_grads(lambda p, q: LA.lstsq(p, q)[:2], a, b)
    assert_matches_torch(lambda p, q: LA.lstsq(p, q)[0],
                         lambda p, q: torch.linalg.lstsq(p, q).solution, a, b, rtol=1e-8,
                         atol=1e-10)
    q = orth(5, 3, 7)  # orthonormal columns: every singular value 1
    check_grads(lambda p, r: LA.lstsq(p, r)[0], q, b)


@pytest.mark.parametrize("a", [EXACT, NEAR, TALL_REPEATED], ids=["eye", "near", "tall"])
def test_nuclear_norm_at_repeated_singular_values(a):
    """Smooth where every singular value is nonzero: the gradient U V^T does not depend on the
    bases of repeated singular values."""
    check_grads(lambda t: LA.norm(t, "nuc"), a)
    assert_matches_torch(lambda t: LA.norm(t, "nuc"),
                         lambda t: torch.linalg.matrix_norm(t, "nuc"), a, rtol=1e-8, atol=1e-10,
                         second=False)  # torch: nan (or garbage) second derivatives here


def test_nuclear_norm_drops_zero_singular_values():
    """At a rank-deficient matrix the nuclear norm is not differentiable; the gradient is
    U_r V_r^T (the least-norm subgradient), 0 at the zero matrix."""
    u = np.array([[1.0], [2.0], [2.0]]) / 3
    v = np.array([[0.6, 0.8, 0.0]])
    x = leaf(2.0 * u @ v)  # exact rank 1
    (g,) = cr.grad(LA.norm(x, "nuc"), [x])
    np.testing.assert_allclose(to_numpy(g), u @ v, atol=1e-12)
    z = leaf(np.zeros((3, 3)))
    (gz,) = cr.grad(LA.norm(z, "nuc"), [z])
    np.testing.assert_array_equal(to_numpy(gz), np.zeros((3, 3)))


def test_two_norm_at_a_repeated_top_singular_value_is_a_subgradient():
    """Not differentiable there; as PyTorch (whose amax shares ties) the gradient is the
    average (1/k) U_k V_k^T over the tied singular values, which does not depend on their
    basis; also for values tied to rounding."""
    assert_matches_torch(lambda t: LA.norm(t, 2), lambda t: torch.linalg.matrix_norm(t, 2),
                         2.0 * EXACT, second=False)
    a = with_singular_values([1.0 + 1e-16, 1.0, 0.5], seed=8)
    u, s, vt = np.linalg.svd(a)
    x = leaf(a)
    (g,) = cr.grad(LA.norm(x, 2), [x])
    np.testing.assert_allclose(to_numpy(g), u[:, :2] @ vt[:2] / 2, atol=1e-12)
    x = leaf(a)
    (g,) = cr.grad(LA.matrix_norm(x, ord=-2), [x])  # the smallest, simple here: exact
    np.testing.assert_allclose(to_numpy(g), np.outer(u[:, 2], vt[2]), atol=1e-12)
    z = leaf(np.zeros((2, 2)))
    (gz,) = cr.grad(LA.norm(z, 2), [z])
    np.testing.assert_array_equal(to_numpy(gz), np.zeros((2, 2)))


def test_two_norm_where_smooth_despite_repeated_lower_values():
    a = with_singular_values([2.0, 1.0, 1.0], seed=9)  # the top one is simple: smooth
    check_grads(lambda t: LA.norm(t, 2), a)
    assert_matches_torch(lambda t: LA.norm(t, 2), lambda t: torch.linalg.matrix_norm(t, 2), a,
                         rtol=1e-8, atol=1e-10)


def test_cond_at_ties():
    """cond = s_max / s_min: smooth where both are simple (repeated values in between are
    fine), a basis-independent subgradient at tied extremes (0 at a multiple of an orthogonal
    matrix, the minimum of cond)."""
    a = with_singular_values([3.0, 1.5, 1.5, 1.0], seed=10)
    check_grads(LA.cond, a)
    assert_matches_torch(LA.cond, torch.linalg.cond, a, rtol=1e-8, atol=1e-10)
    x = leaf(2.0 * orth(3, 3, 11))
    (g,) = cr.grad(LA.cond(x), [x])
    np.testing.assert_allclose(to_numpy(g), np.zeros((3, 3)), atol=1e-12)
    b = with_singular_values([2.0, 2.0, 1.0], seed=12)
    u, s, vt = np.linalg.svd(b)
    x = leaf(b)
    (g,) = cr.grad(LA.cond(x), [x])
    want = u[:, :2] @ vt[:2] / 2 / 1.0 - 2.0 * np.outer(u[:, 2], vt[2])
    np.testing.assert_allclose(to_numpy(g), want, atol=1e-12)


# --- the general eigendecomposition at repeated eigenvalues -----------------------------------
def _repeated_nonsymmetric():
    s = np.array([[1.0, 0.4, 0.1], [0.2, 1.0, 0.3], [0.0, 0.5, 1.0]])
    return s @ np.diag([2.0, 2.0, 5.0]) @ np.linalg.inv(s)  # diagonalizable, not symmetric


def test_eigvals_sums_at_repeated_eigenvalues():
    a = _repeated_nonsymmetric()
    x = leaf(a)
    (g,) = cr.grad(LA.eigvals(x).sum().real, [x])  # the trace: gradient I
    np.testing.assert_allclose(to_numpy(g), np.eye(3), atol=1e-9)
    x = leaf(a)
    with pytest.raises(np.linalg.LinAlgError, match="^eig: the gradient is not defined: values "
                                                    r"\d and \d are repeated"):
        cr.grad((LA.eigvals(x)[1] * 1.0).real, [x])  # w = (5, 2, 2): one of the pair
    x = leaf(a)
    with pytest.raises(np.linalg.LinAlgError, match="eigenvectors of repeated eigenvalues"):
        cr.grad(abs(LA.eig(x).eigenvectors[0, 0]), [x])


def test_eig_forward_mode_at_repeated_eigenvalues():
    from chainrule.autograd import forward_ad as fwad

    a = _repeated_nonsymmetric()
    with fwad.dual_level(), pytest.raises(np.linalg.LinAlgError,
                                          match="^eig: the tangent is not defined"):
        LA.eigvals(fwad.make_dual(cr.tensor(a), cr.tensor(np.arange(9.0).reshape(3, 3))))


def test_eig_jacobians_batch_the_rules():
    a = np.array([[1.0, 2.0, 0.3], [-2.0, 1.0, 0.1], [0.2, 0.0, 3.0]])
    fn = lambda t: abs(LA.eig(t).eigenvectors) ** 2  # noqa: E731
    rev = cr.jacrev(fn)(cr.tensor(a))
    fwd = cr.jacfwd(fn)(cr.tensor(a))
    np.testing.assert_allclose(to_numpy(rev), to_numpy(fwd), rtol=1e-9, atol=1e-12)
    h, cols = 1e-6, []
    for i in range(9):
        e = np.zeros(9)
        e[i] = h
        e = e.reshape(3, 3)
        cols.append((np.abs(np.linalg.eig(a + e)[1]) ** 2 - np.abs(np.linalg.eig(a - e)[1]) ** 2)
                    / (2 * h))
    np.testing.assert_allclose(to_numpy(rev), np.stack(cols, -1).reshape(3, 3, 3, 3),
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("a", [EXACT, NEAR, TALL_REPEATED], ids=["eye", "near", "tall"])
def test_polar_factor_at_repeated_singular_values(a):
    """U @ Vh does not depend on the basis of a repeated singular subspace; inside the cluster
    only the relative rotation of U and V is determined, and the rule gives it: the gradient
    agrees with finite differences (PyTorch's is nan or wrong here)."""
    from chainrule.autograd import gradcheck

    def polar(t):
        r = LA.svd(t, full_matrices=False)
        return r.U @ r.Vh

    assert gradcheck(polar, (leaf(a),))
    x = leaf(a)
    with torch.no_grad():
        r = torch.linalg.svd(torch.tensor(a), full_matrices=False)
    np.testing.assert_allclose(to_numpy(polar(x)), (r.U @ r.Vh).numpy(), atol=1e-12)
