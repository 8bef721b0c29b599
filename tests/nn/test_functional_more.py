"""The rest of ``torch.nn.functional`` (issue 12): activations, padding and resampling,
convolution (3-d, transposed), pooling (3-d, adaptive max, power, unpooling, fractional),
normalisation, distances, dropout variants, bags of embeddings and losses, against PyTorch in
float64 (values, gradients and, where PyTorch has them, second derivatives), with forward
mode and second order checked by finite differences on a few."""
# ruff: noqa: B023 - the lambdas in loops are called at once, within their iteration

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.helpers import assert_matches_torch, check_grads, distinct

import chainrule as cr
import chainrule.nn.functional as F

R = np.random.default_rng(0)


def rn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# --- activations -------------------------------------------------------------------------------
# Inputs include the kinks (0, +-lambda, +-3, the hardtanh corners) so that PyTorch's choice of
# one-sided derivative there is checked too.
KINKS = np.array([-4.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 7.0, -2.2, 0.3, 1.7, 4.5])

ACTIVATIONS = [
    ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 3.0}), ("relu6", {}),
    ("hardsigmoid", {}), ("hardswish", {}), ("hardshrink", {}), ("hardshrink", {"lambd": 1.0}),
    ("softshrink", {}), ("softshrink", {"lambd": 1.0}), ("tanhshrink", {}), ("softsign", {}),
    ("selu", {}), ("celu", {}), ("celu", {"alpha": 0.5}), ("logsigmoid", {}), ("mish", {}),
    ("rrelu", {}), ("threshold", {"threshold": 0.5, "value": -2.0}),
]


@pytest.mark.parametrize("name,kw", ACTIVATIONS, ids=[f"{n}{kw}" for n, kw in ACTIVATIONS])
def test_activation_matches_torch(name, kw):
    # PyTorch has no second derivative of hardsigmoid and rrelu; at 0 its second derivative
    # of selu and celu is that of the linear side (chainrule's, like the first derivative's,
    # is the exponential side's): those are checked away from 0 below.
    second = name not in ("rrelu", "hardsigmoid", "selu", "celu")
    # PyTorch's hardsigmoid backward multiplies by 1/6 in float32 precision.
    rtol = 1e-7 if name == "hardsigmoid" else 1e-9
    assert_matches_torch(lambda x: getattr(F, name)(x, **kw),
                         lambda x: getattr(TF, name)(x, **kw), KINKS, second=second, rtol=rtol)


def test_activations_along_a_dimension():
    x = rn(3, 4, 6)
    for dim in (0, 2, -1):
        assert_matches_torch(lambda a: F.glu(a, dim % 3 if dim != 0 else 2),
                             lambda a: TF.glu(a, dim % 3 if dim != 0 else 2), x)
        assert_matches_torch(lambda a: F.softmin(a, dim), lambda a: TF.softmin(a, dim), x)
    for p, dim in ((2, 1), (1, 0), (3.5, -1), (np.inf, 1), (-1.0, 2)):
        assert_matches_torch(lambda a: F.normalize(a, p, dim), lambda a: TF.normalize(a, p, dim),
                             x, second=p != np.inf)
    with pytest.raises(ValueError, match="glu: halving dimension must be even"):
        F.glu(cr.tensor(x), 0)


def test_prelu_weight_forms():
    x = KINKS.reshape(2, 7) + 0.05  # off the kink: second derivatives there differ (docs)
    for w in (np.array([0.3]), np.array([0.1, -0.2])):
        assert_matches_torch(F.prelu, TF.prelu, rn(2, len(w), 3), w)
    assert_matches_torch(F.prelu, TF.prelu, x, np.array([0.25]))
    with pytest.raises(ValueError, match="prelu: weight has 3 entries"):
        F.prelu(cr.tensor(rn(2, 4, 3)), cr.tensor(np.ones(3)))


