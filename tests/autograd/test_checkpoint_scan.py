"""checkpoint_scan: a loop differentiated with binomial (revolve) checkpointing gives the plain
loop's gradients, calls the step no more often than revolve predicts, and keeps memory low."""

import functools
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


def run(n, c, checkpointed, calls=None, xs_data=None):
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
        out = checkpoint_scan(step, s0, n, c, xs=xs)
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


def f_scan(v, n=7, c=2):
    return checkpoint_scan(lambda s: cr.sin(s) * 0.9 + 0.1 * s * s, v, n, c).sum()


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


def test_memory_grows_with_checkpoints_not_steps():
    got = {}
    for mode in ("ck", "plain"):
        res = subprocess.run([sys.executable, "-c", MEMORY, mode], capture_output=True,
                             text=True, check=True)
        peak, total = res.stdout.split()
        got[mode] = (int(peak), float(total))
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
