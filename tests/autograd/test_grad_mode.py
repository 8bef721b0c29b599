"""Grad mode (no_grad, enable_grad, set_grad_enabled, inference_mode) and graph metadata."""

import threading

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import autograd


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    assert cr.is_grad_enabled()
    yield
    assert cr.is_grad_enabled(), "a test left grad mode off"


def leaf(values=(1.0, 2.0)):
    return cr.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# --- context managers ------------------------------------------------------------------------
def test_no_grad_context():
    x = leaf()
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = x * 2
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad():
    x = leaf()
    with cr.no_grad():
        with cr.enable_grad():
            assert cr.is_grad_enabled()
            y = x * 2
        assert not cr.is_grad_enabled()
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_no_grad_restores_mode_after_exception():
    with pytest.raises(ZeroDivisionError):
        with cr.no_grad():
            1 / 0
    assert cr.is_grad_enabled()


def test_nested_no_grad_restores_outer_state():
    with cr.no_grad():
        with cr.no_grad():
            pass
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()


def test_set_grad_enabled_as_function():
    x = leaf()
    cr.set_grad_enabled(False)
    try:
        assert not cr.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        cr.set_grad_enabled(True)
    assert (x * 2).requires_grad


@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_as_context_manager(mode):
    x = leaf()
    with cr.no_grad():
        with cr.set_grad_enabled(mode):
            assert cr.is_grad_enabled() is mode
            assert (x * 2).requires_grad is mode
        assert not cr.is_grad_enabled()


def test_set_grad_enabled_as_decorator_does_not_change_mode_at_definition():
    x = leaf()

    @cr.set_grad_enabled(False)
    def f(v):
        assert not cr.is_grad_enabled()
        return v * 2

    assert cr.is_grad_enabled()
    assert not f(x).requires_grad
    assert cr.is_grad_enabled()


def test_no_grad_and_enable_grad_as_decorators():
    x = leaf()

    @cr.no_grad()
    def off(v):
        return v * 2

    @cr.enable_grad()
    def on(v):
        return v * 2

    assert not off(x).requires_grad
    with cr.no_grad():
        assert on(x).requires_grad
    assert off.__name__ == "off"  # functools.wraps


def test_decorators_without_parentheses_like_torch():
    x = leaf()

    @cr.no_grad
    def off(v):
        return v * 2

    @cr.enable_grad
    def on(v):
        return v * 2

    @cr.inference_mode
    def inf(v):
        return v * 2

    assert not off(x).requires_grad
    assert not inf(x).requires_grad
    with cr.no_grad():
        assert on(x).requires_grad
    assert off.__name__ == "off"


def test_decorated_function_is_reentrant():
    calls = []

    @cr.no_grad()
    def rec(n):
        calls.append(cr.is_grad_enabled())
        if n:
            with cr.enable_grad():
                rec(n - 1)
                calls.append(cr.is_grad_enabled())

    rec(2)
    assert calls == [False, False, False, True, True]


def test_inference_mode():
    x = leaf()
    assert not autograd.is_inference_mode_enabled()
    with cr.inference_mode():
        assert autograd.is_inference_mode_enabled()
        assert not cr.is_grad_enabled()
        y = x * 2
    assert not y.requires_grad
    assert not autograd.is_inference_mode_enabled()
    with cr.inference_mode(False):
        assert (x * 2).requires_grad
    with cr.no_grad(), cr.inference_mode(False):
        assert not cr.is_grad_enabled()  # torch: inference_mode(False) does not enable grad

    @cr.inference_mode()
    def f(v):
        return v * 2

    assert not f(x).requires_grad


def test_no_grad_decorates_generator_functions():
    x = leaf()

    @cr.no_grad()
    def gen():
        for _ in range(2):
            received = yield x * 2
            assert received == "ok"
        return "done"

    g = gen()
    first = next(g)
    assert cr.is_grad_enabled()  # the caller's mode between steps
    second = g.send("ok")
    assert not first.requires_grad and not second.requires_grad
    with pytest.raises(StopIteration) as stop:
        g.send("ok")
    assert stop.value.value == "done"


def test_is_inference_mode_enabled_exported():
    assert cr.is_inference_mode_enabled is autograd.is_inference_mode_enabled


def test_grad_mode_is_thread_local():
    entered, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with cr.no_grad():
            seen["worker"] = cr.is_grad_enabled()
            entered.set()
            release.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert entered.wait(5)
        assert cr.is_grad_enabled()  # the worker's no_grad does not reach this thread
        assert (leaf() * 2).requires_grad
    finally:
        release.set()
        t.join()
    assert seen["worker"] is False


