"""Graph nodes and edges.

An edge is a pair ``(node, output_index)``. A tensor that requires grad holds the edge its
gradient flows into: a non-leaf's edge points at the node that made it (its ``grad_fn``), a
leaf's at its ``AccumulateGrad`` node. Sequence numbers count down as nodes are created, so a
node always has a smaller number than anything computed from it: the engine processes nodes in
increasing sequence number, which is a topological order.

``saved_tensors_hooks`` and ``save_on_disk`` (PyTorch's ``torch.autograd.graph`` names) are
defined in ``saved_hooks.py``, above ``dispatch``, which sets them here when it is imported (by
``chainrule.autograd``).
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np

_seq = itertools.count(0, -1)


class Node:
    """One recorded application of a primitive (PyTorch's ``grad_fn``)."""

    __slots__ = ("prim", "next", "saved", "seq", "shapes", "hooks", "__weakref__")

    def __init__(self, prim, next_edges, saved, shapes=None):
        self.prim = prim
        self.next = next_edges
        self.saved = saved
        self.shapes = shapes  # input shapes + output shape, kept only when an op broadcast
        self.hooks = None  # {output index: [hook, ...]}: tensor hooks and retain_grad
        self.seq = next(_seq)

    nout = 1

    def name(self) -> str:
        return "".join(p.capitalize() for p in self.prim.name.split("_")) + "Backward0"

    @property
    def next_functions(self):
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self.next)

    def __repr__(self):
        return f"<{self.name()}>"


class AccumulateGrad(Node):
    """The node at a leaf: adds the incoming gradient into the leaf's ``.grad``."""

    __slots__ = ("leaf",)

    def __init__(self, leaf):
        self.prim = None
        self.next = ()
        self.saved = ()
        self.shapes = None
        self.hooks = None
        self.seq = next(_seq)
        self.leaf = weakref.ref(leaf)  # a weak reference: graph -> leaf -> graph is no cycle

    def name(self) -> str:
        return "AccumulateGrad"

    @property
    def variable(self):
        return self.leaf()


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` takes the hook off again."""

    __slots__ = ("_list", "_hook")

    def __init__(self, hook_list, hook):
        self._list = hook_list
        self._hook = hook

    def remove(self) -> None:
        try:
            self._list.remove(self._hook)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


# ---------------------------------------------------------------------------------------------
# Saved-tensor hooks: what recording and the engine need (the hooks themselves, and
# save_on_disk, are in saved_hooks.py, above dispatch)


class RetainGrad:
    """The hook behind ``Tensor.retain_grad()``: keeps the gradient in the tensor's ``.grad``.
    Runs after the other hooks of its tensor, as in PyTorch."""

    __slots__ = ("ref",)

    def __init__(self, ref):
        self.ref = ref


class Packed:
    """A saved array replaced by what a pack hook returned, with the unpack hook that gives it
    back."""

    __slots__ = ("value", "unpack")

    def __init__(self, value, unpack):
        self.value = value
        self.unpack = unpack


# The nodes whose saved values hold Packed entries. The engine looks here only while it is not
# empty, so that graphs recorded without hooks pay one truth test per backward call.
packed_nodes: weakref.WeakSet = weakref.WeakSet()


def unpack_saved(saved):
    """``saved`` with each Packed entry unpacked to an array."""
    out = []
    for v in saved:
        if type(v) is Packed:
            r = v.unpack(v.value)
            v = r._data if hasattr(r, "_data") and hasattr(r, "_edge") else np.asarray(r)
        out.append(v)
    return tuple(out)
