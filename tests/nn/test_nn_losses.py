"""Losses against PyTorch: values, gradients with respect to the input (and the target where
PyTorch differentiates it) and second derivatives, for every reduction; gradcheck; errors."""

import numpy as np
import pytest
import torch
from tests.helpers import assert_matches_torch, check_grads

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn

TF = torch.nn.functional
rng = np.random.default_rng(0)
REDUCTIONS = ["mean", "sum", "none"]


def randn(*shape):
    return rng.standard_normal(shape)


def same(cf, tf, *args, second=True, rtol=1e-10):
    assert_matches_torch(cf, tf, *args, rtol=rtol, atol=1e-12, second=second)


# --- regression --------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_mse_l1(name, reduction):
    cf, tf = getattr(F, name), getattr(TF, name)
    x, y, w = randn(3, 4), randn(3, 4), rng.uniform(0.5, 2, (3, 4))
    same(lambda a, b: cf(a, b, reduction=reduction), lambda a, b: tf(a, b, reduction=reduction),
         x, y)
    same(lambda a, b: cf(a, b, reduction=reduction, weight=b),
         lambda a, b: tf(a, b, reduction=reduction, weight=b), x, w)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1(reduction, beta):
    x, y = randn(4, 5), randn(4, 5)
    same(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
         lambda a, b: TF.smooth_l1_loss(a, b, reduction=reduction, beta=beta), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.3])
def test_huber(reduction, delta):
    x, y, w = randn(4, 5), randn(4, 5), rng.uniform(0.5, 2, (4, 5))
    same(lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=delta),
         lambda a, b: TF.huber_loss(a, b, reduction=reduction, delta=delta), x, y)
    same(lambda a, b: F.huber_loss(a, y, reduction=reduction, delta=delta, weight=b),
         lambda a, b: TF.huber_loss(a, torch.tensor(y), reduction=reduction, delta=delta,
                                    weight=b), x, w)


def test_regression_broadcast_warns_like_torch():
    with pytest.warns(UserWarning, match=r"target shape \(3,\) differs from the input shape"):
        F.mse_loss(cr.ones(2, 3), cr.ones(3))


# --- cross entropy and nll -------------------------------------------------------------------
def ce(**kw):
    return (lambda a, b: F.cross_entropy(a, b, **kw)), (lambda a, b: TF.cross_entropy(a, b, **kw))


def ce_w(w, **kw):
    return ((lambda a, b: F.cross_entropy(a, b, weight=cr.tensor(w), **kw)),
            (lambda a, b: TF.cross_entropy(a, b, weight=torch.tensor(w), **kw)))