def test_one_hot_and_gumbel_softmax():
    t = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(cr.tensor(t)).numpy(), TF.one_hot(torch.tensor(t)))
    np.testing.assert_array_equal(F.one_hot(cr.tensor(t), 6).numpy(),
                                  TF.one_hot(torch.tensor(t), 6))
    with pytest.raises(TypeError, match="one_hot"):
        F.one_hot(cr.tensor([0.5]))
    logits = cr.tensor(rn(4, 5), requires_grad=True)
    g = cr.Generator().manual_seed(3)
    y = F.gumbel_softmax(logits, tau=0.5, generator=g)
    np.testing.assert_allclose(y.detach().numpy().sum(-1), 1.0)
    y2 = F.gumbel_softmax(logits, tau=0.5, generator=cr.Generator().manual_seed(3))
    np.testing.assert_array_equal(y.detach().numpy(), y2.detach().numpy())
    hard = F.gumbel_softmax(logits, hard=True, generator=cr.Generator().manual_seed(3))
    assert set(np.unique(hard.detach().numpy())) == {0.0, 1.0}
    np.testing.assert_array_equal(hard.detach().numpy().argmax(-1),
                                  y.detach().numpy().argmax(-1))
    # straight-through: the hard sample's gradient is the soft sample's
    (hard * cr.tensor(rn(4, 5, seed=1))).sum().backward()
    g_hard = logits.grad.numpy().copy()
    logits.grad = None
    soft = F.gumbel_softmax(logits, generator=cr.Generator().manual_seed(3))
    (soft * cr.tensor(rn(4, 5, seed=1))).sum().backward()
    np.testing.assert_allclose(g_hard, logits.grad.numpy())


# --- pad, interpolate, grid_sample ---------------------------------------------------------------
@pytest.mark.parametrize("pad,mode", [
    ((1, 2), "constant"), ((1, 2, -1, 3), "constant"), ((2, 1, 1, 3), "reflect"),
    ((2, 1, 1, 3), "replicate"), ((2, 1, 1, 3), "circular"), ((-3, 2, 1, -1), "replicate"),
    ((1, 1, 2, 0, 1, 1), "reflect"), ((1, 0, 0, 2, 1, 1), "circular"),
])
def test_pad_matches_torch(pad, mode):
    x = rn(2, 3, 4, 5) if len(pad) < 6 else rn(1, 2, 3, 4, 4)
    assert_matches_torch(lambda a: F.pad(a, pad, mode), lambda a: TF.pad(a, pad, mode), x)
    if mode == "constant":
        assert_matches_torch(lambda a: F.pad(a, pad, value=1.5),
                             lambda a: TF.pad(a, pad, value=1.5), x, second=False)


def test_pad_errors():
    x = cr.tensor(rn(1, 2, 3))
    with pytest.raises(ValueError, match="pad: padding size should be less"):
        F.pad(x, (3, 0), "reflect")
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(x, (1,))


INTERP = [("nearest", {}), ("nearest-exact", {}), ("bilinear", {}),
          ("bilinear", {"align_corners": True}), ("bicubic", {}),
          ("bicubic", {"align_corners": True}), ("area", {})]
SIZES = [{"size": (7, 4)}, {"scale_factor": 1.7}, {"scale_factor": (0.5, 2.3)},
         {"scale_factor": 1.5, "recompute_scale_factor": True}]


@pytest.mark.parametrize("mode,kw", INTERP, ids=[f"{m}{kw}" for m, kw in INTERP])
def test_interpolate_2d_matches_torch(mode, kw):
    x = rn(1, 2, 5, 6)
    for sz in SIZES:
        if mode == "area" and "recompute_scale_factor" in sz:
            continue
        assert_matches_torch(lambda a: F.interpolate(a, mode=mode, **kw, **sz),
                             lambda a: TF.interpolate(a, mode=mode, **kw, **sz), x,
                             second=False)


def test_interpolate_1d_3d_and_upsample():
    x1, x3 = rn(2, 3, 5), rn(1, 2, 3, 4, 5)
    for kw in ({"scale_factor": 2.5, "mode": "linear"},
               {"size": 8, "mode": "linear", "align_corners": True},
               {"size": 3, "mode": "nearest"}):
        assert_matches_torch(lambda a: F.interpolate(a, **kw), lambda a: TF.interpolate(a, **kw),
                             x1)
    assert_matches_torch(lambda a: F.interpolate(a, size=(4, 6, 3), mode="trilinear"),
                         lambda a: TF.interpolate(a, size=(4, 6, 3), mode="trilinear"), x3,
                         second=False)
    x = rn(1, 2, 3, 4)
    assert_matches_torch(lambda a: F.upsample_bilinear(a, scale_factor=2),
                         lambda a: TF.upsample_bilinear(a, scale_factor=2), x, second=False)
    assert_matches_torch(lambda a: F.upsample_nearest(a, size=(5, 7)),
                         lambda a: TF.upsample_nearest(a, size=(5, 7)), x, second=False)
    with pytest.raises(ValueError, match="expects a 4-d input"):
        F.interpolate(cr.tensor(x1), size=4, mode="bilinear")
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(cr.tensor(x), size=2, mode="bilinear", antialias=True, align_corners=True)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_antialias_matches_torch(mode):
    x = rn(1, 2, 9, 11)
    for sz in ({"size": (4, 3)}, {"size": (12, 5)}, {"scale_factor": 0.37},
               {"scale_factor": (0.5, 1.6)}):
        assert_matches_torch(lambda a: F.interpolate(a, mode=mode, antialias=True, **sz),
                             lambda a: TF.interpolate(a, mode=mode, antialias=True, **sz), x,
                             second=False)


