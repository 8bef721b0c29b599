"""The PyTorch face measured against PyTorch's own operator database (``op_db`` in
``torch.testing._internal.common_methods_invocations``, torch 2.13.0).

    python tools/torch_coverage.py --only sum Tensor.sum linalg.norm   # status, first failure
    python tools/torch_coverage.py --write                             # docs/torch_coverage.md
    python tools/torch_coverage.py                                     # full run, summary only

(A tool of the repository, not of the installed package; the tests import it as
``tools.torch_coverage``. torch is needed, as an oracle only. A full run, about 18,600
samples, takes a minute or two on one core.)

What is counted. For every OpInfo of op_db (variants such as ``max (binary)`` are separate
OpInfos), its spellings in the namespaces chainrule mirrors: the function ``torch.X``,
``torch.nn.functional.X``, ``torch.linalg.X``, ``torch.special.X`` or ``torch.fft.X`` named by
the OpInfo (when torch has that callable), its method variant ``Tensor.X``, the ``Tensor``
method or property the OpInfo tests through a lambda when it has neither (``T``, ``mT``,
``item``, ``to``, ...), and each alias as function and method. In-place variants, private and
``torch.ops.aten`` operators, the ``masked``, ``sparse``, ``signal.windows`` and jiterator
namespaces and OpInfos without a CPU dtype are out. A row of the table is one (OpInfo,
spelling) pair.

How a row is checked. The OpInfo's dtype is float64 if it supports it on CPU, else
complex128, else int64, else bool (else float32, else the first it supports). Its sample
inputs (``op.sample_inputs("cpu", dtype, requires_grad=op.supports_autograd and dtype is
floating or complex)``, seeded as torch seeds them) are converted to chainrule tensors (the
same values, requires_grad where torch's is, torch dtypes, sizes and functions as chainrule's),
the chainrule spelling is called, and compared with the torch spelling's result:

- values: same structure (tuples elementwise; a torch named tuple needs the same field
  names), same shape, same dtype family (bool, int, float, complex), NaN in the same places,
  allclose with rtol=1e-7 and atol=1e-7 times max(1, largest |torch value|) (results of
  cancellation carry that error; torch's float32 tolerances where a sample holds float32);
- reverse mode: a fixed random cotangent on each differentiable output; the gradients of every
  input that requires grad (``torch.autograd.grad`` against ``chainrule.autograd.grad``) agree
  with the same tolerances. An output without a graph in chainrule counts as a zero gradient
  (right only where torch's is zero: ``norm(x, 0)``);
- forward mode, where ``op.supports_forward_ad``: a fixed random tangent on each such input,
  ``torch.autograd.forward_ad`` against ``chainrule.autograd.forward_ad`` (dual tensors).

Derivatives are taken through the OpInfo's gradcheck wrapper where it has one (``eigh`` and
``cholesky`` of A + A^H: only symmetric directions have a convention-free derivative), and
eigen- and singular vectors after fixing their sign (phase). Where chainrule's derivative
disagrees with torch's, central differences decide (torch's forward mode of ``logcumsumexp``
and ``cholesky_inverse`` is off); a disagreement in a mode that op_db itself skips or expects
to fail is noted, not counted; torch's Bessel functions are checked against mpmath.
Operations whose result is random (a known random operation, or torch disagrees with itself
under another seed) or uninitialised (``empty``, ...) are compared by structure, shape and
dtype only. A sample on which torch itself raises is left out. Each sample runs under a 10 s
alarm.

Status of a row, the worst over its samples: "pass" (every sample agrees, values and
derivatives), "missing" (chainrule has no such name), "unsupported" (chainrule raises
NotImplementedError, TypeError or ValueError whose message names the operation), "error" (any
other exception: a bug), "wrong" (a value or derivative disagrees: the worst).
"""

from __future__ import annotations

import argparse
import importlib
import re
import signal
import sys
import threading
import time
import traceback
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Spelling", "Result", "spellings", "check", "check_gradgrad", "run", "render",
           "parse_doc", "DOC_PATH", "STATUSES", "RANK"]

DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "torch_coverage.md"
STATUSES = ("pass", "unsupported", "missing", "error", "wrong")
RANK = {"pass": 0, "unsupported": 1, "missing": 1, "error": 2, "wrong": 3}
NAMESPACES = ("torch", "Tensor", "nn.functional", "linalg", "special", "fft")
TIMEOUT_S = 10
RTOL = ATOL = 1e-7
# Results left uninitialised by torch: only structure, shape and dtype are compared.
UNINITIALISED = {"empty", "empty_like", "new_empty", "new_empty_strided", "empty_strided",
                 "empty_permuted"}
# OpInfos whose ``op`` is a lambda that reorders or transforms its arguments: the same
# adapter is applied to the torch and the chainrule spelling (keys: OpInfo names).
_ADAPTERS: dict[str, Callable[[Callable], Callable]] = {
    "einsum": lambda f: lambda tensors, equation: f(equation, tensors),
    "polygamma": lambda f: lambda x, n, **kw: f(n, x, **kw),
    "special.polygamma": lambda f: lambda x, n, **kw: f(n, x, **kw),
    "where": lambda f: lambda self, condition, other, **kw: f(condition, self, other, **kw),
    "nn.functional.embedding": lambda f: lambda weight, idx, **kw: f(idx, weight, **kw),
    "nn.functional.embedding_bag": lambda f: lambda weight, idx, **kw: f(idx, weight, **kw),
    "svd_lowrank": lambda f: lambda a, b, **kw: f(a @ b.mT, **kw),
    "pca_lowrank": lambda f: lambda a, b, **kw: f(a @ b.mT, **kw),
    "linalg.lstsq (grad_oriented)": lambda f: lambda a, b, driver: f(a, b, driver=driver)[:2],
    "linalg.pinv (singular)": lambda f: lambda a, b: f(a @ b.mT),
}
# Random operations: compared by structure, shape and dtype only (as are those whose result
# changes with torch's seed).
RANDOM = {"bernoulli", "multinomial", "normal", "randn", "randn_like", "rand_like", "randint",
          "randint_like", "uniform", "cauchy", "exponential", "geometric", "log_normal",
          "svd_lowrank", "pca_lowrank", "nn.functional.dropout", "nn.functional.dropout2d",
          "nn.functional.dropout3d", "nn.functional.alpha_dropout",
          "nn.functional.feature_alpha_dropout", "nn.functional.rrelu",
          "nn.functional.fractional_max_pool2d", "nn.functional.fractional_max_pool3d"}
