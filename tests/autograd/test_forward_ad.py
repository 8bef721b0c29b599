"""Forward mode (``chainrule.autograd.forward_ad``): exact tangents through every kind of
operation, no tape, flat memory, agreement with torch.autograd.forward_ad, nested levels, and
the errors."""

import gc
import tracemalloc

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfwad
from tests.helpers import away_from_zero, distinct, positive, rand, to_numpy

import chainrule as cr
from chainrule.autograd import forward_ad as fwad


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# name: (function on tensors, inputs, expected tangent from (inputs, tangents) in NumPy).
# The tangent is given on every input.
OPS = {
    # elementwise, one input
    "neg": (lambda x: -x, [rand((2, 3))], lambda x, t: -t),
    "sin": (cr.sin, [rand((2, 3))], lambda x, t: np.cos(x) * t),
    "cos": (cr.cos, [rand((2, 3))], lambda x, t: -np.sin(x) * t),
    "tan": (cr.tan, [rand((2, 3), low=-1, high=1)], lambda x, t: t / np.cos(x) ** 2),
    "exp": (cr.exp, [rand((2, 3))], lambda x, t: np.exp(x) * t),
    "expm1": (cr.expm1, [rand((2, 3))], lambda x, t: np.exp(x) * t),
    "log": (cr.log, [positive((2, 3))], lambda x, t: t / x),
    "log1p": (cr.log1p, [positive((2, 3))], lambda x, t: t / (1 + x)),
    "sqrt": (cr.sqrt, [positive((2, 3))], lambda x, t: t / (2 * np.sqrt(x))),
    "tanh": (cr.tanh, [rand((2, 3))], lambda x, t: (1 - np.tanh(x) ** 2) * t),
    "sigmoid": (cr.sigmoid, [rand((2, 3))], lambda x, t: _sig(x) * (1 - _sig(x)) * t),
    "relu": (cr.relu, [away_from_zero((2, 3))], lambda x, t: (x > 0) * t),
    "abs": (cr.abs, [away_from_zero((2, 3))], lambda x, t: np.sign(x) * t),
    "square": (lambda x: x ** 2, [rand((2, 3))], lambda x, t: 2 * x * t),
    "cube": (lambda x: x ** 3, [rand((2, 3))], lambda x, t: 3 * x ** 2 * t),
    "clip": (lambda x: cr.clip(x, -1.0, 1.0), [distinct((2, 3), gap=0.3)],
             lambda x, t: ((x >= -1) & (x <= 1)) * t),
    # elementwise, two inputs, broadcasting
    "add": (lambda x, y: x + y, [rand((2, 3)), rand((3,), seed=1)],
            lambda x, y, tx, ty: tx + ty),
    "sub": (lambda x, y: x - y, [rand((2, 1)), rand((1, 3), seed=1)],
            lambda x, y, tx, ty: tx - ty),
    "mul": (lambda x, y: x * y, [rand((2, 3)), rand((3,), seed=1)],
            lambda x, y, tx, ty: tx * y + x * ty),
    "div": (lambda x, y: x / y, [rand((2, 3)), away_from_zero((2, 1), seed=1)],
            lambda x, y, tx, ty: tx / y - x * ty / y ** 2),
    "pow": (lambda x, y: x ** y, [positive((2, 3)), rand((3,), seed=1)],
            lambda x, y, tx, ty: y * x ** (y - 1) * tx + x ** y * np.log(x) * ty),
    "maximum": (cr.maximum, [rand((2, 3)), rand((2, 3), seed=1)],
                lambda x, y, tx, ty: np.where(x > y, tx, ty)),
    "where": (lambda x, y: cr.where(cr.tensor(np.array([True, False, True])), x, y),
              [rand((2, 3)), rand((2, 3), seed=1)],
              lambda x, y, tx, ty: np.where([True, False, True], tx, ty)),
    # reductions
    "sum": (cr.sum, [rand((2, 3))], lambda x, t: t.sum()),
    "sum_axis0": (lambda x: cr.sum(x, axis=0), [rand((2, 3))], lambda x, t: t.sum(0)),
    "sum_axis1_keepdims": (lambda x: cr.sum(x, axis=1, keepdims=True), [rand((2, 3))],
                           lambda x, t: t.sum(1, keepdims=True)),
    "mean": (lambda x: cr.mean(x, axis=1), [rand((2, 3))], lambda x, t: t.mean(1)),
    "prod": (lambda x: cr.prod(x, axis=1), [away_from_zero((2, 3))],
             lambda x, t: np.prod(x, 1) * np.sum(t / x, 1)),
    "amax": (lambda x: cr.amax(x, axis=1), [distinct((2, 3))],
             lambda x, t: t[np.arange(2), np.argmax(x, 1)]),
    "amin_all": (cr.amin, [distinct((2, 3))], lambda x, t: t.ravel()[np.argmin(x)]),
    "cumsum": (lambda x: cr.cumsum(x, 1), [rand((2, 3))], lambda x, t: np.cumsum(t, 1)),
    "logsumexp": (lambda x: cr.logsumexp(x, axis=1), [rand((2, 3))],
                  lambda x, t: np.sum(_softmax(x, 1) * t, 1)),
    "softmax": (lambda x: cr.softmax(x, axis=0), [rand((2, 3))],
                lambda x, t: _softmax(x, 0) * (t - np.sum(_softmax(x, 0) * t, 0))),
    # shape
    "reshape": (lambda x: cr.reshape(x, (3, 2)), [rand((2, 3))], lambda x, t: t.reshape(3, 2)),
    "transpose": (lambda x: x.T, [rand((2, 3))], lambda x, t: t.T),
    "permute": (lambda x: cr.permute(x, (2, 0, 1)), [rand((2, 3, 4))],
                lambda x, t: t.transpose(2, 0, 1)),
    "broadcast_to": (lambda x: cr.broadcast_to(x, (4, 2, 3)), [rand((2, 1))],
                     lambda x, t: np.broadcast_to(t, (4, 2, 3))),
    "flip": (lambda x: cr.flip(x, 1), [rand((2, 3))], lambda x, t: t[:, ::-1]),
    "unsqueeze_squeeze": (lambda x: cr.squeeze(cr.unsqueeze(x, 1) * 2.0), [rand((2, 3))],
                          lambda x, t: 2 * t),
    "concatenate": (lambda x, y: cr.concatenate([x, y, x], axis=0),
                    [rand((2, 3)), rand((1, 3), seed=1)],
                    lambda x, y, tx, ty: np.concatenate([tx, ty, tx], 0)),
    "stack": (lambda x, y: cr.stack([x, y], 1), [rand((2, 3)), rand((2, 3), seed=1)],
              lambda x, y, tx, ty: np.stack([tx, ty], 1)),
    "pad": (lambda x: cr.pad(x, ((1, 0), (0, 2))), [rand((2, 3))],
            lambda x, t: np.pad(t, ((1, 0), (0, 2)))),
    "swapaxes": (lambda x: cr.swapaxes(x, 0, 2), [rand((2, 3, 4))],
                 lambda x, t: np.swapaxes(t, 0, 2)),
    # linear algebra
    "matmul": (lambda a, b: a @ b, [rand((2, 3)), rand((3, 4), seed=1)],
               lambda a, b, ta, tb: ta @ b + a @ tb),
    "matvec": (lambda a, b: a @ b, [rand((2, 3)), rand((3,), seed=1)],
               lambda a, b, ta, tb: ta @ b + a @ tb),
    "vecvec": (lambda a, b: a @ b, [rand((3,)), rand((3,), seed=1)],
               lambda a, b, ta, tb: ta @ b + a @ tb),
    "batched_matmul": (lambda a, b: a @ b, [rand((2, 2, 3)), rand((3, 4), seed=1)],
                       lambda a, b, ta, tb: ta @ b + a @ tb),
    "einsum": (lambda a, b: cr.einsum("ij,jk->ik", a, b), [rand((2, 3)), rand((3, 4), seed=1)],
               lambda a, b, ta, tb: ta @ b + a @ tb),
    "einsum_trace": (lambda a: cr.einsum("ii->", a), [rand((3, 3))], lambda a, t: np.trace(t)),
    # indexing
    "getitem_int": (lambda x: x[1], [rand((2, 3))], lambda x, t: t[1]),
    "getitem_slice": (lambda x: x[:, ::2], [rand((2, 3))], lambda x, t: t[:, ::2]),
    "getitem_newaxis": (lambda x: x[None, :, 1], [rand((2, 3))], lambda x, t: t[None, :, 1]),
    "getitem_advanced": (lambda x: x[[1, 0, 1]], [rand((2, 3))], lambda x, t: t[[1, 0, 1]]),
    "getitem_mask": (lambda x: x[np.array([[True, False, True], [False, True, True]])],
                     [rand((2, 3))],
                     lambda x, t: t[np.array([[True, False, True], [False, True, True]])]),
    "take_along_axis": (lambda x: cr.take_along_axis(x, np.array([[2, 0], [1, 1]]), 1),
                        [rand((2, 3))],
                        lambda x, t: np.take_along_axis(t, np.array([[2, 0], [1, 1]]), 1)),
}


