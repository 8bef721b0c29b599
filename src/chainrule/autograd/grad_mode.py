"""Grad mode: whether operations record a graph. Thread-local, like PyTorch's."""

from __future__ import annotations

import copy
import functools
import inspect
import threading

__all__ = ["enable_grad", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
           "no_grad", "set_grad_enabled"]


class _State(threading.local):
    # Class attributes are each thread's defaults.
    grad_enabled = True
    inference = False
    transforms = 0  # functional transforms (grad, jvp, ...) evaluating their function


state = _State()


def is_grad_enabled() -> bool:
    return state.grad_enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


def in_transform() -> bool:
    """Whether a functional transform (``grad``, ``jvp``, ``jacobian``, ...) is evaluating its
    function in this thread: there, turning a traced value into a Python number or a NumPy
    array would lose its derivative, so the Tensor's conversions raise."""
    return state.transforms > 0


class transform_scope:
    """Marks the evaluation of a functional transform's function (see ``in_transform``)."""

    def __enter__(self):
        state.transforms += 1
        return self

    def __exit__(self, *exc):
        state.transforms -= 1
        return False


class _Mode:
    """A context manager that sets grad mode on entry and restores it on exit.

    Each also works as a decorator (``@no_grad()``): every call of the decorated function runs
    inside a fresh copy of the context.
    """

    grad: bool = True
    inference: bool | None = None  # None: leave inference mode as it is
    _bare_decorator = True  # ``@no_grad`` without parentheses works, as in PyTorch

    def __new__(cls, *args, **kwargs):
        if (cls._bare_decorator and len(args) == 1 and not kwargs and callable(args[0])
                and not isinstance(args[0], bool)):
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self):
        self._prev = (state.grad_enabled, state.inference)
        state.grad_enabled = self.grad
        if self.inference is not None:
            state.inference = self.inference
        return self

    def __exit__(self, *exc):
        state.grad_enabled, state.inference = self._prev
        return False

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with copy.copy(self):
                return fn(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, fn):
        """Each step of the generator runs inside the mode; the caller's code between steps
        runs in the caller's mode."""

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with copy.copy(self):
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with copy.copy(self):
                            gen.close()
                        raise
                    except BaseException as exc:
                        with copy.copy(self):
                            response = gen.throw(exc)
                    else:
                        with copy.copy(self):
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value

        return wrapper


class no_grad(_Mode):
    """Operations inside record no graph: ``with no_grad(): ...`` or ``@no_grad()``."""

    grad = False


class enable_grad(_Mode):
    """Turn recording back on inside a ``no_grad`` block."""

    grad = True


class inference_mode(_Mode):
    """Like ``no_grad`` (chainrule keeps no further bookkeeping that it could drop)."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __enter__(self):
        self.grad = state.grad_enabled and not self.mode
        self.inference = self.mode
        return super().__enter__()


class set_grad_enabled(_Mode):
    """``set_grad_enabled(False)`` switches recording off at once; also a context manager and
    a decorator, which restore the previous mode afterwards."""

    _bare_decorator = False

    def __init__(self, mode: bool):
        self.grad = bool(mode)
        self._prev = (state.grad_enabled, state.inference)
        state.grad_enabled = self.grad

    def __enter__(self):
        return self  # the mode was set by __init__; _prev holds what to restore

    def __call__(self, fn):
        state.grad_enabled, state.inference = self._prev  # decorating must not change the mode
        mode = _Mode()
        mode.grad = self.grad
        return mode(fn)
