"""NumPy's own functions on tensors: ``Tensor.__array_ufunc__`` (ufuncs and their methods, with
``out=``, ``where=``, ``dtype=``) and ``Tensor.__array_function__`` (``numpy.sum``,
``numpy.linalg.norm``, ``numpy.concatenate``, ...), differentiable, or a clear error."""

from __future__ import annotations

import numpy as np
import pytest
from tests.helpers import check_grads, distinct, leaf, positive, rand

import chainrule as cr
from chainrule.autograd import forward_ad as fwad


def _vals(t):
    return np.asarray(t._data if isinstance(t, cr.Tensor) else t)


# --- ufunc __call__ -------------------------------------------------------------------------------
@pytest.mark.parametrize("ufunc", [np.sin, np.exp, np.tanh, np.negative, np.absolute, np.sqrt])
def test_unary_ufunc_dispatches(ufunc):
    x = positive((2, 3), 0)
    y = ufunc(leaf(x))
    assert isinstance(y, cr.Tensor) and y.requires_grad
    np.testing.assert_allclose(_vals(y), ufunc(x), rtol=1e-15)
    check_grads(ufunc, x)


@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply, np.divide, np.power,
                                   np.maximum, np.arctan2, np.hypot, np.logaddexp])
def test_binary_ufunc_with_array_either_side(ufunc):
    a, b = positive((2, 3), 0), distinct((3,), 1) + 2.0
    np.testing.assert_allclose(_vals(ufunc(leaf(a), b)), ufunc(a, b), rtol=1e-14)
    np.testing.assert_allclose(_vals(ufunc(a, leaf(b))), ufunc(a, b), rtol=1e-14)
    check_grads(lambda x, y: ufunc(x, y), a, b)


def test_ndarray_on_the_left_of_operators():
    a, b = positive((2, 3), 0), positive((2, 3), 1)
    x = leaf(b)
    for op in (lambda p, q: p + q, lambda p, q: p - q, lambda p, q: p * q,
               lambda p, q: p / q, lambda p, q: p ** q, lambda p, q: p @ q.T):
        r = op(a, x)
        assert isinstance(r, cr.Tensor) and r.requires_grad
        np.testing.assert_allclose(_vals(r), op(a, b), rtol=1e-14)
    check_grads(lambda y: a - y, b)
    check_grads(lambda y: a @ y.T, b)
    r = np.float64(2.0) * x
    assert isinstance(r, cr.Tensor) and r.requires_grad
    m = a < x
    assert isinstance(m, cr.Tensor) and _vals(m).dtype == bool
    np.testing.assert_array_equal(_vals(m), a < b)


def test_forward_mode_through_numpy_ufunc():
    with fwad.dual_level():
        x = fwad.make_dual(cr.tensor([0.5, 1.0]), cr.tensor([1.0, 2.0]))
        t = fwad.unpack_dual(np.sin(x)).tangent
    np.testing.assert_allclose(_vals(t), np.cos([0.5, 1.0]) * [1.0, 2.0])


# --- out=, where=, dtype= -------------------------------------------------------------------------
def test_out_tensor_receives_the_result_and_the_gradient_flows():
    x = leaf([1.0, 2.0, 3.0])
    out = cr.zeros(3)
    r = np.multiply(x, 2.0, out=out)
    assert r is out
    np.testing.assert_allclose(_vals(out), [2.0, 4.0, 6.0])
    out.sum().backward()
    np.testing.assert_allclose(_vals(x.grad), [2.0, 2.0, 2.0])


def test_out_ndarray_with_a_gradient_is_an_error():
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match="would lose the gradient"):
        np.add(x, 1.0, out=np.zeros(2))
    a = np.zeros(2)
    with pytest.raises(TypeError, match="array = array \\+ tensor"):
        a += x
    np.testing.assert_array_equal(a, [0.0, 0.0])


def test_out_ndarray_without_a_gradient_is_written():
    a = np.zeros(2)
    r = np.add(cr.tensor([1.0, 2.0]), 1.0, out=a)
    assert r is a
    np.testing.assert_array_equal(a, [2.0, 3.0])
    a += cr.tensor([1.0, 1.0])
    np.testing.assert_array_equal(a, [3.0, 4.0])


