"""The explicit Runge-Kutta engine (chainrule.integrate._rk): the tableaux against the order
conditions, rk_step on tensors, observed convergence orders, adaptive solves against exact
solutions and SciPy, fractions and their replay, the error mask, dense output, events, and
every error path."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from tests.helpers import check_grads

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.integrate._ode_common import ODEError
from chainrule.integrate._rk import TABLEAUX, Tableau, rk_error, rk_step, solve_explicit

si = pytest.importorskip("scipy.integrate")

ADAPTIVE = ["dopri5", "tsit5", "bosh3"]
FIXED = ["euler", "midpoint", "heun", "rk4"]


# --- order conditions -------------------------------------------------------------------------

def _trees(n: int) -> list[tuple]:
    """The rooted trees with n vertices, each a sorted tuple of its root's subtrees."""
    if n == 1:
        return [()]
    out = set()

    def forests(rem, bound):  # multisets of trees of total size rem, in non-increasing order
        if rem == 0:
            yield ()
            return
        for k in range(1, rem + 1):
            for t in _trees(k):
                if bound is not None and (k, t) > bound:
                    continue
                for rest in forests(rem - k, (k, t)):
                    yield (t,) + rest
    for f in forests(n - 1, None):
        out.add(tuple(sorted(f)))
    return sorted(out)


def _size(t):
    return 1 + sum(_size(s) for s in t)


def _gamma(t):
    return _size(t) * math.prod(_gamma(s) for s in t)


def _phi(t, A):
    v = np.ones(A.shape[0])
    for s in t:
        v = v * (A @ _phi(s, A))
    return v


def _residuals(b, A, order):
    """|b . Phi(t) - 1/gamma(t)| for every tree of order <= order."""
    return [abs(b @ _phi(t, A) - 1 / _gamma(t)) for p in range(1, order + 1)
            for t in _trees(p)]


def _matrix(tab):
    s = tab.stages
    A = np.zeros((s, s))
    for i, row in enumerate(tab.a):
        A[i, :i] = row
    return A


def test_tree_counts():
    # 1, 1, 2, 4, 9, 20 rooted trees: the 1 + 1 + 2 + 4 + 9 = 17 conditions of order 5
    assert [len(_trees(p)) for p in range(1, 7)] == [1, 1, 2, 4, 9, 20]
    assert _gamma(((), ())) == 3 and _gamma((((),),)) == 6


@pytest.mark.parametrize("name", ADAPTIVE + FIXED)
def test_order_conditions(name):
    tab = TABLEAUX[name]
    A, b = _matrix(tab), np.array(tab.b)
    np.testing.assert_allclose(A.sum(axis=1), tab.c, rtol=0, atol=1e-14)  # row sums = c
    assert max(_residuals(b, A, tab.order)) < 1e-13
    assert max(_residuals(b, A, tab.order + 1)) > 1e-4      # the order is not higher
    if tab.adaptive:
        b_hat = b - np.array(tab.b_err)
        assert tab.err_order == tab.order - 1
        assert max(_residuals(b_hat, A, tab.err_order)) < 1e-13
        assert max(_residuals(b_hat, A, tab.err_order + 1)) > 1e-4
        assert tab.fsal and tab.c[-1] == 1 and tab.a[-1] == tab.b[:-1] and tab.b[-1] == 0
    else:
        assert tab.b_err is None and not tab.fsal


def test_exact_coefficients_and_aliases():
    assert TABLEAUX["rk45"] is TABLEAUX["dopri5"] and TABLEAUX["rk23"] is TABLEAUX["bosh3"]
    # dopri5's error weights against the rationals of the paper
    b_hat = [Fraction(5179, 57600), 0, Fraction(7571, 16695), Fraction(393, 640),
             Fraction(-92097, 339200), Fraction(187, 2100), Fraction(1, 40)]
    b = [Fraction(35, 384), 0, Fraction(500, 1113), Fraction(125, 192), Fraction(-2187, 6784),
         Fraction(11, 84), 0]
    np.testing.assert_allclose(TABLEAUX["dopri5"].b_err, [float(x - y) for x, y in
                                                          zip(b, b_hat)], rtol=1e-15)
    # the skipped zeros
    assert all(j != 1 for j, _ in TABLEAUX["dopri5"].b_terms)
    assert TABLEAUX["rk4"].stage_terms[2] == ((2, 1.0),)


