"""A neural ODE: learning the dynamics of a 2-D spiral from one observed trajectory.

The data are the states of the damped cubic oscillator

    dy/dt = (y ** 3) A,   A = [[-0.1, 2.0], [-2.0, -0.1]],   y(0) = (2, 0)

observed at ``--points`` equally spaced times in [0, ``--t-end``] (HIPS autograd's ``ode_net``
example and torchdiffeq's ``ode_demo`` use this system). The model is dy/dt = f_theta(y), a
small MLP (cubic features y ** 3, one tanh layer of ``--hidden`` units, linear output), and
the states come from ``chainrule.integrate.odeint`` (dopri5, rtol 1e-5). Training is Adam
(``chainrule.optim.functional.adam``) on the mean absolute error of short windows: each step
integrates windows of ``--window`` observations, each started from an observed state (all
of them by default, else ``--batch`` drawn at random; one batched solve, the state of shape
(windows, 2)), and differentiates that loss with respect to the MLP's weights, which reach
the right-hand side through ``odeint``'s ``args``, by the sensitivity method ``--sensealg``:

- ``direct`` (the default): reverse mode through the solver's accepted steps, the exact
  gradient of the discrete solution. The windows are short (a few steps each), so keeping
  their steps costs little, and it is the fastest here: 20-30 ms a gradient against 50-60
  for ``backsolve`` and 40-70 for ``interpolating`` (and 500-800 for ``forward``, whose
  sensitivity matrix has 182 x (182 + 162) entries: 91 windows, 162 weights);
- ``backsolve``: the continuous adjoint, integrated backward with the state (O(1) memory);
- ``interpolating``: the adjoint with the state re-solved from checkpoints (for long or
  unstable backward solves).

All of them give the same gradient to the solver's tolerance (here from 1e-9 relative at
the start to 2e-5 near the optimum, where the gradient is small: ``direct`` differentiates
the discrete solution, the others the continuous one), and Adam, whose steps hardly depend
on the gradient's size, then follows slightly different paths. The printed trajectory loss
is that of the whole trajectory, integrated from y(0) over [0, t_end] by the learned field:
it measures how well the learned dynamics carry over from the windows they were trained on
to the long run, where a small error in the speed shifts the phase.

    python examples/neural_ode.py                          # 200 Adam steps, 5-10 s
    python examples/neural_ode.py --sensealg backsolve --batch 32
    python examples/neural_ode.py --plot neural_ode.png    # trajectories and vector field
"""

from __future__ import annotations

import argparse
import time

import numpy as onp

import chainrule.numpy as np
from chainrule.func import value_and_grad
from chainrule.integrate import odeint
from chainrule.optim.functional import adam

A_TRUE = onp.array([[-0.1, 2.0], [-2.0, -0.1]])
Y0 = onp.array([2.0, 0.0])
RTOL, ATOL = 1e-5, 1e-7  # the model's solves


def true_field(y, t):
    return (y**3) @ A_TRUE


def make_data(points: int = 100, t_end: float = 5.0):
    """The observation times (points,) and the true states there (points, 2)."""
    t = onp.linspace(0.0, t_end, points)
    # nothing is differentiated: "direct" runs the plain solver (the adjoint and forward
    # methods would prepare sensitivities on the way)
    return t, onp.asarray(odeint(true_field, Y0, t, rtol=1e-10, atol=1e-10, sensealg="direct"))


def init_params(hidden: int = 32, seed: int = 0):
    """The MLP's weights, a dict of arrays (a pytree: ``odeint`` differentiates its leaves).
    The first layer keeps tanh unsaturated for |y ** 3| up to a few units; the second gives
    outputs of order one from the start (the true field reaches 16 at y = (2, 0))."""
    rs = onp.random.default_rng(seed)
    return {"W1": rs.normal(0.0, 0.3, (2, hidden)), "b1": onp.zeros(hidden),
            "W2": rs.normal(0.0, 1.0 / onp.sqrt(hidden), (hidden, 2)), "b2": onp.zeros(2)}


def field(y, t, p):
    """The learned right-hand side f_theta(y); ``y`` is (2,) or a batch (b, 2)."""
    h = np.tanh((y**3) @ p["W1"] + p["b1"])
    return h @ p["W2"] + p["b2"]


def predict(p, y0, t, sensealg: str = "direct"):
    """The model's states at the times t from y0 (len(t), *y0.shape)."""
    return odeint(field, y0, t, (p,), rtol=RTOL, atol=ATOL, sensealg=sensealg)


def trajectory_loss(p, t, ys) -> float:
    """Mean absolute error of the whole trajectory, integrated from the first state."""
    return float(onp.mean(onp.abs(onp.asarray(predict(p, ys[0], t)) - ys)))


def window_loss(p, t, ys, starts, window: int, sensealg: str = "direct"):
    """Mean absolute error over windows of ``window`` observations started at ``starts``:
    one solve of the batch of their initial states."""
    rows = starts[:, None] + onp.arange(window)  # (batch, window)
    target = onp.swapaxes(ys[rows], 0, 1)  # (window, batch, 2)
    pred = predict(p, ys[starts], t[:window] - t[0], sensealg)  # equal spacing: one time grid
    return np.mean(np.abs(pred - target))