def test_new_thread_starts_with_grad_enabled():
    seen = {}

    def worker():
        seen["mode"] = cr.is_grad_enabled()

    with cr.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen["mode"] is True


def test_backward_inside_no_grad_still_computes_grads():
    x = leaf()
    y = (x * x).sum()
    with cr.no_grad():
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_grad_enabled_restored_after_failed_backward():
    x = leaf()

    def boom(g):
        raise ValueError("hook failed")

    h = x * 2
    h.register_hook(boom)
    with pytest.raises(ValueError, match="hook failed"):
        (h * 3).sum().backward()
    assert cr.is_grad_enabled()


# --- requires_grad, detach, leaves --------------------------------------------------------
def test_requires_grad_propagation():
    x, c = leaf(), cr.tensor([1.0, 1.0])
    assert not c.requires_grad
    assert (x + c).requires_grad and not (c + c).requires_grad
    assert not (x > 1).requires_grad  # comparisons carry no gradient
    assert (x > 1).dtype == np.bool_


def test_detach_shares_memory_and_cuts_graph():
    x = leaf()
    h = x * 2
    d = h.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert np.shares_memory(d.numpy(), h.detach().numpy())
    assert h.requires_grad  # detach() leaves the original as it was


def test_detach_in_place():
    x = leaf()
    h = x * 2
    out = h.detach_()
    assert out is h
    assert not h.requires_grad and h.is_leaf and h.grad_fn is None


def test_requires_grad_():
    x = cr.tensor([1.0, 2.0])
    assert x.requires_grad_() is x
    assert x.requires_grad and x.is_leaf
    x.requires_grad_(False)
    assert not x.requires_grad
    x.requires_grad = True
    assert x.requires_grad


def test_requires_grad_false_on_non_leaf_errors():
    h = leaf() * 2
    with pytest.raises(RuntimeError, match="leaf") as info:
        h.requires_grad_(False)
    assert "detach" in str(info.value)
    h.requires_grad_(True)  # allowed, a no-op (torch)
    assert h.requires_grad


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.uint8])
def test_requires_grad_on_integer_or_bool_errors(dtype):
    with pytest.raises(RuntimeError, match="floating point") as info:
        cr.tensor(np.ones(2, dtype=dtype), requires_grad=True)
    assert np.dtype(dtype).name in str(info.value)
    with pytest.raises(RuntimeError, match="floating point"):
        cr.tensor(np.ones(2, dtype=dtype)).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        cr.zeros(2, dtype=dtype, requires_grad=True)


def test_is_leaf():
    x = leaf()
    assert x.is_leaf and cr.ones(2).is_leaf
    assert not (x * 2).is_leaf
    with cr.no_grad():
        assert (x * 2).is_leaf


# --- grad_fn ------------------------------------------------------------------------------------
def test_grad_fn_names():
    x = leaf()
    assert "MulBackward" in (x * 2).grad_fn.name()
    assert (x * 2).grad_fn.name() == "MulBackward0"
    assert (x + 2).grad_fn.name() == "AddBackward0"
    assert (x / 2).grad_fn.name() == "DivBackward0"
    assert x.exp().grad_fn.name() == "ExpBackward0"
    assert x.sum().grad_fn.name() == "SumBackward0"
    assert "MulBackward0" in repr((x * 2).grad_fn)
    assert x.grad_fn is None


def test_grad_fn_next_functions():
    x, y = leaf(), leaf()
    z = x * y
    (n0, i0), (n1, i1) = z.grad_fn.next_functions
    assert n0.name() == "AccumulateGrad" == n1.name()
    assert i0 == i1 == 0
    assert n0.variable is x and n1.variable is y
    w = z + 2.0
    assert w.grad_fn.next_functions[0][0] is z.grad_fn
    assert w.grad_fn.next_functions[1] == (None, 0)
    # the same leaf used twice reaches the same AccumulateGrad node (as in torch)
    sq = x * x
    assert sq.grad_fn.next_functions[0][0] is sq.grad_fn.next_functions[1][0]


def test_next_functions_shape_matches_torch():
    x, xt = leaf(), torch.tensor([1.0, 2.0], requires_grad=True)
    mine = ((x * 2).exp() + x).grad_fn
    ref = ((xt * 2).exp() + xt).grad_fn

    def shape(fn):
        if fn is None:
            return None
        return (fn.name().split("::")[-1], tuple(shape(n) for n, _ in fn.next_functions))

    assert shape(mine) == shape(ref)
