"""chainrule.numpy.fft: NumPy's values (same kernels), PyTorch's gradients (torch.fft has the
same conventions), finite-difference checks of first and second order in both modes, cropping
and zero-padding through n/s, every norm, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import assert_matches_torch, check_grads, crand, rand

import chainrule as cr
import chainrule.numpy.fft as cfft
from chainrule.primitives import complex as C
from chainrule.primitives import elementwise as E

NORMS = [None, "ortho", "forward"]

# name: (input, kwargs for chainrule/NumPy, kwargs for torch)
ONE_D = {
    "fft": (crand((2, 5), 1), [({}, {}), ({"n": 3}, {"n": 3}), ({"n": 7, "axis": 0},
                                                                {"n": 7, "dim": 0})]),
    "ifft": (crand((2, 5), 2), [({}, {}), ({"n": 4}, {"n": 4}), ({"n": 8}, {"n": 8})]),
    "rfft": (rand((2, 5), 3), [({}, {}), ({"n": 4}, {"n": 4}), ({"n": 8, "axis": 0},
                                                               {"n": 8, "dim": 0})]),
    "irfft": (crand((2, 4), 4), [({}, {}), ({"n": 7}, {"n": 7}), ({"n": 4}, {"n": 4}),
                                  ({"n": 9}, {"n": 9}), ({"n": 3, "axis": 0},
                                                         {"n": 3, "dim": 0})]),
    "hfft": (crand((2, 4), 5), [({}, {}), ({"n": 5}, {"n": 5}), ({"n": 8}, {"n": 8})]),
    "ihfft": (rand((2, 5), 6), [({}, {}), ({"n": 4}, {"n": 4}), ({"n": 6}, {"n": 6})]),
}

N_D = {
    "fft2": (crand((2, 3, 4), 7), [({}, {}), ({"s": (2, 5)}, {"s": (2, 5)})]),
    "ifft2": (crand((3, 4), 8), [({}, {}), ({"s": (4, 3)}, {"s": (4, 3)})]),
    "fftn": (crand((2, 3, 4), 9), [({}, {}), ({"axes": (0, 2)}, {"dim": (0, 2)}),
                                   ({"s": (3, 2), "axes": (1, 0)}, {"s": (3, 2), "dim": (1, 0)})]),
    "ifftn": (crand((2, 3, 4), 10), [({}, {}), ({"s": (5,), "axes": (-2,)},
                                                {"s": (5,), "dim": (-2,)})]),
    "rfft2": (rand((3, 4), 11), [({}, {}), ({"s": (2, 5)}, {"s": (2, 5)})]),
    "irfft2": (crand((3, 3), 12), [({}, {}), ({"s": (4, 5)}, {"s": (4, 5)}),
                                   ({"s": (2, 4)}, {"s": (2, 4)})]),
    "rfftn": (rand((2, 3, 4), 13), [({}, {}), ({"axes": (2, 0)}, {"dim": (2, 0)})]),
    "irfftn": (crand((2, 3, 3), 14), [({}, {}), ({"s": (3, 4), "axes": (0, 2)},
                                                 {"s": (3, 4), "dim": (0, 2)})]),
}

CASES = [(name, x, kw, tkw) for table in (ONE_D, N_D)
         for name, (x, kws) in table.items() for kw, tkw in kws]
IDS = [f"{c[0]}-{'-'.join(f'{k}{v}' for k, v in c[2].items())}" for c in CASES]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize(("name", "x", "kw", "tkw"), CASES, ids=IDS)
def test_values_equal_numpy_and_gradients_match_torch(name, x, kw, tkw, norm):
    f, nf, tf = getattr(cfft, name), getattr(np.fft, name), getattr(torch.fft, name)
    out = f(x, **kw, norm=norm)
    assert type(out) is np.ndarray  # raw arrays in, raw arrays out
    np.testing.assert_allclose(out, nf(x, **kw, norm=norm), rtol=1e-13, atol=1e-13)
    assert_matches_torch(lambda a: f(a, **kw, norm=norm), lambda a: tf(a, **tkw, norm=norm), x)


@pytest.mark.parametrize(("name", "x", "kw", "tkw"), CASES, ids=IDS)
def test_gradcheck(name, x, kw, tkw):
    f = getattr(cfft, name)
    check_grads(lambda a: f(a, **kw), x)


@pytest.mark.parametrize("n", [4, 5])
def test_irfft_ignores_imaginary_parts_of_zero_and_nyquist(n):
    """The imaginary parts of the zero frequency (and the Nyquist one, for even n) do not reach
    the output: their gradient is 0, as in torch."""
    z = cr.tensor(crand((3,), 3), requires_grad=True)
    (cfft.irfft(z, n) ** 2).sum().backward()
    g = z.grad.detach().numpy()
    assert g[0].imag == 0
    if n == 4:
        assert g[2].imag == 0


def test_real_loss_through_complex_intermediates_matches_torch():
    def f(x):
        return (E.abs(cfft.rfft(x)) ** 2).sum()

    def tf(x):
        return (torch.fft.rfft(x).abs() ** 2).sum()

    x = rand((6,), 1)
    assert_matches_torch(f, tf, x)
    check_grads(f, x)
    # Parseval: sum |X_k|^2 over the full spectrum is n sum x^2, so d/dx of the half-spectrum
    # loss is known in closed form; check one entry numerically against torch too.
    xt = cr.tensor(x, requires_grad=True)
    f(xt).backward()
    assert xt.grad.dtype == np.float64


def test_round_trip_and_tensor_in_tensor_out():
    x = cr.tensor(rand((4, 6), 2), requires_grad=True)
    y = cfft.irfft2(cfft.rfft2(x), s=(4, 6))
    assert isinstance(y, cr.Tensor) and y.requires_grad
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy(), atol=1e-13)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones((4, 6)), atol=1e-12)


def test_complex_linear_vjp_is_conjugate_transpose():
    # the gradient of Re(<u, fft(z)>) is conj(F)^T u = n * ifft(u)
    z = cr.tensor(crand((5,), 1), requires_grad=True)
    u = crand((5,), 2)
    C.real((cfft.fft(z) * np.conj(u)).sum()).backward()
    np.testing.assert_allclose(z.grad.detach().numpy(), 5 * np.fft.ifft(u), rtol=1e-12)


@pytest.mark.parametrize("which", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("axes", [None, 0, (1,), (0, 1)])
def test_shifts(axes, which):
    x = crand((3, 4), 3)
    f, nf, tf = getattr(cfft, which), getattr(np.fft, which), getattr(torch.fft, which)
    np.testing.assert_array_equal(f(x, axes), nf(x, axes))
    assert_matches_torch(lambda a: f(a, axes), lambda a: tf(a, axes), x)
    check_grads(lambda a: f(a, axes), x, order=1)
    np.testing.assert_array_equal(cfft.ifftshift(cfft.fftshift(x, axes), axes), x)


def test_frequencies_are_numpy_constants():
    np.testing.assert_array_equal(cfft.fftfreq(7, 0.1), np.fft.fftfreq(7, 0.1))
    np.testing.assert_array_equal(cfft.rfftfreq(8, 2.0), np.fft.rfftfreq(8, 2.0))


def test_single_precision_stays_single():
    x = cr.tensor(rand((8,), 1).astype(np.float32), requires_grad=True)
    y = cfft.rfft(x)
    assert y.dtype == np.complex64
    (E.abs(y) ** 2).sum().backward()
    assert x.grad.dtype == np.float32


def test_empty_batch_axis_and_jacobians():
    out = cfft.fft(cr.tensor(np.zeros((0, 4)), requires_grad=True))
    assert out.shape == (0, 4)
    # batch axes of jacfwd/jacrev pass through every rule
    from chainrule import func

    x = rand((5,), 4)
    j = func.jacrev(lambda a: cfft.irfft(cfft.rfft(a) * np.arange(3), 5))(x)
    jf = func.jacfwd(lambda a: cfft.irfft(cfft.rfft(a) * np.arange(3), 5))(x)
    np.testing.assert_allclose(j, jf, atol=1e-12)


def test_errors():
    x = rand((4,), 1)
    with pytest.raises(ValueError, match=r"fft: norm must be None, 'backward', 'ortho' or "
                                         r"'forward', got 'bad'"):
        cfft.fft(x, norm="bad")
    with pytest.raises(ValueError, match=r"fft: invalid number of data points \(0\) along "
                                         r"axis 0 of an array of shape \(4,\)"):
        cfft.fft(x, n=0)
    with pytest.raises(ValueError, match=r"fft: invalid number of data points \(0\)"):
        cfft.fft(np.zeros(0))
    with pytest.raises(TypeError, match=r"rfft: the input is complex \(complex128\); the real "
                                        r"transform takes real data: use fft"):
        cfft.rfft(x + 1j)
    with pytest.raises(ValueError, match=r"fftn: repeated axis"):
        cfft.fftn(rand((2, 2), 1), axes=(0, 0))
    with pytest.raises(ValueError, match=r"fftn: s has 1 entries but 2 axes are transformed"):
        cfft.fftn(rand((2, 2), 1), s=(2,), axes=(0, 1))
