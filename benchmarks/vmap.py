"""``chainrule.vmap``: per-sample gradients of the digits MLP against a Python loop and
``torch.func.vmap(grad)``, in one run (about ten seconds; ``--quick``: a few).

    python benchmarks/vmap.py                 # timings and memory
    python benchmarks/vmap.py --quick         # fewer rounds (the smoke run)
    python benchmarks/run.py vmap [...]       # the same, through the main runner

Workload: examples/digits_mlp.py's network (64 -> 128 -> 64 -> 10, ReLU), float32, the same
initial weights on both sides, cross-entropy on a batch of 128 random 8x8 "images" in [0, 1)
and labels; the per-sample gradient of every parameter (a dict of arrays with a leading batch
axis of 128), by torch.func's recipe on both sides (``functional_call(model, params,
x[None])`` inside ``grad``):

- ``cr.vmap(grad)``: ``chainrule.vmap(chainrule.grad(loss), in_axes=(None, 0, 0))``;
- ``per_sample_grads``: ``chainrule.func.per_sample_grads(model, cross_entropy, x, y)`` (the
  same recipe, packaged);
- ``cr loop``: ``chainrule.grad(loss)`` called once per example from Python, stacked;
- ``torch.func``: ``torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0, 0))``.

Timing: each variant runs once (warm-up; vmap traces on its first call), then the rounds
alternate between the variants, so that all see the same machine; the median per call is
reported, with ``rel.err`` (the largest difference from the loop's gradients, relative to the
largest entry; float32) and the issue's floors (``ok`` / ``MISSED``): at most 1.5x
torch.func's time and at least 10x faster than the loop.

Memory: the peak of NumPy's allocations during one call (``tracemalloc``), unchunked and with
``chunk_size=k``, on a batch of 512, for the per-sample gradients and for the per-sample
gradient norms (``vmap`` of ``sqrt(sum of squares of grad(loss))``, DP-SGD's clipping
quantity: a small result, the gradients intermediate); ``above result`` subtracts the result's
own size, which no chunking can lower.

Threads: PyTorch and NumPy's BLAS are held to one thread each (``torch.set_num_threads(1)``,
``threadpoolctl`` when installed), so that a shared machine's other cores do not favour one
side. Measurements, not tests: nothing asserts.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import func, nn

try:
    import torch
except ImportError:  # chainrule's variants are still timed
    torch = None

BATCH = 128
FLOOR_TORCH = 1.5   # at most 1.5x torch.func.vmap(grad)
FLOOR_LOOP = 10.0   # at least 10x faster than the Python loop


def _modules(lib):
    return lib.Sequential(lib.Linear(64, 128), lib.ReLU(), lib.Linear(128, 64), lib.ReLU(),
                          lib.Linear(64, 10))


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, 64)).astype(np.float32), rng.integers(0, 10, n)


def make_models():
    """The chainrule model with the PyTorch model's initial weights (both float32)."""
    ours = _modules(nn)
    theirs = None
    if torch is not None:
        torch.manual_seed(0)
        theirs = _modules(torch.nn)
        ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def cr_variants(model, x, y):
    """name -> zero-argument function returning a dict name -> per-sample gradient (NumPy)."""
    params = {k: v.detach() for k, v in model.named_parameters()}
    xt, yt = cr.tensor(x), cr.tensor(y)

    def loss(p, xi, yi):
        return F.cross_entropy(func.functional_call(model, p, (xi[None],)), yi[None])

    batched = cr.vmap(cr.grad(loss), in_axes=(None, 0, 0))
    one = cr.grad(loss)

    def as_np(d):
        return {k: np.asarray(getattr(v, "_data", v)) for k, v in d.items()}

    def vmapped():
        return as_np(batched(params, xt, yt))

    def packaged():
        return as_np(func.per_sample_grads(model, F.cross_entropy, xt, yt))

    def looped():
        per = [one(params, xt[i], yt[i]) for i in range(len(x))]
        return {k: np.stack([np.asarray(getattr(p[k], "_data", p[k])) for p in per])
                for k in params}

    return {"cr.vmap(grad)": vmapped, "per_sample_grads": packaged, "cr loop": looped}


def torch_variant(model, x, y):
    params = {k: v.detach() for k, v in model.named_parameters()}
    xt, yt = torch.tensor(x), torch.tensor(y)

    def loss(p, xi, yi):
        return torch.nn.functional.cross_entropy(
            torch.func.functional_call(model, p, (xi[None],)), yi[None])

    batched = torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0, 0))

    def run():
        return {k: v.numpy() for k, v in batched(params, xt, yt).items()}

    return run


