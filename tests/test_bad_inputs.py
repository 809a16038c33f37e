"""CONVENTIONS.md section 4 as one parametrised test: every bad input raises the named exception
with a message that names the problem, and leaves the models and the files on disk unchanged."""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import data, datasets, nn, optim
from scratchnet.serialization import SerializationError, load, save


@dataclass
class World:
    """What a bad input could damage: models (with optimizer state) and files."""

    folder: Path
    mlp: nn.Module
    cnn: nn.Module
    files: dict[str, Path] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        models = {f"{name}.{key}": value.numpy().tobytes()
                  for name, model in (("mlp", self.mlp), ("cnn", self.cnn))
                  for key, value in model.state_dict().items()}
        modes = [m.training for model in (self.mlp, self.cnn) for m in model.modules()]
        files = {p.name: p.read_bytes() for p in sorted(self.folder.iterdir()) if p.is_file()}
        return {"models": models, "modes": modes, "files": files}


@pytest.fixture()
def world(tmp_path: Path) -> World:
    sn.manual_seed(0)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    cnn = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                        nn.Linear(2 * 4 * 4, 3), nn.BatchNorm1d(3))
    world = World(tmp_path, mlp, cnn)
    world.files["model"] = tmp_path / "model.safetensors"
    save(mlp, world.files["model"])
    content = world.files["model"].read_bytes()
    for name, blob in {"truncated": content[: len(content) // 2], "empty": b"",
                       "corrupted": content[:-3] + bytes(3 * [content[-1] ^ 0xFF]),
                       "pickle": pickle.dumps(MakesSentinel(tmp_path / "sentinel"))}.items():
        world.files[name] = tmp_path / f"{name}.safetensors"
        world.files[name].write_bytes(blob)
    return world


class MakesSentinel:
    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self):
        return (open, (str(self.sentinel), "w"))


def images(n: int = 4) -> np.ndarray:
    return np.random.default_rng(1).random((n, 1, 4, 4)).astype(np.float32)


def iterate(loader: Any) -> None:
    for _ in loader:
        pass


# ---- the actions, one per row --------------------------------------------------------------
def object_array_input(w):
    w.mlp(np.array([[object()] * 784], dtype=object))


def string_array_input(w):
    w.mlp(np.array([["x"] * 784]))


def complex_array_input(w):
    w.mlp(np.zeros((2, 784), dtype=np.complex64))


def wrong_feature_shape(w):
    w.mlp(np.zeros((64, 100), dtype=np.float32))


def mse_shape_mismatch(w):
    nn.MSELoss()(sn.zeros(4, 3), sn.zeros(4, 1))


def cross_entropy_target_count_mismatch(w):
    nn.CrossEntropyLoss()(sn.zeros(4, 3), np.array([0, 1, 2, 0, 1]))


def label_out_of_range(w):
    nn.CrossEntropyLoss()(sn.zeros(4, 10), np.array([1, 2, 10, 3]))


def negative_label(w):
    nn.CrossEntropyLoss()(sn.zeros(4, 10), np.array([-1, 2, 1, 3]))


def float_labels_to_sparse_cross_entropy(w):
    nn.CrossEntropyLoss()(sn.zeros(4, 10), np.array([0.5, 2.0, 1.0, 3.0], dtype=np.float32))


def nan_in_data(w):
    x = images(10)
    x[3, 0, 1, 2] = np.nan
    x[7, 0, 0, 0] = np.nan
    iterate(data.DataLoader(data.TensorDataset(x, np.zeros(10, np.int64)), batch_size=10))


def inf_in_data(w):
    x = images(10)
    x[5, 0, 2, 2] = np.inf
    iterate(data.DataLoader(data.TensorDataset(x, np.zeros(10, np.int64)), batch_size=4))


def empty_dataset(w):
    data.DataLoader(data.TensorDataset(np.zeros((0, 3), np.float32), np.zeros(0, np.int64)), batch_size=2)


def x_y_length_mismatch(w):
    data.TensorDataset(np.zeros((30, 2), np.float32), np.zeros(50, np.int64))


def batchnorm_batch_of_one(w):
    w.cnn.train()
    w.cnn(images(1)[:, :, :1, :1])  # BatchNorm2d sees one value per channel


def optimizer_negative_lr(w):
    optim.SGD(w.mlp.parameters(), lr=-0.1)


def adam_negative_lr(w):
    optim.Adam(w.mlp.parameters(), lr=-1e-3)


def nesterov_without_momentum(w):
    optim.SGD(w.mlp.parameters(), lr=0.1, nesterov=True)


def dropout_p_above_one(w):
    nn.Dropout(1.5)


def dropout_p_negative(w):
    nn.Dropout(-0.1)


def conv_zero_stride(w):
    nn.Conv2d(1, 2, 3, stride=0)


def conv_kernel_larger_than_padded_input(w):
    nn.Conv2d(1, 2, 5, padding=0)(images(2)[:, :, :3, :3])


def pool_kernel_larger_than_input(w):
    nn.MaxPool2d(5)(images(2)[:, :, :3, :3])


def anomaly_in_forward(w):
    with sn.detect_anomaly():
        sn.log(sn.tensor([-1.0, 1.0], requires_grad=True))


def anomaly_in_backward(w):
    x = sn.tensor([0.0, 4.0], requires_grad=True)
    with sn.detect_anomaly():
        sn.sqrt(x).sum().backward()


def truncated_weight_file(w):
    load(w.files["truncated"])


def empty_weight_file(w):
    load(w.files["empty"])


