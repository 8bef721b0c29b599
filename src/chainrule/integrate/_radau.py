"""The implicit (stiff) ODE engine: the three-stage Radau IIA method of order 5, as Hairer and
Wanner's RADAU5 (Solving ODEs II, IV.8), on plain NumPy.

``radau_residual`` is the one home of the method's stage equations; the engine's simplified
Newton iteration solves them on arrays, and the "direct" sensitivity method of ``_odeint.py``
differentiates each replayed step through them by the implicit function theorem.
``solve_radau`` is the adaptive engine (contract: ``_ode_common.py`` and ``_odeint.py``)."""

from __future__ import annotations

import math
from collections.abc import Callable

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

_EPS = float(np.finfo(float).eps)

# The Butcher tableau (Hairer & Wanner II, Table IV.5.6), as Python floats so that the stage
# equations work on arrays and on chainrule tensors alike.
_S6 = math.sqrt(6.0)
C = ((4.0 - _S6) / 10.0, (4.0 + _S6) / 10.0, 1.0)
A = (((88.0 - 7.0 * _S6) / 360.0, (296.0 - 169.0 * _S6) / 1800.0, (-2.0 + 3.0 * _S6) / 225.0),
     ((296.0 + 169.0 * _S6) / 1800.0, (88.0 + 7.0 * _S6) / 360.0, (-2.0 - 3.0 * _S6) / 225.0),
     ((16.0 - _S6) / 36.0, (16.0 + _S6) / 36.0, 1.0 / 9.0))

# The embedded order-3 error estimate: err = (I - h g0 J)^-1 (g0 h f(t, y) + g0 sum_i e_i Z_i),
# g0 = 1 / gamma, gamma the real eigenvalue of A^-1 (Hairer & Wanner II, (IV.8.19)-(IV.8.20)).
_E = ((-13.0 - 7.0 * _S6) / 3.0, (-13.0 + 7.0 * _S6) / 3.0, -1.0 / 3.0)


def _transformation():
    """A^-1 = T diag(gamma, [[alpha, beta], [-beta, alpha]]) T^-1: one real and one complex
    linear system per Newton iteration instead of one of size 3n."""
    ainv = np.linalg.inv(np.array(A))
    lam, vec = np.linalg.eig(ainv)
    r = int(np.argmin(np.abs(lam.imag)))
    c = int(np.argmax(lam.imag))  # alpha + i beta, beta > 0
    # Scaled so the last components are (1, 1, 0), Hairer's normalisation, which keeps T tame.
    u = vec[:, r].real / vec[2, r].real
    v = vec[:, c] / vec[2, c]
    T = np.column_stack([u, v.real, v.imag])
    TI = np.linalg.inv(T)
    gamma = float(lam[r].real)
    alpha, beta = float(lam[c].real), float(lam[c].imag)
    return T, TI, gamma, complex(alpha, -beta)


_T, _TI, _GAMMA, _MU = _transformation()
_TI_C = _TI[1] + 1j * _TI[2]          # rows of T^-1 giving the complex unknown W2 + i W3
_C_ARR = np.array(C)
# The collocation polynomial through (0, 0), (c_j, Z_j): Lagrange denominators c_j prod (c_j-c_k)
_LAGR_DEN = np.array([C[j] * np.prod([C[j] - C[k] for k in range(3) if k != j])
                      for j in range(3)])

_NEWTON_MAXITER = 7      # Hairer's NIT
_SAFETY = 0.9
_FAC_MIN, _FAC_MAX = 0.2, 8.0    # step-size ratio bounds (Hairer's 1/FACL, 1/FACR)
# After an accepted step the Jacobian is kept unless Newton needed more than _REUSE_ITERS
# iterations AND contracted slower than _THETA_REUSE (Hairer's THET); h and the factorisations
# are kept when the controller's new/old ratio lies in _KEEP_H (Hairer's QUOT1, QUOT2 are 1 and
# 1.2; 0.8 halves the factorisations on van der Pol for a few more rejected steps).
_THETA_REUSE = 1e-3
_REUSE_ITERS = 2
_KEEP_H = (0.8, 1.2)
_LAND_SLACK = 1.01
_EXTRAPOLATE = True      # Newton start: the last step's collocation polynomial (else zeros,
                         # which costs about 1.5x the rhs evaluations on van der Pol)


