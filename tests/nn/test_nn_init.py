"""nn.init: PyTorch's gains and fans, the distributions' bounds and spreads, in-place writes,
reproducibility, errors."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.nn import init


@pytest.mark.parametrize("name,param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (6, 4, 2, 3)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(cr.zeros(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))


def _stats(t):
    a = t.detach().numpy()
    return a.min(), a.max(), a.mean(), a.std()


N = (400, 300)  # fan_in 300, fan_out 400


def test_uniform_and_normal():
    lo, hi, mean, std = _stats(init.uniform_(cr.empty(*N), -2.0, 3.0))
    assert -2 <= lo and hi < 3 and abs(mean - 0.5) < 0.02 and abs(std - 5 / math.sqrt(12)) < 0.02
    _, _, mean, std = _stats(init.normal_(cr.empty(*N), 1.0, 0.5))
    assert abs(mean - 1) < 0.01 and abs(std - 0.5) < 0.01
    assert np.all(init.constant_(cr.empty(2, 2), 0.3).numpy() == 0.3)
    assert not init.zeros_(cr.ones(3)).numpy().any()
    assert np.all(init.ones_(cr.zeros(3)).numpy() == 1)


def test_xavier():
    gain = 2.0
    bound = gain * math.sqrt(6 / (300 + 400))
    lo, hi, _, std = _stats(init.xavier_uniform_(cr.empty(*N), gain))
    assert -bound <= lo and hi <= bound and abs(std - bound / math.sqrt(3)) < 0.01
    _, _, mean, std = _stats(init.xavier_normal_(cr.empty(*N), gain))
    assert abs(std - gain * math.sqrt(2 / 700)) < 0.005 and abs(mean) < 0.005


@pytest.mark.parametrize("mode,fan", [("fan_in", 300), ("fan_out", 400)])
@pytest.mark.parametrize("nonlinearity,a", [("relu", 0), ("leaky_relu", math.sqrt(5)),
                                            ("tanh", 0)])
def test_kaiming(mode, fan, nonlinearity, a):
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    lo, hi, _, s = _stats(init.kaiming_uniform_(cr.empty(*N), a, mode, nonlinearity))
    assert -std * math.sqrt(3) <= lo and hi <= std * math.sqrt(3)
    assert abs(s - std) < 0.02 * std
    _, _, _, s = _stats(init.kaiming_normal_(cr.empty(*N), a, mode, nonlinearity))
    assert abs(s - std) < 0.02 * std


def test_in_place_dtype_and_reproducible():
    arr = np.zeros((3, 4), dtype=np.float32)
    p = nn.Parameter(arr)
    out = init.kaiming_uniform_(p, generator=cr.Generator(7))
    assert out is p and p.requires_grad and p.dtype == np.float32
    assert arr.any()  # written into the shared array
    q = init.kaiming_uniform_(nn.Parameter(np.zeros((3, 4), np.float32)),
                              generator=cr.Generator(7))
    np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    cr.manual_seed(3)
    a = nn.Linear(5, 5).weight.detach().numpy()
    cr.manual_seed(3)
    np.testing.assert_array_equal(a, nn.Linear(5, 5).weight.detach().numpy())


def test_init_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(cr.zeros(3))
    with pytest.raises(ValueError, match="mode 'fan_avg'"):
        init.kaiming_normal_(cr.zeros(2, 2), mode="fan_avg")
    with pytest.raises(TypeError, match="chainrule Tensor"):
        init.normal_(np.zeros(3))
    with pytest.warns(UserWarning, match="no-op"):
        init.kaiming_uniform_(cr.zeros(0, 3))
