"""Backward time against graph size: it should grow linearly (constant time per node).

Three graph shapes of 1,000, 10,000 and 100,000 ops on tiny tensors: a deep chain
(``h = h * c + c``), a wide fan-out/fan-in (one input used by n ops whose results are summed
pairwise back to one value), and a ladder where every op reads the two previous results.
Only ``backward()`` is timed (the forward pass builds the graph first), in CPU time of this process
(``time.process_time``: the machine may be shared); the figure is microseconds per node, beside
PyTorch when it is installed. DeZero's re-sorting scheduler, by contrast, takes
9 s for 16,000 ops.

Run: ``python benchmarks/backward_scaling.py [--sizes 1000 10000 100000] [--repeats 3]``.
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


def chain(x: Any, n: int) -> Any:
    """n ops in one line: h = h * 0.5 + x, alternating."""
    h = x
    for i in range(n):
        h = h * 0.5 if i % 2 else h + x
    return h


def fan(x: Any, n: int) -> Any:
    """n/2 ops reading x (fan-out), then a pairwise sum tree of n/2 additions (fan-in)."""
    level = [x * float(k % 7 + 1) for k in range(n // 2)]
    while len(level) > 1:
        odd = level[-1:] if len(level) % 2 else []
        level = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)] + odd
    return level[0]


def ladder(x: Any, n: int) -> Any:
    """Each step adds the two previous results and halves (n ops in all; every result has two
    consumers)."""
    previous, current = x, x * 0.5
    for _ in range((n - 1) // 2):
        previous, current = current, (current + previous) * 0.5
    return current


GRAPHS: dict[str, Callable[[Any, int], Any]] = {"chain": chain, "fan": fan, "ladder": ladder}


def _time_backward(make_input: Callable[[], Any], build: Callable[[Any, int], Any], n: int,
                   repeats: int) -> float:
    times = []
    for _ in range(repeats):
        x = make_input()
        y = build(x, n).sum()
        start = time.process_time()
        y.backward()
        times.append(time.process_time() - start)
        del x, y
    return statistics.median(times)


def main(argv: list[str] | None = None) -> dict[str, dict[int, dict[str, float | None]]]:
    """Return ``{graph: {n: {"scratchnet_s": t, "scratchnet_us_per_node": u, "torch_s": t or None,
    "torch_us_per_node": u or None}}}``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    torch = import_torch()
    values = np.full(4, 0.5, np.float32)
    ours_input = lambda: sn.tensor(values, requires_grad=True)  # noqa: E731
    torch_input = None if torch is None else (lambda: torch.tensor(values, requires_grad=True))
    results: dict[str, dict[int, dict[str, float | None]]] = {}
    print(f"backward() time, median of {args.repeats}; µs per node should stay flat as n grows")
    print(f"{'graph':<8}{'ops':>9}{'scratchnet s':>14}{'µs/node':>9}{'torch s':>10}{'µs/node':>9}")
    for name, build in GRAPHS.items():
        results[name] = {}
        for n in args.sizes:
            ours = _time_backward(ours_input, build, n, args.repeats)
            theirs = None if torch_input is None else _time_backward(torch_input, build, n, args.repeats)
            row = {"scratchnet_s": ours, "scratchnet_us_per_node": ours / n * 1e6, "torch_s": theirs,
                   "torch_us_per_node": None if theirs is None else theirs / n * 1e6}
            results[name][n] = row
            torch_text = "       -        -" if theirs is None else f"{theirs:>10.4f}{theirs / n * 1e6:>9.2f}"
            print(f"{name:<8}{n:>9}{ours:>14.4f}{ours / n * 1e6:>9.2f}{torch_text}")
    return results


if __name__ == "__main__":
    main()
