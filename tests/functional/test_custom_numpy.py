"""custom_vjp and custom_jvp whose function or fwd is plain NumPy (as JAX users write them):
the custom rule owns the output's graph however it was computed, in every composition; a
derivative that would need what NumPy code cannot give raises instead of coming out zero."""

from __future__ import annotations

import itertools

import numpy
import pytest
from tests.functional._composition import Composition

import chainrule as cr
from chainrule.autograd.conversion import TracedConversionError

X = numpy.array([0.3, -1.2, 2.0])
ONES = numpy.ones(3)


def _all_compositions_hold(f, xs):
    c = Composition(f, xs)
    assert c.failures() == []
    ref = c.chain_reference(3)
    for modes in ("".join(m) for m in itertools.product("fr", repeat=3)):
        assert c.chain(modes) == pytest.approx(ref, rel=1e-5, abs=1e-7), modes


# fwd in NumPy, residual = the input itself --------------------------------------------------------
@cr.custom_vjp
def np_sin(x):
    return numpy.sin(numpy.asarray(x))


def _np_sin_fwd(x):
    return numpy.sin(numpy.asarray(x)), (x,)


def _np_sin_bwd(res, g):
    (x,) = res
    return (g * cr.cos(x),)


np_sin.defvjp(_np_sin_fwd, _np_sin_bwd)


def test_numpy_fwd_first_order_in_every_face():
    c = numpy.cos(X)
    numpy.testing.assert_allclose(cr.grad(lambda x: cr.sum(np_sin(x)))(X), c)
    numpy.testing.assert_allclose(cr.jacrev(np_sin)(X), numpy.diag(c))
    numpy.testing.assert_allclose(cr.jacfwd(np_sin)(X), numpy.diag(c))
    numpy.testing.assert_allclose(cr.jvp(np_sin, (X,), (ONES,))[1], c)
    x = cr.tensor(X, requires_grad=True)
    cr.sum(np_sin(x)).backward()
    numpy.testing.assert_allclose(x.grad._data, c)
    numpy.testing.assert_allclose(np_sin(X), numpy.sin(X))  # a plain call is the function


def test_numpy_fwd_with_input_residuals_composes_to_any_order():
    numpy.testing.assert_allclose(cr.hessian(lambda x: cr.sum(np_sin(x)))(X),
                                  numpy.diag(-numpy.sin(X)), atol=1e-15)
    numpy.testing.assert_allclose(cr.grad(lambda v: cr.sum(cr.grad(
        lambda w: cr.sum(np_sin(w)))(v)))(X), -numpy.sin(X))
    _all_compositions_hold(np_sin, [X])


# fwd in NumPy, residual computed by NumPy ---------------------------------------------------------
@cr.custom_vjp
def np_sin_res(x):
    return numpy.sin(numpy.asarray(x))


def _np_sin_res_fwd(x):
    a = numpy.asarray(x)
    return numpy.sin(a), numpy.cos(a)


np_sin_res.defvjp(_np_sin_res_fwd, lambda c, g: (g * c,))


def test_numpy_residuals_give_first_order_and_refuse_higher_orders():
    c = numpy.cos(X)
    numpy.testing.assert_allclose(cr.grad(lambda x: cr.sum(np_sin_res(x)))(X), c)
    numpy.testing.assert_allclose(cr.jvp(np_sin_res, (X,), (ONES,))[1], c)  # bwd transposed
    numpy.testing.assert_allclose(cr.jacfwd(np_sin_res)(X), numpy.diag(c))
    # The second derivative needs d cos(x) / dx, which NumPy code cannot give: an error, not 0.
    with pytest.raises(TracedConversionError, match="custom_vjp np_sin_res: this higher deriv"):
        cr.grad(lambda v: cr.sum(cr.grad(lambda w: cr.sum(np_sin_res(w)))(v)))(X)
    with pytest.raises(TracedConversionError, match="custom_vjp np_sin_res: forward mode over"):
        cr.hessian(lambda x: cr.sum(np_sin_res(x)))(X)
    # The derivative with respect to the cotangent alone needs nothing of the residuals.
    _, back = cr.vjp(np_sin_res, X)
    u0 = numpy.array([1.0, 2.0, -1.0])
    numpy.testing.assert_allclose(cr.jvp(lambda u: back(u)[0], (u0,), (ONES,))[1], c)
    numpy.testing.assert_allclose(cr.grad(lambda u: cr.sum(back(u)[0]))(u0), c)


