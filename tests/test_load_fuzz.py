"""Seeded mutation fuzzing of valid files, digest kept valid (what an attacker who knows the format
writes): ``sn.load``, Keras ``load_model``, the CLI's checkpoint restore and the restore of
optimizer, scheduler and RNG states only ever raise the documented errors (issue 17, acceptance).

Documented: ``SerializationError`` from loading a file (and from ``load_model`` and the run
checkpoint, which name the file); ``ValueError`` from ``load_state_dict`` and ``set_rng_state``,
which are given objects, not files.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import cli, keras, nn, optim, runs
from scratchnet.serialization import SerializationError, load, save
from scratchnet.serialization.format import read_header
from tests.test_serialization_safety import write_signed

CASES_PER_TARGET = 800

POOL: list[Any] = [None, True, 0, -1, 1, 3, 2 ** 31, 2 ** 64, 1e308, -0.5, "", "x", "Linear", "Sequential",
                   "LSTM", "BatchNorm1d", "Dense", "Module", "scratchnet.nn.linear", "float32", "object",
                   "$module", "0.weight", [], [[]], [1, "a"], {}, {"a": 1}, {"$array": "missing"},
                   {"$dict": [[1, 2], ["k", None]]}, {"$tuple": [1]}, {"$float": "nan"}, {"$dtype": "int64"},
                   {"$module": {"class": "Linear", "module": "scratchnet.nn.linear",
                                "args": {"in_features": 2, "out_features": 2}}, "state": [], "eval": []}]


def nodes(tree: Any, path: tuple = ()) -> list[tuple]:
    """Every position in a JSON tree, as key paths."""
    found = [path]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += nodes(value, (*path, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += nodes(value, (*path, index))
    return found


def mutate_tree(tree: Any, chooser: random.Random) -> Any:
    """``tree`` with one random position replaced, deleted, duplicated, wrapped or nudged."""
    positions = nodes(tree)[1:]
    if not positions:
        return copy.deepcopy(chooser.choice(POOL))
    path = chooser.choice(positions)
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    key, value = path[-1], parent[path[-1]]
    action = chooser.randrange(6)
    if action == 0 and isinstance(parent, dict):
        del parent[key]
    elif action == 0:
        parent.pop(key)
    elif action == 1 and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(value))
    elif action == 2:
        parent[key] = [value]
    elif action == 3 and type(value) is int:
        parent[key] = chooser.choice([value + 1, value - 1, -value, value * 2 ** 40, 0])
    elif action == 4 and isinstance(parent, dict):
        parent[chooser.choice(["$module", "$array", "args", "state", "class", "x"])] = copy.deepcopy(value)
    else:
        parent[key] = copy.deepcopy(chooser.choice(POOL))
    return tree


def mutate_arrays(arrays: dict[str, np.ndarray], chooser: random.Random) -> dict[str, np.ndarray]:
    """The tensors with one of them reshaped, recast, dropped or joined by a stranger."""
    arrays = dict(arrays)
    if not arrays:
        return {"x": np.zeros(3, np.float32)}
    name = chooser.choice(sorted(arrays))
    action = chooser.randrange(4)
    if action == 0:
        arrays[name] = arrays[name].reshape(-1)[: max(arrays[name].size - 1, 0)]
    elif action == 1:
        arrays[name] = arrays[name].astype(chooser.choice([np.float64, np.int64, np.bool_, np.float16]))
    elif action == 2:
        del arrays[name]
    else:
        arrays[name + "x"] = np.zeros((2, 2), np.float32)
    return arrays


def raw(path: Path) -> tuple[Any, dict[str, np.ndarray]]:
    """The structure and the tensors of a saved file, as stored."""
    with open(path, "rb") as file:
        container = read_header(str(path), file)
        return json.loads(container.metadata["structure"]), container.read_arrays(file)


def fuzz(seed_file: Path, attempt: Callable[[Path], None], allowed: tuple[type, ...], seed: int) -> dict:
    """Mutate ``seed_file`` ``CASES_PER_TARGET`` times, call ``attempt`` on each mutant, and
    collect what raised an error other than ``allowed``."""
    structure, arrays = raw(seed_file)
    chooser, outcomes, escaped = random.Random(seed), {"refused": 0, "accepted": 0}, []
    mutant = seed_file.with_name("mutant.safetensors")
    for case in range(CASES_PER_TARGET):
        tree, tensors = copy.deepcopy(structure), arrays
        for _ in range(chooser.randint(1, 3)):
            if chooser.random() < 0.8:
                tree = mutate_tree(tree, chooser)
            else:
                tensors = mutate_arrays(tensors, chooser)
        write_signed(mutant, tree, tensors)
        try:
            attempt(mutant)
            outcomes["accepted"] += 1
        except allowed:
            outcomes["refused"] += 1
        except Exception as error:  # noqa: BLE001 (what the test is looking for)
            escaped.append((case, f"{type(error).__name__}: {error}"[:300]))
    return {**outcomes, "escaped": escaped}


def checkpoint_seed(folder: Path) -> Path:
    sn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=2)
    for _ in range(2):
        model(sn.Tensor(np.ones((5, 3), np.float32))).sum().backward()
        opt.step()
        scheduler.step()
    path = folder / "checkpoint.safetensors"
    save({"model": model, "optimizer": opt.state_dict(), "scheduler": scheduler.state_dict(),
          "rng": sn.get_rng_state(), "epoch": 2}, path)
    return path


def restore_checkpoint(path: Path) -> None:
    """Load, then restore what a training script restores (fresh objects of the saved kinds)."""
    checkpoint = load(path)
    if not isinstance(checkpoint, dict):
        return
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=2)
    if isinstance(checkpoint.get("model"), nn.Module):
        model.load_state_dict(checkpoint["model"].state_dict())
    if "optimizer" in checkpoint:
        opt.load_state_dict(checkpoint["optimizer"])
    if "scheduler" in checkpoint:
        scheduler.load_state_dict(checkpoint["scheduler"])
    if "rng" in checkpoint:
        sn.set_rng_state(checkpoint["rng"])


def test_checkpoint_load_and_restore_raise_only_documented_errors(tmp_path):
    result = fuzz(checkpoint_seed(tmp_path), restore_checkpoint, (ValueError,), seed=1)
    assert result["escaped"] == [], result["escaped"][:5]
    assert result["refused"] > CASES_PER_TARGET // 2


def keras_seed(folder: Path) -> Path:
    sn.manual_seed(0)
    model = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=(3,)),
                              keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(np.ones((8, 3), np.float32), np.zeros(8, np.int64), verbose=0)
    model.save(folder / "model.safetensors")
    return folder / "model.safetensors"


def test_keras_load_model_raises_only_serialization_errors(tmp_path):
    result = fuzz(keras_seed(tmp_path), keras.models.load_model, (SerializationError,), seed=2)
    assert result["escaped"] == [], result["escaped"][:5]
    assert result["refused"] > CASES_PER_TARGET // 2


@pytest.fixture()
def run_folder(tmp_path, capsys) -> Path:
    folder = tmp_path / "run"
    argv = ["train", "--model", "mlp", "--dataset", "xor", "--epochs", "2", "--out", str(folder)]
    assert cli.main(argv) == 0
    capsys.readouterr()
    return folder


def test_run_checkpoint_restore_raises_only_serialization_errors(run_folder):
    def attempt(path: Path) -> None:
        path.replace(run_folder / runs.CHECKPOINT)
        runs.load_checkpoint(run_folder, epochs=2)

    result = fuzz(run_folder / runs.CHECKPOINT, attempt, (SerializationError,), seed=3)
    assert result["escaped"] == [], result["escaped"][:5]
    assert result["refused"] > CASES_PER_TARGET // 2
