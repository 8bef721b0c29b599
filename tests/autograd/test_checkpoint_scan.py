"""checkpoint_scan: a loop differentiated with binomial (revolve) checkpointing gives the plain
loop's gradients, calls the step no more often than revolve predicts, and keeps memory low."""

import functools
import gc
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd
from chainrule.utils.checkpoint import checkpoint_scan, revolve_recomputations


@functools.lru_cache(None)
def optimal(n, c):
    """The fewest recomputations, by dynamic programming over every split."""
    if n <= 1:
        return 0
    if c == 0:
        return 10**9
    return min(m + optimal(m, c) + optimal(n - m, c - 1) for m in range(1, n))


def test_schedule_is_optimal():
    for n in range(1, 45):
        for c in range(1, 9):
            assert revolve_recomputations(n, c) == optimal(n, c), (n, c)
    assert revolve_recomputations(10, 1) == 45  # every state recomputed from the start
    assert revolve_recomputations(10, 10) == 9  # each step but the last rerun once, taped


W0 = np.random.default_rng(0).normal(size=(4, 4)) / 2


def run(n, c, checkpointed, calls=None, xs_data=None, storage=None):
    x = cr.tensor(np.linspace(0.1, 1.0, 4), requires_grad=True)
    w = cr.tensor(W0, requires_grad=True)  # read from the closure

    def step(s, *x_i):
        if calls is not None:
            calls.append(1)
        b = s["b"] + x_i[0] if x_i else s["b"]
        return {"a": cr.tanh(s["a"] @ w) + 0.1 * b, "b": cr.sin(b) * s["a"]}

    s0 = {"a": x, "b": x * 2.0}
    xs = None if xs_data is None else cr.tensor(xs_data, requires_grad=True)
    if checkpointed:
        out = checkpoint_scan(step, s0, n, c, xs=xs, storage=storage)
    else:
        out = s0
        for i in range(n):
            out = step(out) if xs is None else step(out, xs[i])
    loss = (out["a"] ** 2).sum() + out["b"].sum()
    if calls is not None:
        calls.clear()
    loss.backward()
    return tuple(None if t is None else (0.0 if t.grad is None else t.grad.numpy())
                 for t in (x, w, xs))


@pytest.mark.parametrize("n, c", [(0, 3), (1, 1), (6, 1), (10, 3), (12, 12), (17, 4), (30, None)])
def test_gradients_equal_plain_loop_and_recompute_count(n, c):
    ref = run(n, c, False)
    calls = []
    got = run(n, c, True, calls)
    for a, b in zip(ref[:2], got[:2]):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
    slots = c if c is not None else int(np.ceil(np.sqrt(n)))
    assert len(calls) <= revolve_recomputations(n, slots)


def test_per_step_inputs():
    xs = np.random.default_rng(2).normal(size=(9, 4))
    ref, got = run(9, 3, False, xs_data=xs), run(9, 3, True, xs_data=xs)
    for a, b in zip(ref, got):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_closure_parameters_only():
    w = cr.tensor(W0, requires_grad=True)
    s0 = np.linspace(0.1, 1.0, 4)  # the state needs no gradient, the parameter does

    def step(s):
        return cr.tanh(s @ w)

    ref = s0
    for _ in range(8):
        ref = step(ref)
    g_ref = autograd.grad(ref.sum(), w)[0].numpy()
    g = autograd.grad(checkpoint_scan(step, s0, 8, 2).sum(), w)[0].numpy()
    np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-12)


def f_plain(v, n=7):
    for _ in range(n):
        v = cr.sin(v) * 0.9 + 0.1 * v * v
    return v.sum()


def f_scan(v, n=7, c=2, storage=None):
    return checkpoint_scan(lambda s: cr.sin(s) * 0.9 + 0.1 * s * s, v, n, c,
                           storage=storage).sum()


