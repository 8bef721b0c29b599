"""Custom derivatives on the functional face, with JAX's names and protocol: ``custom_vjp`` and
``custom_jvp``. Both build on the custom node of ``autograd.function`` (see there)."""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading

import numpy as np

from ._pytree import flatten, unflatten
from .autograd import dispatch
from .autograd.conversion import TracedConversionError
from .autograd.dispatch import is_tensor, split_level, tangents_of, with_tangent, wrap
from .autograd.engine import execute
from .autograd.function import CustomNode, _CustomPrim, connect
from .autograd.grad_mode import enable_grad, no_grad, state
from .functional import _recorded
from .primitives._core import per_input

__all__ = ["custom_jvp", "custom_vjp"]


class _Custom:
    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(sorted(nondiff_argnums))
        try:
            self._sig = inspect.signature(fun)
        except (TypeError, ValueError):
            self._sig = None
        self._inside = threading.local()  # inside its own rule, the function is just ``fun``

    @contextlib.contextmanager
    def _rule(self):
        self._inside.depth = getattr(self._inside, "depth", 0) + 1
        try:
            yield
        finally:
            self._inside.depth -= 1

    def _args(self, args, kwargs):
        if kwargs:
            if self._sig is None:
                raise TypeError(f"{self.__name__}: keyword arguments need a function with a "
                                f"signature")
            b = self._sig.bind(*args, **kwargs)
            b.apply_defaults()
            if b.kwargs:
                raise TypeError(f"{self.__name__}: keyword-only arguments are not supported "
                                f"by custom derivatives; pass them positionally")
            args = b.args
        for a in self.nondiff_argnums:
            if not -len(args) <= a < len(args):
                raise ValueError(f"{self.__name__}: nondiff_argnums {self.nondiff_argnums} is "
                                 f"out of range for {len(args)} argument(s)")
        return tuple(args)

    def _split(self, args):
        """(non-differentiable args, differentiable positions, their flat leaves, trees)."""
        nd = {a % len(args) for a in self.nondiff_argnums}
        nondiff = tuple(args[i] for i in sorted(nd))
        pos = [i for i in range(len(args)) if i not in nd]
        leaves, trees = [], []
        for i in pos:
            lv, td = flatten(args[i])
            leaves.extend(lv)
            trees.append((td, len(lv)))
        return nondiff, pos, leaves, trees

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)


def _rebuild(args, pos, trees, leaves):
    args = list(args)
    k = 0
    for i, (td, n) in zip(pos, trees):
        args[i] = unflatten(td, leaves[k:k + n])
        k += n
    return tuple(args)


def _per_arg(name, res, trees, leaves, what):
    """A tuple of per-argument cotangents -> per-leaf list."""
    if not isinstance(res, (tuple, list)) or len(res) != len(trees):
        got = f"a tuple of length {len(res)}" if isinstance(res, (tuple, list)) else \
            type(res).__name__
        raise TypeError(f"{name}: the {what} must return a tuple with one cotangent per "
                        f"differentiable argument ({len(trees)}), got {got}")
    out = []
    for r, (_td, n) in zip(res, trees):
        if r is None:
            out.extend([None] * n)
            continue
        lv, _ = flatten(r)
        if len(lv) != n:
            raise TypeError(f"{name}: the {what} returned a cotangent with {len(lv)} leaves "
                            f"for an argument with {n}; match the argument's structure")
        out.extend(lv)
    return out


def _live(leaves):
    return state.grad_enabled and any(is_tensor(x) and x._edge is not None for x in leaves)


