"""Keras callbacks, fired by ``fit`` in Keras's order: ``on_train_begin``, then per epoch
``on_epoch_begin``, ``on_train_batch_begin`` / ``on_train_batch_end`` per batch, ``on_epoch_end``
(with the epoch's logs, validation included), and finally ``on_train_end``. ``evaluate`` fires
``on_test_begin`` / ``on_test_end``; ``predict`` ``on_predict_begin`` / ``on_predict_end``.
A callback stops training by setting ``self.model.stop_training = True``.
"""

from __future__ import annotations

import csv
import math
import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

from scratchnet.keras.progbar import Progbar

Logs = dict[str, Any]


class Callback:
    """Base class: every hook does nothing; ``self.model`` and ``self.params`` are set by ``fit``."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        """The model being trained."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """``{'verbose', 'epochs', 'steps'}`` of the ``fit`` call."""
        self.params = params

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """After the last epoch (also after an early stop)."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Before epoch ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """After epoch ``epoch``; ``logs`` hold its mean loss and metrics and the ``val_`` ones."""

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Before training batch ``batch`` of the epoch."""

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """After training batch ``batch``; ``logs`` hold the running means of the epoch."""

    def on_test_begin(self, logs: Logs | None = None) -> None:
        """Before ``evaluate`` (or a validation pass)."""

    def on_test_end(self, logs: Logs | None = None) -> None:
        """After ``evaluate`` (or a validation pass)."""

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        """Before ``predict``."""

    def on_predict_end(self, logs: Logs | None = None) -> None:
        """After ``predict``."""


