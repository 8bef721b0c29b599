"""compile and vmap over every differentiable function of the NumPy/SciPy coverage table
(tools/numpy_coverage.py, as tests/functional/test_composition.py uses it).

- ``compile``: the compiled function, called on the table's sample and then on a perturbed one,
  equals eager execution on the perturbed one (no value of the first call is kept), and so does
  the gradient of the table's scalarised function through the compiled one; or it raises
  ``TracingError`` (the function reads values in Python: docs/compile.md lists them), never a
  wrong value.
- ``vmap``: over a batch of three perturbed samples, equal to a loop over them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from tools import numpy_coverage as _coverage
from tools.numpy_coverage import _quiet

import chainrule as cr

RTOL, ATOL = 1e-10, 1e-12
# values that are not defined (uninitialised memory): nothing to compare
UNDEFINED = {"empty_like", "empty"}


@pytest.fixture(scope="module")
def rows():
    out = [r for rs in _coverage.rows().values() for r in rs
           if r.reverse in ("yes", "yes (0)") and r.fn is not None and r.name not in UNDEFINED]
    assert len(out) > 300
    return out


def _case(row):
    """(function of the float arguments, their sample values, the scalarised function)."""
    s = _coverage._Scalarised(row.fn, row.args)
    xs = [_coverage._get(row.args, slot) for slot in s.slots]
    sym = [isinstance(_coverage._arg(row.args, slot), _coverage.Sym) for slot in s.slots]

    def fn(*floats):
        return row.fn(*s.full(floats))

    return fn, xs, sym, s


def _perturbed(xs, sym, seed):
    rng = np.random.default_rng(seed)
    out = []
    for x, sy in zip(xs, sym):
        d = 0.03 * rng.standard_normal(x.shape)
        if sy:
            d = (d + np.swapaxes(d, -1, -2)) / 2
        out.append(x * (1 + d) if not sy else x + d * np.abs(x).max())
    return out


def _values(out):
    return [np.asarray(o.detach().numpy() if isinstance(o, cr.Tensor) else o)
            for o in _coverage._leaves(out)]


def _close(a, b):
    return len(a) == len(b) and all(
        x.shape == y.shape and np.allclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True)
        for x, y in zip(a, b))


def test_compile_over_the_coverage_table(rows):
    wrong, refused = [], []
    for row in rows:
        with _quiet(), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fn, xs, sym, s = _case(row)
            xs2 = _perturbed(xs, sym, 1)
            c = cr.compile(fn)
            try:
                c(*xs)
                got = _values(c(*xs2))
                g = cr.grad(cr.compile(s), argnums=tuple(range(len(xs))))(*xs2)
            except cr.TracingError:
                refused.append(row.name)
                continue
            want = _values(fn(*xs2))
            gw = cr.grad(s, argnums=tuple(range(len(xs))))(*xs2)
            if not (_close(got, want) and _close(_values(g), _values(gw))):
                wrong.append(row.name)
    assert not wrong, f"compiled differs from eager: {wrong}"
    assert len(refused) < len(rows) // 10, refused  # the few that read values in Python


def test_vmap_over_the_coverage_table(rows):
    wrong = []
    for row in rows:
        with _quiet(), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fn, xs, sym, _ = _case(row)
            batch = [_perturbed(xs, sym, seed) for seed in (2, 3, 4)]
            stacked = [np.stack([b[k] for b in batch]) for k in range(len(xs))]
            got = _values(cr.vmap(fn)(*stacked))
            per = [_values(fn(*b)) for b in batch]
            want = [np.stack([p[k] for p in per]) for k in range(len(per[0]))]
            if not _close(got, want):
                wrong.append(row.name)
    assert not wrong, f"vmap differs from the loop: {wrong}"
