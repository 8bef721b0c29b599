"""Graph nodes and edges.

An edge is a pair ``(node, output_index)``. A tensor that requires grad holds the edge its
gradient flows into: a non-leaf's edge points at the node that made it (its ``grad_fn``), a
leaf's at its ``AccumulateGrad`` node. Sequence numbers count down as nodes are created, so a
node always has a smaller number than anything computed from it: the engine processes nodes in
increasing sequence number, which is a topological order.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
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
# Saved-tensor hooks


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


@contextlib.contextmanager
def saved_tensors_hooks(pack_hook, unpack_hook):
    """While active, each array that a newly recorded operation saves for backward is replaced
    by ``pack_hook(tensor)`` (a tensor around the array), and backward gets it back from
    ``unpack_hook(packed)``, which must return a tensor or array equal to the original. Hooks
    nest; the innermost wins. Shapes and operation parameters are not passed to the hooks."""
    from . import dispatch

    pair = (pack_hook, unpack_hook)
    dispatch.saved_hooks.append(pair)
    dispatch.update_instrumented()
    try:
        yield
    finally:
        hooks = dispatch.saved_hooks
        for i in range(len(hooks) - 1, -1, -1):
            if hooks[i] is pair:
                del hooks[i]
                break
        dispatch.update_instrumented()


class _DiskStore:
    """The temporary directory of one save_on_disk: removed once the context has exited and
    no file in it is still needed (or at interpreter exit)."""

    def __init__(self, directory):
        self.path = tempfile.mkdtemp(prefix="chainrule-saved-", dir=directory)
        self.live = 0
        self.count = 0
        self.closed = False
        # At interpreter exit, whatever is left goes.
        self._final = weakref.finalize(self, shutil.rmtree, self.path, True)

    def new_file(self):
        self.count += 1
        self.live += 1
        return os.path.join(self.path, f"{self.count}.npy")

    def file_gone(self, path):
        try:
            os.remove(path)
        except OSError:
            pass
        self.live -= 1
        self._maybe_remove()

    def close(self):
        self.closed = True
        self._maybe_remove()

    def _maybe_remove(self):
        if self.closed and self.live <= 0:
            self._final()  # removes the directory, once


class _DiskHandle:
    """What save_on_disk's pack hook returns: the file holding one saved array. The file is
    deleted when the handle is no longer referenced (the node's saved values were freed)."""

    __slots__ = ("path", "__weakref__")

    def __init__(self, path):
        self.path = path


def _remove_file(store, path):
    store.file_gone(path)


@contextlib.contextmanager
def save_on_disk(directory=None):
    """Keep the arrays saved for backward in ``.npy`` files in a temporary directory (under
    ``directory``, or the system's temporary directory) instead of in memory. Each file is
    deleted when backward no longer needs it; the directory is removed when the context has
    exited and its files are gone."""
    store = _DiskStore(directory)

    def pack(t):
        arr = t._data if hasattr(t, "_data") else np.asarray(t)
        path = store.new_file()
        handle = _DiskHandle(path)
        weakref.finalize(handle, _remove_file, store, path)
        try:
            np.save(path, arr, allow_pickle=False)
        except BaseException:
            del handle  # its finalizer removes the partial file
            raise
        return handle

    def unpack(handle):
        return np.load(handle.path, allow_pickle=False)

    try:
        with saved_tensors_hooks(pack, unpack):
            yield store.path
    finally:
        store.close()