def corrupted_weight_file(w):
    load(w.files["corrupted"])


def state_dict_of_another_architecture(w):
    state = {"1.weight": np.zeros((12, 784), np.float32), "2.bias": np.zeros(10, np.float32)}
    w.mlp.load_state_dict(state)


def pickle_weight_file(w):
    load(w.files["pickle"])


def missing_resume_path(w):
    load(w.folder / "checkpoints" / "epoch_3.safetensors")


def html_page_as_dataset_file(w):
    folder = w.folder / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"<!DOCTYPE html><html><body>Not Found</body></html>")
    try:
        datasets.load_fashion_mnist(root=w.folder / "datasets", download=False)
    finally:
        (folder / "train-images-idx3-ubyte.gz").unlink()


ROWS = [
    # (action, exception type(s), regular expressions the message must match)
    (object_array_input, TypeError, [r"dtype object"]),
    (string_array_input, TypeError, [r"dtype <U1"]),
    (complex_array_input, TypeError, [r"dtype complex64"]),
    (wrong_feature_shape, ValueError, [r"Linear", r"\(\*, 784\)", r"\(64, 100\)"]),
    (mse_shape_mismatch, ValueError, [r"\(4, 3\)", r"\(4, 1\)"]),
    (cross_entropy_target_count_mismatch, ValueError, [r"\(4, 3\)", r"\(5,\)"]),
    (label_out_of_range, ValueError, [r"label 10 out of range \[0, 10\) at index 2"]),
    (negative_label, ValueError, [r"label -1 out of range \[0, 10\) at index 0"]),
    (float_labels_to_sparse_cross_entropy, (TypeError, ValueError),
     [r"integer", r"to_categorical|probabilities"]),
    (nan_in_data, ValueError, [r"\b2\b[^.]*(NaN|non-finite)", r"\b3\b"]),
    (inf_in_data, ValueError, [r"\b1\b[^.]*(inf|non-finite)", r"\b5\b"]),
    (empty_dataset, ValueError, [r"num_samples=0|empty"]),
    (x_y_length_mismatch, ValueError, [r"Data cardinality is ambiguous", r"\b30\b", r"\b50\b"]),
    (batchnorm_batch_of_one, ValueError, [r"Expected more than 1 value per channel when training"]),
    (optimizer_negative_lr, ValueError, [r"Invalid learning rate: -0\.1"]),
    (adam_negative_lr, ValueError, [r"Invalid learning rate: -0\.001"]),
    (nesterov_without_momentum, ValueError, [r"[Nn]esterov", r"momentum"]),
    (dropout_p_above_one, ValueError, [r"\bp\b", r"1\.5"]),
    (dropout_p_negative, ValueError, [r"\bp\b", r"-0\.1"]),
    (conv_zero_stride, ValueError, [r"stride", r"\b0\b"]),
    (conv_kernel_larger_than_padded_input, ValueError, [r"kernel", r"larger"]),
    (pool_kernel_larger_than_input, ValueError, [r"kernel", r"larger"]),
    (anomaly_in_forward, FloatingPointError, [r"(?i)\blog\b", r"forward"]),
    (anomaly_in_backward, FloatingPointError, [r"(?i)\bsqrt\b", r"backward"]),
    (truncated_weight_file, SerializationError,
     [r"truncated\.safetensors: truncated \(expected [\d,]+ bytes, found [\d,]+\)"]),
    (empty_weight_file, SerializationError, [r"empty\.safetensors: empty file"]),
    (corrupted_weight_file, SerializationError, [r"corrupted\.safetensors: corrupted \(checksum mismatch"]),
    (state_dict_of_another_architecture, ValueError,
     [r'Missing key\(s\) in state_dict: "1\.bias"', r'Unexpected key\(s\) in state_dict: "2\.bias"',
      r"size mismatch for 1\.weight: .*\(12, 784\).*\(10, 784\)"]),
    (pickle_weight_file, SerializationError, [r"pickle\.safetensors: not a scratchnet file"]),
    (missing_resume_path, FileNotFoundError, [r"epoch_3\.safetensors"]),
    (html_page_as_dataset_file, ValueError, [r"train-images-idx3-ubyte", r"HTML"]),
]


@pytest.mark.parametrize("action, exception, patterns", ROWS, ids=[row[0].__name__ for row in ROWS])
def test_bad_input_raises_a_named_error_and_changes_nothing(world, action, exception, patterns):
    before = world.snapshot()
    with pytest.raises(exception) as error:
        action(world)
    message = str(error.value)
    for pattern in patterns:
        assert re.search(pattern, message), f"message {message!r} does not match {pattern!r}"
    assert world.snapshot() == before
    assert not (world.folder / "sentinel").exists()


def test_float64_and_integer_inputs_are_cast_to_the_parameter_dtype(world):
    """The first row of the table: not an error; float64 and uint8 inputs are cast to float32."""
    x = images(3)
    expected = world.cnn.eval()(x).numpy()
    for variant in (x.astype(np.float64), sn.tensor(x.astype(np.float64))):
        output = world.cnn(variant)
        assert output.dtype == np.float32
        np.testing.assert_allclose(output.numpy(), expected, rtol=1e-6)
    assert world.cnn((x * 255).astype(np.uint8)).dtype == np.float32


def test_strict_false_reports_missing_and_unexpected_keys(world):
    other = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.Linear(10, 2))
    result = world.mlp.load_state_dict(other.state_dict(), strict=False)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == ["2.weight", "2.bias"]
