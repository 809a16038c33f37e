"""Layers against torch.nn with the same weights (copied by state-dict name): outputs, input
gradients and parameter gradients in float32."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import nn
from tests.reference import assert_close, torch_or_skip

RTOL, ATOL = 1e-4, 1e-5


def flat_outputs(output):
    """A layer's output (a tensor or nested tuples of tensors) as a flat list."""
    if isinstance(output, (tuple, list)):
        return [t for item in output for t in flat_outputs(item)]
    return [output]


def run_both(ours, theirs, *inputs, rtol=RTOL, atol=ATOL, copy_weights=True, seed=0):
    """Run ``ours`` and ``theirs`` (same weights) on ``inputs`` (NumPy arrays, or tuples of them
    for states); backpropagate a random probe of every output; compare outputs, input gradients,
    parameter gradients and buffers."""
    torch = torch_or_skip()
    if copy_weights:
        theirs.load_state_dict({k: torch.tensor(np.array(v.numpy())) for k, v in ours.state_dict().items()})

    def convert(x, make):
        if isinstance(x, tuple):
            return tuple(convert(v, make) for v in x)
        return make(x)

    ours_in = [convert(x, lambda a: sn.tensor(a, requires_grad=a.dtype.kind == "f")) for x in inputs]
    theirs_in = [convert(x, lambda a: torch.tensor(a, requires_grad=a.dtype.kind == "f")) for x in inputs]
    ours_out, theirs_out = flat_outputs(ours(*ours_in)), flat_outputs(theirs(*theirs_in))
    assert len(ours_out) == len(theirs_out)
    rng = np.random.default_rng(seed)
    probes = [rng.standard_normal(t.shape).astype(np.float32) for t in theirs_out]
    for index, (a, b) in enumerate(zip(ours_out, theirs_out)):
        assert a.dtype == np.float32, f"output {index} has dtype {a.dtype}"
        assert_close(a, b, rtol, atol, what=f"output {index}")
    sum((a * p).sum() for a, p in zip(ours_out, probes)).backward()
    sum((b * torch.tensor(p)).sum() for b, p in zip(theirs_out, probes)).backward()
    for index, (a, b) in enumerate(zip(flat_outputs(ours_in), flat_outputs(theirs_in))):
        if b.requires_grad:
            assert_close(a.grad, b.grad, rtol, atol, what=f"gradient of input {index}")
    theirs_params = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        assert_close(parameter.grad, theirs_params[name].grad, rtol, atol, what=f"gradient of {name}")
    theirs_buffers = dict(theirs.named_buffers())
    for name, buffer in ours.named_buffers():
        assert_close(buffer, theirs_buffers[name], rtol, atol, what=f"buffer {name}")
    return ours_out, theirs_out


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 7)])
def test_linear(bias, shape):
    torch = torch_or_skip()
    run_both(nn.Linear(7, 4, bias=bias), torch.nn.Linear(7, 4, bias=bias), randn(*shape))


CONV_GRID = [
    dict(in_channels=2, out_channels=3, kernel_size=3),
    dict(in_channels=2, out_channels=3, kernel_size=3, stride=2),
    dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=1),
    dict(in_channels=2, out_channels=3, kernel_size=(3, 5), padding=(1, 2)),
    dict(in_channels=2, out_channels=3, kernel_size=(2, 3), padding="same"),
    dict(in_channels=2, out_channels=3, kernel_size=(4, 3), padding="same", dilation=2),
    dict(in_channels=2, out_channels=3, kernel_size=(3, 2), padding="valid"),
    dict(in_channels=2, out_channels=4, kernel_size=3, padding=2, dilation=2),
    dict(in_channels=4, out_channels=6, kernel_size=3, padding=1, groups=2),
    dict(in_channels=4, out_channels=4, kernel_size=3, groups=4, stride=2, bias=False),
    dict(in_channels=2, out_channels=3, kernel_size=(1, 3), stride=(2, 1), padding=(0, 1), bias=False),
]


