"""The coverage table of chainrule.numpy (and linalg, fft, scipy.special, scipy.stats,
scipy.linalg), measured from the code so that it cannot drift.

    python tools/numpy_coverage.py          # writes docs/numpy_coverage.md

(A tool of the repository, not of the installed package: it writes into the checkout's docs/.
The tests import it as ``tools.numpy_coverage``.)

Each public function is called at a small sample input (``SAMPLES`` below, one line per
function that needs particular arguments; the others are tried with a few generic inputs,
``CANDIDATES``). Its outputs are reduced to one number with fixed random weights, and

- reverse mode: ``chainrule.grad`` of that number, and
- forward mode: ``chainrule.jvp`` of it along a fixed random direction,

are each compared with central finite differences along the same direction. The notes name the
primitives recorded in the function's graph. The namespace's pass-through entries (indices,
bools, shapes, constants) are listed by their kind, and every other public NumPy name as not
provided (access raises ``NotDifferentiableError``).
"""

from __future__ import annotations

import importlib
import io
import math
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["SAMPLES", "CANDIDATES", "Row", "probe", "rows", "render", "write", "DOC_PATH"]

DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "numpy_coverage.md"


class Const:
    """A sample argument that is not differentiated (a float array used as data)."""

    def __init__(self, value):
        self.value = value


class Sym:
    """A symmetric matrix argument, perturbed only symmetrically (functions such as cholesky
    and eigh read one triangle: only symmetric directions have a convention-free derivative)."""

    def __init__(self, value):
        self.value = value


def _plain(a):
    """A sample argument as the function receives it (a fresh copy: in-place functions may
    write to it)."""
    if isinstance(a, (Const, Sym)):
        return _plain(a.value)
    if isinstance(a, list):
        return [_plain(b) for b in a]
    return a.copy() if isinstance(a, np.ndarray) else a


def written(f):
    """An in-place writer (``put``, ``copyto``, ...) as a function: it writes to a copy of its
    first argument and returns that copy."""

    def run(a, *rest):
        z = a * 1.0
        f(z, *rest)
        return z

    run.__name__ = getattr(f, "__name__", "written")
    return run


# --- sample inputs --------------------------------------------------------------------------------
V = np.array([0.35, 0.6, 0.85])  # in (0, 1): the domain of log, sqrt, arcsin, arctanh, logit
W = np.array([0.5, 0.25, 0.7])
G = 1.0 + V  # above 1: arccosh
M = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.2]])  # symmetric positive definite
N = np.array([[0.9, 0.2, 0.4], [0.1, 0.7, 0.3], [0.5, 0.6, 1.1]])  # general, well conditioned
R = np.array([[0.35, 0.6, 0.85, 0.2], [0.45, 0.15, 0.75, 0.55]])  # 2 x 4, distinct entries
for _a in (V, W, G, M, N, R):
    _a.setflags(write=False)  # shared by every probe: functions get copies (see _plain)

# Generic inputs, tried in order for functions without a line in SAMPLES.
CANDIDATES = [(V,), (V, W), (M,), (M, N), (G,), (R,), (V, 2), (M, 1),
              (np.array([1, 2, 3]),), (np.array([1, 2, 3]), np.array([3, 1, 2]))]

