"""In-place changes: version counters, views, and keeping the graph right when memory changes.

Version counters. Every in-place change of a tensor's memory (``add_``, ``+=``, ``x[i] = v``,
``copy_``, ... , under ``no_grad`` too) counts as a new version of the memory's root array (the
array that owns it, shared by a tensor, its views and its detached copies). The change takes a
mark from the same counter as graph nodes' sequence numbers, together with the place in the
user's code that made it. A node recorded before the latest change of an array it saved would
run its rule on values it never saw: the engine compares sequence numbers and raises, naming the
node, what it saved, the versions and where the change happened. Nothing is paid per recorded
operation: the bookkeeping happens at in-place changes (rare) and, in backward, only for nodes
recorded before the latest change anywhere (one comparison per node otherwise).

Views. A tensor made by a view primitive (basic indexing, reshape, transpose, flip, expand) whose
array shares memory with its input remembers its root tensor and the steps from the root
(``ViewInfo``); the root keeps weak references to its views (``ViewSet``). Writing into a view
rebases the root's graph: the root becomes ``copy_slices(old root, new view value, steps)``
(primitives/views.py, PyTorch's CopySlices), whose rules are made of the view steps' own rules
(so the rebased graph is differentiable to any order and carries forward-mode tangents). After
any recorded in-place change of a root or one of its views, every live view's graph is
regenerated from the root, so a view read later sees the change in its gradient too (PyTorch's
semantics).

In-place changes of tensors. Each in-place Tensor method is one call into this module:
``apply_prim`` (``x.add_(y)``, ``x += y``, ``x.exp_()``: a primitive's result written into
``x``), ``update`` (``copy_``, ``fill_``, ``clamp_``, ``masked_fill_``, ...: a value computed
out of place written into ``x``) and ``setitem`` (``x[i] = v``). Code that writes a tensor's
array directly and records nothing (optimizers, gradient clipping, ``Module.load_state_dict``,
batch norm's running statistics) calls ``bump_all`` for the arrays it writes, so those writes
count in the version like every other in-place change.
"""

from __future__ import annotations

import collections
import dis
import functools
import os
import sys
import weakref

import numpy as np

from ..primitives import elementwise as E
from ..primitives import shape as S
from ..primitives._core import apply
from ..primitives.elementwise import where
from ..primitives.views import COPY_SLICES
from . import dispatch, tracing
from .grad_mode import state as _grad_state
from .graph import AccumulateGrad, RetainGrad, _seq

_ndarray = np.ndarray
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


# --- version counters --------------------------------------------------------------------------
class _History:
    """The in-place changes of one root array: how many, and the latest ones with their place."""

    __slots__ = ("count", "recent")

    def __init__(self):
        self.count = 0
        # (mark, version after the change, operation, (file, line, function) or None)
        self.recent = collections.deque(maxlen=32)


# id(root array) -> (weak reference to it, history). Entries leave with their array.
_histories: dict[int, tuple] = {}
# The mark of the latest in-place change anywhere. Marks and node sequence numbers count down
# together, so "node.seq > last_mark" means "recorded before that change"; while nothing was
# ever changed in place it is above every sequence number.
last_mark = 1


def root_array(a: np.ndarray) -> np.ndarray:
    """The array that owns ``a``'s memory (``a`` itself when it is not a view)."""
    b = a.base
    while type(b) is _ndarray or isinstance(b, _ndarray):
        a, b = b, b.base
    return a


def _forget(key, ref):
    entry = _histories.get(key)
    if entry is not None and entry[0] is ref:
        del _histories[key]


def _user_frame():
    """(file, line, function) of the innermost caller outside the chainrule package."""
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE_DIR):
        f = f.f_back
    if f is None:
        return None
    return f.f_code.co_filename, f.f_lineno, f.f_code.co_name


