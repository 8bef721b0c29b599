"""chainrule.autograd.functional against torch.autograd.functional: values, result structure,
create_graph (derivatives of the results), strict mode and the errors."""

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import chainrule as cr
import chainrule.autograd.functional as CF

RNG = np.random.default_rng(0)
A, B, V2 = RNG.standard_normal(3), RNG.standard_normal((2, 3)), RNG.standard_normal(2)


def _f(lib):  # two inputs, two outputs
    return lambda x, y: ((lib.sin(x) * y).sum(1) ** 2, (x * x).sum())


def _g(lib):  # two inputs, a scalar
    return lambda x, y: (lib.sin(x) * y).sum() ** 2 + (x**3).sum() + (x[0] * y).sum()


def _h(lib):  # one input, one output
    return lambda x: lib.exp(x) * x.sum()


def _s(lib):  # one input, a scalar
    return lambda x: (lib.tanh(x) ** 2).sum() * x[0]


def _in(lib, *arrays, grad=False):
    out = tuple(lib.tensor(a, dtype=lib.float64) for a in arrays)
    if grad:
        out = tuple(t.requires_grad_() for t in out)
    return out if len(out) > 1 else out[0]


def _same(ours, theirs):
    if isinstance(theirs, (tuple, list)):  # torch's forward-mode hessian gives lists
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
        return
    assert isinstance(ours, cr.Tensor) and ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


