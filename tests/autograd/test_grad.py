"""chainrule.grad / autograd.grad: PyTorch's signature and semantics."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import autograd


def leaf(values, dtype=np.float64):
    return cr.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def tleaf(values):
    return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_top_level_grad_has_both_faces():
    # With tensors it is torch.autograd.grad; with a function, the functional transform.
    x = leaf([1.0, 2.0])
    (g,) = cr.grad((x**2).sum(), x)
    (g2,) = autograd.grad((x**2).sum(), x)
    np.testing.assert_allclose(g.numpy(), g2.numpy())
    np.testing.assert_allclose(cr.grad(lambda v: (v**2).sum())(np.array([1.0, 2.0])), [2.0, 4.0])


def test_grad_returns_tuple_and_leaves_dot_grad_untouched():
    x = leaf([1.0, 2.0])
    out = cr.grad((x * x).sum(), x)
    assert isinstance(out, tuple) and len(out) == 1
    np.testing.assert_allclose(out[0].numpy(), [2.0, 4.0])
    assert x.grad is None
    assert not out[0].requires_grad


def test_grad_wrt_several_inputs_matches_torch():
    a, b = leaf([1.0, 2.0]), leaf([[3.0], [4.0]])
    at, bt = tleaf([1.0, 2.0]), tleaf([[3.0], [4.0]])
    ga, gb = cr.grad((cr.exp(a) * b).sum(), [a, b])
    gat, gbt = torch.autograd.grad((torch.exp(at) * bt).sum(), [at, bt])
    assert ga.shape == (2,) and gb.shape == (2, 1)
    np.testing.assert_allclose(ga.numpy(), gat.numpy())
    np.testing.assert_allclose(gb.numpy(), gbt.numpy())


def test_grad_wrt_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h**2).sum()
    (gh,) = cr.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())
    assert h.grad is None and x.grad is None


def test_grad_same_input_twice():
    x = leaf([1.0, 2.0])
    g1, g2 = cr.grad((x * x).sum(), [x, x])
    np.testing.assert_allclose(g1.numpy(), [2.0, 4.0])
    np.testing.assert_allclose(g2.numpy(), [2.0, 4.0])


def test_multiple_outputs_with_grad_outputs():
    x = leaf([1.0, 2.0, 3.0])
    xt = tleaf([1.0, 2.0, 3.0])
    v1, v2 = np.array([1.0, -1.0, 2.0]), np.array(0.5)
    (g,) = cr.grad([cr.sin(x), (x * x).sum()], x, grad_outputs=[cr.tensor(v1), cr.tensor(v2)])
    (gt,) = torch.autograd.grad([torch.sin(xt), (xt * xt).sum()], xt,
                                grad_outputs=[torch.tensor(v1), torch.tensor(v2)])
    np.testing.assert_allclose(g.numpy(), gt.numpy())


def test_grad_outputs_count_mismatch():
    x = leaf([1.0])
    with pytest.raises((ValueError, RuntimeError), match="2 output"):
        cr.grad([x * 2, x * 3], x, grad_outputs=[cr.ones(1)])


def test_grad_outputs_wrong_shape():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="shape"):
        cr.grad(x * 2, x, grad_outputs=cr.ones(3))


def test_allow_unused():
    x, z = leaf([1.0]), leaf([2.0])
    y = (x * 2).sum()
    gx, gz = cr.grad(y, [x, z], allow_unused=True, retain_graph=True)
    np.testing.assert_allclose(gx.numpy(), [2.0])
    assert gz is None
    gx, gz = cr.grad(y, [x, z], materialize_grads=True)
    np.testing.assert_array_equal(gz.numpy(), [0.0])


def test_unused_input_errors():
    x, z = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        cr.grad((x * 2).sum(), [x, z])


def test_unused_input_when_only_reachable_through_non_differentiable_op():
    x = leaf([1.0, 2.0])
    y = leaf([3.0])
    mask = x > 1.5  # comparisons carry no gradient
    out = (cr.where(mask, y, 0.0)).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        cr.grad(out, x)


def test_input_that_does_not_require_grad_errors():
    x = leaf([1.0])
    c = cr.tensor([2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.grad((x * c).sum(), [x, c])


def test_output_that_does_not_require_grad_errors():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.grad(cr.ones(1).sum(), x)


def test_non_tensor_input_errors():
    x = leaf([1.0])
    with pytest.raises(TypeError, match="not a Tensor"):
        cr.grad((x * 2).sum(), [x, 3.0])


def test_grad_frees_graph_unless_retained():
    x = leaf([0.3])
    y = cr.sin(x).sum()
    cr.grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        cr.grad(y, x)
    y = cr.sin(x).sum()
    (g1,) = cr.grad(y, x, retain_graph=True)
    (g2,) = cr.grad(y, x)
    np.testing.assert_allclose(g1.numpy(), g2.numpy())


def test_create_graph_retains_graph_by_default():
    x = leaf([0.3])
    y = cr.sin(x).sum()
    (g,) = cr.grad(y, x, create_graph=True)
    (g_again,) = cr.grad(y, x)  # torch: retain_graph defaults to create_graph
    np.testing.assert_allclose(g.detach().numpy(), g_again.numpy())


def test_grad_does_not_run_unneeded_branches():
    x, w = leaf([1.0]), leaf([2.0])
    calls = []
    hw = w * 1.0
    hw.register_hook(lambda g: calls.append("w"))
    y = (x * 3 + hw).sum()
    cr.grad(y, x)
    assert calls == []


def test_hessian_vector_product_matches_torch():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    xs, v = rng.standard_normal(4), rng.standard_normal(4)
    x, xt = leaf(xs), tleaf(xs)
    f = lambda m, z, A: (m.tanh(A @ z) ** 2).sum()  # noqa: E731
    (g,) = cr.grad(f(cr, x, cr.tensor(A)), x, create_graph=True)
    (hv,) = cr.grad(g, x, grad_outputs=cr.tensor(v))
    (gt,) = torch.autograd.grad(f(torch, xt, torch.tensor(A)), xt, create_graph=True)
    (hvt,) = torch.autograd.grad(gt, xt, grad_outputs=torch.tensor(v))
    np.testing.assert_allclose(hv.numpy(), hvt.numpy(), rtol=1e-10)


def test_mixed_second_derivative():
    x, y = leaf(2.0), leaf(3.0)
    f = x**2 * y**3
    gx, gy = cr.grad(f, [x, y], create_graph=True)
    (gxy,) = cr.grad(gx, y, retain_graph=True)
    (gyx,) = cr.grad(gy, x)
    assert gxy.item() == pytest.approx(2 * 2.0 * 3 * 3.0**2)
    assert gyx.item() == pytest.approx(gxy.item())


def test_grad_float32_dtype_and_broadcast_shape():
    x = cr.tensor([[1.0, 2.0]], dtype=np.float32, requires_grad=True)
    b = cr.tensor(np.ones((3, 1)), dtype=np.float32, requires_grad=True)
    gx, gb = cr.grad((x * b).sum(), [x, b])
    assert gx.dtype == np.float32 and gb.dtype == np.float32
    assert gx.shape == (1, 2) and gb.shape == (3, 1)
    np.testing.assert_allclose(gx.numpy(), [[3.0, 3.0]])
    np.testing.assert_allclose(gb.numpy(), [[3.0]] * 3)


def test_grad_result_is_writable_independent_array():
    x = leaf([1.0, 2.0])
    (g,) = cr.grad((x + 0).sum(), x)  # the seed would flow straight through
    g.numpy()[...] = 5.0
    (g2,) = cr.grad((x + 0).sum(), x)
    np.testing.assert_array_equal(g2.numpy(), [1.0, 1.0])


def test_grad_of_scalar_output_nonscalar_error():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="scalar"):
        cr.grad(x * 2, x)


def test_grad_of_output_with_respect_to_itself():
    x = leaf([1.0, 2.0])
    (g,) = cr.grad(x, x, grad_outputs=cr.tensor([3.0, 4.0]))
    np.testing.assert_array_equal(g.numpy(), [3.0, 4.0])
    h = x * 2
    (g,) = cr.grad(h, h, grad_outputs=cr.ones(2))
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])


def test_grad_wrt_non_leaf_and_its_leaf_together():
    x, xt = leaf([1.0, 2.0]), tleaf([1.0, 2.0])
    h, ht = x * 2, xt * 2
    gh, gx = cr.grad((h * h).sum(), [h, x])
    ght, gxt = torch.autograd.grad((ht * ht).sum(), [ht, xt])
    np.testing.assert_allclose(gh.numpy(), ght.numpy())
    np.testing.assert_allclose(gx.numpy(), gxt.numpy())


def test_grad_outputs_as_numpy_and_float32_seed_for_float64_output():
    x = leaf([1.0, 2.0])
    (g,) = cr.grad(x * 3, x, grad_outputs=np.array([1.0, 2.0], dtype=np.float32))
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g.numpy(), [3.0, 6.0])
