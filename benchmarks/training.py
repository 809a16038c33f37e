"""Training-speed benchmark: the seed workloads in scratchnet and in PyTorch, side by side.

Each framework runs in its own subprocess (so that its peak memory is its own), from the same
initial weights (copied by state-dict name through a safetensors file) over the same batches
(one seeded permutation per epoch), in float32, both on the same number of threads (``--threads``,
default: the cores this process may use; ``sn.set_num_threads`` and ``torch.set_num_threads``).
The runs alternate between the frameworks, repeat ``r`` with seed ``r`` for both; the table
reports the median epoch time of each, their ratio, peak memory and the test accuracy reached,
averaged over the seeds (after a fixed number of epochs it varies by about ±0.01 from seed to
seed, and two frameworks from the same seed drift apart by float rounding alone).

With ``--steps N`` each run first takes ``--warmup W`` untimed steps (PyTorch's first calls cost
seconds), then times ``N`` steps one by one; the table gives the median milliseconds per step.
``--scaling 1,2`` adds a table of each workload's step time at each thread count for both
frameworks; ``--contended`` adds one of two runs of the same workload side by side (two
processes at once), each framework's step times side by side against one run alone.

    python benchmarks/training.py                      # mlp, cnn, bncnn; 1 epoch, 3 repeats
    python benchmarks/training.py --steps 100 --repeats 1 --workloads mlp,cnn
    python benchmarks/training.py --steps 20 --repeats 1 --workloads resnet   # ResNet-20, batch 128
    python benchmarks/training.py --steps 200 --repeats 0 --scaling 1,2 --contended
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

WORKLOADS = {
    # name: (optimizer, learning rate, batch size, number of training images, image shape)
    "mlp": ("adam", 1e-3, 32, 60_000, (28, 28)),
    "cnn": ("adam", 1e-3, 32, 48_000, (1, 28, 28)),
    "bncnn": ("sgd_momentum", 1e-2, 128, 60_000, (1, 28, 28)),
    "resnet": ("sgd_momentum", 1e-1, 128, 60_000, (1, 28, 28)),
}
EVAL_BATCH = 250


def load_data(workload: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fashion-MNIST scaled to [0, 1] in the workload's input shape (float32)."""
    from scratchnet.datasets import load_fashion_mnist

    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    _, _, _, count, shape = WORKLOADS[workload]
    scale = np.float32(1 / 255)
    x_train = (x_train[:count].astype(np.float32) * scale).reshape(-1, *shape)
    x_test = (x_test.astype(np.float32) * scale).reshape(-1, *shape)
    return x_train, y_train[:count].astype(np.int64), x_test, y_test.astype(np.int64)


def batches(count: int, batch_size: int, seed: int, epoch: int, steps: int | None) -> list[np.ndarray]:
    """The index batches of one epoch: the same seeded permutation for both frameworks."""
    order = np.random.default_rng([seed, epoch]).permutation(count)
    chunks = [order[i:i + batch_size] for i in range(0, count, batch_size)]
    return chunks[:steps] if steps else chunks


def make_optimizer(optim: Any, workload: str, parameters: Any) -> Any:
    """The workload's optimiser from ``optim`` (``scratchnet.optim`` or ``torch.optim``, whose
    Adam and SGD take the same arguments): Adam, or SGD with momentum 0.9."""
    optimizer_name, lr, _, _, _ = WORKLOADS[workload]
    if optimizer_name == "adam":
        return optim.Adam(parameters, lr=lr)
    return optim.SGD(parameters, lr=lr, momentum=0.9)


