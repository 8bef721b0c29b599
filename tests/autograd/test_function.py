"""chainrule.autograd.Function: custom operations with PyTorch's protocol."""

import gc
import weakref

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import autograd
from chainrule.autograd import Function, gradcheck, gradgradcheck, once_differentiable
from chainrule.autograd import forward_ad as fwad


def leaf(values):
    return cr.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def tleaf(values):
    return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# --- the functions, written once for chainrule and once for torch --------------------------
def make_exp(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = lib.exp(x)
            ctx.save_for_backward(y)  # an output: reconnected for double backward
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

        @staticmethod
        def jvp(ctx, t):
            (y,) = ctx.saved_tensors
            return t * y

    return Exp


def make_clamp_grad(lib):
    """Clamp in the forward, but a straight-through gradient scaled by 1 + x**2 (custom)."""

    class Clamp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, lo, hi):
            ctx.save_for_backward(x)  # an input
            ctx.lo = lo
            return lib.clamp(x, lo, hi)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (1 + x * x), None, None

    return Clamp


def make_two_out(lib):
    """(x * y, sin(x) + y**2): two outputs, one backward call."""

    class Two(lib.autograd.Function):
        calls = 0

        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y, lib.sin(x) + y * y

        @staticmethod
        def backward(ctx, ga, gb):
            Two.calls += 1
            x, y = ctx.saved_tensors
            return ga * y + gb * lib.cos(x), ga * x + 2 * gb * y

        @staticmethod
        def jvp(ctx, tx, ty):
            x, y = ctx.saved_tensors
            return tx * y + x * ty, lib.cos(x) * tx + 2 * y * ty

    return Two


Exp, TExp = make_exp(cr), make_exp(torch)
Clamp, TClamp = make_clamp_grad(cr), make_clamp_grad(torch)
Two, TTwo = make_two_out(cr), make_two_out(torch)
X = [0.3, -1.2, 2.0]
Y = [1.5, 0.4, -0.7]


def test_gradcheck_and_gradgradcheck():
    x, y = leaf(X), leaf(Y)
    assert gradcheck(Exp.apply, (x,))
    assert gradgradcheck(Exp.apply, (x,))
    assert gradcheck(lambda v: Clamp.apply(v, -1.0, 1.5), (x,), raise_exception=False) is False
    assert gradcheck(Two.apply, (x, y))
    assert gradgradcheck(Two.apply, (x, y))


@pytest.mark.parametrize("create", [False, True])
def test_agrees_with_torch(create):
    x, y = leaf(X), leaf(Y)
    tx, ty = tleaf(X), tleaf(Y)
    a, b = Two.apply(x, y)
    ta, tb = TTwo.apply(tx, ty)
    out = (Exp.apply(a) * b + Clamp.apply(x, -1.0, 1.5)).sum()
    tout = (TExp.apply(ta) * tb + TClamp.apply(tx, -1.0, 1.5)).sum()
    np.testing.assert_allclose(out.item(), tout.item())
    gx, gy = autograd.grad(out, (x, y), create_graph=create)
    tgx, tgy = torch.autograd.grad(tout, (tx, ty), create_graph=create)
    np.testing.assert_allclose(gx.detach().numpy(), tgx.detach().numpy())
    np.testing.assert_allclose(gy.detach().numpy(), tgy.detach().numpy())
    if create:  # double backward, as torch
        (h,) = autograd.grad((gx * gy).sum(), x)
        (th,) = torch.autograd.grad((tgx * tgy).sum(), tx)
        np.testing.assert_allclose(h.numpy(), th.numpy())


def test_backward_called_once_for_several_outputs():
    x, y = leaf(X), leaf(Y)
    Two.calls = 0
    a, b = Two.apply(x, y)
    (a.sum() + 2 * b.sum()).backward()
    assert Two.calls == 1
    np.testing.assert_allclose(x.grad.numpy(), np.array(Y) + 2 * np.cos(X))
    # only one output used: the other's gradient is materialized as zeros
    x.grad = None
    a, b = Two.apply(x, y)
    b.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(X))


def test_grad_fn_name_and_no_graph_without_grad():
    x = leaf(X)
    y = Exp.apply(x)
    assert y.grad_fn.name() == "ExpBackward" and y.requires_grad
    with cr.no_grad():
        assert not Exp.apply(x).requires_grad
    assert not Exp.apply(cr.tensor(X)).requires_grad


