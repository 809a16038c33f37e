"""Hostile model files: loading never allocates more than the file justifies, and every bad file
raises ``SerializationError`` naming it (issue 17, items 1 and 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import nn
from scratchnet.serialization import SerializationError, load
from scratchnet.serialization.structure import MAX_MODULES
from tests.test_serialization_safety import write_raw, write_signed

ROOT = Path(__file__).resolve().parents[1]


def module(cls: str, where: str, state: list | None = None, **args: object) -> dict:
    """A ``$module`` node naming ``cls`` with ``args`` and the given state entries."""
    return {"$module": {"class": cls, "module": where, "args": args}, "state": state or [], "eval": []}


def keras_dense(units: int, inputs: int) -> dict:
    """A Keras ``Sequential([Dense(units, input_shape=(inputs,))])`` with no weights stored."""
    dense = {"$module": {"class": "Dense", "module": "scratchnet.keras.layers.core",
                         "args": {"units": units, "input_shape": {"$tuple": [inputs]}, "name": "dense"}}}
    return module("Sequential", "scratchnet.keras.models", layers=[dense], name="sequential")


def keras_flatten(height: int, width: int) -> dict:
    """A weightless Keras model of ``(height, width)`` inputs (its build runs an empty batch: it loads
    without allocating)."""
    flatten = {"$module": {"class": "Flatten", "module": "scratchnet.keras.layers.core",
                           "args": {"input_shape": {"$tuple": [height, width]}, "name": "flatten"}}}
    return module("Sequential", "scratchnet.keras.models", layers=[flatten], name="sequential")


def keras_stack(input_shape: tuple[int, ...], *layers: tuple[str, str, dict]) -> dict:
    """A Keras ``Sequential`` of ``(class, module, args)`` layers, the first given ``input_shape``,
    with no weights stored: building it runs a sample through every layer."""
    nodes = []
    for index, (cls, where, args) in enumerate(layers):
        extra = {"input_shape": {"$tuple": list(input_shape)}} if index == 0 else {}
        nodes.append({"$module": {"class": cls, "module": f"scratchnet.keras.layers.{where}",
                                  "args": {**args, **extra, "name": f"layer{index}"}}})
    return module("Sequential", "scratchnet.keras.models", layers=nodes, name="sequential")


HOSTILE = {
    "linear-16384": module("Linear", "scratchnet.nn.linear", in_features=16384, out_features=16384),
    "lstm-8192": module("LSTM", "scratchnet.nn.recurrent", input_size=8192, hidden_size=8192),
    "keras-dense-16384": keras_dense(16384, 16384),
    "batchnorm-2**28": module("BatchNorm1d", "scratchnet.nn.normalization", num_features=2 ** 28),
    "layernorm-16384x16384": module("LayerNorm", "scratchnet.nn.normalization",
                                    normalized_shape={"$tuple": [16384, 16384]}),
    "embedding-2**24x64": module("Embedding", "scratchnet.nn.embedding", num_embeddings=2 ** 24,
                                 embedding_dim=64),
    "conv-1024x1024x9x9": module("Conv2d", "scratchnet.nn.conv", in_channels=1024, out_channels=1024,
                                 kernel_size=9),
    "keras-sample-8192x8192": keras_flatten(8192, 8192),
    # small weights, huge outputs: a 1x1 convolution to 8000 channels of a 64x256 image (500 MB)
    "keras-conv-outputs": keras_stack((64, 256, 1), ("Conv2D", "convolutional",
                                                     {"filters": 8000, "kernel_size": 1})),
    # Dense acts on the last axis: 4096 rows of 1 become 4096 rows of 4096 (67 MB)
    "keras-dense-outputs": keras_stack((4096, 1), ("Dense", "core", {"units": 4096})),
    "linear-with-tiny-state": module("Linear", "scratchnet.nn.linear", [["weight", "w"]],
                                     in_features=16384, out_features=16384, bias=False),
    "many-linears": module("Sequential", "scratchnet.nn.containers", args={"$tuple": [
        {"$module": {"class": "Linear", "module": "scratchnet.nn.linear",
                     "args": {"in_features": 4096, "out_features": 4096}}}] * 4}),
}


def write_hostile(folder: Path) -> dict[str, Path]:
    """Every hostile file of ``HOSTILE`` (all under 1 kB), written with a valid digest."""
    paths = {}
    for name, structure in HOSTILE.items():
        paths[name] = folder / f"{name}.safetensors"
        write_signed(paths[name], structure, {"w": np.zeros((2, 2), np.float32)})
    return paths


PEAK_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import scratchnet as sn
    from scratchnet import keras  # imported before the baseline: its layers are allow-listed
    from scratchnet.serialization import SerializationError

    def peak():
        # VmHWM, the peak resident set of this process image (ru_maxrss would start at the
        # forking parent's, as Linux keeps it across execve)
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    sn.load(sys.argv[1])  # a valid file first: the loader's own code paths are warm
    baseline, report = peak(), {}
    for path in sys.argv[2:]:
        try:
            sn.load(path)
            report[path] = "loaded"
        except SerializationError as error:
            report[path] = str(error)
    after = peak()
    control = np.ones(100 * 2 ** 20, np.uint8)  # 100 MB: proves the measure sees an allocation
    print(json.dumps({"increase": after - baseline, "control": peak() - after, "report": report}))
""")


