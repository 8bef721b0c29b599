"""chainrule.compat.autograd: HIPS autograd's API on chainrule (docs/autograd.md)."""

from __future__ import annotations

import warnings

import numpy as onp
import pytest
import scipy.signal

import chainrule as cr
import chainrule.compat.autograd as ag
import chainrule.compat.autograd.numpy as np
from chainrule.compat.autograd import extend, test_util
from chainrule.compat.autograd.misc import flatten, optimizers
from chainrule.compat.autograd.misc.fixed_points import fixed_point
from chainrule.compat.autograd.scipy import signal as agsignal
from chainrule.compat.autograd.tracer import getval, isbox

rng = onp.random.default_rng(0)


# --- results are plain NumPy, nesting stays differentiable ----------------------------------------
def test_results_are_numpy_and_nest():
    f = lambda x: (x + np.sin(x**2)) * x  # noqa: E731 - autograd's own test function
    g = ag.grad(f)(1.3)
    assert type(g) is onp.float64 and abs(g - 3.190948746871) < 1e-9
    assert abs(ag.deriv(f)(1.3) - g) < 1e-12
    h = ag.grad(ag.grad(f))(1.3)
    x = 1.3
    # d2/dx2 [x^2 + x sin(x^2)] = 2 + 6x cos(x^2) - 4x^3 sin(x^2)
    assert abs(h - (2 + 6 * x * onp.cos(x**2) - 4 * x**3 * onp.sin(x**2))) < 1e-9
    J = ag.jacobian(np.tanh)(onp.arange(3.0))
    assert type(J) is onp.ndarray and onp.allclose(J, onp.diag(1 - onp.tanh(onp.arange(3.0))**2))
    H = ag.hessian(lambda v: np.sum(v**3))(onp.arange(3.0))
    assert onp.allclose(H, onp.diag(6 * onp.arange(3.0)))


def test_argnum_tuple_and_containers():
    f = lambda a, b, c: np.sum(a * np.sin(b)) + c["k"] ** 2  # noqa: E731
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    ga, gc = ag.grad(f, (0, 2))(a, b, {"k": 1.5})
    assert onp.allclose(ga, onp.sin(b)) and gc == {"k": 3.0}
    v, g = ag.value_and_grad(f, 1)(a, b, {"k": 1.5})
    assert onp.allclose(g, a * onp.cos(b))
    assert ag.grad(f).__name__ == "grad_of_<lambda>_wrt_argnum_0"


def test_grad_needs_real_scalar_output():
    with pytest.raises(TypeError):
        ag.grad(lambda x: x * (1.0 + 0.2j))(1.0)
    with pytest.raises(TypeError):
        ag.grad(lambda x: x * 2)(onp.zeros(2))


# --- the complex convention ---------------------------------------------------------------------
def test_complex_gradient_is_conjugate_of_chainrules():
    z = 1.0 + 2.0j
    # a real loss of a complex parameter: autograd gives dL/dx - i dL/dy
    loss = lambda z: np.abs(z) ** 2  # noqa: E731
    assert ag.grad(loss)(z) == onp.conj(cr.func.grad(loss)(z)) == 2 - 4j
    # holomorphic: f'(z) itself
    assert onp.isclose(ag.holomorphic_grad(lambda z: z**3)(z), 3 * z**2)


def test_vjp_convention_and_real_inner_product():
    """autograd's vjp(g) = conj(P(conj g)) with P chainrule's (the adjoint for Re<a, b>)."""
    A = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    f = lambda z: np.dot(A, z) * np.exp(z)  # noqa: E731 - holomorphic
    z = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    g = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    vjp, _ = ag.make_vjp(f)(z)
    _, pullback = cr.func.vjp(f, z)
    assert onp.allclose(vjp(g), onp.conj(pullback(onp.conj(g))[0]))
    # holomorphic f: autograd's vjp is g^T J (no conjugation at all)
    J = A * onp.exp(z)[:, None] + onp.diag(onp.dot(A, z) * onp.exp(z))
    assert onp.allclose(vjp(g), g @ J)
    test_util.check_grads(f, modes=["fwd", "rev"], order=2)(z)


