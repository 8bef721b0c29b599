"""The explicit Runge-Kutta engine: one step (``rk_step``, the one home of the RK step, written
with ``+`` and ``*`` only so that it runs on NumPy arrays and on chainrule tensors alike), its
embedded error estimate (``rk_error``), and the adaptive / fixed-step solve on plain NumPy
(``solve_explicit``, the contract in ``_ode_common``). No derivatives here: ``_odeint.py``
makes a solve differentiable, replaying the accepted steps (``Trajectory.fractions``) through
``rk_step`` with traced values where it must."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._ode_common import (
    ODEError,
    StepBudgetError,
    Trajectory,
    check_events,
    dense_output,
    error_norm,
    find_events,
    initial_step,
)
from ._tableaux import TABLEAUX, Tableau

__all__ = ["TABLEAUX", "Tableau", "rk_error", "rk_step", "solve_explicit"]

_SAFETY, _MIN_FACTOR, _MAX_FACTOR = 0.9, 0.2, 10.0


def _combo(ks, terms):
    """sum_j w_j ks[j] over the non-zero weights (a weight 1.0 is not multiplied)."""
    acc = None
    for j, w in terms:
        term = ks[j] if w == 1.0 else ks[j] * w
        acc = term if acc is None else acc + term
    return acc


def rk_step(f: Callable, t: Any, y: Any, h: Any, tab: Tableau, k1: Any = None,
            fsal: bool = True):
    """One step of ``tab`` from (t, y) with step h: ``(y_new, ks)``, ks the stage derivatives
    (for an FSAL method the last is f(t + h, y_new), the next step's first; ``fsal=False``
    leaves it out, where neither the error estimate nor the next step needs it). ``k1`` reuses
    a known f(t, y). Written with ``+`` and ``*`` and Python-float coefficients only, zeros
    skipped, so that y, t and h may be NumPy arrays/floats or chainrule tensors."""
    ks = [f(t, y) if k1 is None else k1]
    last = tab.stages - 1 if tab.fsal else tab.stages
    c = tab.c
    for i in range(1, last):
        terms = tab.stage_terms[i - 1]
        ti = t + h if c[i] == 1.0 else t if c[i] == 0.0 else t + h * c[i]
        ks.append(f(ti, y + h * _combo(ks, terms)) if terms else f(ti, y))
    y_new = y + h * _combo(ks, tab.b_terms)
    if tab.fsal and fsal:
        ks.append(f(t + h, y_new))
    return y_new, ks


def rk_error(ks: list, h: Any, tab: Tableau):
    """The embedded error estimate h sum_j (b_j - b_hat_j) k_j of a step's stages ``ks``."""
    if tab.err_terms is None:
        raise ValueError(f"ODE solver: method {tab.name!r} has no embedded error estimate; "
                         f"use an adaptive method ({_adaptive_names()}) or fixed steps")
    return h * _combo(ks, tab.err_terms)


def _adaptive_names() -> str:
    return ", ".join(k for k, v in TABLEAUX.items() if v.adaptive)


def _fixed_names() -> str:
    return ", ".join(k for k, v in TABLEAUX.items() if not v.adaptive)


# --- input checks -----------------------------------------------------------------------------

