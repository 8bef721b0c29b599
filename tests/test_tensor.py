"""The Tensor face: attributes, conversion, operators, indexing, reductions, dtype rules.

PyTorch is the oracle for names, values and gradients; NumPy for dtype promotion (the
documented choice where the two differ: Python floats make float64, NumPy scalars and arrays
promote as in NumPy).
"""

import operator

import numpy as np
import pytest
import torch

import chainrule as cr


def leaf(values, dtype=np.float64):
    return cr.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def tleaf(values):
    return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def assert_close(mine, ref, **kw):
    mine = mine.detach().numpy() if isinstance(mine, cr.Tensor) else np.asarray(mine)
    ref = ref.detach().numpy() if isinstance(ref, torch.Tensor) else np.asarray(ref)
    assert mine.shape == ref.shape, (mine.shape, ref.shape)
    np.testing.assert_allclose(mine, ref, rtol=kw.get("rtol", 1e-12), atol=kw.get("atol", 1e-13))


def check_against_torch(fn, *arrays, tfn=None):
    """Values and gradients (of sum(out * w) for a fixed weight w) agree with torch's."""
    tfn = tfn or fn
    xs, ts = [leaf(a) for a in arrays], [tleaf(a) for a in arrays]
    out, tout = fn(*xs), tfn(*ts)
    assert_close(out, tout)
    w = np.random.default_rng(0).standard_normal(tout.shape)
    (out * cr.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for x, t in zip(xs, ts):
        assert_close(x.grad, t.grad)


# --- attributes -----------------------------------------------------------------------------
def test_basic_attributes():
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    assert x.shape == (2, 3) and x.ndim == 2 and x.dim() == 2
    assert x.dtype == np.float64
    assert x.numel() == 6 and len(x) == 2
    assert x.device == "cpu"
    assert x.itemsize == 8 and x.nbytes == 48


def test_size_is_count_and_callable_shape():
    x = cr.zeros(2, 3)
    assert x.size == 6 and isinstance(x.size, int)  # NumPy
    assert x.size + 1 == 7
    assert x.size() == (2, 3)  # PyTorch
    assert x.size(0) == 2 and x.size(-1) == 3
    assert x.size() == tuple(torch.zeros(2, 3).size())
    assert cr.tensor(1.0).size == 1 and cr.tensor(1.0).size() == ()


def test_data_is_detached_and_shares_memory():
    x = leaf([1.0, 2.0])
    d = x.data
    assert not d.requires_grad
    d.numpy()[0] = 10.0
    assert x.detach().numpy()[0] == 10.0
    x.data = cr.tensor([5.0, 6.0])
    np.testing.assert_array_equal(x.detach().numpy(), [5.0, 6.0])
    assert x.requires_grad and x.is_leaf


def test_T_and_mT():
    a = np.arange(6.0).reshape(2, 3)
    x = cr.tensor(a)
    np.testing.assert_array_equal(x.T.numpy(), a.T)
    b = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(cr.tensor(b).mT.numpy(), torch.tensor(b).mT.numpy())
    np.testing.assert_array_equal(cr.tensor(b).T.numpy(), b.T)  # NumPy: all axes reversed
    with pytest.raises(ValueError, match="2 dimensions"):
        cr.ones(3).mT
    check_against_torch(lambda v: v.T * 2, a)
    check_against_torch(lambda v: v.mT, b)


def test_item_tolist_numpy():
    assert cr.tensor(2.5).item() == 2.5 and isinstance(cr.tensor(2.5).item(), float)
    assert cr.tensor([[7]]).item() == 7 and isinstance(cr.tensor([[7]]).item(), int)
    assert cr.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert cr.tensor(3.0).tolist() == 3.0
    a = np.arange(3.0)
    x = cr.from_numpy(a)
    assert x.numpy() is a or np.shares_memory(x.numpy(), a)
    assert leaf([1.0]).detach().numpy().tolist() == [1.0]


def test_item_on_multi_element_errors():
    with pytest.raises(RuntimeError, match="3 elements"):
        cr.ones(3).item()


def test_numpy_on_tensor_requiring_grad_errors():
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        leaf([1.0]).numpy()
    with pytest.raises(RuntimeError, match="requires grad"):
        (leaf([1.0]) * 2).numpy()


def test_array_protocol():
    x = leaf([1.0, 2.0])
    a = np.asarray(x.detach())  # like torch, np.asarray works on tensors without grad
    np.testing.assert_array_equal(a, [1.0, 2.0])
    assert np.asarray(x.detach(), dtype=np.float32).dtype == np.float32
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(x)  # and refuses one that requires grad, as torch


def test_python_scalars_from_tensors():
    assert float(cr.tensor(2.5)) == 2.5
    assert int(cr.tensor(3)) == 3
    assert bool(cr.tensor([1.0])) is True
    assert [10, 20, 30][cr.tensor(1)] == 20  # __index__
    with pytest.raises(TypeError):
        [1, 2][cr.tensor(1.0)]
    assert f"{cr.tensor(2.5):.2f}" == "2.50"


def test_len_and_iter():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    rows = list(x)
    assert len(rows) == 2 and rows[1].shape == (2,)
    sum(r.sum() * (i + 1) for i, r in enumerate(rows)).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0], [2.0, 2.0]])
    with pytest.raises(TypeError, match="0-d"):
        len(cr.tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(cr.tensor(1.0))


def test_grad_settable():
    x = leaf([1.0, 2.0])
    x.grad = cr.tensor([3.0, 4.0])
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 6.0])
    x.grad = None
    assert x.grad is None
    with pytest.raises(RuntimeError, match="shape"):
        x.grad = cr.ones(3)
    with pytest.raises(RuntimeError, match="dtype"):
        x.grad = cr.ones(2, dtype=np.float32)
    with pytest.raises(TypeError, match="Tensor"):
        x.grad = np.ones(2)


