"""``vmap``: a function of one example, run on a batch.

``vmap(f)`` traces ``f`` once on one example (autograd/tracing.py, as ``compile`` does) and
evaluates the traced program on the whole batch: each equation whose arguments carry the batch
(at axis 0, always) runs by its primitive's batching rule, the others as they are. The rules:

- elementwise primitives: the batched operands are given singleton axes after the batch axis so
  that NumPy's broadcasting aligns each example with the unbatched operands;
- primitives whose kernels treat leading axes as a stack (reductions and scans with negative
  axes, indexing with ``nd``, ``pad``, the factorisations of linear algebra, ...: the same
  property the chunked Jacobians rely on, docs/architecture.md "Batch axes") run as they are;
  with several array operands, the unbatched ones are broadcast to the batch first;
- ``reshape``, ``broadcast_to``, ``permute`` and ``matmul`` adjust their parameters or operands;
- any other primitive runs once per example and the results are stacked, with one warning that
  names it.

Because the evaluation applies the primitives (to tensors when given tensors), it is
differentiable in both modes and to any order: ``grad(vmap(f))``, ``jvp(vmap(f))``; and
``vmap(grad(f))`` batches the traced gradient program. A function whose Python control flow
depends on a batched value (or that draws random numbers, with ``randomness="different"``)
cannot be traced: it runs once per example, with one warning per call site.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from .._pytree import flatten, unflatten
from ..autograd.dispatch import is_tensor, tangents_of, wrap
from ..autograd.grad_mode import no_grad, state, transform_scope
from ..autograd.tracing import Trace, TracingError, Var, user_line
from ..ops.random import default_generator
from ..primitives._core import STACKED, apply, data_of
from ..primitives.shape import (
    batch_align,
    batch_broadcast,
    concatenate,
    getitem,
    permute,
    reshape,
)
from ._compiled import _paused_gc, _td_key
from ._program import Program, map_params, optimize, param_vars

__all__ = ["vmap"]

def _per_example_ndim(v, batched):
    return np.ndim(data_of(v)) - (1 if batched else 0)


class _Fallback:
    """Primitives without a batching rule, warned about once per vmap call site."""

    def __init__(self):
        self.warned = set()

    def warn(self, what, site):
        if (what, site) not in self.warned:
            self.warned.add((what, site))
            warnings.warn(f"vmap: {what} has no batching rule; it runs once per example (a "
                          f"Python loop over the batch) at {site}", RuntimeWarning, stacklevel=4)


_fallback = _Fallback()


def _loop(e, vals, bat, params_at, B, site):
    """A primitive without a batching rule: once per example (``params_at(b)``: example b's
    parameters), the results stacked."""
    _fallback.warn(e.prim.name, site)
    return _stack([apply(e.prim, tuple(getitem(v, b) if s else v for v, s in zip(vals, bat)),
                         params_at(b)) for b in range(B)])


def _stack(outs):
    shape = np.shape(data_of(outs[0]))
    return concatenate([reshape(o, (1,) + shape) for o in outs], 0)


def _batched(e, vals, bat, params, B, site, pbat=False, params_at=None):
    """Equation ``e`` on the batch: ``bat`` marks the operands that carry it (at axis 0),
    ``pbat`` whether a parameter does (a traced index). The primitive's own rule
    (``Primitive.batch``), the elementwise alignment, or once per example."""
    prim = e.prim
    rule = prim.batch
    if rule is None and (prim.elementwise or isinstance(prim.impl, np.ufunc)):
        rank = max(_per_example_ndim(v, s) for v, s in zip(vals, bat))
        return apply(prim, tuple(batch_align(v, rank) if s else v
                                 for v, s in zip(vals, bat)), params)
    if rule is STACKED and not pbat:
        if len(vals) > 1:  # the kernel stacks: every array operand carries the batch, and
            # operands of two or more axes per example get the same number of stack axes
            vals = [v if s or not hasattr(data_of(v), "shape") else batch_broadcast(v, B)
                    for v, s in zip(vals, bat)]
            ranks = [_per_example_ndim(v, True) for v in vals]
            if len(set(ranks)) > 1 and min(ranks) >= 2:
                vals = [batch_align(v, max(ranks)) for v in vals]
        return apply(prim, tuple(vals), params)
    if rule is not None and rule is not STACKED:
        return rule(tuple(vals), tuple(bat), params, B, pbat)
    return _loop(e, vals, bat, params_at if pbat else (lambda b: params), B, site)


def _params_at(params, env, pb, b):
    """Example ``b``'s parameters: the batched traced ones (``pb``) sliced."""
    return map_params(params, lambda v: data_of(env[v])[b] if v in pb else data_of(env[v]))


