"""keras.applications' VGG16 and ResNet50: Keras's layer names and parameter counts (the totals
Keras documents: VGG16 138,357,544 with the top and 14,714,688 without; ResNet50 25,636,712, of
which 53,120 are batch norms' moving statistics) and the arguments' behaviour."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import keras
from tests.test_models_vision import _NoDraws


def summary_totals(model):
    lines = []
    model.summary(print_fn=lines.append)
    return [line for line in lines if line.endswith("params: " + line.split(": ")[-1]) and "params" in line]


def test_vgg16_has_keras_parameter_count_with_and_without_top(monkeypatch):
    monkeypatch.setattr(sn.backend, "generator", lambda: _NoDraws())  # shapes only: no 100 M draws
    features = 14_714_688
    assert keras.applications.VGG16(include_top=False, input_shape=(32, 32, 3)).count_params() == features
    model = keras.applications.VGG16(weights=None, input_shape=(32, 32, 3))  # 1x1x512 before the top
    top = (512 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)
    assert model.count_params() == features + top
    assert [layer.name for layer in model.layers][-4:] == ["flatten", "fc1", "fc2", "predictions"]
    # at the default 224x224x3 the flattened features are 7x7x512 wide: Keras's documented total
    assert features + top + (7 * 7 - 1) * 512 * 4096 == 138_357_544


def test_resnet50_has_keras_parameter_counts_names_and_output():
    model = keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3))
    assert summary_totals(model) == ["Total params: 25,636,712", "Trainable params: 25,583,592",
                                     "Non-trainable params: 53,120"]
    names = [layer.name for layer in model.layers]
    assert names[1:5] == ["conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu"]
    assert {"conv2_block1_0_conv", "conv4_block6_add", "conv5_block3_out", "avg_pool"} <= set(names)
    assert names[-1] == "predictions"
    probabilities = model.predict(np.random.default_rng(0).random((2, 32, 32, 3)).astype(np.float32))
    assert probabilities.shape == (2, 1000)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_options_without_top_and_with_other_classes(monkeypatch):
    monkeypatch.setattr(sn.backend, "generator", lambda: _NoDraws())  # shapes only
    small = keras.applications.VGG16(input_shape=(32, 32, 1), classes=7, classifier_activation=None)
    assert small.predict(np.zeros((1, 32, 32, 1), np.float32)).shape == (1, 7)
    inputs = keras.Input(shape=(32, 32, 3))
    features = keras.applications.ResNet50(include_top=False, input_tensor=inputs, pooling="avg")
    assert features.predict(np.zeros((1, 32, 32, 3), np.float32)).shape == (1, 2048)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: keras.applications.VGG16(weights="imagenet"), "bundles no pretrained weights"),
    (lambda: keras.applications.ResNet50(input_shape=(32, 32)), "input_shape must be"),
    (lambda: keras.applications.VGG16(include_top=False, input_shape=(32, 32, 3), pooling="max"),
     "pooling must be None or 'avg'"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