def test_user_primitive_with_complex_rule():
    @extend.primitive
    def cube(z):
        return z**3

    extend.defvjp(cube, lambda ans, z: lambda g: g * 3 * z**2)  # autograd's convention
    extend.defjvp(cube, lambda g, ans, z: g * 3 * z**2)
    z = 0.3 + 0.7j
    assert onp.isclose(ag.holomorphic_grad(cube)(z), 3 * z**2)
    test_util.check_grads(cube, modes=["fwd", "rev"], order=2)(z)


# --- user primitives -----------------------------------------------------------------------------
def test_primitive_rules_higher_order_and_forward():
    calls = []

    @extend.primitive
    def logsumexp(x):
        calls.append(1)
        m = onp.max(x)
        return m + onp.log(onp.sum(onp.exp(x - m)))

    extend.defvjp(logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))
    extend.defjvp(logsumexp, lambda g, ans, x: np.sum(g * np.exp(x - ans)))
    x = rng.standard_normal(4)
    test_util.check_grads(logsumexp, modes=["fwd", "rev"], order=3)(x)
    H = ag.hessian(logsumexp)(x)
    p = onp.exp(x - logsumexp(x))
    assert onp.allclose(H, onp.diag(p) - onp.outer(p, p))
    # the raw function ran on NumPy data, once per traced call
    assert calls


def test_primitive_without_rules_and_wrong_rules():
    f = extend.primitive(lambda x: 2.0 * x)
    with pytest.raises(NotImplementedError):
        ag.grad(f)(1.0)
    with pytest.raises(NotImplementedError):
        ag.deriv(f)(1.0)

    @extend.primitive
    def double(x):
        return 2.0 * x

    # wrong by 25%: check_grads' absolute tolerance (1e-6, autograd's) must not hide it
    # whatever random direction it draws
    onp.random.seed(0)
    extend.defvjp(double, lambda ans, x: lambda g: g * 2.5)
    with pytest.raises(AssertionError, match="VJP"):
        test_util.check_grads(double, modes=["rev"], order=1)(1.0)
    extend.defjvp(double, lambda g, ans, x: g * 1.5)
    with pytest.raises(AssertionError):
        test_util.check_grads(double, modes=["fwd"], order=1)(1.0)


def test_defvjp_argnums_and_containers():
    @extend.primitive
    def weighted(x, y, scale=1.0):
        return scale * onp.sum(x * y)

    extend.defvjp_argnums(weighted, lambda argnums, ans, args, kwargs: lambda g: tuple(
        g * kwargs.get("scale", 1.0) * args[1 - a] for a in argnums))
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    gx, gy = ag.grad(weighted, (0, 1))(x, y, scale=2.0)
    assert onp.allclose(gx, 2 * y) and onp.allclose(gy, 2 * x)
    test_util.check_grads(weighted, (0, 1), modes=["rev"])(x, y)


def test_check_grads_is_strict_in_every_mode_and_order():
    @extend.primitive
    def f(x):
        return onp.sin(x)

    extend.defvjp(f, lambda ans, x: lambda g: g * np.cos(x))
    extend.defjvp(f, lambda g, ans, x: g * np.cos(x))
    test_util.check_grads(f, modes=["fwd", "rev"], order=2)(0.4)

    @extend.primitive
    def f_bad2(x):
        return onp.sin(x)

    # right first derivative, but computed from the bare value (getval): it cannot be
    # differentiated again, so the second-order check must fail
    extend.defvjp(f_bad2, lambda ans, x: lambda g: g * onp.cos(getval(x)))
    test_util.check_grads(f_bad2, modes=["rev"], order=1)(0.4)
    onp.random.seed(0)  # a fixed direction: the check's absolute tolerance is autograd's 1e-6
    with pytest.raises(AssertionError):
        test_util.check_grads(f_bad2, modes=["rev"], order=2)(0.4)


