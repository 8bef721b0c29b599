"""The adaptive Gauss-Kronrod loop on plain NumPy (QUADPACK's QAG strategy, with QAGS-style
epsilon extrapolation): no derivatives here; ``_quad.py`` makes the result differentiable by
its own rules."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._gauss import gauss_kronrod

_EPS = np.finfo(float).eps
_TINY = np.finfo(float).tiny
_GK_N = 10  # G10/K21


class IntegrationError(ArithmeticError):
    """``quad`` could not reach the requested accuracy. ``value``, ``abserr`` and ``info``
    hold the best estimate it reached."""

    def __init__(self, message: str, value=None, abserr=None, info=None):
        super().__init__(message)
        self.value, self.abserr, self.info = value, abserr, info


@dataclass
class Options:
    epsabs: float
    epsrel: float
    limit: int
    points: tuple = ()


@dataclass
class Result:
    value: np.ndarray
    abserr: float
    info: dict = field(default_factory=dict)


def _rule(fn, lo: np.ndarray, hi: np.ndarray):
    """K21 and the error estimate on each interval [lo_i, hi_i], in one call of ``fn``.

    Returns (integrals (m, *S), error estimates (m,)): QUADPACK's estimate, which scales
    |K21 - G10| by the integrand's variation and never goes below 50 eps |∫|f||."""
    x, wk, wg = gauss_kronrod(_GK_N)
    c, h = (lo + hi) / 2, (hi - lo) / 2
    nodes = c[:, None] + h[:, None] * x[None, :]
    y = fn(nodes.ravel())
    m = len(lo)
    y = y.reshape((m, len(x)) + y.shape[1:])
    extra = (1,) * (y.ndim - 2)
    hh = np.abs(h).reshape((m,) + extra)
    k = np.einsum("k,mk...->m...", wk, y) * h.reshape((m,) + extra)
    g = np.einsum("k,mk...->m...", wg, y) * h.reshape((m,) + extra)
    resabs = np.einsum("k,mk...->m...", wk, np.abs(y)) * hh
    mean = np.einsum("k,mk...->m...", wk, y) / 2
    resasc = np.einsum("k,mk...->m...", wk, np.abs(y - mean[:, None])) * hh
    err = np.abs(k - g)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = resasc * np.minimum(1.0, (200 * err / resasc) ** 1.5)
    err = np.where((resasc != 0) & (err != 0), scaled, err)
    floor = 50 * _EPS * resabs
    err = np.where(resabs > _TINY / (50 * _EPS), np.maximum(floor, err), err)
    return k, err.reshape(m, -1).max(axis=1) if err.ndim > 1 else err


def integrate(fn, a: float, b: float, opts: Options, what: str) -> Result:
    """∫_a^b fn over a finite or infinite range; ``fn`` maps nodes (n,) to values (n, *S).

    ``what`` names the integral in the error message."""
    if a == b:
        y = fn(np.array([a if math.isfinite(a) else 0.0]))
        return Result(np.zeros(y.shape[1:]), 0.0, {"neval": 1, "last": 0})
    sign = 1.0
    if a > b:
        a, b, sign = b, a, -1.0
    points = sorted({float(p) for p in opts.points if a < float(p) < b})
    if math.isinf(a) or math.isinf(b):
        if points:
            raise ValueError(f"quad: `points` is only supported on finite intervals, got "
                             f"[{a}, {b}] with points={list(opts.points)}; split the integral "
                             f"at a finite value yourself")
        fn, edges = _mapped(fn, a, b), [0.0, 1.0]
    else:
        edges = [a] + points + [b]
    res = _adapt(fn, edges, opts, what, (a, b), sign)
    res.value = sign * res.value
    return res


def _mapped(fn, a: float, b: float):
    """The integrand on t in (0, 1] for an infinite range: x = a + (1-t)/t on [a, inf),
    x = b - (1-t)/t on (-inf, b], both halves folded on (-inf, inf); dx = dt / t^2."""
    def g(t):
        s = (1 - t) / t
        if math.isinf(a) and math.isinf(b):
            y = fn(np.concatenate([s, -s]))
            n = len(t)
            y = y[:n] + y[n:]
        elif math.isinf(b):
            y = fn(a + s)
        else:
            y = fn(b - s)
        return y / (t * t).reshape((-1,) + (1,) * (y.ndim - 1))
    return g


