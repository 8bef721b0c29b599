"""Regressions found by review: each was a silent wrong value or gradient."""

from __future__ import annotations

import numpy as onp
import pytest
import scipy.stats as ss

import chainrule as cr
import chainrule.numpy as np
from chainrule.scipy import signal as cs
from chainrule.scipy import stats

X = onp.array([3.0, 4.0])


def _fd(f, x, eps=1e-6):
    return onp.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in onp.eye(len(x))])


@pytest.mark.parametrize("f", [
    lambda x: np.linalg.norm([x[0], x[1]]),
    lambda x: np.linalg.det([[x[0], 1.0], [2.0, x[1]]]),
    lambda x: np.sum(np.abs(np.fft.fft([x[0], x[1], 1.0]))),
    lambda x: np.sum(np.convolve([x[0], x[1]], [1.0, 2.0])),
    lambda x: np.sum(np.sin([x[0], x[1]])),
    lambda x: np.polyval([x[0], 2.0], x[1]),
], ids=["norm", "det", "fft", "convolve", "sin", "polyval"])
def test_a_list_holding_tensors_keeps_its_gradient(f):
    onp.testing.assert_allclose(cr.grad(f)(X), _fd(f, X), rtol=1e-6)


def test_complex_values_conjugate_as_numpy_does():
    z = onp.array([1 + 2j, 0.5 - 1j])
    w = onp.array([0.3 + 1j, 2 - 1j])
    m = onp.array([[1 + 1j, 2], [0.5j, 1]])
    t = cr.tensor(z)
    for ours, ref in ((np.vdot(t, w), onp.vdot(z, w)), (np.vecdot(t, w), onp.vecdot(z, w)),
                      (np.vecmat(t, m), onp.vecmat(z, m)),
                      (np.correlate(t, w, "full"), onp.correlate(z, w, "full")),
                      (cs.correlate(t, w), onp.correlate(z, w, "full"))):
        onp.testing.assert_allclose(ours.numpy(), ref, rtol=1e-14)


def test_complex_linalg_values_and_real_results():
    import torch

    a = onp.array([[1 + 1j, 2], [0, 1j], [1, 1]])
    b = onp.array([1, 1j, 2])
    onp.testing.assert_allclose(np.linalg.pinv(cr.tensor(a)).numpy(), onp.linalg.pinv(a))
    x, res = np.linalg.lstsq(cr.tensor(a), b, rcond=None)[:2]
    ref = onp.linalg.lstsq(a, b, rcond=None)
    onp.testing.assert_allclose(x.numpy(), ref[0])
    onp.testing.assert_allclose(res.numpy(), ref[1])
    m = cr.tensor(onp.array([[1 + 1j, 2], [0.5j, 1]]))
    for r in (np.linalg.svd(m, compute_uv=False), np.linalg.norm(m, 2), np.linalg.cond(m),
              np.linalg.eigvalsh(m), np.nanvar(cr.tensor(onp.array([1j, 2.0])))):
        assert r.dtype == onp.float64
    zz = onp.array([1 + 2j, 0.5 - 1j, -1 + 0.3j])
    ww = onp.array([0.3 + 1j, 2 - 1j, 1 + 1j])
    g = cr.grad(lambda z: np.real(np.sum(np.cumprod(z) * ww)))(zz)
    zt = torch.tensor(zz, requires_grad=True)
    torch.real((torch.cumprod(zt, 0) * torch.tensor(ww)).sum()).backward()
    onp.testing.assert_allclose(g, zt.grad.numpy(), rtol=1e-12)


def test_p_norm_gradient_at_zero_is_zero_and_singular_cond_is_inf():
    for p in (3, 0.5):
        onp.testing.assert_array_equal(cr.grad(lambda x, p=p: np.linalg.norm(x, p))(onp.zeros(3)),
                                       onp.zeros(3))
    s = onp.array([[1.0, 2.0], [2.0, 4.0]])
    assert np.linalg.cond(cr.tensor(s), 1).item() == onp.linalg.cond(s, 1) == onp.inf