def _check_inputs(ts, y0, method, rtol, atol, first_step, max_step, max_num_steps, step_size,
                  error_mask):
    if not isinstance(method, str) or method.lower() not in TABLEAUX:
        raise ValueError(f"ODE solver: unknown method {method!r}; the explicit methods are "
                         f"{', '.join(TABLEAUX)}")
    tab = TABLEAUX[method.lower()]
    ts = np.asarray(ts, dtype=float)
    if ts.ndim != 1 or ts.size < 2:
        raise ValueError(f"ODE solver: ts must be a 1-D array of at least 2 times (the first is "
                         f"the initial time), got shape {ts.shape}")
    if not np.all(np.isfinite(ts)):
        raise ValueError(f"ODE solver: ts must be finite, got {ts}")
    d = np.diff(ts)
    if not (np.all(d > 0) or np.all(d < 0)):
        raise ValueError("ODE solver: ts must be strictly monotone (increasing, or decreasing "
                         "to integrate backward); sort the times and drop repeats")
    y0 = np.array(y0, dtype=float)  # a copy: the caller's array is never written
    if y0.ndim != 1:
        raise ValueError(f"ODE solver: y0 must be a 1-D state vector, got shape {y0.shape}; "
                         f"flatten it (and the rhs's result)")
    if not np.all(np.isfinite(y0)):
        raise ValueError(f"ODE solver: y0 must be finite, got {y0}")
    n = y0.size
    rtol, atol = np.asarray(rtol, dtype=float), np.asarray(atol, dtype=float)
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if tol.ndim > 1 or tol.ndim == 1 and tol.shape != (n,):
            raise ValueError(f"ODE solver: {name} must be a scalar or of shape ({n},) like y0, "
                             f"got shape {tol.shape}")
        if not np.all(np.isfinite(tol)) or np.any(tol < 0):
            raise ValueError(f"ODE solver: rtol and atol must be finite and non-negative, got "
                             f"{name}={tol}")
    if np.any((rtol == 0) & (atol == 0)):
        raise ValueError("ODE solver: rtol = 0 together with atol = 0 leaves no tolerance; "
                         "give a positive rtol or atol")
    rtol = float(rtol) if rtol.ndim == 0 else rtol
    atol = float(atol) if atol.ndim == 0 else atol
    if step_size is not None:
        step_size = float(step_size)
        if not (math.isfinite(step_size) and step_size > 0):
            raise ValueError(f"ODE solver: step_size must be a positive finite number, got "
                             f"{step_size}")
    elif not tab.adaptive:
        raise ValueError(f"ODE solver: method {method!r} takes fixed steps and needs "
                         f"step_size=...; or use an adaptive method ({_adaptive_names()})")
    if first_step is not None:
        first_step = float(first_step)
        if not (math.isfinite(first_step) and first_step > 0):
            raise ValueError(f"ODE solver: first_step must be positive and finite, got "
                             f"{first_step}")
    max_step = float(max_step)
    if not max_step > 0:
        raise ValueError(f"ODE solver: max_step must be positive, got {max_step}")
    if int(max_num_steps) != max_num_steps or max_num_steps < 1:
        raise ValueError(f"ODE solver: max_num_steps must be a positive integer, got "
                         f"{max_num_steps!r}")
    if error_mask is not None:
        error_mask = np.asarray(error_mask)
        if error_mask.dtype != bool or error_mask.shape != (n,):
            raise ValueError(f"ODE solver: error_mask must be a boolean array of shape ({n},) "
                             f"like y0, got dtype {error_mask.dtype}, shape {error_mask.shape}")
        if error_mask.all():
            error_mask = None
    return tab, ts, y0, rtol, atol, first_step, max_step, int(max_num_steps), step_size, \
        error_mask


def _rhs0(rhs, t0, y0):
    f0 = rhs(t0, y0)
    if not isinstance(f0, np.ndarray) or f0.shape != y0.shape:
        raise ValueError(f"ODE solver: rhs(t, y) must return a NumPy array of the state's "
                         f"shape {y0.shape}, got {type(f0).__name__} of shape {np.shape(f0)}")
    if not np.all(np.isfinite(f0)):
        raise ODEError(f"ODE solver: rhs(t, y) is not finite at the initial time t={t0}", t0)
    return f0


# --- events -----------------------------------------------------------------------------------

