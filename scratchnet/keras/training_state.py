"""What ``model.save`` stores beside the model so that ``load_model`` continues training the same
way, as Keras does: the compile configuration (optimizer, loss and metrics by name and config)
and the optimizer's state (its iteration count and the core optimizer's ``state_dict``: Adam's
moments and step, momentum buffers, the current learning rate).

A Keras model file holds ``{"keras_model": model, "compile": config or None, "optimizer": state or
None}``; other entries (a training checkpoint's epoch, RNG state and history) are left to their
reader. A loss or metric given as a plain function has no config: such a model is saved without
its compile configuration and comes back uncompiled.
"""

from __future__ import annotations

import os
from typing import Any

from scratchnet.keras import config, losses, optimizers
from scratchnet.keras import metrics as metrics_module
from scratchnet.serialization import SerializationError
from scratchnet.serialization.errors import file_error


def compile_config(model: Any) -> dict[str, Any] | None:
    """``{"optimizer", "loss", "metrics"}`` as configs and names, or None when the model is not
    compiled or its loss or a metric is a plain function."""
    loss, optimizer = getattr(model, "loss", None), getattr(model, "optimizer", None)
    names = [metric.name for metric in getattr(model, "compiled_metrics", [])]
    if loss is None or optimizer is None or isinstance(loss, losses.LossFunctionWrapper) or not all(
            _is_metric_name(name) for name in names):
        return None
    return {"optimizer": config.serialize(optimizer), "loss": config.serialize(loss), "metrics": names}


def _is_metric_name(name: str) -> bool:
    """Whether ``metrics.get(name)`` rebuilds the metric called ``name``."""
    try:
        metrics_module.get(name)
    except ValueError:
        return False
    return True


def optimizer_state(model: Any) -> dict[str, Any] | None:
    """``{"iterations", "state"}`` of the model's built optimizer, or None before it is built."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or optimizer.optimizer is None:
        return None
    return {"iterations": optimizer.iterations, "state": optimizer.optimizer.state_dict()}


def model_file(model: Any) -> dict[str, Any]:
    """What ``model.save`` writes: the model, its compile configuration and optimizer state."""
    compiled = compile_config(model)
    return {"keras_model": model, "compile": compiled,
            "optimizer": optimizer_state(model) if compiled is not None else None}


def restore(contents: dict[str, Any], path: str | os.PathLike[str], compile: bool) -> Any:  # noqa: A002
    """The model of a loaded model file, compiled and with its optimizer state when ``compile``
    and the file has them; ``SerializationError`` naming ``path`` for malformed entries."""
    model = contents.get("keras_model")
    if not hasattr(model, "compile"):
        raise file_error(path, f"does not hold a Keras model (found {type(model).__name__})")
    if not compile or contents.get("compile") is None:
        return model
    try:
        _compile(model, contents["compile"], contents.get("optimizer"))
    except (ValueError, TypeError, LookupError, AttributeError) as error:
        if isinstance(error, SerializationError):
            raise
        raise file_error(path, f"malformed compile configuration or optimizer state ({error})") from None
    return model


def _compile(model: Any, saved: dict[str, Any], state: dict[str, Any] | None) -> None:
    """Compile ``model`` as ``saved`` says and install the optimizer ``state``."""
    if not isinstance(saved, dict) or set(saved) != {"optimizer", "loss", "metrics"} \
            or not isinstance(saved["metrics"], list):
        raise ValueError("the compile entry needs exactly optimizer, loss and metrics")
    if not all(isinstance(entry, dict) for entry in (saved["optimizer"], saved["loss"])):
        raise ValueError("optimizer and loss must be configs")
    model.compile(optimizer=optimizers.get(saved["optimizer"]), loss=losses.get(saved["loss"]),
                  metrics=list(saved["metrics"]))
    if state is None:
        return
    if not isinstance(state, dict) or set(state) != {"iterations", "state"} \
            or type(state["iterations"]) is not int or state["iterations"] < 0:
        raise ValueError("the optimizer entry needs an iteration count and a state")
    model.optimizer.build(model.trainable_variables).load_state_dict(state["state"])
    model.optimizer.iterations = state["iterations"]
