"""autograd's core on chainrule: ``make_vjp``, ``make_jvp``, user primitives and their rules.

The complex convention
----------------------
autograd and chainrule (like PyTorch) disagree about complex gradients by a conjugation. For a
real loss, chainrule's gradient is dL/d(Re z) + i dL/d(Im z); autograd's is its conjugate
(for a holomorphic f, autograd's ``grad`` is f'(z), chainrule's conj(f'(z))). In general, if
chainrule's reverse map is ``P`` (the adjoint of the Jacobian for the real inner product
Re <a, b>), autograd's is ``g -> conj(P(conj(g)))``: autograd represents cotangents as the
conjugates of chainrule's. ``flip`` (conjugate every complex leaf; real leaves pass as they
are) is that change of representation. It is its own inverse, so the same function carries a
cotangent from autograd to chainrule and a gradient back, and turns a user's autograd-style
reverse rule into a chainrule one. Forward mode (tangents) is the same in both conventions.
"""

from __future__ import annotations

import warnings
from itertools import count

import numpy as onp

from chainrule import func as _cf
from chainrule._pytree import flatten as _tree_flatten
from chainrule._pytree import unflatten as _tree_unflatten
from chainrule.autograd.dispatch import is_tensor, tangents_of, wrap
from chainrule.autograd.function import Function
from chainrule.autograd.grad_mode import state as _grad_state
from chainrule.primitives.complex import conj as _conj

from ._vspace import (  # noqa: F401 - autograd.core exports these
    ArrayVSpace,
    ComplexArrayVSpace,
    DictVSpace,
    ListVSpace,
    NamedTupleVSpace,
    SequenceVSpace,
    SparseObject,
    TupleVSpace,
    VSpace,
    vspace,
)
from .wrap_util import subval

__all__ = [
    "make_vjp", "make_jvp", "primitive", "defvjp", "defvjp_argnum", "defvjp_argnums",
    "defjvp", "defjvp_argnum", "defjvp_argnums", "defvjp_is_zero", "defjvp_is_zero",
    "def_linear", "vspace", "VSpace", "SparseObject", "primitive_vjps", "primitive_jvps",
    "flip",
]


# --- the complex convention, in one place -------------------------------------------------------
def _flip_leaf(x):
    if is_tensor(x):
        return _conj(x) if x._data.dtype.kind == "c" else x
    if isinstance(x, SparseObject):
        x = x.dense()
    if isinstance(x, (complex, onp.complexfloating)) or (
            isinstance(x, onp.ndarray) and x.dtype.kind == "c"):
        return onp.conj(x)
    return x


def flip(tree):
    """Between autograd's and chainrule's representation of cotangents (and of reverse-mode
    results): the complex conjugate of every complex leaf of ``tree``. See the module
    docstring."""
    if isinstance(tree, (tuple, list, dict)):
        leaves, td = _tree_flatten(tree)
        return _tree_unflatten(td, [_flip_leaf(x) for x in leaves])
    return _flip_leaf(tree)


# --- reverse and forward mode -----------------------------------------------------------------
def _depends(out) -> bool:
    return any(is_tensor(o) for o in _tree_flatten(out)[0])


def make_vjp(fun, x):
    """``(vjp, fun(x))`` where ``vjp(g)`` is the vector-Jacobian product in autograd's
    convention. ``fun`` takes one argument (which may be a container)."""
    raw = []

    def f(x_):
        out = fun(x_)
        raw.append(out)
        return out

    ans, pullback = _cf.vjp(f, x)
    if not _depends(raw[-1]):
        warnings.warn("Output seems independent of input.", stacklevel=2)

        def vjp(g):
            return vspace(x).zeros()

        return vjp, raw[-1]

    def vjp(g):
        (r,) = pullback(flip(g))
        return flip(r)

    return vjp, ans


def make_jvp(fun, x):
    """``jvp`` where ``jvp(v) = (fun(x), J v)``: forward mode, one pass."""

    def jvp(g):
        return _cf.jvp(fun, (x,), (g,))

    return jvp


