"""Sorting, selection and counting in PyTorch's spelling against torch: values, indices (their
dtype too), gradients through the gathered values, and forward mode."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import assert_matches_torch, check_forward, check_grads, distinct, rand

import chainrule as cr

X = distinct((3, 5), seed=1)  # no ties: indices are unique
TIES = np.array([[1.0, 3.0, 1.0, 2.0, 3.0], [0.5, 0.5, 0.5, -1.0, 2.0]])
S = np.sort(rand((6,), seed=2))

CASES = [
    ("sort", lambda m, x: m.sort(x), (X,)),
    ("sort_dim0_desc", lambda m, x: m.sort(x, 0, descending=True), (X,)),
    ("sort_stable_ties", lambda m, x: m.sort(x, stable=True), (TIES,)),
    ("sort_stable_ties_desc", lambda m, x: x.sort(descending=True, stable=True), (TIES,)),
    ("sort_named", lambda m, x: (m.sort(x, dim=1).values, m.sort(x, dim=1).indices), (X,)),
    ("argsort", lambda m, x: m.argsort(x, 1, True), (X,)),
    ("argsort_stable", lambda m, x: x.argsort(stable=True), (TIES,)),
    ("msort", lambda m, x: m.msort(x), (X,)),
    ("topk", lambda m, x: m.topk(x, 2), (X,)),
    ("topk_smallest_dim0", lambda m, x: x.topk(2, dim=0, largest=False), (X,)),
    ("topk_named", lambda m, x: m.topk(x, 3).values * 2, (X,)),
    ("kthvalue", lambda m, x: m.kthvalue(x, 2), (X,)),
    ("kthvalue_keepdim", lambda m, x: x.kthvalue(3, 0, True), (X,)),
    ("sort_0d", lambda m, x: m.sort(x), (np.float64(2.0),)),
    ("unique_values", lambda m, x: m.unique(x), (TIES,)),
    ("unique_all", lambda m, x: m.unique(x, return_inverse=True, return_counts=True), (TIES,)),
    ("unique_dim", lambda m, x: m.unique(x, dim=1, return_inverse=True),
     (np.array([[1.0, 2.0, 1.0], [3.0, 0.0, 3.0]]),)),
    ("unique_consecutive", lambda m, x: m.unique_consecutive(x, return_counts=True,
                                                             return_inverse=True),
     (np.array([1.0, 1.0, 2.0, 2.0, 3.0, 1.0, 1.0]),)),
    ("unique_consecutive_dim", lambda m, x: x.unique_consecutive(dim=0),
     (np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 2.0]]),)),
    ("bincount_weights", lambda m, w: m.bincount(m.tensor([0, 3, 3, 1]), w),
     (rand((4,), seed=3),)),
]


@pytest.mark.parametrize("name,fn,args", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn, args):
    # torch has no derivative for unique's values (chainrule's goes to the first occurrence)
    # nor for bincount's weights (chainrule's: test_forward_mode_and_errors)
    assert_matches_torch(lambda *a: fn(cr, *a), lambda *a: fn(torch, *a), *args,
                         grad=not name.startswith(("unique", "bincount")),
                         second=name == "topk")


INT_CASES = [
    ("searchsorted", lambda m: m.searchsorted(m.tensor(S), m.tensor([[-3.0, 0.1], [S[2], 9]]))),
    ("searchsorted_right", lambda m: m.searchsorted(m.tensor(S), m.tensor(S[1:3]), right=True)),
    ("searchsorted_side", lambda m: m.searchsorted(m.tensor(S), m.tensor(S[1:3]), side="right",
                                                   out_int32=True)),
    ("searchsorted_nd", lambda m: m.searchsorted(m.tensor(np.sort(X, 1)), m.tensor(X[:, :2]))),
    ("bucketize", lambda m: m.bucketize(m.tensor([[0.5, 2.0], [3.0, 9.0]]),
                                        m.tensor([0.5, 2.0, 3.0]))),
    ("bucketize_right", lambda m: m.bucketize(m.tensor([0.5, 2.0, 3.0]),
                                              m.tensor([0.5, 2.0, 3.0]), right=True)),
    ("bincount", lambda m: m.bincount(m.tensor([0, 3, 3, 1]), minlength=6)),
    ("bincount_method", lambda m: m.tensor([2, 2, 0]).bincount()),
    ("histc", lambda m: m.histc(m.tensor(X), bins=4)),
    ("histc_range", lambda m: m.tensor(X).histc(5, -1, 1)),
    ("argsort_int", lambda m: m.argsort(m.tensor([3, 1, 2]))),
]


@pytest.mark.parametrize("name,fn", INT_CASES, ids=[c[0] for c in INT_CASES])
def test_constant_results_match_torch(name, fn):
    got, want = fn(cr), fn(torch)
    assert np.asarray(got._data).dtype == want.numpy().dtype
    np.testing.assert_array_equal(np.asarray(got._data), want.numpy())


def test_indices_are_int64_and_results_named():
    r = cr.sort(cr.tensor(X), 1)
    assert r.indices.dtype == np.int64 and type(r).__name__ == "sort"
    assert type(cr.topk(cr.tensor(X), 1)).__name__ == "topk"
    assert type(cr.kthvalue(cr.tensor(X), 1)).__name__ == "kthvalue"


def test_nan_sorts_as_the_largest():
    a = np.array([1.0, np.nan, -1.0, np.nan, 0.0])
    for desc in (False, True):
        got = cr.sort(cr.tensor(a), descending=desc, stable=True)
        want = torch.sort(torch.tensor(a), descending=desc, stable=True)
        np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
        np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())


def test_forward_mode_and_errors():
    check_forward(lambda x: cr.topk(x, 2, 0).values, X)
    check_grads(lambda w: cr.bincount(cr.tensor([0, 3, 3, 1]), w), rand((4,), seed=3))
    check_forward(lambda x: cr.sort(x, descending=True).values * x, X)
    with pytest.raises(ValueError, match="topk: k"):
        cr.topk(cr.tensor(X), 6)
    with pytest.raises(TypeError, match="sort: complex numbers have no order"):
        cr.sort(cr.tensor(np.array([1j])))
    with pytest.raises(TypeError, match="bincount: input must be a 1-D tensor of ints"):
        cr.bincount(cr.tensor(X))
