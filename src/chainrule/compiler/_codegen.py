"""A program as Python source of NumPy calls (the ``"numpy"`` backend), compiled with ``compile``.

Each equation becomes one line, ``v7 = multiply(v3, v5)``: NumPy's own function under its own
name where the primitive's kernel is one (``sin`` is ``numpy.sin``), else the kernel under the
primitive's name
(``_sum(v2, (-1,), False)``). Literal parameters are written out; arrays and other objects are
names bound in the function's namespace (``c0``, ``p1``), listed in the source's header.

The memory plan: every value is deleted after its last use (peak memory stays near eager
execution's, and NumPy's allocator hands the freed block to the next result: measured faster
even for one-element arrays), and an elementwise NumPy kernel (a ufunc) whose argument dies at
this line and owns a buffer of the result's shape and dtype writes into it (``out=``) when the
array is large (``_REUSE`` elements and up; below that the keyword costs more than it saves).
"""

from __future__ import annotations

import itertools
import linecache
import math

import numpy as np

from ..autograd.tracing import Var
from ._program import Program, param_vars, uses

_REUSE = 4096  # elements: from here on, buffers are reused through out=
_counter = itertools.count()


def _literal(p):
    """Python source for parameter ``p`` when it is a plain literal, else None."""
    if p is None or p is Ellipsis or type(p) in (bool, int, str):
        return repr(p)
    if type(p) is float:
        return repr(p) if math.isfinite(p) else None
    if type(p) in (tuple, list):
        parts = [_literal(q) for q in p]
        if any(q is None for q in parts):
            return None
        if type(p) is tuple:
            return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
        return "[" + ", ".join(parts) + "]"
    if type(p) is slice:
        parts = [_literal(q) for q in (p.start, p.stop, p.step)]
        return None if None in parts else f"slice({', '.join(parts)})"
    return None


def _kernel_name(prim) -> tuple[str, bool]:
    """(name used in the source, whether it is NumPy's own function)."""
    impl = prim.impl
    name = getattr(impl, "__name__", None)
    if name and getattr(np, name, None) is impl:
        # a global of its own name: one lookup instead of two (np, then .sin), measured 15%
        # faster per operation on one-element arrays
        return name, True
    return f"_{prim.name}", False


class Source:
    """The generated function and what it shows: ``text`` (its source), ``fn``."""

    __slots__ = ("text", "fn", "name")

    def __init__(self, text, fn, name):
        self.text, self.fn, self.name = text, fn, name


def _owned(prog: Program):
    """Variables whose buffer nothing else shares: results of NumPy ufuncs (always a fresh
    array) never passed to a view primitive."""
    owned = set()
    shared = set()
    for e in prog.eqns:
        if e.prim.view:
            shared.update(a for a in e.args if type(a) is Var)
        elif isinstance(e.prim.impl, np.ufunc):
            owned.add(e.out)
    return owned - shared - set(prog.inputs)


def _result(prog: Program, k: int, arg) -> str:
    """Output ``k``'s expression. The caller owns each result, as eagerly: a result that is an
    input, a constant (bound once, for every call) or an earlier result is copied, so that
    writing into it changes nothing else."""
    o = prog.outputs[k]
    if k < getattr(prog, "results", len(prog.outputs)):
        if type(o) is Var:
            if o in prog.inputs or o in prog.outputs[:k]:
                return f"{arg(o)}.copy()"
        elif isinstance(o.value, np.ndarray):
            return f"{arg(o)}.copy()"
    return arg(o)


