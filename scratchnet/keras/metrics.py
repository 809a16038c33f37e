"""Keras metrics computed on NumPy arrays after each batch, and their running means.

A metric is a function ``fn(y_true, y_pred) -> float`` (the batch mean); ``fit`` and
``evaluate`` report the mean over every sample seen in the epoch (batches weighted by size).
``'accuracy'`` (or ``'acc'``) is resolved as Keras does: by the loss when it is a cross-entropy
(sparse categorical, categorical, binary), otherwise by shapes (one output unit: binary; integer
labels with one axis fewer: sparse categorical; else categorical).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp

MetricFn = Callable[[Any, Any], float]


def _array(value: Any) -> xp.ndarray:
    return value.array if isinstance(value, Tensor) else xp.asarray(value)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose highest score is at the integer label."""
    labels, scores = _array(y_true), _array(y_pred)
    return float((scores.argmax(axis=-1) == labels.reshape(scores.shape[:-1])).mean())


def categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose highest score is at the one-hot target's highest entry."""
    return float((_array(y_pred).argmax(axis=-1) == _array(y_true).argmax(axis=-1)).mean())


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Fraction of entries where (p > threshold) equals the 0/1 target."""
    scores = _array(y_pred)
    targets = _array(y_true).reshape(scores.shape)
    return float(((scores > threshold) == (targets > 0.5)).mean())


def mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """mean((y − ŷ)²)."""
    scores = _array(y_pred)
    return float(((_array(y_true).reshape(scores.shape) - scores) ** 2).mean())


def mean_absolute_error(y_true: Any, y_pred: Any) -> float:
    """mean(|y − ŷ|)."""
    scores = _array(y_pred)
    return float(abs(_array(y_true).reshape(scores.shape) - scores).mean())


_BY_NAME: dict[str, MetricFn] = {
    "sparse_categorical_accuracy": sparse_categorical_accuracy, "categorical_accuracy": categorical_accuracy,
    "binary_accuracy": binary_accuracy, "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error}


def accuracy_by_shape(y_true: Any, y_pred: Any) -> MetricFn:
    """Keras's choice of accuracy from the shapes of targets and predictions."""
    true_shape, pred_shape = xp.shape(y_true), xp.shape(y_pred)
    if pred_shape[-1] == 1:
        return binary_accuracy
    if len(true_shape) < len(pred_shape) or true_shape[-1] == 1:
        return sparse_categorical_accuracy
    return categorical_accuracy


class Metric:
    """A named metric; ``fn`` may be decided at the first batch (``'accuracy'``)."""

    def __init__(self, name: str, fn: MetricFn | None) -> None:
        self.name = name
        self.fn = fn

    def __call__(self, y_true: Any, y_pred: Any) -> float:
        if self.fn is None:
            self.fn = accuracy_by_shape(y_true, y_pred)
        return float(self.fn(y_true, y_pred))


def get(identifier: Any, loss: Any = None) -> Metric:
    """A ``Metric`` from a name or a function; ``'accuracy'`` follows ``loss`` (see the module doc)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            return Metric(identifier, getattr(loss, "accuracy", None))
        if key not in _BY_NAME:
            known = ", ".join(["accuracy", "acc", *sorted(_BY_NAME)])
            raise ValueError(f"unknown metric {identifier!r}; known: {known}")
        return Metric(identifier, _BY_NAME[key])
    if callable(identifier):
        return Metric(getattr(identifier, "__name__", "metric"), identifier)
    raise TypeError(f"a metric must be a name or a function, got {type(identifier).__name__}")


class Mean:
    """A running mean tracker, as ``keras.metrics.Mean``: ``update_state(values, sample_weight=None)``
    adds Σ w·v and Σ w, ``result()`` is their ratio (0 before any update), ``reset_state()``
    starts again."""

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        self.name = name
        self.reset_state()

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Add ``values`` (a number, array or Tensor), each weighted by ``sample_weight`` (1)."""
        array = xp.asarray(values.numpy() if hasattr(values, "numpy") else values, dtype=xp.float64)
        weight = xp.asarray(1.0 if sample_weight is None else sample_weight, dtype=xp.float64)
        weights = xp.broadcast_to(weight, array.shape)
        self.total += float((array * weights).sum())
        self.count += float(weights.sum())

    def result(self) -> float:
        """Σ w·v / Σ w so far."""
        return self.total / self.count if self.count else 0.0

    def reset_state(self) -> None:
        """Forget every update."""
        self.total, self.count = 0.0, 0.0


class RunningMeans:
    """Sample-weighted running means of the loss and the metrics over an epoch."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.totals = [0.0] * len(names)
        self.count = 0

    def update(self, values: list[float], batch_size: int) -> None:
        """Add one batch's values (batch means) weighted by its size."""
        self.totals = [total + value * batch_size for total, value in zip(self.totals, values)]
        self.count += batch_size

    def result(self) -> dict[str, float]:
        """name -> mean so far."""
        return {name: total / max(self.count, 1) for name, total in zip(self.names, self.totals)}