@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_and_grid_sample(align):
    th = rn(2, 2, 3)
    assert_matches_torch(lambda t: F.affine_grid(t, (2, 3, 4, 5), align_corners=align),
                         lambda t: TF.affine_grid(t, (2, 3, 4, 5), align_corners=align), th)
    assert_matches_torch(lambda t: F.affine_grid(t, (2, 3, 4, 5, 3), align_corners=align),
                         lambda t: TF.affine_grid(t, (2, 3, 4, 5, 3), align_corners=align),
                         rn(2, 3, 4))
    x = rn(2, 3, 5, 6)
    g = np.random.default_rng(5).uniform(-1.3, 1.3, (2, 4, 3, 2))
    for pm in ("zeros", "border", "reflection"):
        for md in ("bilinear", "nearest", "bicubic"):
            assert_matches_torch(lambda a, gg: F.grid_sample(a, gg, md, pm, align),
                                 lambda a, gg: TF.grid_sample(a, gg, md, pm, align), x, g,
                                 second=False)
    g3 = np.random.default_rng(6).uniform(-1.3, 1.3, (1, 2, 3, 2, 3))
    assert_matches_torch(lambda a, gg: F.grid_sample(a, gg, align_corners=align),
                         lambda a, gg: TF.grid_sample(a, gg, align_corners=align),
                         rn(1, 2, 3, 4, 5), g3, second=False)


def test_rearranging_and_im2col():
    assert_matches_torch(lambda a: F.pixel_shuffle(a, 2), lambda a: TF.pixel_shuffle(a, 2),
                         rn(2, 8, 3, 4), second=False)
    assert_matches_torch(lambda a: F.pixel_unshuffle(a, 2), lambda a: TF.pixel_unshuffle(a, 2),
                         rn(2, 2, 4, 6), second=False)
    assert_matches_torch(lambda a: F.channel_shuffle(a, 2), lambda a: TF.channel_shuffle(a, 2),
                         rn(2, 6, 4, 3), grad=False)
    x = rn(2, 3, 5, 6)
    kw = {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}
    assert_matches_torch(lambda a: F.unfold(a, (2, 3), **kw),
                         lambda a: TF.unfold(a, (2, 3), **kw), x, second=False)
    cols = TF.unfold(torch.tensor(x), (2, 3), **kw).numpy()
    assert_matches_torch(lambda a: F.fold(a, (5, 6), (2, 3), **kw),
                         lambda a: TF.fold(a, (5, 6), (2, 3), **kw), cols, second=False)


# --- convolution -------------------------------------------------------------------------------
def test_conv3d_matches_torch():
    kw = {"stride": (1, 2, 1), "padding": 1, "dilation": (2, 1, 1), "groups": 2}
    assert_matches_torch(lambda a, w, b: F.conv3d(a, w, b, **kw),
                         lambda a, w, b: TF.conv3d(a, w, b, **kw),
                         rn(2, 4, 5, 6, 3), rn(6, 2, 2, 3, 2), rn(6), second=False)


TRANSPOSED = [{}, {"stride": 2, "padding": 1, "output_padding": 1},
              {"stride": 3, "groups": 2, "dilation": 2, "padding": 2, "output_padding": 2},
              {"dilation": 3, "output_padding": 2}]


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("kw", TRANSPOSED)
def test_conv_transpose_matches_torch(d, kw):
    f, tf = getattr(F, f"conv_transpose{d}d"), getattr(TF, f"conv_transpose{d}d")
    x, w = rn(2, 4, *(4, 5, 3)[:d]), rn(4, 3, *(3, 2, 2)[:d], seed=1)
    b = rn(3 * kw.get("groups", 1), seed=2)
    assert_matches_torch(lambda a, w, b: f(a, w, b, **kw), lambda a, w, b: tf(a, w, b, **kw),
                         x, w, b, second=d == 1)


def test_conv_transpose_unbatched_and_derivatives():
    assert_matches_torch(lambda a, w: F.conv_transpose1d(a, w, stride=2),
                         lambda a, w: TF.conv_transpose1d(a, w, stride=2), rn(4, 5), rn(4, 3, 3))
    check_grads(lambda a, w: F.conv_transpose2d(a, w, stride=2, padding=1, output_padding=1),
                rn(1, 2, 2, 2), rn(2, 1, 2, 2))
    with pytest.raises(ValueError, match="output padding must be smaller"):
        F.conv_transpose1d(cr.tensor(rn(1, 4, 5)), cr.tensor(rn(4, 3, 3)), output_padding=1)


