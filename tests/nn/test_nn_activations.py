"""Activations against PyTorch (values, first and second derivatives), gradcheck in reverse
and forward mode, kinks, and the modules' reprs."""

import numpy as np
import pytest
import torch
from tests.helpers import assert_matches_torch, check_grads

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn

TF = torch.nn.functional

# values away from the kinks, and large ones that overflow a naive exp
X = np.array([[-30.0, -2.5, -0.7, 0.3, 1.1], [2.2, -1.3, 0.9, 25.0, -0.2]])

CASES = [
    ("relu", lambda x: F.relu(x), lambda x: TF.relu(x)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("elu", lambda x: F.elu(x, 1.5), lambda x: TF.elu(x, 1.5)),
    ("gelu", F.gelu, TF.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", F.silu, TF.silu),
    ("softplus", F.softplus, TF.softplus),
    ("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
     lambda x: TF.softplus(x, beta=2.0, threshold=3.0)),
    ("tanh", F.tanh, torch.tanh),
    ("sigmoid", F.sigmoid, torch.sigmoid),
    ("softmax", lambda x: F.softmax(x, dim=1), lambda x: TF.softmax(x, dim=1)),
    ("softmax0", lambda x: F.softmax(x, 0), lambda x: TF.softmax(x, 0)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=-1), lambda x: TF.log_softmax(x, dim=-1)),
]


@pytest.mark.parametrize("name,cf,tf", CASES, ids=[c[0] for c in CASES])
def test_activation_matches_torch(name, cf, tf):
    assert_matches_torch(cf, tf, X, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,cf,tf", CASES, ids=[c[0] for c in CASES])
def test_activation_gradcheck(name, cf, tf):
    check_grads(cf, X[:, 1:4] / 2)  # reverse, forward, second order (away from thresholds)


KINKS = np.array([0.0, -0.0, 1e-300, -1e-300])


@pytest.mark.parametrize("cf,tf", [
    (F.relu, TF.relu),
    (lambda x: F.leaky_relu(x, 0.1), lambda x: TF.leaky_relu(x, 0.1)),
    (lambda x: F.elu(x, 2.0), lambda x: TF.elu(x, 2.0)),
    (lambda x: F.softplus(x, 1.0, 0.0), lambda x: TF.softplus(x, 1.0, 0.0)),
])
def test_derivative_at_kinks_matches_torch(cf, tf):
    assert_matches_torch(cf, tf, KINKS, second=False)


def test_softplus_no_overflow_with_large_threshold():
    x = cr.tensor([800.0, -800.0, 0.0], requires_grad=True)
    y = F.softplus(x, threshold=1e6)
    np.testing.assert_allclose(y.detach().numpy(), [800.0, 0.0, np.log(2)])
    (g,) = cr.grad(y.sum(), x)
    np.testing.assert_allclose(g.numpy(), [1.0, 0.0, 0.5])


def test_softmax_implicit_dim_warns_like_torch():
    x = X
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(cr.tensor(x))
    with pytest.warns(UserWarning):
        ty = TF.softmax(torch.tensor(x))
    np.testing.assert_allclose(y.numpy(), ty.numpy())
    assert F.softmax(cr.tensor(X), dim=1, dtype=np.float32).dtype == np.float32


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        F.gelu(cr.ones(2), approximate="fast")


MODULES = [
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
    (nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3)),
    (nn.ELU(0.5), torch.nn.ELU(0.5)),
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU("tanh"), torch.nn.GELU("tanh")),
    (nn.SiLU(), torch.nn.SiLU()),
    (nn.Softplus(2.0, 10.0), torch.nn.Softplus(2.0, 10.0)),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    (nn.LogSoftmax(dim=0), torch.nn.LogSoftmax(dim=0)),
]


@pytest.mark.parametrize("c,t", MODULES, ids=[repr(m[1]) for m in MODULES])
def test_activation_modules_match_torch(c, t):
    assert repr(c) == repr(t)
    x = cr.tensor(X, requires_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    y, ty = c(x), t(tx.clone())
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_inplace_flag_computes_out_of_place():
    x = cr.tensor([-1.0, 2.0])
    y = nn.ReLU(inplace=True)(x)
    np.testing.assert_array_equal(x.numpy(), [-1.0, 2.0])
    np.testing.assert_array_equal(y.numpy(), [0.0, 2.0])


def test_activations_keep_float32():
    x = cr.tensor(X.astype(np.float32))
    for m in [nn.LeakyReLU(), nn.ELU(), nn.GELU("tanh"), nn.SiLU(), nn.Softplus(2.0)]:
        assert m(x).dtype == np.float32, m
