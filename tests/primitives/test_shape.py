"""Shape and indexing: reshape/view/flatten, permute/transpose/swapaxes/T/mT, squeeze/unsqueeze,
expand/broadcast_to, concatenate/stack/split/chunk, flip, pad, take_along_axis/gather, getitem.

All of these are linear: gradcheck of first and second order checks the transposed operation
(and that the second derivative is zero), PyTorch is the oracle, and bad axes and shapes give
errors that name the operation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from tests.helpers import assert_matches_torch, check_grads, leaf, rand, to_numpy

import chainrule as cr


# --- reshape, view, flatten --------------------------------------------------------------------
@pytest.mark.parametrize("shape,new", [((6,), (2, 3)), ((2, 3), (3, 2)), ((2, 3), (-1,)),
                                       ((), (1, 1)), ((1, 1), ()), ((0, 3), (3, 0)),
                                       ((2, 3, 2), (4, -1)), ((2, 3), (6, 1))], ids=str)
def test_reshape_and_view(shape, new):
    x = rand(shape, 1)
    check_grads(lambda t: cr.reshape(t, new), x)
    assert_matches_torch(lambda t: cr.reshape(t, new), lambda t: torch.reshape(t, new), x)
    assert_matches_torch(lambda t: t.reshape(*new), lambda t: t.reshape(new), x)
    assert_matches_torch(lambda t: t.view(new), lambda t: t.view(new), x)


def test_reshape_incompatible_size_names_op():
    with pytest.raises(ValueError) as info:
        cr.reshape(leaf(rand((2, 3))), (4,))
    msg = str(info.value)
    assert msg.startswith("reshape:") and "(4,)" in msg and "6" in msg, msg


@pytest.mark.parametrize("shape,start,end", [((2, 3, 2), 0, -1), ((2, 3, 2), 1, 2),
                                             ((2, 3, 2), 0, 1), ((2, 3, 2), -2, -1), ((), 0, -1),
                                             ((4,), 0, 0)], ids=str)
def test_flatten(shape, start, end):
    x = rand(shape, 2)
    check_grads(lambda t: cr.flatten(t, start, end), x)
    assert_matches_torch(lambda t: cr.flatten(t, start, end),
                         lambda t: torch.flatten(t, start, end), x)
    assert_matches_torch(lambda t: t.flatten(start, end), lambda t: t.flatten(start, end), x)


def test_ravel():
    assert_matches_torch(lambda t: t.ravel(), lambda t: t.ravel(), rand((2, 3)))


# --- permute, transpose, swapaxes, T, mT ------------------------------------------------------
@pytest.mark.parametrize("shape,axes", [((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (-1, -3, 1)),
                                        ((2, 3), (1, 0)), ((3,), (0,)), ((), ()),
                                        ((0, 2), (1, 0))], ids=str)
def test_permute(shape, axes):
    x = rand(shape, 3)
    check_grads(lambda t: cr.permute(t, axes), x)
    assert_matches_torch(lambda t: cr.permute(t, axes), lambda t: torch.permute(t, axes), x)
    assert_matches_torch(lambda t: t.permute(*axes), lambda t: t.permute(axes), x)


@pytest.mark.parametrize("axes", [(0, 0, 1), (0, 1), (0, 1, 3), (0, 1, 2, 3), (0, -4, 1)])
def test_permute_bad_axes(axes):
    with pytest.raises((ValueError, IndexError)) as info:
        cr.permute(leaf(rand((2, 3, 4))), axes)
    msg = str(info.value)
    assert msg.startswith("permute:") and "(2, 3, 4)" in msg, msg


@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (-1, 0), (2, 1), (1, 1)])
def test_transpose_two_dims_like_torch(dims):
    x = rand((2, 3, 4), 4)
    check_grads(lambda t: cr.transpose(t, *dims), x)
    assert_matches_torch(lambda t: cr.transpose(t, *dims), lambda t: torch.transpose(t, *dims), x)
    assert_matches_torch(lambda t: t.transpose(*dims), lambda t: t.transpose(*dims), x)
    assert_matches_torch(lambda t: cr.swapaxes(t, *dims), lambda t: torch.swapaxes(t, *dims), x)
    assert_matches_torch(lambda t: t.swapaxes(*dims), lambda t: t.swapaxes(*dims), x)


def test_transpose_numpy_forms():
    x = rand((2, 3, 4), 5)
    np.testing.assert_array_equal(to_numpy(cr.transpose(cr.tensor(x))), np.transpose(x))
    np.testing.assert_array_equal(to_numpy(cr.transpose(cr.tensor(x), (1, 2, 0))),
                                  np.transpose(x, (1, 2, 0)))
    check_grads(lambda t: cr.transpose(t), x)


@pytest.mark.parametrize("shape", [(2, 3), (3,), (), (2, 3, 4)], ids=str)
def test_T_and_t(shape):
    """``x.T`` reverses all axes (torch deprecates it for ndim != 2, NumPy's meaning)."""
    x = rand(shape, 6)
    check_grads(lambda t: t.T, x)
    assert_matches_torch(lambda t: t.T, lambda t: t.permute(tuple(reversed(range(t.ndim)))), x)
    if len(shape) <= 2:
        assert_matches_torch(lambda t: t.t(), lambda t: t.t(), x)


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (1, 2, 3, 2)], ids=str)
def test_mT(shape):
    x = rand(shape, 7)
    check_grads(lambda t: t.mT, x)
    assert_matches_torch(lambda t: t.mT, lambda t: t.mT, x)


