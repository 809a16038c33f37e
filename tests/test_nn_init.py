"""Initialisers: fans, gains, and sample statistics (mean, std, bounds) against their formulas,
for dense and convolution shapes; every layer's default initialisation is PyTorch's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import nn
from scratchnet.nn import init
from tests.reference import torch_or_skip

DENSE, CONV, GROUPED_CONV = (300, 200), (64, 32, 3, 5), (96, 16, 3, 3)


def empty(shape):
    return nn.Parameter(np.empty(shape, np.float32))


def uniform_statistics_match(values, bound):
    """Samples of U(−bound, bound): inside the bounds, touching both ends, mean 0, std bound/√3."""
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.98 * bound and values.max() > 0.98 * bound
    assert abs(values.mean()) < 5 * bound / math.sqrt(3 * values.size)
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)


def normal_statistics_match(values, std):
    assert abs(values.mean()) < 5 * std / math.sqrt(values.size)
    assert values.std() == pytest.approx(std, rel=0.03)


@pytest.mark.parametrize("shape,fans", [(DENSE, (200, 300)), (CONV, (32 * 15, 64 * 15)),
                                        (GROUPED_CONV, (16 * 9, 96 * 9))])
def test_fans_match_pytorch(shape, fans):
    torch = torch_or_skip()
    assert init._calculate_fan_in_and_fan_out(empty(shape)) == fans
    assert init._calculate_fan_in_and_fan_out(empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init._calculate_fan_in_and_fan_out(empty((5,)))


def test_gains_match_pytorch():
    torch = torch_or_skip()
    for name in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu"]:
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    for slope in [None, 0.2, math.sqrt(5)]:
        assert init.calculate_gain("leaky_relu", slope) == \
            pytest.approx(torch.nn.init.calculate_gain("leaky_relu", slope))
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("shape", [DENSE, CONV])
def test_xavier_statistics(shape):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(empty(shape))
    uniform_statistics_match(init.xavier_uniform_(empty(shape), gain=2.0).numpy(),
                             2.0 * math.sqrt(6 / (fan_in + fan_out)))
    normal_statistics_match(init.xavier_normal_(empty(shape)).numpy(), math.sqrt(2 / (fan_in + fan_out)))
    assert init.glorot_uniform_ is init.xavier_uniform_ and init.glorot_normal_ is init.xavier_normal_


@pytest.mark.parametrize("shape", [DENSE, CONV, GROUPED_CONV])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_statistics(shape, mode):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(empty(shape))
    fan = fan_in if mode == "fan_in" else fan_out
    uniform_statistics_match(init.kaiming_uniform_(empty(shape), mode=mode, nonlinearity="relu").numpy(),
                             math.sqrt(2) * math.sqrt(3 / fan))
    normal_statistics_match(init.kaiming_normal_(empty(shape), a=0.1, mode=mode).numpy(),
                            math.sqrt(2 / (1 + 0.01)) / math.sqrt(fan))
    assert init.he_uniform_ is init.kaiming_uniform_ and init.he_normal_ is init.kaiming_normal_


def test_simple_fills_and_dtype_kept():
    t = nn.Parameter(np.empty((200, 100), np.float64))
    assert init.uniform_(t, -2, 3).dtype == np.float64
    assert t.numpy().min() >= -2 and t.numpy().max() <= 3
    normal_statistics_match(init.normal_(t, 0.0, 0.5).numpy(), 0.5)
    assert np.all(init.zeros_(t).numpy() == 0) and np.all(init.ones_(t).numpy() == 1)
    assert np.all(init.constant_(t, 0.25).numpy() == 0.25)


def test_initialisers_use_the_seeded_generator():
    sn.manual_seed(5)
    first = init.kaiming_uniform_(empty(DENSE)).numpy().copy()
    sn.manual_seed(5)
    np.testing.assert_array_equal(init.kaiming_uniform_(empty(DENSE)).numpy(), first)
    sn.manual_seed(5)
    # same uniform draws, scaled from kaiming's default bound √6/√fan_in to Linear's 1/√fan_in
    np.testing.assert_allclose(nn.Linear(200, 300).weight.numpy(), first / math.sqrt(6), rtol=1e-6)


def test_default_layer_initialisation_is_pytorchs():
    linear = nn.Linear(400, 300)
    uniform_statistics_match(linear.weight.numpy(), 1 / math.sqrt(400))
    assert np.abs(linear.bias.numpy()).max() <= 1 / math.sqrt(400)
    conv = nn.Conv2d(16, 32, (3, 5), groups=4)
    bound = 1 / math.sqrt(16 // 4 * 15)
    uniform_statistics_match(conv.weight.numpy(), bound)
    assert np.abs(conv.bias.numpy()).max() <= bound
    lstm = nn.LSTM(10, 50)
    for _, parameter in lstm.named_parameters():
        assert np.abs(parameter.numpy()).max() <= 1 / math.sqrt(50)
    uniform_statistics_match(lstm.weight_hh_l0.numpy(), 1 / math.sqrt(50))
    normal_statistics_match(nn.Embedding(500, 40).weight.numpy(), 1.0)
    bn = nn.BatchNorm2d(4)
    assert np.all(bn.weight.numpy() == 1) and np.all(bn.bias.numpy() == 0)
    assert np.all(bn.running_mean.numpy() == 0) and np.all(bn.running_var.numpy() == 1)
