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
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

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
        "name", "impl", "nin", "save", "vjp", "jvp", "elementwise", "linear",
        "saver", "graph_slots", "differentiable",
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
        linear: bool = False,
    ):
        self.name = name
        self.impl = impl
        self.nin = nin
        self.save = tuple(save)
        self.elementwise = elementwise
        self.linear = linear
        self.vjp = _rules(name, vjp, nin)
        self.jvp = _rules(name, jvp, nin)
        self.differentiable = self.vjp is not None
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


def _conjugated(d: Callable) -> Callable:
    """The reverse rule of a one-input holomorphic function with real Taylor coefficients, from
    its forward rule: ``conj(d(conj(v)))`` = v * conj(f'(z)) on complex data, ``d`` on real."""
    def vjp(v, *saved):
        if v.dtype.kind != "c":
            return d(v, *saved)
        conj = REGISTRY["conj"]
        return apply(conj, (d(apply(conj, (v,)), *saved),))
    return vjp


def _real_only(name: str, d: Callable) -> Callable:
    """The reverse rule of an operation of several inputs whose rule has no complex form yet."""
    def vjp(v, *saved):
        if v.dtype.kind == "c":
            raise TypeError(f"{name}: not differentiable for complex inputs; differentiate "
                            f"the real and imaginary parts as real tensors instead")
        return d(v, *saved)
    return vjp


def elementwise(name: str, impl: Callable, *, save=(), d=None, vjp=None, nin: int | None = None):
    """An elementwise primitive, given by its partial derivatives.

    ``d`` holds one rule per input, ``rule(v, *saved)``, that multiplies ``v`` by that input's
    partial derivative. An elementwise Jacobian is diagonal, hence its own transpose, so on real
    data one rule serves both modes: the reverse rule (followed by the engine's sum back to the
    input's shape under broadcasting) and the forward rule.

    On complex data the forward rule ``v * f'(z)`` stays right, but the reverse rule must be
    ``v * conj(f'(z))`` (docs/architecture.md, "Complex numbers"). ``vjp``, when given, holds
    the reverse rules (written to test ``v.dtype`` inline: no cost on real data). Without it, a
    one-input primitive gets ``conj(d(conj(v)))`` (right for functions with real Taylor
    coefficients: sin, exp, arcsinh, gamma, ...), at the price of one extra call per reverse
    rule, and a primitive of several inputs refuses complex cotangents (a real input of a
    complex result needs the real part of its gradient, which ``d`` cannot know).
    """
    if callable(d):
        d = (d,)
    n = nin if nin is not None else len(d)
    if vjp is None:
        vjp = tuple(None if r is None else _conjugated(r) if n == 1 else _real_only(name, r)
                    for r in d)
    elif callable(vjp):
        vjp = (vjp,)
    return Primitive(name, impl, nin=n, save=save, vjp=vjp, jvp=d, elementwise=True)


def nondifferentiable(name: str, impl: Callable, nin: int = 1):
    """An operation whose output carries no gradient (comparisons, argmax, ...)."""
    return Primitive(name, impl, nin=nin)


def apply(prim: Primitive, inputs: tuple, params: tuple = ()):
    """Run ``prim``: raw arrays in, raw array out; any tensor in, a recorded tensor out."""
    tt = tensor_types
    for a in inputs:
        if type(a) in tt:
            return _record(prim, inputs, params)
    return prim.impl(*inputs, *params)


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
