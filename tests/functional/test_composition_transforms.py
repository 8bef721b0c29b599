"""Every transform inside every other: each outer transform (jvp, vjp, grad, value_and_grad,
jacfwd, jacrev, jacobian, linearize) differentiates each inner one (grad, value_and_grad,
elementwise_grad, jacfwd, jacrev, hessian, hvp, jvp, vjp, linearize, and the Tensor face's
``autograd.grad`` and ``backward`` with ``create_graph``) with respect to every array the inner
one takes: the primal and, where there is one, the tangent or cotangent. Each result is
projected to one number and compared with central differences of the inner transform.

The primitive-by-primitive proof is in test_composition.py; this file is about the functional
layer: what each transform does with traced primals, tangents and cotangents.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

import chainrule as cr

_M = np.array([[0.7, -0.4, 0.2], [0.1, 0.5, -0.9]])
X = np.array([0.3, -0.8, 1.1])


def fvec(x):  # R^3 -> R^2
    return cr.tanh(cr.matmul(_M, x)) * cr.exp(x[:2])


def fsc(x):  # R^3 -> R
    return cr.sum(cr.sin(x) * cr.exp(0.3 * x)) + x[0] * x[1] * x[2]


def fel(x):  # elementwise
    return cr.sin(x) * cr.exp(0.5 * x)


def _tensor_grad(x, u):
    p = cr.tensor(np.zeros(3), requires_grad=True)  # d/dx f(x) = d/dp f(x + p) at p = 0
    return cr.autograd.grad(fvec(x + p), p, grad_outputs=u, create_graph=True)[0]


def _tensor_backward(x, u):
    p = cr.tensor(np.zeros(3), requires_grad=True)
    fvec(x + p).backward(u, create_graph=True)
    return p.grad


# name: (function of the inner transform's arrays, shapes of those arrays)
INNER = {
    "grad": (lambda x: cr.grad(fsc)(x), [(3,)]),
    "value_and_grad.value": (lambda x: cr.value_and_grad(fsc)(x)[0], [(3,)]),
    "value_and_grad.grad": (lambda x: cr.value_and_grad(fsc)(x)[1], [(3,)]),
    "elementwise_grad": (lambda x: cr.elementwise_grad(fel)(x), [(3,)]),
    "jacfwd": (lambda x: cr.jacfwd(fvec)(x), [(3,)]),
    "jacrev": (lambda x: cr.jacrev(fvec)(x), [(3,)]),
    "jacrev_chunked": (lambda x: cr.jacrev(fvec, chunk_size=1)(x), [(3,)]),
    "hessian": (lambda x: cr.hessian(fsc)(x), [(3,)]),
    "hvp": (lambda x, v: cr.hvp(fsc, (x,), (v,))[1], [(3,), (3,)]),
    "jvp": (lambda x, v: cr.jvp(fvec, (x,), (v,))[1], [(3,), (3,)]),
    "vjp": (lambda x, u: cr.vjp(fvec, x)[1](u)[0], [(3,), (2,)]),
    "linearize": (lambda x, v: cr.linearize(fvec, x)[1](v), [(3,), (3,)]),
    "autograd.grad": (_tensor_grad, [(3,), (2,)]),
    "backward": (_tensor_backward, [(3,), (2,)]),
}


def _arr(o):
    return np.asarray(o._data if hasattr(o, "_data") else o)


def _dot(a, b):
    return float(np.sum(_arr(a) * _arr(b)))


def _flat(t):
    return list(t) if isinstance(t, (tuple, list)) else [t]


def _outer(name, g, args, dirs, w):
    """<w, D g(args)[dirs]> by the outer transform ``name``."""
    n = len(args)
    nums = tuple(range(n))
    if name == "jvp":
        return _dot(w, cr.jvp(g, tuple(args), tuple(dirs))[1])
    if name == "vjp":
        return sum(_dot(c, d) for c, d in zip(cr.vjp(g, *args)[1](w), dirs))
    if name in ("grad", "value_and_grad"):
        def scalar(*a):
            return cr.sum(g(*a) * w)
        gs = (cr.grad(scalar, nums) if name == "grad" else
              (lambda *a: cr.value_and_grad(scalar, nums)(*a)[1]))(*args)
        return sum(_dot(c, d) for c, d in zip(gs, dirs))
    if name in ("jacfwd", "jacrev", "jacobian"):
        make = getattr(cr, name)
        Js = _flat(make(g, argnums=nums)(*args))
        return sum(float(np.tensordot(np.tensordot(w, _arr(J), w.ndim), d, d.ndim))
                   for J, d in zip(Js, dirs))
    if name == "linearize":
        return _dot(w, cr.linearize(g, *args)[1](*dirs))
    raise ValueError(name)


def _outer2(name, g, args, dirs, w):
    """<w, D2 g(args)[dirs, dirs]> by the second-order outer transform ``name``."""
    nums = tuple(range(len(args)))

    def scalar(*a):
        return cr.sum(g(*a) * w)

    if name == "hessian":
        H = cr.hessian(scalar, nums)(*args)
        return sum(float(di @ _arr(H[i][j]) @ dj) for i, di in enumerate(dirs)
                   for j, dj in enumerate(dirs))
    if name == "hvp":
        _, hv = cr.hvp(scalar, tuple(args), tuple(dirs))
        return sum(_dot(a, d) for a, d in zip(_flat(hv), dirs))
    raise ValueError(name)


OUTER = ("jvp", "vjp", "grad", "value_and_grad", "jacfwd", "jacrev", "jacobian", "linearize")
OUTER2 = ("hessian", "hvp")


@pytest.mark.parametrize("outer", OUTER)
@pytest.mark.parametrize("inner", sorted(INNER))
def test_outer_transform_of_inner_transform(outer, inner):
    fn, shapes = INNER[inner]
    r = np.random.default_rng(zlib.crc32(f"{outer}|{inner}".encode()))
    args = [X] + [r.standard_normal(s) for s in shapes[1:]]
    dirs = [r.standard_normal(s) for s in shapes]
    w = r.standard_normal(_arr(fn(*args)).shape)
    h = 1e-5
    fd = (_dot(w, fn(*[a + h * d for a, d in zip(args, dirs)]))
          - _dot(w, fn(*[a - h * d for a, d in zip(args, dirs)]))) / (2 * h)
    got = _outer(outer, fn, args, dirs, w)
    assert math.isclose(got, fd, rel_tol=1e-6, abs_tol=1e-7), (got, fd)


@pytest.mark.parametrize("outer", OUTER2)
@pytest.mark.parametrize("inner", sorted(INNER))
def test_second_order_transform_of_inner_transform(outer, inner):
    """Third order and beyond: hessian and hvp of each inner transform, against a second
    central difference."""
    fn, shapes = INNER[inner]
    r = np.random.default_rng(zlib.crc32(f"{outer}|{inner}|2".encode()))
    args = [X] + [r.standard_normal(s) for s in shapes[1:]]
    dirs = [r.standard_normal(s) for s in shapes]
    w = r.standard_normal(_arr(fn(*args)).shape)
    h = 1e-4

    def phi(s):
        return _dot(w, fn(*[a + s * d for a, d in zip(args, dirs)]))

    fd = (phi(h) - 2 * phi(0.0) + phi(-h)) / h ** 2
    got = _outer2(outer, fn, args, dirs, w)
    assert math.isclose(got, fd, rel_tol=1e-5, abs_tol=1e-6), (got, fd)
