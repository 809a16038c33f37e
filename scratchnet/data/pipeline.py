"""TensorFlow-style input pipelines: ``Dataset.from_tensor_slices(...).shuffle().batch().prefetch()``.

A pipeline is a chain of stages, each an ``IterableDataset``; iterating yields NumPy arrays, or
tuples of them when the source was a tuple ``(x, y)``, as ``tf.data.Dataset.as_numpy_iterator``.

Speed: as long as only index-preserving stages (``shuffle``, ``take``, ``skip``, ``repeat``,
``cache``) follow ``from_tensor_slices``, the stages pass sample *indices*, not samples, and
``batch`` gathers each batch from the source arrays with one fancy index per array. ``map`` on
single samples materialises them; ``batch`` then stacks them with one ``stack`` per component.
"""

from __future__ import annotations

import itertools
import math
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from scratchnet import backend
from scratchnet.backend import xp
from scratchnet.data import batching
from scratchnet.data.dataset import IterableDataset
from scratchnet.data.validation import check_same_length

INFINITE = -1
"""``cardinality()`` of an endless pipeline (``tf.data.INFINITE_CARDINALITY``)."""
UNKNOWN = -2
"""``cardinality()`` when it cannot be known without iterating (``tf.data.UNKNOWN_CARDINALITY``)."""
AUTOTUNE = -1
"""``prefetch(AUTOTUNE)`` lets the pipeline choose the buffer size (``tf.data.AUTOTUNE``)."""


def _call(fn: Callable[..., Any], element: Any) -> Any:
    """Call ``fn`` on an element, unpacking tuples into arguments, as ``tf.data.Dataset.map`` does."""
    return fn(*element) if isinstance(element, tuple) else fn(element)


def _stack_component(values: list[Any], component: int) -> xp.ndarray:
    """One batch from the values of one component; elements of different shapes are an error
    that names them (as ``tf.data``: "Cannot batch tensors with different shapes")."""
    arrays = [xp.asarray(value) for value in values]
    for index, array in enumerate(arrays):
        if array.shape != arrays[0].shape:
            raise ValueError(f"Cannot batch tensors with different shapes in component {component}: the "
                             f"first element has shape {arrays[0].shape} and element {index} has shape "
                             f"{array.shape}")
    return xp.stack(arrays)


def _stack(elements: list[Any]) -> Any:
    """Stack a list of elements (arrays, or tuples of arrays) into one batch along a new first axis."""
    first = elements[0]
    if isinstance(first, tuple):
        return tuple(_stack_component([element[k] for element in elements], k) for k in range(len(first)))
    return _stack_component(elements, 0)


def _check_count(value: int | None, what: str) -> int:
    """A count argument as an int: a non-negative number, or -1 meaning 'all' (TensorFlow)."""
    if value is None:
        return -1
    if not isinstance(value, (int, xp.integer)) or isinstance(value, bool) or value < -1:
        raise ValueError(f"{what} must be a non-negative integer or -1, got {value!r}")
    return int(value)


