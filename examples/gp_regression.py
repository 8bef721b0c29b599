"""Gaussian-process regression: fit an RBF kernel's hyperparameters by maximising the log
marginal likelihood, with exact gradients of an ordinary NumPy program.

The model code below is what one would write with NumPy and SciPy; only the two imports differ
(``chainrule.numpy`` for ``numpy``, ``chainrule.scipy.linalg`` for ``scipy.linalg``). Then
``chainrule.value_and_grad`` differentiates it with respect to the hyperparameters (lengthscale,
signal variance, noise variance, on a log scale so that they stay positive); the gradient is
checked against central finite differences and handed to SciPy's L-BFGS-B.

    python examples/gp_regression.py
"""

from __future__ import annotations

import numpy as onp  # plain NumPy: synthetic data and the optimiser's float arrays
from scipy.optimize import minimize

import chainrule
import chainrule.numpy as np
from chainrule.scipy.linalg import solve_triangular


# --- the model: ordinary NumPy code -------------------------------------------------------------
def rbf_kernel(xa, xb, lengthscale, variance):
    """k(a, b) = variance * exp(-|a - b|^2 / (2 lengthscale^2)) for 1-D inputs."""
    d = xa[:, None] - xb[None, :]
    return variance * np.exp(-0.5 * d**2 / lengthscale**2)


def log_marginal_likelihood(log_params, x, y):
    """log p(y | x) = -y^T K^-1 y / 2 - log|K| / 2 - n log(2 pi) / 2, with K = k(x, x) + noise
    I, through the Cholesky factor K = L L^T (no inverse, no determinant)."""
    lengthscale, variance, noise = np.exp(log_params[0]), np.exp(log_params[1]), \
        np.exp(log_params[2])
    n = x.shape[0]
    K = rbf_kernel(x, x, lengthscale, variance) + (noise + 1e-8) * np.eye(n)
    L = np.linalg.cholesky(K)
    alpha = solve_triangular(L, y, lower=True)  # L^-1 y, so y^T K^-1 y = |alpha|^2
    return -0.5 * np.sum(alpha**2) - np.sum(np.log(np.diag(L))) - 0.5 * n * np.log(2 * np.pi)


# --- data, gradient check, fit --------------------------------------------------------------------
TRUE = {"lengthscale": 0.7, "variance": 1.5, "noise": 0.05}


def make_data(n=40, seed=0):
    """Noisy draws from a GP prior with the TRUE hyperparameters."""
    rng = onp.random.default_rng(seed)
    x = onp.sort(rng.uniform(-3, 3, n))
    d = x[:, None] - x[None, :]
    K = TRUE["variance"] * onp.exp(-0.5 * d**2 / TRUE["lengthscale"] ** 2) + 1e-10 * onp.eye(n)
    f = onp.linalg.cholesky(K) @ rng.standard_normal(n)
    return x, f + onp.sqrt(TRUE["noise"]) * rng.standard_normal(n)


def finite_difference_gradient(fn, p, eps=1e-6):
    """Central differences, one coordinate at a time."""
    g = onp.zeros_like(p)
    for k in range(p.size):
        e = onp.zeros_like(p)
        e[k] = eps
        g[k] = (float(fn(p + e)) - float(fn(p - e))) / (2 * eps)
    return g


def main(verbose: bool = True) -> dict:
    x, y = make_data()
    value_and_grad = chainrule.value_and_grad(log_marginal_likelihood)

    start = onp.log([1.5, 0.5, 0.5])  # lengthscale, variance, noise
    value, grad = value_and_grad(start, x, y)
    numeric = finite_difference_gradient(lambda p: log_marginal_likelihood(p, x, y), start)
    fd_error = float(onp.max(onp.abs(onp.asarray(grad) - numeric)))
    if verbose:
        print(f"log likelihood at the start: {float(value):.4f}")
        print(f"gradient      {onp.asarray(grad)}")
        print(f"finite diff.  {numeric}   (max difference {fd_error:.2e})")

    def objective(p):  # minimise the negative log likelihood
        v, g = value_and_grad(p, x, y)
        return -float(v), -onp.asarray(g, dtype=float)

    result = minimize(objective, start, jac=True, method="L-BFGS-B")
    fitted = dict(zip(("lengthscale", "variance", "noise"), onp.exp(result.x).tolist()))
    if verbose:
        print(f"fitted after {result.nit} iterations: "
              + ", ".join(f"{k} {v:.3f} (true {TRUE[k]})" for k, v in fitted.items()))
        print(f"log likelihood: {float(value):.4f} -> {-result.fun:.4f}")
    return {"start_value": float(value), "final_value": float(-result.fun), "fitted": fitted,
            "gradient": onp.asarray(grad), "finite_difference": numeric, "fd_error": fd_error,
            "converged": bool(result.success)}


if __name__ == "__main__":
    main()
