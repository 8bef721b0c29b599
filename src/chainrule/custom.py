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
from .autograd.dispatch import is_tensor, split_level, tangents_of, with_tangent, wrap
from .autograd.engine import execute
from .autograd.function import connect
from .autograd.grad_mode import enable_grad, no_grad, state

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
    no cotangent. ``fwd`` runs with recording on, so residuals stay connected to the inputs and
    the derivative can be differentiated again. ``jacrev`` calls ``bwd`` once per cotangent row.
    Forward mode (``jvp``, ``jacfwd``, ``hessian``) differentiates ``fwd`` itself.
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
        if not _live(leaves):
            if dispatch.fw_levels and any(is_tensor(x) and tangents_of(x) for x in leaves):
                with self._rule():
                    return self.fwd(*args)[0]  # forward mode differentiates fwd
            return self.fun(*args)
        with self._rule():
            res = self.fwd(*args)
        if not (isinstance(res, (tuple, list)) and len(res) == 2):
            raise TypeError(f"custom_vjp {self.__name__}: fwd must return a pair (output, "
                            f"residuals)")
        out, residuals = res
        o_leaves, o_td = flatten(out)
        bwd = self.bwd
        name = self.__name__

        def run(st, grads, tensor_mode):
            ct = unflatten(o_td, grads)
            return _per_arg(f"custom_vjp {name}", bwd(*nondiff, residuals, ct), trees, leaves,
                            "bwd rule")

        new, _ = connect(f"CustomVjp[{name}]Backward", leaves, o_leaves, run)
        return unflatten(o_td, list(new))


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
        """(output, the reverse rule's holder or None)."""
        if getattr(self._inside, "depth", 0):
            return self.fun(*args), None
        nondiff, pos, leaves, trees = self._split(args)
        level = 0
        if dispatch.fw_levels:
            for x in leaves:
                fw = tangents_of(x) if is_tensor(x) else None
                if fw:
                    level = max(level, max(fw))
        if level:
            return self._dual(args, nondiff, pos, leaves, trees, level)
        if not _live(leaves):
            return self.fun(*args), None
        with no_grad():
            out = self.fun(*args)
        o_leaves, o_td = flatten(out)
        holder = _Transpose(self, nondiff, pos, trees, args, leaves, o_td)
        new, st = connect(f"CustomJvp[{self.__name__}]Backward", leaves, o_leaves, holder,
                          loop=False)
        return unflatten(o_td, list(new)), (holder if st is not None else None)

    def _call_rule(self, nondiff, primals, tangents):
        with self._rule():
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
