"""LBFGS against torch.optim.LBFGS: the same problems (Rosenbrock, least squares, logistic
regression), with and without the strong-Wolfe line search, give the same parameters, losses
and evaluation counts after each of several steps (float64); state_dict round trips; errors."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim

RTOL, ATOL = 1e-10, 1e-12


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosen_pair(values=(-1.5, 2.0)):
    """Rosenbrock over two scalar parameters (so the flat vector spans two tensors)."""
    cp = [cr.tensor(np.array(float(v)), requires_grad=True) for v in values]
    tp = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    return cp, tp, (lambda: rosenbrock(cp[0], cp[1])), (lambda: rosenbrock(tp[0], tp[1]))


def regression(kind, seed=0):
    """A chainrule and a torch model with equal weights, and their losses."""
    rng = np.random.default_rng(seed)
    if kind == "least_squares":
        X = rng.standard_normal((20, 5))
        Y = X @ rng.standard_normal((5, 3)) + 0.1 * rng.standard_normal((20, 3))
        n_in, n_out = 5, 3
        c_fn, t_fn = nn.functional.mse_loss, torch.nn.functional.mse_loss
    else:  # logistic regression
        X = rng.standard_normal((30, 4))
        Y = (X @ rng.standard_normal((4, 1)) + 0.5 * rng.standard_normal((30, 1)) > 0) * 1.0
        n_in, n_out = 4, 1
        c_fn = nn.functional.binary_cross_entropy_with_logits
        t_fn = torch.nn.functional.binary_cross_entropy_with_logits
    torch.manual_seed(seed)
    t = torch.nn.Linear(n_in, n_out).double()
    c = nn.Linear(n_in, n_out).double()
    c.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    cX, cY, tX, tY = cr.tensor(X), cr.tensor(Y), torch.tensor(X), torch.tensor(Y)
    return (list(c.parameters()), list(t.parameters()),
            lambda: c_fn(c(cX), cY), lambda: t_fn(t(tX), tY))


def closures(c_opt, t_opt, c_loss, t_loss):
    def c_closure():
        c_opt.zero_grad()
        loss = c_loss()
        loss.backward()
        return loss

    def t_closure():
        t_opt.zero_grad()
        loss = t_loss()
        loss.backward()
        return loss

    return c_closure, t_closure


def assert_same(cp, tp, where, rtol=RTOL, atol=ATOL):
    for i, (a, b) in enumerate(zip(cp, tp)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol,
                                   atol=atol, err_msg=f"parameter {i} {where}")


def run_both(cp, tp, c_loss, t_loss, steps, rtol=RTOL, atol=ATOL, **kwargs):
    c_opt, t_opt = optim.LBFGS(cp, **kwargs), torch.optim.LBFGS(tp, **kwargs)
    c_closure, t_closure = closures(c_opt, t_opt, c_loss, t_loss)
    for step in range(steps):
        c_ret, t_ret = c_opt.step(c_closure), t_opt.step(t_closure)
        assert isinstance(c_ret, cr.Tensor)
        np.testing.assert_allclose(float(c_ret), t_ret.item(), rtol=rtol, atol=atol)
        assert_same(cp, tp, f"after step {step}", rtol, atol)
        cs, ts = c_opt.state[cp[0]], t_opt.state[tp[0]]
        assert (cs["func_evals"], cs["n_iter"]) == (ts["func_evals"], ts["n_iter"]), step
        assert len(cs.get("old_dirs", [])) == len(ts.get("old_dirs", []))
    return c_opt, t_opt


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.1, max_iter=10),
    dict(lr=1.0, max_iter=10, line_search_fn="strong_wolfe"),
    dict(lr=0.5, max_iter=7, history_size=3, line_search_fn="strong_wolfe"),
    dict(lr=1.0, max_iter=20, max_eval=12, line_search_fn="strong_wolfe"),
    dict(lr=1.0, max_iter=4, max_eval=3, line_search_fn="strong_wolfe"),  # out of evals
    dict(lr=0.01, max_iter=6, line_search_fn="strong_wolfe"),  # extrapolation
    dict(lr=30.0, max_iter=6, line_search_fn="strong_wolfe"),  # zoom
    dict(lr=3.0, max_iter=8, history_size=2, line_search_fn="strong_wolfe", start=(1.8, -1.0)),
    dict(lr=0.3, max_iter=8, line_search_fn="strong_wolfe", start=(-0.5, 3.0)),
])
def test_rosenbrock_matches_torch(kwargs):
    kwargs = dict(kwargs)
    cp, tp, c_loss, t_loss = rosen_pair(kwargs.pop("start", (-1.5, 2.0)))
    run_both(cp, tp, c_loss, t_loss, steps=5, **kwargs)


def test_rosenbrock_converges_with_strong_wolfe():
    cp, tp, c_loss, t_loss = rosen_pair()
    c_opt, _ = run_both(cp, tp, c_loss, t_loss, steps=6, lr=1.0, max_iter=20,
                        line_search_fn="strong_wolfe")
    np.testing.assert_allclose([float(p) for p in cp], [1.0, 1.0], atol=1e-5)


@pytest.mark.parametrize("problem", ["least_squares", "logistic"])
@pytest.mark.parametrize("kwargs", [
    dict(lr=0.5, max_iter=6),
    dict(lr=1.0, max_iter=6, history_size=2),
    dict(lr=1.0, max_iter=10, line_search_fn="strong_wolfe"),
    dict(lr=0.8, max_iter=5, history_size=3, line_search_fn="strong_wolfe",
         tolerance_grad=1e-9, tolerance_change=1e-12),
])
def test_regression_matches_torch(problem, kwargs):
    cp, tp, c_loss, t_loss = regression(problem)
    run_both(cp, tp, c_loss, t_loss, steps=4, **kwargs)


def test_float32_matches_torch_loosely():
    cp, tp, c_loss, t_loss = regression("least_squares")
    for p in cp:
        p.data = p._data.astype(np.float32)
    for p in tp:
        p.data = p.data.float()
    X = np.random.default_rng(1).standard_normal((10, 5)).astype(np.float32)
    model_c = lambda: ((cr.tensor(X) @ cp[0].T + cp[1]) ** 2).mean()
    model_t = lambda: ((torch.tensor(X) @ tp[0].T + tp[1]) ** 2).mean()
    c_opt, _ = run_both(cp, tp, model_c, model_t, steps=3, rtol=1e-4, atol=1e-5, lr=1.0,
                        max_iter=5, line_search_fn="strong_wolfe")
    assert all(p.dtype == np.float32 for p in cp)
    assert c_opt.state[cp[0]]["d"].dtype == np.float32


def test_parameter_without_gradient_is_left_alone():
    cp, tp, c_loss, t_loss = rosen_pair()
    cp.append(cr.tensor(np.array([3.0, 4.0]), requires_grad=True))
    tp.append(torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True))
    run_both(cp, tp, c_loss, t_loss, steps=2, lr=1.0, max_iter=5,
             line_search_fn="strong_wolfe")
    np.testing.assert_array_equal(cp[2].detach().numpy(), [3.0, 4.0])


def test_returns_first_loss_and_stops_at_an_optimum():
    x = cr.tensor(np.array([1.0, 1.0]), requires_grad=True)
    opt = optim.LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = rosenbrock(x[0], x[1])
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == 0.0 and len(calls) == 1
    assert dict(opt.state[x]) == {"func_evals": 1, "n_iter": 0}
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 1.0])


def test_closure_runs_with_grad_enabled():
    cp, _, c_loss, _ = rosen_pair()
    opt = optim.LBFGS(cp, max_iter=3, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = c_loss()
        loss.backward()
        return loss

    with cr.no_grad():
        opt.step(closure)
    assert float(c_loss()) < rosenbrock(-1.5, 2.0)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_continues_identically(line_search_fn):
    kwargs = dict(lr=0.5, max_iter=4, history_size=3, line_search_fn=line_search_fn)
    cp, _, c_loss, _ = regression("logistic")
    cp2, _, c_loss2, _ = regression("logistic")
    opt = optim.LBFGS(cp, **kwargs)
    opt2 = optim.LBFGS(cp2, **kwargs)
    closure, closure2 = closures(opt, opt2, c_loss, c_loss2)
    for _ in range(2):
        opt.step(closure)
    for p, p2 in zip(cp, cp2):
        p2.data = p._data.copy()
    sd = opt.state_dict()
    assert set(sd["state"]) == {0}
    assert {"d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss",
            "func_evals", "n_iter"} <= set(sd["state"][0])
    opt2.load_state_dict(sd)
    for _ in range(2):
        opt.step(closure)
        opt2.step(closure2)
    for p, p2 in zip(cp, cp2):
        np.testing.assert_array_equal(p.detach().numpy(), p2.detach().numpy())


def test_loads_torch_state_dict():
    kwargs = dict(lr=1.0, max_iter=5, history_size=4, line_search_fn="strong_wolfe")
    cp, tp, c_loss, t_loss = regression("least_squares")
    t_opt = torch.optim.LBFGS(tp, **kwargs)
    c_opt = optim.LBFGS(cp, **kwargs)
    c_closure, t_closure = closures(c_opt, t_opt, c_loss, t_loss)
    t_opt.step(t_closure)
    with torch.no_grad():
        for p, q in zip(cp, tp):
            p.data = q.detach().numpy().copy()
    c_opt.load_state_dict(t_opt.state_dict())
    for step in range(2):
        c_opt.step(c_closure)
        t_opt.step(t_closure)
        assert_same(cp, tp, f"after step {step} of the resumed run")


def test_errors():
    x = cr.tensor(np.ones(2), requires_grad=True)
    y = cr.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [x]}, {"params": [y]}])
    opt = optim.LBFGS([x])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [y]})
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([x], line_search_fn="backtracking")
    with pytest.raises(ValueError, match="learning rate"):
        optim.LBFGS([x], lr=-1.0)
    with pytest.raises(TypeError, match="closure"):
        opt.step()
    assert opt.defaults["max_eval"] == 25


def test_complex_parameters_match_torch():
    """A complex parameter is optimised as its real and imaginary parts (PyTorch's view_as_real),
    with the gradient convention of docs/semantics.md: the same iterates as torch."""
    import torch

    c = np.array([1.0 - 2.0j, 0.5 + 0.25j, -1.5 + 1.0j])
    z0 = np.array([0.0 + 0.0j, 1.0 + 1.0j, 0.3 - 0.2j])
    def run(lib, lbfgs):
        z = lib.tensor(z0.copy(), requires_grad=True)
        ct = lib.tensor(c)
        opt = lbfgs([z], max_iter=5)

        def closure():
            opt.zero_grad()
            loss = (abs(z - ct) ** 4).sum() + (z * z).real.sum() * 0.1
            loss.backward()
            return loss

        for _ in range(3):
            opt.step(closure)
        return z.detach().numpy()

    np.testing.assert_allclose(run(cr, optim.LBFGS), run(torch, torch.optim.LBFGS), rtol=1e-7,
                               atol=1e-9)