# --- containers, flatten, optimizers, fixed points ------------------------------------------------
def test_flatten_and_ravel_pytree_are_differentiable():
    tree = {"b": (1.0, rng.standard_normal((2, 3))), "a": [rng.standard_normal(2)]}
    flat, unflatten = flatten(tree)
    assert flat.shape == (9,) and onp.allclose(flat[:2], tree["a"][0])  # sorted keys
    back = unflatten(flat)
    assert onp.allclose(back["b"][1], tree["b"][1]) and back["b"][0] == 1.0
    f = lambda t: np.sum(flatten(t)[0] ** 2)  # noqa: E731
    g = ag.grad(f)(tree)
    assert onp.allclose(g["b"][1], 2 * tree["b"][1]) and onp.isclose(g["b"][0], 2.0)
    # unravel is differentiable too
    v = rng.standard_normal(9)
    gv = ag.grad(lambda v: np.sum(unflatten(v)["b"][1]))(v)
    assert onp.allclose(gv, onp.r_[onp.zeros(3), onp.ones(6)])
    flat2, unravel2 = cr.ravel_pytree((onp.ones(2, onp.float32), 2.0))
    assert flat2.dtype == onp.float64 and unravel2(flat2)[0].dtype == onp.float32
    assert cr.func.ravel_pytree is cr.ravel_pytree


@pytest.mark.parametrize("name", ["adam", "sgd", "rmsprop"])
def test_optimizers_over_nested_parameters(name):
    target = {"w": onp.array([1.0, -2.0]), "b": (0.5,)}

    def loss(p):
        return np.sum((p["w"] - target["w"]) ** 2) + (p["b"][0] - 0.5) ** 2

    seen = []
    opt = getattr(optimizers, name)
    kwargs = {"adam": dict(step_size=0.1), "sgd": dict(step_size=0.1, mass=0.5),
              "rmsprop": dict(step_size=0.05)}[name]
    x0 = {"w": onp.zeros(2), "b": (0.0,)}
    out = opt(lambda p, i: ag.grad(loss)(p), x0, num_iters=300,
              callback=lambda p, i, g: seen.append((i, set(p), set(g))), **kwargs)
    assert set(out) == {"w", "b"} and isinstance(out["b"], tuple)
    assert loss(out) < 1e-3
    assert seen[0] == (0, {"w", "b"}, {"w", "b"}) and len(seen) == 300


def test_fixed_point_gradient_is_implicit():
    # x = a * cos(x) has dx/da = cos(x) / (1 + a sin(x))
    traced = []

    def f(a):
        def step(x):
            traced.append(isbox(x))
            return a * np.cos(x)
        return step

    dist = lambda x, y: np.abs(x - y)  # noqa: E731
    sol = lambda a: fixed_point(f, a, 0.0, dist, 1e-12)  # noqa: E731
    a = 0.7
    x = sol(a)
    n_forward = len(traced)
    traced.clear()
    g = ag.grad(sol)(a)
    assert abs(g - onp.cos(x) / (1 + a * onp.sin(x))) < 1e-9
    # the forward iterations ran on plain values (nothing recorded, not unrolled); only the
    # adjoint solve traces the step function
    assert n_forward > 10 and traced[:n_forward] == [False] * n_forward
    test_util.check_grads(sol, modes=["rev"], order=2)(a)


# --- numpy, scipy namespaces ----------------------------------------------------------------------
def test_numpy_namespace_and_submodules():
    import importlib

    assert np.sum is cr.numpy.sum and type(np.sum(onp.ones(3))) is onp.float64
    npr = importlib.import_module("chainrule.compat.autograd.numpy.random")
    npr.seed(0)
    assert npr.randn(2).shape == (2,)
    assert np.where(True, [1, 2], [3, 4]) == [1, 2]
    assert np.linalg.T(onp.ones((2, 3))).shape == (3, 2)
    test_util.check_grads(lambda a, b: np.linspace(a, b, 5), modes=["fwd", "rev"])(1.2, 3.4)
    assert ag.grad(lambda W: np.sum(W[np.int64(W[:, -1])]))(onp.ones((3, 2))).shape == (3, 2)