def test_functional_grad_vjp_second_order_and_forward_mode():
    x = np.linspace(-0.5, 0.7, 4)
    np.testing.assert_allclose(cr.grad(f_scan)(x), cr.grad(f_plain)(x), rtol=1e-12, atol=1e-12)
    _, pull = cr.vjp(f_scan, x)
    _, pull_ref = cr.vjp(f_plain, x)
    np.testing.assert_allclose(pull(1.0)[0], pull_ref(1.0)[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cr.hessian(f_scan)(x), cr.hessian(f_plain)(x),
                               rtol=1e-10, atol=1e-12)
    t = np.ones(4)
    np.testing.assert_allclose(cr.jvp(f_scan, (x,), (t,))[1], cr.jvp(f_plain, (x,), (t,))[1],
                               rtol=1e-12, atol=1e-12)


def test_tensor_face_grad_of_grad():
    x = cr.tensor(np.linspace(-0.5, 0.7, 4), requires_grad=True)
    y = cr.tensor(np.linspace(-0.5, 0.7, 4), requires_grad=True)
    g = autograd.grad(f_scan(x), x, create_graph=True)[0]
    g_ref = autograd.grad(f_plain(y), y, create_graph=True)[0]
    h = autograd.grad((g * g).sum(), x)[0].numpy()
    h_ref = autograd.grad((g_ref * g_ref).sum(), y)[0].numpy()
    np.testing.assert_allclose(h, h_ref, rtol=1e-10, atol=1e-12)


def test_bad_input():
    def step(s):
        return s

    with pytest.raises(ValueError, match="checkpoint_scan.*n_checkpoints"):
        checkpoint_scan(step, np.ones(2), 3, 0)
    with pytest.raises(ValueError, match="checkpoint_scan.*n_steps"):
        checkpoint_scan(step, np.ones(2), -1)
    with pytest.raises(TypeError, match="checkpoint_scan"):
        checkpoint_scan(step, np.ones(2), 2.5)
    with pytest.raises(ValueError, match="checkpoint_scan.*structure"):
        checkpoint_scan(lambda s: (s, s), cr.tensor(np.ones(2), requires_grad=True), 3)
    with pytest.raises(ValueError, match="checkpoint_scan.*structure"):
        checkpoint_scan(lambda s: s[:1], cr.tensor(np.ones(2), requires_grad=True), 3)
    with pytest.raises(ValueError, match="checkpoint_scan.*xs"):
        checkpoint_scan(lambda s, x: s + x, np.ones(2), 3, xs=np.ones((2, 2)))


MEMORY = textwrap.dedent("""
    import sys, tracemalloc
    import numpy as np
    import chainrule as cr
    from chainrule.utils.checkpoint import checkpoint_scan
    n, size, ck = 400, 20_000, sys.argv[1] == "ck"
    x = cr.tensor(np.linspace(0, 1, size), requires_grad=True)
    step = lambda s: s + 0.01 * cr.sin(s)
    tracemalloc.start()
    if ck:
        out = checkpoint_scan(step, x, n, 20)
    else:
        out = x
        for _ in range(n):
            out = step(out)
    out.sum().backward()
    print(tracemalloc.get_traced_memory()[1], float(x.grad.numpy().sum()))
""")


def peaks(script, modes):
    """{mode: (tracemalloc peak, gradient's sum)} of ``script`` run in a fresh process."""
    got = {}
    for mode in modes:
        res = subprocess.run([sys.executable, "-c", script, mode], capture_output=True,
                             text=True, check=True)
        peak, total = res.stdout.split()
        got[mode] = (int(peak), float(total))
    return got


def test_memory_grows_with_checkpoints_not_steps():
    got = peaks(MEMORY, ("ck", "plain"))
    assert got["ck"][1] == pytest.approx(got["plain"][1], rel=1e-12)
    assert got["ck"][0] * 5 <= got["plain"][0], got


def test_no_grad_just_runs():
    calls = []

    def step(s):
        calls.append(1)
        return s * 2.0

    x = cr.tensor(np.ones(3), requires_grad=True)
    with cr.no_grad():
        out = checkpoint_scan(step, x, 5, 2)
    assert not out.requires_grad and len(calls) == 5
    np.testing.assert_allclose(out.numpy(), 32.0)
    assert cr.checkpoint_scan is checkpoint_scan


def test_computed_per_step_inputs_and_deep_schedule():
    base = cr.tensor(np.linspace(0.0, 1.0, 12), requires_grad=True)

    def loss(ck, n_checkpoints):
        xs = cr.sin(base).reshape(12, 1) * 0.5  # computed, not a leaf: passed as an argument

        def step(s, x):
            return cr.tanh(s * 1.1 + x)

        s0 = np.full(3, 0.2)
        if ck:
            out = checkpoint_scan(step, s0, 12, n_checkpoints, xs=xs)
        else:
            out = s0
            for i in range(12):
                out = step(out, xs[i])
        return autograd.grad(out.sum(), base)[0].numpy()

    for c in (1, 2, 5):
        np.testing.assert_allclose(loss(True, c), loss(False, c), rtol=1e-12, atol=1e-12)


# --- storage="disk" / a directory: the checkpointed states in files -------------------------

def files_under(path):
    return sum(len(names) for _, _, names in os.walk(path))


@pytest.mark.parametrize("n, c", [(10, 3), (17, 4), (30, None)])
def test_disk_storage_gives_the_same_gradients(n, c, tmp_path):
    xs = np.random.default_rng(3).normal(size=(n, 4))
    ref = run(n, c, True, xs_data=xs)
    got = run(n, c, True, xs_data=xs, storage="disk")
    mine = run(n, c, True, xs_data=xs, storage=tmp_path)
    plain = run(n, c, False, xs_data=xs)
    for a, b, d, p in zip(ref, got, mine, plain):
        np.testing.assert_array_equal(b, a)  # the same arithmetic: bit for bit
        np.testing.assert_array_equal(d, a)
        np.testing.assert_allclose(b, p, rtol=1e-12, atol=1e-12)
    assert os.listdir(tmp_path) == []


def test_disk_storage_second_order(tmp_path):
    x = np.linspace(-0.5, 0.7, 4)
    h_ref = cr.hessian(f_plain)(x)
    np.testing.assert_allclose(cr.hessian(lambda v: f_scan(v, storage=tmp_path))(x), h_ref,
                               rtol=1e-10, atol=1e-12)
    t = cr.tensor(x, requires_grad=True)
    g = autograd.grad(f_scan(t, 9, 3, storage="disk"), t, create_graph=True)[0]
    h = autograd.grad((g * g).sum(), t)[0].numpy()
    y = cr.tensor(x, requires_grad=True)
    g_ref = autograd.grad(f_plain(y, 9), y, create_graph=True)[0]
    np.testing.assert_allclose(h, autograd.grad((g_ref * g_ref).sum(), y)[0].numpy(),
                               rtol=1e-10, atol=1e-12)
    gc.collect()
    assert os.listdir(tmp_path) == []


def test_disk_files_live_while_needed(tmp_path):
    w = cr.tensor(W0, requires_grad=True)
    counts = []

    def step(s):
        counts.append(files_under(tmp_path))
        return cr.tanh(s @ w)

    x = cr.tensor(np.linspace(0.1, 1.0, 4), requires_grad=True)
    out = checkpoint_scan(step, x, 20, 4, storage=tmp_path)
    (sub,) = os.listdir(tmp_path)  # one subdirectory per call
    assert files_under(tmp_path) == 4  # one file per stored state: the four slots
    counts.clear()
    loss = out.sum()
    loss.backward(retain_graph=True)  # files are read back, and kept for a second backward
    assert max(counts) >= 4 and files_under(tmp_path) == 4
    g1 = w.grad.numpy().copy()
    counts.clear()
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * g1, rtol=1e-12)
    assert max(counts) >= 4
    assert os.listdir(tmp_path) == []  # after the last backward: files and subdirectory gone
    # a graph dropped without backward takes its files with it
    out = checkpoint_scan(step, x, 20, 4, storage=tmp_path)
    assert files_under(tmp_path) == 4
    del out
    gc.collect()
    assert os.listdir(tmp_path) == []
    with cr.no_grad():  # nothing to differentiate: nothing written
        checkpoint_scan(step, x, 20, 4, storage=tmp_path)
    assert os.listdir(tmp_path) == []


