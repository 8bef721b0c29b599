"""Custom differentiable operations: ``Function`` (PyTorch's ``torch.autograd.Function``), and
the node machinery it shares with ``custom_vjp``, ``custom_jvp`` and ``checkpoint``.

How a custom operation sits in the graph, without changing the engine. The engine runs a node
by calling ``node.prim.vjp[i](g, *node.saved)`` for each input ``i`` and sends the results along
``node.next``; every node has one output. A custom call with several outputs therefore becomes

- one shared node ``F`` whose ``next`` are the inputs' edges and whose rules call the user's
  backward once (the first rule runs it and caches the results, keyed by the gradient object,
  for the other inputs' rules), and
- one small node per differentiable output, which forwards that output's gradient into ``F``
  wrapped in a ``_Grads`` container; containers add per output, so the engine's accumulation
  ``old + g`` collects every output's gradient before ``F`` runs.

With a single differentiable output, the output's edge points at ``F`` directly.

Saved outputs are never kept as tensors (output -> node -> saved output would be a reference
cycle): the data is kept, and when the backward itself is recorded (``create_graph``) a saved
output is rebuilt connected to a fresh clone of ``F`` (same inputs, same state), so that the
derivative of the saved output flows through the custom backward again.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..primitives._core import per_input
from ..primitives.reduction import sum_to
from ..primitives.shape import broadcast_to, concatenate, reshape
from . import dispatch, inplace
from .dispatch import is_tensor, split_level, tangents_of, with_tangent, wrap
from .grad_mode import no_grad, state
from .graph import Node

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class _KeepNothing:
    """``graph_slots`` of a custom node: truthy, so that the engine drops ``node.saved`` after a
    backward without ``retain_graph``; empty, so that ``create_graph`` rebuilds nothing (the
    custom state reconnects what it saved itself)."""

    __slots__ = ()

    def __bool__(self):
        return True

    def __iter__(self):
        return iter(())


_KEEP_NOTHING = _KeepNothing()


class _CustomPrim:
    """The stand-in for a primitive on a custom node (what the engine reads: ``vjp`` and
    ``graph_slots``)."""

    __slots__ = ("name", "vjp")
    graph_slots = _KEEP_NOTHING
    jvp = None
    elementwise = linear = False
    differentiable = True
    save = ()

    def __init__(self, name, vjp):
        self.name = name
        self.vjp = vjp


class _OutputPrim(_CustomPrim):
    """The per-output node's rule: hands output ``k``'s gradient on, tagged with ``k``."""

    __slots__ = ()
    graph_slots = ()  # saves nothing, so there is nothing to free


class CustomNode(Node):
    """A node of a custom operation, named after it (``MyExpBackward``)."""

    __slots__ = ()

    def name(self) -> str:
        return self.prim.name


class _Grads:
    """Per-output gradients on their way into a shared node: ``+`` adds output by output."""

    __slots__ = ("parts",)

    def __init__(self, parts):
        self.parts = parts

    def __add__(self, other):
        parts = dict(self.parts)
        for k, v in other.parts.items():
            old = parts.get(k)
            parts[k] = v if old is None else old + v
        return _Grads(parts)


def _tag(k, g):
    return _Grads({k: g})


class _State:
    """What a custom node keeps: how to run its backward and the metadata to check and
    materialize gradients. Referenced only from the node's ``saved``."""

    __slots__ = ("prim", "run", "inputs", "outputs", "next", "direct", "materialize", "loop",
                 "cache")

    def __init__(self, prim, run, inputs, outputs, next_edges, materialize, loop):
        self.prim, self.run = prim, run
        self.inputs, self.outputs, self.next = inputs, outputs, next_edges
        self.materialize, self.loop = materialize, loop
        self.direct = None
        self.cache = None