def radau_residual(f: Callable, t, y, h, Z) -> tuple:
    """The Radau IIA stage equations in increment form,
    ``G_i = Z_i - h sum_j a_ij f(t + c_j h, y + Z_j)``, i = 0, 1, 2, zero at the stages of the
    step from ``t`` to ``t + h``. Written with ``+``, ``-``, ``*`` and float coefficients only,
    so ``t``, ``y``, ``h`` and the ``Z_i`` may be NumPy arrays or chainrule tensors."""
    F = [f(t + C[j] * h, y + Z[j]) for j in range(3)]
    return tuple(Z[i] - h * (A[i][0] * F[0] + A[i][1] * F[1] + A[i][2] * F[2])
                 for i in range(3))


def radau_update(y, Z):
    """The new state after a step whose stage increments are ``Z``: the method is stiffly
    accurate (b = the last row of A), so it is the last stage."""
    return y + Z[2]


def _extrapolation(ratio: float) -> np.ndarray:
    """P with ``P @ Z_old - Z_old[2]`` the last step's collocation polynomial evaluated at the
    new step's stages, ``ratio = h_new / h_old``: the Newton start."""
    s = 1.0 + _C_ARR * ratio
    d = s[:, None] - _C_ARR[None, :]        # (s_i - c_k)
    num = np.empty((3, 3))
    num[:, 0] = d[:, 1] * d[:, 2]
    num[:, 1] = d[:, 0] * d[:, 2]
    num[:, 2] = d[:, 0] * d[:, 1]
    return s[:, None] * num / _LAGR_DEN[None, :]


class _Newton:
    """The simplified Newton iteration on the transformed stage equations, with the iteration
    matrices' inverses (the "LU") for one step size and Jacobian."""

    __slots__ = ("rhs", "n", "Er", "Ec", "h", "nfev", "faccon", "theta", "fnewt", "nonfinite")

    def __init__(self, rhs, n, fnewt):
        self.rhs, self.n, self.fnewt = rhs, n, fnewt
        self.Er = self.Ec = None
        self.h = None
        self.nfev = 0
        self.faccon = 1.0
        self.theta = 1.0
        self.nonfinite = False   # the last failure came from a non-finite derivative

    def factor(self, J: np.ndarray, h: float) -> bool:
        """Invert (gamma/h) I - J and (mu/h) I - J; False when singular. The inverses serve as
        the factorisations (solves become products: NumPy has no reusable LU); their rounding
        only slows the simplified Newton iteration, whose residual is exact."""
        eye = np.eye(self.n)
        try:
            Er = np.linalg.inv((_GAMMA / h) * eye - J)
            Ec = np.linalg.inv((_MU / h) * eye - J)
        except np.linalg.LinAlgError:
            return False
        if not (np.isfinite(Er).all() and np.isfinite(Ec).all()):
            return False
        self.Er, self.Ec, self.h = Er, Ec, h
        return True

    def solve(self, t, y, Z, scale, maxiter=_NEWTON_MAXITER):
        """Iterate from the stage increments Z (3, n). Returns (Z, converged, iterations,
        step factor suggested on failure)."""
        rhs, h, fnewt = self.rhs, self.h, self.fnewt
        Er, Ec = self.Er, self.Ec
        gh, muh = _GAMMA / h, _MU / h
        W = _TI @ Z
        F = np.empty_like(Z)
        t1, t2, t3 = t + C[0] * h, t + C[1] * h, t + h
        faccon = self.faccon
        dynold = thqold = 1.0
        w = 1.0 / (scale * math.sqrt(3 * self.n))    # RMS weights of the update's norm
        self.nonfinite = False
        for it in range(1, maxiter + 1):
            F[0] = rhs(t1, y + Z[0])
            F[1] = rhs(t2, y + Z[1])
            F[2] = rhs(t3, y + Z[2])
            self.nfev += 3
            if not np.isfinite(F).all():
                self.nonfinite = True
                return Z, False, it, 0.5
            dWr = Er @ (_TI[0] @ F - gh * W[0])
            dWc = Ec @ (_TI_C @ F - muh * (W[1] + 1j * W[2]))
            r, c = dWr * w, dWc * w
            dyno = math.sqrt(r @ r + np.vdot(c, c).real)
            if it > 1:
                thq = dyno / dynold
                theta = thq if it == 2 else math.sqrt(thq * thqold)
                thqold = thq
                self.theta = theta
                if theta < 0.99:
                    faccon = theta / (1.0 - theta)
                    dyth = faccon * dyno * theta ** (maxiter - 1 - it) / fnewt
                    if dyth >= 1.0:   # predicted not to converge in time
                        q = max(1e-4, min(20.0, dyth))
                        return Z, False, it, 0.8 * q ** (-1.0 / (4.0 + maxiter - 1 - it))
                else:
                    return Z, False, it, 0.5
            dynold = max(dyno, _EPS)
            W[0] += dWr
            W[1] += dWc.real
            W[2] += dWc.imag
            Z = _T @ W
            if faccon * dyno <= fnewt:
                self.faccon = faccon
                return Z, True, it, 1.0
        return Z, False, maxiter, 0.5


