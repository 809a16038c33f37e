"""What ``fit``, ``evaluate`` and ``predict`` accept as data, turned into batches of arrays.

``x`` may be NumPy arrays (float64 and uint8 included), Tensors or nested lists with targets ``y``;
or a ``scratchnet.data`` pipeline (``Dataset.from_tensor_slices((x, y)).batch(32)``) or
``DataLoader`` yielding ``(x, y)`` batches. Arrays are checked once per call (equal lengths, not
empty, numeric, no NaN/inf) and shuffled once per epoch by one permutation from the seeded
generator; input batches are cast to float32.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.data import validation
from scratchnet.training import batch_indices


def _numpy(value: Any) -> Any:
    """Tensors as arrays; tuples and lists of them element-wise; anything else unchanged."""
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, (tuple, list)):
        return type(value)(_numpy(v) for v in value)
    return value


def as_float_input(x: Any) -> Any:
    """An input batch as float32 (floating arrays of another dtype and integer images included)."""
    return x if not isinstance(x, xp.ndarray) or x.dtype == xp.float32 else x.astype(xp.float32)


def is_batched_source(x: Any) -> bool:
    """Whether ``x`` yields batches itself (a pipeline, a DataLoader, any iterable of batches)
    rather than being an array-like of samples."""
    return not isinstance(x, (xp.ndarray, Tensor, list, tuple)) and hasattr(x, "__iter__")


class ArrayBatches:
    """``(x, y)`` arrays (or ``x`` alone) in batches of ``batch_size``; reshuffled each epoch.
    With per-sample weights the batches are ``(x, y, sample_weight)``."""

    def __init__(self, x: xp.ndarray, y: xp.ndarray | None, batch_size: int, shuffle: bool,
                 sample_weight: xp.ndarray | None = None) -> None:
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.sample_weight = sample_weight

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        for index in batch_indices(len(self.x), self.batch_size, self.shuffle):
            x = as_float_input(self.x[index])
            if self.y is None:
                yield x
            else:
                yield (x, self.y[index]) if self.sample_weight is None else \
                    (x, self.y[index], self.sample_weight[index])


class SourceBatches:
    """The batches of a pipeline or DataLoader, as ``(x, y)`` arrays (``x`` alone for inputs only)."""

    def __init__(self, source: Any, inputs_only: bool = False) -> None:
        self.source = source
        self.inputs_only = inputs_only

    def __len__(self) -> int | None:
        try:
            return len(self.source)
        except TypeError:
            return None

    def __iter__(self) -> Iterator[Any]:
        for batch in self.source:
            batch = _numpy(batch)
            if isinstance(batch, (tuple, list)):
                if self.inputs_only:
                    yield as_float_input(batch[0])
                    continue
                if len(batch) < 2:
                    raise ValueError("a data set given to fit/evaluate must yield (x, y) batches, "
                                     f"got a tuple of {len(batch)}")
                yield (as_float_input(batch[0]), *batch[1:3])
            elif self.inputs_only:
                yield as_float_input(batch)
            else:
                raise ValueError("a data set given to fit/evaluate must yield (x, y) batches, "
                                 f"got {type(batch).__name__}")


class StepsPerEpoch:
    """Epochs of at most ``steps`` batches read from one iterator over ``data`` that carries on
    across epochs (Keras's ``steps_per_epoch``); when ``data`` runs out, the epoch ends early and
    the next one starts ``data`` afresh."""

    def __init__(self, data: ArrayBatches | SourceBatches, steps: int) -> None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps_per_epoch must be a positive integer, got {steps!r}")
        self.data, self.steps = data, steps
        self.iterator: Iterator[Any] | None = None

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[Any]:
        for _ in range(self.steps):
            if self.iterator is None:
                self.iterator = iter(self.data)
            try:
                yield next(self.iterator)
            except StopIteration:
                self.iterator = None
                return


def checked_arrays(x: Any, y: Any) -> tuple[xp.ndarray, xp.ndarray | None]:
    """``x`` (and ``y``) as numeric arrays of equal length, not empty, without NaN/inf."""
    x = validation.check_numeric(_numpy(x), "x")
    validation.check_not_empty(x, "x")
    validation.check_finite(x, "x")
    if y is None:
        return x, None
    y = validation.check_numeric(_numpy(y), "y")
    validation.check_same_length(x, y)
    validation.check_finite(y, "y")
    return x, y


def batches(x: Any, y: Any = None, batch_size: int | None = None, shuffle: bool = False,
            inputs_only: bool = False, sample_weight: Any = None) -> ArrayBatches | SourceBatches:
    """Batches of ``(x, y)`` (or of ``x`` alone when ``inputs_only``) from arrays or a source;
    ``(x, y, sample_weight)`` with per-sample weights (a source may yield such triples itself)."""
    if is_batched_source(x):
        if y is not None or sample_weight is not None:
            raise ValueError("y and sample_weight must not be given when x is a data set or DataLoader "
                             "(it yields the targets, and may yield (x, y, sample_weight))")
        return SourceBatches(x, inputs_only)
    if y is None and not inputs_only:
        raise ValueError("targets y are required when x is an array")
    x, y = checked_arrays(x, y)
    return ArrayBatches(x, y, _batch_size(batch_size), shuffle, _weights(sample_weight, x, y))


def _weights(sample_weight: Any, x: xp.ndarray, y: xp.ndarray | None) -> xp.ndarray | None:
    """Per-sample weights as a float32 vector of the samples' length, finite (or None)."""
    if sample_weight is None:
        return None
    weights = validation.check_numeric(_numpy(sample_weight), "sample_weight")
    validation.check_same_length(x, y, weights)
    validation.check_finite(weights, "sample_weight")
    if weights.ndim != 1:
        raise ValueError(f"sample_weight must have one weight per sample, shape ({len(x)},), "
                         f"got {weights.shape}")
    return weights.astype(xp.float32)


def _batch_size(batch_size: int | None) -> int:
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, xp.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def split_validation(x: Any, y: Any, validation_split: float) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``(train, validation)``: the validation part is the last ``validation_split`` of the
    samples, taken before any shuffling (Keras: train = the first ⌊n·(1 − split)⌋ samples)."""
    if is_batched_source(x):
        raise ValueError("validation_split is only supported for arrays and Tensors, not for data sets "
                         "or DataLoaders; pass validation_data instead")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
    x, y = checked_arrays(x, y)
    split_at = int(math.floor(len(x) * (1.0 - validation_split)))
    if split_at == 0 or split_at == len(x):
        raise ValueError(f"validation_split={validation_split} leaves {split_at} training and "
                         f"{len(x) - split_at} validation samples out of {len(x)}; both must be non-empty")
    return (x[:split_at], y[:split_at]), (x[split_at:], y[split_at:])


def validation_batches(validation_data: Any, batch_size: int | None) -> ArrayBatches | SourceBatches:
    """Batches of ``validation_data``: ``(x_val, y_val)`` arrays or a data set of ``(x, y)`` batches."""
    if is_batched_source(validation_data):
        return SourceBatches(validation_data)
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError("validation_data must be (x_val, y_val) or a data set yielding (x, y) batches")
    return batches(*validation_data[:2], batch_size,
                   sample_weight=validation_data[2] if len(validation_data) == 3 else None)


