"""``DataLoader``: mini-batches of a data set as Tensors (PyTorch's), in parallel worker processes on
request, with a state that resumes an interrupted epoch (as torchdata's stateful loaders)."""

from __future__ import annotations

import copy
import itertools
import numbers
from collections.abc import Callable, Iterator
from typing import Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.data.dataset import IterableDataset
from scratchnet.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    check_positive_int,
)
from scratchnet.data.validation import check_finite
from scratchnet.data.workers import WorkerPool

STATE_FORMAT = "scratchnet.DataLoader"
"""The ``"format"`` entry of ``DataLoader.state_dict()``."""


def collate(samples: Any) -> Any:
    """Combine samples into a batch, as PyTorch's ``default_collate``, with Tensors for arrays.

    A list of samples is stacked along a new first axis: tuples and lists component-wise, dicts
    key-wise, arrays, Tensors and numbers with one ``stack``. A batch that is already collated (what
    ``__getitems__`` of an array-backed data set returns: an array, a Tensor, or a tuple/dict of
    them) only has its arrays wrapped as Tensors. Python floats become float32 (the default float;
    PyTorch gives float64), Python ints int64; arrays keep their dtype; strings stay a list.
    """
    if isinstance(samples, list):
        return _stack_samples(samples)
    return _as_tensors(samples)


default_collate = collate
"""PyTorch's name for ``collate``."""


def default_convert(sample: Any) -> Any:
    """A sample's arrays as Tensors, nothing stacked (PyTorch's ``default_convert``: what a
    ``DataLoader(batch_size=None)`` yields)."""
    return _as_tensors(sample)


def _as_tensors(batch: Any) -> Any:
    if isinstance(batch, Tensor):
        return batch
    if isinstance(batch, tuple):
        return tuple(_as_tensors(part) for part in batch)
    if isinstance(batch, dict):
        return {key: _as_tensors(value) for key, value in batch.items()}
    if isinstance(batch, (str, bytes)):
        return batch
    return Tensor.wrap(xp.asarray(batch))


def _stack_samples(samples: list[Any]) -> Any:
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(_stack_samples([sample[k] for sample in samples]) for k in range(len(first)))
    if isinstance(first, dict):
        return {key: _stack_samples([sample[key] for sample in samples]) for key in first}
    if isinstance(first, (str, bytes)):
        return list(samples)
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



class DataLoaderStateError(ValueError):
    """A state given to ``DataLoader.load_state_dict`` that does not fit the loader (raised before any
    change to the loader, its sampler or its generator)."""