def _check_inputs(ts, y0, rtol, atol, error_mask):
    ts = np.asarray(ts, dtype=float)
    if ts.ndim != 1 or ts.size < 2:
        raise ValueError(f"solve_radau: ts must be a 1-D array of at least 2 output times, got "
                         f"shape {ts.shape}")
    if not np.isfinite(ts).all():
        raise ValueError("solve_radau: the output times ts must be finite")
    d = np.diff(ts)
    if not ((d > 0).all() or (d < 0).all()):
        raise ValueError("solve_radau: ts must be strictly increasing or strictly decreasing")
    y0 = np.array(y0, dtype=float)
    if y0.ndim != 1:
        raise ValueError(f"solve_radau: y0 must be a flat (n,) state, got shape {y0.shape}")
    if not np.isfinite(y0).all():
        raise ODEError("solve_radau: the initial state y0 is not finite", float(ts[0]))
    rtol = float(rtol)
    atol = np.asarray(atol, dtype=float)
    if not (np.isfinite(rtol) and rtol >= 0 and np.isfinite(atol).all() and (atol >= 0).all()):
        raise ValueError(f"solve_radau: rtol and atol must be finite and non-negative, got "
                         f"rtol={rtol!r}, atol={atol!r}")
    if atol.ndim not in (0, 1) or (atol.ndim == 1 and atol.shape != y0.shape):
        raise ValueError(f"solve_radau: atol must be a scalar or a {y0.shape} array, got shape "
                         f"{atol.shape}")
    # float64 resolves no finer relative tolerance (SciPy raises rtol to the same floor); the
    # floor on atol only turns 0/0 into 0 in the error norm (atol=0: relative control)
    rtol = max(rtol, 100 * _EPS)
    atol = np.maximum(atol, 1e-300)
    atol = float(atol) if atol.ndim == 0 else atol
    if error_mask is not None:
        error_mask = np.asarray(error_mask, dtype=bool)
        if error_mask.shape != y0.shape:
            raise ValueError(f"solve_radau: error_mask must be a boolean {y0.shape} array, got "
                             f"shape {error_mask.shape}")
    return ts, y0, rtol, atol, error_mask


def _jacobian(jac, t, y, n):
    J = np.asarray(jac(t, y), dtype=float)
    if J.shape != (n, n):
        raise ValueError(f"solve_radau: jac(t, y) must return an ({n}, {n}) array, got shape "
                         f"{J.shape}")
    if not np.isfinite(J).all():
        raise ODEError(f"solve_radau: the Jacobian is not finite at t={t}", t)
    return J


