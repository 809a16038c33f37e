"""``fit`` for a ``keras.Model`` subclass that overrides ``train_step(self, data)`` (Keras 3's
pattern for GANs and other custom loops): fit runs its one epoch loop (``Model._fit_epochs``,
callbacks and progress bar included) and, for each batch, calls
``train_step(data)`` with ``data`` the batch (``x`` alone when no targets are given, else
``(x, y)``) as tensors; the step does its own gradient work (``GradientTape``, its optimizers'
``apply_gradients``) and returns its logs ``{name: value}``. The metrics the model lists in
``metrics`` are reset at the start of every epoch, as Keras does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.keras import data_adapter


def overrides_train_step(model: Any) -> bool:
    """Whether a user's subclass (a class outside scratchnet.keras) defines ``train_step``: fit then
    calls it on every batch."""
    return any("train_step" in vars(cls) for cls in type(model).__mro__
               if not cls.__module__.startswith("scratchnet.keras"))


def _as_tensors(batch: Any) -> Any:
    """A batch of arrays as Tensors (tuples stay tuples)."""
    if isinstance(batch, tuple):
        return tuple(_as_tensors(part) for part in batch)
    return batch if isinstance(batch, Tensor) else Tensor.wrap(batch)


def _log_value(value: Any) -> float:
    """A returned log entry (a Tensor, a metric's result, a number) as a float."""
    if hasattr(value, "result") and callable(value.result):
        value = value.result()
    return float(value.item() if isinstance(value, Tensor) else value)


def batches(x: Any, y: Any, batch_size: int | None, shuffle: bool, steps_per_epoch: int | None) -> Any:
    """The batches ``fit`` hands a custom ``train_step``: ``x`` alone when no targets are given."""
    data = data_adapter.batches(x, y, batch_size, shuffle, inputs_only=y is None)
    return data if steps_per_epoch is None else data_adapter.StepsPerEpoch(data, steps_per_epoch)


def epoch_step(model: Any) -> Callable[[Any], dict[str, float]]:
    """The step of one epoch of ``fit`` (``Model._fit_epochs``) for a model with its own
    ``train_step``: the model's ``metrics`` are reset, then each batch goes (as tensors) to
    ``model.train_step``, whose logs are returned as floats."""
    for metric in getattr(model, "metrics", None) or []:
        metric.reset_state()

    def batch_step(batch: Any) -> dict[str, float]:
        return {name: _log_value(value) for name, value in model.train_step(_as_tensors(batch)).items()}

    return batch_step
