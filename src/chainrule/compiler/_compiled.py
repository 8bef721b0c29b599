"""``compile(f)``: trace once per input signature, then run the generated straight-line code.

How a call runs (``Compiled.__call__``):

1. The arguments are flattened; arrays and tensors are the dynamic leaves, everything else (and
   the arguments named by ``static_argnums`` / ``static_argnames``) is static. The signature
   (the containers' structure, each dynamic leaf's shape and dtype, each static value) selects
   a cache entry (an array and a tensor share one: only the results' type differs); a new
   signature traces ``f`` again (up to ``cache_size`` entries, then ``f`` runs eagerly with a
   warning).
2. Tracing calls ``f`` on traced tensors and records every primitive (autograd/tracing.py).
   Tensors that ``f`` reads from its closure (a module's parameters, a global tensor) become
   implicit inputs: their current values are read at every call, and their shapes and dtypes
   are checked (a change traces again).
3. With no derivative to record, the generated forward program runs on the arrays.
4. When an input requires grad (or an implicit input does: a parameter), the function and its
   backward pass are traced together once for that set of inputs, split into a forward program
   (which also returns the residuals the backward needs) and a backward program, and the call
   records one node whose rule runs the backward program. A backward pass that is itself
   recorded (``create_graph``: second derivatives) runs a compiled function of the inputs and
   cotangents, traced from the same rules, so derivatives of every order are compiled.
5. Inputs that carry forward-mode tangents (``jvp``, ``jacfwd``) run the traced program
   operation by operation through the primitives, which is exact to every order.
"""

from __future__ import annotations

import gc
import time
import warnings

import numpy as np

from .._pytree import flatten, unflatten
from ..autograd import dispatch, tracing
from ..autograd.api import grad as _autograd_grad
from ..autograd.dispatch import is_tensor, tangents_of, wrap
from ..autograd.function import connect
from ..autograd.grad_mode import enable_grad, no_grad, state, transform_scope
from ..autograd.tracing import Trace, Var
from ..primitives._core import apply, data_of
from . import _codegen
from ._program import Program, map_params, optimize, split

_ndarray = np.ndarray