def _tangents_for(xs, seed=7):
    r = np.random.default_rng(seed)
    return [r.standard_normal(np.shape(x)) for x in xs]


@pytest.mark.parametrize("name", sorted(OPS))
def test_tangent_is_exact(name):
    fn, xs, expected = OPS[name]
    ts = _tangents_for(xs)
    with fwad.dual_level():
        duals = [fwad.make_dual(cr.tensor(x), cr.tensor(t)) for x, t in zip(xs, ts)]
        out = fn(*duals)
        primal, tangent = fwad.unpack_dual(out)
    np.testing.assert_allclose(to_numpy(primal), to_numpy(fn(*[cr.tensor(x) for x in xs])),
                               rtol=1e-15, atol=0)
    want = np.asarray(expected(*xs, *ts))
    assert tangent is not None
    assert tangent.shape == primal.shape == want.shape
    np.testing.assert_allclose(to_numpy(tangent), want, rtol=1e-12, atol=1e-14)
    # nothing required grad: forward mode recorded no graph, for the value or the tangent
    assert out.grad_fn is None and primal.grad_fn is None
    assert tangent.grad_fn is None and not tangent.requires_grad


@pytest.mark.parametrize("name", ["sin", "mul", "sum_axis0", "matmul", "getitem_advanced",
                                  "concatenate"])
