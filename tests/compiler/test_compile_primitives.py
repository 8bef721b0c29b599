"""``chainrule.compile`` over the whole primitive table, and on random programs.

For every case of the primitive table (tests/primitives/test_primitive_table.py ``CASES``, the
``cases_*.py`` families merged in), ``f(*float_inputs) = sum(prim(inputs, params) * w)`` (the
real part for complex results, ``w`` fixed random weights) is compiled and compared with eager
execution:

- values: bitwise. The optimisation passes (constant folding, identities such as ``x * 1``,
  CSE, DCE) never reassociate, and the generated code calls the same kernels in the same order,
  so every value must be the same array bit for bit;
- gradients of the compiled function (its compiled backward), the compiled gradient
  (``compile(grad(f))``), forward mode (``jvp``) and second order (``hessian``: forward over the
  compiled reverse; ``jacrev(grad(compiled))``: the compiled backward differentiated again):
  1e-12 relative to the result's largest entry. Compiled derivative code may apply the rules'
  operations in another order than the engine (its own accumulation order of cotangents, a
  fan-out summed after CSE merged two branches), which changes the last bits;
- the trace is reused: a second call with new same-shaped inputs traces nothing
  (``traces == 1``) and matches eager execution on the new inputs (no value of the first call
  was frozen into the trace: the new inputs are the old ones shuffled, so masks, maxima and
  branches move); a new dtype traces again (``traces == 2``).

Primitives whose derivative rules read values in Python outside a primitive (a mask counted
with NumPy, a branch on ``np.any``) cannot be traced: their compiled derivatives must raise
``TracingError`` (``UNTRACEABLE_RULES``, with the reason), never give a value. Forward mode and
forward-over-reverse run the traced program through the primitives (no rule is traced), so they
are checked for those too.

Second order runs on a deterministic third of the table by default (about a third of this
file's time); ``CHAINRULE_FULL=1 python -m pytest tests/compiler/test_compile_primitives.py``
runs it on every primitive.
"""

from __future__ import annotations

import os
import zlib

import numpy as np
import pytest
from tests.primitives.test_primitive_table import CASES

import chainrule as cr
from chainrule import TracingError
from chainrule._pytree import flatten
from chainrule.primitives import REGISTRY
from chainrule.primitives._core import apply

FULL = os.environ.get("CHAINRULE_FULL") == "1"
RTOL = 1e-12

# primitive: why its reverse rule cannot be traced (it reads values with NumPy outside a
# primitive, so that a trace would freeze them). Compiling its derivative raises TracingError.
# The same for the rules of second derivatives only (the first derivative compiles).
UNTRACEABLE_SECOND = {
    name: "its derivative uses xlogy / xlog1py, whose rule masks x == 0 with NumPy on values"
    for name in ("gammainc", "gammaincc", "gammainc_da", "betainc", "betaincc", "betainc_d",
                 "stdtr")
}
# Eager second derivatives that fail (a bug outside compile): compiled must fail the same way.
EAGER_SECOND_FAILS = {
    "solve_banded": "hessian (forward over reverse) of solve_banded raises in broadcast_to: the "
                    "reverse rule's _band_outer product of a batched tangent",
}

UNTRACEABLE_RULES = {
    "amax": "reduction._extremum_mask counts the ties with np.sum(data_of(mask))",
    "amin": "reduction._extremum_mask counts the ties with np.sum(data_of(mask))",
    "prod": "reduction._prod_partials branches on np.any(data_of(x) == 0)",
    "cumprod": "array_ops: the rule branches on zeros found with NumPy",
    "det": "decompositions: the rule picks its formula with np.linalg.norm / np.all on values",
    "eigh": "decompositions: the rule finds degenerate eigenvalues with NumPy on values",
    "eig": "decompositions: the rule finds degenerate eigenvalues with NumPy on values",
    "svd": "decompositions: the rule tests np.any(data_of(gu)) and degenerate singular values",
    "fmax": "math: the rule picks the NaN-aware side with NumPy comparisons on values",
    "fmin": "math: the rule picks the NaN-aware side with NumPy comparisons on values",
    "xlogy": "special: the rule masks x == 0 with NumPy on values",
    "xlog1py": "special: the rule masks x == 0 with NumPy on values",
}


