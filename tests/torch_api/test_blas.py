"""Products in PyTorch's spelling (mm, bmm, the add* family, outer/inner products, kron,
tensordot, einsum, cross, cdist, cov, corrcoef) against torch: values, gradients, second
derivatives, forward mode and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import (
    assert_matches_torch,
    check_forward,
    check_grads,
    crand,
    positive,
    rand,
)

import chainrule as cr

A = rand((3, 4), seed=1)
B = rand((4, 2), seed=2)
V4 = rand((4,), seed=3)
V3 = rand((3,), seed=4)
BA = rand((2, 3, 4), seed=5)
BB = rand((2, 4, 2), seed=6)
C = rand((3, 2), seed=7)

CASES = [
    ("matmul", lambda m, a, b: m.matmul(a, b), (BA, B)),
    ("mm", lambda m, a, b: m.mm(a, b), (A, B)),
    ("mm_method", lambda m, a, b: a.mm(b), (A, B)),
    ("bmm", lambda m, a, b: m.bmm(a, b), (BA, BB)),
    ("bmm_method", lambda m, a, b: a.bmm(b), (BA, BB)),
    ("mv", lambda m, a, v: m.mv(a, v), (A, V4)),
    ("mv_method", lambda m, a, v: a.mv(v), (A, V4)),
    ("addmm", lambda m, c, a, b: m.addmm(c, a, b), (C, A, B)),
    ("addmm_scaled", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=-2.0), (C, A, B)),
    ("addmm_bcast", lambda m, c, a, b: c.addmm(a, b, alpha=3), (rand((2,), seed=8), A, B)),
    ("addmm_beta0", lambda m, c, a, b: m.addmm(c, a, b, beta=0), (C, A, B)),
    ("addmv", lambda m, c, a, v: m.addmv(c, a, v, beta=2.0), (V3, A, V4)),
    ("addmv_method", lambda m, c, a, v: c.addmv(a, v, alpha=0.5), (V3, A, V4)),
    ("addbmm", lambda m, c, a, b: m.addbmm(c, a, b, alpha=2.0), (C, BA, BB)),
    ("addbmm_method", lambda m, c, a, b: c.addbmm(a, b, beta=-1.0), (C, BA, BB)),
    ("baddbmm", lambda m, c, a, b: m.baddbmm(c, a, b, beta=0.5), (C, BA, BB)),
    ("baddbmm_method", lambda m, c, a, b: c.baddbmm(a, b), (rand((2, 3, 2), seed=9), BA, BB)),
    ("addr", lambda m, c, u, v: m.addr(c, u, v, alpha=2.0), (A, V3, V4)),
    ("addr_method", lambda m, c, u, v: c.addr(u, v, beta=3.0), (A, V3, V4)),
    ("outer", lambda m, u, v: m.outer(u, v), (V3, V4)),
    ("ger", lambda m, u, v: m.ger(u, v), (V3, V4)),
    ("outer_method", lambda m, u, v: u.outer(v), (V3, V4)),
    ("inner", lambda m, a, b: m.inner(a, b), (A, rand((2, 4), seed=10))),
    ("inner_1d", lambda m, a, b: a.inner(b), (V4, V4 * 2)),
    ("inner_0d", lambda m, a, b: m.inner(a, b), (np.float64(2.0), A)),
    ("dot", lambda m, a, b: m.dot(a, b), (V4, V4 * 3)),
    ("dot_method", lambda m, a, b: a.dot(b), (V4, V4 * 3)),
    ("vdot", lambda m, a, b: m.vdot(a, b), (crand((3,), seed=1), crand((3,), seed=2))),
    ("vdot_method", lambda m, a, b: a.vdot(b), (V4, V4)),
    ("chain_matmul", lambda m, a, b, c: m.chain_matmul(a, b, c.T), (A, B, C)),
    ("kron", lambda m, a, b: m.kron(a, b), (A, C)),
    ("kron_nd", lambda m, a, b: a.kron(b), (V3, BB)),
    ("tensordot_int", lambda m, a, b: m.tensordot(a, b, 1), (BA, B)),
    ("tensordot_lists", lambda m, a, b: m.tensordot(a, b, dims=([1, 2], [0, 1])),
     (BA, rand((3, 4, 2), seed=3))),
    ("tensordot_pair", lambda m, a, b: m.tensordot(a, b, ([0], [1])), (A, C.T)),
    ("einsum", lambda m, a, b: m.einsum("bij,bjk->bik", a, b), (BA, BB)),
    ("einsum_list", lambda m, a, b: m.einsum("ij,j", [a, b]), (A, V4)),
    ("einsum_spaces_ellipsis", lambda m, a: m.einsum("... i j -> ... j", a), (BA,)),
    ("einsum_sublist", lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [0, 2]), (A, B)),
    ("einsum_trace", lambda m, a: m.einsum("ii", a), (rand((3, 3), seed=3),)),
    ("cross", lambda m, a, b: m.cross(a, b, dim=1), (rand((2, 3), seed=1), rand((2, 3), seed=2))),
    ("cross_dim0", lambda m, a, b: a.cross(b, dim=0),
     (rand((3, 2), seed=1), rand((3, 1), seed=2))),
    ("cross_last", lambda m, a, b: m.cross(a, b, -1),
     (rand((2, 4, 3), seed=1), rand((2, 4, 3), seed=2))),
    ("cdist", lambda m, a, b: m.cdist(a, b), (A, rand((5, 4), seed=2))),
    ("cdist_p1", lambda m, a, b: m.cdist(a, b, p=1.0), (A, rand((5, 4), seed=2))),
    ("cdist_p3", lambda m, a, b: m.cdist(a, b, p=3.0), (A, rand((5, 4), seed=2))),
    ("cdist_inf", lambda m, a, b: m.cdist(a, b, p=float("inf")), (A, rand((5, 4), seed=2))),
    ("cdist_batch", lambda m, a, b: m.cdist(a, b), (BA, rand((2, 5, 4), seed=2))),
    ("cdist_p0", lambda m, a, b: m.cdist(a, b, 0), (A, np.round(rand((2, 4), seed=2)))),
    ("cov", lambda m, x: m.cov(x), (A,)),
    ("cov_method", lambda m, x: x.cov(correction=0), (A,)),
    ("cov_1d", lambda m, x: m.cov(x), (V4,)),
    ("cov_weights", lambda m, x, w: m.cov(x, fweights=m.tensor([1, 2, 1, 3]), aweights=w),
     (A, positive((4,), seed=2))),
    ("cov_complex", lambda m, x: m.cov(x), (crand((2, 4), seed=3),)),
    ("corrcoef", lambda m, x: m.corrcoef(x), (A,)),
    ("corrcoef_method", lambda m, x: x.corrcoef(), (A,)),
]


@pytest.mark.parametrize("name,fn,args", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn, args):
    assert_matches_torch(lambda *a: fn(cr, *a), lambda *a: fn(torch, *a), *args,
                         grad=name != "cdist_p0", rtol=1e-9, atol=1e-11,
                         second=name.startswith(("addmm", "cov", "corrcoef", "kron",
                                                 "cross", "einsum_sublist")))


def test_cdist_at_zero_distance_has_zero_gradient():
    a = np.array([[1.0, 2.0], [0.0, 0.0]])
    assert_matches_torch(lambda x, y: cr.cdist(x, y), lambda x, y: torch.cdist(x, y), a, a.copy(),
                         second=False)


def test_cdist_second_order():
    """torch has no second derivative of cdist; chainrule's agrees with finite differences."""
    for p in (2.0, 1.5):
        check_grads(lambda a, b, p=p: cr.cdist(a, b, p), A, rand((2, 4), seed=2), forward=False)


