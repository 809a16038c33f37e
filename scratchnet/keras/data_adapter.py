"""What ``fit``, ``evaluate`` and ``predict`` accept as data, turned into batches of arrays.

``x`` may be NumPy arrays (float64 and uint8 included), Tensors or nested lists with targets ``y``;
or a ``scratchnet.data`` pipeline (``Dataset.from_tensor_slices((x, y)).batch(32)``) or
``DataLoader`` yielding ``(x, y)`` batches. Arrays are checked once per call (equal lengths, not
empty, numeric, no NaN/inf) and shuffled once per epoch by one permutation from the seeded
generator; input batches are cast to float32.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.data import batching, validation
from scratchnet.data.dataloader import DataLoader, collate
from scratchnet.data.dataset import Subset, TensorDataset
from scratchnet.data.pipeline import INFINITE
from scratchnet.data.sampler import BatchSampler, RandomSampler, SequentialSampler


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
        sampling = "shuffle" if self.shuffle else "sequential"
        for index in batching.index_batches(len(self.x), self.batch_size, sampling):
            x = as_float_input(self.x[index])
            if self.y is None:
                yield x
            else:
                yield (x, self.y[index]) if self.sample_weight is None else \
                    (x, self.y[index], self.sample_weight[index])


class SourceBatches:
    """The batches of a pipeline or DataLoader, as ``(x, y)`` arrays (``x`` alone for inputs only).

    Unless the whole source was checked before training (``checked``, see ``check_before_training``),
    each batch is validated as it is read, as arrays are (numeric, not empty, equal lengths, no
    NaN/inf, and ``check_targets(x, y)``), the error naming the batch's index."""

    def __init__(self, source: Any, inputs_only: bool = False) -> None:
        self.source = source
        self.inputs_only = inputs_only
        self.checked = False
        self.check_targets: Callable[[Any, Any], None] | None = None

    @property
    def steps(self) -> int | None:
        """Batches in one pass over the source; None when unknown (a generator, ``filter``)."""
        try:
            return len(self.source)
        except TypeError:
            return None

    @property
    def infinite(self) -> bool:
        """Whether the source is endless (a pipeline ending in ``repeat()``)."""
        cardinality = getattr(self.source, "cardinality", None)
        return callable(cardinality) and cardinality() == INFINITE

    def __iter__(self) -> Iterator[Any]:
        for index, batch in enumerate(self.source):
            x, y, *weights = self._parts(_numpy(batch))
            if not self.checked:
                self._check(x, y, index)
            yield as_float_input(x) if self.inputs_only else (as_float_input(x), y, *weights)

    def _parts(self, batch: Any) -> tuple[Any, ...]:
        """``(x, y)`` or ``(x, y, sample_weight)`` of one batch (``(x, None)`` for inputs only)."""
        if isinstance(batch, (tuple, list)):
            if self.inputs_only:
                return batch[0], None
            if len(batch) < 2:
                raise ValueError("a data set given to fit/evaluate must yield (x, y) batches, "
                                 f"got a tuple of {len(batch)}")
            return tuple(batch[:3])
        if self.inputs_only:
            return batch, None
        raise ValueError("a data set given to fit/evaluate must yield (x, y) batches, "
                         f"got {type(batch).__name__}")

    def _check(self, x: Any, y: Any, index: int) -> None:
        """Validate one batch as arrays are validated; errors name the batch."""
        try:
            x, y = checked_arrays(x, y)
            if y is not None and self.check_targets is not None:
                self.check_targets(x, y)
        except ValueError as error:
            raise type(error)(f"batch {index} of the data set: {error}") from error


def first_batch(data: SourceBatches) -> Any:
    """The first batch of a source (to build a model on its shape); ``ValueError`` in Keras's
    words when the source gives none."""
    for batch in data:
        return batch
    raise ValueError("Expect x to be a non-empty array or dataset (the data set gave no batches)")


