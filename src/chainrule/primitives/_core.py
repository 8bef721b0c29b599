"""The primitive table's building block.

A ``Primitive`` is one differentiable operation: its forward kernel on raw arrays, its reverse
rules (one per input) and its forward rules (one per input), side by side. Rules are written
with chainrule's own operations, which accept raw arrays as well as tensors: the engine hands a
rule raw arrays when no graph of the derivative is wanted (NumPy speed) and tensors when it is
(the rule then records itself, so derivatives of any order come for free).

What a rule may use is named explicitly by ``save``: a tuple of codes, each one of

- an int ``i``: the data of input ``i`` (kept alive by the graph),
- ``ANS``: the data of the output,
- ``shape_of(i)`` / ``dtype_of(i)``: only the shape or dtype of input ``i`` (keeps no array),
- ``OUT_SHAPE``: only the output's shape,
- ``INPUTS`` (alone, for variadic primitives such as concatenate): every input's data.

Batch axes: a cotangent or tangent may carry leading axes beyond the array it belongs to (several
at once, for Jacobians). Every rule treats such leading axes as a batch: axis parameters are
stored negative, and rules that reshape or index prepend the leading axes.

A rule is called as ``rule(g, *saved, *params)`` where ``params`` are the primitive's
non-array arguments (axis, keepdims, ...), in the order the primitive's function passes them.

``view=True`` declares that the result may share its input's memory (reshape, getitem, ...):
recording then notes it as a view of its input (autograd/inplace.py).
"""

from __future__ import annotations

import dis
import functools
import inspect
import linecache
import os
from collections.abc import Callable, Sequence

from .._backend import xp

ANS = "ans"


class _MetaOf:
    """Save code for an attribute of an input (its shape or dtype), which keeps no array alive."""

    __slots__ = ("index", "attr", "default")

    def __init__(self, index: int, attr: str, default):
        self.index, self.attr, self.default = index, attr, default

    def __repr__(self):
        return f"{self.attr}_of({self.index})"


def shape_of(i: int) -> _MetaOf:
    """Save code: only the shape of input ``i``."""
    return _MetaOf(i, "shape", ())


def dtype_of(i: int) -> _MetaOf:
    """Save code: only the dtype of input ``i``."""
    return _MetaOf(i, "dtype", None)


INPUTS = "inputs"  # save code for variadic primitives: the data of every input
OUT_SHAPE = "out_shape"  # save code: only the output's shape


# Filled in by chainrule.autograd.dispatch once the Tensor type exists (it sits above this layer).
tensor_types: set = set()
_record = _record1 = _record2 = None
# Set by chainrule.autograd.tracing: called before drawing random numbers, it raises while a
# function is traced for compile (a draw would be fixed into the trace and repeated).
random_guard = None
value_guard = None  # likewise: (array, op) -> raises if the array is a traced one (values_of)
tracing = 0  # traces active in any thread (chainrule.autograd.dispatch.tracing_depth keeps it)


def is_tensor(x) -> bool:
    """Whether ``x`` is a chainrule tensor (a Tensor or a subclass)."""
    return type(x) in tensor_types


def data_of(x):
    """A tensor's array; anything else as it is."""
    return x._data if type(x) in tensor_types else x


def values_of(x, op: str):
    """``x``'s array (a tensor's, or ``x`` through ``asarray``) for code that reads its values
    in Python rather than through a primitive: an index to normalise, a bound to check, a
    value to branch on. While ``chainrule.compile`` traces, a traced value has no values to
    read, and this raises a ``TracingError`` naming ``op`` (through ``value_guard``, which the
    tracing module installs) instead of fixing this call's values into the program."""
    d = x._data if type(x) in tensor_types else x
    if value_guard is not None and type(d) is not xp.ndarray:
        value_guard(d, op)
    return xp.asarray(d)


def is_concrete(x) -> bool:
    """Whether ``x``'s values can be read in Python: True for NumPy arrays, numbers and tensors
    holding them (eager, with or without ``create_graph``), False while ``chainrule.compile``
    traces (their data is then a ``TracedArray``, an ndarray subclass). A rule that picks a fast
    special case by looking at values does so only when this holds, and otherwise uses a
    formula that is right for all values (written with primitives, so the trace records it)."""
    d = x._data if type(x) in tensor_types else x
    return type(d) is xp.ndarray or not isinstance(d, xp.ndarray)


def array_of(x):
    """A tensor's array; anything else through ``asarray``."""
    return x._data if type(x) in tensor_types else xp.asarray(x)


def install(record, record1, record2, types):
    """Connect the table to the recording layer (called once, at import of chainrule)."""
    global _record, _record1, _record2
    _record, _record1, _record2 = record, record1, record2
    tensor_types.update(types)


