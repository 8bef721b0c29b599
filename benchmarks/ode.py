"""chainrule's ODE solvers against torchdiffeq (CPU, float64): solve time and gradient time
(forward + backward) on the same problems, in one run (about a minute; ``--quick``: seconds).

    python benchmarks/ode.py               # the full table
    python benchmarks/ode.py --quick       # small sizes, one round (the test suite's smoke run)
    python benchmarks/ode.py lv            # some problems: lv, node, stiff

Problems: Lotka-Volterra (2 states, 4 parameters; 21 outputs on [0, 10]); a neural ODE (an
MLP 2-50-2 tanh right-hand side, 252 parameters, a batch of 16 states; 11 outputs on [0, 2]);
van der Pol at mu = 1000 (stiff; chainrule's Radau alone: torchdiffeq has no implicit solver,
its dopri5 evaluation count is printed for scale). The non-stiff solves are dopri5 in both,
at the same tolerances.
The gradient is of sum(ys * ct) for a fixed cotangent ct, with respect to y0 and the
parameters. chainrule: sensealg ``direct`` (through the steps), ``backsolve`` (continuous
adjoint with the state backward), ``interpolating`` (adjoint, state from checkpointed
re-solves), ``forward`` (forward sensitivities). torchdiffeq: backpropagation through
``odeint`` and ``odeint_adjoint``. Each chainrule method is set beside its nearest peer
(direct and forward: odeint backprop; backsolve and interpolating: odeint_adjoint).

torch runs on one thread while timed (see ``_one_thread``). Timing: every function of a
problem runs once per round, in turn, after a warm-up, and the median over the rounds is
reported (a shared machine's speed drifts; all see the same drift). ``ratio`` is chainrule's
time over the peer's (below 1: chainrule is faster); ``grad/solve`` is the cheap-gradient
ratio, each library's gradient time over its own solve time.
Measurements, not tests: nothing asserts.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from dataclasses import dataclass, field

import numpy as np

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.integrate import odeint
from chainrule.integrate._odeint import odeint_with_info

try:
    import torch
    import torchdiffeq
except ImportError:  # chainrule is still timed alone
    torch = torchdiffeq = None

SENSEALGS = ("direct", "backsolve", "interpolating", "forward")
PEER = {"direct": "odeint", "forward": "odeint", "backsolve": "odeint_adjoint",
        "interpolating": "odeint_adjoint"}


@dataclass
class Problem:
    """One ODE in both libraries' spellings, with its data."""
    name: str
    desc: str
    f_cr: object           # f(y, t, *params) with chainrule.numpy
    make_torch: object     # () -> torch.nn.Module f(t, y) holding the parameters
    y0: np.ndarray
    params: list
    t: np.ndarray
    tol: dict
    ct: np.ndarray = field(init=False)

    def __post_init__(self):
        self.ct = np.random.default_rng(7).standard_normal((len(self.t), *self.y0.shape))


# --- the problems --------------------------------------------------------------------------------

def _lv(y, t, p):
    a, b, c, d = p[0], p[1], p[2], p[3]
    return cnp.stack([a * y[0] - b * y[0] * y[1], -c * y[1] + d * y[0] * y[1]])


def _mlp(y, t, w1, b1, w2, b2):
    return cnp.tanh(y @ w1 + b1) @ w2 + b2


