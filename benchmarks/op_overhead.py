"""Per-op overhead of small-tensor forward + backward chains, scratchnet beside PyTorch.

Each workload applies one op ``length`` times in a chain to a tiny tensor (so that the array maths
is negligible and what is measured is the framework: building the graph, wrapping arrays, the
backward walk), then calls ``backward()``. The figure is microseconds per op (forward and backward
together), the median over ``repeats`` runs; the ratio is scratchnet / PyTorch (below 1 is faster).
The two frameworks take turns, run by run, and the clock is the process's CPU time
(``time.process_time``): on a shared machine wall time would also count other processes' time slices.
Ops on tensors this small run on one thread in both frameworks, so CPU time is their cost.

Run: ``python benchmarks/op_overhead.py [--length 200] [--repeats 15]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script from a checkout: make the package importable
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

from torch_reference import import_torch  # noqa: E402

import scratchnet as sn  # noqa: E402

SHAPE = (4, 4)

# name -> one step of the chain, written so that it works for scratchnet and torch tensors alike.
# name -> one step of the chain, written so that it works for scratchnet and torch tensors alike
# (and keeps values in a normal float range: overflow and denormals would time something else).
WORKLOADS: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda h, w: h + w,
    "mul": lambda h, w: h * w,
    "scalar_mul": lambda h, w: h * 1.01,
    "sub_div": lambda h, w: (h - w) / 2.0,
    "tanh": lambda h, w: h.tanh(),
    "sigmoid": lambda h, w: h.sigmoid(),
    "relu": lambda h, w: h.relu(),
    "exp": lambda h, w: (h * 0.01).exp(),
    "matmul": lambda h, w: h @ w,
    "mean_keepdim": lambda h, w: h.mean(1, keepdim=True) * w,
    "reshape": lambda h, w: h.reshape(16).reshape(4, 4),
    "transpose": lambda h, w: h.transpose(0, 1),
    "index": lambda h, w: h[1:].mean() * w,
}


def _time_chain(step: Callable[[Any, Any], Any], x: Any, w: Any, length: int) -> float:
    start = time.process_time()
    h = x
    for _ in range(length):
        h = step(h, w)
    h.sum().backward()
    return time.process_time() - start


def _us_per_op(makers: list[Callable[[], tuple[Any, Any]]], step: Callable[[Any, Any], Any], length: int,
               repeats: int) -> list[float]:
    """Median µs per op for each framework's inputs, the frameworks taking turns run by run."""
    times: list[list[float]] = [[] for _ in makers]
    for _ in range(repeats):
        for timings, make in zip(times, makers):
            timings.append(_time_chain(step, *make(), length))
    return [statistics.median(t) / length * 1e6 for t in times]


def _scratchnet_inputs() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    x = sn.tensor(rng.standard_normal(SHAPE, dtype=np.float32), requires_grad=True)
    w = sn.tensor(np.eye(4, dtype=np.float32) + rng.standard_normal(SHAPE, dtype=np.float32) * 0.01,
                  requires_grad=True)
    return x, w


def _torch_inputs(torch: Any) -> Callable[[], tuple[Any, Any]]:
    def make() -> tuple[Any, Any]:
        x, w = _scratchnet_inputs()
        return (torch.tensor(x.numpy(), requires_grad=True), torch.tensor(w.numpy(), requires_grad=True))
    return make


def main(argv: list[str] | None = None) -> dict[str, dict[str, float | None]]:
    """Run every workload; return ``{name: {"scratchnet_us": t, "torch_us": t or None, "ratio": r}}``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=200, help="ops per chain")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per workload (median)")
    args = parser.parse_args(argv)
    torch = import_torch()
    results: dict[str, dict[str, float | None]] = {}
    print(f"per-op forward+backward time, {SHAPE} float32 tensors, chains of {args.length} ops, "
          f"median of {args.repeats}")
    print(f"{'op':<14}{'scratchnet µs':>15}{'torch µs':>12}{'ratio':>8}")
    makers = [_scratchnet_inputs] if torch is None else [_scratchnet_inputs, _torch_inputs(torch)]
    for name, step in WORKLOADS.items():
        _us_per_op(makers, step, args.length, 2)  # warm-up
        ours, theirs = (_us_per_op(makers, step, args.length, args.repeats) + [None])[:2]
        ratio = None if theirs is None else ours / theirs
        results[name] = {"scratchnet_us": ours, "torch_us": theirs, "ratio": ratio}
        torch_text = "-" if theirs is None else f"{theirs:.2f}"
        ratio_text = "-" if ratio is None else f"{ratio:.2f}"
        print(f"{name:<14}{ours:>15.2f}{torch_text:>12}{ratio_text:>8}")
    ratios = [r["ratio"] for r in results.values() if r["ratio"] is not None]
    if ratios:
        print(f"geometric mean ratio: {statistics.geometric_mean(ratios):.2f}")
    return results


if __name__ == "__main__":
    main()
