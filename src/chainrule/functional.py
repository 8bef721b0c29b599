"""The functional face: ``grad``, ``value_and_grad``, ``jvp``, ``vjp``, ``jacfwd``, ``jacrev``,
``jacobian``, ``hessian``, ``hvp``, ``linearize``, ``elementwise_grad``.

Functions take and return NumPy arrays, Python numbers, chainrule tensors, or nested tuples,
lists and dicts of them; a result has the structure of the input it belongs to. Given NumPy
inputs a transform returns NumPy arrays; given tensors, tensors.

Transforms nest in any order without perturbation confusion: reverse transforms work on their
own alias of each input (a separate node in the graph), forward transforms on their own level.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from ._pytree import flatten, unflatten
from .autograd import forward_ad as fwd
from .autograd.api import grad as _grad
from .autograd.dispatch import is_tensor, tangents_of, wrap
from .autograd.engine import execute
from .autograd.grad_mode import enable_grad, state, transform_scope
from .autograd.graph import AccumulateGrad
from .autograd.graph import _seq as _graph_seq
from .primitives._core import apply
from .primitives.shape import RESHAPE

__all__ = [
    "grad", "value_and_grad", "elementwise_grad", "jvp", "vjp", "linearize", "jacfwd", "jacrev",
    "jacobian", "hessian", "hvp",
]


class _Depth(threading.local):
    reverse = 0  # reverse transforms being evaluated in this thread


_depth = _Depth()


class _reverse_scope:
    """While a reverse transform evaluates its function: grad mode on, depth counted."""

    def __enter__(self):
        _depth.reverse += 1
        self._mode = enable_grad()
        self._mode.__enter__()
        self._scope = transform_scope().__enter__()

    def __exit__(self, *exc):
        self._scope.__exit__(*exc)
        self._mode.__exit__(*exc)
        _depth.reverse -= 1


# --- inputs and outputs -------------------------------------------------------------------------
def _as_float_array(x, op):
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.inexact):
        if np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
            raise TypeError(f"{op}: differentiation needs floating-point inputs, got dtype "
                            f"{arr.dtype}; pass floats (1.0, not 1) or convert with astype")
        raise TypeError(f"{op}: cannot differentiate with respect to a {type(x).__name__}")
    return arr


def _reverse_leaf(x, op):
    """A tensor that stands for ``x`` in a reverse transform, and whether ``x`` was a tensor."""
    if is_tensor(x):
        if x._edge is not None and state.grad_enabled:
            # Part of an outer graph: an alias node keeps this transform's gradient apart from
            # the outer one's while staying connected to it. (With grad mode off nothing
            # outside records, and the input is a leaf like any other: a function transform
            # works under no_grad, as torch.func's do.)
            return apply(RESHAPE, (x,), (x._data.shape,)), True
        _as_float_array(x._data, op)
        t = wrap(x._data).requires_grad_()
        fw = tangents_of(x)
        if fw:
            t._fw = fw
        _private.add(t._edge[0])
        return t, True
    t = wrap(_as_float_array(x, op)).requires_grad_()
    _private.add(t._edge[0])
    return t, False


def _output(value, as_tensor: bool, graph: bool | None = None):
    """A result for the caller: a tensor, or a NumPy array (a NumPy scalar when 0-d).

    A result that an enclosing transform may still differentiate (it depends on the graph of an
    outer reverse transform, or carries a tangent of an open forward level) stays a tensor even
    for NumPy inputs: turning it into an array would cut it off from the outer derivative.
    ``graph`` says whether the value's graph is one being recorded for something outside
    (default: inside an enclosing reverse transform).
    """
    if graph is None:
        graph = _depth.reverse > 0
    if is_tensor(value) and not as_tensor and (
            (graph and value._edge is not None) or tangents_of(value)):
        as_tensor = True
    if as_tensor:
        return value if is_tensor(value) else wrap(np.asarray(value))
    data = value._data if is_tensor(value) else np.asarray(value)
    return data[()] if data.ndim == 0 else data


def _argnums(argnums, nargs, op):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not -nargs <= a < nargs:
            raise ValueError(f"{op}: argnums {argnums} is out of range for a function called "
                             f"with {nargs} positional argument(s)")
    return tuple(a % nargs for a in nums)


class _Inputs:
    """The differentiated arguments, flattened into leaf tensors."""

    def __init__(self, args, argnums, op, make_leaf):
        self.single = isinstance(argnums, int)
        self.nums = _argnums(argnums, len(args), op)
        self.args = list(args)
        self.leaves, self.trees, self.was_tensor = [], [], []
        self.outer = False  # whether an input belongs to a graph recorded outside
        for a in self.nums:
            leaves, td = flatten(args[a])
            self.outer = self.outer or state.grad_enabled and any(
                is_tensor(x) and x._edge is not None for x in leaves)
            made = [make_leaf(x, op) for x in leaves]
            self.args[a] = unflatten(td, [m[0] for m in made])
            self.leaves.extend(m[0] for m in made)
            self.was_tensor.extend(m[1] for m in made)
            self.trees.append((td, len(leaves)))

    def rebuild(self, values):
        """Per-leaf values back into the structure of the differentiated arguments."""
        out, k = [], 0
        for td, n in self.trees:
            out.append(unflatten(td, values[k:k + n]))
            k += n
        return out[0] if self.single else tuple(out)


def _split_aux(res, has_aux, op):
    if not has_aux:
        return res, None
    if not (isinstance(res, (tuple, list)) and len(res) == 2):
        raise TypeError(f"{op}: with has_aux=True the function must return a pair "
                        f"(output, auxiliary data)")
    return res[0], res[1]


def _create_graph(inputs):
    """Keep the graph of the derivative when something outside may differentiate it again."""
    return _depth.reverse > 0 or inputs.outer


# The leaves that reverse transforms make for their inputs: a closure check (``_mark``) knows
# them from the tensors the user made.
_private = weakref.WeakSet()


def _mark():
    """What ``engine.execute`` (``outer``) needs to see whether a function's graph reads a tensor
    that requires grad from outside (a closure): a sequence number older than every node the
    transform is about to record, and the transforms' own leaves."""
    return next(_graph_seq), _private


