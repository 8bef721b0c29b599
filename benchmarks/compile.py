"""``chainrule.compile`` against eager chainrule, hand-written NumPy and ``jax.jit`` (CPU), in
one run (about a minute; ``--quick``: seconds).

    python benchmarks/compile.py                  # all workloads
    python benchmarks/compile.py chain spiral     # some of them
    python benchmarks/compile.py --quick --no-jax --backends numpy   # the test suite's smoke run
    python benchmarks/run.py compile [...]        # the same, through the main runner

Workloads:

- ``chain``: value and gradient of a chain of 1,000 elementwise operations (benchmarks/run.py's
  chain: sin, * 1.0001, + 0.5, tanh, repeated) on a 1-element float64 array: eager
  (``value_and_grad(chain)``), ``compile(value_and_grad(chain))`` and
  ``value_and_grad(compile(chain))`` on each backend (Numba's second form only with
  ``--slow``: compiling it takes 10-20 s), the gradient written by hand in NumPy, and
  ``jax.jit(jax.value_and_grad(chain))`` (float64).
- ``compile_time``: the first call of fresh compiled functions of that chain: tracing and code
  generation (``Compiled.stats``; for ``value_and_grad(compile(chain))`` the forward trace
  only) and the first call's wall time, beside ``jax.jit``'s (a fresh function).
- ``spiral``: one gradient-descent step of the CS231n two-layer ReLU network on the spiral data
  (examples/spiral.py's data; softmax loss with L2, the notes' formulas), written functionally
  with ``value_and_grad`` (``step(W1, b1, W2, b2, X, y) -> new parameters, loss``): eager,
  ``compile(step)``, ``jax.jit(step)``.
- ``linreg``: the linear regression of "Automatic differentiation in PyTorch"
  (examples/linear_regression.py: 1000 samples of 10 features, float32, mean squared error),
  100 gradient-descent steps, each a call from Python: eager, compiled and ``jax.jit`` steps.
- ``mlp``: benchmarks/run.py's 784-256-256-10 float32 MLP at batch 128 as a ``Module``, one
  training step with ``loss.backward()`` and ``optim.SGD``: eager, and the same loop with
  ``model = chainrule.compile(model)``.

Timing: each variant is built and runs once (``first call``: both, which for a compiled one
includes tracing and code generation), then is calibrated to about ``--target`` seconds a
round; the rounds alternate between the variants, so that all see the same machine, and the
median per call is reported. ``rel.err`` is the
largest difference of the variant's results from eager chainrule's, relative to the largest
eager value (a compiled program must compute the same thing). Ratios: ``eager/this`` (the
speed-up), ``this/hand`` and ``this/jax`` (below 1: this is faster). The issues' floors are
checked and printed (``ok`` / ``MISSED``). JAX (float64 enabled) and the Numba backend are
optional: a missing one reads ``n/a``. Measurements, not tests: nothing asserts.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import chainrule as cr
import chainrule.numpy as cnp

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE))
from run import CHAIN_OPS, _mlp_data  # noqa: E402 - the shared workloads, beside this file

BACKENDS = ("numpy", "numba")


# --- optional peers ---------------------------------------------------------------------------
_JAX = {}


def _jax(enabled: bool = True):
    """``(jax, jax.numpy)`` with float64 enabled, imported on first use; None when missing."""
    if not enabled:
        return None
    if "mod" not in _JAX:
        try:
            import jax
            import jax.numpy as jnp
        except ImportError:
            _JAX["mod"] = None
        else:
            jax.config.update("jax_enable_x64", True)
            _JAX["mod"] = (jax, jnp)
    return _JAX["mod"]


def _jax_missing(jx) -> str | None:
    if jx is not None:
        return None
    return "jax not installed" if _JAX else "left out (--no-jax)"


def _backend_missing(backend: str) -> str | None:
    """Why ``compile(..., backend=backend)`` cannot run here, or None."""
    if backend == "numba":
        if importlib.util.find_spec("numba") is None:
            return "numba not installed"
        if importlib.util.find_spec("chainrule.compiler._numba") is None:
            return "no chainrule.compiler._numba"
    return None


# --- timing -----------------------------------------------------------------------------------
def timeit_many(fns: dict, repeat: int, target: float) -> dict:
    """Median seconds per call of each function of ``fns`` (already warmed up), in rounds
    that alternate between them (benchmarks/run.py's ``timeit_pair``, for any number of
    functions); each round of a function lasts about ``target`` seconds."""
    number = {}
    for name, f in fns.items():
        t0 = time.perf_counter()
        f()
        dt = time.perf_counter() - t0
        number[name] = max(1, min(10_000, math.ceil(target / max(dt, 1e-7))))
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, f in fns.items():
            n = number[name]
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            times[name].append((time.perf_counter() - t0) / n)
    return {name: statistics.median(ts) for name, ts in times.items()}


def _leaves(x) -> list:
    if isinstance(x, (tuple, list)):
        return [a for v in x for a in _leaves(v)]
    if hasattr(x, "detach"):  # a chainrule tensor
        x = x.detach().numpy()
    return [np.asarray(x, dtype=np.float64)]


def rel_err(out, ref) -> float:
    """The largest difference of ``out`` from ``ref`` (nested tuples of arrays), relative to
    the largest magnitude in ``ref``."""
    a, b = _leaves(out), _leaves(ref)
    if len(a) != len(b):
        return math.inf
    err = 0.0
    for x, y in zip(a, b):
        if x.shape != y.shape:
            return math.inf
        scale = float(np.max(np.abs(y))) if y.size else 0.0
        diff = float(np.max(np.abs(x - y))) if y.size else 0.0
        err = max(err, diff / scale if scale > 0 else diff)
    return err


class Variant:
    """One way to compute a workload: ``make()`` returns the function timed; ``kind`` is
    ``eager``, ``compiled``, ``hand`` or ``jax``."""

    def __init__(self, name, kind, make, missing=None):
        self.name, self.kind, self.make, self.missing = name, kind, make, missing
        self.fn = self.first = self.err = self.time = None
        self.out = None


def _calling(fn, *args):
    """``fn`` of ``args``, as a function of nothing (what is timed)."""
    return lambda: fn(*args)


def measure(variants: list, repeat: int, target: float) -> list:
    """Build each variant, time its first call, compare its results with the eager one's,
    then time all in alternating rounds."""
    ref = None
    for v in variants:
        if v.missing:
            continue
        try:
            t0 = time.perf_counter()
            fn = v.make()
            v.out = fn()
            v.first = time.perf_counter() - t0
            v.fn = fn
        except Exception as e:  # noqa: BLE001 - a failing variant is reported, not fatal
            v.missing = f"failed: {type(e).__name__}: {str(e).splitlines()[0][:160]}"
            continue
        if v.kind == "eager" and ref is None:
            ref = v.out
    for v in variants:
        if v.fn is not None and ref is not None:
            v.err = rel_err(v.out, ref)
    timed = timeit_many({v.name: v.fn for v in variants if v.fn is not None}, repeat, target)
    for v in variants:
        v.time = timed.get(v.name)
    return variants


# --- printing ---------------------------------------------------------------------------------
def _t(s) -> str:
    if s is None:
        return "n/a"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def _r(x) -> str:
    return "-" if x is None else (f"{x:.0f}" if x >= 100 else f"{x:.2f}")


def report(title: str, variants: list, floors=()) -> dict:
    """Print a workload's table and its floors; returns ``{"variants": variants, "floors":
    [(text, value, ok), ...]}``."""
    by_kind = {}
    for v in variants:
        if v.time is not None:
            by_kind.setdefault(v.kind, v)
    eager, hand, jx = by_kind.get("eager"), by_kind.get("hand"), by_kind.get("jax")
    print(f"\n{title}")
    print(f"  {'variant':<44} {'time':>10} {'first call':>11} {'rel.err':>8} "
          f"{'eager/this':>10} {'this/hand':>9} {'this/jax':>8}")
    for v in variants:
        if v.time is None:
            print(f"  {v.name:<44} {'n/a':>10}   ({v.missing})")
            continue
        ratios = [eager.time / v.time if eager and v is not eager else None,
                  v.time / hand.time if hand and v is not hand else None,
                  v.time / jx.time if jx and v is not jx else None]
        err = "-" if v.err is None or v.kind == "eager" else f"{v.err:.0e}"
        print(f"  {v.name:<44} {_t(v.time):>10} {_t(v.first):>11} {err:>8} "
              f"{_r(ratios[0]):>10} {_r(ratios[1]):>9} {_r(ratios[2]):>8}")
    results = []
    for text, value, limit, cmp in floors:
        if value is None:
            print(f"  floor: {text}: n/a")
            results.append((text, None, None))
            continue
        ok = value >= limit if cmp == ">=" else value <= limit
        shown = f"{value:.3f}" if value < 10 else f"{value:.0f}"
        print(f"  floor: {text}: {shown} {cmp} {limit:g}  {'ok' if ok else 'MISSED'}")
        results.append((text, value, ok))
    return {"variants": variants, "floors": results}


def _time(variants, name):
    for v in variants:
        if v.name == name:
            return v.time
    return None


def _ratio(a, b):
    return a / b if a is not None and b is not None else None


# --- workload: the 1,000-op chain -------------------------------------------------------------
def chain(x):
    """benchmarks/run.py's chain as a function of ``x``: CHAIN_OPS elementwise operations,
    summed."""
    y = x
    for _ in range(CHAIN_OPS // 4):
        y = cnp.sin(y)
        y = y * 1.0001
        y = y + 0.5
        y = cnp.tanh(y)
    return cnp.sum(y)


def chain_hand(x):
    """The chain's value and gradient written by hand in NumPy: the forward pass keeps what the
    backward pass needs (cos of each sin's input, each tanh's output)."""
    saved = []
    y = x
    for _ in range(CHAIN_OPS // 4):
        c = np.cos(y)
        y = np.tanh(np.sin(y) * 1.0001 + 0.5)
        saved.append((c, y))
    g = np.ones_like(y)
    for c, t in reversed(saved):
        g = g * (1.0 - t * t) * 1.0001 * c
    return y.sum(), g


def _chain_jax(jnp):
    def chain_jax(x):
        y = x
        for _ in range(CHAIN_OPS // 4):
            y = jnp.tanh(jnp.sin(y) * 1.0001 + 0.5)
        return jnp.sum(y)
    return chain_jax


def _jax_fn(jit_fn):
    """A jitted function that waits for its results (JAX dispatches asynchronously)."""
    jax, _ = _jax()
    return lambda *a: jax.block_until_ready(jit_fn(*a))


# Numba compiles value_and_grad(compile(chain))'s forward program, whose kernel returns 750
# residuals (packed per dtype), in 10-20 s: left out unless --slow.
SLOW = "numba  value_and_grad(compile(chain))"


def _slow_missing(name, slow) -> str | None:
    if slow or name.strip() != SLOW:
        return None
    return "left out: its first call compiles for 10-20 s; --slow runs it"


def chain_variants(backends, use_jax, slow=False):
    x = np.ones(1)
    vs = [Variant("eager  value_and_grad(chain)", "eager",
                  lambda: _calling(cr.value_and_grad(chain), x))]
    for b in backends:
        miss = _backend_missing(b)
        vs.append(Variant(f"{b:<6} compile(value_and_grad(chain))", "compiled",
                          lambda b=b: _calling(cr.compile(cr.value_and_grad(chain), backend=b),
                                               x), miss))
        vs.append(Variant(f"{b:<6} value_and_grad(compile(chain))", "compiled",
                          lambda b=b: _calling(cr.value_and_grad(cr.compile(chain, backend=b)),
                                               x),
                          miss or _slow_missing(f"{b:<6} value_and_grad(compile(chain))", slow)))
    vs.append(Variant("hand-written NumPy gradient", "hand", lambda: _calling(chain_hand, x)))
    jx = _jax(use_jax)
    vs.append(Variant("jax.jit(jax.value_and_grad(chain))", "jax",
                      lambda: _jax_chain_call(x), _jax_missing(jx)))
    return vs


def _jax_chain_call(x):
    jax, jnp = _jax()
    f = _jax_fn(jax.jit(jax.value_and_grad(_chain_jax(jnp))))
    return lambda: f(x)


def run_chain(args):
    vs = measure(chain_variants(args.backends, args.jax, args.slow), args.repeat, args.target)
    eager = _time(vs, "eager  value_and_grad(chain)")
    hand = _time(vs, "hand-written NumPy gradient")
    jx = _time(vs, "jax.jit(jax.value_and_grad(chain))")
    floors = []
    for form in ("compile(value_and_grad(chain))", "value_and_grad(compile(chain))"):
        if "numba" in args.backends:
            nb = _time(vs, f"numba  {form}")
            floors += [(f"numba {form}: eager/this", _ratio(eager, nb), 100, ">="),
                       (f"numba {form}: this/jax", _ratio(nb, jx), 3, "<=")]
        if "numpy" in args.backends:
            floors.append((f"numpy {form}: this/hand", _ratio(_time(vs, f"numpy  {form}"), hand),
                           1, "<="))
    return report(f"chain: {CHAIN_OPS:,}-op elementwise chain on a 1-element float64 array, "
                  f"value and gradient", vs, floors)


# --- workload: compile time -------------------------------------------------------------------
def run_compile_time(args):
    """First calls of fresh compiled functions: trace, code generation, the whole call."""
    x = np.ones(1)
    print(f"\ncompile_time: first call of the {CHAIN_OPS:,}-op chain's value and gradient "
          f"(fresh functions; NumPy: median of {args.first_repeat}; Numba: one, its kernel "
          f"cache cleared)")
    print(f"  {'variant':<44} {'trace':>10} {'codegen':>10} {'first call':>11} {'ops':>6}")
    results, walls = [], {}

    def fresh(b, form):
        if form == "compile(value_and_grad(chain))":
            f = cr.compile(cr.value_and_grad(chain), backend=b)
            return f, f
        c = cr.compile(chain, backend=b)
        return c, cr.value_and_grad(c)

    for b in args.backends:
        for form in ("compile(value_and_grad(chain))", "value_and_grad(compile(chain))"):
            name = f"{b:<6} {form}"
            miss = _backend_missing(b) or _slow_missing(name, args.slow)
            if miss:
                print(f"  {name:<44} {'n/a':>10}   ({miss})")
                continue
            rows = []
            if b == "numba":  # cold: the backend caches kernels by their source text
                from chainrule.compiler import _numba
                getattr(_numba, "_CACHE", {}).clear()
            try:
                for _ in range(args.first_repeat if b == "numpy" else 1):
                    compiled, call = fresh(b, form)
                    t0 = time.perf_counter()
                    call(x)
                    wall = time.perf_counter() - t0
                    s = compiled.stats
                    rows.append((s["trace_s"], s["codegen_s"], wall, s["ops"]))
            except Exception as e:  # noqa: BLE001 - reported
                print(f"  {name:<44} {'n/a':>10}   (failed: {type(e).__name__}: "
                      f"{str(e).splitlines()[0][:120]})")
                continue
            tr, cg, wall = (statistics.median(r[k] for r in rows) for k in range(3))
            # value_and_grad(compile(f)): stats cover the forward trace; the joint trace of
            # the function and its backward pass is inside the first call's wall time
            note = "" if form.startswith("compile") else "  (forward trace only)"
            print(f"  {name:<44} {_t(tr):>10} {_t(cg):>10} {_t(wall):>11} {rows[0][3]:>6}"
                  f"{note}")
            walls[name.strip()] = wall
            if b == "numpy" and form.startswith("compile"):
                results.append((f"numpy {form}: trace + codegen (s)", tr + cg, 1.0, "<="))
    jx = _jax(args.jax)
    if jx is None:
        print(f"  {'jax.jit(jax.value_and_grad(chain))':<44} {'n/a':>10}   "
              f"({_jax_missing(jx)})")
    else:
        jax, jnp = jx
        f = _jax_fn(jax.jit(jax.value_and_grad(_chain_jax(jnp))))  # a fresh function: no cache
        t0 = time.perf_counter()
        f(x)
        wall = time.perf_counter() - t0
        print(f"  {'jax.jit(jax.value_and_grad(chain))':<44} {'-':>10} {'-':>10} "
              f"{_t(wall):>11} {'-':>6}")
        nb = walls.get("numba  compile(value_and_grad(chain))")
        if nb is not None:
            print(f"  numba compile(value_and_grad(chain)) first call / jax.jit's: "
                  f"{nb / wall:.2f}")
    out = []
    for text, value, limit, cmp in results:
        ok = value <= limit
        print(f"  floor: {text}: {value:.3f} {cmp} {limit:g}  {'ok' if ok else 'MISSED'}")
        out.append((text, value, ok))
    return {"variants": [], "floors": out}


# --- workload: the CS231n spiral classifier ---------------------------------------------------
def _spiral_data():
    spec = importlib.util.spec_from_file_location("chainrule_example_spiral",
                                                  _HERE.parent / "examples" / "spiral.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    X, y = mod.make_spiral()
    rng = np.random.default_rng(0)
    params = (0.01 * rng.standard_normal((2, 100)), np.zeros((1, 100)),
              0.01 * rng.standard_normal((100, 3)), np.zeros((1, 3)))
    return params, X, y


def spiral_step_fn(np_, value_and_grad, reg=1e-3, step_size=1.0):
    """The CS231n notes' step, in the NumPy namespace ``np_``: ReLU hidden layer, softmax
    probabilities, the mean negative log-probability of the right class plus L2."""
    def loss(params, X, y):
        W1, b1, W2, b2 = params
        hidden = np_.maximum(0.0, X @ W1 + b1)
        scores = hidden @ W2 + b2
        exp_scores = np_.exp(scores)
        probs = exp_scores / np_.sum(exp_scores, axis=1, keepdims=True)
        # the right class's probability: a one-hot mask (a traced index array cannot select)
        mask = y[:, None] == np_.arange(scores.shape[1])
        correct = np_.sum(probs * mask, axis=1)
        data_loss = -np_.mean(np_.log(correct))
        return data_loss + 0.5 * reg * np_.sum(W1 * W1) + 0.5 * reg * np_.sum(W2 * W2)

    vg = value_and_grad(loss)

    def step(W1, b1, W2, b2, X, y):
        value, grads = vg((W1, b1, W2, b2), X, y)
        return tuple(p - step_size * g for p, g in zip((W1, b1, W2, b2), grads)) + (value,)

    return step


def run_spiral(args):
    params, X, y = _spiral_data()
    step = spiral_step_fn(cnp, cr.value_and_grad)
    vs = [Variant("eager  step", "eager", lambda: _calling(step, *params, X, y))]
    for b in args.backends:
        vs.append(Variant(f"{b:<6} compile(step)", "compiled",
                          lambda b=b: _calling(cr.compile(step, backend=b), *params, X, y),
                          _backend_missing(b)))
    jx = _jax(args.jax)

    def make_jax():
        jax, jnp = _jax()
        f = _jax_fn(jax.jit(spiral_step_fn(jnp, jax.value_and_grad)))
        return lambda: f(*params, X, y)

    vs.append(Variant("jax.jit(step)", "jax", make_jax, _jax_missing(jx)))
    vs = measure(vs, args.repeat, args.target)
    jt = _time(vs, "jax.jit(step)")
    floors = [(f"{b} compile(step): this/jax", _ratio(_time(vs, f"{b:<6} compile(step)"), jt),
               1, "<=") for b in args.backends]
    return report("spiral: CS231n two-layer ReLU net (2-100-3, 300 points), one full-batch "
                  "gradient-descent step, float64", vs, floors)


# --- workload: linear regression --------------------------------------------------------------
def _linreg_data(B=1000, F=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((B, F)).astype(np.float32)
    W_true = rng.standard_normal((F, 1)).astype(np.float32)
    Y = (X @ W_true + 0.1 * rng.standard_normal((B, 1))).astype(np.float32)
    return np.zeros((F, 1), np.float32), X, Y


def linreg_step_fn(np_, value_and_grad, lr=0.1):
    """One gradient-descent step of the mean squared error: ``(W, X, Y) -> (W', loss)``."""
    vg = value_and_grad(lambda W, X, Y: np_.mean((X @ W - Y) ** 2))

    def step(W, X, Y):
        loss, dW = vg(W, X, Y)
        return W - lr * dW, loss

    return step


def _fit(step, W0, X, Y, steps):
    W = W0
    for _ in range(steps):
        W, loss = step(W, X, Y)
    return W, loss


def run_linreg(args):
    W0, X, Y = _linreg_data()
    steps = args.linreg_steps
    step = linreg_step_fn(cnp, cr.value_and_grad)
    vs = [Variant("eager  step", "eager", lambda: _calling(_fit, step, W0, X, Y, steps))]
    for b in args.backends:
        vs.append(Variant(f"{b:<6} compile(step)", "compiled",
                          lambda b=b: _calling(_fit, cr.compile(step, backend=b), W0, X, Y, steps),
                          _backend_missing(b)))
    jx = _jax(args.jax)

    def make_jax():
        jax, jnp = _jax()
        f = _jax_fn(jax.jit(linreg_step_fn(jnp, jax.value_and_grad)))
        return lambda: _fit(f, W0, X, Y, steps)

    vs.append(Variant("jax.jit(step)", "jax", make_jax, _jax_missing(jx)))
    vs = measure(vs, args.repeat, args.target)
    jt = _time(vs, "jax.jit(step)")
    floors = [(f"{b} compile(step): this/jax", _ratio(_time(vs, f"{b:<6} compile(step)"), jt),
               1, "<=") for b in args.backends]
    return report(f"linreg: linear regression (1000 x 10, float32), {steps} gradient-descent "
                  f"steps from Python (time of all {steps})", vs, floors)


# --- workload: the MLP training step, Tensor face ---------------------------------------------
def make_mlp_step(backend=None):
    """benchmarks/run.py's MLP as an ``nn.Sequential`` with its weights, and a training step
    (cross-entropy, ``backward()``, ``optim.SGD``); ``backend``: compile the model with it."""
    from chainrule import nn

    ws, bs, x, y = _mlp_data()
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    with cr.no_grad():
        for m, w, b in zip([m for m in model if isinstance(m, nn.Linear)], ws, bs):
            m.weight.copy_(cr.tensor(np.ascontiguousarray(w.T)))
            m.bias.copy_(cr.tensor(b))
    if backend is not None:
        model = cr.compile(model, backend=backend)
    opt = cr.optim.SGD(model.parameters(), lr=0.01)
    xt, yt = cr.tensor(x), cr.tensor(y)

    def step():
        loss = nn.functional.cross_entropy(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


def run_mlp(args):
    vs = [Variant("eager  model", "eager", make_mlp_step)]
    for b in args.backends:
        vs.append(Variant(f"{b:<6} compile(model)", "compiled",
                          lambda b=b: make_mlp_step(b), _backend_missing(b)))
    vs = measure(vs, args.repeat, args.target)
    eager = _time(vs, "eager  model")
    floors = [(f"{b} compile(model): this/eager",
               _ratio(_time(vs, f"{b:<6} compile(model)"), eager), 1, "<=")
              for b in args.backends]
    return report("mlp: 784-256-256-10 float32 MLP training step, batch 128 (Tensor face, "
                  "loss.backward(), optim.SGD; rel.err: the first step's loss)", vs, floors)


WORKLOADS = {"chain": run_chain, "compile_time": run_compile_time, "spiral": run_spiral,
             "linreg": run_linreg, "mlp": run_mlp}


def main(argv=None) -> dict:
    """Run the workloads and print their tables; returns ``{workload: {"variants": [...],
    "floors": [...]}}`` (each variant's ``time``, ``first``, ``err``; ``missing``: why not)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", choices=[[], *WORKLOADS], default=[],
                    help="workloads to run (default: all)")
    ap.add_argument("--repeat", type=int, default=15, help="timed rounds (default 15)")
    ap.add_argument("--target", type=float, default=0.02,
                    help="seconds per round of each variant (default 0.02)")
    ap.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    ap.add_argument("--no-jax", dest="jax", action="store_false", help="leave JAX out")
    ap.add_argument("--slow", action="store_true",
                    help="also Numba's value_and_grad(compile(chain)) (10-20 s to compile)")
    ap.add_argument("--quick", action="store_true",
                    help="one short round, 3 linreg steps (a smoke run: seconds)")
    args = ap.parse_args(argv)
    args.first_repeat, args.linreg_steps = 3, 100
    if args.quick:
        args.repeat, args.target, args.first_repeat, args.linreg_steps = 1, 0.0, 1, 3
    jx = _jax(args.jax)
    try:
        import numba
        numba_v = numba.__version__
    except ImportError:
        numba_v = "not installed"
    print(f"chainrule {cr.__version__}, numpy {np.__version__}, jax "
          f"{jx[0].__version__ if jx else 'n/a'}, numba {numba_v}, python "
          f"{sys.version.split()[0]}")
    return {name: WORKLOADS[name](args) for name in (args.names or list(WORKLOADS))}


if __name__ == "__main__":
    main()
    raise SystemExit(0)
