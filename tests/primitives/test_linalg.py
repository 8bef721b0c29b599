"""Products: matmul (every combination of 1-D, 2-D and batched operands, broadcasting batch
dimensions), dot, tensordot and einsum. gradcheck of first and second order, PyTorch as the
oracle, and the errors for operands that do not fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import assert_matches_torch, check_grads, leaf, rand, to_numpy

import chainrule as cr

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((2, 2, 3), (3, 4)),
    ((2, 3), (2, 3, 4)),
    ((2, 1, 2, 3), (3, 3, 2)),  # batch dims (2, 1) and (3,) broadcast to (2, 3)
    ((1, 2, 3), (2, 3, 2)),
    ((2, 2, 3), (3,)),  # 3-D @ 1-D
    ((3,), (2, 3, 4)),  # 1-D @ 3-D
    ((0, 3), (3, 2)),
    ((2, 0), (0, 3)),
    ((0,), (0,)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
def test_matmul(sa, sb):
    a, b = rand(sa, 1), rand(sb, 2)
    check_grads(cr.matmul, a, b)
    assert_matches_torch(cr.matmul, torch.matmul, a, b)
    assert_matches_torch(lambda x, y: x @ y, lambda x, y: x @ y, a, b)
    assert_matches_torch(lambda x, y: x.matmul(y), lambda x, y: x.matmul(y), a, b)


def test_matmul_with_array_operand():
    a, b = rand((2, 3), 3), rand((3, 2), 4)
    check_grads(lambda x: b @ x @ b, rand((2, 3), 5))  # ndarray @ Tensor uses __rmatmul__
    np.testing.assert_allclose(to_numpy(a @ cr.tensor(b)), a @ b)


@pytest.mark.parametrize("sa,sb,what", [
    ((2, 3), (4, 2), "not aligned"),
    ((3,), (4,), "not aligned"),
    ((2, 3), (2,), "not aligned"),
    ((2, 2, 3), (3, 3, 4), "batch dimensions"),
    ((), (3,), "at least one dimension"),
])
def test_matmul_shape_mismatch_names_op_and_both_shapes(sa, sb, what):
    for a, b in [(leaf(rand(sa)), leaf(rand(sb))), (rand(sa), rand(sb))]:
        with pytest.raises(ValueError) as info:
            cr.matmul(a, b)
        msg = str(info.value)
        assert msg.startswith("matmul:") and what in msg, msg
        assert str(sa) in msg and str(sb) in msg, msg


# --- dot, tensordot ------------------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 2)),
                                   ((), (2, 3)), ((2, 3), ()), ((2, 2, 3), (4, 3, 2)),
                                   ((2, 2, 3), (3,))], ids=str)
def test_dot_numpy_semantics(sa, sb):
    a, b = rand(sa, 6), rand(sb, 7)
    check_grads(cr.dot, a, b)
    np.testing.assert_allclose(to_numpy(cr.dot(cr.tensor(a), cr.tensor(b))), np.dot(a, b),
                               rtol=1e-12)


def test_dot_matches_torch():
    a, b = rand((4,), 8), rand((4,), 9)
    assert_matches_torch(cr.dot, torch.dot, a, b)
    assert_matches_torch(lambda x, y: x.dot(y), lambda x, y: x.dot(y), a, b)
    assert_matches_torch(cr.dot, torch.mm, rand((2, 3), 1), rand((3, 2), 2))


@pytest.mark.parametrize("sa,sb,axes", [((2, 3, 4), (3, 4, 2), 2), ((2, 3), (3, 2), 1),
                                        ((2, 3), (2, 3), ([0, 1], [0, 1])),
                                        ((3, 2), (2, 3), (0, 1)), ((2,), (3,), 0)], ids=str)
def test_tensordot(sa, sb, axes):
    a, b = rand(sa, 10), rand(sb, 11)
    check_grads(lambda x, y: cr.tensordot(x, y, axes), a, b)
    t_axes = axes if isinstance(axes, int) else tuple(np.atleast_1d(a).tolist() for a in axes)
    assert_matches_torch(lambda x, y: cr.tensordot(x, y, axes),
                         lambda x, y: torch.tensordot(x, y, t_axes), a, b)


# --- einsum ----------------------------------------------------------------------------------
EINSUM = {
    "matrix product": ("ij,jk->ik", [(2, 3), (3, 4)]),
    "trace": ("ii->", [(3, 3)]),
    "implicit trace": ("ii", [(3, 3)]),
    "diagonal": ("ii->i", [(3, 3)]),
    "implicit output": ("ij,jk", [(2, 3), (3, 2)]),
    "implicit transpose": ("ji", [(2, 3)]),
    "ellipsis": ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 2)]),
    "ellipsis broadcast": ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),
    "ellipsis implicit": ("...ij,...jk", [(2, 2, 3), (3, 4)]),
    "sum": ("ij->", [(2, 3)]),
    "outer": ("i,j->ij", [(3,), (2,)]),
    "inner": ("i,i->", [(4,)] * 2),
    "three operands": ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 4)]),
    "batched": ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    "summed away": ("ij,jk->i", [(2, 3), (3, 4)]),
    "diagonal times vector": ("ii,i->i", [(3, 3), (3,)]),
    "repeated in 3-D": ("iij->ij", [(2, 2, 3)]),
    "transpose": ("ij->ji", [(2, 3)]),
    "scalar operand": (",ij->ij", [(), (2, 3)]),
    "empty": ("ij,jk->ik", [(0, 3), (3, 2)]),
}


@pytest.mark.parametrize("name", EINSUM)
def test_einsum(name):
    spec, shapes = EINSUM[name]
    xs = [rand(s, k) for k, s in enumerate(shapes)]
    check_grads(lambda *ts: cr.einsum(spec, *ts), *xs)
    assert_matches_torch(lambda *ts: cr.einsum(spec, *ts), lambda *ts: torch.einsum(spec, *ts),
                         *xs)
    np.testing.assert_allclose(to_numpy(cr.einsum(spec, *[cr.tensor(x) for x in xs])),
                               np.einsum(spec, *xs), rtol=1e-12, atol=1e-14)


def test_einsum_with_a_constant_operand():
    c = cr.tensor(rand((3, 4), 3))
    check_grads(lambda a: cr.einsum("ij,jk->ik", a, c), rand((2, 3), 4))
    check_grads(lambda b: cr.einsum("ij,jk,k->i", c.T, b, rand((4,), 1)), rand((3, 4), 5))


def test_einsum_errors():
    with pytest.raises(ValueError, match="einsum"):
        cr.einsum("ij,jk->ik", leaf(rand((2, 3))))
    with pytest.raises(ValueError, match="einsum"):
        cr.einsum("ijk->i", leaf(rand((2, 3))))
    with pytest.raises(ValueError) as info:
        cr.einsum("ij,jk->ik", leaf(rand((2, 3))), leaf(rand((4, 2))))
    assert str(info.value).startswith("einsum"), str(info.value)
