"""HIPS autograd's examples, run unchanged on chainrule and on autograd 1.9.1: do the printed
numbers agree, and how long does each take?

    python benchmarks/autograd_examples.py [--iters 50] [--ref-python /tmp/agvenv/bin/python]
                                           [--only NAME ...] [--rtol 1e-5]

Each example of the autograd 1.9.1 source distribution (downloaded into the cache of
tests/compat/run_autograd_suite.py, never into the repository) runs twice from a scratch copy
of ``examples/``:

- ``python -m chainrule.compat.autograd <this file> --launch example.py``: on chainrule, with
  ``autograd`` aliased to ``chainrule.compat.autograd``;
- ``<ref-python> <this file> --launch example.py``: on real autograd, installed in a separate
  virtual environment (``python -m venv /tmp/agvenv && /tmp/agvenv/bin/pip install
  autograd==1.9.1 scipy matplotlib``), or in this one (``pip install ".[bench]"``).

In ``--launch`` mode this file caps the iterations of ``autograd.misc.optimizers`` (``adam``,
``sgd``, ``rmsprop``: ``num_iters <= --iters``) and of ``scipy.optimize.minimize``
(``maxiter``; the fluid simulations to 3), makes ``plt.pause``/``plt.show`` return at once
(matplotlib's Agg backend), seeds NumPy's global generator and then runs the example with
``runpy``: the examples' files are not edited. The numbers each run prints are compared in
order (relative tolerance ``--rtol``); the times are wall-clock seconds of the whole process
(interpreter start-up, imports and plotting included).

Both run with one BLAS thread (``OPENBLAS_NUM_THREADS=1``): on a shared machine OpenBLAS's
thread hand-offs cost milliseconds per small LAPACK call and the times would measure the load.
Examples that need a download (MNIST), that use autograd's tracer internals
(``Node``, ``trace``), or that differentiate with respect to their own ``Box`` type, are skipped
with the reason.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIP = {
    "convnet.py": "downloads MNIST",
    "neural_net.py": "downloads MNIST",
    "variational_autoencoder.py": "downloads MNIST",
    "generative_adversarial_net.py": "downloads MNIST",
    "data.py": "a helper module (MNIST loading), not an example",
    "data_mnist.py": "a helper module (MNIST download), not an example",
    "dot_graph.py": "uses autograd's tracer internals (Node, trace) to draw its graph",
    "print_trace.py": "uses autograd's tracer internals (Node, trace) to print a trace",
    "rkhs.py": "differentiates with respect to a user-defined value type (its own Box and "
               "VSpace subclasses for functions in an RKHS); chainrule traces arrays",
    "__init__.py": "not an example",
}

# examples whose every iteration is a long simulation: fewer iterations than --iters
ITERS = {"fluidsim/fluidsim.py": 3, "fluidsim/wing.py": 3}

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|\bnan\b|\binf\b")


# --- launch mode: runs inside the example's interpreter (chainrule's or autograd's) ------------
def _launch(example: str, iters: int) -> None:
    import runpy

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.pause = lambda *a, **k: None
    plt.show = lambda *a, **k: None

    import autograd.misc.optimizers as opt

    defaults = {"adam": 100, "sgd": 200, "rmsprop": 100}  # autograd's num_iters defaults

    def capped(f, name):
        def run(*args, **kwargs):
            args = list(args)
            if len(args) > 3:  # (grad, x0, callback, num_iters, ...)
                args[3] = min(args[3], iters)
            else:
                kwargs["num_iters"] = min(kwargs.get("num_iters", defaults[name]), iters)
            return f(*args, **kwargs)

        run.__name__ = name
        return run

    for name in ("adam", "sgd", "rmsprop"):
        setattr(opt, name, capped(getattr(opt, name), name))

    import scipy.optimize

    minimize = scipy.optimize.minimize

    def minimize_capped(*args, **kwargs):
        options = dict(kwargs.get("options") or {})
        options["maxiter"] = min(options.get("maxiter", iters), iters)
        kwargs["options"] = options
        return minimize(*args, **kwargs)

    scipy.optimize.minimize = minimize_capped
    import numpy

    numpy.random.seed(0)  # the same draws in both runs for examples that do not seed
    sys.argv = [example]
    sys.path.insert(0, os.path.dirname(os.path.abspath(example)))
    runpy.run_path(example, run_name="__main__")


# --- driver -----------------------------------------------------------------------------------
def _examples_dir() -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "compat"))
    from run_autograd_suite import default_cache, fetch

    return fetch(default_cache()) / "examples"


def _default_ref_python() -> str:
    """The interpreter with real autograd: $AUTOGRAD_REF_PYTHON, /tmp/agvenv, or this one when
    autograd is installed here (``pip install ".[bench]"``; the chainrule runs alias it away)."""
    import importlib.util

    env = os.environ.get("AUTOGRAD_REF_PYTHON")
    if env:
        return env
    if Path("/tmp/agvenv/bin/python").exists():
        return "/tmp/agvenv/bin/python"
    if importlib.util.find_spec("autograd") is not None:
        return sys.executable
    return "/tmp/agvenv/bin/python"


def _run(cmd, cwd, timeout):
    # one BLAS thread: on a busy machine OpenBLAS's thread hand-offs cost milliseconds per call
    # and would time the machine's load, not the libraries
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=timeout)
        ok, out, err = p.returncode == 0, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        ok, out, err = False, (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else \
            (e.stdout or ""), f"timed out after {timeout} s"
    return ok, out, err, time.perf_counter() - t0


def _numbers(text):
    return [float(m) for m in NUMBER.findall(text)]


def _compare(a, b, rtol):
    """(verdict, detail): "agree" when every printed number matches to ``rtol``; "drift" when
    the first numbers match to 1e-9 and later ones part (round-off amplified by an optimizer, so
    the rest of the output, even how many numbers it holds, differs); "differ" otherwise."""
    na, nb = _numbers(a), _numbers(b)
    if not na and not nb:
        return "no numbers printed", "-"
    rel = []
    for x, y in zip(na, nb):
        if (x != x and y != y) or abs(x - y) < 1e-9:
            rel.append(0.0)
        else:
            rel.append(abs(x - y) / max(abs(x), abs(y), 1e-12))
    worst = max(rel, default=0.0)
    count = f"{len(na)} numbers" if len(na) == len(nb) else f"{len(na)} vs {len(nb)} numbers"
    detail = f"{count}, max rel diff {worst:.1e}"
    if worst <= rtol and len(na) == len(nb):
        return "agree", detail
    first = next((i for i, r in enumerate(rel) if r > rtol), len(rel))
    if first > 0 and max(rel[:min(first, 3)]) <= 1e-9:
        return "drift", f"{detail}; the first {first} agree"
    return "differ", f"{detail}; number {first} differs"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--launch", help=argparse.SUPPRESS)
    ap.add_argument("--iters", type=int, default=int(os.environ.get("AUTOGRAD_EXAMPLE_ITERS",
                                                                     50)))
    ap.add_argument("--ref-python", default=_default_ref_python())
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--rtol", type=float, default=1e-5)
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args(argv)
    if args.launch:
        _launch(args.launch, args.iters)
        return 0

    src = _examples_dir()
    have_ref = Path(args.ref_python).exists()
    if not have_ref:
        print(f"(no reference interpreter at {args.ref_python}: chainrule runs only; see the "
              f"docstring to install autograd 1.9.1 there)")
    me = str(Path(__file__).resolve())
    names = sorted(p.relative_to(src).as_posix() for p in src.rglob("*.py"))
    rows = []
    for name in names:
        base = Path(name).name
        if args.only and base not in args.only and name not in args.only:
            continue
        if base in SKIP:
            rows.append((name, "skipped", SKIP[base], None, None))
            continue
        with tempfile.TemporaryDirectory(prefix="autograd-example-") as tmp:
            work = Path(tmp) / "examples"
            shutil.copytree(src, work)
            ex = work / name
            iters = str(min(args.iters, ITERS.get(name, args.iters)))
            cmd_cr = [sys.executable, "-m", "chainrule.compat.autograd", me, "--launch",
                      str(ex), "--iters", iters]
            ok_cr, out_cr, err_cr, t_cr = _run(cmd_cr, ex.parent, args.timeout)
            ok_ag = out_ag = err_ag = t_ag = None
            if have_ref:
                cmd_ag = [args.ref_python, me, "--launch", str(ex), "--iters", iters]
                ok_ag, out_ag, err_ag, t_ag = _run(cmd_ag, ex.parent, args.timeout)
        if not ok_cr:
            last = (err_cr.strip().splitlines() or ["?"])[-1]
            rows.append((name, "chainrule failed", last[:160], t_cr, t_ag))
        elif have_ref and not ok_ag:
            last = (err_ag.strip().splitlines() or ["?"])[-1]
            rows.append((name, "autograd failed", last[:160], t_cr, t_ag))
        elif have_ref:
            verdict, detail = _compare(out_cr, out_ag, args.rtol)
            rows.append((name, verdict, detail, t_cr, t_ag))
        else:
            rows.append((name, "ran", f"{len(_numbers(out_cr))} numbers", t_cr, None))
        print(f"{rows[-1][0]}: {rows[-1][1]} ({rows[-1][2]})", flush=True)

    print()
    print("| example | result | detail | chainrule s | autograd s | ratio |")
    print("|---|---|---|---|---|---|")
    for name, verdict, detail, t_cr, t_ag in rows:
        tc = f"{t_cr:.2f}" if t_cr is not None else ""
        ta = f"{t_ag:.2f}" if t_ag is not None else ""
        ratio = f"{t_cr / t_ag:.2f}" if t_cr and t_ag else ""
        print(f"| {name} | {verdict} | {detail} | {tc} | {ta} | {ratio} |")
    bad = [r for r in rows if r[1] in ("chainrule failed", "differ")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
