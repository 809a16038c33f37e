"""Where splitting an elementwise pass over scratchnet's threads starts to pay (``MIN_CHUNK_COST``).

Run: ``python benchmarks/parallel_threshold.py [--threads 2] [--repeats 200]``. For each size, the
median time of ``np.multiply(a, b, out=c)`` on float32 arrays run whole on the calling thread,
and split into ``--threads`` chunks with ``parallel._run`` (the threshold itself bypassed), and
the ratio. A busy machine makes the split look worse: quote the load with the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scratchnet import parallel  # noqa: E402


def median_seconds(function, repeats: int) -> float:
    """The median wall time of ``repeats`` calls of ``function``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    parallel.set_num_threads(args.threads)
    print(f"{'elements':>10} {'1 thread us':>12} {f'{args.threads} threads us':>12} {'speed-up':>9}")
    for power in range(12, 23):
        n = 2 ** power
        a, b, c = (np.ones(n, np.float32) for _ in range(3))
        bounds = [(n * i // args.threads, n * (i + 1) // args.threads) for i in range(args.threads)]

        def work(start, stop, a=a, b=b, c=c):
            np.multiply(a[start:stop], b[start:stop], out=c[start:stop])

        whole = median_seconds(lambda work=work, n=n: work(0, n), args.repeats)
        split = median_seconds(lambda work=work, bounds=bounds: parallel._run(work, bounds), args.repeats)
        print(f"{n:>10} {whole * 1e6:>12.1f} {split * 1e6:>12.1f} {whole / split:>9.2f}")


if __name__ == "__main__":
    main()