def test_tableau_checks_its_shape():
    with pytest.raises(ValueError, match="rows a"):
        Tableau("bad", c=(0.0, 1.0), a=((), (0.5, 0.5)), b=(0.5, 0.5), b_err=None, order=1)
    with pytest.raises(ValueError, match="FSAL"):
        Tableau("bad", c=(0.0, 1.0), a=((), (1.0,)), b=(0.5, 0.5), b_err=None, order=2,
                fsal=True)


# --- rk_step on NumPy and on tensors ----------------------------------------------------------

def _f_both(t, y):
    """A non-autonomous, coupled right-hand side in chainrule.numpy (NumPy in, NumPy out;
    tensors in, tensors out)."""
    return cnp.sin(t * y) * y[::-1] - 0.5 * y + cnp.cos(t)


@pytest.mark.parametrize("name", ADAPTIVE + FIXED)
def test_rk_step_runs_on_tensors_with_derivatives(name):
    tab = TABLEAUX[name]
    t0, y0, h0 = 0.3, np.array([0.7, -0.4]), 0.2
    y_np, ks_np = rk_step(_f_both, t0, y0, h0, tab)
    assert isinstance(y_np, np.ndarray) and len(ks_np) == tab.stages
    t, y, h = (cr.tensor(v, requires_grad=True) for v in (t0, y0, h0))
    y_cr, ks_cr = rk_step(_f_both, t, y, h, tab)
    assert cr.is_tensor(y_cr)
    np.testing.assert_allclose(y_cr.detach().numpy(), y_np, rtol=1e-15, atol=1e-15)
    if tab.adaptive:
        e_np = rk_error(ks_np, h0, tab)
        np.testing.assert_allclose(rk_error(ks_cr, h, tab).detach().numpy(), e_np, rtol=1e-13)
        # FSAL: the last stage is f(t + h, y_new)
        np.testing.assert_allclose(ks_np[-1], _f_both(t0 + h0, y_np), rtol=1e-15)
    # first and second derivatives in t, y and h, reverse and forward, against differences
    check_grads(lambda t, y, h: rk_step(_f_both, t, y, h, tab)[0], t0, y0, h0)
    if tab.adaptive:
        check_grads(lambda t, y, h: rk_error(rk_step(_f_both, t, y, h, tab)[1], h, tab),
                    t0, y0, h0, order=1)


def test_rk_step_reuses_k1():
    calls = []

    def f(t, y):
        calls.append(t)
        return -y
    y0 = np.array([1.0])
    y1, ks = rk_step(f, 0.0, y0, 0.1, TABLEAUX["dopri5"])
    assert len(calls) == 7
    calls.clear()
    y2, _ = rk_step(f, 0.0, y0, 0.1, TABLEAUX["dopri5"], k1=-y0)
    assert len(calls) == 6 and 0.0 not in calls and np.array_equal(y1, y2)
    np.testing.assert_allclose(y1, np.exp(-0.1), rtol=1e-8)


# --- convergence orders -----------------------------------------------------------------------

def _cycle(t, y):
    """A nonlinear limit cycle (r' = r (1 - r^2), theta' = 1) beside y3' = -2 t y3^2."""
    r2 = y[0] ** 2 + y[1] ** 2
    return np.array([-y[1] + y[0] * (1 - r2), y[0] + y[1] * (1 - r2), -2 * t * y[2] ** 2])