class custom_vjp(_Custom):
    """A function with a hand-written reverse-mode derivative (``jax.custom_vjp``)::

        @custom_vjp
        def f(x): ...
        def f_fwd(x): return f(x), residuals
        def f_bwd(residuals, g): return (cotangent_of_x,)   # one per argument
        f.defvjp(f_fwd, f_bwd)

    With ``nondiff_argnums``, those arguments come first in ``bwd(*nondiff, res, g)`` and get
    no cotangent. The custom node owns the output's graph however ``fwd`` computed it: with
    chainrule operations, or with plain NumPy as JAX users write it. ``jacrev`` calls ``bwd``
    once per cotangent row.

    ``fwd`` is first called on the inputs as they are, with recording on, so that residuals it
    computes with chainrule operations stay connected to the inputs and the derivative can be
    differentiated again. If it converts a traced input to NumPy (``np.asarray(x)``), it is
    called again on plain values (as JAX calls it): residuals that are the inputs themselves are
    reconnected, and a higher derivative that would need the derivative of another residual
    raises an error instead of leaving it out.

    Forward mode (``jvp``, ``jacfwd``, ``hessian``) differentiates ``fwd`` when it is written
    with chainrule operations; otherwise it transposes ``bwd`` (which is linear in its
    cotangent: J t is the gradient of <bwd(res, u), t> with respect to u), so ``bwd`` must then
    be written with chainrule operations in ``g``.
    """

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd):
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args, **kwargs):
        if self.fwd is None:
            raise AttributeError(f"custom_vjp {self.__name__}: no VJP defined; call "
                                 f"{self.__name__}.defvjp(fwd, bwd) first")
        args = self._args(args, kwargs)
        if getattr(self._inside, "depth", 0):
            return self.fun(*args)
        nondiff, pos, leaves, trees = self._split(args)
        if not (_live(leaves) or _top_level(leaves)):
            return self.fun(*args)
        return self._call(args, nondiff, pos, leaves, trees)[0]

    def _call(self, args, nondiff, pos, leaves, trees, owner=None):
        """``(output, residuals, positions of residual leaves without a derivative)``.

        ``owner`` is given once fwd is known to be NumPy code (forward mode, transposing bwd):
        fwd is then called on plain values and residuals that are inputs become the leaves of
        ``owner`` (the inputs with the tangents of every level), so that the reverse rule sees
        them (forward over reverse)."""
        level = _top_level(leaves)
        if level:
            if owner is None:
                # Forward mode differentiates fwd, unless it is NumPy code.
                try:
                    with self._rule():
                        out, residuals = self._pair(self.fwd(*args))
                except TracedConversionError:
                    out = None
                if out is not None and not any(_is_float(o) and not is_tensor(o)
                                               for o in flatten(out)[0]):
                    if _live(leaves):
                        out = self._connect(out, residuals, (), nondiff, leaves, trees)
                    return out, residuals, ()
            return self._transposed(args, nondiff, pos, leaves, trees, level, owner or leaves)
        if owner is None:
            out, residuals, poisoned = self._run_fwd(args, pos, trees, leaves)
        else:
            out, residuals, poisoned = self._plain_fwd(args, pos, trees, leaves, owner)
        if _live(leaves):
            out = self._connect(out, residuals, poisoned, nondiff, leaves, trees)
        else:
            o_leaves, o_td = flatten(out)
            out = unflatten(o_td, [_as_output(o) for o in o_leaves])
        return out, residuals, poisoned

    def _connect(self, out, residuals, poisoned, nondiff, leaves, trees):
        """The outputs, owned by a custom node whose rule is ``bwd``."""
        o_leaves, o_td = flatten(out)
        o_leaves = [_as_output(o) for o in o_leaves]
        bwd = self.bwd
        name = self.__name__

        def run(st, grads, tensor_mode):
            ct = unflatten(o_td, grads)
            res = residuals
            if poisoned and state.grad_enabled:
                res = _poison(residuals, poisoned, st, name)
            return _per_arg(f"custom_vjp {name}", bwd(*nondiff, res, ct), trees, leaves,
                            "bwd rule")

        new, _ = connect(f"CustomVjp[{name}]Backward", leaves, o_leaves, run)
        return unflatten(o_td, list(new))

    def _pair(self, res):
        if not (isinstance(res, (tuple, list)) and len(res) == 2):
            raise TypeError(f"custom_vjp {self.__name__}: fwd must return a pair (output, "
                            f"residuals)")
        return res

    def _run_fwd(self, args, pos, trees, leaves):
        """fwd on the inputs as they are; on plain values if it is NumPy code."""
        try:
            with self._rule():
                out, residuals = self._pair(self.fwd(*args))
            return out, residuals, ()
        except TracedConversionError:
            pass
        return self._plain_fwd(args, pos, trees, leaves, leaves)

    def _plain_fwd(self, args, pos, trees, leaves, owner):
        """fwd is NumPy code: call it on plain values, as JAX does; residuals that are inputs
        become the matching leaves of ``owner``, the others carry no derivative."""
        plain = [wrap(x._data) if is_tensor(x) else x for x in leaves]
        with self._rule():
            out, residuals = self._pair(self.fwd(*_rebuild(args, pos, trees, plain)))
        # an input returned as a residual is the input itself: it keeps its derivative (and
        # an input that is no tensor has none to lose)
        back = {id(p): x for p, x in zip(plain, owner)}
        r_leaves, r_td = flatten(residuals)
        poisoned = []
        for k, r in enumerate(r_leaves):
            if id(r) in back:
                r_leaves[k] = back[id(r)]
            elif _is_float(r):
                poisoned.append(k)
        return out, unflatten(r_td, r_leaves), tuple(poisoned)

    def _transposed(self, args, nondiff, pos, leaves, trees, level, owner):
        """Forward mode at ``level`` for a fwd written in NumPy: the primal output from the
        levels below, its tangent J t by transposing bwd."""
        name = self.__name__
        p_leaves, t_leaves = [], []
        for x in leaves:
            p, t = split_level(x, level) if is_tensor(x) else (x, None)
            p_leaves.append(p)
            t_leaves.append(t)
        p_args = _rebuild(args, pos, trees, p_leaves)
        out, residuals, poisoned = self._call(p_args, nondiff, pos, p_leaves, trees, owner)
        if poisoned and any(_traced(p) for p in p_leaves):
            raise TracedConversionError(
                f"custom_vjp {name}: forward mode over a derivative of this function (or a "
                f"derivative of its tangent) needs the derivative of a residual that fwd "
                f"computed with NumPy; it has none (fwd converts traced values to NumPy, so it "
                f"is called on plain values). Write fwd with chainrule operations (import "
                f"chainrule.numpy as np), or return the inputs themselves as residuals and "
                f"compute from them in bwd.")
        # bwd at this level: residuals with the tangents of the levels below it only
        r_leaves, r_td = flatten(residuals)
        res = unflatten(r_td, [_below(r, level) for r in r_leaves])
        o_leaves, o_td = flatten(out)
        us = [wrap(np.zeros_like(o._data)).requires_grad_() if _is_float(o) else None
              for o in o_leaves]
        try:
            with enable_grad():
                cts = self.bwd(*nondiff, res, unflatten(o_td, [
                    u if u is not None else o for u, o in zip(us, o_leaves)]))
        except TracedConversionError as e:
            what = e.operation or "a conversion to NumPy"
            raise TracedConversionError(
                f"custom_vjp {name}: forward mode (jvp, jacfwd, hessian, hvp) of a fwd written "
                f"in NumPy transposes bwd, which must then be written with chainrule "
                f"operations in its cotangent g, but bwd converts it to NumPy ({what}). Write "
                f"fwd or bwd with chainrule operations (import chainrule.numpy as np), or "
                f"define the function with custom_jvp") from e
        ct_leaves = _per_arg(f"custom_vjp {name}", cts, trees, leaves, "bwd rule")
        roots, seeds = [], []
        for c, t in zip(ct_leaves, t_leaves):
            if t is not None and is_tensor(c) and c._edge is not None:
                roots.append(c._edge)
                seeds.append(t)
        capture = {}
        for k, u in enumerate(us):
            if u is not None:
                capture.setdefault(u._edge[0], []).append(k)
        got = {}
        if roots:
            rec = any(_recorded(t) for t in t_leaves) or any(_recorded(p) for p in p_leaves)
            got = execute(roots, seeds, retain_graph=False, create_graph=rec, capture=capture,
                          accumulate=False)
        new = []
        for k, o in enumerate(o_leaves):
            if us[k] is not None and is_tensor(o):
                g = got.get(k)
                if g is None:
                    g = wrap(np.zeros(_lead(t_leaves, leaves) + o._data.shape, o._data.dtype))
                o = with_tangent(o, level, g)
            new.append(o)
        return unflatten(o_td, new), residuals, poisoned


