"""A traced program and its optimisation passes.

A ``Program`` is straight-line code: input variables, equations ``out = prim(args, params)``
in order, and outputs (variables or constants). The passes rewrite it without changing a value:

- ``simplify``: constant folding (an equation of constants is evaluated once) and algebraic
  identities of derivative code (``x * 1``, ``x + 0``, ``x / 1``, a reshape, broadcast or cast
  to what ``x`` already is, ``-(-x)``), each checked on shapes and dtypes so that the result is
  the same array bit for bit;
- ``cse``: one equation per distinct (primitive, arguments, parameters);
- ``dce``: only what the outputs need.

``split`` cuts the joint program of a function and its backward pass into a forward program
(which also returns the residuals) and a backward program (residuals and cotangents in).
"""

from __future__ import annotations

import numpy as np

from ..autograd.tracing import Const, Eqn, Var


class Program:
    """``inputs`` (Vars), ``eqns`` (in order), ``outputs`` (Vars or Consts). The first
    ``results`` outputs (all by default) are handed to the caller, who owns them: code
    generation returns fresh arrays there (see ``_codegen``); the rest (a forward program's
    residuals) stay inside."""

    __slots__ = ("inputs", "eqns", "outputs", "results")

    def __init__(self, inputs, eqns, outputs, results=None):
        self.inputs, self.eqns, self.outputs = list(inputs), list(eqns), list(outputs)
        self.results = len(self.outputs) if results is None else results

    def __len__(self):
        return len(self.eqns)


def _resolve(a, sub):
    while type(a) is Var and a in sub:
        a = sub[a]
    return a


def param_vars(params):
    """The Vars inside an equation's parameters (traced index arrays), in order."""
    for p in params:
        if type(p) is Var:
            yield p
        elif type(p) in (tuple, list):
            yield from param_vars(p)


def map_params(params, fn):
    """``params`` with each Var inside replaced by ``fn(var)``."""
    out = []
    for p in params:
        if type(p) is Var:
            p = fn(p)
        elif type(p) in (tuple, list) and any(True for _ in param_vars(p)):
            p = type(p)(map_params(p, fn))
        out.append(p)
    return tuple(out)


def uses(e):
    """Every Var that equation ``e`` reads: its arguments and the Vars in its parameters."""
    for a in e.args:
        if type(a) is Var:
            yield a
    yield from param_vars(e.params)


def _is_const_value(a, value) -> bool:
    """Whether constant ``a`` is ``value`` everywhere (a number or an array of it)."""
    if type(a) is not Const:
        return False
    v = a.value
    if type(v) in (int, float, bool):
        return v == value and type(v) is not bool
    if isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "fiuc" and v.size:
        return bool(np.all(v == value))
    return False


def _same(a, out) -> bool:
    """``a`` is a variable of exactly ``out``'s shape and dtype."""
    return type(a) is Var and a.shape == out.shape and a.dtype == out.dtype


def _keeps(x, other, out) -> bool:
    """``x op other`` is ``x`` itself: ``other`` is a constant whose broadcast changes nothing
    (its dtype is no wider than ``x``'s and its shape adds no axis or length)."""
    if not _same(x, out):
        return False
    v = other.value
    if type(v) in (int, float):
        return True
    return np.ndim(v) <= len(out.shape) and np.result_type(v, out.dtype) == out.dtype and \
        np.broadcast_shapes(np.shape(v), out.shape) == out.shape


# Primitives that return their input unchanged when the result has the input's shape and dtype.
_IDENTITY_IF_SAME = frozenset({"reshape", "broadcast_to", "cast", "stop_gradient"})


def _identity(e, args, made):
    """The value that equation ``e`` just returns, or None (``made``: the equations kept so far,
    by their output, for ``-(-x)``)."""
    name = e.prim.name
    out = e.out
    if name == "neg" and type(args[0]) is Var:
        inner = made.get(args[0])
        if inner is not None and inner.prim.name == "neg" and _same(inner.args[0], out):
            return inner.args[0]
        return None
    if name in _IDENTITY_IF_SAME:
        return args[0] if _same(args[0], out) else None
    if name == "mul":
        for x, c in ((args[0], args[1]), (args[1], args[0])):
            if _is_const_value(c, 1) and _keeps(x, c, out):
                return x
    elif name == "add":
        for x, c in ((args[0], args[1]), (args[1], args[0])):
            if _is_const_value(c, 0) and _keeps(x, c, out):
                return x
    elif name == "pow":
        if _is_const_value(args[1], 1) and _keeps(args[0], args[1], out):
            return args[0]
    elif name in ("sub", "div"):
        if _is_const_value(args[1], 0 if name == "sub" else 1) and _keeps(args[0], args[1], out):
            return args[0]
    elif name == "sum" and e.params and e.params[0] == () and _same(args[0], out):
        return args[0]
    return None


def _result_arrays(prog: Program) -> set:
    """The Vars whose arrays the caller receives: the results, and what view primitives on
    the way to one read."""
    reach = {o for o in prog.outputs[:prog.results] if type(o) is Var}
    for e in reversed(prog.eqns):
        if e.out in reach and e.prim.view:
            reach.update(a for a in e.args if type(a) is Var)
    return reach


