"""Conversions of tensors to Python numbers and NumPy arrays: when they would lose a derivative.

A value is *traced* when a derivative flows through it: inside a functional transform
(``grad``, ``jvp``, ``jacobian``, ...: ``grad_mode.in_transform()``) that is a floating or
complex tensor that is part of a recorded graph (``_edge`` set, grad mode on) or carries a
forward-mode tangent of an open level. Turning such a value into a Python number
(``float()``, ``int()``, ``complex()``, ``.item()``, ``.tolist()``) or a NumPy array
(``numpy.asarray``, ``.numpy()``, writing it into an ndarray) would cut it off from the
derivative, which would come out silently wrong (zero); ``TracedConversionError`` is raised
instead. Python control flow (``bool(x > 0)``, ``if x:``) does not change values and stays
allowed; integer and bool tensors carry no derivative and convert freely.

On the Tensor face (outside transforms) PyTorch's rules hold: numbers may always be taken
(``float(loss)``, ``loss.item()``), while ``.numpy()`` / ``numpy.asarray(t)`` of a tensor that
requires grad raises while grad mode is on (use ``t.detach().numpy()``).
"""

from __future__ import annotations

from . import dispatch, tracing
from .grad_mode import state

__all__ = ["TracedConversionError", "check_number", "check_array"]


class TracedConversionError(TypeError, RuntimeError):
    """Converting a value that carries a derivative into a Python number or a NumPy array,
    which would lose the derivative. A ``TypeError`` (as JAX's and HIPS autograd's errors for a
    traced value) and a ``RuntimeError`` (as PyTorch's ``numpy()`` of a tensor that requires
    grad). ``operation`` names the conversion that was refused (``"float()"``, ...)."""

    def __init__(self, message: str, operation: str | None = None):
        super().__init__(message)
        self.operation = operation


def _traced(t) -> bool:
    """Whether a derivative flows through ``t`` (called only inside a transform)."""
    if t._data.dtype.kind not in "fc":
        return False
    if t._edge is not None and state.grad_enabled:
        return True
    return bool(dispatch.tangents_of(t))


def _describe(t) -> str:
    d = t._data
    return f"a traced {d.dtype.name} tensor of shape {d.shape}"


_FIX = ("Fix: keep it a tensor. Build arrays with chainrule.numpy (import chainrule.numpy as "
        "np; np.stack, np.concatenate, np.where) instead of writing into a NumPy array, and "
        "compute with tensors instead of Python numbers. Where a constant is meant (a step "
        "size, a value to log), convert x.detach() instead. Python control flow on values "
        "(if x > 0:, while err > tol:) works as it is.")


def _message(t, what: str) -> str:
    return (f"{what} of {_describe(t)} inside a functional transform (chainrule.grad, jvp, "
            f"jacobian, ...): the value depends on the differentiated inputs, and converting "
            f"it would lose its derivative (giving a silently wrong, zero gradient). {_FIX}")


def _check_compile(t, what: str) -> None:
    """While chainrule.compile traces (it counts as a transform), a traced value converts to
    nothing: its value is not known."""
    if type(t._data) is tracing.TracedArray:
        raise tracing.conversion_error(what, t._data)


def check_number(t, what: str) -> None:
    """Raise if converting ``t`` to a Python number (``what``: the operation) inside a
    transform would lose a derivative. Allowed on the Tensor face, as in PyTorch."""
    _check_compile(t, what)
    if state.transforms and _traced(t):
        raise TracedConversionError(_message(t, what), what)


def check_array(t, what: str) -> None:
    """Raise if converting ``t`` to a NumPy array (``what``: the operation) would lose a
    derivative: inside a transform, a traced value; outside, a tensor that requires grad while
    grad mode is on (PyTorch's rule for ``numpy()``)."""
    _check_compile(t, what)
    if state.transforms:
        if _traced(t):
            raise TracedConversionError(_message(t, what), what)
    elif t._edge is not None and state.grad_enabled:
        d = t._data
        raise TracedConversionError(
            f"{what}: can't convert a tensor that requires grad ({d.dtype.name}, shape "
            f"{d.shape}) to a NumPy array: its gradient would be lost. Use "
            f"tensor.detach().numpy() for the values (PyTorch: \"Can't call numpy() on Tensor "
            f"that requires grad. Use tensor.detach().numpy() instead.\"), or keep it a tensor "
            f"and use chainrule.numpy functions (np.stack, np.concatenate, ...) to build arrays.",
            what)