def _is_float(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def _seed(name: str) -> int:
    return zlib.crc32(name.encode())


def _second_order_sample(name: str) -> bool:
    return FULL or _seed(name) % 3 == 0


class Case:
    """``f`` of the case's float inputs (the others and the parameters fixed), the inputs, and
    new inputs of the same shapes and dtypes that change the value."""

    def __init__(self, name):
        inputs, params = CASES[name]
        prim = REGISTRY[name]
        self.name = name
        self.diff = [i for i, a in enumerate(inputs) if _is_float(a)]
        out = np.asarray(prim.impl(*inputs, *params))
        self.float_out = out.dtype.kind in "fc"
        w = np.random.default_rng(_seed(name)).standard_normal(out.shape)
        complex_out = out.dtype.kind == "c"

        def f(*xs):
            full = list(inputs)
            for i, x in zip(self.diff, xs):
                full[i] = x
            y = apply(prim, tuple(full), params)
            if complex_out:
                y = cr.numpy.real(y)
            return cr.numpy.sum(y * w)

        f.__name__ = f"sum_{name}"
        self.f = f
        self.xs = [inputs[i] for i in self.diff]
        self.argnums = tuple(range(len(self.xs)))
        self.xs2 = self._new_inputs()

    def _new_inputs(self):
        """The inputs with each array's entries shuffled (same domain; masks, maxima and
        branches move), else shrunk or grown a little, else negated: the first that keeps the value finite and
        changes it; fixed seeds."""
        r = np.random.default_rng(_seed(self.name) + 1)
        v0 = self.f(*self.xs)
        shuffled = [_shuffle(r, x) for x in self.xs]
        shrunk = [x * (1 - 0.05 * r.uniform(size=x.shape)) for x in self.xs]
        grown = [x * (1 + 0.05 * r.uniform(size=x.shape)) for x in self.xs]
        negated = [-x for x in self.xs]  # sign of positive numbers
        for xs in (shuffled, shrunk, grown, negated):
            try:
                v = self.f(*xs)
                g = cr.grad(self.f, argnums=self.argnums)(*xs) if self.float_out else ()
            except Exception:  # outside the primitive's domain (a factorisation's matrix)
                continue
            if np.isfinite(v) and v != v0 and all(np.all(np.isfinite(x)) for x in g):
                return xs
        raise AssertionError(f"{self.name}: no new inputs that change the value")


def _shuffle(r, x):
    """``x``'s entries in another order (never the same order when there are two)."""
    perm = r.permutation(x.size)
    if x.size > 1 and np.array_equal(perm, np.arange(x.size)):
        perm = np.roll(perm, 1)
    return x.ravel()[perm].reshape(x.shape)


_CACHE: dict = {}


def case(name) -> Case:
    if name not in _CACHE:
        _CACHE[name] = Case(name)
    return _CACHE[name]


def assert_close(got, want, what=""):
    """Every leaf of ``got`` equals ``want``'s to RTOL relative to that leaf's largest entry."""
    g_leaves, _ = flatten(got)
    w_leaves, _ = flatten(want)
    assert len(g_leaves) == len(w_leaves), what
    for g, w in zip(g_leaves, w_leaves):
        g, w = np.asarray(getattr(g, "_data", g)), np.asarray(getattr(w, "_data", w))
        assert g.shape == w.shape and g.dtype == w.dtype, (what, g.shape, w.shape, g.dtype,
                                                           w.dtype)
        scale = np.max(np.abs(w), initial=0.0)
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=RTOL * scale, err_msg=what)


def assert_same(got, want, what=""):
    """Bit for bit (NaN where NaN)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=True), \
        f"{what}: {got!r} != {want!r}"


NAMES = sorted(CASES)


@pytest.mark.parametrize("name", NAMES)
def test_values_and_retracing(name):
    c = case(name)
    fc = cr.compile(c.f)
    assert_same(fc(*c.xs), c.f(*c.xs), f"{name}: value")
    # new inputs, same signature: no trace, and nothing of the first call frozen in
    assert_same(fc(*c.xs2), c.f(*c.xs2), f"{name}: value at new inputs")
    assert fc.traces == 1
    # a new dtype traces again
    xs32 = [x.astype(np.complex64 if x.dtype.kind == "c" else np.float32) for x in c.xs]
    try:
        want = c.f(*xs32)
    except Exception as exc:  # the kernel refuses float32 eagerly: compiled must refuse it too
        with pytest.raises(type(exc)):
            fc(*xs32)
    else:
        assert_same(fc(*xs32), want, f"{name}: value at float32")
        assert fc.traces == 2


@pytest.mark.parametrize("name", NAMES)
def test_reverse_and_forward(name):
    c = case(name)
    if not c.float_out:
        pytest.skip(f"{name}: integer result, no gradient")  # pragma: no cover - none so far
    fc = cr.compile(c.f)
    grad_eager = cr.grad(c.f, argnums=c.argnums)
    if name in UNTRACEABLE_RULES:
        with pytest.raises(TracingError, match="cannot be compiled|cannot record"):
            cr.grad(fc, argnums=c.argnums)(*c.xs)
        with pytest.raises(TracingError, match="cannot be compiled|cannot record"):
            cr.compile(grad_eager)(*c.xs)
    else:
        for xs in (c.xs, c.xs2):  # the second call reuses the backward program
            assert_close(cr.grad(fc, argnums=c.argnums)(*xs), grad_eager(*xs), f"{name}: grad")
        cg = cr.compile(grad_eager)
        for xs in (c.xs, c.xs2):
            assert_close(cg(*xs), grad_eager(*xs), f"{name}: compile(grad)")
        assert cg.traces == 1
    assert fc.traces == 1
    r = np.random.default_rng(_seed(name) + 2)
    ts = [r.standard_normal(x.shape) + (1j * r.standard_normal(x.shape) if x.dtype.kind == "c"
                                        else 0) for x in c.xs]
    for xs in (c.xs, c.xs2):
        assert_close(cr.jvp(fc, xs, ts), cr.jvp(c.f, xs, ts), f"{name}: jvp")


@pytest.mark.parametrize("name", [n for n in NAMES if _second_order_sample(n)])
def test_second_order(name):
    c = case(name)
    fc = cr.compile(c.f)
    n = c.argnums
    if name in EAGER_SECOND_FAILS:
        with pytest.raises(Exception) as eager:
            cr.hessian(c.f, n)(*c.xs)
        with pytest.raises(eager.type):
            cr.hessian(fc, n)(*c.xs)
        return
    for xs in (c.xs, c.xs2):
        assert_close(cr.hessian(fc, n)(*xs), cr.hessian(c.f, n)(*xs), f"{name}: hessian")
    if name in UNTRACEABLE_RULES or name in UNTRACEABLE_SECOND:
        with pytest.raises(TracingError):
            cr.jacrev(cr.grad(fc, n), n)(*c.xs)
        return
    for xs in (c.xs, c.xs2):
        assert_close(cr.jacrev(cr.grad(fc, n), n)(*xs), cr.jacrev(cr.grad(c.f, n), n)(*xs),
                     f"{name}: jacrev(grad)")
    assert fc.traces == 1
