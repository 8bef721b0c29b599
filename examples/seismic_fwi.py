"""Seismic full-waveform inversion: a velocity model from the traces it records, with the
gradient of a 1000-step wave simulation taken in little memory by ``checkpoint_scan``.

The pressure u(x, z, t) obeys the 2-D acoustic wave equation with a damping term

    u_tt + 2 eta(x, z) u_t = v(x, z)^2 (u_xx + u_zz) + f(t) delta(x - x_s, z - z_s)

where v is the velocity model, f a Ricker wavelet r(t) (peak frequency f0), scaled as
f = (dx / dt)^2 r so that each step adds r(t_n) to u at the shot's cell, fired from one of
several shots along the top, and eta > 0 only in a sponge layer along the four edges
(Cerjan-style absorbing boundary: it ramps up quadratically, so the waves leaving the model
die out instead of reflecting back). Second-order central differences in time and space
(the five-point Laplacian) give the explicit scheme

    (1 + eta dt) u[n+1] = 2 u[n] - (1 - eta dt) u[n-1] + (v dt / dx)^2 L u[n] + r(t_n) s

(L the five-point stencil u[i+1,j] + u[i-1,j] + u[i,j+1] + u[i,j-1] - 4 u[i,j], s the
indicator of the shot's cell, u = 0 on the outermost cells)

which is stable under the CFL condition v_max dt / dx <= 1 / sqrt(2) (checked: a violating
model or time step raises). Receivers along the top record u at every step. The "observed"
traces come from a true model (a velocity increasing with depth plus a fast Gaussian
anomaly); the misfit is the sum of squared differences between simulated and observed
traces, accumulated inside the time loop: the state is (u[n-1], u[n], misfit) and the
per-step inputs are the wavelet's amplitude and the observed samples, so that
``chainrule.checkpoint_scan`` differentiates the whole loop, keeping about sqrt(n_steps)
wavefields instead of every step's activations. L-BFGS-B (``chainrule.optimize.minimize``,
needs SciPy) then fits a smooth update of the background (the smooth starting model): a
Gaussian blur of the parameters (3 cells at n = 60), tapered to zero outside the cells below
the receiver line and inside the sponge; its gradient is the velocity gradient pulled back
through that map by ``chainrule.vjp``.

With the defaults (10 iterations, about 40 s on one core): misfit 297 -> 6.5, RMS model
error 89.7 -> 30.1 m/s. The gradient's peak memory (tracemalloc): 331 MB by the plain
loop, 9.2 MB by checkpoint_scan with 32 stored states, 2.6 MB with ``--storage disk``.

    python examples/seismic_fwi.py                      # 60 x 60 grid, 1000 steps, 4 shots
    python examples/seismic_fwi.py --iterations 20 --plot fwi.png
    python examples/seismic_fwi.py --n 40 --steps 600 --checkpoints 12 --storage disk
"""

import argparse
import math
import time
from dataclasses import dataclass

import numpy as onp

import chainrule as cr
import chainrule.numpy as np
from chainrule.optimize import minimize

SIZE = 600.0  # the model's side in metres, whatever the grid


@dataclass  # (no ``from __future__ import annotations``: the tests load this file unregistered)
class Survey:
    """A square grid with its sponge, shots and receivers, and the observed data."""

    n: int  # grid points per side (the sponge included)
    dx: float  # metres
    dt: float  # seconds
    steps: int
    width: int  # sponge cells along each edge
    eta: onp.ndarray  # damping (n, n), 1/s; zero inside the sponge
    sources: onp.ndarray  # (shots, n, n): 1 at each shot's cell
    rec_row: int
    rec_cols: onp.ndarray
    wavelet: onp.ndarray  # (steps,)
    v_true: onp.ndarray  # (n, n), m/s
    v_start: onp.ndarray
    update: onp.ndarray  # (n, n) bool: the cells the inversion may change
    taper: onp.ndarray  # (n, n) in [0, 1]: zero outside ``update``, fading in at its edges
    observed: onp.ndarray | None = None  # (steps, shots, receivers)


def ricker(t, f0):
    """The Ricker wavelet (second derivative of a Gaussian) of peak frequency f0, delayed."""
    a = (math.pi * f0 * (t - 1.2 / f0)) ** 2
    return (1.0 - 2.0 * a) * onp.exp(-a)