def test_where_keeps_outs_old_values():
    mask = np.array([True, False, True])

    def f(x, o):
        out = o * 1.0  # a non-leaf tensor that may be written
        np.multiply(x, 3.0, out=out, where=mask)
        return out

    x, o = rand((3,), 0), rand((3,), 1)
    r = f(cr.tensor(x), cr.tensor(o))
    np.testing.assert_allclose(_vals(r), np.where(mask, 3 * x, o))
    check_grads(f, x, o)


def test_where_without_out_fills_zeros():
    mask = np.array([[True], [False]])
    r = np.add(leaf(np.ones(3)), 1.0, where=mask)
    assert r.shape == (2, 3)
    np.testing.assert_array_equal(_vals(r), [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]])


def test_dtype_keyword_casts():
    r = np.add(leaf([1.0, 2.0]), 1.0, dtype=np.float32)
    assert r.dtype == np.float32 and r.requires_grad
    r = np.sin(cr.tensor([1, 2]), dtype=np.float64)
    np.testing.assert_allclose(_vals(r), np.sin([1.0, 2.0]))


def test_harmless_keywords_are_accepted_others_refused():
    x = leaf([1.0, 2.0])
    r = np.add(x, 1.0, casting="same_kind", order="K", subok=True)
    np.testing.assert_array_equal(_vals(r), [2.0, 3.0])
    with pytest.raises((TypeError, NotImplementedError), match="not supported"):
        np.matmul(leaf(np.eye(2)), leaf(np.eye(2)), axes=[(0, 1), (0, 1), (0, 1)])
    import chainrule.numpy as cnp

    with pytest.raises(TypeError, match=r"numpy.sin: keyword argument\(s\) \['bogus'\]"):
        cnp.sin(leaf([1.0]), bogus=1)


# --- reduce ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.maximum, np.minimum, np.logaddexp,
                                   np.logaddexp2, np.subtract, np.hypot])
@pytest.mark.parametrize("axis", [0, 1, None, (0, 1)])
def test_reduce(ufunc, axis):
    x = distinct((3, 4), 0)
    reorderable = ufunc not in (np.subtract, np.hypot)
    if not reorderable and (axis is None or isinstance(axis, tuple)):
        with pytest.raises(ValueError, match="reduce one axis at a time"):
            ufunc.reduce(leaf(x), axis=axis)
        return
    np.testing.assert_allclose(_vals(ufunc.reduce(leaf(x), axis=axis)), ufunc.reduce(x, axis=axis),
                               rtol=1e-13)
    check_grads(lambda t: ufunc.reduce(t, axis=axis), x)


def test_reduce_keepdims_initial_where_out():
    x = distinct((3, 4), 0)
    mask = np.array([True, False, True, True])
    r = np.add.reduce(leaf(x), axis=1, keepdims=True, initial=1.5, where=mask)
    np.testing.assert_allclose(_vals(r), np.add.reduce(x, axis=1, keepdims=True, initial=1.5,
                                                       where=mask))
    r = np.maximum.reduce(leaf(x), axis=0, initial=0.3, where=mask)
    np.testing.assert_allclose(_vals(r), np.maximum.reduce(x, axis=0, initial=0.3, where=mask))
    check_grads(lambda t: np.multiply.reduce(t, axis=0, where=mask), x)
    out = cr.zeros(4)
    assert np.add.reduce(leaf(x), axis=0, out=out) is out
    with pytest.raises(ValueError, match="specify 'initial'"):
        np.maximum.reduce(leaf(x), axis=1, where=mask)


def test_reduce_through_numpy_functions():
    x = distinct((3, 4), 1)
    check_grads(lambda t: np.sum(t, axis=0), x)
    check_grads(lambda t: np.prod(t, axis=1, keepdims=True), x)
    check_grads(lambda t: np.max(t), x)
    np.testing.assert_allclose(_vals(np.sum(leaf(x), axis=1)), x.sum(axis=1))


