"""The ``"numba"`` backend of ``chainrule.compile``: elementwise chains fused into Numba loops.

The program is cut into steps, in an order that keeps the data flow (Kahn's algorithm that
takes every ready supported equation before an unsupported one, so that supported equations
gather into as few kernels as possible):

- a kernel: supported equations compiled together as one ``numba.njit`` function. Inside it,
  every array is flat (C order) and each value lives in a *loop* over the elements of its
  shape: elementwise equations of one shape whose operands are available before the loop join
  it as scalar expressions (``s7 = (math.sin(s3) * 2.0)``), so a chain of them reads its inputs
  once and writes only the values that leave the loop (used by a later loop, by the wrapper or
  returned). Operands of another shape are read through the broadcast index of the loop's flat
  index (``v2[i % 4]``, ``v3[i // 4]``: any NumPy broadcast, its constants written out), and
  size-1 operands are read once before the loop. ``sum``, ``amax`` and ``amin`` accumulate in
  the loop of their input's shape; ``reshape`` is free (the flat array is the same);
  ``broadcast_to`` is an elementwise copy read through the broadcast index. When every
  equation is supported, the whole program is one kernel. Many inputs or results (a forward
  program's residuals, the backward program's arguments) are packed into one array per dtype,
  since Numba's compile time grows much faster than linearly with the number of arrays;
- any other equation runs as in the NumPy backend, ``prim.impl(*args, *params)``.

Every scalar operation is computed in the dtypes NumPy's own loop would use
(``ufunc.resolve_dtypes``, Python numbers weak as in NumPy 2) and cast to the result's dtype, so
values equal the NumPy backend's up to the last bits of the math library and the summation order
(NumPy sums pairwise, a kernel in order), and every dtype is NumPy's.

Kernels are compiled when the program is generated (for C-contiguous one-dimensional arrays),
and cached by their source text in ``_CACHE``: a program traced again with the same operations,
shapes and dtypes reuses them. A kernel that Numba cannot compile runs through NumPy, with a
warning. Numba compiles about 1.5 ms per operation (the 1,000-operation chain's forward and
backward: 3 to 6 s) and calls libm per element, where NumPy's SIMD loops are several times
faster on large arrays of transcendental functions: this backend pays off for small arrays and
long chains (per-call overhead) and for arithmetic on large arrays (no temporaries).
"""

from __future__ import annotations

import heapq
import math
import warnings

import numpy as np

try:
    import numba
except ImportError as exc:  # the optional extra
    raise ImportError(
        'compile(backend="numba") needs Numba, which is not installed: '
        'pip install "chainrule[numba]" (or pip install numba), or use backend="numpy"'
    ) from exc

from .._backend import erf as _erf
from ..autograd.tracing import Const, Var
from ._codegen import Names, Source, _literal, _result, function_text, load
from ._program import Program, param_vars, uses

__all__ = ["generate"]

_CACHE: dict = {}  # kernel source text -> compiled numba dispatcher
_MANY = 8  # more inputs or outputs than this are packed into one array per dtype
_BIG = 4096  # elements: a larger output keeps an array of its own (a packed one lives as long
# as any output in it does), unless more than _MANY of them would

_F8 = np.dtype(np.float64)
_B = np.dtype(np.bool_)
# the dtypes a kernel computes with: NumPy's name for each in the kernel's source
_DTYPES = {np.dtype(t): f"np.{np.dtype(t).name}"
           for t in (np.float64, np.float32, np.int64, np.int32)}
_DTYPES[_B] = "np.bool_"