def bump(array: np.ndarray, op: str) -> None:
    """Count an in-place change of ``array``'s memory, made by ``op`` at the caller's line."""
    global last_mark
    mark = next(_seq)
    _count(array, op, mark, _user_frame())
    last_mark = mark


def bump_all(arrays: list | tuple, op: str) -> None:
    """``bump`` for arrays that one operation writes directly, outside the Tensor methods
    (an optimizer's step, gradient clipping, ``load_state_dict``): one mark and one look at the
    caller's line for all of them. Call it before the writes, so that a write that fails half
    way still counts (a later backward raises rather than use changed values)."""
    global last_mark
    if not arrays:
        return
    mark = next(_seq)
    where = _user_frame()
    for a in arrays:
        _count(a, op, mark, where)
    last_mark = mark


def _count(array, op, mark, where) -> None:
    root = array if array.base is None else root_array(array)
    key = id(root)
    entry = _histories.get(key)
    if entry is not None and entry[0]() is root:
        history = entry[1]
    else:
        history = _History()
        _histories[key] = (weakref.ref(root, functools.partial(_forget, key)), history)
    history.count += 1
    history.recent.append((mark, history.count, op, where))


def version(array: np.ndarray) -> int:
    """How many in-place changes ``array``'s memory has seen (PyTorch's ``_version``)."""
    entry = _histories.get(id(root_array(array)))
    if entry is None or entry[0]() is None:
        return 0
    return entry[1].count


def _saved_arrays(node, saved):
    """(position, array) for each array a node keeps for its backward."""
    prim = node.prim
    slots = getattr(prim, "graph_slots", None)
    if type(slots) is tuple:  # a primitive: the arrays are at these positions
        out = []
        for pos, _code in slots:
            v = saved[pos]
            if type(v) is not _ndarray:
                v = getattr(v, "_data", v)
            if isinstance(v, _ndarray):
                out.append((pos, v))
        return out
    if len(saved) == 1 and hasattr(saved[0], "run"):  # a custom Function's node
        arrays = getattr(saved[0].run, "saved_arrays", None)
        return list(enumerate(arrays())) if arrays is not None else []
    out = []
    for pos, v in enumerate(saved):
        if hasattr(v, "_data") and hasattr(v, "_edge"):
            v = v._data
        if isinstance(v, _ndarray):
            out.append((pos, v))
    return out


def check_saved(node, saved) -> None:
    """Raise if an array that ``node`` saved was changed in place after the node was recorded
    and a rule that will run reads it."""
    seq = node.seq
    for pos, arr in _saved_arrays(node, saved):
        entry = _histories.get(id(root_array(arr)))
        if entry is None:
            continue
        history = entry[1]
        if history.recent and history.recent[-1][0] < seq and _is_read(node, pos):
            raise _stale_error(node, pos, arr, history)


def _is_read(node, pos) -> bool:
    """Whether the reverse rule of some input that receives a gradient reads saved slot ``pos``
    (``x * 2.0`` saves both factors, but only the constant's rule reads ``x``: overwriting
    ``x`` afterwards is harmless, as in PyTorch). Found by reading the rules' code, which only
    happens for a changed array; a rule that cannot be read counts as reading everything."""
    prim = node.prim
    save = getattr(prim, "save", ())
    if pos >= len(save) or save == ("inputs",):
        return True
    rules = prim.jvp if getattr(prim, "elementwise", False) else prim.vjp  # plain `d` rules
    for i, e in enumerate(node.next):
        if e is None:
            continue
        try:
            rule = rules[i]
        except (TypeError, IndexError, KeyError):
            return True
        if pos in _slots_read(rule, len(save)):
            return True
    return False


@functools.cache
def _slots_read(rule, nsaved) -> frozenset:
    everything = frozenset(range(nsaved))
    code = getattr(rule, "__code__", None)
    if code is None or code.co_flags & 0x04 or code.co_argcount < nsaved + 1:  # *args, ...
        return everything
    names = code.co_varnames[1:nsaved + 1]
    used = set()
    for ins in dis.get_instructions(code):
        if ins.opname.startswith(("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE")):
            arg = ins.argval
            used.update(arg if isinstance(arg, tuple) else (arg,))
        elif ins.opname in ("MAKE_CELL", "COPY_FREE_VARS"):
            return everything
    return frozenset(k for k, n in enumerate(names) if n in used)