def solve_radau(rhs: Callable, jac: Callable, ts, y0, *, rtol: float = 1e-6, atol=1e-9,
                first_step: float | None = None, max_step: float = np.inf,
                max_num_steps: int = 100_000, error_mask=None, dense: bool = False,
                events=None, record_steps: bool = True) -> Trajectory:
    """Integrate ``dy/dt = rhs(t, y)`` from ``ts[0]`` through the output times ``ts`` (strictly
    monotone, either direction) with adaptive Radau IIA (order 5), landing exactly on every
    output time. ``jac(t, y)`` is the (n, n) Jacobian of ``rhs``. ``rtol`` below 100 eps is
    raised to 100 eps. ``record_steps=False`` leaves ``fractions`` empty (the adjoint methods
    replay nothing). Returns a :class:`Trajectory`; raises :class:`ODEError` when the step size
    underflows, Newton's iteration cannot converge or the state stops being finite, and
    :class:`StepBudgetError` when ``max_num_steps`` runs out."""
    if not callable(jac):
        raise TypeError("solve_radau: jac must be a callable jac(t, y) -> (n, n) array; the "
                        "implicit method needs the Jacobian of rhs")
    ts, y, rtol, atol, mask = _check_inputs(ts, y0, rtol, atol, error_mask)
    n = y.size
    direction = 1.0 if ts[1] > ts[0] else -1.0
    t = float(ts[0])
    f = np.asarray(rhs(t, y), dtype=float)
    nfev = 1
    if f.shape != y.shape:
        raise ValueError(f"solve_radau: rhs(t, y) must return a ({n},) array, got shape "
                         f"{f.shape}")
    if not np.isfinite(f).all():
        raise ODEError(f"solve_radau: the derivative is not finite at t={t}", t)
    max_step = float(max_step)
    if not max_step > 0:
        raise ValueError(f"solve_radau: max_step must be positive, got {max_step}")
    zero_atol = bool(np.any(atol <= 1e-300))
    if first_step is None:
        # a zero atol (floored to 1e-300) would swamp the heuristic: there, scale by rtol
        a0 = np.where(atol > 1e-300, atol, rtol) if zero_atol else atol
        with np.errstate(over="ignore", invalid="ignore"):
            h_abs = initial_step(rhs, t, y, f, direction, 3, rtol, a0, mask, max_step)
        nfev += 1
        if not (np.isfinite(h_abs) and h_abs > 0):
            h_abs = min(1e-6, max_step)   # RADAU5's default start
    else:
        h_abs = float(first_step)
        if not h_abs > 0:
            raise ValueError(f"solve_radau: first_step must be positive, got {first_step}")
    h_abs = min(h_abs, max_step)

    newton = _Newton(rhs, n, max(10 * _EPS / rtol, min(0.03, rtol ** 0.5)))
    J = _jacobian(jac, t, y, n)
    njev, nlu, nsteps, nreject = 1, 0, 0, 0
    J_current = True
    lu_ok = False
    Z_old = None            # the last accepted step's stages, for the Newton start
    h_old = 0.0
    h_acc = err_acc = None  # Gustafsson's memory of the last accepted step
    first = True
    rejected = False
    n_fail = 0              # consecutive singular iteration matrices

    m = ts.size
    ys = np.empty((m, n))
    ys[0] = y
    fractions: list[np.ndarray] = []
    dense_out = dense_output(dense)
    if dense_out is not None:
        dense_out.append(t, y, f)
    events = check_events(events)
    if events:
        def evaluate(tt, yy):
            return np.array([float(ev(tt, yy)) for ev in events])
        g = evaluate(t, y)
        t_events = [[] for _ in events]
        y_events = [[] for _ in events]
        counts = [0] * len(events)
    stop = None   # (event index, t_event, y_event) after a terminal event

    def fail(msg):
        raise ODEError(f"solve_radau: {msg} at t={t}", t)

    for i in range(m - 1):
        t_start, t_end = float(ts[i]), float(ts[i + 1])
        fr: list[float] = []
        while True:
            if nsteps + nreject >= max_num_steps:
                raise StepBudgetError(
                    f"solve_radau: max_num_steps={max_num_steps} steps (accepted + rejected) "
                    f"were not enough to reach t={ts[-1]} (stopped at t={t}); raise "
                    f"max_num_steps or loosen rtol/atol", t)
            remaining = abs(t_end - t)
            if h_abs <= 10 * _EPS * abs(t) or h_abs < 1e-300:
                if newton.nonfinite:
                    fail("rhs returned non-finite values at every step size tried (the step "
                         f"fell to {h_abs:.3e}); the solution may blow up there")
                fail(f"the step size {h_abs:.3e} fell below what floating point resolves "
                     f"(Newton's iteration or the error test kept failing); the problem may "
                     f"be singular there or need looser tolerances")
            # an output time within 1% of the step is reached in this step; one within two
            # steps in two equal ones (the second reuses the factorisations), not a tiny step
            if remaining <= min(_LAND_SLACK * h_abs, max_step):
                h_step, landing = remaining, True
            elif remaining < 2.0 * h_abs:
                h_step, landing = 0.5 * remaining, False
            else:
                h_step, landing = h_abs, False
            h = direction * h_step
            t_new = t_end if landing else t + h
            if not lu_ok or newton.h != h:
                if not newton.factor(J, h):
                    n_fail += 1
                    if n_fail >= 5:
                        fail("the Newton iteration matrix stayed singular while the step was "
                             "halved five times")
                    h_abs *= 0.5
                    nreject += 1
                    continue
                n_fail = 0
                nlu += 1
                lu_ok = True
            scale = atol + rtol * np.abs(y)
            if zero_atol:   # Newton's weights: a component at 0 under atol=0 would be infinite
                scale = np.maximum(scale, 1e-12 * rtol * (1.0 + np.abs(y).max()))
            if _EXTRAPOLATE and Z_old is not None:
                Z0 = _extrapolation(h / h_old) @ Z_old - Z_old[2]
            else:
                Z0 = np.zeros((3, n))
            Z, ok, nit, hfac = newton.solve(t, y, Z0, scale)
            if not ok:
                nreject += 1
                rejected = True
                h_abs *= hfac
                lu_ok = False
                if not J_current:
                    J = _jacobian(jac, t, y, n)
                    njev += 1
                    J_current = True
                continue
            y_new = y + Z[2]
            ZE = (_E[0] * Z[0] + _E[1] * Z[1] + _E[2] * Z[2]) / h
            err = newton.Er @ (f + ZE)
            err_norm = error_norm(err, y, y_new, rtol, atol, mask)
            if err_norm >= 1.0 and (first or rejected):
                # the filtered estimate can fail to damp stiff components: filter again
                f_err = rhs(t, y + err)
                newton.nfev += 1
                if np.isfinite(f_err).all():
                    err = newton.Er @ (f_err + ZE)
                    err_norm = error_norm(err, y, y_new, rtol, atol, mask)
            fac = min(_SAFETY, _SAFETY * (2 * _NEWTON_MAXITER + 1) / (nit + 2 * _NEWTON_MAXITER))
            quot = max(1.0 / _FAC_MAX, min(1.0 / _FAC_MIN, err_norm ** 0.25 / fac))
            if not err_norm < 1.0:   # NaN rejects too
                nreject += 1
                if first:
                    h_abs *= 0.1
                else:
                    h_abs = h_step / (quot if np.isfinite(quot) else 1.0 / _FAC_MIN)
                rejected = True
                if not J_current:   # as RADAU5: a rejected step gets a fresh Jacobian
                    J = _jacobian(jac, t, y, n)
                    njev += 1
                    J_current = True
                    lu_ok = False
                continue
            # accepted
            f_new = np.asarray(rhs(t_new, y_new), dtype=float)
            nfev += 1
            if not (np.isfinite(f_new).all() and np.isfinite(y_new).all()):
                fail(f"the solution stopped being finite at t={t_new}")
            nsteps += 1
            if not first:   # Gustafsson's predictive controller
                gus = (h_acc / h_step) * (err_norm ** 2 / err_acc) ** 0.25 / _SAFETY
                quot = max(quot, max(1.0 / _FAC_MAX, min(1.0 / _FAC_MIN, gus)))
            h_acc, err_acc = h_step, max(1e-2, err_norm)
            h_new = h_step / quot
            if rejected:
                h_new = min(h_new, h_step)
            if landing:   # a step clipped to an output time says little about the next
                h_new = max(h_new, min(h_abs, h_step * _FAC_MAX)) if not rejected else h_new
            h_new = min(h_new, max_step)
            newton.faccon = max(newton.faccon, _EPS) ** 0.8

            if events:
                found, g_new = find_events(events, g, t, t_new, y, y_new, f, f_new, evaluate)
                for k, te, ye in found:
                    term = getattr(events[k], "terminal", False)
                    if term and counts[k] + 1 >= int(term):
                        if te == t_new:
                            ye = y_new
                        else:
                            ye = _land(newton, J, t, y, te, ye, scale, Z_old, h_old)
                            nlu += 1
                        t_events[k].append(te)
                        y_events[k].append(ye)
                        stop = (k, te, ye)
                        break
                    counts[k] += 1
                    t_events[k].append(te)
                    y_events[k].append(ye)
                g = g_new
                if stop is not None:
                    break

            Z_old, h_old = Z, h
            t, y, f = t_new, y_new, f_new
            if dense_out is not None:
                dense_out.append(t, y, f)
            if record_steps:
                fr.append(t)
            first = rejected = False
            # Jacobian reuse: keep it while Newton contracts fast, and keep h (and the
            # factorisations) when the controller would change it only a little.
            h_abs = h_new
            if newton.theta > _THETA_REUSE and nit > _REUSE_ITERS:
                J = _jacobian(jac, t, y, n)
                njev += 1
                J_current = True
                lu_ok = False
            else:
                J_current = False
                if not landing and _KEEP_H[0] <= h_new / h_step <= _KEEP_H[1]:
                    h_abs = h_step
            if landing:
                break
        if stop is not None:
            k, te, ye = stop
            if record_steps:
                fractions.append(_fractions(fr + [te], t_start, te))
            if dense_out is not None:
                dense_out.append(te, ye, np.asarray(rhs(te, ye), dtype=float))
                nfev += 1
            ts_out = np.append(ts[:i + 1], te)
            ys_out = np.vstack([ys[:i + 1], ye[None]])
            traj = Trajectory(ts_out, ys_out, fractions, status=1,
                              message=f"A termination event (events[{k}]) occurred at t={te}.")
            break
        ys[i + 1] = y
        if record_steps:
            fractions.append(_fractions(fr, t_start, t_end))
    else:
        traj = Trajectory(ts.copy(), ys, fractions)
    traj.nfev = nfev + newton.nfev
    traj.njev, traj.nlu, traj.nsteps, traj.nreject = njev, nlu, nsteps, nreject
    traj.dense = dense_out
    if events:
        traj.t_events = [np.array(v, dtype=float) for v in t_events]
        traj.y_events = [np.array(v, dtype=float).reshape(len(v), n) for v in y_events]
    return traj