def _compile_saver(codes):
    """A function (datas, out) -> saved tuple, built once per primitive (it runs per call)."""
    if not codes:
        return None
    if codes == (INPUTS,):
        return lambda d, o: tuple(d)
    parts = []
    for c in codes:
        if c == ANS:
            parts.append("o")
        elif c == OUT_SHAPE:
            parts.append("o.shape")
        elif isinstance(c, _MetaOf):
            parts.append(f"getattr(d[{c.index}], {c.attr!r}, {c.default!r})")
        elif isinstance(c, int):
            parts.append(f"d[{c}]")
        else:
            raise ValueError(f"unknown save code {c!r}")
    return eval(f"lambda d, o: ({', '.join(parts)},)")  # noqa: S307 - built from the codes above


class per_input:
    """The rules of a variadic primitive (concatenate, einsum): ``rule(i, v, *saved)`` for
    input ``i``. Indexing gives input ``i``'s rule, as a tuple of rules would."""

    __slots__ = ("rule",)

    def __init__(self, rule: Callable):
        self.rule = rule

    def __getitem__(self, i: int):
        return functools.partial(self.rule, i)


def _rules(name, rules, nin):
    if rules is None or isinstance(rules, per_input):
        return rules
    if callable(rules):
        rules = (rules,)
    rules = tuple(rules)
    if nin is not None and len(rules) != nin:
        raise ValueError(f"{name}: {len(rules)} rules for {nin} inputs")
    return rules


class Primitive:
    """One entry of the table. See the module docstring."""

    __slots__ = (
        "name", "impl", "nin", "save", "vjp", "jvp", "elementwise", "view", "saver",
        "graph_slots", "batch",
    )

    def __init__(
        self,
        name: str,
        impl: Callable,
        *,
        nin: int | None = 1,
        save: Sequence = (),
        vjp: Sequence[Callable | None] | Callable | None = None,
        jvp: Sequence[Callable | None] | Callable | None = None,
        elementwise: bool = False,
        view: bool = False,
        batch=None,
    ):
        self.name = name
        self.impl = impl
        self.nin = nin
        self.save = tuple(save)
        self.elementwise = elementwise
        # The result may share its input's memory (NumPy gives a view): recording remembers it
        # as a view of its input (autograd.inplace), so that in-place writes through it keep
        # the gradients of the view and its base right.
        self.view = view
        # The batching rule (vmap): STACKED, when the kernel treats leading axes beyond the
        # example's as a stack (negative axis parameters, or the stack read from the data);
        # else rule(values, batched, params, B) -> the result with the batch at axis 0, given
        # the operands (the batched ones carry it at axis 0). Elementwise kernels (the flag, or
        # a NumPy ufunc) need none; any other primitive without one runs once per example.
        self.batch = batch
        self.vjp = _rules(name, vjp, nin)
        self.jvp = _rules(name, jvp, nin)
        self.saver = _compile_saver(self.save)
        # Positions in `saved` that hold arrays connected to the graph: with create_graph the
        # engine rebuilds them as tensors so that the rule records itself.
        if self.save == (INPUTS,):
            self.graph_slots = INPUTS
        else:
            self.graph_slots = tuple(
                (pos, c) for pos, c in enumerate(self.save) if c == ANS or type(c) is int
            )

    def __repr__(self):
        return f"<primitive {self.name}>"

    def __call__(self, *args):
        """Apply to inputs followed by parameters (fixed-arity primitives only)."""
        nin = self.nin
        return apply(self, args[:nin], args[nin:])


class one_over:
    """A partial derivative given by its reciprocal, ``partial=one_over(q)`` for f' = 1 / q(...):
    the rules divide by ``q`` (one division instead of a reciprocal and a product)."""

    __slots__ = ("q",)

    def __init__(self, q: Callable):
        self.q = q


