"""What the ODE engines (``_rk.py``, explicit; ``_radau.py``, implicit) share, on plain NumPy:
the record of a solve, the weighted error norm (with its seminorm mask), the first step,
cubic Hermite dense output and event location. No derivatives here: ``_odeint.py`` makes a
solve differentiable."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

_EPS = np.finfo(float).eps


class ODEError(ArithmeticError):
    """An ODE solve could not go on: the step size fell below what floating point resolves,
    the step budget ran out, Newton's iteration failed or the solution stopped being finite.
    ``t`` is where it stopped."""

    def __init__(self, message: str, t: float | None = None):
        super().__init__(message)
        self.t = t


class StepBudgetError(ODEError):
    """The solve needed more than ``max_num_steps`` steps."""


@dataclass
class Trajectory:
    """The record of one solve from ``ts[0]`` through the output times ``ts``.

    ``fractions[i]`` (for the interval ``ts[i] -> ts[i + 1]``) holds the ends of the accepted
    steps as fractions of that interval, increasing, the last exactly 1.0: the direct
    sensitivity method replays exactly these steps with traced values."""

    ts: np.ndarray                    # (m,) output times reached (cut at a terminal event)
    ys: np.ndarray                    # (m, n) states at ts; ys[0] is y0
    fractions: list[np.ndarray]       # m - 1 arrays, see above
    nfev: int = 0
    njev: int = 0
    nlu: int = 0
    nsteps: int = 0
    nreject: int = 0
    status: int = 0                   # 0: reached ts[-1]; 1: a terminal event stopped it
    message: str = "The solver successfully reached the end of the integration interval."
    dense: HermiteDense | None = None
    t_events: list[np.ndarray] | None = None
    y_events: list[np.ndarray] | None = None


def error_norm(err: np.ndarray, y_old: np.ndarray, y_new: np.ndarray, rtol: float,
               atol: float | np.ndarray, mask: np.ndarray | None = None) -> float:
    """The RMS of ``err`` scaled by ``atol + rtol * max(|y_old|, |y_new|)`` over the components
    in ``mask`` (all when None). A mask leaving components out is the seminorm of the adjoint
    solves: the accumulated parameter gradients do not control the step size."""
    scale = atol + rtol * np.maximum(np.abs(y_old), np.abs(y_new))
    r = err / scale
    if mask is not None:
        r = r[mask]
    if r.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(r * r)))


def initial_step(rhs: Callable, t0: float, y0: np.ndarray, f0: np.ndarray, direction: float,
                 order: int, rtol: float, atol, mask=None, max_step: float = np.inf) -> float:
    """Hairer, Norsett and Wanner's starting step (Solving ODEs I, II.4): the step whose
    local error estimate from the first two derivatives is about the tolerance. Costs one
    evaluation of ``rhs``."""
    scale = atol + rtol * np.abs(y0)
    if mask is not None:
        y0m, f0m, scale = y0[mask], f0[mask], scale[mask] if np.ndim(scale) else scale
    else:
        y0m, f0m = y0, f0
    if y0m.size == 0:
        return min(1e-6, max_step)
    d0 = np.sqrt(np.mean((y0m / scale) ** 2))
    d1 = np.sqrt(np.mean((f0m / scale) ** 2))
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    h0 = min(h0, max_step)
    f1 = rhs(t0 + direction * h0, y0 + direction * h0 * f0)
    diff = (f1 - f0) if mask is None else (f1 - f0)[mask]
    d2 = np.sqrt(np.mean((diff / scale) ** 2)) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1 / (order + 1))
    return min(100 * h0, h1, max_step)


class HermiteDense:
    """Dense output: the cubic Hermite interpolant through each accepted step's ends (values
    and slopes), third-order accurate. Called as SciPy's ``OdeSolution``: ``sol(t)`` is (n,)
    for a scalar t and (n, len(t)) for an array. Values only (plain NumPy, not traced): use
    ``t_eval`` for values that carry derivatives.

    With ``capacity`` the knots go into arrays of that many rows, allocated at the first
    append, so that its memory is fixed (a solve that needs more knots must stop first: the
    interpolating adjoint gives such a solve a step budget)."""

    def __init__(self, capacity: int | None = None):
        self.capacity = capacity
        self.t: list[float] = []
        self.y: list[np.ndarray] = []
        self.f: list[np.ndarray] = []
        self._cache = None

    def append(self, t: float, y: np.ndarray, f: np.ndarray) -> None:
        k = len(self.t)
        self.t.append(float(t))
        if self.capacity is None:
            self.y.append(np.array(y, dtype=float))
            self.f.append(np.array(f, dtype=float))
            return
        if self._cache is None:
            n = np.size(y)
            self._cache = (None, np.empty((self.capacity, n)), np.empty((self.capacity, n)))
        if k >= self.capacity:
            raise ODEError(f"dense output: more than its capacity of {self.capacity} knots",
                           float(t))
        self._cache[1][k] = y
        self._cache[2][k] = f

    @property
    def t_min(self) -> float:
        return min(self.t[0], self.t[-1])

    @property
    def t_max(self) -> float:
        return max(self.t[0], self.t[-1])

    def _arrays(self):
        """(t, Y, F) as arrays of the knots so far (with no capacity: stacked once after the
        last append, the lists then holding views of them, so that the values are kept once)."""
        k = len(self.t)
        if self.capacity is not None:
            return np.asarray(self.t), self._cache[1][:k], self._cache[2][:k]
        cache = self._cache
        if cache is None or len(cache[0]) != k:
            cache = (np.asarray(self.t), np.stack(self.y), np.stack(self.f))
            self.y, self.f = list(cache[1]), list(cache[2])
            self._cache = cache
        return cache

    def __call__(self, t):
        ts, Y, F = self._arrays()
        scalar = np.ndim(t) == 0
        tq = np.atleast_1d(np.asarray(t, dtype=float))
        increasing = ts[-1] >= ts[0]
        key = ts if increasing else -ts
        q = tq if increasing else -tq
        i = np.clip(np.searchsorted(key, q, side="right") - 1, 0, len(ts) - 2)
        out = hermite(ts[i], ts[i + 1], Y[i], Y[i + 1], F[i], F[i + 1], tq)
        out = out.T  # (n, len(t)), SciPy's layout
        return out[:, 0] if scalar else out


def dense_output(dense) -> HermiteDense | None:
    """An engine's ``dense`` argument: False/None (none), True (a growing one), or a
    :class:`HermiteDense` to fill (one with a fixed capacity)."""
    if isinstance(dense, HermiteDense):
        return dense
    return HermiteDense() if dense else None


def hermite(ta, tb, ya, yb, fa, fb, t):
    """The cubic Hermite interpolant on [ta, tb] at t (arrays broadcast along axis 0)."""
    ta, tb, t = (np.asarray(v, dtype=float) for v in (ta, tb, t))
    h = tb - ta
    s = ((t - ta) / h)[..., None]
    hh = h[..., None] if np.ndim(h) else h
    h00 = (1 + 2 * s) * (1 - s) ** 2
    h10 = s * (1 - s) ** 2
    h01 = s * s * (3 - 2 * s)
    h11 = s * s * (s - 1)
    return h00 * ya + h10 * hh * fa + h01 * yb + h11 * hh * fb


def _event_attr(ev, name, default):
    return getattr(ev, name, default)


def check_events(events) -> list:
    """The events as a list of callables ``g(t, y)``; ``terminal`` (bool or a count) and
    ``direction`` are read from the function's attributes, as SciPy does."""
    if events is None:
        return []
    if callable(events):
        events = [events]
    events = list(events)
    for k, ev in enumerate(events):
        if not callable(ev):
            raise TypeError(f"solve_ivp: events[{k}] must be callable g(t, y), got "
                            f"{type(ev).__name__}")
    return events


