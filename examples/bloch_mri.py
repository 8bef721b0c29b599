"""Designing a slice-selective MRI excitation pulse by gradient descent through a Bloch simulation.

In the frame rotating at the Larmor frequency, the magnetisation M = (Mx, My, Mz) of a spin at
position z obeys the Bloch equation (M0 = 1)

    dM/dt = gamma M x B_eff - (Mx / T2, My / T2, (Mz - 1) / T1),  B_eff = (B1x(t), B1y(t), G z)

B1 = B1x + i B1y is the RF pulse (the design variable, in microtesla), G the slice-select
gradient: it gives each spin the off-resonance frequency gamma G z, so that the pulse's
frequency content selects a slice. Hard-pulse approximation: the RF is constant over each of the
n_steps time steps dt, so over one step every spin precesses by an exact rotation about B_eff,
by the angle gamma |B_eff| dt (Rodrigues' formula, vectorised over the spins, written with
``chainrule.numpy``), and then relaxes over dt. Without relaxation this is the exact solution
of the Bloch equation for the piecewise-constant RF; with it, rotate-then-relax is a first-order
splitting, whose error halves with dt (about 2e-5 in |M| here, with T2 = 100 ms).

The design loss is the weighted mean squared difference between the final transverse magnitude
|Mxy| (smoothed at 0) and the target slice profile (sin(flip) inside the slice, 0 outside, a
transition band around each edge left free), plus a small RF-energy penalty. Its gradient with
respect to every RF sample goes through the whole simulation by ``chainrule.checkpoint_scan``
with a fixed number of checkpoints, so that the backward pass keeps that many states, not one
per step; Adam (``chainrule.optim``) updates the pulse, starting from a textbook windowed sinc of
half the flip angle. The simulation is checked against independent ones in NumPy and SciPy: a
batched ``scipy.linalg.expm`` of each step's rotation generator, and
``scipy.integrate.solve_ivp`` of the Bloch ODE over each piecewise-constant step.

    python examples/bloch_mri.py                  # 200 spins, 400 steps, 40 Adam iterations
    python examples/bloch_mri.py --plot bloch.png
    python examples/bloch_mri.py --memory         # + peak memory at N and 8N steps
    python examples/bloch_mri.py --steps 2000 --checkpoints 20 --iterations 100
"""

from __future__ import annotations

import argparse
import time

import numpy as onp  # plain NumPy: set-up, references, the optimiser's float arrays

import chainrule as cr
import chainrule.numpy as np

GAMMA = 2 * onp.pi * 42.577478518e6  # proton gyromagnetic ratio, rad / (s T)
GAMMA_UT = GAMMA * 1e-6              # the same per microtesla: the RF is in microtesla


class Problem:
    """A slice-selection problem: spins, timing, relaxation, target and loss weights (build it
    with :func:`make_problem`). Fields: ``z`` spin positions (m, none at 0: the rotation axis
    needs B_eff != 0), ``wz`` their off-resonance gamma G z (rad/s), ``dt`` the time step (s),
    ``n_steps``, ``t1`` and ``t2`` (s; ``numpy.inf`` for no relaxation), ``target`` the target
    |Mxy| per spin, ``weight`` the loss weight per spin (0 in the transition bands), ``energy``
    the RF-energy penalty's weight (per microtesla^2), ``flip`` (rad), ``thickness`` (m),
    ``gradient`` G (T/m)."""

    FIELDS = ("z", "wz", "dt", "n_steps", "t1", "t2", "target", "weight", "energy", "flip",
              "thickness", "gradient")

    def __init__(self, **fields):
        if set(fields) != set(self.FIELDS):
            raise TypeError(f"Problem: needs exactly the fields {self.FIELDS}, got "
                            f"{sorted(fields)}")
        self.__dict__.update(fields)

    def replace(self, **changes) -> Problem:
        """A copy with some fields changed."""
        return Problem(**{**self.__dict__, **changes})