def test_mT_needs_two_dims():
    with pytest.raises(ValueError, match="mT"):
        leaf(rand((3,))).mT


@pytest.mark.parametrize("dims", [(0, 3), (-4, 1), (2, 2)])
def test_swapaxes_out_of_range(dims):
    if dims == (2, 2):  # in range for 3 dims: a no-op, not an error
        x = rand((2, 3, 4))
        np.testing.assert_array_equal(to_numpy(cr.swapaxes(cr.tensor(x), *dims)), x)
        return
    with pytest.raises(IndexError) as info:
        cr.swapaxes(leaf(rand((2, 3, 4))), *dims)
    assert str(info.value).startswith("swapaxes:"), str(info.value)
    with pytest.raises(IndexError):
        leaf(rand((2, 3, 4))).transpose(*dims)


# --- squeeze, unsqueeze, expand_dims ------------------------------------------------------------
@pytest.mark.parametrize("shape,dim", [((1, 3, 1), None), ((1, 3, 1), 0), ((1, 3, 1), -1),
                                       ((1, 3, 1), 1), ((1, 3, 1), (0, 2)), ((1,), 0), ((), None),
                                       ((1, 0), 0)], ids=str)
def test_squeeze(shape, dim):
    x = rand(shape, 8)
    check_grads(lambda t: cr.squeeze(t, dim), x)
    tf = (lambda t: torch.squeeze(t)) if dim is None else (lambda t: torch.squeeze(t, dim))
    assert_matches_torch(lambda t: cr.squeeze(t, dim), tf, x)
    assert_matches_torch(lambda t: t.squeeze(dim), tf, x)


@pytest.mark.parametrize("shape,dim", [((3,), 0), ((3,), 1), ((3,), -1), ((2, 3), -2),
                                       ((), 0), ((), -1), ((0,), 1)], ids=str)
def test_unsqueeze(shape, dim):
    x = rand(shape, 9)
    check_grads(lambda t: cr.unsqueeze(t, dim), x)
    assert_matches_torch(lambda t: cr.unsqueeze(t, dim), lambda t: torch.unsqueeze(t, dim), x)
    assert_matches_torch(lambda t: t.unsqueeze(dim), lambda t: t.unsqueeze(dim), x)


def test_expand_dims_numpy():
    x = rand((2, 3), 10)
    out = cr.expand_dims(cr.tensor(x), (0, -1))
    assert out.shape == np.expand_dims(x, (0, -1)).shape
    check_grads(lambda t: cr.expand_dims(t, (0, 2)), x)


@pytest.mark.parametrize("op", [lambda t: cr.unsqueeze(t, 3), lambda t: cr.unsqueeze(t, -4),
                                lambda t: cr.squeeze(t, 2), lambda t: t.squeeze(-3)],
                         ids=["unsqueeze", "unsqueeze-neg", "squeeze", "Tensor.squeeze"])