def test_tangent_on_one_input_only(name):
    fn, xs, expected = OPS[name]
    ts = _tangents_for(xs)
    zeros = [np.zeros_like(t) for t in ts]
    with fwad.dual_level():
        args = [fwad.make_dual(cr.tensor(xs[0]), cr.tensor(ts[0]))] + \
            [cr.tensor(x) for x in xs[1:]]
        tangent = fwad.unpack_dual(fn(*args)).tangent
    want = expected(*xs, ts[0], *zeros[1:])
    np.testing.assert_allclose(to_numpy(tangent), want, rtol=1e-12, atol=1e-14)


def test_no_tape_through_a_long_program():
    x = cr.tensor(rand((4, 4)))
    with fwad.dual_level():
        d = fwad.make_dual(x, cr.tensor(np.eye(4)))
        y = d
        for _ in range(5):
            y = cr.tanh(y @ x + 1.0).T[::-1] * cr.sum(y, axis=0)
        p, t = fwad.unpack_dual(y)
    for z in (y, p, t):
        assert z.grad_fn is None and not z.requires_grad


def test_make_dual_on_a_tensor_that_requires_grad_keeps_reverse_mode():
    x = cr.tensor(rand((3,)), requires_grad=True)
    with fwad.dual_level():
        d = fwad.make_dual(x, cr.tensor(np.ones(3)))
        y = cr.sum(cr.sin(d) * d)
        t = fwad.unpack_dual(y).tangent
    xv = x._data
    assert float(to_numpy(t)) == pytest.approx(np.sum(np.cos(xv) * xv + np.sin(xv)), rel=1e-14)
    y.backward()
    np.testing.assert_allclose(to_numpy(x.grad), np.cos(xv) * xv + np.sin(xv), rtol=1e-14)


def test_python_scalars_and_numpy_constants_mix_with_duals():
    x = rand((3,))
    with fwad.dual_level():
        d = fwad.make_dual(cr.tensor(x), cr.tensor(np.ones(3)))
        y = 2.0 * d + np.arange(3.0) * d - 1.0 / d
        t = fwad.unpack_dual(y).tangent
    np.testing.assert_allclose(to_numpy(t), 2.0 + np.arange(3.0) + 1 / x ** 2, rtol=1e-14)


# --- memory ---------------------------------------------------------------------------------------
@pytest.fixture
def no_gc():
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    if was:
        gc.enable()


def _step(x, W):
    return cr.tanh(W @ x) * 0.3 + cr.sum(x, axis=0, keepdims=True) * 0.001 + x[::-1] * 0.25


