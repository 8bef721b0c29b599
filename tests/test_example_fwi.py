"""examples/seismic_fwi.py: the checkpointed gradient of the wave simulation is the plain
loop's, agrees with finite differences, takes a fraction of the memory, and drives an
inversion that lowers the misfit and the model error."""

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

EXAMPLE = EXAMPLES / "seismic_fwi.py"
fwi = load_example("seismic_fwi")


@pytest.fixture(scope="module")
def small():
    """24 x 24 grid, 300 steps, 3 shots (the reflections from the anomaly arrive by then)."""
    return fwi.observe(fwi.make_survey(24, 300, 3))


def test_checkpointed_gradient_is_the_plain_loops_and_matches_finite_differences(small):
    v = small.v_start + 30.0 * np.sin(np.arange(24))[None, :]  # not a stationary point
    f_ck, g_ck = fwi.misfit_and_gradient(v, small, checkpoints=6)
    f_plain, g_plain = fwi.misfit_and_gradient(v, small, checkpointed=False)
    assert f_ck == pytest.approx(f_plain, rel=1e-13)
    assert np.abs(g_ck - g_plain).max() <= 1e-12 * np.abs(g_plain).max()
    assert np.abs(g_ck[small.update]).max() > 0
    d = np.random.default_rng(0).normal(size=v.shape) * small.update  # m/s
    h = 0.02  # m/s: the central difference's error, O(h^2), is 1e-8 relative here
    fd = (float(fwi.misfit(v + h * d, small, checkpointed=False))
          - float(fwi.misfit(v - h * d, small, checkpointed=False))) / (2 * h)
    assert np.sum(g_ck * d) == pytest.approx(fd, rel=1e-7)


MEMORY = textwrap.dedent("""
    import importlib.util, sys, tracemalloc
    import numpy as np
    spec = importlib.util.spec_from_file_location("fwi", sys.argv[1])
    fwi = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fwi)
    survey = fwi.observe(fwi.make_survey(24, 400, 2))
    out = []
    tracemalloc.start()
    for checkpointed in (False, True):
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        f, g = fwi.misfit_and_gradient(survey.v_start, survey, 40, checkpointed)
        out += [tracemalloc.get_traced_memory()[1] - base, np.abs(g).sum()]
        del g
    print(*out)
""")


def test_checkpointed_gradient_takes_a_fifth_of_the_memory_or_less():
    res = subprocess.run([sys.executable, "-c", MEMORY, str(EXAMPLE)],
                         capture_output=True, text=True, check=True)
    plain, g_plain, ck, g_ck = map(float, res.stdout.split())
    assert g_ck == pytest.approx(g_plain, rel=1e-12)
    assert ck * 5 <= plain, (ck, plain)


def test_a_short_inversion_lowers_misfit_and_model_error(small):
    v, history = fwi.invert(small, iterations=4, verbose=False)
    f0 = float(fwi.misfit(small.v_start, small, checkpointed=False))
    f1 = float(fwi.misfit(v, small, checkpointed=False))
    assert history[0] == pytest.approx(f0, rel=1e-12)
    assert f1 < 0.3 * f0  # 0.16 measured
    e0, e1 = fwi.model_error(small.v_start, small), fwi.model_error(v, small)
    assert e1 < 0.95 * e0  # 98.2 -> 90.0 m/s measured
    np.testing.assert_array_equal(v[~small.update], small.v_start[~small.update])


def test_cfl_violation_and_missing_data_raise():
    survey = fwi.make_survey(24, 50, 2, dt=0.01)
    with pytest.raises(ValueError, match="CFL condition violated.*use dt <="):
        fwi.observe(survey)
    with pytest.raises(ValueError, match="observe"):
        fwi.misfit(survey.v_start, fwi.make_survey(24, 50, 2))


def test_plot_writes_a_png(tmp_path, capsys):
    path = tmp_path / "fwi.png"
    v, history = fwi.main(["--n", "24", "--steps", "200", "--shots", "2", "--iterations", "1",
                           "--storage", "disk", "--plot", str(path)])
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 20_000
    out = capsys.readouterr().out
    assert "model error" in out and str(path) in out
    assert history[-1] < history[0]
