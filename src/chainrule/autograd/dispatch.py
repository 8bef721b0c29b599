"""Recording: apply a primitive to tensors and, when a gradient is wanted, add a node.

This is the hot path of every operation on tensors; each attribute lookup here is paid once per
operation. The tensor class is handed in by ``chainrule.tensor`` (the layer above) at import.
"""

from __future__ import annotations

import numpy as np

from ..primitives import _core
from ..primitives._core import data_of, is_tensor  # noqa: F401 - the canonical pair
from .grad_mode import state
from .graph import Node, Packed, packed_nodes

_ndarray = np.ndarray
_asarray = np.asarray
Tensor = None
_new = None
_tensor_types = _core.tensor_types
# The open forward-mode levels, innermost last (see forward_ad). While it is empty, forward
# mode costs one truth test per operation.
fw_levels: list = []
# Debugging modes (autograd.anomaly, autograd.profiler). While neither is on, ``instrumented``
# is False and recording pays one truth test for them; when it is True, record, record1 and
# record2 go through ``_instrumented``, which wraps the normal path with timing and the anomaly
# mode's note of where the operation was called.
instrumented = False
anomaly_hook = None  # set by anomaly mode: called with each node recorded
profilers: list = []  # the active profilers, innermost last
# The active saved_tensors_hooks (saved_hooks.saved_tensors_hooks): (pack, unpack) pairs, innermost
# last. While one is active, recording takes the slow path, which packs each new node's saved
# arrays.
saved_hooks: list = []
# Primitives declared view=True (Primitive.view: the result may share its input's memory):
# recording hands their results to note_view.
note_view = None  # autograd.inplace.note_view, set at import of chainrule.autograd.inplace


# Tracing (autograd.tracing, for chainrule.compile): the number of traces active in any
# thread, and the hook that records an operation into this thread's trace (in a thread that
# traces nothing, it records the operation as usual).
_tracing = 0
trace_hook = None  # autograd.tracing.trace_call, set at its import


def update_instrumented() -> None:
    global instrumented
    instrumented = (anomaly_hook is not None or bool(profilers) or bool(saved_hooks)
                    or _tracing > 0)


def tracing_depth(step: int) -> None:
    global _tracing
    _tracing += step
    _core.tracing = _tracing
    update_instrumented()


def _instrumented(fn, prim, args):
    """The slow path of recording, while anomaly mode, a profiler or a trace is on."""
    global instrumented
    if _tracing:
        return trace_hook(fn, prim, args)
    prof = profilers[-1] if profilers else None
    ev = prof.begin(prim.name, "forward") if prof is not None else None
    instrumented = False  # the call below runs the normal path (and record_dual's inner ones)
    try:
        out = fn(prim, *args)
        if saved_hooks:
            e = out._edge
            if e is not None:
                _pack_saved(e[0], args[1] if fn is record else ())
    finally:
        update_instrumented()
        if ev is not None:
            prof.end(ev)
    hook = anomaly_hook
    if hook is not None:
        e = out._edge
        if e is not None:
            hook(e[0])
    return out


def _pack_saved(node, params):
    """Replace the arrays a new node saved (not its parameters) by what the innermost
    saved_tensors_hooks' pack hook makes of them."""
    saved = node.saved
    if type(saved) is not tuple or node in packed_nodes:
        return
    n = len(saved) - len(params)
    pack, unpack = saved_hooks[-1]
    out = list(saved)
    done = False
    for i in range(n):
        v = out[i]
        if type(v) is _ndarray:
            out[i] = Packed(pack(wrap(v)), unpack)
            done = True
    if done:
        node.saved = tuple(out)
        packed_nodes.add(node)


def install_tensor_type(cls) -> None:
    global Tensor, _new
    Tensor = cls
    _new = cls.__new__
    _core.install(record, record1, record2, (cls,))


def wrap(data, edge=None):
    """A tensor around ``data`` (no copy) whose gradient flows into ``edge``."""
    t = _new(Tensor)
    t._data = data
    t._edge = edge
    t._grad = None
    t._meta = None
    return t


def tangents_of(x):
    """The tangents {level: tangent} that ``x`` carries at open levels, or None."""
    fw = getattr(x, "_fw", None)
    if not fw:
        return None
    live = {k: v for k, v in fw.items() if k in fw_levels}
    return live or None


def record(prim, inputs, params):
    """Apply ``prim`` to ``inputs`` (some tensors) and ``params``; record a node if needed."""
    if instrumented:
        return _instrumented(record, prim, (inputs, params))
    if fw_levels:
        for a in inputs:
            if getattr(a, "_fw", None):
                return record_dual(prim, inputs, params)
    return _record(prim, inputs, params)


