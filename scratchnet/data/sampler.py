"""Samplers: which data-set indices an epoch visits, in which order (PyTorch's ``torch.utils.data`` samplers).

A sampler yields indices one by one, as PyTorch's; the samplers here also give a whole epoch's
indices as one array (``epoch_indices()``), which ``BatchSampler`` slices into batches without a Python
step per sample. ``Sampler`` is the base for any other (a ``DistributedSampler`` subclasses it).

Random samplers draw an epoch from their ``generator=`` or, without one, from a private generator
seeded with a number drawn from the global generator (as PyTorch), and can replay the epoch they
are in (``state_dict`` / ``load_state_dict``), which ``DataLoader`` uses to resume mid-epoch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence, Sized
from typing import Any

from scratchnet import backend
from scratchnet.backend import xp
from scratchnet.data import batching


def check_positive_int(value: Any, name: str) -> int:
    """``value`` as an int, or PyTorch's ``ValueError`` "<name> should be a positive integer value"."""
    if not isinstance(value, (int, xp.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value!r}")
    return int(value)


def check_bool(value: Any, name: str, error: type[Exception] = ValueError) -> bool:
    """``value`` if it is a bool, or PyTorch's ``error`` "<name> should be a boolean value"."""
    if not isinstance(value, bool):
        raise error(f"{name} should be a boolean value, but got {name}={value!r}")
    return value


class Sampler:
    """The base of every sampler (PyTorch's ``Sampler``): ``iter(sampler)`` yields data-set indices.

    Subclasses implement ``__iter__`` (and ``__len__`` when the count is known). They may implement
    ``epoch_indices()``, one epoch as an integer array, for batching without a per-sample Python loop, and
    ``state_dict`` / ``load_state_dict`` when an epoch depends on random draws.
    """

    def __init__(self, data_source: Sized | None = None) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def state_dict(self) -> dict[str, Any]:
        """What replays the current epoch (empty: a deterministic sampler has no state)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()``'s result: a deterministic sampler accepts only its empty state."""
        if state != {}:
            raise ValueError(f"{type(self).__name__} has no state to restore, got {state!r:.80}")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order (PyTorch)."""

    def __init__(self, data_source: Sized) -> None:
        super().__init__(data_source)

    def epoch_indices(self) -> xp.ndarray:
        """The epoch's indices: ``arange(len(data_source))``."""
        return xp.arange(len(self.data_source))

    def __iter__(self) -> Iterator[int]:
        return iter(self.epoch_indices().tolist())

    def __len__(self) -> int:
        return len(self.data_source)


class _RandomEpochs(Sampler):
    """A sampler whose epochs are random draws that ``state_dict`` can replay.

    An epoch draws from ``generator`` (its state at the epoch's start is kept), or, without one,
    from a private generator seeded by one draw from the global generator (the seed is kept).
    """

    def __init__(self, data_source: Sized | None, generator: xp.random.Generator | None) -> None:
        super().__init__(data_source)
        if generator is not None and not isinstance(generator, xp.random.Generator):
            raise TypeError("generator should be an sn.Generator (or numpy Generator), "
                            f"got {type(generator).__name__}")
        self.generator = generator
        self._epoch_start: dict[str, Any] | None = None
        self._replay: dict[str, Any] | None = None

    def _epoch_rng(self) -> xp.random.Generator:
        start = self._replay
        self._replay = None
        if start is None:
            start = ({"seed": int(backend.generator().integers(2**63))} if self.generator is None
                     else {"generator": backend.bit_generator_state(self.generator)})
        self._epoch_start = start
        if "seed" in start:
            return xp.random.Generator(xp.random.PCG64(start["seed"]))
        self.generator.bit_generator.state = start["generator"]
        return self.generator

    def epoch_indices(self) -> xp.ndarray:
        """One epoch's indices as an integer array (a fresh random draw each call)."""
        return self._draw(self._epoch_rng())

    def _draw(self, rng: xp.random.Generator) -> xp.ndarray:
        raise NotImplementedError

    def __iter__(self) -> Iterator[int]:
        return iter(self.epoch_indices().tolist())

    def state_dict(self) -> dict[str, Any]:
        """``{"epoch_start": what replays the last epoch begun (None before the first),
        "generator": the generator's state now (None without a generator)}``."""
        now = None if self.generator is None else backend.bit_generator_state(self.generator)
        return {"epoch_start": self._epoch_start, "generator": now}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set the generator to ``state["generator"]``; with an ``"epoch_start"``, the next epoch replays
        that one. The state is checked first (``ValueError`` naming the problem, nothing changed)."""
        start, now = check_sampler_state(state, has_generator=self.generator is not None)
        if now is not None:
            self.generator.bit_generator.state = now
        self._replay = start


def check_sampler_state(state: Any, has_generator: bool) -> tuple[dict | None, dict | None]:
    """``(epoch_start, generator)`` of a random sampler's state, checked (``ValueError`` naming the
    problem)."""
    if not isinstance(state, dict) or set(state) != {"epoch_start", "generator"}:
        raise ValueError("sampler state must be a dict with keys 'epoch_start' and 'generator', "
                         f"got {state!r:.80}")
    start, now = state["epoch_start"], state["generator"]
    if (now is not None) != has_generator:
        raise ValueError("sampler state: 'generator' must be given exactly when the sampler has a generator")
    if now is not None:
        backend.checked_pcg64_state(now)
    if start is None:
        return None, now
    if not isinstance(start, dict) or len(start) != 1 or not {"seed", "generator"} & set(start):
        raise ValueError("sampler state: 'epoch_start' must be {'seed': int} or {'generator': state}, "
                         f"got {start!r:.80}")
    if "seed" in start:
        seed = start["seed"]
        if has_generator or not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
            raise ValueError(f"sampler state: bad epoch seed {seed!r} "
                             "(a non-negative 63-bit int, without a generator)")
    elif not has_generator:
        raise ValueError("sampler state: an epoch of a generator, but the sampler has no generator")
    else:
        backend.checked_pcg64_state(start["generator"])
    return start, now


class RandomSampler(_RandomEpochs):
    """A random order of ``data_source``'s indices (PyTorch's ``RandomSampler``).

    Without replacement, each epoch is a permutation (``num_samples`` larger than the data set
    concatenates permutations); with ``replacement=True``, ``num_samples`` uniform draws.
    ``num_samples`` defaults to ``len(data_source)``.
    """

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator: xp.random.Generator | None = None) -> None:
        super().__init__(data_source, generator)
        self.replacement = check_bool(replacement, "replacement", TypeError)
        self._num_samples = num_samples
        check_positive_int(self.num_samples, "num_samples")

    @property
    def num_samples(self) -> int:
        """The number of indices per epoch."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _draw(self, rng: xp.random.Generator) -> xp.ndarray:
        return batching.epoch_order(len(self.data_source), self.num_samples, self.replacement, rng)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(_RandomEpochs):
    """The given ``indices`` in a random order, a new one each epoch (PyTorch)."""

    def __init__(self, indices: Sequence[int] | xp.ndarray,
                 generator: xp.random.Generator | None = None) -> None:
        super().__init__(None, generator)
        self.indices = xp.asarray(indices, dtype=xp.intp).reshape(-1)

    def _draw(self, rng: xp.random.Generator) -> xp.ndarray:
        return self.indices[batching.epoch_order(len(self.indices), generator=rng)]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(_RandomEpochs):
    """``num_samples`` indices drawn with probability ``weights[i] / sum(weights)`` (PyTorch's
    ``WeightedRandomSampler``); without replacement, each index at most once."""

    def __init__(self, weights: Sequence[float] | xp.ndarray, num_samples: int, replacement: bool = True,
                 generator: xp.random.Generator | None = None) -> None:
        super().__init__(None, generator)
        self.num_samples = check_positive_int(num_samples, "num_samples")
        self.replacement = check_bool(replacement, "replacement")
        weights = xp.asarray(getattr(weights, "array", weights), dtype=xp.float64)
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {weights.shape}")
        if not xp.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        if not replacement and num_samples > xp.count_nonzero(weights):
            raise ValueError(f"cannot draw num_samples={num_samples} without replacement from "
                             f"{xp.count_nonzero(weights)} non-zero weights")
        self.weights = weights

    def _draw(self, rng: xp.random.Generator) -> xp.ndarray:
        probabilities = self.weights / self.weights.sum()
        return rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement, p=probabilities)

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups ``sampler``'s indices into lists of ``batch_size`` (PyTorch's ``BatchSampler``); the
    last, shorter batch is dropped with ``drop_last=True``."""

    def __init__(self, sampler: Sampler | Sequence[int], batch_size: int, drop_last: bool) -> None:
        super().__init__(None)
        self.sampler = sampler
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.drop_last = check_bool(drop_last, "drop_last")

    def batches(self) -> Iterator[xp.ndarray]:
        """One epoch's batches as integer arrays: slices of ``sampler.epoch_indices()`` when the sampler has
        it, else chunks of its iterator."""
        whole = getattr(self.sampler, "epoch_indices", None)
        if callable(whole):
            return batching.chunks(xp.asarray(whole(), dtype=xp.intp), self.batch_size, self.drop_last)
        return self._chunks()

    def _chunks(self) -> Iterator[xp.ndarray]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield xp.asarray(batch, dtype=xp.intp)
                batch = []
        if batch and not self.drop_last:
            yield xp.asarray(batch, dtype=xp.intp)

    def __iter__(self) -> Iterator[list[int]]:
        return (batch.tolist() for batch in self.batches())

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def state_dict(self) -> dict[str, Any]:
        """The inner sampler's state."""
        return self.sampler.state_dict() if isinstance(self.sampler, Sampler) else {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the inner sampler's state."""
        if isinstance(self.sampler, Sampler):
            self.sampler.load_state_dict(state)