CASES = {
    "vjp": lambda lib, F: F.vjp(_f(lib), _in(lib, A, B), _in(lib, V2, 1.0)),
    "vjp-1": lambda lib, F: F.vjp(_h(lib), _in(lib, A), _in(lib, B[0])),
    "vjp-scalar-v-None": lambda lib, F: F.vjp(_s(lib), _in(lib, A)),
    "jvp": lambda lib, F: F.jvp(_f(lib), _in(lib, A, B), _in(lib, B[1], B)),
    "jvp-1": lambda lib, F: F.jvp(_h(lib), _in(lib, A), _in(lib, B[0])),
    "jacobian": lambda lib, F: F.jacobian(_f(lib), _in(lib, A, B)),
    "jacobian-1": lambda lib, F: F.jacobian(_h(lib), _in(lib, A)),
    "jacobian-forward": lambda lib, F: F.jacobian(_f(lib), _in(lib, A, B), vectorize=True,
                                                  strategy="forward-mode"),
    "jacobian-forward-1": lambda lib, F: F.jacobian(_h(lib), _in(lib, A), vectorize=True,
                                                    strategy="forward-mode"),
    "hessian": lambda lib, F: F.hessian(_g(lib), _in(lib, A, B)),
    "hessian-1": lambda lib, F: F.hessian(_s(lib), _in(lib, A)),
    "hessian-forward": lambda lib, F: F.hessian(_g(lib), _in(lib, A, B), vectorize=True,
                                                outer_jacobian_strategy="forward-mode"),
    "vhp": lambda lib, F: F.vhp(_g(lib), _in(lib, A, B), _in(lib, B[0], B)),
    "hvp": lambda lib, F: F.hvp(_g(lib), _in(lib, A, B), _in(lib, B[0], B)),
    "hvp-1": lambda lib, F: F.hvp(_s(lib), _in(lib, A), _in(lib, B[1])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    ours, theirs = CASES[name](cr, CF), CASES[name](torch, TF)
    _same(ours, theirs)
    for t in ours if isinstance(ours, tuple) else (ours,):  # detached without create_graph
        for u in t if isinstance(t, tuple) else (t,):
            assert not u.requires_grad


GRAPH_CASES = {
    "jacobian": lambda lib, F, x: F.jacobian(_h(lib), x, create_graph=True),
    "jacobian-forward": lambda lib, F, x: F.jacobian(_h(lib), x, create_graph=True,
                                                     vectorize=True, strategy="forward-mode"),
    "hessian": lambda lib, F, x: F.hessian(_s(lib), x, create_graph=True),
    "vjp": lambda lib, F, x: F.vjp(_h(lib), x, _in(lib, B[0]), create_graph=True)[1],
    "jvp": lambda lib, F, x: F.jvp(_h(lib), x, _in(lib, B[0]), create_graph=True)[1],
    "vhp": lambda lib, F, x: F.vhp(_s(lib), x, _in(lib, B[0]), create_graph=True)[1],
    "hvp": lambda lib, F, x: F.hvp(_s(lib), x, _in(lib, B[0]), create_graph=True)[1],
}


@pytest.mark.parametrize("name", sorted(GRAPH_CASES))
def test_create_graph_gives_the_next_derivative(name):
    """The result is differentiable: d(sum(w * result))/dx equals torch's (one order up)."""
    w = RNG.standard_normal(9)
    grads = []
    # torch has no forward-mode jacobian with create_graph: its reverse mode is the reference
    for lib, F, case in [(cr, CF, name), (torch, TF, name.replace("-forward", ""))]:
        x = _in(lib, A, grad=True)
        r = GRAPH_CASES[case](lib, F, x)
        assert r.requires_grad
        (r * _in(lib, w[: r.numel()].reshape(tuple(r.shape)))).sum().backward()
        grads.append(x.grad)
    _same(grads[0], grads[1])


def test_create_graph_second_order_by_gradgradcheck():
    x = _in(cr, A, grad=True)
    assert cr.autograd.gradcheck(lambda t: CF.jacobian(_h(cr), t, create_graph=True), (x,))
    assert cr.autograd.gradgradcheck(lambda t: CF.vjp(_h(cr), t, cr.ones(3),
                                                      create_graph=True)[1], (x,))


def _independent(x, y):
    return x * 2.0, cr.ones(2)


def test_independent_outputs_give_zeros_or_raise_in_strict_mode():
    x, y = _in(cr, A, B[0])
    jac = CF.jacobian(_independent, (x, y))
    assert jac[0][1].shape == (3, 3) and not jac[0][1].numpy().any()
    assert not jac[1][0].numpy().any()
    tj = TF.jacobian(lambda a, b: (a * 2.0, torch.ones(2, dtype=torch.float64)),
                     _in(torch, A, B[0]))
    _same(jac, tj)
    for call in [lambda: CF.jacobian(_independent, (x, y), strict=True),
                 lambda: CF.jacobian(_independent, (x, y), strict=True,
                                     strategy="forward-mode"),
                 lambda: CF.vjp(lambda a, b: a * 2.0, (x, y), cr.ones(3), strict=True),
                 lambda: CF.jvp(lambda a: cr.ones(2), x, cr.ones(3), strict=True),
                 lambda: CF.hessian(lambda a: a.sum(), x, strict=True)]:
        with pytest.raises(RuntimeError, match="independent"):
            call()
    _, hv = CF.hvp(lambda a: a.sum(), x, cr.ones(3))  # linear: a zero Hessian
    assert not hv.numpy().any()


def test_inputs_keep_their_graph_only_with_create_graph():
    x = _in(cr, A, grad=True)
    out, _ = CF.vjp(_h(cr), x, cr.ones(3))
    assert not out.requires_grad and x.grad is None
    out, _ = CF.vjp(_h(cr), x, cr.ones(3), create_graph=True)
    assert out.requires_grad


@pytest.mark.parametrize("call, err, match", [
    (lambda: CF.vjp(_h(cr), _in(cr, A)), RuntimeError, "v can be left out"),
    (lambda: CF.jvp(_h(cr), _in(cr, A)), RuntimeError, "v can be left out"),
    (lambda: CF.vjp(_h(cr), _in(cr, A), cr.ones(2)), RuntimeError, "shape"),
    (lambda: CF.jvp(_f(cr), _in(cr, A, B), (cr.ones(3),)), RuntimeError, "1 tensors"),
    (lambda: CF.hessian(_h(cr), _in(cr, A)), RuntimeError, "one element"),
    (lambda: CF.jacobian(_h(cr), A), TypeError, "Tensor or a tuple"),
    (lambda: CF.jacobian(lambda x: 3.0, _in(cr, A)), TypeError, "outputs"),
    (lambda: CF.jacobian(_h(cr), cr.arange(3)), TypeError, "floating point"),
    (lambda: CF.jacobian(_h(cr), _in(cr, A), strategy="sideways"), ValueError, "strategy"),
])
def test_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_reachable_after_import_chainrule():
    assert cr.autograd.functional.jacobian is CF.jacobian
