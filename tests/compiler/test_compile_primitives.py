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
  1e-12 relative to the result's largest entry. First derivatives agree bit for bit today (on
  the table and the random programs); second derivatives may differ in the last bits (arctan2),
  as the rules of the second pass then differentiate the simplified first-pass program (``x *
  1`` dropped, repeated subexpressions merged) rather than the engine's;
- the trace is reused: a second call with new same-shaped inputs traces nothing
  (``traces == 1``) and matches eager execution on the new inputs (no value of the first call
  was frozen into the trace: the new inputs are the old ones shuffled, so masks, maxima and
  branches move); a new dtype traces again (``traces == 2``).

Every derivative rule traces: a rule that picks a fast special case by looking at values does
so only when they are known (``_core.is_concrete``), and its value checks are recorded kernels.
Forward mode and forward over reverse run the traced program through the primitives.

Random programs (20-50 operations: arithmetic, bounded transcendental functions, reductions,
reshapes, transposes, matrix products, broadcasting) are compared in the same way, and the
results are checked to belong to the caller (no result shares memory with an input, a constant
or another result, as eagerly).

The whole file takes about 7 s with single-threaded BLAS (OPENBLAS_NUM_THREADS=1); on a loaded
machine, BLAS threads can make the matrix functions' second derivatives (logm) far slower.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from tests.primitives.test_primitive_table import CASES

import chainrule as cr
from chainrule._pytree import flatten
from chainrule.primitives import REGISTRY
from chainrule.primitives._core import apply

RTOL = 1e-12

# Eager second derivatives that fail (a bug outside compile): compiled must fail the same way.
EAGER_SECOND_FAILS = {
    "solve_banded": "hessian (forward over reverse) raises in broadcast_to: the reverse rule's "
                    "_band_outer multiplies a batched tangent by an unbatched slice",
}


