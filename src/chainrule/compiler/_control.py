"""Structured control flow (JAX's ``lax.cond``, ``fori_loop``, ``scan``) that ``compile`` can trace.

Each function is plain Python over chainrule operations, so it is differentiable in both modes
and to every order, eagerly and under ``compile``, and takes arrays, tensors and nested tuples,
lists, dicts and namedtuples of them (pytrees). Under a trace:

- ``cond`` with a traced predicate runs both branches and selects each output leaf with
  ``where`` (the predicate's value is not known while tracing);
- ``fori_loop`` and ``scan`` run their Python loop, so the loop is unrolled into the trace (one
  copy of the body per iteration): the number of iterations must be known when tracing.

The carry of a loop (and the outputs of the two branches of ``cond``) must keep their structure,
shapes and dtypes; a Python number is weakly typed, as in JAX: it matches a 0-d array of its
kind (bool, integer, floating, complex) whatever the precision.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .._pytree import TreeDef, flatten, unflatten
from ..autograd import tracing
from ..autograd.dispatch import wrap
from ..autograd.tracing import TracingError, is_traced, user_line
from ..composite import stack
from ..primitives._core import data_of, is_tensor
from ..primitives.elementwise import not_equal
from ..primitives.elementwise import where as _where
from ..primitives.shape import reshape

__all__ = ["cond", "fori_loop", "scan"]

_KIND_OF_NUMBER = {bool: "b", int: "i", float: "f", complex: "c"}


# --- leaves: what must stay the same ------------------------------------------------------------
def _signature(x):
    """``("array", shape, dtype)``, ``("number", kind)`` (weakly typed) or ``("static", x)``."""
    if is_tensor(x) or isinstance(x, (np.ndarray, np.generic)):
        d = data_of(x)
        return ("array", tuple(d.shape), np.dtype(d.dtype))
    kind = _KIND_OF_NUMBER.get(type(x))
    if kind is not None:
        return ("number", kind)
    return ("static", x)


def _kind(dtype) -> str:
    k = dtype.kind
    return "i" if k == "u" else k


def _matches(a, b) -> bool:
    if a[0] == "static" or b[0] == "static":
        if a[0] != b[0]:
            return False
        try:
            return a[1] is b[1] or bool(a[1] == b[1])
        except Exception:  # noqa: BLE001 - an object without a plain equality differs
            return False
    if a[0] == "number" and b[0] == "number":
        return a[1] == b[1]
    if a[0] == "number":
        a, b = b, a
    if b[0] == "number":  # an array against a weakly typed Python number
        return a[1] == () and _kind(a[2]) == b[1]
    return a[1] == b[1] and a[2] == b[2]


def _describe(sig) -> str:
    if sig[0] == "array":
        return f"{sig[2].name} of shape {sig[1]}"
    if sig[0] == "number":
        name = {"b": "bool", "i": "int", "f": "float", "c": "complex"}[sig[1]]
        return f"a Python {name}"
    return f"the non-array value {sig[1]!r}"


def _td_key(td: TreeDef):
    return (td.kind, td.meta, tuple(_td_key(c) for c in td.children))


def _paths(td: TreeDef, prefix: str) -> list[str]:
    """The access path of each leaf of ``td`` (``val[0]['w']``), in ``flatten``'s order."""
    if td.kind == "leaf":
        return [prefix]
    keys = td.meta if td.kind == "dict" else range(len(td.children))
    out: list[str] = []
    for k, child in zip(keys, td.children):
        out += _paths(child, f"{prefix}[{k!r}]")
    return out


def _structure(td: TreeDef) -> str:
    """``td`` written as a container with ``*`` for each leaf."""
    if td.kind == "leaf":
        return "*"
    items = [_structure(c) for c in td.children]
    if td.kind == "dict":
        return "{" + ", ".join(f"{k!r}: {s}" for k, s in zip(td.meta, items)) + "}"
    if td.kind == "list":
        return "[" + ", ".join(items) + "]"
    name = td.meta.__name__ if td.kind == "namedtuple" else ""
    return name + "(" + ", ".join(items) + ("," if len(items) == 1 and not name else "") + ")"


