"""No silent loss of derivatives: converting a traced value into a Python number or a NumPy array
inside a functional transform raises ``TracedConversionError``; the Tensor face follows PyTorch
(docs/semantics.md, "No silent loss of derivatives")."""

import numpy
import pytest

import chainrule as cr
import chainrule.numpy as np
from chainrule.autograd import TracedConversionError
from chainrule.autograd.grad_mode import in_transform

X = numpy.array([0.5, -1.0, 2.0])


# --- every transform refuses the conversions --------------------------------------------------
def _scalar_out(f):
    return lambda v: np.sum(f(v))


TRANSFORMS = {
    "grad": lambda f: cr.grad(_scalar_out(f))(X),
    "value_and_grad": lambda f: cr.value_and_grad(_scalar_out(f))(X),
    "vjp": lambda f: cr.vjp(f, X)[1](numpy.ones(3)),
    "jvp": lambda f: cr.jvp(f, (X,), (numpy.ones(3),)),
    "jacfwd": lambda f: cr.jacfwd(f)(X),
    "jacrev": lambda f: cr.jacrev(f)(X),
    "jacobian": lambda f: cr.jacobian(f)(X),
    "hessian": lambda f: cr.hessian(_scalar_out(f))(X),
    "hvp": lambda f: cr.hvp(_scalar_out(f), (X,), (numpy.ones(3),)),
    "linearize": lambda f: cr.linearize(f, X),
    "elementwise_grad": lambda f: cr.elementwise_grad(f)(X),
}


def write_into_numpy(v):
    """The classic silent loss: a NumPy buffer filled with traced values."""
    a = numpy.zeros(3)
    a[0] = v[0] ** 2
    return v * np.sum(a)


def float_of(v):
    return v * float(v[0])


def asarray_of(v):
    return v * np.sum(numpy.asarray(v))


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_every_transform_refuses_float_and_asarray(name):
    for f, op in [(float_of, r"float\(\)"), (asarray_of, r"numpy\.asarray\(\)")]:
        with pytest.raises(TracedConversionError, match=op):
            TRANSFORMS[name](f)
    assert not in_transform()  # the scope is left after the error


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_every_transform_refuses_writing_into_an_ndarray(name):
    # ndarray[i] = value calls float(value); NumPy re-raises any error from it as its own
    # ValueError ("setting an array element with a sequence"), whose cause is ours.
    with pytest.raises(ValueError) as info:
        TRANSFORMS[name](write_into_numpy)
    assert isinstance(info.value.__cause__, TracedConversionError)
    assert "would lose its derivative" in str(info.value.__cause__)


# --- each conversion, and what the message says ----------------------------------------------
def _slice_assign(v):
    a = numpy.zeros(3)
    a[0:2] = v[:2]


def _int_array_assign(v):
    a = numpy.zeros(3, dtype=numpy.int64)
    a[0] = v[0]


def _complex_array_assign(v):
    a = numpy.zeros(3, dtype=complex)
    a[0] = v[0]


CONVERSIONS = {
    "float": (lambda v: float(v[0]), r"float\(\)"),
    "int": (lambda v: int(v[0]), r"int\(\)"),
    "complex": (lambda v: complex(v[0]), r"complex\(\)"),
    "item": (lambda v: v[0].item(), r"\.item\(\)"),
    "tolist": (lambda v: v.tolist(), r"\.tolist\(\)"),
    "numpy": (lambda v: v.numpy(), r"\.numpy\(\)"),
    "asarray": (lambda v: numpy.asarray(v), r"numpy\.asarray\(\)"),
    "array": (lambda v: numpy.array(v), r"numpy\.array\(\)"),
    "asarray_dtype": (lambda v: numpy.asarray(v, dtype=numpy.float32), r"numpy\.asarray\(\)"),
    "list_to_numpy": (lambda v: numpy.sin([v[0], 1.0]), r"numpy\.asarray\(\)"),
    "slice_assign": (_slice_assign, r"ndarray\[i:j\] = value"),
    "int_array_assign": (_int_array_assign, r"int\(\)"),
    "complex_array_assign": (_complex_array_assign, r"complex\(\)"),
    "chainrule.tensor": (lambda v: cr.tensor([v[0], v[1]]), r"chainrule\.tensor\(x\)"),
    "Tensor": (lambda v: cr.Tensor(v), r"Tensor\(x\)"),
}