# --- user primitives --------------------------------------------------------------------------
primitive_vjps: dict = {}  # primitive -> vjpmaker(argnums, ans, args, kwargs) -> (g -> grads)
primitive_jvps: dict = {}  # primitive -> jvpmaker(argnums, gs, ans, args, kwargs) -> tangent
notrace_primitives: set = set()


def _name(f):
    return getattr(f, "__name__", repr(f))


def _raw(x):
    """The value of ``x`` with every trace stripped (NumPy data)."""
    if is_tensor(x):
        d = x._data
        return d[()] if d.ndim == 0 else d
    return x


def _raw_tree(x):
    if isinstance(x, (tuple, list, dict)) and not (isinstance(x, tuple) and hasattr(x, "_fields")):
        leaves, td = _tree_flatten(x)
        if any(is_tensor(v) for v in leaves):
            return _tree_unflatten(td, [_raw(v) for v in leaves])
        return x
    return _raw(x)


def _as_output(v):
    """A primitive's raw result as a Function output: float and complex data become tensors
    (differentiable), anything else passes through."""
    if isinstance(v, onp.ndarray):
        return wrap(v) if v.dtype.kind in "fc" else v
    if isinstance(v, (float, complex, onp.floating, onp.complexfloating)):
        return wrap(onp.asarray(v))
    return v


class _Call:
    """What one call of a user primitive needs in its rules (kept on the Function's ctx)."""

    __slots__ = ("prim", "args", "kwargs", "slots", "o_td", "o_kinds", "cached")

    def __init__(self, prim, args, kwargs, slots):
        self.prim, self.args, self.kwargs, self.slots = prim, args, kwargs, slots
        self.o_td = self.o_kinds = None
        self.cached = None  # (argnums, vjp closure) for backward passes without a graph

    def rebuild_args(self, leaves):
        """The positional arguments with the tensor leaves replaced by ``leaves``."""
        args = list(self.args)
        for pos, td, idx in self.slots:
            if td is None:
                args[pos] = leaves[idx[0]]
            else:
                sub = _tree_flatten(self.args[pos])[0]
                for j, k in enumerate(idx):
                    if k is not None:
                        sub[j] = leaves[k]
                args[pos] = _tree_unflatten(td, sub)
        return tuple(args)

    def argnums(self, leaves_needed):
        """Positions whose leaves need a gradient."""
        out = []
        for pos, _td, idx in self.slots:
            if any(k is not None and leaves_needed[k] for k in idx):
                out.append(pos)
        return tuple(out)


def _keep(x, graph):
    """A value handed to a user's rule: the tensor itself while the rule is recorded (or
    carries tangents), its NumPy data otherwise."""
    if not is_tensor(x):
        return x
    if graph or getattr(x, "_fw", None):
        return x
    return _raw(x)


