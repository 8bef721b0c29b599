"""The adjoint methods' memory does not grow with the number of steps (each measurement in a
fresh interpreter; benchmarks/ode_memory.py runs the same from 100 to 100,000 steps)."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

_spec = importlib.util.spec_from_file_location(
    "bench_ode_memory", pathlib.Path(__file__).parents[2] / "benchmarks" / "ode_memory.py")
_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench)
measure = _bench.measure

N_STATE = 500
STEPS = (200, 1500)
STATE_MB = N_STATE * 8 / 1e6


@pytest.fixture(scope="module")
def peaks():
    return {(m, s): measure(m, s, N_STATE) for m in ("backsolve", "interpolating")
            for s in STEPS}


def test_backsolve_memory_is_flat_in_the_number_of_steps(peaks):
    small, large = (peaks["backsolve", s]["grad"] for s in STEPS)
    assert large <= 1.1 * small
    # a tape of the RK4 steps would hold at least 4 stages of the state each step
    assert large < 0.02 * STEPS[1] * 4 * STATE_MB * 1e6


def test_interpolating_memory_is_bounded(peaks):
    """Its dense output is a buffer of a fixed number of steps (a leaf of the recursive halving
    of each output interval, 64 steps) and each level of the halving keeps one state, so the
    peak hardly moves with the number of steps (measured about 340 and 360 states at 200 and
    1500 steps): within 10% here, and far below one state per step."""
    small, large = (peaks["interpolating", s]["grad"] for s in STEPS)
    assert large <= 1.1 * small
    assert large < STEPS[1] * STATE_MB * 1e6 / 3