def test_scipy_modules():
    import importlib

    norm = importlib.import_module("chainrule.compat.autograd.scipy.stats.norm")
    assert onp.isclose(ag.grad(norm.logpdf)(0.3), -0.3)
    integ = importlib.import_module("chainrule.compat.autograd.scipy.integrate")
    ts = onp.linspace(0, 1, 3)
    assert onp.allclose(integ.odeint(lambda y, t, k: -k * y, onp.array([1.0]), ts, (2.0,)),
                        onp.exp(-2 * ts)[:, None], rtol=1e-7)
    # d y(1) / dk = -t exp(-k t) at t = 1
    dk = ag.grad(lambda k: integ.odeint(lambda y, t, k: -k * y, onp.array([1.0]), ts,
                                        (k,))[-1, 0])(2.0)
    assert onp.isclose(dk, -onp.exp(-2.0), rtol=1e-6)
    _, vy0, vt, (vk,) = integ.grad_odeint(None, lambda y, t, k: -k * y, onp.array([1.0]), ts,
                                          (2.0,))(onp.array([[0.0], [0.0], [1.0]]))
    assert onp.isclose(vk, -onp.exp(-2.0), rtol=1e-6) and onp.isclose(vy0[0], onp.exp(-2.0))
    misc = importlib.import_module("chainrule.compat.autograd.scipy.misc")
    assert onp.isclose(misc.logsumexp(onp.zeros(2)), onp.log(2))


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_convolve_matches_scipy_and_differentiates(mode):
    A, B = rng.standard_normal((5, 4)), rng.standard_normal((3, 2))
    ref = scipy.signal.convolve(A, B, mode=mode)
    assert onp.allclose(agsignal.convolve(A, B, mode=mode), ref)
    test_util.check_grads(lambda a, b: agsignal.convolve(a, b, mode=mode), (0, 1),
                          modes=["fwd", "rev"], order=2)(A, B)


def test_convolve_axes_and_dot_axes():
    # a convolutional layer: images (batch, channel, y, x), filters (channel, out, y, x)
    imgs, filt = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((3, 4, 3, 2))
    out = agsignal.convolve(imgs, filt, axes=([2, 3], [2, 3]), dot_axes=([1], [0]),
                            mode="valid")
    assert out.shape == (2, 4, 4, 4)
    ref = onp.zeros(out.shape)
    for b in range(2):
        for o in range(4):
            for c in range(3):
                ref[b, o] += scipy.signal.convolve(imgs[b, c], filt[c, o], mode="valid")
    assert onp.allclose(out, ref)


# --- builtins, boxes, vspaces ---------------------------------------------------------------------
def test_boxes_and_builtins():
    from chainrule.compat.autograd.builtins import isinstance as ag_isinstance
    from chainrule.compat.autograd.tracer import Box, getval, isbox

    def fun(x):
        assert isbox(x) and isinstance(x, Box) and ag_isinstance(x, onp.ndarray)
        assert type(getval(x)) is onp.ndarray
        return np.sum(x)

    ag.grad(fun)(onp.ones(2))
    assert not isinstance(onp.ones(2), Box)


def test_vspaces():
    vs = extend.vspace({"a": onp.ones((2, 2)), "b": [1.0, 1j]})
    assert vs.size == 4 + 1 + 2 and vs.iscomplex
    assert vs == extend.vspace(vs.zeros())
    assert len(list(vs.standard_basis())) == 7
    with pytest.raises(TypeError, match="vector space"):
        extend.vspace("text")


def test_output_independent_of_input_warns():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert ag.grad(lambda x: 3.0)(1.0) == 0.0
    assert any("independent" in str(x.message) for x in w)


def test_primitive_with_broadcasting_rules_from_numpy_vjps():
    import scipy.stats

    from chainrule.compat.autograd.numpy.numpy_vjps import unbroadcast_f

    pdf = extend.primitive(scipy.stats.norm.pdf)  # as autograd.scipy.stats.norm defines it
    extend.defvjp(
        pdf,
        lambda ans, x, loc=0.0, scale=1.0: unbroadcast_f(
            x, lambda g: -g * ans * (x - loc) / scale**2),
        lambda ans, x, loc=0.0, scale=1.0: unbroadcast_f(
            loc, lambda g: g * ans * (x - loc) / scale**2),
        lambda ans, x, loc=0.0, scale=1.0: unbroadcast_f(
            scale, lambda g: g * ans * (((x - loc) / scale) ** 2 - 1.0) / scale))
    x, loc = rng.standard_normal((3, 2)), rng.standard_normal(2)
    test_util.check_grads(pdf, (0, 1, 2), modes=["rev"], order=2)(x, loc, 1.3)


def test_namedtuple_vspace_standard_basis():
    from collections import namedtuple

    P = namedtuple("P", "a b")
    basis = list(extend.vspace(P(onp.zeros(2), 1.0)).standard_basis())
    assert len(basis) == 3 and all(type(b) is P for b in basis)
    onp.testing.assert_array_equal(basis[1].a, [0.0, 1.0])
    assert basis[2].b == 1.0 and not basis[2].a.any()