def rel_err(got, want) -> float:
    return max(float(np.max(np.abs(got[k] - want[k])) / np.max(np.abs(want[k])))
               for k in want)


def time_rounds(fns: dict, repeat: int) -> dict:
    """Median seconds per call of each function, in alternating rounds (after one warm-up
    call each)."""
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def peak_bytes(f) -> int:
    """Peak bytes allocated (NumPy's allocations are traced) during one call of ``f``."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def memory_table(model, n=512, chunks=(8, 32, 128)):
    """Peak memory of one call, unchunked and with ``chunk_size=k``: per-sample gradients
    (the result, ``n`` copies of the parameters, dominates) and per-sample gradient norms (a
    result of ``n`` numbers: the ``n`` gradients are intermediates, which chunking bounds)."""
    x, y = _data(n, seed=1)
    params = {k: v.detach() for k, v in model.named_parameters()}
    xt, yt = cr.tensor(x), cr.tensor(y)
    result_bytes = n * sum(int(np.asarray(p._data).nbytes) for p in params.values())

    def loss(p, xi, yi):
        return F.cross_entropy(func.functional_call(model, p, (xi[None],)), yi[None])

    def grad_norm(p, xi, yi):
        g = cr.grad(loss)(p, xi, yi)
        return cr.sqrt(sum((v ** 2).sum() for v in g.values()))

    for title, fn, res in (("per-sample gradients", cr.grad(loss), result_bytes),
                           ("per-sample gradient norms", grad_norm, 4 * n)):
        rows = []
        for k in (None, *chunks):
            f = cr.vmap(fn, in_axes=(None, 0, 0), chunk_size=k)
            f(params, xt, yt)  # the trace, outside the measurement
            rows.append((k, peak_bytes(lambda f=f: f(params, xt, yt))))
        print(f"\npeak memory of one call: {title}, batch {n} (tracemalloc; the result is "
              f"{res / 2**20:.3f} MiB)")
        print(f"{'chunk_size':>10} {'peak MiB':>9} {'above result':>13} {'unchunked/this':>15} "
              f"{'batch/k':>8}")
        full = rows[0][1] - res
        for k, peak in rows:
            above = peak - res
            bk = f"{n / k:8.1f}" if k else "       -"
            print(f"{str(k):>10} {peak / 2**20:9.2f} {above / 2**20:13.2f} "
                  f"{full / max(above, 1):15.2f} {bk}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few rounds (smoke run)")
    ap.add_argument("--repeat", type=int, default=None, help="rounds (default 15, quick 3)")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory table")
    args = ap.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 15)

    if torch is not None:
        torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # BLAS threads as the environment sets them (OPENBLAS_NUM_THREADS)
        limits = None
    else:
        limits = threadpool_limits(1)
    try:
        _run(args, repeat)
    finally:
        if limits is not None:
            limits.restore_original_limits()
    return 0


def _run(args, repeat: int) -> None:
    model, tmodel = make_models()
    x, y = _data(BATCH)
    fns = cr_variants(model, x, y)
    if tmodel is not None:
        fns["torch.func"] = torch_variant(tmodel, x, y)
    results = {name: f() for name, f in fns.items()}  # warm-up, and the answers
    times = time_rounds(fns, repeat)

    want = results["cr loop"]
    t_torch = times.get("torch.func")
    print(f"per-sample gradients of the digits MLP (64-128-64-10, float32), batch {BATCH}, "
          f"median of {repeat} alternating rounds")
    print(f"{'variant':<18} {'time':>11} {'rel.err':>9} {'/torch':>7} {'loop/this':>10}")
    for name, t in times.items():
        vs_torch = f"{t / t_torch:7.2f}" if t_torch else "      -"
        print(f"{name:<18} {t * 1e3:8.2f} ms {rel_err(results[name], want):9.1e} {vs_torch} "
              f"{times['cr loop'] / t:10.1f}")
    t_vmap = times["cr.vmap(grad)"]
    if t_torch:
        ok = "ok" if t_vmap / t_torch <= FLOOR_TORCH else "MISSED"
        print(f"floor: cr.vmap(grad) <= {FLOOR_TORCH}x torch.func: {t_vmap / t_torch:.2f}x {ok}")
    speedup = times["cr loop"] / t_vmap
    ok = "ok" if speedup >= FLOOR_LOOP else "MISSED"
    print(f"floor: cr.vmap(grad) >= {FLOOR_LOOP}x faster than the loop: {speedup:.1f}x {ok}")
    if not args.no_memory:
        memory_table(model, n=128 if args.quick else 512)


if __name__ == "__main__":
    raise SystemExit(main())