def test_hostile_files_under_1kb_raise_peak_rss_by_less_than_50mb(tmp_path):
    paths = write_hostile(tmp_path)
    assert all(path.stat().st_size < 1024 for path in paths.values())
    valid = tmp_path / "valid.safetensors"
    sn.save(nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)), valid)
    result = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(valid), *map(str, paths.values())],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    assert measured["control"] > 50 * 2 ** 20, measured  # the same measure would catch a 50 MB rise
    assert measured["increase"] < 50 * 2 ** 20, measured
    assert measured["report"].pop(str(paths["keras-sample-8192x8192"])) == "loaded"  # builds on no data
    for name, path in paths.items():
        if name == "keras-sample-8192x8192":
            continue
        message = measured["report"][str(path)]
        assert message.startswith(str(path)), (name, message)
        assert any(word in message for word in ("justify", "truncated", "Missing key")), (name, message)


CUSTOM_LAYER_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import scratchnet as sn
    from scratchnet import keras
    from scratchnet.serialization import SerializationError

    @sn.register_module
    class Square(keras.layers.Layer):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (self.units, self.units), "ones")

        def call(self, inputs):
            return inputs @ self.kernel

    def peak():
        with open("/proc/self/status") as status:
            return int(next(line for line in status if line.startswith("VmHWM:")).split()[1]) * 1024

    baseline = peak()
    try:
        sn.load(sys.argv[1])
        outcome = "loaded"
    except SerializationError as error:
        outcome = str(error)
    print(json.dumps({"increase": peak() - baseline, "outcome": outcome}))
