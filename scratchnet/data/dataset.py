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

        >>> ds = Dataset.from_tensor_slices((x, y)).shuffle(1000, seed=0).batch(32)
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


def random_split(dataset: Any, lengths: Sequence[int | float], seed: int | None = None) -> list[Subset]:
    """Split ``dataset`` into disjoint random ``Subset``s of the given lengths (PyTorch).

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1 (the remainder
    of the floors is dealt round-robin from the first subset, as PyTorch). The permutation comes
    from ``backend.generator()`` or, with ``seed``, a private generator.
    """
    n = len(dataset)
    counts = [int(length) for length in lengths]
    if lengths and all(isinstance(length, float) for length in lengths) and abs(sum(lengths) - 1) < 1e-9:
        counts = [int(length * n) for length in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    if sum(counts) != n or min(counts, default=0) < 0:
        raise ValueError(f"Sum of input lengths {sum(counts)} does not equal the length of the input "
                         f"dataset {n} (lengths {list(lengths)})")
    rng = backend.generator() if seed is None else xp.random.Generator(xp.random.PCG64(seed))
    order = rng.permutation(n)
    bounds = xp.cumsum([0] + counts)
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]
