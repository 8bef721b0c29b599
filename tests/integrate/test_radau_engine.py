"""The Radau IIA (order 5) engine of chainrule.integrate: the stage equations on arrays and on
tensors, the observed order, stiff problems against SciPy's Radau, the engine contract (exact
output times, fractions that replay, either direction, events, failures)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.helpers import check_grads

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.integrate._ode_common import ODEError, StepBudgetError, check_events
from chainrule.integrate._radau import (
    _GAMMA,
    _MU,
    _T,
    _TI,
    A,
    C,
    _replay,
    radau_residual,
    radau_update,
    solve_radau,
)

si = pytest.importorskip("scipy.integrate")

MU = 1000.0
K1, K2, K3 = 0.04, 3e7, 1e4


def vdp(t, y):
    return np.array([y[1], MU * (1.0 - y[0] ** 2) * y[1] - y[0]])


def vdp_jac(t, y):
    return np.array([[0.0, 1.0], [-2.0 * MU * y[0] * y[1] - 1.0, MU * (1.0 - y[0] ** 2)]])


def robertson(t, y):
    return np.array([-K1 * y[0] + K3 * y[1] * y[2],
                     K1 * y[0] - K3 * y[1] * y[2] - K2 * y[1] ** 2,
                     K2 * y[1] ** 2])


def robertson_jac(t, y):
    return np.array([[-K1, K3 * y[2], K3 * y[1]],
                     [K1, -K3 * y[2] - 2 * K2 * y[1], -K3 * y[1]],
                     [0.0, 2 * K2 * y[1], 0.0]])


ROT = np.array([[0.0, 1.0], [-1.0, 0.0]])


def rot(t, y):
    return ROT @ y


def rot_jac(t, y):
    return ROT


def riccati(t, y):  # y' = -2 t y^2, y(0) = 1: y = 1 / (1 + t^2); non-autonomous
    return -2.0 * t * y * y


def riccati_jac(t, y):
    return np.array([[-4.0 * t * y[0]]])


def _step_ends(traj):
    """Every accepted step's end time, from the output times and fractions."""
    return np.concatenate([traj.ts[i] + fr * (traj.ts[i + 1] - traj.ts[i])
                           for i, fr in enumerate(traj.fractions)])


# --- the method's coefficients and stage equations ---------------------------------------

def test_tableau_and_transformation():
    Am = np.array(A)
    assert np.allclose(Am.sum(axis=1), C, atol=1e-15)             # row sums are the nodes
    # collocation: A c^(k-1) = c^k / k for k = 1, 2, 3 (stage order 3)
    c = np.array(C)
    for k in (1, 2, 3):
        assert np.allclose(Am @ c ** (k - 1), c ** k / k, atol=1e-15)
    lam = _TI @ np.linalg.inv(Am) @ _T
    block = np.array([[_GAMMA, 0, 0], [0, _MU.real, -_MU.imag], [0, _MU.imag, _MU.real]])
    assert np.allclose(lam, block, atol=1e-12)
    eig = np.sort_complex(np.linalg.eigvals(np.linalg.inv(Am)))
    assert np.allclose(eig, np.sort_complex(np.array([_GAMMA, _MU, np.conj(_MU)])))


def test_residual_vanishes_at_the_stages_of_a_linear_problem():
    # y' = L y: the stages solve (I - h A kron L) Z = h (A 1) kron (L y)
    L = np.array([[-2.0, 1.0], [0.5, -3.0]])
    y, h = np.array([1.0, -0.5]), 0.3
    M = np.eye(6) - h * np.kron(np.array(A), L)
    Z = np.linalg.solve(M, h * np.kron(np.array(A) @ np.ones(3), L @ y)).reshape(3, 2)
    G = radau_residual(lambda t, v: L @ v, 0.0, y, h, Z)
    assert max(np.abs(g).max() for g in G) < 1e-15
    # the stability function is the (2, 3) Pade approximant of exp
    X, eye = h * L, np.eye(2)
    num = eye + 2 / 5 * X + X @ X / 20
    den = eye - 3 / 5 * X + 3 / 20 * X @ X - X @ X @ X / 60
    assert np.allclose(radau_update(y, Z), np.linalg.solve(den, num @ y), rtol=1e-14)


