"""Channel concatenation of NCHW activations (an inception block's four branches joined by
``sn.cat(dim=1)``), forward and forward + backward, beside ``torch.cat``, and ``sn.stack``.

Run: ``python benchmarks/concat_bench.py [--batch 128] [--repeats 10]``. Prints median
milliseconds; the backward cuts the gradient into views (no copy) and each input's ``.grad`` is
then its own array.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

if __package__ in (None, ""):  # run as a script from a checkout: make the package importable
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

from nn_layers import median_ms  # noqa: E402
from torch_reference import import_torch  # noqa: E402

import scratchnet as sn  # noqa: E402

BRANCHES = (16, 32, 8, 8)
"""Channels of each branch (googlenet_small's inception 3a at 28x28)."""


def workloads(lib: object, tensor: object, batch: int) -> dict[str, object]:
    """name -> a step for one framework (``lib`` is ``scratchnet`` or ``torch``)."""
    rng = np.random.default_rng(0)
    xs = [tensor(rng.random((batch, c, 28, 28), dtype=np.float32), requires_grad=True) for c in BRANCHES]
    gy = tensor(rng.random((batch, sum(BRANCHES), 28, 28), dtype=np.float32))

    def forward_backward() -> None:
        for x in xs:
            x.grad = None
        lib.cat(xs, dim=1).backward(gy)

    return {"cat forward": lambda: lib.cat(xs, dim=1), "cat forward+backward": forward_backward,
            "stack forward": lambda: lib.stack(xs[2:], dim=1)}


def main(argv: list[str] | None = None) -> dict[str, tuple[float, float | None]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    torch = import_torch()
    ours = workloads(sn, sn.tensor, args.batch)
    theirs = workloads(torch, torch.tensor, args.batch) if torch is not None else {}
    results = {}
    for name, step in ours.items():
        mine = median_ms(step, args.repeats)
        other = median_ms(theirs[name], args.repeats) if name in theirs else None
        results[name] = (mine, other)
        print(f"{name:22s} scratchnet {mine:8.2f} ms" + (f"   torch {other:8.2f} ms" if other else ""))
    return results


if __name__ == "__main__":
    main()