def find_events(events: Sequence, g_a: np.ndarray, t_a: float, t_b: float, y_a, y_b, f_a, f_b,
                evaluate: Callable[[float, np.ndarray], np.ndarray]):
    """The events whose function changes sign (in its ``direction``) inside the step
    [t_a, t_b]: a list of (event index, t, y) sorted along the direction of integration, each
    located to full precision by the Illinois (modified regula falsi) method on the Hermite
    interpolant. ``evaluate(t, y)`` gives all event values at (t, y); ``g_a`` those at t_a."""
    g_b = evaluate(t_b, y_b)
    found = []
    for k, ev in enumerate(events):
        a, b = g_a[k], g_b[k]
        d = _event_attr(ev, "direction", 0)
        up, down = a < 0 <= b, a > 0 >= b
        if not ((up and d >= 0) or (down and d <= 0)) or a == 0:
            continue

        def g(t, _k=k):
            return evaluate(t, hermite(t_a, t_b, y_a, y_b, f_a, f_b, t))[_k]
        t_e = _illinois(g, t_a, t_b, a, b)
        found.append((k, t_e, hermite(t_a, t_b, y_a, y_b, f_a, f_b, t_e)))
    sign = 1.0 if t_b >= t_a else -1.0
    found.sort(key=lambda e: sign * e[1])
    return found, g_b


def _illinois(g, a, b, ga, gb, max_iter: int = 100) -> float:
    tol = 4 * _EPS * max(abs(a), abs(b), 1.0)
    side = 0
    for _ in range(max_iter):
        c = (a * gb - b * ga) / (gb - ga)
        gc = g(c)
        if gc == 0 or abs(b - a) <= tol:
            return float(c)
        if (gc > 0) == (gb > 0):
            b, gb = c, gc
            if side == -1:
                ga /= 2
            side = -1
        else:
            a, ga = c, gc
            if side == 1:
                gb /= 2
            side = 1
    return float(c)