def test_squeeze_unsqueeze_out_of_range(op):
    with pytest.raises(IndexError) as info:
        op(leaf(rand((1, 3))))
    assert "squeeze" in str(info.value) and "out of range" in str(info.value)


# --- expand, broadcast_to -------------------------------------------------------------------
@pytest.mark.parametrize("shape,target", [((3,), (2, 3)), ((2, 1), (2, 3)), ((), (2, 3)),
                                          ((1, 3), (2, 2, 3)), ((3,), (0, 3)), ((2, 3), (2, 3))],
                         ids=str)
def test_broadcast_to_and_expand(shape, target):
    x = rand(shape, 11)
    check_grads(lambda t: cr.broadcast_to(t, target), x)
    assert_matches_torch(lambda t: cr.broadcast_to(t, target),
                         lambda t: torch.broadcast_to(t, target), x)
    assert_matches_torch(lambda t: t.expand(*target), lambda t: t.expand(*target), x)
    assert_matches_torch(lambda t: cr.expand(t, target), lambda t: t.expand(target), x)
    assert_matches_torch(lambda t: t.broadcast_to(target), lambda t: t.broadcast_to(target), x)


def test_expand_minus_one_keeps_a_dimension():
    x = rand((2, 1), 12)
    assert_matches_torch(lambda t: t.expand(-1, 4), lambda t: t.expand(-1, 4), x)
    assert_matches_torch(lambda t: t.expand(3, -1, 4), lambda t: t.expand(3, -1, 4), x)
    assert_matches_torch(lambda t, y: t.expand_as(y), lambda t, y: t.expand_as(y), x,
                         rand((2, 5), 1))


def test_broadcast_to_bad_shape_names_op_and_shapes():
    with pytest.raises(ValueError) as info:
        cr.broadcast_to(leaf(rand((2, 3))), (3, 3))
    msg = str(info.value)
    assert msg.startswith("broadcast_to:") and "(2, 3)" in msg and "(3, 3)" in msg, msg
    with pytest.raises(ValueError, match="expand"):
        cr.expand(leaf(rand((2, 3))), 3)


# --- concatenate, stack, split, chunk -------------------------------------------------------------
@pytest.mark.parametrize("shapes,axis", [([(2, 3), (1, 3)], 0), ([(2, 3), (2, 1), (2, 2)], 1),
                                         ([(2, 3), (2, 2)], -1), ([(3,), (0,), (2,)], 0),
                                         ([(2, 2)], 0), ([(2, 1, 2), (2, 3, 2)], 1)], ids=str)
def test_concatenate(shapes, axis):
    xs = [rand(s, k) for k, s in enumerate(shapes)]
    check_grads(lambda *ts: cr.concatenate(ts, axis), *xs)
    assert_matches_torch(lambda *ts: cr.concatenate(ts, axis), lambda *ts: torch.cat(ts, axis),
                         *xs)
    assert_matches_torch(lambda *ts: cr.cat(list(ts), axis=axis),
                         lambda *ts: torch.cat(ts, dim=axis), *xs)


def test_concatenate_with_a_constant():
    c = cr.tensor(rand((1, 3), 5))
    check_grads(lambda t: cr.concatenate([c, t, c], 0), rand((2, 3), 6))


def test_concatenate_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError) as info:
        cr.concatenate([leaf(rand((2, 3))), leaf(rand((2, 4)))], 0)
    msg = str(info.value)
    assert msg.startswith("concatenate:") and "(2, 3)" in msg and "(2, 4)" in msg, msg
    with pytest.raises(ValueError, match="concatenate"):
        cr.concatenate([leaf(rand((2, 3))), leaf(rand((3,)))], 0)
    with pytest.raises(ValueError, match="concatenate"):
        cr.concatenate([leaf(1.0), leaf(2.0)])
    with pytest.raises(ValueError, match="concatenate"):
        cr.concatenate([])


@pytest.mark.parametrize("axis", [2, -3])
def test_concatenate_axis_out_of_range(axis):
    with pytest.raises(IndexError) as info:
        cr.concatenate([leaf(rand((2, 3))), leaf(rand((2, 3)))], axis)
    assert str(info.value).startswith("concatenate:"), str(info.value)


@pytest.mark.parametrize("shape,n,dim", [((3,), 2, 0), ((2, 3), 3, 1), ((2, 3), 2, -1),
                                         ((2, 3), 2, -3), ((), 3, 0), ((0, 2), 2, 1)], ids=str)
