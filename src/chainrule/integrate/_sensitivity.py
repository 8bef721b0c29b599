"""The sensitivity methods: how a solve's derivatives with respect to y0, the output times t
and the parameters theta are computed (docs/integrate.md, "Derivatives: the sensitivity methods").

- ``direct``: the accepted steps of a plain solve are replayed with traced values, each output
  interval under ``checkpoint_scan`` (binomial checkpointing), so the derivative is the exact
  derivative of the discrete solver with its step sizes held fixed; Radau's stages are
  differentiated by the implicit function theorem on their equations. Forward mode and every
  order come from the replay's operations; closures are seen.
- ``backsolve``, ``interpolating``, ``forward``: one ``custom_vjp`` function ``solve(problem,
  options, y0, t, theta)``, whose backward rule depends on the method: the continuous adjoint
  integrated backward with the state (backsolve), the adjoint alone with the state interpolated
  from a checkpointed re-solve (interpolating), or the forward sensitivity matrix S = dy/d(y0,
  theta) solved beside the state (forward). Each rule is written with chainrule operations and
  calls ``solve`` again for its own ODEs, so the rule is differentiable: forward mode transposes
  it, and a second derivative differentiates it (where its inputs are traced the rule
  recomputes the states it uses with ``solve`` itself instead of reading the plain residuals).

In all of them, dy(t_i)/dt_i = f(t_i, y_i) and dy(t_i)/dt_0 = -S_y0(t_i) f(t_0, y_0).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import numpy as cnp
from ..autograd.dispatch import tangents_of
from ..autograd.grad_mode import state
from ..custom import custom_vjp
from ..func import jacfwd, vjp
from ..optimize._implicit import implicit_solution
from ..primitives._core import data_of, is_tensor
from ..utils.checkpoint import checkpoint_scan
from ._ode_common import HermiteDense, ODEError, StepBudgetError, Trajectory
from ._ode_problem import IMPLICIT, FlatProblem, Options, traced
from ._radau import radau_residual, radau_update, solve_radau, solve_stages
from ._rk import TABLEAUX, rk_step, solve_explicit

# --- the plain engines ------------------------------------------------------------------------

def run_engine(prob, opts: Options, ts, y0, theta, *, dense: bool = False,
               events=None, record_steps: bool = True) -> Trajectory:
    ts = np.asarray(data_of(ts), dtype=float)
    y0 = np.asarray(data_of(y0), dtype=float).reshape(prob.n)
    theta = np.asarray(data_of(theta), dtype=float)
    rhs = prob.rhs(theta)
    if opts.method in IMPLICIT:
        traj = solve_radau(rhs, prob.jac(theta), ts, y0, dense=dense, events=events,
                           record_steps=record_steps, **opts.engine_kwargs())
    else:
        traj = solve_explicit(rhs, ts, y0, dense=dense, events=events,
                              record_steps=record_steps, **opts.engine_kwargs())
    prob.last = traj  # the counts, for odeint's full_output
    return traj


def _live(x) -> bool:
    """Whether a derivative of the rule itself is being taken through ``x``."""
    return is_tensor(x) and ((state.grad_enabled and x._edge is not None)
                             or bool(tangents_of(x)))


# --- direct: replaying the solver's steps ---------------------------------------------------

# the direct method keeps every step's operations (no checkpointing) up to this many state
# components times steps, about 50 MB of tape
_KEEP_ALL_UP_TO = 100_000


def solve_direct(prob, opts: Options, y0, t, theta):
    """The states at t (m, n), differentiated through the replayed steps."""
    if len(data_of(t)) == 1:
        return cnp.reshape(y0, (1, prob.n))
    traj = run_engine(prob, opts, t, y0, theta)
    if not (prob.closure_traced or any(traced(x) for x in (y0, t, theta))):
        return traj.ys
    one = _radau_step if opts.method in IMPLICIT else _rk_step
    # checkpointing recomputes steps; by default it is used only where keeping every step's
    # operations would take much memory (about 0.5 KB per state component and step)
    total = sum(len(fr) for fr in traj.fractions)
    keep_all = opts.n_checkpoints is None and prob.n * total <= _KEEP_ALL_UP_TO

    ys, y = [y0], y0
    for i, fr in enumerate(traj.fractions):
        starts = np.concatenate([[0.0], fr[:-1]])
        if keep_all:
            ta, tb = t[i], t[i + 1]
            for a, b in zip(starts, fr):
                y = one(prob, opts, ta + a * (tb - ta), y, (b - a) * (tb - ta), theta)
            ys.append(y)
            continue

        # theta and the interval's ends travel in the state: checkpoint takes the tensors a
        # segment reads as its arguments
        def step(s, x):
            y, th, ta, tb = s
            t0 = ta + x[0] * (tb - ta)
            return one(prob, opts, t0, y, (x[1] - x[0]) * (tb - ta), th), th, ta, tb
        y = checkpoint_scan(step, (y, theta, t[i], t[i + 1]), len(fr), opts.n_checkpoints,
                            xs=np.stack([starts, fr], axis=1))[0]
        ys.append(y)
    return cnp.stack(ys)


def _rk_step(prob, opts, t, y, h, theta):
    return rk_step(lambda s, z: prob.f(s, z, theta), t, y, h, TABLEAUX[opts.method],
                   fsal=False)[0]


def _radau_step(prob, opts, t, y, h, theta):
    """One Radau IIA step: the stages by Newton on plain values, then made a differentiable
    function of (t, h, y, theta) by the implicit function theorem on their equations."""
    n = prob.n

    def G(z, t, h, y, theta):
        Z = (z[:n], z[n:2 * n], z[2 * n:])
        return cnp.concatenate(radau_residual(lambda s, w: prob.f(s, w, theta), t, y, h, Z))
    tp, hp = float(data_of(t)), float(data_of(h))
    yp, thp = np.asarray(data_of(y), float), np.asarray(data_of(theta), float)
    # the stages to full precision (the replay must give the engine's step), then
    # differentiated by the implicit function theorem on their equations
    z = solve_stages(prob.rhs(thp), prob.jac(thp), tp, yp, hp, tol=1e-14).ravel()
    z = implicit_solution(G, z, (t, h, y, theta))
    return radau_update(y, (z[:n], z[n:2 * n], z[2 * n:]))


# --- the adjoint and forward-sensitivity methods --------------------------------------------

def _solve_value(prob, opts, sensealg, y0, t, theta):
    if len(data_of(t)) == 1:
        return np.asarray(data_of(y0), float).reshape(1, prob.n)
    return run_engine(prob, opts, t, y0, theta, record_steps=False).ys  # no derivative asked


solve = custom_vjp(_solve_value, nondiff_argnums=(0, 1, 2))


class _Plain:
    """The forward solve's plain results, kept opaque to the custom rule: the backward rule
    reads them only where no derivative of it is taken, and recomputes them with ``solve``
    (traced) where one is."""

    def __init__(self, ys, extra):
        self.ys, self.extra = ys, extra


def _solve_fwd(prob, opts, sensealg, y0, t, theta):
    if len(data_of(t)) == 1:
        ys = np.asarray(data_of(y0), float).reshape(1, prob.n)
        return ys, (y0, t, theta, _Plain(ys, None))
    if sensealg == "forward":
        ys, S = _sens_solve(prob, opts, y0, t, theta)
        return ys, (y0, t, theta, _Plain(ys, S))
    traj = run_engine(prob, opts, t, y0, theta, record_steps=False)
    return traj.ys, (y0, t, theta, _Plain(traj.ys, None))


def _solve_bwd(prob, opts, sensealg, res, ct):
    y0, t, theta, plain = res
    ys, extra = plain.ys, plain.extra
    m = len(data_of(t))
    if m == 1:
        return ct[0], cnp.zeros_like(t), cnp.zeros_like(theta)
    live = any(_live(x) for x in (y0, t, theta))
    if live:  # a derivative of this rule: the states must carry theirs
        if sensealg == "forward":
            ys, extra = _sens_solve_traced(prob, opts, y0, t, theta)
        else:
            ys = solve(prob, opts, sensealg, y0, t, theta)
    if sensealg == "forward":
        return _forward_bwd(prob, y0, t, theta, ys, extra, ct)
    if sensealg == "interpolating" and not live:
        return _interpolating_bwd(prob, opts, t, theta, ys, ct)
    return _backsolve_bwd(prob, opts, t, theta, ys, ct)


solve.defvjp(_solve_fwd, _solve_bwd)


def _time_cotangents(prob, t, theta, ys, ct, a0):
    """dL/dt_i = ct_i . f(t_i, y_i) for i >= 1, dL/dt_0 = -a(t_0) . f(t_0, y_0), where a(t_0)
    is the adjoint flowing back into y0 through the solve (``a0`` less ``ct_0``: the output
    y(t_0) = y0 itself does not move with t_0)."""
    m = len(data_of(t))
    g = [-cnp.sum((a0 - ct[0]) * prob.f(t[0], ys[0], theta))]
    for i in range(1, m):
        g.append(cnp.sum(ct[i] * prob.f(t[i], ys[i], theta)))
    return cnp.stack(g)


def _adjoint_problem(prob, state_fn=None) -> FlatProblem:
    """The adjoint ODE integrated backward: with the state (``state_fn`` None) on
    [y, a, g_theta], else on [a, g_theta] with y = state_fn(t):
        y' = f,  a' = -a^T df/dy,  g_theta' = -a^T df/dtheta."""
    n, P = prob.n, prob.P

    def f(t, z, theta):
        if state_fn is None:
            y, a = z[:n], z[n:2 * n]
        else:
            y, a = state_fn(t), z[:n]
        fy, pull = vjp(lambda yy, th: prob.f(t, yy, th), y, theta)
        vy, vth = pull(a)
        parts = [-vy, -vth] if state_fn is not None else [fy, -vy, -vth]
        return cnp.concatenate([cnp.reshape(p, (-1,)) for p in parts])
    size = (2 * n if state_fn is None else n) + P
    return FlatProblem(f"{prob.op} (adjoint)", f, size, P)


