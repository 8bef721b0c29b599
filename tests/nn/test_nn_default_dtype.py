"""set_default_dtype / get_default_dtype: the dtype of new nn parameters (float32 at start, as
in PyTorch); factories keep NumPy's float64; Module.to(dtype) converts in place."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim


@pytest.fixture(autouse=True)
def restore_default():
    before = cr.get_default_dtype()
    yield
    cr.set_default_dtype(before)


def layers():
    return [nn.Linear(3, 2), nn.Bilinear(2, 3, 4), nn.Embedding(5, 2), nn.LayerNorm(3)]


def test_float32_by_default_like_torch():
    assert cr.get_default_dtype() == np.float32
    assert str(torch.get_default_dtype()) == "torch.float32"
    for layer in layers():
        assert all(p.dtype == np.float32 for p in layer.parameters()), layer
    assert nn.Parameter().dtype == np.float32


@pytest.mark.parametrize("dtype", [cr.float64, cr.float16, "float64", np.dtype("float16"),
                                   cr.float32])
def test_set_default_dtype_changes_new_parameters(dtype):
    cr.set_default_dtype(dtype)
    want = np.dtype(dtype)
    assert cr.get_default_dtype() == want
    assert isinstance(cr.get_default_dtype(), np.dtype)
    for layer in layers():
        assert all(p.dtype == want for p in layer.parameters()), layer
    assert nn.Parameter().dtype == want
    # an explicit dtype= still wins
    assert nn.Linear(2, 2, dtype=cr.float32).weight.dtype == np.float32


def test_factories_keep_numpys_float64():
    cr.set_default_dtype(cr.float32)
    assert cr.zeros(2).dtype == np.float64
    assert cr.tensor([1.5]).dtype == np.float64
    assert cr.randn(2).dtype == np.float64
    cr.set_default_dtype(cr.float16)
    assert cr.ones(2).dtype == np.float64


def test_float64_default_gives_exact_torch_agreement():
    cr.set_default_dtype(cr.float64)
    torch_model = torch.nn.Linear(3, 2).double()
    model = nn.Linear(3, 2)
    model.load_state_dict({k: v.detach().numpy() for k, v in torch_model.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3))
    out = model(cr.tensor(x))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.detach().numpy(), torch_model(torch.tensor(x)).detach().numpy(),
                               rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("bad", [cr.int64, cr.complex128, cr.bool_, "int32", "not-a-dtype",
                                 object, None])
def test_bad_default_dtypes_are_refused(bad):
    with pytest.raises(TypeError, match="float16, float32 and float64"):
        cr.set_default_dtype(bad)
    assert cr.get_default_dtype() == np.float32


def test_module_to_dtype_converts_in_place():
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    params = list(model.parameters())
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(cr.randn(2, 3).astype("float32")).sum().backward()
    assert model.to(cr.float64) is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    opt.step()  # the optimizer still holds the same (now float64) parameters
    assert all(p.dtype == np.float64 for p in opt.param_groups[0]["params"])
    model.to(dtype=cr.float16)
    assert all(p.dtype == np.float16 for p in params)
    model.to(cr.tensor(np.zeros(1, dtype=np.float32)))
    assert all(p.dtype == np.float32 for p in params)
    with pytest.raises(TypeError, match="floating point"):
        model.to(cr.int32)
