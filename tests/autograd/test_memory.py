"""Memory: training loops hold flat memory, backward frees what the forward pass saved, and
graphs die with their outputs (by reference counting, no garbage collector needed)."""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import chainrule as cr


@pytest.fixture
def no_gc():
    """Run with the cyclic garbage collector off: what is freed is freed by refcounting."""
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    if was:
        gc.enable()


def _mlp_step(X, Y, W1, b1, W2, lr=0.01):
    h = cr.tanh(X @ W1 + b1)
    out = h @ W2
    loss = ((out - Y) ** 2).mean()
    loss.backward()
    with cr.no_grad():
        for p in (W1, b1, W2):
            p -= lr * p.grad
            p.grad = None
    return loss.item()


def test_training_loop_memory_is_flat(no_gc):
    gen = cr.Generator(0)
    X, Y = cr.randn(16, 8, generator=gen), cr.randn(16, 1, generator=gen)
    W1 = (0.3 * cr.randn(8, 16, generator=gen)).requires_grad_()
    b1 = cr.zeros(16, requires_grad=True)
    W2 = (0.3 * cr.randn(16, 1, generator=gen)).requires_grad_()
    for _ in range(20):  # warm up caches outside the measurement
        _mlp_step(X, Y, W1, b1, W2)
    # A full collection also empties CPython's free lists (tuples, floats, ...), whose
    # filling-up would otherwise read as slow growth. Its count of unreachable objects shows
    # whether the steps left reference cycles behind (the collector is off in between).
    assert gc.collect() == 0
    tracemalloc.start()
    try:
        first = _mlp_step(X, Y, W1, b1, W2)
        for step in range(2, 1001):
            if step in (101, 901):
                assert gc.collect() == 0, "a training step created reference cycles"
                tracemalloc.reset_peak()
                if step == 101:
                    current_100, _ = tracemalloc.get_traced_memory()
            last = _mlp_step(X, Y, W1, b1, W2)  # nothing kept per step by the test itself
            if step == 200:
                _, peak_101_200 = tracemalloc.get_traced_memory()
        assert gc.collect() == 0
        current_1000, peak_901_1000 = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert last < first
    # A graph leaked per step would be ~10 kB each, 9 MB in all; numpy's small caches are less.
    assert current_1000 - current_100 < 32_000, (current_100, current_1000)
    assert peak_901_1000 - peak_101_200 < 32_000, (peak_101_200, peak_901_1000)


def test_backward_releases_saved_arrays(no_gc):
    x = cr.tensor(np.linspace(0, 1, 1000), requires_grad=True)
    y = cr.sin(x * 2)  # the product exists only as the array sin saved
    node = y.grad_fn
    assert node.saved is not None
    saved_ref = weakref.ref(node.saved[0])
    assert saved_ref() is not None
    y.sum().backward()
    assert node.saved is None
    assert saved_ref() is None  # freed although y and its graph are still alive
    assert y.grad_fn is node


def test_retain_graph_keeps_saved_arrays(no_gc):
    x = cr.tensor(np.linspace(0, 1, 10), requires_grad=True)
    y = cr.sin(x * 2)
    saved_ref = weakref.ref(y.grad_fn.saved[0])
    y.sum().backward(retain_graph=True)
    assert saved_ref() is not None
    y.sum().backward()
    assert saved_ref() is None


def test_mul_releases_both_saved_inputs(no_gc):
    a = cr.tensor(np.ones(100), requires_grad=True)
    b = cr.tensor(np.ones(100), requires_grad=True)
    y = (a * 3) * (b * 4)
    refs = [weakref.ref(s) for s in y.grad_fn.saved if isinstance(s, np.ndarray)]
    assert len(refs) == 2
    y.sum().backward()
    assert all(r() is None for r in refs)


def test_graph_freed_when_output_deleted(no_gc):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.exp(cr.sin(x) * x)
    fn_ref = weakref.ref(y.grad_fn)
    inner_ref = weakref.ref(y.grad_fn.next_functions[0][0])
    del y
    assert fn_ref() is None and inner_ref() is None


def test_graph_freed_after_backward_and_delete(no_gc):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    loss = (cr.tanh(x) ** 2).sum()
    ref = weakref.ref(loss.grad_fn)
    loss.backward()
    del loss
    assert ref() is None
    assert x.grad is not None


def test_retain_grad_does_not_keep_graph_alive(no_gc):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    ref_h, ref_node = weakref.ref(h), weakref.ref(h.grad_fn)
    (h * h).sum().backward()
    del h
    assert ref_h() is None and ref_node() is None


def test_leaf_is_not_kept_alive_by_its_graph(no_gc):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    ref = weakref.ref(x)
    del x
    assert ref() is None  # the graph refers to the leaf weakly
    y.sum().backward()  # and backward into a dead leaf is harmless


def test_create_graph_grad_is_freed_with_leaf(no_gc):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    ref_x, ref_fn = weakref.ref(x), weakref.ref(x.grad.grad_fn)
    del x
    assert ref_x() is None and ref_fn() is None


def test_no_graph_recorded_under_no_grad(no_gc):
    x = cr.tensor(np.ones(10), requires_grad=True)
    with cr.no_grad():
        y = cr.sin(x) * x
    assert y.grad_fn is None


def test_leaf_gradients_are_added_as_they_arrive():
    # Leaf nodes sort last in the engine; waiting for them would hold every parameter's
    # gradient until the end of backward (20 x 0.5 MB here). They are added at once instead.
    rng = np.random.default_rng(0)
    ws = [cr.tensor(rng.standard_normal((256, 256)) / 16, requires_grad=True) for _ in range(20)]
    for w in ws:
        w.grad = cr.zeros_like(w)  # the buffers exist: gradients are added in place
    h = cr.tensor(rng.standard_normal((4, 256)))
    for w in ws:
        h = cr.tanh(h @ w)
    loss = h.sum()
    tracemalloc.start()
    loss.backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    total = sum(w._data.nbytes for w in ws)
    assert peak < 0.3 * total, f"backward peaked at {peak} bytes for {total} bytes of gradients"
