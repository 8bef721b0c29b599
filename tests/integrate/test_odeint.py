"""odeint and solve_ivp: values against SciPy, and every sensitivity method's derivatives
(reverse, forward, second order; y0, t and args) against each other and central differences,
on Lotka-Volterra, van der Pol with mu = 1000 and Robertson's kinetics (both stiff)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.integrate as si

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import func
from chainrule.integrate import ODEError, odeint, solve_ivp

METHODS = ["direct", "backsolve", "interpolating", "forward"]
STIFF_METHODS = ["direct", "interpolating", "forward"]
# Robertson's gradients take seconds per method: the suite runs one, CHAINRULE_FULL=1 all
FULL = os.environ.get("CHAINRULE_FULL", "") not in ("", "0")


def lotka_volterra(y, t, a, b, c, d):
    x, z = y[0], y[1]
    return cnp.stack([a * x - b * x * z, c * x * z - d * z])


LV_Y0 = np.array([10.0, 5.0])
LV_P = np.array([1.0, 0.1, 0.075, 1.5])
LV_T = np.linspace(0.0, 3.0, 4)


def lv_loss(y0, t, p, sensealg, rtol=1e-10):
    ys = odeint(lotka_volterra, y0, t, tuple(p[i] for i in range(4)), sensealg=sensealg,
                rtol=rtol, atol=rtol)
    return cnp.sum(ys ** 2) / 100 + cnp.sum(cnp.sin(ys[-1]))


def central(f, x, h=1e-6):
    x = np.asarray(x, float)
    g = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e.flat[k] = h * max(1.0, abs(x.flat[k]))
        g.flat[k] = (f(x + e) - f(x - e)) / (2 * e.flat[k])
    return g


def close(a, b, rtol=1e-6):
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = max(np.max(np.abs(b)), 1e-300)
    assert np.max(np.abs(a - b)) <= rtol * scale, (a, b)


# --- values -----------------------------------------------------------------------------------

def test_values_match_scipy_and_numpy_stays_numpy():
    ys = odeint(lotka_volterra, LV_Y0, LV_T, tuple(LV_P), rtol=1e-10, atol=1e-10)
    ref = si.odeint(lambda y, t: np.asarray(lotka_volterra(y, t, *LV_P)), LV_Y0, LV_T,
                    rtol=1e-12, atol=1e-12)
    assert isinstance(ys, np.ndarray) and ys.shape == (4, 2)
    close(ys, ref, 1e-8)


def test_pytree_state_and_tensor_face():
    def osc(s, t, k):
        return {"x": s["v"], "v": -k * s["x"]}
    x0 = cr.tensor([1.0, 0.5], requires_grad=True)
    k = cr.tensor(2.0, requires_grad=True)
    t = np.linspace(0, 1.5, 3)
    out = odeint(osc, {"x": x0, "v": cr.zeros(2)}, t, (k,), rtol=1e-10, atol=1e-10)
    assert set(out) == {"x", "v"} and tuple(out["x"].shape) == (3, 2)
    w = np.sqrt(2.0)
    close(out["x"].detach().numpy(), np.cos(w * t)[:, None] * np.array([1.0, 0.5]), 1e-8)
    out["x"][-1].sum().backward()
    close(x0.grad.numpy(), np.full(2, np.cos(w * 1.5)), 1e-7)
    # d/dk cos(sqrt(k) t) = -sin(sqrt(k) t) t / (2 sqrt(k)), summed over the two components
    close(k.grad.numpy(), -1.5 * np.sin(w * 1.5) * 1.5 / (2 * w), 1e-7)


def test_float32_state_stays_float32():
    ys = odeint(lambda y, t: -y, np.ones(3, np.float32), np.array([0.0, 1.0]))
    assert ys.dtype == np.float32
    close(ys[-1], np.full(3, np.exp(-1.0)), 1e-6)


def test_fixed_step_and_backward_in_time():
    ys = odeint(lambda y, t: -y, np.ones(1), np.array([0.0, 1.0]), method="rk4",
                step_size=0.01)
    close(ys[-1], [np.exp(-1.0)], 1e-9)
    back = odeint(lambda y, t: -y, np.ones(1), np.array([1.0, 0.0]), rtol=1e-10, atol=1e-10)
    close(back[-1], [np.e], 1e-9)


# --- first derivatives, every method --------------------------------------------------------

@pytest.fixture(scope="module")
def lv_reference():
    def plain(y0=LV_Y0, t=LV_T, p=LV_P):
        return float(lv_loss(y0, t, p, "direct"))
    return (central(lambda y: plain(y0=y), LV_Y0), central(lambda s: plain(t=s), LV_T),
            central(lambda q: plain(p=q), LV_P))


@pytest.mark.parametrize("sensealg", METHODS)
def test_gradients_agree_with_central_differences(sensealg, lv_reference):
    gy, gt, gp = func.grad(lv_loss, argnums=(0, 1, 2))(LV_Y0, LV_T, LV_P, sensealg)
    for got, ref in zip((gy, gt, gp), lv_reference):
        close(got, ref, 1e-6)


@pytest.mark.parametrize("sensealg", METHODS)
def test_forward_mode_equals_reverse(sensealg):
    rng = np.random.default_rng(0)
    v = [rng.standard_normal(2), rng.standard_normal(4) * 0.01, rng.standard_normal(4)]
    _, jv = func.jvp(lambda y, t, p: lv_loss(y, t, p, sensealg, 1e-7), (LV_Y0, LV_T, LV_P),
                     tuple(v))
    g = func.grad(lv_loss, argnums=(0, 1, 2))(LV_Y0, LV_T, LV_P, sensealg, 1e-7)
    # the same derivative, except that forward mode through an adjoint method transposes its
    # backward solve (another solve, its own discretisation): equal to about the tolerance
    close(jv, sum(np.dot(np.asarray(a), b) for a, b in zip(g, v)), 1e-5)


def decay_loss(p, sensealg, rtol=1e-8):
    """A small problem for second derivatives: a damped linear oscillator with two rates."""
    def f(y, t, k, c):
        return cnp.stack([y[1], -k * y[0] - c * y[1]])
    ys = odeint(f, np.array([1.0, 0.0]), np.array([0.0, 1.0]), (p[0], p[1]),
                sensealg=sensealg, rtol=rtol, atol=rtol)
    return ys[-1, 0] ** 2 + ys[-1, 1]


@pytest.fixture(scope="module")
def decay_hessian():
    p = np.array([2.0, 0.3])
    g = func.grad(decay_loss)
    rows = [central(lambda q, k=k: np.asarray(g(q, "forward", 1e-12))[k], p, 1e-5)
            for k in range(2)]
    return p, np.stack(rows)


@pytest.mark.parametrize("sensealg", METHODS)
def test_second_order_both_compositions(sensealg, decay_hessian):
    p, H = decay_hessian
    close(func.jacrev(func.grad(decay_loss))(p, sensealg), H, 1e-6)
    close(func.jacfwd(func.grad(decay_loss))(p, sensealg), H, 1e-6)


# --- stiff problems --------------------------------------------------------------------------

def van_der_pol(t, y, mu):
    return cnp.stack([y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]])


def vdp_loss(mu, y0, sensealg, rtol=1e-8):
    ys = odeint(van_der_pol, y0, np.array([0.0, 0.5, 2.0]), (mu,), method="radau",
                tfirst=True, sensealg=sensealg, rtol=rtol, atol=rtol)
    return cnp.sum(ys[1:] * np.array([1.0, 100.0]))


@pytest.mark.parametrize("sensealg", STIFF_METHODS)
def test_van_der_pol_stiff_gradients(sensealg):
    y0 = np.array([2.0, 0.0])
    g_mu, g_y0 = func.grad(vdp_loss, argnums=(0, 1))(1000.0, y0, sensealg)
    ref_mu = central(lambda m: float(vdp_loss(m[0], y0, "direct", 1e-11)), [1000.0], 1e-5)
    ref_y0 = central(lambda y: float(vdp_loss(1000.0, y, "direct", 1e-11)), y0, 1e-6)
    close(g_mu, ref_mu[0], 1e-5)
    close(g_y0, ref_y0, 1e-5)


def test_backsolve_refuses_a_stiff_problem_it_cannot_reverse():
    """Backsolve integrates the state backward, which is explosive for a stiff, dissipative
    problem (here y' = -200 (y - cos t)): Radau stays finite on the way back but lands far
    from the forward solution, and the gradient it would give is refused, naming the methods
    that work; interpolating's agrees with the direct one."""
    def f(y, t, k):
        return -k * (y - cnp.cos(t))

    def loss(k, sensealg):
        return cnp.sum(odeint(f, np.array([2.0]), np.array([0.0, 0.2]), (k,), method="radau",
                              sensealg=sensealg, rtol=1e-8, atol=1e-8))
    with pytest.raises(ODEError, match="interpolating"):
        func.grad(loss)(200.0, "backsolve")
    close(func.grad(loss)(200.0, "interpolating"), func.grad(loss)(200.0, "direct"), 1e-5)


def robertson(t, y, k1, k2, k3):
    return cnp.stack([-k1 * y[0] + k3 * y[1] * y[2],
                      k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] ** 2,
                      k2 * y[1] ** 2])