class Pipeline(IterableDataset):
    """Base of the pipeline stages. ``source`` is the ``TensorSlices`` whose indices ``_items`` yields,
    or ``None`` when ``_items`` yields materialised elements."""

    source: TensorSlices | None = None

    def _items(self) -> Iterator[Any]:
        raise NotImplementedError

    def cardinality(self) -> int:
        """The number of elements, ``INFINITE`` (-1) or ``UNKNOWN`` (-2), as ``tf.data``."""
        raise NotImplementedError

    def chain(self) -> list[Pipeline]:
        """The stages from the source to this one."""
        parent = getattr(self, "parent", None)
        return [*(parent.chain() if parent is not None else []), self]

    def state_dict(self) -> dict[str, Any]:
        """The iteration state of the pipeline between two passes (epochs), JSON-serialisable:
        ``{"stages": [class names, source first], "states": [each stage's state or None]}``. A seeded
        ``shuffle`` saves its generator, a filled index ``cache`` its order. Restored with
        ``load_state_dict`` into the same pipeline built afresh (in a new process, say), the next
        passes equal those an uninterrupted run would make, bitwise. Shuffles without a seed draw
        from the global generator: save it with ``sn.get_rng_state()``."""
        stages = self.chain()
        return {"stages": [type(stage).__name__ for stage in stages],
                "states": [stage._state() for stage in stages]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state saved by ``state_dict``. Everything is checked first (a dict of this
        pipeline's stages, each stage's state well formed); a malformed state raises ``ValueError``
        naming the stage and what is wrong, and changes nothing."""
        stages = self.chain()
        names = [type(stage).__name__ for stage in stages]
        if not isinstance(state, dict) or set(state) != {"stages", "states"}:
            raise ValueError("a pipeline state must be the dict {'stages': [...], 'states': [...]} returned "
                             f"by state_dict(), got {type(state).__name__}")
        states = state["states"]
        if state["stages"] != names or not isinstance(states, list) or len(states) != len(names):
            raise ValueError(f"the pipeline state is for the stages {state['stages']!r}, this pipeline has "
                             f"{names}")
        checked = [stage._checked_state(saved) for stage, saved in zip(stages, states)]
        for stage, value in zip(stages, checked):
            stage._set_state(value)

    def _state(self) -> Any:
        """This stage's own iteration state (None: it has none)."""
        return None

    def _checked_state(self, saved: Any) -> Any:
        """``saved`` validated for this stage, in the form ``_set_state`` takes; ValueError otherwise."""
        if saved is not None:
            raise ValueError(f"{type(self).__name__} has no state to restore, got {type(saved).__name__}")
        return None

    def _set_state(self, value: Any) -> None:
        """Install a state checked by ``_checked_state``."""

    def source_arrays(self) -> tuple[xp.ndarray, ...] | None:
        """The in-memory arrays whose slices are, all of them and nothing else, this pipeline's
        elements (in some order, batched or repeated); None when a stage makes or drops elements
        (``map``, ``filter``, ``take``, ``skip``). Lets ``fit`` check the data whole before training."""
        return None

    def __iter__(self) -> Iterator[Any]:
        items = self._items()
        return items if self.source is None else map(self.source.element, items)

    def __len__(self) -> int:
        """The number of elements; ``TypeError`` for infinite or unknown pipelines (as TensorFlow)."""
        count = self.cardinality()
        if count == INFINITE:
            raise TypeError("The dataset is infinite.")
        if count < 0:
            raise TypeError("The dataset length is unknown.")
        return count

    def as_numpy_iterator(self) -> Iterator[Any]:
        """An iterator over the elements as NumPy arrays (TensorFlow's name for ``iter``)."""
        return iter(self)

    def make_one_shot_iterator(self) -> OneShotIterator:
        """TensorFlow 1's iterator over the elements, with ``get_next()`` (in TensorFlow 2:
        ``iter(dataset)`` and ``next(iterator)``)."""
        return OneShotIterator(self)

    def map(self, fn: Callable[..., Any], num_parallel_calls: int | None = None) -> Pipeline:
        """Apply ``fn`` to each element (tuples are unpacked into arguments). ``num_parallel_calls`` is
        accepted for TensorFlow compatibility and ignored: maps run in the iterating thread."""
        return Map(self, fn)

    def filter(self, predicate: Callable[..., Any]) -> Pipeline:
        """Keep the elements for which ``predicate(element)`` is true."""
        return Filter(self, predicate)

    def shuffle(self, buffer_size: int, seed: int | None = None,
                reshuffle_each_iteration: bool = True) -> Pipeline:
        """Shuffle through a buffer of ``buffer_size`` elements (TensorFlow's algorithm): each output
        is drawn uniformly from the buffer and its slot refilled from the input. A buffer at least as
        large as the data gives a uniform permutation. Each iteration (e.g. each ``repeat``) draws a
        new order unless ``reshuffle_each_iteration=False``. ``seed=None`` draws from the global
        generator (so ``sn.manual_seed`` makes it reproducible); an int seed gives this pipeline
        its own generator."""
        return Shuffle(self, buffer_size, seed, reshuffle_each_iteration)

    def batch(self, batch_size: int, drop_remainder: bool = False) -> Pipeline:
        """Combine consecutive elements into batches (a new first axis); the last batch is smaller
        unless ``drop_remainder=True`` drops it."""
        return Batch(self, batch_size, drop_remainder)

    def repeat(self, count: int | None = None) -> Pipeline:
        """Repeat the pipeline ``count`` times (``None`` or -1: forever)."""
        return Repeat(self, _check_count(count, "repeat count"))

    def take(self, count: int) -> Pipeline:
        """The first ``count`` elements (-1: all)."""
        return Take(self, _check_count(count, "take count"))

    def skip(self, count: int) -> Pipeline:
        """All but the first ``count`` elements (-1: skip everything)."""
        return Skip(self, _check_count(count, "skip count"))

    def cache(self) -> Pipeline:
        """Remember the elements of the first complete iteration and replay them afterwards."""
        return Cache(self)

    def prefetch(self, buffer_size: int = AUTOTUNE) -> Pipeline:
        """Produce up to ``buffer_size`` elements ahead in a background thread; the sequence is
        unchanged. ``AUTOTUNE`` picks 2. Upstream random stages then draw in that thread: give
        ``shuffle`` a ``seed`` when other code draws from the global generator meanwhile (e.g.
        dropout), so that the interleaving of draws cannot change the order."""
        return Prefetch(self, buffer_size)


class OutOfRangeError(IndexError):
    """Raised by ``OneShotIterator.get_next`` past the last element (``tf.errors.OutOfRangeError``)."""


class OneShotIterator:
    """One pass over a pipeline, TensorFlow 1 style: ``get_next()`` returns the next element and
    raises ``OutOfRangeError`` at the end; it is also a Python iterator."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._iterator = iter(pipeline)

    def get_next(self) -> Any:
        """The next element (``OutOfRangeError`` when the pipeline is exhausted)."""
        try:
            return next(self._iterator)
        except StopIteration:
            raise OutOfRangeError("End of sequence: the data set has no more elements") from None

    def __iter__(self) -> OneShotIterator:
        return self

    def __next__(self) -> Any:
        return next(self._iterator)


class TensorSlices(Pipeline):
    """The slices of one array, or of a tuple of arrays, along their first axis."""

    def __init__(self, tensors: Any) -> None:
        self.structured = isinstance(tensors, tuple)
        arrays = tensors if self.structured else (tensors,)
        self.arrays = tuple(xp.asarray(array) for array in arrays)
        if not self.arrays or any(array.ndim == 0 for array in self.arrays):
            raise ValueError("from_tensor_slices needs arrays with a first (sample) axis")
        check_same_length(*self.arrays, names=[f"tensors[{i}]" for i in range(len(self.arrays))])
        self.source = self

    def element(self, index: Any) -> Any:
        """The element (or, for an index array, the batch) at ``index``."""
        parts = tuple(array[index] for array in self.arrays)
        return parts if self.structured else parts[0]

    def _items(self) -> Iterator[int]:
        return iter(range(len(self.arrays[0])))

    def source_arrays(self) -> tuple[xp.ndarray, ...]:
        return self.arrays

    def cardinality(self) -> int:
        return len(self.arrays[0])


class Stage(Pipeline):
    """A stage reading from ``parent``; ``keeps_all`` when it passes on every element of its parent
    (reordered, batched or repeated) and makes no new ones."""

    keeps_all = False

    def __init__(self, parent: Pipeline) -> None:
        self.parent = parent

    def cardinality(self) -> int:
        return self.parent.cardinality()

    def source_arrays(self) -> tuple[xp.ndarray, ...] | None:
        return self.parent.source_arrays() if self.keeps_all else None


class IndexStage(Stage):
    """A stage that only selects or reorders elements, so it can work on source indices."""

    def __init__(self, parent: Pipeline) -> None:
        super().__init__(parent)
        self.source = parent.source


class Map(Stage):
    """``fn`` applied to each element."""

    def __init__(self, parent: Pipeline, fn: Callable[..., Any]) -> None:
        super().__init__(parent)
        self.fn = fn

    def _items(self) -> Iterator[Any]:
        return (_call(self.fn, element) for element in self.parent)


class Filter(Stage):
    """The elements for which ``predicate`` holds."""

    def __init__(self, parent: Pipeline, predicate: Callable[..., Any]) -> None:
        super().__init__(parent)
        self.predicate = predicate

    def _items(self) -> Iterator[Any]:
        return (element for element in self.parent if bool(_call(self.predicate, element)))

    def cardinality(self) -> int:
        return INFINITE if self.parent.cardinality() == INFINITE else UNKNOWN


def shuffle_buffer(items: Iterable[Any], buffer_size: int, rng: Any) -> Iterator[Any]:
    """TensorFlow's shuffle: keep ``buffer_size`` items, emit a uniformly chosen one, refill its slot.

    If the input ends before the buffer fills, the buffer is emitted as one uniform permutation.
    Random draws are made in blocks of uniforms to keep the per-item cost low.
    """
    iterator = iter(items)
    buffer = list(itertools.islice(iterator, buffer_size))
    if len(buffer) < buffer_size:
        yield from (buffer[i] for i in batching.epoch_order(len(buffer), generator=rng))
        return
    uniforms: Iterator[float] = iter(())
    for item in iterator:
        u = next(uniforms, None)
        if u is None:
            uniforms = iter(rng.random(1024).tolist())
            u = next(uniforms)
        slot = int(u * len(buffer))
        yield buffer[slot]
        buffer[slot] = item
    yield from (buffer[i] for i in batching.epoch_order(len(buffer), generator=rng))


class Shuffle(IndexStage):
    """Elements in an order drawn through a shuffle buffer."""

    keeps_all = True

    def __init__(self, parent: Pipeline, buffer_size: int, seed: int | None, reshuffle: bool) -> None:
        super().__init__(parent)
        if not isinstance(buffer_size, (int, xp.integer)) or buffer_size < 1:
            raise ValueError(f"shuffle buffer_size must be a positive integer, got {buffer_size!r}")
        self.buffer_size = int(buffer_size)
        self.seed = seed
        self.reshuffle = reshuffle
        if not reshuffle and seed is None:
            self.seed = int(backend.generator().integers(2**63))
        self.rng = xp.random.Generator(xp.random.PCG64(self.seed)) if self.seed is not None else None

    def _generator(self) -> Any:
        if not self.reshuffle:
            return xp.random.Generator(xp.random.PCG64(self.seed))
        return self.rng if self.rng is not None else backend.generator()

    def _items(self) -> Iterator[Any]:
        return shuffle_buffer(self.parent._items(), self.buffer_size, self._generator())

    def _state(self) -> Any:
        return None if self.rng is None else {"rng": self.rng.bit_generator.state}

    def _checked_state(self, saved: Any) -> Any:
        if self.rng is None:
            return super()._checked_state(saved)
        rng = saved.get("rng") if isinstance(saved, dict) else None
        probe = xp.random.PCG64()
        try:
            probe.state = rng
        except (TypeError, ValueError, KeyError, OverflowError) as error:
            raise ValueError(f"Shuffle(seed={self.seed}): the saved generator state is malformed "
                             f"({type(error).__name__}: {error})") from None
        return probe.state

    def _set_state(self, value: Any) -> None:
        if self.rng is not None:
            self.rng.bit_generator.state = value


class Take(IndexStage):
    """The first ``count`` elements."""

    def __init__(self, parent: Pipeline, count: int) -> None:
        super().__init__(parent)
        self.count = count

    def _items(self) -> Iterator[Any]:
        return itertools.islice(self.parent._items(), None if self.count < 0 else self.count)

    def cardinality(self) -> int:
        parent = self.parent.cardinality()
        if self.count < 0:
            return parent
        return self.count if parent == INFINITE else parent if parent == UNKNOWN else min(parent, self.count)


class Skip(IndexStage):
    """All but the first ``count`` elements."""

    def __init__(self, parent: Pipeline, count: int) -> None:
        super().__init__(parent)
        self.count = count

    def _items(self) -> Iterator[Any]:
        if self.count < 0:
            return iter(())
        return itertools.islice(self.parent._items(), self.count, None)

    def cardinality(self) -> int:
        parent = self.parent.cardinality()
        if parent < 0:
            return parent
        return 0 if self.count < 0 else max(parent - self.count, 0)


class Repeat(IndexStage):
    """The parent's elements ``count`` times over (forever for -1); each pass iterates it afresh."""

    keeps_all = True

    def __init__(self, parent: Pipeline, count: int) -> None:
        super().__init__(parent)
        self.count = count

    def _items(self) -> Iterator[Any]:
        passes = itertools.count() if self.count < 0 else range(self.count)
        for _ in passes:
            empty = True
            for item in self.parent._items():
                empty = False
                yield item
            if empty:  # an empty pipeline repeated forever is empty, not a hang
                return

    def cardinality(self) -> int:
        parent = self.parent.cardinality()
        if self.count < 0:
            return 0 if parent == 0 else INFINITE if parent != UNKNOWN else UNKNOWN
        return parent if parent < 0 else parent * self.count


class Cache(IndexStage):
    """The parent's elements, recorded on the first complete pass and replayed afterwards."""

    keeps_all = True

    def __init__(self, parent: Pipeline) -> None:
        super().__init__(parent)
        self.cached: list[Any] | None = None

    def _items(self) -> Iterator[Any]:
        if self.cached is not None:
            yield from self.cached
            return
        recorded = []
        for item in self.parent._items():
            recorded.append(item)
            yield item
        self.cached = recorded

    def _state(self) -> Any:
        if self.cached is None:
            return None
        if self.source is None:
            raise ValueError("the state of a cache() of mapped elements cannot be saved; cache before map(), "
                             "or save the state before the first pass")
        return {"indices": [int(index) for index in self.cached]}

    def _checked_state(self, saved: Any) -> Any:
        if saved is None:
            return None
        indices = saved.get("indices") if isinstance(saved, dict) else None
        size = self.source.cardinality() if self.source is not None else 0
        valid = isinstance(indices, list) and all(
            isinstance(index, int) and not isinstance(index, bool) and 0 <= index < size for index in indices)
        if not valid:
            raise ValueError(f"Cache: the saved state must be {{'indices': [...]}} of ints in [0, {size})")
        return list(indices)

    def _set_state(self, value: Any) -> None:
        self.cached = value


class Batch(Stage):
    """Consecutive elements stacked into batches."""

    keeps_all = True

    def __init__(self, parent: Pipeline, batch_size: int, drop_remainder: bool) -> None:
        super().__init__(parent)
        if not isinstance(batch_size, (int, xp.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.drop_remainder = drop_remainder

    def _items(self) -> Iterator[Any]:
        if self.parent.source is not None:
            return self._gathered(self.parent.source)
        return self._stacked()

    def _gathered(self, source: TensorSlices) -> Iterator[Any]:
        indices = self.parent._items()
        while True:
            batch = xp.fromiter(itertools.islice(indices, self.batch_size), dtype=xp.intp)
            if len(batch) == 0 or (self.drop_remainder and len(batch) < self.batch_size):
                return
            yield source.element(batch)

    def _stacked(self) -> Iterator[Any]:
        elements = iter(self.parent)
        while True:
            chunk = list(itertools.islice(elements, self.batch_size))
            if not chunk or (self.drop_remainder and len(chunk) < self.batch_size):
                return
            yield _stack(chunk)

    def cardinality(self) -> int:
        parent = self.parent.cardinality()
        if parent < 0:
            return parent
        return parent // self.batch_size if self.drop_remainder else math.ceil(parent / self.batch_size)


class _Failure:
    """An exception raised in the producer thread, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def _put(channel: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put ``item`` unless ``stop`` is set first; whether it was put."""
    while not stop.is_set():
        try:
            channel.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


class Prefetch(Stage):
    """The parent's elements, produced ahead by a background thread into a bounded queue."""

    keeps_all = True

    def __init__(self, parent: Pipeline, buffer_size: int) -> None:
        super().__init__(parent)
        if buffer_size == AUTOTUNE:
            buffer_size = 2
        if not isinstance(buffer_size, (int, xp.integer)) or buffer_size < 1:
            raise ValueError(f"prefetch buffer_size must be a positive int or AUTOTUNE, got {buffer_size!r}")
        self.buffer_size = int(buffer_size)

    def _produce(self, channel: queue.Queue, stop: threading.Event) -> None:
        try:
            for element in self.parent:
                if not _put(channel, element, stop):
                    return
            _put(channel, _END, stop)
        except BaseException as error:  # noqa: BLE001 - re-raised in the consuming thread
            _put(channel, _Failure(error), stop)

    def _items(self) -> Iterator[Any]:
        channel: queue.Queue = queue.Queue(maxsize=self.buffer_size)
        stop = threading.Event()
        producer = threading.Thread(target=self._produce, args=(channel, stop), daemon=True,
                                    name="scratchnet-prefetch")
        producer.start()
        try:
            while (item := channel.get()) is not _END:
                if isinstance(item, _Failure):
                    raise item.error
                yield item
        finally:
            stop.set()
            producer.join()
