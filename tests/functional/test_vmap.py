"""``chainrule.vmap`` against a Python loop over the batch.

Every check compares ``vmap(f)`` with ``np.stack([f(x_i) for x_i in batch])``: the values, the
gradients through it in both modes (``grad(vmap(f))``, ``jvp(vmap(f))``), the transforms inside
it (``vmap(grad(f))``, ``vmap(jacrev(f))``, ...) and around it (``jacrev(vmap(f))``, whose
Jacobian is block diagonal: example ``b``'s outputs depend on example ``b``'s inputs only).
Then: ``in_axes`` / ``out_axes`` in every position, nested vmap, the Tensor face, ``chunk_size``,
``randomness``, the per-example fallback and its warning, bad arguments, every primitive of the
primitive table, and per-sample gradients of the digits MLP and CNN (against the loop and
``torch.func.vmap(grad)``). Tolerance: 1e-12 relative to the largest entry (float64).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from tests.primitives.test_primitive_table import CASES

import chainrule as cr
import chainrule.nn.functional as F
import chainrule.numpy as cnp
from chainrule import func, nn
from chainrule._pytree import flatten, unflatten
from chainrule.primitives import REGISTRY
from chainrule.primitives._core import apply

RTOL = 1e-12
B = 4
RNG = np.random.default_rng(0)


def _np(x):
    return np.asarray(getattr(x, "_data", x))


def close(got, want, what="", rtol=RTOL):
    """Every leaf of ``got`` equals ``want``'s to ``rtol`` relative to its largest entry."""
    g_leaves, g_def = flatten(got)
    w_leaves, w_def = flatten(want)
    assert len(g_leaves) == len(w_leaves), (what, g_def, w_def)
    for g, w in zip(g_leaves, w_leaves):
        g, w = _np(g), _np(w)
        assert g.shape == w.shape, (what, g.shape, w.shape)
        scale = np.max(np.abs(w), initial=0.0)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * scale, err_msg=what)


def stack(results, axis=0):
    """The loop's results stacked leaf by leaf (the structure of one result)."""
    leaves = [flatten(r)[0] for r in results]
    _, tree = flatten(results[0])
    return unflatten(tree, [np.stack([_np(r[k]) for r in leaves], axis=axis)
                            for k in range(len(leaves[0]))])


def faces(got, one, what=""):
    """The leaves of ``vmap(T(f))``'s result whose type differs from ``T(f)``'s on one example,
    for a transform ``T``: NumPy in, NumPy out (docs/functional.md)."""
    g_leaves, w_leaves = flatten(got)[0], flatten(one)[0]
    return [(what, type(g).__name__, type(w).__name__) for g, w in zip(g_leaves, w_leaves)
            if isinstance(g, cr.Tensor) != isinstance(w, cr.Tensor)]


def loop(f, *xs):
    """``f`` on each example (axis 0 of every argument), stacked."""
    return stack([f(*(x[i] for x in xs)) for i in range(len(xs[0]))])


def block_diag(per, out_ndim):
    """The Jacobian of a batched function from the per-example Jacobians ``per`` (shape
    ``(B,) + O + I``): ``J[b, o, c, i] = (b == c) per[b, o, i]``."""
    per = _np(per)
    b = per.shape[0]
    out_shape, in_shape = per.shape[1:1 + out_ndim], per.shape[1 + out_ndim:]
    full = np.zeros((b,) + out_shape + (b,) + in_shape, per.dtype)
    for k in range(b):
        idx = (k,) + (slice(None),) * out_ndim + (k,)
        full[idx] = per[k]
    return full


