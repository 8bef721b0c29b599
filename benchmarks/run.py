"""Side-by-side timings: chainrule against PyTorch (CPU, eager), in one run.

    python benchmarks/run.py            # all workloads
    python benchmarks/run.py chain mlp  # some of them
    python benchmarks/run.py compile    # chainrule.compile's table (benchmarks/compile.py)
    python benchmarks/run.py vmap       # per-sample gradients with vmap (benchmarks/vmap.py)

Each workload is timed as the median of several rounds, after a warm-up; the rounds alternate
between chainrule and PyTorch, so that both see the same machine (a shared machine's speed
drifts). The ratio is chainrule's time over PyTorch's (below 1: chainrule is faster). These
are measurements, not tests: nothing here asserts. Floors from the issues are printed beside
the ratios.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import chainrule as cr

try:
    import torch
except ImportError:  # the runner still times chainrule alone
    torch = None


def timeit(fn, repeat: int, number: int = 1) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` rounds of ``number`` calls."""
    return timeit_pair(fn, None, repeat, number)[0]


def timeit_pair(fn_a, fn_b, repeat: int, number: int = 1):
    """Median seconds per call of ``fn_a`` and ``fn_b`` (None: not timed), in alternating
    rounds of ``number`` calls each."""
    fns = [f for f in (fn_a, fn_b) if f is not None]
    for f in fns:
        f()  # warm-up
    times = [[] for _ in fns]
    for _ in range(repeat):
        for f, ts in zip(fns, times):
            t0 = time.perf_counter()
            for _ in range(number):
                f()
            ts.append((time.perf_counter() - t0) / number)
    medians = [statistics.median(ts) for ts in times]
    return medians + [None] * (2 - len(medians))


# --- workload: a chain of 1,000 elementwise operations on 1-element float64 arrays -------------
CHAIN_OPS = 1000