class _Events:
    """The events' bookkeeping: values at the last accepted point, occurrences, records."""

    def __init__(self, events, t0, y0):
        self.events = events
        self.limit = []
        for k, ev in enumerate(events):
            term = getattr(ev, "terminal", False)
            if isinstance(term, (bool, np.bool_)) or term is None:
                term = 1 if term else 0
            elif int(term) != term or term < 0:
                raise ValueError(f"ODE solver: events[{k}].terminal must be a bool or a "
                                 f"non-negative count of occurrences, got {term!r}")
            self.limit.append(int(term))
        self.count = [0] * len(events)
        self.t = [[] for _ in events]
        self.y = [[] for _ in events]
        self.g = self.evaluate(t0, y0)

    def evaluate(self, t, y):
        return np.array([float(ev(t, y)) for ev in self.events])

    def step(self, t, y, f, t_new, y_new, f_new):
        """Records the events inside the accepted step [t, t_new]; returns (k, t_e) of the
        terminal one that stops the solve (not recorded yet), else None."""
        found, self.g = find_events(self.events, self.g, t, t_new, y, y_new, f, f_new,
                                    self.evaluate)
        for k, t_e, y_e in found:
            self.count[k] += 1
            if self.limit[k] and self.count[k] >= self.limit[k]:
                return k, t_e
            self.t[k].append(t_e)
            self.y[k].append(y_e)
        return None

    def arrays(self, n):
        return ([np.array(t, dtype=float) for t in self.t],
                [np.array(y, dtype=float).reshape(-1, n) for y in self.y])


# --- the solve --------------------------------------------------------------------------------

def solve_explicit(rhs: Callable[[float, np.ndarray], np.ndarray], ts, y0, *,
                   method: str = "dopri5", rtol=1e-6, atol=1e-9,
                   first_step: float | None = None, max_step: float = np.inf,
                   max_num_steps: int = 100_000, step_size: float | None = None,
                   error_mask=None, dense: bool = False, events=None,
                   record_steps: bool = True) -> Trajectory:
    """Integrates y' = rhs(t, y) from ``ts[0]`` through every output time in ``ts`` (strictly
    monotone, either way) with an explicit Runge-Kutta method (``TABLEAUX``), landing exactly on
    each output time. Adaptive (Hairer's controller) unless ``step_size`` is given: then every
    interval is split into ceil(|dt| / step_size) equal steps, without error control.
    ``record_steps=False`` leaves ``fractions`` empty, so that memory does not grow with the
    number of steps (the adjoint methods need no replay)."""
    tab, ts, y, rtol, atol, first_step, max_step, max_num_steps, step_size, mask = \
        _check_inputs(ts, y0, method, rtol, atol, first_step, max_step, max_num_steps,
                      step_size, error_mask)
    events = check_events(events)
    m, n = ts.size, y.size
    t = float(ts[0])
    f = _rhs0(rhs, t, y)
    ev = _Events(events, t, y) if events else None
    dense_out = dense_output(dense)
    if dense_out is not None:
        dense_out.append(t, y, f)
    ys = np.empty((m, n))
    ys[0] = y
    st = _Stats(nfev=1, record=record_steps)
    run = _solve_fixed if step_size is not None else _solve_adaptive
    stop = run(rhs, ts, ys, y, f, tab, st, ev, dense_out, rtol=rtol, atol=atol,
               first_step=first_step, max_step=max_step, max_num_steps=max_num_steps,
               step_size=step_size, mask=mask)
    out_ts, fractions, status = ts, st.fractions, 0
    message = "The solver successfully reached the end of the integration interval."
    if stop is not None:  # a terminal event cut the solve at its time
        i, t_e, k = stop
        out_ts = np.append(ts[:i + 1], t_e)
        ys = ys[:i + 2]
        status = 1
        message = f"A termination event (events[{k}]) occurred at t={t_e}."
    t_ev = y_ev = None
    if ev is not None:
        t_ev, y_ev = ev.arrays(n)
    return Trajectory(ts=out_ts, ys=ys, fractions=fractions, nfev=st.nfev, nsteps=st.nsteps,
                      nreject=st.nreject, status=status, message=message, dense=dense_out,
                      t_events=t_ev, y_events=y_ev)


class _Stats:
    __slots__ = ("nfev", "nsteps", "nreject", "fractions", "record")

    def __init__(self, nfev=0, record=True):
        self.nfev, self.nsteps, self.nreject, self.fractions = nfev, 0, 0, []
        self.record = record

    def new_ends(self) -> list:
        return [] if self.record else _LastEnd()