# ufuncs by name: (scalar template, dtype kinds its loop may have). Operators where Python's
# spelling is NumPy's operation; the rest call the ufunc on scalars, which Numba compiles.
_OPS: dict[str, tuple[str, str]] = {
    "add": ("({0} + {1})", "fi"), "subtract": ("({0} - {1})", "fi"),
    "multiply": ("({0} * {1})", "fi"), "divide": ("({0} / {1})", "f"),
    "negative": ("(-{0})", "fi"), "positive": ("(+{0})", "fi"), "square": ("({0} * {0})", "fi"),
    "absolute": ("np.abs({0})", "fi"), "maximum": ("np.maximum({0}, {1})", "fi"),
    "minimum": ("np.minimum({0}, {1})", "fi"),
    "greater": ("({0} > {1})", "fib"), "greater_equal": ("({0} >= {1})", "fib"),
    "less": ("({0} < {1})", "fib"), "less_equal": ("({0} <= {1})", "fib"),
    "equal": ("({0} == {1})", "fib"), "not_equal": ("({0} != {1})", "fib"),
    "logical_and": ("({0} and {1})", "b"), "logical_or": ("({0} or {1})", "b"),
    "logical_xor": ("({0} != {1})", "b"), "logical_not": ("(not {0})", "b"),
    # on booleans only (the loop's kinds say so): integers' bits are another operation
    "bitwise_and": ("({0} and {1})", "b"), "bitwise_or": ("({0} or {1})", "b"),
    "bitwise_xor": ("({0} != {1})", "b"), "invert": ("(not {0})", "b"),
}
# Python's math module where Numba's version is NumPy's function (edge cases included): it
# compiles about four times faster than NumPy's ufunc on a scalar
_MATH = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
         "arccosh": "acosh", "arctanh": "atanh", "arctan2": "atan2"}
for _name in ("sin cos tan sinh cosh tanh exp expm1 log log2 log10 log1p sqrt isnan isinf "
              "isfinite").split() + ["arcsin", "arccos", "arctan", "arcsinh", "arccosh",
                                     "arctanh"]:
    _OPS[_name] = (f"math.{_MATH.get(_name, _name)}({{0}})", "f")
for _name in "exp2 reciprocal cbrt floor ceil trunc rint sign deg2rad rad2deg spacing " \
             "signbit".split():
    _OPS[_name] = (f"np.{_name}({{0}})", "f")
for _name in ("arctan2", "hypot", "copysign"):
    _OPS[_name] = (f"math.{_MATH.get(_name, _name)}({{0}}, {{1}})", "f")
for _name in ("power float_power fmax fmin logaddexp logaddexp2 fmod remainder").split():
    # (heaviside has no Numba loop; floor_divide differs from NumPy's at infinity)
    _OPS[_name] = (f"np.{_name}({{0}}, {{1}})", "f")


def _lit(value, dt: np.dtype) -> str:
    """Source for the number ``value`` converted to ``dt`` as NumPy converts it."""
    v = np.asarray(value).astype(dt)[()]
    if dt.kind == "b":
        return repr(bool(v))
    if dt.kind in "iu":
        return f"{_DTYPES[dt]}({int(v)})"
    x = float(v)
    s = repr(x) if math.isfinite(x) else ("np.nan" if math.isnan(x) else
                                          "np.inf" if x > 0 else "-np.inf")
    return s if dt == _F8 else f"{_DTYPES[dt]}({s})"


def _cast(expr: str, src, dt: np.dtype) -> str:
    return expr if src == dt else f"{_DTYPES[dt]}({expr})"


def _kind_of(a):
    """An operand's type for NumPy's loop resolution: a dtype, or Python's ``int``/``float``
    (weak scalars, NumPy 2), or None when a kernel cannot take it."""
    if type(a) is Var:
        return a.dtype if a.dtype in _DTYPES else None
    v = a.value
    if type(v) is bool:
        return _B
    if type(v) in (int, float):
        return type(v)
    if isinstance(v, (np.ndarray, np.generic)) and v.dtype in _DTYPES:
        return v.dtype
    return None


def _axes(axis, ndim) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if type(axis) is int else tuple(axis)
    return tuple(sorted(ax % ndim for ax in axis))