class _Static:
    """A static argument's place in the flattened arguments."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _td_key(td):
    return (td.kind, td.meta, tuple(_td_key(c) for c in td.children))


def _dynamic(x) -> bool:
    return is_tensor(x) or isinstance(x, (np.ndarray, np.generic))


def _hashable(x, where):
    try:
        hash(x)
    except TypeError:
        raise TypeError(
            f"compile: {where} is a {type(x).__name__}, which is neither an array nor hashable, "
            f"so it cannot be part of the signature that selects a trace. Pass arrays as "
            f"arrays, or make the argument hashable (a tuple instead of a list)") from None
    return x


class _Program:
    """A generated program and the implicit tensors whose data it reads after the leaves."""

    __slots__ = ("prog", "code", "implicit")

    def __init__(self, prog, code, implicit):
        self.prog, self.code, self.implicit = prog, code, implicit

    def run(self, datas):
        return self.code.fn(*datas, *[t._data for t in self.implicit])


class _Entry:
    """One traced signature: the forward program and its derivative programs, built on demand."""

    __slots__ = ("fwd", "out_td", "out_kinds", "implicit", "meta", "grads", "stats", "single")

    def __init__(self, fwd, out_td, out_kinds, implicit, stats):
        self.fwd, self.out_td, self.out_kinds = fwd, out_td, out_kinds
        # one NumPy array out: returned without rebuilding a container
        self.single = out_td.kind == "leaf" and out_kinds == ["value"]
        self.implicit = implicit
        self.meta = [(t._data.shape, t._data.dtype) for t in implicit]
        self.grads = {}  # positions of the inputs that require grad -> _Backward
        self.stats = stats

    def current(self) -> bool:
        """The implicit inputs still have their traced shapes and dtypes."""
        for t, (s, d) in zip(self.implicit, self.meta):
            data = t._data
            if data.shape != s or data.dtype != d:
                return False
        return True


class _Backward:
    """The joint trace of a function and its backward pass, split into two programs."""

    __slots__ = ("fwd", "bwd", "n_out", "ct_pos", "joint", "higher")

    def __init__(self, fwd, bwd, n_out, ct_pos, joint):
        self.fwd, self.bwd, self.n_out, self.ct_pos, self.joint = fwd, bwd, n_out, ct_pos, joint
        self.higher = None


class _paused_gc:
    """Tracing makes many small objects that live until the program is built: the garbage
    collector's passes over them are wasted (a third of the 1,000-operation chain's trace)."""

    def __enter__(self):
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was:
            gc.enable()


def _interpret(prog: Program, values):
    """Run ``prog`` operation by operation through the primitives (tensors record)."""
    env = dict(zip(prog.inputs, values))
    for e in prog.eqns:
        args = tuple(env[a] if type(a) is Var else a.value for a in e.args)
        params = map_params(e.params, lambda v: data_of(env[v])) if e.params else ()
        env[e.out] = apply(e.prim, args, params)
    return [env[o] if type(o) is Var else o.value for o in prog.outputs]


class Compiled:
    """A compiled function (see the module docstring). ``source`` shows the generated code."""

    def __init__(self, fn, *, static_argnums=(), static_argnames=(), backend="numpy",
                 cache_size=64, key=None, name=None):
        if not callable(fn):
            raise TypeError(f"compile: expected a function or a Module, got "
                            f"{type(fn).__name__}")
        self.fn = fn
        nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        self.static_argnums = frozenset(nums)
        names = (static_argnames,) if isinstance(static_argnames, str) else \
            tuple(static_argnames)
        self.static_argnames = frozenset(names)
        if backend not in ("numpy", "numba"):
            raise ValueError(f"compile: backend must be 'numpy' or 'numba', got {backend!r}")
        if backend == "numba":
            from ._numba import generate as _gen  # noqa: F401 - fails early without Numba
        self.backend = backend
        self.cache_size = int(cache_size)
        self._key = key
        self.__name__ = name or getattr(fn, "__name__", type(fn).__name__)
        self.__doc__ = getattr(fn, "__doc__", None)
        self._cache: dict = {}
        self._fast: dict = {}  # (shape, dtype, ...) of NumPy positional arguments -> entry
        self._plain = not (self.static_argnums or self.static_argnames or key is not None)
        self._last = None
        self._warned = False
        self.traces = 0  # how many times the function was traced
        self.tensor_face = False  # results are tensors whatever the inputs (a Module)

    # --- signature -----------------------------------------------------------------------------
    def _split_args(self, args, kwargs):
        args = tuple(_Static(_hashable(a, f"static argument {i}"))
                     if i in self.static_argnums else a for i, a in enumerate(args))
        kwargs = {k: (_Static(_hashable(v, f"static argument {k!r}"))
                      if k in self.static_argnames else v) for k, v in sorted(kwargs.items())}
        leaves, td = flatten((args, kwargs))
        spec = []
        dyn = []
        for i, x in enumerate(leaves):
            if type(x) is _Static:
                spec.append(("s", type(x.value), x.value))
            elif _dynamic(x):
                d = x._data if is_tensor(x) else np.asarray(x)
                spec.append((d.shape, d.dtype))  # array or tensor: the same program
                dyn.append(i)
            else:
                spec.append(("s", type(x), _hashable(x, f"argument leaf {i}")))
        key = (_td_key(td), tuple(spec))
        if self._key is not None:
            key = (self._key(), key)
        return key, td, leaves, dyn

    # --- calling -------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if dispatch._tracing and tracing.active() is not None:
            # inside another trace (compile of a compiled function, vmap of one): f's
            # operations join that trace
            return self.fn(*args, **kwargs)
        if not kwargs and self._plain:
            # the common case, NumPy arrays in: a flat key and no autograd to consider
            key = []
            for a in args:
                if type(a) is not _ndarray:
                    break
                key.append(a.shape)
                key.append(a.dtype)
            else:
                entry = self._fast.get(tuple(key))
                if entry is not None:
                    self._last = entry
                    return self._outputs(entry, entry.fwd.code.fn(*args), False, False)
        key, td, leaves, dyn = self._split_args(args, kwargs)
        entry = self._cache.get(key)
        if entry is None or not entry.current():
            entry = self._trace(key, td, leaves, dyn)
            if entry is None:
                return self.fn(*args, **kwargs)
            if (not kwargs and self._plain and not entry.implicit
                    and all(type(a) is _ndarray for a in args)):
                self._fast[tuple(x for a in args for x in (a.shape, a.dtype))] = entry
        self._last = entry
        inputs = [leaves[i] for i in dyn]
        fw = False
        grad_on = state.grad_enabled
        needs = []
        for k, x in enumerate(inputs + entry.implicit):
            if is_tensor(x):
                if tangents_of(x):
                    fw = True
                    break
                if grad_on and x._edge is not None and x._data.dtype.kind in "fc":
                    needs.append(k)
        as_tensor = self.tensor_face or any(is_tensor(x) for x in inputs)
        if fw:
            outs = _interpret(entry.fwd.prog, [x if is_tensor(x) else np.asarray(x)
                                               for x in inputs] + entry.implicit)
            return self._outputs(entry, outs, as_tensor, True)
        datas = [x._data if is_tensor(x) else np.asarray(x) for x in inputs]
        if needs:
            return self._reverse(entry, td, leaves, dyn, inputs, datas, tuple(needs),
                                 as_tensor)
        return self._outputs(entry, entry.fwd.run(datas), as_tensor, False)

    def _outputs(self, entry, values, as_tensor, keep_tensors):
        """The results in ``f``'s structure: tensors when an input was one (or for a module),
        else NumPy arrays, except tensors that carry a derivative (``keep_tensors``)."""
        if entry.single and not (keep_tensors or as_tensor):
            v = values[0]
            return v[()] if v.ndim == 0 else v
        out = []
        it = iter(values)
        for kind in entry.out_kinds:
            if type(kind) is _Static:
                out.append(kind.value)
                continue
            v = next(it)
            if kind == "value" and as_tensor:
                out.append(v if is_tensor(v) else wrap(np.asarray(v)))
            elif is_tensor(v) and keep_tensors:
                out.append(v)
            else:
                v = v._data if is_tensor(v) else np.asarray(v)
                out.append(v[()] if v.ndim == 0 else v)
        return unflatten(entry.out_td, out)

    # --- tracing -------------------------------------------------------------------------------
    def _traced_args(self, tr, td, leaves, dyn, grad_positions=()):
        leaves = list(leaves)
        vars_, traced = [], []
        for k, i in enumerate(dyn):
            x = leaves[i]
            data = x._data if is_tensor(x) else np.asarray(x)
            arr, v = tr.input(data)
            t = wrap(arr)
            if k in grad_positions:
                t.requires_grad_()
            leaves[i] = t
            vars_.append(v)
            traced.append(t)
        leaves = [x.value if type(x) is _Static else x for x in leaves]
        args, kwargs = unflatten(td, leaves)
        return args, kwargs, vars_, traced

    def _trace(self, key, td, leaves, dyn):
        if len(self._cache) >= self.cache_size and key not in self._cache:
            if not self._warned:
                self._warned = True
                warnings.warn(
                    f"compile({self.__name__}): {self.cache_size} input signatures traced "
                    f"(cache_size); further new signatures run eagerly. Make varying Python "
                    f"numbers arrays, or raise cache_size.", RuntimeWarning, stacklevel=3)
            return None
        t0 = time.perf_counter()
        tr = Trace()
        with _paused_gc(), tr, no_grad(), transform_scope():
            args, kwargs, in_vars, _ = self._traced_args(tr, td, leaves, dyn)
            out = self.fn(*args, **kwargs)
            o_leaves, o_td = flatten(out)
            kinds, outs = self._out_kinds(tr, o_leaves, leaves, dyn)
        implicit = list(tr.implicit)
        prog = Program(in_vars + list(tr.implicit_vars), tr.eqns, outs)
        n_traced = len(prog)
        t1 = time.perf_counter()
        with _paused_gc():
            prog = optimize(prog)
            code = self._generate(prog, "forward")
        t2 = time.perf_counter()
        stats = {"trace_s": t1 - t0, "codegen_s": t2 - t1, "traced_ops": n_traced,
                 "ops": len(prog)}
        entry = _Entry(_Program(prog, code, implicit), o_td, kinds, implicit, stats)
        self._cache[key] = entry
        self.traces += 1
        return entry

    def _out_kinds(self, tr, o_leaves, leaves, dyn):
        # "value": a traced result (a tensor or an array by the call's inputs, _outputs);
        # "array": a NumPy array that f returned
        kinds, outs = [], []
        for o in o_leaves:
            if is_tensor(o) or isinstance(o, np.ndarray):
                outs.append(tr.value(o))
                kinds.append("value" if is_tensor(o) else "array")
            else:
                kinds.append(_Static(o))
        return kinds, outs

    def _generate(self, prog, what):
        if self.backend == "numba":
            from ._numba import generate
            return generate(prog, _ident(f"{self.__name__}_{what}"))
        return _codegen.generate(prog, _ident(f"{self.__name__}_{what}"))

    # --- reverse mode --------------------------------------------------------------------------
    def _joint(self, entry, td, leaves, dyn, needs):
        """Trace ``f`` and its backward pass for the inputs at ``needs``; split it."""
        n_dyn = len(dyn)
        t0 = time.perf_counter()
        tr = Trace()
        with _paused_gc(), tr, enable_grad(), transform_scope():
            dyn_pos = [k for k in needs if k < n_dyn]
            args, kwargs, in_vars, traced = self._traced_args(tr, td, leaves, dyn, dyn_pos)
            out = self.fn(*args, **kwargs)
            o_leaves, _ = flatten(out)
            kinds, outs = self._out_kinds(tr, o_leaves, leaves, dyn)
            targets = []
            for k in needs:
                if k < n_dyn:
                    targets.append(traced[k])
                else:
                    targets.append(entry.implicit[k - n_dyn])
            diff_outs, ct_pos, ct_vars, cts = [], [], [], []
            tensors = [o for o in o_leaves if is_tensor(o) or isinstance(o, np.ndarray)]
            for j, o in enumerate(tensors):
                if is_tensor(o) and o._edge is not None and o._data.dtype.kind in "fc":
                    arr, v = tr.input(np.zeros_like(o._data))
                    diff_outs.append(o)
                    cts.append(wrap(arr))
                    ct_vars.append(v)
                    ct_pos.append(j)
            gs = _autograd_grad(diff_outs, targets, cts, allow_unused=True) if diff_outs \
                else [None] * len(targets)
            # an input the outputs do not depend on gets zeros: a constant of the program
            g_vals = [tr.value(g if g is not None else tr.constant(np.zeros_like(t._data)))
                      for g, t in zip(gs, targets)]
        implicit = list(tr.implicit)
        inputs = in_vars + list(tr.implicit_vars)
        t1 = time.perf_counter()
        with _paused_gc():
            joint = optimize(Program(inputs + ct_vars, tr.eqns, outs + g_vals))
            fwd, bwd, residuals = split(joint, len(outs), ct_vars)
            fwd = optimize(fwd)
            bwd = optimize(bwd)
            fwd_p = _Program(fwd, self._generate(fwd, "forward_with_residuals"), implicit)
            bwd_p = _Program(bwd, self._generate(bwd, "backward"), [])
        entry.stats.update({"backward_trace_s": t1 - t0,
                            "backward_codegen_s": time.perf_counter() - t1,
                            "backward_traced_ops": len(tr.eqns), "backward_ops": len(bwd),
                            "residuals": len(residuals)})
        return _Backward(fwd_p, bwd_p, len(outs), ct_pos,
                         (Program(inputs + ct_vars, joint.eqns, joint.outputs[len(outs):]),
                          implicit))

    def _reverse(self, entry, td, leaves, dyn, inputs, datas, needs, as_tensor):
        bw = entry.grads.get(needs)
        if bw is None:
            bw = entry.grads[needs] = self._joint(entry, td, leaves, dyn, needs)
        res = bw.fwd.run(datas)
        values = list(res[:bw.n_out])
        residuals = res[bw.n_out:]
        everything = inputs + entry.implicit
        diff_inputs = [everything[k] for k in needs]
        outs = [wrap(np.asarray(values[j])) for j in bw.ct_pos]
        compiled = self

        def run(st, grads, tensor_mode):
            if not tensor_mode:
                return list(bw.bwd.run(list(residuals) + [np.asarray(g) for g in grads]))
            return compiled._higher(bw, inputs, grads)

        new, _ = connect(f"Compiled[{self.__name__}]Backward", diff_inputs, outs, run)
        for j, t in zip(bw.ct_pos, new):
            values[j] = t
        return self._outputs(entry, values, as_tensor, True)

    def _higher(self, bw, inputs, grads):
        """The backward pass as a compiled function of the inputs and cotangents, called on
        tensors, so that it records its own (compiled) derivative."""
        prog, implicit = bw.joint
        if bw.higher is None:
            def backward(*values):
                return tuple(_interpret(prog, list(values)))
            bw.higher = Compiled(backward, backend=self.backend,
                                 name=f"{self.__name__}_backward")
        values = list(inputs) + list(implicit)
        return list(bw.higher(*values, *grads))

    # --- what it shows -------------------------------------------------------------------------
    @property
    def source(self) -> str:
        """The generated code of the latest call's signature: the forward program and, once a
        derivative was taken, the forward program with residuals and the backward program."""
        e = self._last
        if e is None:
            raise RuntimeError(f"compile({self.__name__}): not traced yet; call it once first")
        parts = [e.fwd.code.text]
        for bw in e.grads.values():
            parts += [bw.fwd.code.text, bw.bwd.code.text]
        return "\n".join(parts)

    @property
    def stats(self) -> dict:
        """Tracing and code generation of the latest call's signature: seconds and operation
        counts (traced, and after optimisation), with ``backward_*`` once a derivative was
        taken."""
        e = self._last
        return dict(e.stats) if e is not None else {}

    def __repr__(self):
        return f"<chainrule.compile of {self.__name__}: {len(self._cache)} trace(s)>"


def _ident(name: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out and not out[0].isdigit() else "f_" + out


__all__ = ["Compiled"]
