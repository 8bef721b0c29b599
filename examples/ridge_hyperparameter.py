"""Choosing a ridge regression's regularisation strength by gradient descent on the validation
loss, differentiated through the ``minimize`` solution (argmin differentiation).

The training problem ``w*(lam) = argmin_w |X w - y|^2 / 2 + lam |w|^2 / 2`` is solved by
``chainrule.optimize.minimize``; since ``lam`` is traced, ``res.x`` is a differentiable function
of it (implicit differentiation of the stationarity condition: one linear solve per gradient,
no differentiation through the solver's iterations). Gradient descent on ``log(lam)`` with a
backtracking line search then minimises the validation loss; a grid search over ``log(lam)``
checks the answer.

    python examples/ridge_hyperparameter.py
"""

from __future__ import annotations

import numpy as np

import chainrule.numpy as cnp
from chainrule import func
from chainrule.optimize import minimize


def make_data(n_train: int = 40, n_val: int = 60, p: int = 25, noise: float = 1.0,
              seed: int = 0):
    """Correlated features, a few large true weights and many small ones, noisy targets."""
    rng = np.random.default_rng(seed)
    cov = 0.6 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    L = np.linalg.cholesky(cov)
    w_true = rng.standard_normal(p) * np.where(rng.random(p) < 0.3, 2.0, 0.2)

    def draw(n):
        X = rng.standard_normal((n, p)) @ L.T
        return X, X @ w_true + noise * rng.standard_normal(n)

    return draw(n_train), draw(n_val)


def train_objective(w, lam, X, y):
    r = X @ w - y
    return 0.5 * (r * r).sum() + 0.5 * lam * (w * w).sum()


def fit(lam, X, y):
    """The ridge solution by ``minimize`` (differentiable in a traced ``lam``)."""
    res = minimize(train_objective, np.zeros(X.shape[1]), args=(lam, X, y),
                   method="trust-exact", options={"gtol": 1e-12})
    return res.x


def validation_loss(log_lam, data):
    (Xt, yt), (Xv, yv) = data
    w = fit(cnp.exp(log_lam), Xt, yt)
    r = Xv @ w - yv
    return (r * r).mean()


def tune(data, log_lam: float = 0.0, steps: int = 40, lr: float = 1.0, tol: float = 1e-7):
    """Gradient descent on log(lam) with a backtracking (Armijo) line search. Returns the
    final log(lam) and the history of (log_lam, validation loss)."""
    value_and_grad = func.value_and_grad(validation_loss)
    history = []
    v, g = value_and_grad(log_lam, data)
    for _ in range(steps):
        history.append((log_lam, float(v)))
        if abs(g) < tol:
            break
        step = lr
        while True:
            trial = log_lam - step * g
            tv = float(validation_loss(trial, data))
            if tv <= v - 1e-4 * step * g * g or step < 1e-8:
                break
            step *= 0.5
        log_lam = trial
        lr = 2 * step  # let the next step grow again
        v, g = value_and_grad(log_lam, data)
    history.append((log_lam, float(v)))
    return log_lam, history


def grid_search(data, grid):
    """The validation loss at each grid point (closed-form ridge, as an independent check)."""
    (Xt, yt), (Xv, yv) = data
    p = Xt.shape[1]
    losses = []
    for s in grid:
        w = np.linalg.solve(Xt.T @ Xt + np.exp(s) * np.eye(p), Xt.T @ yt)
        losses.append(np.mean((Xv @ w - yv) ** 2))
    return np.asarray(losses)


def main(n_train: int = 40, n_val: int = 60, p: int = 25, grid_points: int = 81,
         verbose: bool = True):
    data = make_data(n_train, n_val, p)
    log_lam, history = tune(data)
    grid = np.linspace(-6.0, 6.0, grid_points)
    losses = grid_search(data, grid)
    best = int(np.argmin(losses))
    if verbose:
        print(f"gradient descent: {len(history) - 1} steps, lam = {np.exp(log_lam):.4g}, "
              f"validation MSE = {history[-1][1]:.6f}")
        print(f"grid search ({grid_points} points): lam = {np.exp(grid[best]):.4g}, "
              f"validation MSE = {losses[best]:.6f}")
        print(f"no regularisation (lam = exp(-6)): validation MSE = {losses[0]:.6f}")
    return {"log_lam": log_lam, "history": history, "grid": grid, "grid_losses": losses,
            "grid_best": grid[best]}


if __name__ == "__main__":
    main()
