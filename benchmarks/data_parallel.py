"""Data-parallel training over MPI: what it costs here, and what a ring-allreduce model projects.

Measured (this script launches ``mpirun -n 1`` and ``mpirun -n 2`` itself, TCP transport):

- steps per second of the seed workloads (``mlp``, ``cnn``, ``bncnn``; the seed's optimiser and
  global batch, split across the ranks by ``keras.distribution.DataParallel``) at 1 and 2 ranks;
- the time of one ``Allreduce`` of a float32 buffer (a gradient bucket) from 1 MB to ``--max-mb``
  (default 100; the issue's 400 MB with ``--max-mb 400``), median of repeats;
- whether overlapping a non-blocking ``Iallreduce`` of a 25 MB bucket with as much computation pays
  (compute + Allreduce in turn, against Iallreduce, compute, Wait);
- the time NumPy takes to add two buffers (γ, the reduction's arithmetic per byte).

Modelled: a ring allreduce of S bytes over p ranks takes 2(p−1)·α + 2(p−1)/p·S/bw + (p−1)/p·S·γ;
α (the latency of one message) is fitted to the 2-rank measurements (there t = 2α + S·c) and, for
comparison, set to 50 µs (an assumed cluster TCP latency); bw is the network's (10 or 100 Gb/s),
γ is measured. Scaling efficiency at p ranks, with each rank keeping the
seed's batch (weak scaling) and no overlap (as DistributedDataParallel here), is
T_step / (T_step + t_step_communication(p)), with T_step the measured 1-rank step time and the
communication two allreduces per step (the gradients, in 25 MB buckets, and the logs). A ring
pays p − 1 latencies per phase; MPI's tree algorithms for small messages pay about log p, so the
model is pessimistic for small models at many ranks.

The machine is shared: other processes compete for its cores, which inflates MPI's latency (a
waiting rank yields its core); say so when quoting the figures.

Run: ``python benchmarks/data_parallel.py [--steps 30] [--max-mb 100]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script from a checkout: make the package importable
    sys.path.insert(0, str(ROOT))

WORKLOADS = ("mlp", "cnn", "bncnn")
SIZES_MB = (1, 4, 16, 64, 100, 400)
BUCKET_MB = 25
RANKS = (8, 64, 512)
NETWORKS_GBPS = (10, 100)
ASSUMED_ALPHA = 50e-6  # seconds per message on a cluster's TCP network (assumed, not measured)


def _median_time(run: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def worker_steps(steps: int, workloads: list[str]) -> dict[str, Any]:
    """Steps per second of each seed workload on this job's ranks (fit on random images), and the
    model's gradient bytes."""
    import scratchnet as sn
    from scratchnet import keras
    from scratchnet.models import MODELS, TRAINING_DEFAULTS

    parallel = keras.distribution.DataParallel()
    keras.distribution.set_distribution(parallel)
    results = {}
    for name in workloads:
        defaults = TRAINING_DEFAULTS[name]
        sn.manual_seed(0)
        shape = (28, 28) if name == "mlp" else (28, 28, 1)
        model = MODELS[name](shape, 10)
        options = {"momentum": defaults["momentum"]} if "momentum" in defaults else {}
        optimizer = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}[defaults["optimizer"]]
        model.compile(optimizer=optimizer(defaults["lr"], **options), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        batch = defaults["batch_size"]
        rng = np.random.default_rng(0)
        x = rng.random((steps * batch, *shape), dtype=np.float32)
        y = rng.integers(0, 10, steps * batch)
        model.fit(x[:2 * batch], y[:2 * batch], batch_size=batch, verbose=0, shuffle=False)  # warm-up
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, verbose=0, shuffle=False)
        seconds = time.perf_counter() - start
        gradient_bytes = sum(p.array.nbytes for p in model.trainable_variables)
        results[name] = {"steps_per_s": steps / seconds, "batch": batch, "gradient_bytes": gradient_bytes}
    return results