# OpInfos whose samples are views whose storage matters (as_strided reads outside the view):
# chainrule sees the values alone, so torch is given a contiguous copy as well.
STORAGE_DEPENDENT = {"as_strided (partial_views)"}
# Where torch's own values are off (cephes Bessel functions, about 2e-7): a value that
# disagrees with torch's is compared with mpmath's (torch depends on mpmath through sympy).
_MPMATH = {"special.bessel_j0": ("besselj", 0), "special.bessel_j1": ("besselj", 1),
           "special.bessel_y0": ("bessely", 0), "special.bessel_y1": ("bessely", 1)}
# Results with a sign (phase) freedom, compared after fixing it (see _gauge).
_GAUGED = {"linalg.eigh", "linalg.eig", "linalg.svd", "svd"}
_EXCLUDED_PREFIXES = ("masked.", "sparse.", "signal.", "jiterator", "torch.", "_")


# --- torch side (imported lazily: op_db takes seconds) ------------------------------------------
_OP_DB: list | None = None


def _op_db() -> list:
    global _OP_DB
    if _OP_DB is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from torch.testing._internal.common_methods_invocations import op_db
        _OP_DB = list(op_db)
    return _OP_DB


def _torch_namespace(ns: str):
    import torch

    return {"torch": torch, "nn.functional": torch.nn.functional, "linalg": torch.linalg,
            "special": torch.special, "fft": torch.fft, "Tensor": torch.Tensor}[ns]


def _chainrule_namespace(ns: str):
    """chainrule's module (or Tensor) for a namespace; None when it does not exist yet."""
    import chainrule

    if ns == "torch":
        return chainrule
    if ns == "Tensor":
        return chainrule.Tensor
    try:
        return importlib.import_module("chainrule." + ns)
    except ImportError:
        return None


# --- spellings ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spelling:
    """One (OpInfo, spelling) pair: a row of the table."""

    operation: str  # the OpInfo: its name, and its variant in parentheses
    ns: str  # one of NAMESPACES
    attr: str
    kind: str  # "function", "method" or "property"
    index: int  # the OpInfo's position in op_db

    @property
    def key(self) -> str:
        return f"{self.ns}.{self.attr}"

    @property
    def chainrule_name(self) -> str:
        return "chainrule." + self.key if self.ns != "torch" else "chainrule." + self.attr


def _function_spelling(name: str) -> tuple[str, str] | None:
    import torch

    if name.startswith("torch.special."):  # aliases spelt in full
        name = name[len("torch."):]
    for ns in ("nn.functional", "linalg", "special", "fft"):
        if name.startswith(ns + "."):
            attr = name[len(ns) + 1:]
            f = getattr(_torch_namespace(ns), attr, None)
            return (ns, attr) if callable(f) and "." not in attr else None
    if name.startswith(_EXCLUDED_PREFIXES) or "." in name or name.endswith("_"):
        return None
    f = getattr(torch, name, None)
    return ("torch", name) if callable(f) and not isinstance(f, torch.dtype) else None


def _operation(op) -> str:
    return op.name + (f" ({op.variant_test_name})" if op.variant_test_name else "")


_SPELLINGS: list[Spelling] | None = None


def spellings() -> list[Spelling]:
    """Every row, sorted by operation and spelling."""
    global _SPELLINGS
    if _SPELLINGS is not None:
        return _SPELLINGS
    import torch

    out: dict[tuple, Spelling] = {}
    for i, op in enumerate(_op_db()):
        if op.variant_test_name == "in_place" or op.name.startswith(_EXCLUDED_PREFIXES) \
                or op.name.endswith("_") and not op.name.endswith("__") \
                or not op.supported_dtypes("cpu"):  # CUDA-only variants
            continue
        operation = _operation(op)

        def add(ns, attr, kind, operation=operation, i=i):
            out.setdefault((operation, ns, attr), Spelling(operation, ns, attr, kind, i))

        fn = _function_spelling(op.name)
        if fn:
            add(*fn, "function")
        if op.method_variant is not None:
            add("Tensor", getattr(op.method_variant, "__name__", "<lambda>")
                if getattr(op.method_variant, "__name__", "<lambda>") != "<lambda>"
                else op.name, "method")
        elif fn is None and hasattr(torch.Tensor, op.name):
            kind = "property" if isinstance(getattr(torch.Tensor, op.name), property) or \
                op.name in ("T", "H", "mT", "mH") else "method"
            add("Tensor", op.name, kind)
        for alias in op.aliases:
            fa = _function_spelling(alias.name)
            if fa:
                add(*fa, "function")
            if alias.method_variant is not None:
                add("Tensor", alias.name.split(".")[-1], "method")
    _SPELLINGS = sorted(out.values(), key=lambda s: (s.operation, s.ns, s.attr))
    return _SPELLINGS


def _pick_dtype(op):
    import torch

    supported = op.supported_dtypes("cpu")
    for d in (torch.float64, torch.complex128, torch.int64, torch.bool, torch.float32):
        if d in supported:
            return d
    return min(supported, key=str) if supported else None


def _samples(op, dtype, limit: int | None = None) -> list:
    """The OpInfo's sample inputs (the first ``limit``), as ``op.sample_inputs("cpu", dtype,
    requires_grad=...)`` gives them outside a torch test case: torch's seed is reset before
    each sample, so a prefix is the same whatever the limit. (Its generator is driven here
    directly: ``sample_inputs`` walks the caller's stack for every call, which costs 0.1 s
    under pytest.)"""
    from torch.testing._internal.common_utils import SEED, set_rng_seed

    requires_grad = bool(op.supports_autograd and (dtype.is_floating_point or dtype.is_complex))
    samples = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        it = iter(op.sample_inputs_func(op, "cpu", dtype, requires_grad))
        while limit is None or len(samples) < limit:
            set_rng_seed(SEED)
            try:
                samples.append(next(it))
            except StopIteration:
                break
    if _operation(op) in STORAGE_DEPENDENT:
        for sm in samples:  # chainrule sees the values alone; so does torch then
            sm.input = sm.input.clone()
    return samples


# --- calling -------------------------------------------------------------------------------------
def _callables(s: Spelling, op):
    """(torch callable, chainrule callable or None): both take the sample's (input, *args,
    **kwargs)."""
    if s.kind == "property":
        def prop(x, *a, **k):
            return getattr(x, s.attr)

        return prop, (prop if hasattr(_chainrule_namespace("Tensor"), s.attr) else None)
    if s.kind == "method":
        def meth(x, *a, **k):
            return getattr(x, s.attr)(*a, **k)

        return meth, (meth if hasattr(_chainrule_namespace("Tensor"), s.attr) else None)
    adapt = _ADAPTERS.get(s.operation, _ADAPTERS.get(op.name, lambda f: f))
    torch_fn = adapt(getattr(_torch_namespace(s.ns), s.attr))
    mod = _chainrule_namespace(s.ns)
    cr = getattr(mod, s.attr, None) if mod is not None else None
    return torch_fn, (adapt(cr) if callable(cr) else None)