# One line per function that needs particular arguments (keys: the name in the namespace,
# prefixed by its module for submodules).
SAMPLES: dict[str, tuple] = {
    "reshape": (R, (4, 2)),
    "transpose": (R,),
    "swapaxes": (R, 0, 1),
    "moveaxis": (R, 0, 1),
    "rollaxis": (R, 1),
    "expand_dims": (V, 0),
    "squeeze": (R[:1],),
    "broadcast_to": (V, (2, 3)),
    "concatenate": ([V, W],),
    "concat": ([V, W],),
    "stack": ([V, W],),
    "hstack": ([V, W],),
    "vstack": ([V, W],),
    "dstack": ([V, W],),
    "column_stack": ([V, W],),
    "row_stack": ([V, W],),
    "block": ([M, N],),
    "append": (V, W),
    "split": (R, 2, 1),
    "array_split": (R, 3, 1),
    "hsplit": (R, 2),
    "vsplit": (R, 2),
    "dsplit": (R[:, :, None] * np.ones(2), 2),
    "take": (V, np.array([2, 0, 0])),
    "take_along_axis": (R, np.array([[1, 0, 3], [2, 2, 0]]), 1),
    "choose": (np.array([0, 1, 0]), [V, W]),
    "compress": (np.array([True, False, True]), V),
    "extract": (np.array([True, False, True]), V),
    "select": ([V > 0.5, V <= 0.5], [V, W]),
    "where": (V > 0.5, V, W),
    "delete": (V, 1),
    "insert": (V, 1, 0.5),
    "pad": (V, 1),
    "tile": (V, 2),
    "repeat": (V, 2),
    "roll": (V, 1),
    "rot90": (R,),
    "flip": (R,),
    "fliplr": (R,),
    "flipud": (R,),
    "diag": (V,),
    "diagflat": (V,),
    "diagonal": (M,),
    "trace": (M,),
    "tril": (M,),
    "triu": (M,),
    "einsum": ("ij,jk->ik", M, N),
    "interp": (np.array([0.3, 1.2, 2.5]), Const(np.array([0.0, 1.0, 2.0, 3.0])),
               np.array([0.85, 0.85, 1.55, 0.6])),
    "trapezoid": (V,),
    "diff": (V,),
    "ediff1d": (V,),
    "clip": (V, 0.4, 0.8),
    "percentile": (V, Const(40.0)),
    "nanpercentile": (V, Const(40.0)),
    "quantile": (V, Const(0.4)),
    "nanquantile": (V, Const(0.4)),
    "astype": (V, np.float64),
    "cov": (R,),
    "bincount": (np.array([0, 2, 0]), W),
    "corrcoef": (R,),
    "put": (V, np.array([0, 2, 0]), W),
    "put_along_axis": (R, np.array([[1], [2]]), Const(np.array([[0.5], [0.25]])), 1),
    "place": (V, V > 0.5, W),
    "putmask": (V, V > 0.5, W),
    "copyto": (V, W),
    "fill_diagonal": (M, W),
    "full_like": (V, W),
    "average": (V,),
    "searchsorted": (V, W),
    "ldexp": (V, np.array([1, 2, 3])),
    "heaviside": (V - 0.5, W),
    "float_power": (V, W),
    "convolve": (V, W),
    "correlate": (V, W),
    "tensordot": (M, N, 1),
    "linalg.norm": (V,),
    "linalg.matrix_power": (N, 2),
    "linalg.tensorinv": (N, 1),
    "linalg.tensorsolve": (N, V),
    "linalg.multi_dot": ([M, N, M],),
    "linalg.cholesky": (Sym(M),),
    "linalg.eigh": (Sym(M),),
    "linalg.eigvalsh": (Sym(M),),
    "linalg.solve": (M, V),
    "linalg.lstsq": (N, V),
    "linalg.eig": (N,),
    "linalg.eigvals": (N,),
    "r_": (V, W),
    "c_": (V, W),
    "linalg.outer": (V, W),
    "fft.fft": (V,),
    "fft.ifft": (V,),
    "fft.rfft": (R,),
    "fft.irfft": (R,),
    "fft.hfft": (V,),
    "fft.ihfft": (V,),
    "fft.fftshift": (R,),
    "fft.ifftshift": (R,),
    "fft.fftfreq": (4, Const(0.5)),
    "fft.rfftfreq": (4, Const(0.5)),
    "scipy.special.multigammaln": (G + 1.0, 2),
    "scipy.special.polygamma": (1, G),
    "scipy.special.iv": (V + 1.0, V + 0.5),  # differentiable in the order and in x
    "scipy.special.ive": (V + 1.0, V + 0.5),
    "scipy.special.jv": (V + 1.0, V + 0.5),
    "scipy.special.kv": (V + 1.0, V + 0.5),
    "scipy.special.kve": (V + 1.0, V + 0.5),
    "scipy.special.yv": (V + 1.0, V + 0.5),
    "scipy.special.zeta": (Const(G + 1.0), V),
    "scipy.special.betainc": (G, G + 0.5, V),
    "scipy.special.betaincc": (G, G + 0.5, V),
    "scipy.special.gammainc": (G, V),
    "scipy.special.gammaincc": (G, V),
    "scipy.special.stdtr": (G + 2.0, V),
    "scipy.special.jn": (2, G),
    "scipy.special.yn": (2, G),
    "scipy.stats.chi2.*": (V, G + 1.0),
    "scipy.linalg.solve_banded": ((1, 1), np.array([[0.0, 0.3, 0.2], [2.0, 1.5, 1.2],
                                                    [0.3, 0.2, 0.0]]), V),
    "scipy.linalg.cholesky": (Sym(M),),
    "scipy.linalg.cho_factor": (Sym(M),),
    "scipy.linalg.cho_solve": ((M, False), V),
    "scipy.linalg.solve_sylvester": (M, M, N),
    "scipy.stats.beta.*": (V, G, G + 0.5),
    "scipy.stats.binom.*": (np.array([0, 1, 3]), 5, V),
    "scipy.stats.poisson.*": (np.array([0, 1, 3]), G),
    "scipy.stats.poisson.ppf": (V, G),
    "scipy.stats.poisson.isf": (V, G),
    "scipy.stats.binom.ppf": (V, 5, V),
    "scipy.stats.binom.isf": (V, 5, V),
    "scipy.stats.dirichlet.*": (Const(np.array([0.2, 0.3, 0.5])), G),  # x on the simplex
    "scipy.stats.gamma.*": (V, G),
    "scipy.stats.t.*": (V, G + 2.0),
    "scipy.stats.multivariate_normal.*": (V, W, Sym(M)),
}

