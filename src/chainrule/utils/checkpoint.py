"""Activation checkpointing (PyTorch's ``torch.utils.checkpoint``): trade compute for memory.

``checkpoint(fn, *args)`` runs ``fn`` without recording a graph, keeps only its inputs, and
runs ``fn`` again during the backward pass, this time recorded, to get the gradients. The
activations inside ``fn`` therefore live only while its own backward runs. Gradients are the
same as without checkpointing, to every order: under ``create_graph=True`` the recomputation is
connected to the inputs' graph, so the gradient can be differentiated again.
"""

from __future__ import annotations

from .._pytree import flatten, unflatten
from ..autograd import dispatch, graph
from ..autograd.dispatch import is_tensor, tangents_of, wrap
from ..autograd.engine import execute
from ..autograd.function import connect
from ..autograd.grad_mode import enable_grad, state
from ..autograd.graph import AccumulateGrad
from ..creation import default_generator
from ..primitives._core import apply
from ..primitives.shape import RESHAPE

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Recompute:
    """The backward of a checkpointed call: run ``fn`` again, recorded, and pull back."""

    __slots__ = ("fn", "args_td", "leaves", "kwargs", "rng", "nargs")

    def __init__(self, fn, args_td, leaves, kwargs, rng, nargs):
        self.nargs = nargs  # leaves[:nargs] are the arguments' leaves, the rest parameters
        self.fn, self.args_td, self.leaves, self.kwargs, self.rng = fn, args_td, leaves, kwargs, rng

    def __call__(self, st, grads, tensor_mode):
        create = state.grad_enabled
        xs, capture = [], {}
        with enable_grad():
            for j, (x, meta) in enumerate(zip(self.leaves, st.inputs)):
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
        roots, seeds = [], []
        for o, g in zip(flatten(out)[0], grads):
            if is_tensor(o) and o._edge is not None and g is not None:
                roots.append(o._edge)
                seeds.append(g if tensor_mode else g._data)
        got = {}
        if roots:
            got = execute(roots, seeds, retain_graph=create, create_graph=create,
                          capture=capture, accumulate=False)
        return [got.get(j) for j in range(len(xs))]


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
                     _Recompute(function, td, inputs, kwargs, rng, len(leaves)), loop=False)
    return unflatten(o_td, list(new))


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
