"""SciPy's least_squares on the NIST StRD nonlinear regression problems: the baseline that
chainrule.optimize is to beat (issue "chainrule.optimize").

    python benchmarks/nist_strd.py            # every problem, both starts

For each problem and starting point: ``scipy.optimize.least_squares`` with ``method="trf"``
and ``"lm"``, given the exact Jacobian by chainrule (``chainrule.jacobian``, which picks
forward mode here: fewer parameters than residuals) or finite differences (``"2-point"``),
tolerances at 1e-15. Prints the LRE (digits agreeing with NIST's certified values, worst
parameter, capped at 11; 0 for a failed fit) and the function evaluations, then the means.
A measurement, not a test: nothing asserts.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as onp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools import nist_strd  # noqa: E402

import chainrule as cr  # noqa: E402

try:
    from scipy.optimize import least_squares
except ImportError:  # pragma: no cover - the scipy extra
    sys.exit("benchmarks/nist_strd.py needs SciPy: pip install 'chainrule[scipy]'")

VARIANTS = [("trf", "ad"), ("trf", "fd"), ("lm", "ad"), ("lm", "fd")]


def fit(problem, start, method, jac):
    fun = problem.residuals
    j = cr.jacobian(fun) if jac == "ad" else "2-point"
    with warnings.catch_warnings(), onp.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            res = least_squares(fun, start, jac=j, method=method, ftol=1e-15, xtol=1e-15,
                                gtol=1e-15, max_nfev=10000)
        except Exception:  # a failed fit scores 0 digits
            return 0.0, -1
    return nist_strd.lre(res.x, problem.certified), res.nfev


def main() -> int:
    header = f"{'problem':10s} start " + " ".join(f"{m}-{j:>2s} (nfev)" for m, j in VARIANTS)
    print(header)
    scores = {v: [] for v in VARIANTS}
    for name in nist_strd.names():
        p = nist_strd.load(name)
        for k, start in enumerate(p.starts, 1):
            cells = []
            for v in VARIANTS:
                digits, nfev = fit(p, start, *v)
                scores[v].append(digits)
                cells.append(f"{digits:5.2f} ({nfev:5d})")
            print(f"{name:10s} {k:5d} " + " ".join(cells))
    print()
    for v, s in scores.items():
        s = onp.array(s)
        print(f"{v[0]:3s} {v[1]}: mean LRE {s.mean():.2f}, pairs with >= 6 digits "
              f"{int((s >= 6).sum())}/{s.size}, min {s.min():.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