def make_problem(n_spins: int = 200, n_steps: int = 400, duration: float = 2e-3,
                 gradient: float = 10e-3, thickness: float = 5e-3, fov: float = 3e-2,
                 flip_deg: float = 90.0, t1: float = 1.0, t2: float = 0.1,
                 transition: float = 1e-3, energy: float = 1e-5) -> Problem:
    """Spins on a cell-centred grid over ``fov`` (an even ``n_spins`` keeps them off z = 0), a
    pulse of ``duration`` seconds in ``n_steps`` steps, a slice of ``thickness`` metres."""
    if n_spins < 2 or n_steps < 1:
        raise ValueError(f"make_problem: need n_spins >= 2 and n_steps >= 1, got {n_spins} "
                         f"and {n_steps}")
    z = (onp.arange(n_spins) + 0.5) / n_spins * fov - fov / 2
    if onp.any(z == 0):
        raise ValueError(f"make_problem: a spin sits at z = 0 (n_spins = {n_spins} is odd), where "
                         f"B_eff vanishes whenever B1 does; use an even n_spins")
    flip = onp.deg2rad(flip_deg)
    inside = onp.abs(z) < thickness / 2
    free = onp.abs(onp.abs(z) - thickness / 2) < transition
    return Problem(z=z, wz=GAMMA * gradient * z, dt=duration / n_steps, n_steps=n_steps,
                   t1=t1, t2=t2, target=onp.where(inside, onp.sin(flip), 0.0),
                   weight=onp.where(free, 0.0, 1.0), energy=energy, flip=flip,
                   thickness=thickness, gradient=gradient)


def sinc_pulse(problem: Problem, flip_deg: float, tbw: float | None = None) -> onp.ndarray:
    """A Hann-windowed sinc (the small-tip-angle design) of ``flip_deg`` degrees, as an array
    (n_steps, 2) of (B1x, B1y) in microtesla. ``tbw`` (time-bandwidth product) defaults to the
    value that matches the slice: gamma / (2 pi) G thickness duration."""
    n, dt = problem.n_steps, problem.dt
    if tbw is None:
        tbw = GAMMA / (2 * onp.pi) * problem.gradient * problem.thickness * n * dt
    t = (onp.arange(n) + 0.5) / n - 0.5  # the middle of each step, in pulse durations
    shape = onp.sinc(tbw * t) * (0.5 + 0.5 * onp.cos(2 * onp.pi * t))
    b1 = shape * onp.deg2rad(flip_deg) / (GAMMA_UT * dt * shape.sum())  # on-resonance area
    return onp.stack([b1, onp.zeros(n)], axis=1)


# --- the simulation: ordinary NumPy code, differentiable ------------------------------------------

def bloch_step(m, b1, problem: Problem):
    """One hard-pulse step: rotate every spin's (Mx, My, Mz) about B_eff = (B1x, B1y, G z) by
    the angle gamma |B_eff| dt, then relax. ``m`` is a tuple of three arrays (one entry per
    spin), ``b1`` the pair (B1x, B1y) of this step in microtesla.

    dM/dt = M x w (w = gamma B_eff) turns M about w by -|w| dt; Rodrigues' formula for it:
    M' = M cos(|w| dt) - (w x M) sin(|w| dt) / |w| + w (w . M) (1 - cos(|w| dt)) / |w|^2."""
    mx, my, mz = m
    wx, wy, wz = GAMMA_UT * b1[0], GAMMA_UT * b1[1], problem.wz
    w2 = wx * wx + wy * wy + wz * wz
    w = np.sqrt(w2)
    c = np.cos(w * problem.dt)
    s = np.sin(w * problem.dt) / w
    k = (1.0 - c) / w2
    d = (wx * mx + wy * my + wz * mz) * k
    nx = mx * c - (wy * mz - wz * my) * s + wx * d
    ny = my * c - (wz * mx - wx * mz) * s + wy * d
    nz = mz * c - (wx * my - wy * mx) * s + wz * d
    e1, e2 = onp.exp(-problem.dt / problem.t1), onp.exp(-problem.dt / problem.t2)
    return nx * e2, ny * e2, nz * e1 + (1.0 - e1)


