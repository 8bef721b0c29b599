"""PyTorch's operator database (op_db) run through chainrule's PyTorch face.

docs/torch_coverage.md is generated from a full run (``python tools/torch_coverage.py
--write``, about 10 minutes); these tests re-run every row on its first samples and fail when
the table is stale (either way: a row fixed or broken), when any row is wrong, when the pass
count falls below the table's ratchet, and when a second-order gradient disagrees with
torch's. They also check that the harness catches a wrong value, a dropped or wrong gradient,
and tells a clear refusal from a bug."""

from __future__ import annotations

import re

import pytest
from tools import torch_coverage as tc

REGENERATE = "python tools/torch_coverage.py --write"
# Every row is re-run on its first PREFIX sample inputs (a full run takes minutes).
PREFIX = 10
# Second order: every passing differentiable row on its first GRADGRAD_SAMPLES samples.
GRADGRAD_SAMPLES = 3


@pytest.fixture(scope="module")
def doc():
    floor, rows = tc.parse_doc()
    assert rows, f"docs/torch_coverage.md has no rows: run `{REGENERATE}`"
    return floor, rows


@pytest.fixture(scope="module")
def spellings():
    return tc.spellings()


def _doc_row(rows, s):
    return rows.get((s.operation, s.chainrule_name))


def test_table_lists_every_spelling_of_op_db(doc, spellings):
    _, rows = doc
    ours = {(s.operation, s.chainrule_name) for s in spellings}
    assert set(rows) == ours, (
        f"docs/torch_coverage.md does not list op_db's spellings (missing "
        f"{sorted(ours - set(rows))[:5]}, extra {sorted(set(rows) - ours)[:5]}): "
        f"run `{REGENERATE}`")


def _first_failing_sample(notes: str) -> int | None:
    m = re.match(r"sample (\d+):", notes)
    return int(m.group(1)) if m else None


def test_every_row_is_current_on_its_first_samples(doc, spellings):
    """Each row re-run on its first PREFIX samples agrees with the table: a row that was
    fixed, added or broken must be regenerated. (The full run is the tool's; a prefix of a
    passing row passes, and a row failing on an early sample fails there the same way.)"""
    _, rows = doc
    stale = []
    for s in spellings:
        want = _doc_row(rows, s)
        if want is None:
            continue  # test_table_lists_every_spelling_of_op_db names it
        status, rev, fwd, notes = want
        r = tc.check(s, max_samples=PREFIX)
        k = _first_failing_sample(notes)
        if status in ("pass", "missing") or (k is not None and k < PREFIX):
            ok = r.status == status
        else:  # the failing sample lies beyond the prefix: no worse there
            ok = r.status != "missing" and tc.RANK[r.status] <= tc.RANK[status]
        if ok and r.samples < PREFIX and status != "missing":  # the prefix was every sample
            ok = (r.reverse, r.forward) == (rev, fwd)
        if not ok:
            stale.append(f"{s.operation} {s.chainrule_name}: table {status} {rev} {fwd} "
                         f"({notes}); now {r.status} {r.reverse} {r.forward} ({r.note})")
    assert not stale, (f"docs/torch_coverage.md is stale: run `{REGENERATE}`\n" +
                       "\n".join(stale))


def test_no_row_is_wrong(doc):
    _, rows = doc
    wrong = [f"{op} {name}: {notes}" for (op, name), (status, _, _, notes) in rows.items()
             if status == "wrong"]
    assert not wrong, "values or derivatives that disagree with torch:\n" + "\n".join(wrong)


def test_pass_count_does_not_fall(doc):
    floor, rows = doc
    passed = sum(status == "pass" for status, *_ in rows.values())
    assert floor > 0 and passed >= floor, (
        f"{passed} rows pass, fewer than the {floor} recorded when the table was last "
        f"regenerated")


def test_second_order_gradients_agree_with_torch(doc, spellings):
    """Every passing row with checked gradients, on its first samples: the gradient along a
    fixed cotangent, differentiated again along a fixed direction, equals torch's (rows whose
    gradient is constant, or whose second order op_db does not test, compare nothing)."""
    _, rows = doc
    differentiable = [s for s in spellings
                      if (_doc_row(rows, s) or ("", ""))[:2] == ("pass", "yes")]
    compared, failures = 0, []
    for s in differentiable:
        try:
            compared += tc.check_gradgrad(s, max_samples=GRADGRAD_SAMPLES)
        except Exception as exc:  # noqa: BLE001 - every failure is listed
            failures.append(f"{s.operation} {s.chainrule_name}: {type(exc).__name__}: {exc}")
    assert not failures, "second-order gradients that disagree with torch's:\n" + \
        "\n".join(failures)
    assert compared >= len(differentiable) // 3, (compared, len(differentiable))


def _sin_row():
    return next(s for s in tc.spellings() if s.operation == "sin" and s.ns == "torch")


def test_harness_flags_a_wrong_value(monkeypatch):
    import chainrule

    real = tc._callables
    monkeypatch.setattr(tc, "_callables",
                        lambda s, op: (real(s, op)[0], lambda x: chainrule.sin(x) * 1.000001))
    r = tc.check(_sin_row())
    assert r.status == "wrong" and "max abs difference" in r.note


def test_harness_flags_a_dropped_gradient(monkeypatch):
    import chainrule

    real = tc._callables
    monkeypatch.setattr(tc, "_callables", lambda s, op: (
        real(s, op)[0], lambda x: chainrule.tensor(chainrule.sin(x).detach().numpy())))
    r = tc.check(_sin_row())
    assert r.status == "wrong" and "gradient lost" in r.note


def test_harness_flags_a_wrong_gradient(monkeypatch):
    import chainrule

    real = tc._callables

    def sin_with_wrong_derivative(x):
        y = chainrule.sin(x)
        return y + (x - x.detach()) * 1e-3  # same values, gradient off by 1e-3

    monkeypatch.setattr(tc, "_callables", lambda s, op: (real(s, op)[0],
                                                         sin_with_wrong_derivative))
    r = tc.check(_sin_row())
    assert r.status == "wrong" and "gradient" in r.note and r.reverse == "no"


def test_harness_tells_unsupported_from_error(monkeypatch):
    real = tc._callables

    def refuses(x):
        raise NotImplementedError("sin: complex inputs are not supported")

    def breaks(x):
        raise KeyError("oops")

    monkeypatch.setattr(tc, "_callables", lambda s, op: (real(s, op)[0], refuses))
    assert tc.check(_sin_row()).status == "unsupported"
    monkeypatch.setattr(tc, "_callables", lambda s, op: (real(s, op)[0], breaks))
    assert tc.check(_sin_row()).status == "error"