class _Op:
    """How an elementwise equation reads as a scalar expression: ``template`` formatted with
    its operands, each cast to ``dtypes[k]`` (None: as it is), then cast to the result's dtype."""

    __slots__ = ("template", "dtypes", "cast")

    def __init__(self, template, dtypes, cast=True):
        self.template, self.dtypes, self.cast = template, dtypes, cast


def _elementwise(e) -> _Op | None:
    """The scalar form of elementwise equation ``e``, or None."""
    kinds = [_kind_of(a) for a in e.args]
    out = e.out.dtype
    # (compare dtypes by type first: np.dtype("f8") == None and == float are True)
    if any(k is None for k in kinds) or out not in _DTYPES:
        return None
    prim, impl = e.prim, e.prim.impl
    name = prim.name
    if isinstance(impl, np.ufunc) and getattr(np, impl.__name__, None) is impl:
        op = _OPS.get(impl.__name__)
        if op is None or e.params or impl.nout != 1:
            return None
        try:
            loop = impl.resolve_dtypes(tuple(kinds) + (None,))
        except (TypeError, ValueError):
            return None
        if loop[-1] != out or any(d.kind not in op[1] or d not in _DTYPES for d in loop[:-1]):
            return None
        return _Op(op[0], loop[:-1], cast=out != _B)
    dts = [k for k in kinds if isinstance(k, np.dtype)]
    real = out.kind == "f" and all(k.kind in "fib" for k in dts)
    first = kinds[0] if isinstance(kinds[0], np.dtype) else None  # a Var's or array's dtype
    if name == "where" and first == _B:
        return _Op("({1} if {0} else {2})", (_B, out, out), cast=out != _B)
    if name == "cast" and real and first is not None:
        return _Op("{0}", (first,))
    if name in ("sigmoid", "relu", "erf") and real and first == out:
        zero = _lit(0, out)
        if name == "sigmoid":  # as the kernel: exp(-log(1 + exp(-x)))
            return _Op(f"math.exp(-np.logaddexp({zero}, -{{0}}))", (out,))
        if name == "relu":
            return _Op(f"np.maximum({{0}}, {zero})", (out,))
        if impl is _erf:  # SciPy's float32 loop computes in float64 too
            return _Op("math.erf({0})", (_F8,))
    if name == "clip" and real and first == out and len(e.params) == 2 and all(
            type(p) in (int, float) for p in e.params):
        lo, hi = (_lit(p, out) for p in e.params)
        return _Op(f"np.minimum(np.maximum({{0}}, {lo}), {hi})", (out,))
    return None


def _supported(e) -> str | None:
    """What a kernel does with ``e``: 'ew' (elementwise), 'reduce', 'reshape', or None."""
    if any(True for _ in param_vars(e.params)):  # a traced index: NumPy's business
        return None
    name = e.prim.name
    if name in ("sum", "amax", "amin"):
        x = e.args[0]
        if type(x) is Var and x.dtype in _DTYPES and len(e.params) == 2 and (
                e.out.dtype.kind == "f" or (name == "sum" and e.out.dtype == np.int64)) and (
                name == "sum" or math.prod(x.shape) > 0):
            return "reduce"
        return None
    if name == "reshape":
        return "reshape" if type(e.args[0]) is Var and e.out.dtype in _DTYPES else None
    if name == "broadcast_to":
        a = e.args[0]
        return "ew" if type(a) is Var and a.dtype in _DTYPES else None
    if e.prim.nin is None or len(e.args) != e.prim.nin:
        return None
    return "ew" if _elementwise(e) is not None else None


