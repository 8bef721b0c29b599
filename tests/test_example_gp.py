"""examples/gp_regression.py: its hyperparameter gradients agree with finite differences, the
fit improves the log marginal likelihood, and the script runs as a program."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy import stats

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "gp_regression.py"


def _load():
    spec = importlib.util.spec_from_file_location("chainrule_example_gp_regression", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gradient_matches_finite_differences_and_fit_improves():
    gp = _load()
    out = gp.main(verbose=False)
    np.testing.assert_allclose(out["gradient"], out["finite_difference"], rtol=1e-6, atol=1e-6)
    assert out["converged"]
    assert out["final_value"] > out["start_value"] + 10
    assert 0.4 < out["fitted"]["lengthscale"] < 1.2 and 0.01 < out["fitted"]["noise"] < 0.2


def test_likelihood_equals_scipy_multivariate_normal():
    gp = _load()
    x, y = gp.make_data(n=10)
    p = np.log([0.9, 1.2, 0.1])
    d = x[:, None] - x[None, :]
    K = 1.2 * np.exp(-0.5 * d**2 / 0.81) + (0.1 + 1e-8) * np.eye(10)
    want = stats.multivariate_normal.logpdf(y, np.zeros(10), K)
    np.testing.assert_allclose(float(gp.log_marginal_likelihood(p, x, y)), want, rtol=1e-10)


def test_runs_as_a_script():
    run = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "fitted after" in run.stdout and "log likelihood:" in run.stdout
