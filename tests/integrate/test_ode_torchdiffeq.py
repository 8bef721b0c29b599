"""chainrule's ODE solvers against torchdiffeq (the PyTorch reference for dopri5 and for the
continuous adjoint of Chen et al., 2018), float64, at tight tolerances (rtol = atol = 1e-10,
so that both solvers are close to the exact flow and agree far below the 1e-6 asserted):

- Lotka-Volterra (2 states, 4 parameters) on the functional face, and a small neural ODE (an
  MLP 2-8-2 right-hand side, 42 parameters, a batch of 3 states) on the Tensor face: the values
  of ``odeint`` equal ``torchdiffeq.odeint`` (dopri5); the gradients of a loss with respect to
  y0, the parameters and the output times, by every sensealg, equal torchdiffeq's
  ``odeint_adjoint`` gradients and those of backpropagation through ``torchdiffeq.odeint``.
- van der Pol at mu = 1000 (stiff): Radau solves [0, 200] in a few dozen steps, and its
  gradients by direct, forward and interpolating agree with central finite differences.
  torchdiffeq is not compared there: it has no implicit solver, and its explicit ones hold the
  step near the stability bound, about 3.3 / (mu (y^2 - 1)) ~ 1e-3, so some 1.6e5 steps on
  this interval, too slow for the suite (benchmarks/ode.py prints its count on [0, 1]).
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.integrate import odeint
from chainrule.integrate._odeint import odeint_with_info

torchdiffeq = pytest.importorskip(
    "torchdiffeq", reason="torchdiffeq (the reference ODE solver, in the 'test' extra: "
    "pip install torchdiffeq==0.2.5) is not installed")
torch = pytest.importorskip("torch")

TOL = dict(rtol=1e-10, atol=1e-10)
SENSEALGS = ["direct", "backsolve", "interpolating", "forward"]


def _close(actual, expected, rtol=1e-6, what=""):
    """Agreement to rtol relative to the largest entry (a gradient's small entries are
    compared on the scale of the whole vector)."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def _torch_grads(module, y0, t, ct, adjoint: bool):
    """Values and the gradients of sum(ys * ct) with respect to y0, the module's parameters
    (in their order) and t, by torchdiffeq (odeint_adjoint, or backprop through odeint)."""
    y0t = torch.tensor(y0, requires_grad=True)
    tt = torch.tensor(t, requires_grad=True)
    module.zero_grad()
    solve = torchdiffeq.odeint_adjoint if adjoint else torchdiffeq.odeint
    ys = solve(module, y0t, tt, method="dopri5", **TOL)
    (ys * torch.tensor(ct)).sum().backward()
    grads = [y0t.grad.numpy(), *[p.grad.numpy() for p in module.parameters()], tt.grad.numpy()]
    return ys.detach().numpy(), grads


# --- Lotka-Volterra ---------------------------------------------------------------------------

LV_Y0 = np.array([1.0, 1.0])
LV_P = np.array([1.5, 1.0, 3.0, 1.0])
LV_T = np.array([0.0, 0.5, 1.2])
LV_CT = np.random.default_rng(0).standard_normal((len(LV_T), 2))


def lv(y, t, p):
    """Prey y0, predator y1: y0' = a y0 - b y0 y1, y1' = -c y1 + d y0 y1."""
    a, b, c, d = p[0], p[1], p[2], p[3]
    return cnp.stack([a * y[0] - b * y[0] * y[1], -c * y[1] + d * y[0] * y[1]])