def _run(prog: Program, values, batched, B, site):
    """Evaluate ``prog`` on the batch: ``values`` for its inputs, ``batched`` the Vars whose
    values carry the batch at axis 0. Returns the outputs and which of them are batched."""
    env = dict(zip(prog.inputs, values))
    bat = set(batched)
    for e in prog.eqns:
        vals = tuple(env[a] if type(a) is Var else a.value for a in e.args)
        flags = tuple(type(a) is Var and a in bat for a in e.args)
        params = map_params(e.params, lambda v: data_of(env[v])) if e.params else ()
        pb = {v for v in param_vars(e.params) if v in bat}  # traced indices with the batch
        if pb or any(flags):
            out = _batched(e, vals, flags, params, B, site, bool(pb),
                           functools.partial(_params_at, e.params, env, pb))
        else:
            out = apply(e.prim, vals, params)
            env[e.out] = out
            continue
        env[e.out] = out
        bat.add(e.out)
    outs = [env[o] if type(o) is Var else o.value for o in prog.outputs]
    return outs, [type(o) is Var and o in bat for o in prog.outputs]


# --- the public function --------------------------------------------------------------------------
def _axes_for(in_axes, args):
    """Per positional argument, its in_axes entry (an int, None, or a pytree of them)."""
    if isinstance(in_axes, (int, type(None))):
        return [in_axes] * len(args)
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not isinstance(in_axes, tuple) or len(in_axes) != len(args):
        raise ValueError(f"vmap: in_axes must be an int, None, or a tuple with one entry per "
                         f"positional argument ({len(args)}), got {in_axes!r}")
    return list(in_axes)


def _leaf_axes(spec, arg, k):
    """The in_axes of each leaf of argument ``k``."""
    leaves, td = flatten(arg)
    if isinstance(spec, (int, type(None))):
        return [spec] * len(leaves)
    s_leaves, s_td = flatten(spec)
    if len(s_leaves) != len(leaves):
        raise ValueError(f"vmap: in_axes for argument {k} has {len(s_leaves)} leaves but the "
                         f"argument has {len(leaves)}; give one axis (or None) per leaf, or "
                         f"one for the whole argument")
    return s_leaves


def _move_to_front(x, axis, k):
    d = data_of(x)
    nd = np.ndim(d)
    if not -nd <= axis < nd:
        raise ValueError(f"vmap: in_axes {axis} is out of range for argument {k} of shape "
                         f"{np.shape(d)}")
    a = axis % nd
    if a == 0:
        return x if is_tensor(x) else np.asarray(x)
    if is_tensor(x):
        return permute(x, (a,) + tuple(i for i in range(nd) if i != a))
    return np.moveaxis(np.asarray(x), a, 0)


def _move_out(v, axis, batched, B, k):
    if axis is None:
        if batched:
            raise ValueError(f"vmap: out_axes is None for output {k}, but it depends on the "
                             f"batch; give it an axis")
        return v
    if not batched:
        v = batch_broadcast(v, B)
    nd = np.ndim(data_of(v))
    if not -nd <= axis < nd:
        raise ValueError(f"vmap: out_axes {axis} is out of range for output {k} with "
                         f"{nd} dimensions")
    a = axis % nd
    if a == 0:
        return v
    order = list(range(1, nd))
    order.insert(a, 0)
    return permute(v, tuple(order)) if is_tensor(v) else np.transpose(v, order)


