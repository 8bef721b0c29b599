"""jvp, vjp and linearize: against central differences and torch.func on compositions of the
primitives, the dot-product test <u, J v> = <J^T u, v>, and linearize's single evaluation."""

import numpy as np
import pytest
import torch
import torch.func
from tests.helpers import distinct, positive, rand, to_numpy

import chainrule as cr
from chainrule.functional import jvp, linearize, vjp

# name: (chainrule function, torch function, input shapes)
CASES = {
    "sin_exp": (lambda x, y: cr.sin(x) * cr.exp(y),
                lambda x, y: torch.sin(x) * torch.exp(y), [(3, 4), (4,)]),
    "matmul": (lambda a, b: cr.tanh(a @ b) @ b.T,
               lambda a, b: torch.tanh(a @ b) @ b.T, [(3, 4), (4, 2)]),
    "matvec": (lambda a, x: cr.exp(a @ cr.sin(x)), lambda a, x: torch.exp(a @ torch.sin(x)),
               [(3, 4), (4,)]),
    "sum_axis": (lambda x: cr.sum(cr.sin(x) * x, axis=1) + cr.sum(x ** 2),
                 lambda x: torch.sum(torch.sin(x) * x, dim=1) + torch.sum(x ** 2), [(3, 4)]),
    "sum_keepdims": (lambda x: x / cr.sum(cr.exp(x), axis=0, keepdims=True),
                     lambda x: x / torch.sum(torch.exp(x), dim=0, keepdim=True), [(3, 4)]),
    "softmax": (lambda x: cr.softmax(x * x, axis=-1), lambda x: torch.softmax(x * x, dim=-1),
                [(3, 5)]),
    "softmax_axis0": (lambda x, y: cr.softmax(x, axis=0) * y,
                      lambda x, y: torch.softmax(x, dim=0) * y, [(4, 3), (3,)]),
    "getitem": (lambda x: x[1:, ::2] * x[0, :2] + cr.sin(x[2, 1]),
                lambda x: x[1:, ::2] * x[0, :2] + torch.sin(x[2, 1]), [(3, 4)]),
    "getitem_advanced": (lambda x: x[[0, 2, 2]] ** 2 + x[:, [1, 1, 3, 0]],
                         lambda x: x[[0, 2, 2]] ** 2 + x[:, [1, 1, 3, 0]], [(3, 4)]),
    "concatenate": (lambda x, y: cr.concatenate([cr.sin(x), x * y, cr.exp(y)[None]], axis=0),
                    lambda x, y: torch.cat([torch.sin(x), x * y, torch.exp(y)[None]], dim=0),
                    [(2, 3), (3,)]),
    "concatenate_axis1": (lambda x, y: cr.concatenate([x, cr.tanh(y)], axis=1) ** 2,
                          lambda x, y: torch.cat([x, torch.tanh(y)], dim=1) ** 2,
                          [(2, 3), (2, 2)]),
    "einsum": (lambda a, b: cr.einsum("ij,jk->ik", a, cr.sin(b)),
               lambda a, b: torch.einsum("ij,jk->ik", a, torch.sin(b)), [(2, 3), (3, 4)]),
    "einsum_rowdot": (lambda a, b: cr.einsum("ij,ij->i", a * a, b),
                      lambda a, b: torch.einsum("ij,ij->i", a * a, b), [(3, 4), (3, 4)]),
    "mixed": (lambda x, y: cr.logsumexp(x @ y, axis=0) * cr.sum(cr.sqrt(y * y + 1.0)),
              lambda x, y: torch.logsumexp(x @ y, dim=0) * torch.sum(torch.sqrt(y * y + 1.0)),
              [(3, 4), (4,)]),
}
NAMES = sorted(CASES)


def _inputs(name, seed=0):
    return [rand(s, seed=seed + k) for k, s in enumerate(CASES[name][2])]


def _tangents(shapes, seed):
    r = np.random.default_rng(seed)
    return [r.standard_normal(s) for s in shapes]


def _fd_jvp(f, xs, vs, eps=1e-6):
    """Central differences of f (chainrule, on tensors) along vs."""
    plus = f(*[cr.tensor(x + eps * v) for x, v in zip(xs, vs)])
    minus = f(*[cr.tensor(x - eps * v) for x, v in zip(xs, vs)])
    return (to_numpy(plus) - to_numpy(minus)) / (2 * eps)


def _t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


