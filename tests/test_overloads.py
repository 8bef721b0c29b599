"""PyTorch's positional overloads on the Tensor face (bools and lists in positional places),
checked against torch as the oracle: values and gradients."""

import numpy as np
import pytest
import torch
from tests.helpers import assert_matches_torch, rand

import chainrule as cr
import chainrule.numpy as cnp

X = rand((3, 4, 2), seed=3)


# --- var / std: PyTorch's var(input, unbiased) and var(input, dim, unbiased, keepdim) ---------
VAR_CALLS = [
    (True,), (False,), (0, True), (0, False), (1, False, True), (-1, True, False),
    ([0, 2], True), ((0, 1), False, True), (None, False), (None, True, True),
]


@pytest.mark.parametrize("args", VAR_CALLS, ids=str)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_positional_overloads_match_torch(name, args):
    # the method, as users write x.std(0, True)
    assert_matches_torch(lambda t: getattr(t, name)(*args), lambda t: getattr(t, name)(*args), X)
    # the function, as users write cr.var(x, 0, True)
    assert_matches_torch(lambda t: getattr(cr, name)(t, *args),
                         lambda t: getattr(torch, name)(t, *args), X)


def test_std_with_a_bool_reduces_over_all_elements():
    x = cr.tensor([1.0, 2.0, 4.0], requires_grad=True)
    s = cr.std(x, True)  # was read as dim=1 (an error here) or, on 2-D data, a silent dim
    assert s.shape == ()
    np.testing.assert_allclose(s.item(), np.std([1.0, 2.0, 4.0], ddof=1))
    v = cr.tensor(X).var(False)  # was the variance over dim 0 (shape (4, 2))
    assert v.shape == ()
    np.testing.assert_allclose(v.item(), X.var())


def test_var_keywords_still_work_and_agree():
    x = cr.tensor(X)
    ref = X.var(axis=1, ddof=0)
    for v in (x.var(1, unbiased=False), x.var(1, correction=0), x.var(axis=1, ddof=0),
              cr.var(x, dim=1, unbiased=False), x.var(1, False)):
        np.testing.assert_allclose(v.numpy(), ref)
    np.testing.assert_allclose(x.var(1, keepdim=True).numpy(), X.var(1, ddof=1, keepdims=True))


def test_var_std_bad_overloads_say_what_to_do():
    x = cr.tensor(X)
    with pytest.raises(TypeError, match=r"var: got the bools True and False"):
        x.var(True, False)
    with pytest.raises(TypeError, match=r"std: unbiased must be a bool, got 1 .*correction=1"):
        x.std(0, 1)
    with pytest.raises(TypeError, match=r"var: pass only one of unbiased and correction"):
        cr.var(x, 0, True, correction=0)
    with pytest.raises(TypeError, match=r"std: pass only one of ddof and correction"):
        cr.std(x, ddof=1, correction=1)


# --- a bool where an axis belongs is refused (torch and NumPy both refuse it) ----------------
@pytest.mark.parametrize("call", [
    lambda x: x.sum(True), lambda x: cr.mean(x, True), lambda x: x.prod(True),
    lambda x: x.max(True), lambda x: x.amax(True), lambda x: x.logsumexp(True),
    lambda x: x.softmax(True), lambda x: x.cumsum(True), lambda x: x.unsqueeze(True),
    lambda x: x.transpose(True, 0), lambda x: x.squeeze(True), lambda x: cr.sum(x, (0, True)),
])
def test_a_bool_is_not_an_axis(call):
    with pytest.raises(TypeError, match=r"bool True as (an axis|dim)"):
        call(cr.tensor(X))


# --- list and tuple dims, positional keepdim --------------------------------------------------
@pytest.mark.parametrize("name,args", [
    ("sum", ([0, 1],)), ("sum", ((0, 2), True)), ("mean", ((0, 1),)), ("mean", ([0, 2], True)),
    ("amax", ([0, 1],)), ("amin", ((1, 2), True)), ("logsumexp", ([0, 1],)),
    ("logsumexp", ((0, 2), True)), ("prod", (1, True)), ("max", (1, True)), ("min", (2,)),
], ids=str)
def test_list_and_tuple_dims_match_torch(name, args):
    assert_matches_torch(lambda t: getattr(t, name)(*args), lambda t: getattr(t, name)(*args), X)
    if hasattr(cr, name):
        assert_matches_torch(lambda t: getattr(cr, name)(t, *args),
                             lambda t: getattr(torch, name)(t, *args), X)


# --- einsum with its operands in a list (torch.einsum's form) --------------------------------
A = rand((3, 4), seed=4)
B = rand((4, 2), seed=5)


@pytest.mark.parametrize("spec,make", [
    ("i...->...", lambda a, b: [a]),
    ("ij,jk->ik", lambda a, b: [a, b]),
    ("ij,jk", lambda a, b: (a, b)),
    ("ij->j", lambda a, b: (a,)),
], ids=["ellipsis", "list", "tuple_implicit", "tuple_one"])
def test_einsum_operands_in_a_list_match_torch(spec, make):
    assert_matches_torch(lambda a, b: cr.einsum(spec, make(a, b)),
                         lambda a, b: torch.einsum(spec, make(a, b)), A, B)


def test_einsum_list_gradient_inside_a_transform():
    g = cr.grad(lambda a: cnp.sum(cr.einsum("ij,jk->ik", [a, B])))(A)
    np.testing.assert_allclose(g, np.broadcast_to(B.sum(1), (3, 4)))


def test_einsum_list_of_wrong_length_explains_the_form():
    with pytest.raises(ValueError, match=r"name 1 operand\(s\) but 2 were given.*torch\.einsum"):
        cr.einsum("i->", [1.0, 2.0])


def test_numpy_namespace_einsum_keeps_numpys_list_meaning():
    # NumPy reads a list after the subscripts as one array-like operand; so does
    # chainrule.numpy, stacking the tensors in it differentiably.
    a, b = cr.tensor([1.0, 2.0], requires_grad=True), cr.tensor([3.0, 4.0], requires_grad=True)
    r = cnp.einsum("ij->j", [a, b])
    np.testing.assert_allclose(r.detach().numpy(), np.einsum("ij->j", [[1.0, 2.0], [3.0, 4.0]]))
    (r * cr.tensor([1.0, 10.0])).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 10.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 10.0])
    # the same list in chainrule.einsum means two operands, as in torch
    r2 = cr.einsum("i,i->", [a, b])
    assert r2.item() == 11.0
