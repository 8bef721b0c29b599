"""Attention against PyTorch: ``nn.MultiheadAttention`` and
``nn.functional.scaled_dot_product_attention`` with identical weights in float64 (outputs,
attention weights, gradients of the inputs and of every parameter), masks, dropout,
state_dict loading, initialisation, gradcheck and errors."""

import math

import numpy as np
import pytest
import torch
from tests.nn.nn_helpers import check_module_grads, load_from_torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(0)
E, H = 4, 2


def randn(*shape):
    return rng.standard_normal(shape)


def pair(*args, **kwargs):
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(*args, **kwargs).double()
    c = nn.MultiheadAttention(*args, **kwargs).double()
    return load_from_torch(c, t), t


def _const(a, lib):
    """Masks pass through as constants (bool or float arrays); flags as they are."""
    if isinstance(a, np.ndarray) and lib is torch:
        return torch.tensor(a)
    return a


def compare(c_fn, t_fn, float_inputs, consts=None, c_params=(), t_params=(), rtol=1e-10,
            atol=1e-12):
    """Call ``c_fn(*tensors, **consts)`` and ``t_fn`` likewise; compare every output (None
    alike), then the gradients of a random projection of the outputs with respect to the float
    inputs and the named parameters."""
    consts = consts or {}
    c_in = [cr.tensor(a, requires_grad=True) for a in float_inputs]
    t_in = [torch.tensor(a, requires_grad=True) for a in float_inputs]
    c_out = c_fn(*c_in, **{k: _const(v, cr) for k, v in consts.items()})
    t_out = t_fn(*t_in, **{k: _const(v, torch) for k, v in consts.items()})
    c_out = c_out if isinstance(c_out, tuple) else (c_out,)
    t_out = t_out if isinstance(t_out, tuple) else (t_out,)
    c_loss, t_loss = 0, 0
    for k, (co, to) in enumerate(zip(c_out, t_out)):
        if to is None:
            assert co is None, f"output {k}"
            continue
        assert co.shape == tuple(to.shape), f"output {k}"
        np.testing.assert_allclose(co.detach().numpy(), to.detach().numpy(), rtol=rtol,
                                   atol=atol, err_msg=f"output {k}")
        u = randn(*to.shape)
        c_loss = c_loss + (co * cr.tensor(u)).sum()
        t_loss = t_loss + (to * torch.tensor(u)).sum()
    c_loss.backward()
    t_loss.backward()
    for k, (a, b) in enumerate(zip(c_in, t_in)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {k}")
    for (name, cp), (tname, tp) in zip(c_params, t_params):
        assert name == tname
        np.testing.assert_allclose(cp.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of {name}")
    return c_out


def compare_mha(c, t, q, k, v, **kwargs):
    return compare(c, t, [q, k, v], kwargs, list(c.named_parameters()),
                   list(t.named_parameters()))


# --- MultiheadAttention against PyTorch ------------------------------------------------------
MODULE_CONFIGS = [
    dict(),
    dict(bias=False),
    dict(kdim=3, vdim=5),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True),
    dict(add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=5),
    dict(batch_first=True),
]


def _inputs(cfg, L=3, S=5, N=2, batched=True):
    lead_q = ((N, L) if cfg.get("batch_first") else (L, N)) if batched else (L,)
    lead_k = ((N, S) if cfg.get("batch_first") else (S, N)) if batched else (S,)
    return (randn(*lead_q, E), randn(*lead_k, cfg.get("kdim", E)),
            randn(*lead_k, cfg.get("vdim", E)))


@pytest.mark.parametrize("cfg", MODULE_CONFIGS, ids=lambda d: ",".join(d) or "default")
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_matches_torch(cfg, need_weights):
    c, t = pair(E, H, **cfg)
    q, k, v = _inputs(cfg)
    out, w = compare_mha(c, t, q, k, v, need_weights=need_weights)
    assert out.shape == q.shape
    assert (w is None) == (not need_weights)


@pytest.mark.parametrize("cfg", [dict(), dict(kdim=3, vdim=5), dict(add_bias_kv=True)],
                         ids=lambda d: ",".join(d) or "default")
def test_mha_masks_match_torch(cfg):
    c, t = pair(E, H, **cfg)
    q, k, v = _inputs(cfg)
    kpm = np.zeros((2, 5), bool)
    kpm[0, 1] = kpm[1, 4] = True
    bool_2d = rng.random((3, 5)) < 0.3
    bool_2d[:, 0] = False  # no row fully masked
    bool_3d = rng.random((2 * H, 3, 5)) < 0.3
    bool_3d[..., 2] = False
    for masks in [dict(key_padding_mask=kpm), dict(attn_mask=bool_2d),
                  dict(attn_mask=bool_3d), dict(attn_mask=randn(3, 5)),
                  dict(attn_mask=randn(2 * H, 3, 5), key_padding_mask=np.where(kpm, -1e9, 0.0)),
                  dict(attn_mask=bool_2d, key_padding_mask=kpm),
                  dict(attn_mask=bool_3d, key_padding_mask=kpm, need_weights=False),
                  dict(attn_mask=np.triu(np.ones((3, 5), bool), 1), is_causal=True,
                       need_weights=False)]:
        compare_mha(c, t, q, k, v, **masks)


def test_mha_per_head_weights_match_torch():
    c, t = pair(E, H)
    q, k, v = _inputs({})
    _, w = compare_mha(c, t, q, k, v, average_attn_weights=False)
    assert w.shape == (2, H, 3, 5)


@pytest.mark.parametrize("cfg", [dict(), dict(kdim=3, vdim=5, batch_first=True)])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched_matches_torch(cfg, need_weights):
    c, t = pair(E, H, **cfg)
    q, k, v = _inputs(cfg, batched=False)
    kpm = np.array([False, True, False, False, False])
    out, w = compare_mha(c, t, q, k, v, key_padding_mask=kpm,
                         attn_mask=rng.random((H, 3, 5)) < 0.2, need_weights=need_weights)
    assert out.shape == (3, E)
    if need_weights:
        assert w.shape == (3, 5)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_mha_fully_masked_rows_as_torch():
    # with weights: nan, as torch's softmax gives; without: 0, as torch's SDPA gives
    c, t = pair(E, H)
    q, k, v = _inputs({})
    mask = np.zeros((3, 5), bool)
    mask[1] = True
    for need_weights in (True, False):
        co, cw = c(cr.tensor(q), cr.tensor(k), cr.tensor(v), attn_mask=mask,
                   need_weights=need_weights)
        with torch.no_grad():
            to, tw = t(torch.tensor(q), torch.tensor(k), torch.tensor(v),
                       attn_mask=torch.tensor(mask), need_weights=need_weights)
        np.testing.assert_allclose(co.detach().numpy(), to.numpy(), rtol=1e-10, atol=1e-12)
        assert np.isnan(co.detach().numpy()[1]).all() == need_weights


def test_mha_dropout_on_attention_weights():
    c, t = pair(E, H, dropout=0.5)
    q, k, v = _inputs({})
    args = [cr.tensor(a) for a in (q, k, v)]
    c.eval()
    _, w_eval = c(*args, average_attn_weights=False)
    c.train()
    cr.manual_seed(0)
    _, w_train = c(*args, average_attn_weights=False)
    we, wt = w_eval.detach().numpy(), w_train.detach().numpy()
    dropped = wt == 0
    assert dropped.any() and (~dropped).any()
    np.testing.assert_allclose(wt[~dropped], 2 * we[~dropped], rtol=1e-12)
    # eval mode agrees with torch's eval mode
    t.eval()
    c.eval()
    compare_mha(c, t, q, k, v)
    # p = 1 drops everything: deterministic, so torch agrees in training too
    c1, t1 = pair(E, H, dropout=1.0)
    compare_mha(c1, t1, q, k, v)


def test_mha_parameters_state_dict_and_init_as_torch():
    for cfg in [dict(), dict(bias=False), dict(kdim=3, vdim=5, add_bias_kv=True)]:
        t, c = torch.nn.MultiheadAttention(8, 2, **cfg), nn.MultiheadAttention(8, 2, **cfg)
        t_sd, c_sd = t.state_dict(), c.state_dict()
        assert list(c_sd) == list(t_sd)
        assert all(c_sd[k].shape == tuple(t_sd[k].shape) for k in t_sd)
        assert repr(c) == repr(t)
        c.load_state_dict(t_sd)
        for k in t_sd:
            np.testing.assert_array_equal(c.state_dict()[k].numpy(), t_sd[k].numpy())
    m = nn.MultiheadAttention(8, 2)
    assert m.in_proj_weight.dtype == np.float32
    assert np.abs(m.in_proj_weight.detach().numpy()).max() <= math.sqrt(6 / (24 + 8))
    assert not np.any(m.in_proj_bias.detach().numpy())
    assert not np.any(m.out_proj.bias.detach().numpy())
    assert np.abs(m.out_proj.weight.detach().numpy()).max() <= 1 / math.sqrt(8)


def test_mha_gradcheck():
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=2, add_bias_kv=True)
    kpm = np.array([[False, True, False], [False, False, False]])
    check_module_grads(_WithMask(m, kpm), randn(2, 2, 4), randn(3, 2, 3), randn(3, 2, 2))


