"""chainrule.func.functional_call against torch.func.functional_call: outputs, gradients over
the parameter dict (the per-sample-gradient recipe), tied weights, buffers, strict mode."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.func import functional_call, grad, jacrev


def _pair():
    """The same small MLP in both libraries (float64, equal weights)."""
    cr.manual_seed(0)
    ours = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Tanh(), cr.nn.Linear(4, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                 torch.nn.Linear(4, 2)).double()
    with torch.no_grad():
        for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            q.copy_(torch.tensor(p.detach().numpy()))
    return ours, theirs


X = np.random.default_rng(1).standard_normal((5, 3))
Y = np.random.default_rng(2).standard_normal((5, 2))
NEW = {k: np.random.default_rng(3).standard_normal(s) for k, s in
       [("0.weight", (4, 3)), ("0.bias", (4,)), ("2.weight", (2, 4)), ("2.bias", (2,))]}


def test_output_matches_torch_and_module_is_restored():
    ours, theirs = _pair()
    before = {k: v.detach().numpy().copy() for k, v in ours.named_parameters()}
    a = functional_call(ours, {k: cr.tensor(v) for k, v in NEW.items()}, (cr.tensor(X),))
    b = torch.func.functional_call(theirs, {k: torch.tensor(v) for k, v in NEW.items()},
                                   (torch.tensor(X),))
    np.testing.assert_allclose(a.detach().numpy(),
                               b.detach().numpy(), rtol=1e-12)
    for k, v in ours.named_parameters():
        np.testing.assert_array_equal(v.detach().numpy(), before[k])
        assert isinstance(v, cr.nn.Parameter)


def test_partial_dict_and_kwargs():
    ours, theirs = _pair()
    a = functional_call(ours, {"2.bias": cr.tensor(NEW["2.bias"])}, cr.tensor(X))
    b = torch.func.functional_call(theirs, {"2.bias": torch.tensor(NEW["2.bias"])},
                                   torch.tensor(X))
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    lin = cr.nn.Linear(3, 2).double()
    out = functional_call(lin, ({"weight": cr.zeros(2, 3)}, {"bias": cr.ones(2)}), (),
                          {"input": cr.tensor(X)})
    np.testing.assert_array_equal(out.numpy(), np.ones((5, 2)))


def _loss(model):
    def loss(params, x, y):
        return ((functional_call(model, params, (x,)) - y) ** 2).mean()
    return loss


def test_grad_over_the_parameter_dict_matches_torch():
    ours, theirs = _pair()
    params = {k: v.detach() for k, v in ours.named_parameters()}
    g = grad(_loss(ours))(params, cr.tensor(X), cr.tensor(Y))
    tparams = {k: v.detach() for k, v in theirs.named_parameters()}
    tg = torch.func.grad(lambda p, x, y: ((torch.func.functional_call(theirs, p, (x,)) - y) ** 2)
                         .mean())(tparams, torch.tensor(X), torch.tensor(Y))
    for k in tg:
        np.testing.assert_allclose(g[k].numpy(), tg[k].numpy(), rtol=1e-10, atol=1e-14)


def test_per_sample_gradients_match_torch_vmap():
    """torch.func's per-sample-gradient recipe, with a loop where torch uses vmap."""
    ours, theirs = _pair()
    params = {k: v.detach() for k, v in ours.named_parameters()}
    per = [grad(_loss(ours))(params, cr.tensor(X[i:i + 1]), cr.tensor(Y[i:i + 1]))
           for i in range(5)]
    tparams = {k: v.detach() for k, v in theirs.named_parameters()}

    def tloss(p, x, y):
        return ((torch.func.functional_call(theirs, p, (x[None],)) - y[None]) ** 2).mean()

    tper = torch.func.vmap(torch.func.grad(tloss), in_dims=(None, 0, 0))(
        tparams, torch.tensor(X), torch.tensor(Y))
    for k in tper:
        np.testing.assert_allclose(np.stack([p[k].numpy() for p in per]), tper[k].numpy(),
                                   rtol=1e-10, atol=1e-14)


def test_jacrev_over_params():
    ours, _ = _pair()
    params = {k: v.detach() for k, v in ours.named_parameters()}
    jac = jacrev(lambda p: functional_call(ours, p, (cr.tensor(X),)))(params)
    assert jac["0.weight"].shape == (5, 2, 4, 3)
    eps = 1e-6
    bumped = dict(params, **{"2.bias": params["2.bias"] + cr.tensor([eps, 0.0])})
    fd = (functional_call(ours, bumped, (cr.tensor(X),)) - ours(cr.tensor(X))).detach() / eps
    np.testing.assert_allclose(jac["2.bias"].numpy()[..., 0], fd.numpy(), atol=1e-6)


class Tied(cr.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = cr.nn.Linear(2, 2, bias=False).double()
        self.b = cr.nn.Linear(2, 2, bias=False).double()
        self.b.weight = self.a.weight
        self.register_buffer("scale", cr.tensor(2.0))

    def forward(self, x):
        return self.b(self.a(x)) * self.scale


def test_tied_weights_and_buffers():
    m = Tied()
    x = cr.tensor([[1.0, 2.0]])
    eye = cr.eye(2)
    out = functional_call(m, {"a.weight": eye, "scale": cr.tensor(3.0)}, (x,))
    np.testing.assert_array_equal(out.numpy(), [[3.0, 6.0]])  # b.weight followed a.weight
    untied = functional_call(m, {"a.weight": eye}, (x,), tie_weights=False)
    w = m.a.weight.detach().numpy()
    np.testing.assert_allclose(untied.detach().numpy(), 2 * (x.numpy() @ w.T), rtol=1e-12)
    with pytest.raises(ValueError, match="tied"):
        functional_call(m, {"a.weight": eye, "b.weight": cr.zeros(2, 2)}, (x,))


def test_strict_unknown_and_overlapping_names():
    m = cr.nn.Linear(2, 2).double()
    with pytest.raises(RuntimeError, match="strict=True.*bias"):
        functional_call(m, {"weight": cr.eye(2)}, (cr.ones(1, 2),), strict=True)
    with pytest.raises(KeyError, match="no parameter or buffer"):
        functional_call(m, {"wieght": cr.eye(2)}, (cr.ones(1, 2),))
    with pytest.raises(ValueError, match="more than one"):
        functional_call(m, ({"weight": cr.eye(2)}, {"weight": cr.eye(2)}), (cr.ones(1, 2),))


def test_restored_after_an_error():
    m = cr.nn.Linear(2, 2).double()
    w = m.weight
    with pytest.raises(Exception):  # noqa: B017 - any shape error from the layer
        functional_call(m, {"weight": cr.ones(5, 7)}, (cr.ones(1, 2),))
    assert m.weight is w
