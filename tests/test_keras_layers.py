"""Keras layers: parameter counts equal Keras's, channels-last convolution and pooling against
direct NumPy computations (TensorFlow's 'same' rule with strides), defaults and names."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import keras
from scratchnet.keras import layers


@pytest.fixture(autouse=True)
def fresh_session():
    keras.backend.clear_session()
    sn.manual_seed(0)


def summary_lines(model: keras.Model) -> list[str]:
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    return lines


def seed_004_cnn(dropout: bool = True) -> keras.Sequential:
    return keras.Sequential([
        layers.Conv2D(10, 3, padding="same", activation="relu", input_shape=(28, 28, 1)),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(100, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def test_seed_004_cnn_summary_counts_equal_keras():
    model = seed_004_cnn()
    assert [layer.count_params() for layer in model.layers] == [100, 0, 0, 0, 196_100, 1_010]
    lines = summary_lines(model)
    assert lines[0] == 'Model: "sequential"'
    assert "Total params: 197,210" in lines
    assert "Trainable params: 197,210" in lines
    assert "Non-trainable params: 0" in lines
    rows = {line.split()[0]: line for line in lines if line.startswith(" ") and "(None" in line}
    assert "(None, 28, 28, 10)" in rows["conv2d"] and rows["conv2d"].rstrip().endswith(" 100")
    assert "(None, 14, 14, 10)" in rows["max_pooling2d"]
    assert "(None, 1960)" in rows["flatten"]
    assert rows["dense"].rstrip().endswith("196,100") and "(None, 100)" in rows["dense"]
    assert rows["dense_1"].rstrip().endswith("1,010")


def test_seed_003_mlp_summary():
    model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(128, activation="relu"),
                              layers.Dropout(0.2), layers.Dense(10)])
    assert model.count_params() == 784 * 128 + 128 + 128 * 10 + 10
    assert "Total params: 101,770" in summary_lines(model)


@pytest.mark.parametrize("shape", [(6, 6, 3), (5,)])
def test_batch_normalization_counts_4c_with_2c_non_trainable(shape):
    channels = shape[-1]
    model = keras.Sequential([layers.BatchNormalization(input_shape=shape)])
    bn = model.layers[0]
    assert bn.count_params() == 4 * channels
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    lines = summary_lines(model)
    assert f"Non-trainable params: {2 * channels:,}" in lines
    assert f"Trainable params: {2 * channels:,}" in lines


def test_default_names_are_snake_case_with_counters():
    model = keras.Sequential([layers.Dense(2, input_shape=(3,)), layers.Dense(2), layers.BatchNormalization(),
                              layers.Dense(1)])
    assert [layer.name for layer in model.layers] == ["dense", "dense_1", "batch_normalization", "dense_2"]
    assert layers.MaxPooling2D().name == "max_pooling2d"
    assert layers.Conv2D(1, 1).name == "conv2d"
    assert keras.Sequential().name == "sequential_1"


def tf_same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def reference_conv_nhwc(x, kernel_fchw, bias, stride, padding):
    """Direct loops over output pixels:
    y[n, i, j, f] = b[f] + Σ x_pad[n, i·s + a, j·s + b, c]·W[f, c, a, b]."""
    kh, kw = kernel_fchw.shape[2:]
    if padding == "same":
        (top, bottom), (left, right) = (tf_same_padding(x.shape[1], kh, stride[0]),
                                        tf_same_padding(x.shape[2], kw, stride[1]))
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    out_h = (x.shape[1] - kh) // stride[0] + 1
    out_w = (x.shape[2] - kw) // stride[1] + 1
    y = np.zeros((x.shape[0], out_h, out_w, kernel_fchw.shape[0]))
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw, :]
            y[:, i, j, :] = np.einsum("nabc,fcab->nf", window, kernel_fchw)
    return y + bias


@pytest.mark.parametrize("size, kernel, stride, padding", [
    ((7, 7), 3, 1, "same"), ((7, 8), 3, 2, "same"), ((8, 8), 3, 2, "same"), ((6, 5), 2, 1, "same"),
    ((9, 9), (3, 2), (2, 3), "same"), ((7, 6), 3, 2, "valid"), ((5, 5), 4, 1, "same")])
def test_conv2d_channels_last_matches_direct_computation(size, kernel, stride, padding):
    x = np.random.default_rng(1).normal(size=(2, *size, 3))
    layer = layers.Conv2D(4, kernel, strides=stride, padding=padding, bias_initializer="random_normal")
    y = layer(x).numpy()
    conv = layer.conv
    strides = stride if isinstance(stride, tuple) else (stride, stride)
    kernel = conv.weight.numpy().astype(np.float64)
    expected = reference_conv_nhwc(x, kernel, conv.bias.numpy(), strides, padding)
    assert y.shape == expected.shape
    if padding == "same":
        assert y.shape[1:3] == tuple(math.ceil(s / t) for s, t in zip(size, strides))
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_conv2d_gradient_matches_finite_differences():
    x = np.random.default_rng(2).normal(size=(1, 5, 5, 2))
    layer = layers.Conv2D(2, 3, strides=2, padding="same")
    layer(np.zeros((1, 5, 5, 2)))
    layer.double()
    from tests.reference import check_gradients

    check_gradients(lambda t: layer(t), x)


def test_flatten_of_nhwc_is_in_h_w_c_order():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    np.testing.assert_array_equal(layers.Flatten()(x).numpy(), x.reshape(2, -1))
    assert layers.Reshape((4, 15))(x).shape == (2, 4, 15)


def test_max_and_average_pooling_on_channels_last():
    x = np.random.default_rng(3).normal(size=(2, 4, 6, 3)).astype(np.float32)
    windows = x.reshape(2, 2, 2, 3, 2, 3)
    np.testing.assert_allclose(layers.MaxPooling2D()(x).numpy(), windows.max(axis=(2, 4)))
    np.testing.assert_allclose(layers.AveragePooling2D()(x).numpy(), windows.mean(axis=(2, 4)), rtol=1e-6)
    np.testing.assert_allclose(layers.GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)), rtol=1e-6)


def test_pooling_same_padding_never_counts_the_padding():
    x = np.random.default_rng(4).normal(size=(1, 5, 5, 2)).astype(np.float32) - 10.0
    y_max = layers.MaxPooling2D(2, padding="same")(x).numpy()
    y_avg = layers.AveragePooling2D(2, padding="same")(x).numpy()
    assert y_max.shape == y_avg.shape == (1, 3, 3, 2)
    # TF pads 'same' at the bottom/right only here (total 1): the last window holds one pixel.
    np.testing.assert_allclose(y_max[0, 2, 2], x[0, 4, 4])
    np.testing.assert_allclose(y_avg[0, 2, 2], x[0, 4, 4], rtol=1e-6)
    np.testing.assert_allclose(y_avg[0, 0, 2], x[0, 0:2, 4].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(y_max[0, 1, 1], x[0, 2:4, 2:4].max(axis=(0, 1)))


def test_dense_keras_defaults():
    layer = layers.Dense(50)
    layer(np.zeros((1, 200), dtype=np.float32))
    weight, bias = layer.linear.weight.numpy(), layer.linear.bias.numpy()
    limit = math.sqrt(6 / (200 + 50))
    assert np.abs(weight).max() <= limit and np.abs(weight).max() > 0.9 * limit
    assert abs(weight.std() - limit / math.sqrt(3)) < 0.05 * limit
    np.testing.assert_array_equal(bias, 0.0)


def test_initializers_by_name_and_object():
    layer = layers.Dense(300, kernel_initializer=keras.initializers.RandomNormal(stddev=0.05),
                        bias_initializer="ones")
    layer(np.zeros((1, 400), dtype=np.float32))
    assert abs(layer.linear.weight.numpy().std() - 0.05) < 0.002
    np.testing.assert_array_equal(layer.linear.bias.numpy(), 1.0)
    he = layers.Dense(300, kernel_initializer="he_normal")
    he(np.zeros((1, 400), dtype=np.float32))
    std = math.sqrt(2 / 400) / 0.87962566103423978
    assert np.abs(he.linear.weight.numpy()).max() <= 2 * std + 1e-7  # truncated at 2σ
    assert abs(he.linear.weight.numpy().std() - math.sqrt(2 / 400)) < 0.03 * math.sqrt(2 / 400)
    with pytest.raises(ValueError, match="unknown initializer"):
        layers.Dense(2, kernel_initializer="glorot_unifrom")


def test_activations_by_name_or_callable():
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(2, 6)
    np.testing.assert_allclose(layers.Activation("tanh")(x).numpy(), np.tanh(x), rtol=1e-6)
    np.testing.assert_allclose(layers.Activation(keras.activations.sigmoid)(x).numpy(), 1 / (1 + np.exp(-x)),
                               rtol=1e-6)
    softmax = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    np.testing.assert_allclose(layers.Softmax()(x).numpy(), softmax, rtol=1e-5)
    np.testing.assert_allclose(layers.ReLU()(x).numpy(), np.maximum(x, 0))
    dense = layers.Dense(3, activation=lambda t: t * 2.0, use_bias=False)
    np.testing.assert_allclose(dense(x).numpy(), 2 * x @ dense.linear.weight.numpy().T, rtol=1e-5)
    with pytest.raises(ValueError, match="unknown activation"):
        layers.Dense(2, activation="relux")


def test_batch_normalization_uses_keras_momentum_and_epsilon():
    x = np.random.default_rng(5).normal(2.0, 3.0, size=(16, 4, 4, 3)).astype(np.float32)
    bn = layers.BatchNormalization()
    y = bn(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    # moving = 0.99·moving + 0.01·batch (moving mean starts at 0)
    np.testing.assert_allclose(bn.bn.running_mean.numpy(), 0.01 * mean, rtol=1e-5)
    y_inference = bn(x).numpy()  # training=None: inference mode, moving statistics
    moving_var = bn.bn.running_var.numpy()
    np.testing.assert_allclose(y_inference, (x - 0.01 * mean) / np.sqrt(moving_var + 1e-3), rtol=1e-4,
                               atol=1e-4)


def test_dropout_is_off_at_inference_and_scales_in_training():
    x = np.ones((200, 50), dtype=np.float32)
    drop = layers.Dropout(0.5)
    np.testing.assert_array_equal(drop(x).numpy(), x)
    y = drop(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6


def test_wrong_feature_size_names_the_layer():
    model = keras.Sequential([layers.Dense(4, input_shape=(8,)), layers.Dense(2)])
    with pytest.raises(ValueError, match='layer "dense".*expected axis -1.*8.*\\(3, 5\\)'):
        model(np.zeros((3, 5), dtype=np.float32))


def test_conv2d_rejects_images_without_channel_axis():
    with pytest.raises(ValueError, match="channels-last"):
        layers.Conv2D(2, 3)(np.zeros((2, 8, 8), dtype=np.float32))


def test_custom_layer_with_add_weight_and_call():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.add_weight("scale", shape=(input_shape[-1],), initializer="ones")
            self.add_weight("count", shape=(), initializer="zeros", trainable=False)

        def call(self, inputs):
            return inputs * self.scale

    model = keras.Sequential([Scale(input_shape=(3,)), layers.Dense(2)])
    scale = model.layers[0]
    assert scale.count_params() == 4 and len(scale.trainable_weights) == 1
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(model(x).numpy(), x @ model.layers[1].kernel.numpy().T, rtol=1e-6)