# --- pooling -----------------------------------------------------------------------------------
def test_pool3d_matches_torch():
    x = distinct((2, 2, 5, 6, 4), 1)
    kw = {"stride": (1, 2, 2), "padding": 1, "ceil_mode": True}
    assert_matches_torch(lambda a: F.max_pool3d(a, (2, 3, 2), **kw),
                         lambda a: TF.max_pool3d(a, (2, 3, 2), **kw), x, second=False)
    _, idx = F.max_pool3d(cr.tensor(x), 2, return_indices=True)
    _, t_idx = TF.max_pool3d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
    kw = {"stride": (1, 2, 2), "padding": 1, "count_include_pad": False}
    assert_matches_torch(lambda a: F.avg_pool3d(a, (2, 3, 2), **kw),
                         lambda a: TF.avg_pool3d(a, (2, 3, 2), **kw), x, second=False)
    assert_matches_torch(lambda a: F.adaptive_avg_pool3d(a, (2, 4, 3)),
                         lambda a: TF.adaptive_avg_pool3d(a, (2, 4, 3)), x, second=False)


@pytest.mark.parametrize("p", [1, 2, 3.5])
def test_lp_pool_matches_torch(p):
    x = np.random.default_rng(2).uniform(0.5, 2.0, (2, 3, 7, 6))
    assert_matches_torch(lambda a: F.lp_pool2d(a, p, (2, 3), stride=2),
                         lambda a: TF.lp_pool2d(a, p, (2, 3), stride=2), x)
    assert_matches_torch(lambda a: F.lp_pool1d(a, p, 3, ceil_mode=True),
                         lambda a: TF.lp_pool1d(a, p, 3, ceil_mode=True), x[0], second=False)


@pytest.mark.parametrize("d,shape,osz", [(1, (2, 3, 7), 4), (2, (2, 3, 7, 5), (3, 4)),
                                         (3, (3, 5, 7, 4), (2, 3, 3)), (2, (3, 7, 5), (None, 2))])
def test_adaptive_max_pool_matches_torch(d, shape, osz):
    f, tf = getattr(F, f"adaptive_max_pool{d}d"), getattr(TF, f"adaptive_max_pool{d}d")
    x = distinct(shape, 2)
    assert_matches_torch(lambda a: f(a, osz), lambda a: tf(a, osz), x, second=False)
    _, idx = f(cr.tensor(x), osz, return_indices=True)
    _, t_idx = tf(torch.tensor(x), osz, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())


@pytest.mark.parametrize("d,shape", [(1, (2, 3, 8)), (2, (2, 3, 6, 8)), (3, (1, 2, 4, 6, 4))])
def test_max_unpool_matches_torch(d, shape):
    pool = getattr(TF, f"max_pool{d}d")
    f, tf = getattr(F, f"max_unpool{d}d"), getattr(TF, f"max_unpool{d}d")
    out, idx = pool(torch.tensor(distinct(shape, 3)), 2, return_indices=True)
    assert_matches_torch(lambda a, i: f(a, i, 2), lambda a, i: tf(a, i, 2), out.numpy(),
                         idx.numpy())
    bigger = tuple(n + 1 for n in shape[2:])
    assert_matches_torch(lambda a, i: f(a, i, 2, output_size=bigger),
                         lambda a, i: tf(a, i, 2, output_size=bigger), out.numpy(), idx.numpy(),
                         second=False)


def test_fractional_max_pool_matches_torch_given_samples():
    x = distinct((2, 3, 9, 8), 4)
    s = R.uniform(0, 1, (2, 3, 2))
    assert_matches_torch(
        lambda a: F.fractional_max_pool2d(a, (2, 3), output_size=(4, 5),
                                          _random_samples=cr.tensor(s)),
        lambda a: TF.fractional_max_pool2d(a, (2, 3), output_size=(4, 5),
                                           _random_samples=torch.tensor(s)), x, second=False)
    _, idx = F.fractional_max_pool2d(cr.tensor(x), 2, output_ratio=(0.5, 0.5),
                                     return_indices=True, _random_samples=cr.tensor(s))
    _, t_idx = TF.fractional_max_pool2d(torch.tensor(x), 2, output_ratio=(0.5, 0.5),
                                        return_indices=True, _random_samples=torch.tensor(s))
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
    x3, s3 = distinct((1, 2, 7, 8, 6), 5), R.uniform(0, 1, (1, 2, 3))
    assert_matches_torch(
        lambda a: F.fractional_max_pool3d(a, (2, 3, 2), output_size=(4, 5, 3),
                                          _random_samples=cr.tensor(s3)),
        lambda a: TF.fractional_max_pool3d(a, (2, 3, 2), output_size=(4, 5, 3),
                                           _random_samples=torch.tensor(s3)), x3, second=False)


