"""The table of integrands f(x, p) for tests/integrate: each in chainrule.numpy (the code under
test) and in mpmath (the reference), with limits and a parameter value. Run
``python tests/integrate/_cases.py`` to regenerate mpmath_refs.json (about two minutes)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import chainrule.numpy as cnp

INF = math.inf
REFS = Path(__file__).with_name("mpmath_refs.json")

# name: (chainrule f, mpmath f (built lazily from the mpmath module), a, b, p)
CASES = {
    "smooth": (lambda x, p: cnp.exp(-p * x) * cnp.sin(3 * x),
               lambda mp: lambda x, p: mp.exp(-p * x) * mp.sin(3 * x), 0.2, 2.0, 0.7),
    "peaked": (lambda x, p: 1 / (p + x * x),
               lambda mp: lambda x, p: 1 / (p + x * x), -1.0, 1.0, 1e-3),
    "oscillatory": (lambda x, p: cnp.cos(p * x),
                    lambda mp: lambda x, p: mp.cos(p * x), 0.0, 3.0, 20.0),
    "gauss_inf": (lambda x, p: cnp.exp(-p * x * x),
                  lambda mp: lambda x, p: mp.exp(-p * x * x), -INF, INF, 1.3),
    "lorentz_half": (lambda x, p: 1 / (p + x * x),
                     lambda mp: lambda x, p: 1 / (p + x * x), 0.5, INF, 1.5),
    "inv_sqrt": (lambda x, p: x ** (p - 1),
                 lambda mp: lambda x, p: x ** (p - 1), 0.0, 1.0, 0.5),
    "log": (lambda x, p: cnp.log(x) * cnp.cos(p * x),
            lambda mp: lambda x, p: mp.log(x) * mp.cos(p * x), 0.0, 1.0, 2.0),
}

# Partial derivatives (order in a, order in b, order in p), orders 1-3; those with respect to
# an infinite limit, or a limit where f is singular, are left out (tested apart).
ORDERS = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 0, 2), (0, 1, 1), (0, 2, 0), (1, 0, 1),
          (1, 1, 0), (0, 0, 3), (0, 1, 2), (1, 1, 1)]


def usable(name: str, order: tuple) -> bool:
    _, _, a, b, _ = CASES[name]
    if order[0] and (math.isinf(a) or name in ("inv_sqrt", "log")):
        return False
    return not (order[1] and math.isinf(b))


def _reference(name: str, order: tuple) -> float:
    import mpmath as mp
    mp.mp.dps = 30
    _, mk, a, b, p = CASES[name]
    f = mk(mp)
    a0 = -mp.inf if a == -INF else mp.mpf(a)
    b0 = mp.inf if b == INF else mp.mpf(b)

    # A fixed interior breakpoint: a derivative in one limit then moves only the smooth piece
    # next to it (mpmath.diff through an endpoint singularity is inaccurate).
    mid = 0 if name == "peaked" or a == -INF else (a + 1 if b == INF else (a + b) / 2)

    def F(a, b, p):
        return mp.quad(lambda x: f(x, p), [a, mid, b])

    base = [a0, b0, mp.mpf(p)]
    which = [k for k in range(3) if order[k]]
    if not which:
        return float(F(*base))

    def H(*vals):
        args = list(base)
        for k, v in zip(which, vals):
            args[k] = v
        return F(*args)
    return float(mp.diff(H, tuple(base[k] for k in which), tuple(order[k] for k in which)))


def main() -> None:
    refs = {}
    for name in CASES:
        refs[name] = {"0,0,0": _reference(name, (0, 0, 0))}
        for order in ORDERS:
            if usable(name, order):
                refs[name][",".join(map(str, order))] = _reference(name, order)
        print(name, refs[name])
    REFS.write_text(json.dumps(refs, indent=1) + "\n")


if __name__ == "__main__":
    main()