def _describe_slot(node, pos):
    prim = node.prim
    codes = getattr(prim, "save", ())
    if pos < len(codes):
        code = codes[pos]
        if type(code) is int:
            return f"its input {code}"
        if code == "ans":
            return "its output"
        if code == "inputs":
            return f"its input {pos}"
    if len(codes) == 0 and hasattr(prim, "vjp") and type(prim).__name__ == "_CustomPrim":
        return "a tensor it saved with ctx.save_for_backward"
    return "an array"


def _stale_error(node, pos, arr, history):
    # The first change after the node was recorded is the one that broke it.
    first = next((r for r in history.recent if r[0] < node.seq), history.recent[-1])
    mark, after, op, where = first
    place = (f"{op} at {where[0]}:{where[1]} (in {where[2]})" if where is not None
             else f"{op} (called from inside chainrule)")
    later = history.count - after
    also = f", and {later} more in-place change(s) after it" if later else ""
    return RuntimeError(
        f"one of the values needed for gradient computation was modified by an in-place "
        f"operation: {node.name()} saved {_describe_slot(node, pos)} (shape "
        f"{tuple(arr.shape)}, {arr.dtype}) at version {after - 1}, and found it at version "
        f"{history.count}. It was changed by {place}{also}. Fix: use the out-of-place form "
        f"there (x = x + y instead of x += y or x.add_(y)), or change a .clone() of the "
        f"tensor, or make the change after backward.")


# --- views -------------------------------------------------------------------------------------
class ViewInfo:
    """On a view: its root tensor and the steps (primitive, saved, params) from the root."""

    __slots__ = ("root", "steps")

    def __init__(self, root, steps):
        self.root, self.steps = root, steps


class ViewSet:
    """On a root tensor: weak references to its views, pruned as they die."""

    __slots__ = ("refs", "limit")

    def __init__(self):
        self.refs = []
        self.limit = 16

    def add(self, view) -> None:
        refs = self.refs
        refs.append(weakref.ref(view))
        if len(refs) > self.limit:
            refs[:] = [r for r in refs if r() is not None]
            self.limit = max(16, 2 * len(refs))

    def alive(self) -> list:
        return [v for v in (r() for r in self.refs) if v is not None]


_replaying = False  # regenerating views: the replayed view tensors are not views to remember


def note_view(t, prim, x, xdata, out, params) -> None:
    """Called by recording for a view primitive: remember ``t`` as a view of ``x``'s root when
    its array shares ``x``'s memory (NumPy gave a view, not a copy)."""
    if _replaying or out.base is None or not np.may_share_memory(out, xdata):
        return
    saver = prim.saver
    saved = saver((xdata,), out) if saver is not None else ()
    step = (prim, saved, params)
    info = getattr(x, "_view", None)
    if type(info) is ViewInfo:
        root, steps = info.root, info.steps + (step,)
    else:
        root, steps = x, (step,)
    t._view = ViewInfo(root, steps)
    views = getattr(root, "_view", None)
    if views is None:
        views = root._view = ViewSet()
    if type(views) is ViewSet:
        views.add(t)


def _replay(root, steps):
    """The view of ``root`` that ``steps`` describe, recorded (and not remembered as a view)."""
    global _replaying
    _replaying = True
    try:
        v = root
        for prim, _saved, params in steps:
            v = apply(prim, (v,), params)
    finally:
        _replaying = False
    return v


