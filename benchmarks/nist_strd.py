"""chainrule.optimize.least_squares beside SciPy's on the NIST StRD nonlinear regression
problems (issue "chainrule.optimize").

    python benchmarks/nist_strd.py            # every problem, both starts (about a minute)

For each problem and starting point: chainrule's ``least_squares`` with ``method="trf"``,
``"lm"`` and ``"dogbox"`` at its default arguments (Jacobian by AD, ``jac="auto"``), and
``scipy.optimize.least_squares`` with ``"trf"`` and ``"lm"``, given the exact Jacobian by
chainrule (``chainrule.jacobian``, which picks forward mode here: fewer parameters than
residuals) or finite differences (``"2-point"``), tolerances at 1e-15 (at its defaults SciPy
stops near 7 digits). Prints the LRE (digits agreeing with NIST's certified values, worst
parameter, capped at 11; 0 for a failed fit) and nfev per fit, then per variant: the mean LRE,
the pairs with 6 digits or more, the digits of the certified standard errors (chainrule), the
median nfev, and the wall time per fit. SciPy's nfev leaves out Jacobian evaluations;
chainrule's counts every call of the residual function (a forward-mode pass gives residuals and
Jacobian at once, and counts once). A measurement, not a test: nothing asserts (the floors are
tests/optimize/test_nist.py).
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as onp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools import nist_strd  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule.optimize import least_squares as cr_least_squares  # noqa: E402

try:
    from scipy.optimize import least_squares
except ImportError:  # pragma: no cover - the scipy extra
    sys.exit("benchmarks/nist_strd.py needs SciPy: pip install 'chainrule[scipy]'")

# (library, method, Jacobian)
VARIANTS = [("chainrule", "trf", "ad"), ("chainrule", "lm", "ad"), ("chainrule", "dogbox", "ad"),
            ("scipy", "trf", "ad"), ("scipy", "trf", "fd"), ("scipy", "lm", "ad"),
            ("scipy", "lm", "fd")]


def fit(problem, start, lib, method, jac):
    """(LRE of x, LRE of the standard errors or None, nfev, seconds)."""
    fun = problem.residuals
    with warnings.catch_warnings(), onp.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        try:
            if lib == "chainrule":
                res = cr_least_squares(fun, start, method=method)
            else:
                j = cr.jacobian(fun) if jac == "ad" else "2-point"
                res = least_squares(fun, start, jac=j, method=method, ftol=1e-15, xtol=1e-15,
                                    gtol=1e-15, max_nfev=10000)
        except Exception:  # a failed fit scores 0 digits
            return 0.0, None, -1, time.perf_counter() - t0
        seconds = time.perf_counter() - t0
    sd = nist_strd.lre(res.stderr, problem.certified_sd) if lib == "chainrule" else None
    return nist_strd.lre(res.x, problem.certified), sd, res.nfev, seconds


def _label(v):
    return f"{'cr' if v[0] == 'chainrule' else 'sp'}-{v[1]}-{v[2]}"


def main() -> int:
    print(f"{'problem':10s} st " + " ".join(f"{_label(v):>16s}" for v in VARIANTS))
    rows = {v: [] for v in VARIANTS}
    for name in nist_strd.names():
        p = nist_strd.load(name)
        for k, start in enumerate(p.starts, 1):
            cells = []
            for v in VARIANTS:
                digits, sd, nfev, sec = fit(p, start, *v)
                rows[v].append((digits, sd, nfev, sec))
                cells.append(f"{digits:5.2f} ({nfev:6d})")
            print(f"{name:10s} {k:2d} " + " ".join(f"{c:>16s}" for c in cells))
    print()
    print("LRE: digits of the certified parameters (worst parameter, capped at 11); nfev in ()")
    for v, r in rows.items():
        d = onp.array([x[0] for x in r])
        nfev = onp.array([x[2] for x in r])
        sec = onp.array([x[3] for x in r])
        sd = [x[1] for x in r if x[1] is not None]
        sd_txt = f", stderr digits min {min(sd):.2f} (>= 4: {sum(s >= 4 for s in sd)}/" \
                 f"{len(sd)})" if sd else ""
        print(f"{_label(v):16s} mean LRE {d.mean():5.2f}, >= 6 digits {int((d >= 6).sum())}/"
              f"{d.size}, min {d.min():5.2f}, median nfev {onp.median(nfev):5.1f}, "
              f"wall per fit {1e3 * sec.mean():6.1f} ms (median {1e3 * onp.median(sec):5.1f})"
              f"{sd_txt}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