def _adjoint_options(opts: Options, n_controlled: int, size: int) -> Options:
    """The adjoint's step control on the state and adjoint components only (seminorm):
    the accumulated parameter gradient does not shrink the steps."""
    mask = [True] * n_controlled + [False] * (size - n_controlled)
    return opts.for_augmented().with_mask(mask)


def _backsolve_bwd(prob, opts, t, theta, ys, ct):
    n, P = prob.n, prob.P
    aprob = _adjoint_problem(prob)
    aopts = _adjoint_options(opts, 2 * n, 2 * n + P)
    m = len(data_of(t))
    a, g_th = ct[m - 1], cnp.zeros(P)
    for i in range(m - 1, 0, -1):
        z0 = cnp.concatenate([ys[i], a, g_th])
        try:
            z = solve(aprob, aopts, "backsolve", z0, cnp.stack([t[i], t[i - 1]]), theta)[-1]
        except ODEError as e:
            raise ODEError(f"{prob.op}: sensealg='backsolve' failed integrating the state and "
                           f"its adjoint backward from t={_num(t[i])} to t={_num(t[i - 1])} "
                           f"({e}). {_UNSTABLE}", e.t) from e
        _check_drift(prob, opts, z[:n], ys[i - 1], t[i], t[i - 1])
        a, g_th = z[n:2 * n] + ct[i - 1], z[2 * n:]
    return a, _time_cotangents(prob, t, theta, ys, ct, a), g_th


