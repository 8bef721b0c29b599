"""Learning-rate schedulers: the sequence of learning rates (and cycled momenta) equals
PyTorch's; state_dict round trips; errors."""

import math
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim
from chainrule.optim import lr_scheduler as sched

TS = torch.optim.lr_scheduler


def pair(opt_name="SGD", groups=1, **opt_kw):
    opt_kw.setdefault("lr", 0.1)
    c_params = [nn.Parameter(np.zeros(2)) for _ in range(groups)]
    t_params = [torch.zeros(2, requires_grad=True) for _ in range(groups)]
    c = getattr(optim, opt_name)([{"params": [p], "lr": opt_kw["lr"] * (i + 1)}
                                  for i, p in enumerate(c_params)], **opt_kw)
    t = getattr(torch.optim, opt_name)([{"params": [p], "lr": opt_kw["lr"] * (i + 1)}
                                        for i, p in enumerate(t_params)], **opt_kw)
    return c, t


def sequences(c_opt, t_opt, c_s, t_s, n, metrics=None, keys=("lr",)):
    out_c, out_t = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about step order without real steps
        for i in range(n):
            out_c.append(_flatten([[g[k] for k in keys] for g in c_opt.param_groups]
                                  + [c_s.get_last_lr()]))
            out_t.append(_flatten([[g[k] for k in keys] for g in t_opt.param_groups]
                                  + [t_s.get_last_lr()]))
            c_opt.step()
            t_opt.step()
            if metrics is None:
                c_s.step()
                t_s.step()
            else:
                c_s.step(metrics[i])
                t_s.step(metrics[i])
    return out_c, out_t


def assert_same(c, t):
    assert len(c) == len(t)
    for k, (a, b) in enumerate(zip(c, t)):
        np.testing.assert_allclose(np.array(a, dtype=float), np.array(b, dtype=float),
                                   rtol=1e-14, atol=0, err_msg=f"step {k}")


@pytest.mark.parametrize("cls,kw", [
    ("StepLR", dict(step_size=3)),
    ("StepLR", dict(step_size=2, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=5)),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),
])
def test_epoch_schedulers_match_torch(cls, kw):
    c_opt, t_opt = pair(groups=2)
    c_s, t_s = getattr(sched, cls)(c_opt, **kw), getattr(TS, cls)(t_opt, **kw)
    assert_same(*sequences(c_opt, t_opt, c_s, t_s, 14))  # past T_max: the cosine comes back
    assert c_opt.param_groups[0]["initial_lr"] == 0.1


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("kw", [
    dict(max_lr=1.0, total_steps=20),
    dict(max_lr=[1.0, 0.5], epochs=4, steps_per_epoch=5, anneal_strategy="linear",
         pct_start=0.25),
    dict(max_lr=0.3, total_steps=20, three_phase=True, div_factor=10.0),
    dict(max_lr=0.3, total_steps=20, cycle_momentum=False),
])
def test_one_cycle_matches_torch(opt_name, kw):
    opt_kw = {"momentum": 0.9} if opt_name == "SGD" else {}
    c_opt, t_opt = pair(opt_name, groups=2, **opt_kw)
    c_s, t_s = sched.OneCycleLR(c_opt, **kw), TS.OneCycleLR(t_opt, **kw)
    keys = ("lr", "momentum" if opt_name == "SGD" else "betas")
    assert_same(*sequences(c_opt, t_opt, c_s, t_s, 20, keys=keys))


def _flatten(row):
    out = []
    for v in row:
        if isinstance(v, (list, tuple)):
            out.extend(_flatten(v))
        else:
            out.append(v)
    return out


def test_one_cycle_errors():
    c_opt, _ = pair()
    with pytest.raises(ValueError, match="total_steps or both epochs"):
        sched.OneCycleLR(c_opt, max_lr=1.0)
    with pytest.raises(ValueError, match="pct_start"):
        sched.OneCycleLR(c_opt, max_lr=1.0, total_steps=10, pct_start=2.0)
    with pytest.raises(ValueError, match="cycle_momentum"):
        sched.OneCycleLR(optim.Adagrad([nn.Parameter(np.zeros(1))]), max_lr=1.0,
                         total_steps=10)
    s = sched.OneCycleLR(c_opt, max_lr=1.0, total_steps=2)
    s.step()
    s.step()
    with pytest.raises(ValueError, match="total_steps is 2"):
        s.step()


@pytest.mark.parametrize("kw", [
    dict(patience=2),
    dict(mode="max", factor=0.5, patience=1, threshold=0.1, threshold_mode="abs",
         cooldown=2, min_lr=0.02),
    dict(patience=0, min_lr=[0.05, 0.0], eps=1e-3),
])
def test_reduce_on_plateau_matches_torch(kw):
    c_opt, t_opt = pair(groups=2)
    c_s, t_s = sched.ReduceLROnPlateau(c_opt, **kw), TS.ReduceLROnPlateau(t_opt, **kw)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.5, 0.5, 0.5, 0.6, 0.4, 0.4, 0.4, 0.4, 0.4]
    assert_same(*sequences(c_opt, t_opt, c_s, t_s, len(metrics), metrics=metrics))
    assert c_s.best == t_s.best and c_s.num_bad_epochs == t_s.num_bad_epochs


def test_reduce_on_plateau_accepts_tensor_metric_and_errors():
    c_opt, _ = pair()
    s = sched.ReduceLROnPlateau(c_opt, patience=0)
    s.step(cr.tensor(1.0))
    s.step(cr.tensor(2.0))
    assert s.get_last_lr() == [pytest.approx(0.01)]
    with pytest.raises(ValueError, match="factor must be < 1.0"):
        sched.ReduceLROnPlateau(c_opt, factor=1.5)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        sched.ReduceLROnPlateau(c_opt, mode="up")


def test_state_dict_round_trip_and_resume():
    c_opt, t_opt = pair()
    s = sched.CosineAnnealingLR(c_opt, T_max=10)
    for _ in range(4):
        c_opt.step()
        s.step()
    sd = s.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 4
    c_opt2, _ = pair()
    c_opt2.load_state_dict(c_opt.state_dict())
    s2 = sched.CosineAnnealingLR(c_opt2, T_max=10, last_epoch=3)
    s2.load_state_dict(sd)
    for _ in range(3):
        s.step()
        s2.step()
    assert s.get_last_lr() == s2.get_last_lr()
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(pair()[0], step_size=2, last_epoch=5)


def test_step_with_epoch_uses_closed_form():
    c_opt, t_opt = pair()
    c_s, t_s = sched.StepLR(c_opt, step_size=2, gamma=0.5), TS.StepLR(t_opt, 2, 0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        c_s.step(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_s.step(5)
    assert c_s.get_last_lr() == t_s.get_last_lr()


def test_scheduler_errors():
    with pytest.raises(TypeError, match="not a chainrule Optimizer"):
        sched.StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="step_size must be a positive int"):
        sched.StepLR(pair()[0], step_size=0)
    with pytest.raises(ValueError, match="T_max must be positive"):
        sched.CosineAnnealingLR(pair()[0], T_max=0)
    assert math.isclose(sched.ExponentialLR(pair()[0], 0.5).get_last_lr()[0], 0.1)
