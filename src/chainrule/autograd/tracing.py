"""Tracing: the primitives a function applies, recorded once, for ``chainrule.compile``.

While a ``Trace`` is active (in its own thread), every primitive applied to a tensor is run as
usual and also appended to the trace as an equation ``out = prim(args, params)``; values are
named by the identity of their arrays, so that the engine's own wrappers around the same array
(a reverse leaf, a saved value rebuilt under ``create_graph``) are the same variable. The engine
records its backward pass while tracing (``create_graph`` is forced and every traced saved array
becomes a tensor), so a derivative of a traced function is traced from the same primitive rules.

The arrays of traced values are ``TracedArray``s, an ndarray subclass that lets NumPy run on
them only inside a primitive's kernel. Anything else that reads their values (``if x > 0:``,
``float(x)``, ``x.numpy()``, NumPy called on a tensor's data outside a primitive, an in-place
write) raises ``TracingError`` naming the user's line and the fix, instead of baking a value
of this one call into the trace, which would be silently wrong for the next inputs.
"""

from __future__ import annotations

import functools
import os
import sys
import threading

import numpy as np
from numpy.lib.array_utils import byte_bounds

from ..primitives import _core
from . import dispatch

__all__ = ["TracingError", "TracedArray", "Trace", "Var", "Const", "is_traced", "active",
           "untraceable"]

_ndarray = np.ndarray


class TracingError(TypeError):
    """A traced function did something that a trace cannot record: read a traced value in
    Python (control flow, a conversion), or compute with NumPy on a traced array outside a
    chainrule operation."""


class _Local(threading.local):
    trace = None  # the active Trace of this thread
    kernel = 0  # > 0 while a primitive's kernel (and its recording) runs


_local = _Local()


def active():
    """The trace active in this thread, or None."""
    return _local.trace


_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # src/chainrule


def _call_site():
    """``(file:line, name)``: the innermost frame outside chainrule (the user's code), and the
    chainrule function it called (None when the user's code itself is the culprit)."""
    f = sys._getframe(2)
    inner = None
    while f is not None:
        fn = f.f_code.co_filename
        # generated code (compiled programs, "<chainrule.compile ...>") is chainrule's; code
        # typed at a prompt ("<stdin>", "<ipython-input-...>") is the user's
        if not os.path.abspath(fn).startswith(_HERE) and not fn.startswith(("<chainrule",
                                                                              "<frozen")):
            return f"{fn}:{f.f_lineno}", inner
        name = f.f_code.co_name
        # the outermost public function (not a dunder method, a wrapper or a private helper)
        if not name.startswith("_") and name not in ("wrapper", "<lambda>"):
            inner = name
        f = f.f_back
    return "<unknown>", None


def user_line() -> str:
    """``file:line`` of the innermost frame outside chainrule (the user's code)."""
    return _call_site()[0]


_FIX = ("Fix: make the argument static (compile(f, static_argnums=...)) if the decision depends "
        "on a setting rather than on data; compute both sides and pick with chainrule.where; or "
        "use structured control flow: chainrule.cond(pred, true_fn, false_fn, *operands), "
        "fori_loop, scan.")


def _reader() -> str:
    """``file:line (function)`` of the chainrule code that read a traced value (the frame
    below this module's guards), for the error message."""
    f = sys._getframe(2)
    here = os.path.abspath(__file__)
    while f is not None and os.path.abspath(f.f_code.co_filename) == here:
        f = f.f_back
    if f is None:
        return "?"
    fn = os.path.abspath(f.f_code.co_filename)
    fn = os.path.relpath(fn, os.path.dirname(_HERE)) if fn.startswith(_HERE) else fn
    return f"{fn}:{f.f_lineno} ({f.f_code.co_name})"


def _error(what: str, arr) -> TracingError:
    line, inner = _call_site()
    if inner is not None:  # a chainrule function that computes on values outside a primitive
        return TracingError(
            f"compile: chainrule's {inner} (called at {line}) reads the values of a traced "
            f"{arr.dtype.name} array of shape {arr.shape} with {what} (at {_reader()}), "
            f"which a trace cannot record; it cannot be compiled yet (docs/compile.md lists "
            f"such functions). Call it outside the compiled function, or compile the parts "
            f"around it.")
    return conversion_error(what, arr)


