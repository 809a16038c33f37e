"""Training-speed benchmark: the seed workloads in scratchnet and in PyTorch, side by side.

Each framework runs in its own subprocess (so that its peak memory is its own), from the same
initial weights (copied by state-dict name through a safetensors file) over the same batches
(one seeded permutation per epoch), in float32 with two threads. The runs alternate between the
frameworks, repeat ``r`` with seed ``r`` for both; the table reports the median epoch time of
each, their ratio, peak memory and the test accuracy reached, averaged over the seeds (after a
fixed number of epochs it varies by about ±0.01 from seed to seed, and two frameworks from the
same seed drift apart by float rounding alone).

    python benchmarks/training.py                      # mlp, cnn, bncnn; 1 epoch, 3 repeats
    python benchmarks/training.py --steps 100 --repeats 1 --workloads mlp,cnn
    python benchmarks/training.py --steps 20 --repeats 1 --workloads resnet   # ResNet-20, batch 128
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


def run_scratchnet(workload: str, weights: str, seed: int, epochs: int, steps: int | None) -> dict:
    """Train with scratchnet; return epoch times, peak memory and test accuracy."""
    from scratchnet_models import MODELS

    import scratchnet as sn
    from scratchnet import optim
    from scratchnet.training import train_step

    batch_size = WORKLOADS[workload][2]
    x_train, y_train, x_test, y_test = load_data(workload)
    sn.manual_seed(seed)
    model = MODELS[workload]()
    model.load_state_dict(sn.load(weights))
    optimizer = make_optimizer(optim, workload, model.parameters())
    loss_fn = sn.nn.CrossEntropyLoss()
    times = []
    for epoch in range(epochs):
        model.train()
        start = time.perf_counter()
        for index in batches(len(x_train), batch_size, seed, epoch, steps):
            train_step(model, loss_fn, optimizer, sn.Tensor.wrap(x_train[index]), y_train[index])
        times.append(time.perf_counter() - start)
    model.eval()
    with sn.no_grad():
        predictions = np.concatenate([model(sn.Tensor.wrap(x_test[i:i + EVAL_BATCH])).numpy().argmax(1)
                                      for i in range(0, len(x_test), EVAL_BATCH)])
    return {"epoch_times": times, "peak_mb": peak_memory_mb(),
            "accuracy": float((predictions == y_test).mean())}


def run_torch(workload: str, weights: str, seed: int, epochs: int, steps: int | None) -> dict:
    """Train the PyTorch twin the same way; return epoch times, peak memory and test accuracy."""
    import torch
    from safetensors.torch import load_file
    from torch_models import MODELS

    torch.set_num_threads(2)
    torch.manual_seed(seed)
    batch_size = WORKLOADS[workload][2]
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in load_data(workload))
    model = MODELS[workload]()
    model.load_state_dict(load_file(weights))
    optimizer = make_optimizer(torch.optim, workload, model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    times = []
    for epoch in range(epochs):
        model.train()
        start = time.perf_counter()
        for index in batches(len(x_train), batch_size, seed, epoch, steps):
            index = torch.from_numpy(index)
            loss = loss_fn(model(x_train[index]), y_train[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(x_test[i:i + EVAL_BATCH]).argmax(1)
                                 for i in range(0, len(x_test), EVAL_BATCH)])
    return {"epoch_times": times, "peak_mb": peak_memory_mb(),
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


def benchmark_environment() -> dict[str, str]:
    """The workers' environment: both frameworks on two threads, and NumPy's OpenBLAS free to
    pick its kernels for this processor. Some machines force older kernels through
    ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` (for old OpenBLAS builds); a current NumPy runs
    slower with them, so the benchmark leaves them out, as a user's machine would."""
    environment = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        environment.pop(name, None)
    return environment


def run_worker(framework: str, workload: str, weights: str, seed: int, epochs: int,
               steps: int | None) -> dict:
    """Run one framework in a fresh subprocess and return what it measured."""
    command = [sys.executable, __file__, "--worker", framework, "--workloads", workload, "--weights", weights,
               "--seed", str(seed), "--epochs", str(epochs)] + (["--steps", str(steps)] if steps else [])
    environment = benchmark_environment()
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{framework} {workload} worker failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def benchmark(workloads: list[str], epochs: int, steps: int | None, repeats: int) -> dict:
    """Alternate the frameworks ``repeats`` times per workload and summarise each."""
    frameworks = ["scratchnet"] + (["torch"] if torch_available() else [])
    results: dict = {}
    with tempfile.TemporaryDirectory() as directory:
        for workload in workloads:
            runs: dict[str, list[dict]] = {name: [] for name in frameworks}
            for seed in range(repeats):
                weights = write_initial_weights(workload, seed, directory)
                for framework in frameworks:
                    runs[framework].append(run_worker(framework, workload, weights, seed, epochs, steps))
            results[workload] = {name: summarise(measured) for name, measured in runs.items()}
            if "torch" in results[workload]:
                results[workload]["ratio"] = (results[workload]["scratchnet"]["epoch_time"]
                                              / results[workload]["torch"]["epoch_time"])
            print_row(workload, results[workload])
    return results


def summarise(runs: list[dict]) -> dict:
    """Median epoch time and peak memory over a framework's runs, the accuracy averaged over
    their seeds (each seed's also listed)."""
    return {"epoch_time": statistics.median(t for run in runs for t in run["epoch_times"]),
            "peak_mb": statistics.median(run["peak_mb"] for run in runs),
            "accuracy": statistics.mean(run["accuracy"] for run in runs),
            "accuracies": [run["accuracy"] for run in runs]}


def print_row(workload: str, result: dict) -> None:
    """One line of the results table."""
    ours = result["scratchnet"]
    line = (f"{workload:6s} scratchnet {ours['epoch_time']:7.2f} s  {ours['peak_mb']:6.0f} MB  "
            f"acc {ours['accuracy']:.4f}")
    if "torch" in result:
        theirs = result["torch"]
        line += (f" | torch {theirs['epoch_time']:7.2f} s  {theirs['peak_mb']:6.0f} MB  "
                 f"acc {theirs['accuracy']:.4f} | ratio {result['ratio']:.2f}")
    print(line, flush=True)


def main(argv: list[str] | None = None) -> dict:
    """Command-line entry point; returns the results dict (also printed as JSON)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="mlp,cnn,bncnn")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per run")
    parser.add_argument("--steps", type=int, default=None, help="time this many steps per epoch only")
    parser.add_argument("--repeats", type=int, default=3, help="runs per framework, alternated; run r "
                        "uses seed r")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--worker", choices=["scratchnet", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        sys.path.insert(0, str(Path(__file__).parent))
        run = run_scratchnet if args.worker == "scratchnet" else run_torch
        result = run(args.workloads, args.weights, args.seed, args.epochs, args.steps)
        print(json.dumps(result))
        return result
    results = benchmark(args.workloads.split(","), args.epochs, args.steps, args.repeats)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