def simulate(rf, problem: Problem, n_checkpoints: int | None = 30):
    """The final (Mx, My, Mz) of every spin, starting from equilibrium (0, 0, 1), for the RF
    waveform ``rf`` (n_steps, 2) in microtesla. With ``n_checkpoints`` the loop runs through
    ``chainrule.checkpoint_scan`` (a backward pass keeps that many states); ``None`` runs the
    plain loop (a backward pass keeps every step's intermediate arrays)."""
    if tuple(rf.shape) != (problem.n_steps, 2):
        raise ValueError(f"simulate: rf must have shape (n_steps, 2) = ({problem.n_steps}, 2) "
                         f"(B1x, B1y per step), got {tuple(rf.shape)}")
    n = problem.z.shape[0]
    m0 = (onp.zeros(n), onp.zeros(n), onp.ones(n))
    xs = (rf[:, 0], rf[:, 1])

    def step(m, b1):
        return bloch_step(m, b1, problem)

    if n_checkpoints is not None:
        return cr.checkpoint_scan(step, m0, problem.n_steps, n_checkpoints, xs=xs)
    m = m0
    for i in range(problem.n_steps):
        m = step(m, (xs[0][i], xs[1][i]))
    return m


def transverse(m, eps: float = 1e-6):
    """|Mxy|, smoothed at 0 (sqrt(Mx^2 + My^2 + eps^2)) so that its derivative stays finite."""
    return np.sqrt(m[0] * m[0] + m[1] * m[1] + eps * eps)


def design_loss(rf, problem: Problem, n_checkpoints: int | None = 30):
    """Weighted mean squared error of |Mxy| against the target profile, plus the RF-energy
    penalty ``problem.energy`` times the mean |B1|^2 (microtesla^2)."""
    err = transverse(simulate(rf, problem, n_checkpoints)) - problem.target
    profile = np.sum(problem.weight * err * err) / problem.weight.sum()
    return profile + problem.energy * np.sum(rf * rf) / problem.n_steps


def loss_and_grad(rf, problem: Problem, n_checkpoints: int | None = 30):
    """The loss (a float) and its gradient with respect to ``rf`` (a NumPy array)."""
    value, g = cr.value_and_grad(design_loss)(onp.asarray(rf, dtype=float), problem,
                                              n_checkpoints)
    return float(value), onp.asarray(g)


def design(problem: Problem, rf0, iterations: int = 40, lr: float = 0.3,
           n_checkpoints: int | None = 30, verbose: bool = True):
    """Adam on the RF samples from ``rf0``; returns the best pulse and the loss history."""
    rf = cr.tensor(onp.array(rf0, dtype=float), requires_grad=True)
    opt = cr.optim.Adam([rf], lr=lr)
    losses, best, best_rf = [], onp.inf, onp.array(rf0, dtype=float)
    for it in range(iterations + 1):
        opt.zero_grad()
        loss = design_loss(rf, problem, n_checkpoints)
        value = float(loss.item())
        losses.append(value)
        if value < best:
            best, best_rf = value, rf.detach().numpy().copy()
        if verbose and (it % 10 == 0 or it == iterations):
            print(f"iteration {it:4d}  loss {value:.6f}")
        if it == iterations:
            break
        loss.backward()
        opt.step()
    return best_rf, losses


# --- independent references: NumPy and SciPy only ------------------------------------------------

def _relax(m, problem: Problem):
    e1, e2 = onp.exp(-problem.dt / problem.t1), onp.exp(-problem.dt / problem.t2)
    return onp.stack([m[0] * e2, m[1] * e2, m[2] * e1 + (1.0 - e1)])


def _generators(b1, problem: Problem):
    """The matrices A (n_spins, 3, 3) with dM/dt = A M = M x w during one step."""
    n = problem.z.shape[0]
    wx, wy, wz = onp.full(n, GAMMA_UT * b1[0]), onp.full(n, GAMMA_UT * b1[1]), problem.wz
    zero = onp.zeros(n)
    skew = onp.stack([onp.stack([zero, -wz, wy], -1), onp.stack([wz, zero, -wx], -1),
                      onp.stack([-wy, wx, zero], -1)], -2)  # [w]_x, with [w]_x v = w x v
    return -skew