def test_stack(shape, n, dim):
    xs = [rand(shape, k) for k in range(n)]
    check_grads(lambda *ts: cr.stack(ts, dim), *xs)
    assert_matches_torch(lambda *ts: cr.stack(ts, dim), lambda *ts: torch.stack(ts, dim), *xs)


def test_stack_errors():
    with pytest.raises(ValueError) as info:
        cr.stack([leaf(rand((2, 3))), leaf(rand((3, 2)))])
    msg = str(info.value)
    assert msg.startswith("stack:") and "(2, 3)" in msg and "(3, 2)" in msg, msg
    with pytest.raises(IndexError, match="stack"):
        cr.stack([leaf(rand((2, 3))), leaf(rand((2, 3)))], 3)
    with pytest.raises(ValueError, match="stack"):
        cr.stack([])


@pytest.mark.parametrize("shape,size,dim", [((5,), 2, 0), ((5,), 5, 0), ((5,), 7, 0),
                                            ((2, 5), 3, 1), ((2, 5), [1, 3, 1], -1),
                                            ((4, 2), [4, 0], 0), ((0, 2), 2, 0)], ids=str)
def test_split_torch_semantics(shape, size, dim):
    x = rand(shape, 13)
    check_grads(lambda t: cr.split(t, size, dim), x)
    assert_matches_torch(lambda t: cr.split(t, size, dim), lambda t: torch.split(t, size, dim), x)
    assert_matches_torch(lambda t: t.split(size, dim), lambda t: t.split(size, dim), x)


@pytest.mark.parametrize("shape,chunks,dim", [((5,), 2, 0), ((5,), 3, 0), ((6,), 4, 0),
                                              ((2, 5), 5, 1), ((2, 3), 1, -1), ((2, 3), 7, 0),
                                              ((0,), 3, 0)], ids=str)
def test_chunk_torch_semantics(shape, chunks, dim):
    x = rand(shape, 14)
    check_grads(lambda t: cr.chunk(t, chunks, dim), x)
    assert_matches_torch(lambda t: cr.chunk(t, chunks, dim),
                         lambda t: torch.chunk(t, chunks, dim), x)
    assert_matches_torch(lambda t: t.chunk(chunks, dim), lambda t: t.chunk(chunks, dim), x)


def test_split_and_chunk_errors():
    x = leaf(rand((2, 5)))
    with pytest.raises(ValueError, match="split"):
        cr.split(x, [2, 2], 1)
    with pytest.raises(ValueError, match="split"):
        cr.split(x, 0, 1)
    with pytest.raises(IndexError, match="split"):
        cr.split(x, 2, 2)
    with pytest.raises(IndexError, match="chunk"):
        cr.chunk(x, 2, -3)
    with pytest.raises(ValueError, match="chunk"):
        cr.chunk(x, 0, 0)


# --- flip ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,axis", [((4,), 0), ((2, 3), 1), ((2, 3), (0, 1)), ((2, 3), -1),
                                        ((2, 3), None), ((2, 3, 2), (0, 2)), ((), None),
                                        ((0, 2), 0)], ids=str)
def test_flip(shape, axis):
    x = rand(shape, 15)
    dims = tuple(range(len(shape))) if axis is None else np.atleast_1d(axis).tolist()
    check_grads(lambda t: cr.flip(t, axis), x)
    assert_matches_torch(lambda t: cr.flip(t, axis), lambda t: torch.flip(t, dims), x)
    assert_matches_torch(lambda t: t.flip(axis), lambda t: torch.flip(t, dims), x)


@pytest.mark.parametrize("axis", [2, -3, (0, 2)])
def test_flip_axis_out_of_range(axis):
    with pytest.raises(IndexError) as info:
        cr.flip(leaf(rand((2, 3))), axis)
    assert str(info.value).startswith("flip:"), str(info.value)


# --- pad -------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,pw,value", [((3,), (1, 2), 0.0), ((2, 3), ((1, 0), (2, 1)), 1.5),
                                            ((2, 3), 1, -1.0), ((2, 2), ((0, 0), (0, 3)), 0.0),
                                            ((), 1, 0.0), ((0, 2), ((1, 1), (0, 0)), 2.0)],
                         ids=str)