@pytest.mark.parametrize("name", list(CONVERSIONS))
def test_each_conversion_names_itself_the_loss_and_the_fix(name):
    convert, op = CONVERSIONS[name]

    def f(v):
        convert(v)
        return np.sum(v)

    with pytest.raises(TracedConversionError, match=op) as info:
        cr.grad(f)(X)
    msg = str(info.value)
    assert "traced float64 tensor of shape" in msg
    assert "lose its derivative" in msg
    assert "chainrule.numpy" in msg and "np.stack" in msg and "np.where" in msg
    assert "x.detach()" in msg


def test_the_error_is_a_type_error_and_a_runtime_error():
    for base in (TypeError, RuntimeError):
        with pytest.raises(base):
            cr.grad(lambda v: float(np.sum(v)))(X)
    assert cr.autograd.TracedConversionError is TracedConversionError


def test_forward_mode_tangents_count_as_traced():
    # jvp records no graph (no edge): the tangent alone makes the value traced.
    def f(v):
        with cr.no_grad():
            return v * float(v[0])

    with pytest.raises(TracedConversionError, match="float"):
        cr.jvp(f, (X,), (numpy.ones(3),))
    with pytest.raises(TracedConversionError, match="asarray"):
        cr.jacfwd(lambda v: np.sin(v) * numpy.asarray(v))(X)


def test_nested_transforms_refuse_at_every_level():
    def inner(v):
        return np.sum(v ** 2) * float(v[0])

    with pytest.raises(TracedConversionError):
        cr.grad(lambda v: np.sum(cr.grad(inner)(v)))(X)
    # The inner transform's result depends on the outer input: converting it loses the outer
    # derivative.
    with pytest.raises(TracedConversionError):
        cr.grad(lambda v: np.sum(v) * float(np.sum(cr.grad(lambda u: np.sum(u ** 3))(v))))(X)


# --- the fix the message gives works --------------------------------------------------------
def test_building_the_array_with_chainrule_numpy_gives_the_right_gradient():
    def f(v):  # write_into_numpy, written without a NumPy buffer
        a = np.stack([v[0] ** 2, np.zeros(()), np.zeros(())])
        return np.sum(v * np.sum(a))

    g = cr.grad(f)(X)
    # d/dv [sum(v) * v0^2] = v0^2 + 2 v0 sum(v) e0
    expected = numpy.full(3, X[0] ** 2)
    expected[0] += 2 * X[0] * X.sum()
    numpy.testing.assert_allclose(g, expected)

    def h(v):
        return np.sum(np.where(numpy.arange(3) == 0, v ** 2, 0.0))

    numpy.testing.assert_allclose(cr.grad(h)(X), [2 * X[0], 0.0, 0.0])


def test_detach_gives_a_constant():
    g = cr.grad(lambda v: np.sum(v) * float(v[0].detach()))(X)
    numpy.testing.assert_allclose(g, numpy.full(3, X[0]))
    g = cr.grad(lambda v: np.sum(v * numpy.asarray(v.detach())))(X)
    numpy.testing.assert_allclose(g, X)


def test_no_grad_inside_a_reverse_transform_is_an_explicit_constant():
    def f(v):
        with cr.no_grad():
            c = float(v[0]) + numpy.asarray(v)[1]
        return np.sum(v) * c

    numpy.testing.assert_allclose(cr.grad(f)(X), numpy.full(3, X[0] + X[1]))


# --- what keeps working inside transforms ------------------------------------------------
def test_python_control_flow_on_traced_values():
    def f(v):
        s = np.sum(v ** 2)
        if v[0] > 0 and bool(v[2] > v[1]) and not (v[1] == 5.0):
            s = s * 2
        y = v[0]
        while y < 8:  # a loop on a traced value
            y = y * 2
        return s + y

    # y = 8 * v0 (v0 = 0.5 doubles four times); the branch is taken
    expected = 4 * X
    expected[0] += 16.0
    numpy.testing.assert_allclose(cr.grad(f)(X), expected)


def test_integer_and_bool_values_and_constants_convert_freely():
    def f(v):
        k = int(np.argmax(v))  # an integer tensor: no derivative to lose
        n = int(cr.tensor(3))
        mask = (v > 0).tolist()
        c = cr.tensor([1.0, 2.0, 3.0])  # a constant made inside the transform
        scale = float(c[1]) + numpy.asarray(c)[2] + c.numpy()[0] + c.sum().item()
        assert mask == [True, False, True]
        return v[k] * n * scale + np.sum(v[[i for i in range(3) if mask[i]]])

    g = cr.grad(f)(X)
    numpy.testing.assert_allclose(g, [1.0, 0.0, 1.0 + 3 * (2.0 + 3.0 + 1.0 + 6.0)])