class _PrimitiveFunction(Function):
    """A user primitive as a chainrule custom operation: ``forward`` runs the raw function on
    NumPy data; ``backward`` and ``jvp`` run the user's autograd-style rules."""

    @staticmethod
    def forward(ctx, call, *leaves):
        args = call.rebuild_args([_raw(v) for v in leaves])
        kwargs = {k: _raw_tree(v) for k, v in call.kwargs.items()}
        ans = call.prim.fun(*args, **kwargs)
        outs, o_td = _tree_flatten(ans)
        call.o_td = o_td
        outs = [_as_output(o) for o in outs]
        ctx.call = call
        ctx.n_out = len(outs)
        ctx.save_for_backward(*leaves, *outs)
        ctx.raw_outs = [None if is_tensor(o) else o for o in outs]
        return tuple(outs)

    @staticmethod
    def _values(ctx, graph):
        saved = ctx.saved_tensors
        n_in = len(saved) - ctx.n_out
        leaves = [_keep(v, graph) for v in saved[:n_in]]
        outs = [r if r is not None else _keep(o, graph)
                for o, r in zip(saved[n_in:], ctx.raw_outs)]
        call = ctx.call
        ans = _tree_unflatten(call.o_td, outs)
        return call.rebuild_args(leaves), ans

    @staticmethod
    def backward(ctx, *grads):
        call = ctx.call
        graph = _grad_state.grad_enabled or any(getattr(g, "_fw", None) for g in grads
                                                if g is not None)
        needed = ctx.needs_input_grad[1:]
        argnums = call.argnums(needed)
        maker = primitive_vjps.get(call.prim)
        if maker is None:
            raise NotImplementedError(f"VJP of {_name(call.prim)} wrt argnums {argnums} not "
                                      f"defined")
        gs = [flip(_keep(g, graph)) if g is not None else None for g in grads]
        g = _tree_unflatten(call.o_td, gs)
        if not graph and call.cached is not None and call.cached[0] == argnums:
            vjp = call.cached[1]
        else:
            args, ans = _PrimitiveFunction._values(ctx, graph)
            vjp = maker(argnums, ans, args, {k: _keep_tree(v, graph)
                                             for k, v in call.kwargs.items()})
            if not graph:
                call.cached = (argnums, vjp)
        results = list(vjp(g))
        out = [None] * (len(needed) + 1)
        for pos, r in zip(argnums, results):
            for p2, td, idx in call.slots:
                if p2 != pos:
                    continue
                r = flip(r)
                if td is None:
                    out[1 + idx[0]] = r
                else:
                    sub = _tree_flatten(r)[0]
                    for j, k in enumerate(idx):
                        if k is not None:
                            out[1 + k] = sub[j]
        return tuple(out)

    @staticmethod
    def jvp(ctx, *tangents):
        call = ctx.call
        tangents = tangents[1:]
        live = [t is not None and _nonzero(t) for t in tangents]
        argnums = call.argnums(live)
        args, ans = _PrimitiveFunction._values(ctx, True)
        outs = _tree_flatten(ans)[0]
        if not argnums:
            zs = [_zeros_like(o) if is_tensor(o) else None for o in outs]
            return tuple(zs)
        maker = primitive_jvps.get(call.prim)
        if maker is None:
            raise NotImplementedError(f"JVP of {_name(call.prim)} wrt argnums {argnums} not "
                                      f"defined")
        gs = []
        for pos in argnums:
            for p2, td, idx in call.slots:
                if p2 != pos:
                    continue
                if td is None:
                    gs.append(_tangent(tangents[idx[0]], call.args[pos]))
                else:
                    sub = _tree_flatten(call.args[pos])[0]
                    sub = [_tangent(tangents[k], s) if k is not None else _zeros_like(s)
                           for s, k in zip(sub, idx)]
                    gs.append(_tree_unflatten(td, sub))
        t_out = maker(argnums, gs, ans, args, dict(call.kwargs))
        t_leaves = [t_out] if call.o_td.kind == "leaf" else _tree_flatten(t_out)[0]
        res = []
        for o, t in zip(outs, t_leaves):
            if not is_tensor(o) or t is None:
                res.append(None)
            elif is_tensor(t):
                res.append(t)
            else:
                res.append(wrap(onp.asarray(t, dtype=o._data.dtype)))
        return tuple(res)


def _keep_tree(v, graph):
    if isinstance(v, (tuple, list, dict)):
        leaves, td = _tree_flatten(v)
        return _tree_unflatten(td, [_keep(x, graph) for x in leaves])
    return _keep(v, graph)


def _nonzero(t):
    d = t._data if is_tensor(t) else onp.asarray(t)
    return bool(onp.any(d)) or bool(getattr(t, "_fw", None)) or getattr(t, "_edge", None) \
        is not None


def _tangent(t, like):
    if t is None:
        return _zeros_like(like)
    return t


def _zeros_like(x):
    d = x._data if is_tensor(x) else onp.asarray(x)
    return onp.zeros_like(d, dtype=d.dtype if d.dtype.kind in "fc" else float)


