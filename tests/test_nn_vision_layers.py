"""The layers of the course's conv nets (Identity, LocalResponseNorm, ZeroPad2d, adaptive
average pooling to any size) against PyTorch, forward, backward and state-dict keys."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import functional as F
from scratchnet import nn
from tests.reference import assert_close, check_gradients, torch_or_skip
from tests.test_nn_layers import randn, run_both


@pytest.mark.parametrize("make", [
    lambda lib: lib.Identity(), lambda lib: lib.Identity(54, unused_argname=0.1),
    lambda lib: lib.LocalResponseNorm(2), lambda lib: lib.LocalResponseNorm(5),
    lambda lib: lib.LocalResponseNorm(3, alpha=0.5, beta=0.6, k=2.0),
    lambda lib: lib.LocalResponseNorm(8, alpha=1.0),
    lambda lib: lib.ZeroPad2d(2), lambda lib: lib.ZeroPad2d((1, 0, 3, 2)),
    lambda lib: lib.AdaptiveAvgPool2d((3, 2)), lambda lib: lib.AdaptiveAvgPool2d(7),
])
@pytest.mark.parametrize("shape", [(2, 6, 5, 4), (6, 5, 4)])
def test_layers_match_torch(make, shape):
    torch = torch_or_skip()
    ours, theirs = make(nn), make(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    assert repr(ours) == repr(theirs)
    run_both(ours, theirs, randn(*shape) * 2)


def test_local_response_norm_on_3d_and_5d_inputs_matches_torch():
    torch = torch_or_skip()
    for shape in [(2, 7, 9), (2, 5, 3, 2, 2)]:
        run_both(nn.LocalResponseNorm(3), torch.nn.LocalResponseNorm(3), randn(*shape))


def test_local_response_norm_and_adaptive_pooling_gradients_by_finite_differences():
    x = np.random.default_rng(1).standard_normal((2, 5, 3, 3))
    check_gradients(lambda t: F.local_response_norm(t, 3, alpha=0.3, beta=0.7, k=1.5), x)
    check_gradients(lambda t: F.adaptive_avg_pool2d(t, (2, 4)), x)


def test_local_response_norm_follows_the_formula_in_float64():
    x = np.random.default_rng(2).standard_normal((1, 4, 2, 2))
    size, alpha, beta, k = 3, 0.2, 0.75, 1.0
    padded = np.pad(x ** 2, ((0, 0), (1, 1), (0, 0), (0, 0)))
    window = padded[:, 0:4] + padded[:, 1:5] + padded[:, 2:6]
    expected = x / (k + alpha / size * window) ** beta
    ours = nn.LocalResponseNorm(size, alpha, beta, k)(sn.tensor(x))
    assert ours.dtype == np.float64
    assert_close(ours, expected, rtol=1e-12, atol=1e-12)


def test_identity_returns_its_input_object():
    x = sn.randn(2, 3)
    assert nn.Identity()(x) is x


@pytest.mark.parametrize("bad", [-1, (1, 2), (1, 2, 3, -4), 1.5])
def test_zero_pad_rejects_bad_padding(bad):
    with pytest.raises(ValueError, match="ZeroPad2d: padding"):
        nn.ZeroPad2d(bad)


def test_local_response_norm_rejects_bad_size_and_shape():
    with pytest.raises(ValueError, match="size"):
        nn.LocalResponseNorm(0)
    with pytest.raises(ValueError, match="3 or more axes"):
        nn.LocalResponseNorm(2)(sn.randn(4, 3))


@pytest.mark.parametrize("config", [
    dict(kernel_size=3, stride=2), dict(kernel_size=3, stride=1, padding=1), dict(kernel_size=2, stride=2),
    dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(3, 2), stride=(2, 3)),
], ids=str)
@pytest.mark.parametrize("size", [(7, 8), (6, 6), (13, 10)])
def test_max_pool_ceil_mode_matches_torch(config, size):
    torch = torch_or_skip()
    run_both(nn.MaxPool2d(**config, ceil_mode=True), torch.nn.MaxPool2d(**config, ceil_mode=True),
             randn(2, 3, *size))