# --- jvp -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_jvp_matches_finite_differences(name):
    f = CASES[name][0]
    xs = _inputs(name)
    vs = _tangents(CASES[name][2], seed=100)
    out, tan = jvp(f, xs, vs)
    np.testing.assert_allclose(out, to_numpy(f(*[cr.tensor(x) for x in xs])), rtol=1e-14)
    np.testing.assert_allclose(tan, _fd_jvp(f, xs, vs), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_jvp_matches_torch(name):
    f, tf, shapes = CASES[name]
    xs = _inputs(name)
    vs = _tangents(shapes, seed=101)
    out, tan = jvp(f, tuple(xs), tuple(vs))
    t_out, t_tan = torch.func.jvp(tf, tuple(_t(x) for x in xs), tuple(_t(v) for v in vs))
    assert isinstance(out, (np.ndarray, np.generic)) and not isinstance(out, cr.Tensor)
    assert isinstance(tan, (np.ndarray, np.generic)) and np.shape(tan) == np.shape(out)
    np.testing.assert_allclose(out, t_out.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tan, t_tan.numpy(), rtol=1e-10, atol=1e-12)


def test_jvp_tensors_in_tensors_out():
    x, v = rand((3,), seed=1), rand((3,), seed=2)
    out, tan = jvp(cr.sin, (cr.tensor(x),), (cr.tensor(v),))
    assert isinstance(out, cr.Tensor) and isinstance(tan, cr.Tensor)
    np.testing.assert_allclose(to_numpy(tan), np.cos(x) * v, rtol=1e-15)
    out, tan = jvp(cr.sin, (x,), (v,))
    assert not isinstance(tan, cr.Tensor)
    out, tan = jvp(lambda x: x ** 3, (2.0,), (1.0,))
    assert float(out) == 8.0 and float(tan) == 12.0


def test_jvp_pytrees_and_has_aux():
    p = {"a": rand((2,), seed=3), "b": (rand((2,), seed=4), 0.5)}
    t = {"a": np.ones(2), "b": (np.array([1.0, -1.0]), 2.0)}

    def f(p):
        a, (b, c) = p["a"], p["b"]
        return {"s": a * b * c, "l": [cr.sum(a), cr.exp(b)]}, "aux"

    out, tan, aux = jvp(f, (p,), (t,), has_aux=True)
    assert aux == "aux"
    assert set(out) == {"s", "l"} and set(tan) == {"s", "l"} and isinstance(tan["l"], list)
    a, (b, c) = p["a"], p["b"]
    ta, (tb, tc) = t["a"], t["b"]
    np.testing.assert_allclose(out["s"], a * b * c)
    np.testing.assert_allclose(tan["s"], ta * b * c + a * tb * c + a * b * tc, rtol=1e-14)
    np.testing.assert_allclose(tan["l"][0], ta.sum(), rtol=1e-14)
    np.testing.assert_allclose(tan["l"][1], np.exp(b) * tb, rtol=1e-14)


def test_jvp_of_an_output_that_does_not_depend_on_the_input():
    out, tan = jvp(lambda x, y: cr.sin(y), (rand((2,)), rand((3,))), (np.ones(2), np.zeros(3)))
    np.testing.assert_array_equal(tan, np.zeros(3))


def test_jvp_errors():
    x = rand((3,))
    with pytest.raises(ValueError, match="jvp"):
        jvp(cr.sin, (x,), ())
    with pytest.raises(ValueError, match=r"shape"):
        jvp(cr.sin, (x,), (np.ones(4),))
    with pytest.raises(ValueError, match="structure"):
        jvp(lambda p: cr.sum(p[0]), ((x, x),), ((x,),))
    with pytest.raises(TypeError, match="int"):
        jvp(cr.sin, (np.arange(3),), (np.ones(3),))


# --- vjp -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_vjp_matches_finite_differences(name):
    f, _, shapes = CASES[name]
    xs = _inputs(name, seed=3)
    out, vjp_fn = vjp(f, *xs)
    u = np.random.default_rng(103).standard_normal(np.shape(out))
    got = vjp_fn(u)
    for k, x in enumerate(xs):
        want = np.zeros(x.shape)
        for i in np.ndindex(x.shape):  # (J^T u)_i = <u, d f / d x_i>
            e = [np.zeros(s) for s in shapes]
            e[k][i] = 1.0
            want[i] = np.sum(u * _fd_jvp(f, xs, e))
        np.testing.assert_allclose(got[k], want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_vjp_matches_torch_and_can_be_called_again(name):
    f, tf, shapes = CASES[name]
    xs = _inputs(name)
    out, vjp_fn = vjp(f, *xs)
    t_out, t_vjp_fn = torch.func.vjp(tf, *[_t(x) for x in xs])
    np.testing.assert_allclose(out, t_out.numpy(), rtol=1e-12, atol=1e-14)
    r = np.random.default_rng(102)
    us = [r.standard_normal(out.shape) for _ in range(2)]
    first = vjp_fn(us[0])
    for u in us + [us[0]]:
        ours = vjp_fn(u)
        theirs = t_vjp_fn(_t(u))
        assert isinstance(ours, tuple) and len(ours) == len(xs)
        for a, b, x in zip(ours, theirs, xs):
            assert type(a) is np.ndarray and a.shape == x.shape
            np.testing.assert_allclose(a, b.numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(first, vjp_fn(us[0])):  # the same cotangent, the same answer
        np.testing.assert_array_equal(a, b)


def test_vjp_is_linear_in_the_cotangent():
    x = rand((3, 4), seed=5)
    _, fn = vjp(lambda x: cr.softmax(x, axis=1) * x, x)
    u, w = rand((3, 4), seed=6), rand((3, 4), seed=7)
    np.testing.assert_allclose(fn(2.0 * u + w)[0], 2.0 * fn(u)[0] + fn(w)[0], rtol=1e-12,
                               atol=1e-14)


def test_vjp_pytree_output_and_tensors():
    x = cr.tensor(rand((3,), seed=8))
    out, fn = vjp(lambda x: {"a": cr.sin(x), "b": (cr.sum(x * x),)}, x)
    assert isinstance(out["a"], cr.Tensor) and isinstance(out["b"], tuple)
    (g,) = fn({"a": np.ones(3), "b": (2.0,)})
    assert isinstance(g, cr.Tensor)
    np.testing.assert_allclose(to_numpy(g), np.cos(x._data) + 4 * x._data, rtol=1e-14)
    with pytest.raises(ValueError, match="cotangent"):
        fn({"a": np.ones(3)})


def test_vjp_has_aux():
    x = rand((3,), seed=9)
    out, fn, aux = vjp(lambda x: (cr.exp(x), {"k": 1}), x, has_aux=True)
    assert aux == {"k": 1}
    np.testing.assert_allclose(fn(np.ones(3))[0], np.exp(x), rtol=1e-15)


# --- the dot-product test ------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 1])
def test_jvp_and_vjp_are_transposes(name, seed):
    f, _, shapes = CASES[name]
    xs = _inputs(name, seed=10 * seed)
    vs = _tangents(shapes, seed=200 + seed)
    out, jv = jvp(f, xs, vs)
    u = np.random.default_rng(300 + seed).standard_normal(np.shape(out))
    _, fn = vjp(f, *xs)
    jtu = fn(u)
    lhs = np.sum(u * jv)
    rhs = sum(np.sum(g * v) for g, v in zip(jtu, vs))
    assert lhs == pytest.approx(rhs, rel=1e-11, abs=1e-12)


# --- linearize -----------------------------------------------------------------------------------
class _Counted:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, *args):
        self.calls += 1
        return self.f(*args)


@pytest.mark.parametrize("name", ["sin_exp", "matmul", "softmax", "getitem", "concatenate",
                                  "einsum", "sum_axis"])
def test_linearize_matches_jvp_without_calling_f_again(name):
    f, _, shapes = CASES[name]
    xs = _inputs(name)
    counted = _Counted(f)
    out, f_jvp = linearize(counted, *xs)
    assert counted.calls == 1
    np.testing.assert_allclose(out, to_numpy(f(*[cr.tensor(x) for x in xs])), rtol=1e-14)
    for seed in (0, 1, 2):
        vs = _tangents(shapes, seed=400 + seed)
        expected = jvp(f, xs, vs)[1]
        np.testing.assert_allclose(f_jvp(*vs), expected, rtol=1e-11, atol=1e-13)
    assert counted.calls == 1


def test_linearize_with_tensors_and_scalars():
    out, f_jvp = linearize(lambda x: x * cr.exp(x), 0.5)
    assert float(f_jvp(2.0)) == pytest.approx(2.0 * 1.5 * np.exp(0.5), rel=1e-14)
    x = cr.tensor(positive((3,), seed=11))
    out, f_jvp = linearize(cr.log, x)
    assert isinstance(out, cr.Tensor)
    t = f_jvp(cr.tensor(np.ones(3)))
    assert isinstance(t, cr.Tensor)
    np.testing.assert_allclose(to_numpy(t), 1 / x._data, rtol=1e-15)


def test_jvp_vjp_with_ties_free_maximum():
    # amax at distinct values: a selection, so J v picks the tangent at the maximum
    x = distinct((3, 4), seed=12)
    v = rand((3, 4), seed=13)
    _, tan = jvp(lambda x: cr.amax(x, axis=1), (x,), (v,))
    np.testing.assert_array_equal(tan, v[np.arange(3), np.argmax(x, axis=1)])
    _, fn = vjp(lambda x: cr.amax(x, axis=1), x)
    g = fn(np.ones(3))[0]
    expected = np.zeros((3, 4))
    expected[np.arange(3), np.argmax(x, axis=1)] = 1
    np.testing.assert_array_equal(g, expected)


def test_forward_transforms_do_not_write_into_the_callers_array():
    def f(a):
        a[1] = 5.0  # an in-place write inside the function
        return (a * a).sum()

    for transform in (lambda x: jvp(f, (x,), (np.ones(3),)), lambda x: cr.func.jacfwd(f)(x)):
        x = np.array([1.0, 2.0, 3.0])
        transform(x)
        np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
