"""Layers run on an empty batch, as in PyTorch: a Keras model builds itself on one, so that a
loaded file's layers make no output elements (issue 17)."""

from __future__ import annotations

import numpy as np
import torch

import scratchnet as sn
from scratchnet import keras, nn


def test_empty_batches_give_torchs_shapes():
    sn.manual_seed(0)
    torch.manual_seed(0)
    x = np.zeros((0, 3, 8, 8), np.float32)
    ours = [nn.Conv2d(3, 5, 3, padding=1), nn.Conv2d(3, 4, 3, stride=2), nn.BatchNorm2d(3).eval(),
            nn.ReLU(), nn.Flatten(), nn.MaxPool2d(2)]
    theirs = [torch.nn.Conv2d(3, 5, 3, padding=1), torch.nn.Conv2d(3, 4, 3, stride=2),
              torch.nn.BatchNorm2d(3).eval(), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.MaxPool2d(2)]
    for layer, reference in zip(ours, theirs):
        assert layer(sn.tensor(x)).shape == tuple(reference(torch.from_numpy(x)).shape), layer
    channels_last = np.zeros((0, 8, 8, 3), np.float32).transpose(0, 3, 1, 2)
    assert nn.BatchNorm2d(3).eval()(sn.tensor(channels_last)).shape == (0, 3, 8, 8)


def test_a_keras_model_builds_on_no_data_and_predicts_as_before():
    keras.backend.clear_session()
    sn.manual_seed(0)
    model = keras.Sequential([keras.layers.Conv2D(4, 3, activation="relu", input_shape=(6, 6, 1)),
                              keras.layers.BatchNormalization(), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    assert model.output_shape == (None, 2)
    reshape = keras.Sequential([keras.layers.Reshape((-1, 4), input_shape=(3, 2, 4))])
    assert reshape.output_shape == (None, 6, 4)
    x = np.random.default_rng(0).normal(size=(3, 6, 6, 1)).astype(np.float32)
    kernel, bias = model.layers[0].get_weights()  # kernel stored (out, in, height, width) here
    patches = np.lib.stride_tricks.sliding_window_view(x[..., 0], (3, 3), axis=(1, 2))
    conv = np.maximum(np.einsum("nhwij,oij->nhwo", patches, kernel[:, 0]) + bias, 0)
    gamma, beta, mean, var = model.layers[1].get_weights()
    normed = (conv - mean) / np.sqrt(var + 1e-3) * gamma + beta
    dense_kernel, dense_bias = model.layers[3].get_weights()
    expected = normed.reshape(3, -1) @ dense_kernel.T + dense_bias  # (units, in), as documented
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)