# --- accumulate, outer ----------------------------------------------------------------------------
@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.maximum, np.subtract])
@pytest.mark.parametrize("axis", [0, 1])
def test_accumulate(ufunc, axis):
    x = distinct((3, 4), 2)
    np.testing.assert_allclose(_vals(ufunc.accumulate(leaf(x), axis=axis)),
                               ufunc.accumulate(x, axis=axis), rtol=1e-13)
    check_grads(lambda t: ufunc.accumulate(t, axis=axis), x)


@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.subtract, np.maximum])
def test_outer(ufunc):
    a, b = distinct((3,), 0), distinct((2, 2), 1)
    r = ufunc.outer(leaf(a), b)
    assert r.shape == (3, 2, 2)
    np.testing.assert_allclose(_vals(r), ufunc.outer(a, b))
    check_grads(lambda p, q: ufunc.outer(p, q), a, b)


def test_methods_of_non_binary_ufuncs_are_refused():
    with pytest.raises(ValueError, match="only supported for binary"):
        np.sin.reduce(leaf([1.0]))
    with pytest.raises(TypeError, match="reduceat is not differentiable by chainrule"):
        np.add.reduceat(leaf([1.0, 2.0]), [0])


# --- at -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply, np.maximum, np.power])
def test_at_with_repeated_indices(ufunc):
    idx = np.array([0, 2, 0, 3, 0])
    a, b = positive((5,), 0), positive((5,), 1)

    def f(x, y):
        z = x * 1.0  # ufunc.at works in place: not on a leaf that requires grad
        ufunc.at(z, idx, y)
        return z

    expected = a.copy()
    ufunc.at(expected, idx, b)
    np.testing.assert_allclose(_vals(f(cr.tensor(a), cr.tensor(b))), expected, rtol=1e-14)
    check_grads(f, a, b)


def test_at_unary_and_multidimensional_index():
    a = rand((3, 4), 0)

    def f(x):
        z = x * 1.0
        np.negative.at(z, (np.array([0, 2, 0]), np.array([1, 3, 1])))
        return z

    expected = a.copy()
    np.negative.at(expected, (np.array([0, 2, 0]), np.array([1, 3, 1])))
    np.testing.assert_allclose(_vals(f(cr.tensor(a))), expected)
    check_grads(f, a)


def test_at_on_an_ndarray():
    a = np.zeros(3)
    np.add.at(a, [0, 0], cr.tensor(1.0))
    np.testing.assert_array_equal(a, [2.0, 0.0, 0.0])
    with pytest.raises(TypeError, match="would lose the gradient"):
        np.add.at(a, [0], leaf(1.0))


# --- __array_function__ ---------------------------------------------------------------------------
def test_array_functions_dispatch():
    x = distinct((3, 4), 0)
    check_grads(lambda t: np.mean(np.reshape(t, (4, 3)), axis=0), x)
    check_grads(lambda t: np.linalg.norm(t), x)
    check_grads(lambda t: np.linalg.norm(t, axis=1), x)
    check_grads(lambda t: np.concatenate([t, x], axis=0), x)
    check_grads(lambda t: np.stack([t, 2 * t]), x)
    check_grads(lambda t: np.where(x > 0, t, 0.0), x)
    check_grads(lambda t: np.real(np.fft.fft(t)), x, order=1)
    r = np.concatenate([leaf(x), x])
    assert isinstance(r, cr.Tensor) and r.requires_grad and r.shape == (6, 4)


def test_array_functions_with_value_results():
    x = leaf(distinct((4,), 0))
    assert np.argmax(x) == np.argmax(_vals(x))
    assert np.shape(x) == (4,) and np.ndim(x) == 1
    assert np.result_type(x, np.float32) == np.float64


def test_uncovered_numpy_function_is_a_clear_error():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="numpy.polyfit is not differentiable by chainrule"):
        np.polyfit(x, x, 1)
    with pytest.raises(TypeError, match="numpy.nextafter is not differentiable by chainrule"):
        np.nextafter(x, 5.0)


def test_array_conversion_of_tensors_without_grad():
    x = leaf([1.0, 2.0])
    a = np.asarray(x.detach())
    assert type(a) is np.ndarray
    np.testing.assert_array_equal(a, [1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"requires grad.*detach\(\)\.numpy\(\)"):
        np.asarray(x)  # PyTorch's rule: the gradient would be lost