def _adapt(fn, edges: list, opts: Options, what: str, rng, sign) -> Result:
    lo, hi = np.array(edges[:-1]), np.array(edges[1:])
    ends = set(edges)  # the limits and `points`: where extrapolation may act
    k, err = _rule(fn, lo, hi)
    vals = list(k)
    errs = list(err)
    los, his = list(lo), list(hi)
    neval = len(lo) * 21
    total, total_err = np.sum(vals, axis=0), float(np.sum(errs))
    depth = [0] * len(vals)
    levels: dict[int, np.ndarray] = {}  # for extrapolation: the total when all but the deepest
    stuck = False                       # intervals are resolved, per depth
    extrapolated = None
    while True:
        tol = max(opts.epsabs, opts.epsrel * float(np.max(np.abs(total))))
        if total_err <= tol:
            break
        extrapolated = _extrapolate(levels, depth, errs, los, his, ends, total, tol)
        if extrapolated is not None or len(vals) >= opts.limit:
            break
        i = _select(errs, depth, tol)
        a_i, b_i = los[i], his[i]
        mid = (a_i + b_i) / 2
        if (b_i - a_i) <= 1000 * _EPS * max(abs(a_i), abs(b_i), _TINY):
            # too narrow: the outer Kronrod nodes (0.2% of the width from the ends) would round
            # onto the ends, where a singularity may sit
            stuck = True
            break
        k2, e2 = _rule(fn, np.array([a_i, mid]), np.array([mid, b_i]))
        neval += 42
        vals[i], errs[i], his[i] = k2[0], float(e2[0]), mid
        depth[i] += 1
        depth.append(depth[i])
        vals.append(k2[1])
        errs.append(float(e2[1]))
        los.append(mid)
        his.append(b_i)
        total = np.sum(vals, axis=0)
        total_err = float(np.sum(errs))
    info = {"neval": neval, "last": len(vals), "alist": np.array(los), "blist": np.array(his),
            "rlist": np.array(vals), "elist": np.array(errs), "extrapolated": False}
    if extrapolated is not None:
        info["extrapolated"] = True
        return Result(extrapolated[0], extrapolated[1], info)
    tol = max(opts.epsabs, opts.epsrel * float(np.max(np.abs(total))))
    if not np.all(np.isfinite(total)) or not math.isfinite(total_err):
        raise IntegrationError(f"quad: {what} over [{rng[0]}, {rng[1]}] is not finite "
                               f"(value {total}, error estimate {total_err}); the integrand "
                               f"or the integral diverges", sign * total, total_err, info)
    if total_err > tol:
        why = ("a subinterval became too narrow to bisect in double precision (a singularity "
               "or roundoff)" if stuck else f"the limit of {opts.limit} subintervals was reached")
        raise IntegrationError(
            f"quad: {what} over [{rng[0]}, {rng[1]}] did not reach the requested accuracy: "
            f"estimated error {total_err:.3g} > tolerance {tol:.3g} (epsabs={opts.epsabs:g}, "
            f"epsrel={opts.epsrel:g}) because {why}. Raise `limit`, loosen epsabs/epsrel, or "
            f"split the interval at the integrand's difficult points with `points=[...]`",
            sign * total, total_err, info)
    return Result(total, total_err, info)


def _select(errs: list, depth: list, tol: float) -> int:
    """The subinterval to bisect: the one with the largest error, except that while the
    deepest subintervals hold the largest error and the others are not yet resolved, the worst
    of the others (QAGS's rule: the extrapolation needs them resolved, and bisecting only the
    deepest ones would never get there)."""
    e = np.asarray(errs)
    i = int(np.argmax(e))
    d = np.asarray(depth)
    deepest = d.max()
    if d[i] == deepest and deepest >= 2:
        large = d < deepest
        if large.any() and e[large].sum() > tol / 4:
            i = int(np.argmax(np.where(large, e, -1.0)))
    return i


def _extrapolate(levels: dict, depth: list, errs: list, los: list, his: list, ends: set,
                 total, tol: float):
    """Wynn's epsilon algorithm on the totals of successive bisection depths (QUADPACK's
    QAGS idea): near an endpoint singularity the worst interval is bisected again and again,
    and the totals converge geometrically, which the epsilon algorithm accelerates.

    A total joins the sequence when every interval above the deepest depth is resolved (their
    errors sum to at most tol / 4), and only while the deepest subintervals touch an end of a
    piece (the worst of them does: the limits and ``points``): an endpoint singularity, not
    an unannounced interior one, which bisection handles or ``points`` must name. Returns
    (value, error estimate) once three successive extrapolations agree within the tolerance,
    else None."""
    deepest = max(depth)
    if deepest < 2:
        return None
    worst = max((j for j, d in enumerate(depth) if d == deepest), key=lambda j: errs[j])
    if los[worst] not in ends and his[worst] not in ends:
        return None
    erlarg = sum(e for e, d in zip(errs, depth) if d < deepest)
    if erlarg > tol / 4:
        return None
    levels[deepest] = np.array(total, dtype=float)
    seq = []
    d = deepest
    while d in levels:  # consecutive depths only, newest last
        seq.insert(0, levels[d])
        d -= 1
    if len(seq) < 5:
        return None
    ests = [_wynn(seq[:n]) for n in range(len(seq) - 2, len(seq) + 1)]
    value = ests[-1]
    err = float(np.max(np.abs(value - ests[-2]) + np.abs(value - ests[-3])))
    err = max(err, 50 * _EPS * float(np.max(np.abs(value)))) + erlarg
    if not np.all(np.isfinite(value)) or err > tol:
        return None
    return value, err


def _wynn(seq: list) -> np.ndarray:
    """The epsilon algorithm's deepest even-column entry for the sequence (elementwise)."""
    prev = [np.zeros_like(seq[0]) for _ in range(len(seq) + 1)]  # eps_{-1}
    cur = [np.array(s, dtype=float) for s in seq]                # eps_0
    best = cur[-1]
    col = 0
    while len(cur) > 1:
        nxt = []
        for k in range(len(cur) - 1):
            diff = cur[k + 1] - cur[k]
            with np.errstate(divide="ignore", invalid="ignore"):
                inv = np.where(diff != 0, 1 / np.where(diff != 0, diff, 1), np.inf)
            nxt.append(prev[k + 1] + inv)
        prev, cur = cur, nxt
        col += 1
        if col % 2 == 0:
            if not all(np.all(np.isfinite(c)) for c in cur):
                break  # converged: a difference vanished
            best = cur[-1]
    return best
