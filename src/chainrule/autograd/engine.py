"""The backward engine: replays the recorded graph in reverse.

Nodes are processed in increasing sequence number (see graph.py), which is a topological order:
when a node is taken from the heap, every node that feeds it a gradient has already run, so its
gradient is complete. Each node runs once however many paths reach it, and the walk is a loop,
not a recursion, so graphs of any depth are fine.

Without ``create_graph`` the rules receive raw arrays (nothing is recorded, NumPy speed); with
it they receive tensors and record the derivative's own graph.

``execute`` is the scheduling: the heap, hooks, captured gradients and leaves. ``_run_node``
runs one node (its saved values, its rules, broadcasting undone) and sends each input's
gradient on; ``_Pass`` holds what both share for one backward call.
"""

from __future__ import annotations

from heapq import heappop, heappush
from sys import getrefcount

import numpy as np

from ..primitives._core import ANS, INPUTS
from ..primitives.reduction import sum_to
from . import dispatch, inplace, tracing
from .anomaly import instrument_rules
from .dispatch import is_tensor, wrap
from .grad_mode import state
from .graph import AccumulateGrad, RetainGrad, packed_nodes, unpack_saved


def _freed_error(node):
    return RuntimeError(
        f"Trying to backward through the graph a second time: {node.name()} needs values it "
        f"saved in the forward pass, and they were freed when the first backward finished. "
        f"Pass retain_graph=True to the first backward() or grad() call to keep them."
    )


def _graph_saved(node, saved):
    """With create_graph: the saved arrays that belong to the graph become tensors again."""
    slots = node.prim.graph_slots
    if not slots:
        return saved
    if slots is INPUTS:
        slots = [(i, i) for i in range(len(node.next))]
    out = list(saved)
    for pos, code in slots:
        edge = (node, 0) if code == ANS else node.next[code]
        if edge is not None:
            v = out[pos]
            if is_tensor(v):  # a dual tensor saved in forward mode: keep its tangents
                t = wrap(v._data, edge)
                fw = getattr(v, "_fw", None)
                if fw:
                    t._fw = fw
                out[pos] = t
            else:
                out[pos] = wrap(v, edge)
    return out


def _run_hooks(node, g, create):
    tensor = create or is_tensor(g)  # (a gradient that carries tangents is a tensor)
    t = g if tensor else wrap(g)
    hooks = node.hooks
    for h in hooks:
        if type(h) is not RetainGrad:
            r = h(t)
            if r is not None:
                if not hasattr(r, "_data"):
                    r = wrap(np.asarray(r))
                if r._data.shape != t._data.shape:
                    raise RuntimeError(
                        f"hook {getattr(h, '__name__', h)!r} returned a gradient of shape "
                        f"{r._data.shape}, but the tensor's gradient has shape {t._data.shape}")
                t = r
    for h in hooks:
        if type(h) is RetainGrad:
            owner = h.ref()
            if owner is not None:
                _accumulate_into(owner, t if tensor else t._data, create)
    return t if tensor else t._data


# References to a gradient array that only the engine holds, as counted inside
# _accumulate_into: the engine's variable, this function's argument, getrefcount's argument.
_UNSHARED = 3


def _accumulate_into(tensor, g, create):
    """Add ``g`` into ``tensor.grad`` (PyTorch's AccumulateGrad)."""
    old = tensor._grad
    dtype = tensor._data.dtype
    if create:
        if g._data.dtype != dtype:
            g = g.astype(dtype)
        tensor._grad = g if old is None else old + g
        return
    if is_tensor(g):  # forward over reverse: the gradient carries tangents, keep it whole
        tensor._grad = g if old is None else old + g
        return
    g = np.asarray(g)
    if g.shape != tensor._data.shape:
        g = np.broadcast_to(g, tensor._data.shape)
    if old is None:
        if not (type(g) is np.ndarray and g.dtype == dtype and g.base is None
                and g.flags.writeable and getrefcount(g) <= _UNSHARED):
            g = np.array(g, dtype=dtype, copy=True)
        # else: nothing else refers to this fresh array (no variable, view or other leaf), so
        # it becomes .grad without a copy, as PyTorch steals an unshared gradient buffer.
        tensor._grad = wrap(g)
    elif old._edge is None:
        old._data += g  # in place, like PyTorch when the graph of the gradient is not kept
    else:
        tensor._grad = old + g


