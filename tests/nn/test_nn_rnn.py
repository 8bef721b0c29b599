"""Recurrent layers against PyTorch (same weights, same inputs: same outputs, final states and
gradients of inputs, initial states and every parameter), state_dict loading, default
initialisation, gradcheck, forward mode and errors."""

import math

import numpy as np
import pytest
import torch
from tests.nn.nn_helpers import check_module_grads, functional_call, load_from_torch

import chainrule as cr
from chainrule import nn

rng = np.random.default_rng(0)

CLASSES = {"RNN": (nn.RNN, torch.nn.RNN), "LSTM": (nn.LSTM, torch.nn.LSTM),
           "GRU": (nn.GRU, torch.nn.GRU), "RNNCell": (nn.RNNCell, torch.nn.RNNCell),
           "LSTMCell": (nn.LSTMCell, torch.nn.LSTMCell), "GRUCell": (nn.GRUCell, torch.nn.GRUCell)}


def randn(*shape):
    return rng.standard_normal(shape)


def pair(kind, *args, **kwargs):
    cls_cr, cls_torch = CLASSES[kind]
    torch.manual_seed(0)
    t = cls_torch(*args, **kwargs).double()
    c = cls_cr(*args, **kwargs).double()
    return load_from_torch(c, t), t


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flat(o)]
    return [out]


def compare(c, t, x, hx=None, rtol=1e-10, atol=1e-12):
    """Forward and backward of both modules; compares every output, and the gradients of a
    random projection of all outputs with respect to x, hx and every parameter."""
    c_in = [cr.tensor(a, requires_grad=True) for a in _flat(hx)] if hx is not None else []
    t_in = [torch.tensor(a, requires_grad=True) for a in _flat(hx)] if hx is not None else []
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)

    def pack(xs):
        if hx is None:
            return None
        return tuple(xs) if isinstance(hx, tuple) else xs[0]

    c_out, t_out = _flat(c(cx, pack(c_in))), _flat(t(tx, pack(t_in)))
    assert len(c_out) == len(t_out)
    c_loss, t_loss = 0, 0
    for k, (co, to) in enumerate(zip(c_out, t_out)):
        assert co.shape == tuple(to.shape), f"output {k}"
        np.testing.assert_allclose(co.detach().numpy(), to.detach().numpy(), rtol=rtol,
                                   atol=atol, err_msg=f"output {k}")
        u = randn(*to.shape)
        c_loss = c_loss + (co * cr.tensor(u)).sum()
        t_loss = t_loss + (to * torch.tensor(u)).sum()
    c_loss.backward()
    t_loss.backward()
    for name, a, b in [("input", cx, tx)] + [(f"hx[{k}]", a, b)
                                             for k, (a, b) in enumerate(zip(c_in, t_in))]:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of {name}")
    tp, cp = dict(t.named_parameters()), dict(c.named_parameters())
    assert list(cp) == list(tp)
    for name, p in tp.items():
        np.testing.assert_allclose(cp[name].grad.numpy(), p.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of {name}")
    return c_out


def _state(kind, layers, dirs, batch, hidden, proj=0, batched=True):
    lead = (layers * dirs, batch) if batched else (layers * dirs,)
    h = randn(*lead, proj or hidden)
    if kind == "LSTM":
        return (h, randn(*lead, hidden))
    return h


# --- layers against PyTorch ------------------------------------------------------------------
LAYER_CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(bias=False, batch_first=True),
]


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("cfg", LAYER_CONFIGS, ids=lambda d: ",".join(d) or "default")
@pytest.mark.parametrize("with_h0", [False, True])
def test_layer_matches_torch(kind, cfg, with_h0):
    c, t = pair(kind, 3, 4, **cfg)
    T, N = 4, 2
    x = randn(N, T, 3) if cfg.get("batch_first") else randn(T, N, 3)
    dirs = 2 if cfg.get("bidirectional") else 1
    hx = _state(kind, cfg.get("num_layers", 1), dirs, N, 4) if with_h0 else None
    out = compare(c, t, x, hx)
    assert out[0].shape == ((N, T, 4 * dirs) if cfg.get("batch_first") else (T, N, 4 * dirs))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("with_h0", [False, True])
def test_unbatched_input_matches_torch(kind, with_h0):
    c, t = pair(kind, 3, 4, num_layers=2, bidirectional=True)
    hx = _state(kind, 2, 2, None, 4, batched=False) if with_h0 else None
    out = compare(c, t, randn(5, 3), hx)
    assert out[0].shape == (5, 8) and out[1].shape == (4, 4)