def test_hash_and_identity():
    x, y = cr.ones(2), cr.ones(2)
    assert len({x, y}) == 2  # hashable by identity although == is elementwise
    assert {x: 1}[x] == 1


# --- repr ------------------------------------------------------------------------------------
def test_repr_like_torch():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2., 3.], requires_grad=True)"
    assert repr(x) == repr(torch.tensor([1.0, 2.0, 3.0], requires_grad=True))
    assert repr(x * 2) == "tensor([2., 4., 6.], grad_fn=<MulBackward0>)"
    assert repr(cr.tensor(3.0)) == repr(torch.tensor(3.0)) == "tensor(3.)"
    assert repr(cr.tensor([1, 2])) == repr(torch.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(cr.tensor([True, False])) == repr(torch.tensor([True, False]))
    assert repr(cr.tensor([[1.0, 2.0], [3.0, 4.0]])) == repr(torch.tensor([[1.0, 2.0],
                                                                           [3.0, 4.0]]))
    assert repr(cr.tensor([1, 2], dtype=np.int32)) == "tensor([1, 2], dtype=int32)"
    assert repr(cr.tensor([1.0], dtype=np.float32)) == "tensor([1.], dtype=float32)"
    assert str(x) == repr(x)
    assert repr(cr.zeros(0)) == "tensor([])"
    assert repr(cr.zeros(2, 0)) == "tensor([], size=(2, 0))"
    with cr.no_grad():
        assert repr(x * 2) == "tensor([2., 4., 6.])"


# --- dtype rules ----------------------------------------------------------------------------
def test_default_dtypes():
    assert cr.tensor([1.0, 2.0]).dtype == np.float64  # Python floats -> float64 (NumPy)
    assert cr.tensor(1.5).dtype == np.float64
    assert cr.tensor([1, 2]).dtype == np.int64
    assert cr.tensor([True]).dtype == np.bool_
    assert cr.zeros(2).dtype == cr.ones(2).dtype == cr.rand(2).dtype == np.float64


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow])
def test_float32_stays_float32_with_python_scalars(op):
    x = cr.tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    for out in (op(x, 2.5), op(2.5, x), op(x, 2), op(2, x)):
        assert out.dtype == np.float32
        (g,) = cr.grad(out.sum(), x)
        assert g.dtype == np.float32


def test_float32_with_numpy_values_promotes_like_numpy():
    x = cr.tensor([1.0, 2.0], dtype=np.float32)
    assert (x + np.float32(1)).dtype == np.float32
    assert (x + np.ones(2)).dtype == np.float64  # a float64 array promotes, as in NumPy
    assert (x + cr.ones(2)).dtype == np.float64


