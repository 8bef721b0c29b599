"""Tensor.backward / autograd.backward: PyTorch's semantics, with torch as the oracle."""

import time

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import autograd


def leaf(values, dtype=np.float64):
    return cr.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def tleaf(values, dtype=torch.float64):
    return torch.tensor(np.asarray(values), dtype=dtype, requires_grad=True)


# --- the exact examples -------------------------------------------------------------------------
def test_readme_example_vector_backward():
    x = cr.tensor([1.0, 2, 3], requires_grad=True)
    y = x * 2
    y.backward(cr.ones(3))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    assert isinstance(x.grad, cr.Tensor)
    assert x.grad.grad_fn is None and not x.grad.requires_grad


def test_readme_example_two_leaves():
    a = cr.tensor([1.0, 2, 3], requires_grad=True)
    b = cr.tensor([4.0, 5, 6], requires_grad=True)
    c = a + b
    d = b * c
    d.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(b.grad.numpy(), [9.0, 12.0, 15.0])


def test_paper_linear_regression_loop():
    """The example of "Automatic differentiation in PyTorch" (Paszke et al., 2017)."""
    gen = cr.Generator(0)
    B, F = 1000, 10
    X = cr.randn(B, F, generator=gen)
    true_w = cr.randn(F, 1, generator=gen)
    Y = X @ true_w + 0.1 * cr.randn(B, 1, generator=gen)
    W = cr.zeros(F, 1, requires_grad=True)
    losses = []
    for _ in range(100):
        Yhat = X @ W
        assert Yhat.shape == Y.shape == (B, 1)
        loss = ((Yhat - Y) ** 2).mean()
        (dW,) = cr.grad(loss, W)
        assert dW.shape == W.shape
        with cr.no_grad():
            W -= 0.1 * dW
        assert W.is_leaf and W.requires_grad
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]
    assert losses[-1] < 0.02
    np.testing.assert_allclose(W.detach().numpy(), true_w.numpy(), atol=0.02)


def test_paper_linear_regression_loop_with_detach():
    gen = cr.Generator(1)
    X = cr.randn(1000, 10, generator=gen)
    Y = X @ cr.randn(10, 1, generator=gen)
    W = cr.zeros(10, 1, requires_grad=True)
    first = None
    for _ in range(100):
        loss = ((X @ W - Y) ** 2).mean()
        first = loss.item() if first is None else first
        (dW,) = cr.grad(loss, W)
        W = (W - 0.1 * dW).detach().requires_grad_()
    assert loss.item() < 1e-3 * first


# --- accumulation, leaves and non-leaves -----------------------------------------------------
def test_grad_accumulates_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_accumulation_does_not_alias_earlier_grad_objects():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    g1 = x.grad
    snapshot = g1.numpy().copy()
    (x * 3).sum().backward()
    # torch accumulates in place: the same object, now holding the sum
    np.testing.assert_allclose(x.grad.numpy(), 2 * snapshot)


def test_grad_of_leaf_is_fresh_array_not_alias_of_seed():
    x = leaf([1.0, 2.0])
    seed = cr.ones(2)
    y = x + 0
    y.backward(seed)
    x.grad.numpy()[...] = 7
    np.testing.assert_array_equal(seed.numpy(), [1.0, 1.0])


def test_non_leaf_grad_is_none_without_retain_grad():
    x = leaf([1.0, 2.0])
    h = x * 2
    y = (h * h).sum()
    y.backward()
    assert h.grad is None
    assert not h.retains_grad
    assert not h.is_leaf and x.is_leaf


def test_retain_grad_on_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    assert h.retains_grad
    y = (h * h).sum()
    y.backward(retain_graph=True)
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy())
    y.backward()
    np.testing.assert_allclose(h.grad.numpy(), 4 * h.detach().numpy())  # accumulates


def test_retain_grad_on_leaf_is_noop():
    x = leaf([1.0])
    x.retain_grad()
    assert not x.retains_grad  # torch: leaves report False
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0])


def test_retain_grad_on_tensor_without_grad_errors():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.ones(2).retain_grad()