def test_rnn_relu_matches_torch():
    c, t = pair("RNN", 3, 4, num_layers=2, nonlinearity="relu", bidirectional=True)
    compare(c, t, randn(4, 2, 3), randn(4, 2, 4))


@pytest.mark.parametrize("cfg", [dict(), dict(num_layers=2, bidirectional=True)])
def test_lstm_proj_size_matches_torch(cfg):
    c, t = pair("LSTM", 3, 4, proj_size=2, **cfg)
    dirs = 2 if cfg else 1
    layers = cfg.get("num_layers", 1)
    compare(c, t, randn(4, 2, 3), (randn(layers * dirs, 2, 2), randn(layers * dirs, 2, 4)))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers(kind):
    # dropout=1 zeroes the input of the second layer: deterministic, so torch agrees
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        CLASSES[kind][0](3, 4, dropout=0.5)
    c, t = pair(kind, 3, 4, num_layers=2, dropout=1.0)
    x = randn(4, 2, 3)
    with torch.no_grad():
        t_out = t(torch.tensor(x))[0].numpy()
    c_out = c(cr.tensor(x))[0].detach().numpy()
    np.testing.assert_allclose(c_out, t_out, rtol=1e-10, atol=1e-12)
    # evaluation mode: no dropout
    c.eval()
    t.eval()
    compare(c, t, x)
    # training mode with 0 < p < 1 differs from evaluation mode and stays differentiable
    c2, _ = pair(kind, 3, 4, num_layers=2, dropout=0.5)
    cr.manual_seed(0)
    y_train = c2(cr.tensor(x))[0]
    c2.eval()
    y_eval = c2(cr.tensor(x))[0]
    assert not np.allclose(y_train.detach().numpy(), y_eval.detach().numpy())


# --- cells against PyTorch -------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_matches_torch(kind, batched, with_hx, bias):
    c, t = pair(kind, 3, 4, bias=bias)
    lead = (2,) if batched else ()
    hx = None
    if with_hx:
        hx = (randn(*lead, 4), randn(*lead, 4)) if kind == "LSTMCell" else randn(*lead, 4)
    compare(c, t, randn(*lead, 3), hx)


def test_rnn_cell_relu_matches_torch():
    c, t = pair("RNNCell", 3, 4, nonlinearity="relu")
    compare(c, t, randn(2, 3), randn(2, 4))


# --- parameters, state_dict, init --------------------------------------------------------------
@pytest.mark.parametrize("kind,kwargs", [
    ("RNN", dict(num_layers=2, bidirectional=True, nonlinearity="relu")),
    ("LSTM", dict(num_layers=2, bidirectional=True, proj_size=2)),
    ("GRU", dict(num_layers=3, bias=False)),
    ("RNNCell", dict(nonlinearity="relu")), ("LSTMCell", dict(bias=False)), ("GRUCell", dict())])
def test_parameters_state_dict_and_init_as_torch(kind, kwargs):
    cls_cr, cls_torch = CLASSES[kind]
    t, c = cls_torch(3, 4, **kwargs), cls_cr(3, 4, **kwargs)
    t_sd, c_sd = t.state_dict(), c.state_dict()
    assert list(c_sd) == list(t_sd)
    for k in t_sd:
        assert c_sd[k].shape == tuple(t_sd[k].shape), k
        assert c_sd[k].dtype == np.float32
        assert np.abs(c_sd[k].numpy()).max() <= 1 / math.sqrt(4)
    c.load_state_dict(t_sd)  # torch tensors load directly
    for k in t_sd:
        np.testing.assert_array_equal(c.state_dict()[k].numpy(), t_sd[k].numpy())
    assert repr(c) == repr(t)


def test_all_weights_and_flatten_parameters():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert len(m.all_weights) == 4 and all(len(ws) == 4 for ws in m.all_weights)
    assert m.all_weights[1][0] is m.weight_ih_l0_reverse
    m.flatten_parameters()


def test_float32_layer_and_float64_input():
    m = nn.GRU(3, 4)
    out, h = m(cr.ones(2, 1, 3, dtype=np.float32))
    assert out.dtype == np.float32 and h.dtype == np.float32
    out, h = m(cr.ones(2, 1, 3, dtype=np.float64))
    assert out.dtype == np.float64


# --- derivative checks ---------------------------------------------------------------------------
def test_lstm_cell_gradcheck_second_order():
    check_module_grads(nn.LSTMCell(2, 2), randn(2, 2), (randn(2, 2), randn(2, 2)),
                       second=True)


