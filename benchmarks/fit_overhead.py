"""What ``keras.Model.fit`` adds to each training step, beyond the model's own work.

Two copies of the seed MLP (``scratchnet.models.mlp``, Adam, batch 32) train on the same
Fashion-MNIST images, taking turns one epoch at a time: one with ``model.fit(verbose=0)``, the
other with a bare loop of the shared ``train_step`` over the same shuffled batches. The table
gives the median time per step of each and the difference: fit's batching, callbacks, logs, the
metrics compiled in (``accuracy``, computed on every batch as Keras does) and its check of the
inputs for NaN and infinities (one pass over the data per ``fit`` call, about as long as that pass
over one batch per step). The machine's noise moves the difference by tens of µs between runs:
take the median of several.

Run: ``python benchmarks/fit_overhead.py [--repeats 5] [--images 19200]``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script from a checkout: make the package importable
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

import scratchnet as sn  # noqa: E402
from scratchnet.data.batching import index_batches  # noqa: E402
from scratchnet.datasets import load_fashion_mnist  # noqa: E402
from scratchnet.models import mlp  # noqa: E402
from scratchnet.training import train_step  # noqa: E402

BATCH = 32


def compiled_mlp(metrics: list[str]) -> Any:
    """The seed MLP, seeded and compiled as the seed trained it."""
    sn.manual_seed(0)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=metrics)
    return model


def fit_epoch(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Seconds for one silent ``fit`` epoch."""
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    return time.perf_counter() - start


def bare_epoch(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Seconds for one epoch of ``train_step`` calls on shuffled batches, nothing else."""
    loss_of = model._loss_function()
    start = time.perf_counter()
    for index in index_batches(len(x), BATCH, "shuffle"):
        train_step(model._training_call, loss_of, model.optimizer, x[index], y[index])
    return time.perf_counter() - start


def measure(metrics: list[str], x: np.ndarray, y: np.ndarray, repeats: int) -> dict[str, float]:
    """Median microseconds per step with ``fit`` and with the bare loop, epochs alternated."""
    fitted, bare = compiled_mlp(metrics), compiled_mlp(metrics)
    fitted.fit(x[:BATCH], y[:BATCH], batch_size=BATCH, verbose=0)  # both built, optimisers ready
    bare.fit(x[:BATCH], y[:BATCH], batch_size=BATCH, verbose=0)
    times: dict[str, list[float]] = {"fit": [], "bare": []}
    for _ in range(repeats):
        times["fit"].append(fit_epoch(fitted, x, y))
        times["bare"].append(bare_epoch(bare, x, y))
    steps = math.ceil(len(x) / BATCH)
    result = {name: statistics.median(seconds) / steps * 1e6 for name, seconds in times.items()}
    result["overhead_us"] = result["fit"] - result["bare"]
    result["overhead_percent"] = 100 * result["overhead_us"] / result["bare"]
    return result


def main(argv: list[str] | None = None) -> dict:
    """Command-line entry point; returns ``{metrics: figures}``."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="epochs of each, alternated")
    parser.add_argument("--images", type=int, default=19_200, help="training images per epoch")
    args = parser.parse_args(argv)
    (x, y), _ = load_fashion_mnist()
    x = x[:args.images].astype(np.float32) * np.float32(1 / 255)
    y = y[:args.images].astype(np.int64)
    print("Keras fit against a bare train_step loop, seed MLP, batch 32: µs per step (median)")
    print(f"{'metrics':12s} {'fit':>8s} {'bare':>8s} {'overhead':>10s}")
    results = {}
    for metrics in ([], ["accuracy"]):
        name = ",".join(metrics) or "none"
        results[name] = figures = measure(metrics, x, y, args.repeats)
        print(f"{name:12s} {figures['fit']:8.1f} {figures['bare']:8.1f} "
              f"{figures['overhead_us']:6.1f} ({figures['overhead_percent']:+.1f}%)", flush=True)
    return results


if __name__ == "__main__":
    main()
