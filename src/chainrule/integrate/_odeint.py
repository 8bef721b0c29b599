"""``odeint`` and ``solve_ivp``: differentiable ODE solves over pytree states, with a choice of
sensitivity method (``_sensitivity.py``) and the engines of ``_rk.py`` and ``_radau.py``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import numpy as cnp
from ..autograd.dispatch import wrap
from ..autograd.tracing import untraceable
from ..optimize._implicit import implicit_solution
from ..optimize._result import OptimizeResult
from ..primitives._core import data_of, is_tensor
from ._ode_common import check_events
from ._ode_problem import SENSEALGS, Options, Problem, as_times, check_options, traced
from ._sensitivity import run_engine, solve, solve_direct

__all__ = ["odeint", "solve_ivp"]

# "auto": direct up to this many state components (measured fastest in chainrule on small and
# medium problems, benchmarks/ode.py, with memory growing as the square root of the steps);
# interpolating beyond, whose memory does not grow with the steps
_DIRECT_UP_TO = 1000


def _choose(prob: Problem, sensealg: str) -> str:
    if not isinstance(sensealg, str) or sensealg not in SENSEALGS:
        raise ValueError(f"{prob.op}: unknown sensealg {sensealg!r}; choose one of "
                         f"{', '.join(SENSEALGS)}")
    if sensealg == "auto":
        return "direct" if prob.closure_traced or prob.n <= _DIRECT_UP_TO else "interpolating"
    if sensealg != "direct":
        prob.check_closure(sensealg)
    return sensealg


def _states(prob: Problem, opts: Options, sensealg: str, t):
    """The flat states at t (m, n), differentiable by ``sensealg``, as the inputs' kind:
    NumPy for NumPy inputs, tensors where anything is a tensor."""
    y0, theta = prob.y0_flat(), prob.theta0()
    t0 = float(data_of(t)[0])
    prob.rhs(np.asarray(data_of(theta), float))(t0, np.asarray(data_of(y0), float).ravel())
    sensealg = _choose(prob, sensealg)
    if sensealg == "direct":
        ys = solve_direct(prob, opts, y0, t, theta)
    else:
        ys = solve(prob, opts, sensealg, y0, t, theta)
    return ys, sensealg


def _cast(prob: Problem, ys):
    """The states in y0's floating dtype, as tensors where y0 or args held a tensor."""
    if not is_tensor(ys) and any(is_tensor(x) for x in prob.y_leaves + prob.a_leaves):
        ys = wrap(np.asarray(ys))
    if prob.dtype != np.float64:
        return cnp.asarray(ys, dtype=prob.dtype) if not is_tensor(ys) else ys.astype(prob.dtype)
    return ys


@untraceable("odeint", "its solvers are NumPy code that choose steps from the values")
def odeint(func: Callable, y0: Any, t, args: tuple = (), *, method: str = "dopri5",
           sensealg: str = "auto", rtol: float = 1.4e-8, atol: float = 1.4e-8,
           step_size: float | None = None, first_step: float | None = None,
           max_step: float = math.inf, max_num_steps: int = 100_000,
           n_checkpoints: int | None = None, tfirst: bool = False) -> Any:
    """The solution of dy/dt = func(y, t, *args) (``func(t, y, *args)`` with ``tfirst``) at
    the times ``t`` (``t[0]`` the initial time; increasing or decreasing), for a state ``y0``
    that is an array, a tensor or a pytree of them: the result has ``y0``'s structure with a
    leading axis of len(t), as ``jax.experimental.ode.odeint``.

    Differentiable with respect to ``y0``, ``t`` and the floating-point leaves of ``args``, in
    reverse and forward mode and to higher orders, by ``sensealg``: ``"direct"`` (through the
    solver's steps: every step kept while n times the steps is at most 100,000, else
    ``n_checkpoints`` states per output interval (default the square root of its steps) by
    binomial checkpointing; the only one that also sees tensors ``func`` reads from its
    closure),
    ``"backsolve"`` (continuous adjoint integrated backward with the state, O(1) memory),
    ``"interpolating"`` (adjoint with the state re-solved from checkpoints; robust where
    backsolve's backward state is unstable), ``"forward"`` (forward sensitivities), or
    ``"auto"`` (direct up to 1000 state components or when func reads a differentiated
    closure, else interpolating). ``method``: ``"dopri5"`` (default), ``"tsit5"``,
    ``"bosh3"``, ``"rk45"``, ``"rk23"``, ``"radau"`` (implicit, for stiff problems: Newton on the
    AD Jacobian), or fixed-step ``"euler"``, ``"midpoint"``, ``"heun"``, ``"rk4"`` (with
    ``step_size``). Raises :class:`ODEError` when the solver cannot go on.
    """
    return _odeint(func, y0, t, args, method, sensealg, rtol, atol, step_size, first_step,
                   max_step, max_num_steps, n_checkpoints, tfirst)[0]


