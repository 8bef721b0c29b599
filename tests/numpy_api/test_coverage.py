"""docs/numpy_coverage.md is generated from the code (tools/numpy_coverage.py): it must be
current, its sample table must name real functions, and no derivative may disagree with finite
differences."""

from __future__ import annotations

import pytest
from tools import numpy_coverage as _coverage

import chainrule.numpy as np

REGENERATE = "python tools/numpy_coverage.py"


@pytest.fixture(scope="module")
def sections():
    return _coverage.rows()


def test_committed_table_is_current():
    committed = _coverage.DOC_PATH.read_text() if _coverage.DOC_PATH.exists() else ""
    assert committed == _coverage.render(), (
        f"docs/numpy_coverage.md is stale: run `{REGENERATE}` and commit the result")


def test_every_sample_names_a_function():
    import chainrule.scipy.linalg
    import chainrule.scipy.special
    import chainrule.scipy.stats

    roots = {"": np, "linalg.": np.linalg, "fft.": np.fft,
             "scipy.special.": chainrule.scipy.special, "scipy.stats.": chainrule.scipy.stats,
             "scipy.linalg.": chainrule.scipy.linalg}
    for key in _coverage.SAMPLES:
        prefix = max((p for p in roots if key.startswith(p)), key=len)
        obj = roots[prefix]
        for part in key[len(prefix):].split("."):
            if part != "*":
                obj = getattr(obj, part)
        assert callable(obj) or key.endswith(".*") or key in _coverage.INDEXERS, key


def test_no_derivative_disagrees_with_finite_differences(sections):
    bad = [f"{r.name}: {r.notes}" for rs in sections.values() for r in rs
           if {"WRONG", "error"} & {r.reverse, r.forward, r.second}]
    assert not bad, "derivatives that disagree with finite differences or fail:\n" + \
        "\n".join(bad)


def test_every_differentiable_function_was_checked(sections):
    unchecked = [r.name for rs in sections.values() for r in rs if r.reverse == "?"]
    assert not unchecked, (f"no sample input for {unchecked}: add a line to SAMPLES in "
                           f"tools/numpy_coverage.py, then run `{REGENERATE}`")


def test_table_flags_a_dropped_gradient():
    """The probe is not fooled by a function that returns the right values without a
    gradient."""

    def dropped(x):
        return np.asarray(x.detach() if hasattr(x, "detach") else x) * 2.0

    rev, fwd, _, _ = _coverage.probe(dropped, (_coverage.V,))
    assert (rev, fwd) == ("WRONG", "WRONG")
    rev, fwd, notes, second = _coverage.probe(np.sin, (_coverage.V,))
    assert (rev, fwd, second) == ("yes", "yes", "yes") and "sin" in notes


def test_every_first_order_derivative_has_a_checked_second_order(sections):
    """Each function whose gradient agrees with finite differences also has its v^T H v (forward
    over reverse) checked against finite differences of that gradient."""
    missing = [r.name for rs in sections.values() for r in rs
               if r.reverse in ("yes", "yes (0)") and r.second != "yes"]
    assert not missing, f"second order not confirmed for {missing}"


def test_second_order_check_flags_a_wrong_hessian():
    """A function whose gradient is right but not differentiable (its backward uses detached
    values) is caught by the second-order column."""
    import chainrule as cr

    @cr.custom_vjp
    def cube(x):
        return x ** 3

    def fwd(x):
        return x ** 3, x

    def bwd(x, g):
        xd = x.detach() if hasattr(x, "detach") else x
        return (g * 3 * np.asarray(xd) ** 2,)

    cube.defvjp(fwd, bwd)
    rev, fwd_mode, _, second = _coverage.probe(cube, (_coverage.V,))
    assert rev == "yes" and second == "WRONG"
    assert _coverage.probe(lambda x: x ** 3, (_coverage.V,))[3] == "yes"
