"""Convolution of signals: chainrule.scipy.signal's n-dimensional convolve/correlate and the
NumPy-style 1-D pair in chainrule.primitives.signal. Values equal SciPy's and NumPy's in every
mode; gradients of first and second order in both inputs against finite differences and
PyTorch's conv1d/conv2d."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss
import torch.nn.functional as F
from tests.helpers import assert_matches_torch, check_grads, leaf, to_numpy

import chainrule as cr
import chainrule.scipy.signal as SS
from chainrule.primitives import signal as PS


def rnd(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


SCIPY_SHAPES = [((5,), (3,)), ((3,), (5,)), ((4,), (4,)), ((4, 5), (2, 3)), ((2, 3), (3, 2)),
                ((2, 4), (2, 4)), ((3, 4, 2), (2, 2, 2)), ((), ())]


@pytest.mark.parametrize("s1,s2", SCIPY_SHAPES, ids=str)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_scipy_values_and_gradients(name, mode, s1, s2):
    a, b = rnd(s1, 1), rnd(s2, 2)
    ours, theirs = getattr(SS, name), getattr(ss, name)
    try:
        want = theirs(a, b, mode)
    except ValueError:  # 'valid' with neither at least as large as the other in every axis
        with pytest.raises(ValueError, match=f"^{name}: for 'valid' mode"):
            ours(leaf(a), leaf(b), mode)
        return
    np.testing.assert_array_equal(ours(a, b, mode), want)
    for method in ("auto", "direct", "fft"):
        got = ours(cr.tensor(a), cr.tensor(b), mode, method)
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-12, atol=1e-12)
    check_grads(lambda x, y: ours(x, y, mode), a, b)


@pytest.mark.parametrize("n,m", [(5, 3), (3, 5), (4, 4), (1, 3), (2, 6), (6, 1)])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_numpy_style_1d(name, mode, n, m):
    a, v = rnd(n, 3), rnd(m, 4)
    ours, theirs = getattr(PS, name), getattr(np, name)
    want = theirs(a, v, mode)
    np.testing.assert_array_equal(ours(a, v, mode), want)
    np.testing.assert_allclose(to_numpy(ours(cr.tensor(a), cr.tensor(v), mode)), want,
                               rtol=1e-12, atol=1e-12)
    check_grads(lambda x, y: ours(x, y, mode), a, v)


def test_numpy_defaults():
    a, v = rnd(5, 1), rnd(3, 2)
    np.testing.assert_allclose(to_numpy(PS.convolve(cr.tensor(a), v)), np.convolve(a, v))
    np.testing.assert_allclose(to_numpy(PS.correlate(cr.tensor(a), v)), np.correlate(a, v))


def test_matches_torch_conv1d_and_conv2d():
    # torch's conv is a correlation; a convolution flips the kernel
    def t_conv1d(x, w):
        return F.conv1d(x[None, None], w.flip(0)[None, None], padding=w.shape[0] - 1)[0, 0]

    assert_matches_torch(lambda x, w: SS.convolve(x, w), t_conv1d, rnd(7, 1), rnd(3, 2))
    assert_matches_torch(lambda x, w: PS.correlate(x, w, "valid"),
                         lambda x, w: F.conv1d(x[None, None], w[None, None])[0, 0],
                         rnd(7, 1), rnd(3, 2))
    assert_matches_torch(lambda x, w: SS.correlate(x, w, "valid"),
                         lambda x, w: F.conv2d(x[None, None], w[None, None])[0, 0],
                         rnd((5, 6), 3), rnd((2, 3), 4))


def test_batched_jacobian():
    a, v = rnd(6, 5), rnd(3, 6)
    jac = cr.jacobian(lambda x, y: SS.convolve(x, y, "same"), argnums=(0, 1))(
        cr.tensor(a), cr.tensor(v))
    eye_a = np.eye(6)
    want0 = np.stack([ss.convolve(eye_a[k], v, "same") for k in range(6)], axis=1)
    np.testing.assert_allclose(to_numpy(jac[0]), want0, atol=1e-12)
    jf = cr.jacfwd(lambda y: SS.convolve(cr.tensor(a), y))(cr.tensor(v))
    want1 = np.stack([ss.convolve(a, np.eye(3)[k]) for k in range(3)], axis=1)
    np.testing.assert_allclose(to_numpy(jf), want1, atol=1e-12)


def test_errors():
    with pytest.raises(ValueError, match=r"^convolve: in1 and in2 should have the same "
                                         r"dimensionality, got shapes \(3,\) and \(2, 2\)"):
        SS.convolve(leaf(rnd(3)), rnd((2, 2)))
    with pytest.raises(ValueError, match="^correlate: acceptable mode flags"):
        SS.correlate(leaf(rnd(3)), rnd(2), "middle")
    with pytest.raises(ValueError, match="^convolve: acceptable method flags"):
        SS.convolve(leaf(rnd(3)), rnd(2), method="fast")
    with pytest.raises(ValueError, match=r"^convolve: a and v must be 1-D, got shapes \(2, 2\)"):
        PS.convolve(leaf(rnd((2, 2))), rnd(2))
    with pytest.raises(ValueError, match="^correlate: v cannot be empty"):
        PS.correlate(leaf(rnd(3)), np.zeros(0))
