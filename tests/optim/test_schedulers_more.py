"""The schedulers added for the PyTorch face: every learning rate (and cycled momentum) equals
torch.optim.lr_scheduler's for the same schedule, step by step; state_dict round trips."""

import math
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.optim import lr_scheduler as crs

tls = torch.optim.lr_scheduler


def _optims(kind="sgd", groups=2):
    """The same optimizer in both libraries: two groups with different learning rates."""
    lrs = [0.1, 0.05][:groups]
    cr_groups = [{"params": [cr.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    t_groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "adam":
        return cr.optim.Adam(cr_groups, lr=0.1), torch.optim.Adam(t_groups, lr=0.1)
    return (cr.optim.SGD(cr_groups, lr=0.1, momentum=0.9),
            torch.optim.SGD(t_groups, lr=0.1, momentum=0.9))


class Halve:  # a callable object: PyTorch saves its __dict__ in state_dict
    def __init__(self):
        self.factor = 0.5

    def __call__(self, epoch):
        return self.factor ** epoch


CASES = {
    "LambdaLR": lambda lib, o: lib.LambdaLR(o, lambda e: 1 / (e + 1)),
    "LambdaLR-per-group": lambda lib, o: lib.LambdaLR(o, [lambda e: 0.9**e, lambda e: e + 1]),
    "MultiplicativeLR": lambda lib, o: lib.MultiplicativeLR(o, lambda e: 0.95),
    "MultiStepLR": lambda lib, o: lib.MultiStepLR(o, [2, 5, 5, 9], gamma=0.3),
    "ConstantLR": lambda lib, o: lib.ConstantLR(o, factor=0.25, total_iters=4),
    "LinearLR": lambda lib, o: lib.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
    "PolynomialLR": lambda lib, o: lib.PolynomialLR(o, total_iters=7, power=2.0),
    "CyclicLR-triangular": lambda lib, o: lib.CyclicLR(o, 0.01, 0.1, step_size_up=3),
    "CyclicLR-triangular2": lambda lib, o: lib.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=2,
                                                        step_size_down=3, mode="triangular2"),
    "CyclicLR-exp_range": lambda lib, o: lib.CyclicLR(o, 0.01, 0.1, step_size_up=2,
                                                      mode="exp_range", gamma=0.9),
    "CosineAnnealingWarmRestarts": lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=3),
    "CosineAnnealingWarmRestarts-mult": lambda lib, o: lib.CosineAnnealingWarmRestarts(
        o, T_0=2, T_mult=2, eta_min=0.001),
    "SequentialLR": lambda lib, o: lib.SequentialLR(
        o, [lib.LinearLR(o, start_factor=0.1, total_iters=3), lib.ExponentialLR(o, 0.8),
            lib.StepLR(o, 2, 0.5)], milestones=[3, 7]),
    "ChainedScheduler": lambda lib, o: lib.ChainedScheduler(
        [lib.ConstantLR(o, factor=0.5, total_iters=3), lib.ExponentialLR(o, gamma=0.9)]),
}


def _trace(lib, opt, make, steps=15):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "scheduler.step() before optimizer.step()"
        sched = make(lib, opt)
        out = [list(sched.get_last_lr())]
        for _ in range(steps):
            opt.step()
            sched.step()
            out.append(list(sched.get_last_lr()))
            out.append([g.get("momentum", g.get("betas", (0,))[0]) for g in opt.param_groups])
    return out, sched


@pytest.mark.parametrize("name", sorted(CASES))
def test_schedule_matches_torch(name):
    kind = "adam" if name == "CyclicLR-exp_range" else "sgd"
    cro, to = _optims(kind)
    got, _ = _trace(crs, cro, CASES[name])
    want, _ = _trace(tls, to, CASES[name])
    np.testing.assert_allclose(np.array(got, float), np.array(want, float), rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", ["LambdaLR", "MultiStepLR", "CyclicLR-triangular2",
                                  "CosineAnnealingWarmRestarts-mult", "SequentialLR",
                                  "ChainedScheduler"])
def test_state_dict_resumes(name):
    """A scheduler loaded from another's state_dict continues its sequence exactly."""
    o1, _ = _optims()
    ref, s1 = _trace(crs, o1, CASES[name], steps=5)
    o2, _ = _optims()
    _, s2 = _trace(crs, o2, CASES[name], steps=0)
    s2.load_state_dict(s1.state_dict())
    for g1, g2 in zip(o1.param_groups, o2.param_groups):
        g2.update({k: v for k, v in g1.items() if k != "params"})
    for _ in range(6):
        s1.step()
        s2.step()
        assert s1.get_last_lr() == s2.get_last_lr()


def test_lambda_state_dict_keeps_callable_objects():
    o, _ = _optims()
    s = crs.LambdaLR(o, Halve())
    s.lr_lambdas[0].factor = 0.25
    state = s.state_dict()
    assert state["lr_lambdas"][0] == {"factor": 0.25}
    t = crs.LambdaLR(_optims()[0], Halve())
    t.load_state_dict(state)
    assert t.lr_lambdas[0].factor == 0.25


def test_step_with_fractional_epoch_warm_restarts():
    """CosineAnnealingWarmRestarts.step(epoch + i / iters), PyTorch's per-batch recipe."""
    cro, to = _optims()
    a, b = crs.CosineAnnealingWarmRestarts(cro, T_0=2, T_mult=2), tls.CosineAnnealingWarmRestarts(
        to, T_0=2, T_mult=2)
    for epoch in range(5):
        for i in range(3):
            a.step(epoch + i / 3)
            b.step(epoch + i / 3)
            assert math.isclose(a.get_last_lr()[0], b.get_last_lr()[0], rel_tol=1e-13)


@pytest.mark.parametrize("bad, match", [
    (lambda o: crs.ConstantLR(o, factor=2.0), "between 0 and 1"),
    (lambda o: crs.LinearLR(o, start_factor=0), "start_factor"),
    (lambda o: crs.CosineAnnealingWarmRestarts(o, T_0=0), "T_0"),
    (lambda o: crs.CyclicLR(o, 0.1, 1.0, mode="sawtooth"), "mode"),
    (lambda o: crs.LambdaLR(o, [lambda e: 1.0]), "one value per parameter group"),
    (lambda o: crs.SequentialLR(o, [crs.StepLR(o, 2)], milestones=[1]), "one milestone fewer"),
    (lambda o: crs.ChainedScheduler([crs.ReduceLROnPlateau(o)]), "ReduceLROnPlateau"),
])
def test_bad_arguments_raise(bad, match):
    o, _ = _optims()
    with pytest.raises((ValueError, TypeError), match=match):
        bad(o)


def test_cyclic_momentum_needs_momentum():
    o = cr.optim.SGD([cr.zeros(2, requires_grad=True)], lr=0.1)
    o.defaults.pop("momentum", None)
    with pytest.raises(ValueError, match="cycle_momentum"):
        crs.CyclicLR(o, 0.01, 0.1)
