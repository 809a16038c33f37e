"""``scratchnet.nn`` modules beside ``torch.nn`` in one run: a small CNN training step built from
Modules (Conv2d, BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear, CrossEntropyLoss) and an LSTM /
GRU forward+backward, with the same weights (copied by state-dict name) and the same batches.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/nn_layers.py --threads 1 [--repeats N]``: give
NumPy's BLAS and PyTorch the same number of threads. On a busy machine, a multi-threaded OpenBLAS
can make small GEMMs a hundred times slower (threads wait on each other), so one thread is the
fair, stable comparison there. Prints median times (ms) and the scratchnet/PyTorch ratio;
``main(argv)`` returns the same figures as a dict.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import scratchnet as sn
from scratchnet import nn


def median_ms(step: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``step`` in milliseconds after one warm-up call."""
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def small_cnn(lib: Any) -> Any:
    """The same CNN in scratchnet or PyTorch (``lib`` is ``nn`` or ``torch.nn``)."""
    return lib.Sequential(
        lib.Conv2d(1, 16, 3, padding=1), lib.BatchNorm2d(16), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(16, 32, 3, padding=1), lib.BatchNorm2d(32), lib.ReLU(), lib.MaxPool2d(2),
        lib.Flatten(), lib.Linear(32 * 7 * 7, 10))


def copy_weights(ours: nn.Module, theirs: Any, torch: Any) -> None:
    theirs.load_state_dict({k: torch.tensor(np.array(v.numpy())) for k, v in ours.state_dict().items()})


def cnn_step(torch: Any, batch: int = 64) -> tuple[Callable, Callable]:
    """One SGD step (forward, cross-entropy, backward, update) of ``small_cnn``."""
    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    model, loss_fn = small_cnn(nn), nn.CrossEntropyLoss()

    def ours() -> None:
        model.zero_grad()
        loss_fn(model(x), y).backward()
        with sn.no_grad():
            for p in model.parameters():
                p.array -= 0.01 * p.grad.array

    twin, twin_loss = small_cnn(torch.nn), torch.nn.CrossEntropyLoss()
    copy_weights(model, twin, torch)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def theirs() -> None:
        twin.zero_grad()
        twin_loss(twin(xt), yt).backward()
        with torch.no_grad():
            for p in twin.parameters():
                p -= 0.01 * p.grad

    return ours, theirs


def recurrent_step(torch: Any, name: str, steps: int = 35, batch: int = 32) -> tuple[Callable, Callable]:
    """Forward+backward of a 2-layer ``name`` (input 32, hidden 128) over ``steps`` time steps."""
    x = np.random.default_rng(1).standard_normal((steps, batch, 32)).astype(np.float32)
    model = getattr(nn, name)(32, 128, num_layers=2)
    twin = getattr(torch.nn, name)(32, 128, num_layers=2)
    copy_weights(model, twin, torch)
    xt = torch.tensor(x)

    def ours() -> None:
        model.zero_grad()
        model(x)[0].sum().backward()

    def theirs() -> None:
        twin.zero_grad()
        twin(xt)[0].sum().backward()

    return ours, theirs


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Time every workload in both frameworks; print a table and return {name: {ours, torch, ratio}}."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch threads (match OPENBLAS_NUM_THREADS)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    workloads = {"cnn train step (nn modules) b64": cnn_step(torch),
                 "LSTM 2x128 T35 b32 fwd+bwd": recurrent_step(torch, "LSTM"),
                 "GRU 2x128 T35 b32 fwd+bwd": recurrent_step(torch, "GRU")}
    results = {}
    print(f"{'workload':36s} {'scratchnet ms':>14s} {'torch ms':>10s} {'ratio':>7s}")
    for name, (ours, theirs) in workloads.items():
        ours_ms, theirs_ms = median_ms(ours, args.repeats), median_ms(theirs, args.repeats)
        results[name] = {"scratchnet_ms": ours_ms, "torch_ms": theirs_ms, "ratio": ours_ms / theirs_ms}
        print(f"{name:36s} {ours_ms:14.2f} {theirs_ms:10.2f} {ours_ms / theirs_ms:7.2f}")
    return results


if __name__ == "__main__":
    main()