def elementwise(name: str, impl: Callable, *, save=(), partial=None, d=None,
                nin: int | None = None, real: bool | str = False):
    """An elementwise primitive, given by its derivative per input, stated once.

    Either ``partial``: per input, the (holomorphic) partial derivative f'(*saved, *params), a
    number, ``one_over(q)`` or None (no derivative). The builder writes the forward rule
    ``v * f'`` and the reverse rule ``v * conj(f')`` (docs/architecture.md, "Complex numbers"),
    which is ``v * f'`` on real data; for a real input of a complex result (several inputs, type
    promotion) the reverse rule keeps the real part, and the builder saves that input's dtype if
    ``save`` does not keep it.

    Or ``d``: per input, ``rule(v, *saved, *params)`` for a rule that is its own adjoint (a real
    mask or factor: ``where``, ``sign``, zeros), which serves both modes as it stands.

    ``real`` (True, or the reason as a string): the primitive is for real data only; its rules
    raise on a complex cotangent or tangent, and no dtype is saved.

    The rules are generated once per primitive, as source (like ``_compile_saver``): one call
    per rule, an inline dtype test, nothing else on real data (``partial=lambda x, y: y`` is
    inlined as ``v * y``). Arguments that a partial never reads are passed as None, so that a
    rule's code shows which saved values it reads (autograd/inplace.py reads it to decide
    whether an in-place change broke a node).
    """
    if (partial is None) == (d is None):
        raise ValueError(f"{name}: give exactly one of partial= and d=")
    entries = partial if partial is not None else d
    if not isinstance(entries, (tuple, list)):
        entries = (entries,)
    n = nin if nin is not None else len(entries)
    if len(entries) != n:
        raise ValueError(f"{name}: {len(entries)} rules for {n} inputs")
    save = tuple(save)
    nsaved = len(save)
    # Where the reverse rule of input i finds that input's dtype (several inputs only).
    kinds = [None] * n
    if n > 1 and not real:
        for i, e in enumerate(entries):
            if e is None:
                continue
            if i in save:
                kinds[i] = f"_s{save.index(i)}"
            else:
                kinds[i] = f"_s{len(save)}"
                save += (dtype_of(i),)
    reason = real if isinstance(real, str) else "its rules are for real data"
    jvp, vjp = [], []
    for i, e in enumerate(entries):
        if e is None:
            jvp.append(None)
            vjp.append(None)
            continue
        gen = functools.partial(_rule, name, i, e, partial is not None, nsaved, len(save))
        if real:
            rule = gen(refuse=reason)
            jvp.append(rule)
            vjp.append(rule)
        elif partial is not None:
            jvp.append(gen())
            vjp.append(gen(reverse=True, kind_of=kinds[i]))
        else:  # d: the rule as it stands, unless it must skip the dtypes saved for it
            jvp.append(e if len(save) == nsaved else gen())
            vjp.append(e if kinds[i] is None else gen(reverse=True, kind_of=kinds[i]))
    return Primitive(name, impl, nin=n, save=save, vjp=vjp, jvp=jvp, elementwise=True)


def _complex_error(name, reason):
    return TypeError(f"{name}: not differentiable for complex inputs ({reason}); apply it to "
                     f"the real part, the imaginary part or abs() instead")


class _Complex:
    """``conj`` and ``real_for`` for the complex branch of generated rules, handed over by
    ``primitives/_conj.py`` at import (``install_complex``): it builds on this module."""

    conj = real_for = None


def install_complex(conj, real_for) -> None:
    _Complex.conj, _Complex.real_for = conj, real_for


_F64 = xp.dtype(xp.float64)  # `v.dtype is _F64` first: the common case, one identity test


def _rule(name, i, entry, is_partial, nsaved, nsave_all, *, reverse=False, kind_of=None,
          refuse=None):
    """One generated rule of input ``i`` (see ``elementwise``): the forward rule, or with
    ``reverse`` the reverse rule (``kind_of``: the parameter holding input i's data or dtype,
    for the real part of a real input's gradient, or None); ``refuse``: the reason why complex
    data is refused, or None."""
    saved = [f"_s{k}" for k in range(nsave_all)]
    head, value, op = _call(name, i, entry, is_partial, saved, nsaved)
    expr = value if not is_partial else _times(value, op)  # the rule on real data
    lines = []
    if refuse is not None:
        lines.append("if _g.dtype is not _F64 and _g.dtype.kind == 'c':\n"
                     "        raise _complex_error(_name, _reason)")
    cx = expr  # the rule on complex data
    if reverse:
        if is_partial and value not in ("1", "-1", "_C"):
            cx = f"_g {op} _cx.conj({value})"
        if kind_of is not None:
            cx = f"_cx.real_for({cx}, {kind_of})"
    lines.append(f"return {expr}" if cx == expr else
                 f'return {expr} if _g.dtype is _F64 or _g.dtype.kind != "c" else {cx}')
    fname = f"{name}_{'rule' if refuse else 'vjp' if reverse else 'jvp'}{i}"
    src = f"def {fname}({', '.join(head)}):\n" + "".join(f"    {ln}\n" for ln in lines)
    ns = {"_F64": _F64, "_cx": _Complex, "_complex_error": _complex_error,
          "_name": name, "_reason": refuse,
          "_P": entry.q if isinstance(entry, one_over) else entry, "_C": entry}
    # A name inside the package, so that call-site finders skip the rule as chainrule's own.
    filename = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"<rule {fname}>")
    exec(compile(src, filename, "exec"), ns)  # noqa: S102 - built from the entries above
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    return ns[fname]