def _np_dtype(d):
    import torch

    return {torch.bool: np.bool_, torch.uint8: np.uint8, torch.int8: np.int8,
            torch.int16: np.int16, torch.int32: np.int32, torch.int64: np.int64,
            torch.float16: np.float16, torch.float32: np.float32, torch.float64: np.float64,
            torch.complex64: np.complex64, torch.complex128: np.complex128}.get(d)


def _to_chainrule(obj, memo: dict, leaves: list):
    """A sample's torch objects as chainrule's: tensors (the same torch tensor gives the same
    chainrule tensor), dtypes, sizes, devices; ``leaves`` collects (torch, chainrule) pairs of
    the tensors that require grad."""
    import torch

    import chainrule

    if isinstance(obj, torch.Tensor):
        if id(obj) not in memo:
            data = obj.detach().resolve_conj().resolve_neg().numpy().copy()
            c = chainrule.tensor(data, requires_grad=obj.requires_grad)
            memo[id(obj)] = c
            if obj.requires_grad:
                leaves.append((obj, c))
        return memo[id(obj)]
    if isinstance(obj, torch.dtype):
        name = str(obj).split(".")[-1]
        d = getattr(chainrule, name, None)
        return d if d is not None else _np_dtype(obj)
    if isinstance(obj, torch.Size):
        return tuple(obj)
    if isinstance(obj, torch.device):
        dev = getattr(chainrule, "device", None)
        return dev(str(obj)) if callable(dev) else str(obj)
    if isinstance(obj, torch.nn.Module):  # distance_function=nn.PairwiseDistance()
        import inspect

        import chainrule.nn

        cls = getattr(chainrule.nn, type(obj).__name__, None)
        if cls is None:
            return obj
        params = inspect.signature(cls).parameters
        return cls(**{k: getattr(obj, k) for k in params if hasattr(obj, k)})
    if callable(obj) and not isinstance(obj, type) and str(
            getattr(obj, "__module__", None)).startswith("torch"):
        # a torch function passed as an argument (distance_function=F.pairwise_distance)
        name = getattr(obj, "__name__", "")
        for ns in ("nn.functional", "torch", "linalg", "special", "fft"):
            if getattr(_torch_namespace(ns), name, None) is obj:
                mod = _chainrule_namespace(ns)
                if mod is not None and callable(getattr(mod, name, None)):
                    return getattr(mod, name)
        return obj
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_to_chainrule(o, memo, leaves) for o in obj)
    if isinstance(obj, list):
        return [_to_chainrule(o, memo, leaves) for o in obj]
    if isinstance(obj, dict):
        return {k: _to_chainrule(v, memo, leaves) for k, v in obj.items()}
    return obj


def _substitute(obj, table: dict):
    """The sample with the tensors named in ``table`` (by id) replaced."""
    if id(obj) in table:
        return table[id(obj)]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_substitute(o, table) for o in obj)
    if isinstance(obj, list):
        return [_substitute(o, table) for o in obj]
    if isinstance(obj, dict):
        return {k: _substitute(v, table) for k, v in obj.items()}
    return obj


# --- comparing ------------------------------------------------------------------------------------
class Mismatch(Exception):
    """A value or derivative that disagrees with torch."""


class _Timeout(Exception):
    pass


def _family(dtype) -> str:
    d = np.dtype(dtype)
    return {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}.get(d.kind, d.kind)


def _torch_array(t):
    import torch

    if t._is_zerotensor():  # torch's symbolic zero gradient
        return np.zeros(tuple(t.shape), dtype=_np_dtype(t.dtype))
    if t.dtype in (torch.bfloat16, torch.float16):
        return t.detach().double().numpy()
    return t.detach().resolve_conj().resolve_neg().numpy()


def _cr_array(x):
    import chainrule

    if isinstance(x, chainrule.Tensor):
        return np.asarray(x.detach().numpy())
    return np.asarray(x)


def _leaves_of(obj, path="out"):
    """(path, leaf) pairs of a result: tensors, numbers, None, in order."""
    import torch

    if isinstance(obj, (tuple, list)) and not isinstance(obj, torch.Size):
        fields = getattr(type(obj), "__match_args__", None) or getattr(type(obj), "_fields", None)
        out = []
        for i, o in enumerate(obj):
            name = f"{path}.{fields[i]}" if fields and i < len(fields) else f"{path}[{i}]"
            out.extend(_leaves_of(o, name))
        return out
    return [(path, obj)]


def _close(ref: np.ndarray, got: np.ndarray, atol: float) -> tuple[bool, str]:
    if ref.shape != got.shape:
        return False, f"shape {got.shape}, torch {ref.shape}"
    if ref.size == 0:
        return True, ""
    if ref.dtype.kind in "biu" and got.dtype.kind in "biu":
        ok = np.array_equal(ref, got)
        return ok, "" if ok else "integer values differ"
    r, g = ref.astype(np.complex128 if "c" in (ref.dtype.kind, got.dtype.kind) else np.float64), \
        got.astype(np.complex128 if "c" in (ref.dtype.kind, got.dtype.kind) else np.float64)
    if not np.array_equal(np.isnan(r), np.isnan(g)):
        return False, "NaN in different places"
    rtol = _tolerances(ref.dtype)[0] if ref.dtype.kind in "fc" else RTOL
    if not np.allclose(g, r, rtol=rtol, atol=atol, equal_nan=True):
        finite = np.isfinite(r) & np.isfinite(g)
        diff = np.abs(r - g)[finite]
        worst = float(diff.max()) if diff.size else float("inf")
        return False, f"max abs difference {worst:.3g}"
    return True, ""


def _check_fields(ref, got) -> None:
    """A torch named tuple (values, indices) needs the same fields in chainrule's result."""
    fields = getattr(type(ref), "__match_args__", None) if isinstance(ref, tuple) else None
    if fields:
        missing = [f for f in fields if not hasattr(got, f)]
        if missing:
            raise Mismatch(f"result is not a named tuple {tuple(fields)} ({type(got).__name__})")


