"""``tf.train``: ``Checkpoint`` (saved with ``sn.save``, read with ``sn.load``: no pickle) and
``latest_checkpoint``. TensorFlow 1's optimizers and global step do not exist in TensorFlow 2;
using them raises an error that names the replacement.
"""

from __future__ import annotations

import os
import re
from typing import Any

from scratchnet import serialization
from scratchnet.autograd.tensor import Tensor
from scratchnet.nn import Module

_INDEX_FILE = "checkpoint"
"""The file beside the checkpoints that names the latest one (TensorFlow's name)."""


def _check_trackable(name: str, value: Any) -> None:
    stateful = hasattr(value, "state_dict") and hasattr(value, "load_state_dict")
    if not isinstance(value, (Module, Tensor)) and not stateful:
        raise TypeError(f"tf.train.Checkpoint: cannot track {name}={type(value).__name__}; it tracks models, "
                        "layers, variables and objects with state_dict()/load_state_dict()")


def _state(value: Any) -> Any:
    return value.array if isinstance(value, Tensor) and not isinstance(value, Module) else value.state_dict()


def _restore(name: str, value: Any, state: Any, path: str) -> None:
    if isinstance(value, Module) or not isinstance(value, Tensor):
        value.load_state_dict(state)
        return
    if tuple(state.shape) != tuple(value.shape):
        raise ValueError(f"{path}: variable {name!r} has shape {tuple(state.shape)} in the checkpoint, "
                         f"{tuple(value.shape)} here")
    value.array[...] = state


class CheckpointLoadStatus:
    """What ``Checkpoint.restore`` returns: every tracked object was restored, so the checks
    TensorFlow offers pass (``assert_consumed``, ``expect_partial``)."""

    def assert_consumed(self) -> CheckpointLoadStatus:
        """Nothing was left unrestored (restore raises otherwise)."""
        return self

    def expect_partial(self) -> CheckpointLoadStatus:
        """Accepted for compatibility: restore never leaves values unmatched silently."""
        return self


class Checkpoint:
    """Saves and restores the tracked objects given as keywords, ``Checkpoint(model=model,
    step=step_variable)``: models and layers by their state dict, variables by their values.

    ``save(file_prefix)`` writes ``{file_prefix}-{n}`` (n = 1, 2, ... counted by ``save_counter``)
    and records it as the directory's latest checkpoint; ``restore(path)`` loads one back into
    the same objects (all or nothing: a missing name or a shape mismatch raises before anything
    changes for that object); ``write`` / ``read`` do the same at an exact path.
    """

    def __init__(self, **objects: Any) -> None:
        for name, value in objects.items():
            _check_trackable(name, value)
        self._objects = objects
        self.save_counter = 0

    def write(self, file_prefix: str | os.PathLike[str]) -> str:
        """Save the tracked objects to exactly ``file_prefix``; returns the path."""
        path = os.fspath(file_prefix)
        serialization.save({name: _state(value) for name, value in self._objects.items()}, path)
        return path

    def save(self, file_prefix: str | os.PathLike[str]) -> str:
        """Save to ``{file_prefix}-{save_counter + 1}``, record it as the latest checkpoint of its
        directory, and return the path."""
        path = self.write(f"{os.fspath(file_prefix)}-{self.save_counter + 1}")
        self.save_counter += 1
        directory = os.path.dirname(path) or "."
        with open(os.path.join(directory, _INDEX_FILE), "w", encoding="utf-8") as index:
            index.write(f'model_checkpoint_path: "{os.path.basename(path)}"\n')
        return path

    def read(self, save_path: str | os.PathLike[str]) -> CheckpointLoadStatus:
        """Restore the tracked objects from ``save_path`` (what ``write`` or ``save`` returned)."""
        path = os.fspath(save_path)
        states = serialization.load(path)
        if not isinstance(states, dict):
            raise ValueError(f"{path} is not a tf.train.Checkpoint file")
        missing = [name for name in self._objects if name not in states]
        if missing:
            raise ValueError(f"{path} has no saved value for {missing} (it holds {sorted(states)})")
        for name, value in self._objects.items():
            _restore(name, value, states[name], path)
        return CheckpointLoadStatus()

    def restore(self, save_path: str | os.PathLike[str] | None) -> CheckpointLoadStatus:
        """``read(save_path)``; ``None`` (no checkpoint yet, e.g. ``latest_checkpoint`` of an
        empty directory) restores nothing, as TensorFlow."""
        return CheckpointLoadStatus() if save_path is None else self.read(save_path)


def latest_checkpoint(checkpoint_dir: str | os.PathLike[str]) -> str | None:
    """The path of the last checkpoint ``Checkpoint.save`` wrote into ``checkpoint_dir``, or None."""
    index = os.path.join(os.fspath(checkpoint_dir), _INDEX_FILE)
    if not os.path.exists(index):
        return None
    with open(index, encoding="utf-8") as file:
        match = re.search(r'^model_checkpoint_path: "([^"\n]+)"', file.read(), re.MULTILINE)
    return None if match is None else os.path.join(os.fspath(checkpoint_dir), match.group(1))


_TF1_REPLACEMENTS = {
    "AdamOptimizer": "tf.keras.optimizers.Adam(learning_rate=...)",
    "GradientDescentOptimizer": "tf.keras.optimizers.SGD(learning_rate=...)",
    "MomentumOptimizer": "tf.keras.optimizers.SGD(learning_rate=..., momentum=...)",
    "RMSPropOptimizer": "tf.keras.optimizers.RMSprop(learning_rate=...)",
    "AdagradOptimizer": "tf.keras.optimizers.Adagrad(learning_rate=...)",
    "AdadeltaOptimizer": "tf.keras.optimizers.Adadelta(learning_rate=...)",
    "create_global_step": "optimizer.iterations (the step count of a tf.keras optimizer)",
    "get_or_create_global_step": "optimizer.iterations (the step count of a tf.keras optimizer)",
    "Saver": "tf.train.Checkpoint(model=model).save(prefix)",
}


def __getattr__(name: str) -> Any:
    """TensorFlow 1 names: an ``AttributeError`` that names the TensorFlow 2 replacement."""
    if name in _TF1_REPLACEMENTS:
        raise AttributeError(f"tf.train.{name} is TensorFlow 1 and does not exist in TensorFlow 2 (nor in "
                             f"scratchnet.tf); use {_TF1_REPLACEMENTS[name]} instead")
    raise AttributeError(f"module 'scratchnet.tf.train' has no attribute {name!r}")


__all__ = ["Checkpoint", "CheckpointLoadStatus", "latest_checkpoint"]