def _torch_module(forward, params):
    """A torch.nn.Module f(t, y) whose parameters are ``params`` (float64)."""
    class F(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ps = torch.nn.ParameterList(torch.nn.Parameter(torch.tensor(a))
                                             for a in params)

        def forward(self, t, y):
            return forward(y, *self.ps)
    return F()


def _lv_torch(y, p):
    a, b, c, d = p
    return torch.stack([a * y[0] - b * y[0] * y[1], -c * y[1] + d * y[0] * y[1]])


def _mlp_torch(y, w1, b1, w2, b2):
    return torch.tanh(y @ w1 + b1) @ w2 + b2


def problems(quick: bool = False) -> dict[str, Problem]:
    r = np.random.default_rng(0)
    hidden, batch = (10, 4) if quick else (50, 16)
    nn_params = [r.standard_normal((2, hidden)) / np.sqrt(2), 0.1 * r.standard_normal(hidden),
                 r.standard_normal((hidden, 2)) / np.sqrt(hidden), 0.1 * r.standard_normal(2)]
    lv_params = [np.array([1.5, 1.0, 3.0, 1.0])]
    return {
        "lv": Problem(
            "lv", "Lotka-Volterra, 2 states, 4 parameters",
            _lv, lambda: _torch_module(_lv_torch, lv_params), np.array([1.0, 1.0]), lv_params,
            np.linspace(0, 1 if quick else 10, 3 if quick else 21),
            dict(rtol=1e-6, atol=1e-6) if quick else dict(rtol=1e-8, atol=1e-8)),
        "node": Problem(
            "node", f"neural ODE, MLP 2-{hidden}-2 tanh "
            f"({5 * hidden + 2} parameters), batch of {batch} states",
            _mlp, lambda: _torch_module(_mlp_torch, nn_params), r.standard_normal((batch, 2)),
            nn_params, np.linspace(0, 0.5 if quick else 2, 3 if quick else 11),
            dict(rtol=1e-5, atol=1e-7) if quick else dict(rtol=1e-7, atol=1e-9)),
    }


# --- the timed functions -------------------------------------------------------------------------

def cr_solve(p: Problem):
    """chainrule's plain solve: NumPy in, nothing differentiated (sensealg direct: no
    sensitivities are integrated; ``auto`` would pick forward for small problems)."""
    return lambda: odeint(p.f_cr, p.y0, p.t, tuple(p.params), sensealg="direct", **p.tol)


def cr_grad(p: Problem, sensealg: str):
    """The Tensor face, as a PyTorch user writes it: leaves, solve, backward."""
    ct = cr.tensor(p.ct)

    def go():
        y0 = cr.tensor(p.y0, requires_grad=True)
        ps = [cr.tensor(a, requires_grad=True) for a in p.params]
        ys = odeint(p.f_cr, y0, p.t, tuple(ps), sensealg=sensealg, **p.tol)
        (ys * ct).sum().backward()
        return [y0.grad.numpy(), *[q.grad.numpy() for q in ps]]
    return go


@contextlib.contextmanager
def _one_thread():
    """torch on one thread while timed, as NumPy runs these sizes: on a shared machine its
    thread pool made these small operations up to 70 times slower (what is measured is then
    the pool's spinning, not torchdiffeq)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def td_solve(p: Problem):
    module, y0, t = p.make_torch(), torch.tensor(p.y0), torch.tensor(p.t)

    def go():
        with torch.no_grad(), _one_thread():
            return torchdiffeq.odeint(module, y0, t, method="dopri5", **p.tol)
    return go


def td_grad(p: Problem, kind: str):
    module, t, ct = p.make_torch(), torch.tensor(p.t), torch.tensor(p.ct)
    solve = torchdiffeq.odeint_adjoint if kind == "odeint_adjoint" else torchdiffeq.odeint

    def go():
        y0 = torch.tensor(p.y0, requires_grad=True)
        module.zero_grad()
        with _one_thread():
            (solve(module, y0, t, method="dopri5", **p.tol) * ct).sum().backward()
        return [y0.grad.numpy(), *[q.grad.numpy() for q in module.parameters()]]
    return go


def timeit_round_robin(fns: dict, repeat: int) -> dict:
    """Median seconds per call of each function, every round running each once in turn."""
    for f in fns.values():
        f()  # warm-up
    times = {k: [] for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


# --- run.py's interface: one function per (library, case) ----------------------------------------

CASES = ["lv-solve", *[f"lv-{s}" for s in SENSEALGS], "node-solve",
         *[f"node-{s}" for s in SENSEALGS]]


def make(lib: str, case: str):
    """The function timed for ``case`` ("lv-direct", "node-solve", ...): chainrule's
    (lib "cr") or its torchdiffeq peer (lib "torch")."""
    prob, what = case.split("-", 1)
    p = problems()[prob]
    if lib == "cr":
        return cr_solve(p) if what == "solve" else cr_grad(p, what)
    return td_solve(p) if what == "solve" else td_grad(p, PEER[what])


# --- the table -----------------------------------------------------------------------------------

STIFF_SENSEALGS = ("direct", "forward", "interpolating")  # backsolve: unstable when stiff


def _stiff_rows(quick: bool, repeat: int) -> list[dict]:
    mu = np.array(1000.0)
    y0, t = np.array([2.0, 0.0]), np.array([0.0, 0.5 if quick else 1.0])
    tol = dict(rtol=1e-6, atol=1e-6)

    def vdp(y, t, mu):
        return cnp.stack([y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]])

    def solve():
        return odeint(vdp, y0, t, (mu,), method="radau", sensealg="direct", **tol)

    def grad(sensealg):
        def go():
            yt, mt = cr.tensor(y0, requires_grad=True), cr.tensor(mu, requires_grad=True)
            ys = odeint(vdp, yt, t, (mt,), method="radau", sensealg=sensealg, **tol)
            ys[-1, 0].backward()
            return yt.grad, mt.grad
        return go
    times = timeit_round_robin({"solve": solve, **{s: grad(s) for s in STIFF_SENSEALGS}},
                               repeat)
    nst = odeint_with_info(vdp, y0, t, (mu,), method="radau", sensealg="direct", **tol)[1]["nst"]
    note = f"radau {nst} steps"
    if torchdiffeq is not None:  # the explicit solver's cost, for scale (no gradient)
        nfe = [0]

        def f(s, y):
            nfe[0] += 1
            return torch.stack([y[1], 1000.0 * (1 - y[0] ** 2) * y[1] - y[0]])
        t0 = time.perf_counter()
        with torch.no_grad(), _one_thread():
            torchdiffeq.odeint(f, torch.tensor(y0), torch.tensor(t), method="dopri5", **tol)
        note += (f"; torchdiffeq has no implicit solver: its dopri5 takes {nfe[0]} "
                 f"evaluations, {(time.perf_counter() - t0) * 1e3:.0f} ms")
    note = (f"van der Pol mu=1000, loss y0(t_end), {len(t)} outputs on [0, {t[-1]:g}], "
            f"rtol=atol=1e-6, method radau; {note}")
    out = [dict(problem="stiff", method="solve", cr=times["solve"], peer=None, peer_t=None,
                cr_solve=times["solve"], peer_solve=None, note=note)]
    for s in STIFF_SENSEALGS:
        out.append(dict(problem="stiff", method=s, cr=times[s], peer=None, peer_t=None,
                        cr_solve=times["solve"], peer_solve=None, note=""))
    return out


def rows(quick: bool = False, names=None, repeat: int | None = None) -> list[dict]:
    """The table's rows, one per (problem, chainrule method): times in seconds (``cr``,
    ``peer_t``, ``cr_solve``, ``peer_solve``), the peer's name, and a note."""
    repeat = repeat or (1 if quick else 5)
    probs = problems(quick)
    names = list(names or [*probs, "stiff"])
    out = []
    for name in names:
        if name == "stiff":
            out += _stiff_rows(quick, repeat)
            continue
        p = probs[name]
        fns = {"cr:solve": cr_solve(p), **{f"cr:{s}": cr_grad(p, s) for s in SENSEALGS}}
        if torchdiffeq is not None:
            fns |= {"td:solve": td_solve(p), "td:odeint": td_grad(p, "odeint"),
                    "td:odeint_adjoint": td_grad(p, "odeint_adjoint")}
        times = timeit_round_robin(fns, repeat)
        nst = odeint_with_info(p.f_cr, p.y0, p.t, tuple(p.params), sensealg="direct",
                               **p.tol)[1]["nst"]
        note = (f"{p.desc}; {len(p.t)} outputs on [0, {p.t[-1]:g}], rtol={p.tol['rtol']:g} "
                f"atol={p.tol['atol']:g}; {nst} steps")
        out.append(dict(problem=name, method="solve", cr=times["cr:solve"],
                        peer="odeint (no_grad)" if torchdiffeq else None,
                        peer_t=times.get("td:solve"), cr_solve=times["cr:solve"],
                        peer_solve=times.get("td:solve"), note=note))
        for s in SENSEALGS:
            out.append(dict(problem=name, method=s, cr=times[f"cr:{s}"],
                            peer=PEER[s] if torchdiffeq else None,
                            peer_t=times.get(f"td:{PEER[s]}"), cr_solve=times["cr:solve"],
                            peer_solve=times.get("td:solve"), note=""))
    return out