def test_int_tensor_rules():
    i = cr.tensor([1, 2, 3])
    assert (i + 1).dtype == np.int64
    assert (i / 2).dtype == np.float64  # true division gives floats
    assert (i * 2.5).dtype == np.float64
    np.testing.assert_array_equal((i // 2).numpy(), [0, 1, 1])


def test_float16_works():
    x = cr.tensor([0.5, 1.0], dtype=np.float16, requires_grad=True)
    y = cr.sin(x) * x + 1
    assert y.dtype == np.float16
    y.sum().backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad.numpy().astype(np.float64),
                               np.cos([0.5, 1.0]) * [0.5, 1.0] + np.sin([0.5, 1.0]), rtol=2e-3)


def test_astype_and_to():
    x = leaf([1.5, 2.5])
    for y in (x.astype(np.float32), x.to(np.float32), x.to(dtype=np.float32),
              x.to("cpu", np.float32), x.float(), x.to(cr.float32)):
        assert y.dtype == np.float32 and y.requires_grad
    assert x.to("cpu") is x and x.to(np.float64) is x
    assert x.to(cr.ones(1, dtype=np.float32)).dtype == np.float32
    assert x.double().dtype == np.float64 and x.half().dtype == np.float16
    (x.astype(np.float32) * 2).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    i = x.long()
    assert i.dtype == np.int64 and not i.requires_grad
    np.testing.assert_array_equal(i.numpy(), [1, 2])
    assert x.int().dtype == np.int32 and x.bool().dtype == np.bool_
    with pytest.raises(RuntimeError, match="CPU"):
        x.to("cuda")


def test_clone_stays_in_graph():
    x = leaf([1.0, 2.0])
    y = x.clone()
    assert not np.shares_memory(y.detach().numpy(), x.detach().numpy())
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


# --- operators --------------------------------------------------------------------------------
A = np.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]])
B = np.array([[1.1, 0.4, -2.0], [0.9, -1.3, 0.6]])


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.matmul])
def test_binary_operators_against_torch(op):
    b = B.T if op is operator.matmul else B
    check_against_torch(op, A, b)


def test_power_against_torch():
    pos = np.abs(A) + 0.5
    check_against_torch(lambda a, b: a**b, pos, B)
    check_against_torch(lambda a: a**3, A)
    check_against_torch(lambda a: 2.0**a, A)
    check_against_torch(lambda a: a**0.5, pos)


def test_unary_operators_against_torch():
    check_against_torch(lambda a: -a, A)
    check_against_torch(lambda a: abs(a), A)
    check_against_torch(lambda a: +a * 1, A)


def test_floordiv_and_mod_against_torch():
    check_against_torch(lambda a, b: a % b, A, B)
    x, t = cr.tensor(A), torch.tensor(A)
    for k in (0.7, -0.7, 2.0):
        assert_close(x // k, t // k)
        assert_close(x % k, t % k)
        assert_close(k % x, k % t)


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv])
def test_reflected_with_python_numbers(op):
    check_against_torch(lambda a: op(3.0, a), A)
    check_against_torch(lambda a: op(a, 3.0), A)


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow, operator.lt, operator.eq])
def test_numpy_array_on_the_left_gives_tensor(op):
    left = np.abs(A) + 0.1
    x = leaf(np.abs(B) + 0.5)
    out = op(left, x)
    assert isinstance(out, cr.Tensor)
    np.testing.assert_allclose(out.detach().numpy(), op(left, np.abs(B) + 0.5))
    if out.dtype == np.float64:
        out.sum().backward()
        assert x.grad.shape == x.shape


def test_numpy_matmul_on_the_left_and_numpy_scalars():
    x = leaf(B.T)
    out = A @ x
    assert isinstance(out, cr.Tensor) and out.requires_grad
    out2 = np.float64(2.0) * x
    assert isinstance(out2, cr.Tensor) and out2.requires_grad


@pytest.mark.parametrize("op", [operator.lt, operator.le, operator.gt, operator.ge, operator.eq,
                                operator.ne])
def test_comparisons_return_bool_without_grad(op):
    x = leaf(A)
    for out, ref in ((op(x, 0.5), op(torch.tensor(A), 0.5)),
                     (op(x, cr.tensor(B)), op(torch.tensor(A), torch.tensor(B))),
                     (op(0.5, x), op(0.5, torch.tensor(A)))):
        assert out.dtype == np.bool_
        assert not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_logical_operators_on_bool_tensors():
    a, b = cr.tensor([True, False, True]), cr.tensor([True, True, False])
    np.testing.assert_array_equal((a & b).numpy(), [True, False, False])
    np.testing.assert_array_equal((a | b).numpy(), [True, True, True])
    np.testing.assert_array_equal((a ^ b).numpy(), [False, True, True])
    np.testing.assert_array_equal((~a).numpy(), [False, True, False])