ROB_T = np.array([0.0, 1e-3, 0.1, 1.0])


def rob_loss(logk, sensealg, rtol=1e-8):
    k = cnp.exp(logk)
    ys = odeint(robertson, np.array([1.0, 0.0, 0.0]), ROB_T, (k[0], k[1], k[2]),
                method="radau", tfirst=True, sensealg=sensealg, rtol=rtol, atol=1e-12)
    return cnp.sum(ys[:, 0]) + 1e4 * cnp.sum(ys[:, 1])


@pytest.mark.parametrize("sensealg", STIFF_METHODS if FULL else ["direct"])
def test_robertson_stiff_gradients(sensealg):
    logk = np.log([0.04, 3e7, 1e4])
    g = func.grad(rob_loss)(logk, sensealg)
    ref = central(lambda q: float(rob_loss(q, "direct", 1e-11)), logk, 1e-6)
    close(g, ref, 1e-5)
    ys = odeint(robertson, np.array([1.0, 0.0, 0.0]), ROB_T, (0.04, 3e7, 1e4), method="radau",
                tfirst=True, rtol=1e-9, atol=1e-13)
    ref_ys = si.solve_ivp(lambda t, y: np.asarray(robertson(t, y, 0.04, 3e7, 1e4)),
                          (0, 1.0), [1.0, 0.0, 0.0], method="Radau", t_eval=ROB_T,
                          rtol=1e-12, atol=1e-16).y.T
    close(ys, ref_ys, 1e-6)
    close(ys.sum(axis=1), np.ones(len(ROB_T)), 1e-10)