def check(f, *xs, second=True):
    """``vmap(f)`` over axis 0 of every argument equals the loop: values, ``grad`` of it,
    ``jvp`` of it, ``vmap(grad)``, ``vmap(jvp)`` and (with ``second``) ``jacrev``/``jacfwd``
    of it and of ``vmap(hessian)``."""
    vf = cr.vmap(f)
    want = loop(f, *xs)
    got = vf(*xs)
    close(got, want, "values")
    wrong_face = []
    out = _np(want)
    w = RNG.standard_normal(out.shape)
    argnums = tuple(range(len(xs)))

    # reverse mode through vmap: the sum separates over examples
    g = cr.grad(lambda *a: cnp.sum(cr.vmap(f)(*a) * w), argnums=argnums)(*xs)
    per = [cr.grad(lambda *a, i=i: cnp.sum(f(*a) * w[i]), argnums=argnums)(*(x[i] for x in xs))
           for i in range(len(xs[0]))]
    close(g, stack(per), "grad(vmap(f))")

    # forward mode through vmap
    ts = tuple(RNG.standard_normal(np.shape(x)) for x in xs)
    value, tangent = func.jvp(vf, xs, ts)
    per = [func.jvp(f, tuple(x[i] for x in xs), tuple(t[i] for t in ts))
           for i in range(len(xs[0]))]
    close(value, stack([p[0] for p in per]), "jvp(vmap(f)) value")
    close(tangent, stack([p[1] for p in per]), "jvp(vmap(f)) tangent")

    # transforms inside vmap: an unbatched weight per output entry
    w0 = RNG.standard_normal(out.shape[1:])

    def scalar(*a):
        return cnp.sum(f(*a) * w0)

    close(cr.vmap(cr.grad(scalar, argnums=argnums))(*xs), loop(cr.grad(scalar, argnums), *xs),
          "vmap(grad(f))")
    close(cr.vmap(lambda *a: func.jvp(f, a, tuple(np.ones(np.shape(x)) for x in a))[1])(*xs),
          loop(lambda *a: func.jvp(f, a, tuple(np.ones(np.shape(x)) for x in a))[1], *xs),
          "vmap(jvp(f))")
    if not second:
        assert not wrong_face, wrong_face
        return
    x0 = xs[0]
    rest = xs[1:]

    def f0(x, *r):
        return f(x, *r)

    ones = out.ndim - 1
    per_rev = loop(lambda x, *r: func.jacrev(f0)(x, *r), x0, *rest)
    one = func.jacrev(f0)(x0[0], *(r[0] for r in rest))
    for name, jac in (("jacrev", func.jacrev), ("jacfwd", func.jacfwd)):
        got = cr.vmap(jac(f0))(x0, *rest)
        close(got, per_rev, f"vmap({name}(f))")
        wrong_face += faces(got, one, f"vmap({name}(f))")
    close(func.jacrev(cr.vmap(f0))(x0, *rest), block_diag(per_rev, ones), "jacrev(vmap(f))")
    close(func.jacfwd(cr.vmap(f0))(x0, *rest), block_diag(per_rev, ones), "jacfwd(vmap(f))")

    def s0(x, *r):
        return cnp.sum(f(x, *r) * w0)

    per_hess = loop(lambda x, *r: func.hessian(s0)(x, *r), x0, *rest)
    got = cr.vmap(func.hessian(s0))(x0, *rest)
    close(got, per_hess, "vmap(hessian(f))")
    wrong_face += faces(got, func.hessian(s0)(x0[0], *(r[0] for r in rest)),
                        "vmap(hessian(f))")
    summed = func.hessian(lambda x, *r: cnp.sum(cr.vmap(s0)(x, *r)))(x0, *rest)
    close(summed, block_diag(per_hess, x0.ndim - 1), "hessian(vmap(f))")
    assert not wrong_face, wrong_face  # last: the values above are checked first


def rand(*shape):
    return RNG.standard_normal(shape)