def test_operator_shape_error_names_shapes():
    with pytest.raises(ValueError) as info:
        cr.ones(2, 3) + cr.ones(4)
    assert "(2, 3)" in str(info.value) and "(4,)" in str(info.value)
    with pytest.raises(ValueError, match="matmul"):
        cr.ones(2, 3) @ cr.ones(2, 3)


# --- in-place updates ------------------------------------------------------------------------
def test_inplace_update_under_no_grad_keeps_leaf():
    w = leaf([1.0, 2.0])
    alias = w
    (w * w).sum().backward()
    with cr.no_grad():
        w -= 0.5 * w.grad
    assert w is alias and w.is_leaf and w.requires_grad
    np.testing.assert_array_equal(w.detach().numpy(), [0.0, 0.0])


def test_inplace_writes_shared_memory_without_graph():
    a = np.array([1.0, 2.0])
    x = cr.from_numpy(a)
    x += 1
    x *= cr.tensor([2.0, 3.0])
    x /= 2
    np.testing.assert_array_equal(a, [2.0, 4.5])
    x.zero_()
    np.testing.assert_array_equal(a, [0.0, 0.0])
    x.fill_(3.0)
    x.add_(cr.ones(2), alpha=2)
    np.testing.assert_array_equal(a, [5.0, 5.0])
    x.copy_(cr.tensor([7.0, 8.0]))
    np.testing.assert_array_equal(a, [7.0, 8.0])


def test_inplace_on_leaf_requiring_grad_errors():
    w = leaf([1.0])
    with pytest.raises(RuntimeError, match="leaf"):
        w += 1
    with pytest.raises(RuntimeError, match="no_grad"):
        w.mul_(2)


def test_inplace_on_non_leaf_records_like_torch():
    x, xt = leaf([1.0, 2.0]), tleaf([1.0, 2.0])
    h, ht = x * 2, xt * 2
    y, yt = cr.sin(h), torch.sin(ht.clone())
    h2 = h * 1
    h2 += x * x
    ht += xt * xt
    h2 *= 3
    ht *= 3
    (h2.sum() + y.sum()).backward()
    (ht.sum() + yt.sum()).backward()
    assert_close(h2, ht)
    assert_close(x.grad, xt.grad)
    # sin saved h; changing h in place afterwards makes that backward fail, as in torch
    y = cr.sin(h)
    h += 1
    with pytest.raises(RuntimeError, match="SinBackward0"):
        y.sum().backward()


def test_inplace_dtype_and_shape_rules():
    i = cr.tensor([1, 2])
    with pytest.raises(RuntimeError, match="int64"):
        i += 1.5  # torch: result type Float can't be cast to Long
    f = cr.tensor([1.0, 2.0], dtype=np.float32)
    f += cr.tensor([1.0, 1.0])  # float64 into float32: same kind, allowed
    assert f.dtype == np.float32
    with pytest.raises(RuntimeError, match="shape"):
        f += cr.ones(2, 2)


def test_setitem_without_graph():
    x = cr.zeros(2, 3)
    x[0, 1] = 5.0
    x[1] = cr.tensor([1.0, 2.0, 3.0])
    x[:, 0] += 10
    np.testing.assert_array_equal(x.numpy(), [[10.0, 5.0, 0.0], [11.0, 2.0, 3.0]])
    w = leaf([1.0, 2.0])
    with cr.no_grad():
        w[0] = 0.0
    assert w.is_leaf and w.detach().numpy()[0] == 0.0