# --- closures, auto, errors -------------------------------------------------------------------

def test_closures_direct_sees_them_adjoints_refuse():
    w = cr.tensor(0.7, requires_grad=True)

    def f(y, t):
        return -w * y
    for sensealg in ("direct", "auto"):
        w.grad = None
        odeint(f, np.ones(2), np.array([0.0, 1.0]), sensealg=sensealg)[-1].sum().backward()
        close(w.grad.numpy(), -2 * np.exp(-0.7), 1e-7)
    with pytest.raises(ValueError, match="closure"):
        odeint(f, np.ones(2), np.array([0.0, 1.0]), sensealg="backsolve")


@pytest.mark.parametrize("kw, match", [
    (dict(method="lsoda"), "unknown method"),
    (dict(sensealg="adjoint"), "unknown sensealg"),
    (dict(method="rk4"), "step_size"),
    (dict(rtol=-1.0), "rtol"),
])
def test_bad_options(kw, match):
    with pytest.raises(ValueError, match=match):
        odeint(lambda y, t: -y, np.ones(1), np.array([0.0, 1.0]), **kw)


def test_bad_inputs():
    with pytest.raises(ValueError, match="strictly"):
        odeint(lambda y, t: -y, np.ones(1), np.array([0.0, 1.0, 0.5]))
    with pytest.raises(TypeError, match="complex"):
        odeint(lambda y, t: -y, np.ones(1, complex), np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="args leaf 0 is complex"):  # not a silent constant
        odeint(lambda y, t, k: -k.real * y, np.ones(1), np.array([0.0, 1.0]), (1.0 + 0j,))
    with pytest.raises(TypeError, match="complex derivative"):
        odeint(lambda y, t: y * 1j, np.ones(1), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="structure and shapes"):
        odeint(lambda y, t: cnp.ones(3), np.ones(2), np.array([0.0, 1.0]))
    with pytest.raises(ODEError, match="max_num_steps"):
        odeint(lambda y, t: -y, np.ones(1), np.array([0.0, 100.0]), max_num_steps=5)