def _f_tensor(t, y):  # works on arrays and on tensors: cnp dispatches
    return cnp.sin(t) * y - 0.5 * y * y[::-1]


def test_residual_on_tensors_equals_numpy_and_is_differentiable():
    rng = np.random.default_rng(0)
    t, h = 0.4, 0.25
    y = rng.normal(size=3)
    Z = rng.normal(size=(3, 3)) * 0.1
    ref = radau_residual(_f_tensor, t, y, h, Z)
    got = radau_residual(_f_tensor, cr.tensor(t), cr.tensor(y), cr.tensor(h),
                         [cr.tensor(z) for z in Z])
    for g, r in zip(got, ref, strict=True):
        assert cr.is_tensor(g)
        assert np.allclose(g.detach().numpy(), r, rtol=1e-15, atol=1e-15)

    def fn(t, y, h, z0, z1, z2):
        return cnp.stack(radau_residual(_f_tensor, t, y, h, (z0, z1, z2)))
    check_grads(fn, np.array(t), y, np.array(h), *Z)


# --- order and accuracy ------------------------------------------------------------------

@pytest.mark.parametrize("problem", ["rotation", "riccati"])
def test_order_five_with_fixed_steps(problem):
    if problem == "rotation":
        f, jac, y0, T = rot, rot_jac, np.array([1.0, 0.0]), 3.0
        exact = np.array([math.cos(T), -math.sin(T)])
    else:
        f, jac, y0, T = riccati, riccati_jac, np.array([1.0]), 2.0
        exact = np.array([1.0 / (1.0 + T * T)])
    errs = []
    for k in (4, 8, 16):
        fr = [np.linspace(0.0, 1.0, k + 1)[1:]]
        errs.append(np.abs(_replay(f, jac, [0.0, T], y0, fr)[-1] - exact).max())
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all((orders > 4.6) & (orders < 5.6)), (errs, orders)


def test_tight_tolerance_reaches_the_exact_solution():
    ts = np.linspace(0.0, 2.0, 5)
    tr = solve_radau(riccati, riccati_jac, ts, np.array([1.0]), rtol=1e-11, atol=1e-13)
    assert np.allclose(tr.ys[:, 0], 1.0 / (1.0 + ts ** 2), rtol=1e-10, atol=0)


def test_van_der_pol_mu_1000_against_scipy():
    # [0, 2000] holds a full relaxation period ((3 - 2 ln 2) mu ~ 1614)
    ts = np.linspace(0.0, 2000.0, 9)
    y0 = np.array([2.0, 0.0])
    tr = solve_radau(vdp, vdp_jac, ts, y0, rtol=1e-8, atol=1e-8)
    ref = si.solve_ivp(vdp, (0.0, 2000.0), y0, method="Radau", jac=vdp_jac, t_eval=ts,
                       rtol=1e-10, atol=1e-10)
    assert np.array_equal(tr.ts, ts) and np.array_equal(tr.ys[0], y0)
    assert tr.ys[:, 0].min() < -1.8 and tr.ys[-3:, 0].max() > 1.8   # went down and back up
    rel = np.abs(tr.ys - ref.y.T) / (np.abs(ref.y.T) + 1e-8)
    assert rel.max() < 1e-5, rel.max()
    # the work, beside SciPy's Radau at the same tolerance
    sc = si.solve_ivp(vdp, (0.0, 2000.0), y0, method="Radau", jac=vdp_jac, rtol=1e-8,
                      atol=1e-8)
    print(f"\nvdp mu=1000 rtol 1e-8: chainrule steps {tr.nsteps} (+{tr.nreject} rejected) "
          f"nfev {tr.nfev} njev {tr.njev} nlu {tr.nlu} | scipy steps {sc.t.size - 1} "
          f"nfev {sc.nfev} njev {sc.njev} nlu {sc.nlu}")
    assert tr.nsteps < 1.3 * (sc.t.size - 1) and tr.nfev < 1.3 * sc.nfev
    assert tr.nlu < 1.3 * sc.nlu and tr.njev < 1.3 * sc.njev


