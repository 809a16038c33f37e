"""The plots: each writes a non-empty PNG, for nn and Keras models alike, and shows what it says."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import keras, nn, viz

pytest.importorskip("matplotlib")


def _png(path) -> bytes:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    return data


def test_plot_history_draws_each_metric_with_validation(tmp_path):
    history = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.8]}
    figure = viz.plot_history(history, str(tmp_path / "curves.png"))
    _png(tmp_path / "curves.png")
    assert [axis.get_title() for axis in figure.axes] == ["loss", "accuracy"]
    assert len(figure.axes[0].lines) == 2 and len(figure.axes[1].lines) == 1


def test_filters_and_feature_maps_of_an_nn_model(tmp_path):
    sn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    figure = viz.plot_filters(model[0], str(tmp_path / "filters.png"))
    _png(tmp_path / "filters.png")
    assert sum(1 for axis in figure.axes if axis.images) == 6
    image = np.random.default_rng(0).random((1, 8, 8)).astype(np.float32)
    figure = viz.plot_feature_maps(model, 0, image, str(tmp_path / "maps.png"))
    _png(tmp_path / "maps.png")
    shown = [axis.images[0].get_array() for axis in figure.axes if axis.images]
    expected = model[0](sn.tensor(image[None])).numpy()[0]
    assert len(shown) == 6
    np.testing.assert_allclose(np.asarray(shown[2]), expected[2], rtol=1e-6)


def test_filters_and_feature_maps_of_a_keras_model_are_per_channel(tmp_path):
    sn.manual_seed(0)
    model = keras.Sequential([keras.layers.Conv2D(4, 3, padding="same", input_shape=(8, 8, 1))])
    viz.plot_filters(model.layers[0], str(tmp_path / "filters.png"))
    _png(tmp_path / "filters.png")
    image = np.random.default_rng(1).random((8, 8, 1)).astype(np.float32)
    figure = viz.plot_feature_maps(model, model.layers[0], image, str(tmp_path / "maps.png"))
    shown = [np.asarray(axis.images[0].get_array()) for axis in figure.axes if axis.images]
    assert len(shown) == 4 and shown[0].shape == (8, 8)
    expected = model(image[None]).numpy()[0, :, :, 3]
    np.testing.assert_allclose(shown[3], expected, rtol=1e-6)


def test_plot_images_titles_prediction_over_label(tmp_path):
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    figure = viz.plot_images(images, labels=[1, 2, 3], predictions=[1, 0, 3], path=str(tmp_path / "i.png"))
    _png(tmp_path / "i.png")
    assert [axis.get_title() for axis in figure.axes if axis.images] == ["1/1", "0/2", "3/3"]


def test_plot_filters_refuses_a_layer_without_kernels():
    with pytest.raises(ValueError, match="4-D weight"):
        viz.plot_filters(nn.Linear(3, 2))
