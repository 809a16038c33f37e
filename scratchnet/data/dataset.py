"""Data sets: the PyTorch-style map-style base class, iterable data sets and ``TensorDataset``.

One hierarchy serves both ways in:

- ``Dataset`` is PyTorch's map-style base (``__getitem__``, ``__len__``); ``DataLoader`` batches it.
- ``IterableDataset(Dataset)`` is a stream of samples (``__iter__``).
- ``Dataset.from_tensor_slices(...)`` returns a ``Pipeline`` (an ``IterableDataset``) with
  TensorFlow's ``map / shuffle / batch / repeat / prefetch / take / skip``, as ``tf.data.Dataset``.

Array-backed data sets implement ``__getitems__(indices)``, which returns a whole batch at once
(one fancy-indexing gather per array instead of one Python call per sample); ``DataLoader`` uses it
when present.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.data.validation import check_same_length

if TYPE_CHECKING:
    from scratchnet.data.pipeline import Pipeline


class Dataset:
    """A map-style data set (PyTorch): ``dataset[i]`` is sample ``i`` and ``len(dataset)`` their count.

    Subclasses implement ``__getitem__`` and ``__len__``; they may add ``__getitems__(indices)``
    returning a collated batch (or a list of samples) for fast batching.
    The class method ``from_tensor_slices`` starts a TensorFlow-style pipeline.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    @classmethod
    def from_tensor_slices(cls, tensors: Any) -> Pipeline:
        """A pipeline whose elements are the slices of ``tensors`` along the first axis (TensorFlow).

        ``tensors`` is one array (elements are arrays) or a tuple of arrays with the same first
        dimension, e.g. ``(x, y)`` (elements are tuples). Tensors are accepted and read as arrays.

        >>> x, y = np.zeros((100, 3)), np.arange(100)
        >>> ds = Dataset.from_tensor_slices((x, y)).shuffle(1000, seed=0).batch(32)
        >>> [(inputs.shape, len(labels)) for inputs, labels in ds][-1]
        ((4, 3), 4)
        """
        from scratchnet.data.pipeline import TensorSlices  # pipeline.py builds on this module

        return TensorSlices(tensors)