def _take_graph(t, r) -> None:
    """``t`` (whose memory already holds ``r``'s values) takes over ``r``'s graph and tangents;
    a ``retain_grad`` of ``t`` moves to the new graph (it retains the new value's gradient, as
    in PyTorch)."""
    old = t._edge
    t._edge = r._edge
    fw = getattr(r, "_fw", None)
    if fw or getattr(t, "_fw", None):
        t._fw = fw
    if old is not None and old[0].hooks and t.retains_grad:
        mine = [h for h in old[0].hooks if type(h) is RetainGrad and h.ref() is t]
        for h in mine:
            old[0].hooks.remove(h)
        if t._edge is not None and mine:
            node = t._edge[0]
            node.hooks = (node.hooks or []) + mine


def _protect_saved(r, data) -> None:
    """Copy the arrays that ``r``'s node saved and that share ``data``'s memory, which is about
    to be overwritten with ``r``'s values (PyTorch saves the original ``self`` likewise)."""
    e = r._edge
    if e is None:
        return
    node = e[0]
    saved = node.saved
    if type(saved) is not tuple:
        return
    out = list(saved)
    changed = False
    for i, v in enumerate(out):
        if type(v) is _ndarray and np.may_share_memory(v, data):
            out[i] = v.copy()
            changed = True
        elif hasattr(v, "_data") and hasattr(v, "_edge") and np.may_share_memory(v._data, data):
            c = dispatch.wrap(v._data.copy(), v._edge)
            fw = getattr(v, "_fw", None)
            if fw:
                c._fw = fw
            out[i] = c
            changed = True
    if changed:
        node.saved = tuple(out)


def assign(t, r, op: str, temporary: bool = False) -> None:
    """``t`` takes the value of the recorded result ``r`` (same shape and dtype), in place:
    its memory is overwritten (views and the base see it) and the graph is rebased. A
    ``temporary`` view (``x[i] = v`` makes one) is not given a new graph of its own."""
    data = t._data
    _protect_saved(r, data)
    np.copyto(data, r._data, casting="unsafe")
    bump(data, op)
    rebase(t, r, temporary)


def rebase(t, r, temporary: bool = False) -> None:
    """The graph part of an in-place change: ``t``'s memory holds ``r``'s values now."""
    info = getattr(t, "_view", None)
    if type(info) is ViewInfo:
        root = info.root
        _take_graph(root, apply(COPY_SLICES, (root, r), (info.steps,)))
        views = getattr(root, "_view", None)
    else:
        if r._edge is None and (t._edge is not None or getattr(t, "_fw", None)):
            # A constant written over a tensor in the graph (fill_, zero_, copy_ of a constant):
            # it stays in the graph with a zero gradient to its old value, as in PyTorch.
            r = where(np.ones(r._data.shape, dtype=bool), r, t)
        _take_graph(t, r)
        views = info
    if type(views) is ViewSet:
        for w in views.alive():
            if not (temporary and w is t):
                _take_graph(w, _replay(w._view.root, w._view.steps))


def view_root_of(t):
    """The root tensor of ``t`` when ``t`` is a view, else None."""
    info = getattr(t, "_view", None)
    return info.root if type(info) is ViewInfo else None


# --- in-place changes of tensors: what the Tensor methods call -----------------------------------
# ``x.add_(y)``, ``x += y``, ``x.exp_()`` -> ``apply_prim``; ``copy_``, ``fill_``, ``clamp_``,
# ``masked_fill_``, ... (a value computed out of place) -> ``update``; ``x[i] = v`` -> ``setitem``.
# Each overwrites the memory (so views, the base and detached copies see the change) and bumps its
# version; when a graph or a forward-mode tangent is recorded, the tensor (and its base and views)
# then takes over the recorded result's graph (``assign``, ``rebase``).

_OPSYM = {"add_": "+", "sub_": "-", "mul_": "*", "div_": "/", "pow_": "**"}