def _index(s: tuple, shape: tuple) -> str:
    """The flat index into an array of shape ``s`` that broadcasts to ``shape`` at flat index
    ``i`` of ``shape`` (C order): one term per run of axes that ``s`` keeps."""
    k = len(shape)
    s = (1,) * (k - len(s)) + tuple(s)
    if s == tuple(shape):
        return "i"
    terms = []
    d = 0
    outer = True  # no axis of length > 1 before this run: no modulo needed
    while d < k:
        if shape[d] == 1:
            d += 1
            continue
        keep = s[d] != 1
        end = d
        while end < k and (shape[end] == 1 or (s[end] != 1) == keep):
            end += 1
        if keep:
            inner = math.prod(shape[end:])
            run = math.prod(shape[d:end])
            stride = math.prod(s[end:])
            t = "i" if inner == 1 else f"i // {inner}"
            if not outer:
                t = f"({t}) % {run}" if inner != 1 else f"i % {run}"
            terms.append(t if stride == 1 else f"({t}) * {stride}")
        outer = False
        d = end
    return " + ".join(terms) or "0"


class _Loop:
    """A loop over the elements of ``shape``: its equations, in order, and the values it writes
    to arrays (``stores``)."""

    __slots__ = ("shape", "size", "eqns", "stores")

    def __init__(self, shape):
        self.shape, self.size = tuple(shape), math.prod(shape)
        self.eqns: list = []
        self.stores: set = set()


