"""Keras 3's ``.keras`` file: a zip of ``metadata.json``, ``config.json`` (the model's
architecture in Keras's serialization format) and ``model.weights.h5`` (``h5_weights``'s layout),
written so that real Keras 3 loads it (``keras.saving.load_model``), and read back by scratchnet
for the layers it has.

Only flat ``Sequential`` models (and ``Model(inputs, outputs)`` chains, written as the
equivalent Sequential) are written: each layer's config is its constructor arguments
(scratchnet's Keras layers take Keras's argument names), with ``module`` and ``class_name`` as
Keras writes them. Reading rebuilds layers only from scratchnet's own ``keras.layers`` classes
(nothing in the file is executed), ignoring config keys that only restate Keras's defaults
(``dtype``, ``data_format='channels_last'`` ...) and refusing any other unknown argument by name.
"""

from __future__ import annotations

import datetime
import inspect
import io
import json
import os
import zipfile
from typing import Any

from scratchnet.keras.saving import h5_weights
from scratchnet.serialization.atomic import atomic_write
from scratchnet.version import __version__

SUFFIX = ".keras"
_HARMLESS = {"dtype": None, "trainable": True, "data_format": "channels_last", "groups": 1,
             "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None,
             "beta_constraint": None, "gamma_constraint": None, "synchronized": False, "center": True,
             "scale": True, "noise_shape": None, "seed": None, "lora_rank": None, "lora_alpha": None,
             "quantization_config": None, "dilation_rate": 1, "axis": -1, "renorm": False,
             "beta_regularizer": None, "gamma_regularizer": None}
"""Keras config keys scratchnet's layers do not take, with the values it implements anyway."""
_IRRELEVANT = {"renorm_momentum", "renorm_clipping"}
"""Keys that only matter with an option scratchnet refuses anyway (``renorm=True``)."""
_INITIALIZER_KEYS = ("kernel_initializer", "bias_initializer")
_REGULARIZER_KEYS = ("kernel_regularizer", "bias_regularizer")


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    return value


def _nested(value: Any, module: str) -> Any:
    """An initializer / regularizer config with Keras's ``module`` key."""
    return None if value is None else {"module": module, **_json_value(value), "registered_name": None}


def layer_config(layer: Any) -> dict[str, Any]:
    """``{"module", "class_name", "config", ...}`` of one layer, as Keras serializes it."""
    excluded = getattr(layer, "config_excludes", ("input_shape", "input_dim"))
    arguments = {key: value for key, value in layer._init_args.items() if key not in excluded}
    for key, value in arguments.items():
        if callable(value) and not isinstance(value, (str, dict)):
            raise ValueError(f"layer {layer.name!r}: argument {key}={value!r} is a function, which a .keras "
                             "file cannot hold; use a name such as 'relu'")
    config = {key: _json_value(value) for key, value in arguments.items()}
    for key in _INITIALIZER_KEYS:
        if key in config:
            config[key] = _nested(config[key], "keras.initializers")
    for key in _REGULARIZER_KEYS:
        if key in config:
            config[key] = _nested(config[key], "keras.regularizers")
    return {"module": "keras.layers", "class_name": type(layer).__name__, "config": config,
            "registered_name": None}


def model_config(model: Any) -> dict[str, Any]:
    """The config.json of a flat, built Sequential model (an InputLayer first, as Keras writes);
    a ``Model(inputs, outputs)`` chain is written as the equivalent Keras Sequential."""
    from scratchnet.keras.models import Sequential

    if not isinstance(model, Sequential):
        raise ValueError(f"saving to a .keras file supports Sequential models and Model(inputs, outputs) "
                         f"chains; {model.name!r} is a subclassed {type(model).__name__} (save it with "
                         "model.save('file.safetensors') instead)")
    shape = [None, *model.built_input_shape[1:]]
    input_layer = {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                   "config": {"batch_shape": shape, "dtype": "float32", "sparse": False,
                              "name": "input_layer"}}
    layers = [layer_config(layer) for layer in h5_weights.weighted_layers(model)]
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": model.name, "trainable": True, "layers": [input_layer, *layers]},
            "build_config": {"input_shape": shape}}


