"""Saving Keras models: ``model.save`` / ``keras.models.load_model`` round trips give identical
predictions (Sequential, lazily built, functional), and weights-only files."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import keras
from scratchnet.keras import layers


@pytest.fixture(autouse=True)
def fresh_session():
    keras.backend.clear_session()
    sn.manual_seed(0)


def images(n: int = 32):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 8, 8, 1)).astype(np.float32), rng.integers(0, 3, n)


def cnn(input_shape=(8, 8, 1)):
    return keras.Sequential([
        layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", input_shape=input_shape,
                      kernel_regularizer=keras.regularizers.l2(1e-3)),
        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Flatten(), layers.Dropout(0.3),
        layers.Dense(3, activation="softmax", kernel_initializer="he_uniform")])


def test_save_and_load_model_round_trip(tmp_path):
    x, y = images()
    model = cnn()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "model.keras")
    restored = keras.models.load_model(tmp_path / "model.keras")
    assert type(restored) is keras.Sequential
    assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))
    np.testing.assert_array_equal(restored.layers[1].bn.running_var.numpy(),
                                  model.layers[1].bn.running_var.numpy())
    restored.compile("adam", "sparse_categorical_crossentropy")
    restored.fit(x, y, epochs=1, verbose=0)  # trains again after loading


def test_lazily_built_model_saves(tmp_path):
    x, _ = images(4)
    model = cnn(input_shape=None)
    model(x)
    model.save(tmp_path / "lazy.keras")
    restored = keras.models.load_model(tmp_path / "lazy.keras")
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))


def test_functional_model_round_trip(tmp_path):
    inputs = keras.Input(shape=(5,))
    outputs = layers.Dense(2, activation="softmax")(layers.Dense(7, activation="tanh")(inputs))
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(1).normal(size=(6, 5))
    model.save(tmp_path / "functional.keras")
    restored = keras.models.load_model(tmp_path / "functional.keras")
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))


def test_weights_only_round_trip_and_errors(tmp_path):
    x, _ = images(4)
    model, other = cnn(), cnn()
    model.save_weights(tmp_path / "w.safetensors")
    assert not np.array_equal(other.predict(x), model.predict(x))
    other.load_weights(tmp_path / "w.safetensors")
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    sn.save({"not": "a model"}, tmp_path / "dict.sn")
    with pytest.raises(ValueError, match="does not hold a Keras model"):
        keras.models.load_model(tmp_path / "dict.sn")
    with pytest.raises(ValueError, match="not been built"):
        keras.Sequential([layers.Dense(2)]).save(tmp_path / "unbuilt.keras")