def _refuse_traced(op: str) -> None:
    """In-place changes are not traced (a compiled program is pure): say so while tracing."""
    if dispatch._tracing and tracing.active() is not None:
        raise tracing.TracingError(
            f"compile: the in-place change {op} at {tracing.user_line()} cannot be compiled: a "
            f"compiled function must not change its inputs or other tensors in place. Write it "
            f"out of place (x = x + y instead of x += y; chainrule.where instead of x[mask] = "
            f"v), or call the function without compile.")


def apply_prim(t, prim, inputs, op: str):
    """``t`` takes the value of ``prim(*inputs)`` in place, keeping its shape and dtype; returns
    ``t``. Arrays that backward needs and that the write would destroy are copied for the op's
    own node, and caught by the version check in backward for the others."""
    _refuse_traced(op)
    data = t._data
    if _recording(t, inputs):
        _check_leaf(t, op)
        r = dispatch.record(prim, inputs, ())
        _check_result(r._data, data, op)
        if r._data.dtype != data.dtype:
            # the op's own node may have saved t: protect it before the cast's node hides it
            # from assign
            _protect_saved(r, data)
            r = E.astype(r, data.dtype)
        _check_writeable(t, op)
        assign(t, r, op)
        return t
    tt = dispatch._tensor_types
    res = np.asarray(prim.impl(*(a._data if type(a) in tt else a for a in inputs)))
    _check_result(res, data, op)
    _check_plain_write(t, op)
    np.copyto(data, res, casting="unsafe")
    bump(data, op)
    return t


def update(t, new, op: str):
    """``t`` takes the value ``new`` (broadcast to its shape, cast to its dtype; for most methods
    computed out of place from ``t``) in place; returns ``t``."""
    _refuse_traced(op)
    if _recording(t, (new,)):
        _check_leaf(t, op)
        return _write(t, new, op)
    data = t._data
    res = new._data if type(new) in dispatch._tensor_types else np.asarray(new)
    if res.shape != data.shape and res.ndim <= data.ndim:
        try:
            res = np.broadcast_to(res, data.shape)
        except ValueError:
            pass  # _check_result names the mismatch
    _check_result(res, data, op)
    _check_plain_write(t, op)
    np.copyto(data, res, casting="unsafe")
    bump(data, op)
    return t


def setitem(t, index, value) -> None:
    """``t[index] = value``, in place. With basic indexing this writes through the view
    ``t[index]`` (PyTorch's semantics: the gradient flows to ``value`` at ``index`` and to the
    old values elsewhere); with advanced indexing the selected elements are replaced, and an
    index that selects an element twice is refused when a graph is recorded."""
    _refuse_traced("setitem (x[i] = v)")
    index = S._convert_index(index)
    tt = dispatch._tensor_types
    if not _recording(t, (value,)):
        _check_plain_write(t, "setitem")
        t._data[index] = value._data if type(value) in tt else value
        bump(t._data, "setitem")
        return
    _check_leaf(t, "setitem")
    if S._is_basic(index):
        if _is_own_view(t, index, value):
            # x[i] op= v: Python wrote through the view x[i] already (its __iop__), and now
            # assigns that same view back; the memory and the graph hold it already.
            bump(t._data, "setitem")
            return
        items = index if type(index) is tuple else (index,)
        if not any(it is Ellipsis for it in items):
            items = items + (Ellipsis,)  # a 0-d view, never a scalar copy
        _write(S.getitem(t, items), value, "setitem", temporary=True)
        return
    shape = t._data.shape
    count = np.zeros(shape, dtype=np.int64)
    np.add.at(count, index, 1)
    if count.max(initial=0) > 1:
        raise RuntimeError("setitem: the index selects some elements more than once; "
                           "assignment through repeated indices is not differentiable")
    v = value if type(value) in tt else np.asarray(value)
    target = count[index].shape
    v = S.broadcast_to(E.astype(v, t._data.dtype), target)
    scattered = apply(S.INDEX_ADD, (v,), (index, shape, S._is_basic(index), len(target)))
    assign(t, E.where(count > 0, scattered, t), "setitem")