TARGETS = {
    "1d": (randn(5), np.array(3)),
    "2d": (randn(6, 4), np.array([0, 3, 1, 1, 2, 0])),
    "nd": (randn(3, 4, 2, 2), rng.integers(0, 4, (3, 2, 2))),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ls", [0.0, 0.2])
@pytest.mark.parametrize("shape", list(TARGETS))
def test_cross_entropy_class_indices(shape, ls, reduction):
    x, t = TARGETS[shape]
    same(*ce(reduction=reduction, label_smoothing=ls), x, t)
    w = rng.uniform(0.5, 2.0, x.shape[1 if x.ndim > 1 else 0])
    same(*ce_w(w, reduction=reduction, label_smoothing=ls), x, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ls", [0.0, 0.1])
def test_cross_entropy_ignore_index(reduction, ls):
    x, t = randn(6, 4), np.array([0, -100, 1, 3, -100, 2])
    same(*ce(reduction=reduction, label_smoothing=ls), x, t)
    w = rng.uniform(0.5, 2.0, 4)
    same(*ce_w(w, reduction=reduction, label_smoothing=ls), x, t)
    t2 = np.array([0, 2, 1, 3, 2, 2])
    same(*ce(reduction=reduction, ignore_index=2, label_smoothing=ls), x, t2)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ls", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 2, 2), (4,)])
def test_cross_entropy_probabilities(shape, ls, reduction):
    x = randn(*shape)
    cdim = 1 if len(shape) > 1 else 0
    p = np.exp(randn(*shape))
    p = p / p.sum(cdim, keepdims=True)
    same(*ce(reduction=reduction, label_smoothing=ls), x, p)  # gradient in the target too
    w = rng.uniform(0.5, 2.0, shape[cdim])
    same(*ce_w(w, reduction=reduction, label_smoothing=ls), x, p)


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x, t = cr.tensor(randn(2, 3)), cr.tensor(np.array([-100, -100]))
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.cross_entropy(x, t).item())
    assert np.isnan(TF.cross_entropy(torch.tensor(x.numpy()), torch.tensor(t.numpy())).item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    x, t = randn(5, 3), np.array([2, 0, 1, -100, 2])
    w = rng.uniform(0.5, 2.0, 3)
    same(lambda a, b: F.nll_loss(a, b, reduction=reduction),
         lambda a, b: TF.nll_loss(a, b, reduction=reduction), x, t)
    same(lambda a, b: F.nll_loss(a, b, cr.tensor(w), reduction=reduction),
         lambda a, b: TF.nll_loss(a, b, torch.tensor(w), reduction=reduction), x, t)
    x4, t4 = randn(2, 3, 2, 2), rng.integers(0, 3, (2, 2, 2))
    same(lambda a, b: F.nll_loss(a, b, reduction=reduction),
         lambda a, b: TF.nll_loss(a, b, reduction=reduction), x4, t4)


def test_cross_entropy_gradcheck():
    x, t = randn(3, 4), np.array([1, 0, 3])
    check_grads(lambda a: F.cross_entropy(a, cr.tensor(t), label_smoothing=0.1), x)
    p = np.full((3, 4), 0.25)
    check_grads(lambda a, b: F.cross_entropy(a, b), x, p)


def test_classification_errors():
    x = cr.tensor(randn(3, 4))
    with pytest.raises(IndexError, match="target 4 is out of bounds for 4 classes"):
        F.cross_entropy(x, cr.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match="target -1 is out of bounds"):
        F.nll_loss(x, cr.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match=r"target must have shape \(3,\), got \(2,\)"):
        F.cross_entropy(x, cr.tensor([0, 1]))
    with pytest.raises(TypeError, match="integer dtype"):
        F.cross_entropy(x, cr.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"weight must have one entry per class, shape \(4,\)"):
        F.cross_entropy(x, cr.tensor([0, 1, 2]), weight=cr.ones(3))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, cr.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="ignore_index is not supported"):
        F.cross_entropy(x, cr.softmax(x, 1), ignore_index=1)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.cross_entropy(x, cr.tensor([0, 1, 2]), reduction="avg")
    with pytest.raises(ValueError, match="class dimension"):
        F.nll_loss(cr.tensor(1.0), cr.tensor(0))


# --- binary ----------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    p = rng.uniform(0.05, 0.95, (4, 3))
    t = rng.uniform(0, 1, (4, 3))
    w = rng.uniform(0.5, 2, (4, 3))
    same(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
         lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), p, t,
         rtol=1e-8)  # torch's second derivative is arranged differently: rounding
    same(lambda a: F.binary_cross_entropy(a, cr.tensor(t), cr.tensor(w), reduction=reduction),
         lambda a: TF.binary_cross_entropy(a, torch.tensor(t), torch.tensor(w),
                                           reduction=reduction), p)


def test_binary_cross_entropy_clamps_log_like_torch():
    p = cr.tensor([0.0, 1.0, 0.5], requires_grad=True)
    t = cr.tensor([1.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, t, reduction="none")
    expect = TF.binary_cross_entropy(torch.tensor([0.0, 1.0, 0.5]), torch.tensor([1.0, 0, 1]),
                                     reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), expect.numpy())
    (g,) = cr.grad(loss.sum(), p)
    assert np.all(np.isfinite(g.numpy()))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction):
    x = np.concatenate([randn(3, 4), [[-60.0, 60.0, 0.5, -0.5]]])
    t = rng.uniform(0, 1, (4, 4))
    w = rng.uniform(0.5, 2, (4, 4))
    pw = rng.uniform(0.5, 3, (4,))
    same(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
         lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction), x, t)
    same(lambda a, b: F.binary_cross_entropy_with_logits(a, b, cr.tensor(w),
                                                         reduction=reduction,
                                                         pos_weight=cr.tensor(pw)),
         lambda a, b: TF.binary_cross_entropy_with_logits(a, b, torch.tensor(w),
                                                          reduction=reduction,
                                                          pos_weight=torch.tensor(pw)), x, t)


def test_binary_losses_gradcheck_and_errors():
    check_grads(lambda a: F.binary_cross_entropy_with_logits(a, cr.tensor([[1.0, 0.0]]),
                                                             pos_weight=cr.tensor([2.0, 1.0])),
                randn(1, 2))
    check_grads(lambda a: F.binary_cross_entropy(a, cr.tensor([0.3, 0.9])),
                np.array([0.2, 0.6]))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(cr.tensor([1.5]), cr.tensor([1.0]))
    with pytest.raises(ValueError, match=r"target shape \(2,\) must be the same as the input"):
        F.binary_cross_entropy_with_logits(cr.ones(3), cr.ones(2))