class _Kernel:
    """Planning and source of one kernel: ``eqns`` (in a data-flow order) into loops.

    Every array the kernel reads or writes is a *slot*, ``(buffer, offset)``: an input of its
    own or a place in the inputs packed into one array per dtype (more than ``_MANY`` inputs),
    likewise for outputs, and the values that only later loops read share one scratch array per
    dtype. Numba's compile time grows much faster than linearly with the number of array
    variables, arguments and results; a kernel has a handful of each, whatever its size.
    """

    def __init__(self, eqns, needed_outside):
        self.loops: list[_Loop] = []
        self.avail: dict = {}  # var -> ("sc" | "arr", loop index): where its value is ready
        self.root: dict = {}  # a reshape's result -> the var whose flat array it is
        self.inputs: list = []  # Vars read from outside, in order of first use
        self.consts: dict = {}  # id(array) -> array (larger than one element)
        for e in eqns:
            self._plan(e)
        self.outputs = [e.out for e in eqns if e.out in needed_outside]
        for v in self.outputs:
            self._materialize(v)
        self._assign()

    # --- planning ------------------------------------------------------------------------------
    def _ready(self, a, k) -> bool:
        """Var ``a`` can be read in loop ``k``."""
        where = self.avail.get(a)
        if where is None:  # a kernel input
            return True
        kind, j = where
        return j <= k if kind == "sc" else j < k

    def _loop_for(self, shape, args) -> int:
        for k in range(len(self.loops) - 1, -1, -1):
            if self.loops[k].shape == shape and all(self._ready(a, k) for a in args):
                return k
        self.loops.append(_Loop(shape))
        return len(self.loops) - 1

    def _root(self, v):
        return self.root.get(v, v)

    def _materialize(self, v):
        """``v`` is needed as an array: its loop writes it (an input or a result is one)."""
        where = self.avail.get(self._root(v))
        if where is not None and where[0] == "sc":
            self.loops[where[1]].stores.add(self._root(v))

    def _read_from(self, a, k):
        """Loop ``k`` reads ``a``: a value of an earlier loop is read from its array."""
        where = self.avail.get(a)
        if where is not None and where[0] == "sc" and where[1] < k:
            self._materialize(a)

    def _plan(self, e):
        for a in e.args:
            if type(a) is Var:
                if a not in self.avail and a not in self.inputs:
                    self.inputs.append(a)
            elif not (type(a.value) in (bool, int, float) or np.size(a.value) == 1):
                self.consts.setdefault(id(a.value), a.value)
        kind = _supported(e)
        x = e.args[0]
        if kind == "reshape":
            self._materialize(x)
            self.root[e.out] = self._root(x)
            where = self.avail.get(self._root(x))
            self.avail[e.out] = ("arr", -1 if where is None else where[1])
            return
        if kind == "reduce":
            k = self._loop_for(tuple(x.shape), [x])
            self._read_from(x, k)
            self.loops[k].eqns.append(e)
            self.avail[e.out] = ("arr", k)
            return
        vars_ = [a for a in e.args if type(a) is Var]
        k = self._loop_for(tuple(e.out.shape), vars_)
        for a in vars_:
            self._read_from(a, k)
        self.loops[k].eqns.append(e)
        self.avail[e.out] = ("sc", k)

    # --- buffers -------------------------------------------------------------------------------
    @staticmethod
    def _pack(prefix, vars_, slot) -> dict:
        """Slots for ``vars_`` in one array per dtype, ``{name: (dtype, size)}``."""
        groups: dict = {}
        for v in vars_:
            name = f"{prefix}_{v.dtype.name}"
            dt, size = groups.get(name, (v.dtype, 0))
            slot[v] = (name, size)
            groups[name] = (dt, size + math.prod(v.shape))
        return groups

    def _assign(self):
        self.slot: dict = {}
        self.params: list = []  # kernel parameters: (name, dtype, what): what is a Var, a list
        # of packed Vars or a constant array
        if len(self.inputs) > _MANY:
            for name, (dt, _) in self._pack("p", self.inputs, self.slot).items():
                self.params.append((name, dt, [v for v in self.inputs
                                               if self.slot[v][0] == name]))
        else:
            for v in self.inputs:
                self.slot[v] = (f"v{v.n}", 0)
                self.params.append((f"v{v.n}", v.dtype, v))
        by_dtype: dict = {}
        for c in self.consts.values():
            by_dtype.setdefault(np.dtype(c.dtype), []).append(np.ascontiguousarray(c).ravel())
        self.const_at = {}
        for dt, arrays in by_dtype.items():
            name, off = f"c_{dt.name}", 0
            for c in self.consts.values():
                if c.dtype == dt:
                    self.const_at[id(c)] = (name, off)
                    off += c.size
            self.params.append((name, dt, np.concatenate(arrays)))
        # outputs: a reshape of an input is copied into its own output
        own = []
        for v in self.outputs:
            r = self._root(v)
            if r in self.inputs:
                own.append(v)
            elif r not in own:
                own.append(r)
        self.copies = [v for v in own if v in self.root]
        sep = own
        packed: list = []
        if len(own) > _MANY:
            packed = [v for v in own if math.prod(v.shape) <= _BIG]
            sep = [v for v in own if math.prod(v.shape) > _BIG]
            if len(sep) > _MANY:
                packed, sep = own, []
        self.out_groups = self._pack("o", packed, self.slot)
        self.out_sep = sep
        for v in sep:
            self.slot[v] = (f"v{v.n}", 0)
        # a copy's own slot is where it is returned; the kernel reads it where its input is
        self.copy_slot = {v: self.slot.pop(v) for v in self.copies}
        temps = [v for loop in self.loops for v in sorted(loop.stores, key=lambda v: v.n)
                 if v not in self.slot]
        temps += [e.out for loop in self.loops for e in loop.eqns
                  if e.prim.name in ("sum", "amax", "amin") and e.out not in self.slot]
        self.temp_groups = self._pack("t", temps, self.slot)
        for v, r in self.root.items():
            self.slot.setdefault(v, self.slot[r])

    def _ref(self, v, idx: str) -> str:
        name, off = self.slot[v]
        return f"{name}[{idx}]" if off == 0 else f"{name}[{off}]" if idx == "0" else \
            f"{name}[{off} + {idx}]"

    # --- source --------------------------------------------------------------------------------
    def _operand(self, a, dt, k, pre) -> str:
        """Source for operand ``a`` read at element ``i`` of loop ``k``, as dtype ``dt``
        (None: its own)."""
        loop = self.loops[k]
        if type(a) is Const:
            v = a.value
            if type(v) in (bool, int, float) or np.size(v) == 1:
                return _lit(np.asarray(v).reshape(()), np.asarray(v).dtype if dt is None else dt)
            name, off = self.const_at[id(v)]
            idx = _index(np.shape(v), loop.shape)
            src, expr = v.dtype, f"{name}[{idx}]" if off == 0 else f"{name}[{off} + {idx}]"
        elif self.avail.get(a) == ("sc", k):
            src, expr = a.dtype, f"s{a.n}"
        else:
            src = a.dtype
            if math.prod(a.shape) == 1:  # read once, before the loop
                line = f"x{a.n} = {self._ref(a, '0')}"
                if line not in pre:
                    pre.append(line)
                expr = f"x{a.n}"
            else:
                expr = self._ref(a, _index(a.shape, loop.shape))
        return expr if dt is None else _cast(expr, src, dt)

    def _loop_source(self, k) -> list[str]:
        loop = self.loops[k]
        before, pre, body, after = [], [], [], []
        for e in loop.eqns:
            name = e.prim.name
            out = e.out
            if name in ("sum", "amax", "amin"):
                x = e.args[0]
                val = self._operand(x, out.dtype, k, pre)
                axes = _axes(e.params[0], len(x.shape))
                kept = tuple(1 if d in axes else s for d, s in enumerate(x.shape))
                size = math.prod(kept)
                init = _lit(0 if name == "sum" else -np.inf if name == "amax" else np.inf,
                            out.dtype)
                step = "{} + {}" if name == "sum" else \
                    "np.maximum({}, {})" if name == "amax" else "np.minimum({}, {})"
                if size == 1:
                    before.append(f"a{out.n} = {init}")
                    body.append(f"a{out.n} = {step.format(f'a{out.n}', val)}")
                    after.append(f"{self._ref(out, '0')} = a{out.n}")
                else:
                    buf, off = self.slot[out]
                    before.append(f"{buf}[{off}:{off + size}] = {init}")
                    ref = self._ref(out, _index(kept, x.shape))
                    body.append(f"{ref} = {step.format(ref, val)}")
                continue
            if name == "broadcast_to":
                expr = self._operand(e.args[0], None, k, pre)
            else:
                op = _elementwise(e)
                expr = op.template.format(*(self._operand(a, d, k, pre)
                                            for a, d in zip(e.args, op.dtypes)))
                if op.cast and not (out.dtype == _F8 and all(d == _F8 for d in op.dtypes)):
                    expr = f"{_DTYPES[out.dtype]}({expr})"
            body.append(f"s{out.n} = {expr}")
            if out in loop.stores:
                body.append(f"{self._ref(out, 'i')} = s{out.n}")
        n = loop.size
        lines = [f"# loop {k}: {n} element{'s' * (n != 1)}, shape {loop.shape}"]
        lines += before + pre + [f"for i in range({n}):"] + ["    " + b for b in body] + after
        return lines

    def source(self, name: str) -> str:
        """The source of ``def name(...)``: the kernel."""
        body = []
        for groups in (self.out_groups, self.temp_groups):
            for buf, (dt, size) in groups.items():
                body.append(f"{buf} = np.empty({size}, {_DTYPES[dt]})")
        for v in self.out_sep:
            body.append(f"v{v.n} = np.empty({math.prod(v.shape)}, {_DTYPES[v.dtype]})")
        for k in range(len(self.loops)):
            body += self._loop_source(k)
        for v in self.copies:  # a reshape of an input, returned
            (buf, off), (src, soff) = self.copy_slot[v], self.slot[self.root[v]]
            n = math.prod(v.shape)
            body.append(f"{buf}[{off}:{off + n}] = {src}[{soff}:{soff + n}]")
        rets = list(self.out_groups) + [f"v{v.n}" for v in self.out_sep]
        body.append(f"return ({', '.join(rets)}{',' if len(rets) == 1 else ''})")
        params = ", ".join(p[0] for p in self.params)
        return f"def {name}({params}):\n" + "".join(f"    {b}\n" for b in body)

    def result(self, v):
        """Where the wrapper finds output ``v``'s flat array: (index in the kernel's results,
        slice or None)."""
        if v not in self.copy_slot:
            v = self._root(v)
        name, off = self.copy_slot[v] if v in self.copy_slot else self.slot[v]
        groups = list(self.out_groups)
        if name in self.out_groups:
            return groups.index(name), (off, off + math.prod(v.shape))
        return len(groups) + self.out_sep.index(v), None