def spd(n, batch):
    a = RNG.standard_normal((batch, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


# --- families ---------------------------------------------------------------------------------
def test_elementwise():
    check(lambda x, y: cnp.sin(x) * cnp.exp(y) + x ** 2 / (1.5 + cnp.tanh(y)),
          rand(B, 3), rand(B, 3))


def test_broadcasting_against_unbatched_operands():
    c = rand(2, 3)
    check(lambda x: x * c + cnp.cos(x[None, :]) * c[:, :1], rand(B, 3))
    check(lambda x: cnp.maximum(x, c[0]) - cnp.where(x > 0, x, 2.0 * x), rand(B, 3),
          second=False)


def test_reductions():
    check(lambda x: cnp.stack([cnp.sum(x), cnp.mean(x), cnp.prod(x), cnp.max(x)]), rand(B, 2, 3))
    check(lambda x: cnp.sum(x ** 2, axis=0) + cnp.mean(x, axis=-1, keepdims=True)[:, 0].sum(),
          rand(B, 2, 3))
    check(lambda x: cnp.var(x, axis=1) * cnp.min(x, axis=1), rand(B, 2, 3), second=False)


def test_reshape_transpose_indexing():
    check(lambda x: cnp.reshape(x, (3, 2)).T * 2.0, rand(B, 2, 3))
    check(lambda x: cnp.transpose(x, (1, 0))[1:, ::-1], rand(B, 2, 3))
    idx = np.array([2, 0, 2])
    check(lambda x: x[0, idx] * x[:, 1].sum() + x.ravel()[4], rand(B, 2, 3))
    check(lambda x: cnp.broadcast_to(x[:, None], (3, 2, 3)).sum(axis=1), rand(B, 3, 3))


def test_matmul():
    m, v = rand(3, 4), rand(4)
    check(lambda a, b: a @ b, rand(B, 3, 4), rand(B, 4, 2))         # matrix, batched both
    check(lambda a, b: a @ b, rand(B, 3, 4), rand(B, 4))            # matrix-vector
    check(lambda a, b: a @ b, rand(B, 4), rand(B, 4))               # vector-vector
    check(lambda b: m @ b, rand(B, 4, 2))                           # batched on the right
    check(lambda a: a @ v, rand(B, 3, 4))                           # batched on the left
    check(lambda a: a @ m.T, rand(B, 4))                            # vector-matrix


def test_concatenate_and_stack():
    c = rand(1, 3)
    check(lambda x, y: cnp.concatenate([x, y, c], axis=0), rand(B, 2, 3), rand(B, 1, 3))
    check(lambda x, y: cnp.concatenate([x, y], axis=-1), rand(B, 2, 3), rand(B, 2, 1))
    check(lambda x, y: cnp.stack([x, y, c[0]], axis=1), rand(B, 3), rand(B, 3))


def test_linear_algebra():
    a, bvec = spd(3, B), rand(B, 3)
    check(lambda a, b: cnp.linalg.solve(a, b), a, bvec)
    check(lambda a: cnp.linalg.inv(a), a)
    check(lambda a: cnp.linalg.cholesky(a), a)
    check(lambda a: cnp.linalg.det(a) * cnp.ones(2), a)


def test_softmax_and_cross_entropy():
    y = np.array([1, 0, 3])
    check(lambda x: F.softmax(cr.as_tensor(x), dim=-1) * 1.0, rand(B, 3, 4))
    check(lambda x: F.cross_entropy(cr.as_tensor(x), y) * cnp.ones(1), rand(B, 3, 4))


def _mlp_params(rng, sizes=(5, 7, 3)):
    return {f"W{k}": rng.standard_normal((m, n)) / np.sqrt(n)
            for k, (n, m) in enumerate(zip(sizes[:-1], sizes[1:]))} | {
        f"b{k}": rng.standard_normal(m) for k, m in enumerate(sizes[1:])}


def _mlp_loss(p, x, y):
    h = cnp.tanh(p["W0"] @ x + p["b0"])
    logits = p["W1"] @ h + p["b1"]
    return cnp.sum((logits - y) ** 2) + 0.1 * cnp.sum(p["W0"] ** 2)


def test_mlp_loss():
    p = _mlp_params(np.random.default_rng(1))
    x, y = rand(B, 5), rand(B, 3)
    check(lambda x, y: _mlp_loss(p, x, y) * cnp.ones(1), x, y)
    # per-example gradients of the parameters: in_axes None for the parameter dict
    per = cr.vmap(cr.grad(_mlp_loss), in_axes=(None, 0, 0))(p, x, y)
    close(per, stack([cr.grad(_mlp_loss)(p, x[i], y[i]) for i in range(B)]), "per-sample")
    assert per["W0"].shape == (B, 7, 5)


# --- in_axes / out_axes -----------------------------------------------------------------------
def test_in_axes_positions():
    f = lambda x, y: cnp.sin(x) @ y  # noqa: E731 - (3,) @ (3, 2)
    x, y = rand(B, 3), rand(3, 2)
    want = loop(lambda xi: f(xi, y), x)
    close(cr.vmap(f, in_axes=(0, None))(x, y), want, "in_axes (0, None)")
    close(cr.vmap(f, in_axes=(1, None))(x.T.copy(), y), want, "in_axes 1")
    close(cr.vmap(f, in_axes=(-1, None))(x.T.copy(), y), want, "in_axes -1")
    y3 = rand(3, B, 2)  # batched in the middle
    close(cr.vmap(f, in_axes=(0, 1))(x, y3),
          stack([f(x[i], y3[:, i]) for i in range(B)]), "in_axes (0, 1)")
    close(cr.vmap(f, in_dims=(0, None))(x, y), want, "in_dims (PyTorch spelling)")
    # gradients through a non-zero in_axes
    g = cr.grad(lambda xt: cnp.sum(cr.vmap(f, in_axes=(1, None))(xt, y)))(x.T.copy())
    close(g, stack([cr.grad(lambda xi: cnp.sum(f(xi, y)))(x[i]) for i in range(B)]).T,
          "grad, in_axes 1")


def test_in_axes_pytrees():
    x, y = rand(B, 3), rand(3)
    d = {"a": x, "b": y, "c": (rand(2, B), 2.0)}

    def f(d):
        return d["a"] * d["b"] + d["c"][0].sum() * d["c"][1]

    got = cr.vmap(f, in_axes=({"a": 0, "b": None, "c": (1, None)},))(d)
    want = stack([f({"a": x[i], "b": y, "c": (d["c"][0][:, i], 2.0)}) for i in range(B)])
    close(got, want, "dict in_axes")
    # one int for a whole container
    got = cr.vmap(lambda t: t[0] + t[1], in_axes=0)((x, x * 2))
    close(got, 3 * x, "an int over a tuple")
    # a dict output keeps its structure
    got = cr.vmap(lambda x: {"s": cnp.sum(x), "x": x * 2})(x)
    close(got, {"s": x.sum(axis=1), "x": 2 * x}, "dict output")


def test_out_axes():
    x, y = rand(B, 3), rand(2)
    f = lambda x, y: (cnp.outer(x, y), cnp.sum(y ** 2))  # noqa: E731
    per = [f(x[i], y) for i in range(B)]
    got = cr.vmap(f, in_axes=(0, None), out_axes=(1, None))(x, y)
    close(got[0], np.stack([_np(p[0]) for p in per], axis=1), "out_axes 1")
    close(got[1], _np(per[0][1]), "out_axes None")
    got = cr.vmap(f, in_axes=(0, None), out_dims=(0, None))(x, y)
    close(got[0], np.stack([_np(p[0]) for p in per]), "out_dims 0")
    got = cr.vmap(lambda x: x * 2, out_axes=-1)(rand(B, 3))
    assert got.shape == (3, B)


def test_nested_vmap():
    x = rand(3, B, 2)
    f = lambda v: cnp.sum(cnp.sin(v) * v)  # noqa: E731
    got = cr.vmap(cr.vmap(f))(x)
    close(got, np.array([[_np(f(x[i, j])) for j in range(B)] for i in range(3)]), "vmap(vmap)")
    # outer product: the inner maps the first argument, the outer the second
    a, b = rand(3, 2), rand(B, 2)
    g = lambda u, v: cnp.dot(u, v)  # noqa: E731
    got = cr.vmap(cr.vmap(g, in_axes=(0, None)), in_axes=(None, 0))(a, b)
    close(got, (a @ b.T).T, "outer product")
    # gradients through nested vmap, both modes
    gr = cr.grad(lambda x: cnp.sum(cr.vmap(cr.vmap(f))(x)))(x)
    close(gr, np.cos(x) * x + np.sin(x), "grad(vmap(vmap))")
    t = rand(*x.shape)
    close(func.jvp(cr.vmap(cr.vmap(f)), (x,), (t,))[1],
          np.sum((np.cos(x) * x + np.sin(x)) * t, axis=-1), "jvp(vmap(vmap))")


def test_compile_composes():
    f = lambda x: cnp.sum(cnp.tanh(x) ** 2)  # noqa: E731
    x = rand(B, 3)
    close(cr.compile(cr.vmap(cr.grad(f)))(x), loop(cr.grad(f), x), "compile(vmap(grad))")
    close(cr.vmap(cr.compile(f))(x), loop(f, x), "vmap(compile)")


def test_tensor_face():
    x = cr.tensor(rand(B, 3), requires_grad=True)
    w = cr.tensor(rand(3, 2), requires_grad=True)
    out = cr.vmap(lambda xi: cr.tanh(xi @ w), in_dims=0)(x)
    assert isinstance(out, cr.Tensor) and out.shape == (B, 2)
    (out ** 2).sum().backward()
    x2 = cr.tensor(_np(x), requires_grad=True)
    w2 = cr.tensor(_np(w), requires_grad=True)
    ref = cr.stack([cr.tanh(x2[i] @ w2) for i in range(B)])
    (ref ** 2).sum().backward()
    close(out.detach(), ref.detach(), "tensor values")
    close(x.grad, x2.grad, "x.grad")
    close(w.grad, w2.grad, "w.grad")


# --- chunk_size, randomness, fallback, errors ------------------------------------------------
def test_chunk_size_equals_unchunked():
    f = lambda x, y: cnp.linalg.solve(x, y) * cnp.sum(y)  # noqa: E731
    a, b = spd(3, 7), rand(7, 3)
    full = cr.vmap(f)(a, b)
    for k in (1, 2, 3, 7, 10):
        close(cr.vmap(f, chunk_size=k)(a, b), full, f"chunk_size={k}")
    g = cr.grad(lambda a: cnp.sum(cr.vmap(f, chunk_size=3)(a, b)))(a)
    close(g, cr.grad(lambda a: cnp.sum(cr.vmap(f)(a, b)))(a), "grad, chunked")


def _noisy(x):
    return x + cr.randn(*x.shape, dtype=np.float64)


def test_randomness_error_raises():
    with pytest.raises(Exception, match="(?i)random"):
        cr.vmap(_noisy)(rand(B, 3))


def test_randomness_different_and_same():
    x = np.zeros((B, 3))
    cr.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diff = _np(cr.vmap(_noisy, randomness="different")(x))
    assert diff.shape == (B, 3)
    assert all(not np.array_equal(diff[0], diff[i]) for i in range(1, B))
    same = _np(cr.vmap(_noisy, randomness="same")(x))
    assert same.shape == (B, 3)
    assert all(np.array_equal(same[0], same[i]) for i in range(1, B))
    assert not np.array_equal(same[0], diff[0])


def _branchy(x):
    if cnp.sum(x) > 0:  # Python control flow on a batched value
        return x * 2.0
    return -cnp.sin(x)


def test_fallback_warns_once_per_site_and_equals_the_loop():
    x = rand(6, 3)
    x[::2] = np.abs(x[::2])
    x[1::2] = -np.abs(x[1::2])  # both branches taken
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = cr.vmap(_branchy)(x)
    close(got, loop(_branchy, x), "fallback values")
    msgs = [str(w.message) for w in caught]
    assert len(msgs) == 1, msgs
    assert "vmap" in msgs[0] and "test_vmap.py" in msgs[0], msgs
    # gradients through the fallback
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = cr.grad(lambda x: cnp.sum(cr.vmap(_branchy)(x)))(x)
        gv = cr.vmap(cr.grad(lambda x: cnp.sum(_branchy(x))))(x)
    want = loop(cr.grad(lambda x: cnp.sum(_branchy(x))), x)
    close(g, want, "grad through the fallback")
    close(gv, want, "vmap(grad) through the fallback")


def test_item_falls_back():
    f = lambda x: x * float(cnp.sum(x))  # noqa: E731 - .item()-like read of a batched value
    x = rand(B, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = cr.vmap(f)(x)
    close(got, loop(f, x), "float() fallback")
    assert len(caught) == 1, [str(w.message) for w in caught]


def test_bad_in_axes_raise_clear_errors():
    f = lambda x, y: x + y  # noqa: E731
    with pytest.raises(ValueError, match="vmap"):
        cr.vmap(f)(rand(3, 2), rand(4, 2))             # batch sizes 3 and 4
    with pytest.raises(ValueError, match="vmap"):
        cr.vmap(f, in_axes=(2, 0))(rand(3, 2), rand(3, 2))  # axis 2 of a 2-d array
    with pytest.raises(ValueError, match="vmap"):
        cr.vmap(f, in_axes=(0, 0, 0))(rand(3, 2), rand(3, 2))  # three axes for two arguments
    with pytest.raises(ValueError, match="vmap"):
        cr.vmap(f, in_axes=(None, None))(rand(3, 2), rand(3, 2))  # nothing batched
    with pytest.raises(ValueError, match="vmap"):
        cr.vmap(lambda x: x, randomness="sometimes")(rand(3, 2))


# --- every primitive of the primitive table ---------------------------------------------------
def _is_float(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


PRIM_NAMES = sorted(n for n in CASES if any(_is_float(a) for a in CASES[n][0]))


def _prim_case(name):
    """``f`` of the case's float inputs (the others and the parameters fixed) and a batch of
    three: the inputs, and the inputs times 1 + 1e-3 u (u uniform in [-1, 1], fixed seeds)."""
    inputs, params = CASES[name]
    prim = REGISTRY[name]
    diff = [i for i, a in enumerate(inputs) if _is_float(a)]

    def f(*xs):
        full = list(inputs)
        for i, x in zip(diff, xs):
            full[i] = x
        return apply(prim, tuple(full), params)

    r = np.random.default_rng(len(name) * 7919 + sum(map(ord, name)))
    batch = [np.stack([inputs[i]] + [inputs[i] * (1 + 1e-3 * r.uniform(-1, 1, inputs[i].shape))
                                     for _ in range(2)]) for i in diff]
    return f, batch


@pytest.mark.parametrize("name", PRIM_NAMES)
@pytest.mark.filterwarnings("ignore:logm result may be inaccurate")
def test_every_primitive(name):
    """Values bit for bit (or to 1e-12), with the batch axis first, and last (``in_axes=-1``,
    ``out_axes=-1``)."""
    f, batch = _prim_case(name)
    want = loop(f, *batch)
    last = [np.moveaxis(b, 0, -1) for b in batch]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a primitive without a rule runs per example, warned
        got = cr.vmap(f)(*batch)
        got_last = cr.vmap(f, in_axes=-1, out_axes=-1)(*last)
    got_last = unflatten(flatten(got_last)[1],
                         [np.moveaxis(_np(g), -1, 0) for g in flatten(got_last)[0]])
    for what, result in (("in_axes 0", got), ("in_axes -1", got_last)):
        g_leaves, w_leaves = flatten(result)[0], flatten(want)[0]
        assert len(g_leaves) == len(w_leaves)
        for g, w in zip(g_leaves, w_leaves):
            g, w = _np(g), _np(w)
            assert g.shape == w.shape and g.dtype == w.dtype, (name, what, g.shape, w.shape)
            if not np.array_equal(g, w, equal_nan=True):
                scale = np.max(np.abs(w), initial=0.0)
                np.testing.assert_allclose(g, w, rtol=RTOL, atol=RTOL * scale,
                                           err_msg=f"{name}, {what}")


# Primitives of the table without a batching rule today: they run once per example inside the
# batched evaluation, with a warning (docs/functional.md lists them). The issue asks for a rule
# for every primitive: one added here must be removed from this set (the test below fails).
# SciPy's kernels for these take one matrix (or one banded system) at a time
NO_BATCHING_RULE = {"logm", "solve_banded", "solve_sylvester", "sqrtm"}


@pytest.mark.parametrize("name", PRIM_NAMES)
@pytest.mark.filterwarnings("ignore:logm result may be inaccurate")
def test_every_primitive_has_a_batching_rule(name):
    """vmap of the primitive runs by its rule (no per-example loop, no warning), except the
    primitives of NO_BATCHING_RULE, which warn once, naming themselves."""
    f, batch = _prim_case(name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cr.vmap(f)(*batch)
    looped = [str(w.message) for w in caught if "no batching rule" in str(w.message)
              or "cannot be traced" in str(w.message)]
    if name in NO_BATCHING_RULE:
        assert looped and all(name in m for m in looped), looped
    else:
        assert not looped, looped


def _floats(r, shape):
    return r.standard_normal(shape)


def _specials(r, shape):
    x = r.standard_normal(shape)
    x.flat[r.integers(0, x.size, 2)] = [np.inf, np.nan]
    return x


def _small_ints(r, shape):
    return r.integers(0, 4, shape)


def _bools(r, shape):
    return r.integers(0, 2, shape).astype(bool)


def _rounded(r, shape):
    return np.round(r.standard_normal(shape))


# The primitives the table leaves out (no derivative): per-example inputs drawn by the given
# functions (three draws make the batch: masks, orders and maxima move), and the parameters.
NONDIFF_CASES = {
    "argmax": (((_floats, (2, 3)),), (-1, False)),
    "argmin": (((_floats, (2, 3)),), (0, True)),
    "argpartition": (((_floats, (2, 4)),), (1, -1)),
    "argsort": (((_floats, (2, 3)),), (-1,)),
    "bitwise_and": (((_small_ints, (2, 3)), (_small_ints, (3,))), ()),
    "bitwise_or": (((_small_ints, (2, 3)), (_small_ints, (3,))), ()),
    "bitwise_xor": (((_small_ints, (2, 3)), (_small_ints, (3,))), ()),
    "cum_extremum_index": (((_floats, (2, 4)),), (-1, False)),
    "eq": (((_rounded, (2, 3)), (_rounded, (3,))), ()),
    "ne": (((_rounded, (2, 3)), (_rounded, (3,))), ()),
    "ge": (((_rounded, (2, 3)), (_rounded, (3,))), ()),
    "gt": (((_rounded, (2, 3)), (_rounded, (3,))), ()),
    "le": (((_rounded, (2, 3)), (_rounded, (3,))), ()),
    "lt": (((_rounded, (2, 3)), (_rounded, (3,))), ()),
    "invert": (((_bools, (2, 3)),), ()),
    "isfinite": (((_specials, (2, 3)),), ()),
    "isinf": (((_specials, (2, 3)),), ()),
    "isnan": (((_specials, (2, 3)),), ()),
    "signbit": (((_floats, (2, 3)),), ()),
    "isin": (((_small_ints, (2, 3)), (_small_ints, (2,))), ()),
    "logical_and": (((_bools, (2, 3)), (_bools, (3,))), ()),
    "logical_or": (((_bools, (2, 3)), (_bools, (3,))), ()),
    "logical_xor": (((_bools, (2, 3)), (_bools, (3,))), ()),
    "logical_not": (((_bools, (2, 3)),), ()),
    "median_index": (((_floats, (2, 5)),), (-1, False)),
    "mode_index": (((_rounded, (2, 5)),), (-1,)),
    "topk_index": (((_floats, (2, 5)),), (2, -1, True, False)),
    "stop_gradient": (((_floats, (2, 3)),), ()),
}
# Of those, without a batching rule today (they run once per example, warned)
NONDIFF_NO_RULE = {"mode_index"}  # its kernel loops over the rows in Python anyway


@pytest.mark.parametrize("name", sorted(NONDIFF_CASES))
def test_every_nondifferentiable_primitive(name):
    """vmap of each primitive the table leaves out equals the loop bit for bit, and runs by a
    batching rule (no warning) unless listed in NONDIFF_NO_RULE."""
    draws, params = NONDIFF_CASES[name]
    r = np.random.default_rng(sum(map(ord, name)))
    batch = [np.stack([draw(r, shape) for _ in range(3)]) for draw, shape in draws]
    prim = REGISTRY[name]

    def f(*xs):
        return apply(prim, xs, params)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = cr.vmap(f)(*batch)
    want = loop(f, *batch)
    g, w = _np(got), _np(want)
    assert g.dtype == w.dtype and np.array_equal(g, w, equal_nan=True), (name, g, w)
    looped = [str(m.message) for m in caught if "no batching rule" in str(m.message)
              or "cannot be traced" in str(m.message)]
    assert bool(looped) == (name in NONDIFF_NO_RULE), looped


PRIM_GRAD_NAMES = [n for n in PRIM_NAMES
                   if all(_np(o).dtype.kind in "fc"
                          for o in flatten(REGISTRY[n].impl(*CASES[n][0], *CASES[n][1]))[0])]


def _real(y):
    return cnp.real(y) if _np(y).dtype.kind == "c" else y


@pytest.mark.parametrize("name", PRIM_GRAD_NAMES)
@pytest.mark.filterwarnings("ignore:logm result may be inaccurate")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the per-example fallback's warning
def test_every_primitive_derivatives(name):
    """grad(vmap(f)), jvp(vmap(f)) and vmap(grad(f)) equal the loop's, for ``f`` the
    primitive's (real part of its) outputs weighted and summed per example."""
    f, batch = _prim_case(name)
    outs = flatten(loop(f, *batch))[0]
    r = np.random.default_rng(sum(map(ord, name)))
    ws = [r.standard_normal(_np(o).shape[1:]) for o in outs]

    def scalar(*xs):
        ys = flatten(f(*xs))[0]
        return sum(cnp.sum(_real(y) * w) for y, w in zip(ys, ws))

    argnums = tuple(range(len(batch)))
    want = loop(cr.grad(scalar, argnums=argnums), *batch)
    close(cr.vmap(cr.grad(scalar, argnums=argnums))(*batch), want, f"{name}: vmap(grad)")
    got = cr.grad(lambda *xs: cnp.sum(cr.vmap(scalar)(*xs)), argnums=argnums)(*batch)
    close(got, want, f"{name}: grad(vmap)")
    ts = tuple(r.standard_normal(x.shape).astype(x.dtype) for x in batch)
    _, tangent = func.jvp(cr.vmap(scalar), tuple(batch), ts)
    per = [func.jvp(scalar, tuple(x[i] for x in batch), tuple(t[i] for t in ts))[1]
           for i in range(len(batch[0]))]
    close(tangent, np.stack([_np(p) for p in per]), f"{name}: jvp(vmap)")


# --- per-sample gradients of the digits models ------------------------------------------------
def _digits_mlp(nn_):
    return nn_.Sequential(nn_.Linear(64, 128), nn_.ReLU(), nn_.Linear(128, 64), nn_.ReLU(),
                          nn_.Linear(64, 10))


def _digits_cnn(nn_):
    return nn_.Sequential(
        nn_.Conv2d(1, 32, 3, padding=1), nn_.ReLU(), nn_.MaxPool2d(2),
        nn_.Conv2d(32, 64, 3, padding=1), nn_.ReLU(), nn_.MaxPool2d(2),
        nn_.Flatten(), nn_.Linear(64 * 2 * 2, 10))


def _pair(make, x_shape, n=5):
    import torch

    torch.manual_seed(0)
    theirs = make(torch.nn).double()
    ours = make(nn).double()
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (n,) + x_shape)
    y = rng.integers(0, 10, n)
    return ours, theirs, x, y


@pytest.mark.parametrize("make, x_shape", [(_digits_mlp, (64,)), (_digits_cnn, (1, 8, 8))],
                         ids=["mlp", "cnn"])
def test_per_sample_grads_of_the_digits_models(make, x_shape):
    torch = pytest.importorskip("torch")
    ours, theirs, x, y = _pair(make, x_shape)
    per = func.per_sample_grads(ours, F.cross_entropy, cr.tensor(x), cr.tensor(y))
    params = {k: v.detach() for k, v in ours.named_parameters()}
    assert sorted(per) == sorted(params)

    def loss(p, xi, yi):
        return F.cross_entropy(func.functional_call(ours, p, (xi[None],)), yi[None])

    want = [cr.grad(loss)(params, cr.tensor(x[i]), cr.tensor(y[i:i + 1])[0])
            for i in range(len(x))]
    close(per, stack(want), "per_sample_grads against the loop")
    # chunked, and the recipe spelled out
    close(func.per_sample_grads(ours, F.cross_entropy, cr.tensor(x), cr.tensor(y),
                                chunk_size=2), per, "chunk_size=2")

    tparams = {k: v.detach() for k, v in theirs.named_parameters()}

    def tloss(p, xi, yi):
        return torch.nn.functional.cross_entropy(
            torch.func.functional_call(theirs, p, (xi[None],)), yi[None])

    tper = torch.func.vmap(torch.func.grad(tloss), in_dims=(None, 0, 0))(
        tparams, torch.tensor(x), torch.tensor(y))
    for k in tper:
        np.testing.assert_allclose(_np(per[k]), tper[k].numpy(), rtol=1e-10,
                                   atol=1e-12 * np.abs(tper[k].numpy()).max(), err_msg=k)


def test_per_sample_grads_refuses_batch_norm_in_training():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1)).double()
    x, y = rand(5, 3), rand(5, 1)
    with pytest.raises(RuntimeError, match="eval"):
        func.per_sample_grads(model, F.mse_loss, cr.tensor(x), cr.tensor(y))
    tracked = nn.Sequential(nn.Conv1d(1, 2, 1), nn.InstanceNorm1d(2, track_running_stats=True))
    with pytest.raises(RuntimeError, match="track_running_stats"):
        func.per_sample_grads(tracked.double(), lambda o, t: ((o - t) ** 2).mean(),
                              cr.tensor(rand(5, 1, 3)), cr.tensor(rand(5, 2, 3)))
    model.eval()
    per = func.per_sample_grads(model, F.mse_loss, cr.tensor(x), cr.tensor(y))
    params = {k: v.detach() for k, v in model.named_parameters()}
    want = [cr.grad(lambda p, xi, yi: F.mse_loss(func.functional_call(model, p, (xi[None],)),
                                                 yi[None]))(params, cr.tensor(x[i]),
                                                            cr.tensor(y[i]))
            for i in range(5)]
    close(per, stack(want), "eval-mode batch norm")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # layers whose primitives loop, warned
def test_per_sample_grads_of_normalisation_and_other_layers():
    """Every example of a model with layer, group and instance normalisation, batch
    normalisation (eval), dropout (eval), an embedding-free conv stack and attention-free
    activations: per_sample_grads equals the loop."""
    cr.manual_seed(0)
    model = nn.Sequential(
        nn.Conv1d(2, 4, 3, padding=1), nn.GroupNorm(2, 4), nn.GELU(),
        nn.InstanceNorm1d(4, affine=True), nn.Flatten(), nn.Linear(4 * 6, 8),
        nn.LayerNorm(8), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.Tanh(),
        nn.Linear(8, 3)).double()
    model.eval()
    x = rand(5, 2, 6)
    y = np.array([0, 2, 1, 1, 0])
    per = func.per_sample_grads(model, F.cross_entropy, cr.tensor(x), cr.tensor(y))
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(p, xi, yi):
        return F.cross_entropy(func.functional_call(model, p, (xi[None],)), yi[None])

    want = [cr.grad(loss)(params, cr.tensor(x[i]), cr.tensor(y[i:i + 1])[0]) for i in range(5)]
    close(per, stack(want), "per-sample gradients, normalisation layers")


def test_out_axes_none_of_a_batched_output_raises():
    with pytest.raises(ValueError, match="vmap"):
        cr.vmap(lambda x: x * 2, out_axes=None)(rand(3, 2))


def test_benchmark_variants_agree():
    """benchmarks/vmap.py (python benchmarks/run.py vmap) times the same per-sample gradients
    in every variant."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "bench_vmap", Path(__file__).parents[2] / "benchmarks" / "vmap.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    model, tmodel = bench.make_models()
    x, y = bench._data(6)
    fns = bench.cr_variants(model, x, y)
    if tmodel is not None:
        fns["torch.func"] = bench.torch_variant(tmodel, x, y)
    results = {name: f() for name, f in fns.items()}
    for name, r in results.items():
        assert bench.rel_err(r, results["cr loop"]) < 1e-5, name


def test_isin_with_batched_test_elements_under_compile_keeps_no_value():
    # the fast rule computes keys from values: while traced it runs example by example
    x1, t1 = np.array([[1.0, 2, 3], [4, 5, 6]]), np.array([[1.0, 5], [4, 6]])
    x2, t2 = np.array([[3.0, 2, 1], [6, 5, 4]]), np.array([[3.0, 9], [9, 9]])
    f = cr.vmap(lambda x, t: cr.isin(x, t))
    c = cr.compile(f)
    c(x1, t1)
    np.testing.assert_array_equal(c(x2, t2), np.stack([np.isin(a, b) for a, b in zip(x2, t2)]))
