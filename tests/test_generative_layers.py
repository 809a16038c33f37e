"""Transposed convolution and upsampling (nn and keras.layers) against torch and real Keras."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import functional as F
from scratchnet import keras, nn
from tests.reference import assert_close, torch_or_skip
from tests.test_nn_layers import randn, run_both

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "keras3")

CONV_TRANSPOSE_GRID = [
    dict(in_channels=2, out_channels=3, kernel_size=3),
    dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=1, output_padding=1),
    dict(in_channels=2, out_channels=3, kernel_size=(2, 3), stride=(2, 3), padding=(0, 1),
         output_padding=(1, 2)),
    dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, groups=2),
    dict(in_channels=4, out_channels=4, kernel_size=3, padding=1, groups=4, bias=False),
    dict(in_channels=2, out_channels=3, kernel_size=3, dilation=2, padding=2),
    dict(in_channels=2, out_channels=3, kernel_size=3, dilation=2, output_padding=1),  # op ≥ stride
    dict(in_channels=3, out_channels=2, kernel_size=4, stride=2, padding=1),  # the DCGAN block
]


@pytest.mark.parametrize("config", CONV_TRANSPOSE_GRID, ids=str)
def test_conv_transpose2d_matches_pytorch(config):
    torch = torch_or_skip()
    run_both(nn.ConvTranspose2d(**config), torch.nn.ConvTranspose2d(**config),
             randn(2, config["in_channels"], 5, 4))


def test_conv_transpose2d_float64_and_unbatched():
    torch = torch_or_skip()
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 4, 3, 5)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=6)
    ours = [sn.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = F.conv_transpose2d(*ours, stride=(3, 2), padding=1, output_padding=(2, 1), groups=2)
    y_t = torch.nn.functional.conv_transpose2d(*theirs, stride=(3, 2), padding=1, output_padding=(2, 1),
                                               groups=2)
    assert y.dtype == np.float64
    assert_close(y, y_t.detach(), rtol=1e-12, atol=1e-12)
    probe = rng.normal(size=y.shape)
    (y * sn.tensor(probe)).sum().backward()
    (y_t * torch.tensor(probe)).sum().backward()
    for a, t in zip(ours, theirs):
        assert_close(a.grad, t.grad, rtol=1e-12, atol=1e-12)
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2)
    single = randn(2, 4, 4)
    assert_close(layer(sn.tensor(single)), layer(sn.tensor(single[None]))[0])


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """⟨conv(z), x⟩ = ⟨z, convᵀ(x)⟩ for every z and x: the defining property, independent of torch."""
    rng = np.random.default_rng(2)
    w, z = rng.normal(size=(4, 3, 3, 3)), rng.normal(size=(2, 3, 9, 8))
    x = rng.normal(size=F.conv2d(z, w, stride=2, padding=1).shape)
    y = F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=(0, 1))
    assert y.shape == z.shape
    assert math.isclose(float((F.conv2d(z, w, stride=2, padding=1) * x).sum()), float((y * z).sum()),
                        rel_tol=1e-10)


def test_conv_transpose2d_default_init_and_bad_arguments():
    layer = nn.ConvTranspose2d(6, 4, 3, groups=2)
    assert layer.weight.shape == (6, 2, 3, 3) and layer.bias.shape == (4,)
    bound = 1 / math.sqrt(2 * 9)  # fan_in = weight.shape[1]·kh·kw, as torch
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.bias.numpy()).max() <= bound
    assert np.abs(layer.weight.numpy()).max() > 0.8 * bound
    with pytest.raises(ValueError, match="output_padding"):
        nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.ConvTranspose2d(3, 2, 3, groups=2)
    with pytest.raises(ValueError, match="3 channels"):
        F.conv_transpose2d(randn(1, 2, 4, 4), randn(3, 2, 3, 3))


def test_keras_conv2d_transpose_matches_real_keras():
    """Outputs of real Keras 3 Conv2DTranspose layers (fixture written by make_conv2d_transpose.py):
    Keras's output-size rule for 'valid'/'same', with and without output_padding, and its crop."""
    cases = [(3, 2, "same", None, 1), (3, 2, "valid", None, 1), (2, 3, "valid", None, 1),
             (4, 2, "same", None, 1), (3, 2, "same", 1, 1), (3, 2, "valid", 1, 1),
             (1, 3, "same", None, 1), (3, 1, "same", None, 2)]
    with np.load(os.path.join(FIXTURES, "conv2d_transpose.npz"), allow_pickle=False) as arrays:
        for i, (kernel, stride, padding, output_padding, dilation) in enumerate(cases):
            layer = keras.layers.Conv2DTranspose(4, kernel, strides=stride, padding=padding,
                                                 output_padding=output_padding, dilation_rate=dilation)
            x = sn.tensor(arrays[f"x{i}"])
            layer(x)
            layer.conv.weight.array[...] = arrays[f"w{i}"].transpose(3, 2, 0, 1)
            layer.conv.bias.array[...] = arrays[f"b{i}"]
            assert_close(layer(x), arrays[f"y{i}"], rtol=1e-5, atol=1e-5, what=f"case {i}")