def _compile_kernel(text: str, arg_dtypes: list):
    """The numba dispatcher of kernel source ``text`` (``def kernel(...)``), cached by text."""
    disp = _CACHE.get(text)
    if disp is None:
        kernel = load(text, "kernel", {"np": np, "math": math}, "numba ")
        disp = numba.njit(error_model="numpy")(kernel)
        # compile now, for the arrays the wrapper passes; other layouts (read-only arrays)
        # compile on first use
        disp.compile(tuple(numba.types.Array(numba.from_dtype(d), 1, "C") for d in arg_dtypes))
        _CACHE[text] = disp
    return disp


def _schedule(prog: Program) -> list:
    """Steps ``("kernel", [eqns])`` or ``("impl", eqn)`` in a data-flow order that gathers
    supported equations: every ready supported equation is taken before an unsupported one."""
    eqns = prog.eqns
    users: dict = {}
    missing = []
    for idx, e in enumerate(eqns):
        deps = set(uses(e))
        missing.append(0)
        for a in deps:
            users.setdefault(a, []).append(idx)
            missing[idx] += 1
    made = {e.out for e in eqns}
    sup = [_supported(e) is not None for e in eqns]
    ready: tuple[list, list] = ([], [])  # (supported, unsupported), heaps of indices
    for idx, e in enumerate(eqns):
        # inputs (and anything not made here) are ready at the start
        missing[idx] -= sum(1 for a in set(uses(e)) if a not in made)
        if missing[idx] == 0:
            heapq.heappush(ready[0 if sup[idx] else 1], idx)

    def done(idx):
        for u in users.get(eqns[idx].out, ()):
            missing[u] -= 1
            if missing[u] == 0:
                heapq.heappush(ready[0 if sup[u] else 1], u)

    steps: list = []
    while ready[0] or ready[1]:
        group = []
        while ready[0]:
            idx = heapq.heappop(ready[0])
            group.append(eqns[idx])
            done(idx)
        if group:
            steps.append(("kernel", group))
        while ready[1]:
            idx = heapq.heappop(ready[1])
            steps.append(("impl", eqns[idx]))
            done(idx)
    return steps