def _compare_values(ref, got, shape_only: bool) -> None:
    """Raises Mismatch unless chainrule's result ``got`` matches torch's ``ref``."""
    import torch

    import chainrule

    rl, gl = _leaves_of(ref), _leaves_of(got)
    if isinstance(ref, torch.Size):
        rl = [("out", tuple(ref))]
        gl = [("out", tuple(got) if isinstance(got, (tuple, list)) else got)]
    if len(rl) != len(gl):
        raise Mismatch(f"{len(gl)} results, torch {len(rl)}")
    for (path, r), (_, g) in zip(rl, gl):
        if r is None or g is None:
            if r is not g:
                raise Mismatch(f"{path}: {type(g).__name__}, torch {type(r).__name__}")
            continue
        if isinstance(r, torch.Tensor):
            if not isinstance(g, (chainrule.Tensor, np.ndarray, np.generic, int, float, complex,
                                  bool)):
                raise Mismatch(f"{path}: {type(g).__name__}, torch a tensor")
            ra, ga = _torch_array(r), _cr_array(g)
        else:
            ra, ga = np.asarray(r), _cr_array(g)
            if ra.dtype == object or ga.dtype == object:
                if r != g:
                    raise Mismatch(f"{path}: {g!r}, torch {r!r}")
                continue
        if _family(ra.dtype) != _family(ga.dtype):
            raise Mismatch(f"{path}: dtype {ga.dtype}, torch {ra.dtype}")
        if shape_only:
            if ra.shape != ga.shape:
                raise Mismatch(f"{path}: shape {ga.shape}, torch {ra.shape}")
            continue
        ok, why = _close(ra, ga, _atol(ra))
        if not ok:
            raise Mismatch(f"{path}: {why}")


def _atol(ref: np.ndarray) -> float:
    """1e-7 (float64; torch's float32 and float16 tolerances for those) times the largest
    finite magnitude of torch's result, at least 1e-7: results that come from cancellation
    (sums, differences of large terms) carry that absolute error."""
    if ref.dtype.kind not in "fc" or ref.size == 0:
        return ATOL
    a = np.abs(ref[np.isfinite(ref)])
    return _tolerances(ref.dtype)[1] * max(1.0, float(a.max()) if a.size else 1.0)


def _tolerances(dtype) -> tuple[float, float]:
    """(rtol, atol) for torch's result dtype: ours for double precision, torch's defaults of
    ``torch.testing.assert_close`` for single and half (a sample may hold float32 data)."""
    size = np.dtype(dtype).itemsize // (2 if np.dtype(dtype).kind == "c" else 1)
    size = min(size, _PRECISION[0])  # a float32 tensor in a float64 sample limits both
    return {8: (RTOL, ATOL), 4: (1.3e-6, 1e-5)}.get(size, (1e-3, 1e-3))


_PRECISION = [8]  # bytes per real number of the least precise float tensor of the sample


def _compare_derivatives(what: str, refs: list, gots: list) -> None:
    for i, (r, g) in enumerate(zip(refs, gots)):
        if r is None and g is None:
            continue
        ra = _torch_array(r) if r is not None else None
        ga = _cr_array(g) if g is not None else None
        if ra is None:
            ra = np.zeros_like(ga)
        if ga is None:
            ga = np.zeros_like(ra)
        ok, why = _close(ra, ga, _atol(ra))
        if not ok:
            raise Mismatch(f"{what} of input {i}: {why}")


def _differentiable(t) -> bool:
    import torch

    return isinstance(t, torch.Tensor) and (t.dtype.is_floating_point or t.dtype.is_complex)


def _rng(s: Spelling, k: int) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{s.operation}|{s.key}|{k}".encode()))


def _random_like(rng, t):
    """A torch tensor of ``t``'s shape and dtype, random normal."""
    import torch

    a = rng.standard_normal(tuple(t.shape))
    if t.dtype.is_complex:
        a = a + 1j * rng.standard_normal(tuple(t.shape))
    return torch.from_numpy(np.asarray(a)).to(t.dtype)


def _cr_like(t):
    import chainrule

    return chainrule.tensor(_torch_array(t).copy())


# --- one sample -----------------------------------------------------------------------------------
@dataclass
class _SampleOutcome:
    status: str  # "pass", "skip" (torch raised), "unsupported", "error", "wrong"
    note: str = ""
    tb: str = ""
    reverse: bool | None = None  # True: checked and agreed; None: nothing to check
    forward: bool | None = None


def _classify(exc: BaseException, s: Spelling, op) -> str:
    if isinstance(exc, Mismatch):
        return "wrong"
    if isinstance(exc, (NotImplementedError, TypeError, ValueError)):
        msg = str(exc).lower()
        names = {s.attr.lower(), op.name.split(".")[-1].lower()}
        names |= {a.name.split(".")[-1].lower() for a in op.aliases}
        if any(n and n in msg for n in names):
            return "unsupported"
    return "error"


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if not isinstance(exc, Mismatch) else str(exc)
    text = re.sub(r"0x[0-9a-fA-F]+", "0x..", text.splitlines()[0] if text else "")
    text = text.replace("|", "/").replace("`", "'")
    return text if len(text) <= 140 else text[:137] + "..."


def _alarm(signum, frame):
    raise _Timeout(f"timeout: a sample ran over {TIMEOUT_S} s")


def _random(op, s: Spelling, torch_fn, sample, first) -> bool:
    """Whether torch's result is random or uninitialised (compared by shape and dtype only):
    a known random operation, or one whose result changes with torch's seed."""
    import torch

    if op.name in RANDOM or s.attr in UNINITIALISED or op.name in UNINITIALISED:
        return True
    torch.manual_seed(1)
    try:
        second = torch_fn(sample.input, *sample.args, **sample.kwargs)
    except Exception:
        return False
    return _differs(first, second)


def _hermitian(x):
    return x + x.mT.conj()


def _unit_lower(x, lib):
    """A lower-triangular matrix with unit diagonal, from any matrix (torch's wrapper for
    cholesky_inverse, spelt with operations both libraries have)."""
    n = x.shape[-1]
    eye = np.eye(n)
    eye_t = torch_or_chainrule_tensor(lib, eye)
    return (x * torch_or_chainrule_tensor(lib, 1.0 - eye) + eye_t).tril()


def torch_or_chainrule_tensor(lib, a):
    if lib == "torch":
        import torch

        return torch.from_numpy(np.asarray(a))
    import chainrule

    return chainrule.tensor(np.asarray(a))


def _derivative_call(op, fn, lib, x, args, kwargs):
    """The call whose derivatives are compared: torch's convention-free form for operations
    that read one triangle of their input (its OpInfo's gradcheck wrapper, rewritten with
    operations both libraries have), else the call itself."""
    wrapper = getattr(op.gradcheck_wrapper, "__name__", "")
    if wrapper == "gradcheck_wrapper_hermitian_input":
        return fn(_hermitian(x), *args, **kwargs)
    if wrapper == "gradcheck_wrapper_triangular_input_real_positive_diagonal":
        kwargs = dict(kwargs)
        upper = kwargs.pop("upper", args[0] if args else False)
        tri = _unit_lower(x.mT if upper else x, lib)
        return fn(tri.mT if upper else tri, upper, **kwargs)
    return fn(x, *args, **kwargs)


def _signs(v: np.ndarray) -> np.ndarray:
    """Per column of ``v`` (..., m, k): the sign of its largest-magnitude entry."""
    if v.size == 0:
        return np.ones(v.shape[:-2] + (1, v.shape[-1]))
    idx = np.argmax(np.abs(v), axis=-2)[..., None, :]
    s = np.sign(np.take_along_axis(v, idx, axis=-2))
    s[s == 0] = 1
    return s