class IterableDataset(Dataset):
    """A data set read as a stream (PyTorch's ``IterableDataset``): subclasses implement ``__iter__``."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} is an iterable data set: iterate over it, do not index it")


class TensorDataset(Dataset):
    """Samples are the slices ``(t[i] for t in tensors)`` of arrays or Tensors of equal length (PyTorch).

    ``dataset[i]`` is a tuple of Tensors; ``dataset.__getitems__(indices)`` gathers a whole batch with
    one fancy index per array. A length mismatch raises Keras's "Data cardinality is ambiguous" error.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(xp.asarray(t) for t in tensors)
        for i, array in enumerate(self.arrays):
            if array.ndim == 0:
                raise ValueError(f"TensorDataset: tensors[{i}] is a scalar; every array needs a sample axis")
        check_same_length(*self.arrays, names=[f"tensors[{i}]" for i in range(len(self.arrays))])

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The stored arrays as Tensors (PyTorch's attribute)."""
        return tuple(Tensor.wrap(array) for array in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(Tensor.wrap(xp.asarray(array[index])) for array in self.arrays)

    def __getitems__(self, indices: Sequence[int] | xp.ndarray) -> tuple[Tensor, ...]:
        """The batch ``indices`` as a tuple of Tensors with a leading batch axis (one gather per array)."""
        indices = xp.asarray(indices, dtype=xp.intp)
        return tuple(Tensor.wrap(array[indices]) for array in self.arrays)


class Subset(Dataset):
    """The samples ``dataset[indices[i]]`` (PyTorch's ``Subset``); batches keep the fast path."""

    def __init__(self, dataset: Any, indices: Sequence[int] | xp.ndarray) -> None:
        self.dataset = dataset
        self.indices = xp.asarray(indices, dtype=xp.intp)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices: Sequence[int] | xp.ndarray) -> Any:
        """The batch at ``indices``, gathered by the underlying data set when it can."""
        chosen = self.indices[xp.asarray(indices, dtype=xp.intp)]
        getitems = getattr(self.dataset, "__getitems__", None)
        return getitems(chosen) if getitems is not None else [self.dataset[int(i)] for i in chosen]


class ConcatDataset(Dataset):
    """The samples of several map-style data sets one after the other (PyTorch's ``ConcatDataset``).

    ``cumulative_sizes[k]`` is the number of samples in ``datasets[:k + 1]``; index ``i`` belongs to
    the first data set whose cumulative size exceeds it. A batch is gathered by each data set at
    once (``__getitems__``) and the parts merged back into the requested order.
    """

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        if any(isinstance(d, IterableDataset) for d in self.datasets):
            raise ValueError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = xp.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def _locate(self, indices: xp.ndarray) -> tuple[xp.ndarray, xp.ndarray]:
        """``(which data set, index inside it)`` of each global index (negative ones count from the end)."""
        n = len(self)
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise IndexError(f"index out of range for ConcatDataset of length {n}")
        indices = indices % n
        part = xp.searchsorted(self.cumulative_sizes, indices, side="right")
        starts = xp.concatenate([[0], self.cumulative_sizes[:-1]]).astype(xp.intp)
        return part, indices - starts[part]

    def __getitem__(self, index: int) -> Any:
        part, inner = self._locate(xp.asarray([index], dtype=xp.intp))
        return self.datasets[int(part[0])][int(inner[0])]

    def __getitems__(self, indices: Sequence[int] | xp.ndarray) -> Any:
        """The batch at ``indices``: one gather per data set touched, merged back into order."""
        part, inner = self._locate(xp.asarray(indices, dtype=xp.intp))
        if (part == part[0]).all():
            return _gather(self.datasets[int(part[0])], inner)
        pieces = [_gather(self.datasets[k], inner[part == k]) for k in xp.unique(part).tolist()]
        positions = xp.argsort(xp.argsort(part, kind="stable"))  # where each request sits in the pieces
        if all(isinstance(piece, list) for piece in pieces):
            samples = [sample for piece in pieces for sample in piece]
            return [samples[i] for i in positions]
        merged = _concatenate(pieces)
        if merged is None:  # batches of another shape (e.g. dicts): sample by sample
            return [self.datasets[k][i] for k, i in zip(part.tolist(), inner.tolist())]
        return _take(merged, positions)


def _gather(dataset: Any, indices: xp.ndarray) -> Any:
    getitems = getattr(dataset, "__getitems__", None)
    return getitems(indices) if getitems is not None else [dataset[int(i)] for i in indices]


def _as_array(part: Any) -> Any:
    return part.array if isinstance(part, Tensor) else part


def _concatenate(pieces: list[Any]) -> Any:
    """Collated batches joined along the batch axis, or ``None`` when some are lists of samples."""
    if all(isinstance(piece, (Tensor, xp.ndarray)) for piece in pieces):
        return xp.concatenate([_as_array(piece) for piece in pieces])
    if all(isinstance(piece, tuple) for piece in pieces):
        joined = [_concatenate(list(parts)) for parts in zip(*pieces)]
        return None if any(part is None for part in joined) else tuple(joined)
    return None


def _take(batch: Any, positions: xp.ndarray) -> Any:
    if isinstance(batch, tuple):
        return tuple(_take(part, positions) for part in batch)
    return batch[positions]


def random_split(dataset: Any, lengths: Sequence[int | float], generator: xp.random.Generator | None = None,
                 seed: int | None = None) -> list[Subset]:
    """Split ``dataset`` into disjoint random subsets (``Subset``) of the given lengths (PyTorch).

    ``lengths`` are counts summing to ``len(dataset)``, or fractions in [0, 1] summing to 1 (the
    remainder of the floors ``floor(n * fraction)`` is dealt round-robin from the first subset, as
    PyTorch). The permutation comes from ``generator`` (an ``sn.Generator``), a private generator
    seeded with ``seed``, or the global generator.
    """
    n = len(dataset)
    counts = [int(length) for length in lengths]
    if lengths and all(isinstance(length, float) for length in lengths) and abs(sum(lengths) - 1) < 1e-9:
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        counts = [int(length * n) for length in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    if sum(counts) != n or min(counts, default=0) < 0:
        raise ValueError(f"Sum of input lengths {sum(counts)} does not equal the length of the input "
                         f"dataset {n} (lengths {list(lengths)})")
    if generator is not None and seed is not None:
        raise ValueError("give random_split generator= or seed=, not both")
    rng = generator or (backend.generator() if seed is None else xp.random.Generator(xp.random.PCG64(seed)))
    order = rng.permutation(n)
    bounds = xp.cumsum([0] + counts)
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]
