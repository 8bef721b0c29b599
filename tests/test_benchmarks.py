"""The benchmark workloads compute the same thing in chainrule and PyTorch (so the timings in
benchmarks/run.py compare like with like). Nothing here is timed."""

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import chainrule as cr

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


def test_ode_benchmark_times_the_same_gradients_in_both_libraries(capsys):
    """benchmarks/ode.py (chainrule's ODE solvers against torchdiffeq): each timed chainrule
    gradient equals its torchdiffeq peer's, and the quick run prints its table."""
    pytest.importorskip("torchdiffeq", reason="torchdiffeq (the 'test' extra) is the peer")
    spec = importlib.util.spec_from_file_location(
        "bench_ode", pathlib.Path(__file__).parents[1] / "benchmarks" / "ode.py")
    ode = importlib.util.module_from_spec(spec)
    sys.modules["bench_ode"] = ode  # its dataclass looks its module up there
    spec.loader.exec_module(ode)
    for name, p in ode.problems(quick=True).items():
        for s in ode.SENSEALGS:
            ours, peer = ode.cr_grad(p, s)(), ode.td_grad(p, ode.PEER[s])()
            assert len(ours) == len(peer) == 1 + len(p.params)
            for a, b in zip(ours, peer):  # the quick solves' tolerances are 1e-5 to 1e-7
                np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3 * np.abs(b).max(),
                                           err_msg=f"{name} {s}")
    ode.main(["--quick", "lv"])
    out = capsys.readouterr().out
    assert "ratio" in out and all(f"lv      {s}" in out for s in ode.SENSEALGS)


def test_compile_benchmark_times_what_eager_chainrule_computes(capsys):
    """benchmarks/compile.py (chainrule.compile against eager chainrule, hand-written NumPy and
    jax.jit): the hand-written gradient is the chain's, every compiled variant of every workload
    runs and returns eager chainrule's results, and the quick run prints every table."""
    spec = importlib.util.spec_from_file_location(
        "bench_compile", pathlib.Path(__file__).parents[1] / "benchmarks" / "compile.py")
    cb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cb)
    x = np.array([0.3])
    value, grad = cr.value_and_grad(cb.chain)(x)
    hand_value, hand_grad = cb.chain_hand(x)
    np.testing.assert_allclose(hand_value, value, rtol=1e-12)
    np.testing.assert_allclose(hand_grad, grad, rtol=1e-12)
    results = cb.main(["--quick", "--no-jax", "--backends", "numpy"])
    out = capsys.readouterr().out
    assert set(results) == set(cb.WORKLOADS)
    assert all(f"\n{name}:" in out for name in cb.WORKLOADS) and "eager/this" in out
    for name, res in results.items():
        for v in res["variants"]:
            if v.kind == "jax":
                continue
            assert v.time is not None, f"{name} {v.name}: {v.missing}"
            assert v.err <= 1e-6, f"{name} {v.name}: results differ from eager by {v.err}"
    (text, seconds, ok), = results["compile_time"]["floors"]
    assert 0 < seconds < 5, text  # trace + code generation of 2,500 operations