def _is_float(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def _seed(name: str) -> int:
    return zlib.crc32(name.encode())


class Case:
    """``f`` of the case's float inputs (the others and the parameters fixed), the inputs, and
    new inputs of the same shapes and dtypes that change the value."""

    def __init__(self, name):
        inputs, params = CASES[name]
        prim = REGISTRY[name]
        self.name = name
        self.diff = [i for i, a in enumerate(inputs) if _is_float(a)]
        out = np.asarray(prim.impl(*inputs, *params))
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
        branches move), else shrunk or grown a little, else negated: the first that keeps the
        value and gradient finite and changes the value; fixed seeds."""
        r = np.random.default_rng(_seed(self.name) + 1)
        v0 = self.f(*self.xs)
        shuffled = [_shuffle(r, x) for x in self.xs]
        shrunk = [x * (1 - 0.05 * r.uniform(size=x.shape)) for x in self.xs]
        grown = [x * (1 + 0.05 * r.uniform(size=x.shape)) for x in self.xs]
        negated = [-x for x in self.xs]  # sign of positive numbers
        for xs in (shuffled, shrunk, grown, negated):
            try:
                v = self.f(*xs)
                g = cr.grad(self.f, argnums=self.argnums)(*xs) if self.name in GRAD_NAMES else ()
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


def assert_fresh(results, inputs, what=""):
    """The caller owns the results, as eagerly: none shares memory with an input or another
    result (writing into one must change nothing else)."""
    leaves, _ = flatten(results)
    arrays = [np.asarray(getattr(r, "_data", r)) for r in leaves]
    for k, a in enumerate(arrays):
        for b in list(inputs) + arrays[:k]:
            assert not np.shares_memory(a, b), f"{what}: result {k} shares memory"


NAMES = sorted(CASES)
# gradients only of float results (an integer result's values are still compared)
GRAD_NAMES = [n for n in NAMES if np.asarray(
    REGISTRY[n].impl(*CASES[n][0], *CASES[n][1])).dtype.kind in "fc"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.filterwarnings("ignore:logm result may be inaccurate")  # SciPy's, in float32
def test_values_and_retracing(name):
    c = case(name)
    fc = cr.compile(c.f)
    assert_same(fc(*c.xs), c.f(*c.xs), f"{name}: value")
    # new inputs, same signature: no trace, and nothing of the first call frozen in
    assert_same(fc(*c.xs2), c.f(*c.xs2), f"{name}: value at new inputs")
    assert fc.traces == 1
    # a new dtype traces again
    xs32 = [x.astype(np.complex64 if x.dtype.kind == "c" else np.float32) for x in c.xs]
    assert_same(fc(*xs32), c.f(*xs32), f"{name}: value at float32")
    assert fc.traces == 2
    assert_same(fc(*c.xs), c.f(*c.xs), f"{name}: value after the float32 trace")
    assert fc.traces == 2


@pytest.mark.parametrize("name", GRAD_NAMES)
def test_reverse_and_forward(name):
    c = case(name)
    fc = cr.compile(c.f)
    grad_eager = cr.grad(c.f, argnums=c.argnums)
    for xs in (c.xs, c.xs2):  # the second call reuses the backward program
        g = cr.grad(fc, argnums=c.argnums)(*xs)
        assert_close(g, grad_eager(*xs), f"{name}: grad")
        assert_fresh(g, xs, f"{name}: grad")
    cg = cr.compile(grad_eager)
    for xs in (c.xs, c.xs2):
        g = cg(*xs)
        assert_close(g, grad_eager(*xs), f"{name}: compile(grad)")
        assert_fresh(g, xs, f"{name}: compile(grad)")
    assert cg.traces == 1
    assert fc.traces == 1
    r = np.random.default_rng(_seed(name) + 2)
    ts = [r.standard_normal(x.shape) + (1j * r.standard_normal(x.shape) if x.dtype.kind == "c"
                                        else 0) for x in c.xs]
    for xs in (c.xs, c.xs2):
        assert_close(cr.jvp(fc, xs, ts), cr.jvp(c.f, xs, ts), f"{name}: jvp")


@pytest.mark.parametrize("name", GRAD_NAMES)
def test_second_order(name):
    c = case(name)
    fc = cr.compile(c.f)
    n = c.argnums
    if name in EAGER_SECOND_FAILS:  # once eager works, "DID NOT RAISE": remove it there
        with pytest.raises(Exception) as eager:
            cr.hessian(c.f, n)(*c.xs)
        with pytest.raises(eager.type):
            cr.hessian(fc, n)(*c.xs)
    else:
        # forward over reverse runs the traced program through the primitives (no trace to
        # reuse, so one point is enough)
        assert_close(cr.hessian(fc, n)(*c.xs), cr.hessian(c.f, n)(*c.xs), f"{name}: hessian")
    for xs in (c.xs, c.xs2):
        assert_close(cr.jacrev(cr.grad(fc, n), n)(*xs), cr.jacrev(cr.grad(c.f, n), n)(*xs),
                     f"{name}: jacrev(grad)")
    assert fc.traces == 1


# --- random programs -----------------------------------------------------------------------------
# Straight-line programs of 20-50 operations drawn from elementwise arithmetic, bounded
# transcendental functions, reductions over an axis, reshapes, transposes, matrix products and
# broadcasting, on two or three inputs; each compiled and compared with eager execution as above.
_IN_SHAPES = [(3, 4), (4,), (4, 3), (3, 1), ()]
_UNARY = ("sin", "cos", "tanh", "exp")
_BINARY = ("add", "sub", "mul", "div")


class RandomProgram:
    """``ops``: (name, argument indices, parameter); values are numbered inputs first. The
    shapes are followed while drawing (on sample values, so that every intermediate stays
    below 1e3: a larger one is passed through tanh)."""

    def __init__(self, seed):
        r = np.random.default_rng(seed)
        self.seed = seed
        n_in = int(r.integers(2, 4))
        self.in_shapes = [(3, 4)] + [_IN_SHAPES[k] for k in r.integers(0, len(_IN_SHAPES),
                                                                        n_in - 1)]
        vals = [r.uniform(-1, 1, s) for s in self.in_shapes]
        self.inputs = [v.copy() for v in vals]
        self.ops = []
        n_ops = int(r.integers(20, 51))
        while len(self.ops) < n_ops:
            op = self._draw(r, vals)
            if op is None:
                continue
            y = _run_op(np, vals, *op)
            if np.max(np.abs(y), initial=0) > 1e3:
                op = ("tanh_of", op[1], op)  # keep intermediates bounded
                y = np.tanh(y)
            self.ops.append(op)
            vals.append(y)
        self.outputs = (len(vals) - 1, int(r.integers(n_in, len(vals))))

    @staticmethod
    def _draw(r, vals):
        name = str(r.choice(("unary", "binary", "sum", "reshape", "transpose", "matmul",
                             "broadcast")))
        i = int(r.integers(0, len(vals)))
        s = vals[i].shape
        if name == "unary":
            return str(r.choice(_UNARY)), (i,), None
        if name == "binary":
            j = int(r.integers(0, len(vals)))
            try:
                np.broadcast_shapes(s, vals[j].shape)
            except ValueError:
                return None
            return str(r.choice(_BINARY)), (i, j), None
        if name == "sum":
            return ("sum", (i,), int(r.integers(0, len(s)))) if s else None
        if name == "reshape":
            return ("reshape", (i,), (s[::-1] if len(s) == 2 else (1,) + s)) if s else None
        if name == "transpose":
            return ("transpose", (i,), None) if len(s) == 2 else None
        if name == "matmul":
            if len(s) not in (1, 2):
                return None
            ok = [j for j, v in enumerate(vals) if v.ndim in (1, 2) and v.shape[0] == s[-1]]
            return ("matmul", (i, ok[int(r.integers(0, len(ok)))]), None) if ok else None
        # broadcast to a shape with one more leading axis of length 2
        return "broadcast", (i,), (2,) + s

    def __call__(self, *xs):
        vals = list(xs)
        for op in self.ops:
            vals.append(_run_op(cr.numpy, vals, *op))
        a, b = self.outputs
        return cr.numpy.sum(vals[a]) + 0.5 * cr.numpy.sum(vals[b])


def _run_op(ns, vals, name, args, p):
    """One operation with namespace ``ns`` (NumPy while drawing, chainrule.numpy to run)."""
    x = vals[args[0]]
    if name == "tanh_of":
        return ns.tanh(_run_op(ns, vals, *p))
    if name in _UNARY:
        return ns.exp(ns.tanh(x)) if name == "exp" else getattr(ns, name)(x)
    if name in _BINARY:
        y = vals[args[1]]
        if name == "div":  # a denominator in [0.5, 2.5]
            return ns.divide(x, 1.5 + ns.sin(y))
        return {"add": ns.add, "sub": ns.subtract, "mul": ns.multiply}[name](x, y)
    if name == "sum":
        return ns.sum(x, axis=p)
    if name == "reshape":
        return ns.reshape(x, p)
    if name == "transpose":
        return ns.transpose(x)
    if name == "matmul":
        return ns.matmul(x, vals[args[1]])
    return ns.broadcast_to(x, p)


@pytest.mark.parametrize("seed", range(30))
def test_random_program(seed):
    prog = RandomProgram(seed)
    xs = prog.inputs
    r = np.random.default_rng(seed + 1000)
    xs2 = [r.uniform(-1, 1, x.shape) for x in xs]
    n = tuple(range(len(xs)))
    fc = cr.compile(prog)
    for ys in (xs, xs2):
        assert_same(fc(*ys), prog(*ys), f"program {seed}: value")
        g = cr.grad(fc, n)(*ys)
        assert_close(g, cr.grad(prog, n)(*ys), f"program {seed}: grad")
        assert_fresh(g, ys, f"program {seed}: grad")
        ts = [r.standard_normal(x.shape) for x in xs]
        assert_close(cr.jvp(fc, ys, ts), cr.jvp(prog, ys, ts), f"program {seed}: jvp")
    cg = cr.compile(cr.grad(prog, n))
    for ys in (xs, xs2):
        g = cg(*ys)
        assert_close(g, cr.grad(prog, n)(*ys), f"program {seed}: compile(grad)")
        assert_fresh(g, ys, f"program {seed}: compile(grad)")
    assert fc.traces == 1 and cg.traces == 1
    if seed % 3 == 0:  # second order (forward over reverse, and reverse over reverse)
        assert_close(cr.hessian(fc, n)(*xs), cr.hessian(prog, n)(*xs), f"program {seed}: hessian")
        assert_close(cr.jacrev(cr.grad(fc, n), n)(*xs), cr.jacrev(cr.grad(prog, n), n)(*xs),
                     f"program {seed}: jacrev(grad)")


# --- results belong to the caller ----------------------------------------------------------------
def test_results_never_alias_inputs_or_each_other():
    """Eagerly each call returns new arrays. The simplifications must not change that: the
    gradient of sum(x * y) is ``ones * y`` (not y itself, which the caller could then change by
    writing into the gradient), a constant result is a new array at each call, and a result
    returned twice (merged by CSE) is two arrays."""
    cnp = cr.numpy
    x, y = np.ones(3), np.arange(3.0)
    f = lambda x, y: cnp.sum(x * y)  # noqa: E731
    for g in (cr.grad(cr.compile(f), (0, 1)), cr.compile(cr.grad(f, (0, 1)))):
        gx, gy = g(x, y)
        assert_fresh((gx, gy), (x, y), "grad of sum(x * y)")
        gx[...] = 100.0
        np.testing.assert_array_equal(y, [0.0, 1.0, 2.0])
        np.testing.assert_array_equal(g(x, y)[0], y)
    # an unused input's zero gradient: writing into it must not change the next one
    g = cr.grad(cr.compile(lambda x, y: cnp.sum(cnp.sin(y))), (0, 1))
    g(x, y)[0][...] = 7.0
    np.testing.assert_array_equal(g(x, y)[0], np.zeros(3))
    fc = cr.compile(lambda x: (x + 1, cnp.ones(3), cnp.sin(x), cnp.sin(x)))
    first = fc(x)
    first[1][...] = 5.0
    first[2][...] = 5.0
    again = fc(x)
    np.testing.assert_array_equal(again[1], np.ones(3))
    np.testing.assert_array_equal(first[3], np.sin(x))
    assert_fresh(again, (x,), "constant and repeated results")
    # x * 1 is dropped, but not where a view of it is the result: that would be a view of x
    fc = cr.compile(lambda x: cnp.reshape(x * 1.0, (3, 1)))
    assert_fresh(fc(x), (x,), "reshape(x * 1)")
    np.testing.assert_array_equal(fc(x), x[:, None])


def test_integer_index_inputs_in_derivatives():
    """An integer input used as an index is a program value, in the compiled backward too
    (getitem's reverse rule hands the index on to index_add as a parameter), and at second
    order: new indices at the next call are used, not the first call's."""
    cnp = cr.numpy
    x = np.array([0.3, -1.2, 2.0])
    f = lambda x, k: cnp.sum(cnp.sin(x[k]) * 2.0)  # noqa: E731
    fc, cg = cr.compile(f), cr.compile(cr.grad(f))
    for k in (np.array([0, 2]), np.array([1, 1])):
        assert_close(cr.grad(fc)(x, k), cr.grad(f)(x, k), "grad")
        assert_close(cg(x, k), cr.grad(f)(x, k), "compile(grad)")
        assert_close(cr.jacrev(cr.grad(fc))(x, k), cr.jacrev(cr.grad(f))(x, k), "jacrev(grad)")
    assert fc.traces == 1 and cg.traces == 1