def test_pad_constant(shape, pw, value):
    x = rand(shape, 16)
    check_grads(lambda t: cr.pad(t, pw, constant_values=value), x)
    expected = np.pad(x, pw, mode="constant", constant_values=value)
    np.testing.assert_array_equal(to_numpy(cr.pad(cr.tensor(x), pw, constant_values=value)),
                                  expected)


def test_pad_constant_matches_torch():
    x = rand((2, 3), 17)
    # torch.nn.functional.pad lists (left, right) pairs from the last dim backwards.
    assert_matches_torch(lambda t: cr.pad(t, ((1, 0), (2, 1)), constant_values=0.5),
                         lambda t: F.pad(t, (2, 1, 1, 0), value=0.5), x)


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("shape,pw", [((4,), (2, 1)), ((3, 4), ((1, 2), (0, 3))),
                                      ((3, 3), 2)], ids=str)
def test_pad_modes_match_numpy(mode, shape, pw):
    x = rand(shape, 18)
    np.testing.assert_array_equal(to_numpy(cr.pad(cr.tensor(x), pw, mode=mode)),
                                  np.pad(x, pw, mode=mode))
    check_grads(lambda t: cr.pad(t, pw, mode=mode), x)


@pytest.mark.parametrize("mode,tmode", [("edge", "replicate"), ("reflect", "reflect"),
                                        ("wrap", "circular")])
def test_pad_modes_gradients_match_torch(mode, tmode):
    """Copied values send their gradient back to where they were copied from (adding up)."""
    x = rand((1, 2, 4), 19)
    assert_matches_torch(lambda t: cr.pad(t, ((0, 0), (0, 0), (3, 2)), mode=mode),
                         lambda t: F.pad(t, (3, 2), mode=tmode), x)


def test_pad_unsupported_mode():
    with pytest.raises(ValueError, match="pad: unsupported mode 'mean'"):
        cr.pad(leaf(rand((3,))), 1, mode="mean")


# --- take_along_axis, gather --------------------------------------------------------------------
def test_take_along_axis_with_repeated_indices():
    x = rand((3, 4), 20)
    idx = np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]])
    check_grads(lambda t: cr.take_along_axis(t, idx, 1), x)
    np.testing.assert_array_equal(to_numpy(cr.take_along_axis(cr.tensor(x), idx, 1)),
                                  np.take_along_axis(x, idx, 1))
    assert_matches_torch(lambda t: cr.take_along_axis(t, idx, 1),
                         lambda t: torch.take_along_dim(t, torch.from_numpy(idx), 1), x)
    idx0 = np.array([[2, 0, 0, 1]])
    assert_matches_torch(lambda t: cr.take_along_axis(t, idx0, 0),
                         lambda t: torch.take_along_dim(t, torch.from_numpy(idx0), 0), x)
    assert_matches_torch(lambda t: t.take_along_axis(idx0, -2),
                         lambda t: torch.take_along_dim(t, torch.from_numpy(idx0), 0), x)


@pytest.mark.parametrize("shape,dim,index", [
    ((3, 4), 1, [[0, 0], [3, 1], [2, 2]]),
    ((3, 4), 0, [[2, 0, 1, 1], [0, 0, 0, 0]]),
    ((3, 4), -1, [[1], [1]]),  # smaller than the input in the other dim too
    ((2, 3, 2), 1, [[[0, 1], [2, 2]], [[1, 1], [0, 2]]]),
    ((4,), 0, [3, 3, 0, 1, 3]),
], ids=str)
def test_gather_torch_semantics(shape, dim, index):
    x = rand(shape, 21)
    idx = np.array(index)
    check_grads(lambda t: cr.gather(t, dim, idx), x)
    assert_matches_torch(lambda t: cr.gather(t, dim, idx),
                         lambda t: torch.gather(t, dim, torch.from_numpy(idx)), x)
    assert_matches_torch(lambda t: t.gather(dim, cr.tensor(idx)),
                         lambda t: t.gather(dim, torch.from_numpy(idx)), x)