# --- normalisation and distances ---------------------------------------------------------------
def test_instance_norm_matches_torch_with_running_stats():
    x, w, b = rn(2, 3, 4, 5), rn(3, seed=1), rn(3, seed=2)
    assert_matches_torch(lambda a, w, b: F.instance_norm(a, weight=w, bias=b),
                         lambda a, w, b: TF.instance_norm(a, weight=w, bias=b), x, w, b)
    rm, rv = cr.zeros(3, dtype="float64"), cr.ones(3, dtype="float64")
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    assert_matches_torch(lambda a: F.instance_norm(a, rm, rv),
                         lambda a: TF.instance_norm(a, trm, trv), x, second=False)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-12)
    assert_matches_torch(lambda a: F.instance_norm(a, rm, rv, use_input_stats=False),
                         lambda a: TF.instance_norm(a, trm, trv, use_input_stats=False), x)


def test_local_response_norm_and_rms_norm():
    x = rn(2, 5, 3, 4)
    for size in (1, 2, 3):
        assert_matches_torch(lambda a: F.local_response_norm(a, size, 0.3, 0.6, 1.5),
                             lambda a: TF.local_response_norm(a, size, 0.3, 0.6, 1.5), x,
                             second=size == 3)
    assert_matches_torch(lambda a: F.local_response_norm(a, 2), lambda a: TF.local_response_norm(
        a, 2), x[0], second=False)
    assert_matches_torch(lambda a, w: F.rms_norm(a, (3, 4), w), lambda a, w: TF.rms_norm(
        a, (3, 4), w), x, rn(3, 4, seed=1))
    assert_matches_torch(lambda a: F.rms_norm(a, 4, eps=0.1), lambda a: TF.rms_norm(a, (4,),
                                                                                    eps=0.1), x)


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, np.inf, 0, -1.0])
def test_pairwise_distance_and_pdist(p):
    x1, x2 = rn(4, 6), rn(4, 6, seed=1)
    assert_matches_torch(lambda a, b: F.pairwise_distance(a, b, p),
                         lambda a, b: TF.pairwise_distance(a, b, p), x1, x2,
                         second=p not in (np.inf, 0))
    if p >= 0:  # PyTorch's pdist takes p >= 0 and has no second derivative
        assert_matches_torch(lambda a: F.pdist(a, p), lambda a: TF.pdist(a, p), x1, second=False)
    assert_matches_torch(lambda a, b: F.pairwise_distance(a, b, p, keepdim=True),
                         lambda a, b: TF.pairwise_distance(a, b, p, keepdim=True), x1, x2[0],
                         second=False)


def test_pdist_gradient_at_equal_rows_is_zero():
    x = cr.tensor(np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]]), requires_grad=True)
    F.pdist(x).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


# --- dropout variants and embedding_bag --------------------------------------------------------
def test_channel_dropouts_drop_whole_channels():
    cr.manual_seed(0)
    for f, shape, axes in ((F.dropout1d, (6, 3), (1,)), (F.dropout2d, (4, 6, 3, 2), (2, 3)),
                           (F.dropout3d, (4, 6, 3, 2, 2), (2, 3, 4))):
        y = f(cr.tensor(np.ones(shape)), 0.5).numpy()
        assert set(np.unique(y)) <= {0.0, 2.0} and len(np.unique(y)) == 2
        assert np.all(y.std(axis=axes) == 0)
        np.testing.assert_array_equal(f(cr.tensor(np.ones(shape)), 0.5, False).numpy(),
                                      np.ones(shape))
    with pytest.raises(ValueError, match="dropout1d: expected a 2D"):
        F.dropout1d(cr.tensor(np.ones((2, 3, 4, 5))))


