"""Convolutions (``conv1d``, ``conv2d``, ``Conv1d``, ``Conv2d``) and the ``unfold``/``fold``
primitives, against PyTorch (float64: outputs, input and parameter gradients), gradcheck,
forward mode and Jacobians with batch axes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.helpers import check_grads

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.primitives.conv import fold, unfold

from .nn_helpers import compare_functional, compare_with_torch, load_from_torch, rand

CONV2D_CASES = [
    # (input shape, weight shape, kwargs)
    ((2, 3, 7, 6), (4, 3, 3, 3), {}),
    ((2, 3, 7, 6), (4, 3, 3, 3), {"stride": 2}),
    ((2, 3, 7, 6), (4, 3, 3, 3), {"padding": 1}),
    ((2, 3, 7, 6), (4, 3, 2, 3), {"stride": (2, 1), "padding": (1, 2)}),
    ((2, 3, 7, 6), (4, 3, 3, 2), {"dilation": (2, 1), "padding": 2}),
    ((2, 3, 7, 6), (4, 3, 3, 3), {"padding": "same"}),
    ((2, 3, 7, 6), (4, 3, 2, 2), {"padding": "same", "dilation": 2}),
    ((2, 3, 7, 6), (4, 3, 2, 4), {"padding": "same"}),  # even kernels: extra at the end
    ((2, 3, 7, 6), (4, 3, 3, 3), {"padding": "valid"}),
    ((2, 4, 7, 6), (6, 2, 3, 3), {"groups": 2, "stride": (1, 2)}),
    ((2, 4, 7, 6), (4, 1, 3, 3), {"groups": 4, "padding": 1}),  # depthwise
    ((2, 3, 5, 5), (2, 3, 1, 1), {}),  # 1x1
    ((1, 2, 4, 4), (3, 2, 4, 4), {}),  # kernel as large as the input
    ((3, 5, 6), (2, 3, 3, 2), {"padding": 1}),  # unbatched
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("xs,ws,kw", CONV2D_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(xs, ws, kw, bias):
    arrays = [rand(xs, 1), rand(ws, 2)] + ([rand((ws[0],), 3)] if bias else [])
    compare_functional(lambda *a: F.conv2d(*a, **kw), lambda *a: TF.conv2d(*a, **kw), *arrays)


CONV1D_CASES = [
    ((2, 3, 9), (4, 3, 3), {}),
    ((2, 3, 9), (4, 3, 2), {"stride": 2, "padding": 1}),
    ((2, 3, 9), (4, 3, 3), {"dilation": 3, "padding": "same"}),
    ((2, 4, 9), (2, 2, 3), {"groups": 2}),
    ((3, 9), (2, 3, 4), {"padding": 2}),  # unbatched
]


@pytest.mark.parametrize("xs,ws,kw", CONV1D_CASES)
def test_conv1d_matches_torch(xs, ws, kw):
    arrays = [rand(xs, 1), rand(ws, 2), rand((ws[0],), 3)]
    compare_functional(lambda *a: F.conv1d(*a, **kw), lambda *a: TF.conv1d(*a, **kw), *arrays)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv2d_module_matches_torch(mode):
    torch.manual_seed(0)
    tm = torch.nn.Conv2d(4, 6, (3, 2), stride=(1, 2), padding=(1, 1), dilation=(1, 1),
                         groups=2, padding_mode=mode).double()
    cm = load_from_torch(nn.Conv2d(4, 6, (3, 2), stride=(1, 2), padding=(1, 1), groups=2,
                                   padding_mode=mode, dtype=cr.float64), tm)
    assert repr(cm) == repr(tm)
    compare_with_torch(cm, tm, rand((2, 4, 5, 6)))


def test_conv1d_module_same_padding_matches_torch():
    torch.manual_seed(1)
    tm = torch.nn.Conv1d(3, 5, 4, padding="same", bias=False).double()
    cm = load_from_torch(nn.Conv1d(3, 5, 4, padding="same", bias=False, dtype=cr.float64), tm)
    assert repr(cm) == repr(tm)
    compare_with_torch(cm, tm, rand((2, 3, 7)))


def test_conv_parameters_are_pytorchs():
    for cm, tm in [(nn.Conv2d(3, 8, 3), torch.nn.Conv2d(3, 8, 3)),
                   (nn.Conv2d(4, 8, (3, 5), groups=2, bias=False),
                    torch.nn.Conv2d(4, 8, (3, 5), groups=2, bias=False)),
                   (nn.Conv1d(2, 3, 4), torch.nn.Conv1d(2, 3, 4))]:
        c_sd, t_sd = cm.state_dict(), tm.state_dict()
        assert list(c_sd) == list(t_sd)
        for k in t_sd:
            assert tuple(c_sd[k].shape) == tuple(t_sd[k].shape)
            assert c_sd[k].dtype == np.float32
        # Default init: uniform on +-1/sqrt(fan_in) for both weight and bias.
        fan_in = np.prod(tm.weight.shape[1:])
        bound = 1 / np.sqrt(fan_in)
        w = cm.weight.detach().numpy()
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
        if cm.bias is not None:
            assert np.abs(cm.bias.detach().numpy()).max() <= bound
        assert cm.load_state_dict(t_sd) is not None  # torch tensors load directly
        np.testing.assert_array_equal(cm.weight.detach().numpy(), tm.weight.detach().numpy())


def test_conv2d_gradcheck_second_order_and_forward():
    x, w, b = rand((1, 2, 4, 3), 1), rand((2, 1, 2, 2), 2), rand((2,), 3)
    check_grads(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0),
                                         dilation=(1, 2), groups=2), x, w, b)
    check_grads(lambda x, w: F.conv1d(x, w, padding=1), rand((1, 2, 4), 4),
                rand((1, 2, 2), 5))


def test_conv2d_jvp_matches_torch_func():
    x, w, b = rand((2, 3, 5, 5), 1), rand((4, 3, 3, 3), 2), rand((4,), 3)
    tx, tw, tb = rand(x.shape, 4), rand(w.shape, 5), rand(b.shape, 6)

    def f_cr(x, w, b):
        return F.conv2d(x, w, b, stride=2, padding=1).tanh()

    def f_t(x, w, b):
        return TF.conv2d(x, w, b, stride=2, padding=1).tanh()

    out, tan = cr.func.jvp(f_cr, (x, w, b), (tx, tw, tb))
    t_out, t_tan = torch.func.jvp(f_t, tuple(torch.tensor(a) for a in (x, w, b)),
                                  tuple(torch.tensor(a) for a in (tx, tw, tb)))
    np.testing.assert_allclose(np.asarray(out), t_out.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(tan), t_tan.numpy(), rtol=1e-10, atol=1e-12)


def test_conv2d_jacobians_with_batch_axes():
    """jacfwd and jacrev pass several tangents / cotangents at once through unfold and fold."""
    x, w = rand((2, 2, 4, 4), 1), rand((3, 2, 2, 2), 2)

    def f(x):
        return F.conv2d(x, w, stride=2, padding=1)

    jf = np.asarray(cr.func.jacfwd(f)(x))
    jr = np.asarray(cr.func.jacrev(f)(x))
    jt = torch.func.jacrev(lambda x: TF.conv2d(x, torch.tensor(w), stride=2, padding=1))(
        torch.tensor(x)).numpy()
    np.testing.assert_allclose(jf, jt, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(jr, jt, rtol=1e-10, atol=1e-12)


def _unfold_reference(x, kernel, stride, padding, dilation):
    n, c = x.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(padding))
    oh = (xp.shape[2] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (xp.shape[3] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    out = np.zeros((c, kernel[0], kernel[1], n, oh, ow))
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            for p in range(oh):
                for q in range(ow):
                    out[:, i, j, :, p, q] = xp[:, :, p * stride[0] + i * dilation[0],
                                               q * stride[1] + j * dilation[1]].T
    return out


@pytest.mark.parametrize("kernel,stride,padding,dilation", [
    ((2, 3), (1, 1), ((0, 0), (0, 0)), (1, 1)),
    ((2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1)),  # tiles: fold's one-copy path
    ((2, 2), (2, 2), ((1, 0), (0, 1)), (1, 1)),  # tiles with padding
    ((3, 2), (2, 3), ((1, 2), (0, 1)), (2, 1)),
])
def test_unfold_fold_against_loops(kernel, stride, padding, dilation):
    x = rand((2, 3, 5, 6), 1)
    w = unfold(x, kernel, stride, padding, dilation)
    np.testing.assert_array_equal(w, _unfold_reference(x, kernel, stride, padding, dilation))
    # fold is the transpose: <unfold(x), g> = <x, fold(g)>
    g = rand(w.shape, 2)
    back = fold(g, (5, 6), kernel, stride, padding, dilation)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(w * g), np.sum(x * back), rtol=1e-12)
    # Leading batch axes pass through.
    xb = np.stack([x, 2 * x])
    np.testing.assert_array_equal(unfold(xb, kernel, stride, padding, dilation)[1], 2 * w)
    gb = np.stack([g, -g])
    np.testing.assert_allclose(fold(gb, (5, 6), kernel, stride, padding, dilation)[1], -back)


def test_unfold_fold_gradcheck_tiles_path():
    check_grads(lambda x: unfold(x, (2, 2), (2, 2), ((0, 1), (1, 0)), (1, 1), 0.0),
                rand((1, 2, 3, 3), 1))
    check_grads(lambda g: fold(g, (3, 3), (2, 2), (2, 2), ((0, 1), (1, 0)), (1, 1)),
                rand((2, 2, 2, 1, 2, 2), 2))


@pytest.mark.parametrize("call,match", [
    (lambda: F.conv2d(cr.zeros(1, 3, 5, 5), cr.zeros(4, 2, 3, 3)), "to have 2 channels"),
    (lambda: F.conv2d(cr.zeros(1, 4, 5, 5), cr.zeros(3, 2, 3, 3), groups=2), "divisible"),
    (lambda: F.conv2d(cr.zeros(1, 3, 2, 2), cr.zeros(4, 3, 3, 3)), "smaller than"),
    (lambda: F.conv2d(cr.zeros(3, 5), cr.zeros(4, 3, 3, 3)), "3D .unbatched. or 4D"),
    (lambda: F.conv2d(cr.zeros(1, 3, 5, 5), cr.zeros(4, 3, 3)), "weight must have shape"),
    (lambda: F.conv2d(cr.zeros(1, 3, 5, 5), cr.zeros(4, 3, 3, 3), padding="same", stride=2),
     "strided"),
    (lambda: F.conv2d(cr.zeros(1, 3, 5, 5), cr.zeros(4, 3, 3, 3), padding="full"),
     "invalid padding"),
    (lambda: F.conv2d(cr.zeros(1, 3, 5, 5), cr.zeros(4, 3, 3, 3), cr.zeros(3)), "bias"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "in_channels"),
    (lambda: nn.Conv2d(2, 3, 3, groups=2), "out_channels"),
    (lambda: nn.Conv2d(2, 4, 3, padding_mode="mirror"), "padding_mode"),
])
def test_conv_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_conv_float32_and_module_in_a_model():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(),
                             torch.nn.Flatten(), torch.nn.Linear(4 * 5 * 5, 3))
    cm = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                       nn.Linear(4 * 5 * 5, 3))
    load_from_torch(cm, tm)
    x = rand((2, 1, 5, 5)).astype(np.float32)
    out = cm(cr.tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.detach().numpy(), tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