def peak_memory_mb() -> float:
    """This process's peak resident memory in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_training(step: Any, count: int, workload: str, seed: int, epochs: int, steps: int | None,
                   warmup: int) -> dict:
    """Call ``step(index_batch)`` over the epochs' batches and time them. Full epochs are timed
    whole; with ``steps``, the first ``warmup`` batches of the first epoch run untimed and then
    each of ``steps`` batches is timed (``step_times``, seconds)."""
    batch_size = WORKLOADS[workload][2]
    epoch_times, step_times = [], []
    for epoch in range(epochs):
        wanted = steps + (warmup if epoch == 0 else 0) if steps else None
        order = batches(count, batch_size, seed, epoch, wanted)
        if steps and epoch == 0:
            for index in order[:warmup]:
                step(index)
            order = order[warmup:]
        start = time.perf_counter()
        for index in order:
            before = time.perf_counter()
            step(index)
            step_times.append(time.perf_counter() - before)
        epoch_times.append(time.perf_counter() - start)
    return {"epoch_times": epoch_times, "step_times": step_times if steps else []}


def run_scratchnet(workload: str, weights: str, seed: int, epochs: int, steps: int | None,
                   threads: int, warmup: int) -> dict:
    """Train with scratchnet on ``threads`` threads; return epoch (and step) times, peak memory
    and test accuracy."""
    from scratchnet_models import MODELS

    import scratchnet as sn
    from scratchnet import optim
    from scratchnet.training import train_step

    sn.set_num_threads(threads)
    x_train, y_train, x_test, y_test = load_data(workload)
    sn.manual_seed(seed)
    model = MODELS[workload]()
    model.load_state_dict(sn.load(weights))
    optimizer = make_optimizer(optim, workload, model.parameters())
    loss_fn = sn.nn.CrossEntropyLoss()
    model.train()
    timed = timed_training(
        lambda index: train_step(model, loss_fn, optimizer, sn.Tensor.wrap(x_train[index]), y_train[index]),
        len(x_train), workload, seed, epochs, steps, warmup)
    model.eval()
    with sn.no_grad():
        predictions = np.concatenate([model(sn.Tensor.wrap(x_test[i:i + EVAL_BATCH])).numpy().argmax(1)
                                      for i in range(0, len(x_test), EVAL_BATCH)])
    return {**timed, "peak_mb": peak_memory_mb(), "accuracy": float((predictions == y_test).mean())}


def run_torch(workload: str, weights: str, seed: int, epochs: int, steps: int | None,
              threads: int, warmup: int) -> dict:
    """Train the PyTorch twin the same way on ``threads`` threads; return the same measures."""
    import torch
    from safetensors.torch import load_file
    from torch_models import MODELS

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in load_data(workload))
    model = MODELS[workload]()
    model.load_state_dict(load_file(weights))
    optimizer = make_optimizer(torch.optim, workload, model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(index: np.ndarray) -> None:
        index = torch.from_numpy(index)
        loss = loss_fn(model(x_train[index]), y_train[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    model.train()
    timed = timed_training(step, len(x_train), workload, seed, epochs, steps, warmup)
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(x_test[i:i + EVAL_BATCH]).argmax(1)
                                 for i in range(0, len(x_test), EVAL_BATCH)])
    return {**timed, "peak_mb": peak_memory_mb(),
            "accuracy": float((predictions == y_test).float().mean())}


def torch_available() -> bool:
    """Whether PyTorch can be imported (without importing it here)."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def write_initial_weights(workload: str, seed: int, directory: str) -> str:
    """Save the scratchnet model's seeded initial weights by state-dict name (safetensors)."""
    from scratchnet_models import MODELS

    import scratchnet as sn

    sn.manual_seed(seed)
    path = os.path.join(directory, f"{workload}-{seed}.safetensors")
    sn.save(MODELS[workload]().state_dict(), path)
    return path