_UNSTABLE = ("Backsolve recomputes the state by integrating the ODE backward in time, which "
             "is unstable for stiff or strongly damped dynamics: use sensealg='interpolating' "
             "or 'direct' (or give more output times t: the state restarts from the forward "
             "solution at each)")
# how far (in units of the local tolerance) the backward state may drift from the forward
# solution before backsolve's gradient is refused as meaningless
_DRIFT = 1e4


def _check_drift(prob, opts, y_back, y_fwd, t_from, t_to):
    yb, yf = np.asarray(data_of(y_back), float), np.asarray(data_of(y_fwd), float)
    atol = np.asarray(opts.atol, float)
    drift = np.max(np.abs(yb - yf) / (atol + opts.rtol * np.abs(yf)))
    if not drift <= _DRIFT:  # (NaN too)
        raise ODEError(f"{prob.op}: sensealg='backsolve': the state integrated backward from "
                       f"t={_num(t_from)} to t={_num(t_to)} ended {drift:.3g} times the "
                       f"tolerance away from the forward solution there, so its gradient "
                       f"would be wrong. {_UNSTABLE}", _num(t_to))


def _num(x) -> float:
    return float(data_of(x))


# the interpolating method's dense output holds at most this many steps, in a buffer of fixed
# size; a longer stretch is cut in two (the middle state kept), each half done the same way,
# the later first
_LEAF_STEPS = 64


