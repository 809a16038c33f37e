"""The run folder of ``scratchnet train``, written so that it is consistent at every moment.

Every file is replaced atomically (``scratchnet.serialization.atomic``). After each epoch the
training writes ``checkpoint.safetensors`` (the Keras model file of the model with its optimizer
state, plus the epoch count, the global RNG state and the history), then ``history.csv``, then
``run.json``, which names the weights file that belongs to it: the checkpoint while training,
``model.safetensors`` once finished. ``run.json`` is always written last, so a run killed at any
moment leaves a ``run.json`` naming a complete weights file (the new run's, or the old run's
when the first epoch had not ended), and ``train --resume`` continues from the last checkpoint to
the same result, bitwise, as an uninterrupted run.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from scratchnet import backend
from scratchnet.keras import training_state
from scratchnet.keras.callbacks import Callback
from scratchnet.serialization import load, save
from scratchnet.serialization.atomic import atomic_write
from scratchnet.serialization.errors import file_error

RUN_FILE = "run.json"
CHECKPOINT = "checkpoint.safetensors"
MODEL = "model.safetensors"
HISTORY = "history.csv"
WEIGHTS_FILES = (CHECKPOINT, MODEL)
"""The files of a run folder; ``run.json`` names the one of ``WEIGHTS_FILES`` that belongs to it."""

SETTINGS: dict[str, tuple[type, ...]] = {
    "model": (str,), "dataset": (str,), "epochs": (int,), "batch_size": (int,), "seed": (int,),
    "optimizer": (str, type(None)), "lr": (float, int, type(None)), "validation_split": (float, int),
    "limit": (int, type(None)),
}
"""The training settings ``run.json`` records (what ``--resume`` trains with) and their types."""


MAX_RUN_FILE_BYTES = 1_000_000
"""The largest ``run.json`` read (ours are a few hundred bytes)."""


class RunFolderError(ValueError):
    """A run folder, or its ``run.json``, that ``evaluate``/``predict``/``--resume`` cannot use."""


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` atomically."""
    atomic_write(path, lambda file: file.write(text.encode("utf-8")))


def history_csv(history: dict[str, list[Any]]) -> str:
    """The history as ``CSVLogger`` writes it: ``epoch`` then the metrics sorted by name."""
    keys = sorted(history)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["epoch", *keys])
    for epoch in range(len(history[keys[0]]) if keys else 0):
        writer.writerow([epoch, *(history[key][epoch] for key in keys)])
    return text.getvalue()


def write_run(folder: Path, run: dict[str, Any]) -> None:
    """Replace ``run.json`` (the last file written at every step)."""
    write_text(folder / RUN_FILE, json.dumps(run, indent=2) + "\n")


class EpochCheckpoint(Callback):
    """After each epoch: the checkpoint, ``history.csv``, then ``run.json`` naming the checkpoint.

    ``history`` holds the epochs before this ``fit`` (empty for a fresh run) and grows with it.
    """

    writes_files = True
    """Under ``keras.distribution.DataParallel`` only rank 0 runs it."""

    def __init__(self, folder: Path, settings: dict[str, Any], history: dict[str, list[Any]]) -> None:
        super().__init__()
        self.folder, self.settings, self.history = folder, settings, history

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        contents = {**training_state.model_file(self.model), "epoch": epoch + 1,
                    "rng": backend.get_rng_state(), "history": self.history}
        save(contents, self.folder / CHECKPOINT)
        write_text(self.folder / HISTORY, history_csv(self.history))
        write_run(self.folder, {**self.settings, "status": "training", "epochs_done": epoch + 1,
                                "weights": CHECKPOINT})


def read_run(folder: str | os.PathLike[str], models: Any, datasets: Any) -> dict[str, Any]:
    """``run.json`` of ``folder``, checked: the settings of ``SETTINGS`` with their types, a model
    of ``models``, a data set of ``datasets`` and a weights file of ``WEIGHTS_FILES``."""
    path = Path(folder) / RUN_FILE
    if not path.is_file():
        raise RunFolderError(f"{folder} is not a run folder of `scratchnet train` (no {RUN_FILE})")
    if path.stat().st_size > MAX_RUN_FILE_BYTES:
        raise RunFolderError(f"{path}: {path.stat().st_size:,} bytes, not a run.json of `scratchnet train` "
                             f"(at most {MAX_RUN_FILE_BYTES:,})")
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(run, dict):
        raise RunFolderError(f"{path}: expected a JSON object, found {type(run).__name__}")
    run.setdefault("weights", MODEL)
    for key, types in SETTINGS.items():
        if key in run and (not isinstance(run[key], types) or isinstance(run[key], bool)):
            kinds = " or ".join(kind.__name__ for kind in types)
            raise RunFolderError(f"{path}: {key} is {run[key]!r}, not a {kinds}")
    for key, known in (("model", models), ("dataset", datasets), ("weights", WEIGHTS_FILES)):
        if run.get(key) not in known:
            raise RunFolderError(f"{path}: unknown {key} {run.get(key)!r} "
                                 f"(known: {', '.join(sorted(known))})")
    return run


def is_unfinished(folder: Path) -> bool:
    """Whether ``folder`` holds a run that was interrupted (its ``run.json`` says training)."""
    try:
        return json.loads((folder / RUN_FILE).read_text(encoding="utf-8")).get("status") == "training"
    except (OSError, ValueError, AttributeError):
        return False


def load_checkpoint(folder: Path, epochs: int) -> tuple[Any, int, dict[str, list[float]], dict[str, Any]]:
    """``(compiled model, epochs done, history, rng state)`` of the folder's checkpoint, every part
    checked before anything is used (``SerializationError`` naming the file otherwise)."""
    path = folder / CHECKPOINT
    contents = load(path)
    if not isinstance(contents, dict) or not {"epoch", "rng", "history"} <= set(contents):
        raise file_error(path, "not a checkpoint of `scratchnet train` (no epoch, rng and history)")
    epoch, rng, history = contents["epoch"], contents["rng"], contents["history"]
    if type(epoch) is not int or not 0 <= epoch <= epochs:
        raise file_error(path, f"epoch {epoch!r} is not a count of epochs in [0, {epochs}]")
    if not backend.is_rng_state(rng):
        raise file_error(path, "malformed RNG state")
    if not isinstance(history, dict) or not all(
            isinstance(key, str) and isinstance(values, list) and len(values) == epoch
            and all(isinstance(value, float) for value in values) for key, values in history.items()):
        raise file_error(path, f"malformed history (one float per epoch for {epoch} epochs expected)")
    model = training_state.restore(contents, path, compile=True)
    if model.optimizer is None:
        raise file_error(path, "the checkpoint holds no compiled model")
    return model, epoch, history, rng
