"""custom_vjp and custom_jvp (JAX's protocol) inside the functional transforms."""

import numpy as np
import pytest

import chainrule as cr

X = np.array([0.3, -1.2, 2.0])


# log(1 + exp(x)): the naive gradient exp(x) / (1 + exp(x)) is inf / inf = nan for large x
def naive_log1pexp(x):
    return cr.log(1 + cr.exp(x))


@cr.custom_vjp
def log1pexp(x):
    return naive_log1pexp(x)


def _fwd(x):
    return log1pexp(x), (x,)


def _bwd(res, g):
    (x,) = res
    return (g * cr.sigmoid(x),)  # stable


log1pexp.defvjp(_fwd, _bwd)


@cr.custom_jvp
def log1pexp_j(x):
    return naive_log1pexp(x)


@log1pexp_j.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return log1pexp_j(x), t * cr.sigmoid(x)


def sig(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("f", [log1pexp, log1pexp_j])
def test_stable_gradient_where_naive_is_nan(f):
    big = np.array([800.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = cr.grad(lambda v: naive_log1pexp(v).sum())(big)
        assert np.isnan(naive).all()
        g = cr.grad(lambda v: f(v).sum())(big)
    np.testing.assert_allclose(g, [1.0])


@pytest.mark.parametrize("f", [log1pexp, log1pexp_j])
def test_inside_transforms(f):
    s, ds = sig(X), sig(X) * (1 - sig(X))
    np.testing.assert_allclose(f(X), np.log1p(np.exp(X)))
    np.testing.assert_allclose(cr.grad(lambda v: f(v).sum())(X), s)
    np.testing.assert_allclose(cr.jacrev(f)(X), np.diag(s))
    np.testing.assert_allclose(cr.jacfwd(f)(X), np.diag(s))
    np.testing.assert_allclose(cr.jvp(f, (X,), (np.ones(3),))[1], s)
    np.testing.assert_allclose(cr.hessian(lambda v: f(v).sum())(X), np.diag(ds))
    np.testing.assert_allclose(cr.grad(lambda v: cr.grad(lambda w: f(w).sum())(v).sum())(X), ds)
    np.testing.assert_allclose(cr.jacrev(cr.jacfwd(lambda v: f(v).sum()))(X), np.diag(ds))


def test_custom_vjp_is_used_and_bwd_gets_rows_in_jacrev():
    shapes = []

    @cr.custom_vjp
    def f(x, y):
        return x * y

    def fwd(x, y):
        return f(x, y), (x, y)

    def bwd(res, g):
        shapes.append(g.shape)
        x, y = res
        return 10 * g * y, g.sum() * 0 + g * x  # 10x: proves the custom rule ran

    f.defvjp(fwd, bwd)
    y = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(cr.grad(lambda a: f(a, y).sum())(X), 10 * y)
    shapes.clear()
    J = cr.jacrev(f, argnums=(0, 1))(X, y)
    np.testing.assert_allclose(J[0], np.diag(10 * y))
    np.testing.assert_allclose(J[1], np.diag(X))
    assert shapes == [(3,)] * 3  # one call per cotangent row, without a batch axis


def test_custom_vjp_pytrees_and_nondiff_argnums():
    @cr.custom_vjp
    def f(scale, params):
        return {"out": scale * params["a"] * cr.sin(params["b"])}

    def fwd(scale, params):
        return f(scale, params), params

    def bwd(scale, params, g):
        a, b = params["a"], params["b"]
        ga = g["out"] * scale * cr.sin(b)
        gb = g["out"] * scale * a * cr.cos(b)
        return ({"a": ga, "b": gb},)

    f = cr.custom_vjp(f.fun, nondiff_argnums=(0,))
    f.defvjp(fwd, bwd)
    p = {"a": np.array([1.0, 2.0]), "b": np.array([0.5, -0.3])}
    g = cr.grad(lambda q: f(3.0, q)["out"].sum())(p)
    np.testing.assert_allclose(g["a"], 3 * np.sin(p["b"]))
    np.testing.assert_allclose(g["b"], 3 * p["a"] * np.cos(p["b"]))


def test_custom_jvp_two_args_and_nondiff():
    @cr.custom_jvp
    def f(n, x, y):
        return x ** n * y

    @f.defjvp
    def f_jvp(n, primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        return f(n, x, y), n * x ** (n - 1) * y * tx + x ** n * ty

    f = cr.custom_jvp(f.fun, nondiff_argnums=(0,))
    f.defjvp(f_jvp)
    y = np.array([2.0, -1.0, 0.5])
    gx, gy = cr.grad(lambda a, b: f(3, a, b).sum(), argnums=(0, 1))(X, y)
    np.testing.assert_allclose(gx, 3 * X**2 * y)
    np.testing.assert_allclose(gy, X**3)
    H = cr.hessian(lambda a: f(3, a, y).sum())(X)
    np.testing.assert_allclose(H, np.diag(6 * X * y))


def test_errors():
    @cr.custom_vjp
    def f(x):
        return x * 2

    with pytest.raises(AttributeError, match="defvjp"):
        cr.grad(lambda v: f(v).sum())(X)
    f.defvjp(lambda x: (f(x), None), lambda r, g: g * 2)  # not a tuple
    with pytest.raises(TypeError, match="tuple with one cotangent per"):
        cr.grad(lambda v: f(v).sum())(X)

    @cr.custom_jvp
    def h(x):
        return x * 2

    with pytest.raises(AttributeError, match="defjvp"):
        cr.jvp(h, (X,), (X,))
    with pytest.raises(AttributeError, match="defjvp"):
        h(X)  # as in JAX, even a plain call needs the rule
