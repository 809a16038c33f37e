"""``keras.saving``: ``save_model`` / ``load_model`` by file name, and
``register_keras_serializable`` for custom layers and models.

* ``.keras``: Keras 3's zip archive (config.json, metadata.json, model.weights.h5) that real
  Keras 3 loads, for flat Sequential models (``keras_archive``); needs h5py (``scratchnet[h5]``).
* ``.weights.h5`` (``save_weights`` / ``load_weights``): Keras 3's weights layout (``h5_weights``),
  readable by real Keras 3, and real Keras 3's files readable here.
* ``.h5`` / ``.hdf5`` for a whole model: Keras 2's legacy format, refused with the alternatives.
* Any other name: scratchnet's own safe format (``sn.save``: safetensors + JSON, every model,
  optimizer state included where the model supports it).
"""

from __future__ import annotations

import os
from typing import Any

from scratchnet import serialization
from scratchnet.keras.saving import h5_weights, keras_archive

LEGACY_SUFFIXES = (".h5", ".hdf5")


def format_of(filepath: str | os.PathLike[str], weights_only: bool = False) -> str:
    """'keras', 'h5' (Keras 3 weights) or 'scratchnet', from the file name; a legacy HDF5 model
    file name raises ``ValueError`` naming the supported formats."""
    name = os.fspath(filepath).lower()
    if name.endswith(h5_weights.SUFFIX):
        return "h5"
    if name.endswith(keras_archive.SUFFIX):
        if weights_only:
            raise ValueError(f"{os.fspath(filepath)}: a .keras file holds a whole model (model.save); "
                             "name a weights file '*.weights.h5' or '*.safetensors'")
        return "keras"
    if name.endswith(LEGACY_SUFFIXES):
        what = "weights" if weights_only else "a whole model"
        raise ValueError(f"{os.fspath(filepath)}: the legacy Keras 2 HDF5 format for {what} is not "
                         "supported. Use a name ending in '.weights.h5' (Keras 3's weights file), '.keras' "
                         "(Keras 3's model archive) or '.safetensors' (scratchnet's own format, any model)")
    return "scratchnet"


def save_model(model: Any, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
    """Save ``model`` (architecture and weights) to ``filepath`` in the format its name asks for
    (Keras's ``keras.saving.save_model``; same as ``model.save``)."""
    model.save(filepath, overwrite=overwrite)


def load_model(filepath: str | os.PathLike[str], custom_objects: Any = None, compile: bool = True,  # noqa: A002
               safe_mode: bool = True) -> Any:
    """A model saved by ``save_model`` / ``model.save``, or a real Keras 3 ``.keras`` archive of a
    Sequential model of the layers scratchnet has. Nothing in the file is executed; custom classes
    must have been registered (``register_keras_serializable``). A model saved in scratchnet's format
    comes back compiled when it was saved compiled and ``compile`` is true (``keras.training_state``)."""
    from scratchnet.keras.models import Model

    kind = format_of(filepath)
    if kind == "h5":
        raise ValueError(f"{os.fspath(filepath)} is a weights file: build the model and call "
                         "model.load_weights(path)")
    if kind == "keras":
        return keras_archive.read(filepath)
    from scratchnet.keras import training_state

    contents = serialization.load(filepath)
    if isinstance(contents, Model):  # a file written before model.save stored the optimizer
        return contents
    if not isinstance(contents, dict):
        raise serialization.SerializationError(
            f"{os.fspath(filepath)}: does not hold a Keras model (found {type(contents).__name__})")
    return training_state.restore(contents, filepath, compile)


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Decorator that lets ``load_model`` rebuild a custom Layer or Model class from a file saved in
    scratchnet's format (the class is added to ``sn.load``'s allow-list: files never name code to
    run, only classes registered here). ``package`` and ``name`` are accepted as in Keras."""

    def register(cls: type) -> type:
        return serialization.register_module(cls)

    return register


__all__ = ["load_model", "register_keras_serializable", "save_model"]