# Index tricks: probed as functions of their items, ``r_[items]``.
INDEXERS = frozenset({"r_", "c_"})

# In-place writers: probed through ``written`` (a copy of the first argument, written).
WRITERS = frozenset({"put", "put_along_axis", "place", "putmask", "copyto", "fill_diagonal"})

# Distribution methods probed in scipy.stats (with the distribution's default parameters).
DIST_METHODS = ("logpdf", "pdf", "logpmf", "pmf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")


# --- probing --------------------------------------------------------------------------------------
@dataclass
class Row:
    name: str
    reverse: str  # "yes", "yes (0)", "no", "WRONG", "error", "n/a", "-"
    forward: str
    notes: str
    second: str = "-"  # forward over reverse (v^T H v) against finite differences of the gradient
    # The function probed and the sample it was probed at (for other checks, e.g.
    # tests/functional/test_composition.py); not part of the table.
    fn: object = field(default=None, repr=False, compare=False)
    args: tuple | None = field(default=None, repr=False, compare=False)


def _is_float(a) -> bool:
    return isinstance(a, (float, Sym)) or (isinstance(a, np.ndarray) and a.dtype.kind == "f")


def _slots(args) -> list[tuple]:
    """Positions of the differentiated arguments: ``(k,)`` or ``(k, j)`` inside a list."""
    out = []
    for k, a in enumerate(args):
        if isinstance(a, list):
            out.extend((k, j) for j, b in enumerate(a) if _is_float(b))
        elif _is_float(a):
            out.append((k,))
    return out


def _get(args, slot):
    a = args[slot[0]] if len(slot) == 1 else args[slot[0]][slot[1]]
    return np.asarray(a.value if isinstance(a, Sym) else a, dtype=np.float64)


def _leaves(out) -> list:
    """The array leaves of a (nested tuple / list / namedtuple) result."""
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _leaves(o)]
    return [out]


def _values(o):
    return np.asarray(o._data if hasattr(o, "_data") else o)


class _Scalarised:
    """``f`` with its float arguments as the only arguments and its result reduced to one number
    with fixed weights (real and imaginary parts weighed apart)."""

    def __init__(self, f, args):
        self.f, self.args, self.slots = f, args, _slots(args)
        out = f(*_plain(list(args)))
        self.kinds = [_values(o).dtype.kind for o in _leaves(out)]
        self.finite = all(np.all(np.isfinite(_values(o))) for o, k in
                          zip(_leaves(out), self.kinds) if k in "fc")
        rng = np.random.default_rng(0)
        self.weights = [(rng.standard_normal(_values(o).shape),
                         rng.standard_normal(_values(o).shape)) for o in _leaves(out)]

    def full(self, floats):
        full = _plain(list(self.args))
        for slot, x in zip(self.slots, floats):
            if len(slot) == 1:
                full[slot[0]] = x
            else:
                full[slot[0]][slot[1]] = x
        return full

    def __call__(self, *floats):
        import chainrule.numpy as cnp

        total = 0.0
        for o, kind, (w1, w2) in zip(_leaves(self.f(*self.full(floats))), self.kinds,
                                     self.weights):
            if kind == "f":
                total = total + cnp.sum(o * w1)
            elif kind == "c":
                total = total + cnp.sum(cnp.real(o) * w1) + cnp.sum(cnp.imag(o) * w2)
        return total


