"""The NIST StRD nonlinear regression problems (tests/data/nist_strd, public domain): reading
the files, the 27 models written with ``chainrule.numpy``, and the log relative error (LRE)
by which solvers are compared.

    from tools import nist_strd
    p = nist_strd.load("Misra1a")       # data, starts, certified values
    r = p.residuals(p.starts[0])        # model(b, x) - y, differentiable in b
    nist_strd.lre(estimate, p.certified)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as onp

import chainrule.numpy as np

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "nist_strd"


def _poly(b, x, num, den):
    """(b[num[0]] + b[num[1]] x + ...) / (1 + b[den[0]] x + ...): the rational models."""
    top = sum(b[k] * x**i for i, k in enumerate(num))
    bottom = 1 + sum(b[k] * x ** (i + 1) for i, k in enumerate(den))
    return top / bottom


def _gauss(b, x):
    return (b[0] * np.exp(-b[1] * x) + b[2] * np.exp(-((x - b[3]) ** 2) / b[4] ** 2)
            + b[5] * np.exp(-((x - b[6]) ** 2) / b[7] ** 2))


def _lanczos(b, x):
    return b[0] * np.exp(-b[1] * x) + b[2] * np.exp(-b[3] * x) + b[4] * np.exp(-b[5] * x)


def _enso(b, x):
    w = 2 * np.pi * x
    return (b[0] + b[1] * np.cos(w / 12) + b[2] * np.sin(w / 12)
            + b[4] * np.cos(w / b[3]) + b[5] * np.sin(w / b[3])
            + b[7] * np.cos(w / b[6]) + b[8] * np.sin(w / b[6]))


# name -> model(b, x), as each file states it (x is a tuple of columns for Nelson)
MODELS = {
    "Bennett5": lambda b, x: b[0] * (b[1] + x) ** (-1 / b[2]),
    "BoxBOD": lambda b, x: b[0] * (1 - np.exp(-b[1] * x)),
    "Chwirut1": lambda b, x: np.exp(-b[0] * x) / (b[1] + b[2] * x),
    "Chwirut2": lambda b, x: np.exp(-b[0] * x) / (b[1] + b[2] * x),
    "DanWood": lambda b, x: b[0] * x ** b[1],
    "ENSO": _enso,
    "Eckerle4": lambda b, x: (b[0] / b[1]) * np.exp(-0.5 * ((x - b[2]) / b[1]) ** 2),
    "Gauss1": _gauss,
    "Gauss2": _gauss,
    "Gauss3": _gauss,
    "Hahn1": lambda b, x: _poly(b, x, (0, 1, 2, 3), (4, 5, 6)),
    "Kirby2": lambda b, x: _poly(b, x, (0, 1, 2), (3, 4)),
    "Lanczos1": _lanczos,
    "Lanczos2": _lanczos,
    "Lanczos3": _lanczos,
    "MGH09": lambda b, x: b[0] * (x**2 + x * b[1]) / (x**2 + x * b[2] + b[3]),
    "MGH10": lambda b, x: b[0] * np.exp(b[1] / (x + b[2])),
    "MGH17": lambda b, x: b[0] + b[1] * np.exp(-x * b[3]) + b[2] * np.exp(-x * b[4]),
    "Misra1a": lambda b, x: b[0] * (1 - np.exp(-b[1] * x)),
    "Misra1b": lambda b, x: b[0] * (1 - (1 + b[1] * x / 2) ** (-2)),
    "Misra1c": lambda b, x: b[0] * (1 - (1 + 2 * b[1] * x) ** (-0.5)),
    "Misra1d": lambda b, x: b[0] * b[1] * x * ((1 + b[1] * x) ** (-1)),
    "Nelson": lambda b, x: b[0] - b[1] * x[0] * np.exp(-b[2] * x[1]),  # models log(y)
    "Rat42": lambda b, x: b[0] / (1 + np.exp(b[1] - b[2] * x)),
    "Rat43": lambda b, x: b[0] / ((1 + np.exp(b[1] - b[2] * x)) ** (1 / b[3])),
    "Roszman1": lambda b, x: b[0] - b[1] * x - np.arctan(b[2] / (x - b[3])) / np.pi,
    "Thurber": lambda b, x: _poly(b, x, (0, 1, 2, 3), (4, 5, 6)),
}


@dataclass
class Problem:
    name: str
    x: object  # an array, or a tuple of arrays (Nelson)
    y: onp.ndarray
    starts: tuple  # two starting points
    certified: onp.ndarray
    certified_sd: onp.ndarray
    certified_rss: float

    def model(self, b):
        return MODELS[self.name](b, self.x)

    def residuals(self, b):
        """model(b) - y (Nelson: model(b) - log y, as NIST states its model)."""
        return self.model(b) - self.y


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def load(name: str) -> Problem:
    """The problem ``name`` (e.g. "Misra1a") read from its NIST file."""
    lines = (DATA / f"{name}.dat").read_text().splitlines()
    params = []
    for ln in lines:
        m = re.match(rf"\s*b\d+\s*=\s*({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})",
                     ln)
        if m:
            params.append([float(v) for v in m.groups()])
    rss = next(float(ln.split(":")[1]) for ln in lines
               if ln.startswith("Residual Sum of Squares"))
    head = max(i for i, ln in enumerate(lines) if ln.startswith("Data:"))
    rows = [[float(v) for v in ln.split()] for ln in lines[head + 1:] if ln.strip()]
    cols = onp.array(rows).T
    p = onp.array(params)
    y, xs = cols[0], cols[1:]
    x = tuple(xs) if len(xs) > 1 else xs[0]
    if name == "Nelson":
        y = onp.log(y)
    return Problem(name, x, y, (p[:, 0], p[:, 1]), p[:, 2], p[:, 3], rss)


def names() -> list[str]:
    return sorted(MODELS)


def lre(estimate, certified, cap: float = 11.0) -> float:
    """The log relative error of the worst parameter: digits that agree, 0 to ``cap``."""
    est, cert = onp.asarray(estimate, float), onp.asarray(certified, float)
    with onp.errstate(divide="ignore", invalid="ignore"):
        rel = onp.abs(est - cert) / onp.abs(cert)
        digits = onp.where(rel == 0, cap, -onp.log10(rel))
    digits = onp.nan_to_num(digits, nan=0.0)
    return float(onp.clip(digits, 0.0, cap).min())