def connect(name, inputs, outs, run, *, nondiff=(), materialize=True, loop=True):
    """Give the tensors ``outs`` a custom node whose gradient flows into ``inputs``.

    ``run(state, grads, tensor_mode)`` gets one gradient per output (a tensor; zeros or None
    for outputs that received none, by ``materialize``) and returns one gradient per input.
    With ``loop``, a batch of cotangents (leading axes, from ``jacrev``) is split into rows and
    ``run`` is called once per row. Returns the new outputs (a tuple; tensors of ``outs`` are
    replaced by new tensors with the node's edges) and the state, or None when no gradient is
    recorded.
    """
    next_edges = tuple(a._edge if is_tensor(a) else None for a in inputs)
    in_meta = [(a._data.shape, a._data.dtype) if e is not None else None
               for a, e in zip(inputs, next_edges)]
    out_meta, diff = [], []
    for k, o in enumerate(outs):
        if is_tensor(o):
            out_meta.append((o._data.shape, o._data.dtype))
            if k not in nondiff and np.issubdtype(o._data.dtype, np.inexact):
                diff.append(k)
        else:
            out_meta.append(None)
    if not (state.grad_enabled and diff and any(e is not None for e in next_edges)):
        return tuple(outs), None
    prim = _CustomPrim(name, per_input(_input_grad))
    st = _State(prim, run, in_meta, out_meta, next_edges, materialize, loop)
    node = CustomNode(prim, next_edges, (st,))
    if dispatch.anomaly_hook is not None:  # anomaly mode: remember where it was called
        dispatch.anomaly_hook(node)
    if len(diff) == 1:
        st.direct = diff[0]
        edges = {diff[0]: (node, 0)}
    else:
        edges = {k: (CustomNode(_OutputPrim(name, (functools.partial(_tag, k),)), ((node, 0),),
                                ()), 0) for k in diff}
    new = []
    for k, o in enumerate(outs):
        if is_tensor(o):
            t = wrap(o._data, edges.get(k))
            fw = getattr(o, "_fw", None)
            if fw:
                t._fw = fw
            o = t
        new.append(o)
    return tuple(new), st


def reconnect(st, k, data, fw=None):
    """Output ``k`` of the custom call rebuilt as a tensor connected to the graph: through a
    fresh clone of the call's node (same inputs, same state)."""
    node = CustomNode(st.prim, st.next, (st,))
    if st.direct is not None:
        edge = (node, 0)
    else:
        out = CustomNode(_OutputPrim(st.prim.name, (functools.partial(_tag, k),)), ((node, 0),),
                         ())
        edge = (out, 0)
    t = wrap(data, edge)
    if fw:
        t._fw = fw
    return t


_TAKEN = object()  # a cached input gradient already handed to the engine


def _input_grad(i, g, st):
    """Rule ``i`` of a custom node: the user's backward runs once per gradient ``g``. Without
    create_graph, each input's gradient is handed out once and dropped from the cache, and the
    cache goes with the last one: a graph kept by ``retain_graph`` would otherwise hold every
    custom node's gradients until it goes (checkpoint_scan's backward under ``vjp``). A
    recorded backward keeps them: its graph may run the node again with the same ``g``."""
    c = st.cache
    if c is None or c[0] is not g or c[1][i] is _TAKEN:  # (taken: a new pass, same seed)
        c = st.cache = [g, _run(st, g), sum(e is not None for e in st.next)]
    r = c[1][i]
    if not state.grad_enabled:
        c[1][i] = _TAKEN
        c[2] -= 1
        if c[2] <= 0:
            st.cache = None
    return r


def _run(st, g):
    parts = g.parts if type(g) is _Grads else {st.direct: g}
    tensor_mode = any(is_tensor(v) for v in parts.values())
    lead = ()
    for k, v in parts.items():
        n = len(v.shape) - len(st.outputs[k][0])
        if n > 0:
            lead = tuple(v.shape[:n])
        break
    if lead and st.loop:
        return _run_rows(st, parts, lead, tensor_mode)
    return _run_once(st, parts, lead, tensor_mode)


def _run_once(st, parts, lead, tensor_mode):
    grads = []
    for k, meta in enumerate(st.outputs):
        v = parts.get(k)
        if v is None and meta is not None and st.materialize:
            v = np.zeros(lead + meta[0], meta[1])
        if v is not None and not is_tensor(v):
            v = wrap(np.asarray(v))
        grads.append(v)
    res = st.run(st, grads, tensor_mode)
    out = []
    for i, meta in enumerate(st.inputs):
        out.append(None if meta is None else _input_result(st, i, res[i], meta, lead,
                                                           tensor_mode))
    return out


