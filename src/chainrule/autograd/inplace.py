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
"""

from __future__ import annotations

import collections
import dis
import functools
import os
import sys
import weakref

import numpy as np

from ..primitives._core import apply
from ..primitives.elementwise import where
from ..primitives.views import COPY_SLICES
from . import dispatch
from .graph import _seq

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
    root = root_array(array)
    key = id(root)
    entry = _histories.get(key)
    if entry is None or entry[0]() is not root:
        history = _History()
        _histories[key] = (weakref.ref(root, functools.partial(_forget, key)), history)
    else:
        history = entry[1]
    mark = next(_seq)
    history.count += 1
    history.recent.append((mark, history.count, op, _user_frame()))
    last_mark = mark


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
        from .engine import RetainGrad

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


dispatch.note_view = note_view
