"""Peak memory of odeint's gradient by each sensitivity method, against the number of steps.

    python benchmarks/ode_memory.py                 # 100 to 100,000 steps (a few minutes)
    python benchmarks/ode_memory.py --steps 100 3000 --n 2000

The problem is y' = A y for 1000 independent rotating pairs (n = 2000 states, parameters the
1000 frequencies), solved by fixed-step RK4 with the step chosen so that the solve takes the
given number of steps. Each measurement runs in a fresh subprocess: tracemalloc's peaks, above
what was allocated before, of the solve alone (no gradient), of the forward pass recorded for
the gradient (``vjp``), and of the whole gradient (forward and backward passes). Prints one
row per (method, steps)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

_CHILD = r"""
import json, sys, tracemalloc
import numpy as np
import chainrule.numpy as cnp
from chainrule import func
from chainrule.integrate import odeint

sensealg, steps, n, n_checkpoints = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
n_checkpoints = None if n_checkpoints == "None" else int(n_checkpoints)
w = np.linspace(0.5, 1.5, n // 2)
y0 = np.ones(n)
T = 1.0

def f(y, t, w):
    a, b = y[: n // 2], y[n // 2:]
    return cnp.concatenate([-w * b, w * a])

def loss(w):
    ys = odeint(f, y0, np.array([0.0, T]), (w,), method="rk4", step_size=T / steps,
                sensealg=sensealg, max_num_steps=10 * steps, n_checkpoints=n_checkpoints)
    return cnp.sum(ys[-1] ** 2 * np.arange(n))

loss(w)  # warm up (imports, caches)
tracemalloc.start()
base = tracemalloc.get_traced_memory()[0]
loss(w)
solve = tracemalloc.get_traced_memory()[1] - base
tracemalloc.reset_peak()
base = tracemalloc.get_traced_memory()[0]
out, pull = func.vjp(loss, w)            # the forward pass, recorded for the gradient
forward = tracemalloc.get_traced_memory()[1] - base
(g,) = pull(np.float64(1.0))             # and the backward pass
grad = tracemalloc.get_traced_memory()[1] - base
print(json.dumps({"solve": solve, "forward": forward, "grad": grad,
                  "finite": bool(np.all(np.isfinite(g)))}))
"""


def measure(sensealg: str, steps: int, n: int, n_checkpoints: int | None = None) -> dict:
    """One measurement in a fresh interpreter: bytes at the peak of the solve, of the
    recorded forward pass and of the gradient, above the memory in use before each."""
    out = subprocess.run([sys.executable, "-c", _CHILD, sensealg, str(steps), str(n),
                          str(n_checkpoints)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, nargs="+", default=[100, 1_000, 10_000, 100_000])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--methods", nargs="+",
                    default=["backsolve", "interpolating", "direct"])
    args = ap.parse_args(argv)
    print(f"{'method':<14}{'steps':>9}{'solve MB':>10}{'forward MB':>11}{'grad MB':>10}"
          f"{'grad/forward':>14}")
    for method in args.methods:
        first = None
        for steps in args.steps:
            r = measure(method, steps, args.n)
            first = first or r["grad"]
            print(f"{method:<14}{steps:>9}{r['solve'] / 1e6:>10.2f}{r['forward'] / 1e6:>11.2f}"
                  f"{r['grad'] / 1e6:>10.2f}{r['grad'] / r['forward']:>14.2f}"
                  f"   (x{r['grad'] / first:.2f} of the first)", flush=True)


if __name__ == "__main__":
    main()