def _graph_prims(s: _Scalarised, xs) -> list[str]:
    import chainrule as cr

    names, seen = set(), set()
    out = s.f(*s.full([cr.tensor(x, requires_grad=True) for x in xs]))
    stack = [getattr(o, "_edge", None) for o in _leaves(out)]
    while stack:
        e = stack.pop()
        if e is None or id(e[0]) in seen:
            continue
        node = e[0]
        seen.add(id(node))
        name = getattr(getattr(node, "prim", None), "name", None)
        if name:
            names.add(name)
        stack.extend(getattr(node, "next", None) or ())
    return sorted(names)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6 * (1 + abs(b)))


def probe(f, args) -> tuple[str, str, str, str]:
    """(reverse, forward, notes, second order) for ``f`` at ``args``."""
    import chainrule as cr

    s = _Scalarised(f, args)
    if not any(k in "fc" for k in s.kinds):
        return "no", "no", "no derivative: integer or bool result", "-"
    if not s.slots:
        return "-", "-", "constant: no float argument at the sample", "-"
    xs = [_get(args, slot) for slot in s.slots]
    rng = np.random.default_rng(1)
    vs = [rng.standard_normal(x.shape) for x in xs]
    vs = [(v + v.T) / 2 if isinstance(_arg(args, slot), Sym) else v
          for v, slot in zip(vs, s.slots)]
    h = 1e-6
    try:
        fd = (float(np.real(_values(s(*[x + h * v for x, v in zip(xs, vs)]))))
              - float(np.real(_values(s(*[x - h * v for x, v in zip(xs, vs)]))))) / (2 * h)
    except Exception as e:  # noqa: BLE001 - the sample sits on an edge of the domain
        return "?", "?", f"not checked: finite differences fail at the sample ({e})", "-"
    try:
        prims = _graph_prims(s, xs)
    except (NotImplementedError, TypeError) as e:  # a clear refusal to differentiate
        first = str(e).split(";")[0].split(". ")[0]
        return "refused", "refused", f"{type(e).__name__}: {first}", "-"
    notes = ", ".join(prims[:8]) + (", ..." if len(prims) > 8 else "")
    verdicts = []
    for mode in ("reverse", "forward"):
        try:
            if mode == "reverse":
                gs = cr.grad(s, argnums=tuple(range(len(xs))))(*xs)
                d = sum(float(np.sum(np.real(_values(g)) * v)) for g, v in zip(gs, vs))
                zero = all(not np.any(_values(g)) for g in gs)
            else:
                _, t = cr.jvp(s, tuple(xs), tuple(vs))
                d = float(np.real(_values(t)))
                zero = d == 0
        except NotImplementedError:
            verdicts.append("refused")
            notes += f"; {mode}: NotImplementedError"
            continue
        except Exception as e:  # noqa: BLE001 - the table reports what fails
            verdicts.append("error")
            notes += f"; {mode}: {type(e).__name__}"
            continue
        if not _close(d, fd):
            verdicts.append("WRONG")
            notes += f"; {mode} {d:.6g} vs finite differences {fd:.6g}"
        else:
            verdicts.append("yes (0)" if zero and fd == 0 else "yes")
    if all(v == "yes (0)" for v in verdicts):
        notes = (notes + "; " if notes else "") + "derivative 0 (piecewise constant)"
    second = "-"
    if verdicts[0] in ("yes", "yes (0)"):
        second, extra = _second_order(s, xs, vs)
        notes += extra
    return verdicts[0], verdicts[1], notes, second