def test_setitem_records_like_torch():
    x, xt = leaf([1.0, 2.0, 3.0]), tleaf([1.0, 2.0, 3.0])
    v, vt = leaf(5.0), tleaf(5.0)
    h, ht = x * 2, xt * 2
    h[1:] = v
    ht[1:] = vt
    h[0] = 7.0
    ht[0] = 7.0
    (h * cr.tensor([1.0, 2.0, 3.0])).sum().backward()
    (ht * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    assert_close(h, ht)
    assert_close(x.grad, xt.grad)
    assert_close(v.grad, vt.grad)
    with pytest.raises(RuntimeError, match="leaf"):
        x[0] = 1.0


# --- indexing ---------------------------------------------------------------------------------
X = np.arange(24.0).reshape(2, 3, 4) / 7


@pytest.mark.parametrize("index", [
    0, -1, (1, 2), (slice(None), 1), (Ellipsis, 2), (None, 0), (slice(0, 1), slice(1, None)),
    (0, slice(None), slice(None, None, 2)), (1, [0, 2]), ([0, 1], [2, 0]), ([1, 1, 0],),
    (slice(None), [0, 0, 2], slice(1, 3)),
])
def test_getitem_against_torch(index):
    check_against_torch(lambda x: x[index], X)


def test_getitem_with_boolean_mask_and_tensor_index():
    mask = X > 1.5
    check_against_torch(lambda x: x[cr.tensor(mask)], X, tfn=lambda t: t[torch.tensor(mask)])
    idx = np.array([2, 0, 2])
    check_against_torch(lambda x: x[0, cr.tensor(idx)], X,
                        tfn=lambda t: t[0, torch.tensor(idx)])


def test_getitem_repeated_index_accumulates():
    x = leaf([1.0, 2.0, 3.0])
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_getitem_negative_step_numpy_semantics():
    x = leaf([1.0, 2.0, 3.0])
    y = x[::-1]
    np.testing.assert_array_equal(y.detach().numpy(), [3.0, 2.0, 1.0])
    (y * cr.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 2.0, 1.0])


def test_getitem_out_of_range_error():
    with pytest.raises(IndexError, match="getitem"):
        cr.ones(3)[5]


# --- reductions --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "logsumexp"])
@pytest.mark.parametrize("dim,keep", [(None, False), (0, False), (1, True), ((0, 2), False),
                                      (-1, True)])
def test_reductions_dim_keepdim_against_torch(name, dim, keep):
    if dim is None and name in ("amax", "amin", "logsumexp"):
        tdim = (0, 1, 2)
    else:
        tdim = dim
    if name == "prod" and isinstance(dim, tuple):  # torch.prod takes one dim: reduce twice
        mine = lambda x: x.prod(dim, keepdim=keep)  # noqa: E731
        ref = lambda t: t.prod(dim[1], keepdim=keep).prod(dim[0], keepdim=keep)  # noqa: E731
        check_against_torch(mine, X + 0.1, tfn=ref)
        return
    if dim is None:
        mine = lambda x: getattr(x, name)()  # noqa: E731
        ref = lambda t: getattr(t, name)(tdim) if tdim is not None else getattr(t, name)()  # noqa: E731
    else:
        mine = lambda x: getattr(x, name)(dim, keepdim=keep)  # noqa: E731
        ref = lambda t: getattr(t, name)(tdim, keepdim=keep)  # noqa: E731
    check_against_torch(mine, X + 0.1, tfn=ref)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "max", "min", "var",
                                  "std"])
def test_reductions_accept_numpy_axis_keepdims(name):
    x = cr.tensor(X + 0.1)
    ref = getattr(np, name if name not in ("amax", "amin") else name)
    kw = {"ddof": 1} if name in ("var", "std") else {}
    out = getattr(x, name)(axis=1, keepdims=True)
    np.testing.assert_allclose(out.numpy(), ref(X + 0.1, axis=1, keepdims=True, **kw))
    out = getattr(x, name)(axis=(0, 2)) if name not in ("max", "min") else None
    if out is not None:
        np.testing.assert_allclose(out.numpy(), ref(X + 0.1, axis=(0, 2), **kw))


def test_max_min_with_dim_return_values_and_indices_like_torch():
    x, t = leaf(X), tleaf(X)
    values, indices = x.max(1)
    tv, ti = t.max(1)
    assert_close(values, tv)
    np.testing.assert_array_equal(indices.numpy(), ti.numpy())
    values.sum().backward()
    tv.sum().backward()
    assert_close(x.grad, t.grad)
    v, i = x.min(dim=2, keepdim=True)
    tv, ti = t.min(dim=2, keepdim=True)
    assert_close(v, tv)
    np.testing.assert_array_equal(i.numpy(), ti.numpy())


def test_full_max_ties_share_gradient_like_torch():
    a = np.array([1.0, 3.0, 3.0, 2.0])
    check_against_torch(lambda x: x.max(), a)
    check_against_torch(lambda x: x.amax(), a)