def _record(prim, inputs, params):
    datas = []
    edges = []
    live = False
    tt = _tensor_types
    for a in inputs:
        if type(a) in tt:
            datas.append(a._data)
            e = a._edge
            if e is not None:
                live = True
            edges.append(e)
        else:
            datas.append(_asarray(a) if type(a) is list or type(a) is tuple else a)
            edges.append(None)
    try:
        out = prim.impl(*datas, *params)
    except (ValueError, TypeError, IndexError) as exc:
        raise _operation_error(prim, datas, exc) from None
    if type(out) is not _ndarray:
        out = _asarray(out)
    t = _new(Tensor)
    t._data = out
    t._grad = None
    t._meta = None
    if live and state.grad_enabled and prim.vjp is not None:
        shapes = None
        if prim.elementwise and len(datas) > 1:
            oshape = out.shape
            for d, e in zip(datas, edges):
                if e is not None and d.shape != oshape:
                    shapes = tuple(np.shape(d) for d in datas) + (oshape,)
                    break
        saver = prim.saver
        saved = saver(datas, out) + params if saver is not None else params
        t._edge = (Node(prim, tuple(edges), saved, shapes), 0)
    else:
        t._edge = None
    if prim.view and type(inputs[0]) in tt:
        note_view(t, prim, inputs[0], datas[0], out, params)
    return t


def record1(prim, x):
    """``record`` for one tensor input and no parameters (unary elementwise operations)."""
    if instrumented:
        return _instrumented(record1, prim, (x,))
    if fw_levels and getattr(x, "_fw", None):
        return record_dual(prim, (x,), ())
    xd = x._data
    try:
        out = prim.impl(xd)
    except (ValueError, TypeError, IndexError) as exc:
        raise _operation_error(prim, [xd], exc) from None
    if type(out) is not _ndarray:
        out = _asarray(out)
    t = _new(Tensor)
    t._data = out
    t._grad = None
    t._meta = None
    e = x._edge
    if e is not None and state.grad_enabled and prim.vjp is not None:
        saver = prim.saver
        t._edge = (Node(prim, (e,), saver((xd,), out) if saver is not None else (), None), 0)
    else:
        t._edge = None
    return t


def record2(prim, a, b):
    """``record`` for two inputs (at least one a tensor) and no parameters."""
    if instrumented:
        return _instrumented(record2, prim, (a, b))
    if fw_levels and (getattr(a, "_fw", None) or getattr(b, "_fw", None)):
        return record_dual(prim, (a, b), ())
    tt = _tensor_types
    if type(a) in tt:
        ad = a._data
        ea = a._edge
    else:
        ad = a if type(a) in _plain else _operand(prim, a)
        ea = None
    if type(b) in tt:
        bd = b._data
        eb = b._edge
    else:
        bd = b if type(b) in _plain else _operand(prim, b)
        eb = None
    try:
        out = prim.impl(ad, bd)
    except (ValueError, TypeError, IndexError) as exc:
        raise _operation_error(prim, [ad, bd], exc) from None
    if type(out) is not _ndarray:
        out = _asarray(out)
    t = _new(Tensor)
    t._data = out
    t._grad = None
    t._meta = None
    if (ea is not None or eb is not None) and state.grad_enabled and prim.vjp is not None:
        shapes = None
        if prim.elementwise:
            oshape = out.shape
            if (ea is not None and ad.shape != oshape) or (eb is not None and bd.shape != oshape):
                shapes = (np.shape(ad), np.shape(bd), oshape)
        saver = prim.saver
        saved = saver((ad, bd), out) if saver is not None else ()
        t._edge = (Node(prim, (ea, eb), saved, shapes), 0)
    else:
        t._edge = None
    return t


def split_level(x, level):
    """``(primal, tangent)``: ``x`` without its tangent at ``level`` (keeping the other levels'
    tangents) and that tangent; ``(x, None)`` when ``x`` carries none at that level."""
    fw = tangents_of(x)
    if not fw or level not in fw:
        return x, None
    p = wrap(x._data, x._edge)
    rest = {k: v for k, v in fw.items() if k != level}
    if rest:
        p._fw = rest
    return p, fw[level]


def with_tangent(o, level, t):
    """A tensor with ``o``'s data and graph, carrying the tangent ``t`` at ``level`` (and
    ``o``'s tangents at the other levels): the output of a custom forward rule."""
    n = wrap(o._data, o._edge)
    fw = dict(tangents_of(o) or {})
    fw[level] = t if is_tensor(t) else wrap(_asarray(t, dtype=o._data.dtype))
    n._fw = fw
    return n