def _top_level(leaves) -> int:
    level = 0
    if dispatch.fw_levels:
        for x in leaves:
            fw = tangents_of(x) if is_tensor(x) else None
            if fw:
                level = max(level, max(fw))
    return level


def _below(x, level):
    """``x`` without its tangents at ``level`` and the levels opened after it."""
    fw = tangents_of(x) if is_tensor(x) else None
    if not fw or max(fw) < level:
        return x
    t = wrap(x._data, x._edge)
    rest = {k: v for k, v in fw.items() if k < level}
    if rest:
        t._fw = rest
    return t


def _traced(x) -> bool:
    """Whether some outer derivative flows through ``x``: recorded, or carrying tangents."""
    return is_tensor(x) and (_recorded(x) or bool(tangents_of(x)))


def _lead(t_leaves, leaves):
    """The batch axes of the tangents (jacfwd pushes several at once)."""
    for t, x in zip(t_leaves, leaves):
        if t is not None:
            return tuple(t.shape[:len(t.shape) - np.ndim(x._data if is_tensor(x) else x)])
    return ()


def _is_float(x) -> bool:
    d = x._data if is_tensor(x) else x
    if isinstance(d, (float, complex)):
        return True
    return isinstance(d, np.ndarray) and d.dtype.kind in "fc"


