"""Who runs a NumPy routine on which cores: scratchnet's own pool of worker threads.

NumPy releases the GIL inside its loops (ufuncs with ``out=``, ``copyto``, ``take``, reductions,
``matmul``), so plain Python threads, each on its own slice of an array, run in parallel. This
module owns those threads and the BLAS libraries' threads, and gives the kernels one way to use them:

- ``parallel_for(n_items, work, item_cost=...)`` calls ``work(start, stop)`` on fixed chunks of
  ``range(n_items)`` (rows, channel planes, blocks of images), on the pool's workers and on the
  calling thread, and returns when every chunk is done. Each chunk must write only its own slice.
- ``parallel_reduce(n_items, partial, item_cost=...)`` calls ``partial(start, stop)`` on the same
  chunks and adds the partial results in chunk order (or folds them with ``combine``), whichever thread
  finished first: a sum is bitwise the same from run to run at a given thread count.
- ``matmul(a, b)`` is a product of two matrices split by rows that way, one single-thread BLAS
  product per chunk.
- ``chunk_bounds(n_items, item_cost)`` is the plan they follow. The boundaries depend only on
  ``n_items``, ``item_cost`` and the thread count, never on timing; below ``MIN_CHUNK_COST``
  elements of work per chunk the work is not split and runs on the calling thread.
- ``set_num_threads(n)`` / ``get_num_threads()`` (PyTorch's names) size the pool. The default is
  ``SCRATCHNET_NUM_THREADS``, else ``OMP_NUM_THREADS``, else the cores this process may use
  (``os.sched_getaffinity``). The BLAS under NumPy is kept at one thread (``blas_threads``): its
  threads spin while waiting for a descheduled sibling, so two runs side by side on a busy machine
  slowed 25-30x; the parallelism comes from this pool instead, whose workers take chunks as they
  are free, so a busy core slows a step by about its share.

Calls made from inside a chunk (nested calls) run on the thread that makes them (a nested
``parallel_reduce`` over the same chunks, in order, so its bits do not change), so they cannot
deadlock. At one thread nothing is split: results are exactly
those of the plain NumPy code.

>>> import numpy as np
>>> from scratchnet import parallel
>>> x = np.arange(300_000, dtype=np.float32).reshape(1000, 300)
>>> out = np.empty_like(x)
>>> def relu_rows(start, stop):
...     np.maximum(x[start:stop], 0, out=out[start:stop])
>>> parallel.parallel_for(len(x), relu_rows, item_cost=x.shape[1])
>>> bool((out == np.maximum(x, 0)).all())
True
>>> column_sums = parallel.parallel_reduce(len(x), lambda start, stop: x[start:stop].sum(axis=0),
...                                        item_cost=x.shape[1])
>>> column_sums.shape
(300,)
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

from scratchnet.backend import xp

MIN_CHUNK_COST = 1 << 20
"""Elements of work (one elementwise pass over one element each) below which a chunk is not
worth handing to another thread: about 150 us of one thread's work.

Measured on the shared 2-core development machine, busy (load average 7-14), NumPy 2.4, float32:

- ``python benchmarks/parallel_threshold.py``: ``np.multiply(a, b, out=c)`` over ``n`` elements
  on one thread against two halves over two threads. Handing a chunk to a worker and waiting for
  it costs 8-25 us (median), while one thread's pass over 64k elements takes 9 us and over 1M
  160 us; on that busy machine the split never won (there was no idle core), while the issue's
  quiet-machine figures gave 1.4-1.6x for passes over 3.2M elements.
- The seed MLP's training step (``benchmarks/training.py``-style, batch 32) at two threads with
  a 64k threshold split Adam's 101,770-parameter update in two: 0.62 -> 1.02 ms a step, against
  0.63 ms unsplit. A woken worker that takes the GIL and is then descheduled stalls the step,
  so small work stays on the calling thread.

A routine whose items cost more than one element's pass says so with ``item_cost``."""