def test_forward_mode():
    check_forward(lambda c, a, b: cr.addmm(c, a, b, beta=0.5), C, A, B)
    check_forward(lambda a, b: cr.cdist(a, b), A, rand((5, 4), seed=2))
    check_forward(lambda x: cr.corrcoef(x), A)
    check_forward(lambda a, b: cr.kron(a, b), A, C)


def test_errors_name_the_operation():
    with pytest.raises(ValueError, match="mm: input must be 2-D"):
        cr.mm(cr.tensor(V4), cr.tensor(B))
    with pytest.raises(ValueError, match=r"mm: shapes \(3, 4\) and \(3, 2\) cannot"):
        cr.mm(cr.tensor(A), cr.tensor(C))
    with pytest.raises(ValueError, match="bmm: batch sizes differ"):
        cr.bmm(cr.tensor(BA), cr.tensor(rand((3, 4, 2))))
    with pytest.raises(ValueError, match="dot: the tensors must have the same length"):
        cr.dot(cr.tensor(V4), cr.tensor(V3))
    with pytest.raises(ValueError, match="cross: dim 0 has length 4"):
        cr.cross(cr.tensor(A.T), cr.tensor(A.T), dim=0)
    with pytest.raises(ValueError, match="cdist: expects"):
        cr.cdist(cr.tensor(V4), cr.tensor(A))