def write(model: Any, path: str | os.PathLike[str]) -> None:
    """Write ``model`` (built, flat Sequential) as a Keras 3 ``.keras`` archive, atomically."""
    h5py = h5_weights.h5py_module()
    config = json.dumps(model_config(model))
    metadata = json.dumps({"keras_version": "3.0.0", "date_saved": datetime.datetime.now().strftime(
        "%Y-%m-%d@%H:%M:%S"), "scratchnet_version": __version__})
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h5:
        h5_weights.write_into(h5, model, h5_weights.weighted_layers(model))

    def fill(file: Any) -> None:
        with zipfile.ZipFile(file, "w") as archive:
            archive.writestr("metadata.json", metadata)
            archive.writestr("config.json", config)
            archive.writestr("model.weights.h5", weights.getvalue())

    atomic_write(path, fill)


def _layer_from_config(entry: Any, classes: dict[str, type], path: str) -> Any:
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise ValueError(f"{path}: a layer entry of config.json is not a Keras layer config: {entry!r}")
    name = entry.get("class_name")
    if name not in classes:
        raise ValueError(f"{path}: layer class {name!r} is not one of scratchnet's Keras layers "
                         f"({', '.join(sorted(classes))})")
    cls = classes[name]
    if name == "InputLayer":
        shape = entry["config"].get("batch_shape") or entry["config"].get("batch_input_shape")
        if not isinstance(shape, list) or len(shape) < 2:
            raise ValueError(f"{path}: the InputLayer config has no batch_shape: {entry!r}")
        return cls(input_shape=tuple(shape[1:]), name=entry["config"].get("name"))
    accepted = inspect.signature(cls.__init__).parameters
    arguments = {}
    for key, value in entry["config"].items():
        if key in accepted:
            arguments[key] = _plain(value)
        elif key.endswith("_initializer") or key in _IRRELEVANT:
            continue  # the weights come from the file
        elif key not in _HARMLESS or (key != "dtype" and _plain(value) not in (_HARMLESS[key], [1, 1])):
            raise ValueError(f"{path}: layer {entry['config'].get('name')!r} ({name}) has {key}={value!r}, "
                             "which scratchnet's layer does not support")
    return cls(**arguments)


def _plain(value: Any) -> Any:
    """Keras's nested ``{"module", "class_name", "config", "registered_name"}`` objects as the
    ``{"class_name", "config"}`` dicts scratchnet's initializers and regularizers read."""
    if isinstance(value, dict) and "class_name" in value:
        config = {key: item for key, item in (value.get("config") or {}).items() if item is not None}
        return {"class_name": value["class_name"], "config": config}
    return value


def read(path: str | os.PathLike[str]) -> Any:
    """A Sequential model from a ``.keras`` archive (ours or real Keras 3's), weights loaded."""
    from scratchnet.keras import layers as layers_module
    from scratchnet.keras.models import Sequential

    h5py = h5_weights.h5py_module()
    path = os.fspath(path)
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
            weights = archive.read("model.weights.h5")
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a Keras .keras archive ({error})") from None
    if not isinstance(config, dict) or config.get("class_name") != "Sequential":
        raise ValueError(f"{path}: only Sequential models can be read from a .keras file, found "
                         f"{config.get('class_name') if isinstance(config, dict) else config!r}")
    base = layers_module.Layer
    classes = {name: cls for name, cls in vars(layers_module).items()
               if inspect.isclass(cls) and issubclass(cls, base) and cls is not base}
    entries = config["config"].get("layers", [])
    model = Sequential(layers=[_layer_from_config(entry, classes, path) for entry in entries],
                       name=config["config"].get("name"))
    with h5py.File(io.BytesIO(weights), "r") as h5:
        h5_weights.read_from(h5, model, path)
    return model