def record_dual(prim, inputs, params):
    """Forward mode: the result of ``prim`` and its tangent at the inputs' highest open level.

    The inputs are split into primals (which keep their tangents at lower levels) and tangents
    at that level; the primal result comes from ``record`` (which deals with the lower levels in
    turn and records the reverse-mode node), and the tangent from the forward rules, applied to
    the primals with chainrule operations, so that lower levels and reverse mode see it too.
    """
    level = 0
    for a in inputs:
        fw = tangents_of(a)
        if fw:
            m = max(fw)
            if m > level:
                level = m
    if not level:
        return _record(prim, inputs, params)
    split = [split_level(a, level) for a in inputs]
    primals = [s[0] for s in split]
    tangents = [s[1] for s in split]
    out = record(prim, tuple(primals), params)
    if prim.view and primals[0] is not inputs[0] and is_tensor(inputs[0]):
        # A view of the dual tensor itself, not of the primal wrapper made above.
        out._view = None
        note_view(out, prim, inputs[0], inputs[0]._data, out._data, params)
    if prim.jvp is None:
        return out
    saver = prim.saver
    saved = saver(primals, out) + params if saver is not None else params
    tangent = None
    global instrumented
    was = instrumented
    prof = ev = None
    if profilers or saved_hooks or anomaly_hook is not None:
        # The tangent's own operations are profiled, packed and traced like any others, inside
        # one "jvp" event of this operation.
        prof = profilers[-1] if profilers else None
        ev = prof.begin(prim.name, "jvp") if prof is not None else None
        instrumented = True
    try:
        for i, t in enumerate(tangents):
            if t is None:
                continue
            if prim.elementwise:
                ti = _elementwise_tangent(prim.jvp[i], t, primals[i], out, saved)
            else:
                ti = prim.jvp[i](t, *saved)
            tangent = ti if tangent is None else tangent + ti
    finally:
        instrumented = was
        if ev is not None:
            prof.end(ev)
    fw_out = dict(getattr(out, "_fw", None) or {})
    if tangent is not None:
        fw_out[level] = tangent if is_tensor(tangent) else wrap(_asarray(tangent))
        out._fw = fw_out
    if out._edge is not None and saver is not None:
        # Reverse mode later runs its rule on the saved values: keep them as dual tensors, so
        # that derivatives of the gradient flow forward too (forward over reverse).
        ans = wrap(out._data)
        ans._fw = fw_out
        out._edge[0].saved = saver(inputs, ans) + params
    return out


def _elementwise_tangent(rule, t, primal, out, saved):
    """An elementwise forward rule, with the tangent aligned to the output's broadcast shape.
    Leading axes of the tangent beyond the primal's are batch axes (several tangents at once)."""
    p_nd = np.ndim(primal._data if is_tensor(primal) else primal)
    o_shape = out._data.shape
    lead = t.shape[: t.ndim - p_nd]
    if p_nd < len(o_shape):
        t = t.reshape(lead + (1,) * (len(o_shape) - p_nd) + t.shape[len(lead):])
    r = rule(t, *saved)
    target = lead + o_shape
    if r.shape != target:
        r = _core.REGISTRY["broadcast_to"](r, target)
    return r


# Operands that a kernel takes as they are (one set lookup on the hot path).
_plain = frozenset({float, int, bool, complex, np.ndarray, np.float64, np.float32, np.int64,
                    np.int32, np.bool_, np.complex128, np.complex64})


def _operand(prim, x):
    """A non-tensor operand of a two-input operation as the kernel takes it: a list or tuple
    becomes an array; another library's array type (one with its own ``__array_ufunc__``, such
    as xarray's DataArray) is refused, since NumPy would hand the operation to that type and its
    result would be cut off from the derivative."""
    if type(x) is list or type(x) is tuple:
        return _asarray(x)
    if getattr(type(x), "__array_ufunc__", None) is not None and not isinstance(
            x, (np.ndarray, np.generic)):
        raise TypeError(
            f"{prim.name}: cannot combine a chainrule Tensor with a {type(x).__name__} "
            f"(another array type with its own NumPy dispatch): the result would not carry the "
            f"derivative. Convert it first: numpy.asarray(obj) for a constant, or build it "
            f"from tensors")
    return x


def _operation_error(prim, datas, exc):
    """Re-raise a kernel's error naming the operation and what it was given."""
    msg = str(exc)
    if msg.startswith(prim.name + ":"):
        return type(exc)(msg)
    desc = ", ".join(
        f"{tuple(d.shape)} {d.dtype}" if hasattr(d, "shape") else type(d).__name__ for d in datas
    )
    try:
        return type(exc)(f"{prim.name}: {msg} (inputs: {desc})")
    except Exception:  # an exception type with an unusual constructor
        return RuntimeError(f"{prim.name}: {msg} (inputs: {desc})")
