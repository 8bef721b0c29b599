"""Helpers for the nn tests: copy weights between PyTorch and chainrule modules, compare
outputs and gradients, and call a module with other parameters (for gradcheck)."""

from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck


def load_from_torch(cmod, tmod):
    """Copy a torch module's state into a chainrule module, as arrays (the documented path)."""
    result = cmod.load_state_dict({k: v.detach().numpy() for k, v in tmod.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    return cmod


def _to_cr(a):
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return cr.tensor(a, requires_grad=True)
    if isinstance(a, np.ndarray):
        return cr.tensor(a)
    return a


def _to_torch(a):
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return torch.tensor(a, requires_grad=True)
    if isinstance(a, np.ndarray):
        return torch.from_numpy(a.copy())
    return a


def compare_with_torch(cmod, tmod, *inputs, rtol=1e-10, atol=1e-12, seed=0):
    """Run both modules (already holding the same weights) on the same inputs and compare the
    outputs and the gradients of a random projection of the output with respect to the float
    inputs and every parameter."""
    c_in = [_to_cr(a) for a in inputs]
    t_in = [_to_torch(a) for a in inputs]
    c_out, t_out = cmod(*c_in), tmod(*t_in)
    np.testing.assert_allclose(c_out.detach().numpy(), t_out.detach().numpy(), rtol=rtol,
                               atol=atol, err_msg="forward")
    u = np.random.default_rng(seed).standard_normal(t_out.shape)
    (c_out * cr.tensor(u)).sum().backward()
    (t_out * torch.tensor(u)).sum().backward()
    for k, (c, t) in enumerate(zip(c_in, t_in)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"gradient of input {k}")
    t_params = dict(tmod.named_parameters())
    c_params = dict(cmod.named_parameters())
    assert list(c_params) == list(t_params)
    for name, tp in t_params.items():
        cp = c_params[name]
        if tp.grad is None:
            assert cp.grad is None or not np.any(cp.grad.numpy()), name
            continue
        np.testing.assert_allclose(cp.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of parameter {name}")
    return c_out


def functional_call(module, params: dict, *args):
    """Call ``module`` with the tensors in ``params`` standing in for its parameters."""
    saved = {}
    for name, value in params.items():
        owner_name, _, attr = name.rpartition(".")
        owner = module.get_submodule(owner_name)
        saved[name] = (owner, attr, owner._parameters[attr])
        owner._parameters[attr] = value
    try:
        return module(*args)
    finally:
        for owner, attr, p in saved.values():
            owner._parameters[attr] = p


def check_module_grads(module, *inputs, second=False, atol=1e-5, rtol=1e-3):
    """gradcheck (and, with ``second``, gradgradcheck) of ``module``'s forward with respect to
    its float inputs and all its parameters, in float64."""
    module = module.double()
    names = [n for n, _ in module.named_parameters()]
    params = [cr.tensor(p.detach().numpy().copy(), requires_grad=True)
              for _, p in module.named_parameters()]
    args = [_to_cr(a) for a in inputs]
    n = len(args)

    def fn(*xs):
        return functional_call(module, dict(zip(names, xs[n:])), *xs[:n])

    assert gradcheck(fn, (*args, *params), atol=atol, rtol=rtol)
    if second:
        assert gradgradcheck(fn, (*args, *params), atol=atol, rtol=rtol)


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def compare_functional(cr_fn, t_fn, *arrays, rtol=1e-10, atol=1e-11):
    """Same values and same input gradients (for a random cotangent) in chainrule and torch."""
    c = [cr.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    co, to = cr_fn(*c), t_fn(*t)
    np.testing.assert_allclose(co.detach().numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
    u = rand(tuple(to.shape), 99)
    (co * cr.tensor(u)).sum().backward()
    (to * torch.tensor(u)).sum().backward()
    for k, (a, b) in enumerate(zip(c, t)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of argument {k}")