class _WithMask(nn.Module):
    def __init__(self, mha, kpm):
        super().__init__()
        self.mha = mha
        self.kpm = kpm

    def forward(self, q, k, v):
        out, w = self.mha(q, k, v, key_padding_mask=self.kpm)
        return out.sum(-1) + w.sum(-1)


# --- scaled_dot_product_attention -------------------------------------------------------------
SDPA_CASES = [
    dict(),
    dict(attn_mask=rng.random((4, 6)) < 0.7),
    dict(attn_mask=randn(2, 3, 4, 6)),
    dict(attn_mask=rng.random((3, 1, 6)) < 0.7),
    dict(is_causal=True),
    dict(scale=0.3),
    dict(is_causal=True, scale=2.0),
]


@pytest.mark.parametrize("case", range(len(SDPA_CASES)))
def test_sdpa_matches_torch(case):
    kwargs = SDPA_CASES[case]
    consts = {k: v for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    plain = {k: v for k, v in kwargs.items() if k not in consts}
    q, k, v = randn(2, 3, 4, 5), randn(2, 3, 6, 5), randn(2, 3, 6, 2)
    compare(lambda *a, **m: F.scaled_dot_product_attention(*a, **m, **plain),
            lambda *a, **m: torch.nn.functional.scaled_dot_product_attention(*a, **m, **plain),
            [q, k, v], consts)


def test_sdpa_broadcast_unbatched_fully_masked_and_gqa():
    mask = rng.random((4, 6)) < 0.5
    mask[2] = False  # fully masked row: 0, as torch
    compare(lambda *a, **m: F.scaled_dot_product_attention(*a, **m),
            lambda *a, **m: torch.nn.functional.scaled_dot_product_attention(*a, **m),
            [randn(4, 5), randn(6, 5), randn(6, 3)], dict(attn_mask=mask))
    compare(lambda *a: F.scaled_dot_product_attention(*a, enable_gqa=True),
            lambda *a: torch.nn.functional.scaled_dot_product_attention(*a, enable_gqa=True),
            [randn(2, 4, 3, 5), randn(2, 2, 6, 5), randn(2, 2, 6, 3)])


def test_sdpa_gradcheck_and_forward_mode():
    mask = rng.random((3, 4)) < 0.7
    mask[:, 0] = True
    args = tuple(cr.tensor(randn(*s), requires_grad=True) for s in [(2, 3, 2), (2, 4, 2),
                                                                     (2, 4, 3)])

    def f(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    assert gradcheck(f, args)
    assert gradgradcheck(f, args)
    tangents = [randn(*a.shape) for a in args]
    _, c_tan = cr.func.jvp(f, [a.detach() for a in args], [cr.tensor(t) for t in tangents])
    _, t_tan = torch.func.jvp(
        lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=torch.tensor(mask)),
        tuple(torch.tensor(a.detach().numpy()) for a in args),
        tuple(torch.tensor(t) for t in tangents))
    np.testing.assert_allclose(c_tan.numpy(), t_tan.numpy(), rtol=1e-10, atol=1e-12)


def test_sdpa_dropout():
    q, k, v = randn(3, 4), randn(5, 4), np.eye(5)
    full = F.scaled_dot_product_attention(q, k, v)
    cr.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    d, f = np.asarray(dropped), np.asarray(full)  # value = I: the output is the weights
    assert (d == 0).any()
    np.testing.assert_allclose(d[d != 0], 2 * f[d != 0], rtol=1e-12)


# --- errors --------------------------------------------------------------------------------------
def test_errors():
    with pytest.raises(ValueError, match=r"embed_dim \(5\) must be divisible by num_heads \(2\)"):
        nn.MultiheadAttention(5, 2)
    m = nn.MultiheadAttention(4, 2, kdim=3)
    with pytest.raises(ValueError, match=r"MultiheadAttention\(embed_dim=4, num_heads=2, kdim=3,"
                                         r" vdim=4\): expected query of 3 dimensions with last "
                                         r"dimension 4, got shape \(3, 2, 5\)"):
        m(cr.ones(3, 2, 5), cr.ones(5, 2, 3), cr.ones(5, 2, 4))
    with pytest.raises(ValueError, match=r"expected key .* last dimension 3, got shape "
                                         r"\(5, 2, 4\)"):
        m(cr.ones(3, 2, 4), cr.ones(5, 2, 4), cr.ones(5, 2, 4))
    q, kv = cr.ones(3, 2, 4), cr.ones(5, 2, 3)
    with pytest.raises(ValueError, match=r"2-D attn_mask is \(3, 4\), but should be \(3, 5\)"):
        m(q, kv, cr.ones(5, 2, 4), attn_mask=np.zeros((3, 4), bool))
    with pytest.raises(ValueError, match=r"3-D attn_mask is \(2, 3, 5\), but should be "
                                         r"\(4, 3, 5\)"):
        m(q, kv, cr.ones(5, 2, 4), attn_mask=np.zeros((2, 3, 5), bool))
    with pytest.raises(ValueError, match=r"key_padding_mask shape of \(2, 5\), but got \(2, 4\)"):
        m(q, kv, cr.ones(5, 2, 4), key_padding_mask=np.zeros((2, 4), bool))
    with pytest.raises(ValueError, match="need attn_mask if specifying the is_causal hint"):
        m(q, kv, cr.ones(5, 2, 4), is_causal=True)
    with pytest.raises(ValueError, match="attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(cr.ones(3, 4), cr.ones(5, 4), cr.ones(5, 4),
                                       attn_mask=np.ones((3, 5), bool), is_causal=True)
    with pytest.raises(ValueError, match=r"query and key must have the same embedding size"):
        F.scaled_dot_product_attention(cr.ones(3, 4), cr.ones(5, 3), cr.ones(5, 4))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(2, 5\) cannot be broadcast"):
        F.scaled_dot_product_attention(cr.ones(3, 4), cr.ones(5, 4), cr.ones(5, 4),
                                       attn_mask=np.ones((2, 5), bool))