def execute(roots, root_grads, *, retain_graph, create_graph, capture=None, accumulate=True,
            outer=None):
    """Run backward from ``roots`` (edges) seeded with ``root_grads``.

    ``capture`` maps a node to the positions of the requested inputs whose gradient flows into
    it; their gradients are returned in a dict position -> gradient. With ``accumulate`` the
    leaves' ``.grad`` receive their gradients (only captured leaves when ``capture`` is given).

    ``outer`` (with ``capture``; the functional transforms): ``(mark, private)``, a sequence
    number taken when the transform began and a set of the transforms' own leaf nodes. If the
    graph reaches a leaf older than the mark that is not one of those (a tensor from outside
    that requires grad, read by the function as a closure), the gradient may depend on it, and
    ``create_graph`` is turned on (while grad mode is on) so that it can be differentiated.
    """
    grads = {}
    heap = []
    if dispatch._tracing and tracing.active() is not None:
        # A trace records the backward pass as operations: the rules must run on tensors.
        create_graph = retain_graph = True
        tr = tracing.active()
        root_grads = [g if is_tensor(g) else wrap(g) if type(g) is tracing.TracedArray
                      else tr.constant(np.asarray(g)) for g in root_grads]
    for (node, _), g in zip(roots, root_grads):
        _send(grads, heap, node, g)
    needed = None
    if capture is not None:
        if outer is not None and (create_graph or not state.grad_enabled):
            outer = None  # nothing to decide
        needed, reached = _needed({e[0] for e in roots}, capture, outer)
        if reached:
            create_graph = retain_graph = True  # (the new graph runs through the old one)
            for node, g in grads.items():
                if not is_tensor(g):
                    grads[node] = wrap(np.asarray(g))
    results = {}
    prev_mode = state.grad_enabled
    state.grad_enabled = create_graph
    accumulate_grad = AccumulateGrad
    # In a plain backward(), a leaf's gradient is added into its .grad as each contribution
    # arrives (addition commutes), instead of waiting for the leaf's node: leaf nodes exist
    # before the forward pass, so they sort last, and waiting would hold every parameter's
    # gradient until the very end. Leaves with hooks wait, so that hooks see the whole gradient.
    eager = accumulate and capture is None
    run = _Pass(create_graph, retain_graph, needed, eager)
    try:
        node = None
        while heap or node is not None:
            if node is None:
                node = heappop(heap)[1]
                g = grads.pop(node)
            # else: `node` and its complete gradient `g` were handed over directly (a chain)
            if node.hooks:
                g = _run_hooks(node, g, create_graph)
            if capture is not None and node in capture:
                for pos in capture[node]:
                    results[pos] = g
            if type(node) is accumulate_grad:
                if accumulate and (capture is None or node in capture):
                    leaf = node.leaf()
                    if leaf is not None:
                        _accumulate_into(leaf, g, create_graph)
                node = None
                continue
            node, g = _run_node(node, g, grads, heap, run)
    finally:
        state.grad_enabled = prev_mode
    return results


class _Pass:
    """The settings of one backward pass that running a node depends on."""

    __slots__ = ("create_graph", "retain_graph", "needed", "eager", "instrumented", "unpacking",
                 "changed_after", "rare")

    def __init__(self, create_graph, retain_graph, needed, eager):
        self.create_graph = create_graph
        self.retain_graph = retain_graph
        self.needed = needed  # None, or the nodes that lead to a requested input
        self.eager = eager  # leaves' gradients go into .grad as they arrive (see execute)
        # Anomaly mode or a profiler: each node's rules are wrapped (timing, NaN/inf checks).
        self.instrumented = dispatch.anomaly_hook is not None or bool(dispatch.profilers)
        # Saved values packed by saved_tensors_hooks: checked per node only while some node is.
        self.unpacking = bool(packed_nodes)
        # Nodes recorded before the latest in-place change anywhere have their saved arrays
        # checked against the version counters; the others (usually all) cost one comparison.
        self.changed_after = inplace.last_mark
        self.rare = self.instrumented or self.unpacking or create_graph

    def prepare(self, node, rules, saved):
        """The rules and saved values of ``node`` in the rare modes (see ``rare``)."""
        if self.instrumented:
            rules = instrument_rules(node, rules)
        if self.unpacking and node in packed_nodes:
            saved = unpack_saved(saved)
        if node.seq > self.changed_after:
            inplace.check_saved(node, saved)
        if self.create_graph:
            saved = _graph_saved(node, saved)
            if dispatch._tracing:
                prim = node.prim
                saved = tracing.lift_saved(saved, len(node.next) if prim.graph_slots is INPUTS
                                           else len(prim.save))
        return rules, saved