def test_robertson_against_scipy_and_mass_conservation():
    ts = np.concatenate([[0.0], np.logspace(-5, 5, 21)])
    y0 = np.array([1.0, 0.0, 0.0])
    atol = np.array([1e-12, 1e-16, 1e-12])
    tr = solve_radau(robertson, robertson_jac, ts, y0, rtol=1e-8, atol=atol)
    ref = si.solve_ivp(robertson, (0.0, ts[-1]), y0, method="Radau", jac=robertson_jac,
                       t_eval=ts, rtol=1e-11, atol=atol * 1e-3)
    assert np.array_equal(tr.ts, ts)
    assert np.abs(tr.ys.sum(axis=1) - 1.0).max() < 1e-10
    rel = np.abs(tr.ys - ref.y.T) / (np.abs(ref.y.T) + atol)
    assert rel.max() < 1e-5, rel.max()
    assert tr.ys[-1, 2] > 0.9 and 1e-9 < tr.ys[-1, 1] < 1e-6   # y2 is tiny all along
    sc = si.solve_ivp(robertson, (0.0, ts[-1]), y0, method="Radau", jac=robertson_jac,
                      t_eval=ts, rtol=1e-8, atol=atol)
    print(f"\nrobertson rtol 1e-8, 22 outputs: chainrule steps {tr.nsteps} (+{tr.nreject} "
          f"rejected) nfev {tr.nfev} njev {tr.njev} nlu {tr.nlu} | scipy (t_eval, not "
          f"landing) nfev {sc.nfev} njev {sc.njev} nlu {sc.nlu}")
    assert tr.nfev < 1.5 * sc.nfev and tr.nlu < 1.5 * sc.nlu and tr.njev < 1.5 * sc.njev


# --- the engine contract -----------------------------------------------------------------

def test_outputs_land_exactly_and_fractions_replay():
    ts = np.array([0.0, 0.013, 0.5, 0.51, 3.0])
    y0 = np.array([2.0, 0.0])
    mu = 20.0

    def f(t, y):
        return np.array([y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]])

    def jac(t, y):
        return np.array([[0.0, 1.0], [-2 * mu * y[0] * y[1] - 1, mu * (1 - y[0] ** 2)]])
    tr = solve_radau(f, jac, ts, y0, rtol=1e-9, atol=1e-10)
    assert np.array_equal(tr.ts, ts) and tr.ys.shape == (5, 2) and tr.status == 0
    assert len(tr.fractions) == 4
    assert sum(fr.size for fr in tr.fractions) == tr.nsteps
    for fr in tr.fractions:
        assert fr[-1] == 1.0 and np.all(np.diff(fr) > 0) and fr[0] > 0
    # replay with a plain Newton iteration on radau_residual (the direct method's equations)
    y = y0.copy()
    out = [y]
    for i, fr in enumerate(tr.fractions):
        t = ts[i]
        for q in fr:
            t_new = ts[i + 1] if q == 1.0 else ts[i] + q * (ts[i + 1] - ts[i])
            y = radau_update(y, _newton_on_residual(f, jac, t, y, t_new - t))
            t = t_new
        out.append(y)
    out = np.array(out)
    assert np.allclose(out, tr.ys, rtol=1e-9, atol=1e-12), np.abs(out - tr.ys).max()


def _newton_on_residual(f, jac, t, y, h):
    """Full Newton on the 3n stage equations, the Jacobian of radau_residual assembled."""
    n = y.size
    Z = np.zeros((3, n))
    for _ in range(50):
        G = np.concatenate(radau_residual(f, t, y, h, Z))
        Js = [jac(t + C[j] * h, y + Z[j]) for j in range(3)]
        M = np.eye(3 * n) - h * np.block([[A[i][j] * Js[j] for j in range(3)] for i in range(3)])
        dZ = np.linalg.solve(M, -G).reshape(3, n)
        Z = Z + dZ
        if np.abs(dZ).max() <= 1e-15 * (1 + np.abs(Z).max()):
            return Z
    raise AssertionError("Newton on radau_residual did not converge")


def test_decreasing_times_match_the_forward_solve():
    ts = np.linspace(0.0, 2.0, 6)
    fwd = solve_radau(rot, rot_jac, ts, np.array([1.0, 0.0]), rtol=1e-10, atol=1e-12)
    back = solve_radau(rot, rot_jac, ts[::-1], fwd.ys[-1], rtol=1e-10, atol=1e-12)
    assert np.array_equal(back.ts, ts[::-1])
    assert np.allclose(back.ys[::-1], fwd.ys, atol=1e-9)
    exact = np.stack([np.cos(ts), -np.sin(ts)], axis=1)
    assert np.allclose(fwd.ys, exact, atol=1e-9)
    for fr in back.fractions:
        assert fr[-1] == 1.0 and np.all(np.diff(fr) > 0)