def default_threads() -> int:
    """The cores this process may use (the thread count both frameworks get by default)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def benchmark_environment(threads: int) -> dict[str, str]:
    """The workers' environment: both frameworks on ``threads`` threads, and NumPy's OpenBLAS
    free to pick its kernels for this processor. Some machines force older kernels through
    ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` (for old OpenBLAS builds); a current NumPy runs
    slower with them, so the benchmark leaves them out, as a user's machine would."""
    environment = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    environment.pop("SCRATCHNET_NUM_THREADS", None)
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        environment.pop(name, None)
    return environment


def worker_command(framework: str, workload: str, weights: str, seed: int, options: argparse.Namespace,
                   threads: int) -> list[str]:
    """The command line of one worker subprocess."""
    command = [sys.executable, __file__, "--worker", framework, "--workloads", workload, "--weights", weights,
               "--seed", str(seed), "--epochs", str(options.epochs), "--threads", str(threads),
               "--warmup", str(options.warmup)]
    return command + (["--steps", str(options.steps)] if options.steps else [])


def run_workers(commands: list[list[str]], threads: int) -> list[dict]:
    """Run the worker commands all at once (side by side) and return what each measured."""
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=benchmark_environment(threads)) for command in commands]
    results = []
    for command, process in zip(commands, processes):
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{command[3]} {command[5]} worker failed:\n{stderr[-3000:]}")
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    return results


def frameworks() -> list[str]:
    """scratchnet, and PyTorch when installed."""
    return ["scratchnet"] + (["torch"] if torch_available() else [])


def benchmark(workloads: list[str], options: argparse.Namespace) -> dict:
    """Alternate the frameworks ``options.repeats`` times per workload and summarise each."""
    results: dict = {}
    print(table_header(options), flush=True)
    with tempfile.TemporaryDirectory() as directory:
        for workload in workloads:
            runs: dict[str, list[dict]] = {name: [] for name in frameworks()}
            for seed in range(options.repeats):
                weights = write_initial_weights(workload, seed, directory)
                for framework in runs:
                    command = worker_command(framework, workload, weights, seed, options, options.threads)
                    runs[framework] += run_workers([command], options.threads)
            results[workload] = {name: summarise(measured) for name, measured in runs.items()}
            if "torch" in results[workload]:
                results[workload]["ratio"] = (time_of(results[workload]["scratchnet"])
                                              / time_of(results[workload]["torch"]))
            print_row(workload, results[workload], options)
    return results


def scaling(workloads: list[str], options: argparse.Namespace, counts: list[int]) -> dict:
    """Each workload's step time at each thread count, both frameworks on the same count (seed 0)."""
    results: dict = {}
    names = frameworks()
    print(f"\n== thread scaling: {time_label(options)} ==", flush=True)
    print(f"{'workload':8s} {'threads':>7s} " + " ".join(f"{name:>10s} {'speed-up':>8s}" for name in names)
          + ("  ratio" if "torch" in names else ""), flush=True)
    with tempfile.TemporaryDirectory() as directory:
        for workload in workloads:
            weights = write_initial_weights(workload, 0, directory)
            rows = results[workload] = {}
            for threads in counts:
                rows[threads] = {name: summarise(run_workers(
                    [worker_command(name, workload, weights, 0, options, threads)], threads))
                    for name in names}
                line = f"{workload:8s} {threads:7d} "
                for name in names:
                    speedup = time_of(rows[counts[0]][name]) / time_of(rows[threads][name])
                    line += f"{time_of(rows[threads][name]) * scale_of(options):10.2f} {speedup:8.2f} "
                if "torch" in names:
                    line += f" {time_of(rows[threads]['scratchnet']) / time_of(rows[threads]['torch']):5.2f}"
                print(line, flush=True)
    return results


def contended(workloads: list[str], options: argparse.Namespace) -> dict:
    """Per framework and workload: one run alone, then two identical runs at once (two
    processes sharing the machine), each on ``options.threads`` threads."""
    results: dict = {}
    print(f"\n== contention: two runs side by side against one alone, {time_label(options)}, "
          f"{options.threads} threads each ==", flush=True)
    print(f"{'workload':8s} {'framework':10s} {'alone':>8s} {'run 1':>8s} {'run 2':>8s} {'slowdown':>8s}",
          flush=True)
    with tempfile.TemporaryDirectory() as directory:
        for workload in workloads:
            weights = write_initial_weights(workload, 0, directory)
            results[workload] = {}
            for name in frameworks():
                command = worker_command(name, workload, weights, 0, options, options.threads)
                alone = summarise(run_workers([command], options.threads))
                side = [summarise([run]) for run in run_workers([command, command], options.threads)]
                slowdown = statistics.mean(time_of(run) for run in side) / time_of(alone)
                results[workload][name] = {"alone": alone, "side_by_side": side, "slowdown": slowdown}
                scale = scale_of(options)
                times = [time_of(run) * scale for run in (alone, *side)]
                print(f"{workload:8s} {name:10s} " + " ".join(f"{value:8.2f}" for value in times)
                      + f" {slowdown:8.2f}", flush=True)
    return results


def summarise(runs: list[dict]) -> dict:
    """Median epoch time (and, with timed steps, median step time) and peak memory over a
    framework's runs, the accuracy averaged over their seeds (each seed's also listed)."""
    summary = {"epoch_time": statistics.median(t for run in runs for t in run["epoch_times"]),
               "peak_mb": statistics.median(run["peak_mb"] for run in runs),
               "accuracy": statistics.mean(run["accuracy"] for run in runs),
               "accuracies": [run["accuracy"] for run in runs]}
    step_times = [t for run in runs for t in run.get("step_times", [])]
    if step_times:
        summary["step_time"] = statistics.median(step_times)
    return summary


def time_of(summary: dict) -> float:
    """The figure a table compares: the median step time when steps were timed, else the epoch time."""
    return summary.get("step_time", summary["epoch_time"])


def scale_of(options: argparse.Namespace) -> float:
    """The tables' unit: milliseconds for step times, seconds for epoch times."""
    return 1000.0 if options.steps else 1.0


def time_label(options: argparse.Namespace) -> str:
    """What the time columns hold."""
    if options.steps:
        return f"ms/step, median of {options.steps} steps after {options.warmup} warm-up"
    return f"s/epoch, median over {options.epochs} epoch(s) x {options.repeats} run(s)"


def table_header(options: argparse.Namespace) -> str:
    """The training table's column header, saying what its time columns hold."""
    unit = "ms/step" if options.steps else "s/epoch"
    columns = f"{'':6s} {'framework':10s} {unit:>8s} {'peak':>9s} {'accuracy':>12s}"
    return (f"time: {time_label(options)}; {options.threads} threads each\n"
            + columns + (" | torch" + columns[17:] + " | ratio" if torch_available() else ""))


def print_row(workload: str, result: dict, options: argparse.Namespace) -> None:
    """One line of the results table."""
    scale = scale_of(options)
    ours = result["scratchnet"]
    line = (f"{workload:6s} scratchnet {time_of(ours) * scale:8.2f} {ours['peak_mb']:6.0f} MB  "
            f"acc {ours['accuracy']:.4f}")
    if "torch" in result:
        theirs = result["torch"]
        line += (f" | torch {time_of(theirs) * scale:8.2f} {theirs['peak_mb']:6.0f} MB  "
                 f"acc {theirs['accuracy']:.4f} | ratio {result['ratio']:.2f}")
    print(line, flush=True)


def thread_counts(text: str) -> list[int]:
    """Parse ``--scaling``: comma-separated positive thread counts (``1,2,4``)."""
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated thread counts, got {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"thread counts must be positive, got {text!r}")
    return counts


def positive(text: str) -> int:
    """Parse a positive integer option."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def non_negative(text: str) -> int:
    """Parse a non-negative integer option."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text}")
    return value


def main(argv: list[str] | None = None) -> dict:
    """Command-line entry point; returns the results dict (also printed as JSON)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="mlp,cnn,bncnn")
    parser.add_argument("--epochs", type=positive, default=1, help="epochs per run")
    parser.add_argument("--steps", type=positive, default=None,
                        help="time this many steps per run, one by one, after the warm-up")
    parser.add_argument("--warmup", type=non_negative, default=10, help="untimed steps before --steps")
    parser.add_argument("--repeats", type=non_negative, default=3, help="runs per framework, alternated; "
                        "run r uses seed r (0: no training table)")
    parser.add_argument("--threads", type=positive, default=default_threads(),
                        help="threads of each framework (default: the cores this process may use)")
    parser.add_argument("--scaling", type=thread_counts, default=None, metavar="COUNTS",
                        help="also a thread-scaling table at these comma-separated thread counts")
    parser.add_argument("--contended", action="store_true",
                        help="also two runs of each workload side by side against one alone")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--worker", choices=["scratchnet", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        sys.path.insert(0, str(Path(__file__).parent))
        run = run_scratchnet if args.worker == "scratchnet" else run_torch
        result = run(args.workloads, args.weights, args.seed, args.epochs, args.steps, args.threads,
                     args.warmup)
        print(json.dumps(result))
        return result
    workloads = args.workloads.split(",")
    results = benchmark(workloads, args) if args.repeats else {}
    if args.scaling:
        results["scaling"] = scaling(workloads, args, args.scaling)
    if args.contended:
        results["contended"] = contended(workloads, args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