def _gauge(op, out, lib):
    """Eigen- and singular vectors are defined up to sign (phase): compare them with each
    column's largest entry made positive (real) or by modulus (complex); only the first
    min(m, n) singular vectors are determined."""
    import torch

    import chainrule

    if op.name not in _GAUGED:
        return out
    arr = _torch_array if lib == "torch" else _cr_array
    as_lib = (lambda a: torch.from_numpy(a)) if lib == "torch" else chainrule.tensor

    def fix(v, s=None):
        a = arr(v)
        if np.iscomplexobj(a):
            return v.abs(), None
        s = _signs(a) if s is None else s
        return v * as_lib(s), s

    if op.name in ("linalg.eigh", "linalg.eig"):
        return (out[0], fix(out[1])[0])
    u, sv, v = out[0], out[1], out[2]
    n = v.shape[-2] if op.name == "svd" else v.shape[-1]
    k = min(u.shape[-2], n)
    u2, s = fix(u[..., :, :k])
    if op.name == "svd":  # torch.svd gives V: columns
        v = v[..., :, :k]
        v2 = v.abs() if s is None else v * as_lib(s)
    else:  # linalg.svd gives Vh: rows
        v = v[..., :k, :]
        v2 = v.abs() if s is None else v * as_lib(np.swapaxes(s, -1, -2))
    return (u2, sv, v2)


def _differs(a, b) -> bool:
    import torch

    la, lb = _leaves_of(a), _leaves_of(b)
    if len(la) != len(lb):
        return True
    for (_, x), (_, y) in zip(la, lb):
        if isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor):
            if x.shape != y.shape or not _close(_torch_array(x), _torch_array(y), 0.0)[0]:
                return True
        elif isinstance(x, torch.Tensor) or isinstance(y, torch.Tensor):
            return True
        else:
            try:
                if bool(x != y) and not (x != x and y != y):
                    return True
            except Exception:
                return True
    return False


def _mpmath_agrees(op, x, ref, got) -> bool:
    """For the functions in _MPMATH: chainrule's values agree with mpmath's (30 digits) to
    1e-12 and torch's do not."""
    import torch

    if op.name not in _MPMATH or not isinstance(x, torch.Tensor) or x.numel() > 10000:
        return False
    import mpmath

    name, order = _MPMATH[op.name]
    f = getattr(mpmath, name)
    with mpmath.workdps(30):
        values = [complex(f(order, float(v))) for v in _torch_array(x).ravel()]
    exact = np.array([v.real if v.imag == 0 else np.nan for v in values])
    exact = exact.reshape(tuple(x.shape))
    c, t = _cr_array(got), _torch_array(ref)
    if c.shape != exact.shape:
        return False
    ok = np.allclose(c, exact, rtol=1e-12, atol=1e-12, equal_nan=True)
    return bool(ok and not np.allclose(t, exact, rtol=1e-12, atol=1e-12, equal_nan=True))


_UNTESTED: dict[int, frozenset] = {}
_UNTESTED_NOTE = "{} differs from torch's, which op_db does not test here (not compared)"


def _torch_untested(op, dtype) -> frozenset:
    """The derivative modes ("reverse", "forward") that op_db itself skips or expects to fail
    for this OpInfo on CPU at this dtype (max_unpool with overlapping indices, cov, ...):
    torch does not vouch for them, so a disagreement there is noted, not counted."""
    key = id(op)
    if key not in _UNTESTED:
        from torch.testing._internal.opinfo.core import DecorateInfo

        modes = set()
        decorators = list(op.skips or ()) + list(op.decorators or ())
        for d in decorators:
            if not isinstance(d, DecorateInfo):
                continue
            for cls, test, mode in (("TestBwdGradients", "test_fn_grad", "reverse"),
                                    ("TestFwdGradients", "test_forward_mode_AD", "forward"),
                                    ("TestBwdGradients", "test_fn_gradgrad", "second")):
                try:
                    if d.is_active(cls, test, "cpu", dtype, {}):
                        modes.add(mode)
                except Exception:  # noqa: BLE001 - a decorator that cannot say: it applies not
                    pass
        _UNTESTED[key] = frozenset(modes)
    return _UNTESTED[key]


def _torch_tensors(obj) -> list:
    import torch

    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _torch_tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _torch_tensors(o)]
    return []


def _fd_arbiter(op, torch_fn, sample, tins, pairs, cots, tgrads, cgrads, tans, tangents):
    """When chainrule's derivative disagrees with torch's, central differences (real float64
    data only) decide: a note if chainrule's agrees with them and torch's does not, else None.
    Reverse mode compares <cotangent, derivative along a random direction> with the gradients'
    inner product with that direction; forward mode the tangents themselves."""
    import torch

    if any(t.dtype != torch.float64 for t in tins) or any(
            r.dtype != torch.float64 for _, r in pairs):
        return None
    rng = np.random.default_rng(12345)
    dirs = tans if tans is not None else [
        torch.from_numpy(rng.standard_normal(tuple(t.shape))) for t in tins]
    paths = [p for p, _ in pairs]

    def at(step):
        table = {id(t): (t.detach() + step * v) for t, v in zip(tins, dirs)}
        with torch.no_grad():
            out = _derivative_call(op, torch_fn, "torch", _substitute(sample.input, table),
                                   _substitute(sample.args, table),
                                   _substitute(sample.kwargs, table))
            d = dict(_leaves_of(_gauge(op, out, "torch")))
        return [_torch_array(d[p]) for p in paths]

    def near(x, y):
        return np.allclose(x, y, rtol=1e-7, atol=1e-7 * max(1.0, float(np.abs(y).max(
            initial=0.0))))

    # Central differences: h = 1e-6 is good to about 1e-9 on smooth functions of O(1)
    # inputs; larger inputs need larger steps, so several are tried.
    for h in (1e-6, 1e-5, 1e-4, 1e-3):
        try:
            plus, minus = at(h), at(-h)
        except Exception:
            return None
        fd = [(a - b) / (2 * h) for a, b in zip(plus, minus)]
        if tangents is not None:
            tt, ct = tangents
            t_ok = all(near(_torch_array(t), f) for t, f in zip(tt, fd) if t is not None)
            c_ok = all(near(_cr_array(c) if c is not None else np.zeros_like(f), f)
                       for c, f in zip(ct, fd))
            what = "forward-mode tangent"
        else:
            ref = sum(float(np.sum(_torch_array(c) * f)) for c, f in zip(cots, fd))

            def inner(gs, arr):
                return sum(float(np.sum(arr(g) * _torch_array(v))) for g, v in zip(gs, dirs)
                           if g is not None)

            t_ok = near(np.array(inner(tgrads, _torch_array)), np.array(ref))
            c_ok = near(np.array(inner(cgrads, _cr_array)), np.array(ref))
            what = "gradient"
        if c_ok and not t_ok:
            return f"torch's {what} disagrees with central differences; chainrule's agrees"
    return None