def test_memory_does_not_grow_with_the_length_of_the_computation(no_gc):
    r = np.random.default_rng(0)
    W = cr.tensor(r.standard_normal((200, 200)) / 20)
    with fwad.dual_level():
        x = fwad.make_dual(cr.tensor(r.standard_normal((200, 5))),
                           cr.tensor(r.standard_normal((200, 5))))
        for _ in range(20):  # warm up caches outside the measurement
            x = _step(x, W)
        # A full collection empties CPython's free lists (whose filling-up would read as slow
        # growth) and counts the reference cycles left behind (the collector is off between).
        assert gc.collect() == 0
        tracemalloc.start()
        try:
            for i in range(1, 1001):
                if i in (101, 1000):
                    assert gc.collect() == 0, "forward-mode operations created reference cycles"
                    if i == 101:
                        start, _ = tracemalloc.get_traced_memory()
                        tracemalloc.reset_peak()
                x = _step(x, W)  # only the latest value is alive
            end, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        tangent = fwad.unpack_dual(x).tangent
    assert tangent is not None and np.all(np.isfinite(to_numpy(tangent)))
    # One step's arrays are ~8 kB each: a tape (or a tangent chain) kept alive would hold ~100 kB
    # per step, 90 MB over the 900 measured steps.
    assert end - start < 64_000, (start, end)
    assert peak - start < 400_000, (start, peak)


# --- against torch.autograd.forward_ad ------------------------------------------------------------
def _mlp(cr_or_torch, x, W1, b1, W2):
    lib = cr if cr_or_torch == "cr" else torch
    h = lib.tanh(x @ W1 + b1)
    return lib.sigmoid(h @ W2)


