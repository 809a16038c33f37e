"""DataLoader workers: one epoch of per-sample transforms with no workers, worker processes (what
``DataLoader(num_workers=n)`` uses) and, for comparison, a pool of threads doing the same fetches.

Workloads (batch 64, shuffled):

- ``augmentation``: Fashion-MNIST images through ``ToTensor, RandomCrop(28, padding=2),
  RandomHorizontalFlip, Normalize``, sample by sample (many small NumPy calls: Python-bound);
- ``array-heavy``: per sample, a 96x96 float32 matrix product (BLAS, which releases the GIL), on a
  fifth as many samples.

Each is timed with ``num_workers=0``, ``DataLoader(num_workers=n)`` (processes started each epoch,
or kept with ``persistent_workers=True``) and ``n`` threads mapping the same batch fetch
(``collate`` of the samples) over the same batch sampler.

Run: ``python benchmarks/data_workers.py [--workers 2] [--samples 10000] [--repeats 3]``; ``main(argv)``
returns the seconds per epoch as a dict.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script from a checkout: make the package importable
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

import scratchnet as sn  # noqa: E402
from benchmarks.data_loading import AugmentedImages, augmentation, epoch, load_images, timed  # noqa: E402
from scratchnet import data  # noqa: E402

BATCH = 64


class MatrixProducts(data.Dataset):
    """Sample i: ``(m @ m).sum(axis=0)`` of a fixed 96x96 float32 matrix ``m``, and the label i."""

    def __init__(self, samples: int) -> None:
        self.samples = samples
        self.matrix = np.random.default_rng(0).random((96, 96), dtype=np.float32)

    def __len__(self) -> int:
        return self.samples

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        return (self.matrix @ self.matrix).sum(axis=0), index


def threaded_epoch(dataset: Any, workers: int) -> Callable[[], int]:
    """An epoch whose batches ``n`` threads fetch and collate, in order, as a worker pool would."""
    batches = data.BatchSampler(data.RandomSampler(dataset), BATCH, False)

    def fetch(indices: list[int]) -> Any:
        return data.collate([dataset[i] for i in indices])

    def run() -> int:
        with ThreadPoolExecutor(workers) as pool:
            return epoch(pool.map(fetch, batches))
    return run


def workloads(dataset: Any, workers: int) -> dict[str, Callable[[], int]]:
    """The three ways of loading one epoch of ``dataset``."""
    plain = data.DataLoader(dataset, batch_size=BATCH, shuffle=True)
    processes = data.DataLoader(dataset, batch_size=BATCH, shuffle=True, num_workers=workers)
    persistent = data.DataLoader(dataset, batch_size=BATCH, shuffle=True, num_workers=workers,
                                 persistent_workers=True)
    return {"0 workers": lambda: epoch(plain), f"{workers} processes": lambda: epoch(processes),
            f"{workers} persistent": lambda: epoch(persistent),
            f"{workers} threads": threaded_epoch(dataset, workers)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Time each workload each way; print the times and the speed-up over 0 workers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    sn.manual_seed(0)
    x, y, source = load_images(args.samples)
    datasets = {"augmentation": AugmentedImages(x, y, augmentation()),
                "array-heavy": MatrixProducts(len(x) // 5)}
    results: dict[str, dict[str, float]] = {}
    print(f"One epoch, batch {BATCH}, {len(x):,} samples ({source}), array-heavy {len(x) // 5:,}; "
          f"median of {args.repeats}")
    for name, dataset in datasets.items():
        ways = workloads(dataset, args.workers)
        results[name] = {way: timed(run, args.repeats, len(dataset)) for way, run in ways.items()}
        base = results[name]["0 workers"]
        for way, seconds in results[name].items():
            print(f"  {name:13s} {way:12s} {seconds * 1000:8.1f} ms  x{base / seconds:4.2f}")
    return {"samples": len(x), "batch_size": BATCH, "workers": args.workers, "seconds": results}


if __name__ == "__main__":
    main()