def test_forward_mode_of_numpy_fwd_uses_the_custom_rule():
    """log(1 + exp(x)) with a stable bwd: forward mode transposes bwd, so it is stable too."""

    @cr.custom_vjp
    def log1pexp(x):
        return numpy.logaddexp(0.0, numpy.asarray(x))

    def fwd(x):
        return numpy.logaddexp(0.0, numpy.asarray(x)), (x,)

    def bwd(res, g):
        return (g * cr.sigmoid(res[0]),)

    log1pexp.defvjp(fwd, bwd)
    big = numpy.array([800.0, -3.0])
    s = 1 / (1 + numpy.exp(-big))
    numpy.testing.assert_allclose(cr.jvp(log1pexp, (big,), (numpy.ones(2),))[1], s)
    numpy.testing.assert_allclose(cr.grad(lambda x: cr.sum(log1pexp(x)))(big), s)
    numpy.testing.assert_allclose(cr.hessian(lambda x: cr.sum(log1pexp(x)))(big),
                                  numpy.diag(s * (1 - s)), atol=1e-300)


def test_forward_mode_needs_bwd_in_chainrule_operations_when_fwd_is_numpy():
    @cr.custom_vjp
    def f(x):
        return numpy.sin(numpy.asarray(x))

    f.defvjp(lambda x: (numpy.sin(numpy.asarray(x)), (x,)),
             lambda res, g: (numpy.asarray(g) * numpy.cos(numpy.asarray(res[0]._data)),))
    numpy.testing.assert_allclose(cr.grad(lambda x: cr.sum(f(x)))(X), numpy.cos(X))
    with pytest.raises(TracedConversionError, match="custom_vjp f: forward mode .* transposes "
                                                    r"bwd.*converts it to NumPy \(numpy.asarray"):
        cr.jvp(f, (X,), (ONES,))


def test_chainrule_fwd_with_computed_residuals_composes_to_any_order():
    @cr.custom_vjp
    def f(x, y):
        return cr.sin(x) * y

    def fwd(x, y):
        return f(x, y), (cr.cos(x), x, y)

    def bwd(res, g):
        c, x, y = res
        return g * c * y, g * cr.sin(x)

    f.defvjp(fwd, bwd)
    _all_compositions_hold(f, [X, X[::-1].copy()])


# custom_jvp with a NumPy function -----------------------------------------------------------------
@cr.custom_jvp
def np_exp(x):
    return numpy.exp(numpy.asarray(x))


@np_exp.defjvp
def _np_exp_jvp(primals, tangents):
    y = np_exp(primals[0])  # the rule uses the function's output: it must stay differentiable
    return y, tangents[0] * y


def test_custom_jvp_of_numpy_function_composes_to_any_order():
    e = numpy.exp(X)
    numpy.testing.assert_allclose(cr.jvp(np_exp, (X,), (ONES,))[1], e)
    numpy.testing.assert_allclose(cr.grad(lambda x: cr.sum(np_exp(x)))(X), e)
    numpy.testing.assert_allclose(cr.hessian(lambda x: cr.sum(np_exp(x)))(X), numpy.diag(e))
    x = cr.tensor(X, requires_grad=True)
    cr.sum(np_exp(x)).backward()
    numpy.testing.assert_allclose(x.grad._data, e)
    _all_compositions_hold(np_exp, [X])


def test_numpy_fwd_with_a_plain_array_input_as_residual_under_forward_over_reverse():
    """An input that is no tensor (a NumPy array: nothing to differentiate) returned by a NumPy
    fwd as a residual is just that array: forward mode over a derivative of the function works
    (it used to be treated as a residual that had lost its derivative)."""
    import chainrule.numpy as cnp
    from chainrule import func
    from chainrule.custom import custom_vjp

    np = numpy

    @custom_vjp
    def scale(x, w):
        return np.asarray(x) * w

    def fwd(x, w):
        return np.asarray(x) * w, (w,)

    def bwd(res, g):
        (w,) = res
        return g * w, None

    scale.defvjp(fwd, bwd)
    w = np.array([2.0, 3.0])
    f = lambda x: cnp.sum(cnp.sin(scale(x, w)))  # noqa: E731
    x = np.array([0.3, -0.2])
    H = func.jacfwd(func.grad(f))(x)
    np.testing.assert_allclose(H, np.diag(-np.sin(w * x) * w * w), rtol=1e-12)


def test_vjp_of_a_traced_input_under_no_grad():
    """A function transform works under no_grad, as torch.func's do, also on an input that is
    part of an outer graph (it is then a leaf of its own)."""
    import chainrule.numpy as cnp
    from chainrule import func

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    with cr.no_grad():
        out, pull = func.vjp(lambda v: cnp.sum(v ** 2), y)
        (g,) = pull(numpy.float64(1.0))
    numpy.testing.assert_allclose(numpy.asarray(g), [6.0, 12.0])