def test_needs_input_grad():
    seen = []

    class F(Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen.append(ctx.needs_input_grad)
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    F.apply(leaf(X), cr.tensor(Y), 2.0)
    assert seen == [(True, False, False)]


def test_mark_non_differentiable_and_materialize():
    got = []

    class SortIdx(Function):
        @staticmethod
        def forward(ctx, x):
            idx = cr.tensor(np.argsort(x.detach().numpy()).astype(np.float64))
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, gidx):
            got.append(gidx)
            return g * 2

    x = leaf(X)
    v, idx = SortIdx.apply(x)
    assert v.requires_grad and not idx.requires_grad
    v.sum().backward()
    np.testing.assert_allclose(got[0].numpy(), np.zeros(3))  # materialized
    np.testing.assert_allclose(x.grad.numpy(), [2, 2, 2])

    class NoMat(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            got.append((ga, gb))
            return (0 if ga is None else ga) + (0 if gb is None else 3 * gb)

    x = leaf(X)
    _, b = NoMat.apply(x)
    b.sum().backward()
    assert got[-1][0] is None and got[-1][1] is not None
    np.testing.assert_allclose(x.grad.numpy(), [3, 3, 3])


def test_once_differentiable():
    class NumpyExp(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return cr.exp(x)

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return cr.tensor(g.detach().numpy() * np.exp(x.detach().numpy()))

    x = leaf(X)
    (g,) = autograd.grad(NumpyExp.apply(x).sum(), x)  # first order is fine
    np.testing.assert_allclose(g.numpy(), np.exp(X))
    (g,) = autograd.grad(NumpyExp.apply(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="NumpyExp.*once_differentiable"):
        autograd.grad(g.sum(), x)


def test_errors():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Wrong.apply(leaf(X), leaf(Y)).sum().backward()

    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return cr.ones((5,))

    with pytest.raises(RuntimeError, match="BadShape.*shape"):
        BadShape.apply(leaf(X)).sum().backward()

    class NoJvp(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="NoJvp.*defines no jvp"):
        cr.jvp(NoJvp.apply, (np.array(X),), (np.ones(3),))
    with pytest.raises(RuntimeError, match="Dirty: a leaf tensor that requires grad"):
        class Dirty(NoJvp):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_dirty(x)
                return x
        Dirty.apply(leaf(X))
    with pytest.raises(RuntimeError, match="apply"):
        Exp()
    x = leaf(X)
    y = Exp.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


def test_forward_mode_and_hessian():
    x = np.array(X)
    _, t = cr.jvp(Exp.apply, (x,), (np.array([1.0, 2.0, 3.0]),))
    np.testing.assert_allclose(t, np.exp(x) * [1, 2, 3])
    with fwad.dual_level():
        xd = fwad.make_dual(cr.tensor(X), cr.tensor(np.ones(3)))
        a, b = Two.apply(xd, cr.tensor(Y))
        np.testing.assert_allclose(fwad.unpack_dual(a).tangent.numpy(), Y)
        np.testing.assert_allclose(fwad.unpack_dual(b).tangent.numpy(), np.cos(X))
    # forward over reverse, reverse over reverse, reverse over forward
    f = lambda v: (Exp.apply(v) * v).sum()  # noqa: E731
    expect = np.diag(np.exp(x) * (x + 2))
    np.testing.assert_allclose(cr.hessian(f)(x), expect, rtol=1e-12)
    np.testing.assert_allclose(cr.jacrev(cr.jacrev(f))(x), expect, rtol=1e-12)
    np.testing.assert_allclose(cr.jacrev(cr.jacfwd(f))(x), expect, rtol=1e-12)
    np.testing.assert_allclose(cr.jacfwd(cr.jacfwd(f))(x), expect, rtol=1e-12)


def test_jacrev_batches_rows():
    x = np.array(X)
    J = cr.jacrev(lambda v: Exp.apply(v))(x)
    np.testing.assert_allclose(J, np.diag(np.exp(x)))

    class RowSum(Function):  # a backward that is not batch-polymorphic
        @staticmethod
        def forward(ctx, v):
            return v.sum(keepdims=True) * 1.0

        @staticmethod
        def backward(ctx, g):
            assert g.shape == (1,)
            return cr.ones((3,)) * g.sum()

    np.testing.assert_allclose(cr.jacrev(RowSum.apply)(x), np.ones((1, 3)))


def test_graph_has_no_reference_cycle():
    gc.collect()
    gc.disable()
    try:
        x = leaf(X)
        a, b = Two.apply(x, leaf(Y))
        y = Exp.apply(a)
        ref = weakref.ref(y.grad_fn)
        del a, b, y
        assert ref() is None  # freed by reference counting alone
    finally:
        gc.enable()