def _align(tree, like):
    """``tree`` with its dicts' keys in ``like``'s order where both hold the same keys (JAX
    treats dicts by their keys, not their insertion order)."""
    if isinstance(tree, dict) and isinstance(like, dict) and set(tree) == set(like):
        return {k: _align(tree[k], like[k]) for k in like}
    if (isinstance(tree, (tuple, list)) and isinstance(like, (tuple, list))
            and not hasattr(tree, "_fields") and len(tree) == len(like)):
        return type(tree)(_align(t, lk) for t, lk in zip(tree, like))
    return tree


def _check_same(op: str, name: str, ref, ref_what: str, new, new_what: str, why: str):
    """Raise a TypeError naming ``op`` and the first leaf where ``new`` differs from ``ref``;
    returns the leaves of both and ``ref``'s tree definition."""
    new = _align(new, ref)
    ref_leaves, ref_td = flatten(ref)
    new_leaves, new_td = flatten(new)
    if _td_key(ref_td) != _td_key(new_td):
        raise TypeError(
            f"{op}: {ref_what} has the structure {_structure(ref_td)} but {new_what} has "
            f"{_structure(new_td)}; {why}")
    for path, a, b in zip(_paths(ref_td, name), ref_leaves, new_leaves):
        sa, sb = _signature(a), _signature(b)
        if not _matches(sa, sb):
            raise TypeError(
                f"{op}: {path} is {_describe(sa)} in {ref_what} but {_describe(sb)} in "
                f"{new_what}; {why}")
    return ref_leaves, new_leaves, ref_td


# --- cond ---------------------------------------------------------------------------------------
def _predicate(pred):
    """``pred`` as a 0-d boolean (traced) value: JAX's rules, a scalar (or one element) of a
    boolean or integer dtype (an integer is true when non-zero)."""
    if isinstance(pred, (bool, int)):
        return bool(pred)
    if isinstance(pred, (float, complex)):
        pred = np.asarray(pred)  # refused below, naming the dtype
    if not (is_tensor(pred) or isinstance(pred, (np.ndarray, np.generic))):
        raise TypeError(f"cond: pred must be a boolean scalar (a Python bool, or an array or "
                        f"tensor of one element), got a {type(pred).__name__}")
    d = data_of(pred)
    if d.size != 1:
        raise TypeError(f"cond: pred must be a scalar (one element) to choose a branch, got "
                        f"shape {d.shape}. To choose element by element, compute both sides "
                        f"and use chainrule.where(mask, a, b)")
    if d.dtype.kind not in "biu":
        raise TypeError(f"cond: pred must be boolean (or an integer, true when non-zero), got "
                        f"dtype {d.dtype.name}; compare explicitly, e.g. cond(x > 0, ...)")
    if d.shape != ():
        pred = reshape(pred, ())
    if d.dtype.kind != "b":
        pred = not_equal(pred, 0)
    return pred