def test_alpha_dropouts_keep_mean_and_variance():
    x = cr.tensor(rn(200000, seed=3))
    y = F.alpha_dropout(x, 0.2, training=True, generator=cr.Generator().manual_seed(1)).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    dropped = y[np.abs(y - x.numpy() * 0) > 0]
    assert dropped.size
    y = F.feature_alpha_dropout(cr.tensor(rn(2000, 50, 4)), 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert F.alpha_dropout(x, 0.2) is x  # evaluation: the identity


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_matches_torch(mode, padding_idx):
    w = rn(10, 3)
    idx2 = np.array([[1, 2, 4, 5], [4, 3, 2, 9], [0, 0, 1, 1]])
    idx1, off = np.array([1, 2, 4, 5, 4, 3, 2, 9, 7]), np.array([0, 2, 2, 5])
    kw = {"mode": mode, "padding_idx": padding_idx}
    assert_matches_torch(lambda a: F.embedding_bag(cr.tensor(idx2), a, **kw),
                         lambda a: TF.embedding_bag(torch.tensor(idx2), a, **kw), w,
                         second=False)
    assert_matches_torch(lambda a: F.embedding_bag(cr.tensor(idx1), a, cr.tensor(off), **kw),
                         lambda a: TF.embedding_bag(torch.tensor(idx1), a, torch.tensor(off),
                                                    **kw), w, second=False)
    last = np.array([0, 2, 2, 5, 9])
    assert_matches_torch(
        lambda a: F.embedding_bag(cr.tensor(idx1), a, cr.tensor(last), include_last_offset=True,
                                  **kw),
        lambda a: TF.embedding_bag(torch.tensor(idx1), a, torch.tensor(last),
                                   include_last_offset=True, **kw), w, second=False)


def test_embedding_bag_per_sample_weights():
    idx1, off = np.array([1, 2, 4, 5, 4, 3, 2, 9, 7]), np.array([0, 2, 2, 5])
    assert_matches_torch(
        lambda w, p: F.embedding_bag(cr.tensor(idx1), w, cr.tensor(off), mode="sum",
                                     per_sample_weights=p),
        lambda w, p: TF.embedding_bag(torch.tensor(idx1), w, torch.tensor(off), mode="sum",
                                      per_sample_weights=p), rn(10, 3), rn(9, seed=1),
        second=False)
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        F.embedding_bag(cr.tensor(idx1), cr.tensor(rn(10, 3)), cr.tensor(off), mode="mean",
                        per_sample_weights=cr.tensor(rn(9)))


# --- losses ------------------------------------------------------------------------------------
X1, X2, X3 = rn(5, 4), rn(5, 4, seed=1), rn(5, 4, seed=2)
PM = np.array([1.0, -1.0, 1.0, -1.0, -1.0])
REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("red", REDUCTIONS)
def test_embedding_and_ranking_losses(red):
    t = cr.tensor(PM)
    tt = torch.tensor(PM)
    assert_matches_torch(lambda a, b: F.cosine_embedding_loss(a, b, t, 0.1, reduction=red),
                         lambda a, b: TF.cosine_embedding_loss(a, b, tt, 0.1, reduction=red),
                         X1, X2)
    assert_matches_torch(lambda a, b: F.margin_ranking_loss(a, b, t, 0.2, reduction=red),
                         lambda a, b: TF.margin_ranking_loss(a, b, tt, 0.2, reduction=red),
                         X1[:, 0], X2[:, 0])
    assert_matches_torch(lambda a: F.hinge_embedding_loss(a, t, 0.5, reduction=red),
                         lambda a: TF.hinge_embedding_loss(a, tt, 0.5, reduction=red), X1[:, 0])
    sgn = np.sign(X2)
    assert_matches_torch(lambda a: F.soft_margin_loss(a, cr.tensor(sgn), reduction=red),
                         lambda a: TF.soft_margin_loss(a, torch.tensor(sgn), reduction=red), X1)


@pytest.mark.parametrize("red", REDUCTIONS)
def test_multilabel_and_multiclass_margin_losses(red):
    y, w = (X2 > 0).astype(float), np.array([0.5, 1.0, 1.5, 2.0])
    assert_matches_torch(
        lambda a, w: F.multilabel_soft_margin_loss(a, cr.tensor(y), w, reduction=red),
        lambda a, w: TF.multilabel_soft_margin_loss(a, torch.tensor(y), w, reduction=red), X1, w)
    cls = np.array([0, 3, 1, 2, 3])
    for p in (1, 2):  # PyTorch's multi-margin losses have no second derivative
        assert_matches_torch(
            lambda a: F.multi_margin_loss(a, cr.tensor(cls), p, 0.7, cr.tensor(w),
                                          reduction=red),
            lambda a: TF.multi_margin_loss(a, torch.tensor(cls), p, 0.7, torch.tensor(w),
                                           reduction=red), X1, second=False)
    labels = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 2, 2], [2, 2, -1, 0],
                       [-1, 0, 0, 0]])
    assert_matches_torch(
        lambda a: F.multilabel_margin_loss(a, cr.tensor(labels), reduction=red),
        lambda a: TF.multilabel_margin_loss(a, torch.tensor(labels), reduction=red), X1,
        second=False)


