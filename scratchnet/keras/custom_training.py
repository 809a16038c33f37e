"""``fit`` for a ``keras.Model`` subclass that overrides ``train_step(self, data)`` (Keras 3's
pattern for GANs and other custom loops): fit batches the data as usual and, for each batch, calls
``train_step(data)`` with ``data`` the batch (``x`` alone when no targets are given, else
``(x, y)``) as tensors; the step does its own gradient work (``GradientTape``, its optimizers'
``apply_gradients``) and returns its logs ``{name: value}``. The metrics the model lists in
``metrics`` are reset at the start of every epoch, as Keras does."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.keras import callbacks as callbacks_module
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


def fit(model: Any, x: Any, y: Any = None, batch_size: int | None = None, epochs: int = 1,
        verbose: int | str = "auto", callbacks: list[Any] | None = None, shuffle: bool = True,
        initial_epoch: int = 0, steps_per_epoch: int | None = None) -> callbacks_module.History:
    """Train ``model`` for ``epochs`` epochs by calling its ``train_step`` on each batch; return the
    ``History`` of the logs the steps returned (each epoch's entry: the last batch's logs)."""
    data = data_adapter.batches(x, y, batch_size, shuffle, inputs_only=y is None)
    if steps_per_epoch is not None:
        data = data_adapter.StepsPerEpoch(data, steps_per_epoch)
    verbose = 1 if verbose == "auto" else verbose
    params = {"verbose": verbose, "epochs": epochs, "steps": data_adapter.count_steps(data)}
    model.history = callbacks_module.History()
    model.history.params = params
    progress = [callbacks_module.ProgbarLogger(verbose)] if verbose else []
    callback_list = callbacks_module.CallbackList([*(callbacks or []), model.history, *progress],
                                                  model=model, params=params)
    model.stop_training = False
    callback_list.on_train_begin()
    logs: dict[str, float] = {}
    for epoch in range(initial_epoch, epochs):
        for metric in getattr(model, "metrics", None) or []:
            metric.reset_state()
        callback_list.on_epoch_begin(epoch)
        model.train()
        for step, batch in enumerate(data):
            callback_list.on_train_batch_begin(step)
            logs = {name: _log_value(value) for name, value in model.train_step(_as_tensors(batch)).items()}
            callback_list.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    model.eval()
    callback_list.on_train_end(logs)
    return model.history
