"""The public gradcheck / gradgradcheck: they pass on right derivatives and catch wrong ones."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import GradcheckError, gradcheck, gradgradcheck
from chainrule.primitives._core import Primitive, apply


def leaf(shape, seed=0):
    return cr.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# Deliberately wrong primitives (never registered in the table).
_SIN_WRONG = Primitive("sin_wrong", np.sin, save=(0,),
                       vjp=lambda g, x: g * cr.cos(x) * 1.5,  # should be g * cos(x)
                       jvp=lambda t, x: t * cr.cos(x))


def sin_wrong(x):
    return apply(_SIN_WRONG, (x,))


def _cos_detached(x):
    """cos(x) as a constant: right value, but its own derivative is lost."""
    if isinstance(x, cr.Tensor):
        return cr.tensor(np.cos(x.detach().numpy()))
    return np.cos(x)


# First derivative right, second derivative wrong (the rule is not itself differentiable).
_SIN_FLAT = Primitive("sin_flat", np.sin, save=(0,),
                      vjp=lambda g, x: g * _cos_detached(x),
                      jvp=lambda t, x: t * _cos_detached(x))


def sin_flat(x):
    return apply(_SIN_FLAT, (x,))


# --- passes on correct functions ----------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda x: cr.sin(x),
    lambda x: (x * x).sum(),
    lambda x: cr.exp(x) / (1 + x * x),
    lambda x: x @ x.T,
    lambda x: x[0] * x[1:].sum(),
])
def test_gradcheck_passes(fn):
    assert gradcheck(fn, (leaf((3, 3)),))


def test_gradcheck_several_inputs_outputs_and_non_tensor_args():
    a, b = leaf((2, 3), 1), leaf((3,), 2)
    fn = lambda a, b, k: (a * b * k, cr.tanh(a).sum(), "not a tensor")  # noqa: E731
    assert gradcheck(fn, (a, b, 2.5))


def test_gradcheck_single_tensor_input_not_tuple():
    assert gradcheck(cr.tanh, leaf((4,)))


def test_gradcheck_input_without_grad_is_not_checked():
    a, c = leaf((3,)), cr.tensor(np.ones(3))
    assert gradcheck(lambda a, c: sin_wrong(c) + a, (a, c))  # the wrong rule is never used


def test_gradcheck_leaves_inputs_unchanged():
    x = leaf((2, 2))
    before = x.detach().numpy().copy()
    gradcheck(cr.sin, (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None


def test_gradcheck_non_contiguous_input():
    base = np.random.default_rng(3).standard_normal((3, 4))
    x = cr.from_numpy(base.T).requires_grad_()
    assert gradcheck(lambda v: v * v, (x,))


def test_gradgradcheck_passes():
    assert gradgradcheck(lambda x: cr.sin(x) * x, (leaf((3,)),))
    assert gradgradcheck(lambda a, b: (a @ b).tanh(), (leaf((2, 3), 4), leaf((3, 2), 5)))


# --- catches wrong derivatives --------------------------------------------------------------
def test_gradcheck_catches_wrong_vjp_and_shows_both_values():
    x = cr.tensor([0.1, 0.7, -1.2], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(sin_wrong, (x,))
    msg = str(info.value)
    assert "analytical" in msg and "numerical" in msg
    ana, num = 1.5 * np.cos(0.1), np.cos(0.1)
    assert f"{ana:.4f}" in msg and f"{num:.4f}" in msg


def test_gradcheck_error_is_runtime_error_and_exported():
    assert issubclass(GradcheckError, RuntimeError)
    with pytest.raises(RuntimeError):
        gradcheck(sin_wrong, (leaf((2,)),))


def test_gradcheck_raise_exception_false_returns_false():
    assert gradcheck(sin_wrong, (leaf((2,)),), raise_exception=False) is False


def test_gradcheck_catches_wrong_derivative_inside_a_composite():
    x = leaf((4,))
    with pytest.raises(GradcheckError):
        gradcheck(lambda v: (sin_wrong(v * 2) + v).sum(), (x,))


def test_gradgradcheck_catches_wrong_second_derivative():
    x = leaf((3,), 6)
    assert gradcheck(sin_flat, (x,))  # first order is right
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(sin_flat, (x,))
    assert "analytical" in str(info.value)
    assert gradgradcheck(sin_flat, (x,), raise_exception=False) is False


# --- bad use ------------------------------------------------------------------------------------
def test_gradcheck_without_inputs_requiring_grad():
    with pytest.raises(ValueError, match="requires grad"):
        gradcheck(cr.sin, (cr.tensor([1.0]),))


def test_gradcheck_warns_on_float32():
    x = cr.tensor([0.5, 1.0], dtype=np.float32, requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        gradcheck(cr.sin, (x,), eps=1e-3, atol=1e-2, rtol=1e-2)