def _as_output(o):
    """An output of a custom rule as a tensor the custom node can own (NumPy values included)."""
    if is_tensor(o) or not _is_float(o):
        return o
    return wrap(np.asarray(o))


def _poison(residuals, positions, st, name):
    """The residuals, with those that carry no derivative (computed by NumPy code in fwd) tied
    to a node that raises if a higher derivative reaches them."""
    r_leaves, r_td = flatten(residuals)
    node = CustomNode(_CustomPrim(f"CustomVjp[{name}]Residuals",
                                  per_input(functools.partial(_residual_error, name))),
                      st.next, ())
    for k in positions:
        r = r_leaves[k]
        r_leaves[k] = wrap(np.asarray(r._data if is_tensor(r) else r), (node, 0))
    return unflatten(r_td, r_leaves)


def _residual_error(name, i, g, *saved):
    raise TracedConversionError(
        f"custom_vjp {name}: this higher derivative needs the derivative of a residual that fwd "
        f"computed with NumPy (fwd converts a traced value to NumPy, so it was called on plain "
        f"values and its residuals carry no derivative). Write fwd with chainrule operations "
        f"(import chainrule.numpy as np), or return the inputs themselves as residuals and "
        f"compute from them in bwd.")


class custom_jvp(_Custom):
    """A function with a hand-written forward-mode derivative (``jax.custom_jvp``)::

        @custom_jvp
        def f(x): ...
        @f.defjvp
        def f_jvp(primals, tangents):
            (x,), (t,) = primals, tangents
            return f(x), tangent_out

    The tangent output must be linear in the tangents. Reverse mode (``grad``, ``jacrev``)
    transposes the rule by differentiating it with respect to the tangents, so it is
    re-evaluated during the backward pass. With ``nondiff_argnums``, the rule is called as
    ``rule(*nondiff, primals, tangents)``.
    """

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp):
        self.jvp = jvp
        return jvp

    def __call__(self, *args, **kwargs):
        if self.jvp is None:
            raise AttributeError(f"custom_jvp {self.__name__}: no JVP defined; call "
                                 f"{self.__name__}.defjvp(rule) first")
        return self._eval(self._args(args, kwargs))[0]

    def _eval(self, args):
        """(output, the reverse rule's holder or None).

        Inside its own rule the function is this custom function again, at the levels below
        the one the rule serves (the rule gets primals without that level's tangent), so that
        a primal output the rule computes with it (``y = f(x); return y, t * y``) stays
        differentiable however ``fun`` computes it, NumPy included."""
        nondiff, pos, leaves, trees = self._split(args)
        level = _top_level(leaves)
        if level:
            return self._dual(args, nondiff, pos, leaves, trees, level)
        if not _live(leaves):
            return self.fun(*args), None
        with no_grad():
            out = self.fun(*args)
        o_leaves, o_td = flatten(out)
        o_leaves = [_as_output(o) for o in o_leaves]  # (NumPy code: the rule owns its graph)
        holder = _Transpose(self, nondiff, pos, trees, args, leaves, o_td)
        new, st = connect(f"CustomJvp[{self.__name__}]Backward", leaves, o_leaves, holder,
                          loop=False)
        return unflatten(o_td, list(new)), (holder if st is not None else None)

    def _call_rule(self, nondiff, primals, tangents):
        res = self.jvp(*nondiff, primals, tangents)
        if not (isinstance(res, (tuple, list)) and len(res) == 2):
            raise TypeError(f"custom_jvp {self.__name__}: the jvp rule must return a pair "
                            f"(primal_out, tangent_out)")
        return res

    def _dual(self, args, nondiff, pos, leaves, trees, level):
        p_leaves, t_leaves = [], []
        for x in leaves:
            p, t = split_level(x, level)
            p_leaves.append(p)
            if t is not None:
                t_leaves.append(t)
            else:
                d = x._data if is_tensor(x) else np.asarray(x)
                t_leaves.append(wrap(np.zeros_like(d, dtype=np.result_type(d, np.float64)
                                                   if not np.issubdtype(d.dtype, np.inexact)
                                                   else d.dtype)))
        p_args = _rebuild(args, pos, trees, p_leaves)
        # The primal output: this function again on the primals (lower levels, reverse mode).
        out, holder = self._eval(p_args)
        if holder is not None:
            # The reverse rule re-runs the jvp rule: on the dual inputs, so that tangents flow
            # through the backward pass too (forward over reverse, e.g. hessian).
            holder.args, holder.leaves = args, leaves
        primals = tuple(p_args[i] for i in pos)
        tangents = tuple(_rebuild(args, pos, trees, t_leaves)[i] for i in pos)
        _, t_out = self._call_rule(nondiff, primals, tangents)
        o_leaves, o_td = flatten(out)
        to_leaves, _ = flatten(t_out)
        if len(to_leaves) != len(o_leaves):
            raise TypeError(f"custom_jvp {self.__name__}: the tangent output has "
                            f"{len(to_leaves)} leaves, the output {len(o_leaves)}")
        new = []
        for o, t in zip(o_leaves, to_leaves):
            o = _as_output(o)  # an output computed with NumPy still takes its tangent
            if is_tensor(o) and np.issubdtype(o._data.dtype, np.inexact) and t is not None:
                o = with_tangent(o, level, t)
            new.append(o)
        return unflatten(o_td, new), holder