def cond(pred, true_fun: Callable, false_fun: Callable, *operands) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)`` (``jax.lax.cond``).

    ``pred`` is a boolean scalar (a Python bool, or a one-element array or tensor; an integer
    counts as true when non-zero). Eagerly, or when ``pred`` is not traced (it depends only on
    static arguments), only the chosen branch runs. Under ``compile`` with a traced ``pred``, both
    branches run and each output leaf is ``where(pred, true_leaf, false_leaf)``, so the branches
    must return the same structure, shapes and dtypes (else a TypeError names the leaf), and each
    must be safe to evaluate on any input: a derivative through the branch not taken is zero but
    is multiplied by that branch's own derivative, so ``sqrt`` at 0 or ``log`` at 0 in it gives a
    NaN gradient; guard its input (``where(ok, x, 1.0)`` before the ``log``: the double-where
    trick), as with ``where``.
    """
    p = _predicate(pred)
    # under a trace, a tensor that is not traced is a closure's (an implicit input, read at each
    # call): its value must not be fixed either
    if not (is_traced(p) or (is_tensor(p) and tracing.active() is not None)):
        return true_fun(*operands) if bool(data_of(p)) else false_fun(*operands)
    a = true_fun(*operands)
    b = false_fun(*operands)
    why = ("under compile, with a traced pred, both branches are computed and the result is "
           "chosen leaf by leaf with where, so they must agree")
    a_leaves, b_leaves, td = _check_same("cond", "out", a, "true_fun's output", b,
                                         "false_fun's output", why)
    out = []
    for x, y in zip(a_leaves, b_leaves):
        if _signature(x)[0] == "static":  # equal non-array leaves (None, a string)
            out.append(x)
        else:
            out.append(_where(p, x, y))
    return unflatten(td, out)


# --- fori_loop ----------------------------------------------------------------------------------
def _bound(v, name: str) -> int:
    if is_traced(v):
        raise TracingError(
            f"fori_loop: the bound {name} is a traced value at {user_line()}: the loop is "
            f"unrolled while tracing, so its number of iterations must be known then. Pass the "
            f"bound as a Python int, computed from shapes or from an argument made static "
            f"(compile(f, static_argnums=...)); for a loop whose length depends on data, run a "
            f"fixed number of iterations and mask the updates with chainrule.where")
    d = data_of(v)
    if isinstance(d, (np.ndarray, np.generic)):
        if d.size != 1 or d.dtype.kind not in "iu":
            raise TypeError(f"fori_loop: {name} must be an integer, got dtype {d.dtype.name} "
                            f"of shape {d.shape}")
        return int(d.reshape(()))
    try:
        return operator.index(d)
    except TypeError:
        raise TypeError(f"fori_loop: {name} must be an integer, got a "
                        f"{type(v).__name__}") from None


def fori_loop(lower, upper, body_fun: Callable, init_val) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``; returns ``val``
    (``jax.lax.fori_loop``).

    The bounds must be concrete integers (a traced bound raises TracingError: make it static);
    ``i`` is passed as a Python int, so it may index. Under ``compile`` the loop is unrolled into
    the trace. ``body_fun`` must return a carry of ``init_val``'s structure, shapes and dtypes
    (else a TypeError names the iteration and the leaf).
    """
    lo, hi = _bound(lower, "lower"), _bound(upper, "upper")
    val = init_val
    for i in range(lo, hi):
        new = body_fun(i, val)
        _check_same("fori_loop", "val", init_val, "init_val", new,
                     f"body_fun's result at iteration i={i}",
                     "the carry must keep its structure, shapes and dtypes")
        val = _align(new, init_val)
    return val


# --- scan ---------------------------------------------------------------------------------------
def _length(xs_leaves, xs_td, length):
    paths = _paths(xs_td, "xs")
    n = None
    for path, x in zip(paths, xs_leaves):
        if not (is_tensor(x) or isinstance(x, np.ndarray)) or data_of(x).ndim == 0:
            raise TypeError(f"scan: every leaf of xs must be an array or tensor with a leading "
                            f"axis to scan over; {path} is "
                            f"{_describe(_signature(x))}")
        m = data_of(x).shape[0]
        if n is None:
            n, first = m, path
        elif m != n:
            raise ValueError(f"scan: the leaves of xs must have the same length along axis 0; "
                             f"{first} has {n} and {path} has {m}")
    if length is not None:
        length = operator.index(length)
        if n is not None and length != n:
            raise ValueError(f"scan: length={length} but the leaves of xs have length {n}")
        return length
    if n is None:
        raise ValueError("scan: give length when xs is None (or holds no arrays)")
    return n


