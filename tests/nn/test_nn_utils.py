"""Gradient clipping against PyTorch."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


def _grads(scale):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s) * scale for s in [(3, 4), (4,), (2, 2, 2)]]


def _params(grads, lib):
    ps = []
    for g in grads:
        if lib is torch:
            p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
            p.grad = torch.tensor(g)
        else:
            p = nn.Parameter(np.zeros(g.shape))
            p.grad = cr.tensor(g)
        ps.append(p)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("scale", [0.01, 10.0])
def test_clip_grad_norm_matches_torch(norm_type, scale):
    grads = _grads(scale)
    cp, tp = _params(grads, cr), _params(grads, torch)
    cn = nn.utils.clip_grad_norm_(cp, 1.5, norm_type)
    tn = torch.nn.utils.clip_grad_norm_(tp, 1.5, norm_type)
    np.testing.assert_allclose(cn.item(), tn.item(), rtol=1e-12)
    assert isinstance(cn, cr.Tensor)
    for c, t in zip(cp, tp):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_edges():
    p = nn.Parameter(np.zeros(2))
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0  # no gradients
    p.grad = cr.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == 5.0  # a single tensor
    p.grad = cr.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match="expects tensors"):
        nn.utils.clip_grad_norm_([np.zeros(2)], 1.0)
    m = nn.Linear(3, 2)
    m(cr.ones(4, 3, dtype=np.float32)).sum().backward()
    total = nn.utils.clip_grad_norm_(m.parameters(), 0.1)
    assert total.dtype == np.float32 and m.weight.grad.dtype == np.float32
    new = math.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in m.parameters()))
    assert new == pytest.approx(0.1, rel=1e-4)


def test_clip_grad_value_matches_torch():
    grads = _grads(1.0)
    cp, tp = _params(grads, cr), _params(grads, torch)
    assert nn.utils.clip_grad_value_(cp, 0.5) is None
    torch.nn.utils.clip_grad_value_(tp, 0.5)
    for c, t in zip(cp, tp):
        np.testing.assert_array_equal(c.grad.numpy(), t.grad.numpy())