# --- solve_ivp ----------------------------------------------------------------------------------

def test_solve_ivp_matches_scipy():
    fun = lambda t, y, a, b, c, d: lotka_volterra(y, t, a, b, c, d)  # noqa: E731
    te = np.linspace(0, 5, 11)
    r = solve_ivp(fun, (0, 5), LV_Y0, t_eval=te, args=tuple(LV_P), rtol=1e-9, atol=1e-9)
    ref = si.solve_ivp(lambda t, y: np.asarray(fun(t, y, *LV_P)), (0, 5), LV_Y0, t_eval=te,
                       rtol=1e-11, atol=1e-11)
    assert r.success and r.y.shape == (2, 11)
    close(r.t, te, 0)
    close(r.y, ref.y, 1e-7)
    steps = solve_ivp(fun, (0, 5), LV_Y0, args=tuple(LV_P), dense_output=True)
    assert steps.t[0] == 0 and steps.t[-1] == 5 and len(steps.t) > 5
    close(steps.sol(steps.t[3]), steps.y[:, 3], 1e-12)


def test_solve_ivp_terminal_event_time_is_differentiable():
    def ball(t, y, g):
        return cnp.stack([y[1], -g * cnp.ones_like(y[0])])

    def ground(t, y):
        return y[0]
    ground.terminal, ground.direction = True, -1
    r = solve_ivp(ball, (0, 10), np.array([10.0, 0.0]), events=ground, args=(9.81,))
    assert r.status == 1 and np.isclose(r.t[-1], np.sqrt(20 / 9.81))
    close(r.t_events[0], [np.sqrt(20 / 9.81)], 1e-9)
    dT = func.grad(lambda g: solve_ivp(ball, (0, 10), np.array([10.0, 0.0]), events=ground,
                                       args=(g,)).t[-1])(9.81)
    close(dT, -0.5 * np.sqrt(20) / 9.81 ** 1.5, 1e-8)


def test_solve_ivp_gradient_through_values():
    def loss(k):
        r = solve_ivp(lambda t, y, k: -k * y, (0, 2), np.ones(2), t_eval=np.array([1.0, 2.0]),
                      args=(k,), rtol=1e-10, atol=1e-10)
        return cnp.sum(r.y)
    close(func.grad(loss)(0.5), -2 * (np.exp(-0.5) + 2 * np.exp(-1.0)), 1e-8)


def test_scipy_odeint_signature_and_full_output():
    from chainrule.scipy.integrate import odeint as sp_odeint
    ys, info = sp_odeint(lambda y, t, k: -k * y, np.ones(2), np.linspace(0, 1, 5), args=(2.0,),
                         full_output=True)
    close(ys[:, 0], np.exp(-2 * np.linspace(0, 1, 5)), 1e-7)
    assert info["nfe"] > 0 and info["nst"] > 0
    with pytest.raises(ValueError, match="LSODA"):
        sp_odeint(lambda y, t: -y, np.ones(1), [0.0, 1.0], ml=1)


@pytest.mark.parametrize("sensealg", METHODS)
def test_per_component_atol(sensealg):
    """An atol per state component works with every method (the augmented adjoint and
    sensitivity systems take its largest entry)."""
    def loss(p):
        ys = odeint(lotka_volterra, LV_Y0, LV_T, tuple(p[i] for i in range(4)),
                    sensealg=sensealg, rtol=1e-9, atol=np.array([1e-9, 1e-10]))
        return cnp.sum(ys[-1])
    close(func.grad(loss)(LV_P), func.grad(lambda p: cnp.sum(odeint(
        lotka_volterra, LV_Y0, LV_T, tuple(p[i] for i in range(4)), rtol=1e-11,
        atol=1e-11)[-1]))(LV_P), 1e-6)
