"""Keras 3's file formats: ``.keras`` archives and ``.weights.h5`` files written by real Keras 3
(tests/fixtures/keras3, made by its make_fixtures.py with Keras 3.15.1) load here and predict what
real Keras predicted; ours have Keras's layout and round-trip; legacy ``.h5`` model files are
refused with the alternatives named. Reading our files with real Keras needs a Python with Keras
3: set SCRATCHNET_KERAS_PYTHON to it (``python -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install
keras h5py torch==2.13.0``) to run that test too."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import keras

h5py = pytest.importorskip("h5py", reason="the Keras .h5 formats need h5py (the 'h5' extra; CI installs it)")

FIXTURES = Path(__file__).parent / "fixtures" / "keras3"


@pytest.fixture(autouse=True)
def fresh_session():
    keras.backend.clear_session()
    sn.manual_seed(0)


def fixture_cnn() -> keras.Sequential:
    """The architecture of the fixture, built here (names equal Keras's in a fresh session)."""
    return keras.Sequential([
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax", kernel_regularizer=keras.regularizers.l2(0.01)),
    ])


def keras_predictions() -> tuple[np.ndarray, np.ndarray]:
    return np.load(FIXTURES / "x.npy"), np.load(FIXTURES / "keras_predictions.npy")


def test_real_keras_archive_loads_and_predicts_what_keras_predicted():
    x, expected = keras_predictions()
    model = keras.saving.load_model(FIXTURES / "cnn.keras")
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "BatchNormalization", "MaxPooling2D", "Flatten", "Dropout", "Dense"]
    assert model.input_shape == (None, 8, 8, 1) and model.count_params() == 40 + 16 + 650
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    assert model.layers[-1].kernel_regularizer is not None  # the L2 penalty came along


def test_real_keras_weights_file_loads_into_the_same_architecture():
    x, expected = keras_predictions()
    model = fixture_cnn()
    model.load_weights(FIXTURES / "cnn.weights.h5")
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_our_weights_file_has_keras_layout_and_round_trips(tmp_path):
    x, _ = keras_predictions()
    model = fixture_cnn()
    model.save_weights(tmp_path / "ours.weights.h5")
    with h5py.File(tmp_path / "ours.weights.h5") as ours, h5py.File(FIXTURES / "cnn.weights.h5") as theirs:
        for name in ("conv2d", "batch_normalization", "dense"):
            group = f"layers/{name}/vars"
            assert ours[group].attrs["name"] == name
            assert [ours[group][k].shape for k in sorted(ours[group])] == \
                [theirs[group][k].shape for k in sorted(theirs[group])]
    keras.backend.clear_session()
    other = fixture_cnn()
    other.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


def test_our_archive_has_keras_members_and_round_trips(tmp_path):
    x, _ = keras_predictions()
    model = fixture_cnn()
    model.save(tmp_path / "ours.keras")
    with zipfile.ZipFile(tmp_path / "ours.keras") as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(archive.read("config.json"))
    assert config["class_name"] == "Sequential"
    assert [layer["class_name"] for layer in config["config"]["layers"]] == [
        "InputLayer", "Conv2D", "BatchNormalization", "MaxPooling2D", "Flatten", "Dropout", "Dense"]
    restored = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))


def test_weight_file_mismatches_leave_the_model_unchanged(tmp_path):
    x, _ = keras_predictions()
    small = keras.Sequential([keras.layers.Dense(3, input_shape=(4,))])
    before = small.get_weights()
    with pytest.raises(ValueError, match="has no weights for layer 'dense'|variable 0 of layer 'dense'"):
        small.load_weights(FIXTURES / "cnn.weights.h5")
    for now, then in zip(small.get_weights(), before):
        np.testing.assert_array_equal(now, then)
    (tmp_path / "junk.weights.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not a readable HDF5 weights file"):
        small.load_weights(tmp_path / "junk.weights.h5")


def test_legacy_and_misnamed_files_are_refused_with_the_alternatives(tmp_path):
    model = keras.Sequential([keras.layers.Dense(3, input_shape=(4,))])
    for name in ("m.h5", "m.hdf5"):
        with pytest.raises(ValueError, match=r"legacy Keras 2 HDF5.*'\.weights\.h5'.*'\.keras'.*'\.safe"):
            model.save(tmp_path / name)
        with pytest.raises(ValueError, match="legacy Keras 2 HDF5 format for weights"):
            model.save_weights(tmp_path / name)
    with pytest.raises(ValueError, match="names a weights file: use model.save_weights"):
        model.save(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match="a .keras file holds a whole model"):
        model.save_weights(tmp_path / "w.keras")
    assert not list(tmp_path.iterdir())  # nothing half-written

    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    custom = Custom()
    custom(np.ones((1, 3)))
    with pytest.raises(ValueError, match="subclassed Custom.*safetensors"):
        custom.save(tmp_path / "custom.keras")


def test_archive_with_an_unsupported_layer_option_is_refused(tmp_path):
    with zipfile.ZipFile(FIXTURES / "cnn.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][2]["config"]["renorm"] = True  # BatchNormalization
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "renorm.keras", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="has renorm=True, which scratchnet's layer does not support"):
        keras.saving.load_model(tmp_path / "renorm.keras")


def test_register_keras_serializable_lets_a_custom_layer_load(tmp_path):
    @keras.saving.register_keras_serializable(package="tests")
    class Scale(keras.layers.Layer):
        def __init__(self, factor=1.0, name=None):
            super().__init__(name=name)
            self.factor = factor

        def forward(self, inputs):
            return inputs * self.factor

    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,)), Scale(3.0)])
    x = np.ones((2, 3), dtype=np.float32)
    keras.saving.save_model(model, tmp_path / "scaled.safetensors")
    restored = keras.saving.load_model(tmp_path / "scaled.safetensors")
    assert type(restored.layers[1]) is Scale and restored.layers[1].factor == 3.0
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))


@pytest.mark.skipif(not os.environ.get("SCRATCHNET_KERAS_PYTHON"),
                    reason="set SCRATCHNET_KERAS_PYTHON to a Python with Keras 3 to check that real Keras "
                           "reads our files")
def test_real_keras_reads_our_archive_and_weights(tmp_path):
    x, _ = keras_predictions()
    model = fixture_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, np.arange(16) % 10, epochs=2, verbose=0)
    model.save(tmp_path / "ours.keras")
    model.save_weights(tmp_path / "ours.weights.h5")
    np.save(tmp_path / "ours.npy", model.predict(x))
    script = textwrap.dedent(f"""
        import os
        os.environ.setdefault("KERAS_BACKEND", "torch")
        import keras, numpy as np
        x, ours = np.load({str(FIXTURES / 'x.npy')!r}), np.load({str(tmp_path / 'ours.npy')!r})
        loaded = keras.saving.load_model({str(tmp_path / 'ours.keras')!r})
        assert np.allclose(loaded.predict(x, verbose=0), ours, atol=1e-5)
        built = keras.saving.load_model({str(FIXTURES / 'cnn.keras')!r})
        built.load_weights({str(tmp_path / 'ours.weights.h5')!r})
        assert np.allclose(built.predict(x, verbose=0), ours, atol=1e-5)
        print("ok")
    """)
    result = subprocess.run([os.environ["SCRATCHNET_KERAS_PYTHON"], "-c", script], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-3000:]