def test_var_std_default_unbiased_like_torch():
    check_against_torch(lambda x: x.var(), X)
    check_against_torch(lambda x: x.std(1), X)
    check_against_torch(lambda x: x.var(1, correction=0), X,
                        tfn=lambda t: t.var(1, correction=0))


def test_argmax_argmin_cumsum_softmax_against_torch():
    x, t = cr.tensor(X), torch.tensor(X)
    np.testing.assert_array_equal(x.argmax(1).numpy(), t.argmax(1).numpy())
    np.testing.assert_array_equal(x.argmin().numpy(), t.argmin().numpy())
    check_against_torch(lambda v: v.cumsum(2), X)
    check_against_torch(lambda v: v.softmax(1), X)
    check_against_torch(lambda v: v.log_softmax(-1), X)


def test_reduction_dim_and_axis_together_errors():
    with pytest.raises(TypeError, match="dim or axis"):
        cr.ones(2, 3).sum(0, axis=1)


def test_reduction_bad_axis_error():
    with pytest.raises(IndexError, match="out of range"):
        cr.ones(2, 3).sum(5)


# --- shape methods ------------------------------------------------------------------------------
def test_shape_methods_accept_varargs_or_tuple_like_torch():
    x, t = leaf(X), tleaf(X)
    pairs = [
        (x.reshape(4, 6), t.reshape(4, 6)), (x.reshape((4, 6)), t.reshape((4, 6))),
        (x.view(-1, 4), t.view(-1, 4)), (x.permute(2, 0, 1), t.permute(2, 0, 1)),
        (x.permute((2, 0, 1)), t.permute((2, 0, 1))), (x.transpose(0, 2), t.transpose(0, 2)),
        (x.flatten(), t.flatten()), (x.flatten(1), t.flatten(1)),
        (x.unsqueeze(1), t.unsqueeze(1)), (x[:, :1].squeeze(1), t[:, :1].squeeze(1)),
        (x[:1].expand(3, 3, 4), t[:1].expand(3, 3, 4)), (x.flip(0), t.flip(0)),
    ]
    total, ttotal = 0, 0
    for k, (mine, ref) in enumerate(pairs):
        assert_close(mine, ref)
        total = total + (mine * (k + 1)).sum()
        ttotal = ttotal + (ref * (k + 1)).sum()
    total.backward()
    ttotal.backward()
    assert_close(x.grad, t.grad)


def test_split_chunk_against_torch():
    x, t = cr.tensor(X), torch.tensor(X)
    for mine, ref in zip(x.split(1, dim=2), t.split(1, dim=2)):
        assert_close(mine, ref)
    for mine, ref in zip(x.chunk(2, dim=2), t.chunk(2, dim=2)):
        assert_close(mine, ref)


# --- Python sequences as operands (NumPy accepts them) ---------------------------------------
@pytest.mark.parametrize("op", [operator.mul, operator.add, operator.truediv])
def test_list_operand_elementwise(op):
    x = leaf([1.0, 2.0])
    op(x, [3.0, 4.0]).sum().backward()
    xt = tleaf([1.0, 2.0])
    op(xt, torch.tensor([3.0, 4.0], dtype=torch.float64)).sum().backward()
    assert_close(x.grad, xt.grad)


@pytest.mark.parametrize("fn,expected", [
    (lambda x: x @ [1.0, 2.0], [1.0, 2.0]),
    (lambda x: [[1.0, 2.0]] @ x, [1.0, 2.0]),
    (lambda x: x ** [1.0, 2.0], [1.0, 4.0]),
])
def test_list_operand_in_saving_rules(fn, expected):
    x = leaf([1.0, 2.0])
    fn(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected)


# --- copying and pickling -----------------------------------------------------------------------
def test_deepcopy_of_leaf_is_independent_like_torch():
    import copy

    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    y = copy.deepcopy(x)
    assert y is not x and y.is_leaf and y.requires_grad
    assert not np.shares_memory(y.detach().numpy(), x.detach().numpy())
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 2.0])  # torch copies .grad too
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])  # nothing leaks into x
    np.testing.assert_array_equal(y.grad.numpy(), [5.0, 5.0])
    assert copy.deepcopy([x, x])[0] is not x
    shared = copy.deepcopy([x, x])
    assert shared[0] is shared[1]  # the memo keeps identity


