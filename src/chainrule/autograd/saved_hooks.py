"""Saved-tensor hooks: ``saved_tensors_hooks`` (pack and unpack what a recorded operation saves
for backward) and ``save_on_disk`` (its use that keeps saved arrays in ``.npy`` files).

Above ``dispatch``, whose recording functions apply the active hooks (``dispatch.saved_hooks``);
``graph.Packed`` and ``graph.packed_nodes`` are what recording and the engine share. Both
names are also set on ``graph`` at import (PyTorch's ``torch.autograd.graph`` spelling).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import weakref

import numpy as np

from . import dispatch, graph


@contextlib.contextmanager
def saved_tensors_hooks(pack_hook, unpack_hook):
    """While active, each array that a newly recorded operation saves for backward is replaced
    by ``pack_hook(tensor)`` (a tensor around the array), and backward gets it back from
    ``unpack_hook(packed)``, which must return a tensor or array equal to the original. Hooks
    nest; the innermost wins. Shapes and operation parameters are not passed to the hooks."""
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


class DiskStore:
    """A temporary directory of files holding saved arrays (one ``save_on_disk`` context, or one
    ``checkpoint_scan`` with ``storage``): removed once it is closed and no file in it is still
    needed (or at interpreter exit)."""

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

    def new_handle(self) -> DiskHandle:
        """A new file's handle: the file is deleted when the handle is no longer referenced."""
        path = self.new_file()
        handle = DiskHandle(path)
        weakref.finalize(handle, self.file_gone, path)
        return handle

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


class DiskHandle:
    """The file holding saved arrays (what save_on_disk's pack hook returns). The file is
    deleted when the handle is no longer referenced (the node's saved values were freed)."""

    __slots__ = ("path", "__weakref__")

    def __init__(self, path):
        self.path = path


@contextlib.contextmanager
def save_on_disk(directory=None):
    """Keep the arrays saved for backward in ``.npy`` files in a temporary directory (under
    ``directory``, or the system's temporary directory) instead of in memory. Each file is
    deleted when backward no longer needs it; the directory is removed when the context has
    exited and its files are gone."""
    store = DiskStore(directory)

    def pack(t):
        arr = t._data if hasattr(t, "_data") else np.asarray(t)
        handle = store.new_handle()
        try:
            np.save(handle.path, arr, allow_pickle=False)
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


# PyTorch spells them torch.autograd.graph.saved_tensors_hooks (and save_on_cpu): the same names
# are reachable from graph.py, which sits below dispatch and so cannot import them.
graph.saved_tensors_hooks = saved_tensors_hooks
graph.save_on_disk = save_on_disk