def simulate_expm(rf, problem: Problem) -> onp.ndarray:
    """The same hard-pulse model by a batched ``scipy.linalg.expm`` of each step's rotation
    generator (no Rodrigues, no chainrule): an array (3, n_spins)."""
    from scipy.linalg import expm

    rf = onp.asarray(rf, dtype=float)
    n = problem.z.shape[0]
    m = onp.stack([onp.zeros(n), onp.zeros(n), onp.ones(n)])
    for i in range(problem.n_steps):
        r = expm(_generators(rf[i], problem) * problem.dt)
        m = _relax(onp.einsum("sij,js->is", r, m), problem)
    return m


def simulate_ode(rf, problem: Problem, rtol: float = 1e-12, atol: float = 1e-13) -> onp.ndarray:
    """The Bloch ODE itself (relaxation included), by ``scipy.integrate.solve_ivp`` (DOP853)
    over each step in turn, the RF held constant within it: an array (3, n_spins)."""
    from scipy.integrate import solve_ivp

    rf = onp.asarray(rf, dtype=float)
    n = problem.z.shape[0]
    m = onp.concatenate([onp.zeros(n), onp.zeros(n), onp.ones(n)])
    for i in range(problem.n_steps):
        a = _generators(rf[i], problem)

        def rhs(_t, y, a=a):
            v = y.reshape(3, n)
            dv = onp.einsum("sij,js->is", a, v)
            dv -= onp.stack([v[0] / problem.t2, v[1] / problem.t2, (v[2] - 1.0) / problem.t1])
            return dv.ravel()

        sol = solve_ivp(rhs, (0.0, problem.dt), m, method="DOP853", rtol=rtol, atol=atol)
        m = sol.y[:, -1]
    return m.reshape(3, n)


def without_relaxation(problem: Problem) -> Problem:
    return problem.replace(t1=onp.inf, t2=onp.inf)


# --- memory -----------------------------------------------------------------------------------

def gradient_peak_memory(n_steps: int, n_spins: int = 2000, n_checkpoints: int | None = 10):
    """tracemalloc's peak (bytes) while computing the loss's gradient from scratch, the RF
    waveform's size in bytes, and the gradient's norm. Run it in a fresh process for a clean
    figure (the tests and ``--memory`` do)."""
    import gc
    import tracemalloc

    problem = make_problem(n_spins=n_spins, n_steps=n_steps, duration=n_steps * 2.5e-6)
    rf = sinc_pulse(problem, 90.0)
    gc.collect()
    tracemalloc.start()
    _, g = loss_and_grad(rf, problem, n_checkpoints)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, rf.nbytes, float(onp.linalg.norm(g))


def _memory_table(n_steps: int, n_spins: int, n_checkpoints: int):
    import subprocess
    import sys

    script = ("import importlib.util, sys\n"
              f"spec = importlib.util.spec_from_file_location('bloch_mri', {__file__!r})\n"
              "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
              "ck = None if sys.argv[3] == 'plain' else int(sys.argv[3])\n"
              "print(*mod.gradient_peak_memory(int(sys.argv[1]), int(sys.argv[2]), ck))\n")
    for n in (n_steps, 8 * n_steps):
        for ck in (str(n_checkpoints), "plain"):
            out = subprocess.run([sys.executable, "-c", script, str(n), str(n_spins), ck],
                                 capture_output=True, text=True, check=True).stdout.split()
            label = "plain loop" if ck == "plain" else f"checkpoint_scan({ck} checkpoints)"
            print(f"{n:6d} steps, {n_spins} spins, {label:34s} peak {int(out[0]) / 1e6:8.2f} MB "
                  f"(RF waveform {int(out[1]) / 1e3:.1f} kB)")


# --- the program ------------------------------------------------------------------------------

