"""Keras's ``class_weight``: a ``{class index: weight}`` dict turned into per-sample weights
(``fit(class_weight=...)``), as ``fit(sample_weight=...)`` would give them; the loss is then
Keras's weighted mean Σᵢ wᵢ·lᵢ / N (``keras.losses.Loss.__call__``)."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp


def check_class_weight(class_weight: Any, sample_weight: Any) -> None:
    """``class_weight`` is None or a dict of int → number, and not given with ``sample_weight``."""
    if class_weight is None:
        return
    if sample_weight is not None:
        raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
    if not isinstance(class_weight, dict) or not class_weight:
        raise ValueError("class_weight must be a non-empty dict {class index: weight}, "
                         f"got {class_weight!r}")
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, xp.integer)) or key < 0:
            raise ValueError(f"class_weight keys must be class indices (integers >= 0), got {key!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float, xp.number)):
            raise ValueError(f"class_weight[{key}] must be a number, got {value!r}")


def class_sample_weights(y: Any, class_weight: dict[int, float]) -> xp.ndarray:
    """The weight of each sample's class: labels ``(N,)`` or ``(N, 1)``, or one-hot / probability
    rows ``(N, C)`` (their argmax); a class missing from the dict weighs 1 (as Keras 3)."""
    y = y.array if isinstance(y, Tensor) else xp.asarray(y)
    labels = y.argmax(axis=-1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))
    weights = xp.ones(len(labels), dtype=xp.float32)
    for label, weight in class_weight.items():
        weights[labels == label] = weight
    return weights