class Names:
    """How generated source names values, and the namespace it runs in: a Var is ``v<n>``
    (``var`` may say otherwise), a literal is written out, any other object is bound in the
    namespace as ``c<k>`` (an argument) or ``p<k>`` (a parameter) and listed in ``header``."""

    def __init__(self, var=None):
        self.ns: dict = {"np": np}
        self.header: list[str] = []
        self._bound: dict = {}
        self.var = var or (lambda v: f"v{v.n}")

    def const(self, value, prefix: str) -> str:
        key = id(value)
        if key not in self._bound:
            name = self._bound[key] = f"{prefix}{len(self._bound)}"
            self.ns[name] = value
            desc = (f"array {value.dtype.name}{list(value.shape)}"
                    if isinstance(value, np.ndarray) else f"dtype {value}"
                    if isinstance(value, np.dtype) else type(value).__name__)
            self.header.append(f"#   {name}: {desc}")
        return self._bound[key]

    def arg(self, a) -> str:
        if type(a) is Var:
            return self.var(a)
        lit = _literal(a.value)
        return lit if lit is not None else self.const(a.value, "c")

    def param(self, p) -> str:
        if type(p) is Var:
            return self.var(p)
        if type(p) in (tuple, list) and any(True for _ in param_vars((p,))):
            inner = ", ".join(self.param(q) for q in p)
            return (f"({inner},)" if len(p) == 1 else f"({inner})") if type(p) is tuple \
                else f"[{inner}]"
        lit = _literal(p)
        return lit if lit is not None else self.const(p, "p")

    def kernel(self, prim) -> tuple[str, bool]:
        """The name an equation's kernel is called by, bound in the namespace."""
        kname, is_np = _kernel_name(prim)
        self.ns[kname] = prim.impl
        return kname, is_np


def function_text(name: str, prog: Program, names: Names, body: list[str], ret: str,
                  notes: tuple = ()) -> str:
    """``def name(inputs): <notes> <bound names> <body> return (ret)``."""
    lines = [f"def {name}({', '.join(f'v{v.n}' for v in prog.inputs)}):"]
    lines.extend(f"    {n}" for n in notes)
    if names.header:
        lines.append("    # constants and parameters bound in the namespace:")
        lines.extend("    " + h for h in names.header)
    lines.extend(body)
    lines.append(f"    return ({ret}{',' if len(prog.outputs) == 1 else ''})")
    return "\n".join(lines) + "\n"


def load(text: str, name: str, ns: dict, label: str = ""):
    """Compile generated source and return its function ``name``; tracebacks and ``inspect``
    show the source (it is registered with linecache under a name of its own)."""
    filename = f"<chainrule.compile {label}{name} #{next(_counter)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    exec(compile(text, filename, "exec"), ns)  # noqa: S102 - our own generated source
    return ns[name]


def generate(prog: Program, name: str = "compiled") -> Source:
    """Python source for ``prog``, compiled: ``fn(*inputs) -> tuple of outputs``."""
    names = Names()
    arg = names.arg
    # last use of each variable, for the memory plan
    last = {}
    for i, e in enumerate(prog.eqns):
        for a in uses(e):
            last[a] = i
    outs = {o for o in prog.outputs if type(o) is Var}
    owned = _owned(prog) - outs
    body = []
    for i, e in enumerate(prog.eqns):
        kname, is_np = names.kernel(e.prim)
        call = ", ".join([arg(a) for a in e.args] + [names.param(p) for p in e.params])
        out = e.out
        big = math.prod(out.shape) >= _REUSE
        target = None
        if big and is_np and isinstance(e.prim.impl, np.ufunc) and e.prim.impl.nout == 1:
            for a in e.args:
                if (type(a) is Var and a in owned and last.get(a) == i and a.shape == out.shape
                        and a.dtype == out.dtype):
                    target = a
                    break
        if target is not None:
            body.append(f"    v{out.n} = {kname}({call}, out=v{target.n})")
            owned.add(out)
        else:
            body.append(f"    v{out.n} = {kname}({call})")
        dead = [a for a in set(uses(e))
                if last.get(a) == i and a not in outs and a is not target
                and a not in prog.inputs]
        if dead:
            body.append(f"    del {', '.join(f'v{a.n}' for a in sorted(dead, key=lambda v: v.n))}")
    ret = ", ".join(_result(prog, k, arg) for k in range(len(prog.outputs)))
    text = function_text(name, prog, names, body, ret)
    return Source(text, load(text, name, names.ns), name)
