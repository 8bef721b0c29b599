"""chainrule.compile as a user calls it: results, derivatives, guards, errors, modules."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.compiler import CompiledModule

RNG = np.random.default_rng(0)


def loss(w, x, y):
    pred = cnp.tanh(x @ w[:3] + w[3])
    return cnp.sum((pred - y) ** 2) / 2 + 0.1 * cnp.sum(w * w)


W = RNG.standard_normal(4)
X = RNG.standard_normal((5, 3))
Y = RNG.standard_normal(5)


def test_values_equal_eager_bitwise():
    c = cr.compile(loss)
    assert np.array_equal(c(W, X, Y), loss(W, X, Y))
    assert type(c(W, X, Y)) is type(loss(W, X, Y))  # NumPy in, NumPy (scalar) out


def test_decorator_forms():
    @cr.compile
    def f(x):
        return cnp.sin(x) * 2

    @cr.compile(static_argnums=1)
    def g(x, n):
        for _ in range(n):
            x = cnp.sin(x)
        return x

    x = np.linspace(0, 1, 4)
    assert np.array_equal(f(x), np.sin(x) * 2)
    assert np.array_equal(g(x, 3), np.sin(np.sin(np.sin(x))))
    assert np.array_equal(g(x, 1), np.sin(x))
    assert g.traces == 2


def test_grad_of_compiled_equals_eager_every_argument():
    c = cr.compile(loss)
    for argnums in (0, 1, (0, 1, 2)):
        got = cr.grad(c, argnums=argnums)(W, X, Y)
        want = cr.grad(loss, argnums=argnums)(W, X, Y)
        for a, b in zip(np.atleast_1d(got) if argnums == 0 else got,
                        np.atleast_1d(want) if argnums == 0 else want):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_compile_of_grad_and_jacfwd_and_hvp():
    g = cr.compile(cr.grad(loss))
    np.testing.assert_allclose(g(W, X, Y), cr.grad(loss)(W, X, Y), rtol=1e-13)
    jf = cr.compile(cr.jacfwd(cr.grad(loss)))
    np.testing.assert_allclose(jf(W, X, Y), cr.hessian(loss)(W, X, Y), rtol=1e-12)
    v = RNG.standard_normal(4)
    hv = cr.compile(lambda w: cr.hvp(lambda u: loss(u, X, Y), (w,), (v,))[1])
    np.testing.assert_allclose(hv(W), cr.hessian(loss)(W, X, Y) @ v, rtol=1e-12)


def test_second_order_and_forward_mode_through_compiled():
    c = cr.compile(loss)
    H = cr.hessian(loss)(W, X, Y)
    np.testing.assert_allclose(cr.hessian(c)(W, X, Y), H, rtol=1e-12)
    np.testing.assert_allclose(cr.jacrev(cr.grad(c))(W, X, Y), H, rtol=1e-12)
    t = RNG.standard_normal(4)
    v, jv = cr.jvp(lambda w: c(w, X, Y), (W,), (t,))
    v0, jv0 = cr.jvp(lambda w: loss(w, X, Y), (W,), (t,))
    assert v == v0
    np.testing.assert_allclose(jv, jv0, rtol=1e-13)
    # third order: the derivative of the compiled backward is compiled again
    d3 = cr.jacrev(cr.jacrev(cr.grad(c)))(W, X, Y)
    np.testing.assert_allclose(d3, cr.jacrev(cr.jacrev(cr.grad(loss)))(W, X, Y), rtol=1e-11,
                               atol=1e-13)


def test_finite_differences():
    c = cr.compile(lambda w: loss(w, X, Y))
    w = cr.tensor(W, requires_grad=True)
    assert cr.autograd.gradcheck(c, (w,))
    assert cr.autograd.gradgradcheck(c, (w,))


def test_tensor_face_backward():
    c = cr.compile(loss)
    w = cr.tensor(W, requires_grad=True)
    out = c(w, X, Y)
    assert isinstance(out, cr.Tensor) and out.grad_fn is not None
    out.backward()
    np.testing.assert_allclose(w.grad.numpy(), cr.grad(loss)(W, X, Y), rtol=1e-13)


def test_guards_retrace_on_shape_and_dtype_and_never_reuse_a_stale_trace():
    c = cr.compile(lambda x: cnp.sum(cnp.exp(x)))
    a = np.array([0.1, 0.2])
    assert c(a) == np.sum(np.exp(a))
    assert c(a + 1) == np.sum(np.exp(a + 1))  # new values, same trace
    assert c.traces == 1
    assert c(np.ones(3)) == np.sum(np.exp(np.ones(3)))
    assert c.traces == 2
    r = c(np.ones(3, np.float32))
    assert r.dtype == np.float32 and c.traces == 3
    r = c(cr.tensor(a))  # a tensor runs the same program and gives a tensor
    assert isinstance(r, cr.Tensor) and r.item() == np.sum(np.exp(a))
    assert c.traces == 3


def test_python_numbers_are_static_and_cache_is_bounded():
    c = cr.compile(lambda x, s: x * s, cache_size=3)
    x = np.ones(2)
    for s in (1.0, 2.0, 3.0):
        assert np.array_equal(c(x, s), x * s)
    with pytest.warns(RuntimeWarning, match="cache_size"):
        assert np.array_equal(c(x, 4.0), x * 4.0)  # eager, still right
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once only
        assert np.array_equal(c(x, 5.0), x * 5.0)
    assert c.traces == 3


def test_pytrees_kwargs_and_static_outputs():
    @cr.compile(static_argnames="mode")
    def f(params, x, mode="sum"):
        y = params["a"] * x + params["b"][0]
        return {"y": y, "s": cnp.sum(y) if mode == "sum" else cnp.max(y), "tag": mode}

    p = {"a": np.array(2.0), "b": [np.array(1.0)]}
    x = np.arange(3.0)
    out = f(p, x, mode="max")
    assert out["tag"] == "max" and out["s"] == 5.0
    np.testing.assert_array_equal(out["y"], 2 * x + 1)
    assert f(p, x)["s"] == 9.0
    g = cr.grad(lambda p: f(p, x)["s"])(p)
    assert g["a"] == 3.0 and g["b"][0] == 3.0


def test_closure_tensors_are_read_at_each_call():
    w = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = cr.compile(lambda x: (w * x).sum())
    x = np.array([3.0, 4.0])
    assert c(x).item() == 11.0
    with cr.no_grad():
        w.mul_(2)  # an optimizer step, in place
    assert c(x).item() == 22.0
    c(x).backward()
    np.testing.assert_array_equal(w.grad.numpy(), x)


def test_value_dependent_control_flow_names_the_line_and_the_fix():
    def f(x):
        if cnp.sum(x) > 0:  # the line the error must name
            return x
        return -x

    with pytest.raises(cr.TracingError) as e:
        cr.compile(f)(np.ones(3))
    msg = str(e.value)
    line = f.__code__.co_firstlineno + 1
    assert f"test_compile.py:{line}" in msg
    assert "static_argnums" in msg and "chainrule.cond" in msg and "where" in msg


@pytest.mark.parametrize("body, what", [
    (lambda x: float(cnp.sum(x)), "float()"),
    (lambda x: x.sum().item(), ".item()"),
    (lambda x: np.sort(x.detach().numpy()), ".numpy()"),
    (lambda x: np.asarray(x) * 2, "numpy.asarray"),
    (lambda x: cr.tensor(x), "chainrule.tensor"),
    (lambda x: cnp.sin(x) * cr.rand(3), "random numbers"),
    (lambda x: x.add_(1), "in-place"),
    (lambda x: cnp.unique(x), "unique"),  # a shape that depends on values
])
def test_what_a_trace_cannot_record_raises(body, what):
    with pytest.raises(cr.TracingError, match="compile") as e:
        cr.compile(body)(np.ones(3))
    assert what in str(e.value)


def test_source_shows_forward_and_backward():
    c = cr.compile(lambda x: cnp.sum(cnp.sin(x) * 3.0))
    x = np.linspace(0, 1, 3)
    c(x)
    assert "= sin(v0)" in c.source and "return" in c.source
    cr.grad(c)(x)
    src = c.source
    assert "_backward(" in src and "= cos(v0)" in src
    st = c.stats
    assert st["trace_s"] > 0 and st["ops"] <= st["traced_ops"]


def test_simplification_removes_multiplications_by_one_and_folds_constants():
    k = np.full(3, 2.0)
    c = cr.compile(lambda x: x * (k - 1.0) + 0.0 * 0.0)
    x = np.arange(3.0)
    np.testing.assert_array_equal(c(x), x)
    assert "multiply" not in c.source and "subtract" not in c.source
    # the gradient program has no multiplication by the seed of ones either
    g = cr.compile(cr.grad(lambda x: cnp.sum(cnp.sin(x))))
    np.testing.assert_array_equal(g(x), np.cos(x))
    body = g.source.split("):", 1)[1]
    assert [line.split("=")[1].split("(")[0].strip() for line in body.splitlines()
            if " = " in line] == ["cos"]  # one operation: cos, nothing else


def test_common_subexpressions_and_dead_code():
    def f(x):
        cnp.exp(x)  # dead
        return cnp.sin(x) + cnp.sin(x)

    c = cr.compile(f)
    x = np.arange(3.0)
    np.testing.assert_array_equal(c(x), 2 * np.sin(x))
    assert c.source.count("sin(") == 1 and "exp" not in c.source


def test_memory_plan_reuses_buffers_without_changing_values():
    def f(x):
        y = cnp.exp(x)
        z = cnp.sin(y) * 2.0
        return cnp.sum(cnp.tanh(z) + x)

    x = RNG.standard_normal((100, 100))
    c = cr.compile(f)
    assert c(x) == f(x)
    assert "out=" in c.source and "del " in c.source
    before = x.copy()
    c(x)
    np.testing.assert_array_equal(x, before)  # inputs are never written
    np.testing.assert_allclose(cr.grad(c)(x), cr.grad(f)(x), rtol=1e-13)


def test_compiled_module_trains_like_the_eager_one():
    nn = cr.nn
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    twin = copy.deepcopy(model)
    cm = cr.compile(model)
    assert isinstance(cm, CompiledModule)
    opt = cr.optim.Adam(cm.parameters(), lr=0.05)
    opt2 = cr.optim.Adam(twin.parameters(), lr=0.05)
    x = cr.tensor(RNG.standard_normal((16, 3)))
    t = cr.tensor(RNG.standard_normal((16, 2)))
    for _ in range(5):
        for m, o in ((cm, opt), (twin, opt2)):
            o.zero_grad()
            out = nn.functional.mse_loss(m(x), t)
            out.backward()
            o.step()
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-12)
    assert cm._compiled.traces == 1
    cm.eval()
    with cr.no_grad():
        np.testing.assert_array_equal(cm(x).numpy(), twin(x).numpy())
    assert cm._compiled.traces == 2  # evaluation mode is its own trace


def test_dropout_in_training_mode_is_refused_with_the_fix():
    model = cr.nn.Sequential(cr.nn.Linear(3, 3), cr.nn.Dropout(0.5))
    cm = cr.compile(model)
    with pytest.raises(cr.TracingError, match="eval"):
        cm(cr.ones(2, 3))
    cm.eval()
    assert cm(cr.ones(2, 3)).shape == (2, 3)


def test_bad_arguments():
    with pytest.raises(TypeError, match="function or a Module"):
        cr.compile(3)
    with pytest.raises(ValueError, match="backend"):
        cr.compile(lambda x: x, backend="cuda")
    c = cr.compile(lambda x, s: x, static_argnums=1)
    with pytest.raises(TypeError, match="hashable"):
        c(np.ones(2), [1, 2])
    with pytest.raises(RuntimeError, match="not traced yet"):
        cr.compile(lambda x: x).source


def test_classification_loss_with_integer_labels_as_inputs():
    f = cr.compile(lambda z, y: cr.nn.functional.cross_entropy(z, y))
    z = RNG.standard_normal((6, 4))
    for y in (np.array([0, 3, 1, 1, 2, 0]), np.array([3, 3, 2, 0, 1, 1])):
        yt = cr.tensor(y)
        assert f(z, y) == cr.nn.functional.cross_entropy(cr.tensor(z), yt).item()
        np.testing.assert_allclose(
            cr.grad(f)(z, y),
            cr.grad(lambda z, yt=yt: cr.nn.functional.cross_entropy(z, yt))(z), rtol=1e-13)
    assert f.traces == 1
    with pytest.raises(IndexError, match="target -2 is out of bounds for 4 classes"):
        f(z, np.array([0, -2, 1, 1, 2, 0]))  # checked inside the compiled program


def test_integer_index_inputs_are_traced_and_boolean_masks_refused():
    g = cr.compile(lambda x, i: x[i] * 2)
    x = np.arange(5.0)
    np.testing.assert_array_equal(g(x, np.array([3, 1])), [6.0, 2.0])
    np.testing.assert_array_equal(g(x, np.array([0, 4])), [0.0, 8.0])
    assert g.traces == 1
    with pytest.raises(cr.TracingError, match="boolean mask"):
        cr.compile(lambda x: x[x > 2])(x)


def test_stop_gradient():
    x = np.array([1.5, -2.0])
    np.testing.assert_array_equal(cr.grad(lambda x: cnp.sum(cr.stop_gradient(x) * x))(x), x)
    _, t = cr.jvp(lambda x: cr.stop_gradient(x) * x, (x,), (np.ones(2),))
    np.testing.assert_array_equal(t, x)
    c = cr.compile(lambda x: cr.stop_gradient(x) + x)
    np.testing.assert_array_equal(c(x), 2 * x)
    assert "stop_gradient" not in c.source  # an identity in generated code


def test_tracing_in_one_thread_does_not_capture_another_threads_operations():
    import threading

    results = {}

    def eager():
        a = cr.tensor(np.ones(3), requires_grad=True)
        for _ in range(200):
            (cnp.sin(a) * 2).sum().backward()
        results["grad"] = a.grad.numpy().copy()

    def f(x):
        for _ in range(200):
            x = cnp.cos(x)
        return x

    t = threading.Thread(target=eager)
    t.start()
    c = cr.compile(f)
    out = c(np.zeros(2))
    t.join()
    np.testing.assert_array_equal(out, f(np.zeros(2)))
    np.testing.assert_allclose(results["grad"], 400 * np.cos(np.ones(3)), rtol=1e-12)
    assert len(c._last.fwd.prog) == 200


@pytest.mark.parametrize("f", [
    lambda x: (x * 2).astype(np.int64),  # a cast to integers: a recorded constant
    lambda x: cr.take_along_axis(x, cr.argsort(x, 1)[:, np.arange(2)], 1),  # an index view
    lambda x: cnp.where(x > 0.5, x, 0.0),
    lambda x: cnp.sort(x, axis=0),
])
def test_no_value_of_the_first_call_is_fixed_into_the_program(f):
    a = RNG.standard_normal((3, 4))
    b = RNG.standard_normal((3, 4))
    c = cr.compile(f)
    c(a)
    np.testing.assert_array_equal(c(b), f(cr.tensor(b)).numpy())
    assert c.traces == 1


def test_a_constant_indexed_by_a_traced_index_is_recorded():
    table = np.arange(5.0) ** 2
    c = cr.compile(lambda i: cr.take(table, i))
    np.testing.assert_array_equal(c(np.array([3])), [9.0])
    np.testing.assert_array_equal(c(np.array([4])), [16.0])
    assert c.traces == 1


@pytest.mark.parametrize("call", [
    lambda a: cr.integrate.odeint(lambda y, t: -a * y, np.ones(2), np.linspace(0, 1, 3)),
    lambda a: cr.integrate.quad(lambda x, a: cnp.sin(a * x), 0.0, 1.0, args=(cnp.sum(a),))[0],
    lambda a: cr.optimize.minimize(lambda x: cnp.sum((x - a) ** 2), np.zeros(2)).x,
    lambda a: cr.optimize.least_squares(lambda x: x - a, np.zeros(2)).x,
])
def test_numpy_solvers_refuse_to_be_traced(call):
    # their NumPy iterations would keep one call's solution (closures included)
    with pytest.raises(cr.TracingError, match="cannot be compiled"):
        cr.compile(call)(np.array([1.0, 2.0]))