# --- retain_graph -------------------------------------------------------------------------------
def test_second_backward_through_freed_graph_raises():
    x = leaf([0.5, 1.0])
    y = cr.sin(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()


def test_second_backward_works_with_retain_graph():
    x = leaf([0.5, 1.0])
    y = (cr.sin(x) * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    xt = tleaf([0.5, 1.0])
    yt = (torch.sin(xt) * xt).sum()
    yt.backward(retain_graph=True)
    yt.backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_graph_of_additions_only_backwards_twice():
    x = leaf([1.0, 2.0])
    y = x + x + 1.0
    y.backward(cr.ones(2))
    y.backward(cr.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_graph_saving_only_shapes_backwards_twice():
    # torch: SumBackward0 keeps only sizes (no SavedVariable), so a second backward works.
    x = leaf([1.0, 2.0])
    y = (x + x).reshape(2, 1).sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_freed_error_even_when_only_part_of_graph_saves():
    x = leaf([1.0, 2.0])
    y = x * x + x
    y.backward(cr.ones(2))
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward(cr.ones(2))


# --- create_graph: higher order ---------------------------------------------------------------
def test_grad_of_grad_example():
    x = cr.tensor(1.0, requires_grad=True)
    (g,) = cr.grad(x**2, x, create_graph=True)
    assert g.requires_grad
    (g2,) = cr.grad(g**3, x)
    assert g2.item() == pytest.approx(24.0)


def test_third_derivative_of_sin():
    xs = np.linspace(-2, 2, 7)
    x = leaf(xs)
    y = cr.sin(x).sum()
    (d1,) = cr.grad(y, x, create_graph=True)
    (d2,) = cr.grad(d1.sum(), x, create_graph=True)
    (d3,) = cr.grad(d2.sum(), x)
    np.testing.assert_allclose(d1.detach().numpy(), np.cos(xs))
    np.testing.assert_allclose(d2.detach().numpy(), -np.sin(xs))
    np.testing.assert_allclose(d3.numpy(), -np.cos(xs))


def test_third_derivative_of_power_via_backward_create_graph():
    xs = np.array([0.5, 1.5, -2.0])
    x = leaf(xs)
    (x**4).sum().backward(create_graph=True)
    g1 = x.grad
    assert g1.requires_grad
    np.testing.assert_allclose(g1.detach().numpy(), 4 * xs**3)
    (d2,) = cr.grad(g1.sum(), x, create_graph=True)
    np.testing.assert_allclose(d2.detach().numpy(), 12 * xs**2)
    (d3,) = cr.grad(d2.sum(), x)
    np.testing.assert_allclose(d3.numpy(), 24 * xs)


def test_fourth_order_matches_torch():
    xs = np.array([0.3, -0.7, 1.1])
    x, xt = leaf(xs), tleaf(xs)
    f = lambda m, v: (m.exp(v) * m.sin(v) / (1 + v * v)).sum()  # noqa: E731
    g, gt = f(cr, x), f(torch, xt)
    for _ in range(4):
        (g,) = cr.grad(g, x, create_graph=True)
        (gt,) = torch.autograd.grad(gt, xt, create_graph=True)
        np.testing.assert_allclose(g.detach().numpy(), gt.detach().numpy(), rtol=1e-10)
        g, gt = g.sum(), gt.sum()


def test_backward_create_graph_grad_is_differentiable():
    x = leaf([2.0])
    (x**3).sum().backward(create_graph=True)
    gx = x.grad
    x.grad = None
    gx.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [12.0])


def test_perturbation_confusion():
    # d/dx [x * d/dy (x + y)] at any x is 1
    x = cr.tensor(3.0, requires_grad=True)
    y = cr.tensor(5.0, requires_grad=True)
    (dy,) = cr.grad(x + y, y, create_graph=True)
    (dx,) = cr.grad(x * dy, x)
    assert dx.item() == 1.0


# --- inputs= -----------------------------------------------------------------------------------
def test_backward_inputs_accumulates_only_into_given():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a * b).sum().backward(inputs=[a])
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])
    assert b.grad is None


def test_backward_inputs_single_tensor_and_non_leaf():
    a = leaf([1.0, 2.0])
    h = a * 3
    y = (h * h).sum()
    y.backward(inputs=h)
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy())
    assert a.grad is None
    at = tleaf([1.0, 2.0])
    ht = at * 3
    (ht * ht).sum().backward(inputs=ht)
    np.testing.assert_allclose(h.grad.numpy(), ht.grad.numpy())


def test_backward_inputs_empty_errors():
    a = leaf([1.0])
    with pytest.raises(RuntimeError, match="empty"):
        (a * 2).sum().backward(inputs=[])


