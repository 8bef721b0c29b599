"""Activation checkpointing (PyTorch's ``torch.utils.checkpoint``): trade compute for memory.

``checkpoint(fn, *args)`` runs ``fn`` without recording a graph, keeps only its inputs, and
runs ``fn`` again during the backward pass, this time recorded, to get the gradients. The
activations inside ``fn`` therefore live only while its own backward runs. Gradients are the
same as without checkpointing, to every order: under ``create_graph=True`` the recomputation is
connected to the inputs' graph, so the gradient can be differentiated again.
"""

from __future__ import annotations

import math
import operator
import os
import sys
import tempfile
import weakref

import numpy as np

from .._pytree import flatten, unflatten
from ..autograd import dispatch, graph
from ..autograd.dispatch import is_tensor, tangents_of, wrap
from ..autograd.engine import execute
from ..autograd.function import connect
from ..autograd.grad_mode import enable_grad, no_grad, state
from ..autograd.graph import AccumulateGrad
from ..autograd.saved_hooks import DiskStore
from ..creation import default_generator
from ..primitives._core import apply, data_of
from ..primitives.shape import RESHAPE

__all__ = ["checkpoint", "checkpoint_scan", "checkpoint_sequential"]


class _Recompute:
    """The backward of a checkpointed call: run ``fn`` again, recorded, and pull back."""

    __slots__ = ("fn", "args_td", "leaves", "kwargs", "rng", "nargs", "stash", "chain", "index",
                 "dropped", "__weakref__")

    def __init__(self, fn, args_td, leaves, kwargs, rng, nargs, store=None, n_store=0,
                 chain=None):
        self.nargs = nargs  # leaves[:nargs] are the arguments' leaves, the rest parameters
        self.fn, self.args_td, self.kwargs, self.rng = fn, args_td, kwargs, rng
        self.stash = self.chain = self.dropped = None
        self.index = 0
        if store is not None:  # leaves[:n_store] go to one file, read back by __call__
            leaves, self.stash = _Stash.write(store, leaves, n_store)
        elif chain is not None:  # a top-level segment of checkpoint_scan (see _Chain)
            self.chain, self.index = chain, len(chain.links)
            chain.links.append(weakref.ref(self))
        self.leaves = leaves

    def __call__(self, st, grads, tensor_mode):
        create = state.grad_enabled
        xs, capture = [], {}
        if self.dropped is not None:  # a later backward of a retained graph
            self.chain.refill(self.index)
        leaves = self.leaves if self.stash is None else self.stash.read(self.leaves)
        with enable_grad():
            for j, (x, meta) in enumerate(zip(leaves, st.inputs)):
                if meta is None:
                    xs.append(x)
                    continue
                if j >= self.nargs:  # a parameter read from outside: used as it is
                    a = x
                elif create:  # an alias node, connected to the input's graph (higher orders)
                    a = apply(RESHAPE, (x,), (x._data.shape,))
                else:
                    a = wrap(x._data).requires_grad_()
                capture.setdefault(a._edge[0], []).append(j)
                xs.append(a)
            saved_rng = None
            if self.rng is not None:
                saved_rng = default_generator.get_state()
                default_generator.set_state(self.rng)
            try:
                out = self.fn(*unflatten(self.args_td, xs[:self.nargs]), **self.kwargs)
            finally:
                if saved_rng is not None:
                    default_generator.set_state(saved_rng)
        roots, seeds, o = [], [], None
        for o, g in zip(flatten(out)[0], grads):
            if is_tensor(o) and o._edge is not None and g is not None:
                roots.append(o._edge)
                seeds.append(g if tensor_mode else g._data)
        n = len(xs)
        # the graph keeps what the pull-back needs: the values themselves may go already
        del out, o, xs, leaves
        got = {}
        if roots:
            got = execute(roots, seeds, retain_graph=create, create_graph=create,
                          capture=capture, accumulate=False)
        if self.chain is not None and self.index > 0:
            self.chain.drop(self)
        return [got.get(j) for j in range(n)]

    def state_out(self):
        """The segment's output state (its leaves) from its stored input, recorded nowhere:
        the same values as the forward pass gave (same function, input and random state)."""
        saved_rng = None
        if self.rng is not None:
            saved_rng = default_generator.get_state()
            default_generator.set_state(self.rng)
        try:
            with no_grad():
                out = self.fn(*unflatten(self.args_td, self.leaves[:self.nargs]), **self.kwargs)
        finally:
            if saved_rng is not None:
                default_generator.set_state(saved_rng)
        return flatten(out)[0]