def test_max_step_first_step_and_atol_array():
    ts = np.array([0.0, 1.0])
    tr = solve_radau(rot, rot_jac, ts, np.array([1.0, 0.0]), max_step=0.05,
                     first_step=1e-3, atol=np.array([1e-9, 1e-9]))
    ends = np.concatenate([[0.0], _step_ends(tr)])
    assert np.diff(ends).max() <= 0.05 * (1 + 1e-12) and ends[1] == pytest.approx(1e-3)
    assert tr.nsteps >= 20


def test_pure_relative_and_absolute_control_and_no_step_record():
    ts = np.array([0.0, 1.0, 2.0])
    y0 = np.array([1.0, 0.0])
    exact = np.array([math.cos(2.0), -math.sin(2.0)])
    rel = solve_radau(rot, rot_jac, ts, y0, rtol=1e-9, atol=0.0)    # component 1 starts at 0
    ab = solve_radau(rot, rot_jac, ts, y0, rtol=0.0, atol=1e-10)    # rtol raised to 100 eps
    tiny = solve_radau(rot, rot_jac, ts, y0, rtol=1e-20, atol=1e-6)
    for tr in (rel, ab, tiny):
        assert np.allclose(tr.ys[-1], exact, atol=1e-7)
    assert ab.nsteps > tiny.nsteps
    bare = solve_radau(rot, rot_jac, ts, y0, rtol=1e-9, atol=0.0, record_steps=False)
    assert bare.fractions == [] and np.array_equal(bare.ys, rel.ys)


def test_error_mask_leaves_components_out_of_the_step_control():
    # component 1 integrates a fast oscillation that would otherwise force small steps
    def f(t, y):
        return np.array([-y[0], math.cos(50.0 * t)])

    def jac(t, y):
        return np.array([[-1.0, 0.0], [0.0, 0.0]])
    ts = np.array([0.0, 2.0])
    full = solve_radau(f, jac, ts, np.array([1.0, 0.0]), rtol=1e-6, atol=1e-8)
    semi = solve_radau(f, jac, ts, np.array([1.0, 0.0]), rtol=1e-6, atol=1e-8,
                       error_mask=np.array([True, False]))
    assert semi.nsteps < full.nsteps / 10
    assert abs(semi.ys[-1, 0] - math.exp(-2.0)) < 1e-8
    assert abs(full.ys[-1, 1] - math.sin(100.0) / 50.0) < 1e-8


def test_dense_output():
    ts = np.array([0.0, 1.0, 2.5])
    tr = solve_radau(rot, rot_jac, ts, np.array([1.0, 0.0]), rtol=1e-10, atol=1e-12,
                     dense=True)
    assert len(tr.dense.t) == tr.nsteps + 1 and tr.dense.t[0] == 0.0 and tr.dense.t[-1] == 2.5
    tq = np.linspace(0.0, 2.5, 37)
    assert np.allclose(tr.dense(tq), np.stack([np.cos(tq), -np.sin(tq)]), atol=1e-6)
    assert set(tr.dense.t) >= set(ts)


# --- events ------------------------------------------------------------------------------

def _crossing(t, y):
    return y[0]