def _second_order(s, xs, vs) -> tuple[str, str]:
    """v^T H v by forward over reverse against central differences of v^T grad."""
    import chainrule as cr

    argnums = tuple(range(len(xs)))

    def along(*ys):
        gs = cr.grad(s, argnums=argnums)(*ys)
        return sum(float(np.sum(np.real(_values(g)) * v)) for g, v in zip(gs, vs))

    h = 1e-5
    try:
        fd = (along(*[x + h * v for x, v in zip(xs, vs)])
              - along(*[x - h * v for x, v in zip(xs, vs)])) / (2 * h)
    except Exception:  # noqa: BLE001 - the gradient itself fails near the sample
        return "?", "; second order not checked"
    try:
        _, t = cr.jvp(lambda *ys: cr.grad(s, argnums=argnums)(*ys), tuple(xs), tuple(vs))
        d = sum(float(np.sum(np.real(_values(ti)) * v)) for ti, v in zip(t, vs))
    except NotImplementedError:
        return "refused", "; second order: NotImplementedError"
    except Exception as e:  # noqa: BLE001 - the table reports what fails
        return "error", f"; second order: {type(e).__name__}"
    if not math.isclose(d, fd, rel_tol=1e-3, abs_tol=1e-4 * (1 + abs(fd))):
        return "WRONG", f"; second order {d:.6g} vs finite differences {fd:.6g}"
    return "yes", ""


def _arg(args, slot):
    return args[slot[0]] if len(slot) == 1 else args[slot[0]][slot[1]]


def _quiet():
    class _Q:
        def __enter__(self):
            self.w = warnings.catch_warnings()
            self.w.__enter__()
            warnings.simplefilter("ignore")
            self.e = np.errstate(all="ignore")
            self.e.__enter__()

        def __exit__(self, *exc):
            self.e.__exit__(*exc)
            self.w.__exit__(*exc)

    return _Q()


def _sample_for(key: str):
    if key in SAMPLES:
        return [SAMPLES[key]]
    star = key.rsplit(".", 1)[0] + ".*"
    return [SAMPLES[star]] if star in SAMPLES else CANDIDATES


def _probe_name(key: str, f) -> Row:
    refusal = None
    for args in _sample_for(key):
        try:
            with _quiet():
                s = _Scalarised(f, args)
        except NotImplementedError as e:
            refusal = e
            continue
        except Exception:  # noqa: BLE001 - try the next sample
            continue
        if not s.finite:
            continue
        with _quiet():
            rev, fwd, notes, second = probe(f, args)
        return Row(key, rev, fwd, notes, second, fn=f, args=args)
    if refusal is not None:
        first = str(refusal).split(";")[0].split(". ")[0]
        return Row(key, "refused", "refused", f"NotImplementedError: {first}")
    return Row(key, "?", "?", "not checked: no sample input in tools/numpy_coverage.py")


_KIND_NOTES = {
    "value-only": "values only: NumPy's result (indices, bools, shapes, information)",
    "constant": "constant: NumPy's array (an argument that requires grad is an error)",
}


def _module_rows(prefix: str, mod, names, kinds=None) -> list[Row]:
    out = []
    for name in sorted(names):
        try:
            obj = getattr(mod, name)
        except AttributeError:
            continue
        key = f"{prefix}{name}"
        kind = (kinds or {}).get(name) or getattr(obj, "_chainrule_kind", None) or \
            getattr(obj, "kind", None)
        if key in INDEXERS:
            out.append(_probe_name(key, _indexed(obj, key)))
            continue
        if isinstance(obj, type) or type(obj) is type(np) or not callable(obj):
            continue
        if kind in _KIND_NOTES:
            out.append(Row(key, "n/a", "n/a", _KIND_NOTES[kind]))
            continue
        if not callable(obj):
            continue
        if hasattr(obj, "logpdf") or hasattr(obj, "logpmf") or hasattr(obj, "cdf"):
            for m in DIST_METHODS:
                if hasattr(obj, m):
                    out.append(_probe_name(f"{key}.{m}", getattr(obj, m)))
            continue
        out.append(_probe_name(key, written(obj) if key in WRITERS else obj))
    return out


def _indexed(obj, name):
    """An index trick (``r_``) as the function of its items ``obj[items]``."""

    def run(*items):
        return obj[items]

    run.__name__ = name
    return run