def test_disk_storage_keeps_non_tensor_leaves_and_plain_arrays(tmp_path):
    w = cr.tensor(W0, requires_grad=True)

    def step(s):
        return {"a": cr.tanh(s["a"] @ w) * s["k"], "k": s["k"] * 1.0, "tag": s["tag"]}

    def loss(storage):
        s0 = {"a": np.linspace(0.1, 1.0, 4), "k": np.float64(0.9) * np.ones(4), "tag": "x"}
        out = checkpoint_scan(step, s0, 12, 3, storage=storage)
        assert out["tag"] == "x"
        return autograd.grad(out["a"].sum(), w)[0].numpy()

    np.testing.assert_array_equal(loss(tmp_path), loss(None))


def test_bad_storage(tmp_path):
    x = cr.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="checkpoint_scan: storage .*not an existing directory"):
        checkpoint_scan(lambda s: s * 2.0, x, 3, storage=tmp_path / "missing")
    with pytest.raises(TypeError, match="checkpoint_scan: storage must be"):
        checkpoint_scan(lambda s: s * 2.0, x, 3, storage=1)


DISK_MEMORY = textwrap.dedent("""
    import sys, tracemalloc
    import numpy as np
    import chainrule as cr
    from chainrule.utils.checkpoint import checkpoint_scan
    storage = None if sys.argv[1] == "memory" else "disk"
    x = cr.tensor(np.linspace(0, 1, 50_000), requires_grad=True)
    step = lambda s: s + 0.01 * cr.sin(s)
    tracemalloc.start()
    out = checkpoint_scan(step, x, 200, 20, storage=storage)
    out.sum().backward()
    print(tracemalloc.get_traced_memory()[1], float(x.grad.numpy().sum()))
""")


