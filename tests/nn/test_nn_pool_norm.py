"""Pooling (max, average, adaptive average) and normalisation (batch, group) layers, against
PyTorch in float64, gradcheck, running statistics, evaluation mode and state_dict loading."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.helpers import check_grads, distinct

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn

from .nn_helpers import compare_functional, compare_with_torch, load_from_torch, rand

# --- pooling ------------------------------------------------------------------------------------
MAX_CASES = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (2, 3), "stride": (1, 2)},
    {"kernel_size": 2, "stride": 1, "dilation": 2},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": (3, 2), "stride": 2, "padding": 1, "ceil_mode": True},
]


@pytest.mark.parametrize("kw", MAX_CASES)
def test_max_pool2d_matches_torch(kw):
    x = distinct((2, 3, 7, 6), 1)  # no ties: the gradient goes to one element in both
    compare_functional(lambda x: F.max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), x)
    out, idx = F.max_pool2d(cr.tensor(x), return_indices=True, **kw)
    t_out, t_idx = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())


def test_max_pool_unbatched_1d_and_module():
    x = distinct((3, 7, 6), 2)
    compare_functional(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), x)
    x1 = distinct((2, 3, 9), 3)
    compare_functional(lambda x: F.max_pool1d(x, 3, 2, 1), lambda x: TF.max_pool1d(x, 3, 2, 1), x1)
    for cm, tm in [(nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1,
                                                                              ceil_mode=True)),
                   (nn.MaxPool1d(2), torch.nn.MaxPool1d(2))]:
        assert repr(cm) == repr(tm)
        compare_with_torch(cm, tm, x if isinstance(cm, nn.MaxPool2d) else x1)


def test_max_pool_ties_share_the_gradient():
    """Documented difference: tied maxima split the gradient (PyTorch picks one)."""
    x = cr.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((1, 1, 2, 2), 0.25))


AVG_CASES = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": (3, 2), "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": (3, 2), "stride": 2, "padding": 1, "ceil_mode": True,
     "count_include_pad": False},
    {"kernel_size": 2, "divisor_override": 3},
]


@pytest.mark.parametrize("kw", AVG_CASES)
def test_avg_pool2d_matches_torch(kw):
    compare_functional(lambda x: F.avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw),
             rand((2, 3, 7, 6), 1))


def test_avg_pool_1d_and_modules():
    x1 = rand((2, 3, 9), 3)
    compare_functional(lambda x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False),
             lambda x: TF.avg_pool1d(x, 3, 2, 1, count_include_pad=False), x1)
    for cm, tm, x in [(nn.AvgPool2d(3, 2, 1), torch.nn.AvgPool2d(3, 2, 1), rand((2, 3, 6, 5))),
                      (nn.AvgPool1d(2), torch.nn.AvgPool1d(2), x1)]:
        assert repr(cm) == repr(tm)
        compare_with_torch(cm, tm, x)


@pytest.mark.parametrize("size", [1, (1, 1), 3, (2, 4), (None, 3), (5, 4), (4, 6)])
def test_adaptive_avg_pool2d_matches_torch(size):
    compare_functional(lambda x: F.adaptive_avg_pool2d(x, size),
             lambda x: TF.adaptive_avg_pool2d(x, size), rand((2, 3, 5, 6), 1))


def test_adaptive_avg_pool_1d_unbatched_and_modules():
    compare_functional(lambda x: F.adaptive_avg_pool1d(x, 4),
                       lambda x: TF.adaptive_avg_pool1d(x, 4), rand((2, 3, 7), 2))
    compare_functional(lambda x: F.adaptive_avg_pool2d(x, 2),
                       lambda x: TF.adaptive_avg_pool2d(x, 2), rand((3, 5, 5), 2))
    cm, tm = nn.AdaptiveAvgPool2d((2, 3)), torch.nn.AdaptiveAvgPool2d((2, 3))
    assert repr(cm) == repr(tm)
    compare_with_torch(cm, tm, rand((2, 3, 5, 7)))
    cm, tm = nn.AdaptiveAvgPool1d(3), torch.nn.AdaptiveAvgPool1d(3)
    compare_with_torch(cm, tm, rand((2, 3, 7)))


def test_pooling_gradcheck_second_order_and_forward():
    check_grads(lambda x: F.max_pool2d(x, 2, 1, 1), distinct((1, 2, 3, 3), 4))
    check_grads(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                rand((1, 2, 4, 4), 5))
    check_grads(lambda x: F.adaptive_avg_pool2d(x, (2, 3)), rand((1, 2, 3, 4), 6))


@pytest.mark.parametrize("call,match", [
    (lambda: F.max_pool2d(cr.zeros(1, 1, 4, 4), 2, padding=2), "at most half"),
    (lambda: F.max_pool2d(cr.zeros(1, 1, 1, 1), 2), "too small"),
    (lambda: F.max_pool2d(cr.zeros(4, 4), 2), "3D .unbatched. or 4D"),
    (lambda: F.avg_pool2d(cr.zeros(1, 1, 4, 4), 2, divisor_override=0), "zero"),
    (lambda: F.adaptive_avg_pool2d(cr.zeros(1, 1, 4, 4), (0, 2)), "positive"),
])
def test_pooling_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- batch norm ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                       ("BatchNorm2d", (4, 3, 5, 2))])
@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
def test_batchnorm_training_running_stats_and_eval(cls, shape, momentum):
    torch.manual_seed(0)
    tm = getattr(torch.nn, cls)(3, momentum=momentum).double()
    with torch.no_grad():
        tm.weight.uniform_(0.5, 1.5)
        tm.bias.uniform_(-0.5, 0.5)
    cm = load_from_torch(getattr(nn, cls)(3, momentum=momentum, dtype=cr.float64), tm)
    assert repr(cm) == repr(tm)
    for step in range(4):  # several training steps: outputs, gradients, running statistics
        x = rand(shape, step) * 2 + 1
        cm.zero_grad()
        tm.zero_grad()
        compare_with_torch(cm, tm, x, rtol=1e-9, atol=1e-11)
        for name in ("running_mean", "running_var"):
            np.testing.assert_allclose(getattr(cm, name).numpy(),
                                       getattr(tm, name).numpy(), rtol=1e-12, err_msg=name)
        assert int(cm.num_batches_tracked.numpy()) == int(tm.num_batches_tracked) == step + 1
    cm.eval()
    tm.eval()
    compare_with_torch(cm, tm, rand(shape, 9))
    assert int(cm.num_batches_tracked.numpy()) == 4  # eval does not count


def test_batchnorm_options_match_torch():
    x = rand((5, 3, 4), 1)
    for kw in [{"affine": False}, {"track_running_stats": False}, {"bias": False},
               {"eps": 1e-2, "momentum": 0.5}]:
        tm = torch.nn.BatchNorm1d(3, **kw).double()
        cm = nn.BatchNorm1d(3, dtype=cr.float64, **kw)
        assert repr(cm) == repr(tm)
        assert list(cm.state_dict()) == list(tm.state_dict())
        compare_with_torch(cm, tm, x)
        tm.eval()
        cm.eval()
        compare_with_torch(cm, tm, x)  # without running stats: batch statistics in eval


def test_batchnorm_state_dict_from_torch():
    tm = torch.nn.BatchNorm2d(4)
    tm.train()
    for s in range(3):
        tm(torch.randn(8, 4, 3, 3, generator=torch.Generator().manual_seed(s)) * 3 + 2)
    tm.eval()
    cm = nn.BatchNorm2d(4)
    sd = tm.state_dict()
    assert [(k, tuple(v.shape)) for k, v in cm.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in sd.items()]
    cm.load_state_dict(sd)  # torch tensors load directly
    assert cm.num_batches_tracked.dtype == np.int64 and int(cm.num_batches_tracked.numpy()) == 3
    cm.eval()
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(cm(cr.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_batch_norm_functional_and_gradcheck():
    x, w, b = rand((4, 3, 2), 1), rand((3,), 2), rand((3,), 3)
    rm, rv = cr.zeros(3, dtype=cr.float64), cr.ones(3, dtype=cr.float64)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    compare_functional(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, True, 0.2),
             lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, True, 0.2), x, w, b)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-12)
    check_grads(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), x, w, b)
    check_grads(lambda x, w: F.batch_norm(x, rm, rv, w), x, w)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(cr.zeros(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(cr.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(3)(cr.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match="running_mean and running_var"):
        F.batch_norm(cr.zeros(2, 3), None, None, training=False)
    with pytest.raises(ValueError, match="weight must have shape"):
        F.batch_norm(cr.zeros(2, 3), None, None, cr.ones(4), training=True)


# --- group norm -----------------------------------------------------------------------------------
@pytest.mark.parametrize("groups,shape", [(1, (2, 4, 3)), (2, (2, 4, 3, 2)), (4, (3, 4)),
                                          (2, (2, 4, 2, 2, 2))])
def test_group_norm_matches_torch(groups, shape):
    torch.manual_seed(0)
    tm = torch.nn.GroupNorm(groups, 4).double()
    with torch.no_grad():
        tm.weight.uniform_(0.5, 1.5)
        tm.bias.uniform_(-0.5, 0.5)
    cm = load_from_torch(nn.GroupNorm(groups, 4, dtype=cr.float64), tm)
    assert repr(cm) == repr(tm)
    compare_with_torch(cm, tm, rand(shape, 1) * 3 + 1, rtol=1e-9, atol=1e-11)


def test_group_norm_functional_gradcheck_and_errors():
    check_grads(lambda x, w, b: F.group_norm(x, 2, w, b), rand((2, 4, 2), 1), rand((4,), 2),
                rand((4,), 3))
    tm = torch.nn.GroupNorm(2, 4, affine=False)
    cm = nn.GroupNorm(2, 4, affine=False)
    assert repr(cm) == repr(tm) and list(cm.state_dict()) == list(tm.state_dict()) == []
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match="divisible"):
        F.group_norm(cr.zeros(2, 4, 3), 3)


def test_conv_bn_pool_model_loads_torch_state_dict():
    torch.manual_seed(0)

    def build(m):
        return m.Sequential(m.Conv2d(2, 4, 3, padding=1), m.BatchNorm2d(4), m.ReLU(),
                            m.MaxPool2d(2), m.Conv2d(4, 4, 3, groups=2, padding="same"),
                            m.GroupNorm(2, 4), m.AdaptiveAvgPool2d(1), m.Flatten(),
                            m.Linear(4, 3))

    tm = build(torch.nn).double()
    cm = load_from_torch(build(nn).double(), tm)
    x = rand((3, 2, 6, 6), 1)
    compare_with_torch(cm, tm, x, rtol=1e-9, atol=1e-11)
    for name in ("1.running_mean", "1.running_var"):
        np.testing.assert_allclose(cm.state_dict()[name].numpy(),
                                   tm.state_dict()[name].numpy(), rtol=1e-12)
    cm.eval()
    tm.eval()
    np.testing.assert_allclose(cm(cr.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