def default_num_threads() -> int:
    """The thread count at import: ``SCRATCHNET_NUM_THREADS``, else ``OMP_NUM_THREADS`` (as
    PyTorch reads it), else the number of cores this process may run on."""
    for name in ("SCRATCHNET_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value:
            try:
                count = int(value.split(",")[0])
            except ValueError:
                raise ValueError(f"{name}={value!r}: expected a positive number of threads") from None
            if count < 1:
                raise ValueError(f"{name}={value!r}: expected a positive number of threads")
            return count
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity masks
        return os.cpu_count() or 1


_num_threads = default_num_threads()
_local = threading.local()


def get_num_threads() -> int:
    """The number of threads scratchnet's kernels run on (as ``torch.get_num_threads``).

    >>> get_num_threads() >= 1
    True
    """
    return _num_threads


def set_num_threads(n: int) -> None:
    """Run scratchnet's kernels on ``n`` threads (the caller and ``n - 1`` workers), as
    ``torch.set_num_threads``; the BLAS under NumPy stays at one thread (see ``blas_threads``).

    ``set_num_threads(1)`` runs every routine unsplit on the calling thread: exactly the results
    of the plain NumPy code. Results at ``n`` threads are bitwise reproducible for that ``n``.

    >>> previous = get_num_threads()
    >>> set_num_threads(1); get_num_threads()
    1
    >>> set_num_threads(previous)
    """
    global _num_threads
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    _num_threads = n
    _POOL.resize(n - 1)
    limit_blas_threads()


def chunk_bounds(n_items: int, item_cost: int = 1) -> list[tuple[int, int]]:
    """The ``(start, stop)`` chunks that ``parallel_for`` and ``parallel_reduce`` split
    ``range(n_items)`` into: as many near-equal chunks as there are threads, fewer where a chunk
    would hold under ``MIN_CHUNK_COST`` elements of work (``item_cost`` each), one when the work
    is small. Earlier chunks are one item longer when the items do not divide evenly.

    >>> previous = get_num_threads(); set_num_threads(3)
    >>> chunk_bounds(10, item_cost=10**6)
    [(0, 4), (4, 7), (7, 10)]
    >>> chunk_bounds(10, item_cost=1)
    [(0, 10)]
    >>> set_num_threads(previous)
    """
    if n_items < 0:
        raise ValueError(f"n_items must be non-negative, got {n_items}")
    parts = _chunk_count(n_items, item_cost)
    size, extra = divmod(n_items, parts)
    bounds, start = [], 0
    for index in range(parts):
        stop = start + size + (index < extra)
        bounds.append((start, stop))
        start = stop
    return bounds


def runs_whole(n_items: int, item_cost: int = 1) -> bool:
    """Whether work of ``n_items`` items of ``item_cost`` each is one chunk (``chunk_bounds``
    gives one): a routine may then skip its splitting bookkeeping and run plain NumPy on the
    whole array, which matters for the small arrays of an MLP step (tens of microseconds each).

    >>> runs_whole(10, item_cost=1)
    True
    """
    return _chunk_count(n_items, item_cost) == 1


def _chunk_count(n_items: int, item_cost: int) -> int:
    """How many chunks: one per thread, but none under ``MIN_CHUNK_COST`` elements of work."""
    total = n_items * max(int(item_cost), 1)
    return max(1, min(_num_threads, n_items, total // MIN_CHUNK_COST))


def parallel_for(n_items: int, work: Callable[[int, int], Any], *, item_cost: int = 1) -> None:
    """Call ``work(start, stop)`` for each chunk of ``chunk_bounds(n_items, item_cost)`` on the
    pool and the calling thread; return when all are done. ``work`` must write only the slice
    ``start:stop`` of its outputs (then the result is bitwise the one-thread result for any
    thread count). An exception in a chunk is raised here, after the other chunks finished (the
    one of the earliest failing chunk when several fail).

    >>> import numpy as np
    >>> x = np.ones(10); parallel_for(len(x), lambda start, stop: x[start:stop].__imul__(3))
    >>> float(x.sum())
    30.0
    """
    bounds = chunk_bounds(n_items, item_cost)
    if len(bounds) == 1 or getattr(_local, "inside", False):
        if n_items:
            work(0, n_items)
        return
    _run(work, bounds)


def parallel_reduce(n_items: int, partial: Callable[[int, int], Any], *, item_cost: int = 1,
                    combine: Callable[[Any, Any], Any] | None = None) -> Any:
    """``partial(start, stop)`` over the chunks of ``chunk_bounds(n_items, item_cost)``, combined
    left to right in chunk order: ``combine(combine(p0, p1), p2)...`` (``(p0 + p1) + p2 ...`` by
    default; see ``combine_in_order``). The order never depends on which
    thread finished first, so the result is bitwise reproducible at a given thread count and,
    at one thread (one chunk), is exactly ``partial(0, n_items)``.

    >>> import numpy as np
    >>> x = np.arange(10.0)
    >>> float(parallel_reduce(len(x), lambda start, stop: x[start:stop].sum()))
    45.0
    """
    bounds = chunk_bounds(n_items, item_cost)
    results: list[Any] = [None] * len(bounds)
    position = {start: index for index, (start, _) in enumerate(bounds)}

    def run(start: int, stop: int) -> None:
        results[position[start]] = partial(start, stop)

    if len(bounds) == 1:
        return partial(0, n_items)
    if getattr(_local, "inside", False):
        for start, stop in bounds:
            run(start, stop)
    else:
        _run(run, bounds)
    return combine_in_order(results, combine)


def combine_in_order(partials: Sequence[Any], combine: Callable[[Any, Any], Any] | None = None) -> Any:
    """Fold ``partials`` left to right: ``combine(combine(p0, p1), p2)...``; without ``combine``
    the sum ``(p0 + p1) + p2 ...``, accumulated in place after the first addition (into an array
    of its own, so no partial is written).

    >>> combine_in_order([1, 2, 3])
    6
    """
    total = partials[0]
    for position, value in enumerate(partials[1:]):
        if combine is not None:
            total = combine(total, value)
        elif position and getattr(total, "ndim", 0):
            total += value
        else:
            total = total + value
    return total


MULTIPLY_ADDS_PER_ELEMENT_PASS = 8
"""About how many of a one-thread GEMM's multiply-adds take the time of one element of an
elementwise pass, the ``item_cost`` scale of ``matmul``'s rows: measured here, a (128, 3136) by
(3136, 128) float32 product (51M multiply-adds) took 1.3 ms, about 40 G/s, and a pass over 1M
float32 elements 160 us, about 6.5 G/s."""


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """``a @ b`` for 2-D ``a (M, K)`` and ``b (K, N)``, the rows of ``a`` (and of the result)
    split over the pool, each chunk one single-thread BLAS product into its rows of ``out``
    (a new C-ordered array when not given). Other shapes go to ``numpy.matmul`` whole.

    Each row of the result is the same dot products whichever chunk computes it, so the result
    does not depend on timing; OpenBLAS gives the one-thread bits at any thread count here.

    >>> import numpy as np
    >>> a, b = np.ones((3, 2), np.float32), np.full((2, 4), 2, np.float32)
    >>> matmul(a, b)[0].tolist()
    [4.0, 4.0, 4.0, 4.0]
    """
    cost = max(1, xp.shape(b)[-1] * xp.shape(a)[-1] // MULTIPLY_ADDS_PER_ELEMENT_PASS)
    if xp.ndim(a) != 2 or xp.ndim(b) != 2 or runs_whole(a.shape[0], cost):
        return xp.matmul(a, b) if out is None else xp.matmul(a, b, out=out)
    if out is None:
        out = xp.empty((a.shape[0], b.shape[1]), dtype=xp.result_type(a, b))
    parallel_for(a.shape[0], lambda start, stop: xp.matmul(a[start:stop], b, out=out[start:stop]),
                 item_cost=cost)
    return out


class _Job:
    """One ``parallel_for`` call: its chunks, the next one to claim, and how many are unfinished."""

    def __init__(self, work: Callable[[int, int], Any], bounds: list[tuple[int, int]]) -> None:
        self.work, self.bounds = work, bounds
        self.lock = threading.Lock()
        self.claimed, self.unfinished = 0, len(bounds)
        self.errors: dict[int, BaseException] = {}
        self.done = threading.Event()

    def help(self) -> None:
        """Claim and run chunks until none is left (every participant, caller or worker, does this)."""
        _local.inside = True
        try:
            while True:
                with self.lock:
                    index = self.claimed
                    if index >= len(self.bounds):
                        return
                    self.claimed += 1
                try:
                    self.work(*self.bounds[index])
                except BaseException as error:  # noqa: BLE001 - re-raised by the caller
                    self.errors[index] = error
                with self.lock:
                    self.unfinished -= 1
                    if not self.unfinished:
                        self.done.set()
        finally:
            _local.inside = False


def _run(work: Callable[[int, int], Any], bounds: list[tuple[int, int]]) -> None:
    """Run ``work`` over ``bounds`` with up to ``len(bounds) - 1`` workers helping the caller.

    The caller claims chunks too and only waits for chunks already being run, so a worker that is
    slow to wake (a busy core) costs at most the chunk it took."""
    job = _Job(work, bounds)
    _POOL.post(job, min(len(bounds), _num_threads) - 1)
    job.help()
    job.done.wait()
    if job.errors:
        raise job.errors[min(job.errors)]


class _Pool:
    """Persistent daemon worker threads that take jobs from one queue (started on first use)."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.workers: list[threading.Thread] = []
        self.lock = threading.Lock()

    def post(self, job: _Job, helpers: int) -> None:
        """Ask up to ``helpers`` idle workers to help with ``job``."""
        if len(self.workers) < _num_threads - 1:
            self.resize(_num_threads - 1)
        for _ in range(helpers):
            self.jobs.put(job)

    def resize(self, count: int) -> None:
        """Start or stop workers so that ``count`` are running (stopped ones finish their job first)."""
        with self.lock:
            while len(self.workers) < count:
                worker = threading.Thread(target=self.serve, name=f"scratchnet-worker-{len(self.workers)}",
                                          daemon=True)
                worker.start()
                self.workers.append(worker)
            while len(self.workers) > count:
                self.workers.pop()
                self.jobs.put(None)

    def serve(self) -> None:
        """A worker's loop: help each job taken until told to stop."""
        while (job := self.jobs.get()) is not None:
            job.help()

    def forget(self) -> None:
        """After ``fork``: the child has none of the parent's threads; start anew when used."""
        self.jobs, self.workers, self.lock = queue.SimpleQueue(), [], threading.Lock()


_POOL = _Pool()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_POOL.forget)


def blas_libraries() -> list[Any]:
    """threadpoolctl's controllers of the BLAS libraries NumPy loaded (empty without threadpoolctl).

    Only NumPy's own BLAS (the one under ``numpy``'s folders) is controlled: PyTorch's, when
    loaded in the same process, keeps the count ``torch.set_num_threads`` gave it."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return []
    folder = os.path.dirname(os.path.dirname(xp.__file__))
    return [library for library in ThreadpoolController().select(user_api="blas").lib_controllers
            if os.path.realpath(library.filepath).startswith(os.path.realpath(folder))
            and "numpy" in library.filepath]


def blas_threads() -> int | None:
    """The thread count of NumPy's BLAS (1 once scratchnet is imported), or None when
    threadpoolctl is not installed and the count cannot be read."""
    libraries = blas_libraries()
    return libraries[0].num_threads if libraries else None


def limit_blas_threads() -> bool:
    """Keep NumPy's BLAS at one thread: matrix products are split over scratchnet's pool instead
    (a BLAS thread spins while its sibling is descheduled). Applied when scratchnet is imported
    and by ``set_num_threads``; returns False where threadpoolctl is missing (install
    ``threadpoolctl``, a dependency of scratchnet, or set ``OPENBLAS_NUM_THREADS=1``)."""
    libraries = blas_libraries()
    for library in libraries:
        library.set_num_threads(1)
    return bool(libraries)


limit_blas_threads()