class _LastEnd(list):
    """The step ends of an interval when they are not recorded: only the last is kept, so that
    a solve's memory does not grow with its number of steps."""

    def append(self, t):
        if self:
            self[0] = t
        else:
            super().append(t)


def _close_interval(st, ends, t_a, t_b):
    """The interval [t_a, t_b] is done: its steps' ends as fractions, the last exactly 1."""
    if not st.record:
        return
    fr = (np.array(ends) - t_a) / (t_b - t_a)
    fr[-1] = 1.0
    st.fractions.append(fr)


def _after_step(rhs, tab, st, ev, dense_out, t, y, f, t_new, y_new, ks):
    """Dense output and events after an accepted step. Returns (f_new, stop) where f_new is
    f(t_new, y_new) (None if nothing needed it) and stop is None or (k, t_e, y_e): a
    terminal event, whose state comes from a step from t to t_e (so that replaying the
    recorded steps through ``rk_step`` reproduces it)."""
    f_new = ks[-1] if tab.fsal else None
    if ev is None and dense_out is None:
        return f_new, None
    if f_new is None:
        f_new = rhs(t_new, y_new)
        st.nfev += 1
    hit = ev.step(t, y, f, t_new, y_new, f_new) if ev is not None else None
    if hit is None:
        if dense_out is not None:
            dense_out.append(t_new, y_new, f_new)
        return f_new, None
    k, t_e = hit
    y_e, ks_e = rk_step(rhs, t, y, t_e - t, tab, k1=f)
    st.nfev += tab.stages - 1
    if tab.fsal:
        f_e = ks_e[-1]
    else:
        f_e = rhs(t_e, y_e)
        st.nfev += 1
    ev.t[k].append(t_e)
    ev.y[k].append(y_e)
    if dense_out is not None:
        dense_out.append(t_e, y_e, f_e)
    return f_new, (k, t_e, y_e)


def _terminate(st, ys, i, ends, t_i, stop):
    k, t_e, y_e = stop
    if t_e != t_i:
        if not ends or ends[-1] != t_e:  # (an event exactly at the step's start adds no step)
            ends.append(t_e)
        _close_interval(st, ends, t_i, t_e)
        ys[i + 1] = y_e
        return i, t_e, k
    # the event sits on the output time just reached: no interval after it
    return i - 1, t_e, k


def _solve_fixed(rhs, ts, ys, y, f, tab, st, ev, dense_out, *, step_size, max_num_steps,
                 **_):
    m = ts.size
    counts = [max(1, math.ceil(abs(ts[i + 1] - ts[i]) / step_size * (1 - 1e-12)))
              for i in range(m - 1)]
    if sum(counts) > max_num_steps:
        raise StepBudgetError(f"ODE solver: step_size={step_size} needs {sum(counts)} steps over "
                       f"[{ts[0]}, {ts[-1]}], more than max_num_steps={max_num_steps}; raise "
                       f"max_num_steps or the step size", float(ts[0]))
    stages = tab.stages
    t = float(ts[0])
    for i in range(m - 1):
        t_i, t_end, N = float(ts[i]), float(ts[i + 1]), counts[i]
        dt = t_end - t_i
        ends = st.new_ends()
        for j in range(1, N + 1):
            t_new = t_end if j == N else t_i + (j / N) * dt
            y_new, ks = rk_step(rhs, t, y, t_new - t, tab, k1=f)
            st.nfev += stages - (f is not None)
            if not np.all(np.isfinite(y_new)):
                raise ODEError(f"ODE solver: the state became non-finite in the step from "
                               f"t={t} to t={t_new}; use a smaller step_size or an adaptive "
                               f"method", t)
            if f is None:
                f = ks[0]
            st.nsteps += 1
            f_new, stop = _after_step(rhs, tab, st, ev, dense_out, t, y, f, t_new, y_new, ks)
            if stop is not None:
                return _terminate(st, ys, i, ends, t_i, stop)
            ends.append(t_new)
            t, y, f = t_new, y_new, f_new
        ys[i + 1] = y
        if st.record:
            st.fractions.append(np.arange(1, N + 1) / N)
    return None