def test_empty_stacks_of_matrices():
    e = cr.tensor(onp.zeros((0, 2, 2)))
    assert [r.shape for r in np.linalg.eigh(e)] == [(0, 2), (0, 2, 2)]
    assert [r.shape for r in np.linalg.svd(e)] == [(0, 2, 2), (0, 2), (0, 2, 2)]


def test_cauchy_quantiles_keep_their_precision_in_the_tails():
    for q in (1e-12, 0.1, 0.5, 0.7, 1 - 1e-12):
        onp.testing.assert_allclose(stats.cauchy.ppf(cr.tensor(q)).item(), ss.cauchy.ppf(q),
                                    rtol=1e-14, atol=1e-300)
    onp.testing.assert_allclose(cr.grad(stats.cauchy.ppf)(0.5), onp.pi, rtol=1e-14)


def test_interp_of_complex_values():
    fp = onp.array([1 + 2j, 0.5 - 1j])
    x = onp.array([0.5, 0.25])
    onp.testing.assert_allclose(np.interp(x, onp.arange(2.0), cr.tensor(fp)).numpy(),
                                onp.interp(x, [0.0, 1.0], fp))
    w = onp.array([1 - 1j, 2 + 1j])
    g = cr.grad(lambda f: np.real(np.sum(np.interp(x, onp.arange(2.0), f) * w)))(fp)
    # the gradient of Re(sum w_k (a_k f0 + b_k f1)) is conj(sum w_k a_k), conj(sum w_k b_k)
    a = onp.array([[0.5, 0.5], [0.75, 0.25]])
    onp.testing.assert_allclose(g, onp.conj(w @ a), rtol=1e-14)


def test_density_zero_on_the_support_edge_gives_no_nan():
    """gamma/beta pdf at x = 0 (a > 1) is 0 there: the gradient of a sum of densities in the
    shape is the sum over the other points (not nan), and at the edge itself (a kink: 0 outside
    the support) the x-derivative is taken as 0."""
    g = cr.grad(lambda a: np.sum(stats.gamma.pdf(onp.array([0.0, 1.0]), a)))(2.5)
    f = lambda a: ss.gamma.pdf(1.0, a)  # noqa: E731
    onp.testing.assert_allclose(g, (f(2.5 + 1e-6) - f(2.5 - 1e-6)) / 2e-6, rtol=1e-7)
    gx = cr.grad(lambda x: np.sum(stats.beta.pdf(x, 2.0, 3.0)))(onp.array([0.0, 0.5, 1.0]))
    onp.testing.assert_allclose(gx, [0.0, -3.0, 0.0], atol=1e-12)


def test_result_dtypes_of_cov_vander_polyval_are_numpys():
    x32 = onp.array([1.0, 2.0, 3.0], dtype=onp.float32)
    t = cr.tensor(x32)
    assert np.cov(t).dtype == onp.cov(x32).dtype == onp.float64
    assert np.corrcoef(t, t[::-1]).dtype == onp.float64
    assert np.vander(t).dtype == onp.vander(x32).dtype
    ints = onp.array([1, 2])
    assert np.vander(cr.tensor(ints)).dtype == onp.vander(ints).dtype
    assert np.polyval(t, 2.0).dtype == onp.polyval(x32, 2.0).dtype
    onp.testing.assert_allclose(np.vander(t).numpy(), onp.vander(x32))


def test_result_dtypes_of_average_lstsq_rank_and_scipy_det_logm():
    from chainrule.scipy import linalg as sl

    a32 = cr.tensor(onp.eye(2, dtype=onp.float32) * 2)
    assert sl.det(a32).dtype == onp.float64 and sl.logm(a32).dtype == onp.float64
    rank = np.linalg.lstsq(cr.tensor(onp.eye(2)), onp.ones(2), rcond=None)[2]
    assert rank == 2 and onp.asarray(rank).dtype == onp.int32
    scl = np.average(cr.tensor([1.0, 2.0]), weights=[1, 1], returned=True)[1]
    assert scl.dtype == onp.float64