def test_keras_conv2d_transpose_shapes_and_parameter_count():
    layer = keras.layers.Conv2DTranspose(5, 3, strides=2, padding="same", activation="relu")
    model = keras.Sequential([keras.Input((4, 4, 3)), layer])
    assert model.output_shape == (None, 8, 8, 5)
    assert model.count_params() == 3 * 3 * 5 * 3 + 5
    with pytest.raises(ValueError, match="output_padding"):
        keras.layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)


INTERPOLATE_GRID = [
    dict(scale_factor=2),
    dict(size=(9, 4)),
    dict(scale_factor=(1.7, 0.6)),
    dict(size=(11, 13), mode="bilinear"),
    dict(size=(11, 13), mode="bilinear", align_corners=True),
    dict(size=(3, 4), mode="bilinear"),  # downsampling
    dict(scale_factor=2.5, mode="bilinear"),
    dict(scale_factor=2.5, mode="bilinear", recompute_scale_factor=True),
    dict(scale_factor=(0.5, 1.5), mode="bilinear", align_corners=True),
    dict(size=1, mode="bilinear", align_corners=True),
]


@pytest.mark.parametrize("config", INTERPOLATE_GRID, ids=str)
def test_upsample_and_interpolate_match_pytorch(config):
    torch = torch_or_skip()
    run_both(nn.Upsample(**config), torch.nn.Upsample(**config), randn(2, 3, 5, 7))


def test_interpolate_float64_gradient_and_bad_arguments():
    torch = torch_or_skip()
    x = np.random.default_rng(3).normal(size=(1, 2, 4, 6))
    ours, theirs = sn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = F.interpolate(ours, scale_factor=3, mode="bilinear", align_corners=False)
    y_t = torch.nn.functional.interpolate(theirs, scale_factor=3, mode="bilinear", align_corners=False)
    assert y.dtype == np.float64
    assert_close(y, y_t.detach(), rtol=1e-12, atol=1e-12)
    (y * y).sum().backward()
    (y_t * y_t).sum().backward()
    assert_close(ours.grad, theirs.grad, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="mode"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="exactly one"):
        nn.Upsample()
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, scale_factor=2, align_corners=True)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_keras_upsampling2d_matches_pytorch_channels_last(interpolation):
    """Keras's nearest repeats pixels; its bilinear (half-pixel centres) is torch's align_corners=False."""
    torch = torch_or_skip()
    x = randn(2, 3, 5, 4)
    layer = keras.layers.UpSampling2D((2, 3), interpolation=interpolation)
    expected = torch.nn.functional.interpolate(torch.tensor(x).permute(0, 3, 1, 2), scale_factor=(2, 3),
                                               mode=interpolation).permute(0, 2, 3, 1)
    assert_close(layer(sn.tensor(x)), expected, rtol=1e-5, atol=1e-6)
    if interpolation == "nearest":
        assert_close(layer(sn.tensor(x)), x.repeat(2, axis=1).repeat(3, axis=2))
    model = keras.Sequential([keras.Input((3, 5, 4)), layer])
    assert model.output_shape == (None, 6, 15, 4)


def test_unflatten_matches_pytorch():
    torch = torch_or_skip()
    run_both(nn.Unflatten(1, (2, 3, 4)), torch.nn.Unflatten(1, (2, 3, 4)), randn(5, 24))
    run_both(nn.Unflatten(-1, (3, -1)), torch.nn.Unflatten(-1, (3, -1)), randn(2, 5, 12))
    with pytest.raises(ValueError, match="cannot be split"):
        nn.Unflatten(1, (5, 5))(sn.tensor(randn(2, 24)))