@pytest.mark.parametrize("kw", [{}, {"p": 1, "swap": True, "margin": 2.0}, {"p": 3, "eps": 0.1}])
def test_triplet_losses(kw):
    assert_matches_torch(lambda a, b, c: F.triplet_margin_loss(a, b, c, **kw),
                         lambda a, b, c: TF.triplet_margin_loss(a, b, c, **kw), X1, X2, X3)
    assert_matches_torch(
        lambda a, b, c: F.triplet_margin_with_distance_loss(a, b, c, swap=True,
                                                            reduction="none"),
        lambda a, b, c: TF.triplet_margin_with_distance_loss(a, b, c, swap=True,
                                                             reduction="none"),
        X1, X2, X3, second=False)


@pytest.mark.parametrize("kw", [{}, {"full": True}, {"log_input": False},
                                {"log_input": False, "full": True, "reduction": "none"}])
def test_poisson_nll_loss(kw):
    target = np.random.default_rng(4).poisson(2.0, (5, 4)).astype(float) + 1
    x = np.abs(X1) + 0.1 if kw.get("log_input") is False else X1
    assert_matches_torch(lambda a, b: F.poisson_nll_loss(a, b, **kw),
                         lambda a, b: TF.poisson_nll_loss(a, b, **kw), x, target)


@pytest.mark.parametrize("var_shape", ["full", "one less", "last 1", "tiny"])
def test_gaussian_nll_loss(var_shape):
    v = np.random.default_rng(5).uniform(0.1, 2.0, (5, 4))
    var = {"full": v, "one less": v[:, 0], "last 1": v[:, :1]}.get(var_shape)
    if var is None:  # below eps: clamped in value, its gradient kept
        var = v.copy()
        var[0, 0] = 1e-9
    for full, red in ((False, "mean"), (True, "none")):
        assert_matches_torch(lambda a, b, c: F.gaussian_nll_loss(a, b, c, full, reduction=red),
                             lambda a, b, c: TF.gaussian_nll_loss(a, b, c, full, reduction=red),
                             X1, X2, var)
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(cr.tensor(X1), cr.tensor(X2), cr.tensor(-v))


def test_ctc_loss_matches_torch():
    """PyTorch's CTC gradient with respect to log_probs assumes they come from log_softmax (it
    is the gradient with respect to the logits); composed with log_softmax, both are the true
    gradient and agree."""
    lp = rn(7, 3, 5)
    tgt, il, tl = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [4, 4, 4, 0]]), np.array([7, 6, 7]), \
        np.array([3, 2, 3])
    for red in REDUCTIONS:
        assert_matches_torch(
            lambda a: F.ctc_loss(cr.log_softmax(a, 2), cr.tensor(tgt), cr.tensor(il),
                                 cr.tensor(tl), reduction=red),
            lambda a: TF.ctc_loss(a.log_softmax(2), torch.tensor(tgt), torch.tensor(il),
                                  torch.tensor(tl), reduction=red), lp, second=False)
    flat = np.array([1, 2, 2, 3, 1, 4, 4, 4])
    assert_matches_torch(
        lambda a: F.ctc_loss(cr.log_softmax(a, 2), cr.tensor(flat), cr.tensor(il),
                             cr.tensor(tl)),
        lambda a: TF.ctc_loss(a.log_softmax(2), torch.tensor(flat), torch.tensor(il),
                              torch.tensor(tl)), lp, second=False)
    # unbatched; and an empty input (only the empty target has an alignment)
    assert_matches_torch(
        lambda a: F.ctc_loss(cr.log_softmax(a, 1), cr.tensor(np.array([1, 2])),
                             cr.tensor(np.array(6)), cr.tensor(np.array(2))),
        lambda a: TF.ctc_loss(a.log_softmax(1), torch.tensor([1, 2]), torch.tensor(6),
                              torch.tensor(2)), rn(6, 4), second=False)
    tg0, il0, tl0 = np.array([[1, 2], [3, 3], [0, 0]]), np.array([6, 0, 4]), np.array([2, 0, 0])
    assert_matches_torch(
        lambda a: F.ctc_loss(cr.log_softmax(a, 2), cr.tensor(tg0), cr.tensor(il0),
                             cr.tensor(tl0), reduction="none"),
        lambda a: TF.ctc_loss(a.log_softmax(2), torch.tensor(tg0), torch.tensor(il0),
                              torch.tensor(tl0), reduction="none"), rn(6, 3, 4), second=False)
    # an impossible alignment: inf, or 0 with zero_infinity (and a zero gradient)
    tgt2, il2, tl2 = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [4, 4, 4, 4]]), np.array([7, 6, 5]), \
        np.array([3, 2, 4])
    assert_matches_torch(
        lambda a: F.ctc_loss(cr.log_softmax(a, 2), cr.tensor(tgt2), cr.tensor(il2),
                             cr.tensor(tl2), reduction="none", zero_infinity=True),
        lambda a: TF.ctc_loss(a.log_softmax(2), torch.tensor(tgt2), torch.tensor(il2),
                              torch.tensor(tl2), reduction="none", zero_infinity=True), lp,
        second=False)


