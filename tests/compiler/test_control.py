"""Structured control flow (chainrule.compiler's cond, fori_loop, scan): eager results against
hand-written Python, compiled results and derivatives (reverse, forward, second order) against
eager ones and finite differences, and the errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
from tests.helpers import check_grads

import chainrule as cr
from chainrule.autograd.tracing import TracingError
from chainrule.compiler import cond, fori_loop, scan

TOL = dict(rtol=1e-13, atol=1e-13)
X = np.array([0.3, -0.7, 0.5])
Y = np.array([1.1, 0.4, -0.9])


def arr(a):
    return a.detach().numpy() if cr.is_tensor(a) else np.asarray(a)


def close(a, b):
    np.testing.assert_allclose(arr(a), arr(b), **TOL)


def close_tree(a, b):
    """Equal trees: the same containers (dicts by their keys), leaves to 1e-13."""
    if isinstance(b, dict):
        assert isinstance(a, dict) and set(a) == set(b)
        for k in b:
            close_tree(a[k], b[k])
    elif isinstance(b, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            close_tree(u, v)
    else:
        close(a, b)


# --- the functions, and the same written as plain Python -----------------------------------------
def f_cond(x, y):
    return cond(cr.sum(x * y) > 0,
                lambda a, b: (a * b, {"s": cr.sin(a), "c": 2.0 * b}),
                lambda a, b: (a - b, {"c": cr.cos(b) * a, "s": a ** 3}),  # other key order
                x, y)


def py_cond(x, y):
    if np.sum(x * y) > 0:
        return x * y, {"s": np.sin(x), "c": 2.0 * y}
    return x - y, {"s": x ** 3, "c": np.cos(y) * x}


def f_fori(x, y):
    def body(i, v):
        a, b = v
        return a * y + i * x, b + cr.sum(cr.sin(a)) * y[i]
    return fori_loop(0, 3, body, (x, 0.0))


def py_fori(x, y):
    a, b = x, 0.0
    for i in range(3):
        a, b = a * y + i * x, b + np.sum(np.sin(a)) * y[i]
    return a, b


def f_scan(x, y, reverse=False):
    def step(c, inp):
        h = cr.tanh(c["h"] * inp["w"] + inp["u"])
        return {"h": h, "n": c["n"] + 1}, (h ** 2, inp["w"] * h[0])
    return scan(step, {"h": x[:2], "n": 0}, {"w": y[:2], "u": cr.reshape(x[1:], (2, 1))},
                reverse=reverse)


def py_scan(x, y, reverse=False):
    h, n, ys = x[:2], 0, {}
    for i in (range(1, -1, -1) if reverse else range(2)):
        h = np.tanh(h * y[i] + x[1 + i])
        n += 1
        ys[i] = (h ** 2, y[i] * h[0])
    return {"h": h, "n": n}, (np.stack([ys[0][0], ys[1][0]]), np.stack([ys[0][1], ys[1][1]]))


def f_nested(x, y):
    """A cond with a per-step traced predicate inside a scan, inside a fori_loop."""
    def step(c, xi):
        c = cond(xi > 0, lambda c: c * xi + 1.0, lambda c: cr.sin(c) - xi, c)
        return c, c * xi
    return fori_loop(0, 2, lambda i, v: v + scan(step, y[i], x)[1], y)


def py_nested(x, y):
    v = y
    for i in range(2):
        c, ys = y[i], []
        for xi in x:
            c = c * xi + 1.0 if xi > 0 else np.sin(c) - xi
            ys.append(c * xi)
        v = v + np.array(ys)
    return v


def _sorted(tree):
    """``tree`` with dicts as lists of their values in key order."""
    if isinstance(tree, dict):
        return [_sorted(tree[k]) for k in sorted(tree)]
    if isinstance(tree, (tuple, list)):
        return [_sorted(v) for v in tree]
    return tree


def loss(out):
    """A scalar of every leaf of an output tree (Python numbers included)."""
    # dicts by key: the two branches of cond may order a dict differently
    leaves = cr._pytree.flatten(_sorted(out))[0]
    total = 0.0
    for k, leaf in enumerate(leaves):
        total = total + (k + 1.0) * cr.sum(cr.sin(leaf * 1.0) * leaf)
    return total


CASES = [
    (f_cond, py_cond),
    (f_fori, py_fori),
    (f_scan, py_scan),
    (lambda x, y: f_scan(x, y, True), lambda x, y: py_scan(x, y, True)),
    (f_nested, py_nested),
]
IDS = ["cond", "fori_loop", "scan", "scan_reverse", "nested"]
# inputs that take each branch of the cond (the sign of sum(x * y)) and of the nested one
POINTS = [(X, Y), (-X, Y), (X, -Y)]


@pytest.mark.parametrize("f, py", CASES, ids=IDS)
def test_eager_and_compiled_values(f, py):
    c = cr.compile(f)
    for x, y in POINTS:
        want = py(x, y)
        close_tree(f(x, y), want)
        close_tree(c(x, y), want)
    assert c.traces == 1  # one trace serves every branch: the predicate is not baked in


@pytest.mark.parametrize("f, py", CASES, ids=IDS)
def test_compiled_derivatives_equal_eager(f, py):
    c = cr.compile(f)
    scalar, cscalar = (lambda x, y: loss(f(x, y))), (lambda x, y: loss(c(x, y)))
    for x, y in POINTS[:2]:
        for argnums in (0, 1):
            close(cr.grad(cscalar, argnums)(x, y), cr.grad(scalar, argnums)(x, y))
        close(cr.jacfwd(cscalar)(x, y), cr.jacrev(scalar)(x, y))
        close(cr.hessian(cscalar)(x, y), cr.hessian(scalar)(x, y))
        t = (np.array([0.2, -0.1, 0.4]), np.array([-0.3, 0.5, 0.1]))
        pe, te = cr.jvp(scalar, (x, y), t)
        pc, tc = cr.jvp(cscalar, (x, y), t)
        close(pc, pe)
        close(tc, te)


@pytest.mark.parametrize("f, py", CASES, ids=IDS)
def test_compile_of_transformations_equals_eager(f, py):
    scalar = (lambda x, y: loss(f(x, y)))
    t = (np.array([0.2, -0.1, 0.4]), np.array([-0.3, 0.5, 0.1]))
    transforms = [cr.grad(scalar), cr.grad(scalar, 1), cr.jacfwd(scalar), cr.jacrev(scalar),
                  cr.hessian(scalar), lambda x, y: cr.jvp(scalar, (x, y), t)]
    for g in transforms:
        cg = cr.compile(g)
        for x, y in POINTS[:2]:
            close_tree(cg(x, y), g(x, y))
        assert cg.traces == 1


@pytest.mark.parametrize("f, py", CASES, ids=IDS)
def test_finite_differences(f, py):
    c = cr.compile(f)
    for x, y in POINTS[:2]:
        # all order-1 and order-2 derivatives of the compiled function, reverse and forward
        check_grads(lambda x, y: loss(c(x, y)), x, y)
    check_grads(lambda x, y: loss(f(x, y)), X, Y, forward=False)


def test_tensor_face_backward():
    c = cr.compile(f_scan)
    grads = []
    for fn in (f_scan, c):
        x = cr.tensor(X, requires_grad=True)
        y = cr.tensor(Y, requires_grad=True)
        loss(fn(x, y)).backward()
        grads.append((x.grad, y.grad))
    close(grads[0][0], grads[1][0])
    close(grads[0][1], grads[1][1])


# --- semantics ------------------------------------------------------------------------------------
def test_cond_eager_runs_one_branch_compiled_runs_both():
    calls = []

    def branches(x):
        return (lambda a: calls.append("t") or a + 1.0), (lambda a: calls.append("f") or a - 1.0)

    t, f = branches(None)
    assert cond(True, t, f, 1.0) == 2.0 and calls == ["t"]
    assert cond(np.array([0]), t, f, 1.0) == 0.0 and calls == ["t", "f"]  # integer: != 0
    calls.clear()
    c = cr.compile(lambda x: cond(x[0] > 0, t, f, x))
    close(c(X), X + 1.0)
    assert sorted(calls) == ["f", "t"]
    close(c(-X), -X - 1.0)  # the trace is reused: no Python runs
    assert sorted(calls) == ["f", "t"]


def test_cond_static_pred_under_compile_runs_one_branch():
    c = cr.compile(lambda x, flag: cond(flag, lambda a: a * 2.0, lambda a: a / 0.0, x),
                   static_argnums=(1,))
    close(c(X, True), 2.0 * X)


def test_cond_on_a_closure_tensor_is_not_baked_in():
    flag = cr.tensor(True)
    c = cr.compile(lambda x: cond(flag, lambda a: a * 2.0, lambda a: -a, x))
    close(c(X), 2.0 * X)
    flag._data = np.array(False)  # a closure's tensor is read at each call
    close(c(X), -X)


def test_fori_loop_bounds_and_index():
    assert fori_loop(3, 3, lambda i, v: v + 1, 5) == 5
    assert fori_loop(np.int64(1), np.array(4), lambda i, v: v * 10 + i, 0) == 123
    c = cr.compile(lambda x, n: fori_loop(0, n, lambda i, v: v * x[i], 1.0), static_argnums=(1,))
    close(c(X, 2), X[0] * X[1])
    close(c(X, 3), X[0] * X[1] * X[2])


def test_scan_without_xs_and_empty():
    carry, ys = scan(lambda c, _: (c * 2.0, c), 1.0, length=4)
    assert carry == 16.0
    close(ys, [1.0, 2.0, 4.0, 8.0])
    c = cr.compile(lambda x: scan(lambda c, xi: (c + xi, {"y": c * xi, "none": None}), x[0],
                                  x[:0]))
    carry, ys = c(X)
    close(carry, X[0])
    assert ys["y"].shape == (0,) and ys["none"] is None
    carry, ys = scan(lambda c, xi: (c + xi, c * xi), cr.tensor(1.0), cr.tensor(np.zeros((0, 2))))
    assert cr.is_tensor(ys) and ys.shape == (0, 2)


def test_scan_reverse_matches_reversed_inputs():
    f = (lambda c, x: (c * 0.5 + x, c - x))
    carry_r, ys_r = scan(f, 0.2, X, reverse=True)
    carry, ys = scan(f, 0.2, X[::-1].copy())
    close(carry_r, carry)
    close(ys_r, ys[::-1])


# --- errors ---------------------------------------------------------------------------------------
def test_python_if_on_traced_value_raises_with_the_fix_and_line():
    def f(x):
        if cr.sum(x) > 0:  # the line the error names
            return x
        return -x
    line = f.__code__.co_firstlineno + 1
    with pytest.raises(TracingError, match=re.escape(f"test_control.py:{line}")) as err:
        cr.compile(f)(X)
    assert "chainrule.cond" in str(err.value)


def test_traced_fori_loop_bound_raises():
    c = cr.compile(lambda x: fori_loop(0, cr.sum(x > 0), lambda i, v: v * 2.0, x))
    with pytest.raises(TracingError, match=r"fori_loop: the bound upper is a traced value.*"
                                           r"static_argnums"):
        c(X)
    with pytest.raises(TypeError, match="fori_loop: lower must be an integer"):
        fori_loop(0.5, 3, lambda i, v: v, 1.0)


@pytest.mark.parametrize("true_out, false_out, match", [
    (lambda x: x, lambda x: x[:2], r"out is float64 of shape \(3,\) in true_fun's output but "
                                   r"float64 of shape \(2,\) in false_fun's output"),
    (lambda x: x, lambda x: x.astype(np.float32), r"out is float64 .* but float32"),
    (lambda x: (x, x), lambda x: [x, x], r"true_fun's output has the structure \(\*, \*\) but "
                                         r"false_fun's output has \[\*, \*\]"),
    (lambda x: {"a": x}, lambda x: {"a": 1}, r"out\['a'\] is float64 .* but a Python int"),
])
def test_cond_mismatched_branches_raise(true_out, false_out, match):
    c = cr.compile(lambda x: cond(x[0] > 0, true_out, false_out, x))
    with pytest.raises(TypeError, match="cond: " + match):
        c(X)


def test_cond_bad_predicates_raise():
    c = cr.compile(lambda x: cond(x > 0, lambda a: a, lambda a: a, x))
    with pytest.raises(TypeError, match=r"cond: pred must be a scalar .* shape \(3,\).*where"):
        c(X)
    with pytest.raises(TypeError, match="cond: pred must be boolean .* float64"):
        cond(np.float64(1.0), lambda: 1, lambda: 2)
    close(cr.compile(lambda x: cond(x[:1] > 0, lambda a: a, lambda a: -a, x))(X), X)  # (1,) ok


def test_carry_changing_shape_raises():
    def body(i, v):
        return cr.concatenate([v, v]) if i == 1 else v * 2.0
    with pytest.raises(TypeError, match=r"fori_loop: val is float64 of shape \(3,\) in init_val "
                                        r"but float64 of shape \(6,\) in body_fun's result at "
                                        r"iteration i=1"):
        cr.compile(lambda x: fori_loop(0, 3, body, x))(X)
    with pytest.raises(TypeError, match=r"scan: carry\[1\] is a Python float in init but "
                                        r"int64 of shape \(\) in f's carry at step i=0"):
        scan(lambda c, x: ((c[0], np.int64(1)), x), (X, 0.0), X)
    with pytest.raises(TypeError, match=r"scan: y is float64 of shape \(1,\) in f's y at step "
                                        r"i=0 but float64 of shape \(2,\) in f's y at step i=1"):
        scan(lambda c, x: (c + 1, X[:c + 1]), 0, X)
    with pytest.raises(ValueError, match=r"scan: length=2 but the leaves of xs have length 3"):
        scan(lambda c, x: (c, x), 0.0, X, length=2)
