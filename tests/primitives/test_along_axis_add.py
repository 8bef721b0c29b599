"""along_axis_add (the transpose of take_along_axis, under scatter_add) with an input, and an
index broadcast to it, smaller than the output in the axes other than ``axis`` (PyTorch's
scatter_add allows index.size(d) <= self.size(d) for d != dim): first and second order, reverse
and forward mode, against finite differences and torch.scatter_add."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import assert_matches_torch, check_grads, rand

import chainrule as cr
from chainrule.autograd import forward_ad as fwad
from chainrule.primitives._core import apply
from chainrule.primitives.shape import ALONG_AXIS_ADD

_R = np.random.default_rng(7)
# (input shape, index shape (broadcasts to the input), axis (negative), output shape)
SHAPES = [
    ((3, 3), (3, 3), -1, (3, 4)),           # same size outside the axis
    ((2, 3), (2, 3), -1, (3, 4)),           # smaller in dim 0
    ((2, 3), (1, 3), -1, (3, 4)),           # smaller, and the index broadcast
    ((3, 3), (3, 1), -1, (3, 4)),           # the index broadcast along the axis
    ((2, 2, 3), (2, 2, 3), -2, (4, 5, 3)),  # smaller on both sides of the axis
    ((1, 2, 2), (1, 2, 2), -3, (3, 2, 4)),  # axis first, smaller last
]


def _case(in_shape, idx_shape, axis, shape):
    idx = _R.integers(0, shape[axis], idx_shape)
    return rand(in_shape, 1), idx


def _add(idx, axis, shape):
    return lambda x: apply(ALONG_AXIS_ADD, (x,), (idx, axis, shape))


@pytest.mark.parametrize("in_shape,idx_shape,axis,shape", SHAPES, ids=str)
def test_finite_differences(in_shape, idx_shape, axis, shape):
    # gradcheck and gradgradcheck, forward mode and forward over reverse; sin makes the
    # second derivative non-zero
    x, idx = _case(in_shape, idx_shape, axis, shape)
    check_grads(_add(idx, axis, shape), x)
    check_grads(lambda t: cr.sin(_add(idx, axis, shape)(cr.cos(t))), x)


@pytest.mark.parametrize("in_shape,idx_shape,axis,shape", SHAPES, ids=str)
def test_gradient_has_the_input_shape(in_shape, idx_shape, axis, shape):
    # at an intermediate node too (a leaf would hide a gradient that merely broadcasts)
    x, idx = _case(in_shape, idx_shape, axis, shape)
    xt = cr.tensor(x, requires_grad=True)
    h = xt * 2.0
    (gh,) = cr.grad(cr.sum(cr.sin(_add(idx, axis, shape)(h))), [h])
    assert gh.shape == in_shape


@pytest.mark.parametrize("in_shape,idx_shape,axis,shape", SHAPES, ids=str)
def test_against_torch_scatter_add(in_shape, idx_shape, axis, shape):
    x, idx = _case(in_shape, idx_shape, axis, shape)
    full = np.broadcast_to(idx, in_shape)  # torch's index is not broadcast
    d = len(shape) + axis
    ti = torch.from_numpy(np.ascontiguousarray(full))

    def torch_fn(t):
        return torch.sin(torch.zeros(shape, dtype=t.dtype).scatter_add(d, ti, torch.cos(t)))

    assert_matches_torch(lambda t: cr.sin(_add(idx, axis, shape)(cr.cos(t))), torch_fn, x)
    # forward mode against torch.func.jvp
    v = rand(in_shape, 2)
    _, t_jvp = torch.func.jvp(torch_fn, (torch.from_numpy(x),), (torch.from_numpy(v),))
    with fwad.dual_level():
        y = cr.sin(_add(idx, axis, shape)(cr.cos(fwad.make_dual(cr.tensor(x), cr.tensor(v)))))
        c_jvp = fwad.unpack_dual(y).tangent
    np.testing.assert_allclose(np.asarray(c_jvp._data), t_jvp.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("in_shape,idx_shape,axis,shape", SHAPES, ids=str)
def test_batched_tangents(in_shape, idx_shape, axis, shape):
    # several tangents at once (leading batch axes): each one's tangent as if alone, and the
    # reverse rule of the batched result (its saved input shape has the batch axes)
    x, idx = _case(in_shape, idx_shape, axis, shape)
    vs = rand((2,) + in_shape, 3)
    f = _add(idx, axis, shape)
    with fwad.dual_level():
        xt = cr.tensor(x, requires_grad=True)
        y = f(fwad.make_dual(xt, cr.tensor(vs), batched=True))
        jt = np.asarray(fwad.unpack_dual(y).tangent._data)
    for k in range(2):
        np.testing.assert_allclose(jt[k], np.asarray(f(cr.tensor(vs[k]))._data))
    u = rand((2,) + shape, 4)
    vt = cr.tensor(vs, requires_grad=True)
    (gv,) = cr.grad(f(vt), [vt], cr.tensor(u))
    for k in range(2):
        xk = cr.tensor(vs[k], requires_grad=True)
        (gk,) = cr.grad(f(xk), [xk], cr.tensor(u[k]))
        np.testing.assert_allclose(np.asarray(gv._data)[k], np.asarray(gk._data))


@pytest.mark.parametrize("src_shape", [(2, 3), (3, 4)], ids=str)
def test_scatter_add_smaller_index_against_torch(src_shape):
    # chainrule.scatter_add hands the index, smaller than the input, to along_axis_add itself
    x, src = rand((4, 5), 1), rand(src_shape, 2)
    index = np.array([[0, 1, 4], [2, 2, 0]])

    def cr_fn(a, s):
        return cr.tanh(cr.scatter_add(a * a, 1, cr.tensor(index), cr.sin(s)))

    def torch_fn(a, s):
        # torch cannot differentiate a src larger than the index ("ScatterAddBackward0 returned
        # an invalid gradient"): hand it the part that is read
        s = s[: index.shape[0], : index.shape[1]]
        return torch.tanh(torch.scatter_add(a * a, 1, torch.from_numpy(index), torch.sin(s)))

    assert_matches_torch(cr_fn, torch_fn, x, src)
    check_grads(cr_fn, x, src)
