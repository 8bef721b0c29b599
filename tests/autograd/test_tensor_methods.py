"""How tensor.py is laid out: every Tensor method is a ``def`` in the class body (an alias is
``name = method`` beside it), none is attached from outside; the in-place methods are one call
into autograd/inplace.py each and agree with their out-of-place forms."""

import inspect

import numpy as np
import pytest

import chainrule as cr
from chainrule import Tensor
from chainrule.autograd import inplace

FUNCTIONS = dict(vars(Tensor))


def _functions(value):
    if isinstance(value, property):
        return [f for f in (value.fget, value.fset, value.fdel) if f is not None]
    if isinstance(value, (staticmethod, classmethod)):
        return [value.__func__]
    return [value] if inspect.isfunction(value) else []


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_method_is_defined_in_the_class_body(name):
    for fn in _functions(FUNCTIONS[name]):
        assert fn.__module__ == "chainrule.tensor", name
        assert fn.__qualname__.startswith("Tensor."), (
            f"Tensor.{name} is {fn.__qualname__}, attached from outside the class body; write "
            f"it as a def in the class (see tensor.py's docstring)")


def test_the_in_place_logic_lives_in_autograd_inplace():
    import chainrule.tensor as T

    for fn in ("apply_prim", "update", "setitem", "bump", "bump_all"):
        assert callable(getattr(inplace, fn))
    for helper in ("_check_inplace", "_recording", "_check_leaf", "_check_plain_write"):
        assert not hasattr(T, helper)
    for method in ("_inplace", "_update", "_write"):
        assert not hasattr(Tensor, method)




def out_of_place(name):
    """``exp`` for ``exp_``, ``neg`` for its alias ``negative_``."""
    return getattr(Tensor, name).__name__[:-1]


UNARY_IN_PLACE = sorted(name for name, fn in FUNCTIONS.items()
                        if name.endswith("_") and not name.startswith("_")
                        and inspect.isfunction(fn) and fn.__name__[:-1] in FUNCTIONS
                        and len(inspect.signature(fn).parameters) == 1
                        and name not in ("zero_", "detach_", "requires_grad_"))


def test_the_unary_in_place_methods_are_found():
    assert {"exp_", "sigmoid_", "erf_", "negative_", "absolute_"} <= set(UNARY_IN_PLACE)


@pytest.mark.parametrize("name", UNARY_IN_PLACE)
def test_unary_in_place_agrees_with_out_of_place_and_counts(name):
    x = cr.tensor(np.array([0.3, 0.6, 0.9]))
    expected = getattr(x, out_of_place(name))().detach().numpy()
    before = x._version
    assert getattr(x, name)() is x
    np.testing.assert_allclose(x.detach().numpy(), expected, rtol=1e-15)
    assert x._version == before + 1


@pytest.mark.parametrize("name", UNARY_IN_PLACE)
def test_unary_in_place_gradient(name):
    a = np.array([0.3, 0.6, 0.9])
    w = cr.tensor(a, requires_grad=True)
    y = w * 1.0
    getattr(y, name)()
    y.sum().backward()
    w2 = cr.tensor(a, requires_grad=True)
    getattr(w2 * 1.0, out_of_place(name))().sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), w2.grad.numpy(), rtol=1e-14)
