"""Optimizers against PyTorch: the same model, data and hyperparameters give the same
parameters after each of 5 steps; parameter groups, closures, state_dict round trips, errors."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim

rng = np.random.default_rng(0)
X, Y = rng.standard_normal((8, 4)), rng.standard_normal((8, 2))


def models():
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(),
                            torch.nn.Linear(3, 2)).double()
    c = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).double()
    c.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return c, t


def c_loss(c):
    return nn.functional.mse_loss(c(cr.tensor(X)), cr.tensor(Y))


def t_loss(t):
    return torch.nn.functional.mse_loss(t(torch.tensor(X)), torch.tensor(Y))


def assert_same_params(c, t, step, rtol=1e-11):
    for (name, cp), tp in zip(c.named_parameters(), t.parameters()):
        np.testing.assert_allclose(cp.detach().numpy(), tp.detach().numpy(), rtol=rtol,
                                   atol=1e-13, err_msg=f"{name} after step {step}")


def run_both(c_opt, t_opt, c, t, steps=5):
    for step in range(steps):
        c_opt.zero_grad()
        t_opt.zero_grad()
        c_loss(c).backward()
        t_loss(t).backward()
        c_opt.step()
        t_opt.step()
        assert_same_params(c, t, step)


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.2, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.8, centered=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-6, maximize=True)),
]


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in
                                                  enumerate(CONFIGS)])
def test_matches_torch_over_five_steps(name, kw):
    c, t = models()
    c_opt = getattr(optim, name)(c.parameters(), **kw)
    t_opt = getattr(torch.optim, name)(t.parameters(), **kw)
    run_both(c_opt, t_opt, c, t)
    assert sorted(c_opt.defaults) == sorted(
        k for k in t_opt.defaults
        if k not in ("foreach", "fused", "capturable", "differentiable"))


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_param_groups_match_torch(name):
    c, t = models()
    kw = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    c_opt = getattr(optim, name)([{"params": c[0].parameters(), "lr": 0.02},
                                  {"params": c[2].parameters()}], lr=0.1, **kw)
    t_opt = getattr(torch.optim, name)([{"params": t[0].parameters(), "lr": 0.02},
                                        {"params": t[2].parameters()}], lr=0.1, **kw)
    run_both(c_opt, t_opt, c, t)
    assert [g["lr"] for g in c_opt.param_groups] == [0.02, 0.1]


def test_add_param_group_and_frozen_params():
    c, t = models()
    c[2].bias.requires_grad_(False)
    t[2].bias.requires_grad_(False)
    c_opt = optim.SGD(c[0].parameters(), lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD(t[0].parameters(), lr=0.1, momentum=0.9)
    c_opt.add_param_group({"params": list(c[2].parameters()), "lr": 0.3})
    t_opt.add_param_group({"params": list(t[2].parameters()), "lr": 0.3})
    run_both(c_opt, t_opt, c, t)  # the frozen bias has no gradient and is left alone


def test_closure_and_named_parameters():
    c, t = models()
    c_opt = optim.Adam(c.named_parameters(), lr=0.01)
    t_opt = torch.optim.Adam(t.named_parameters(), lr=0.01)
    assert c_opt.param_groups[0]["param_names"] == t_opt.param_groups[0]["param_names"]

    def c_closure():
        c_opt.zero_grad()
        loss = c_loss(c)
        loss.backward()
        return loss

    def t_closure():
        t_opt.zero_grad()
        loss = t_loss(t)
        loss.backward()
        return loss

    for step in range(3):
        cl, tl = c_opt.step(c_closure), t_opt.step(t_closure)
        assert cl.item() == pytest.approx(tl.item(), rel=1e-12)
        assert_same_params(c, t, step)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)),
                                     ("Adam", dict(lr=0.05, amsgrad=True)),
                                     ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
                                     ("Adagrad", dict(lr=0.1))])
def test_state_dict_round_trip(name, kw):
    """3 steps, save, a fresh optimizer loads, 2 more steps == 5 uninterrupted steps (torch)."""
    c, t = models()
    c_opt = getattr(optim, name)(c.parameters(), **kw)
    t_opt = getattr(torch.optim, name)(t.parameters(), **kw)
    run_both(c_opt, t_opt, c, t, steps=3)
    sd = c_opt.state_dict()
    tsd = t_opt.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert sorted(sd["state"]) == sorted(tsd["state"])
    assert sorted(sd["state"][0]) == sorted(tsd["state"][0])
    assert [g["params"] for g in sd["param_groups"]] == [g["params"] for g in
                                                          tsd["param_groups"]]
    # a fresh optimizer, from the saved state (as arrays, as a file format would give them)
    as_arrays = {"state": {k: {n: (v.numpy() if isinstance(v, cr.Tensor) else v)
                               for n, v in st.items()} for k, st in sd["state"].items()},
                 "param_groups": sd["param_groups"]}
    for st in c_opt.state.values():  # the saved copy does not alias the live state
        for v in st.values():
            if isinstance(v, cr.Tensor):
                v.numpy()[...] = 0
    c_opt2 = getattr(optim, name)(c.parameters(), lr=123.0)
    c_opt2.load_state_dict(as_arrays)
    assert c_opt2.param_groups[0]["lr"] == kw["lr"]
    run_both(c_opt2, t_opt, c, t, steps=2)


def test_state_dict_loads_torch_optimizer_state():
    c, t = models()
    t_opt = torch.optim.Adam(t.parameters(), lr=0.05)
    c_opt = optim.Adam(c.parameters(), lr=0.05)
    run_both(c_opt, t_opt, c, t, steps=2)
    fresh = optim.Adam(c.parameters())
    fresh.load_state_dict(t_opt.state_dict())
    assert fresh.state[c[0].weight]["step"] == 2.0
    run_both(fresh, t_opt, c, t, steps=2)


def test_zero_grad():
    c, _ = models()
    opt = optim.SGD(c.parameters(), lr=0.1)
    c_loss(c).backward()
    g = c[0].weight.grad
    opt.zero_grad(set_to_none=False)
    assert c[0].weight.grad is g and not g.numpy().any()
    opt.zero_grad()
    assert all(p.grad is None for p in c.parameters())


def test_float32_parameters_stay_float32():
    m = nn.Linear(3, 1)
    for cls in (optim.SGD, optim.Adam, optim.RMSprop, optim.Adagrad):
        opt = cls(m.parameters(), lr=0.01)
        m(cr.ones(2, 3, dtype=np.float32)).sum().backward()
        opt.step()
        assert m.weight.dtype == np.float32 and m.bias.dtype == np.float32


def test_complex_parameters_use_magnitudes():
    # complex autograd is not built yet, but an optimizer can update a complex tensor whose
    # gradient is given
    p = nn.Parameter(np.array([1 + 1j, 2 - 1j]), requires_grad=False)
    tp = torch.tensor([1 + 1j, 2 - 1j], dtype=torch.complex128, requires_grad=True)
    opt, topt = optim.Adam([p], lr=0.1), torch.optim.Adam([tp], lr=0.1)
    for _ in range(3):
        p.grad = cr.tensor(np.array([0.5 - 2j, -1 + 0.3j]))
        tp.grad = torch.tensor([0.5 - 2j, -1 + 0.3j], dtype=torch.complex128)
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-12)


def test_repr_and_errors():
    c, _ = models()
    assert repr(optim.SGD(c.parameters(), lr=0.5)).startswith(
        "SGD (\nParameter Group 0\n    dampening: 0.0\n    lr: 0.5")
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single tensor"):
        optim.SGD(c[0].weight, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.Adam([np.zeros(2)])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.Adam([c[0].weight * 2])
    with pytest.raises(TypeError, match="not a set"):
        optim.Adam({c[0].weight})
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [c[0].weight]}, {"params": [c[0].weight]}], lr=0.1)
    with pytest.raises(ValueError, match="invalid learning rate -1"):
        optim.SGD(c.parameters(), lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires"):
        optim.SGD(c.parameters(), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="invalid beta parameter at index 1: 1.0"):
        optim.Adam(c.parameters(), betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="invalid epsilon"):
        optim.RMSprop(c.parameters(), eps=-1.0)
    opt = optim.SGD(c.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="has 0 parameter group"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="has 1 parameter"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0], "lr": 0.1}]})
    with pytest.raises(NotImplementedError):
        optim.Optimizer(c.parameters(), {}).step()