class _Transpose:
    """The reverse rule of a ``custom_jvp``: run the jvp rule again with fresh tangent leaves
    and pull the cotangent back through it (the tangent output is linear in the tangents)."""

    __slots__ = ("f", "nondiff", "pos", "trees", "args", "leaves", "o_td")

    def __init__(self, f, nondiff, pos, trees, args, leaves, o_td):
        self.f, self.nondiff, self.pos, self.trees = f, nondiff, pos, trees
        self.args, self.leaves, self.o_td = args, leaves, o_td

    def __call__(self, st, grads, tensor_mode):
        create = state.grad_enabled
        us, p_leaves = [], []
        for x, meta in zip(self.leaves, st.inputs):
            if meta is None:
                p_leaves.append(x)
                d = x._data if is_tensor(x) else np.asarray(x, dtype=float)
                us.append(wrap(np.zeros_like(d)))
                continue
            if create:
                p = x  # graph-connected: the result can be differentiated again
            else:
                p = wrap(x._data)
                fw = getattr(x, "_fw", None)
                if fw:
                    p._fw = fw
            p_leaves.append(p)
            us.append(wrap(np.zeros_like(x._data)).requires_grad_())
        p_args = _rebuild(self.args, self.pos, self.trees, p_leaves)
        u_args = _rebuild(self.args, self.pos, self.trees, us)
        with enable_grad():
            _, t_out = self.f._call_rule(self.nondiff, tuple(p_args[i] for i in self.pos),
                                         tuple(u_args[i] for i in self.pos))
        to_leaves, _ = flatten(t_out)
        roots, seeds = [], []
        for t, g in zip(to_leaves, grads):
            if is_tensor(t) and t._edge is not None and g is not None:
                roots.append(t._edge)
                seeds.append(g if tensor_mode else g._data)
        capture = {}
        for j, (u, meta) in enumerate(zip(us, st.inputs)):
            if meta is not None:
                capture.setdefault(u._edge[0], []).append(j)
        got = {}
        if roots:
            got = execute(roots, seeds, retain_graph=create, create_graph=create,
                          capture=capture, accumulate=False)
        return [got.get(j) for j in range(len(us))]
