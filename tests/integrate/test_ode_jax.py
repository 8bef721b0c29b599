"""chainrule's ``odeint`` against ``jax.experimental.ode.odeint`` (JAX's dopri5 with its
continuous adjoint as the reverse-mode rule), float64 on the CPU, both at rtol = atol = 1e-10
so that each is close to the exact flow and they agree far below what is asserted:

- Lotka-Volterra (2 states, 4 parameters, 11 output times): the values equal JAX's to 1e-7
  relative; the gradients of a scalar loss with respect to y0, the parameters and the output
  times, by every sensealg (direct, backsolve, interpolating, forward), equal JAX's reverse
  mode through its odeint (``jax.vjp`` of the solve with the loss's cotangent, which is
  ``jax.grad`` of that linear loss) to 1e-6 relative.
- A pytree state (a dict of two arrays: two coupled damped pendulums) gives the same values
  and the same gradients (with respect to the dict y0, both parameters and t) in both.

JAX runs in a subprocess (``_jax_reference``): a process that has imported JAX runs threads,
and the DataLoader tests later in the suite fork worker processes, which must not inherit them.

``func(y, t, *args)`` is the argument order of both odeints. There is no stiff comparison:
JAX's odeint has only the explicit dopri5, no implicit (stiff) solver; chainrule's Radau is
checked against finite differences in test_ode_torchdiffeq.py instead.
"""

from __future__ import annotations

import importlib.util
import pickle
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.integrate import odeint

if importlib.util.find_spec("jax") is None:
    pytest.skip("jax (the reference ODE solver here, in the 'test' extra: pip install "
                "jax==0.10.2 jaxlib==0.10.2) is not installed", allow_module_level=True)

TOL = dict(rtol=1e-10, atol=1e-10)
SENSEALGS = ["direct", "backsolve", "interpolating", "forward"]


def _close(actual, expected, rtol, what=""):
    """Agreement to rtol relative to the largest entry (a gradient's small entries are
    compared on the scale of the whole vector)."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    scale = np.abs(expected).max()
    assert scale > 0, what
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


_CHILD = """
import importlib.util, pickle, sys
spec = importlib.util.spec_from_file_location("ode_jax_case", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
sys.stdout.buffer.write(pickle.dumps(module._jax_case(sys.argv[2])))
"""


def _jax_reference(case: str):
    """JAX's values and gradients for ``case``, computed in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", _CHILD, __file__, case], capture_output=True,
                         check=True)
    return pickle.loads(out.stdout)


def _jax_case(case: str):
    """(In the subprocess.) JAX's values and the gradients of the loss sum(ys * ct) (over the
    leaves) with respect to y0, each of args and t, as NumPy: one ``jax.vjp`` (JAX's odeint's
    own reverse mode, its continuous adjoint) gives both, with one compilation of the solve."""
    import jax
    import jax.numpy as jnp
    from jax.experimental import ode as jode

    jax.config.update("jax_enable_x64", True)
    if case == "lv":
        func, y0, t, args, ct = (_lotka_volterra(jnp), jnp.asarray(LV_Y0), LV_T,
                                 (jnp.asarray(LV_P),), LV_CT)
    else:
        func, y0, t, args, ct = (_pendulums(jnp), {k: jnp.asarray(a) for k, a in PT_Y0.items()},
                                 PT_T, (jnp.asarray(PT_K), jnp.asarray(PT_C)), PT_CT)
    with jax.default_device(jax.devices("cpu")[0]):
        ys, vjp = jax.vjp(lambda y0, t, *args: jode.odeint(func, y0, t, *args, **TOL),
                          y0, jnp.asarray(t), *args)
        g = vjp(jax.tree_util.tree_map(jnp.asarray, ct))
    to_np = lambda tree: jax.tree_util.tree_map(np.asarray, tree)  # noqa: E731
    ys, g = to_np(ys), to_np(g)
    for leaf in jax.tree_util.tree_leaves((ys, g)):  # x64 took: a float32 run cannot reach 1e-7
        assert leaf.dtype == np.float64
    return ys, g


# --- Lotka-Volterra ---------------------------------------------------------------------------

LV_Y0 = np.array([1.0, 1.0])
LV_P = np.array([1.5, 1.0, 3.0, 1.0])
LV_T = np.linspace(0.0, 2.0, 11)
LV_CT = np.random.default_rng(0).standard_normal((len(LV_T), 2))