class _Vmapped:
    """``vmap(f)``; see the module docstring."""

    def __init__(self, f, in_axes, out_axes, randomness, chunk_size):
        if randomness not in ("error", "different", "same"):
            raise ValueError(f"vmap: randomness must be 'error', 'different' or 'same', got "
                             f"{randomness!r}")
        if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
            raise ValueError(f"vmap: chunk_size must be a positive int or None, got "
                             f"{chunk_size!r}")
        self.f, self.in_axes, self.out_axes = f, in_axes, out_axes
        self.randomness, self.chunk_size = randomness, chunk_size
        self._programs: dict = {}
        self.__name__ = f"vmap({getattr(f, '__name__', 'f')})"

    def __call__(self, *args, **kwargs):
        site = user_line()
        self._tensor_in = any(is_tensor(x) for x in flatten((args, kwargs))[0])
        specs = _axes_for(self.in_axes, args)
        moved, axes, B = [], [], None
        for k, (a, spec) in enumerate(zip(args, specs)):
            leaves, td = flatten(a)
            la = _leaf_axes(spec, a, k)
            new = []
            for x, ax in zip(leaves, la):
                if ax is None:
                    new.append(x)
                    continue
                if not (is_tensor(x) or isinstance(x, (np.ndarray, np.generic))):
                    raise TypeError(f"vmap: argument {k} has a leaf of type "
                                    f"{type(x).__name__} with in_axes {ax}; only arrays and "
                                    f"tensors can be batched (give it in_axes None)")
                x = _move_to_front(x, ax, k)
                n = np.shape(data_of(x))[0]
                if B is None:
                    B = n
                elif n != B:
                    raise ValueError(f"vmap: the batched inputs have different sizes along "
                                     f"their in_axes ({B} and {n}, argument {k}); they must "
                                     f"agree")
                new.append(x)
            moved.append(unflatten(td, new))
            axes.append(la)
        if B is None:
            raise ValueError("vmap: no input is batched (every in_axes is None); give at "
                             "least one array argument an axis")
        if B == 0:
            raise ValueError("vmap: the batch is empty (size 0 along in_axes): vmap traces "
                             "one example to learn the function, and there is none")
        if self.chunk_size is None or self.chunk_size >= B:
            return self._call(moved, axes, kwargs, B, site)
        # chunk by chunk; results that carry no derivative are written into one array as
        # they come (the chunks' own results are freed), the others are concatenated
        outs = td = bat = None
        for s in range(0, B, self.chunk_size):
            e = min(B, s + self.chunk_size)
            chunk = [self._slice(a, la, s, e) for a, la in zip(moved, axes)]
            res, td, bat = self._call(chunk, axes, kwargs, e - s, site, raw=True)
            leaves = flatten(res)[0]
            if outs is None:
                outs = [self._store(v, B) if b else v for v, b in zip(leaves, bat)]
            for k, (v, b) in enumerate(zip(leaves, bat)):
                if not b:
                    continue
                if type(outs[k]) is list:
                    outs[k].append(v)
                else:
                    outs[k][s:e] = v
        outs = [concatenate(o, 0) if type(o) is list else o for o in outs]
        return self._finish(outs, bat, td, B)

    @staticmethod
    def _store(v, B):
        """Where a batched result's chunks go: an array of the whole batch, or a list of
        tensors to concatenate (a derivative flows through them)."""
        if is_tensor(v) and (v._edge is not None or tangents_of(v)):
            return []
        d = data_of(v)
        return np.empty((B,) + d.shape[1:], d.dtype)

    @staticmethod
    def _slice(arg, la, lo, hi):
        leaves, td = flatten(arg)
        return unflatten(td, [getitem(x, slice(lo, hi)) if ax is not None else x
                              for x, ax in zip(leaves, la)])

    def _call(self, moved, axes, kwargs, B, site, raw=False):
        # the program of one example, traced once per signature
        ex_leaves, td = flatten((tuple(moved), kwargs))
        flat_axes = [ax for la in axes for ax in la]
        flat_axes += [None] * (len(ex_leaves) - len(flat_axes))
        key, dyn = [], []
        for i, (x, ax) in enumerate(zip(ex_leaves, flat_axes)):
            if is_tensor(x) or isinstance(x, (np.ndarray, np.generic)):
                d = data_of(x)
                key.append((ax is not None, np.shape(d)[1:] if ax is not None else np.shape(d),
                            np.asarray(d).dtype if not is_tensor(x) else d.dtype))
                dyn.append(i)
            else:
                try:
                    hash(x)
                except TypeError:
                    x = id(x)
                key.append(("s", type(x), x))
        key = (_td_key(td), tuple(key))
        entry = self._programs.get(key)
        if entry is None:
            entry = self._trace(ex_leaves, td, dyn, flat_axes)
            self._programs[key] = entry
        if entry == "loop":
            outs, out_td = self._per_example(moved, axes, kwargs, B, site)
            bat = [True] * len(outs)
        else:
            prog, out_td, n_dyn = entry
            values = [ex_leaves[i] for i in dyn] + list(prog.implicit)
            batched = [v for i, v in zip(dyn, prog.prog.inputs) if flat_axes[i] is not None]
            outs, bat = _run(prog.prog, values, batched, B, site)
        if raw:
            return unflatten(out_td, outs), out_td, bat
        return self._finish(outs, bat, out_td, B)

    def _finish(self, outs, bat, out_td, B):
        specs = self.out_axes
        if isinstance(specs, (int, type(None))):
            specs = [specs] * len(outs)
        else:
            specs = flatten(specs)[0]
            if len(specs) != len(outs):
                raise ValueError(f"vmap: out_axes has {len(specs)} leaves but the function "
                                 f"returned {len(outs)}")
        res = [_move_out(o, ax, b, B, k) for k, (o, ax, b) in enumerate(zip(outs, specs, bat))]
        if not self._tensor_in:  # NumPy in, NumPy out (unless a derivative flows through)
            res = [_as_array(r) for r in res]
        return unflatten(out_td, res)

    def _trace(self, ex_leaves, td, dyn, flat_axes):
        tr = Trace()
        try:
            with _paused_gc(), tr, no_grad(), transform_scope():
                leaves = list(ex_leaves)
                in_vars = []
                for i in dyn:
                    x = leaves[i]
                    d = data_of(x)
                    d = np.asarray(d)[0] if flat_axes[i] is not None else np.asarray(d)
                    arr, v = tr.input(d)
                    leaves[i] = wrap(arr)
                    in_vars.append(v)
                args, kwargs = unflatten(td, leaves)
                out = self.f(*args, **kwargs)
                o_leaves, out_td = flatten(out)
                outs = [tr.value(o) for o in o_leaves]
        except TracingError as exc:
            if "random numbers" in str(exc) and self.randomness == "error":
                raise TracingError(
                    f"vmap: {getattr(self.f, '__name__', 'the function')} draws random "
                    f"numbers; say what each example gets: vmap(f, randomness='different') "
                    f"(independent draws) or 'same' (one draw for the whole batch)") from None
            return "loop"
        prog = optimize(Program(in_vars + list(tr.implicit_vars), tr.eqns, outs))
        return _Prog(prog, list(tr.implicit)), out_td, len(dyn)

    def _per_example(self, moved, axes, kwargs, B, site):
        """The fallback: ``f`` once per example, results stacked."""
        warnings.warn(f"vmap: {getattr(self.f, '__name__', 'the function')} cannot be traced "
                      f"on one example (Python control flow on a batched value, a conversion, "
                      f"or random numbers under randomness={self.randomness!r}); it runs once "
                      f"per example (a Python loop) at {site}", RuntimeWarning, stacklevel=4)
        state = default_generator.get_state() if self.randomness == "same" else None
        results = []
        for b in range(B):
            if state is not None:
                default_generator.set_state(state)
            ex = [unflatten(flatten(a)[1], [getitem(x, b) if ax is not None else x
                                            for x, ax in zip(flatten(a)[0], la)])
                  for a, la in zip(moved, axes)]
            results.append(flatten(self.f(*ex, **kwargs)))
        out_td = results[0][1]
        outs = [_stack([r[0][k] if is_tensor(r[0][k]) else np.asarray(r[0][k])
                        for r in results]) for k in range(len(results[0][0]))]
        return outs, out_td