def _set_precision(sample) -> None:
    _PRECISION[0] = min([8] + [t.element_size() // (2 if t.dtype.is_complex else 1)
                               for t in _torch_tensors((sample.input, sample.args,
                                                         sample.kwargs))
                               if t.dtype.is_floating_point or t.dtype.is_complex])


def _run_sample(s: Spelling, op, k: int, sample, torch_fn, cr_fn) -> _SampleOutcome:
    import torch
    import torch.autograd.forward_ad as tfwd

    import chainrule
    import chainrule.autograd.forward_ad as cfwd

    torch.manual_seed(0)
    try:
        ref = torch_fn(sample.input, *sample.args, **sample.kwargs)
    except Exception:
        return _SampleOutcome("skip")
    shape_only = _random(op, s, torch_fn, sample, ref)
    memo: dict = {}
    leaves: list = []
    cin = _to_chainrule(sample.input, memo, leaves)
    cargs = _to_chainrule(sample.args, memo, leaves)
    ckw = _to_chainrule(sample.kwargs, memo, leaves)
    _set_precision(sample)
    stage = "values"
    try:
        chainrule.manual_seed(0)
        got = cr_fn(cin, *cargs, **ckw)
        _check_fields(ref, got)
        outcome = _SampleOutcome("pass")
        try:
            _compare_values(_gauge(op, ref, "torch"), _gauge(op, got, "chainrule"), shape_only)
        except Mismatch:
            if not _mpmath_agrees(op, sample.input, ref, got):
                raise
            outcome.note = "torch's values are off (mpmath agrees with chainrule's)"
        tins = [t for t, _ in leaves]
        if shape_only or not tins:
            return outcome
        untested = _torch_untested(op, _pick_dtype(op))
        # reverse mode
        stage = "gradient"
        plain = getattr(op.gradcheck_wrapper, "__name__", "") == "<lambda>"
        try:
            tref = ref if plain else _derivative_call(op, torch_fn, "torch", sample.input,
                                                      sample.args, sample.kwargs)
            tref = _gauge(op, tref, "torch")
        except Exception:
            return outcome  # torch has no such derivative: nothing to compare
        pairs = [(p, r) for p, r in _leaves_of(tref) if _differentiable(r) and r.requires_grad]
        if not pairs:
            return outcome
        rng = _rng(s, k)
        cots = [_random_like(rng, r) for _, r in pairs]
        try:
            tgrads = torch.autograd.grad([r for _, r in pairs], tins, cots, allow_unused=True)
        except Exception:
            tgrads = None  # torch has no such derivative here: nothing to compare
        if tgrads is not None:
            cref = got if plain else _derivative_call(op, cr_fn, "chainrule", cin, cargs, ckw)
            gl = dict(_leaves_of(_gauge(op, cref, "chainrule")))
            couts, ccots, lost = [], [], []
            for (p, _), c in zip(pairs, cots):
                g = gl.get(p)
                if isinstance(g, chainrule.Tensor) and g.requires_grad:
                    couts.append(g)
                    ccots.append(_cr_like(c))
                else:
                    lost.append(p)  # no graph: its gradient is zero, right only if torch's is
            cgrads = chainrule.autograd.grad(couts, [c for _, c in leaves], ccots,
                                             allow_unused=True) if couts else [None] * len(tins)
            try:
                _compare_derivatives("gradient", list(tgrads), list(cgrads))
                outcome.reverse = True
            except Mismatch as exc:
                fd = _fd_arbiter(op, torch_fn, sample, tins, pairs, cots, tgrads, cgrads, None,
                                 None)
                if not fd and "reverse" not in untested:
                    if lost:
                        raise Mismatch(f"gradient lost: {', '.join(lost)} does not require "
                                       f"grad ({exc})") from exc
                    raise
                outcome.note = fd or _UNTESTED_NOTE.format("gradient")
                outcome.reverse = True if fd else None
        # forward mode
        stage = "forward mode"
        if op.supports_forward_ad:
            rng = _rng(s, k + 100003)
            tans = [_random_like(rng, t) for t in tins]
            paths = [p for p, _ in pairs]
            try:
                with tfwd.dual_level():
                    table = {id(t): tfwd.make_dual(t.detach(), v) for t, v in zip(tins, tans)}
                    out = _derivative_call(op, torch_fn, "torch",
                                           _substitute(sample.input, table),
                                           _substitute(sample.args, table),
                                           _substitute(sample.kwargs, table))
                    tl = dict(_leaves_of(_gauge(op, out, "torch")))
                    tt = [tfwd.unpack_dual(tl[p]).tangent
                          if isinstance(tl.get(p), torch.Tensor) else None for p in paths]
            except Exception:
                tt = None  # torch has no forward derivative here
            if tt is not None:
                with cfwd.dual_level():
                    table = {id(c): cfwd.make_dual(c.detach(), _cr_like(v))
                             for (_, c), v in zip(leaves, tans)}
                    cout = _derivative_call(op, cr_fn, "chainrule", _substitute(cin, table),
                                            _substitute(cargs, table), _substitute(ckw, table))
                    cl = dict(_leaves_of(_gauge(op, cout, "chainrule")))
                    ct = [cfwd.unpack_dual(cl[p]).tangent
                          if isinstance(cl.get(p), chainrule.Tensor) else None for p in paths]
                try:
                    _compare_derivatives("forward-mode tangent", tt, ct)
                except Mismatch:
                    fd = _fd_arbiter(op, torch_fn, sample, tins, pairs, None, None, None,
                                     tans, (tt, ct))
                    if not fd and "forward" not in untested:
                        raise
                    outcome.note = fd or _UNTESTED_NOTE.format("forward-mode tangent")
                    if not fd:
                        return outcome
                outcome.forward = True
        return outcome
    except _Timeout:
        raise
    except Exception as exc:  # noqa: BLE001 - every exception is a finding, classified
        status = _classify(exc, s, op)
        note = _short(exc)
        if stage != "values" and not isinstance(exc, Mismatch):
            note = f"{stage}: {note}"
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-8:])
        return _SampleOutcome(status, note, tb)


# --- one row --------------------------------------------------------------------------------------
@dataclass
class Result:
    spelling: Spelling
    status: str
    reverse: str = "n.a."  # "yes", "no", "n.a."
    forward: str = "n.a."
    note: str = ""
    traceback: str = ""
    samples: int = 0
    skipped: int = 0
    seconds: float = 0.0  # not rendered: the table has no timings

    def row(self) -> str:
        s = self.spelling
        return (f"| {s.operation} | `{s.chainrule_name}` ({s.kind}) | {self.status} | "
                f"{self.reverse} | {self.forward} | {self.note} |")