def _lotka_volterra(xp):
    """Prey y0, predator y1: y0' = a y0 - b y0 y1, y1' = -c y1 + d y0 y1, written with the
    array module ``xp`` (chainrule.numpy or jax.numpy)."""
    def f(y, t, p):
        a, b, c, d = p[0], p[1], p[2], p[3]
        return xp.stack([a * y[0] - b * y[0] * y[1], -c * y[1] + d * y[0] * y[1]])
    return f


@pytest.fixture(scope="module")
def lv_reference():
    return _jax_reference("lv")


def test_lotka_volterra_values_equal_jax(lv_reference):
    ys = odeint(_lotka_volterra(cnp), LV_Y0, LV_T, (LV_P,), sensealg="direct", **TOL)
    assert isinstance(ys, np.ndarray) and ys.shape == (11, 2)
    _close(ys, lv_reference[0], 1e-7, "values")
    assert np.ptp(ys[:, 0]) > 0.5  # the solve went somewhere


@pytest.mark.parametrize("sensealg", SENSEALGS)
def test_lotka_volterra_gradients_equal_jax(lv_reference, sensealg):
    def loss(y0, p, t):
        return cnp.sum(odeint(_lotka_volterra(cnp), y0, t, (p,), sensealg=sensealg, **TOL)
                       * LV_CT)

    g = cr.grad(loss, argnums=(0, 1, 2))(LV_Y0, LV_P, LV_T)
    g_y0, g_t, g_p = lv_reference[1]
    for name, ours, ref in zip(["y0", "p", "t"], g, [g_y0, g_p, g_t]):
        assert np.shape(ours) == ref.shape, name
        _close(ours, ref, 1e-6, f"{sensealg}: d/d{name}")


# --- a pytree state: two coupled damped pendulums, {"x": angles, "v": angular velocities} ------

PT_Y0 = {"x": np.array([0.8, -0.3]), "v": np.array([0.0, 0.5])}
PT_K = np.array([2.0, 3.0])  # the pendulums' g / l
PT_C = np.array(0.2)  # damping, shared
PT_T = np.linspace(0.0, 3.0, 6)
_rng = np.random.default_rng(1)
PT_CT = {"x": _rng.standard_normal((len(PT_T), 2)), "v": _rng.standard_normal((len(PT_T), 2))}


def _pendulums(xp):
    def f(s, t, k, c):
        x, v = s["x"], s["v"]
        return {"x": v, "v": -k * xp.sin(x) - c * v + 0.5 * (x[::-1] - x)}
    return f


def _pt_loss(ys):
    return cnp.sum(ys["x"] * PT_CT["x"]) + cnp.sum(ys["v"] * PT_CT["v"])


@pytest.fixture(scope="module")
def pytree_reference():
    return _jax_reference("pytree")


def test_pytree_values_equal_jax(pytree_reference):
    ys = odeint(_pendulums(cnp), PT_Y0, PT_T, (PT_K, PT_C), sensealg="direct", **TOL)
    ref = pytree_reference[0]
    assert set(ys) == set(ref) == {"x", "v"}
    for name in ys:
        assert isinstance(ys[name], np.ndarray) and ys[name].shape == (6, 2)
        _close(ys[name], ref[name], 1e-7, f"values {name}")


@pytest.mark.parametrize("sensealg", SENSEALGS)
def test_pytree_gradients_equal_jax(pytree_reference, sensealg):
    def loss(y0, k, c, t):
        return _pt_loss(odeint(_pendulums(cnp), y0, t, (k, c), sensealg=sensealg, **TOL))

    g_y0, g_k, g_c, g_t = cr.grad(loss, argnums=(0, 1, 2, 3))(PT_Y0, PT_K, PT_C, PT_T)
    r_y0, r_t, r_k, r_c = pytree_reference[1]
    assert set(g_y0) == {"x", "v"}
    for name in ("x", "v"):
        _close(g_y0[name], r_y0[name], 1e-6, f"{sensealg}: d/dy0[{name!r}]")
    for name, ours, ref in [("k", g_k, r_k), ("c", g_c, r_c), ("t", g_t, r_t)]:
        assert np.shape(ours) == ref.shape, name
        _close(ours, ref, 1e-6, f"{sensealg}: d/d{name}")


def test_jax_stays_out_of_the_test_process(lv_reference):
    """The references came from a subprocess: this process never imported JAX (whose threads
    a forked DataLoader worker must not inherit)."""
    assert "jax" not in sys.modules
