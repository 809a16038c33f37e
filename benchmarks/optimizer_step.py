"""One optimiser step over a ResNet-sized parameter set, scratchnet beside PyTorch.

The parameter set has the shapes of a ResNet-50 (161 arrays: convolutions, batch-norm scales and
shifts, the classifier) at a width that gives about 10 million float32 parameters. Every parameter
has a random gradient; the figure is the median time of one ``optimizer.step()`` over ``repeats``
steps after two warm-up steps (state allocated), the two frameworks taking turns. The ratio is
scratchnet / PyTorch (below 1 is faster). PyTorch runs with 2 threads
(``torch.set_num_threads(2)``); scratchnet splits the update over its own threads
(``sn.get_num_threads()``: the usable cores unless ``SCRATCHNET_NUM_THREADS`` or ``OMP_NUM_THREADS``
says otherwise).

Run: ``python benchmarks/optimizer_step.py [--repeats 7] [--width 0.625] [--optimizers SGD Adam]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script from a checkout: make the package importable
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

import scratchnet as sn  # noqa: E402
from scratchnet import optim  # noqa: E402

OPTIMIZERS: dict[str, dict[str, Any]] = {
    "SGD": {"lr": 0.01, "momentum": 0.9, "weight_decay": 1e-4},
    "Adam": {"lr": 1e-3},
    "AdamW": {"lr": 1e-3},
    "RMSprop": {"lr": 1e-3, "momentum": 0.9},
    "Adagrad": {"lr": 1e-2},
    "Adadelta": {},
}


def resnet50_shapes(width: float) -> list[tuple[int, ...]]:
    """Parameter shapes of a ResNet-50 whose channel counts are scaled by ``width``."""
    def channels(count: int) -> int:
        return max(8, int(round(count * width)))

    def conv_bn(out_channels: int, in_channels: int, kernel: int) -> list[tuple[int, ...]]:
        return [(out_channels, in_channels, kernel, kernel), (out_channels,), (out_channels,)]

    stem = channels(64)
    shapes, in_channels = conv_bn(stem, 3, 7), stem
    for mid, blocks in [(64, 3), (128, 4), (256, 6), (512, 3)]:
        mid = channels(mid)
        for block in range(blocks):
            shapes += conv_bn(mid, in_channels, 1) + conv_bn(mid, mid, 3) + conv_bn(4 * mid, mid, 1)
            if block == 0:
                shapes += conv_bn(4 * mid, in_channels, 1)
            in_channels = 4 * mid
    return shapes + [(1000, in_channels), (1000,)]


def _median_ms(steps: list[Any], repeats: int) -> list[float]:
    """Median milliseconds of each step function; the functions take turns, so that both see the
    same load on a shared machine."""
    for step in steps:
        step()
        step()
    times: list[list[float]] = [[] for _ in steps]
    for _ in range(repeats):
        for step, record in zip(steps, times):
            start = time.perf_counter()
            step()
            record.append(time.perf_counter() - start)
    return [statistics.median(record) * 1e3 for record in times]


def _scratchnet_step(name: str, values: list[np.ndarray], grads: list[np.ndarray]):
    params = [sn.tensor(value.copy(), requires_grad=True) for value in values]
    for param, grad in zip(params, grads):
        param.grad = sn.Tensor.wrap(grad)
    return getattr(optim, name)(params, **OPTIMIZERS[name]).step


def _torch_step(torch: Any, name: str, values: list[np.ndarray], grads: list[np.ndarray]):
    params = [torch.tensor(value, requires_grad=True) for value in values]
    for param, grad in zip(params, grads):
        param.grad = torch.from_numpy(grad)
    return getattr(torch.optim, name)(params, **OPTIMIZERS[name]).step


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Time one step of each optimiser; print a table and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--width", type=float, default=0.625)
    parser.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS), choices=list(OPTIMIZERS))
    args = parser.parse_args(argv)
    try:
        import torch
        torch.set_num_threads(2)
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    shapes = resnet50_shapes(args.width)
    values = [rng.standard_normal(shape, dtype=np.float32) * 0.1 for shape in shapes]
    grads = [rng.standard_normal(shape, dtype=np.float32) * 0.01 for shape in shapes]
    count = sum(value.size for value in values)
    results: dict[str, Any] = {"parameters": count, "arrays": len(shapes), "optimizers": {}}
    print(f"optimizer step over {count:,} float32 parameters in {len(shapes)} arrays "
          f"(median of {args.repeats})")
    print(f"{'optimizer':<10} {'scratchnet ms':>14} {'torch ms':>10} {'ratio':>7}")
    for name in args.optimizers:
        steps = [_scratchnet_step(name, values, grads)]
        if torch is not None:
            steps.append(_torch_step(torch, name, values, grads))
        ours, theirs = [*_median_ms(steps, args.repeats), None][:2]
        ratio = ours / theirs if theirs else None
        results["optimizers"][name] = {"scratchnet_ms": ours, "torch_ms": theirs, "ratio": ratio}
        print(f"{name:<10} {ours:>14.2f} {theirs if theirs else float('nan'):>10.2f} "
              f"{ratio if ratio else float('nan'):>7.2f}")
    return results


if __name__ == "__main__":
    main()