def worker_allreduce(max_mb: float) -> dict[str, Any]:
    """Median Allreduce time per buffer size, and the overlap experiment (2 ranks or more)."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    timings = []
    for mb in [s for s in SIZES_MB if s <= max_mb]:
        buffer = np.ones(int(mb * 2**20) // 4, dtype=np.float32)

        def reduce(buffer: np.ndarray = buffer) -> None:
            comm.Barrier()
            comm.Allreduce(MPI.IN_PLACE, buffer)

        reduce()
        timings.append({"mb": mb, "seconds": _median_time(reduce, 5 if mb <= 16 else 3)})
        del buffer
    return {"allreduce": timings, "overlap": _overlap(comm, MPI)}


def _overlap(comm: Any, MPI: Any) -> dict[str, float]:
    """A 25 MB bucket: compute then Allreduce, against Iallreduce, the same compute, Wait."""
    bucket = np.ones(BUCKET_MB * 2**20 // 4, dtype=np.float32)
    a = np.ones((256, 256), dtype=np.float32)
    alone = _median_time(lambda: (comm.Barrier(), comm.Allreduce(MPI.IN_PLACE, bucket)), 3)
    per_product = _median_time(lambda: a @ a, 20)
    products = max(1, int(alone / per_product))
    products = int(comm.bcast(products, root=0))

    def compute() -> None:
        for _ in range(products):
            a @ a

    def serial() -> None:
        comm.Barrier()
        compute()
        comm.Allreduce(MPI.IN_PLACE, bucket)

    def overlapped() -> None:
        comm.Barrier()
        request = comm.Iallreduce(MPI.IN_PLACE, bucket)
        compute()
        request.Wait()

    return {"allreduce_s": alone, "compute_s": _median_time(compute, 3), "serial_s": _median_time(serial, 3),
            "overlapped_s": _median_time(overlapped, 3)}


def worker(args: argparse.Namespace) -> None:
    """Run under mpirun: rank 0 prints the results as one JSON line."""
    import scratchnet.distributed as dist

    dist.init_process_group("mpi")
    results: dict[str, Any] = {"steps": worker_steps(args.steps, args.workloads.split(","))}
    if dist.get_world_size() > 1:
        results.update(worker_allreduce(args.max_mb))
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(results), flush=True)


def launch(ranks: int, args: argparse.Namespace) -> dict[str, Any]:
    """Run this script's worker on ``ranks`` processes and return rank 0's results."""
    env = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    command = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "btl",
               "tcp,self", "-n", str(ranks), sys.executable, str(Path(__file__).resolve()), "--worker",
               "--steps", str(args.steps), "--max-mb", str(args.max_mb), "--workloads", args.workloads]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode or not lines:
        raise RuntimeError(f"mpirun -n {ranks} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(lines[0][len("RESULT "):])


def fit_latency(timings: list[dict[str, float]]) -> tuple[float, float]:
    """Least-squares α and c of t = 2α + S·c over the 2-rank measurements (S in bytes)."""
    sizes = np.array([t["mb"] * 2**20 for t in timings])
    seconds = np.array([t["seconds"] for t in timings])
    c, intercept = np.polyfit(sizes, seconds, 1)
    return max(intercept / 2, 0.0), c


def reduction_cost() -> float:
    """γ: seconds per byte for NumPy to add one float32 buffer into another (64 MB)."""
    a, b = np.ones(2**24, dtype=np.float32), np.ones(2**24, dtype=np.float32)
    return _median_time(lambda: np.add(a, b, out=a), 5) / a.nbytes


def ring_allreduce(p: int, size: float, alpha: float, bandwidth: float, gamma: float) -> float:
    """2(p−1)·α + 2(p−1)/p·S/bw + (p−1)/p·S·γ seconds."""
    return 2 * (p - 1) * alpha + 2 * (p - 1) / p * size / bandwidth + (p - 1) / p * size * gamma


def step_communication(p: int, gradient_bytes: float, alpha: float, bandwidth: float, gamma: float) -> float:
    """What ``fit`` under DataParallel sends per step: the gradients (one bucket per 25 MB) and the
    logs (a few float64 numbers), each a ring allreduce."""
    buckets = max(1, int(np.ceil(gradient_bytes / (BUCKET_MB * 2**20))))
    gradients = buckets * ring_allreduce(p, gradient_bytes / buckets, alpha, bandwidth, gamma)
    return gradients + ring_allreduce(p, 64, alpha, bandwidth, gamma)


def projection(steps: dict[str, Any], alpha: float, gamma: float) -> dict[str, dict[str, float]]:
    """Efficiency T/(T + allreduce) per workload, network and rank count, with the latency α
    fitted here and with ``ASSUMED_ALPHA`` (a cluster's TCP latency, not measured here)."""
    table: dict[str, dict[str, float]] = {}
    for name, row in steps.items():
        step = 1 / row["steps_per_s"]
        for gbps in NETWORKS_GBPS:
            for label, latency in (("fitted α", alpha), ("α 50 µs", ASSUMED_ALPHA)):
                table[f"{name} @ {gbps} Gb/s, {label}"] = {
                    str(p): step / (step + step_communication(p, row["gradient_bytes"], latency,
                                                              gbps * 1e9 / 8, gamma))
                    for p in RANKS}
    return table


def report(results: dict[str, Any]) -> None:
    print(f"{'workload':<8} {'batch':>5} {'grad MB':>8} {'1 rank steps/s':>15} {'2 ranks steps/s':>16} "
          f"{'speed-up':>9}")
    for name, one in results["steps"]["1"].items():
        two = results["steps"]["2"][name]
        print(f"{name:<8} {one['batch']:>5} {one['gradient_bytes'] / 2**20:>8.2f} "
              f"{one['steps_per_s']:>15.1f} {two['steps_per_s']:>16.1f} "
              f"{two['steps_per_s'] / one['steps_per_s']:>9.2f}")
    print("\nAllreduce, 2 ranks (median):")
    for row in results["allreduce"]:
        print(f"  {row['mb']:>5} MB  {row['seconds'] * 1e3:9.2f} ms  {row['mb'] / row['seconds']:8.1f} MB/s")
    o = results["overlap"]
    print(f"\n{BUCKET_MB} MB bucket: Allreduce {o['allreduce_s'] * 1e3:.1f} ms, "
          f"compute {o['compute_s'] * 1e3:.1f} ms, in turn {o['serial_s'] * 1e3:.1f} ms, "
          f"Iallreduce overlapped {o['overlapped_s'] * 1e3:.1f} ms")
    print(f"\nfitted α = {results['alpha'] * 1e6:.0f} µs per message, measured γ = "
          f"{results['gamma'] * 1e9:.3f} ns/byte; projected efficiency (weak scaling, no overlap):")
    print(f"  {'':<32}" + "".join(f"{p:>10}" for p in RANKS))
    for label, row in results["projection"].items():
        print(f"  {label:<32}" + "".join(f"{row[str(p)]:>10.1%}" for p in RANKS))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure at 1 and 2 ranks, fit the model, print the tables; returns the results."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=30, help="training steps timed per workload")
    parser.add_argument("--max-mb", type=float, default=100, help="largest Allreduce buffer (MB)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return {}
    import importlib.util

    if shutil.which("mpirun") is None or importlib.util.find_spec("mpi4py") is None:
        print("skipped: needs Open MPI's mpirun and mpi4py (pip install 'scratchnet[mpi]')")
        return {}
    one, two = launch(1, args), launch(2, args)
    alpha, _ = fit_latency(two["allreduce"])
    gamma = reduction_cost()
    results = {"steps": {"1": one["steps"], "2": two["steps"]}, "allreduce": two["allreduce"],
               "overlap": two["overlap"], "alpha": alpha, "gamma": gamma}
    results["projection"] = projection(one["steps"], alpha, gamma)
    report(results)
    return results


if __name__ == "__main__":
    main()
