"""examples/bloch_mri.py: the hard-pulse Bloch simulation agrees with independent SciPy
simulations, its checkpointed gradient equals the plain loop's and finite differences, the pulse
design lowers the loss, checkpoint_scan's memory does not grow with the number of steps, and
``--plot`` writes a PNG."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

# the examples' loader, and their autouse fixture: one BLAS thread
from tests.test_examples import (
    EXAMPLES,
    PNG_SIGNATURE,
    load_example,
    one_blas_thread,  # noqa: F401
)

import chainrule as cr

EXAMPLE = EXAMPLES / "bloch_mri.py"
bloch = load_example("bloch_mri")


def _final(rf, problem):
    with cr.no_grad():
        return np.stack([np.asarray(a) for a in bloch.simulate(rf, problem, None)])


def _pulse(problem, seed=0):
    """A sinc with a random complex perturbation: both RF channels non-trivial."""
    rng = np.random.default_rng(seed)
    return bloch.sinc_pulse(problem, 90.0) + 0.5 * rng.standard_normal((problem.n_steps, 2))


def test_simulation_agrees_with_expm_and_with_the_bloch_ode():
    problem = bloch.make_problem(n_spins=16, n_steps=60)
    rf = _pulse(problem)
    m = _final(rf, problem)
    assert m[2].min() < 0.5 and np.abs(m[:2]).max() > 0.5  # the pulse does something
    # the same discrete model, each step's rotation by scipy.linalg.expm instead of Rodrigues
    np.testing.assert_allclose(m, bloch.simulate_expm(rf, problem), rtol=0, atol=1e-12)
    # without relaxation each step is the exact solution of the Bloch ODE
    bare = bloch.without_relaxation(problem)
    np.testing.assert_allclose(_final(rf, bare), bloch.simulate_ode(rf, bare), rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(_final(rf, bare), axis=0), 1.0, atol=1e-12)
    # with relaxation, rotate-then-relax is first order in dt: halving dt halves the error
    short = bloch.make_problem(n_spins=16, n_steps=60, t1=2e-3, t2=1e-3)
    fine = bloch.make_problem(n_spins=16, n_steps=120, t1=2e-3, t2=1e-3)
    err = [np.abs(_final(p_rf, p) - bloch.simulate_ode(p_rf, p)).max()
           for p, p_rf in ((short, rf), (fine, np.repeat(rf, 2, axis=0)))]
    assert 1e-6 < err[0] < 1e-2 and 1.7 < err[0] / err[1] < 2.3, err


def test_checkpointed_gradient_equals_plain_loop_and_finite_differences():
    problem = bloch.make_problem(n_spins=20, n_steps=80)
    rf = _pulse(problem, seed=1)
    value, g = bloch.loss_and_grad(rf, problem, n_checkpoints=6)
    value_plain, g_plain = bloch.loss_and_grad(rf, problem, n_checkpoints=None)
    assert value == pytest.approx(value_plain, rel=1e-14)
    assert np.abs(g - g_plain).max() <= 1e-12 * np.abs(g_plain).max()
    assert np.abs(g_plain).max() > 1e-4

    def loss(r):
        with cr.no_grad():
            return float(bloch.design_loss(r, problem, None))

    h = 1e-5
    for k, j in ((3, 0), (40, 0), (41, 1), (77, 1)):
        e = np.zeros_like(rf)
        e[k, j] = h
        fd = (loss(rf + e) - loss(rf - e)) / (2 * h)
        assert fd == pytest.approx(g[k, j], rel=1e-5, abs=1e-9), (k, j)


def test_design_lowers_the_loss():
    problem = bloch.make_problem(n_spins=40, n_steps=60)
    rf0 = bloch.sinc_pulse(problem, 45.0)
    rf, losses = bloch.design(problem, rf0, iterations=8, lr=0.3, n_checkpoints=8,
                              verbose=False)
    assert rf.shape == rf0.shape and np.abs(rf - rf0).max() > 0.1
    assert min(losses) < losses[0] / 5, losses
    with cr.no_grad():
        assert float(bloch.design_loss(rf, problem, None)) == pytest.approx(min(losses),
                                                                          rel=1e-12)


MEMORY = textwrap.dedent("""
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("bloch_mri", sys.argv[1])
    bloch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bloch)
    bloch.gradient_peak_memory(4, 50, 2)  # warm-up: first-call allocations are not the loop's
    bloch.gradient_peak_memory(4, 50, None)
    for n in (12, 96):
        for ck in (10, None):
            print(n, ck, *bloch.gradient_peak_memory(n, 16000, ck))
""")


def test_checkpointed_memory_does_not_grow_with_steps():
    """16,000 spins (3 x 128 kB of state, 32 bytes of RF per step); 12 and 96 steps, 10 slots
    (Griewank's r, the most recomputations of a step, goes from 2 to 3)."""
    out = subprocess.run([sys.executable, "-c", MEMORY, str(EXAMPLE)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = {}
    for line in out.stdout.splitlines():
        n, ck, peak, rf_bytes, norm = line.split()
        got[int(n), ck] = (int(peak), int(rf_bytes), float(norm))
    (ck_n, rf_n, norm_n), (ck_8n, rf_8n, norm_8n) = got[12, "10"], got[96, "10"]
    plain_n, plain_8n = got[12, "None"][0], got[96, "None"][0]
    assert norm_n == pytest.approx(got[12, "None"][2], rel=1e-12)  # the same gradient
    assert norm_8n == pytest.approx(got[96, "None"][2], rel=1e-12)
    assert ck_8n - (rf_8n - rf_n) < 1.2 * ck_n, got       # checkpointed: about flat
    assert plain_8n > 6 * plain_n, got                      # plain loop: about 8x
    assert ck_8n * 10 < plain_8n, got


def test_main_writes_a_png_and_checks_itself(tmp_path, capsys):
    path = tmp_path / "bloch.png"
    out = bloch.main(["--spins", "20", "--steps", "40", "--iterations", "2", "--checkpoints",
                      "5", "--plot", str(path)])
    assert path.read_bytes()[:8] == PNG_SIGNATURE and path.stat().st_size > 10_000
    assert out["expm_error"] < 1e-12 and out["ode_error"] < 1e-9
    assert len(out["losses"]) == 3 and min(out["losses"]) < out["losses"][0]
    text = capsys.readouterr().out
    assert "scipy.linalg.expm" in text and f"saved {path}" in text


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="z = 0"):
        bloch.make_problem(n_spins=21)
    problem = bloch.make_problem(n_spins=10, n_steps=20)
    with pytest.raises(ValueError, match=r"simulate: rf must have shape \(n_steps, 2\)"):
        bloch.simulate(np.zeros((19, 2)), problem)
