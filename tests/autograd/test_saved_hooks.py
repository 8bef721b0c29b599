"""saved_tensors_hooks and save_on_disk: saved arrays go through the hooks, gradients unchanged."""

import gc
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd
from chainrule.autograd import dispatch
from chainrule.autograd.graph import Packed, save_on_disk, saved_tensors_hooks


def leaf(a):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def f(x, w):
    return (cr.tanh(x @ w) * cr.sin(x)).sum()


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(3, 4)), rng.normal(size=(4, 4)) / 2


def grads(hooks=None, create=False):
    xa, wa = data()
    x, w = leaf(xa), leaf(wa)
    if hooks is None:
        out = f(x, w)
    else:
        with saved_tensors_hooks(*hooks):
            out = f(x, w)
    g = autograd.grad(out, (x, w), create_graph=create)
    if not create:
        return [gi.detach().numpy() for gi in g]
    g2 = autograd.grad((g[0] ** 2).sum() + (g[1] * g[1]).sum(), (x, w))
    return [gi.detach().numpy() for gi in g] + [gi.detach().numpy() for gi in g2]


class Counting:
    def __init__(self):
        self.packs = self.unpacks = 0

    def pack(self, t):
        assert isinstance(t, cr.Tensor)
        self.packs += 1
        return ("box", t.detach().numpy().copy())

    def unpack(self, p):
        assert p[0] == "box"
        self.unpacks += 1
        return cr.tensor(p[1])


def test_first_order_counts_and_gradients():
    c = Counting()
    ref = grads()
    got = grads((c.pack, c.unpack))
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)
    # matmul saves x and w, tanh its output, sin x, mul both factors: 6 arrays
    assert c.packs == 6
    assert c.unpacks == 6


def test_second_order_with_create_graph():
    c = Counting()
    ref = grads(create=True)
    got = grads((c.pack, c.unpack), create=True)
    for a, b in zip(ref, got):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    # the graph is kept (create_graph), and the second grad() walks part of it again
    assert c.packs == 6 and c.unpacks > 6


def test_unpack_may_return_an_array():
    ref = grads()
    got = grads((lambda t: t.numpy().copy(), lambda a: a))
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)


def test_nesting_innermost_wins():
    outer, inner = Counting(), Counting()
    x = leaf([1.0, 2.0])
    with saved_tensors_hooks(outer.pack, outer.unpack):
        a = cr.sin(x)
        with saved_tensors_hooks(inner.pack, inner.unpack):
            b = cr.exp(a)
        c = cr.cos(b)
    assert (outer.packs, inner.packs) == (2, 1)
    c.sum().backward()
    assert (outer.unpacks, inner.unpacks) == (2, 1)
    xd = np.array([1.0, 2.0])
    expect = -np.sin(np.exp(np.sin(xd))) * np.exp(np.sin(xd)) * np.cos(xd)
    np.testing.assert_allclose(x.grad.numpy(), expect)


def test_inactive_hooks_leave_graph_alone():
    c = Counting()
    with saved_tensors_hooks(c.pack, c.unpack):
        pass
    assert not dispatch.instrumented and not dispatch.saved_hooks
    x = leaf([1.0, 2.0])
    y = cr.sin(x) * x
    assert not any(type(v) is Packed for v in y.grad_fn.saved)
    y.sum().backward()
    assert c.packs == c.unpacks == 0


def test_freed_graph_semantics_unchanged():
    c = Counting()
    x = leaf([1.0, 2.0])
    with saved_tensors_hooks(c.pack, c.unpack):
        y = (cr.sin(x) * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (np.cos([1.0, 2.0]) * [1, 2] + np.sin([1, 2.0])))
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def mlp_grads(ctx=None, count=None):
    rng = np.random.default_rng(1)
    x = cr.tensor(rng.normal(size=(8, 5)))
    ws = [leaf(rng.normal(size=s) / 2) for s in [(5, 16), (16, 16), (16, 1)]]

    def forward():
        h = x
        for w in ws[:-1]:
            h = cr.tanh(h @ w)
        return ((h @ ws[-1]) ** 2).mean()

    if ctx is None:
        loss = forward()
    else:
        with ctx as d:
            loss = forward()
            if count is not None:
                count.append(len(os.listdir(d)))
    loss.backward()
    return [w.grad.numpy() for w in ws]


def test_save_on_disk_mlp(tmp_path):
    ref = mlp_grads()
    files = []
    got = mlp_grads(save_on_disk(tmp_path), files)
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)
    assert files[0] >= 6
    gc.collect()
    assert os.listdir(tmp_path) == []


def test_save_on_disk_failing_backward_leaves_nothing(tmp_path):
    x = leaf(np.arange(6.0).reshape(2, 3))
    with save_on_disk(tmp_path) as d:
        y = (cr.tanh(x) * cr.exp(x)).sum()
        assert len(os.listdir(d)) > 0

    def bad(g):
        raise ValueError("boom")

    y.register_hook(bad)
    with pytest.raises(ValueError, match="boom"):
        y.backward()
    assert os.path.isdir(d)  # the graph still holds its saved files
    del y
    gc.collect()
    assert os.listdir(tmp_path) == []


def test_save_on_disk_failing_unpack(tmp_path):
    x = leaf([1.0, 2.0])
    with save_on_disk(tmp_path) as d:
        y = cr.sin(x).sum()
    for name in os.listdir(d):
        os.remove(os.path.join(d, name))  # the files vanish: unpacking raises
    with pytest.raises(OSError):
        y.backward()
    del y
    gc.collect()
    assert os.listdir(tmp_path) == []


def test_forward_over_reverse_packs_the_tangent_nodes_too():
    """A Hessian-vector product (forward over reverse) under the hooks: the nodes that the
    tangent computations record are packed as well, and the result is unchanged."""
    from chainrule.autograd import forward_ad as fwad

    def hvp():
        with fwad.dual_level():
            x = fwad.make_dual(cr.tensor([0.3, -0.7, 1.1], requires_grad=True),
                               cr.tensor([1.0, 2.0, -1.0]))
            y = (cr.tanh(x) * cr.sin(x)).sum()
            (g,) = cr.grad(y, [x])
            return fwad.unpack_dual(g).tangent.numpy()

    c = Counting()
    ref = hvp()
    with cr.autograd.graph.saved_tensors_hooks(c.pack, c.unpack):
        got = hvp()
    np.testing.assert_allclose(got, ref, rtol=1e-14)
    # tanh, sin and mul save 4 arrays; their tangent rules record nodes that save more. (The
    # primal nodes keep dual tensors for forward over reverse: those stay in memory.)
    assert c.packs > 4