def _write(t, value, op: str, temporary: bool = False):
    """``t`` takes ``value`` (broadcast to its shape, cast to its dtype) in place, recorded."""
    tt = dispatch._tensor_types
    v = value if type(value) in tt else np.asarray(value)
    v = E.astype(v, t._data.dtype)
    if v.shape != t._data.shape:
        v = S.broadcast_to(v, t._data.shape)
    if type(v) not in tt:
        v = dispatch.wrap(np.asarray(v))
    _check_writeable(t, op)
    assign(t, v, op, temporary)
    return t


def _recording(t, inputs) -> bool:
    """Whether an in-place change of ``t`` by ``inputs`` must be recorded: a gradient is
    recorded and something involved requires grad, or a forward-mode tangent is involved."""
    tt = dispatch._tensor_types
    if _grad_state.grad_enabled:
        if t._edge is not None:
            return True
        for a in inputs:
            if type(a) in tt and a._edge is not None:
                return True
    if dispatch.fw_levels:
        if getattr(t, "_fw", None):
            return True
        for a in inputs:
            if type(a) in tt and getattr(a, "_fw", None):
                return True
    return False


def _check_result(res, data, op):
    if res.shape != data.shape:
        raise RuntimeError(f"{op}: the result has the broadcast shape {res.shape}, which does "
                           f"not match the shape {data.shape} of the tensor updated in place")
    if not np.can_cast(res.dtype, data.dtype, "same_kind"):
        raise RuntimeError(f"{op}: the result has dtype {res.dtype}, which can't be cast to the "
                           f"dtype {data.dtype} of the tensor updated in place")


def _is_grad_leaf(t) -> bool:
    """Whether ``t`` is a leaf that requires grad (its edge goes to an AccumulateGrad)."""
    e = t._edge
    return e is not None and type(e[0]) is AccumulateGrad


def _check_leaf(t, op):
    if _is_grad_leaf(t):
        raise RuntimeError(
            f"{op}: a leaf tensor that requires grad (shape {t._data.shape}) is being used in an "
            f"in-place operation. Update it under `with chainrule.no_grad():` (as optimizers "
            f"do), or use the out-of-place form (x = x {_OPSYM.get(op, 'op')} y).")
    root = view_root_of(t)
    if root is not None and _is_grad_leaf(root):
        raise RuntimeError(
            f"{op}: a view of a leaf tensor that requires grad (base shape "
            f"{root._data.shape}) is being used in an in-place operation. Change the leaf "
            f"under `with chainrule.no_grad():`, or work on a clone (y = x.clone()).")


def _is_own_view(t, index, value) -> bool:
    """Whether ``value`` is the view ``t[index]`` itself (same root, same memory)."""
    if type(value) not in dispatch._tensor_types:
        return False
    root = view_root_of(t)
    if view_root_of(value) is not (t if root is None else root):
        return False
    target = t._data[index]
    v = value._data
    return (isinstance(target, np.ndarray) and v.shape == target.shape
            and v.strides == target.strides
            and v.__array_interface__["data"][0] == target.__array_interface__["data"][0])


def _check_writeable(t, op):
    if not t._data.flags.writeable:
        raise RuntimeError(f"{op}: the tensor's memory is read-only (it is a broadcast "
                           f"view, e.g. from expand, or wraps a read-only array); use "
                           f"x = x.clone() first")


def _check_plain_write(t, op):
    """Checks for an in-place change that records nothing."""
    _check_writeable(t, op)
    if _grad_state.grad_enabled:
        root = view_root_of(t)
        if root is not None and root._edge is not None and t._edge is None:
            raise RuntimeError(
                f"{op}: this view was created under no_grad (or from a detached tensor) and its "
                f"base (shape {root._data.shape}) requires grad; changing it in place with grad "
                f"mode on would leave the base's gradient wrong. Change it under no_grad too, or "
                f"take the view again with grad mode on.")


dispatch.note_view = note_view