def _input_result(st, i, r, meta, lead, tensor_mode):
    """The gradient for input ``i`` in the form the engine expects, checked against its shape."""
    shape, dtype = meta
    expected = lead + shape
    if r is None:
        r = np.zeros(expected, dtype)
        return wrap(r) if tensor_mode else r
    if not is_tensor(r):
        r = np.asarray(r, dtype=dtype)
        if tensor_mode:
            r = wrap(r)
    elif not tensor_mode and not getattr(r, "_fw", None):
        r = r._data  # (a gradient that carries tangents stays a tensor: forward over reverse)
    if r.shape != expected:
        try:
            b = np.broadcast_shapes(r.shape, expected)
        except ValueError:
            b = None
        if b == expected:
            r = broadcast_to(r, expected)
        elif b == tuple(r.shape) and len(r.shape) >= len(expected):
            r = sum_to(r, shape, len(lead))
        else:
            raise RuntimeError(
                f"{st.prim.name}: the backward returned a gradient of shape {tuple(r.shape)} for "
                f"input {i}, which has shape {shape}; return one gradient of the input's shape "
                f"per input (None where there is none)")
    if r.dtype != dtype:
        r = r.astype(dtype)
    return r


def _run_rows(st, parts, lead, tensor_mode):
    """A batch of cotangents (``jacrev``): the backward runs once per row, results stacked."""
    n = math.prod(lead)
    rows = []
    for r in range(n):
        p = {k: v.reshape((n,) + st.outputs[k][0])[r] for k, v in parts.items()}
        rows.append(_run_once(st, p, (), tensor_mode))
    out = []
    for i, meta in enumerate(st.inputs):
        if meta is None:
            out.append(None)
            continue
        col = [row[i] for row in rows]
        if any(is_tensor(c) for c in col):
            col = [c if is_tensor(c) else wrap(c) for c in col]
            g = concatenate([c.reshape((1,) + meta[0]) for c in col], 0)
            out.append(reshape(g, lead + meta[0]))
        else:
            out.append(np.stack(col).reshape(lead + meta[0]))
    return out


