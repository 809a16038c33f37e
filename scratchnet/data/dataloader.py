"""``DataLoader``: mini-batches of a data set as Tensors, shuffled by the seeded generator (PyTorch)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.data.dataset import IterableDataset
from scratchnet.data.validation import check_finite


def collate(samples: Any) -> Any:
    """Combine samples into a batch, as PyTorch's ``default_collate``, with Tensors for arrays.

    A list of samples is stacked along a new first axis: tuples and lists component-wise, dicts
    key-wise, arrays, Tensors and numbers with one ``stack``. A batch that is already collated (what
    ``__getitems__`` of an array-backed data set returns: an array, a Tensor, or a tuple/dict of
    them) only has its arrays wrapped as Tensors. Python floats become float32 (the default float),
    Python ints int64; arrays keep their dtype.
    """
    if isinstance(samples, list):
        return _stack_samples(samples)
    return _as_tensors(samples)


def _as_tensors(batch: Any) -> Any:
    if isinstance(batch, Tensor):
        return batch
    if isinstance(batch, tuple):
        return tuple(_as_tensors(part) for part in batch)
    if isinstance(batch, dict):
        return {key: _as_tensors(value) for key, value in batch.items()}
    return Tensor.wrap(xp.asarray(batch))


def _stack_samples(samples: list[Any]) -> Any:
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(_stack_samples([sample[k] for sample in samples]) for k in range(len(first)))
    if isinstance(first, dict):
        return {key: _stack_samples([sample[key] for sample in samples]) for key in first}
    if isinstance(first, float):
        return Tensor.wrap(xp.asarray(samples, dtype=backend.DEFAULT_FLOAT))
    if isinstance(first, (bool, int)):
        return Tensor.wrap(xp.asarray(samples, dtype=bool if isinstance(first, bool) else xp.int64))
    arrays = [sample.array if isinstance(sample, Tensor) else sample for sample in samples]
    return Tensor.wrap(xp.stack(arrays))


def _check_batch_finite(batch: Any, indices: xp.ndarray | None) -> None:
    """Raise for NaN/inf in the float arrays of a collated batch, naming the data-set index."""
    parts = tuple(batch.values()) if isinstance(batch, dict) else batch
    for position, part in enumerate(parts if isinstance(parts, (tuple, list)) else (parts,)):
        if not isinstance(part, (Tensor, xp.ndarray)):
            continue  # whatever a custom collate_fn returns besides arrays is not checked
        array = part.array if isinstance(part, Tensor) else part
        try:
            check_finite(array, name=f"batch element {position}", indices=indices)
        except ValueError as error:
            raise ValueError(f"{error}; pass check_finite=False to DataLoader to skip this check") from None


class DataLoader:
    """Iterate over ``dataset`` in mini-batches collated into Tensors (PyTorch's ``DataLoader``).

    - ``shuffle=True`` draws a new permutation each epoch from ``backend.generator()`` (so
      ``sn.manual_seed`` makes runs reproducible), or from a private generator seeded with ``seed``
      (the epochs still differ from each other, and the sequence of epochs is reproducible).
    - Batches are fetched with ``dataset.__getitems__(indices)`` when the data set has it (one
      gather per array for ``TensorDataset``), else sample by sample and collated with ``collate``.
    - ``drop_last=True`` drops the final incomplete batch; ``len(loader)`` is the number of batches.
    - ``check_finite=True`` (scratchnet addition; PyTorch does not check) raises on NaN/inf in float
      batches, naming the data-set index of the sample, so a bad sample fails loudly at the input.
    - An ``IterableDataset`` (e.g. a pipeline) is batched in stream order; it cannot be shuffled.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed: int | None = None, collate_fn: Any = None, check_finite: bool = True) -> None:
        if not isinstance(batch_size, (int, xp.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError("batch_size should be a positive integer value, "
                             f"but got batch_size={batch_size!r}")
        self.iterable = isinstance(dataset, IterableDataset)
        if self.iterable and shuffle:
            raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle option, "
                             "but got shuffle=True (shuffle the pipeline itself)")
        if not self.iterable and len(dataset) == 0:
            raise ValueError("num_samples should be a positive integer value, but got num_samples=0 "
                             f"(the data set {type(dataset).__name__} is empty)")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate if collate_fn is None else collate_fn
        self.check_finite = check_finite
        self.generator = xp.random.Generator(xp.random.PCG64(seed)) if seed is not None else None

    def __len__(self) -> int:
        """The number of batches per epoch: ``ceil(n / batch_size)``, or ``floor`` with ``drop_last``."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> xp.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return xp.arange(n)
        return (self.generator or backend.generator()).permutation(n)

    def _fetch(self, indices: xp.ndarray) -> Any:
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is not None:
            return self.collate_fn(getitems(indices))
        return self.collate_fn([self.dataset[int(i)] for i in indices])

    def _index_batches(self) -> Iterator[xp.ndarray]:
        order = self._order()
        stop = len(self) * self.batch_size if self.drop_last else len(order)
        return (order[start:start + self.batch_size] for start in range(0, stop, self.batch_size))

    def _stream_batches(self) -> Iterator[Any]:
        samples = iter(self.dataset)
        while chunk := list(itertools.islice(samples, self.batch_size)):
            if self.drop_last and len(chunk) < self.batch_size:
                return
            yield self.collate_fn(chunk)

    def __iter__(self) -> Iterator[Any]:
        if self.iterable:
            for batch in self._stream_batches():
                if self.check_finite:
                    _check_batch_finite(batch, None)
                yield batch
            return
        for indices in self._index_batches():
            batch = self._fetch(indices)
            if self.check_finite:
                _check_batch_finite(batch, indices)
            yield batch