class _Chain:
    """The top-level segments of one checkpoint_scan, in order (weak references to their
    ``_Recompute``). A segment's backward drops its stored input state afterwards (all but the
    first's: the scan's initial state), as revolve frees a slot. Without ``retain_graph`` its
    node goes anyway; with it (``vjp``, ``retain_graph=True``) the graph would otherwise keep
    every top-level state while the recomputed segments store theirs: about twice the slots.
    A later backward of that graph refills the dropped states by running the segments again
    from the last state still stored (one more forward pass, under no_grad)."""

    __slots__ = ("links", "n_state")

    def __init__(self, n_state):
        self.links, self.n_state = [], n_state

    def drop(self, rec):
        dropped = []
        for j in range(min(self.n_state, len(rec.leaves))):
            x = rec.leaves[j]
            if is_tensor(x):
                dropped.append((j, x._edge))
                rec.leaves[j] = None
        rec.dropped = dropped

    def refill(self, index):
        recs = [ref() for ref in self.links[:index + 1]]
        start = index
        while start > 0 and (recs[start] is None or recs[start].dropped is not None):
            start -= 1
        if any(r is None for r in recs[start:]):
            raise RuntimeError(
                "checkpoint_scan: a segment's stored state was freed by an earlier backward "
                "pass; pass retain_graph=True to every backward() or grad() call but the last")
        for i in range(start, index):
            out = recs[i].state_out()
            nxt = recs[i + 1]
            if nxt.dropped is not None:
                for j, edge in nxt.dropped:
                    nxt.leaves[j] = wrap(data_of(out[j]), edge)
                nxt.dropped = None


def checkpoint(function, *args, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, **kwargs):
    """``function(*args, **kwargs)``, keeping only the inputs for the backward pass, which runs
    ``function`` again. Tensors inside nested tuples, lists and dicts of ``args`` are inputs too;
    ``kwargs`` are passed through as constants.

    ``use_reentrant`` is accepted for PyTorch compatibility; chainrule has one implementation,
    which behaves like PyTorch's ``use_reentrant=False``. With ``preserve_rng_state`` the
    recomputation draws the same random numbers from ``chainrule``'s default generator (so
    dropout masks match). Under forward mode (dual inputs) ``function`` simply runs: forward
    mode keeps no tape, so there is nothing to save.
    """
    return _checkpoint(function, args, kwargs, preserve_rng_state)


def _checkpoint(function, args, kwargs, preserve_rng_state, store=None, n_store=0, chain=None):
    """checkpoint's work; with a ``store`` (checkpoint_scan's disk storage) the first
    ``n_store`` leaves of ``args`` are kept in a file of it rather than in memory; with a
    ``chain`` (checkpoint_scan's top level, in memory) the node joins it."""
    leaves, td = flatten(args)
    if not (state.grad_enabled and any(is_tensor(x) and x._edge is not None for x in leaves)):
        return function(*args, **kwargs)
    if dispatch.fw_levels and any(is_tensor(x) and tangents_of(x) for x in leaves):
        return function(*args, **kwargs)
    rng = default_generator.get_state() if preserve_rng_state else None
    params, out = _run_and_find_outside_tensors(function, kwargs, leaves, td)
    o_leaves, o_td = flatten(out)
    del out
    # only the outputs' values are kept: the graph recorded by the run is dropped here
    o_leaves = [wrap(o._data) if is_tensor(o) else o for o in o_leaves]
    name = getattr(function, "__name__", type(function).__name__)
    inputs = list(leaves) + params
    new, _ = connect(f"Checkpoint[{name}]Backward", inputs, o_leaves,
                     _Recompute(function, td, inputs, kwargs, rng, len(leaves), store, n_store,
                                chain),
                     loop=False)
    return unflatten(o_td, list(new))