def _odeint(func, y0, t, args, method, sensealg, rtol, atol, step_size, first_step, max_step,
            max_num_steps, n_checkpoints, tfirst):
    op = "odeint"
    opts = check_options(op, method, rtol, atol, step_size, max_num_steps, first_step, max_step,
                         n_checkpoints)
    t = as_times(op, t)
    prob = Problem(op, func, y0, args, tfirst)
    ys, _ = _states(prob, opts, sensealg, t)
    return prob.unflatten_y(_cast(prob, ys), (len(data_of(t)),)), prob


@untraceable("odeint", "its solvers are NumPy code that choose steps from the values")
def odeint_with_info(func, y0, t, args=(), *, method="dopri5", sensealg="auto", rtol=1.4e-8,
                     atol=1.4e-8, step_size=None, first_step=None, max_step=math.inf,
                     max_num_steps=100_000, n_checkpoints=None, tfirst=False):
    """:func:`odeint` and the counts of its solve, in SciPy odeint's ``infodict`` names."""
    ys, prob = _odeint(func, y0, t, args, method, sensealg, rtol, atol, step_size, first_step,
                       max_step, max_num_steps, n_checkpoints, tfirst)
    traj = prob.last
    info = {"nst": traj.nsteps, "nfe": traj.nfev, "nje": traj.njev, "message": traj.message}
    return ys, info


_SCIPY_METHODS = {"RK45": "dopri5", "RK23": "bosh3", "Radau": "radau"}