def _submodule_names(mod) -> list[str]:
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in vars(mod) if not n.startswith("_")]
    return [n for n in names if not n.startswith("_")]


def rows() -> dict[str, list[Row]]:
    """The table's sections: title -> rows."""
    import chainrule.numpy as cnp

    sections = {"chainrule.numpy": _module_rows("", cnp, cnp.__all__, cnp._KINDS)}
    for sub in ("linalg", "fft"):
        mod = getattr(cnp, sub)
        sections[f"chainrule.numpy.{sub}"] = _module_rows(f"{sub}.", mod, _submodule_names(mod))
    for path in ("chainrule.scipy.special", "chainrule.scipy.stats", "chainrule.scipy.linalg"):
        try:
            mod = importlib.import_module(path)
        except Exception:  # noqa: BLE001 - optional parts
            continue
        short = path.split(".", 1)[1]
        sections[path] = _module_rows(f"{short}.", mod, _submodule_names(mod))
    return sections


def _unsupported() -> dict[str, list[str]]:
    import chainrule.numpy as cnp
    from chainrule.numpy._passthrough import numpy_public_names

    out = {}
    for title, mod, np_mod in (("numpy", cnp, np), ("numpy.linalg", cnp.linalg, np.linalg),
                               ("numpy.fft", cnp.fft, np.fft)):
        missing = []
        for name in numpy_public_names(np_mod):
            try:
                getattr(mod, name)
            except AttributeError:
                missing.append(name)
        out[title] = missing
    return out


def _cell(s: str) -> str:
    return s.replace("|", "\\|")


def render() -> str:
    """The Markdown text of docs/numpy_coverage.md."""
    buf = io.StringIO()
    w = buf.write
    w("# Coverage of the NumPy namespace\n\n")
    w("Generated by `python tools/numpy_coverage.py` from the code; do not edit by hand\n"
      "(tests/numpy_api/test_coverage.py fails when this file is stale). See docs/numpy.md.\n\n")
    w("Each function was called at a small sample input; its outputs were reduced to one number\n"
      "with fixed weights, and the derivative of that number by `chainrule.grad` (reverse) and\n"
      "`chainrule.jvp` (forward) was compared with central finite differences; the second\n"
      "order column compares v^T H v by forward over reverse with central differences of\n"
      "the gradient.\n\n")
    w("- **yes**: agrees with finite differences; **yes (0)**: the derivative is 0\n"
      "  (piecewise constant, such as `floor`);\n"
      "- **no**: the result is an integer or bool array (nothing to differentiate);\n"
      "- **n/a**: passed through to NumPy (indices, bools, shapes, constants);\n"
      "- **refused**: raises a clear error (NotImplementedError or TypeError) when asked\n"
      "  for a derivative;\n"
      "- **error** / **WRONG**: raised / disagrees with finite differences (a bug);\n"
      "  **?**: no sample input found.\n\n")
    w("The notes name the primitives recorded in the function's graph.\n\n")
    for title, rs in rows().items():
        w(f"## {title}\n\n")
        counts = {}
        for r in rs:
            counts[r.reverse] = counts.get(r.reverse, 0) + 1
        w(f"{len(rs)} functions: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
          + " (reverse mode).\n\n")
        w("| function | reverse | forward | second order | notes |\n"
          "| --- | --- | --- | --- | --- |\n")
        for r in rs:
            w(f"| `{r.name}` | {r.reverse} | {r.forward} | {r.second} | {_cell(r.notes)} |\n")
        w("\n")
    w("## Not provided\n\n")
    w("These public NumPy names raise `chainrule.numpy.NotDifferentiableError` (an\n"
      "`AttributeError`) on access, and `TypeError` when NumPy's own function is called on a\n"
      "tensor; use NumPy on `t.detach().numpy()` for values without gradients.\n\n")
    for title, names in _unsupported().items():
        w(f"- `{title}` ({len(names)}): " + ", ".join(f"`{n}`" for n in names) + "\n")
    return buf.getvalue()


def write(path: Path = DOC_PATH) -> Path:
    path.write_text(render())
    return path


if __name__ == "__main__":
    out = write(Path(sys.argv[1]) if len(sys.argv) > 1 else DOC_PATH)
    print(f"wrote {out}")