def _from_outside(value, mark) -> bool:
    """Whether ``value``'s graph leads outside the transforms begun at ``mark`` (``_mark()``):
    to a node older than the mark (an input traced by an enclosing transform, a closure), or to
    a leaf that is none of the transforms' own (one the function made that requires grad).

    A graph that leads only into the private leaves of transforms run inside (the value of an
    inner ``value_and_grad`` or ``vjp``, which keeps its edge for its tangents) is theirs: a
    result that keeps it would require grad with respect to nothing the caller can reach.
    """
    if not is_tensor(value) or value._edge is None:
        return False
    seq, private = mark
    stack, seen = [value._edge[0]], set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node.seq > seq or (type(node) is AccumulateGrad and node not in private):
            return True
        stack.extend(e[0] for e in node.next if e is not None)
    return False


def _own(value, outside: bool):
    """``value`` cut off from its graph unless that leads outside (``_from_outside``); the
    tangents of open forward levels stay."""
    if outside or not is_tensor(value) or value._edge is None:
        return value
    t = wrap(value._data)
    fw = tangents_of(value)
    if fw:
        t._fw = fw
    return t


def _reverse_call(f, args, kwargs, argnums, has_aux, op):
    """Call ``f`` under a reverse transform: ``(mark, inputs, create, out, aux)``, the closure
    mark (taken first), the inputs as reverse leaves, whether to keep the derivative's graph,
    and ``f``'s output and auxiliary data."""
    mark = _mark()
    inputs = _Inputs(args, argnums, op, _reverse_leaf)
    create = _create_graph(inputs)
    with _reverse_scope():
        res = f(*inputs.args, **kwargs)
    out, aux = _split_aux(res, has_aux, op)
    return mark, inputs, create, out, aux


def _recorded(x) -> bool:
    """Whether an outer reverse derivative flows through ``x``: it has an edge in a graph being
    recorded, or carries a tangent (at an open forward level) that has one. A derivative
    computed from such a value (a cotangent or a tangent) must record its own graph."""
    if not is_tensor(x):
        return False
    if x._edge is not None and state.grad_enabled:
        return True
    fw = tangents_of(x)
    return bool(fw) and any(_recorded(t) for t in fw.values())


