"""In-place operations, views and version counters (PyTorch's semantics are the reference).

Each program below is written once against the API chainrule and torch share, then run in both
libraries: values, gradients and second derivatives must agree. The version-counter tests check
that the error fires exactly when a value that backward needs was overwritten, and that its
message names the operation, the shape, both versions and the user's line.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
from tests.helpers import check_grads, to_numpy

import chainrule as cr
from chainrule.autograd import forward_ad as fwad


def _zeros(lib, *shape):
    return lib.zeros(*shape, dtype=lib.float64)


# --- programs: (inputs' shapes, program(lib, x, y) -> scalar loss) -------------------------------
def p_non_leaf_chain(lib, x, y):
    h = x * 2
    h += x * y
    h *= 3
    h.sub_(y, alpha=0.5)
    h.div_(y * y + 1)
    return (h ** 2).sum()


def p_view_write(lib, x, y):
    a = x * 1
    v = a[1:3]
    v.mul_(y[1:3])
    return (a * a).sum() + (v * 2).sum()


def p_view_read_after_base_change(lib, x, y):
    a = x * 1
    v = a[0:2]
    a.mul_(y)
    return (v * v).sum() + a.sum()


def p_setitem_basic(lib, x, y):
    b = _zeros(lib, 4, 3)
    b[1] = x[0] * 2
    b[:, 0] = y[:4] if y.shape[0] >= 4 else y.sum()
    b[2:, 1:] += x[1:3, :2]
    return (b * b).sum()


def p_setitem_advanced(lib, x, y):
    b = x * 1
    b[[0, 2]] = y[:2] * 3
    return (b ** 3).sum()


def p_transpose_view_write(lib, x, y):
    a = x * 1
    t = a.T
    t[0] = y[:4]
    t[1:, 2].mul_(2)
    return (a ** 2).sum() + (t * y[:4]).sum()


def p_view_of_view(lib, x, y):
    a = x * 1
    v = a[1:]
    w = v[:, 1]
    w.add_(y[:3])
    v2 = a.reshape(12)
    v2[5:7] = y[:2]
    return (a ** 2).sum() + (w ** 2).sum() + v2.sum()


def p_unary_inplace(lib, x, y):
    a = x * 0.5
    a.sin_()
    a.mul_(2)
    a.exp_()  # saves its result: the last change of a (torch would raise otherwise)
    b = y * 1
    b.clamp_(-0.5, 0.7)
    b.sigmoid_()
    return (a * a).sum() + (b * y).sum()


def p_copy_fill_zero(lib, x, y):
    a = x * 1
    a[0].copy_(y[:3])
    a[1].fill_(2.0)
    a[2].zero_()
    a[3].masked_fill_(y[:3] > 0, 1.5)
    return (a * x).sum()


def p_own_input_saved(lib, x, y):
    a = x * 1
    a.mul_(y[:3])  # the gradient wrt y needs a's old values
    a.pow_(2)
    return a.sum()


PROGRAMS = {
    "non_leaf_chain": (((4,), (4,)), p_non_leaf_chain),
    "view_write": (((4,), (4,)), p_view_write),
    "view_read_after_base_change": (((4,), (4,)), p_view_read_after_base_change),
    "setitem_basic": (((4, 3), (4,)), p_setitem_basic),
    "setitem_advanced": (((4,), (4,)), p_setitem_advanced),
    "transpose_view_write": (((4, 3), (4,)), p_transpose_view_write),
    "view_of_view": (((4, 3), (4,)), p_view_of_view),
    "unary_inplace": (((4, 3), (4,)), p_unary_inplace),
    "copy_fill_zero": (((4, 3), (4,)), p_copy_fill_zero),
    "own_input_saved": (((4, 3), (3,)), p_own_input_saved),
}


def _inputs(shapes, seed=0):
    r = np.random.default_rng(seed)
    return [r.uniform(0.3, 1.5, size=s) * r.choice([-1.0, 1.0], size=s) for s in shapes]


@pytest.mark.parametrize("name", PROGRAMS)
def test_gradients_agree_with_torch(name):
    shapes, prog = PROGRAMS[name]
    xs = _inputs(shapes)
    c = [cr.tensor(a, requires_grad=True) for a in xs]
    t = [torch.tensor(a, requires_grad=True) for a in xs]
    lc, lt = prog(cr, *c), prog(torch, *t)
    np.testing.assert_allclose(to_numpy(lc), to_numpy(lt), rtol=1e-12)
    gc = cr.grad(lc, c, create_graph=True)
    gt = torch.autograd.grad(lt, t, create_graph=True)
    for a, b in zip(gc, gt):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-10, atol=1e-12)
    # second order: the gradient of <gradients, w>
    w = _inputs(shapes, seed=1)
    sc = sum((g * cr.tensor(wi)).sum() for g, wi in zip(gc, w))
    st = sum((g * torch.tensor(wi)).sum() for g, wi in zip(gt, w))
    hc = cr.grad(sc, c, allow_unused=True, materialize_grads=True)
    ht = torch.autograd.grad(st, t, allow_unused=True, materialize_grads=True)
    for a, b in zip(hc, ht):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["view_write", "setitem_basic", "transpose_view_write",
                                  "view_of_view", "copy_fill_zero", "own_input_saved"])
def test_gradcheck_reverse_and_forward(name):
    """First and second order against finite differences, in reverse and forward mode."""
    shapes, prog = PROGRAMS[name]
    check_grads(lambda x, y: prog(cr, x, y), *_inputs(shapes))


def test_forward_mode_through_a_view_write():
    x0, y0 = _inputs(((4,), (4,)))
    tx, ty = np.ones(4), np.arange(4.0)
    with fwad.dual_level():
        x = fwad.make_dual(cr.tensor(x0), cr.tensor(tx))
        y = fwad.make_dual(cr.tensor(y0), cr.tensor(ty))
        a = x * 1
        a[1:3] = y[0:2] * a[1:3]
        out = fwad.unpack_dual(a).tangent
    expected = tx.copy()
    expected[1:3] = ty[0:2] * x0[1:3] + y0[0:2] * tx[1:3]
    np.testing.assert_allclose(out.numpy(), expected)


def test_views_share_memory_with_their_base():
    a = cr.arange(12.0)
    v = a.view(3, 4)
    s = v[1:, ::2]
    t = v.T
    s.fill_(-1.0)
    assert a.numpy()[4] == -1.0 and t.numpy()[0, 1] == -1.0
    assert v._base is a and s._base is a and t._base is a and a._base is None
    assert s._is_view() and not a._is_view()
    assert a._version == v._version == s._version == 1
    with pytest.raises(RuntimeError, match="reshape"):
        t.view(12)  # not expressible without a copy
    e = cr.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="read-only"):
        e.add_(1)


def test_version_counter_matches_torch():
    c, t = cr.zeros(3), torch.zeros(3)
    for lib_t in (c, t):
        lib_t.add_(1)
        lib_t[0] = 5.0
        lib_t.mul_(2)
    assert c._version == t._version == 3
    vc, vt = c[1:], t[1:]
    vc.zero_()
    vt.zero_()
    assert c._version == t._version == vc._version == vt._version == 4
    c[1] += 2.0  # the view's add_, then setitem of that same view: two changes, as in torch
    t[1] += 2.0
    assert c._version == t._version == 6


# --- the version check fires exactly when it should ---------------------------------------------
def _line_of(fn, marker):
    src, start = inspect.getsourcelines(fn)
    return start + next(i for i, s in enumerate(src) if marker in s)


def test_error_names_op_shape_versions_and_the_users_line():
    def program():
        x = cr.tensor([0.5, 1.0, 2.0], requires_grad=True)
        y = x.exp()
        y.add_(1)  # MARK
        y.sum().backward()

    with pytest.raises(RuntimeError) as info:
        program()
    msg = str(info.value)
    assert "ExpBackward0" in msg and "its output" in msg and "(3,)" in msg
    assert "version 0" in msg and "version 1" in msg and "add_" in msg
    assert f"{__file__}:{_line_of(program, '# MARK')}" in msg
    assert "clone" in msg and "out-of-place" in msg


@pytest.mark.parametrize("case", ["sigmoid_output", "mul_input", "via_view", "under_no_grad",
                                  "custom_function", "setitem"])
def test_error_fires_when_a_saved_value_was_overwritten(case):
    x = cr.tensor([0.5, -1.0, 2.0, 0.3], requires_grad=True)
    a = x * 1
    if case == "sigmoid_output":
        out = a.sigmoid()
        out.mul_(2)
    elif case == "mul_input":
        out = a * x
        a.add_(1)
    elif case == "via_view":
        v = a[0:2]
        out = v * v
        a[3] = 0.0  # the base shares one version counter with its views, as in PyTorch
    elif case == "under_no_grad":
        out = a * a
        with cr.no_grad():
            a.mul_(0.5)
    elif case == "custom_function":
        class Square(cr.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                ctx.save_for_backward(t)
                return t * t

            @staticmethod
            def backward(ctx, g):
                (t,) = ctx.saved_tensors
                return 2 * t * g

        out = Square.apply(a)
        a.sub_(1)
    else:
        out = a.exp()
        out[1] = 0.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.sum().backward()


@pytest.mark.parametrize("case", ["add_saves_nothing", "after_backward", "clone",
                                  "own_input", "unrelated_tensor", "mul_by_constant",
                                  "exp_twice"])
def test_no_error_when_nothing_needed_was_overwritten(case):
    x = cr.tensor([0.5, -1.0, 2.0, 0.3], requires_grad=True)
    xt = torch.tensor([0.5, -1.0, 2.0, 0.3], requires_grad=True)
    res = []
    for lib, v in ((cr, x), (torch, xt)):
        a = v * 1
        if case == "add_saves_nothing":
            out = a + 1
            a.add_(1)
            out = out * 2 + a
        elif case == "after_backward":
            (a * a).sum().backward()
            a.add_(1)  # the graph that saved a has run: nothing needs a now
            v.grad = None
            out = v * 2
        elif case == "clone":
            out = a * a
            a.clone().add_(1)
        elif case == "own_input":
            a.mul_(v)
            out = a
        elif case == "mul_by_constant":
            # mul keeps both factors, but only the constant's gradient would read a
            out = a * lib.tensor([2.0, 3.0, 4.0, 5.0], dtype=lib.float64)
            a.add_(1)
        elif case == "unrelated_tensor":
            b = v * 2
            out = a * a
            b.mul_(3)
            out = out + b
        else:
            # torch raises here (exp_ saves its result, which the second exp_ overwrites);
            # chainrule keeps its own copy of each result, so the gradient is right
            a.exp_()
            a.exp_()
            out = a
            if lib is torch:
                res.append(None)
                continue
        out.sum().backward()
        res.append(to_numpy(v.grad))
    if case == "exp_twice":
        x0 = np.array([0.5, -1.0, 2.0, 0.3])
        np.testing.assert_allclose(res[0], np.exp(np.exp(x0)) * np.exp(x0))
    else:
        np.testing.assert_allclose(res[0], res[1])


def test_inplace_on_leaf_or_view_of_leaf_errors_outside_no_grad():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="view of a leaf"):
        w[0:1].mul_(2)
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 3.0
    with cr.no_grad():
        w.mul_(2)
        w[0:1].add_(1)
    np.testing.assert_array_equal(w.detach().numpy(), [3.0, 4.0])
    assert w.is_leaf and w.requires_grad


def test_view_made_under_no_grad_cannot_be_changed_with_grad_on():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    with cr.no_grad():
        v = a[0:1]
    with pytest.raises(RuntimeError, match="no_grad"):
        v.mul_(2)


def test_base_becomes_part_of_the_graph_through_a_view_write():
    y = cr.tensor([2.0, 3.0], requires_grad=True)
    b = cr.zeros(4)
    v = b[1:3]
    v.copy_(y)
    assert b.requires_grad and v.requires_grad
    (b * b).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [4.0, 6.0])


def test_mark_dirty_matches_torch():
    def make(lib):
        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                t.mul_(2)
                ctx.mark_dirty(t)
                return t

            @staticmethod
            def backward(ctx, g):
                return g * 2

        return Double

    outs = []
    for lib in (cr, torch):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        a = x * 1
        v = a[1:]
        b = make(lib).apply(v)
        assert b is v
        (a * a).sum().backward()
        outs.append((to_numpy(x.grad), a._version))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    assert outs[0][1] == outs[1][1]
    leaf = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        make(cr).apply(leaf)


@pytest.mark.parametrize("op", ["zero_", "fill_", "copy_"])
def test_constant_written_over_a_graph_tensor_stays_in_the_graph(op):
    """As in torch: y.zero_() keeps y requiring grad; the old value's gradient is 0."""
    grads = []
    for lib in (cr, torch):
        x = lib.tensor(np.ones(3), requires_grad=True)
        y = x * 2
        v = y[0:2]
        args = {"zero_": (), "fill_": (1.5,), "copy_": (lib.tensor(np.arange(3.0)),)}[op]
        getattr(y, op)(*args)
        assert y.requires_grad and v.requires_grad
        (v.sum() + (y * x).sum()).backward()
        grads.append(to_numpy(x.grad))
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("through_view", [False, True])
def test_retain_grad_follows_the_tensor_through_an_inplace_change(through_view):
    res = []
    for lib in (cr, torch):
        x = lib.tensor(np.arange(1.0, 4.0), requires_grad=True)
        y = x * 1
        y.retain_grad()
        if through_view:
            y[1].mul_(2)
        else:
            y.mul_(2)
        (y * y).sum().backward()
        res.append(to_numpy(y.grad))
    np.testing.assert_array_equal(res[0], res[1])


def _f_view_writes(x):
    import chainrule.numpy as cnp

    y = x * 1
    y[0] = x[1] * x[2]
    v = y[1:]
    v.mul_(x[0])
    return cnp.sum(y * y) + cnp.sum(x[[0, 2, 2]] ** 3)


def test_reverse_over_forward_through_view_writes_and_indexing():
    """jacrev(jacfwd(f)) differentiates the forward rules' own (batched) indexing in reverse:
    it equals the Hessian from forward over reverse."""
    x0 = np.array([0.5, 1.3, -0.7, 0.9])
    h = cr.hessian(_f_view_writes)(x0)
    np.testing.assert_allclose(cr.jacrev(cr.jacfwd(_f_view_writes))(x0), h, rtol=1e-12)
    np.testing.assert_allclose(cr.jacfwd(cr.jacfwd(_f_view_writes))(x0), h, rtol=1e-12)
    np.testing.assert_allclose(cr.jacrev(cr.jacrev(_f_view_writes))(x0), h, rtol=1e-12)