# --- Function -----------------------------------------------------------------------------------
class FunctionCtx:
    """The ``ctx`` handed to ``forward``, ``backward`` and ``jvp`` of a ``Function``."""

    def __init__(self, name="Function"):
        self._name = name
        self._to_save = ()
        self._saved = None  # resolved entries: ("in", i) | ("out", k) | ("val", tensor)
        self._bind = None  # (inputs by index, output resolver) while backward or jvp runs
        self._non_diff = ()
        self._dirty = ()
        self.materialize_grads = True
        self.needs_input_grad = ()

    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` (inputs, outputs or others) for ``backward`` and ``jvp``; read them
        back with ``ctx.saved_tensors``."""
        self._to_save = tensors

    save_for_forward = save_for_backward

    def mark_non_differentiable(self, *outputs) -> None:
        """These outputs get no gradient (their gradient in ``backward`` is zeros, or None
        without materialization)."""
        self._non_diff = outputs

    def set_materialize_grads(self, value: bool) -> None:
        """With True (the default), outputs that receive no gradient get zeros in ``backward``;
        with False they get None."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors) -> None:
        """Declare that ``forward`` changed these inputs in place (and returns them): their
        version goes up and they take the function's output in the graph, as in-place methods
        do."""
        self._dirty = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._saved is None:
            raise RuntimeError(f"{self._name}: saved_tensors is available in backward and jvp, "
                               f"after forward called save_for_backward")
        bind = self._bind
        out = []
        for e in self._saved:
            kind = e[0]
            if kind == "val":
                out.append(e[1])
            elif bind is None:
                raise RuntimeError(f"{self._name}: saved_tensors read outside backward/jvp")
            elif kind == "in":
                out.append(bind[0][e[1]])
            else:
                out.append(bind[1](e[1]))
        return tuple(out)


def _resolve_saved(ctx, args, outs):
    entries = []
    for t in ctx._to_save:
        if t is None or not is_tensor(t):
            entries.append(("val", t))
            continue
        for i, a in enumerate(args):
            if a is t:
                entries.append(("in", i))
                break
        else:
            for k, o in enumerate(outs):
                if o is t:
                    entries.append(("out", k))
                    break
            else:
                entries.append(("val", t))
    ctx._to_save = ()
    return entries


class _FunctionBackward:
    """The ``run`` of a Function's node: calls ``cls.backward`` with the saved values bound."""

    __slots__ = ("cls", "ctx", "saved_in", "saved_out")

    def __init__(self, cls, ctx, saved_in, saved_out):
        self.cls, self.ctx = cls, ctx
        self.saved_in, self.saved_out = saved_in, saved_out

    def saved_arrays(self) -> list:
        """The arrays behind what forward saved (checked against in-place changes)."""
        return [t._data for t in self.saved_in.values() if is_tensor(t)] + \
            [d for d, _ in self.saved_out.values()]

    def output(self, st, k):
        data, fw = self.saved_out[k]
        if state.grad_enabled:  # the backward is recorded: keep the output in the graph
            return reconnect(st, k, data, fw)
        t = wrap(data)
        if fw:
            t._fw = fw
        return t

    def __call__(self, st, grads, tensor_mode):
        ctx = self.ctx
        ctx._bind = (self.saved_in, functools.partial(self.output, st))
        try:
            res = self.cls.backward(ctx, *grads)
        finally:
            ctx._bind = None
        if not isinstance(res, tuple):
            res = (res,)
        n = len(st.inputs)
        if len(res) < n or any(r is not None for r in res[n:]):
            raise RuntimeError(f"function {st.prim.name} returned an incorrect number of "
                               f"gradients (expected {n}, got {len(res)}): backward returns one "
                               f"gradient per argument of forward (None for non-tensors)")
        return res


def _top_level(args):
    level = 0
    for a in args:
        fw = tangents_of(a) if is_tensor(a) else None
        if fw:
            level = max(level, max(fw))
    return level


def _apply(cls, args, kwargs):
    """(result, ctx, backward runner or None), handling forward levels from the top down."""
    if dispatch.fw_levels:
        level = _top_level(args)
        if level:
            return _apply_dual(cls, args, kwargs, level)
    return _apply_plain(cls, args, kwargs)


def _apply_plain(cls, args, kwargs):
    ctx = FunctionCtx(cls.__name__)
    grad_on = state.grad_enabled
    ctx.needs_input_grad = tuple(
        bool(grad_on and is_tensor(a) and a._edge is not None) for a in args)
    with no_grad():
        res = cls.forward(ctx, *args, **kwargs)
    single = not isinstance(res, tuple)
    outs = (res,) if single else tuple(res)
    dirty = _check_dirty(cls, ctx, args, outs, grad_on)
    entries = _resolve_saved(ctx, args, outs)
    ctx._saved = entries
    fb = None
    if any(ctx.needs_input_grad):
        nondiff = {k for k, o in enumerate(outs) if any(o is m for m in ctx._non_diff)}
        fb = _FunctionBackward(
            cls, ctx, {e[1]: args[e[1]] for e in entries if e[0] == "in"},
            {e[1]: (outs[e[1]]._data, None) for e in entries if e[0] == "out"})
        new, st = connect(f"{cls.__name__}Backward", args, outs, fb, nondiff=nondiff,
                          materialize=ctx.materialize_grads)
        if st is None:
            fb = None
        outs = _settle_dirty(outs, new, dirty)
    return (outs[0] if single else outs), ctx, fb


def _check_dirty(cls, ctx, args, outs, grad_on):
    """The output positions of the inputs that ``forward`` marked dirty (changed in place)."""
    positions = []
    for d in ctx._dirty:
        if not any(d is a for a in args):
            raise RuntimeError(f"{cls.__name__}: ctx.mark_dirty got a tensor that is not an "
                               f"input of forward; only inputs can be marked dirty")
        k = next((k for k, o in enumerate(outs) if o is d), None)
        if k is None:
            raise RuntimeError(f"{cls.__name__}: an input marked dirty with ctx.mark_dirty must "
                               f"also be returned by forward (as PyTorch requires)")
        e = d._edge
        if grad_on and e is not None and type(e[0]).__name__ == "AccumulateGrad":
            raise RuntimeError(
                f"{cls.__name__}: a leaf tensor that requires grad (shape {d._data.shape}) was "
                f"changed in place (ctx.mark_dirty); apply the function to a clone, or call it "
                f"under chainrule.no_grad()")
        inplace.bump(d._data, cls.__name__)  # as PyTorch does, on top of forward's own change
        positions.append(k)
    ctx._dirty = ()
    return positions


def _settle_dirty(outs, new, dirty):
    """A dirty input is returned as itself, taking over its new output's graph (and the graph
    of its base, if it is a view)."""
    if not dirty:
        return new
    new = list(new)
    for k in dirty:
        inplace.rebase(outs[k], new[k])
        new[k] = outs[k]
    return tuple(new)


def _apply_dual(cls, args, kwargs, level):
    if cls.jvp is Function.jvp:
        raise RuntimeError(
            f"{cls.__name__}: an input carries a forward-mode tangent (jvp, jacfwd, hessian or "
            f"forward_ad), but {cls.__name__} defines no jvp; add a staticmethod "
            f"jvp(ctx, *tangents) that returns the tangent of each output")
    primals, tangents = [], []
    for a in args:
        p, t = split_level(a, level)
        if t is None and is_tensor(a):
            t = wrap(np.zeros_like(a._data))
        primals.append(p)
        tangents.append(t)
    res, ctx, fb = _apply(cls, tuple(primals), kwargs)
    single = not isinstance(res, tuple)
    outs = (res,) if single else res
    ctx._bind = (dict(enumerate(primals)), lambda k: outs[k])
    try:
        tres = cls.jvp(ctx, *tangents)
    finally:
        ctx._bind = None
    if not isinstance(tres, tuple):
        tres = (tres,)
    if len(tres) != len(outs):
        raise RuntimeError(f"{cls.__name__}.jvp returned {len(tres)} tangent(s) for "
                           f"{len(outs)} output(s) of forward")
    new = []
    for o, t in zip(outs, tres):
        if is_tensor(o) and t is not None and not any(o is m for m in ctx._non_diff) and \
                np.issubdtype(o._data.dtype, np.inexact):
            o = with_tangent(o, level, t)
        new.append(o)
    if fb is not None:
        # Reverse mode later runs backward on the saved values: make them the dual tensors, so
        # that tangents flow through the backward too (forward over reverse, e.g. hessian).
        fb.saved_in = {i: args[i] for i in fb.saved_in}
        fb.saved_out = {k: (new[k]._data, getattr(new[k], "_fw", None)) for k in fb.saved_out}
    new = tuple(new)
    return (new[0] if single else new), ctx, fb


class Function:
    """A differentiable operation with a hand-written derivative, as in PyTorch::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                y = chainrule.exp(x)
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return grad * y

            @staticmethod
            def jvp(ctx, tangent):  # optional: forward mode
                (y,) = ctx.saved_tensors
                return tangent * y

        y = Exp.apply(x)

    ``forward`` runs under ``no_grad``; ``backward`` gets one gradient per output and returns
    one per argument of ``forward`` (None where there is none). A backward written with
    chainrule operations can itself be differentiated (``create_graph=True``).
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define a staticmethod forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define a staticmethod backward")

    @staticmethod
    def jvp(ctx, *tangents):
        raise NotImplementedError  # replaced by subclasses that support forward mode

    def __init__(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__}: call {type(self).__name__}.apply(...); "
                           f"Function classes are not instantiated")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the arguments and record the custom node."""
        return _apply(cls, args, kwargs)[0]


def once_differentiable(backward):
    """Decorate a ``backward`` that is not written with differentiable operations (it may use
    NumPy on ``._data``, say). It runs under ``no_grad``; differentiating its result again
    (double backward) raises an error that names the Function."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            res = backward(ctx, *grads)
        if not state.grad_enabled:
            return res
        edges = tuple(t._edge for t in tuple(grads) + tuple(ctx.saved_tensors)
                      if is_tensor(t) and t._edge is not None)
        if not edges:
            return res
        name = ctx._name
        node = CustomNode(_CustomPrim(f"{name}Backward (once_differentiable)",
                                      per_input(functools.partial(_twice_error, name))),
                          edges, ())
        single = not isinstance(res, tuple)
        out = []
        for r in ((res,) if single else res):
            if r is not None:
                r = wrap(r._data if is_tensor(r) else np.asarray(r), (node, 0))
            out.append(r)
        return out[0] if single else tuple(out)

    return wrapper


def _twice_error(name, i, g, *saved):
    raise RuntimeError(
        f"{name}: trying to differentiate twice a Function whose backward is marked "
        f"@once_differentiable. Write its backward with chainrule operations and remove the "
        f"decorator to get higher derivatives.")