def _fractions(times, t_start, t_end):
    """The step ends as fractions of [t_start, t_end], the last exactly 1."""
    fr = (np.array(times) - t_start) / (t_end - t_start)
    fr[-1] = 1.0
    return fr


def _land(newton: _Newton, J, t, y, te, ye_interp, scale, Z_old, h_old):
    """The state at a terminal event by a Radau step from t to the event time, so that the
    last output is a step of the method that the direct sensitivity method replays; the
    Hermite value when that step's Newton iteration fails."""
    h = te - t
    if h == 0:
        return y.copy()
    saved = newton.Er, newton.Ec, newton.h
    try:
        if not newton.factor(J, h):
            return ye_interp
        Z0 = (_extrapolation(h / h_old) @ Z_old - Z_old[2]) if Z_old is not None else \
            np.zeros((3, y.size))
        Z, ok, _, _ = newton.solve(t, y, Z0, scale, maxiter=20)
        return y + Z[2] if ok else ye_interp
    finally:
        newton.Er, newton.Ec, newton.h = saved


def solve_stages(rhs: Callable, jac: Callable, t: float, y: np.ndarray, h: float, *,
                 tol: float = 1e-12, maxiter: int = 30) -> np.ndarray:
    """The stage increments Z (3, n) of the Radau step from ``t`` to ``t + h``: the root of
    :func:`radau_residual`, by simplified Newton with the Jacobian at (t, y), to the relative
    tolerance ``tol``. Plain NumPy: the direct sensitivity method hands the result to
    ``implicit_solution`` with ``radau_residual`` to make the step differentiable."""
    y = np.asarray(y, dtype=float)
    n = y.size
    newton = _Newton(rhs, n, 1.0)
    if not newton.factor(_jacobian(jac, t, y, n), h):
        raise ODEError(f"solve_stages: the Newton iteration matrix is singular at t={t}, "
                       f"h={h}", t)
    Z, ok, _, _ = newton.solve(t, y, np.zeros((3, n)), tol * (1.0 + np.abs(y)), maxiter)
    if not ok:
        raise ODEError(f"solve_stages: Newton's iteration did not converge at t={t}, h={h}; "
                       f"a smaller step is needed", t)
    return Z


def _replay(rhs: Callable, jac: Callable, ts, y0, fractions, tol: float = 1e-12) -> np.ndarray:
    """The states at ``ts`` from Radau steps ending at the given fractions of each output
    interval (as the direct method replays them; fixed steps: ``np.linspace(0, 1, k + 1)[1:]``),
    each solved by :func:`solve_stages`. For tests and the fixed-step order study."""
    ts = np.asarray(ts, dtype=float)
    y = np.array(y0, dtype=float)
    out = [y.copy()]
    for i, fr in enumerate(fractions):
        t, span = float(ts[i]), float(ts[i + 1] - ts[i])
        for q in fr:
            t_new = float(ts[i + 1]) if q == 1.0 else float(ts[i]) + q * span
            y = radau_update(y, solve_stages(rhs, jac, t, y, t_new - t, tol=tol))
            t = t_new
        out.append(y.copy())
    return np.array(out)
