"""checkpoint and checkpoint_sequential: same gradients, to every order, with less memory."""

import tracemalloc

import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd, nn
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.utils.checkpoint import checkpoint, checkpoint_sequential


def leaf(a):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def block(x, w):
    return cr.tanh(x @ w) * cr.sin(x)


def test_same_gradients_to_third_order():
    rng = np.random.default_rng(0)
    x, w = leaf(rng.normal(size=(3, 4))), leaf(rng.normal(size=(4, 4)) / 2)

    def run(ck):
        y = cr.checkpoint(block, x, w) if ck else block(x, w)
        out = (y * y).sum()
        g1 = autograd.grad(out, (x, w), create_graph=True)
        g2 = autograd.grad((g1[0] ** 2).sum() + g1[1].sum(), (x, w), create_graph=True)
        g3 = autograd.grad(g2[0].sum() + (g2[1] * g2[1]).sum(), (x, w))
        return [t.detach().numpy() for t in (out, *g1, *g2, *g3)]

    for a, b in zip(run(True), run(False)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda a, b: checkpoint(block, a, b), (x, w))
    assert gradgradcheck(lambda a, b: checkpoint(block, a, b), (x, w))


def test_functional_transforms_and_structures():
    rng = np.random.default_rng(1)
    x = rng.normal(size=4)

    def f(v):
        out = checkpoint(lambda d: {"a": cr.sin(d["v"]) * d["v"]}, {"v": v})
        return out["a"].sum()

    def plain(v):
        return (cr.sin(v) * v).sum()

    np.testing.assert_allclose(cr.grad(f)(x), cr.grad(plain)(x))
    np.testing.assert_allclose(cr.hessian(f)(x), cr.hessian(plain)(x))
    np.testing.assert_allclose(cr.jacrev(cr.grad(f))(x), cr.hessian(plain)(x))
    np.testing.assert_allclose(cr.jacrev(lambda v: checkpoint(cr.sin, v))(x), np.diag(np.cos(x)))


def test_recomputes_in_backward_and_keeps_rng():
    calls = []

    def noisy(v):
        calls.append(1)
        return v * cr.rand(v.shape)

    x = leaf(np.ones(5))
    y = checkpoint(noisy, x)
    assert len(calls) == 1 and y.grad_fn.name().startswith("Checkpoint")
    y.sum().backward()
    assert len(calls) == 2
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())  # same random numbers
    with cr.no_grad():
        assert not checkpoint(noisy, x).requires_grad


def test_checkpoint_sequential_matches():
    cr.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(5) for m in (nn.Linear(6, 6), nn.Tanh())])
    model = model.to(cr.float64) if hasattr(model, "to") else model
    x = cr.randn(3, 6).astype(next(model.parameters()).dtype)
    params = list(model.parameters())
    g_ref = autograd.grad(model(x).sum(), params)
    for segments in (1, 2, 3, 10, 20):
        g = autograd.grad(checkpoint_sequential(model, segments, x).sum(), params)
        for a, b in zip(g, g_ref):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="segments"):
        checkpoint_sequential(model, 0, x)


def _mlp_peak(ck, depth=50, width=512, batch=256):
    """Peak traced memory of forward + backward. The gradient flows to the input only: the
    parameters' gradients (100 MB here) would be the same with and without checkpointing and
    hide the activations that checkpointing saves."""
    rng = np.random.default_rng(0)
    ws = [cr.tensor(rng.normal(size=(width, width)) / np.sqrt(width)) for _ in range(depth)]
    x = leaf(rng.normal(size=(batch, width)))
    layers = [lambda h, w=w: cr.tanh(h @ w) for w in ws]
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = checkpoint_sequential(layers, 7, x) if ck else _run(layers, x)
        out.sum().backward()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak, x.grad.numpy()


def _run(layers, x):
    for f in layers:
        x = f(x)
    return x


def test_50_layer_mlp_half_the_memory():
    peak_ck, g_ck = _mlp_peak(True)
    peak, g = _mlp_peak(False)
    np.testing.assert_array_equal(g_ck, g)  # identical: the same operations, recomputed
    assert peak_ck <= 0.5 * peak, (peak_ck / 2**20, peak / 2**20)
