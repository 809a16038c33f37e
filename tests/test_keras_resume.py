"""Keras ``model.save`` stores the optimizer state and ``load_model`` returns a compiled model that
continues training bitwise as an uninterrupted run, across a new process (issue 17, item 5)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import keras
from scratchnet.serialization import SerializationError, load, save

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import scratchnet as sn
    from scratchnet import keras

    mode, folder, optimizer = sys.argv[1], sys.argv[2], sys.argv[3]
    generator = np.random.default_rng(7)
    x = generator.normal(size=(96, 6)).astype(np.float32)
    y = generator.integers(0, 3, 96)

    def fresh():
        sn.manual_seed(0)
        model = keras.Sequential([keras.layers.Dense(16, activation="relu", input_shape=(6,)),
                                  keras.layers.Dropout(0.2), keras.layers.Dense(3, activation="softmax")])
        chosen = {"adam": keras.optimizers.Adam(0.01),
                  "sgd": keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                  "rmsprop": keras.optimizers.RMSprop(0.01, momentum=0.5)}[optimizer]
        model.compile(optimizer=chosen, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    if mode == "full":
        model = fresh()
        history = model.fit(x, y, batch_size=16, epochs=5, verbose=0)
    elif mode == "first":
        model = fresh()
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        model.save(f"{folder}/model.safetensors")
        sn.save(sn.get_rng_state(), f"{folder}/rng.safetensors")  # the shuffle order, not Keras's
    else:
        model = keras.models.load_model(f"{folder}/model.safetensors", compile=mode == "rest")
        if mode == "rest-without-optimizer-state":
            model.compile(optimizer=fresh().optimizer, loss="sparse_categorical_crossentropy")
        sn.set_rng_state(sn.load(f"{folder}/rng.safetensors"))
        history = model.fit(x, y, batch_size=16, epochs=5, initial_epoch=2, verbose=0)
    sn.save({"weights": {k: v.numpy() for k, v in model.state_dict().items()},
             "loss": history.history["loss"]}, f"{folder}/{mode}.safetensors")
""")


def run(mode: str, folder: Path, optimizer: str) -> None:
    subprocess.run([sys.executable, "-c", SCRIPT, mode, str(folder), optimizer], check=True, timeout=120,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_load_model_then_fit_initial_epoch_equals_the_uninterrupted_run_bitwise(tmp_path, optimizer):
    for mode in ("full", "first", "rest", "rest-without-optimizer-state"):
        run(mode, tmp_path, optimizer)
    full, rest = load(tmp_path / "full.safetensors"), load(tmp_path / "rest.safetensors")
    without = load(tmp_path / "rest-without-optimizer-state.safetensors")
    assert full["loss"][2:] == rest["loss"]
    for key, value in full["weights"].items():
        assert value.tobytes() == rest["weights"][key].tobytes(), key
    assert any(value.tobytes() != without["weights"][key].tobytes() for key, value in full["weights"].items())


def compiled_model() -> keras.Model:
    sn.manual_seed(0)
    model = keras.Sequential([keras.layers.Dense(3, input_shape=(4,))])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse", metrics=["mae"])
    model.fit(np.ones((8, 4), np.float32), np.zeros((8, 3), np.float32), epochs=1, verbose=0)
    return model


def test_load_model_restores_the_compile_configuration_and_optimizer(tmp_path):
    model = compiled_model()
    model.save(tmp_path / "m.safetensors")
    loaded = keras.models.load_model(tmp_path / "m.safetensors")
    assert type(loaded.optimizer) is keras.optimizers.Adam and loaded.optimizer.learning_rate == 0.02
    assert loaded.optimizer.iterations == model.optimizer.iterations == 1
    assert type(loaded.loss).__name__ == "MeanSquaredError" and loaded.metrics_names == ["loss", "mae"]
    saved = model.optimizer.optimizer.state_dict()["state"]
    for index, state in loaded.optimizer.optimizer.state_dict()["state"].items():
        np.testing.assert_array_equal(state["exp_avg"], saved[index]["exp_avg"])
    assert keras.models.load_model(tmp_path / "m.safetensors", compile=False).optimizer is None


def test_a_model_with_a_function_loss_comes_back_uncompiled(tmp_path):
    sn.manual_seed(0)
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(2,))])
    model.compile(optimizer="sgd", loss=lambda y_true, y_pred: ((y_pred - y_true) ** 2).mean())
    model.save(tmp_path / "m.safetensors")
    assert keras.models.load_model(tmp_path / "m.safetensors").optimizer is None


@pytest.mark.parametrize("mutate", [
    lambda c: c.update(compile={"optimizer": "adam"}),
    lambda c: c["compile"].update(optimizer={"class_name": "Evil", "config": {}}),
    lambda c: c["compile"].update(loss={"class_name": "MeanSquaredError", "config": {"bad": 1}}),
    lambda c: c["compile"].update(metrics=["no-such-metric"]),
    lambda c: c.update(optimizer={"iterations": -1, "state": {}}),
    lambda c: c["optimizer"].update(state={"state": {0: {"step": "x"}}, "param_groups": []}),
    lambda c: c["optimizer"]["state"]["param_groups"][0].update(lr="fast"),
    lambda c: c.update(keras_model=[1, 2]),
])
def test_malformed_compile_entries_raise_the_named_error(tmp_path, mutate):
    path = tmp_path / "m.safetensors"
    compiled_model().save(path)
    contents = load(path)
    mutate(contents)
    save(contents, path)
    with pytest.raises(SerializationError, match="m.safetensors: "):
        keras.models.load_model(path)