def test_take_along_axis_and_gather_errors():
    x = leaf(rand((3, 4)))
    with pytest.raises(ValueError, match="take_along_axis"):
        cr.take_along_axis(x, np.array([0, 1]), 1)
    with pytest.raises(TypeError, match="take_along_axis"):
        cr.take_along_axis(x, np.array([[0.5]]), 1)
    with pytest.raises(IndexError, match="take_along_axis"):
        cr.take_along_axis(x, np.array([[0]]), 2)
    with pytest.raises(ValueError, match="gather"):
        cr.gather(x, 1, np.array([[0], [0], [0], [0]]))
    with pytest.raises(ValueError, match="gather"):
        cr.gather(x, 1, np.array([0, 1]))
    with pytest.raises(IndexError, match="gather"):
        cr.gather(x, -3, np.array([[0]]))
    with pytest.raises(IndexError):
        cr.gather(x, 1, np.array([[4]]))  # an index past the end


# --- getitem ------------------------------------------------------------------------------------
BASIC = {
    "int": 1,
    "neg int": -1,
    "slice": slice(1, None),
    "step": (slice(None), slice(0, None, 2)),
    "int and slice": (0, slice(1, 3)),
    "ellipsis": (Ellipsis, 2),
    "None": (None, slice(None), 1),
    "ellipsis None": (Ellipsis, None),
    "empty slice": slice(2, 2),
    "all": (slice(None), slice(None)),
}


@pytest.mark.parametrize("name", BASIC)
def test_getitem_basic(name):
    index = BASIC[name]
    x = rand((3, 4), 22)
    check_grads(lambda t: t[index], x)
    assert_matches_torch(lambda t: t[index], lambda t: t[index], x)


def test_getitem_scalar_and_negative_step():
    """Negative steps: torch has none, so the values are checked against NumPy."""
    x = rand((3, 4), 23)
    for index in [(slice(None, None, -1), 1), (slice(None), slice(3, 0, -2)), (2, 3)]:
        check_grads(lambda t, index=index: t[index], x)
        np.testing.assert_array_equal(to_numpy(cr.tensor(x)[index]), x[index])
    check_grads(lambda t: t[()], np.array(1.5))


ADVANCED = {
    "repeated list": [0, 0, 2, 0],
    "2-D int array": np.array([[0, 1], [1, 0], [2, 2]]),
    "pair of arrays": (np.array([0, 2, 0]), np.array([3, 3, 3])),
    "array and slice": (slice(None), np.array([1, 1, 0])),
    "negative indices": np.array([-1, -1, 0]),
    "bool mask": np.array([[True, False, True, True], [False, False, True, False],
                           [True, True, False, False]]),
    "bool rows": np.array([True, False, True]),
    "bool rows and int": (np.array([False, True, True]), 2),
    "empty int array": np.array([], dtype=np.int64),
}


@pytest.mark.parametrize("name", ADVANCED)
def test_getitem_advanced(name):
    """Repeated indices add up in the gradient; masks select."""
    index = ADVANCED[name]
    x = rand((3, 4), 24)
    check_grads(lambda t: t[index], x)
    t_index = tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index) \
        if isinstance(index, tuple) else (torch.from_numpy(index)
                                          if isinstance(index, np.ndarray) else index)
    assert_matches_torch(lambda t: t[index], lambda t: t[t_index], x)


def test_getitem_repeated_indices_add_up():
    t = leaf([1.0, 2.0, 3.0])
    (g,) = cr.grad(t[[0, 0, 2, 0]].sum(), t)
    np.testing.assert_array_equal(to_numpy(g), [3.0, 0.0, 1.0])


def test_getitem_with_tensor_indices():
    x = rand((3, 4), 25)
    idx = cr.tensor(np.array([2, 0, 2]))
    mask = cr.tensor(x > 0)
    check_grads(lambda t: t[idx], x)
    check_grads(lambda t: t[mask], x)
    check_grads(lambda t: t[idx, 1:], x)
    np.testing.assert_array_equal(to_numpy(cr.tensor(x)[mask]), x[x > 0])


def test_getitem_out_of_range_names_op():
    with pytest.raises(IndexError) as info:
        leaf(rand((3, 4)))[3]
    assert str(info.value).startswith("getitem:"), str(info.value)


def test_iteration_and_len_use_getitem():
    x = rand((3, 2), 26)
    check_grads(lambda t: cr.stack(list(t)), x)
