"""The ODE examples: the neural ODE learns (its loss falls, its gradient is right whichever
sensitivity method gives it, its picture is a PNG) and the Lotka-Volterra fit recovers the
rates through ``odeint``."""

from __future__ import annotations

import numpy as np
import pytest

# the examples' loader, and their autouse fixture: one BLAS thread
from tests.test_examples import (
    PNG_SIGNATURE,
    load_example,
    one_blas_thread,  # noqa: F401
)


@pytest.fixture(scope="module")
def node():
    return load_example("neural_ode")


# a small problem: 40 observations over [0, 2] (about one turn of the spiral), windows of 6
SMALL = dict(points=40, t_end=2.0, hidden=32, window=6)


@pytest.fixture(scope="module")
def trained(node):
    return node.train(steps=80, log_every=0, **SMALL)


def test_neural_ode_loss_falls(trained):
    _, history = trained
    (s0, first), (s1, last) = history["trajectory"][0], history["trajectory"][-1]
    assert (s0, s1) == (0, 80) and len(history["window"]) == 80
    # the training loss (all windows: full batch) falls twentyfold, the loss of the whole
    # trajectory integrated from y(0), which a small error in the field's speed shifts in phase,
    # fourfold
    assert np.mean(history["window"][-5:]) < history["window"][0] / 10, history["window"]
    assert last < first / 2.5, history["trajectory"]


def _problem(node):
    t, ys = node.make_data(SMALL["points"], SMALL["t_end"])
    params = node.init_params(SMALL["hidden"], seed=3)
    starts = np.array([0, 7, 20, 34])
    return params, t, ys, starts


@pytest.mark.parametrize("sensealg", ["direct", "backsolve", "interpolating"])
def test_neural_ode_gradient_matches_central_differences(node, sensealg, monkeypatch):
    from chainrule.func import grad

    params, t, ys, starts = _problem(node)
    # the model's solves use rtol 1e-5: tightened, the adaptive solver is a smooth enough
    # function for finite differences, and the adjoints' own error is small
    monkeypatch.setattr(node, "RTOL", 1e-10)
    monkeypatch.setattr(node, "ATOL", 1e-12)

    def loss(p):
        return node.window_loss(p, t, ys, starts, SMALL["window"], sensealg)

    g = grad(loss)(params)
    h = 1e-5
    for name, index in (("W1", (0, 3)), ("b1", (5,)), ("W2", (2, 1)), ("b2", (0,))):
        up = {k: v.copy() for k, v in params.items()}
        down = {k: v.copy() for k, v in params.items()}
        up[name][index] += h
        down[name][index] -= h
        fd = (float(loss(up)) - float(loss(down))) / (2 * h)
        assert abs(fd) > 1e-3  # these entries of the gradient are of order 1e-2
        assert abs(float(np.asarray(g[name])[index]) - fd) <= 1e-8, (name, index, fd)


def test_neural_ode_gradient_agrees_across_sensealg(node):
    from chainrule._pytree import ravel_pytree
    from chainrule.func import value_and_grad

    params, t, ys, starts = _problem(node)
    step = value_and_grad(node.window_loss)
    values, grads = {}, {}
    for sensealg in ("direct", "backsolve", "interpolating", "forward"):
        v, g = step(params, t, ys, starts, SMALL["window"], sensealg)
        values[sensealg], grads[sensealg] = float(v), np.asarray(ravel_pytree(g)[0])
    ref = grads["direct"]
    assert np.abs(ref).max() > 1e-3  # not a vacuous comparison
    for sensealg, g in grads.items():
        # (forward sensitivities ride in the solver's state: its steps differ slightly)
        assert values[sensealg] == pytest.approx(values["direct"], rel=1e-8), sensealg
        # the adjoints solve their own ODEs to the model's tolerance (rtol 1e-5); they agree
        # with the exact derivative of the discrete solution to about 2e-8
        assert np.abs(g - ref).max() <= 1e-6 * np.abs(ref).max(), sensealg


def test_neural_ode_plot_is_a_png(node, trained, tmp_path):
    params, _ = trained
    path = tmp_path / "node.png"
    node.plot(params, SMALL["points"], SMALL["t_end"], str(path))
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 20000


def test_neural_ode_refuses_bad_windows(node):
    with pytest.raises(ValueError, match="window"):
        node.train(steps=1, points=10, window=11, log_every=0)


def test_lotka_volterra_fit_recovers_the_rates():
    lv = load_example("lotka_volterra_fit")
    res = lv.fit(n=30, verbose=False)
    assert res.success
    assert np.all(np.abs(res.x - lv.TRUE) <= 2.0 * res.stderr), (res.x, res.stderr)
    assert np.all(res.stderr < 0.02 * lv.TRUE)  # and the errors are small: a real fit
    noise_sd = np.sqrt(2 * res.cost / res.dof)
    assert 0.35 < noise_sd < 0.65  # the residuals are the noise (sd 0.5)