def _call_primitive(prim, args, kwargs):
    slots, leaves = [], []
    for pos, a in enumerate(args):
        if is_tensor(a):
            slots.append((pos, None, (len(leaves),)))
            leaves.append(a)
        elif isinstance(a, (tuple, list, dict)) and not (isinstance(a, tuple)
                                                         and hasattr(a, "_fields")):
            sub, td = _tree_flatten(a)
            if any(is_tensor(v) for v in sub):
                idx = []
                for v in sub:
                    if is_tensor(v):
                        idx.append(len(leaves))
                        leaves.append(v)
                    else:
                        idx.append(None)
                slots.append((pos, td, tuple(idx)))
    if not leaves:
        return prim.fun(*args, **kwargs)
    recording = _grad_state.grad_enabled and any(v._edge is not None for v in leaves)
    if recording and prim not in primitive_vjps:
        argnums = tuple(p for p, _, _ in slots)
        raise NotImplementedError(f"VJP of {_name(prim)} wrt argnums {argnums} not defined")
    if not recording and not any(tangents_of(v) for v in leaves):
        # nothing traces these values: run on the data, as autograd runs an untraced call
        return prim.fun(*(_raw_tree(a) for a in args), **kwargs)
    call = _Call(prim, args, kwargs, slots)
    outs = _PrimitiveFunction.apply(call, *leaves)
    if not isinstance(outs, tuple):
        outs = (outs,)
    return _tree_unflatten(call.o_td, list(outs))


def primitive_(f_raw):
    """Wrap ``f_raw`` so that its derivative can be given by ``defvjp`` / ``defjvp``. Called
    on traced values it becomes one custom operation whose rules are the user's."""
    if getattr(f_raw, "_is_autograd_primitive", False):
        return f_raw

    def f_wrapped(*args, **kwargs):
        if f_wrapped in notrace_primitives:
            return f_raw(*(_raw_tree(a) for a in args), **kwargs)
        return _call_primitive(f_wrapped, args, kwargs)

    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        try:
            setattr(f_wrapped, attr, getattr(f_raw, attr))
        except (AttributeError, TypeError):
            pass
    f_wrapped.fun = f_raw
    f_wrapped._is_autograd_primitive = True
    return f_wrapped


# --- defining rules ---------------------------------------------------------------------------
def defvjp_argnums(fun, vjpmaker):
    """``vjpmaker(argnums, ans, args, kwargs)`` returns ``g -> (grad for each of argnums)``."""
    primitive_vjps[fun] = vjpmaker


def defvjp_argnum(fun, vjpmaker):
    """``vjpmaker(argnum, ans, args, kwargs)`` returns ``g -> grad`` for one argument."""

    def vjp_argnums(argnums, *rest):
        vjps = [vjpmaker(argnum, *rest) for argnum in argnums]
        return lambda g: tuple(v(g) for v in vjps)

    defvjp_argnums(fun, vjp_argnums)


def _zero_vjp(argnum):
    def maker(ans, *args, **kwargs):
        return lambda g: vspace(args[argnum]).zeros()

    return maker


def defvjp(fun, *vjpmakers, **kwargs):
    """``defvjp(f, maker0, maker1, ...)``: ``maker_i(ans, *args, **kwargs)`` returns the
    reverse rule ``g -> grad`` of argument ``i`` (``None``: its gradient is zero). ``argnums=``
    names the arguments the makers belong to."""
    argnums = kwargs.get("argnums", count())
    makers = {}
    for argnum, m in zip(argnums, vjpmakers):
        if m is None:
            m = _zero_vjp(argnum)
        elif not callable(m):
            raise TypeError(f"Bad VJP '{m}' for '{_name(fun)}'")
        makers[argnum] = m

    def vjp_argnums(argnums, ans, args, kw):
        try:
            vjps = [makers[a](ans, *args, **kw) for a in argnums]
        except KeyError as e:
            raise NotImplementedError(f"VJP of {_name(fun)} wrt argnum {e.args[0]} not "
                                      f"defined") from None
        return lambda g: tuple(v(g) for v in vjps)

    defvjp_argnums(fun, vjp_argnums)


def defvjp_is_zero(fun, argnums=(0,)):
    """The gradient of ``fun`` with respect to ``argnums`` is zero."""
    defvjp(fun, *([None] * len(argnums)), argnums=tuple(argnums))


def defjvp_argnums(fun, jvpmaker):
    """``jvpmaker(argnums, tangents, ans, args, kwargs)`` returns the output tangent."""
    primitive_jvps[fun] = jvpmaker