def chain_cr():
    x = cr.tensor(np.ones(1), requires_grad=True)
    y = x
    for _ in range(CHAIN_OPS // 4):
        y = cr.sin(y)
        y = y * 1.0001
        y = y + 0.5
        y = cr.tanh(y)
    y.sum().backward()
    return x.grad


def chain_torch():
    x = torch.ones(1, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(CHAIN_OPS // 4):
        y = torch.sin(y)
        y = y * 1.0001
        y = y + 0.5
        y = torch.tanh(y)
    y.sum().backward()
    return x.grad


# --- workload: one training step of a 784-256-256-10 float32 MLP at batch 128 ------------------
def _mlp_data(seed=0):
    rng = np.random.default_rng(seed)
    sizes = [784, 256, 256, 10]
    ws = [(rng.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32)
          for i, o in zip(sizes, sizes[1:])]
    bs = [np.zeros(o, np.float32) for o in sizes[1:]]
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    return ws, bs, x, y


def make_mlp_cr():
    ws, bs, x, y = _mlp_data()
    params = [cr.tensor(a, requires_grad=True) for pair in zip(ws, bs) for a in pair]
    xt, yi = cr.tensor(x), y.reshape(-1, 1)

    def step():
        h = xt
        for k in range(0, len(params), 2):
            h = h @ params[k] + params[k + 1]
            if k < len(params) - 2:
                h = cr.relu(h)
        loss = -cr.take_along_axis(cr.log_softmax(h, 1), yi, 1).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with cr.no_grad():
            for p in params:
                p._data -= 0.01 * p.grad._data
        return loss

    return step


def make_mlp_torch():
    ws, bs, x, y = _mlp_data()
    params = [torch.tensor(a, requires_grad=True) for pair in zip(ws, bs) for a in pair]
    xt, yt = torch.tensor(x), torch.tensor(y).reshape(-1, 1)

    def step():
        h = xt
        for k in range(0, len(params), 2):
            h = h @ params[k] + params[k + 1]
            if k < len(params) - 2:
                h = torch.relu(h)
        loss = -torch.log_softmax(h, 1).gather(1, yt).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 0.01 * p.grad
        return loss

    return step


# --- workload: one training step of a small digits CNN, float32, batch 64 of 1x8x8 --------------
def _cnn_modules(nn):
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))


def _cnn_data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((64, 1, 8, 8)).astype(np.float32), rng.integers(0, 10, 64)


def make_cnn_torch():
    torch.manual_seed(0)
    model = _cnn_modules(torch.nn)
    x, y = _cnn_data()
    xt, yt = torch.tensor(x), torch.tensor(y)
    params = list(model.parameters())

    def step():
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 0.05 * p.grad
        return loss

    return step


def make_cnn_cr():
    from chainrule import nn

    model = _cnn_modules(nn)
    if torch is not None:  # the same initial weights as the PyTorch model
        torch.manual_seed(0)
        model.load_state_dict(_cnn_modules(torch.nn).state_dict())
    x, y = _cnn_data()
    xt = cr.tensor(x)
    params = list(model.parameters())

    def step():
        loss = nn.functional.cross_entropy(model(xt), y)
        for p in params:
            p.grad = None
        loss.backward()
        with cr.no_grad():
            for p in params:
                p._data -= 0.05 * p.grad._data
        return loss

    return step


# --- workload: elementwise chain on 100,000-element arrays (NumPy-bound) ------------------------
def make_wide(lib):
    n = 100_000
    if lib == "cr":
        x = cr.tensor(np.linspace(-1, 1, n), requires_grad=True)
        f = cr
    else:
        x = torch.linspace(-1, 1, n, dtype=torch.float64, requires_grad=True)
        f = torch

    def step():
        y = x
        for _ in range(10):
            y = f.tanh(f.sin(y) * 1.5 + 0.1)
        x.grad = None
        y.sum().backward()

    return step


# --- workloads: Jacobians and Hessians against torch.func -----------------------------------------
def _jac_data(n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), rng.standard_normal(n_in)


def _wide_fn(lib, A):
    # R^n -> R^m: an elementwise function of a linear map
    return lambda x: lib.tanh(A @ x) * lib.sin(A @ x)


def make_jac(lib, kind, n_in, n_out, seed):
    A, x = _jac_data(n_in, n_out, seed)
    if lib == "cr":
        import chainrule.functional as F

        f = _wide_fn(cr, A)
        transform = {"fwd": F.jacfwd, "rev": F.jacrev, "auto": F.jacobian}[kind](f)
        return lambda: transform(x)
    import torch.func as tf

    At, xt = torch.tensor(A), torch.tensor(x)
    f = _wide_fn(torch, At)
    transform = {"fwd": tf.jacfwd, "rev": tf.jacrev}[kind](f)
    return lambda: transform(xt)


def _rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def make_hessian(lib, n=300):
    x = np.random.default_rng(3).standard_normal(n)
    if lib == "cr":
        import chainrule.functional as F

        h = F.hessian(_rosenbrock)
        return lambda: h(x)
    import torch.func as tf

    h, xt = tf.hessian(_rosenbrock), torch.tensor(x)
    return lambda: h(xt)


# --- workload: an explicit time-stepping loop that writes each state into a buffer ------------
def make_inplace(lib, steps=100, n=64):
    """x[t] = tanh(W x[t-1]) + u, written row by row into a preallocated (steps, n) buffer
    (PyTorch's CopySlices path), then a loss of the whole buffer; forward and backward."""
    r = np.random.default_rng(4)
    W0, u0 = r.standard_normal((n, n)) / np.sqrt(n), r.standard_normal(n)
    if lib == "cr":
        W, u = cr.tensor(W0, requires_grad=True), cr.tensor(u0, requires_grad=True)
        zeros, tanh = cr.zeros, cr.tanh
    else:
        W, u = torch.tensor(W0, requires_grad=True), torch.tensor(u0, requires_grad=True)
        zeros, tanh = (lambda *s: torch.zeros(*s, dtype=torch.float64)), torch.tanh

    def step():
        W.grad = u.grad = None
        buf = zeros(steps, n)
        buf[0] = u
        for t in range(1, steps):
            prev = buf[t - 1].clone()  # matmul saves it: a view of buf would be overwritten
            buf[t] = tanh(W @ prev) + u
            buf[t] *= 0.9  # and scale it in place, through the row view
        (buf * buf).sum().backward()
        return W.grad

    return step


# --- workload: a Gaussian-process log marginal likelihood written with chainrule.numpy ----------
def _gp_loglik(np_, solve_tri, X, y, params):
    """-log p(y | X, params): an RBF kernel with log lengthscale, log variance and log noise,
    through a Cholesky factorisation and triangular solves (the NumPy program a user writes)."""
    ell, var, noise = np_.exp(params[0]), np_.exp(params[1]), np_.exp(params[2])
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    K = var * np_.exp(-0.5 * d2 / ell**2) + (noise + 1e-6) * np_.eye(X.shape[0])
    L = np_.linalg.cholesky(K)
    alpha = solve_tri(L, y, lower=True)
    return 0.5 * (alpha**2).sum() + np_.log(np_.diagonal(L)).sum()


def make_gp(lib, n=200):
    r = np.random.default_rng(5)
    X = r.uniform(-3, 3, (n, 2))
    y = np.sin(X[:, 0]) * np.cos(X[:, 1]) + 0.1 * r.standard_normal(n)
    p0 = np.array([0.1, 0.0, -2.0])
    if lib == "cr":
        import chainrule.numpy as cnp
        from chainrule.scipy.linalg import solve_triangular

        g = cr.grad(lambda p: _gp_loglik(cnp, solve_triangular, X, y, p))
        return lambda: g(p0)
    import torch.func as tf

    def solve_tri(L, b, lower):
        return torch.linalg.solve_triangular(L, b[:, None], upper=not lower)[:, 0]

    Xt, yt = torch.tensor(X), torch.tensor(y)
    g = tf.grad(lambda p: _gp_loglik(torch, solve_tri, Xt, yt, p))
    pt = torch.tensor(p0)
    return lambda: g(pt)


# --- workload: a spectral loss through the real FFT ----------------------------------------------
def make_fft(lib, n=4096):
    r = np.random.default_rng(6)
    x0, w = r.standard_normal((16, n)), r.uniform(0, 1, n // 2 + 1)
    if lib == "cr":
        import chainrule.numpy as cnp

        g = cr.grad(lambda x: (cnp.abs(cnp.fft.rfft(x)) ** 2 * w).sum())
        return lambda: g(x0)
    import torch.func as tf

    wt = torch.tensor(w)
    g = tf.grad(lambda x: (torch.fft.rfft(x).abs() ** 2 * wt).sum())
    xt = torch.tensor(x0)
    return lambda: g(xt)


WORKLOADS = {
    "chain": ("1,000-op elementwise chain, 1-element float64, forward+backward",
              lambda: chain_cr, lambda: chain_torch, 0.7, 30, 3),
    "mlp": ("784-256-256-10 float32 MLP training step, batch 128",
            make_mlp_cr, make_mlp_torch, 1.3, 30, 5),
    "cnn": ("digits CNN (2 conv, 2 max-pool, linear) float32 training step, batch 64x1x8x8",
            make_cnn_cr, make_cnn_torch, 2.0, 30, 5),
    "wide": ("30-op elementwise chain on 100,000 float64, forward+backward",
             lambda: make_wide("cr"), lambda: make_wide("torch"), None, 20, 1),
    "jacfwd": ("jacfwd of f: R^10 -> R^2000 (vs torch.func.jacfwd)",
               lambda: make_jac("cr", "fwd", 10, 2000, 0),
               lambda: make_jac("torch", "fwd", 10, 2000, 0), 1.5, 20, 3),
    "jacrev": ("jacrev of g: R^2000 -> R^10 (vs torch.func.jacrev)",
               lambda: make_jac("cr", "rev", 2000, 10, 1),
               lambda: make_jac("torch", "rev", 2000, 10, 1), 1.5, 20, 3),
    "jac-f-rev": ("jacrev of f: R^10 -> R^2000 (the wrong mode, for comparison)",
                  lambda: make_jac("cr", "rev", 10, 2000, 0),
                  lambda: make_jac("torch", "rev", 10, 2000, 0), None, 5, 1),
    "jac-g-fwd": ("jacfwd of g: R^2000 -> R^10 (the wrong mode, for comparison)",
                  lambda: make_jac("cr", "fwd", 2000, 10, 1),
                  lambda: make_jac("torch", "fwd", 2000, 10, 1), None, 5, 1),
    "jac-auto-f": ("chainrule.jacobian (auto) of f: R^10 -> R^2000, vs torch jacfwd",
                   lambda: make_jac("cr", "auto", 10, 2000, 0),
                   lambda: make_jac("torch", "fwd", 10, 2000, 0), 1.5, 20, 3),
    "jac-auto-g": ("chainrule.jacobian (auto) of g: R^2000 -> R^10, vs torch jacrev",
                   lambda: make_jac("cr", "auto", 2000, 10, 1),
                   lambda: make_jac("torch", "rev", 2000, 10, 1), 1.5, 20, 3),
    "inplace": ("100 row writes x[t] = 0.9 (tanh(W x[t-1]) + u) into a 100x64 buffer, fwd+bwd",
                lambda: make_inplace("cr"), lambda: make_inplace("torch"), None, 10, 1),
    "gp": ("gradient of a GP log marginal likelihood (chainrule.numpy + Cholesky), n=200",
           lambda: make_gp("cr"), lambda: make_gp("torch"), None, 10, 1),
    "fft": ("gradient of sum(w |rfft(x)|^2), x of 16x4096, through chainrule.numpy.fft",
            lambda: make_fft("cr"), lambda: make_fft("torch"), None, 20, 3),
    "hessian": ("full Hessian of the 300-dimensional Rosenbrock function (vs torch.func)",
                lambda: make_hessian("cr"), lambda: make_hessian("torch"), 1.5, 10, 1),
}


def _torch_op(lib, name):
    """benchmarks/torch_ops.py's case ``name`` (the PyTorch-face operations on models' hot
    paths, float32, forward+backward), imported when run: it imports this module's timer."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import torch_ops

    return torch_ops.make(lib, name)


for _name, _desc in [("bmm", "bmm of 32 (128x64 @ 64x128)"),
                     ("masked_fill", "masked_fill of 32x8x128x128 attention scores"),
                     ("scatter_add", "scatter_add of 4096x256 rows into 512"),
                     ("index_select", "index_select of 4096 rows of a 10,000x256 table"),
                     ("topk", "topk 10 of 4096x1000")]:
    WORKLOADS[_name] = (f"{_desc}, float32, forward+backward (benchmarks/torch_ops.py)",
                        lambda n=_name: _torch_op("cr", n), lambda n=_name: _torch_op("torch", n),
                        None, 5, 1)


def _ode(lib, case):
    """benchmarks/ode.py's case ``case`` (chainrule's ODE solve or gradient by one sensealg,
    against torchdiffeq's peer, float64), imported when run: it imports chainrule.integrate."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import ode

    return ode.make(lib, case)


if importlib.util.find_spec("torchdiffeq") is not None:  # the peer; the full table: ode.py
    for _case, _desc in [
            ("lv-solve", "Lotka-Volterra solve, dopri5 (vs torchdiffeq.odeint)"),
            ("lv-direct", "Lotka-Volterra gradient, sensealg direct (vs odeint backprop)"),
            ("lv-backsolve", "Lotka-Volterra gradient, sensealg backsolve (vs odeint_adjoint)"),
            ("node-solve", "neural ODE (MLP 2-50-2, batch 16) solve (vs torchdiffeq.odeint)"),
            ("node-direct", "neural ODE gradient, sensealg direct (vs odeint backprop)"),
            ("node-backsolve", "neural ODE gradient, sensealg backsolve (vs odeint_adjoint)")]:
        WORKLOADS[f"ode-{_case}"] = (f"{_desc}, float64 (benchmarks/ode.py)",
                                     lambda c=_case: _ode("cr", c),
                                     lambda c=_case: _ode("torch", c), None, 3, 1)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["compile"]:  # its own table (more than two columns): benchmarks/compile.py
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import compile as compile_bench

        compile_bench.main(argv[1:])
        return 0
    if argv[:1] == ["vmap"]:  # its own table (three variants, memory): benchmarks/vmap.py
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import vmap as vmap_bench

        return vmap_bench.main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", choices=[[], *WORKLOADS], default=[],
                    help="workloads to run (default: all)")
    ap.add_argument("--repeat", type=int, default=None, help="override repeats")
    args = ap.parse_args(argv)
    names = args.names or list(WORKLOADS)
    print(f"chainrule {cr.__version__}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'not installed'}, python "
          f"{sys.version.split()[0]}")
    print(f"{'workload':<8} {'chainrule':>12} {'torch':>12} {'ratio':>7} {'floor':>7}  description")
    for name in names:
        desc, make_cr, make_t, floor, repeat, number = WORKLOADS[name]
        repeat = args.repeat or repeat
        t_cr, t_t = timeit_pair(make_cr(), make_t() if torch is not None else None,
                                repeat, number)
        if torch is not None:
            ratio = f"{t_cr / t_t:7.2f}"
            t_t_s = f"{t_t * 1e3:9.3f} ms"
        else:
            ratio, t_t_s = "      -", "          -"
        fl = f"{floor:7.2f}" if floor else "      -"
        print(f"{name:<8} {t_cr * 1e3:9.3f} ms {t_t_s} {ratio} {fl}  {desc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