def _ms(x):
    return f"{x * 1e3:10.2f}" if x is not None else f"{'-':>10}"


def _r(a, b):
    return f"{a / b:7.2f}" if a is not None and b else f"{'-':>7}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", choices=[[], "lv", "node", "stiff"], default=[],
                    help="problems (default: all)")
    ap.add_argument("--quick", action="store_true", help="small sizes, one round")
    ap.add_argument("--repeat", type=int, default=None, help="rounds (default 5; quick 1)")
    args = ap.parse_args(argv)
    print(f"chainrule {cr.__version__}, numpy {np.__version__}, torch "
          f"{torch.__version__ if torch else '-'}, torchdiffeq "
          f"{torchdiffeq.__version__ if torchdiffeq else 'not installed'}, python "
          f"{sys.version.split()[0]}; float64, CPU; times in ms (median)")
    print(f"{'problem':<7} {'method':<14} {'chainrule':>10} {'peer':<17} {'torchdiffeq':>11} "
          f"{'ratio':>7} {'cr grad/solve':>13} {'td grad/solve':>13}")
    for row in rows(args.quick, args.names, args.repeat):
        if row["note"]:
            print(f"# {row['problem']}: {row['note']}")
        grad_row = row["method"] != "solve"
        print(f"{row['problem']:<7} {row['method']:<14} {_ms(row['cr'])} "
              f"{row['peer'] or '-':<17} {_ms(row['peer_t']):>11} "
              f"{_r(row['cr'], row['peer_t'])} "
              f"{_r(row['cr'], row['cr_solve']) if grad_row else '-':>13} "
              f"{_r(row['peer_t'], row['peer_solve']) if grad_row else '-':>13}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