class _Stash:
    """Leaves of a checkpoint's input kept in one file of a ``DiskStore``: the arrays one
    after the other in ``.npy`` format. The file is removed when the stash is no longer
    referenced (its node's backward has run, or the graph was dropped)."""

    __slots__ = ("handle", "slots")

    def __init__(self, handle, slots):
        self.handle, self.slots = handle, slots

    @classmethod
    def write(cls, store, leaves, n):
        """``(leaves with the first n arrays and tensors replaced by None, stash)``."""
        slots, arrays = [], []
        kept = list(leaves)
        for j in range(min(n, len(leaves))):
            x = leaves[j]
            if is_tensor(x):
                slots.append((j, True, x._edge))
                arrays.append(x._data)
            elif isinstance(x, np.ndarray):
                slots.append((j, False, None))
                arrays.append(x)
            else:
                continue
            kept[j] = None
        if not slots:
            return kept, None
        handle = store.new_handle()  # the file goes with the handle
        with open(handle.path, "wb") as f:
            for a in arrays:
                np.save(f, np.asarray(a), allow_pickle=False)
        return kept, cls(handle, tuple(slots))

    def read(self, kept):
        """The leaves again: tensors rebuilt with their graph edges."""
        leaves = list(kept)
        with open(self.handle.path, "rb") as f:
            for j, tensor, edge in self.slots:
                a = np.load(f, allow_pickle=False)
                leaves[j] = wrap(a, edge) if tensor else a
        return leaves