def test_autograd_backward_function_multiple_roots():
    x = leaf([1.0, 2.0])
    y1 = x * 2
    y2 = (x * x).sum()
    autograd.backward([y1, y2], [cr.ones(2), None])
    xt = tleaf([1.0, 2.0])
    torch.autograd.backward([xt * 2, (xt * xt).sum()], [torch.ones(2, dtype=torch.float64), None])
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


# --- graph topology -------------------------------------------------------------------------------
class _Counting:
    """Counts how often the engine calls a node (via a hook on the node's output)."""

    def __init__(self):
        self.calls = 0

    def __call__(self, g):
        self.calls += 1


def _counting_identity():
    """A primitive whose reverse rule counts its calls (one call per node run)."""
    from chainrule.primitives._core import Primitive, apply

    calls = []

    def rule(g):
        calls.append(1)
        return g

    prim = Primitive("counted", lambda x: x * 1.0, vjp=rule, jvp=lambda t: t)
    return (lambda x: apply(prim, (x,))), calls


def test_node_runs_once_however_many_paths_reach_it():
    ident, calls = _counting_identity()
    x = leaf([1.0, 2.0])
    h = ident(x)
    y = h
    for k in range(20):  # 2**20 paths from y down to h
        y = y * 0.5 + y * 0.5 + h * (k == 0)
    y.sum().backward()
    assert len(calls) == 1
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0] + np.ones(2))

    ident, calls = _counting_identity()
    a, b = ident(x), ident(x)
    (a * b + a + b * b).sum().backward()
    assert len(calls) == 2


def test_diamond_runs_each_node_once():
    x = leaf([1.0, 2.0])
    h = cr.sin(x)
    counter = _Counting()
    h.register_hook(counter)
    left, right = h * 2, h * 3
    y = (left + right).sum()
    y.backward()
    assert counter.calls == 1
    np.testing.assert_allclose(x.grad.numpy(), 5 * np.cos([1.0, 2.0]))


def test_tensor_used_many_times():
    x = leaf([0.5])
    counter = _Counting()
    h = x * 1.0
    h.register_hook(counter)
    y = h
    for _ in range(50):
        y = y + h * h
    y.sum().backward()
    assert counter.calls == 1
    np.testing.assert_allclose(x.grad.numpy(), [1 + 50 * 2 * 0.5])


def test_deep_diamond_lattice_matches_torch():
    xs = np.array([0.3, 0.9])
    x, xt = leaf(xs), tleaf(xs)

    def f(m, v):
        a, b = v, v * 2
        for _ in range(30):
            a, b = m.sin(a) + b, a * b * 0.5
        return (a + b).sum()

    f(cr, x).backward()
    f(torch, xt).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10)


def test_long_chain_no_recursion_error():
    x = cr.tensor(1.0, requires_grad=True)
    y = x
    t0 = time.perf_counter()
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    elapsed = time.perf_counter() - t0
    assert x.grad.item() == 1.0
    assert elapsed < 10, f"100,000-op chain took {elapsed:.1f}s"


def test_long_chain_freed_without_recursion_error():
    x = cr.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    del y  # dropping a deep graph must not overflow the C stack / raise RecursionError
    assert x.grad is None


