"""Tensor.register_hook, handles and retain_grad, as in PyTorch (torch >= 2.0)."""

import numpy as np
import pytest
import torch

import chainrule as cr


def leaf(values):
    return cr.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def tleaf(values):
    return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_hook_on_leaf_sees_grad_and_can_replace_it():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    (x * 3).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])

    y = leaf([1.0, 2.0])
    y.register_hook(lambda g: g * 2)
    (y * 3).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 6.0])


def test_hook_receives_tensor():
    x = leaf([1.0])
    kinds = []
    x.register_hook(lambda g: kinds.append(type(g)))
    (x * 2).sum().backward()
    assert kinds == [cr.Tensor]


def test_hook_on_non_leaf_replacing_grad_changes_upstream():
    x, xt = leaf([1.0, 2.0]), tleaf([1.0, 2.0])
    h, ht = x * x, xt * xt
    h.register_hook(lambda g: g * 10)
    ht.register_hook(lambda g: g * 10)
    (h * 3).sum().backward()
    (ht * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    np.testing.assert_allclose(x.grad.numpy(), [60.0, 120.0])
    assert h.grad is None


def test_hooks_run_in_registration_order_and_chain():
    x = leaf([1.0])
    order = []

    def first(g):
        order.append(("first", g.item()))
        return g + 1

    def second(g):
        order.append(("second", g.item()))
        return g * 10

    x.register_hook(first)
    x.register_hook(second)
    (x * 2).sum().backward()
    assert order == [("first", 2.0), ("second", 3.0)]
    assert x.grad.item() == 30.0


def test_handle_remove():
    x = leaf([1.0])
    calls = []
    handle = x.register_hook(lambda g: calls.append(1) or g * 100)
    (x * 2).sum().backward()
    handle.remove()
    handle.remove()  # a second remove is harmless
    (x * 2).sum().backward()
    assert calls == [1]
    assert x.grad.item() == 200.0 + 2.0


def test_handle_as_context_manager():
    x = leaf([1.0])
    with x.register_hook(lambda g: g * 0):
        (x * 2).sum().backward()
    assert x.grad.item() == 0.0
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0


def test_removing_one_of_two_identical_hooks_keeps_the_other():
    x = leaf([1.0])
    double = lambda g: g * 2  # noqa: E731
    h1 = x.register_hook(double)
    x.register_hook(double)
    h1.remove()
    (x * 1).sum().backward()
    assert x.grad.item() == 2.0


@pytest.mark.parametrize("hook_first", [True, False])
def test_retain_grad_sees_hook_modified_grad(hook_first):
    x = leaf([1.0, 2.0])
    h = x * 1
    if hook_first:
        h.register_hook(lambda g: g * 10)
        h.retain_grad()
    else:
        h.retain_grad()
        h.register_hook(lambda g: g * 10)
    (h * 3).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [30.0, 30.0])
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])


def test_hooks_apply_in_autograd_grad():
    x, xt = leaf([1.0, 2.0]), tleaf([1.0, 2.0])
    x.register_hook(lambda g: g * 2)
    xt.register_hook(lambda g: g * 2)
    (g,) = cr.grad((x * 3).sum(), x)
    (gt,) = torch.autograd.grad((xt * 3).sum(), xt)
    np.testing.assert_allclose(g.numpy(), gt.numpy())

    h, ht = x * 1, xt * 1
    h.register_hook(lambda g: g * 10)
    ht.register_hook(lambda g: g * 10)
    (gh,) = cr.grad((h * 3).sum(), h)
    (ght,) = torch.autograd.grad((ht * 3).sum(), ht)
    np.testing.assert_allclose(gh.numpy(), ght.numpy())


def test_hook_with_backward_inputs_and_retain_grad():
    x = leaf([1.0, 2.0])
    h = x * 1
    h.retain_grad()
    h.register_hook(lambda g: g * 10)
    (h * 3).sum().backward(inputs=[h])
    np.testing.assert_allclose(h.grad.numpy(), [30.0, 30.0])
    assert x.grad is None


def test_hook_on_tensor_without_grad_errors():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.ones(2).register_hook(lambda g: g)


def test_hook_returning_wrong_shape_errors():
    x = leaf([1.0, 2.0])
    h = x * 1

    def bad(g):
        return cr.ones(3)

    h.register_hook(bad)
    with pytest.raises(RuntimeError, match="shape") as info:
        (h * 3).sum().backward()
    assert "bad" in str(info.value)


def test_hook_under_create_graph_gets_differentiable_grad():
    x = leaf([2.0])
    seen = []
    h = x * x
    h.register_hook(lambda g: seen.append(g.requires_grad))
    (g,) = cr.grad((h * x).sum(), x, create_graph=True)
    assert seen == [True]
    (g2,) = cr.grad(g.sum(), x)
    assert g2.item() == pytest.approx(6 * 2.0)


def test_hook_runs_once_per_backward_with_many_uses():
    x = leaf([1.0])
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    (x * x * x + x).sum().backward()
    assert calls == [4.0]