def test_gru_layer_gradcheck():
    check_module_grads(nn.GRU(2, 2, bidirectional=True), randn(3, 1, 2), randn(2, 1, 2))


def test_gru_cell_forward_mode_matches_torch():
    c, t = pair("GRUCell", 3, 4)
    names = [n for n, _ in t.named_parameters()]
    x, h = randn(2, 3), randn(2, 4)
    params = [p.detach().numpy().copy() for p in t.parameters()]
    tangents = [randn(*a.shape) for a in [x, h, *params]]

    def c_fn(x, h, *ps):
        return functional_call(c, dict(zip(names, ps)), x, h)

    def t_fn(x, h, *ps):
        return torch.func.functional_call(t, dict(zip(names, ps)), (x, h))

    c_val, c_tan = cr.func.jvp(c_fn, [cr.tensor(a) for a in [x, h, *params]],
                               [cr.tensor(a) for a in tangents])
    t_val, t_tan = torch.func.jvp(t_fn, tuple(torch.tensor(a) for a in [x, h, *params]),
                                  tuple(torch.tensor(a) for a in tangents))
    np.testing.assert_allclose(c_val.numpy(), t_val.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c_tan.numpy(), t_tan.numpy(), rtol=1e-10, atol=1e-12)


def test_lstm_hessian_vector_product_through_time():
    m = nn.LSTM(2, 3, dtype=cr.float64)
    x = cr.tensor(randn(3, 1, 2), requires_grad=True)
    out, (h, c) = m(x)
    (g,) = cr.grad((out * out).sum() + c.sum(), x, create_graph=True)
    v = cr.tensor(randn(3, 1, 2))
    (hv,) = cr.grad((g * v).sum(), x)
    assert hv.shape == (3, 1, 2) and np.all(np.isfinite(hv.numpy()))


# --- errors --------------------------------------------------------------------------------------
def test_layer_errors_name_layer_and_sizes():
    m = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM\(3, 4, num_layers=2\).*Expected 3, got 5"):
        m(cr.ones(2, 1, 5))
    with pytest.raises(ValueError, match=r"LSTM\(3, 4, num_layers=2\).*2-D.*3-D.*got 4-D"):
        m(cr.ones(2, 1, 1, 3))
    with pytest.raises(ValueError, match=r"expected hidden\[0\] size \(2, 1, 4\), got "
                                         r"\(1, 1, 4\)"):
        m(cr.ones(2, 1, 3), (cr.zeros(1, 1, 4), cr.zeros(2, 1, 4)))
    with pytest.raises(ValueError, match=r"expected hidden\[1\] size \(2, 1, 4\), got "
                                         r"\(2, 1, 3\)"):
        m(cr.ones(2, 1, 3), (cr.zeros(2, 1, 4), cr.zeros(2, 1, 3)))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        m(cr.ones(2, 1, 3), cr.zeros(2, 1, 4))
    with pytest.raises(ValueError, match="unbatched 2-D input, hidden\\[0\\] should also be "
                                         "2-D but got 3-D"):
        m(cr.ones(2, 3), (cr.zeros(2, 1, 4), cr.zeros(2, 1, 4)))
    g = nn.GRU(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"GRU\(3, 4, batch_first=True\): expected hidden size "
                                         r"\(1, 2, 4\), got \(1, 3, 4\)"):
        g(cr.ones(2, 5, 3), cr.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="sequence length to be larger than 0"):
        g(cr.ones(2, 0, 3))


def test_constructor_errors():
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match=r"proj_size \(4\) has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.GRU(3, 0)
    with pytest.raises(TypeError, match="hidden_size should be of type int"):
        nn.GRU(3, 4.0)


def test_cell_errors_name_cell_and_sizes():
    cell = nn.GRUCell(3, 4)
    with pytest.raises(ValueError, match=r"GRUCell\(3, 4\): input has inconsistent input_size: "
                                         r"expected 3, got 5"):
        cell(cr.ones(2, 5))
    with pytest.raises(ValueError, match=r"GRUCell\(3, 4\): expected hx of shape \(2, 4\) for "
                                         r"an input of shape \(2, 3\), got \(2, 3\)"):
        cell(cr.ones(2, 3), cr.ones(2, 3))
    with pytest.raises(ValueError, match=r"expected input to be 1-D or 2-D, got 3-D"):
        cell(cr.ones(1, 2, 3))
    with pytest.raises(TypeError, match=r"LSTMCell\(3, 4\): hx must be a tuple \(h, c\)"):
        nn.LSTMCell(3, 4)(cr.ones(2, 3), cr.ones(2, 4))