def _interpolating_bwd(prob, opts, t, theta, ys, ct):
    """The adjoint alone, the state read from a dense re-solve (cubic Hermite) of each stretch
    of at most _LEAF_STEPS steps, the stretches found by halving each output interval
    recursively: memory is a fixed buffer of dense output and one state per level of a
    logarithmic depth, whatever the number of steps."""
    n, P = prob.n, prob.P
    m = len(data_of(t))
    tp = np.asarray(data_of(t), float)
    thp = np.asarray(data_of(theta), float)
    # the cubic interpolant's error is the adjoint's: the stretches are re-solved 100 times
    # tighter than the solve (about 2.5 times the steps) to keep it below the tolerance
    dense = replace(opts, rtol=opts.rtol / 100, atol=_scaled(opts.atol, 1 / 100),
                    max_num_steps=_LEAF_STEPS)
    aopts = _adjoint_options(opts, n, n + P)

    def back(tA, yA, tB, adj):
        """Carry the adjoint ``adj = [a, g]`` (updated in place, so that the frames of the
        recursion hold no stale copies) from tB back to tA, the state re-solved from yA."""
        knots = HermiteDense(capacity=_LEAF_STEPS + 2)
        try:
            run_engine(prob, dense, np.array([tA, tB]), yA, thp, dense=knots,
                       record_steps=False)
        except StepBudgetError:
            knots = None  # (recursing outside the handler: its traceback holds the attempt)
        if knots is None:
            tM = tA + (tB - tA) / 2
            yM = run_engine(prob, opts, np.array([tA, tM]), yA, thp,
                            record_steps=False).ys[-1].copy()
            back(tM, yM, tB, adj)
            del yM
            back(tA, yA, tM, adj)
            return
        z0 = cnp.concatenate(adj)
        adj[:] = []
        z = solve(_adjoint_problem(prob, knots), aopts, "backsolve", z0,
                  np.array([tB, tA]), theta)[-1]
        del z0
        adj[:] = [z[:n], z[n:]]

    adj = [ct[m - 1], cnp.zeros(P)]
    for i in range(m - 1, 0, -1):
        back(tp[i - 1], ys[i - 1], tp[i], adj)
        adj[0] = adj[0] + ct[i - 1]
    a, g_th = adj
    return a, _time_cotangents(prob, t, theta, ys, ct, a), g_th


def _scaled(atol, k):
    return atol * k if isinstance(atol, float) else tuple(a * k for a in atol)


def _sens_problem(prob) -> FlatProblem:
    """The state with its sensitivity matrix S = d y / d(y0, theta) (n, n + P), flattened:
    S' = df/dy S + [0 | df/dtheta]."""
    n, P = prob.n, prob.P

    def f(t, z, theta):
        y, S = z[:n], cnp.reshape(z[n:], (n, n + P))
        fy = prob.f(t, y, theta)
        Jy, Jth = jacfwd(lambda yy, th: prob.f(t, yy, th), argnums=(0, 1))(y, theta)
        dS = cnp.matmul(Jy, S)
        if P:
            dS = dS + cnp.concatenate([cnp.zeros((n, n)), Jth], axis=1)
        return cnp.concatenate([fy, cnp.reshape(dS, (-1,))])
    return FlatProblem(f"{prob.op} (forward sensitivities)", f, n * (n + 1 + P), P)


def _sens_start(prob, y0):
    S0 = np.concatenate([np.eye(prob.n), np.zeros((prob.n, prob.P))], axis=1)
    return cnp.concatenate([cnp.reshape(y0, (-1,)), S0.ravel()])


def _sens_solve(prob, opts, y0, t, theta):
    sp = _sens_problem(prob)
    z = run_engine(sp, opts.for_augmented(), t, _sens_start(prob, y0), theta,
                   record_steps=False).ys
    prob.last = sp.last
    n = prob.n
    return z[:, :n], z[:, n:].reshape(len(z), n, n + prob.P)


def _sens_solve_traced(prob, opts, y0, t, theta):
    sp = _sens_problem(prob)
    z = solve(sp, opts.for_augmented(), "backsolve", _sens_start(prob, y0), t, theta)
    n = prob.n
    return z[:, :n], cnp.reshape(z[:, n:], (len(data_of(t)), n, n + prob.P))


def _forward_bwd(prob, y0, t, theta, ys, S, ct):
    n = prob.n
    g = cnp.einsum("mi,mij->j", ct, S)  # sum_i S_i^T ct_i
    a0, g_th = g[:n], g[n:]
    return a0, _time_cotangents(prob, t, theta, ys, ct, a0), g_th