def test_printing_a_traced_value_is_not_a_loss(capsys):
    def f(v):
        s = np.sum(v ** 2)
        print(v, s, repr(s), f"{s:.3f}", f"{v}", format(v[0], ".2f"))
        return s

    numpy.testing.assert_allclose(cr.grad(f)(X), 2 * X)
    out = capsys.readouterr().out
    assert "5.250" in out and "requires_grad=True" in out


def test_numpy_protocols_still_dispatch_inside_transforms():
    def f(v):
        return numpy.sum(numpy.sin(v) + numpy.ones(3) * v) + numpy.linalg.norm(v)

    expected = numpy.cos(X) + 1.0 + X / numpy.linalg.norm(X)
    numpy.testing.assert_allclose(cr.grad(f)(X), expected)
    numpy.testing.assert_allclose(cr.jacfwd(lambda v: numpy.exp(v))(X), numpy.diag(numpy.exp(X)))

    def g(v):  # NumPy functions that return no derivative read the values
        k = int(numpy.argmax(v))
        ok = numpy.allclose(v, v) and bool(numpy.isclose(v[0], 0.5)) and numpy.shape(v) == (3,)
        return v[k] * ok + numpy.sum(numpy.where(v > 0, v, 0.0))

    numpy.testing.assert_allclose(cr.grad(g)(X), [1.0, 0.0, 2.0])


def test_transform_results_convert_freely():
    g = cr.grad(lambda v: np.sum(v ** 2))(cr.tensor(X))
    assert float(g[0]) == 1.0 and numpy.asarray(g).shape == (3,) and g.tolist()[2] == 4.0


# --- the Tensor face (outside transforms): PyTorch's rules --------------------------------
def test_tensor_face_numbers_are_allowed_even_when_requiring_grad():
    x = cr.tensor([1.5, 2.0], requires_grad=True)
    y = (x * 2).sum()
    assert float(y) == 7.0 and y.item() == 7.0 and int(y) == 7 and complex(y) == 7 + 0j
    assert x.tolist() == [1.5, 2.0]
    a = numpy.zeros(2)
    a[0] = x[0]  # a scalar, as torch allows
    assert a[0] == 1.5


def test_tensor_face_arrays_of_tensors_that_require_grad_raise_like_torch():
    x = cr.tensor([1.5, 2.0], requires_grad=True)
    for convert in (numpy.asarray, numpy.array, lambda t: t.numpy(), lambda t: numpy.sin([t[0]])):
        with pytest.raises(RuntimeError, match=r"requires grad.*detach\(\)\.numpy\(\)"):
            convert(x * 2)
    with pytest.raises(TracedConversionError):
        numpy.zeros(2)[:] = x
    numpy.testing.assert_array_equal(numpy.asarray(x.detach()), [1.5, 2.0])
    numpy.testing.assert_array_equal(x.detach().numpy(), [1.5, 2.0])
    with cr.no_grad():  # as torch: under no_grad the conversion is allowed
        numpy.testing.assert_array_equal(numpy.asarray(x), [1.5, 2.0])
        numpy.testing.assert_array_equal(x.numpy(), [1.5, 2.0])


def test_tensor_face_dual_tensors_convert_like_torch():
    import chainrule.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        d = fwAD.make_dual(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 1.0]))
        numpy.testing.assert_array_equal(numpy.asarray(d), [1.0, 2.0])
        assert float(d[1]) == 2.0


class _OtherArray:
    """Another library's array type (as xarray's DataArray): it dispatches NumPy's ufuncs to
    itself, so a kernel given it would return its type, cut off from the derivative."""

    def __init__(self, values):
        self.values = np.asarray(values)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        args = [i.values if isinstance(i, _OtherArray) else i for i in inputs]
        return _OtherArray(getattr(ufunc, method)(*args, **kwargs))

    def __array__(self, dtype=None, copy=None):
        return self.values


def test_a_foreign_array_type_in_an_operation_is_refused_not_dropped():
    other = _OtherArray([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="mul: cannot combine a chainrule Tensor with a "
                                        "_OtherArray"):
        cr.grad(lambda x: cr.sum(x * other))(2.0)
    x = cr.tensor(2.0, requires_grad=True)
    with pytest.raises(TypeError, match="add: .*numpy.asarray"):
        x + other
    # converted explicitly, it is a constant
    assert float(cr.grad(lambda x: cr.sum(x * np.asarray(other)))(2.0)) == 6.0