_SAMPLE_CACHE: dict[tuple, list] = {}


def check(s: Spelling, max_samples: int | None = None) -> Result:
    """Runs every sample of the row's OpInfo through its chainrule spelling."""
    op = _op_db()[s.index]
    torch_fn, cr_fn = _callables(s, op)
    if cr_fn is None:
        return Result(s, "missing", "no", "no", f"no {s.chainrule_name}")
    dtype = _pick_dtype(op)
    key = (s.index, max_samples)
    if key not in _SAMPLE_CACHE:
        try:
            _SAMPLE_CACHE.clear()  # one OpInfo's samples at a time (rows come sorted)
            _SAMPLE_CACHE[key] = _samples(op, dtype, max_samples)
        except Exception as exc:  # noqa: BLE001 - torch's sample generator itself
            return Result(s, "pass", note=f"torch's sample inputs fail: {_short(exc)}")
    samples = _SAMPLE_CACHE[key]
    differentiable = op.supports_autograd and (dtype.is_floating_point or dtype.is_complex)
    res = Result(s, "pass", samples=len(samples))
    rev_any = fwd_any = False
    rev_all = fwd_all = True
    # the alarm needs the main thread (a test runner's worker thread runs without it)
    timed = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGALRM, _alarm) if timed else None
    try:
        for k, sample in enumerate(samples):
            if timed:
                signal.alarm(TIMEOUT_S)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    o = _run_sample(s, op, k, sample, torch_fn, cr_fn)
            except _Timeout as exc:
                o = _SampleOutcome("error", str(exc), "")
            finally:
                if timed:
                    signal.alarm(0)
            if o.status == "skip":
                res.skipped += 1
                continue
            if o.status == "pass" and o.note and res.status == "pass" and not res.note:
                res.note = f"sample {k}: {o.note}"
            if o.status == "pass":
                rev_any |= o.reverse is True
                fwd_any |= o.forward is True
            else:
                rev_all = fwd_all = False
            if RANK[o.status] > RANK[res.status]:
                res.status, res.note, res.traceback = o.status, f"sample {k}: {o.note}", o.tb
            if "timeout" in o.note:
                break
    finally:
        if timed:
            signal.signal(signal.SIGALRM, old)
    if not differentiable:
        res.reverse = res.forward = "n.a."
    else:
        res.reverse = "yes" if rev_any and rev_all else ("no" if rev_all is False or
                                                         res.status != "pass" else "n.a.")
        if op.supports_forward_ad:
            res.forward = "yes" if fwd_any and fwd_all else (
                "no" if fwd_all is False or res.status != "pass" else "n.a.")
    if res.status == "pass" and res.skipped == len(samples) and samples:
        res.note = "torch raises on every sample"
    return res


