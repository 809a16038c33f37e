"""``Model.save`` / ``Model.load`` in the tutorial's two files, made safe.

``model.txt`` has one line per layer, ``<name> <Class> <JSON constructor arguments>``;
``weight.npz`` holds each weight under ``"<name>.<param>"``. Loading rebuilds each layer from
an allow-list of the classic layer classes (the tutorial ``eval``-ed the text, which runs any
code a file contains) and reads the arrays with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
import zipfile

from scratchnet import backend
from scratchnet.backend import xp
from scratchnet.classic import layers
from scratchnet.classic.layers.base import Layer

LAYER_CLASSES: dict[str, type[Layer]] = {name: getattr(layers, name) for name in layers.LAYER_CLASSES}
"""The only classes ``load`` will build, by name."""


def save_layers(model_layers: dict[str, Layer], path: str) -> None:
    """Write ``path/model.txt`` and ``path/weight.npz`` for ``model_layers`` (name → layer)."""
    os.makedirs(path, exist_ok=True)
    lines = [f"{name} {type(layer).__name__} {json.dumps(layer.config())}\n"
             for name, layer in model_layers.items()]
    with open(os.path.join(path, "model.txt"), "w", encoding="utf-8") as file:
        file.writelines(lines)
    weights = {f"{name}.{key}": array
               for name, layer in model_layers.items() for key, array in layer.params.items()}
    xp.savez(os.path.join(path, "weight.npz"), **weights)


def load_layers(path: str) -> dict[str, Layer]:
    """The layers saved in ``path``, weights included; ``ValueError`` naming the file for any problem."""
    model_file = os.path.join(path, "model.txt")
    with open(model_file, encoding="utf-8") as file:
        built = dict(parse_line(line, model_file, number)
                     for number, line in enumerate(file, 1) if line.strip())
    weight_file = os.path.join(path, "weight.npz")
    try:
        with xp.load(weight_file, allow_pickle=False) as archive:
            weights = {key: archive[key] for key in archive.files}
    except (ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{weight_file}: not a readable weight archive without pickle ({error})") from None
    assign_weights(built, weights, weight_file)
    return built


def parse_line(line: str, model_file: str, number: int) -> tuple[str, Layer]:
    """``(name, layer)`` from one ``model.txt`` line, building only allow-listed classes."""
    parts = line.split(maxsplit=2)
    where = f"{model_file}, line {number}"
    if len(parts) != 3:
        raise ValueError(f"{where}: expected '<name> <Class> <JSON arguments>', got {line.strip()!r}")
    name, class_name, arguments = parts
    if class_name not in LAYER_CLASSES:
        raise ValueError(f"{where}: unknown layer class {class_name!r}; allowed: {sorted(LAYER_CLASSES)}")
    try:
        config = json.loads(arguments)
        if not isinstance(config, dict):
            raise TypeError("the arguments must be a JSON object")
        return name, LAYER_CLASSES[class_name](**config)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: cannot build {class_name} from {arguments.strip()}: {error}") from None


def assign_weights(built: dict[str, Layer], weights: dict[str, xp.ndarray], weight_file: str) -> None:
    """Give each layer its arrays, after checking that the file has exactly the expected keys."""
    expected = {f"{name}.{key}" for name, layer in built.items() for key in layer.param_names}
    missing, unexpected = sorted(expected - set(weights)), sorted(set(weights) - expected)
    if missing or unexpected:
        raise ValueError(f"{weight_file} does not match model.txt: "
                         f"missing {missing}, unexpected {unexpected}")
    not_float = sorted(key for key, array in weights.items() if not backend.is_floating(array.dtype))
    if not_float:
        raise ValueError(f"{weight_file}: weights {not_float} are not floating-point arrays")
    for name, layer in built.items():
        layer.params = {key: weights[f"{name}.{key}"] for key in layer.param_names}