# --- reverse mode ---------------------------------------------------------------------------------
def value_and_grad(f, argnums=0, has_aux: bool = False):
    """``f``'s value and its gradient with respect to argument(s) ``argnums``.

    ``f`` must return a scalar (one element). With ``has_aux`` it returns ``(scalar, aux)`` and
    the result is ``((value, aux), gradient)``.
    """

    def value_and_grad_f(*args, **kwargs):
        mark, inputs, create, out, aux = _reverse_call(f, args, kwargs, argnums, has_aux, "grad")
        data = out._data if is_tensor(out) else np.asarray(out)
        if data.size != 1:
            raise TypeError(f"grad: the function must return a scalar (one element), but it "
                            f"returned shape {data.shape}; use jacobian or vjp for non-scalar "
                            f"outputs, or reduce the output (e.g. .sum())")
        if is_tensor(out) and out._edge is not None:
            gs = _grad(out, inputs.leaves, create_graph=create, allow_unused=True,
                       materialize_grads=True, _outer=mark)
        else:  # the output does not depend on the inputs
            gs = [wrap(np.zeros_like(x._data)) for x in inputs.leaves]
        grads = inputs.rebuild([_output(g, w, True) for g, w in zip(gs, inputs.was_tensor)])
        value = _output(out, any(inputs.was_tensor))
        return ((value, aux) if has_aux else value), grads

    value_and_grad_f.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return value_and_grad_f


def grad(f, argnums=0, has_aux: bool = False):
    """The gradient of scalar-valued ``f`` with respect to argument(s) ``argnums``
    (``(gradient, aux)`` with ``has_aux``)."""
    vg = value_and_grad(f, argnums, has_aux)

    def grad_f(*args, **kwargs):
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    grad_f.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return grad_f


def elementwise_grad(f, argnums=0):
    """For ``f`` that acts elementwise: the derivative of each output element with respect to
    the matching input element (the vector-Jacobian product with ones)."""

    def ew(*args, **kwargs):
        out, pullback = vjp(lambda *a: f(*a, **kwargs), *args, argnums=argnums)
        ones = np.ones_like(out._data if is_tensor(out) else np.asarray(out))
        return pullback(ones)  # vjp with explicit argnums returns its structure as it is

    return ew


def vjp(f, *primals, has_aux: bool = False, argnums=None):
    """``(f(*primals), vjp_fn)``: ``vjp_fn(cotangent)`` returns the cotangent of each primal
    (a tuple), and may be called many times."""
    nums = tuple(range(len(primals))) if argnums is None else argnums
    mark, inputs, create, out, aux = _reverse_call(f, primals, {}, nums, has_aux, "vjp")
    out_leaves, out_td = flatten(out)
    as_tensor = any(inputs.was_tensor)

    def vjp_fn(cotangent):
        ct_leaves, _ = flatten(cotangent)
        if len(ct_leaves) != len(out_leaves):
            raise ValueError(f"vjp: the cotangent has {len(ct_leaves)} leaves but the output "
                             f"has {len(out_leaves)}; give one cotangent per output")
        # The result is linear in the cotangent: its graph is recorded only when something
        # outside differentiates it, through the primals or through the cotangent itself (a
        # cotangent with tangents needs no graph: they flow through the rules as they run).
        rec = create or _depth.reverse > 0 or any(_recorded(c) for c in ct_leaves)
        ct_tensor = any(is_tensor(c) for c in ct_leaves)
        pairs = [(o, c) for o, c in zip(out_leaves, ct_leaves) if is_tensor(o) and o._edge]
        if pairs:
            seeds = [c if is_tensor(c) else np.asarray(c, dtype=o._data.dtype) for o, c in pairs]
            gs = _grad([p[0] for p in pairs], inputs.leaves, seeds, retain_graph=True,
                       create_graph=rec, allow_unused=True, materialize_grads=True,
                       _outer=mark)
        else:
            gs = [wrap(np.zeros_like(x._data)) for x in inputs.leaves]
        r = inputs.rebuild([_output(g, w or ct_tensor, True)
                            for g, w in zip(gs, inputs.was_tensor)])
        return r if argnums is not None else (r if isinstance(r, tuple) else (r,))

    value = unflatten(out_td, [_output(o, as_tensor) for o in out_leaves])
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


# --- forward mode ---------------------------------------------------------------------------------
def _forward_leaf(x, op):
    if is_tensor(x):
        return x, True
    arr = _as_float_array(x, op)
    # The function gets its own copy: an in-place write inside it must not reach the caller's
    # array (JAX's arrays are immutable; reverse transforms' leaves refuse in-place writes).
    return wrap(arr.copy() if arr is x else arr), False