def test_events_recorded_and_terminal_stop():
    ts = np.linspace(0.0, 10.0, 4)
    y0 = np.array([1.0, 0.0])
    tr = solve_radau(rot, rot_jac, ts, y0, rtol=1e-10, atol=1e-12,
                     events=check_events(_crossing))
    expect = np.pi / 2 + np.pi * np.arange(3)        # cos t = 0 in (0, 10)
    assert tr.status == 0 and np.allclose(tr.t_events[0], expect, atol=1e-8)
    assert tr.y_events[0].shape == (3, 2) and np.abs(tr.y_events[0][:, 0]).max() < 1e-8

    def down(t, y):
        return y[0]
    down.direction = -1.0
    down.terminal = 2                                 # stop at the second downward crossing
    tr = solve_radau(rot, rot_jac, ts, y0, rtol=1e-10, atol=1e-12, events=[down, _crossing])
    t_stop = np.pi / 2 + 2 * np.pi
    assert tr.status == 1 and "events[0]" in tr.message
    assert np.allclose(tr.t_events[0], [np.pi / 2, t_stop], atol=1e-8)
    assert np.allclose(tr.t_events[1], expect[:2], atol=1e-8)    # nothing after the stop
    assert tr.ts[-1] == tr.t_events[0][-1] and np.array_equal(tr.ts[:-1], ts[:3])
    assert tr.ys.shape == (4, 2) and np.allclose(tr.ys[-1], [0.0, -1.0], atol=1e-9)
    assert len(tr.fractions) == 3 and tr.fractions[-1][-1] == 1.0
    # the last output is a Radau step to the event: the fractions replay it
    last = _replay(rot, rot_jac, tr.ts, y0, tr.fractions)
    assert np.allclose(last, tr.ys, atol=1e-10)

    def first(t, y):
        return y[0]
    first.terminal = True
    tr = solve_radau(rot, rot_jac, ts, y0, rtol=1e-10, atol=1e-12, events=[first], dense=True)
    assert tr.status == 1 and tr.ts.shape == (2,) and abs(tr.ts[-1] - np.pi / 2) < 1e-8
    assert tr.dense.t[-1] == tr.ts[-1] and np.allclose(tr.dense(tr.ts[-1]), tr.ys[-1])
    # backward in time: cos t = 0 at -pi/2, then the terminal stop at -3 pi/2
    first.terminal = 2
    tr = solve_radau(rot, rot_jac, [0.0, -2.0, -6.0], y0, rtol=1e-10, atol=1e-12,
                     events=[first])
    assert np.allclose(tr.t_events[0], [-np.pi / 2, -3 * np.pi / 2], atol=1e-8)
    assert tr.status == 1 and tr.ts[-1] == tr.t_events[0][-1] and tr.ts.shape == (3,)
    assert np.allclose(tr.ys[-1], [0.0, -1.0], atol=1e-9)


# --- failures ----------------------------------------------------------------------------

def test_budget_exceeded():
    with pytest.raises(StepBudgetError, match="max_num_steps=10") as info:
        solve_radau(vdp, vdp_jac, [0.0, 3000.0], [2.0, 0.0], max_num_steps=10)
    assert 0.0 < info.value.t < 3000.0


def test_blow_up_raises_with_the_time():
    # y' = y^2, y(0) = 1 blows up at t = 1: Newton's iteration fails at every step size
    # until the step underflows
    with pytest.raises(ODEError, match="step size") as info:
        solve_radau(lambda t, y: y * y, lambda t, y: np.array([[2 * y[0]]]), [0.0, 2.0],
                    [1.0])
    assert 0.9 < info.value.t < 1.0 + 1e-6   # an implicit method may step onto the pole


def test_newton_failure_at_the_minimum_step():
    # the derivative turns non-finite past t = 0.5: every Newton iteration there fails
    def f(t, y):
        return np.array([np.nan if t > 0.5 else -y[0]])
    with pytest.raises(ODEError, match="non-finite") as info:
        solve_radau(f, lambda t, y: np.array([[-1.0]]), [0.0, 1.0], [1.0])
    assert info.value.t == pytest.approx(0.5, abs=1e-6)


def test_bad_inputs():
    ok = (rot, rot_jac)
    with pytest.raises(ValueError, match="strictly"):
        solve_radau(*ok, [0.0, 1.0, 1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="at least 2"):
        solve_radau(*ok, [0.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="non-negative"):
        solve_radau(*ok, [0.0, 1.0], [1.0, 0.0], rtol=-1e-6)
    with pytest.raises(ValueError, match=r"\(2,\) array"):
        solve_radau(*ok, [0.0, 1.0], [1.0, 0.0], atol=[1e-9, 1e-9, 1e-9])
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        solve_radau(rot, lambda t, y: np.eye(3), [0.0, 1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="error_mask"):
        solve_radau(*ok, [0.0, 1.0], [1.0, 0.0], error_mask=[True])
    with pytest.raises(TypeError, match="jac"):
        solve_radau(rot, None, [0.0, 1.0], [1.0, 0.0])
    with pytest.raises(ODEError, match="not finite"):
        solve_radau(*ok, [0.0, 1.0], [np.nan, 0.0])