def test_disk_storage_lowers_peak_memory():
    got = peaks(DISK_MEMORY, ("memory", "disk"))
    assert got["disk"][1] == got["memory"][1]
    assert got["disk"][0] * 2 <= got["memory"][0], got


# --- a retained graph (vjp, retain_graph=True): the backward stays within the slots ---------

VJP_MEMORY = textwrap.dedent("""
    import sys, tracemalloc
    import numpy as np
    import chainrule as cr
    from chainrule import func
    from chainrule.utils.checkpoint import checkpoint_scan
    n, steps, c = 2000, 200, 50
    xs = np.stack([np.arange(steps), np.arange(steps) + 1.0], axis=1) / steps

    def f(y, w):
        return cr.concatenate([-w * y[n // 2:], w * y[: n // 2]])

    def step(s, x):  # RK4 for y' = f(y, w), w carried in the state
        y, w = s
        h = x[1] - x[0]
        k1 = f(y, w)
        k2 = f(y + h / 2 * k1, w)
        k3 = f(y + h / 2 * k2, w)
        k4 = f(y + h * k3, w)
        return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4), w

    def loss(w):
        y = checkpoint_scan(step, (np.ones(n), w), steps, c, xs=xs)[0]
        return (y ** 2 * np.arange(n)).sum()

    w = np.linspace(0.5, 1.5, n // 2)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    out, pull = func.vjp(loss, w)
    forward = tracemalloc.get_traced_memory()[1] - base
    (g,) = pull(np.float64(1.0))
    grad = tracemalloc.get_traced_memory()[1] - base
    print(forward, grad)
""")


def test_retained_backward_peak_under_twice_the_forward():
    """vjp keeps the graph for further pulls: its top-level segments must still give their
    states up as revolve does (before, each kept its state and its gradients: x2.7 at c=100)."""
    res = subprocess.run([sys.executable, "-c", VJP_MEMORY], capture_output=True, text=True,
                         check=True)
    forward, grad = map(int, res.stdout.split())
    assert grad < 2 * forward, (forward, grad)


def test_retained_graph_refills_dropped_states_bit_for_bit():
    w = cr.tensor(W0, requires_grad=True)
    calls = []

    def step(s):
        calls.append(1)
        noise = cr.rand(4) * 1e-3  # the refill must replay the random state too
        return cr.tanh(s @ w) + noise

    x = cr.tensor(np.linspace(0.1, 1.0, 4), requires_grad=True)
    out = checkpoint_scan(step, x, 30, 5)
    loss = (out ** 2).sum()
    g1 = autograd.grad(loss, (x, w), retain_graph=True)
    calls.clear()
    g2 = autograd.grad(loss, (x, w), retain_graph=True)
    second = len(calls)
    g3 = autograd.grad(loss, (x, w))
    for a, b, c in zip(g1, g2, g3):
        np.testing.assert_array_equal(b.numpy(), a.numpy())
        np.testing.assert_array_equal(c.numpy(), a.numpy())
    # the second pass reran the forward once (the last segment's start refilled from x)
    assert second <= revolve_recomputations(30, 5) + 30
    with pytest.raises(RuntimeError, match="second time|retain_graph"):
        autograd.grad(loss, (x, w))
    # a functional vjp (its graph retained) pulled twice; the closure needs no gradient here
    def step2(s):
        return cr.tanh(s @ W0) + cr.rand(4) * 1e-3

    _, pull = cr.func.vjp(lambda v: (checkpoint_scan(step2, v, 30, 5) ** 2).sum(),
                          np.linspace(0.1, 1.0, 4))
    first = pull(np.float64(1.0))[0]
    np.testing.assert_array_equal(pull(np.float64(1.0))[0], first)
    np.testing.assert_array_equal(pull(np.float64(1.0))[0], first)