def make_survey(n: int = 60, steps: int = 1000, shots: int = 4, dt: float | None = None,
                f0: float | None = None) -> Survey:
    """The default survey scaled to an n x n grid over 600 m: 1000 steps of 0.5 ms at n = 60
    (dt scales with dx), a 15 Hz wavelet (lower on coarser grids, so that a wavelength spans
    enough cells), sponge one sixth of the side wide, shots evenly along the top."""
    if n < 20:
        raise ValueError(f"make_survey: n must be at least 20 (sponge, shots and anomaly need "
                         f"room), got {n}")
    dx = SIZE / n
    dt = 0.5e-3 * 60 / n if dt is None else dt
    f0 = 15.0 * min(1.0, n / 60) if f0 is None else f0
    width = max(n // 6, 4)
    # a quadratic ramp up to eta_max = v ln(1/R) / (2 L) (v = 3000 m/s, R = 1e-3, L the
    # sponge's width): the late edge reflections of a homogeneous model stay near 1.5 %
    d = onp.zeros(n)
    ramp = (onp.arange(width, 0, -1) / width) ** 2
    d[:width], d[n - width:] = ramp, ramp[::-1]
    eta_max = 3000.0 * math.log(1e3) / (2 * width * dx)
    eta = eta_max * onp.maximum(d[:, None], d[None, :])
    z = (onp.arange(n) - width) * dx  # depth below the sponge, metres
    x = onp.arange(n) * dx
    background = onp.broadcast_to(2000.0 + 0.8 * onp.clip(z, 0, None)[:, None], (n, n)).copy()
    zc, xc, sigma = 0.6 * SIZE, 0.5 * SIZE, 0.08 * SIZE
    anomaly = 400.0 * onp.exp(-((z[:, None] + width * dx - zc) ** 2
                                + (x[None, :] - xc) ** 2) / (2 * sigma**2))
    rec_row = width + 1
    cols = onp.linspace(width + 2, n - width - 3, shots).round().astype(int)
    sources = onp.zeros((shots, n, n))
    for k, c in enumerate(cols):
        sources[k, rec_row, c] = 1.0
    update = onp.zeros((n, n), bool)
    update[rec_row + 3:n - width, width:n - width] = True
    K = gaussian_matrix(n, 2.0 * n / 60)
    taper = (K @ update @ K) * update
    t = onp.arange(steps) * dt
    return Survey(n, dx, dt, steps, width, eta, sources, rec_row,
                  onp.arange(width, n - width), ricker(t, f0), background + anomaly,
                  background, update, taper)


def check_cfl(v, survey: Survey):
    """Raise unless v_max dt / dx <= 1/sqrt(2), the explicit scheme's stability limit."""
    vmax = float(onp.max(v.detach().numpy() if cr.is_tensor(v) else onp.asarray(v)))
    courant = vmax * survey.dt / survey.dx
    if not courant <= 1 / math.sqrt(2):
        raise ValueError(
            f"CFL condition violated: v_max dt / dx = {vmax:.0f} * {survey.dt:g} / "
            f"{survey.dx:g} = {courant:.3f} > 1/sqrt(2); use dt <= "
            f"{survey.dx / (vmax * math.sqrt(2)):.3g} s or a slower model")


def make_step(v, survey: Survey, record: bool = False):
    """The time step ``(u_prev, u, misfit), (f_n, observed_n) -> (u, u_next, misfit')``.

    ``v`` (n, n) is read from the closure (the squared Courant number is formed inside the
    step, since checkpoint_scan's segments may read only leaves from outside). With
    ``record`` the step returns the receivers' samples in place of the misfit instead."""
    dt, dx = survey.dt, survey.dx
    a = 1.0 + survey.eta * dt
    b = (1.0 - survey.eta * dt) / a
    sources = survey.sources / a  # the injection, divided by (1 + eta dt) already
    r, cols = survey.rec_row, survey.rec_cols

    def step(state, x):
        u_prev, u, misfit = state
        f, obs = x
        c2 = v * v * (dt * dt / (dx * dx)) / a
        lap = (u[:, :-2, 1:-1] + u[:, 2:, 1:-1] + u[:, 1:-1, :-2] + u[:, 1:-1, 2:]
               - 4.0 * u[:, 1:-1, 1:-1])
        lap = np.pad(lap, ((0, 0), (1, 1), (1, 1)))  # u = 0 on the outermost cells
        u_next = (2.0 / a) * u - b * u_prev + c2 * lap + f * sources
        samples = u_next[:, r, cols]
        if record:
            return u, u_next, samples
        return u, u_next, misfit + ((samples - obs) ** 2).sum()
    return step


def initial_state(survey: Survey):
    shape = (survey.sources.shape[0], survey.n, survey.n)
    return onp.zeros(shape), onp.zeros(shape), onp.zeros(())


def record(v, survey: Survey):
    """The traces (steps, shots, receivers) that model v produces (no gradient)."""
    check_cfl(v, survey)
    step = make_step(onp.asarray(v), survey, record=True)
    shots, nrec = survey.sources.shape[0], survey.rec_cols.size
    state = (*initial_state(survey)[:2], onp.zeros((shots, nrec)))
    dummy = onp.zeros((shots, nrec))
    traces = onp.empty((survey.steps, shots, nrec))
    for i in range(survey.steps):
        state = step(state, (survey.wavelet[i], dummy))
        traces[i] = state[2]
    return traces


def observe(survey: Survey) -> Survey:
    """Fill in the observed traces from the true model."""
    survey.observed = record(survey.v_true, survey)
    return survey


def misfit(v, survey: Survey, checkpoints: int | None = None, checkpointed: bool = True,
           storage=None):
    """The misfit (sum of squared trace differences) of model v (a tensor or array), through
    ``checkpoint_scan`` with ``checkpoints`` stored wavefields, or through the plain loop."""
    if survey.observed is None:
        raise ValueError("misfit: the survey has no observed traces; call observe(survey) "
                         "(or set survey.observed, shape (steps, shots, receivers)) first")
    check_cfl(v, survey)
    step = make_step(v, survey)
    xs = (survey.wavelet, survey.observed)
    state = initial_state(survey)
    if checkpointed:
        state = cr.checkpoint_scan(step, state, survey.steps, checkpoints, xs=xs,
                                   storage=storage)
    else:
        for i in range(survey.steps):
            state = step(state, (xs[0][i], xs[1][i]))
    return state[2]


def misfit_and_gradient(v, survey: Survey, checkpoints: int | None = None,
                        checkpointed: bool = True, storage=None):
    """(misfit, d misfit / d v) at the model v (an array)."""
    vt = cr.tensor(onp.asarray(v, dtype=float), requires_grad=True)
    loss = misfit(vt, survey, checkpoints, checkpointed, storage)
    loss.backward()
    return float(loss.item()), vt.grad.numpy()


def model_error(v, survey: Survey) -> float:
    """The RMS velocity error (m/s) over the cells the inversion may change."""
    d = (onp.asarray(v) - survey.v_true)[survey.update]
    return float(onp.sqrt(onp.mean(d * d)))


def gaussian_matrix(n: int, sigma: float) -> onp.ndarray:
    """The symmetric (n, n) matrix of a Gaussian blur of ``sigma`` cells (zero beyond the
    edges, weights summing to 1 away from them): ``K @ a @ K`` blurs an image ``a``."""
    if sigma <= 0:
        return onp.eye(n)
    k = onp.arange(n)
    d = k[:, None] - k[None, :]
    reach = int(math.ceil(4 * sigma))
    g = onp.exp(-0.5 * (d / sigma) ** 2) * (onp.abs(d) <= reach)
    return g / onp.exp(-0.5 * (onp.arange(-reach, reach + 1) / sigma) ** 2).sum()


def model(m, survey: Survey, sigma: float):
    """The velocity model of the parameters m (n, n): the background plus the update
    ``taper * (K m K)``, smooth (a Gaussian of ``sigma`` cells) and fading out towards the
    edges of the cells the inversion may change. ``m`` may be a tensor."""
    K = gaussian_matrix(survey.n, sigma)
    return survey.v_start + survey.taper * (K @ m @ K)


def invert(survey: Survey, iterations: int = 10, checkpoints: int | None = None,
           storage=None, sigma: float | None = None, verbose: bool = True):
    """L-BFGS-B (``chainrule.optimize.minimize``) on the smooth update ``model(m)`` from the
    background (m = 0). The gradient in m is the misfit's gradient in v (``checkpoint_scan``)
    pulled back through ``model`` by ``chainrule.vjp``. Bounds |m| <= 1000 m/s keep
    |v - v_start| <= 1000 m/s, hence the CFL condition for the default survey. ``sigma``
    (cells; default 3 at n = 60, scaled with n) regularises: no structure finer than the
    wavelength can explain. Returns (v, history of misfits)."""
    sigma = 3.0 * survey.n / 60 if sigma is None else sigma
    history = []
    t0 = time.perf_counter()

    def fun(m):
        v, pull = cr.vjp(lambda m: model(m, survey, sigma), m)
        f, g = misfit_and_gradient(v, survey, checkpoints, storage=storage)
        history.append(f)
        if verbose:
            print(f"evaluation {len(history):3d}: misfit {f:.4e}, model error "
                  f"{model_error(v, survey):6.1f} m/s  ({time.perf_counter() - t0:.1f} s)")
        return f, pull(g)[0]

    m0 = onp.zeros((survey.n, survey.n))
    res = minimize(fun, m0, jac=True, method="L-BFGS-B", bounds=[(-1000.0, 1000.0)] * m0.size,
                   options={"maxiter": iterations})
    return onp.asarray(model(onp.asarray(res.x), survey, sigma)), history


def plot(survey: Survey, v, path: str):
    """True, starting and recovered models (dashed: the sponge's inner edge), and the first
    shot's traces: observed, and the residuals (simulated minus observed) of the starting and
    the recovered model on one grey scale, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(12, 7.5))
    extent = (0, SIZE, SIZE, 0)
    lo, hi = survey.v_true.min(), survey.v_true.max()
    for ax, v_k, title in zip(axes[0], (survey.v_true, survey.v_start, v),
                              ("true", "start", "recovered")):
        im = ax.imshow(v_k, extent=extent, vmin=lo, vmax=hi, cmap="viridis")
        w = survey.width * survey.dx
        ax.add_patch(matplotlib.patches.Rectangle((w, w), SIZE - 2 * w, SIZE - 2 * w,
                                                  fill=False, ls="--", color="w"))
        ax.set_title(f"{title} model (m/s)")
        ax.set_xlabel("x (m)")
    axes[0, 0].set_ylabel("depth (m)")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8)
    t_end = survey.steps * survey.dt
    obs = survey.observed[:, 0, :]
    start = record(survey.v_start, survey)[:, 0, :] - obs
    end = record(v, survey)[:, 0, :] - obs
    clip = onp.abs(start).max()
    x0, x1 = survey.rec_cols[0] * survey.dx, survey.rec_cols[-1] * survey.dx
    for ax, d, title, c in zip(axes[1], (obs, start, end),
                               ("observed", "residual, start model", "residual, recovered"),
                               (0.2 * onp.abs(obs).max(), clip, clip)):
        ax.imshow(d, aspect="auto", cmap="gray", vmin=-c, vmax=c, extent=(x0, x1, t_end, 0))
        ax.set_title(f"shot 1: {title}")
        ax.set_xlabel("receiver x (m)")
    axes[1, 0].set_ylabel("time (s)")
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="grid points per side")
    ap.add_argument("--steps", type=int, default=1000, help="time steps")
    ap.add_argument("--shots", type=int, default=4)
    ap.add_argument("--iterations", type=int, default=10, help="L-BFGS-B iterations")
    ap.add_argument("--sigma", type=float, default=None,
                    help="smoothing of the update, cells (default 3 * n / 60)")
    ap.add_argument("--checkpoints", type=int, default=None,
                    help="stored wavefields (default ceil(sqrt(steps)))")
    ap.add_argument("--storage", default=None,
                    help="'disk' or a directory: keep the checkpoints in files")
    ap.add_argument("--plot", metavar="PNG", help="save models and traces (matplotlib)")
    args = ap.parse_args(argv)
    survey = observe(make_survey(args.n, args.steps, args.shots))
    print(f"{args.n} x {args.n} grid, dx = {survey.dx:g} m, {args.steps} steps of "
          f"{survey.dt * 1e3:g} ms, {args.shots} shots, {survey.rec_cols.size} receivers")
    f0 = misfit(survey.v_start, survey, checkpointed=False)
    e0 = model_error(survey.v_start, survey)
    v, history = invert(survey, args.iterations, args.checkpoints, args.storage, args.sigma)
    f1 = float(misfit(v, survey, checkpointed=False))
    e1 = model_error(v, survey)
    print(f"misfit {float(f0):.4e} -> {f1:.4e} ({f1 / float(f0):.3f} of the start)")
    print(f"model error (RMS over the updated cells) {e0:.1f} -> {e1:.1f} m/s")
    if args.plot:
        plot(survey, v, args.plot)
        print(f"wrote {args.plot}")
    return v, history


if __name__ == "__main__":
    main()