# --- kl_div and cosine similarity ------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = np.log(rng.dirichlet(np.ones(4), 3))
    t = rng.dirichlet(np.ones(4), 3)
    if log_target:
        t = np.log(t)
    same(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
         lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target), x, t)


def test_kl_div_mean_warns_and_zero_target():
    x, t = np.log(np.full((2, 2), 0.5)), np.array([[1.0, 0.0], [0.5, 0.5]])
    with pytest.warns(UserWarning, match="batchmean"):
        v = F.kl_div(cr.tensor(x), cr.tensor(t))
    with pytest.warns(UserWarning):
        tv = TF.kl_div(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(v.item(), tv.item())


@pytest.mark.parametrize("dim,s1,s2", [(1, (3, 4), (3, 4)), (0, (4, 2), (4, 1)),
                                       (-1, (2, 3, 5), (5,))])
def test_cosine_similarity(dim, s1, s2):
    same(lambda a, b: F.cosine_similarity(a, b, dim=dim),
         lambda a, b: TF.cosine_similarity(a, b, dim=dim), randn(*s1), randn(*s2))


def test_cosine_similarity_zero_vector_and_gradcheck():
    a, b = np.zeros((1, 3)), randn(1, 3)
    same(lambda x, y: F.cosine_similarity(x, y), lambda x, y: TF.cosine_similarity(x, y), a, b,
         second=False)
    check_grads(lambda x, y: F.cosine_similarity(x, y), randn(2, 3), randn(2, 3))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        F.cosine_similarity(cr.ones(2, 3), cr.ones(2, 4))


# --- loss modules ------------------------------------------------------------------------------
MODULES = [
    (nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum"), "reg"),
    (nn.L1Loss(), torch.nn.L1Loss(), "reg"),
    (nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5), "reg"),
    (nn.HuberLoss(delta=0.5), torch.nn.HuberLoss(delta=0.5), "reg"),
    (nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5]), label_smoothing=0.1),
     torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64),
                               label_smoothing=0.1), "cls"),
    (nn.NLLLoss(ignore_index=1), torch.nn.NLLLoss(ignore_index=1), "cls"),
    (nn.BCELoss(), torch.nn.BCELoss(), "prob"),
    (nn.BCEWithLogitsLoss(pos_weight=cr.tensor([2.0, 1.0, 0.5])),
     torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 1.0, 0.5], dtype=torch.float64)),
     "reg01"),
    (nn.KLDivLoss(reduction="batchmean", log_target=True),
     torch.nn.KLDivLoss(reduction="batchmean", log_target=True), "reg"),
]


@pytest.mark.parametrize("c,t,kind", MODULES, ids=[type(m[0]).__name__ for m in MODULES])
def test_loss_modules_match_torch(c, t, kind):
    assert repr(c) == repr(t)
    x = randn(4, 3)
    if kind == "cls":
        y = np.array([0, 2, 1, 1])
    elif kind == "prob":
        x, y = rng.uniform(0.1, 0.9, (4, 3)), rng.uniform(0, 1, (4, 3))
    elif kind == "reg01":
        y = rng.uniform(0, 1, (4, 3))
    else:
        y = randn(4, 3)
    same(lambda a: c(a, cr.tensor(y)), lambda a: t(a, torch.tensor(y)), x)


def test_loss_module_buffers_and_legacy_flags():
    m = nn.CrossEntropyLoss(weight=cr.tensor([1.0, 2.0]))
    assert list(m.state_dict()) == list(torch.nn.CrossEntropyLoss(
        weight=torch.tensor([1.0, 2.0])).state_dict()) == ["weight"]
    with pytest.warns(UserWarning, match="deprecated"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.L1Loss(reduction="avg")
    cs, tcs = nn.CosineSimilarity(dim=0), torch.nn.CosineSimilarity(dim=0)
    assert repr(cs) == repr(tcs)
    a, b = randn(3, 2), randn(3, 2)
    np.testing.assert_allclose(cs(cr.tensor(a), cr.tensor(b)).numpy(),
                               tcs(torch.tensor(a), torch.tensor(b)).numpy())


@pytest.mark.parametrize("fn", [
    lambda a, b: F.mse_loss(a, b),
    lambda a, b: F.l1_loss(a, b, reduction="sum"),
    lambda a, b: F.smooth_l1_loss(a, b, beta=0.7),
    lambda a, b: F.huber_loss(a, b, delta=0.7, reduction="none"),
    lambda a, b: F.kl_div(a, b, reduction="batchmean", log_target=True),
    lambda a, b: F.nll_loss(a, cr.tensor([1, 0])) + (b * 0).sum(),
])
def test_losses_gradcheck(fn):
    check_grads(fn, randn(2, 3), randn(2, 3))
