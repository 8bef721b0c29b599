"""Layers against PyTorch (same weights, same inputs: same outputs and gradients), gradcheck of
each layer in float64, default initialisation, dtypes and errors."""

import math

import numpy as np
import pytest
import torch
from tests.helpers import check_grads
from tests.nn.nn_helpers import check_module_grads, compare_with_torch, load_from_torch

import chainrule as cr
from chainrule import nn

rng = np.random.default_rng(0)


def randn(*shape):
    return rng.standard_normal(shape)


def pair(cls_cr, cls_torch, *args, **kwargs):
    torch.manual_seed(0)
    t = cls_torch(*args, **kwargs).double()
    c = cls_cr(*args, **kwargs).double()
    return load_from_torch(c, t), t


# --- Linear ----------------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4)])
def test_linear_matches_torch(bias, shape):
    c, t = pair(nn.Linear, torch.nn.Linear, 4, 3, bias=bias)
    compare_with_torch(c, t, randn(*shape))


def test_linear_gradcheck():
    check_module_grads(nn.Linear(3, 2), randn(4, 3), second=True)


def test_linear_default_init_and_dtype():
    m = nn.Linear(16, 8)
    assert m.weight.dtype == np.float32 and m.bias.dtype == np.float32
    assert m.weight.shape == (8, 16) and m.bias.shape == (8,)
    bound = 1 / math.sqrt(16)
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    assert m.weight.requires_grad and m.weight.is_leaf
    assert nn.Linear(2, 2, dtype=cr.float64).weight.dtype == np.float64
    y = m(cr.ones(3, 16, dtype=np.float32))
    assert y.dtype == np.float32


def test_linear_zero_in_features():
    with pytest.warns(UserWarning, match="zero-element tensor is a no-op"):
        m = nn.Linear(0, 3)
    assert np.all(m.bias.detach().numpy() == 0)
    assert m(cr.zeros(2, 0, dtype=np.float32)).shape == (2, 3)


def test_linear_error_names_layer_and_shapes():
    m = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"Linear\(in_features=3.*in_features = 3.*\(4, 5\)"):
        m(cr.ones(4, 5))
    with pytest.raises(ValueError, match="linear: .*in_features = 3"):
        nn.functional.linear(cr.ones(4, 5), m.weight)


def test_linear_bad_device_and_dtype():
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.Linear(2, 2, device="cuda")
    with pytest.raises(TypeError, match="floating point dtype"):
        nn.Linear(2, 2, dtype=np.int64)


def test_linear_functional_with_arrays():
    w, b, x = randn(3, 4), randn(3), randn(2, 4)
    out = nn.functional.linear(x, w, b)
    np.testing.assert_allclose(out, x @ w.T + b)


# --- Bilinear --------------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [(5,), (2, 3)])
def test_bilinear_matches_torch(bias, batch):
    c, t = pair(nn.Bilinear, torch.nn.Bilinear, 3, 4, 2, bias=bias)
    compare_with_torch(c, t, randn(*batch, 3), randn(*batch, 4))


def test_bilinear_gradcheck_and_init():
    check_module_grads(nn.Bilinear(2, 3, 2), randn(3, 2), randn(3, 3), second=True)
    m = nn.Bilinear(4, 3, 2)
    assert np.abs(m.weight.detach().numpy()).max() <= 0.5
    assert m.weight.dtype == np.float32


def test_bilinear_errors():
    m = nn.Bilinear(2, 3, 4)
    with pytest.raises(ValueError, match="in1_features = 2 and in2_features = 3"):
        m(cr.ones(5, 2), cr.ones(5, 2))
    with pytest.raises(ValueError, match="same batch shape"):
        nn.functional.bilinear(cr.ones(5, 2), cr.ones(4, 3), m.weight)


