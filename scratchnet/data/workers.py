"""Worker processes that load batches in parallel for ``DataLoader(num_workers=n)`` (as PyTorch's).

Each worker is a process with its own task queue and result queue. Batch ``i`` goes to worker
``i % n`` and is read back from that worker's queue, so batches arrive in the order of
``num_workers=0``; at most ``prefetch_factor`` batches per worker are in flight. A worker seeds
the global generator, Python's ``random`` and NumPy's legacy ``np.random`` with
``base_seed + worker_id`` (the last modulo 2**32), then calls
``worker_init_fn(worker_id)``; ``get_worker_info()`` tells the code running in it who it is.

Processes, not threads, as PyTorch: a per-sample transform is mostly Python code holding the GIL,
which threads run only partly in parallel (``benchmarks/data_workers.py`` compares them), and each
process has its own global generator to seed.
On Linux workers are forked (the data set is not copied or pickled); elsewhere, or with
``multiprocessing_context="spawn"``, the data set must be picklable.
"""

from __future__ import annotations

import collections
import multiprocessing
import queue
import random
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from scratchnet import backend

POLL_SECONDS = 1.0
"""How often a waiting loader checks that its workers are alive."""


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: its ``id`` (0 .. ``num_workers - 1``), the
    ``num_workers``, its ``seed`` (``base_seed + id``) and its copy of the ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The ``WorkerInfo`` of the worker process this runs in, ``None`` in the main process (PyTorch).

    An ``IterableDataset`` uses it to give each worker its own share of the stream.
    """
    return _worker_info


class _Done:
    """The marker a streaming worker puts after its last batch."""


@dataclass(frozen=True)
class _Failure:
    """An exception raised in a worker, carried back to the main process."""

    error: BaseException
    text: str


def _start(info: WorkerInfo, worker_init_fn: Callable[[int], None] | None) -> None:
    global _worker_info
    _worker_info = info
    backend.manual_seed(info.seed % 2**63)
    random.seed(info.seed)
    backend.xp.random.seed(info.seed % 2**32)  # NumPy's legacy global state: no twin workers
    if worker_init_fn is not None:
        worker_init_fn(info.id)


def _failure(error: BaseException) -> _Failure:
    return _Failure(error, "".join(traceback.format_exception(error)))


def _map_loop(info: WorkerInfo, init: Callable | None, work: Callable[[Any], Any],
              tasks: Any, results: Any) -> None:
    """A worker's life for a map-style data set: run ``work`` on each task until ``None`` arrives."""
    try:
        _start(info, init)
    except Exception as error:  # reported to the main process, which raises it
        results.put(_failure(error))
        return
    while (task := tasks.get()) is not None:
        try:
            results.put(work(task))
        except Exception as error:
            results.put(_failure(error))


def _stream_loop(info: WorkerInfo, init: Callable | None, stream: Callable[[], Iterator[Any]],
                 tasks: Any, results: Any) -> None:
    """A worker's life for an iterable data set: put every batch of its stream, then ``_Done``."""
    try:
        _start(info, init)
        for batch in stream():
            results.put(batch)
        results.put(_Done())
    except Exception as error:
        results.put(_failure(error))


class WorkerPool:
    """``num_workers`` processes running ``work`` (map-style) or ``stream`` (iterable), started now.

    ``timeout`` > 0 bounds the wait for one batch (``RuntimeError`` past it, as PyTorch).
    """

    def __init__(self, num_workers: int, base_seed: int, dataset: Any, *, work: Callable | None = None,
                 stream: Callable | None = None, worker_init_fn: Callable | None = None,
                 prefetch_factor: int = 2, timeout: float = 0, context: Any = None) -> None:
        context = _context(context)
        self.streaming = stream is not None
        self._received = 0  # results taken so far: the next comes from worker _received % n
        self.timeout = timeout
        self.prefetch_factor = prefetch_factor
        self.tasks = [context.Queue() for _ in range(num_workers)]
        self.results = [context.Queue(maxsize=prefetch_factor if stream else 0) for _ in range(num_workers)]
        loop, job = (_stream_loop, stream) if stream is not None else (_map_loop, work)
        self.processes = [
            context.Process(target=loop, daemon=True, name=f"DataLoader worker {i}",
                            args=(WorkerInfo(i, num_workers, base_seed + i, dataset), worker_init_fn, job,
                                  self.tasks[i], self.results[i]))
            for i in range(num_workers)]
        for process in self.processes:
            process.start()

    def map(self, tasks: Iterator[Any]) -> Iterator[tuple[Any, Any]]:
        """``(task, work(task))`` for each task, in order, computed by the workers."""
        n, pending = len(self.processes), collections.deque()
        for task in tasks:
            self.tasks[(len(pending) + self._received) % n].put(task)
            pending.append(task)
            if len(pending) >= n * self.prefetch_factor:
                yield self._next(pending)
        while pending:
            yield self._next(pending)

    def _next(self, pending: collections.deque) -> tuple[Any, Any]:
        result = self._get(self._received % len(self.processes))
        self._received += 1
        return pending.popleft(), result

    def stream(self) -> Iterator[Any]:
        """The workers' batches, one from each in turn (worker 0, 1, ..., 0, ...) until all are done."""
        live = list(range(len(self.processes)))
        while live:
            for worker in list(live):
                batch = self._get(worker)
                if isinstance(batch, _Done):
                    live.remove(worker)
                else:
                    yield batch

    def _get(self, worker: int) -> Any:
        waited = 0.0
        while True:
            try:
                result = self.results[worker].get(timeout=POLL_SECONDS)
                break
            except queue.Empty:
                waited += POLL_SECONDS
                self._check_alive(worker, waited)
        if isinstance(result, _Failure):
            note = f"(raised in DataLoader worker process {worker}; its traceback:)\n{result.text}"
            result.error.add_note(note)
            raise result.error
        return result

    def _check_alive(self, worker: int, waited: float) -> None:
        process = self.processes[worker]
        if not process.is_alive():
            raise RuntimeError(f"DataLoader worker (pid {process.pid}) exited unexpectedly "
                               f"with exit code {process.exitcode}")
        if self.timeout and waited >= self.timeout:
            raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds")

    def close(self) -> None:
        """Stop the workers: a map worker after its current task, a streaming one at once."""
        for tasks in self.tasks:
            tasks.put(None)
        for process in self.processes:
            process.join(timeout=0 if self.streaming else 5)
            if process.is_alive():
                process.terminate()
                process.join()
        for pipe in self.tasks + self.results:
            pipe.cancel_join_thread()
            pipe.close()


def _context(context: Any) -> Any:
    """A multiprocessing context: the one given (a name or a context), else fork on Linux."""
    if context is None:
        context = "fork" if sys.platform.startswith("linux") else None
    return multiprocessing.get_context(context) if context is None or isinstance(context, str) else context