@pytest.mark.parametrize("config", CONV_GRID, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_conv2d_grid(config):
    torch = torch_or_skip()
    x = randn(2, config["in_channels"], 9, 8)
    run_both(nn.Conv2d(**config), torch.nn.Conv2d(**config), x)


def test_conv2d_unbatched_input():
    torch = torch_or_skip()
    run_both(nn.Conv2d(3, 2, 3, padding=1), torch.nn.Conv2d(3, 2, 3, padding=1), randn(3, 6, 5))


POOL_GRID = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1)),
    dict(kernel_size=(3, 2), stride=(3, 1)),
]


@pytest.mark.parametrize("config", POOL_GRID, ids=str)
def test_max_pool2d_grid(config):
    torch = torch_or_skip()
    run_both(nn.MaxPool2d(**config), torch.nn.MaxPool2d(**config), randn(2, 3, 7, 8))


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("config", POOL_GRID, ids=str)
def test_avg_pool2d_grid(config, count_include_pad):
    torch = torch_or_skip()
    run_both(nn.AvgPool2d(**config, count_include_pad=count_include_pad),
             torch.nn.AvgPool2d(**config, count_include_pad=count_include_pad), randn(2, 3, 7, 8))


@pytest.mark.parametrize("size", [1, 2, (4, 1)])
def test_adaptive_avg_pool2d(size):
    torch = torch_or_skip()
    run_both(nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), randn(2, 3, 8, 4))


@pytest.mark.parametrize("make,shape", [
    (lambda lib: lib.BatchNorm1d(4), (6, 4)),
    (lambda lib: lib.BatchNorm1d(4, momentum=None), (5, 4, 3)),
    (lambda lib: lib.BatchNorm2d(3, momentum=0.3, eps=1e-3), (4, 3, 5, 2)),
    (lambda lib: lib.BatchNorm2d(3, affine=False), (2, 3, 4, 4)),
    (lambda lib: lib.BatchNorm2d(3, track_running_stats=False), (2, 3, 4, 4)),
])
def test_batch_norm_training_steps_then_eval(make, shape):
    torch = torch_or_skip()
    ours, theirs = make(nn), make(torch.nn)
    if ours.weight is not None:
        ours.weight.array[...] = randn(shape[1], seed=10)
        ours.bias.array[...] = randn(shape[1], seed=11)
    theirs.load_state_dict({k: torch.tensor(np.array(v.numpy())) for k, v in ours.state_dict().items()})
    for step in range(4):
        x = randn(*shape, seed=step) * (step + 1) + step
        run_both(ours, theirs, x, copy_weights=False)
        ours.zero_grad(), theirs.zero_grad()
    if ours.track_running_stats:
        assert int(ours.num_batches_tracked.item()) == 4
    ours.eval(), theirs.eval()
    run_both(ours, theirs, randn(*shape, seed=9) + 2, copy_weights=False)


def test_batch_norm_eval_uses_running_stats_and_does_not_update_them():
    bn = nn.BatchNorm1d(2)
    bn.running_mean.array[...] = [1.0, -2.0]
    bn.running_var.array[...] = [4.0, 0.25]
    bn.eval()
    x = np.array([[3.0, -1.0], [1.0, -2.5]], np.float32)
    expected = (x - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5)
    assert_close(bn(x), expected, rtol=1e-5)
    assert_close(bn.running_mean, [1.0, -2.0])
    assert int(bn.num_batches_tracked.item()) == 0


def test_batch_norm_rejects_a_training_batch_of_one():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(np.ones((1, 3)))
    assert int(bn.num_batches_tracked.item()) == 0 and np.all(bn.running_var.numpy() == 1)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm2d(3)(np.ones((1, 3, 1, 1)))
    assert nn.BatchNorm2d(3)(np.ones((1, 3, 2, 1))).shape == (1, 3, 2, 1)
    assert nn.BatchNorm1d(3).eval()(np.ones((1, 3))).shape == (1, 3)