def _run_and_find_outside_tensors(function, kwargs, leaves, td):
    """Run ``function`` recorded, and find the leaves that require grad which it reads other
    than through its arguments (module parameters, closures). The caller keeps only the
    outputs' values, so the recorded graph lives only while ``function`` runs: at most one
    segment's activations, as when the backward pass recomputes it."""
    aliases = [wrap(x._data).requires_grad_() if is_tensor(x) and x._edge is not None else x
               for x in leaves]
    own = {a._edge[0] for a in aliases if is_tensor(a) and a._edge is not None}
    mark = next(graph._seq)
    with enable_grad():
        out = function(*unflatten(td, aliases), **kwargs)
    found, seen = [], set()
    stack = [o._edge[0] for o in flatten(out)[0] if is_tensor(o) and o._edge is not None]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node.seq < mark:  # recorded by the trial run: walk on
            stack.extend(e[0] for e in node.next if e is not None)
        elif node in own:
            continue
        elif type(node) is AccumulateGrad and node.leaf() is not None:
            found.append(node.leaf())
        else:
            raise RuntimeError(
                f"checkpoint: {getattr(function, '__name__', 'the function')} uses a tensor "
                f"that requires grad and was computed outside it (by {node.name()}) without "
                f"receiving it as an argument; pass it as an argument of checkpoint")
    return found, out


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None,
                          **kwargs):
    """Run ``functions`` (a ``Sequential`` or a list of callables) in order on ``input``,
    checkpointing ``segments`` groups of them: only the input of each group is kept, and the
    last group runs normally (as in PyTorch, its activations are needed at once)."""
    if hasattr(functions, "children"):
        functions = list(functions.children())
    else:
        functions = list(functions)
    if segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be at least 1, got {segments}")
    n = len(functions)
    size = max(n // segments, 1)

    def run(start, stop):
        def segment(x):
            for f in functions[start:stop]:
                x = f(x)
            return x
        segment.__name__ = f"segment[{start}:{stop}]"
        return segment

    x = input
    start = 0
    for _ in range(segments - 1):
        stop = min(start + size, n)
        if stop <= start:
            break
        x = checkpoint(run(start, stop), x, use_reentrant=use_reentrant, **kwargs)
        start = stop
    return run(start, n)(x)


# --- checkpoint_scan: binomial (revolve) checkpointing of a loop --------------------------

def _beta(c: int, r: int) -> int:
    """Griewank's beta(c, r) = C(c + r, c): the most steps reversible with ``c`` stored states
    (the segment's own start included) when each step is recomputed at most ``r`` times."""
    return math.comb(c + r, c)


def _revolve_split(n: int, c: int) -> int:
    """Where the optimal (binomial) schedule puts the next checkpoint in a segment of ``n >= 2``
    steps with ``c >= 1`` slots: ``m`` steps on, so that ``[0, m)`` is reversed later with ``c``
    slots and ``[m, n)`` first with ``c - 1``."""
    r = _repetitions(n, c)  # the fewest repetitions per step that reverse n steps
    # any split in [max(beta(c, r-2), n - beta(c-1, r)), min(beta(c, r-1), n - beta(c-1, r-1))]
    # is optimal (checked against the dynamic programme in the tests); take the largest
    return min(_beta(c, r - 1), n - _beta(c - 1, r - 1))


def revolve_recomputations(n_steps: int, n_checkpoints: int) -> int:
    """The number of step calls :func:`checkpoint_scan`'s backward pass makes (recomputation;
    the forward pass's ``n_steps`` calls not counted), for its binomial schedule."""
    n, c = n_steps, n_checkpoints
    total = 0
    stack = [(n, c)]
    while stack:
        n, c = stack.pop()
        if n <= 1:
            continue
        m = _revolve_split(n, c)
        total += m
        stack.append((m, c))
        stack.append((n - m, c - 1))
    return total


def _leaf_meta(leaves):
    return [(tuple(getattr(x, "shape", ())), getattr(x, "dtype", type(x))) for x in leaves]


def checkpoint_scan(step, state, n_steps: int, n_checkpoints: int | None = None, *, xs=None,
                    storage: str | os.PathLike | None = None):
    """Run ``state = step(state)`` (``step(state, x)`` for ``x`` in ``xs`` along its leading
    axis, when ``xs`` is given) ``n_steps`` times and return the final state, keeping for the
    backward pass only ``n_checkpoints`` states (default ``ceil(sqrt(n_steps))``, the initial
    state included) plus one step's activations, and recomputing the rest by the binomial
    (revolve, Griewank) schedule: the fewest step calls for that many slots.

    ``state`` (and ``xs``) are pytrees (tuples, lists, dicts) of tensors and arrays; ``step`` must
    return a state of the same structure, shapes and dtypes. Gradients with respect to the
    initial state, ``xs`` and the tensors ``step`` reads from its closure (parameters requiring
    grad) equal those of the plain loop, on the Tensor face and through ``grad``/``vjp``, to
    every order (the segments are :func:`checkpoint` calls, nested). Under forward mode, or with
    grad mode off, the loop simply runs. With ``n_checkpoints >= n_steps`` every step but the
    last is still recomputed once during the backward pass; the plain loop avoids that by
    keeping every step's activations. :func:`revolve_recomputations` gives the count.

    A backward pass gives each top-level stored state up once its segment is reversed, as
    revolve does, also when the graph is kept for another one (``retain_graph=True``, ``vjp``);
    each later backward pass of that graph first runs the loop forward once more (no graph
    recorded) to store them again, and its gradients are the same bit for bit.

    ``storage``: None keeps the checkpointed states in memory; ``"disk"`` (a new temporary
    directory) or a directory's path (a new subdirectory there) writes each one to a file, read
    back when the backward pass needs it and deleted once nothing needs it any more (after its
    segment's backward, or when the graph is dropped); the subdirectory goes with the last file
    that might still be needed. ``xs`` and closure parameters stay in memory.
    """
    n_steps = _as_int(n_steps, "n_steps")
    if n_steps < 0:
        raise ValueError(f"checkpoint_scan: n_steps must be at least 0, got {n_steps}")
    if n_checkpoints is None:
        n_checkpoints = max(1, math.isqrt(max(n_steps - 1, 0)) + 1)
    n_checkpoints = _as_int(n_checkpoints, "n_checkpoints")
    if n_checkpoints < 1:
        raise ValueError(f"checkpoint_scan: n_checkpoints must be at least 1, got {n_checkpoints}")
    directory = _storage_directory(storage)
    leaves, td = flatten(state)
    meta, key = _leaf_meta(leaves), _tree_key(td)
    expected = _describe(td, leaves)  # (a string: `one` keeps no state alive)
    if xs is not None:
        x_leaves = flatten(xs)[0]
        for x in x_leaves:
            if len(getattr(x, "shape", ())) == 0 or x.shape[0] < n_steps:
                raise ValueError(
                    f"checkpoint_scan: every leaf of xs needs a leading axis of at least "
                    f"n_steps = {n_steps}, got shape {tuple(getattr(x, 'shape', ()))}")
    name = getattr(step, "__name__", type(step).__name__)

    def one(s, i, xs):
        out = step(s) if xs is None else step(s, _slice(xs, i))
        o_leaves, o_td = flatten(out)
        if _tree_key(o_td) != key or _leaf_meta(o_leaves) != meta:
            raise ValueError(
                f"checkpoint_scan: step {name} changed the state's structure at step {i}: "
                f"got {_describe(o_td, o_leaves)}, expected {expected}")
        return out

    fw = dispatch.fw_levels and any(is_tensor(x) and tangents_of(x)
                                    for x in leaves + flatten(xs)[0])
    if not _grad_on() or fw or n_steps <= 1:
        for i in range(n_steps):
            state = one(state, i, xs)
        return state
    if not any(is_tensor(x) and x._edge is not None for x in leaves):
        # the state needs no gradient, but closure parameters may: aliases that require grad
        # make every segment a checkpoint (the aliases' own gradients go nowhere)
        state = unflatten(td, [wrap(data_of(x)).requires_grad_() if _inexact(x) else x
                               for x in leaves])
    # the store lives as long as a node that may read or write its files: the segments'
    # closures and the files' handles hold it, and its directory goes with it
    store = None if directory is None else DiskStore(directory)
    scan = _Scan(one, name, store, len(leaves))
    # the segments nest about r deep (r: the most recomputations of one step), in the forward
    # pass and again in the backward pass, which runs after this returns: the limit stays raised
    need = 1000 + 60 * _repetitions(n_steps, n_checkpoints)
    if need > sys.getrecursionlimit():
        sys.setrecursionlimit(need)
    return _rev(scan, state, xs, 0, n_steps, n_checkpoints, top=True)


class _Scan:
    """What the segments of one checkpoint_scan share (a plain object, not a recursive
    closure, so that it is freed by reference counting with the graph)."""

    __slots__ = ("one", "name", "store", "n_state")

    def __init__(self, one, name, store, n_state):
        self.one, self.name, self.store, self.n_state = one, name, store, n_state


def _rev(scan, s, xs, start, n, c, top=False):
    """Steps ``[start, start + n)`` from ``s``, reversible with ``c`` stored states; the
    segments are nested ``checkpoint`` calls, which take ``xs`` as an argument too. The
    ``top`` level's segments form a ``_Chain`` (kept in memory only)."""
    chain = _Chain(scan.n_state) if top and scan.store is None else None
    made = 0
    while n > 1:
        m = _revolve_split(n, c)

        def segment(s, xs, _a=start, _n=m, _c=c):
            return _rev(scan, s, xs, _a, _n, _c)
        segment.__name__ = f"{scan.name}[{start}:{start + m}]"
        s = _checkpoint(segment, (s, xs), {}, True, scan.store, scan.n_state, chain)
        made += 1
        start, n, c = start + m, n - m, c - 1
    if chain is not None and len(chain.links) != made:  # (a segment without a node)
        for ref in chain.links:
            rec = ref()
            if rec is not None:
                rec.chain = None
    return scan.one(s, start, xs) if n == 1 else s


def _storage_directory(storage):
    """The directory under which checkpoint_scan's files go (None: in memory)."""
    if storage is None:
        return None
    if isinstance(storage, str) and storage == "disk":
        return tempfile.gettempdir()
    if not isinstance(storage, (str, os.PathLike)):
        raise TypeError(f"checkpoint_scan: storage must be None, 'disk' or a directory's path, "
                        f"got {type(storage).__name__}")
    path = os.fspath(storage)
    if not os.path.isdir(path):
        raise ValueError(f"checkpoint_scan: storage {path!r} is not an existing directory; "
                         f"create it, or pass 'disk' for a temporary one")
    return path


def _repetitions(n, c):
    r = 0
    while _beta(c, r) < n:
        r += 1
    return r


def _grad_on():
    return state.grad_enabled  # grad mode (checkpoint_scan's argument ``state`` hides it)


def _as_int(v, what):
    if isinstance(v, bool):
        raise TypeError(f"checkpoint_scan: {what} must be an int, got bool")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"checkpoint_scan: {what} must be an int, got {type(v).__name__}") from None


def _inexact(x):
    return (is_tensor(x) or isinstance(x, np.ndarray)) and np.issubdtype(x.dtype, np.inexact)


def _slice(xs, i):
    leaves, td = flatten(xs)
    return unflatten(td, [x[i] for x in leaves])


def _tree_key(td):
    """A comparable form of a pytree's structure (dict keys, namedtuple types included)."""
    return (td.kind, td.meta, tuple(_tree_key(c) for c in td.children))


def _describe(td, leaves):
    return f"{_tree_key(td)} with leaves (shape, dtype) {_leaf_meta(leaves)}"