class DataLoader:
    """Iterate over ``dataset`` in mini-batches collated into Tensors (PyTorch's ``DataLoader``).

    - Order: ``sampler`` (any iterable of indices) or, by default, ``SequentialSampler`` /
      ``RandomSampler`` with ``shuffle=True``; ``batch_sampler`` yields whole batches of indices.
      Random draws come from ``generator`` (an ``sn.Generator``), from a private generator seeded
      with ``seed`` (scratchnet addition), else from the global generator (``sn.manual_seed``).
      Each epoch first draws a ``base_seed`` from that generator, as PyTorch, whatever ``num_workers``.
    - Batches are fetched with ``dataset.__getitems__(indices)`` when the data set has it (one
      gather per array for ``TensorDataset``), else sample by sample and collated with ``collate_fn``
      (default ``collate``). ``batch_size=None`` yields single samples (``default_convert``).
    - ``num_workers=n`` loads in ``n`` worker processes (``scratchnet.data.workers``), ``prefetch_factor``
      batches each in flight; batches come in the same order, with the same content, as with
      ``num_workers=0``. Worker ``i`` seeds the global generator with ``base_seed + i``, then calls
      ``worker_init_fn(i)``. ``persistent_workers`` keeps them between epochs; ``timeout`` bounds the
      wait for a batch. ``pin_memory`` is accepted and does nothing (there is no accelerator).
    - ``state_dict()`` / ``load_state_dict()`` resume an epoch where it stopped: a loader rebuilt the
      same way in a new process and given the state yields exactly the batches the first would have.
    - ``check_finite=True`` (scratchnet addition; PyTorch does not check) raises on NaN/inf in float
      batches, naming the data-set index of the sample, so a bad sample fails loudly at the input.
    - An ``IterableDataset`` (e.g. a pipeline) is batched in stream order; each worker iterates its
      own copy (shard it with ``get_worker_info()``), batches taken from the workers in turn.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Any = None, batch_sampler: Sampler | Any = None, num_workers: int = 0,
                 collate_fn: Callable[[Any], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None, multiprocessing_context: Any = None,
                 generator: xp.random.Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 seed: int | None = None, check_finite: bool = True) -> None:
        self.iterable = isinstance(dataset, IterableDataset)
        _check_options(self.iterable, batch_size, shuffle, sampler, batch_sampler, drop_last, generator, seed)
        self.num_workers, self.prefetch_factor, self.timeout = _check_workers(
            num_workers, prefetch_factor, persistent_workers, timeout)
        if not self.iterable and batch_sampler is None and len(dataset) == 0:
            raise ValueError("num_samples should be a positive integer value, but got num_samples=0 "
                             f"(the data set {type(dataset).__name__} is empty)")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.drop_last = drop_last
        self.generator = backend.Generator().manual_seed(seed) if seed is not None else generator
        self.sampler = None
        if not self.iterable:
            self.sampler = sampler if sampler is not None else (
                RandomSampler(dataset, generator=self.generator) if shuffle else SequentialSampler(dataset))
            if batch_sampler is None and batch_size is not None:
                batch_sampler = BatchSampler(self.sampler, self.batch_size, drop_last)
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn or (default_convert if self._unbatched else collate)
        self.pin_memory = pin_memory
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.check_finite = check_finite
        self._pool: WorkerPool | None = None
        self._epoch: dict[str, int] | None = None  # {"base_seed", "batches_yielded"} while one runs
        self._epoch_generator: dict[str, Any] | None = None  # the generator's state when it began
        self._resume: dict[str, int] | None = None
        self._loaded: dict[str, Any] | None = None  # a loaded state, until its epoch begins

    @property
    def _unbatched(self) -> bool:
        return self.batch_size is None and self.batch_sampler is None

    def __len__(self) -> int:
        """Batches per epoch: ``ceil(n / batch_size)``, or ``floor`` with ``drop_last``."""
        if self.iterable:
            n = len(self.dataset)
            if self._unbatched:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.sampler if self._unbatched else self.batch_sampler)

    # --- one epoch -------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Any]:
        skip = self._begin_epoch()
        batches = self._stream_epoch(skip) if self.iterable else self._map_epoch(skip)
        try:
            for batch in batches:
                self._epoch["batches_yielded"] += 1
                yield batch
            self._epoch = None
        finally:
            batches.close()

    def _begin_epoch(self) -> int:
        """Draw the epoch's base seed (resuming: draw it again from the restored generator, or take the
        saved one: the global generator is the caller's to restore); the number of batches to skip."""
        resume, self._resume, self._loaded = self._resume, None, None
        if self.generator is not None:
            self._epoch_generator = backend.bit_generator_state(self.generator)
        if resume is not None and self.generator is None:
            base_seed = resume["base_seed"]
        else:
            base_seed = int((self.generator or backend.generator()).integers(2**63))
        skip = 0 if resume is None else resume["batches_yielded"]
        self._epoch = {"base_seed": base_seed, "batches_yielded": skip}
        return skip

    def _keys(self) -> Iterator[Any]:
        if self._unbatched:
            return iter(self.sampler)
        batches = getattr(self.batch_sampler, "batches", None)
        if callable(batches):
            return batches()
        return (xp.asarray(batch, dtype=xp.intp) for batch in self.batch_sampler)

    def _fetch(self, key: Any) -> Any:
        """The collated batch of one key: an index array (auto-batching) or one index."""
        if self._unbatched:
            return self.collate_fn(self.dataset[key])
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is not None:
            return self.collate_fn(getitems(key))
        return self.collate_fn([self.dataset[int(i)] for i in key])

    def _map_epoch(self, skip: int) -> Iterator[Any]:
        keys = self._keys()
        for _ in itertools.islice(keys, skip):
            pass
        pool = self._workers(work=self._fetch)
        pairs = ((key, self._fetch(key)) for key in keys) if pool is None else pool.map(keys)
        completed = False
        try:
            for key, batch in pairs:
                if self.check_finite:
                    _check_batch_finite(batch, key if isinstance(key, xp.ndarray) else xp.asarray([key]))
                yield batch
            completed = True
        finally:
            self._release(pool, keep=completed and self.persistent_workers)

    def _stream_batches(self) -> Iterator[Any]:
        samples = iter(self.dataset)
        if self._unbatched:
            yield from map(self.collate_fn, samples)
            return
        while chunk := list(itertools.islice(samples, self.batch_size)):
            if self.drop_last and len(chunk) < self.batch_size:
                return
            yield self.collate_fn(chunk)

    def _stream_epoch(self, skip: int) -> Iterator[Any]:
        pool = self._workers(stream=self._stream_batches)
        batches = self._stream_batches() if pool is None else pool.stream()
        try:
            for batch in itertools.islice(batches, skip, None):
                if self.check_finite:
                    _check_batch_finite(batch, None)
                yield batch
        finally:
            self._release(pool, keep=False)

    def _workers(self, **job: Callable) -> WorkerPool | None:
        if self.num_workers == 0:
            return None
        if self._pool is None:
            self._pool = WorkerPool(self.num_workers, self._epoch["base_seed"], self.dataset, **job,
                                    worker_init_fn=self.worker_init_fn, prefetch_factor=self.prefetch_factor,
                                    timeout=self.timeout, context=self.multiprocessing_context)
        return self._pool

    def _release(self, pool: WorkerPool | None, keep: bool) -> None:
        """Close the workers unless ``keep`` (persistent map workers after a whole epoch)."""
        if pool is not None and not keep:
            pool.close()
            self._pool = None

    def __del__(self) -> None:
        if getattr(self, "_pool", None) is not None:
            self._pool.close()

    # --- resuming --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Where the loader stands, as plain JSON-serialisable values (as torchdata's stateful loaders).

        Keys: ``format``, ``version``; ``epoch``: ``{"base_seed", "batches_yielded"}`` while an epoch
        is under way (``None`` between epochs); ``generator``: the loader generator's state at that
        epoch's start (between epochs: now), ``None`` without a generator; ``sampler``: the index
        sampler's own ``state_dict()`` (``None`` when it has none). With the global generator, the
        global state is the caller's to save (``sn.get_rng_state``), as for a whole training run.
        An ``IterableDataset`` is resumed by reading its stream again and skipping the batches
        already yielded, which repeats them only if the stream is the same each time.
        """
        if self._loaded is not None:  # loaded and not yet begun: still that state
            return copy.deepcopy(self._loaded)
        generator = None
        if self.generator is not None:
            generator = (self._epoch_generator if self._epoch is not None
                         else backend.bit_generator_state(self.generator))
        sampler = self._index_sampler()
        sampler_state = sampler.state_dict() if sampler is not None else None
        if self._epoch is None and sampler_state and "epoch_start" in sampler_state:
            sampler_state = {**sampler_state, "epoch_start": None}
        epoch = None if self._epoch is None else dict(self._epoch)
        return {"format": STATE_FORMAT, "version": 1, "epoch": epoch, "generator": generator,
                "sampler": sampler_state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from ``state_dict()``'s result: the next ``iter(loader)`` resumes that epoch after its
        yielded batches (or starts the next epoch). Raises ``DataLoaderStateError`` naming the problem,
        and changes nothing, when ``state`` is malformed or does not fit this loader."""
        epoch = self._check_state(state)
        sampler = self._index_sampler()
        if sampler is not None and state["sampler"] is not None:
            try:
                sampler.load_state_dict(state["sampler"])
            except (ValueError, TypeError, KeyError) as error:
                raise DataLoaderStateError(f"DataLoader state: {error}") from None
        if self.generator is not None:
            self.generator.bit_generator.state = state["generator"]
        self._resume = epoch
        self._loaded = copy.deepcopy(state)
        self._epoch = None

    def _index_sampler(self) -> Any:
        sampler = self.sampler if self._unbatched else self.batch_sampler
        return sampler if callable(getattr(sampler, "state_dict", None)) else None

    def _check_state(self, state: Any) -> dict[str, int] | None:
        """The state's epoch after checking every field against this loader."""
        def fail(problem: str) -> DataLoaderStateError:
            return DataLoaderStateError(f"DataLoader state: {problem}")
        expected = {"format", "version", "epoch", "generator", "sampler"}
        if not isinstance(state, dict) or set(state) != expected:
            keys = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise fail(f"expected a dict with keys {sorted(expected)}, got {keys}")
        if state["format"] != STATE_FORMAT or state["version"] != 1:
            raise fail(f"format {state['format']!r} version {state['version']!r} "
                       f"is not {STATE_FORMAT!r} version 1")
        if (state["generator"] is None) != (self.generator is None):
            raise fail("a loader with a generator (seed= or generator=) needs a state with one, and only it")
        if state["generator"] is not None:
            try:
                backend.checked_pcg64_state(state["generator"])
            except ValueError as error:
                raise fail(f"generator: {error}") from None
        if (state["sampler"] is None) != (self._index_sampler() is None):
            raise fail("the sampler state does not fit this loader's sampler")
        return self._check_epoch(state["epoch"], fail)

    def _check_epoch(self, epoch: Any, fail: Callable[[str], DataLoaderStateError]) -> dict[str, int] | None:
        if epoch is None:
            return None
        if not isinstance(epoch, dict) or set(epoch) != {"base_seed", "batches_yielded"}:
            raise fail("epoch must be None or a dict with keys 'base_seed' and 'batches_yielded', "
                       f"got {epoch!r:.80}")
        seed, done = epoch["base_seed"], epoch["batches_yielded"]
        if not _is_int(seed) or not 0 <= seed < 2**63:
            raise fail(f"epoch base_seed must be an int in [0, 2**63), got {seed!r:.40}")
        limit = self._length_or_none()
        if not _is_int(done) or done < 0 or (limit is not None and done > limit):
            raise fail(f"batches_yielded must be an int in [0, {limit}], got {done!r:.40}")
        return {"base_seed": seed, "batches_yielded": done}

    def _length_or_none(self) -> int | None:
        try:
            return len(self)
        except TypeError:
            return None


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, xp.integer)) and not isinstance(value, bool)