_NONE = (None, None)  # nothing to run next without the heap


def _run_node(node, g, grads, heap, run):
    """Run ``node``'s reverse rules on the gradient ``g`` of its output and send each input's
    gradient on: into a leaf's .grad (eager), into ``grads`` (with the input queued on
    ``heap``), or, when nothing else is pending (no other gradient can still reach that input:
    a chain), back to the caller to run next without the heap. Returns that ``(input node,
    gradient)``, or (None, None)."""
    prim = node.prim
    rules = prim.vjp
    saved = node.saved
    if saved is None:
        raise _freed_error(node)
    if run.rare:  # anomaly mode, a profiler, saved-tensor hooks or create_graph
        rules, saved = run.prepare(node, rules, saved)
    elif node.seq > run.changed_after:
        inplace.check_saved(node, saved)
    if not run.retain_graph and prim.graph_slots:  # free arrays; shapes are cheap to keep
        node.saved = None
    nxt = node.next
    needed = run.needed
    if len(nxt) == 1:  # the loop below for one input (which requires grad), faster
        child = nxt[0][0]
        if needed is not None and child not in needed:
            return _NONE
        gi = rules[0](g, *saved)
        if type(child) is AccumulateGrad and run.eager and not child.hooks:
            leaf = child.leaf()
            if leaf is not None:
                _accumulate_into(leaf, gi, run.create_graph)
            return _NONE
        if not heap and child not in grads:
            return child, gi
        _send(grads, heap, child, gi)
        return _NONE
    shapes = node.shapes
    node = g_next = None
    i = -1
    for e in nxt:
        i += 1
        if e is None:
            continue
        child = e[0]
        if needed is not None and child not in needed:
            continue
        gi = rules[i](g, *saved)
        if shapes is not None and gi.shape != shapes[i]:
            # Undo broadcasting; leading axes beyond the output's are batch axes.
            gi = sum_to(gi, shapes[i], gi.ndim - len(shapes[-1]))
        if type(child) is AccumulateGrad and run.eager and not child.hooks:
            leaf = child.leaf()
            if leaf is not None:
                _accumulate_into(leaf, gi, run.create_graph)
            continue
        if node is None and not heap and child not in grads:
            node, g_next = child, gi  # a candidate to run next without the heap
        elif child is node:
            g_next = g_next + gi
        else:
            _send(grads, heap, child, gi)
    if node is not None and heap:  # another child was queued: take turns through the heap
        _send(grads, heap, node, g_next)
        return _NONE
    return node, g_next


def _send(grads, heap, child, gi):
    """Add ``gi`` to the gradient waiting for ``child``; queue the child on first arrival."""
    old = grads.get(child)
    if old is None:
        grads[child] = gi
        heappush(heap, (child.seq, child))
    else:
        grads[child] = old + gi


def _needed(roots, targets, outer=None):
    """Nodes from which some target node can be reached (the rest need not run), and whether
    a leaf from outside was reached (see ``execute``'s ``outer``)."""
    needed = set()
    visited = set()
    reached = False
    mark, private = outer if outer is not None else (0, None)
    for r in roots:
        if r in visited:
            continue
        visited.add(r)
        stack = [(r, 0)]
        while stack:
            node, i = stack[-1]
            nxt = node.next
            if i < len(nxt):
                stack[-1] = (node, i + 1)
                e = nxt[i]
                if e is not None and e[0] not in visited:
                    child = e[0]
                    visited.add(child)
                    if (outer is not None and type(child) is AccumulateGrad and child.seq > mark
                            and child not in private):
                        reached = True
                    stack.append((child, 0))
            else:
                stack.pop()
                if node in targets or any(e is not None and e[0] in needed for e in nxt):
                    needed.add(node)
    return needed, reached