@pytest.mark.parametrize("shape,normalized", [((4, 6), 6), ((2, 3, 4), (3, 4))])
def test_layer_norm(shape, normalized):
    torch = torch_or_skip()
    ours = nn.LayerNorm(normalized)
    ours.weight.array[...] = randn(*ours.weight.shape, seed=3)
    ours.bias.array[...] = randn(*ours.bias.shape, seed=4)
    run_both(ours, torch.nn.LayerNorm(normalized), randn(*shape))


def test_embedding():
    torch = torch_or_skip()
    indices = np.array([[0, 3, 3], [4, 1, 0]], dtype=np.int64)
    run_both(nn.Embedding(5, 3), torch.nn.Embedding(5, 3), indices)
    with pytest.raises(ValueError, match="out of range"):
        nn.Embedding(5, 3)(np.array([5]))


@pytest.mark.parametrize("make", [
    lambda lib: lib.ReLU(), lambda lib: lib.LeakyReLU(0.2), lambda lib: lib.LeakyReLU(),
    lambda lib: lib.ELU(0.7), lambda lib: lib.Sigmoid(), lambda lib: lib.Tanh(), lambda lib: lib.GELU(),
    lambda lib: lib.GELU(approximate="tanh"), lambda lib: lib.Softmax(dim=1),
    lambda lib: lib.LogSoftmax(dim=-1),
    lambda lib: lib.Softmax(dim=0), lambda lib: lib.Flatten(), lambda lib: lib.Flatten(0, 1),
])
def test_parameterless_layers(make):
    torch = torch_or_skip()
    run_both(make(nn), make(torch.nn), randn(3, 4, 5) * 3)


def test_activations_at_extreme_inputs_are_finite():
    torch = torch_or_skip()
    x = np.array([[-1000.0, -20.0, 0.0, 20.0, 1000.0]], np.float32)
    for name, kwargs in [("Sigmoid", {}), ("Tanh", {}), ("Softmax", {"dim": -1}), ("LogSoftmax", {"dim": -1}),
                         ("ELU", {}), ("GELU", {})]:
        out, _ = run_both(getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs), x)
        assert np.isfinite(out[0].numpy()).all(), name


@pytest.mark.parametrize("make", [
    lambda lib: lib.ReLU(), lambda lib: lib.LeakyReLU(0.2), lambda lib: lib.LeakyReLU(0.0),
    lambda lib: lib.LeakyReLU(-0.5), lambda lib: lib.LeakyReLU(1.5), lambda lib: lib.ELU(0.7),
])
def test_relu_family_at_nan_infinity_and_zero_matches_torch(make):
    """Written without np.where (maxima and exact 0/1 blends), these keep PyTorch's values and
    gradients at NaN, ±∞ and 0, for slopes below 0, in [0, 1] and above 1."""
    torch = torch_or_skip()
    x = np.array([[np.nan, -np.inf, np.inf, 0.0, -2.0, 3.0, -1e-3, 1e-3]], np.float32)
    run_both(make(nn), make(torch.nn), x, rtol=1e-6, atol=0)


def test_dropout_scaling_seeding_and_eval():
    layer = nn.Dropout(0.25)
    x = sn.tensor(np.ones((200, 100), np.float32), requires_grad=True)
    sn.manual_seed(3)
    y = layer(x)
    values = np.unique(y.numpy())
    assert_close(values, [0.0, 1 / 0.75], rtol=1e-6)
    dropped = float((y.numpy() == 0).mean())
    assert abs(dropped - 0.25) < 0.01
    y.sum().backward()
    assert_close(x.grad, y.numpy(), rtol=1e-6)
    sn.manual_seed(3)
    np.testing.assert_array_equal(layer(x).numpy(), y.numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    assert_close(nn.Dropout(0.0)(x), x)
    assert np.all(nn.Dropout(1.0)(x).numpy() == 0)


def test_dropout2d_zeroes_whole_channels():
    sn.manual_seed(0)
    y = nn.Dropout2d(0.5)(np.ones((8, 16, 3, 3), np.float32)).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
    np.testing.assert_array_equal(nn.Dropout2d(0.5).eval()(y).numpy(), y)
