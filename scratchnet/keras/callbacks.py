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

from scratchnet import backend, serialization
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


def _check_frequency(value: Any, words: tuple[str, ...], what: str) -> None:
    """``value`` is one of ``words`` or a positive int (a number of batches)."""
    if value in words:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be {' or '.join(repr(word) for word in words)} or a positive int, "
                         f"got {value!r}")


class LambdaCallback(Callback):
    """A callback made of functions: ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``,
    ``on_train_batch_begin(batch, logs)`` / ``on_batch_begin``, ``on_train_batch_end(batch, logs)``
    / ``on_batch_end``, ``on_train_begin(logs)``, ``on_train_end(logs)`` (each optional)."""

    _HOOKS = {"on_epoch_begin": "on_epoch_begin", "on_epoch_end": "on_epoch_end",
              "on_train_begin": "on_train_begin", "on_train_end": "on_train_end",
              "on_train_batch_begin": "on_train_batch_begin", "on_batch_begin": "on_train_batch_begin",
              "on_train_batch_end": "on_train_batch_end", "on_batch_end": "on_train_batch_end"}

    def __init__(self, **hooks: Callable[..., Any] | None) -> None:
        super().__init__()
        unknown = sorted(set(hooks) - set(self._HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback got unknown hooks {unknown}; known: {sorted(self._HOOKS)}")
        for name, function in hooks.items():
            if function is not None:
                setattr(self, self._HOOKS[name], function)


class BackupAndRestore(Callback):
    """Survive an interrupted ``fit``: at the end of every epoch (or every ``save_freq`` batches)
    the weights, the optimizer's state, the random generator's state and the epoch are saved to
    ``backup_dir`` (``sn.save``, atomic); a later ``fit`` with the same callback restores them and
    resumes at the next epoch, so the run ends as if never interrupted. The backup is deleted when
    training ends normally (unless ``delete_checkpoint=False``)."""

    def __init__(self, backup_dir: str | os.PathLike[str], save_freq: str | int = "epoch",
                 delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir must be given")
        _check_frequency(save_freq, ("epoch",), "BackupAndRestore: save_freq")
        self.backup_dir, self.save_freq = os.fspath(backup_dir), save_freq
        self.delete_checkpoint = delete_checkpoint
        self.path = os.path.join(self.backup_dir, "latest.safetensors")
        self._epoch, self._batches = 0, 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._batches = 0
        if not os.path.exists(self.path):
            return
        state = serialization.load(self.path)
        self.model.load_state_dict(state["weights"])
        self.model.optimizer.optimizer.load_state_dict(state["optimizer"])
        self.model.optimizer.iterations = int(state["iterations"])
        backend.set_rng_state(state["rng"])
        self.model.resume_epoch = int(state["epoch"])

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._batches += 1
        if self.save_freq != "epoch" and self._batches % self.save_freq == 0:
            self._save(self._epoch)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch + 1)

    def _save(self, next_epoch: int) -> None:
        """Save what a resumed run needs to start epoch ``next_epoch``."""
        os.makedirs(self.backup_dir, exist_ok=True)
        optimizer = self.model.optimizer
        serialization.save({"weights": self.model.state_dict(), "optimizer": optimizer.optimizer.state_dict(),
                            "iterations": optimizer.iterations, "rng": backend.get_rng_state(),
                            "epoch": next_epoch}, self.path)

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.delete_checkpoint and os.path.exists(self.path):
            os.remove(self.path)


class TensorBoard(Callback):
    """Log the epoch's loss and metrics for TensorBoard, as Keras: scalars ``epoch_<name>`` at step
    ``epoch`` in ``log_dir/train`` (and the ``val_`` ones in ``log_dir/validation``); with
    ``update_freq='batch'`` or an int N also ``batch_<name>`` every N batches; with
    ``histogram_freq`` N the weights' histograms every N epochs. Written through
    ``scratchnet.utils.tensorboard.SummaryWriter`` (needs its TensorBoard writer extra). Keras's
    other options (``write_graph``, ``write_images``, ``profile_batch``, ``embeddings_freq``, ...)
    are accepted and have no effect."""

    def __init__(self, log_dir: str | os.PathLike[str] = "logs", histogram_freq: int = 0,
                 update_freq: str | int = "epoch", **ignored: Any) -> None:
        super().__init__()
        _check_frequency(update_freq, ("epoch", "batch"), "TensorBoard: update_freq")
        self.log_dir, self.histogram_freq = os.fspath(log_dir), histogram_freq
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.writers: dict[str, Any] = {}
        self._batches = 0

    def _writer(self, name: str) -> Any:
        if name not in self.writers:
            try:
                from scratchnet.utils.tensorboard import SummaryWriter
            except ImportError as error:
                raise ImportError("keras.callbacks.TensorBoard writes through scratchnet.utils.tensorboard."
                                  f"SummaryWriter, which could not be imported ({error}); install "
                                  "scratchnet's TensorBoard extra") from error
            self.writers[name] = SummaryWriter(log_dir=os.path.join(self.log_dir, name))
        return self.writers[name]

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._batches = 0
        self._writer("train")

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._batches += 1
        if self.update_freq != "epoch" and self._batches % self.update_freq == 0:
            for key, value in (logs or {}).items():
                self._writer("train").add_scalar(f"batch_{key}", value, self._batches)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        for key, value in (logs or {}).items():
            validation = key.startswith("val_")
            writer = self._writer("validation" if validation else "train")
            writer.add_scalar(f"epoch_{key[4:] if validation else key}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for name, parameter in self.model.named_parameters():
                self._writer("train").add_histogram(name, parameter.numpy(), epoch)
        for writer in self.writers.values():
            writer.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers = {}