def conversion_error(what: str, arr) -> TracingError:
    """The error for converting a traced tensor to a number or a NumPy array."""
    return TracingError(
        f"compile: {what} of a traced {arr.dtype.name} value of shape {arr.shape} at "
        f"{user_line()}: while tracing, values are not known, and a value taken from this one "
        f"call would be wrong for the next inputs. {_FIX}")


def _strip(x):
    if type(x) is TracedArray:
        return x.view(_ndarray)
    if type(x) is tuple or type(x) is list:
        return type(x)(_strip(v) for v in x)
    return x


# NumPy functions that read only metadata (shape, dtype), allowed on traced arrays anywhere.
_META = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj, np.zeros_like,
         np.ones_like, np.empty_like, np.broadcast_shapes, np.can_cast, np.may_share_memory,
         np.shares_memory, np.full_like}


class TracedArray(np.ndarray):
    """The array of a traced value: NumPy runs on it only inside a primitive's kernel."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if not _local.kernel:
            raise _error(f"numpy.{ufunc.__name__}", self)
        if "out" in kwargs:
            kwargs["out"] = _strip(kwargs["out"])
        return getattr(ufunc, method)(*_strip(inputs), **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in _META:
            return func(*_strip(args), **kwargs)
        if not _local.kernel:
            raise _error(f"numpy.{func.__name__}", self)
        return func._implementation(*args, **kwargs) if hasattr(func, "_implementation") \
            else func(*_strip(args), **{k: _strip(v) for k, v in kwargs.items()})

    def _check(self, what):
        if not _local.kernel:
            raise _error(what, self)

    def __getitem__(self, index):
        self._check("indexing the NumPy array (not the tensor)")
        # a plain ndarray, as eagerly: kernels test `type(r) is np.ndarray` (getitem's 0-d
        # view); the recorded result becomes a traced array again, and a view of it is caught
        # by _views_traced
        return _ndarray.__getitem__(self.view(_ndarray), index)

    def __setitem__(self, index, value):
        self._check("an in-place write")
        _ndarray.__setitem__(self, index, value)

    # ndarray methods that read values without NumPy's protocols (C-level copies, orderings)
    def astype(self, dtype, *args, copy=True, **kwargs):
        if not copy and np.dtype(dtype) == self.dtype and not args and not kwargs:
            return self  # no conversion: the value itself
        self._check(".astype()")
        return _ndarray.astype(self, dtype, *args, copy=copy, **kwargs)

    def __repr__(self):
        return f"TracedArray(shape={self.shape}, dtype={self.dtype.name})"

    __str__ = __repr__


def _guarded(name: str, what: str):
    """``ndarray.<name>``, refused outside a kernel: it reads values without NumPy's protocols
    (a conversion, a C-level copy or ordering)."""
    method = getattr(_ndarray, name)

    def _method(self, *args, **kwargs):  # (a private name: error messages skip its frame)
        self._check(what)
        return method(self, *args, **kwargs)

    _method.__name__ = name
    return _method


for _name, _what in [
        ("__bool__", "Python control flow (if, while, and, or, bool())"),
        ("__float__", "float()"), ("__int__", "int()"), ("__complex__", "complex()"),
        ("__index__", "use as an index (__index__)"), ("item", ".item()"),
        ("tolist", ".tolist()"), ("__iter__", "iteration over the NumPy array"),
        ("copy", ".copy()"), ("flatten", ".flatten()"), ("argsort", ".argsort()"),
        ("argmax", ".argmax()"), ("argmin", ".argmin()"), ("nonzero", ".nonzero()"),
        ("sort", ".sort()"), ("tobytes", ".tobytes()")]:
    setattr(TracedArray, _name, _guarded(_name, _what))


def is_traced(x) -> bool:
    """Whether ``x`` (a tensor or an array) is a value being traced in this thread."""
    d = getattr(x, "_data", x)
    return type(d) is TracedArray and _local.trace is not None


class Var:
    """A value of a trace: ``n`` numbers it in order of creation."""

    __slots__ = ("n", "shape", "dtype")

    def __init__(self, n, shape, dtype):
        self.n, self.shape, self.dtype = n, shape, dtype

    def __repr__(self):
        return f"v{self.n}"


class Const:
    """A value fixed when the function was traced (a closure's array, a literal)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"Const({self.value!r})"


class Eqn:
    """``out = prim(*args, *params)``: one primitive applied during the trace."""

    __slots__ = ("prim", "args", "params", "out")

    def __init__(self, prim, args, params, out):
        self.prim, self.args, self.params, self.out = prim, args, params, out


class Trace:
    """The equations recorded while it is active (``with trace:``), in order."""

    def __init__(self):
        self.eqns: list[Eqn] = []
        self._vars: dict[int, Var] = {}
        self._keep: list = []  # the traced arrays, alive so that their ids stay unique
        self._count = 0
        self._prev = None
        # tensors read from outside the traced function's arguments (a closure's, a module's
        # parameters): inputs too, whose values are read at each call
        self.implicit: list = []
        self.implicit_vars: list[Var] = []
        self._consts: set[int] = set()  # ids of arrays made constants by constant()
        self._by_owner: dict[int, list] = {}  # id of a memory's owner -> [(Var, array)]

    def constant(self, arr):
        """A tensor for the constant ``arr`` made while tracing (not an implicit input)."""
        self._consts.add(id(arr))
        self._keep.append(arr)
        return dispatch.wrap(arr)

    def __enter__(self):
        self._prev = _local.trace
        _local.trace = self
        dispatch.tracing_depth(+1)
        return self

    def __exit__(self, *exc):
        _local.trace = self._prev
        dispatch.tracing_depth(-1)

    def _new_var(self, arr) -> tuple:
        t = arr.view(TracedArray)
        v = Var(self._count, arr.shape, arr.dtype)
        self._count += 1
        self._vars[id(t)] = v
        self._keep.append(t)
        # ``arr`` holds the same value (unless it already names another value), and so does
        # any view of the same memory with the same layout (numpy.asarray of the traced
        # array, an index NumPy returns as a view of a temporary): _view_of_var finds them
        if id(arr) not in self._vars:
            self._vars[id(arr)] = v
            self._keep.append(arr)
        owner = _owner(arr)
        self._by_owner.setdefault(id(owner), []).append((v, arr))
        self._keep.append(owner)
        return t, v

    def input(self, arr):
        """A new input variable for ``arr``: ``(traced array, Var)``."""
        return self._new_var(np.asarray(arr))

    def value(self, x):
        """The Var or Const that ``x`` (a tensor, array or number) stands for."""
        tensor = type(x) in dispatch._tensor_types
        d = x._data if tensor else x
        v = self._vars.get(id(d))
        if v is not None:
            return v
        if id(d) in self._consts:
            return Const(d)
        if isinstance(d, np.ndarray) and d.base is not None:
            # a view of a traced value's memory (numpy.asarray of it) is that value
            same = self._view_of_var(d)
            if same is not None:
                return same
        if tensor and type(d) is not TracedArray:
            d = np.asarray(d)
            v = Var(self._count, d.shape, d.dtype)
            self._count += 1
            self._vars[id(d)] = v
            self._keep.append(d)
            self.implicit.append(x)
            self.implicit_vars.append(v)
            return v
        if type(d) is TracedArray or _views_traced(d):
            raise TracingError(
                f"compile: a traced value reached an operation at {user_line()} after leaving "
                f"the trace (it was computed with NumPy outside chainrule's operations, or "
                f"taken from a tensor's array). Compute it with chainrule operations.")
        return Const(d)

    def _view_of_var(self, d):
        """The Var whose memory ``d`` views with the same layout; raise if ``d`` overlaps the
        memory of a traced value otherwise (part of one, taken outside the trace)."""
        entries = self._by_owner.get(id(_owner(d)))
        if not entries:
            return None
        key = _layout(d)
        for v, a in entries:
            if _layout(a) == key:
                return v
        lo, hi = byte_bounds(d)
        for _, a in entries:
            alo, ahi = byte_bounds(a)
            if lo < ahi and alo < hi:
                raise TracingError(
                    f"compile: part of a traced value reached an operation at {user_line()} "
                    f"as a NumPy array (taken from a tensor's array outside chainrule's "
                    f"operations), which a trace cannot record. Index the tensor instead.")
        return None

    def record(self, prim, inputs, params, out):
        """Append the equation that made tensor ``out``; its array becomes a traced one.
        Parameters that are traced arrays (indices computed from values, an integer input
        used as an index) become the Vars they stand for."""
        if params:
            params = tuple(self._param(prim, p) for p in params)
        args = tuple(self.value(a) for a in inputs)
        # the node may have saved the plain array (ANS): _new_var names it too (unless the
        # kernel returned an input's array itself, which keeps naming that input)
        t, v = self._new_var(out._data)
        out._data = t
        self.eqns.append(Eqn(prim, args, params, v))

    def _param(self, prim, p):
        t = type(p)
        if t is tuple or t is list:
            return t(self._param(prim, q) for q in p)
        if not isinstance(p, np.ndarray):
            return p
        v = self._vars.get(id(p))
        if v is None and p.base is not None:
            v = self._view_of_var(p)
        if v is None:
            if t is TracedArray:
                raise TracingError(
                    f"compile: {prim.name} at {user_line()} takes a parameter computed from "
                    f"traced values outside chainrule's operations: its value would be fixed "
                    f"at this call. {_FIX}")
            return p
        if v.dtype == np.bool_ and prim.name in _SHAPE_FROM_MASK:
            raise TracingError(
                f"compile: indexing with a boolean mask computed from traced values at "
                f"{user_line()}: the result's shape depends on the values (how many are "
                f"True), which a trace cannot hold. Use chainrule.where(mask, x, 0) (or a "
                f"masked sum) instead of x[mask].")
        return v


# Primitives whose result's shape is the number of True entries of a boolean index parameter.
_SHAPE_FROM_MASK = frozenset({"getitem", "index_add"})


def _owner(a):
    """The array that owns ``a``'s memory."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _layout(a) -> tuple:
    """What makes two arrays the same value: address, shape, dtype and the strides of the axes
    longer than 1."""
    return (a.__array_interface__["data"][0], a.shape, a.dtype,
            tuple(s for s, n in zip(a.strides, a.shape) if n > 1))


def _views_traced(d) -> bool:
    b = getattr(d, "base", None)
    while b is not None:
        if type(b) is TracedArray:
            return True
        b = getattr(b, "base", None)
    return False


def trace_call(fn, prim, args):
    """``dispatch._instrumented`` while tracing: run and record one operation."""
    tr = _local.trace
    if fn is dispatch.record:
        inputs, params = args
    else:
        inputs, params = args, ()
    if dispatch.fw_levels:
        for a in inputs:
            if getattr(a, "_fw", None):
                # the primal and each tangent operation come back here one by one
                return dispatch.record_dual(prim, tuple(inputs), params)
    if tr is None:
        # Another thread traces: record as usual, without the debugging modes' slow path,
        # which switches the shared flag off while it runs and would hide operations from
        # that thread's trace.
        return dispatch._record(prim, tuple(inputs), params)
    _local.kernel += 1
    try:
        out = dispatch._record(prim, tuple(inputs), params)
    finally:
        _local.kernel -= 1
    tr.record(prim, inputs, params, out)
    return out


def lift_saved(saved, n: int):
    """Under a trace, the engine's saved values: traced arrays among the first ``n`` (the
    saved values; the primitive's parameters follow, which stay arrays) become tensors, so
    that the rules that read them record their operations."""
    wrap = dispatch.wrap
    return [wrap(v) if i < n and type(v) is TracedArray else v for i, v in enumerate(saved)]


def untraceable(op: str, why: str):
    """Decorator: ``op`` refuses to run while this thread traces (a solver written as NumPy
    code, which reads values at every step: a trace would keep one call's solution)."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if _local.trace is not None:
                raise TracingError(
                    f"compile: {op} (called at {user_line()}) cannot be compiled: {why}. Call "
                    f"it outside the compiled function, and compile the functions it calls "
                    f"(its objective, right-hand side or integrand) instead.")
            return fn(*args, **kwargs)
        return wrapper
    return deco


def _refuse_random():
    if _local.trace is not None:
        raise TracingError(
            f"compile: random numbers drawn at {user_line()} while tracing would be drawn once "
            f"and repeated on every call. Draw them outside the compiled function and pass them "
            f"in as an argument (a noise array, a dropout mask), or put the module in eval "
            f"mode (model.eval()) where it draws none.")


def _refuse_values(d, op):
    if type(d) is TracedArray:
        raise _error(f"{op} (which reads the values in Python)", d)


dispatch.trace_hook = trace_call
_core.random_guard = _refuse_random
_core.value_guard = _refuse_values