def _sum(ts):
    total = None
    for t in ts:
        total = t if total is None else total + t
    return total


def defjvp_argnum(fun, jvpmaker):
    """``jvpmaker(argnum, tangent, ans, args, kwargs)`` returns that argument's share of the
    output tangent."""

    def jvp_argnums(argnums, gs, ans, args, kwargs):
        return _sum(jvpmaker(a, g, ans, args, kwargs) for a, g in zip(argnums, gs))

    defjvp_argnums(fun, jvp_argnums)


def _translate_jvp(jvpfun, fun, argnum):
    if jvpfun is None:
        return lambda g, ans, *a, **k: vspace(ans).zeros()
    if isinstance(jvpfun, str) and jvpfun == "same":
        return lambda g, ans, *args, **kwargs: fun(*subval(args, argnum, g), **kwargs)
    if callable(jvpfun):
        return jvpfun
    raise TypeError(f"Bad JVP '{jvpfun}' for '{_name(fun)}'")


def defjvp(fun, *jvpfuns, **kwargs):
    """``defjvp(f, rule0, rule1, ...)``: ``rule_i(g, ans, *args, **kwargs)`` is argument
    ``i``'s share of the output tangent for its tangent ``g`` (``None``: zero; ``"same"``: ``f``
    is linear in that argument)."""
    argnums = kwargs.get("argnums", count())
    rules = {a: _translate_jvp(j, fun, a) for a, j in zip(argnums, jvpfuns)}

    def jvp_argnums(argnums, gs, ans, args, kw):
        try:
            return _sum(rules[a](g, ans, *args, **kw) for a, g in zip(argnums, gs))
        except KeyError as e:
            raise NotImplementedError(f"JVP of {_name(fun)} wrt argnum {e.args[0]} not "
                                      f"defined") from None

    defjvp_argnums(fun, jvp_argnums)


def defjvp_is_zero(fun, argnums=(0,)):
    """The tangent of ``fun`` with respect to ``argnums`` is zero."""
    defjvp(fun, *([None] * len(argnums)), argnums=tuple(argnums))


def def_linear(fun):
    """``fun`` is linear in each argument: its forward rule applies ``fun`` to the tangent."""
    defjvp_argnum(fun, lambda argnum, g, ans, args, kwargs:
                  fun(*subval(args, argnum, g), **kwargs))


# --- the deprecated spellings of older autograd -----------------------------------------------
_DEPRECATED = ("The {} method is deprecated. See the update guide and tutorial:\n"
               "https://github.com/HIPS/autograd/blob/master/docs/updateguide.md")


def _attach_deprecated(f_wrapped):
    vjps: dict = {}
    zero: set = set()

    def _define():
        keys = sorted(set(vjps) | zero)
        makers = [vjps.get(k) for k in keys]
        defvjp(f_wrapped, *makers, argnums=keys)

    def defvjp_old(vjpmaker, argnum=0):
        warnings.warn(_DEPRECATED.format("defvjp"), stacklevel=2)

        def maker(ans, *args, **kwargs):
            return lambda g: vjpmaker(g, ans, vspace(args[argnum]), vspace(g), *args, **kwargs)

        vjps[argnum] = maker
        _define()

    def defgrad(gradfun, argnum=0):
        warnings.warn(_DEPRECATED.format("defgrad"), stacklevel=2)
        vjps[argnum] = gradfun
        _define()

    def defvjp_is_zero_old(argnums=(0,)):
        warnings.warn(_DEPRECATED.format("defvjp_is_zero"), stacklevel=2)
        zero.update(argnums)
        _define()

    f_wrapped.defvjp = defvjp_old
    f_wrapped.defgrad = defgrad
    f_wrapped.defvjp_is_zero = defvjp_is_zero_old
    return f_wrapped


def primitive_with_deprecation_warnings(f_raw):
    """``primitive``, with the methods ``defvjp``, ``defgrad`` and ``defvjp_is_zero`` of
    autograd before 1.2 (they warn)."""
    return _attach_deprecated(primitive_(f_raw))


primitive = primitive_with_deprecation_warnings  # autograd.core.primitive is this one
