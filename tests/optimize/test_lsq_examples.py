"""The least_squares examples run, at small sizes, and recover their true parameters within
their reported uncertainties (examples/exponential_decay_fit.py, lotka_volterra_fit.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import scipy.optimize as so

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"chainrule_example_{name}",
                                                  EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exponential_decay_fit_and_its_uncertainties(capsys, tmp_path):
    ex = load("exponential_decay_fit")
    res = ex.main(["--n", "30"])
    out = capsys.readouterr().out
    assert "+-" in out and "correlation matrix" in out
    for k, v in ex.TRUE.items():
        assert abs(res.x[k] - v) < 4 * res.stderr[k], k
    # the textbook covariance, as SciPy's curve_fit computes it
    t, y = ex.data(30)
    p, cov = so.curve_fit(lambda t, A, tau, c: A * np.exp(-t / tau) + c, t, y, p0=[1, 1, 0])
    np.testing.assert_allclose([res.x[k] for k in ex.TRUE], p, rtol=1e-6)
    np.testing.assert_allclose([res.stderr[k] for k in ex.TRUE], np.sqrt(np.diag(cov)),
                               rtol=1e-5)
    assert not list(tmp_path.iterdir())  # no figure unless asked


def test_lotka_volterra_fit_through_the_integrator(capsys):
    ex = load("lotka_volterra_fit")
    res = ex.main(["--n", "10", "--substeps", "1", "--t-end", "6"])
    assert "through odeint" in capsys.readouterr().out
    assert res.success and res.jac_mode == "forward"
    assert np.all(np.abs(res.x - ex.TRUE) < 4 * res.stderr)
    assert np.all(res.stderr < 0.2 * ex.TRUE)