class TorchLV(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.p = torch.nn.Parameter(torch.tensor(LV_P))

    def forward(self, t, y):
        a, b, c, d = self.p
        return torch.stack([a * y[0] - b * y[0] * y[1], -c * y[1] + d * y[0] * y[1]])


@pytest.fixture(scope="module")
def lv_reference():
    module = TorchLV()
    ys, g_bp = _torch_grads(module, LV_Y0, LV_T, LV_CT, adjoint=False)
    _, g_adj = _torch_grads(module, LV_Y0, LV_T, LV_CT, adjoint=True)
    for a, b in zip(g_bp, g_adj):  # torchdiffeq's two gradients are one reference
        _close(a, b, 1e-7)
    return ys, g_adj, g_bp


def test_lotka_volterra_values_equal_torchdiffeq(lv_reference):
    ys = odeint(lv, LV_Y0, LV_T, (LV_P,), sensealg="direct", **TOL)
    assert ys.shape == (3, 2) and isinstance(ys, np.ndarray)
    _close(ys, lv_reference[0])
    assert abs(ys[-1, 0] - LV_Y0[0]) > 0.1  # the solve went somewhere


@pytest.mark.parametrize("sensealg", SENSEALGS)
def test_lotka_volterra_gradients_equal_torchdiffeq(lv_reference, sensealg):
    def loss(y0, p, t):
        return cnp.sum(odeint(lv, y0, t, (p,), sensealg=sensealg, **TOL) * LV_CT)

    g = cr.grad(loss, argnums=(0, 1, 2))(LV_Y0, LV_P, LV_T)
    _, g_adj, g_bp = lv_reference
    for name, ours, adj, bp in zip(["y0", "p", "t"], g, g_adj, g_bp):
        _close(ours, adj, what=f"{sensealg}: d/d{name} vs odeint_adjoint")
        _close(ours, bp, what=f"{sensealg}: d/d{name} vs odeint backprop")


# --- a neural ODE: an MLP 2-8-2 right-hand side on a batch of 3 states --------------------------

_rng = np.random.default_rng(1)
NN_PARAMS = [_rng.standard_normal((2, 8)) / np.sqrt(2), 0.1 * _rng.standard_normal(8),
             _rng.standard_normal((8, 2)) / np.sqrt(8), 0.1 * _rng.standard_normal(2)]
NN_Y0 = _rng.standard_normal((3, 2))
NN_T = np.array([0.0, 0.5, 1.2])
NN_CT = _rng.standard_normal((len(NN_T), 3, 2))


def mlp(y, t, w1, b1, w2, b2):
    return cnp.tanh(y @ w1 + b1) @ w2 + b2


class TorchMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w1, self.b1, self.w2, self.b2 = (torch.nn.Parameter(torch.tensor(a))
                                              for a in NN_PARAMS)

    def forward(self, t, y):
        return torch.tanh(y @ self.w1 + self.b1) @ self.w2 + self.b2


@pytest.fixture(scope="module")
def mlp_reference():
    module = TorchMLP()
    assert sum(p.numel() for p in module.parameters()) == 42
    ys, g_bp = _torch_grads(module, NN_Y0, NN_T, NN_CT, adjoint=False)
    _, g_adj = _torch_grads(module, NN_Y0, NN_T, NN_CT, adjoint=True)
    for a, b in zip(g_bp, g_adj):
        _close(a, b, 1e-7)
    return ys, g_adj, g_bp


def test_neural_ode_values_equal_torchdiffeq(mlp_reference):
    ys = odeint(mlp, cr.tensor(NN_Y0), NN_T, tuple(NN_PARAMS), sensealg="direct", **TOL)
    assert isinstance(ys, cr.Tensor) and ys.shape == (3, 3, 2)
    _close(ys.numpy(), mlp_reference[0])


@pytest.mark.parametrize("sensealg", SENSEALGS)
def test_neural_ode_gradients_equal_torchdiffeq(mlp_reference, sensealg):
    # the Tensor face, as a PyTorch user writes it
    y0 = cr.tensor(NN_Y0, requires_grad=True)
    t = cr.tensor(NN_T, requires_grad=True)
    params = [cr.tensor(a, requires_grad=True) for a in NN_PARAMS]
    ys = odeint(mlp, y0, t, tuple(params), sensealg=sensealg, **TOL)
    (ys * cr.tensor(NN_CT)).sum().backward()
    ours = [y0.grad, *[p.grad for p in params], t.grad]
    _, g_adj, g_bp = mlp_reference
    for name, g, adj, bp in zip(["y0", "w1", "b1", "w2", "b2", "t"], ours, g_adj, g_bp):
        assert g is not None, f"{sensealg}: no gradient for {name}"
        _close(g.numpy(), adj, what=f"{sensealg}: d/d{name} vs odeint_adjoint")
        _close(g.numpy(), bp, what=f"{sensealg}: d/d{name} vs odeint backprop")


# --- stiff: van der Pol, mu = 1000 --------------------------------------------------------------

VDP_Y0 = np.array([2.0, 0.0])
VDP_MU = np.array(1000.0)
VDP_T = np.array([0.0, 100.0, 200.0])


def vdp(y, t, mu):
    return cnp.stack([y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]])


def _vdp_loss(y0, mu, sensealg="direct", tol=1e-8):
    ys = odeint(vdp, y0, VDP_T, (mu,), method="radau", sensealg=sensealg, rtol=tol, atol=tol)
    return ys[-1, 0] + 0.3 * ys[1, 0]


def test_stiff_van_der_pol_radau_takes_few_steps():
    ys, info = odeint_with_info(vdp, VDP_Y0, VDP_T, (VDP_MU,), method="radau",
                                sensealg="direct", rtol=1e-8, atol=1e-8)
    # an explicit method's stable step here is about 3.3 / (mu (y0^2 - 1)), near 1e-3: some
    # 1.6e5 steps on [0, 200] for stability alone; Radau takes a few dozen
    assert info["nst"] < 100, info
    assert 1.5 < ys[-1, 0] < 1.95  # on the slow branch, drifting down from 2


@pytest.fixture(scope="module")
def vdp_finite_differences():
    """Central differences of the loss in y0 and mu, through solves 100 times tighter than
    the differentiated ones (the oracle: torchdiffeq has none here)."""
    h, dmu = 1e-5, 1e-3
    fd_y0 = [(_vdp_loss(VDP_Y0 + h * e, VDP_MU, tol=1e-10)
              - _vdp_loss(VDP_Y0 - h * e, VDP_MU, tol=1e-10)) / (2 * h) for e in np.eye(2)]
    fd_mu = (_vdp_loss(VDP_Y0, VDP_MU + dmu, tol=1e-10)
             - _vdp_loss(VDP_Y0, VDP_MU - dmu, tol=1e-10)) / (2 * dmu)
    return np.array(fd_y0), fd_mu


@pytest.mark.parametrize("sensealg", ["direct", "forward", "interpolating"])
def test_stiff_van_der_pol_gradient_matches_finite_differences(vdp_finite_differences,
                                                               sensealg):
    # backsolve is left out: its state integrated backward through a stiff problem is
    # unstable (it raises ODEError saying so, after a long backward solve)
    g = cr.grad(_vdp_loss, argnums=(0, 1))(VDP_Y0, VDP_MU, sensealg)
    fd_y0, fd_mu = vdp_finite_differences
    assert abs(fd_mu) > 1e-5  # mu moves the state: the check has something to check
    _close(g[0], fd_y0, 1e-6, f"{sensealg}: d/dy0")
    _close(g[1], fd_mu, 1e-6, f"{sensealg}: d/dmu")