def plot(problem: Problem, rf0, rf, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = (onp.arange(problem.n_steps) + 0.5) * problem.dt * 1e3
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.plot(t, rf0[:, 0], "k--", lw=1, label="initial B1x")
    ax1.plot(t, rf[:, 0], label="designed B1x")
    ax1.plot(t, rf[:, 1], label="designed B1y")
    ax1.set_xlabel("time (ms)")
    ax1.set_ylabel("B1 (microtesla)")
    ax1.legend()
    zmm = problem.z * 1e3
    for pulse, style, label in ((rf0, "k--", "initial"), (rf, "C0-", "designed")):
        m = cr.no_grad()(simulate)(pulse, problem, None)
        ax2.plot(zmm, onp.asarray(transverse(m)), style, lw=1.2, label=label)
    ax2.plot(zmm, problem.target, "C3:", label="target")
    ax2.set_xlabel("z (mm)")
    ax2.set_ylabel("|Mxy| / M0")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"saved {path}")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spins", type=int, default=200, help="number of spins across the field")
    ap.add_argument("--steps", type=int, default=400, help="time steps of the 2 ms pulse")
    ap.add_argument("--checkpoints", type=int, default=30, help="checkpoint_scan's slots")
    ap.add_argument("--iterations", type=int, default=40, help="Adam iterations")
    ap.add_argument("--lr", type=float, default=0.3, help="Adam's step (microtesla)")
    ap.add_argument("--flip", type=float, default=90.0, help="target flip angle (degrees)")
    ap.add_argument("--plot", metavar="PNG", help="save the pulse and the profiles (matplotlib)")
    ap.add_argument("--memory", action="store_true",
                    help="also measure the gradient's peak memory at N and 8N steps")
    ap.add_argument("--memory-steps", type=int, default=12, help="N for --memory")
    ap.add_argument("--memory-spins", type=int, default=16000, help="spins for --memory")
    ap.add_argument("--memory-checkpoints", type=int, default=10,
                    help="checkpoint_scan's slots for --memory")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    verbose = not args.quiet

    problem = make_problem(n_spins=args.spins, n_steps=args.steps, flip_deg=args.flip)
    rf0 = sinc_pulse(problem, args.flip / 2)  # the right bandwidth, half the flip angle
    t0 = time.perf_counter()
    rf, losses = design(problem, rf0, args.iterations, args.lr, args.checkpoints, verbose)
    elapsed = time.perf_counter() - t0

    # the designed pulse's final magnetisation against two independent simulations (20 spins)
    sub = slice(None, None, max(1, args.spins // 20))
    small = problem.replace(z=problem.z[sub], wz=problem.wz[sub], target=problem.target[sub],
                            weight=problem.weight[sub])
    ours = onp.stack([onp.asarray(a) for a in cr.no_grad()(simulate)(rf, small, None)])
    expm_error = float(onp.abs(ours - simulate_expm(rf, small)).max())
    bare = without_relaxation(small)
    ours_bare = onp.stack([onp.asarray(a) for a in cr.no_grad()(simulate)(rf, bare, None)])
    ode_error = float(onp.abs(ours_bare - simulate_ode(rf, bare)).max())
    split_error = float(onp.abs(ours - simulate_ode(rf, small)).max())
    if verbose:
        print(f"loss {losses[0]:.6f} -> {min(losses):.6f} ({losses[0] / min(losses):.1f} times "
              f"lower) in {args.iterations} Adam iterations, {elapsed:.1f} s "
              f"({args.steps} steps, {args.spins} spins, {args.checkpoints} checkpoints)")
        print(f"max |M - M_ref| against scipy.linalg.expm per step: {expm_error:.1e}; against "
              f"solve_ivp of the Bloch ODE without relaxation: {ode_error:.1e}; with "
              f"relaxation (the rotate-then-relax splitting error): {split_error:.1e}")
    if args.plot:
        plot(problem, rf0, rf, args.plot)
    if args.memory:
        _memory_table(args.memory_steps, args.memory_spins, args.memory_checkpoints)
    return {"losses": losses, "rf": rf, "rf0": rf0, "expm_error": expm_error,
            "ode_error": ode_error, "split_error": split_error, "seconds": elapsed}


if __name__ == "__main__":
    main()