def _check_options(iterable: bool, batch_size: Any, shuffle: Any, sampler: Any, batch_sampler: Any,
                   drop_last: bool, generator: Any, seed: Any) -> None:
    """PyTorch's argument checks of ``DataLoader``, with its messages."""
    if iterable:
        for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
            if value not in (None, False):
                hint = " (shuffle the pipeline itself)" if name == "shuffle" else ""
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                                 f"but got {name}={value!r}{hint}")
    if sampler is not None and shuffle:
        raise ValueError("sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
        raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                         "and drop_last")
    if batch_size is None and drop_last:
        raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive "
                         "with drop_last")
    if batch_size is not None:
        check_positive_int(batch_size, "batch_size")
    if seed is not None and generator is not None:
        raise ValueError("give DataLoader seed= or generator=, not both")
    if generator is not None and not isinstance(generator, xp.random.Generator):
        raise TypeError(f"generator should be an sn.Generator, got {type(generator).__name__}")


def _check_workers(num_workers: Any, prefetch_factor: Any, persistent_workers: bool,
                   timeout: Any) -> tuple[int, int, float]:
    """``(num_workers, prefetch_factor, timeout)`` after PyTorch's checks, with its messages."""
    if not _is_int(num_workers) or num_workers < 0:
        raise ValueError("num_workers option should be non-negative; "
                         "use num_workers=0 to disable multiprocessing.")
    if not isinstance(timeout, numbers.Real) or timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, "
                         "otherwise set prefetch_factor to None.")
    if prefetch_factor is not None and (not _is_int(prefetch_factor) or prefetch_factor < 0):
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    return int(num_workers), 2 if prefetch_factor is None else int(prefetch_factor), float(timeout)