def count_steps(data: ArrayBatches | SourceBatches | StepsPerEpoch) -> int | None:
    """The number of batches of one epoch of ``data``; None when a source cannot tell."""
    return data.steps if isinstance(data, SourceBatches) else len(data)


def refuse_infinite(data: Any, role: str = "x") -> None:
    """``ValueError`` for an endless source (a pipeline ending in ``repeat()``): ``fit``'s ``x``
    (``role`` "x") needs ``steps_per_epoch``, anything else a ``.take(n)``."""
    if isinstance(data, SourceBatches) and data.infinite:
        hint = ("give steps_per_epoch, the number of batches in an epoch, or do not repeat() it"
                if role == "x" else "bound it with .take(n)")
        raise ValueError(f"{role} is an infinite data set (a pipeline ending in repeat()): {hint}")


def check_before_training(data: Any, check_targets: Callable[[Any, Any], None], role: str = "x",
                          read_through: bool = False) -> None:
    """The one validation of data entering ``fit``/``evaluate``, before any weight changes where the
    data is finite and in memory: arrays (already numeric, finite, of equal lengths) get their
    targets checked (``check_targets(x, y)``: labels in range, shapes that fit the loss); a pipeline
    whose batches are exactly slices of in-memory arrays (``from_tensor_slices`` followed by
    ``shuffle``, ``batch``, ``repeat``, ``cache``, ``prefetch``), or a ``DataLoader`` over a
    ``TensorDataset`` or a ``Subset`` of one (see ``source_arrays``), has those arrays checked whole.
    Any other source (a per-sample transform, a custom ``collate_fn`` or sampler, a generator) is
    checked batch by batch as it is read, so its bad batch k fails after k-1 steps; with
    ``read_through`` (validation data) a finite one is also read through once now, the global
    generator's state kept, so that it fails before the first epoch. An endless source is refused
    (``role`` names it in the message) unless the epoch is bounded by ``steps_per_epoch``."""
    bounded = isinstance(data, StepsPerEpoch)
    data = data.data if bounded else data
    if isinstance(data, ArrayBatches):
        if data.y is not None:
            check_targets(data.x, data.y)
        return
    if not bounded:
        refuse_infinite(data, role)
    arrays = source_arrays(data.source)
    if arrays is not None and len(arrays) >= 2:
        x, y = checked_arrays(arrays[0], arrays[1])
        check_targets(x, y)
        data.checked = True
    else:
        data.check_targets = check_targets
        if read_through and data.steps is not None:
            state = backend.get_rng_state()
            for _ in data:
                pass
            backend.set_rng_state(state)


def source_arrays(source: Any) -> tuple[Any, ...] | None:
    """The in-memory arrays whose rows are exactly the samples ``source`` yields, or None: a
    pipeline's (its ``source_arrays()``), or a ``DataLoader``'s whose data set is a ``TensorDataset``
    (its arrays) or a ``Subset`` of one (the chosen rows), batched by the default ``collate`` and
    sampled by the default sequential or random sampler (which draw from every row)."""
    if not isinstance(source, DataLoader):
        return getattr(source, "source_arrays", lambda: None)()
    batch_sampler = source.batch_sampler
    if (source.collate_fn is not collate or not isinstance(batch_sampler, BatchSampler)
            or batch_sampler.sampler is not source.sampler
            or type(source.sampler) not in (SequentialSampler, RandomSampler)):
        return None
    dataset, rows = source.dataset, None
    if type(dataset) is Subset:
        dataset, rows = dataset.dataset, dataset.indices
    if type(dataset) is not TensorDataset:
        return None
    return dataset.arrays if rows is None else tuple(array[rows] for array in dataset.arrays)


_END = object()


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
        for step in range(self.steps):
            if self.iterator is None:
                self.iterator = iter(self.data)
            batch = next(self.iterator, _END)
            if batch is _END and step == 0:  # the previous epoch ended with the data: start afresh
                self.iterator = iter(self.data)
                batch = next(self.iterator, _END)
            if batch is _END:
                self.iterator = None
                return
            yield batch


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