def _times(value, op):
    """``v`` times (or over) ``value``, the partial derivative's expression."""
    return "_g" if value == "1" else "-_g" if value == "-1" else f"_g {op} {value}"


def _call(name, i, entry, is_partial, saved, nsaved):
    """The generated rule's parameters, the expression of the partial derivative (of the whole
    rule, for ``d``), and the operator that applies a partial to ``v``."""
    fn = entry.q if isinstance(entry, one_over) else entry
    op = "/" if isinstance(entry, one_over) else "*"
    if not callable(fn):  # a real number
        if isinstance(fn, complex):
            raise ValueError(f"{name}: a constant partial derivative must be real")
        return ["_g"] + saved, "1" if fn == 1 else "-1" if fn == -1 else "_C", op
    code = fn.__code__
    names = code.co_varnames[:code.co_argcount]
    varargs = bool(code.co_flags & inspect.CO_VARARGS)
    own = names if is_partial else names[1:]  # d's first parameter is the cotangent
    if len(own) < nsaved and not varargs:
        raise ValueError(f"{name}: the rule for input {i} takes {len(own)} values, but "
                         f"{nsaved} are saved")
    params = list(own[nsaved:])
    read = _names_read(fn)
    args = [a if n in read else "None" for a, n in zip(saved[:nsaved] + params, own)]
    args += saved[len(own):nsaved]
    head = ["_g"] + saved + params
    if varargs:
        head.append("*_args")
        args.append("*_args")
    inline = _returns_argument(fn) if is_partial else None
    if inline is not None:
        return head, args[own.index(inline)], op
    return head, f"_P({', '.join(([] if is_partial else ['_g']) + args)})", op


def _names_read(fn) -> set:
    """The parameters that ``fn``'s code reads (all of them if an inner function captures
    one)."""
    code = fn.__code__
    if code.co_cellvars:
        return set(code.co_varnames)
    read = set()
    for ins in dis.get_instructions(code):
        if ins.opname.startswith("LOAD_FAST"):
            arg = ins.argval
            read.update(arg if isinstance(arg, tuple) else (arg,))
    return read


def _returns_argument(fn):
    """The parameter that ``fn`` returns as it is (``lambda x, y: y``), else None."""
    ops = [ins for ins in dis.get_instructions(fn.__code__)
           if ins.opname not in ("RESUME", "NOP", "CACHE")]
    if len(ops) == 2 and ops[0].opname == "LOAD_FAST" and ops[1].opname == "RETURN_VALUE":
        return ops[0].argval
    return None


def nondifferentiable(name: str, impl: Callable, nin: int = 1, batch=None):
    """An operation whose output carries no gradient (comparisons, argmax, ...)."""
    return Primitive(name, impl, nin=nin, batch=batch)


STACKED = "stacked"  # Primitive.batch: the kernel treats leading axes as a stack


def apply(prim: Primitive, inputs: tuple, params: tuple = ()):
    """Run ``prim``: raw arrays in, raw array out; any tensor in, a recorded tensor out (and,
    while ``chainrule.compile`` traces, a traced parameter, such as an index, also records:
    otherwise this call's result would be fixed into the program)."""
    tt = tensor_types
    for a in inputs:
        if type(a) in tt:
            return _record(prim, inputs, params)
    if tracing and params and _traced_param(params):
        return _record(prim, inputs, params)
    return prim.impl(*inputs, *params)


def _traced_param(params) -> bool:
    for p in params:
        if type(p) is tuple or type(p) is list:
            if _traced_param(p):
                return True
        elif isinstance(p, xp.ndarray) and type(p) is not xp.ndarray:
            return True
    return False


def unary_op(prim: Primitive, doc: str | None = None):
    """The public function for a one-input, no-parameter primitive (fast path)."""
    impl = prim.impl
    tt = tensor_types

    def op(x):
        if type(x) in tt:
            return _record1(prim, x)
        return impl(x)

    op.__name__ = op.__qualname__ = prim.name
    op.__doc__ = doc or f"Elementwise {prim.name}, differentiable."
    return op


def binary_op(prim: Primitive, doc: str | None = None):
    """The public function for a two-input, no-parameter primitive (fast path)."""
    impl = prim.impl
    tt = tensor_types

    def op(x, y):
        if type(x) in tt or type(y) in tt:
            return _record2(prim, x, y)
        return impl(x, y)

    op.__name__ = op.__qualname__ = prim.name
    op.__doc__ = doc or f"Elementwise {prim.name}, differentiable, with NumPy broadcasting."
    return op


REGISTRY: dict[str, Primitive] = {}


def register(*prims: Primitive):
    for p in prims:
        if p.name in REGISTRY:
            raise ValueError(f"primitive {p.name!r} defined twice")
        REGISTRY[p.name] = p
    return prims[0] if len(prims) == 1 else prims