def check_gradgrad(s: Spelling, max_samples: int = 2) -> int:
    """Second order against torch on the first samples: the gradient (a fixed cotangent) is
    differentiated again along a fixed random direction. Returns the number of samples
    compared; raises Mismatch (or chainrule's exception) on disagreement."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _check_gradgrad(s, max_samples)


def _check_gradgrad(s: Spelling, max_samples: int) -> int:
    import torch

    import chainrule

    op = _op_db()[s.index]
    torch_fn, cr_fn = _callables(s, op)
    dtype = _pick_dtype(op)
    if not op.supports_gradgrad or "second" in _torch_untested(op, dtype):
        return 0  # torch does not vouch for its second derivative here
    samples = _samples(op, dtype, max_samples)
    done = 0
    for k, sample in enumerate(samples):
        _set_precision(sample)
        try:
            ref = _gauge(op, _derivative_call(op, torch_fn, "torch", sample.input, sample.args,
                                              sample.kwargs), "torch")
            pairs = [(p, r) for p, r in _leaves_of(ref) if _differentiable(r) and r.requires_grad]
            memo: dict = {}
            leaves: list = []
            cin = _to_chainrule(sample.input, memo, leaves)
            cargs = _to_chainrule(sample.args, memo, leaves)
            ckw = _to_chainrule(sample.kwargs, memo, leaves)
            tins = [t for t, _ in leaves]
            if not pairs or not tins:
                continue
            rng = _rng(s, k + 7)
            cots = [_random_like(rng, r) for _, r in pairs]
            g1 = torch.autograd.grad([r for _, r in pairs], tins, cots, create_graph=True,
                                     allow_unused=True)
            dirs = [_random_like(rng, t) for t in tins]
            terms = [(g * v).real.sum() if g.dtype.is_complex else (g * v).sum()
                     for g, v in zip(g1, dirs) if g is not None and g.requires_grad]
            if not terms:
                continue
            g2 = torch.autograd.grad(sum(terms), tins, allow_unused=True)
        except Exception:
            continue  # torch has no second derivative here: nothing to compare
        got = _gauge(op, _derivative_call(op, cr_fn, "chainrule", cin, cargs, ckw), "chainrule")
        gl = dict(_leaves_of(got))
        kept = [i for i, (p, _) in enumerate(pairs)
                if isinstance(gl.get(p), chainrule.Tensor) and gl[p].requires_grad]
        cl = [c for _, c in leaves]
        c1 = chainrule.autograd.grad([gl[pairs[i][0]] for i in kept], cl,
                                     [_cr_like(cots[i]) for i in kept], create_graph=True,
                                     allow_unused=True) if kept else [None] * len(cl)
        cterms = [(g * _cr_like(v)).real.sum() if np.iscomplexobj(_cr_array(g))
                  else (g * _cr_like(v)).sum()
                  for g, v in zip(c1, dirs)
                  if isinstance(g, chainrule.Tensor) and g.requires_grad]
        if cterms:  # else the gradient is constant: its derivative is zero
            total = cterms[0]
            for t in cterms[1:]:
                total = total + t
            c2 = chainrule.autograd.grad([total], cl, allow_unused=True)
        else:
            c2 = [None] * len(cl)
        _compare_derivatives("second-order gradient", list(g2), list(c2))
        done += 1
    return done


# --- the table ------------------------------------------------------------------------------------
def run(selected: list[Spelling] | None = None, progress: bool = False) -> list[Result]:
    rows = spellings() if selected is None else selected
    out = []
    for i, s in enumerate(rows):
        t0 = time.time()
        out.append(check(s))
        out[-1].seconds = time.time() - t0
        if progress and (i % 50 == 0 or time.time() - t0 > 3):
            print(f"  {i}/{len(rows)} {s.operation} {s.key} {out[-1].status} "
                  f"{time.time() - t0:.1f} s", file=sys.stderr, flush=True)
    return out


_HEADER = "| operation | spelling | status | reverse | forward | notes |"
_FLOOR_RE = re.compile(r"^Pass floor \(ratchet\): (\d+)", re.M)


def parse_doc(text: str | None = None) -> tuple[int, dict[tuple[str, str], tuple]]:
    """The doc's ratchet and its rows: {(operation, chainrule name): (status, reverse,
    forward, notes)}."""
    if text is None:
        text = DOC_PATH.read_text() if DOC_PATH.exists() else ""
    m = _FLOOR_RE.search(text)
    rows = {}
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith(("| operation", "| ---", "| namespace")):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) != 6:
            continue
        op, spelling, status, rev, fwd, notes = cells
        name = spelling.split("`")[1] if "`" in spelling else spelling
        rows[(op, name)] = (status, rev, fwd, notes)
    return (int(m.group(1)) if m else 0), rows


def render(results: list[Result], floor: int = 0) -> str:
    results = sorted(results, key=lambda r: (r.spelling.operation, r.spelling.ns,
                                             r.spelling.attr))
    counts = {st: sum(r.status == st for r in results) for st in STATUSES}
    n = len(results)
    passed = counts["pass"]
    names: dict[str, list[str]] = {}
    for r in results:
        names.setdefault(r.spelling.chainrule_name, []).append(r.status)
    names_pass = sum(all(st == "pass" for st in v) for v in names.values())
    lines = [
        "# Coverage of PyTorch's operator database",
        "",
        "Generated by `python tools/torch_coverage.py --write` from a full run (a minute or "
        "two);",
        "do not edit by hand: tests/torch_api/test_op_db.py re-runs every row on its first "
        "samples",
        "and fails when this file is stale. See the docstring of tools/torch_coverage.py for "
        "how",
        "each row is checked; `python tools/torch_coverage.py --only NAME` prints a row's "
        "first failure.",
        "",
        "What is counted: for every OpInfo of torch 2.13.0's `op_db` (a variant such as",
        "`max (binary)` is its own OpInfo), the function it names in `torch`,",
        "`torch.nn.functional`, `torch.linalg`, `torch.special` or `torch.fft`, its method",
        "variant (`Tensor.X`), the `Tensor` method or property it tests through a lambda when",
        "it has neither, and each alias as function and method. In-place variants, private",
        "and `torch.ops` operators, the `masked`, `sparse`, `signal.windows` and jiterator",
        "namespaces and CUDA-only OpInfos are left out. A row is one (OpInfo, spelling) pair;",
        "a name in several OpInfos (`torch.max`) has several rows. (Issue 12 counted 1,074",
        "spellings with a rule it did not state; this is the rule here.)",
        "",
        "Each OpInfo runs in float64 (else complex128, int64, bool) on its own sample inputs;",
        "values must match torch's (allclose rtol=1e-7, atol=1e-7 times the result's scale,",
        "NaN in the same places, same shape and dtype family, named tuples by field), and",
        "reverse-mode gradients (`chainrule.autograd.grad`) and forward-mode tangents",
        "(`chainrule.autograd.forward_ad`) along fixed random directions must match torch's;",
        "where they do not, central differences decide (a note says so). Random operations",
        "are compared by shape and dtype. tests/torch_api/test_op_db.py also compares second",
        "order gradients with torch's, on every passing differentiable row's first samples.",
        "",
        "- **pass**: every sample agrees (values and derivatives);",
        "- **missing**: chainrule has no such name;",
        "- **unsupported**: chainrule raises NotImplementedError, TypeError or ValueError naming",
        "  the operation on some sample;",
        "- **error**: another exception (a bug); **wrong**: a value or derivative disagrees.",
        "- reverse / forward: **yes** derivatives compared on every sample that has them,",
        "  **no** not (or not all) compared, **n.a.** nothing to differentiate.",
        "",
        "## Summary",
        "",
        f"{n} spellings (rows) from {len({r.spelling.operation for r in results})} OpInfos; "
        f"{len(names)} distinct names.",
        "",
        f"Pass floor (ratchet): {max(floor, passed)}",
        "",
        f"- pass: {passed} ({100.0 * passed / max(n, 1):.1f}%; the issue's floor is 90% and "
        "none wrong)",
    ]
    lines += [f"- {st}: {counts[st]}" for st in STATUSES[1:]]
    lines += [f"- distinct names passing in every row: {names_pass} of {len(names)}", "",
              "| namespace | rows | " + " | ".join(STATUSES) + " |",
              "| --- | --- | " + " | ".join("---" for _ in STATUSES) + " |"]
    for ns in NAMESPACES:
        sub = [r for r in results if r.spelling.ns == ns]
        lines.append(f"| {ns} | {len(sub)} | " +
                     " | ".join(str(sum(r.status == st for r in sub)) for st in STATUSES) + " |")
    lines += ["", "## Rows", "", _HEADER, "| --- | --- | --- | --- | --- | --- |"]
    lines += [r.row() for r in results]
    return "\n".join(lines) + "\n"


def _find(names: list[str]) -> list[Spelling]:
    out = []
    for s in spellings():
        for n in names:
            if n in (s.key, s.attr, s.chainrule_name, s.operation, s.operation.split(" (")[0]) \
                    or (s.ns == "torch" and n == "torch." + s.attr):
                out.append(s)
                break
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="check these spellings (torch.sum, Tensor.sum, sum, linalg.norm, "
                        "an OpInfo name) and print each status and first failure")
    p.add_argument("--write", action="store_true",
                   help="rewrite docs/torch_coverage.md from a full run")
    p.add_argument("--times", metavar="FILE",
                   help="also write each row's seconds and sample count to FILE")
    a = p.parse_args(argv)
    t0 = time.time()
    if a.only:
        sel = _find(a.only)
        if not sel:
            print("no such spelling in op_db: " + " ".join(a.only))
            return 1
        for r in run(sel):
            s = r.spelling
            print(f"{s.operation:40s} {s.chainrule_name:40s} {r.status:12s} reverse={r.reverse}"
                  f" forward={r.forward} samples={r.samples} (torch raised on {r.skipped})")
            if r.note:
                print("    " + r.note)
            if r.traceback:
                print("    " + r.traceback.rstrip().replace("\n", "\n    "))
        return 0
    results = run(progress=True)
    if a.times:
        Path(a.times).write_text("".join(
            f"{r.seconds:.2f}\t{r.samples}\t{r.status}\t{r.spelling.operation}\t"
            f"{r.spelling.key}\n" for r in sorted(results, key=lambda r: -r.seconds)))
    floor, _ = parse_doc()
    text = render(results, floor)
    if a.write:
        DOC_PATH.write_text(text)
        print(f"wrote {DOC_PATH}")
    print("\n".join(line for line in text.splitlines() if line.startswith(("- ", "| ") )
                    and not line.startswith("| operation") and " | `" not in line))
    print(f"{time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