def test_deepcopy_of_non_leaf_errors_like_torch():
    import copy

    with pytest.raises(RuntimeError, match="leaf"):
        copy.deepcopy(leaf([1.0]) * 2)


def test_pickle_roundtrip():
    import pickle

    x = leaf([1.0, 2.0])
    z = pickle.loads(pickle.dumps(x))
    assert z.requires_grad and z.is_leaf and z.grad is None
    np.testing.assert_array_equal(z.detach().numpy(), [1.0, 2.0])
    (z * 2).sum().backward()
    assert x.grad is None
    h = pickle.loads(pickle.dumps(x * 2))  # torch: a non-leaf pickles to a leaf
    assert h.is_leaf and h.requires_grad
    i = pickle.loads(pickle.dumps(cr.tensor([1, 2])))
    assert i.dtype == np.int64 and not i.requires_grad


def test_shallow_copy_gets_its_own_gradient():
    import copy

    x = leaf([1.0])
    y = copy.copy(x)
    assert y is not x and y.requires_grad
    (y * 2).sum().backward()
    assert x.grad is None and y.grad.item() == 2.0


_TORCH_UNARY = ["asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "asinh",
                "arcsinh", "atanh", "arctanh", "exp2", "log2", "log10", "sinc", "square",
                "reciprocal", "deg2rad", "rad2deg", "positive", "fix", "lgamma", "digamma",
                "erfc", "erfinv", "i0", "logit"]
_TORCH_BINARY = ["logaddexp", "logaddexp2", "hypot", "atan2", "arctan2", "fmod", "fmax", "fmin",
                 "copysign", "float_power", "xlogy"]


@pytest.mark.parametrize("name", _TORCH_UNARY + _TORCH_BINARY)
def test_math_methods_match_torch(name):
    """The math and special-function methods delegate to chainrule.numpy / scipy functions and
    agree with torch's methods of the same name (values and gradients)."""
    a = np.array([0.2, 0.45, 0.7])
    x, xt = leaf(a), tleaf(a)
    args = () if name in _TORCH_UNARY else (0.3 + x,)
    targs = () if name in _TORCH_UNARY else (0.3 + xt,)
    y, yt = getattr(x, name)(*args), getattr(xt, name)(*targs)
    assert_close(y, yt)
    (y * cr.tensor([1.0, 2.0, 3.0])).sum().backward()
    (yt * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    # torch's trigamma is accurate to about 1e-9 only (SciPy's agrees with mpmath)
    assert_close(x.grad, xt.grad, rtol=1e-8 if name == "digamma" else 1e-12)


def test_polygamma_cumprod_and_complex_methods_match_torch():
    a = np.array([0.2, 0.45, 0.7])
    x, xt = leaf(a), tleaf(a)
    assert_close(x.polygamma(2), xt.polygamma(2), rtol=1e-8)  # torch: about 1e-9 accurate
    assert_close(x.cumprod(0), xt.cumprod(0))
    z = cr.tensor(np.array([1 + 2j, -0.5j]))
    zt = torch.tensor(np.array([1 + 2j, -0.5j]))
    for name in ("conj", "angle", "abs"):
        assert_close(getattr(z, name)(), getattr(zt, name)().resolve_conj())
    assert_close(z.real, zt.real)
    assert_close(z.imag, zt.imag)
    assert z.is_complex() and not x.is_complex()


def test_comparison_bitwise_logical_and_det_methods_match_pytorch():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 1.0])
    x, y, tx, ty = cr.tensor(a), cr.tensor(b), torch.tensor(a), torch.tensor(b)
    for m in ("eq", "ne", "lt", "le", "gt", "ge", "floor_divide", "logical_and", "logical_or",
              "logical_xor"):
        np.testing.assert_array_equal(getattr(x, m)(y).numpy(), getattr(tx, m)(ty).numpy())
    i, j = np.array([1, 6, 3]), np.array([3, 3, 5])
    for m in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        np.testing.assert_array_equal(getattr(cr.tensor(i), m)(cr.tensor(j)).numpy(),
                                      getattr(torch.tensor(i), m)(torch.tensor(j)).numpy())
    m = np.array([[2.0, 1.0], [0.5, 3.0]])
    w = cr.tensor(m, requires_grad=True)
    tw = torch.tensor(m, requires_grad=True)
    w.det().backward()
    tw.det().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-14)