def _identity_of_input(e, args, made, aliased) -> bool:
    """Whether ``e`` would be dropped for an argument whose array may be an input's."""
    return _identity(e, args, made) in aliased


def simplify(prog: Program) -> Program:
    """Constant folding and the identities above; returns a new program."""
    sub: dict = {}
    made = {}  # var -> its equation (for -(-x))
    eqns = []
    # Eagerly, x * 1 and a cast to x's own dtype are new arrays (a reshape is a view either
    # way). Where the caller receives the array, dropping such an equation must not hand out
    # an input's array (or a view of one): writing into the result would change the input.
    # Such equations are kept (they cost no more than a copy). Folded constants and repeated
    # results are copied at the return (_codegen).
    owned = _result_arrays(prog)
    aliased = set(prog.inputs)  # Vars whose arrays may be an input's
    for e in prog.eqns:
        args = tuple(_resolve(a, sub) for a in e.args)
        params = map_params(e.params, lambda v: _resolve(v, sub))
        if e.out in owned and not e.prim.view and _identity_of_input(e, args, made, aliased):
            eqns.append(Eqn(e.prim, args, params, e.out))
            continue
        if e.prim.view and any(a in aliased for a in args if type(a) is Var):
            aliased.add(e.out)
        if all(type(a) is Const for a in args) and not any(True for _ in param_vars(params)):
            try:
                val = e.prim.impl(*(a.value for a in args), *params)
            except Exception:  # leave it to run time, where its error names the operation
                val = None
            if val is not None:
                sub[e.out] = Const(np.asarray(val))
                continue
        same = _identity(e, args, made)
        if same is not None:
            sub[e.out] = same
            continue
        ne = Eqn(e.prim, args, params, e.out)
        made[e.out] = ne
        eqns.append(ne)
    outputs = [_resolve(o, sub) for o in prog.outputs]
    return Program(prog.inputs, eqns, outputs, prog.results)


def _key_of(a):
    if type(a) is Var:
        return a
    v = a.value
    if isinstance(v, np.ndarray):
        return ("c", id(v))
    try:
        hash(v)
    except TypeError:
        return ("c", id(v))
    return ("s", type(v), v)


def cse(prog: Program) -> Program:
    """Common subexpressions: a repeated (primitive, arguments, parameters) reuses the first."""
    seen = {}
    sub: dict = {}
    eqns = []
    for e in prog.eqns:
        args = tuple(_resolve(a, sub) for a in e.args)
        params = map_params(e.params, lambda v: _resolve(v, sub))
        try:
            key = (e.prim, tuple(_key_of(a) for a in args), params)
            hash(key)
        except TypeError:  # unhashable parameters (arrays): keep the equation
            key = None
        if key is not None:
            first = seen.get(key)
            if first is not None:
                sub[e.out] = first
                continue
            seen[key] = e.out
        eqns.append(Eqn(e.prim, args, params, e.out))
    return Program(prog.inputs, eqns, [_resolve(o, sub) for o in prog.outputs], prog.results)


def dce(prog: Program) -> Program:
    """Only the equations that the outputs need."""
    live = {o for o in prog.outputs if type(o) is Var}
    kept = []
    for e in reversed(prog.eqns):
        if e.out in live:
            kept.append(e)
            live.update(uses(e))
    kept.reverse()
    return Program(prog.inputs, kept, prog.outputs, prog.results)


def optimize(prog: Program) -> Program:
    return dce(cse(simplify(prog)))


def split(prog: Program, n_fwd_out: int, ct_inputs) -> tuple[Program, Program, list]:
    """The joint program (outputs: the function's ``n_fwd_out`` outputs, then the gradients;
    inputs: the function's, then the cotangents ``ct_inputs``) cut into a forward program
    (outputs: the function's outputs, then the residuals) and a backward program (inputs: the
    residuals, then the cotangents; outputs: the gradients). Returns them and the residuals."""
    ct = set(ct_inputs)
    bwd_vars = set(ct)
    fwd_eqns, bwd_eqns = [], []
    for e in prog.eqns:
        if any(a in bwd_vars for a in uses(e)):
            bwd_vars.add(e.out)
            bwd_eqns.append(e)
        else:
            fwd_eqns.append(e)
    grads = prog.outputs[n_fwd_out:]
    residuals, seen = [], set()

    def need(a):
        if type(a) is Var and a not in bwd_vars and a not in seen:
            seen.add(a)
            residuals.append(a)

    for e in bwd_eqns:
        for a in uses(e):
            need(a)
    for g in grads:
        need(g)
    fwd_inputs = [v for v in prog.inputs if v not in ct]
    fwd = dce(Program(fwd_inputs, fwd_eqns, prog.outputs[:n_fwd_out] + residuals, n_fwd_out))
    bwd = dce(Program(residuals + list(ct_inputs), bwd_eqns, grads))
    return fwd, bwd, residuals