class CallbackList(Callback):
    """Calls every callback's hook in order."""

    def __init__(self, callbacks: list[Callback], model: Any = None,
                 params: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError("callbacks must be keras.callbacks.Callback objects, "
                                f"got {type(callback).__name__}")
            callback.set_model(model)
            callback.set_params(params or {})

    def _fire(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._fire("on_train_begin", logs)

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._fire("on_train_end", logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._fire("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._fire("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._fire("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._fire("on_train_batch_end", batch, logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        self._fire("on_test_begin", logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        self._fire("on_test_end", logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._fire("on_predict_begin", logs)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._fire("on_predict_end", logs)


class History(Callback):
    """Records the logs of every epoch: ``history[key]`` is a list with one value per epoch
    (``loss``, each metric, ``val_…``); ``epoch`` the epoch indices. ``fit`` returns it."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class ProgbarLogger(Callback):
    """Prints Keras's progress: ``Epoch i/n`` and a live bar (``verbose=1`` on a terminal), or one
    line per epoch (``verbose=2``, or when stdout is not a terminal)."""

    def __init__(self, verbose: int = 1, file: Any = None) -> None:
        super().__init__()
        self.verbose = verbose
        self.file = file
        self.bar: Progbar | None = None

    def _live(self) -> bool:
        stream = self.file or sys.stdout
        return self.verbose == 1 and hasattr(stream, "isatty") and stream.isatty()

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        print(f"Epoch {epoch + 1}/{self.params.get('epochs')}", file=self.file or sys.stdout, flush=True)
        self.bar = Progbar(self.params.get("steps"), live=self._live(), file=self.file)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.bar.update(batch + 1, logs or {})

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.bar.close(logs or {})


def _monitor_mode(mode: str, monitor: str) -> str:
    """'min' or 'max': ``auto`` maximises accuracies (names containing 'acc') and minimises the rest."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    return mode


class _Monitor:
    """Tracks the best value of a logged quantity (with ``min_delta`` as Keras's improvement margin)."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        self.monitor = monitor
        self.mode = _monitor_mode(mode, monitor)
        self.min_delta = abs(min_delta)
        self.best = math.inf if self.mode == "min" else -math.inf

    def improved(self, value: float) -> bool:
        """Whether ``value`` beats the best by more than ``min_delta``."""
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def value(self, logs: Logs | None, owner: str) -> float | None:
        """The monitored value in ``logs`` (a warning and None when it is missing)."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{owner}: metric '{self.monitor}' is not in the logs (available: "
                          f"{', '.join(logs or {})}); skipping", stacklevel=3)
        return value


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights``, the weights of the best epoch are put back when training ends
    (as Keras 3). ``baseline``: stop unless the monitored value beats it within ``patience``.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0) -> None:
        super().__init__()
        self.tracker = _Monitor(monitor, mode, min_delta)
        self.monitor, self.patience, self.verbose = monitor, patience, verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best_weights: list[Any] | None = None

    @property
    def best(self) -> float:
        """The best value of the monitored quantity so far."""
        return self.tracker.best

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.tracker = _Monitor(self.monitor, self.tracker.mode, self.tracker.min_delta)
        if self.baseline is not None:
            self.tracker.best = self.baseline
        self.wait, self.stopped_epoch, self.best_epoch, self.best_weights = 0, 0, 0, None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        value = self.tracker.value(logs, "EarlyStopping")
        if value is None or epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self.tracker.improved(value):
            self.tracker.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (or only its weights) after each epoch to ``filepath``, which may hold
    ``{epoch}`` and log names (``"model-{epoch:02d}-{val_loss:.2f}.keras"``); with
    ``save_best_only`` only when ``monitor`` improves."""

    writes_files = True  # under keras.distribution.DataParallel, rank 0 alone runs it

    def __init__(self, filepath: str | os.PathLike[str], monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.tracker = _Monitor(monitor, mode, 0.0)
        if initial_value_threshold is not None:
            self.tracker.best = initial_value_threshold
        self.monitor, self.verbose = monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        path = self.filepath.format(epoch=epoch + 1, **(logs or {}))
        if self.save_best_only:
            value = self.tracker.value(logs, "ModelCheckpoint")
            if value is None or not self.tracker.improved(value):
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.tracker.best:.5f} to "
                      f"{value:.5f}, saving model to {path}")
            self.tracker.best = value
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class LearningRateScheduler(Callback):
    """At each epoch start, set the optimizer's learning rate to ``schedule(epoch, lr)`` (or
    ``schedule(epoch)``); the rate is logged as ``learning_rate``."""

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        try:
            rate = self.schedule(epoch, optimizer.learning_rate)
        except TypeError:
            rate = self.schedule(epoch)
        if not isinstance(rate, (int, float)) or math.isnan(rate):
            raise ValueError(f'the output of the "schedule" function should be a float, got {rate!r}')
        optimizer.learning_rate = float(rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {rate}.")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved by more than
    ``min_delta`` for ``patience`` epochs, then wait ``cooldown`` epochs; never below ``min_lr``
    (Keras's rule: the reduction happens after ``patience`` epochs without improvement)."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0) -> None:
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0, got {factor}")
        self.tracker = _Monitor(monitor, mode, min_delta)
        self.monitor, self.factor, self.patience, self.verbose = monitor, factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr
        self.wait, self.cooldown_counter = 0, 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.tracker = _Monitor(self.monitor, self.tracker.mode, self.tracker.min_delta)
        self.wait, self.cooldown_counter = 0, 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        if logs is not None:
            logs["learning_rate"] = optimizer.learning_rate
        value = self.tracker.value(logs, "ReduceLROnPlateau")
        if value is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.tracker.improved(value):
            self.tracker.best, self.wait = value, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience and optimizer.learning_rate > self.min_lr:
                rate = max(optimizer.learning_rate * self.factor, self.min_lr)
                optimizer.learning_rate = rate
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {rate}.")
                self.cooldown_counter, self.wait = self.cooldown, 0


class CSVLogger(Callback):
    """Write one CSV row per epoch to ``filename``: ``epoch`` and the logs, columns sorted by name
    (as Keras); ``append`` continues an existing file."""

    writes_files = True  # under keras.distribution.DataParallel, rank 0 alone runs it

    def __init__(self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self.keys: list[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.keys = None
        self.has_header = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        if not self.append:
            open(self.filename, "w").close()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        with open(self.filename, "a", newline="") as file:
            writer = csv.writer(file, delimiter=self.separator)
            if not self.has_header:
                writer.writerow(["epoch", *self.keys])
                self.has_header = True
            writer.writerow([epoch, *(logs.get(key, "NA") for key in self.keys)])


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite."""

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