def jvp(f, primals, tangents, has_aux: bool = False):
    """``(f(*primals), J tangents)``: the Jacobian-vector product, by forward mode (one pass,
    no tape)."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primal(s) but {len(tangents)} tangent(s)")
    p_leaves, p_td = flatten(primals)
    t_leaves, _ = flatten(tangents)
    if len(p_leaves) != len(t_leaves):
        raise ValueError("jvp: primals and tangents must have the same structure")
    mark = _mark()
    with fwd.dual_level():
        made = [_forward_leaf(p, "jvp") for p in p_leaves]
        duals = [fwd.make_dual(m[0], t) for m, t in zip(made, t_leaves)]
        with transform_scope():
            res = f(*unflatten(p_td, duals))
        out, aux = _split_aux(res, has_aux, "jvp")
        o_leaves, o_td = flatten(out)
        outs, tans = [], []
        for o in o_leaves:
            if is_tensor(o):
                p, t = fwd.unpack_dual(o)
                outs.append(p)
                tans.append(t if t is not None else wrap(np.zeros_like(o._data)))
            else:
                outs.append(o)
                tans.append(np.zeros_like(np.asarray(o, dtype=float)))
    as_tensor = any(m[1] for m in made) or any(is_tensor(t) for t in t_leaves)
    # A result keeps an edge that leads outside (a traced input or closure); one that leads only
    # into the private leaves of a transform run inside (an inner value_and_grad's value, whose
    # edge served its tangents) is dropped, so that NumPy inputs give NumPy results.
    outs = [_own(o, _from_outside(o, mark)) for o in outs]
    tans = [_own(t, _from_outside(t, mark)) for t in tans]
    result = (unflatten(o_td, [_output(o, as_tensor, True) for o in outs]),
              unflatten(o_td, [_output(t, as_tensor, True) for t in tans]))
    return result + (aux,) if has_aux else result


def linearize(f, *primals):
    """``(f(*primals), f_jvp)``: ``f_jvp(*tangents)`` gives J tangents without evaluating ``f``
    again (it transposes the recorded reverse pass, itself linear in the cotangent)."""
    inputs = _Inputs(primals, tuple(range(len(primals))), "linearize", _reverse_leaf)
    create = _create_graph(inputs)
    with _reverse_scope():
        out = f(*inputs.args)
    if not is_tensor(out):
        raise TypeError("linearize: the function must return a single array")
    u = wrap(np.zeros_like(out._data)).requires_grad_()
    _private.add(u._edge[0])
    if out._edge is not None:
        pulled = _grad(out, inputs.leaves, u, create_graph=True, allow_unused=True,
                       materialize_grads=True)
    else:
        pulled = ()
    as_tensor = any(inputs.was_tensor)

    def f_jvp(*tangents):
        t_leaves, _ = flatten(tangents)
        if len(t_leaves) != len(inputs.leaves):
            raise ValueError(f"linearize: f_jvp got {len(t_leaves)} tangent leaves for "
                             f"{len(inputs.leaves)} primal leaves; give one tangent per primal")
        # Linear in the tangents: the graph of the result is recorded only when something
        # outside differentiates it (through the primals or the tangents).
        rec = create or _depth.reverse > 0 or any(_recorded(t) for t in t_leaves)
        t_tensor = as_tensor or any(is_tensor(t) for t in t_leaves)
        pairs = [(p, t) for p, t in zip(pulled, t_leaves) if p._edge is not None]
        if not pairs:
            return _output(wrap(np.zeros_like(out._data)), t_tensor, rec)
        seeds = [t if is_tensor(t) else np.asarray(t, dtype=p._data.dtype) for p, t in pairs]
        (r,) = _grad([p for p, _ in pairs], [u], seeds, retain_graph=True, create_graph=rec,
                     allow_unused=True, materialize_grads=True)
        return _output(r, t_tensor, rec)

    return _output(out, as_tensor), f_jvp


# --- Jacobians ------------------------------------------------------------------------------------
def _chunks(n, chunk_size):
    c = max(n, 1) if chunk_size is None else int(chunk_size)
    if c <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    return [(s, min(s + c, n)) for s in range(0, n, c)] or [(0, 0)]


def _basis(sizes, start, stop, dtypes, shapes):
    """Rows ``start:stop`` of the identity over the concatenated leaves, split per leaf with a
    leading batch axis: one array of shape (stop - start, *shape) per leaf."""
    out, offset = [], 0
    rows = np.arange(start, stop)
    for n, dt, shp in zip(sizes, dtypes, shapes):
        b = np.zeros((stop - start, n), dtype=dt)
        hit = (rows >= offset) & (rows < offset + n)
        b[np.nonzero(hit)[0], rows[hit] - offset] = 1
        out.append(b.reshape((stop - start,) + shp))
        offset += n
    return out


def _assemble(blocks, o_shapes, i_shapes, o_td, inputs, as_tensor):
    """``blocks[k][j]``: (out_size_k, in_size_j) arrays -> nested Jacobian, output structure
    outside, input structure inside, each of shape out_shape + in_shape."""
    per_out = []
    for k, oshape in enumerate(o_shapes):
        leaves = [_output(blocks[k][j].reshape(oshape + ishape), as_tensor, True)
                  for j, ishape in enumerate(i_shapes)]
        per_out.append(inputs.rebuild(leaves))
    return unflatten(o_td, per_out)


def jacrev(f, argnums=0, has_aux: bool = False, chunk_size: int | None = None):
    """The Jacobian by reverse mode: one backward pass pulls back ``chunk_size`` rows at once
    (all rows when None). The right mode when there are fewer outputs than inputs."""

    def jac(*args, **kwargs):
        mark, inputs, create, out, aux = _reverse_call(f, args, kwargs, argnums, has_aux,
                                                       "jacrev")
        o_leaves, o_td = flatten(out)
        o_leaves = [o if is_tensor(o) else wrap(np.asarray(o, dtype=float)) for o in o_leaves]
        o_shapes = [o._data.shape for o in o_leaves]
        o_sizes = [o._data.size for o in o_leaves]
        i_shapes = [x._data.shape for x in inputs.leaves]
        i_sizes = [x._data.size for x in inputs.leaves]
        m = sum(o_sizes)
        rows = [[[] for _ in i_sizes] for _ in o_sizes]
        live = [k for k, o in enumerate(o_leaves) if o._edge is not None]
        capture = {}
        for j, x in enumerate(inputs.leaves):
            capture.setdefault(x._edge[0], []).append(j)
        for start, stop in _chunks(m, chunk_size):
            seeds = _basis(o_sizes, start, stop, [o._data.dtype for o in o_leaves], o_shapes)
            got = {}
            if live and stop > start:
                roots = [o_leaves[k]._edge for k in live]
                sd = [wrap(seeds[k]) if create else seeds[k] for k in live]
                got = execute(roots, sd, retain_graph=True, create_graph=create,
                              capture=capture, accumulate=False, outer=mark)
            for j, x in enumerate(inputs.leaves):
                g = got.get(j)
                if g is None:
                    g = np.zeros((stop - start,) + i_shapes[j], dtype=x._data.dtype)
                g = _flat_rows(g, stop - start, i_sizes[j])
                # split this chunk's rows among the outputs they belong to
                off = 0
                for k, n in enumerate(o_sizes):
                    lo, hi = max(start, off), min(stop, off + n)
                    if lo < hi:
                        rows[k][j].append(g[lo - start:hi - start])
                    off += n
        blocks = [[_concat_rows(r, i_sizes[j], o_sizes[k], inputs.leaves[j])
                   for j, r in enumerate(rk)] for k, rk in enumerate(rows)]
        J = _assemble(blocks, o_shapes, i_shapes, o_td, inputs, any(inputs.was_tensor))
        return (J, aux) if has_aux else J

    return jac


def _flat_rows(g, c, n):
    if is_tensor(g):
        return g.reshape((c, n))
    return np.asarray(g).reshape(c, n)


def _concat_rows(parts, n_in, n_out, like):
    if not parts:
        return np.zeros((n_out, n_in), dtype=like._data.dtype)
    if any(is_tensor(p) for p in parts):
        from .primitives.shape import concatenate

        return parts[0] if len(parts) == 1 else concatenate(parts, 0)
    return parts[0] if len(parts) == 1 else np.concatenate(parts, 0)


def jacfwd(f, argnums=0, has_aux: bool = False, chunk_size: int | None = None):
    """The Jacobian by forward mode: each pass carries ``chunk_size`` tangents at once (all
    columns when None). The right mode when there are fewer inputs than outputs."""

    def jac(*args, **kwargs):
        inputs = _Inputs(args, argnums, "jacfwd", _forward_leaf)
        i_shapes = [x._data.shape for x in inputs.leaves]
        i_sizes = [x._data.size for x in inputs.leaves]
        for x in inputs.leaves:
            _as_float_array(x._data, "jacfwd")
        n = sum(i_sizes)
        cols = None
        aux = o_td = o_shapes = None
        for start, stop in _chunks(n, chunk_size):
            basis = _basis(i_sizes, start, stop, [x._data.dtype for x in inputs.leaves], i_shapes)
            with fwd.dual_level():
                args_d = list(inputs.args)
                duals = [fwd.make_dual(x, wrap(b), batched=True)
                         for x, b in zip(inputs.leaves, basis)]
                k = 0
                for a, (td, cnt) in zip(inputs.nums, inputs.trees):
                    args_d[a] = unflatten(td, duals[k:k + cnt])
                    k += cnt
                with transform_scope():
                    res = f(*args_d, **kwargs)
                out, aux = _split_aux(res, has_aux, "jacfwd")
                o_leaves, o_td = flatten(out)
                o_shapes = [np.shape(o._data if is_tensor(o) else o) for o in o_leaves]
                if cols is None:
                    cols = [[] for _ in o_leaves]
                for idx, o in enumerate(o_leaves):
                    t = fwd.unpack_dual(o).tangent if is_tensor(o) else None
                    size = int(np.prod(o_shapes[idx], dtype=np.int64))
                    if t is None:
                        t = np.zeros((stop - start, size))
                    cols[idx].append(_flat_rows(t, stop - start, size))
        blocks = []
        for idx, parts in enumerate(cols):
            size = int(np.prod(o_shapes[idx], dtype=np.int64))
            full = _concat_rows(parts, size, n, inputs.leaves[0])  # (n, out_size)
            full = full.T if not is_tensor(full) else full.mT
            per_in, off = [], 0
            for ni in i_sizes:
                per_in.append(full[:, off:off + ni])
                off += ni
            blocks.append(per_in)
        J = _assemble(blocks, o_shapes, i_shapes, o_td, inputs, any(inputs.was_tensor))
        return (J, aux) if has_aux else J

    return jac


def jacobian(f, argnums=0, mode: str = "auto", has_aux: bool = False,
             chunk_size: int | None = None):
    """The Jacobian of ``f``. ``mode="auto"`` uses forward mode when the function has fewer
    inputs than outputs (counting elements) and reverse mode otherwise; "forward" and "reverse"
    force one."""
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'auto', 'forward' or 'reverse', got {mode!r}")

    def jac(*args, **kwargs):
        m = mode
        if m == "auto":
            nums = _argnums(argnums, len(args), "jacobian")
            n_in = sum(np.size(x._data if is_tensor(x) else x)
                       for a in nums for x in flatten(args[a])[0])
            # (grad mode stays on: the function may differentiate something itself)
            with transform_scope():
                res = f(*args, **kwargs)
            out = _split_aux(res, has_aux, "jacobian")[0]
            n_out = sum(np.size(o._data if is_tensor(o) else o) for o in flatten(out)[0])
            m = "forward" if n_in < n_out else "reverse"
        make = jacfwd if m == "forward" else jacrev
        return make(f, argnums, has_aux, chunk_size)(*args, **kwargs)

    jac.__name__ = f"jacobian({getattr(f, '__name__', 'f')})"
    return jac


def hessian(f, argnums=0, chunk_size: int | None = None):
    """The Hessian of scalar-valued ``f``: forward mode over reverse mode."""
    return jacfwd(jacrev(f, argnums), argnums, chunk_size=chunk_size)


def hvp(f, primals, tangents):
    """``(f(*primals), H tangents)``: a Hessian-vector product by forward over reverse mode, at
    the cost of about one gradient evaluation."""
    primals, tangents = tuple(primals), tuple(tangents)
    nums = tuple(range(len(primals)))
    (value, g), (_, hv) = jvp(lambda *x: value_and_grad(f, nums)(*x), primals, tangents)
    return value, hv if len(primals) > 1 else hv[0]