PROGRAMS = {
    "mlp": (lambda x, W1, b1, W2: _mlp("cr", x, W1, b1, W2),
            lambda x, W1, b1, W2: _mlp("torch", x, W1, b1, W2),
            [(4, 3), (3, 5), (5,), (5, 2)]),
    "log_softmax": (lambda x, y: cr.log_softmax(x * y, axis=1) + cr.logsumexp(x, axis=0),
                    lambda x, y: torch.log_softmax(x * y, dim=1) + torch.logsumexp(x, dim=0),
                    [(3, 3), (3,)]),
    "index_concat": (
        lambda x: cr.concatenate([x[:, :2] * x[:, 1:3], cr.exp(cr.flip(x, 0))[:, 1:]], axis=1),
        lambda x: torch.cat([x[:, :2] * x[:, 1:3], torch.exp(torch.flip(x, (0,)))[:, 1:]], dim=1),
        [(3, 4)]),
    "norm_div": (
        lambda x: cr.sqrt(cr.sum(x ** 2, axis=1)) / (1 + x[:, 0] ** 2) + cr.prod(x, axis=0)[1],
        lambda x: torch.sqrt(torch.sum(x ** 2, dim=1)) / (1 + x[:, 0] ** 2)
        + torch.prod(x, dim=0)[1],
        [(3, 4)]),
    "einsum_mean": (lambda a, b: cr.mean(cr.einsum("bij,bjk->bik", a, b) ** 2, axis=(0, 2)),
                    lambda a, b: torch.mean(torch.einsum("bij,bjk->bik", a, b) ** 2, dim=(0, 2)),
                    [(2, 3, 4), (2, 4, 2)]),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_agrees_with_torch_forward_ad(name):
    cr_fn, t_fn, shapes = PROGRAMS[name]
    xs = [rand(s, seed=k) for k, s in enumerate(shapes)]
    ts = _tangents_for(xs, seed=11)
    with fwad.dual_level():
        p, t = fwad.unpack_dual(cr_fn(*[fwad.make_dual(cr.tensor(x), cr.tensor(v))
                                        for x, v in zip(xs, ts)]))
    with tfwad.dual_level():
        tp, tt = tfwad.unpack_dual(t_fn(*[tfwad.make_dual(torch.tensor(x), torch.tensor(v))
                                          for x, v in zip(xs, ts)]))
    np.testing.assert_allclose(to_numpy(p), tp.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(to_numpy(t), tt.numpy(), rtol=1e-10, atol=1e-12)


# --- levels ---------------------------------------------------------------------------------------
def test_nested_levels_give_second_derivatives():
    x0, tx, ty = 0.7, 1.3, -0.4
    y0 = 1.1
    with fwad.dual_level() as outer:
        x = fwad.make_dual(cr.tensor(x0), cr.tensor(tx))
        with fwad.dual_level() as inner:
            assert inner != outer
            y = fwad.make_dual(cr.tensor(y0), cr.tensor(ty))
            z = cr.sin(x * y)
            t_inner = fwad.unpack_dual(z).tangent  # d/dy sin(xy) ty = x cos(xy) ty
            t_outer = fwad.unpack_dual(z, level=outer).tangent  # y cos(xy) tx
            assert float(to_numpy(t_outer)) == pytest.approx(y0 * np.cos(x0 * y0) * tx, rel=1e-14)
        assert float(to_numpy(t_inner)) == pytest.approx(x0 * np.cos(x0 * y0) * ty, rel=1e-14)
        # the inner tangent depends on x: its outer tangent is the mixed second derivative
        mixed = fwad.unpack_dual(t_inner).tangent
    want = (np.cos(x0 * y0) - x0 * y0 * np.sin(x0 * y0)) * tx * ty
    assert float(to_numpy(mixed)) == pytest.approx(want, rel=1e-13)


def test_forward_over_forward_same_variable():
    x0 = 0.3
    with fwad.dual_level():
        x = fwad.make_dual(cr.tensor(x0), cr.tensor(1.0))
        with fwad.dual_level():
            xx = fwad.make_dual(x, cr.tensor(1.0))
            d1 = fwad.unpack_dual(cr.exp(xx) * xx ** 2).tangent
        d2 = fwad.unpack_dual(d1).tangent
    assert float(to_numpy(d1)) == pytest.approx(np.exp(x0) * (x0 ** 2 + 2 * x0), rel=1e-14)
    assert float(to_numpy(d2)) == pytest.approx(np.exp(x0) * (x0 ** 2 + 4 * x0 + 2), rel=1e-14)


def test_no_perturbation_confusion_between_levels():
    # d/dx [x * (d/dy (x + y))] at x = 1 is 1
    with fwad.dual_level():
        x = fwad.make_dual(cr.tensor(1.0), cr.tensor(1.0))
        with fwad.dual_level():
            y = fwad.make_dual(cr.tensor(1.0), cr.tensor(1.0))
            inner = fwad.unpack_dual(x + y).tangent
        out = fwad.unpack_dual(x * inner).tangent
    assert float(to_numpy(out)) == 1.0


def test_tangents_of_a_closed_level_are_ignored():
    x = cr.tensor(rand((3,)))
    with fwad.dual_level():
        d = fwad.make_dual(x, cr.tensor(np.ones(3)))
        y = cr.sin(d)
    with fwad.dual_level():
        assert fwad.unpack_dual(y).tangent is None
        assert fwad.unpack_dual(cr.exp(y) * 2.0).tangent is None
    z = cr.sin(y) * 3.0  # outside any level: an ordinary tensor operation
    np.testing.assert_allclose(to_numpy(z), 3 * np.sin(np.sin(x._data)), rtol=1e-15)


def test_unpack_dual_of_a_plain_tensor_and_of_another_level():
    x = cr.tensor(rand((2,)))
    with fwad.dual_level() as outer:
        p, t = fwad.unpack_dual(x)
        assert t is None
        np.testing.assert_array_equal(to_numpy(p), x._data)
        d = fwad.make_dual(x, cr.tensor(np.ones(2)))
        with fwad.dual_level():
            assert fwad.unpack_dual(d).tangent is None  # its tangent is at the outer level
            np.testing.assert_array_equal(to_numpy(fwad.unpack_dual(d, level=outer).tangent),
                                          np.ones(2))


def test_make_dual_tangent_is_cast_to_the_primal_dtype():
    with fwad.dual_level():
        d = fwad.make_dual(cr.tensor(np.ones(2, dtype=np.float32)), cr.tensor(np.ones(2)))
        t = fwad.unpack_dual(cr.sin(d)).tangent
    assert t.dtype == np.float32


# --- errors ---------------------------------------------------------------------------------------
def test_make_dual_outside_a_level():
    with pytest.raises(RuntimeError, match="dual_level"):
        fwad.make_dual(cr.tensor(np.ones(2)), cr.tensor(np.ones(2)))


@pytest.mark.parametrize("primal, tangent", [((3,), (4,)), ((2, 3), (2,)), ((2, 3), (3, 2)),
                                             ((2, 3), ())])
def test_make_dual_wrong_tangent_shape(primal, tangent):
    with fwad.dual_level():
        with pytest.raises(ValueError, match=r"make_dual.*shape"):
            fwad.make_dual(cr.tensor(np.ones(primal)), cr.tensor(np.ones(tangent)))


def test_make_dual_of_an_integer_tensor():
    with fwad.dual_level():
        with pytest.raises(TypeError, match="make_dual.*int"):
            fwad.make_dual(cr.tensor(np.arange(3)), cr.tensor(np.ones(3)))


def test_exit_dual_level_errors():
    with pytest.raises(RuntimeError, match="no forward level"):
        fwad.exit_dual_level()
    with fwad.dual_level() as outer:
        inner = fwad.enter_dual_level()
        with pytest.raises(RuntimeError, match="innermost"):
            fwad.exit_dual_level(level=outer)
        fwad.exit_dual_level(level=inner)