@untraceable("solve_ivp", "its solvers are NumPy code that choose steps from the values")
def solve_ivp(fun: Callable, t_span, y0, method: str = "RK45", t_eval=None,
              dense_output: bool = False, events=None, vectorized: bool = False,
              args: tuple | None = None, *, sensealg: str = "auto", rtol: float = 1e-3,
              atol: float = 1e-6, first_step: float | None = None,
              max_step: float = math.inf, max_num_steps: int = 100_000,
              step_size: float | None = None) -> OptimizeResult:
    """``scipy.integrate.solve_ivp`` with differentiable values: ``fun(t, y, *args)``, SciPy's
    names and result (``t``, ``y`` of shape (n, len(t)), ``sol``, ``t_events``, ``y_events``,
    ``nfev``, ``njev``, ``nlu``, ``status``, ``message``, ``success``). ``y`` (and the time of a
    terminal event, which ends ``t``) are differentiable with respect to ``y0``, ``t_span``,
    ``t_eval`` and ``args`` by ``sensealg`` (see :func:`odeint`). Without ``t_eval`` the output
    times are the solver's steps (held fixed under differentiation). ``sol`` (dense output)
    and the recorded event states are plain values. Methods: SciPy's ``"RK45"``, ``"RK23"``,
    ``"Radau"``, or any :func:`odeint` method name.
    """
    op = "solve_ivp"
    if isinstance(method, str) and method in _SCIPY_METHODS:
        method = _SCIPY_METHODS[method]
    elif isinstance(method, str) and method in ("DOP853", "BDF", "LSODA"):
        raise ValueError(f"solve_ivp: method {method!r} is not available; use 'RK45' or "
                         f"'RK23' (non-stiff), 'Radau' (stiff), or 'tsit5'")
    opts = check_options(op, method, rtol, atol, step_size, max_num_steps, first_step, max_step)
    span = list(t_span) if not is_tensor(t_span) else [t_span[0], t_span[1]]
    if len(span) != 2:
        raise ValueError(f"solve_ivp: t_span must be a pair (t0, tf), got {t_span!r}")
    if float(data_of(span[0])) == float(data_of(span[1])):
        raise ValueError("solve_ivp: t_span's two ends must differ")
    d0 = np.asarray(data_of(y0))
    if d0.ndim != 1:
        raise ValueError(f"solve_ivp: y0 must be 1-D, got shape {d0.shape}")
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    prob = Problem(op, fun, y0, args, True)
    events = check_events(events)
    t0p, tfp = float(data_of(span[0])), float(data_of(span[1]))
    direction = 1.0 if tfp > t0p else -1.0
    if t_eval is not None:
        te = np.asarray(data_of(t_eval), float)
        if te.ndim != 1 or np.any(direction * (te - t0p) < 0) or np.any(direction * (te - tfp) > 0):
            raise ValueError(f"solve_ivp: t_eval must be 1-D and within t_span = ({t0p}, {tfp})")
        if te.size > 1 and not np.all(direction * np.diff(te) > 0):
            raise ValueError("solve_ivp: t_eval must be sorted in the direction of integration")
    # a plain solve over the span: the steps, the events, the dense output
    theta = prob.theta0()
    plain = run_engine(prob, opts, np.array([t0p, tfp]), prob.y0_flat(), theta,
                       dense=dense_output or t_eval is None, events=events or None)
    end = float(plain.ts[-1])  # the terminal event's time, or tf
    t_end = span[1]
    if plain.status == 1:
        t_end = _event_time(prob, opts, sensealg, events, plain, span[0], end, theta)
    # the output times: t_eval up to the end, or the accepted steps (the dense output's knots)
    if t_eval is None:
        times = [span[0], *plain.dense.t[1:-1], t_end]
    else:
        keep = direction * (te - end) <= 0
        times = list(t_eval[keep]) if is_tensor(t_eval) else list(te[keep])
        if plain.status == 1:
            times.append(t_end)
    lead = not times or float(data_of(times[0])) != t0p  # y0's time is not an output
    if lead:
        times = [span[0], *times]
    if any(traced(x) for x in [*times, *prob.y_leaves, *prob.a_leaves]):
        tt = cnp.stack([x if is_tensor(x) else cnp.asarray(float(x)) for x in times])
        ys, _ = _states(prob, opts, sensealg, as_times(op, tt))
    else:
        tt = np.array([float(data_of(x)) for x in times])
        ys = np.stack(plain.dense.y) if t_eval is None else \
            _states(prob, opts, sensealg, as_times(op, tt))[0]
    if lead:
        tt, ys = tt[1:], ys[1:]
    ys = _cast(prob, ys)
    return OptimizeResult(
        t=tt, y=cnp.transpose(ys) if is_tensor(ys) else ys.T,
        sol=plain.dense if dense_output else None,
        t_events=plain.t_events if events else None, y_events=plain.y_events if events else None,
        nfev=plain.nfev, njev=plain.njev, nlu=plain.nlu, status=plain.status,
        message=plain.message, success=plain.status >= 0)


def _event_time(prob, opts, sensealg, events, plain, t0, t_e, theta):
    """The terminal event's time as a differentiable function of (y0, t0, args): the root of
    g(t_e, y(t_e)) = 0, by the implicit function theorem (where nothing is traced, the number)."""
    k = next(i for i, ts in enumerate(plain.t_events) if len(ts) and ts[-1] == t_e)
    y0 = prob.y0_flat()
    if not any(traced(x) for x in (t0, y0, theta)):
        return t_e
    g = events[k]
    sensealg = _choose(prob, sensealg)

    def residual(te, t0, y0, theta):
        tt = cnp.stack([t0, te])
        ys = solve_direct(prob, opts, y0, tt, theta) if sensealg == "direct" else \
            solve(prob, opts, sensealg, y0, tt, theta)
        return g(te, prob.unflatten_y(ys[-1]))
    return implicit_solution(residual, np.float64(t_e), (t0, y0, theta))