def generate(prog: Program, name: str = "compiled") -> Source:
    """Python source for ``prog`` that calls Numba kernels: ``fn(*inputs) -> tuple``."""
    kernels_text: list[str] = []
    body: list[str] = []
    inputs = set(prog.inputs)
    flat: dict = {}  # var -> name of its flat array (a kernel's result)
    shaped: set = set()  # vars bound to v{n} in the wrapper

    def var(v) -> str:
        """``v`` with its shape, in the wrapper."""
        if v not in shaped and v not in inputs:
            f = flat[v]
            if len(v.shape) == 1:
                return f
            body.append(f"    v{v.n} = {f}.reshape({_literal(tuple(v.shape))})")
            shaped.add(v)
        return f"v{v.n}"

    names = Names(var)
    ns, const, arg, param = names.ns, names.const, names.arg, names.param

    def impl(e):
        kname, _ = names.kernel(e.prim)
        call = [arg(a) for a in e.args] + [param(p) for p in e.params]
        body.append(f"    v{e.out.n} = {kname}({', '.join(call)})")
        shaped.add(e.out)

    steps = _schedule(prog)
    where = {}  # var -> index of the step that makes it
    for s, (kind, what) in enumerate(steps):
        for e in (what if kind == "kernel" else (what,)):
            where[e.out] = s
    used_after: dict = {}  # var -> last step that reads it (outputs: after every step)
    for s, (kind, what) in enumerate(steps):
        for e in (what if kind == "kernel" else (what,)):
            for a in uses(e):
                if where.get(a) != s:
                    used_after[a] = s
    for o in prog.outputs:
        if type(o) is Var:
            used_after[o] = len(steps)

    n_kernels = 0
    for kind, what in steps:
        if kind == "impl":
            impl(what)
            continue
        if all(_supported(e) == "reshape" or e.prim.name == "broadcast_to" for e in what):
            for e in what:  # nothing to fuse: NumPy's views are cheaper than copies
                impl(e)
            continue
        kern = _Kernel(what, {v for v in (e.out for e in what) if v in used_after})
        text = kern.source("kernel")
        dtypes = [p[1] for p in kern.params]
        try:
            disp = _compile_kernel(text, dtypes)
        except Exception as exc:  # a gap in Numba's typing: NumPy runs these equations
            warnings.warn(
                f"compile(backend='numba'): Numba could not compile a kernel of "
                f"{len(what)} operation(s) ({', '.join(sorted({e.prim.name for e in what}))}) "
                f"of {name}; they run with NumPy. Numba said: {str(exc).splitlines()[0]}",
                RuntimeWarning, stacklevel=2)
            for e in what:
                impl(e)
            continue
        kname = f"_k{n_kernels}"
        ns[kname] = disp
        call = []
        for _, _, src in kern.params:
            if type(src) is Var:
                call.append(flat[src] if src in flat else f"v{src.n}.ravel()"
                            if src in inputs else f"np.ravel(v{src.n})")
            elif type(src) is list:  # packed: concatenate flattens each
                parts = [flat.get(v, f"v{v.n}") for v in src]
                call.append(f"np.concatenate(({', '.join(parts)},), axis=None)")
            else:
                call.append(const(src, "c"))
        results = [f"o{n_kernels}_{j}" for j in range(len(kern.out_groups))] + \
            [f"f{v.n}" for v in kern.out_sep]
        n_kernels += 1
        lhs = ", ".join(results) + ("," if len(results) == 1 else "")
        body.append(f"    {lhs} = {kname}({', '.join(call)})")
        runs: list = []  # [result, start, size, [vars]]: equal-sized neighbours in a pack
        for v in kern.outputs:
            j, sl = kern.result(v)
            if sl is None:
                flat[v] = results[j]
                continue
            flat[v] = f"f{v.n}"
            r = runs[-1] if runs else None
            if r is not None and r[0] == j and sl[1] - sl[0] == r[2] and \
                    sl[0] == r[1] + r[2] * len(r[3]):
                r[3].append(v)
            else:
                runs.append([j, sl[0], sl[1] - sl[0], [v]])
        for j, start, size, vs in runs:  # the rows of a reshape: one view each, made in C
            lhs_names = ", ".join(f"f{v.n}" for v in vs)
            end = start + size * len(vs)
            body.append(f"    {lhs_names} = {results[j]}[{start}:{end}]" if len(vs) == 1 else
                        f"    {lhs_names} = {results[j]}[{start}:{end}].reshape({len(vs)}, "
                        f"{size})")
        shown = text.replace("def kernel(", f"def {kname}(", 1)
        sig = ", ".join(f"{d.name}[::1]" for d in dtypes)
        kernels_text.append(f'@numba.njit(error_model="numpy")  # compiled for ({sig})\n{shown}')

    # the caller owns each result (as eagerly; kernels write fresh arrays, packed results are
    # disjoint slices of one)
    rets = [_result(prog, k, arg) for k in range(len(prog.outputs))]
    notes = (f"# Numba kernels (below): {', '.join(f'_k{j}' for j in range(n_kernels))}",) \
        if n_kernels else ()
    text = function_text(name, prog, names, body, ", ".join(rets), notes)
    fn = load(text, name, ns, "numba ")
    shown = "\n".join([text] + kernels_text)
    return Source(shown, fn, name)