def _stack(ys: list):
    """The values of one leaf of y at each step, joined along a new leading axis."""
    sig = _signature(ys[0])
    if sig[0] == "static":  # None (or another non-array leaf): equal at every step
        return ys[0]
    arrays = [y for y in ys if _signature(y)[0] == "array"]
    if len(arrays) < len(ys):  # weakly typed numbers take the arrays' dtype
        dt = data_of(arrays[0]).dtype if arrays else None
        ys = [y if _signature(y)[0] == "array" else np.asarray(y, dtype=dt) for y in ys]
    return stack(ys, 0)


def _empty_ys(f, carry, xs_leaves, xs_td):
    """The ys of a scan of length 0: ``f`` is called once on zeros only to learn their
    structure, shapes and dtypes (JAX traces it abstractly)."""
    tr = tracing.active()  # under a trace, zeros are constants (not implicit inputs)
    as_tensor = wrap if tr is None else tr.constant

    def zeros(v, shape):
        z = np.zeros(shape, data_of(v).dtype)
        return as_tensor(z) if is_tensor(v) else z

    x = None if xs_td is None else unflatten(
        xs_td, [zeros(v, data_of(v).shape[1:]) for v in xs_leaves])
    with np.errstate(all="ignore"):
        out = f(carry, x)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"scan: f must return a pair (carry, y), got {type(out).__name__}")
    y_leaves, y_td = flatten(out[1])
    empty = []
    for y in y_leaves:
        sig = _signature(y)
        if sig[0] == "static":
            empty.append(y)
            continue
        empty.append(zeros(y, (0,) + np.shape(data_of(y))) if sig[0] == "array" else
                     np.zeros((0,), np.asarray(y).dtype))
    return unflatten(y_td, empty)


def scan(f: Callable, init, xs=None, length: int | None = None, reverse: bool = False):
    """``(carry, ys)`` of ``carry, y = f(carry, x)`` over the slices ``x`` of ``xs`` along axis 0
    (``jax.lax.scan``).

    ``xs`` is a pytree of arrays or tensors of one length along axis 0, or None (then ``length``
    is required and ``x`` is None). The ys of each step are stacked along a new leading axis
    (``ys[i]`` is the y of ``xs[i]``, also with ``reverse=True``, which runs the steps from the
    last slice to the first). Under ``compile`` the loop is unrolled into the trace. The carry
    must keep ``init``'s structure, shapes and dtypes, and each y the first step's (else a
    TypeError names the step and the leaf).
    """
    if xs is None:
        xs_leaves, xs_td = [], None
        n = _length([], TreeDef("tuple"), length)
    else:
        xs_leaves, xs_td = flatten(xs)
        n = _length(xs_leaves, xs_td, length)
    if n == 0:
        return init, _empty_ys(f, init, xs_leaves, xs_td)
    carry = init
    ys: list = [None] * n
    y_ref = y_td = None
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        x = None if xs_td is None else unflatten(xs_td, [v[i] for v in xs_leaves])
        out = f(carry, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"scan: f must return a pair (carry, y), got "
                            f"{type(out).__name__} at step i={i}")
        new, y = out
        _check_same("scan", "carry", init, "init", new, f"f's carry at step i={i}",
                     "the carry must keep its structure, shapes and dtypes")
        carry = _align(new, init)
        if y_ref is None:
            y_ref, first = y, i
            ys[i] = flatten(y)[0]
            y_td = flatten(y)[1]
        else:
            ys[i] = _check_same("scan", "y", y_ref, f"f's y at step i={first}", y,
                                f"f's y at step i={i}",
                                "the ys are stacked, so each step must give the same "
                                "structure, shapes and dtypes")[1]
    stacked = [_stack([step[k] for step in ys]) for k in range(y_td.num_leaves)]
    return carry, unflatten(y_td, stacked)
