"""examples/ridge_hyperparameter.py: gradient descent through the minimize solution finds the
regularisation strength that a grid search finds, at least as good a validation loss."""

import importlib.util
from pathlib import Path

from chainrule import func

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ridge_hyperparameter.py"


def load():
    spec = importlib.util.spec_from_file_location("chainrule_example_ridge_hyper", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ridge_hyperparameter_example():
    ex = load()
    out = ex.main(n_train=30, n_val=40, p=12, grid_points=61, verbose=False)
    step = out["grid"][1] - out["grid"][0]
    assert abs(out["log_lam"] - out["grid_best"]) <= step
    assert out["history"][-1][1] <= out["grid_losses"].min() + 1e-12
    assert out["history"][-1][1] < out["grid_losses"][0] - 0.02  # regularisation helps here
    # the gradient through minimize equals central differences of the closed-form loss
    data = ex.make_data(30, 40, 12)
    g = func.grad(ex.validation_loss)(0.3, data)
    h = 1e-5
    fd = (ex.grid_search(data, [0.3 + h])[0] - ex.grid_search(data, [0.3 - h])[0]) / (2 * h)
    assert abs(g - fd) < 1e-7