def _cycle_exact(t):
    r = 1 / math.sqrt(1 + 3 * math.exp(-2 * t))  # r(0) = 1/2
    return np.array([r * math.cos(t), r * math.sin(t), 1 / (1 + t * t)])


@pytest.mark.parametrize("name", ADAPTIVE + FIXED)
def test_observed_convergence_order(name):
    tab, T = TABLEAUX[name], 1.5
    N = 64 if tab.order == 5 else 16  # both in the asymptotic range, clear of rounding
    errs = [np.abs(solve_explicit(_cycle, [0.0, T], [0.5, 0.0, 1.0], method=name,
                                  step_size=T / n).ys[-1] - _cycle_exact(T)).max()
            for n in (N, 2 * N)]
    assert abs(math.log2(errs[0] / errs[1]) - tab.order) < 0.45, errs


# --- adaptive solves --------------------------------------------------------------------------

def _lv(t, y):
    return np.array([1.5 * y[0] - y[0] * y[1], -3 * y[1] + y[0] * y[1]])


def _osc(t, y):
    return np.array([y[1], -y[0]])


TS = np.linspace(0.0, 10.0, 11)


@pytest.fixture(scope="module")
def lv_ref():
    return si.solve_ivp(_lv, [0, 10], [1.0, 1.0], method="DOP853", rtol=1e-12, atol=1e-14,
                        t_eval=TS).y.T


@pytest.mark.parametrize("name", ADAPTIVE)
@pytest.mark.parametrize("rtol", [1e-5, 1e-8])
def test_adaptive_accuracy(name, rtol, lv_ref):
    atol = rtol * 1e-3
    cases = [(lambda t, y: -y, [1.0], np.exp(-TS)[:, None]),
             (_osc, [1.0, 0.0], np.stack([np.cos(TS), -np.sin(TS)], axis=1)),
             (_lv, [1.0, 1.0], lv_ref)]
    for rhs, y0, exact in cases:
        tr = solve_explicit(rhs, TS, y0, method=name, rtol=rtol, atol=atol)
        assert tr.status == 0 and np.array_equal(tr.ts, TS) and np.array_equal(tr.ys[0], y0)
        # the global error is a modest multiple of the local tolerance
        err = np.abs(tr.ys - exact) / (rtol * np.abs(exact) + atol)
        assert err.max() < 100, (rhs, err.max())
        # ... and the tolerance matters: a looser one gives a larger error
        loose = solve_explicit(rhs, TS, y0, method=name, rtol=rtol * 1e3, atol=atol * 1e3)
        assert np.abs(loose.ys - exact).max() > np.abs(tr.ys - exact).max()
        assert loose.nsteps < tr.nsteps


@pytest.mark.parametrize("name, scipy_name", [("dopri5", "RK45"), ("bosh3", "RK23")])
@pytest.mark.parametrize("rtol", [1e-4, 1e-7])
def test_step_counts_match_scipy(name, scipy_name, rtol):
    ours = solve_explicit(_lv, [0, 15], [1.0, 1.0], method=name, rtol=rtol, atol=1e-9)
    ref = si.solve_ivp(_lv, [0, 15], [1.0, 1.0], method=scipy_name, rtol=rtol, atol=1e-9)
    assert 1 / 1.5 < ours.nsteps / (ref.t.size - 1) < 1.5
    assert 1 / 1.5 < ours.nfev / ref.nfev < 1.5
    # the same controller: each accepted step costs s - 1 evaluations (FSAL), each rejected one
    # too, plus the start (f(t0) and the first-step probe)
    s = TABLEAUX[name].stages
    assert ours.nfev == 2 + (s - 1) * (ours.nsteps + ours.nreject)
    # many output times cost a few clipped steps more, not many
    many = solve_explicit(_lv, np.linspace(0, 15, 31), [1.0, 1.0], method=name, rtol=rtol,
                          atol=1e-9)
    assert many.nsteps < 1.5 * ours.nsteps + 31


