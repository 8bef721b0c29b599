"""Module, Parameter and the containers: registration, iteration, modes, state_dict (with
PyTorch state dicts), hooks, dtype conversion, reprs, copying, errors."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from tests.nn.nn_helpers import compare_with_torch, load_from_torch

import chainrule as cr
from chainrule import nn


class Net(nn.Module):
    def __init__(self, lib=nn):
        super().__init__()
        self.emb = lib.Embedding(10, 4, padding_idx=0)
        self.body = lib.Sequential(lib.Linear(4, 8), lib.Tanh(), lib.LayerNorm(8))
        self.heads = lib.ModuleList([lib.Linear(8, 3), lib.Linear(8, 3)])
        self.extra = lib.ModuleDict({"bil": lib.Bilinear(3, 3, 2)})

    def forward(self, idx):
        h = self.body(self.emb(idx))
        a, b = self.heads[0](h), self.heads[1](h)
        return self.extra["bil"](a, b)


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(10, 4, padding_idx=0)
        self.body = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(),
                                        torch.nn.LayerNorm(8))
        self.heads = torch.nn.ModuleList([torch.nn.Linear(8, 3), torch.nn.Linear(8, 3)])
        self.extra = torch.nn.ModuleDict({"bil": torch.nn.Bilinear(3, 3, 2)})

    forward = Net.forward


def test_names_shapes_and_repr_match_torch():
    c, t = Net(), TorchNet()
    assert [(n, tuple(p.shape)) for n, p in c.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert list(c.state_dict()) == list(t.state_dict())
    assert repr(c).replace("Net", "X") == repr(t).replace("TorchNet", "X")
    assert [n for n, _ in c.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in c.named_children()] == [n for n, _ in t.named_children()]


def test_torch_state_dict_loads_and_model_matches():
    torch.manual_seed(0)
    t = TorchNet().double()
    c = load_from_torch(Net().double(), t)
    compare_with_torch(c, t, np.array([[1, 0, 3], [9, 2, 0]]))


def test_torch_tensors_load_directly_with_cast():
    t = TorchNet()  # float32
    c = Net().double()
    c.load_state_dict(t.state_dict())
    assert c.body[0].weight.dtype == np.float64
    np.testing.assert_allclose(c.body[0].weight.detach().numpy(),
                               t.body[0].weight.detach().numpy())


def test_state_dict_round_trip_and_sharing():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert all(isinstance(v, cr.Tensor) and not v.requires_grad for v in sd.values())
    sd["emb.weight"].numpy()[1, 0] = 42.0  # shares memory with the parameter
    assert a.emb.weight.detach().numpy()[1, 0] == 42.0
    b.load_state_dict(sd)
    idx = cr.tensor([[1, 2]])
    np.testing.assert_array_equal(a(idx).detach().numpy(), b(idx).detach().numpy())
    assert b.emb.weight is not a.emb.weight
    assert sd["emb.weight"] is not b.emb.weight
    kept = a.state_dict(keep_vars=True)
    assert kept["emb.weight"] is a.emb.weight


def test_load_state_dict_errors_and_non_strict():
    m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    sd = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    bad = dict(sd)
    del bad["1.bias"]
    bad["2.weight"] = np.ones(3)
    with pytest.raises(RuntimeError, match=r'Error\(s\) in loading state_dict for Sequential:'
                                           r'\n\tMissing key\(s\) in state_dict: "1.bias". '
                                           r'\n\tUnexpected key\(s\) in state_dict: '
                                           r'"2.weight".'):
        m.load_state_dict(bad)
    res = m.load_state_dict(bad, strict=False)
    assert res.missing_keys == ["1.bias"] and res.unexpected_keys == ["2.weight"]
    assert repr(m.load_state_dict(sd)) == "<All keys matched successfully>"
    before = m[0].bias.detach().numpy().copy()
    wrong = dict(sd, **{"0.bias": np.full(3, 7.0), "1.weight": np.ones((3, 1))})
    with pytest.raises(RuntimeError, match=r"size mismatch for 1.weight: copying a param with "
                                           r"shape \(3, 1\) from checkpoint, the shape in "
                                           r"current model is \(1, 3\)"):
        m.load_state_dict(wrong, strict=False)
    np.testing.assert_array_equal(m[0].bias.detach().numpy(), before)  # nothing written
    with pytest.raises(TypeError, match="mapping"):
        m.load_state_dict([("0.bias", 1)])


def test_load_state_dict_assign_and_buffers():
    class WithBuffers(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)
            self.register_buffer("running", cr.zeros(2))
            self.register_buffer("scratch", cr.zeros(2), persistent=False)

    m = WithBuffers()
    assert list(m.state_dict()) == ["running", "lin.weight", "lin.bias"]  # torch's order
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    w = m.lin.weight
    m.load_state_dict({"lin.weight": np.ones((2, 2)), "lin.bias": np.zeros(2),
                       "running": np.arange(2.0)}, assign=True)
    assert m.lin.weight is w and m.lin.weight.dtype == np.float64 and m.lin.weight.requires_grad
    np.testing.assert_array_equal(m.running.numpy(), [0.0, 1.0])


def test_registration_rules():
    m = nn.Module()
    m.w = nn.Parameter(cr.zeros(2))
    m.sub = nn.Linear(2, 2)
    m.plain = cr.zeros(2)  # a plain tensor is an ordinary attribute
    assert [n for n, _ in m.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    assert "plain" not in m.state_dict()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = cr.zeros(2)
    m.w = None
    assert m.w is None and [n for n, _ in m.named_parameters()] == ["sub.weight", "sub.bias"]
    with pytest.raises(TypeError, match="as child module 'sub'"):
        m.sub = 3
    del m.sub
    assert not list(m.parameters())
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope
    with pytest.raises(KeyError, match=r'contain "\."'):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        m.register_buffer("training", cr.zeros(1))
    with pytest.raises(TypeError, match="chainrule.Tensor or None required"):
        m.register_buffer("buf", np.zeros(2))

    class Forgot(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(cr.zeros(1))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Forgot()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(m.parameters())) == 2
    assert len(list(m.modules())) == 3  # Sequential, Linear (once), ReLU
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_parameter():
    p = nn.Parameter(cr.ones(2, dtype=np.float32))
    assert p.requires_grad and p.is_leaf and isinstance(p, cr.Tensor)
    assert repr(p) == "Parameter containing:\ntensor([1., 1.], dtype=float32, requires_grad=True)"
    assert type(p * 2) is cr.Tensor
    arr = np.zeros(3)
    q = nn.Parameter(arr)
    arr[0] = 5
    assert q.detach().numpy()[0] == 5  # shares memory, as torch.nn.Parameter does
    x = cr.ones(2, requires_grad=True) * 2
    assert nn.Parameter(x).is_leaf
    assert not nn.Parameter(cr.ones(2), requires_grad=False).requires_grad
    with pytest.raises(TypeError, match="floating point"):
        nn.Parameter(np.arange(3))
    assert nn.Parameter().shape == (0,)


def test_train_eval_and_requires_grad():
    m = Net()
    assert all(x.training for x in m.modules())
    assert m.eval() is m and not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    with pytest.raises(ValueError, match="bool"):
        m.train("yes")
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_zero_grad():
    m = nn.Linear(2, 1)
    m(cr.ones(3, 2)).sum().backward()
    g = m.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is g and not g.numpy().any()
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


def test_to_dtype_keeps_parameter_objects():
    m = Net()
    m.register_buffer("b", cr.zeros(2, dtype=np.float32))
    m.register_buffer("i", cr.zeros(2, dtype=np.int64))
    w = m.body[0].weight
    m(cr.tensor([[1, 2]])).sum().backward()
    assert m.to(cr.float64) is m
    assert w is m.body[0].weight and w.dtype == np.float64 and w.grad.dtype == np.float64
    assert m.b.dtype == np.float64 and m.i.dtype == np.int64
    assert m.float().body[0].weight.dtype == np.float32
    assert m.double().body[0].weight.dtype == np.float64
    assert m.to(cr.zeros(1, dtype=np.float32)).emb.weight.dtype == np.float32
    assert m.to("cpu") is m
    with pytest.raises(RuntimeError, match="CPU only"):
        m.to("cuda")
    with pytest.raises(TypeError, match="floating point"):
        m.to(np.int32)


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append("a") or out + 1)
    m.register_forward_hook(lambda mod, args, out: calls.append("first"), prepend=True)
    x = cr.ones(1, 2)
    np.testing.assert_allclose(m(x).detach().numpy(), m.bias.detach().numpy()[None] + 1)
    assert calls == ["first", "a"]
    h1.remove()
    h2.remove()
    h2.remove()  # removing twice is harmless
    np.testing.assert_allclose(m(x).detach().numpy(), m.forward(x).detach().numpy())

    def kw_pre(mod, args, kwargs):
        return (args[0] * 2,), kwargs

    with m.register_forward_pre_hook(kw_pre, with_kwargs=True):
        np.testing.assert_allclose(m(x).detach().numpy(), m.forward(x * 2).detach().numpy())
    seen = {}
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.update(kwargs),
                            with_kwargs=True)
    bil = nn.Bilinear(2, 2, 1)
    bil.register_forward_hook(lambda mod, args, kwargs, out: seen.update(n=len(args)),
                              with_kwargs=True)
    bil(x, input2=x)
    assert seen == {"n": 1}


def test_containers():
    a, b, c = nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    assert isinstance(s[1:], nn.Sequential) and list(s[1:]) == [b, c]
    named = nn.Sequential(OrderedDict([("fc", a), ("act", b)]))
    assert named.fc is a and [n for n, _ in named.named_children()] == ["fc", "act"]
    s.append(nn.Sigmoid())
    del s[1]
    assert [type(m).__name__ for m in s] == ["Linear", "Linear", "Sigmoid"]
    assert list(s._modules) == ["0", "1", "2"]
    s.insert(1, nn.Tanh())
    assert type(s[1]).__name__ == "Tanh"
    with pytest.raises(IndexError, match="out of range"):
        s[7]
    with pytest.raises(TypeError, match="not a Module subclass"):
        nn.Sequential(lambda x: x)

    ml = nn.ModuleList([a])
    ml.append(c)
    ml += [nn.Tanh()]
    ml.insert(0, b)
    assert [type(m).__name__ for m in ml] == ["ReLU", "Linear", "Linear", "Tanh"]
    assert len(ml[1:3]) == 2 and len(list(ml.parameters())) == 4
    del ml[0]
    assert type(ml[0]).__name__ == "Linear"
    with pytest.raises(NotImplementedError, match="iterate over it"):
        ml(1)

    md = nn.ModuleDict({"x": a})
    md["y"] = c
    md.update([("z", b)])
    assert list(md) == ["x", "y", "z"] and "y" in md and md.pop("z") is b
    assert [n for n, _ in md.named_parameters()] == ["x.weight", "x.bias", "y.weight",
                                                      "y.bias"]
    with pytest.raises(TypeError, match="not a Module subclass"):
        md["q"] = 3


def test_module_list_repr_compresses_like_torch():
    c = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU()])
    t = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)]
                            + [torch.nn.ReLU(), torch.nn.ReLU()])
    assert repr(c) == repr(t)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_deepcopy_and_pickle():
    m = Net()
    m2 = copy.deepcopy(m)
    assert m2.body[0].weight is not m.body[0].weight
    assert isinstance(m2.body[0].weight, nn.Parameter) and m2.body[0].weight.requires_grad
    m2.body[0].weight.detach().numpy()[:] = 0
    assert m.body[0].weight.detach().numpy().any()
    m3 = pickle.loads(pickle.dumps(m))
    idx = cr.tensor([[3, 4]])
    np.testing.assert_array_equal(m3(idx).detach().numpy(), m(idx).detach().numpy())


def test_apply_and_get_submodule():
    m = Net()
    names = []
    m.apply(lambda mod: names.append(type(mod).__name__))
    assert names[-1] == "Net" and names.count("Linear") == 3
    assert m.get_submodule("body.0") is m.body[0]
    with pytest.raises(AttributeError, match="no submodule `nope`"):
        m.get_submodule("body.nope")


def test_model_is_differentiable_to_second_order_like_torch():
    """A Hessian-vector product through a whole model, against PyTorch."""
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.LayerNorm(4),
                            torch.nn.SiLU(), torch.nn.Linear(4, 1)).double()
    c = load_from_torch(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.LayerNorm(4), nn.SiLU(),
                                      nn.Linear(4, 1)).double(), t)
    x = np.random.default_rng(0).standard_normal((5, 3))
    v = np.random.default_rng(1).standard_normal((5, 3))
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (cg,) = cr.grad(c(cx).sum(), cx, create_graph=True)
    (tg,) = torch.autograd.grad(t(tx).sum(), tx, create_graph=True)
    # second derivatives with respect to the input and (mixed) every parameter
    ch = cr.grad((cg * cr.tensor(v)).sum(), [cx, *c.parameters()], materialize_grads=True)
    th = torch.autograd.grad((tg * torch.tensor(v)).sum(), [tx, *t.parameters()],
                             materialize_grads=True)
    for a, b in zip(ch, th):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


def test_float32_model_matches_torch_float32():
    torch.manual_seed(0)
    t = TorchNet()
    c = load_from_torch(Net(), t)
    assert all(p.dtype == np.float32 for p in c.parameters())
    idx = np.array([[1, 0, 3], [9, 2, 0]])
    out = compare_with_torch(c, t, idx, rtol=1e-5, atol=1e-6)
    assert out.dtype == np.float32
