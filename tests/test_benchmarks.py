"""The benchmark workloads compute the same thing in chainrule and PyTorch (so the timings in
benchmarks/run.py compare like with like). Nothing here is timed."""

import importlib.util
import pathlib

import numpy as np

_spec = importlib.util.spec_from_file_location(
    "bench_run", pathlib.Path(__file__).parents[1] / "benchmarks" / "run.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_chain_gradients_agree_with_torch():
    np.testing.assert_allclose(bench.chain_cr().numpy(), bench.chain_torch().numpy(), rtol=1e-12)


def test_mlp_steps_agree_with_torch():
    step_cr, step_t = bench.make_mlp_cr(), bench.make_mlp_torch()
    losses = [(step_cr().item(), step_t().item()) for _ in range(5)]
    np.testing.assert_allclose(*zip(*losses), rtol=1e-4)
    assert losses[-1][0] < losses[0][0]  # the step trains


def test_cnn_steps_agree_with_torch():
    step_cr, step_t = bench.make_cnn_cr(), bench.make_cnn_torch()
    losses = [(step_cr().item(), step_t().item()) for _ in range(5)]
    np.testing.assert_allclose(*zip(*losses), rtol=1e-4)
    assert losses[-1][0] < losses[0][0]  # the step trains


def test_inplace_workload_agrees_with_torch():
    np.testing.assert_allclose(bench.make_inplace("cr")().numpy(),
                               bench.make_inplace("torch")().numpy(), rtol=1e-10)


def test_gp_and_fft_workloads_agree_with_torch():
    for name in ("gp", "fft"):
        make = getattr(bench, f"make_{name}")
        np.testing.assert_allclose(np.asarray(make("cr")()), make("torch")().numpy(),
                                   rtol=1e-6, err_msg=name)  # K is ill-conditioned


def test_runner_prints_a_ratio_per_workload(capsys):
    bench.main(["chain", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "chain" in out and "ratio" in out