def test_outputs_exactly_at_ts_and_fractions():
    ts = np.array([0.0, 0.1, 0.35, 2.0, 2.0001, 7.5])
    tr = solve_explicit(_lv, ts, [1.0, 1.0], dense=True, rtol=1e-7)
    assert len(tr.fractions) == ts.size - 1
    # every output time is the end of an accepted step, to the last bit
    assert all(t in tr.dense.t for t in ts)
    assert tr.nsteps == sum(fr.size for fr in tr.fractions) == len(tr.dense.t) - 1
    for fr in tr.fractions:
        assert fr[-1] == 1.0 and np.all(np.diff(fr) > 0) and fr[0] > 0
    # a tiny interval is one step; the long ones are several
    assert tr.fractions[3].size == 1 and tr.fractions[4].size > 3


def _replay(tr, rhs, tab):
    """The direct method's replay: the recorded steps through rk_step, from ys[0]."""
    y, out = tr.ys[0], [tr.ys[0]]
    for i, fr in enumerate(tr.fractions):
        a, dt = tr.ts[i], tr.ts[i + 1] - tr.ts[i]
        prev = 0.0
        for f in fr:
            t0, t1 = a + prev * dt, a + f * dt
            y, _ = rk_step(rhs, t0, y, t1 - t0, tab)
            prev = f
        out.append(y)
    return np.array(out)


@pytest.mark.parametrize("name", ["dopri5", "tsit5", "bosh3", "rk4"])
def test_fractions_replay(name):
    ts = np.array([0.0, 0.7, 3.0, 3.2, 9.0])
    kw = {"step_size": 0.3} if name == "rk4" else {"rtol": 1e-6}
    tr = solve_explicit(_lv, ts, [1.0, 1.0], method=name, **kw)
    np.testing.assert_allclose(_replay(tr, _lv, TABLEAUX[name]), tr.ys, rtol=1e-12, atol=1e-12)
    if name == "rk4":  # ceil(|dt| / step_size) equal steps
        assert [fr.size for fr in tr.fractions] == [3, 8, 1, 20]
        np.testing.assert_array_equal(tr.fractions[0], [1 / 3, 2 / 3, 1.0])