# --- Embedding -------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 1}, {"padding_idx": -2},
                                    {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_embedding_matches_torch(kwargs):
    c, t = pair(nn.Embedding, torch.nn.Embedding, 6, 3, **kwargs)
    idx = np.array([[1, 2, 1], [0, 4, 1]])
    compare_with_torch(c, t, idx)


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_matches_torch(norm_type):
    c, t = pair(nn.Embedding, torch.nn.Embedding, 6, 3, max_norm=1.0, norm_type=norm_type)
    idx = np.array([1, 2, 1, 5])
    compare_with_torch(c, t, idx)
    # the rows used were renormalised in place, in both
    np.testing.assert_allclose(c.weight.detach().numpy(), t.weight.detach().numpy(),
                               rtol=1e-12)


def test_embedding_init_and_gradcheck():
    m = nn.Embedding(1000, 4, padding_idx=3)
    w = m.weight.detach().numpy()
    assert w.dtype == np.float32
    assert np.all(w[3] == 0)
    assert abs(w.mean()) < 0.1 and abs(w.std() - 1) < 0.1
    check_module_grads(nn.Embedding(5, 2), np.array([[0, 3], [3, 4]]), second=True)


def test_embedding_from_pretrained():
    table = cr.tensor(randn(4, 2))
    m = nn.Embedding.from_pretrained(table)
    assert not m.weight.requires_grad and m.weight.dtype == np.float64
    np.testing.assert_array_equal(m(cr.tensor([3, 0])).numpy(), table.numpy()[[3, 0]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_embedding_errors():
    m = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match="index 5 is out of range for 5 embeddings"):
        m(cr.tensor([1, 5]))
    with pytest.raises(IndexError, match="index -1"):
        m(cr.tensor([-1]))
    with pytest.raises(TypeError, match="indices must be integers"):
        m(cr.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx 5 must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(5, 2, sparse=True)


# --- LayerNorm -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,normalized", [((4, 5), 5), ((2, 3, 4), (3, 4)), ((5,), [5])])
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, False)])
def test_layer_norm_matches_torch(shape, normalized, affine, bias):
    c, t = pair(nn.LayerNorm, torch.nn.LayerNorm, normalized, elementwise_affine=affine,
                bias=bias)
    with torch.no_grad():  # move away from the default 1 and 0, so that they matter
        for p in t.parameters():
            p.add_(torch.randn(p.shape, dtype=p.dtype))
    load_from_torch(c, t)
    compare_with_torch(c, t, randn(*shape))


def test_layer_norm_gradcheck_and_init():
    m = nn.LayerNorm(3)
    assert np.all(m.weight.detach().numpy() == 1) and np.all(m.bias.detach().numpy() == 0)
    assert m.weight.dtype == np.float32
    check_module_grads(m, randn(2, 3), second=True)


def test_layer_norm_error():
    with pytest.raises(ValueError, match=r"normalized_shape=\(4,\).*\(2, 3\)"):
        nn.LayerNorm(4)(cr.ones(2, 3))


# --- Dropout, Flatten, Identity --------------------------------------------------------------
def test_dropout_train_and_eval():
    m = nn.Dropout(0.25)
    x = cr.ones(200, 200, requires_grad=True)
    cr.manual_seed(1)
    y = m(x)
    vals = y.detach().numpy()
    kept = vals != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(vals[kept], 1 / 0.75)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), vals)  # gradient is the same mask
    cr.manual_seed(1)
    np.testing.assert_array_equal(m(x).detach().numpy(), vals)  # reproducible
    m.eval()
    assert m(x) is x


def test_dropout_generator_and_edges():
    x = cr.ones(50, dtype=np.float32)
    a = nn.functional.dropout(x, 0.5, generator=cr.Generator(3))
    b = nn.functional.dropout(x, 0.5, generator=cr.Generator(3))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.dtype == np.float32
    assert nn.functional.dropout(x, 0.0) is x
    assert not nn.functional.dropout(x, 1.0).numpy().any()
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.functional.dropout(x, -0.1)


def test_flatten_and_identity():
    x = randn(2, 3, 4, 5)
    c, t = nn.Flatten(), torch.nn.Flatten()
    compare_with_torch(c, t, x)
    compare_with_torch(nn.Flatten(0, 2), torch.nn.Flatten(0, 2), x)
    assert nn.Identity(3, foo=1)(x) is x


@pytest.mark.parametrize("make", [
    lambda: (nn.Linear(3, 2), torch.nn.Linear(3, 2)),
    lambda: (nn.Bilinear(3, 2, 4), torch.nn.Bilinear(3, 2, 4)),
    lambda: (nn.Embedding(10, 3, padding_idx=0, max_norm=1.0, scale_grad_by_freq=True),
             torch.nn.Embedding(10, 3, padding_idx=0, max_norm=1.0, scale_grad_by_freq=True)),
    lambda: (nn.Embedding(10, 3, norm_type=1.0), torch.nn.Embedding(10, 3, norm_type=1.0)),
    lambda: (nn.LayerNorm((2, 3), elementwise_affine=False),
             torch.nn.LayerNorm((2, 3), elementwise_affine=False)),
    lambda: (nn.LayerNorm(3, bias=False), torch.nn.LayerNorm(3, bias=False)),
    lambda: (nn.Dropout(0.1), torch.nn.Dropout(0.1)),
    lambda: (nn.Flatten(), torch.nn.Flatten()),
    lambda: (nn.Identity(), torch.nn.Identity()),
])
def test_layer_repr_matches_torch(make):
    c, t = make()
    assert repr(c) == repr(t)


def test_dropout_flatten_gradcheck():
    check_grads(lambda x: nn.functional.dropout(x, 0.4, generator=cr.Generator(0)),
                randn(3, 4))
    check_module_grads(nn.Flatten(), randn(2, 2, 3), second=True)