def train(steps: int = 200, points: int = 100, t_end: float = 5.0, hidden: int = 32,
          window: int = 10, batch: int = 0, lr: float = 0.05, sensealg: str = "direct",
          seed: int = 0, log_every: int = 50):
    """Adam on the window loss: ``lr`` for the first 60 % of the steps, ``lr / 5`` after (the
    L1 loss's gradient does not shrink near the optimum; a smaller step settles there).
    ``batch`` windows per step, drawn at random (0: all of them, a deterministic full-batch
    gradient). Returns (params, history): history["trajectory"] holds (step, trajectory
    loss) at the start, every ``log_every`` steps (0: silent) and at the end;
    history["window"] the window loss of every step; history["seconds"] the training time."""
    t, ys = make_data(points, t_end)
    n_windows = points - window + 1
    if not 1 < window <= points or batch < 0 or batch > n_windows:
        raise ValueError(f"neural_ode: need 1 < window <= points and 0 <= batch <= "
                         f"points - window + 1 = {n_windows}; got window={window}, "
                         f"batch={batch}")
    rs = onp.random.default_rng(seed + 1)
    grad_step = value_and_grad(window_loss)
    history = {"trajectory": [], "window": [], "seconds": 0.0}
    first = int(round(0.6 * steps))

    def grad(p, step):
        starts = (onp.arange(n_windows) if batch == 0
                  else rs.choice(n_windows, size=batch, replace=False))
        value, g = grad_step(p, t, ys, starts, window, sensealg)
        history["window"].append(float(value))
        return g

    def callback(offset):
        def log(p, step, g):
            step += offset
            if step == 0 or (log_every and step % log_every == 0):
                loss = trajectory_loss(p, t, ys)
                history["trajectory"].append((step, loss))
                if log_every:
                    print(f"step {step:4d}  window loss {history['window'][-1]:.5f}  "
                          f"trajectory loss {loss:.5f}", flush=True)
        return log

    start = time.perf_counter()
    params = adam(grad, init_params(hidden, seed), steps=first, lr=lr, callback=callback(0))
    params = adam(grad, params, steps=steps - first, lr=lr / 5, callback=callback(first))
    history["seconds"] = time.perf_counter() - start
    history["trajectory"].append((steps, trajectory_loss(params, t, ys)))
    return params, history


def plot(params, points: int, t_end: float, path: str) -> None:
    """True vs learned trajectories (components over time, phase plane) and the learned
    vector field, into a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t, ys = make_data(points, t_end)
    pred = onp.asarray(predict(params, ys[0], t))
    fig, (ax_t, ax_p, ax_v) = plt.subplots(1, 3, figsize=(13, 4.2))
    for k, (name, color) in enumerate((("x", "tab:blue"), ("y", "tab:green"))):
        ax_t.plot(t, ys[:, k], "-", color=color, label=f"{name} true")
        ax_t.plot(t, pred[:, k], "--", color=color, label=f"{name} learned")
    ax_t.set(title="Trajectories", xlabel="t")
    ax_t.legend(fontsize=8)
    ax_p.plot(ys[:, 0], ys[:, 1], "-", color="tab:green", label="true")
    ax_p.plot(pred[:, 0], pred[:, 1], "--", color="tab:blue", label="learned")
    ax_p.set(title="Phase portrait", xlabel="x", ylabel="y", xlim=(-2, 2), ylim=(-2, 2))
    ax_p.legend(fontsize=8)
    gy, gx = onp.mgrid[-2:2:21j, -2:2:21j]
    grid = onp.stack([gx, gy], -1).reshape(-1, 2)
    learned = onp.asarray(field(grid, 0.0, params)).reshape(21, 21, 2)
    true = true_field(grid, 0.0).reshape(21, 21, 2)
    ax_v.streamplot(gx, gy, learned[..., 0], learned[..., 1], color="black", density=0.9)
    ax_v.quiver(gx[::2, ::2], gy[::2, ::2], true[::2, ::2, 0], true[::2, ::2, 1],
                color="tab:red", alpha=0.5, angles="xy")
    ax_v.set(title="Learned vector field (red: true)", xlabel="x", ylabel="y",
             xlim=(-2, 2), ylim=(-2, 2))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200, help="Adam steps")
    ap.add_argument("--points", type=int, default=100, help="observation times")
    ap.add_argument("--t-end", type=float, default=5.0)
    ap.add_argument("--hidden", type=int, default=32, help="hidden units of the MLP")
    ap.add_argument("--window", type=int, default=10, help="observations per window")
    ap.add_argument("--batch", type=int, default=0, help="windows per step (0: all)")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--sensealg", default="direct",
                    choices=("direct", "backsolve", "interpolating", "forward"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--plot", metavar="PNG", help="save trajectories and vector field")
    args = ap.parse_args(argv)
    params, history = train(args.steps, args.points, args.t_end, args.hidden, args.window,
                            args.batch, args.lr, args.sensealg, args.seed, args.log_every)
    print(f"step {args.steps:4d}  trajectory loss {history['trajectory'][-1][1]:.5f}  "
          f"({history['seconds']:.1f} s, sensealg={args.sensealg})")
    if args.plot:
        plot(params, args.points, args.t_end, args.plot)
        print(f"wrote {args.plot}")
    return params, history


if __name__ == "__main__":
    main()
