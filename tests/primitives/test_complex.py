"""Complex numbers: PyTorch's gradient convention (dL/dx + i dL/dy), checked by finite
differences on real and imaginary parts (first and second order, reverse and forward mode)
and against torch, for the complex primitives and every rule that needed conjugating."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import assert_matches_torch, check_grads, crand, rand

import chainrule as cr
from chainrule import func
from chainrule.autograd import forward_ad as fwad
from chainrule.primitives import complex as C
from chainrule.primitives import elementwise as E
from chainrule.primitives.linalg import einsum, matmul
from chainrule.primitives.reduction import cumsum, prod

Z = crand((2, 3), 1)
W = crand((3,), 2)

UNARY = {
    "exp": (E.exp, torch.exp),
    "log": (E.log, torch.log),
    "sqrt": (E.sqrt, torch.sqrt),
    "sin": (E.sin, torch.sin),
    "cos": (E.cos, torch.cos),
    "tan": (E.tan, torch.tan),
    "tanh": (E.tanh, torch.tanh),
    "sigmoid": (E.sigmoid, torch.sigmoid),
    "expm1": (E.expm1, torch.expm1),
    "log1p": (E.log1p, torch.log1p),
    "neg": (E.neg, torch.neg),
    "abs": (E.abs, torch.abs),
    "sign": (E.sign, torch.sgn),
    "real": (C.real, torch.real),
    "imag": (C.imag, torch.imag),
    "conj": (C.conj, lambda t: torch.conj(t).resolve_conj()),
    "angle": (C.angle, torch.angle),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_on_complex(name):
    f, tf = UNARY[name]
    z = crand((2, 3), 3) * 0.7
    check_grads(f, z)
    assert_matches_torch(f, tf, z)


def test_erf_on_complex_gradchecks():  # torch has no complex erf
    check_grads(E.erf, crand((3,), 4) * 0.5)


BINARY = {
    "add": (lambda a, b: a + b, None),
    "sub": (lambda a, b: a - b, None),
    "mul": (lambda a, b: a * b, None),
    "div": (lambda a, b: a / b, None),
    "pow": (lambda a, b: a ** b, None),
}


@pytest.mark.parametrize("kinds", ["cc", "rc", "cr"])
@pytest.mark.parametrize("name", BINARY)
def test_binary_complex_and_mixed(name, kinds):
    """Complex with complex, and a real operand promoted to complex (its gradient is the real
    part), with broadcasting."""
    f = BINARY[name][0]
    a = Z if kinds[0] == "c" else rand((2, 3), 5) + 2.5
    b = W if kinds[1] == "c" else rand((3,), 6) * 0.5
    check_grads(f, a, b)
    assert_matches_torch(f, f, a, b)


def _c(t):
    """A torch tensor promoted to complex128 (torch does not mix dtypes in where/matmul)."""
    return t if t.is_complex() else t.to(torch.complex128)


def test_where_mixed():
    cond = np.array([True, False, True])
    f = E.where
    check_grads(f, cond, rand((2, 3), 1), W)
    # torch wants one dtype: the real operand is promoted explicitly there
    assert_matches_torch(f, lambda c, x, y: torch.where(c, _c(x), y), cond, rand((2, 3), 1), W)


@pytest.mark.parametrize("kinds", ["cc", "rc", "cr"])
def test_matmul_and_einsum(kinds):
    a = crand((2, 3), 1) if kinds[0] == "c" else rand((2, 3), 1)
    b = crand((3, 2), 2) if kinds[1] == "c" else rand((3, 2), 2)
    check_grads(matmul, a, b)
    assert_matches_torch(matmul, lambda x, y: torch.matmul(_c(x), _c(y)), a, b)
    g = lambda x, y: einsum("ij,jk->ik", x, y)  # noqa: E731
    check_grads(g, a, b)
    assert_matches_torch(g, lambda x, y: torch.einsum("ij,jk->ik", _c(x), _c(y)), a, b)


def test_matmul_batched_complex():
    check_grads(matmul, crand((2, 2, 3), 1), crand((3,), 2))


def test_reductions_on_complex():
    z = crand((2, 3), 7)
    for f, tf in [(lambda x: prod(x, axis=1), lambda x: torch.prod(x, 1)),
                  (lambda x: cumsum(x, axis=0), lambda x: torch.cumsum(x, 0)),
                  (lambda x: x.sum(axis=0), lambda x: x.sum(0))]:
        check_grads(f, z)
        assert_matches_torch(f, tf, z)


def test_cast_between_real_and_complex():
    # real -> complex: the gradient is the real part of the complex one
    to_c = lambda x: E.astype(x, np.complex128) * W  # noqa: E731
    check_grads(to_c, rand((2, 3), 1))
    assert_matches_torch(to_c, lambda x: x.to(torch.complex128) * torch.tensor(W), rand((2, 3), 1))
    # complex -> real keeps the real part (NumPy's value); its gradient is g + 0j (torch's .real)
    z = cr.tensor(Z, requires_grad=True)
    r = E.astype(z, np.float64)
    np.testing.assert_array_equal(r.detach().numpy(), Z.real)
    (r * r).sum().backward()
    np.testing.assert_allclose(z.grad.detach().numpy(), 2 * Z.real + 0j)
    check_grads(lambda x: E.astype(x, np.float64) ** 2, Z)


def test_abs_squared_has_gradient_2z():
    z = cr.tensor(Z, requires_grad=True)
    (E.abs(z) ** 2).sum().backward()
    np.testing.assert_allclose(z.grad.detach().numpy(), 2 * Z, rtol=1e-12)
    assert z.grad.dtype == np.complex128


def test_abs_and_angle_at_zero_have_zero_gradient():
    z = cr.tensor(np.array([0j, 1 + 1j]), requires_grad=True)
    (E.abs(z) + C.angle(z)).sum().backward()
    assert z.grad.detach().numpy()[0] == 0
    assert np.all(np.isfinite(z.grad.detach().numpy()))


def test_real_inputs_of_real_imag_conj_angle():
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    assert C.real(x) is x and C.conj(x) is x
    assert not C.imag(x).requires_grad and np.all(C.imag(x).detach().numpy() == 0)
    a = C.angle(x)
    np.testing.assert_allclose(a.detach().numpy(), [0, np.pi])
    a.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [0.0, 0.0])
    np.testing.assert_allclose(C.angle(np.array([1j]), deg=True), [90.0])
    assert isinstance(C.real(np.array([1 + 2j])), np.ndarray)


def test_angle_in_degrees_gradchecks():
    check_grads(lambda z: C.angle(z, deg=True), crand((3,), 9))


def test_forward_mode_with_complex_tangent():
    z0, t = Z, crand((2, 3), 11)
    with fwad.dual_level():
        z = fwad.make_dual(cr.tensor(z0), cr.tensor(t))
        out = fwad.unpack_dual(E.sin(z) * z).tangent.detach().numpy()
    np.testing.assert_allclose(out, t * (np.cos(z0) * z0 + np.sin(z0)), rtol=1e-12)


def test_grad_of_real_function_of_complex_input():
    f = lambda z: C.real(z * C.conj(z)).sum() + C.imag(z).sum()  # noqa: E731
    np.testing.assert_allclose(func.grad(f)(Z), 2 * Z + 1j, rtol=1e-12)


def test_jacfwd_and_jacrev_of_holomorphic_function():
    # jacfwd pushes the tangent 1 (a real direction): it gives dw/dz. jacrev pulls back the
    # cotangent 1, the gradient of Re(w): conj(dw/dz) for a holomorphic function.
    z = W
    f = lambda z: E.sin(z) * z  # noqa: E731
    d = np.diag(np.cos(z) * z + np.sin(z))
    np.testing.assert_allclose(func.jacfwd(f)(z), d, rtol=1e-12)
    np.testing.assert_allclose(func.jacrev(f)(z), np.conj(d), rtol=1e-12)


def test_requires_grad_on_complex_is_allowed_and_int_still_refused():
    assert cr.tensor(Z, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="floating point or complex dtype"):
        cr.tensor([1, 2], requires_grad=True)


def test_undefined_for_complex_raise_clearly():
    z = cr.tensor(Z, requires_grad=True)
    for f, name in [(lambda z: E.maximum(z, z * 2), "maximum"), (E.relu, "relu"),
                    (lambda z: E.clip(z, 0, 1), "clip")]:
        with pytest.raises(TypeError, match=f"{name}.*not differentiable for complex inputs"):
            f(z).sum().real.backward()
    with fwad.dual_level(), pytest.raises(TypeError, match="tangent has complex dtype"):
        fwad.make_dual(cr.tensor([1.0]), cr.tensor([1j]))


@pytest.mark.parametrize("kinds", ["cc", "rc", "cr"])
def test_builder_rules_for_complex(kinds):
    """The elementwise builder conjugates the stated partial derivative in the reverse rule, and
    gives a real input of a complex result the real part of its gradient (saving that input's
    dtype when ``save`` does not keep it); a primitive declared ``real`` refuses complex data."""
    from chainrule.primitives._core import apply, elementwise, one_over

    sinh = elementwise("test_sinh", np.sinh, save=(0,),
                       partial=lambda x: (E.exp(x) + E.exp(-x)) * 0.5)
    f = lambda z: apply(sinh, (z,))  # noqa: E731
    check_grads(f, crand((3,), 5))
    assert_matches_torch(f, torch.sinh, crand((3,), 5))
    a = crand((2, 3), 1) if kinds[0] == "c" else rand((2, 3), 1)
    b = crand((3,), 2) if kinds[1] == "c" else rand((3,), 2) + 2.5
    quotient = elementwise("test_div", np.true_divide, save=(0, 1), partial=(
        one_over(lambda x, y: y), lambda x, y: -x / (y * y)))
    linear = elementwise("test_lin", lambda x, y: x - 2 * y, partial=(1, -2))
    assert linear.save and all(c.attr == "dtype" for c in linear.save)
    for prim, tf in ((quotient, lambda x, y: _c(x) / _c(y)),
                     (linear, lambda x, y: _c(x) - 2 * _c(y))):
        g = lambda x, y, prim=prim: apply(prim, (x, y))  # noqa: E731
        check_grads(g, a, b)
        assert_matches_torch(g, tf, a, b)
    bigger = elementwise("test_max", np.maximum, save=(0, 1), real=True,
                         d=(lambda v, x, y: E.where(x > y, v, 0),
                            lambda v, x, y: E.where(x > y, 0, v)))
    check_grads(lambda x, y: apply(bigger, (x, y)), rand((3,), 1), rand((3,), 2))
    z = cr.tensor(Z, requires_grad=True)
    with pytest.raises(TypeError, match="test_max: not differentiable for complex inputs"):
        C.real(apply(bigger, (z, z * 2))).sum().backward()


def test_gradcheck_catches_a_missing_conjugate():
    from chainrule.autograd import GradcheckError, gradcheck
    from chainrule.primitives._core import Primitive, apply

    wrong = Primitive("test_wrong_exp", np.exp, save=(0,),  # vjp without the conjugate
                      vjp=lambda g, x: g * E.exp(x), jvp=lambda t, x: t * E.exp(x))
    z = cr.tensor(crand((2,), 3), requires_grad=True)
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(lambda z: apply(wrong, (z,)), (z,))
    assert gradcheck(E.exp, (z,))


def test_var_std_of_complex_are_real_and_match_numpy_and_torch():
    import torch

    import chainrule.numpy as cnp

    z = np.array([1 + 2j, 3 - 1j, 0.5j, -2 + 0.25j])
    for ours, theirs in ((cnp.var, np.var), (cnp.std, np.std)):
        out = ours(cr.tensor(z))
        assert out.dtype == np.float64
        np.testing.assert_allclose(out.numpy(), theirs(z), rtol=1e-14)
    zc, zt = cr.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    cr.std(zc).backward()
    torch.std(zt).backward()
    np.testing.assert_allclose(zc.grad.numpy(), zt.grad.numpy(), rtol=1e-12)