def test_backward_integration():
    ts = np.linspace(2.0, 0.0, 5)
    tr = solve_explicit(lambda t, y: -y, ts, [math.exp(-2.0)], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(tr.ys[:, 0], np.exp(-ts), rtol=1e-8)
    # Lotka-Volterra there and back again
    fwd = solve_explicit(_lv, [0.0, 5.0], [1.0, 1.0], rtol=1e-10, atol=1e-12)
    back = solve_explicit(_lv, [5.0, 2.5, 0.0], fwd.ys[-1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(back.ys[-1], [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(_replay(back, _lv, TABLEAUX["dopri5"]), back.ys, rtol=1e-12)
    for fr in back.fractions:
        assert fr[-1] == 1.0 and np.all(np.diff(fr) > 0)
    # fixed steps backward
    fx = solve_explicit(_osc, [1.0, -1.0], [math.cos(1.0), -math.sin(1.0)], method="rk4",
                        step_size=0.01)
    np.testing.assert_allclose(fx.ys[-1], [math.cos(-1.0), -math.sin(-1.0)], atol=1e-9)


def test_adaptive_method_with_step_size_takes_fixed_steps():
    tr = solve_explicit(_osc, [0.0, 1.0, 1.25], [1.0, 0.0], method="tsit5", step_size=0.1)
    assert tr.nreject == 0 and [fr.size for fr in tr.fractions] == [10, 3]
    y = np.array([1.0, 0.0])
    for k in range(10):
        t0, t1 = k / 10, (k + 1) / 10 if k < 9 else 1.0
        y, _ = rk_step(_osc, t0, y, t1 - t0, TABLEAUX["tsit5"])
    np.testing.assert_allclose(tr.ys[1], y, rtol=1e-14)


def test_tolerance_arrays():
    # per-component tolerances: a tight one on y1 alone is the same solve as y1 alone
    rhs = lambda t, y: np.array([-y[0], 2.0 * np.cos(3.0 * t)])
    one = solve_explicit(lambda t, y: -y, [0.0, 2.0], [1.0], rtol=1e-9, atol=1e-12)
    arr = solve_explicit(rhs, [0.0, 2.0], [1.0, 0.0], rtol=[1e-9, 1.0], atol=[1e-12, 1.0])
    scalar = solve_explicit(rhs, [0.0, 2.0], [1.0, 0.0], rtol=1e-9, atol=1e-12)
    assert arr.nsteps <= one.nsteps + 1 < scalar.nsteps
    np.testing.assert_allclose(arr.ys[-1, 0], math.exp(-2.0), rtol=1e-8)


def test_error_mask_is_a_seminorm():
    # y2 grows fast; left out of the norm it must not shrink the steps
    rhs = lambda t, y: np.array([-y[0], 30.0 * y[1]])
    one = solve_explicit(lambda t, y: -y, [0.0, 1.0], [1.0], rtol=1e-6)
    both = solve_explicit(rhs, [0.0, 1.0], [1.0, 1.0], rtol=1e-6)
    masked = solve_explicit(rhs, [0.0, 1.0], [1.0, 1.0], rtol=1e-6,
                            error_mask=np.array([True, False]))
    assert masked.nsteps == one.nsteps < both.nsteps / 2
    np.testing.assert_array_equal(masked.ys[:, 0], one.ys[:, 0])
    # the masked component is still integrated (coarsely: nothing controls its error)
    assert 1e11 < masked.ys[-1, 1] < 2 * math.exp(30.0)
    np.testing.assert_allclose(_replay(masked, rhs, TABLEAUX["dopri5"]), masked.ys, rtol=1e-12)


def test_dense_output():
    tr = solve_explicit(_osc, [0.0, 6.0], [1.0, 0.0], rtol=1e-9, atol=1e-12, dense=True)
    tq = np.linspace(0.0, 6.0, 97)
    vals = tr.dense(tq)
    assert vals.shape == (2, 97) and tr.dense(1.3).shape == (2,)
    np.testing.assert_allclose(vals, [np.cos(tq), -np.sin(tq)], atol=1e-6)
    np.testing.assert_allclose(tr.dense(6.0), tr.ys[-1], rtol=1e-15)
    # backward, with a fixed-step method (non-FSAL: the slopes are evaluated for it)
    tr = solve_explicit(_osc, [2.0, 0.0], [math.cos(2), -math.sin(2)], method="rk4",
                        step_size=0.05, dense=True)
    np.testing.assert_allclose(tr.dense(tq[:30]), [np.cos(tq[:30]), -np.sin(tq[:30])],
                               atol=1e-5)


# --- events -----------------------------------------------------------------------------------

def _event(fn, terminal=False, direction=0.0):
    fn.terminal, fn.direction = terminal, direction
    return fn


def _scipy_events(rhs, span, y0, events):
    return si.solve_ivp(rhs, span, y0, method="DOP853", rtol=1e-12, atol=1e-12, events=events)


@pytest.mark.parametrize("name", ["dopri5", "tsit5"])
def test_events_recorded_with_direction(name):
    up = _event(lambda t, y: y[0], direction=1.0)
    down = _event(lambda t, y: y[0] - 0.5, direction=-1.0)
    anyway = _event(lambda t, y: y[1] + 0.25)
    evs = [up, down, anyway]
    tr = solve_explicit(_osc, [0.0, 3.0, 10.0], [1.0, 0.0], method=name, events=evs,
                        rtol=1e-10, atol=1e-12)
    ref = _scipy_events(_osc, [0, 10], [1.0, 0.0], evs)
    assert tr.status == 0 and tr.ts[-1] == 10.0
    for k in range(3):
        assert tr.t_events[k].shape == ref.t_events[k].shape and tr.t_events[k].size >= 1
        np.testing.assert_allclose(tr.t_events[k], ref.t_events[k], atol=1e-7)
        assert tr.y_events[k].shape == (tr.t_events[k].size, 2)
        np.testing.assert_allclose(tr.y_events[k], ref.y_events[k], atol=1e-7)
    np.testing.assert_allclose(tr.t_events[0], [1.5 * np.pi], atol=1e-8)
    np.testing.assert_allclose(np.sin(tr.t_events[2]), 0.25, atol=1e-8)


def test_terminal_event_cuts_the_solve():
    # a ball thrown up at 10 m/s from 2 m: the ground at t = (10 + sqrt(100 + 4 g)) / g
    g = 9.81
    rhs = lambda t, y: np.array([y[1], -g])
    ground = _event(lambda t, y: y[0], terminal=True, direction=-1.0)
    apex = _event(lambda t, y: y[1])
    ts = np.linspace(0.0, 5.0, 11)
    t_hit = (10 + math.sqrt(100 + 4 * g)) / g
    for kw in ({"rtol": 1e-8}, {"method": "rk4", "step_size": 0.07}):
        tr = solve_explicit(rhs, ts, [2.0, 10.0], events=[ground, apex], dense=True, **kw)
        assert tr.status == 1 and "events[0]" in tr.message
        assert tr.t_events[0].size == 1 and abs(tr.t_events[0][0] - t_hit) < 1e-9
        np.testing.assert_allclose(tr.t_events[1], [10 / g], atol=1e-9)
        n_kept = int(np.sum(ts < t_hit))
        np.testing.assert_array_equal(tr.ts[:-1], ts[:n_kept])
        assert tr.ts[-1] == tr.t_events[0][0] and tr.ys.shape == (n_kept + 1, 2)
        assert len(tr.fractions) == n_kept and tr.fractions[-1][-1] == 1.0
        assert np.all(np.diff(tr.fractions[-1]) > 0)
        np.testing.assert_array_equal(tr.ys[-1], tr.y_events[0][0])
        assert abs(tr.ys[-1][0]) < 1e-9
        # the replay of the recorded steps lands on the event state
        tab = TABLEAUX[kw.get("method", "dopri5")]
        np.testing.assert_allclose(_replay(tr, rhs, tab), tr.ys, rtol=1e-12, atol=1e-12)
        assert tr.dense.t[-1] == tr.ts[-1]


def test_count_terminal_event_and_scipy():
    ev = _event(lambda t, y: y[0], terminal=3)
    tr = solve_explicit(_osc, [0.0, 20.0], [1.0, 0.0], events=ev, rtol=1e-10, atol=1e-12)
    ref = _scipy_events(_osc, [0, 20], [1.0, 0.0], [ev])
    assert tr.status == ref.status == 1
    np.testing.assert_allclose(tr.t_events[0], ref.t_events[0], atol=1e-8)
    np.testing.assert_allclose(tr.t_events[0], [0.5 * np.pi, 1.5 * np.pi, 2.5 * np.pi],
                               atol=1e-8)
    assert tr.ts[-1] == tr.t_events[0][-1]
    # Lotka-Volterra: the prey crossing 3, non-terminal, against SciPy
    cross = _event(lambda t, y: y[0] - 3.0)
    tr = solve_explicit(_lv, np.linspace(0, 15, 4), [1.0, 1.0], events=cross, rtol=1e-10,
                        atol=1e-12)
    ref = _scipy_events(_lv, [0, 15], [1.0, 1.0], [cross])
    assert tr.t_events[0].size == ref.t_events[0].size >= 4
    np.testing.assert_allclose(tr.t_events[0], ref.t_events[0], atol=1e-7)


# --- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    ({"ts": [[0.0, 1.0]]}, "1-D array of at least 2"),
    ({"ts": [0.0]}, "1-D array of at least 2"),
    ({"ts": [0.0, 2.0, 1.0]}, "strictly monotone"),
    ({"ts": [0.0, 1.0, 1.0]}, "strictly monotone"),
    ({"ts": [0.0, np.inf]}, "finite"),
    ({"y0": [[1.0]]}, "1-D state vector"),
    ({"y0": [np.nan]}, "y0 must be finite"),
    ({"rtol": -1.0}, "non-negative"),
    ({"atol": -1e-9}, "non-negative"),
    ({"atol": [1e-9, 1e-9]}, r"shape \(1,\)"),
    ({"rtol": np.ones((1, 1))}, r"rtol must be a scalar or of shape \(1,\)"),
    ({"rtol": [np.nan]}, "finite and non-negative"),
    ({"rtol": 0.0, "atol": 0.0}, "no tolerance"),
    ({"method": "rk99"}, "unknown method 'rk99'.*dopri5, tsit5"),
    ({"method": "rk4"}, "needs step_size"),
    ({"step_size": -0.1}, "step_size must be a positive"),
    ({"first_step": 0.0}, "first_step"),
    ({"max_step": 0.0}, "max_step"),
    ({"max_num_steps": 0}, "max_num_steps"),
    ({"error_mask": [1, 0]}, "error_mask must be a boolean"),
    ({"events": [_event(lambda t, y: y[0], terminal=-1)]}, "terminal"),
])
def test_bad_input(kwargs, match):
    args = {"ts": [0.0, 1.0], "y0": [1.0], **kwargs}
    with pytest.raises(ValueError, match="ODE solver: .*" + match):
        solve_explicit(lambda t, y: -y, args.pop("ts"), args.pop("y0"), **args)


def test_bad_rhs_and_fixed_tableau_error():
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        solve_explicit(lambda t, y: np.zeros(3), [0.0, 1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="no embedded error estimate"):
        rk_error([np.ones(1)], 0.1, TABLEAUX["rk4"])

    def boom(t, y):
        raise KeyError("from the rhs")
    with pytest.raises(KeyError, match="from the rhs"):
        solve_explicit(boom, [0.0, 1.0], [1.0])


def test_ode_errors():
    blowup = lambda t, y: y * y  # y = 1 / (1 - t): singular at t = 1
    with pytest.raises(ODEError, match="max_num_steps=20 ") as e:
        solve_explicit(_lv, [0.0, 15.0], [1.0, 1.0], max_num_steps=20)
    assert 0 < e.value.t < 15
    with pytest.raises(ODEError, match="fell below") as e:
        solve_explicit(blowup, [0.0, 2.0], [1.0])
    assert abs(e.value.t - 1.0) < 1e-3
    with pytest.raises(ODEError, match="not finite at the initial time"):
        solve_explicit(lambda t, y: y + np.inf, [0.0, 1.0], [0.0])
    with pytest.raises(ODEError, match="non-finite") as e, np.errstate(over="ignore"):
        solve_explicit(blowup, [0.0, 10.0], [10.0], method="euler", step_size=0.5)
    assert 2.0 <= e.value.t < 10.0
    with pytest.raises(ODEError, match="needs 100 steps"):
        solve_explicit(_osc, [0.0, 10.0], [1.0, 0.0], method="rk4", step_size=0.1,
                       max_num_steps=99)
    # a derivative that turns non-finite beyond a point: rejected steps, then the error
    with pytest.raises(ODEError, match="non-finite") as e, np.errstate(invalid="ignore"):
        solve_explicit(lambda t, y: np.sqrt(np.array([0.5 - t])) + 0 * y, [0.0, 1.0], [0.0])
    assert abs(e.value.t - 0.5) < 1e-3