def _as_array(v):
    """A tensor that carries no derivative (no graph being recorded, no tangent) as its array."""
    if is_tensor(v) and not (v._edge is not None and state.grad_enabled) and not tangents_of(v):
        return v._data
    return v


class _Prog:
    __slots__ = ("prog", "implicit")

    def __init__(self, prog, implicit):
        self.prog, self.implicit = prog, implicit


def vmap(f, in_axes=0, out_axes=0, randomness: str = "error", chunk_size: int | None = None,
         *, in_dims=None, out_dims=None):
    """``f`` of one example, run on a batch: ``vmap(f)(xs)`` stacks ``f(x)`` for each ``x`` of
    ``xs`` along axis 0 (``in_axes`` / ``out_axes`` choose other axes; None: not batched).

    Also PyTorch's spellings ``in_dims`` / ``out_dims``. ``randomness``: ``"error"`` (random
    draws raise), ``"different"`` or ``"same"`` (torch.func's). ``chunk_size``: at most that
    many examples at a time (peak memory about that share of the whole batch's).
    """
    if in_dims is not None:
        in_axes = in_dims
    if out_dims is not None:
        out_axes = out_dims
    if not callable(f):
        raise TypeError(f"vmap: expected a function, got {type(f).__name__}")
    return _Vmapped(f, in_axes, out_axes, randomness, chunk_size)