def _solve_adaptive(rhs, ts, ys, y, f, tab, st, ev, dense_out, *, rtol, atol, first_step,
                    max_step, max_num_steps, mask, **_):
    m = ts.size
    direction = 1.0 if ts[-1] > ts[0] else -1.0
    t = float(ts[0])
    q = tab.err_order
    expo = -1.0 / (q + 1)
    if first_step is None:
        habs = initial_step(rhs, t, y, f, direction, q, rtol, atol, mask, max_step)
        st.nfev += 1
    else:
        habs = min(first_step, max_step)
    stages, fsal = tab.stages, tab.fsal
    inf = direction * np.inf
    for i in range(m - 1):
        t_i, t_end = float(ts[i]), float(ts[i + 1])
        ends = st.new_ends()
        while True:
            rem = abs(t_end - t)
            hprop = min(habs, max_step)
            # Landing on the output time: a remainder of up to 1.01 h (never above max_step)
            # is taken in one step; one up to 2 h is split evenly in two, so that no tiny step
            # (with its useless work and a controller fooled by it) appears before t_end.
            if rem <= min(1.01 * hprop, max_step):
                hstep, land = rem, True
            elif rem < 2 * hprop:
                hstep, land = rem / 2, False
            else:
                hstep, land = hprop, False
            nonfinite = False
            rejected = False
            while True:
                if st.nsteps + st.nreject >= max_num_steps:
                    raise StepBudgetError(f"ODE solver: max_num_steps={max_num_steps} steps "
                                   f"(accepted + rejected) were not enough to reach "
                                   f"t={ts[-1]} (stopped at t={t}); raise max_num_steps, "
                                   f"loosen rtol/atol, or use a stiff (implicit) method if "
                                   f"the problem is stiff", t)
                if hstep < 10 * abs(np.nextafter(t, inf) - t):
                    why = ("the solution or rhs became non-finite and smaller steps did not "
                           "cure it" if nonfinite else "the step size fell below what floating "
                           "point resolves at this t")
                    raise ODEError(f"ODE solver: {why} (t={t}, step {hstep:.3g}); the problem "
                                   f"may be singular or stiff there: check the rhs, or use a "
                                   f"stiff (implicit) method", t)
                t_new = t_end if land else t + direction * hstep
                h = t_new - t
                y_new, ks = rk_step(rhs, t, y, h, tab, k1=f)
                st.nfev += stages - 1
                err = error_norm(rk_error(ks, h, tab), y, y_new, rtol, atol, mask)
                finite = math.isfinite(err) and np.all(np.isfinite(y_new)) and \
                    (not fsal or np.all(np.isfinite(ks[-1])))
                if finite and err <= 1.0:
                    break
                st.nreject += 1
                rejected = True
                nonfinite = not finite
                factor = max(_MIN_FACTOR, _SAFETY * err ** expo) if finite else _MIN_FACTOR
                hstep *= factor
                land = False
            st.nsteps += 1
            # Hairer's controller, the exponent from the embedded (lower) order
            ideal = _SAFETY * err ** expo if err > 0 else math.inf
            factor = min(_MAX_FACTOR, ideal)
            if rejected:
                factor = min(1.0, factor)
            habs = hstep * factor
            if hstep < hprop and not rejected:
                # the step was shortened to land: its error does not ask for a smaller step
                # than the one proposed before, unless its own estimate says so
                habs = max(habs, min(hprop, hstep * ideal))
            f_new, stop = _after_step(rhs, tab, st, ev, dense_out, t, y, f, t_new, y_new, ks)
            if stop is not None:
                return _terminate(st, ys, i, ends, t_i, stop)
            ends.append(t_new)
            t, y, f = t_new, y_new, f_new
            if f is None:  # a non-FSAL method without events/dense: the next step's k1
                f = rhs(t, y)
                st.nfev += 1
            if t_new == t_end:
                break
        ys[i + 1] = y
        _close_interval(st, ends, t_i, t_end)
    return None