""")


def test_a_registered_custom_layer_is_held_to_the_budget_too(tmp_path):
    options = {"$dict": [["input_shape", {"$tuple": [16384]}], ["name", "square"]]}
    square = {"$module": {"class": "Square", "module": "__main__",
                          "args": {"units": 16384, "kwargs": options}}}
    path = tmp_path / "square.safetensors"
    write_signed(path, module("Sequential", "scratchnet.keras.models", layers=[square], name="sequential"))
    result = subprocess.run([sys.executable, "-c", CUSTOM_LAYER_SCRIPT, str(path)], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    assert "Square.kernel of shape (16384, 16384)" in measured["outcome"], measured
    assert measured["increase"] < 50 * 2 ** 20, measured


def test_the_budget_names_the_layer_and_the_elements(tmp_path):
    path = write_hostile(tmp_path)["linear-16384"]
    with pytest.raises(SerializationError, match=r"Linear\.weight of shape \(16384, 16384\) needs "
                                                 r"268,435,456 elements, more than the file's tensors"):
        load(path)


def test_honest_models_of_every_kind_still_load(tmp_path):
    from scratchnet import keras

    sn.manual_seed(0)
    models = {"nn": nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(),
                                  nn.LayerNorm(4 * 26 * 26), nn.Linear(4 * 26 * 26, 3)),
              "rnn": nn.LSTM(5, 7, num_layers=2),
              "embedding": nn.Embedding(100, 8),
              "keras": keras.Sequential([keras.layers.Conv2D(4, 3, input_shape=(64, 64, 1)),
                                         keras.layers.BatchNormalization(), keras.layers.Flatten(),
                                         keras.layers.Dense(10)])}
    for name, model in models.items():
        path = tmp_path / f"{name}.safetensors"
        sn.save(model, path)
        loaded = load(path)
        for key, value in model.state_dict().items():
            np.testing.assert_array_equal(loaded.state_dict()[key].numpy(), value.numpy())


def relu_file(path: Path, count: int) -> None:
    """An ``nn.Sequential`` of ``count`` ReLUs (200,000 of them are 17 MB)."""
    relu = {"$module": {"class": "ReLU", "module": "scratchnet.nn.activation", "args": {"inplace": False}}}
    write_signed(path, module("Sequential", "scratchnet.nn.containers", args={"$tuple": [relu] * count}))


def test_200k_relus_are_refused_at_once(tmp_path):
    path = tmp_path / "relus.safetensors"
    relu_file(path, 200_000)
    assert path.stat().st_size > 15_000_000
    with pytest.raises(SerializationError, match=f"refusing to rebuild more than {MAX_MODULES:,} modules"):
        load(path)


def test_a_thousand_modules_still_load(tmp_path):
    path = tmp_path / "relus.safetensors"
    relu_file(path, 1000)
    assert len(load(path)) == 1000


# ---- item 2: every malformed file raises SerializationError naming it ---------------------
@pytest.mark.parametrize("shape", [[0, 2 ** 64], [0, 2 ** 63], [2 ** 40, 0, 2 ** 40], [1] * 65])
def test_impossible_shapes_are_refused_naming_the_file(tmp_path, shape):
    path = tmp_path / "shape.safetensors"
    write_raw(path, {"x": {"dtype": "F32", "shape": shape, "data_offsets": [0, 0]}})
    with pytest.raises(SerializationError, match=r"shape\.safetensors: corrupted header \(tensor 'x' has"):
        load(path)


@pytest.mark.parametrize("structure", [
    {"$float": ["nan"]}, {"$dtype": ["float32"]}, {"$dtype": {"a": 1}}, {"$array": [["x"]]},
    {"$dict": [[["key"], 1]]}, {"$scalar": ["x"]}, {"$tuple": {"a": 1}},
    module(["Linear"], ["scratchnet.nn.linear"]),
    module("Linear", "scratchnet.nn.linear", [[["weight"], "x"]]),
    {"$module": {"class": "Linear", "module": "scratchnet.nn.linear", "args": [1, 2]}, "state": [],
     "eval": []},
    {"$module": {"class": "Linear", "module": "scratchnet.nn.linear", "args": {"in_features": 2,
                 "out_features": 2}}, "state": [], "eval": [["0"]]},
])
def test_lists_and_objects_in_the_wrong_place_are_refused_naming_the_file(tmp_path, structure):
    path = tmp_path / "list.safetensors"
    write_signed(path, structure, {"x": np.zeros(1)})
    with pytest.raises(SerializationError, match=r"list\.safetensors: "):
        load(path)


def test_a_fifo_is_refused_at_once_instead_of_blocking(tmp_path):
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            load(fifo)
        except BaseException as error:  # noqa: BLE001 (reported to the main thread)
            outcome.append(error)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock the reader so that the test process can end
        with open(fifo, "wb"):
            pass
        pytest.fail("sn.load blocked on a FIFO")
    assert isinstance(outcome[0], SerializationError) and "not a regular file" in str(outcome[0])


def test_a_folder_is_refused_naming_it(tmp_path):
    with pytest.raises(SerializationError, match="not a regular file"):
        load(tmp_path)
