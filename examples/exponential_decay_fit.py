"""Fitting an exponential decay, with parameter uncertainties: the fit every lab does.

Noisy measurements y = A exp(-t / tau) + c; ``chainrule.optimize.least_squares`` fits A, tau
and c with the exact Jacobian by automatic differentiation (forward mode: 3 parameters, many
residuals) and reports each parameter with its standard error and the correlation matrix, from
the covariance s^2 (J^T J)^-1 at the solution (docs/optimize.md, "Fit statistics").

    python examples/exponential_decay_fit.py              # 50 points
    python examples/exponential_decay_fit.py --n 500 --plot decay.png
"""

from __future__ import annotations

import argparse

import numpy as onp

import chainrule.numpy as np
from chainrule.optimize import least_squares

TRUE = {"A": 5.0, "tau": 2.0, "c": 0.5}


def data(n: int = 50, noise: float = 0.05, seed: int = 1):
    rng = onp.random.default_rng(seed)
    t = onp.linspace(0.0, 10.0, n)
    y = TRUE["A"] * onp.exp(-t / TRUE["tau"]) + TRUE["c"] + noise * rng.standard_normal(n)
    return t, y


def residuals(p, t, y):
    """Model minus data; ``p`` is a dict of parameters (a pytree: res.x comes back as one)."""
    return p["A"] * np.exp(-t / p["tau"]) + p["c"] - y


def fit(n: int = 50, noise: float = 0.05, seed: int = 1, verbose: bool = True):
    """Fit the synthetic data; returns the result (res.x, res.stderr: dicts like ``TRUE``)."""
    t, y = data(n, noise, seed)
    start = {"A": 1.0, "tau": 1.0, "c": 0.0}
    res = least_squares(residuals, start, args=(t, y))
    if verbose:
        print(f"{res.message} ({res.nfev} evaluations, Jacobian by {res.jac_mode} mode)")
        print(f"{'':4s} {'fitted':>10s}   {'stderr':>8s} {'true':>8s} {'(fit-true)/se':>14s}")
        for k in TRUE:
            z = (res.x[k] - TRUE[k]) / res.stderr[k]
            print(f"{k:4s} {res.x[k]:10.5f} +- {res.stderr[k]:8.5f} {TRUE[k]:8.3f} {z:14.2f}")
        print(f"residual sd {onp.sqrt(2 * res.cost / res.dof):.4f} (noise {noise}), "
              f"dof {res.dof}")
        print("correlation matrix (A, tau, c):")
        print(onp.array2string(res.corr, precision=3, suppress_small=True))
    return res


def plot(res, n, noise, seed, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t, y = data(n, noise, seed)
    tt = onp.linspace(t[0], t[-1], 400)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(t, y, ".", label="data")
    ax.plot(tt, residuals(res.x, tt, 0.0), label="fit")
    ax.set_xlabel("t")
    ax.set_ylabel("y")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    print(f"saved {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="number of measurements")
    ap.add_argument("--noise", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plot", metavar="PNG", help="save a figure of data and fit (matplotlib)")
    args = ap.parse_args(argv)
    res = fit(args.n, args.noise, args.seed)
    if args.plot:
        plot(res, args.n, args.noise, args.seed, args.plot)
    return res


if __name__ == "__main__":
    main()