def test_cross_entropy_forms_match_torch():
    x = rn(4, 5, 3)
    t = np.array([[0, 4, 1], [2, -100, 3], [1, 1, 0], [4, 3, -100]])
    w = np.array([0.5, 1.0, 2.0, 1.5, 0.7])
    probs = torch.tensor(rn(4, 5, 3, seed=1)).softmax(1).numpy()
    for kw in ({}, {"label_smoothing": 0.2}, {"reduction": "sum", "label_smoothing": 0.1},
               {"reduction": "none"}):
        assert_matches_torch(
            lambda a: F.cross_entropy(a, cr.tensor(t), cr.tensor(w), **kw),
            lambda a: TF.cross_entropy(a, torch.tensor(t), torch.tensor(w), **kw), x)
        assert_matches_torch(lambda a, p: F.cross_entropy(a, p, **kw),
                             lambda a, p: TF.cross_entropy(a, p, **kw), x, probs)
    t4 = np.where(t < 0, 4, t)
    assert_matches_torch(lambda a: F.nll_loss(a, cr.tensor(t4), ignore_index=4),
                         lambda a: TF.nll_loss(a, torch.tensor(t4), ignore_index=4),
                         torch.tensor(x).log_softmax(1).numpy())


def test_linear_cross_entropy_matches_torch():
    x, w, b, t = rn(6, 4), rn(5, 4, seed=1), rn(5, seed=2), np.array([0, 4, 1, 2, 3, 1])
    assert_matches_torch(
        lambda a, w, b: F.linear_cross_entropy(a, w, cr.tensor(t), linear_bias=b,
                                               label_smoothing=0.1),
        lambda a, w, b: TF.linear_cross_entropy(a, w, torch.tensor(t), linear_bias=b,
                                                label_smoothing=0.1), x, w, b)


# --- forward mode and second order by finite differences ---------------------------------------
@pytest.mark.parametrize("fn,args", [
    (lambda x: F.mish(x) + F.selu(x) + F.softsign(x) + F.logsigmoid(x) + F.celu(x, 0.5),
     (rn(6),)),
    (lambda x: F.interpolate(x, size=(3, 2), mode="bicubic"), (rn(1, 1, 2, 3),)),
    (lambda x, g: F.grid_sample(x, g, align_corners=False),
     (rn(1, 1, 3, 3), np.random.default_rng(7).uniform(-0.9, 0.9, (1, 2, 2, 2)))),
    (lambda x, g: F.grid_sample(x, g, "bicubic", "reflection"),
     (rn(1, 1, 3, 3), np.random.default_rng(8).uniform(-0.9, 0.9, (1, 2, 1, 2)))),
    (lambda x: F.pad(x, (1, 2, 2, 0), "reflect"), (rn(1, 3, 3),)),
    (lambda x, w: F.conv3d(x, w, padding=1), (rn(1, 1, 2, 2, 2), rn(1, 1, 2, 1, 2))),
    (lambda x: F.local_response_norm(x, 2) + F.instance_norm(x), (rn(1, 3, 3),)),
    (lambda a, b: F.triplet_margin_loss(a, b, b * 0.5 + 1, swap=True), (rn(2, 3), rn(2, 3))),
    (lambda a, b, v: F.gaussian_nll_loss(a, b, v), (rn(2, 3), rn(2, 3),
                                                    np.abs(rn(2, 3)) + 0.5)),
    (lambda x: F.ctc_loss(cr.log_softmax(x, 2), cr.tensor(np.array([[1, 2]])),
                          cr.tensor(np.array([4])), cr.tensor(np.array([2]))), (rn(4, 1, 3),)),
])
def test_forward_mode_and_second_order(fn, args):
    check_grads(fn, *args)
