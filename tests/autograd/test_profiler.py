"""chainrule.autograd.profiler.profile: key averages, sorting, self time, Chrome trace."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import dispatch
from chainrule.autograd.profiler import profile


def leaf(values):
    return cr.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def program(x):
    y = cr.sin(x)
    for _ in range(3):
        y = y * 1.5
    return (y + x).sum()


def rows(table):
    """The data rows of a table, as lists of cells."""
    lines = table.splitlines()
    seps = [i for i, s in enumerate(lines) if s.startswith("---")]
    return [lines[i].split() for i in range(seps[1] + 1, seps[2])]


def averages(prof):
    return {(a.key, a.category): a for a in prof.key_averages()}


def test_counts_forward_and_backward():
    x = leaf([0.5, 1.0])
    program(x)  # not recorded: outside the profiler
    with profile() as prof:
        program(x).backward()
    assert not dispatch.instrumented
    counts = {k: a.count for k, a in averages(prof).items()}
    assert counts == {
        ("sin", "forward"): 1, ("mul", "forward"): 3, ("add", "forward"): 1,
        ("sum", "forward"): 1, ("SumBackward0", "backward"): 1,
        ("AddBackward0", "backward"): 1, ("MulBackward0", "backward"): 3,
        ("SinBackward0", "backward"): 1,
    }
    for a in prof.key_averages():
        assert 0 <= a.self_cpu_time_total <= a.cpu_time_total + 1e-9
    table = prof.key_averages().table()
    names = {(r[0], r[1]) for r in rows(table)}
    assert names == set(counts)
    np.testing.assert_allclose(x.grad.numpy(), 1.5 ** 3 * np.cos([0.5, 1.0]) + 1)


@pytest.mark.parametrize("key", ["self_cpu_time_total", "cpu_time_total", "count"])
def test_sorting_and_row_limit(key):
    x = leaf([0.5, 1.0])
    with profile() as prof:
        program(x).backward()
    avgs = sorted(prof.key_averages(), key=lambda a: getattr(a, key), reverse=True)
    table = prof.key_averages().table(sort_by=key, row_limit=3)
    got = rows(table)
    assert [(r[0], r[1]) for r in got] == [(a.key, a.category) for a in avgs[:3]]
    if key == "count":
        assert got[0][:2] == ["mul", "forward"] or got[0][:2] == ["MulBackward0", "backward"]
        assert got[0][-1] == "3"
    with pytest.raises(ValueError, match="sort_by"):
        prof.key_averages().table(sort_by="bogus")


def test_self_time_excludes_ops_recorded_by_rules():
    x = leaf([0.5, 1.0])
    with profile() as prof:
        y = cr.sin(x).sum()
        (g,) = cr.autograd.grad(y, x, create_graph=True)
    evs = prof.function_events
    sin_bw = [e for e in evs if e.name == "SinBackward0"]
    assert len(sin_bw) == 1
    e = sin_bw[0]
    # SinBackward0's rule (v * cos(x)) records cos and mul, nested in it
    nested = [f for f in evs if f.category == "forward" and f.start_ns >= e.start_ns
              and f.end_ns <= e.end_ns]
    assert {f.name for f in nested} >= {"cos", "mul"}
    assert e.child_ns >= sum(f.end_ns - f.start_ns for f in nested)
    assert e.self_cpu_time_total < e.cpu_time_total
    np.testing.assert_allclose(g.detach().numpy(), np.cos([0.5, 1.0]))


def test_chrome_trace(tmp_path):
    x = leaf([0.5, 1.0])
    with profile() as prof:
        program(x).backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    data = json.loads(path.read_text())
    events = data["traceEvents"]
    assert len(events) == len(prof.function_events) == 12  # 6 forward ops, 6 backward nodes
    for ev in events:
        assert set(ev) >= {"name", "ph", "ts", "dur", "pid", "tid", "cat"}
        assert ev["ph"] == "X" and ev["cat"] in ("forward", "backward")
        assert ev["ts"] >= 0 and ev["dur"] >= 0
    assert sum(ev["cat"] == "backward" for ev in events) == 6
    assert [ev["name"] for ev in events][:2] == ["sin", "mul"]


def test_disabled_and_anomaly_together():
    x = leaf([0.5])
    with profile(enabled=False) as prof:
        program(x)
    assert len(prof.function_events) == 0
    with cr.autograd.detect_anomaly(), profile() as prof:
        program(x).backward()
    assert dispatch.instrumented is False
    assert averages(prof)[("MulBackward0", "backward")].count == 3
    assert "MulBackward0" in str(prof)


def test_forward_mode_tangents_are_timed_apart():
    """Under forward mode, each operation's tangent computation is a "jvp" event of that
    operation, and the operations it runs are profiled inside it."""
    from chainrule.autograd import forward_ad as fwad

    with profile() as prof:
        with fwad.dual_level():
            x = fwad.make_dual(cr.tensor([0.3, 0.5]), cr.tensor([1.0, 0.0]))
            y = cr.sin(x) * x
            fwad.unpack_dual(y)
    avg = averages(prof)
    assert avg[("sin", "jvp")].count == 1 and avg[("mul", "jvp")].count == 1
    assert avg[("cos", "forward")].count == 1  # sin's tangent rule calls cos
    jvp = next(e for e in prof.function_events if e.name == "sin" and e.category == "jvp")
    assert jvp.self_cpu_time_total <= jvp.cpu_time_total
    assert dispatch.instrumented is False
