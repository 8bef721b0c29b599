"""The nn layers added for issue 12, against their PyTorch modules: the same repr, the same
parameters and buffers (state_dict keys), and, with PyTorch's weights loaded, the same outputs
and gradients in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import distinct

import chainrule as cr
from chainrule import nn

from .nn_helpers import check_module_grads, compare_with_torch, load_from_torch


def rn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


X4 = rn(2, 4, 5, 6)

# (constructor call as text, input)
CASES = [
    ("Hardtanh(-0.5, 2.0)", rn(3, 4)), ("ReLU6()", rn(3, 4) * 4), ("Hardsigmoid()", rn(3, 4)),
    ("Hardswish()", rn(3, 4) * 3), ("Hardshrink(0.3)", rn(3, 4)), ("Softshrink()", rn(3, 4)),
    ("Tanhshrink()", rn(3, 4)), ("Softsign()", rn(3, 4)), ("SELU()", rn(3, 4)),
    ("CELU(0.7)", rn(3, 4)), ("RReLU()", rn(3, 4)), ("PReLU(4)", X4), ("PReLU()", rn(3, 4)),
    ("LogSigmoid()", rn(3, 4)), ("Threshold(0.1, 20.0)", rn(3, 4)), ("Softmin(1)", rn(3, 4)),
    ("Softmax2d()", X4), ("GLU(1)", X4), ("Mish()", rn(3, 4)),
    ("Conv3d(2, 4, (2, 3, 2), stride=(1, 2, 1), padding=1, groups=2)", rn(2, 2, 4, 5, 3)),
    ("ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)", rn(2, 4, 5)),
    ("ConvTranspose2d(4, 3, (2, 3), stride=(2, 1), dilation=2, bias=False)", X4),
    ("ConvTranspose3d(2, 2, 2, stride=2)", rn(1, 2, 2, 3, 2)),
    ("MaxPool3d(2, stride=1)", distinct((1, 2, 3, 4, 3), 1)),
    ("AvgPool3d(2, padding=1, count_include_pad=False)", rn(1, 2, 3, 4, 3)),
    ("AdaptiveAvgPool3d((2, 1, 3))", rn(1, 2, 3, 4, 5)),
    ("AdaptiveMaxPool1d(3)", distinct((2, 3, 7), 2)),
    ("AdaptiveMaxPool2d((2, 3))", distinct((2, 3, 5, 7), 2)),
    ("AdaptiveMaxPool3d(2)", distinct((1, 2, 3, 5, 4), 2)),
    ("LPPool1d(2, 3)", np.abs(rn(2, 3, 7)) + 0.5), ("LPPool2d(3, 2, stride=1)", np.abs(X4) + .5),
    ("InstanceNorm1d(4)", rn(2, 4, 6)), ("InstanceNorm2d(4, affine=True)", X4),
    ("InstanceNorm3d(2, affine=True, track_running_stats=True)", rn(2, 2, 3, 2, 3)),
    ("LocalResponseNorm(3)", X4), ("RMSNorm((5, 6))", X4), ("RMSNorm(6, eps=1e-3)", X4),
    ("ZeroPad1d(2)", rn(2, 3, 4)), ("ZeroPad2d((1, 2, 0, 1))", X4), ("ZeroPad3d(1)", X4),
    ("ConstantPad1d((1, 2), 3.5)", rn(2, 3, 4)), ("ConstantPad2d(1, -1.0)", X4),
    ("ConstantPad3d((1, 0, 0, 1, 2, 1), 0.5)", X4), ("ReflectionPad1d((2, 1))", rn(2, 3, 4)),
    ("ReflectionPad2d(2)", X4), ("ReflectionPad3d(1)", rn(1, 2, 3, 3, 3)),
    ("ReplicationPad1d(3)", rn(2, 3, 4)), ("ReplicationPad2d((1, 0, 2, 3))", X4),
    ("ReplicationPad3d(1)", rn(1, 2, 3, 3, 3)), ("CircularPad1d(2)", rn(2, 3, 4)),
    ("CircularPad2d((1, 2, 2, 1))", X4), ("CircularPad3d(1)", rn(1, 2, 3, 3, 3)),
    ("Upsample(scale_factor=2)", X4), ("Upsample(size=(3, 8), mode='bilinear')", X4),
    ("Upsample(scale_factor=1.5, mode='bicubic', align_corners=True)", X4),
    ("UpsamplingNearest2d(size=7)", X4), ("UpsamplingBilinear2d(scale_factor=2)", X4),
    ("PixelShuffle(2)", X4), ("PixelUnshuffle(2)", rn(2, 1, 4, 6)), ("Unflatten(1, (2, 2))", X4),
    ("Unfold((2, 3), padding=1)", X4), ("Fold((4, 5), 2)", rn(2, 8, 12)),
    ("PairwiseDistance(p=3.0)", None),
]


def _build(lib, text):
    return eval(f"lib.{text}", {"lib": lib})  # noqa: S307 - the constructor text above


@pytest.mark.parametrize("text,x", CASES, ids=[c[0] for c in CASES])
def test_module_matches_torch(text, x):
    cm, tm = _build(nn, text), _build(torch.nn, text).double()
    assert repr(cm) == repr(tm)
    assert list(cm.state_dict()) == list(tm.state_dict())
    load_from_torch(cm, tm)
    cm = cm.double()
    if x is None:  # two inputs
        compare_with_torch(cm, tm, rn(3, 4), rn(3, 4, seed=1))
        return
    cm.eval()
    tm.eval()
    # PyTorch's hardsigmoid and celu backward kernels use float32 constants (1/6, 1/alpha).
    rtol = 1e-7 if text.startswith(("Hardsigmoid", "CELU")) else 1e-10
    compare_with_torch(cm, tm, x, rtol=rtol)


def test_instance_norm_running_statistics_and_unbatched_input():
    cm = nn.InstanceNorm2d(3, affine=True, track_running_stats=True).double()
    tm = torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True).double()
    x = rn(2, 3, 4, 5)
    for _ in range(2):
        compare_with_torch(cm, tm, x)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(cm, name).numpy(), getattr(tm, name).numpy(),
                                   rtol=1e-12)
    cm.eval()
    tm.eval()
    compare_with_torch(cm, tm, x)
    compare_with_torch(cm, tm, x[0])  # unbatched (C, H, W)


def test_conv_transpose_output_size_and_gradcheck():
    cm, tm = nn.ConvTranspose2d(2, 3, 3, stride=2).double(), torch.nn.ConvTranspose2d(
        2, 3, 3, stride=2).double()
    load_from_torch(cm, tm)
    x = rn(1, 2, 3, 4)
    out = cm(cr.tensor(x), output_size=(8, 10))
    t_out = tm(torch.tensor(x), output_size=(8, 10))
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="valid sizes range from 7 to 8"):
        cm(cr.tensor(x), output_size=(9, 9))
    check_module_grads(nn.ConvTranspose1d(2, 2, 2, stride=2), rn(1, 2, 3), second=True)


def test_max_unpool_and_fractional_modules():
    x = distinct((1, 2, 4, 6), 3)
    cp, tp = nn.MaxPool2d(2, return_indices=True), torch.nn.MaxPool2d(2, return_indices=True)
    out, idx = tp(torch.tensor(x))
    cu, tu = nn.MaxUnpool2d(2), torch.nn.MaxUnpool2d(2)
    assert repr(cu) == repr(tu)
    c_out, c_idx = cp(cr.tensor(x))
    np.testing.assert_array_equal(c_idx.numpy(), idx.numpy())
    np.testing.assert_allclose(cu(c_out, c_idx).numpy(), tu(out, idx).numpy())
    s = np.random.default_rng(1).uniform(size=(1, 2, 2))
    cf = nn.FractionalMaxPool2d(2, output_size=(3, 4), _random_samples=cr.tensor(s))
    tf = torch.nn.FractionalMaxPool2d(2, output_size=(3, 4), _random_samples=torch.tensor(s))
    np.testing.assert_allclose(cf(cr.tensor(x)).numpy(), tf(torch.tensor(x)).numpy())
    with pytest.raises(ValueError, match="exactly one of output_size and output_ratio"):
        nn.FractionalMaxPool2d(2)


def test_dropout_layers_train_and_eval():
    x = cr.tensor(np.ones((4, 6, 3, 2)))
    for cls in (nn.Dropout2d, nn.AlphaDropout, nn.FeatureAlphaDropout):
        m = cls(0.5)
        assert repr(m) == repr(getattr(torch.nn, cls.__name__)(0.5))
        m.eval()
        np.testing.assert_array_equal(m(x).numpy(), x.numpy())
        m.train()
        assert not np.array_equal(m(x).numpy(), x.numpy())
    y = nn.Dropout1d(0.5)(cr.tensor(np.ones((3, 8, 5)))).numpy()
    assert np.all(y.std(axis=2) == 0)
    y = nn.Dropout3d(0.5)(cr.tensor(np.ones((2, 8, 2, 2, 2)))).numpy()
    assert np.all(y.std(axis=(2, 3, 4)) == 0)


def test_embedding_bag_module():
    tm = torch.nn.EmbeddingBag(10, 3, mode="max", padding_idx=1).double()
    cm = nn.EmbeddingBag(10, 3, mode="max", padding_idx=1)
    assert repr(cm) == repr(tm)
    assert np.all(cm.weight.detach().numpy()[1] == 0)
    load_from_torch(cm, tm)
    idx, off = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3, 3])
    compare_with_torch(cm.double(), tm, idx, off)


LOSSES = [
    ("CosineEmbeddingLoss(margin=0.2)", 2, "pm"), ("MarginRankingLoss(0.1, reduction='sum')",
                                                    2, "pm1"),
    ("HingeEmbeddingLoss(0.5)", 1, "pm"), ("SoftMarginLoss()", 1, "sign"),
    ("MultiLabelSoftMarginLoss(weight=torch_or_cr.tensor([1.0, 2.0, 0.5, 1.0]))", 1, "bin"),
    ("MultiMarginLoss(p=2, margin=0.5)", 1, "cls"), ("MultiLabelMarginLoss()", 1, "labels"),
    ("TripletMarginLoss(margin=0.5, swap=True)", 3, None),
    ("TripletMarginWithDistanceLoss(margin=0.5)", 3, None),
    ("PoissonNLLLoss(full=True)", 1, "counts"), ("GaussianNLLLoss(full=True)", 2, "var"),
]
TARGETS = {
    "pm": np.array([1.0, -1.0, 1.0, -1.0, 1.0]), "pm1": np.array([1.0, -1.0, 1.0, -1.0, 1.0]),
    "sign": np.sign(rn(5, 4, seed=3)), "bin": (rn(5, 4, seed=3) > 0).astype(float),
    "cls": np.array([0, 3, 1, 2, 2]),
    "labels": np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 2, 2], [2, 2, -1, 0],
                        [-1, 0, 0, 0]]),
    "counts": np.random.default_rng(4).poisson(3.0, (5, 4)).astype(float) + 1,
}


@pytest.mark.parametrize("text,n_in,target", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss_module_matches_torch(text, n_in, target):
    cm = eval(f"nn.{text}", {"nn": nn, "torch_or_cr": cr})  # noqa: S307
    tm = eval(f"nn.{text}", {"nn": torch.nn, "torch_or_cr": torch})  # noqa: S307
    assert repr(cm) == repr(tm)
    first = [rn(5, 4, seed=k) for k in range(3)]
    if target == "pm1" or (target == "pm" and n_in == 1):
        first = [a[:, 0] for a in first]
    inputs = first[:n_in]
    if target == "var":
        inputs = inputs + [np.abs(rn(5, 4, seed=9)) + 0.2]
    elif target is not None:
        inputs = inputs + [TARGETS[target]]
    # The targets are constants; the inputs are differentiated.
    n_diff = n_in + (target == "var")
    c_in = [cr.tensor(a, requires_grad=k < n_diff) for k, a in enumerate(inputs)]
    t_in = [torch.tensor(a, requires_grad=k < n_diff) for k, a in enumerate(inputs)]
    c_out, t_out = cm(*c_in), tm(*t_in)
    np.testing.assert_allclose(c_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-10)
    c_out.backward()
    t_out.backward()
    for c, t in zip(c_in[:n_diff], t_in[:n_diff]):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_ctc_loss_module():
    cm, tm = nn.CTCLoss(blank=4, zero_infinity=True), torch.nn.CTCLoss(blank=4,
                                                                        zero_infinity=True)
    assert repr(cm) == repr(tm)
    lp = torch.tensor(rn(6, 2, 5)).log_softmax(2).numpy()
    args = (np.array([[0, 1, 1], [2, 3, 0]]), np.array([6, 5]), np.array([3, 2]))
    c = cm(cr.tensor(lp), *[cr.tensor(a) for a in args])
    t = tm(torch.tensor(lp), *[torch.tensor(a) for a in args])
    np.testing.assert_allclose(c.numpy(), t.numpy(), rtol=1e-12)