# --- outputs, seeds, shapes, dtypes -------------------------------------------------------------
def test_gradient_broadcasting_sums_back_to_input_shape():
    a = leaf(np.arange(6.0).reshape(2, 3))
    b = leaf([10.0, 20.0, 30.0])
    c = leaf([[1.0], [2.0]])
    s = leaf(2.0)
    y = a * b + c - s
    y.backward(cr.ones(2, 3))
    at, bt, ct, st = (tleaf(v) for v in (a.detach().numpy(), [10.0, 20.0, 30.0],
                                          [[1.0], [2.0]], 2.0))
    (at * bt + ct - st).backward(torch.ones(2, 3, dtype=torch.float64))
    for mine, ref in ((a, at), (b, bt), (c, ct), (s, st)):
        assert mine.grad.shape == mine.shape
        np.testing.assert_allclose(mine.grad.numpy(), ref.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_grad_dtype_matches_leaf_dtype(dtype):
    x = cr.tensor([1.0, 2.0], dtype=dtype, requires_grad=True)
    y = (x * 2.5 + 1.0) ** 2 / 3.0
    assert y.dtype == dtype
    y.sum().backward()
    assert x.grad.dtype == dtype
    (g,) = cr.grad(cr.sin(x).sum(), x)
    assert g.dtype == dtype


def test_float32_leaf_mixed_with_float64_tensor_grad_is_float32():
    x = cr.tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    w = cr.tensor([3.0, 4.0], requires_grad=True)  # float64
    y = (x * w).sum()
    assert y.dtype == np.float64  # NumPy promotion
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


def test_scalar_backward_on_one_element_nonscalar():
    x = leaf([[2.0]])
    y = x * 3
    y.backward()  # torch: a 1-element tensor counts as scalar
    np.testing.assert_allclose(x.grad.numpy(), [[3.0]])


def test_backward_with_numpy_gradient_and_list():
    x = leaf([1.0, 2.0])
    (x * 2).backward(np.array([1.0, 0.5]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 1.0])


def test_backward_gradient_weights_match_torch():
    xs = np.array([[0.1, 0.2], [0.3, 0.4]])
    v = np.array([[1.0, -2.0], [0.5, 3.0]])
    x, xt = leaf(xs), tleaf(xs)
    (cr.tanh(x) @ x).backward(cr.tensor(v))
    (torch.tanh(xt) @ xt).backward(torch.tensor(v))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_backward_on_leaf_itself():
    x = leaf([1.0, 2.0])
    x.backward(cr.tensor([3.0, 4.0]))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


# --- error messages -----------------------------------------------------------------------------
def test_backward_non_scalar_without_gradient():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2
    with pytest.raises(RuntimeError) as info:
        y.backward()
    msg = str(info.value)
    assert "(3,)" in msg and "scalar" in msg
    assert ".sum()" in msg and "gradient" in msg


def test_backward_gradient_wrong_shape():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError) as info:
        (x * 2).backward(cr.ones(2))
    assert "(2,)" in str(info.value) and "(3,)" in str(info.value)


def test_backward_of_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.ones(2).sum().backward()


def test_backward_under_no_grad_result_has_no_graph():
    x = leaf([1.0])
    with cr.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


# --- corner cases -----------------------------------------------------------------------------
def test_backward_inputs_not_in_graph_leaves_grad_none():
    a, b = leaf([1.0]), leaf([1.0])
    (a * 2).sum().backward(inputs=[b])  # torch: no error, nothing accumulated
    assert a.grad is None and b.grad is None


def test_empty_and_zero_dim_tensors():
    x = leaf(np.zeros(0))
    x.sum().backward()
    assert x.grad.shape == (0,)
    s = cr.tensor(2.0, requires_grad=True)
    (s * 3).backward(gradient=cr.tensor(2.0))
    assert s.grad.shape == () and s.grad.item() == 6.0
    (s * 3).backward(2.0)  # a Python number as the gradient of a 0-d output
    assert s.grad.item() == 12.0


def test_detach_stops_gradient():
    x, xt = leaf([1.0, 2.0]), tleaf([1.0, 2.0])
    (x * x.detach() + cr.sin(x).detach()).sum().backward()
    (xt * xt.detach() + torch.sin(xt).detach()).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_no_grad_section_inside_graph_is_constant():
    x = leaf([3.0])
    with cr.no_grad():
        c = x * 2
    (x * c).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0])


def test_outputs_depending_on_each_other():
    x, xt = leaf([1.0, 2.0]), tleaf([1.0, 2.0])
    y1, y1t = x * 2, xt * 2
    y2, y2t = cr.exp(y1), torch.exp(y1t)
    autograd.backward([y1, y2], [cr.ones(2), cr.tensor([0.5, 0.25])])
    torch.autograd.backward([y1t, y2t], [torch.ones(2, dtype=torch.float64),
                                         torch.tensor([0.5, 0.25], dtype=torch.float64)])
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_piecewise_constant_ops_have_zero_grad_like_torch():
    xs = np.array([-1.5, 0.3, 2.7])
    x, xt = leaf(xs), tleaf(xs)
    (x.floor() + x.ceil() + x.round() + x.sign() + x.trunc() + x * 1).sum().backward()
    (xt.floor() + xt.ceil() + xt.round() + xt.sign() + xt.trunc() + xt * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_backward_in_threads_concurrently():
    import threading

    errors = []

    def work(seed):
        try:
            rng = np.random.default_rng(seed)
            for _ in range(100):
                xs = rng.standard_normal(3)
                x = leaf(xs)
                with cr.enable_grad():
                    (cr.sin(x) * x).sum().backward()
                expected = np.cos(xs) * xs + np.sin(xs)
                np.testing.assert_allclose(x.grad.numpy(), expected)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    with cr.no_grad():  # this thread's mode must not reach the workers
        for t in threads:
            t.join()
    assert not errors, errors
