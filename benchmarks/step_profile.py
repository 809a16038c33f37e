"""Where one training step of a workload spends its time, layer by layer, in scratchnet and PyTorch.

The workload's model, optimiser and batch size are those of ``training.py``, on a random batch of
its shape. Each framework takes a warm-up step, then ``--steps`` plain steps (their median is
the step time), then as many instrumented steps that time each layer's forward and backward:

- scratchnet with its op profiler (``scratchnet.autograd.profiler.profile``): each layer of these
  models is one op;
- PyTorch with hooks: a module's forward between its forward pre-hook and hook, its backward
  between the pre-hook and hook of the autograd node that made its output (the op's whole
  backward, weight gradient included).

The table gives each layer's time per step in both and their ratio, then what the layers leave
out of an instrumented step: the optimiser, the engine's bookkeeping and Python.

Run: ``python benchmarks/step_profile.py [--workload bncnn] [--steps 10]``. scratchnet runs before
PyTorch is imported. ``main(argv)`` returns the figures as a dict.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from nn_layers import median_ms  # noqa: E402
from training import WORKLOADS, make_optimizer, torch_available  # noqa: E402

import scratchnet as sn  # noqa: E402
from scratchnet.autograd.profiler import profile  # noqa: E402


def random_batch(workload: str) -> tuple[np.ndarray, np.ndarray]:
    """Images in [0, 1) and labels for one batch of ``workload``."""
    _, _, batch_size, _, image_shape = WORKLOADS[workload]
    rng = np.random.default_rng(0)
    return rng.random((batch_size, *image_shape), dtype=np.float32), rng.integers(0, 10, batch_size)


def mean_ms(step: Callable[[], Any], steps: int) -> float:
    """Mean wall time of ``steps`` calls of ``step`` in ms (the instrumented steps, whose layer
    times are sums over the same calls)."""
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return 1000 * (time.perf_counter() - start) / steps


def profile_scratchnet(workload: str, steps: int) -> dict:
    """Step time and per-layer times (ms per step) of the scratchnet workload."""
    from scratchnet_models import MODELS

    from scratchnet import optim
    from scratchnet.training import train_step

    sn.manual_seed(0)
    model = MODELS[workload]()
    optimizer = make_optimizer(optim, workload, model.parameters())
    loss_fn, (x, y) = sn.nn.CrossEntropyLoss(), random_batch(workload)

    def step() -> None:
        train_step(model, loss_fn, optimizer, sn.Tensor.wrap(x), y)

    step_ms = median_ms(step, steps)
    with profile(record_shapes=True) as prof:
        instrumented_ms = mean_ms(step, steps)
    layers = [{"layer": entry.label, "forward_ms": 1000 * entry.forward_seconds / steps,
               "backward_ms": 1000 * entry.backward_seconds / steps} for entry in prof.totals(sort_by=None)]
    return {"step_ms": step_ms, "instrumented_ms": instrumented_ms, "layers": layers}


def profile_torch(workload: str, steps: int) -> dict:
    """Step time and per-layer times (ms per step) of the PyTorch twin, timed by hooks."""
    import torch
    from torch_models import MODELS

    torch.set_num_threads(sn.get_num_threads())  # the same thread count as scratchnet
    torch.manual_seed(0)
    model = MODELS[workload]()
    optimizer = make_optimizer(torch.optim, workload, model.parameters())
    loss_fn, (x, y) = torch.nn.CrossEntropyLoss(), (torch.from_numpy(a) for a in random_batch(workload))

    def step() -> None:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step_ms = median_ms(step, steps)
    modules = [*model.children(), loss_fn]
    layers = [{"layer": type(module).__name__, "forward_ms": 0.0, "backward_ms": 0.0} for module in modules]
    started: dict[tuple[str, int], float] = {}

    def before(key: tuple[str, int], *_: Any) -> None:
        started[key] = time.perf_counter()

    def after(key: tuple[str, int], *_: Any) -> None:
        layers[key[1]][f"{key[0]}_ms"] += 1000 * (time.perf_counter() - started[key]) / steps

    def after_forward(index: int, module: Any, inputs: tuple[Any, ...], output: Any) -> None:
        after(("forward", index))
        layers[index]["layer"] = f"{type(module).__name__} {tuple(inputs[0].shape)}"
        if output.grad_fn is not None:
            output.grad_fn.register_prehook(functools.partial(before, ("backward", index)))
            output.grad_fn.register_hook(functools.partial(after, ("backward", index)))

    for index, module in enumerate(modules):
        module.register_forward_pre_hook(functools.partial(before, ("forward", index)))
        module.register_forward_hook(functools.partial(after_forward, index))
    instrumented_ms = mean_ms(step, steps)
    return {"step_ms": step_ms, "instrumented_ms": instrumented_ms, "layers": layers}


def layer_ms(layer: dict) -> float:
    """A layer's forward plus backward time."""
    return layer["forward_ms"] + layer["backward_ms"]


def print_tables(workload: str, results: dict) -> None:
    """Both frameworks' layers side by side (one after the other if they do not pair up), then
    the step times and what the layers leave out."""
    ours, theirs = results["scratchnet"], results.get("torch")
    paired = theirs is not None and len(ours["layers"]) == len(theirs["layers"])
    width = max(len(layer["layer"]) for layer in ours["layers"])
    title = f"{workload}, ms per step: {'scratchnet layer':<{width}}  forward backward"
    print(title + ("   torch forward backward   ratio" if paired else ""))
    for index, layer in enumerate(ours["layers"]):
        line = f"{'':{len(workload) + 18}}{layer['layer']:<{width}}  {layer['forward_ms']:7.3f} "
        line += f"{layer['backward_ms']:8.3f}"
        if paired:
            twin = theirs["layers"][index]
            ratio = layer_ms(layer) / layer_ms(twin)
            line += f"   {twin['forward_ms']:13.3f} {twin['backward_ms']:8.3f}   {ratio:5.2f}"
        print(line)
    if theirs is not None and not paired:
        for layer in theirs["layers"]:
            print(f"torch {layer['layer']}: {layer['forward_ms']:.2f} + {layer['backward_ms']:.2f}")
    for name, figures in (("scratchnet", ours), ("torch", theirs)):
        if figures is not None:
            layers = sum(map(layer_ms, figures["layers"]))
            figures["outside_layers_ms"] = figures["instrumented_ms"] - layers
            print(f"{name}: median step {figures['step_ms']:.2f} ms; an instrumented step "
                  f"{figures['instrumented_ms']:.2f} ms, of which layers {layers:.2f} ms and the rest "
                  f"{figures['outside_layers_ms']:.2f} ms")


def main(argv: list[str] | None = None) -> dict:
    """Profile the workload in scratchnet, then in PyTorch when it is installed."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", default="bncnn", choices=sorted(WORKLOADS))
    parser.add_argument("--steps", type=int, default=10,
                        help="plain steps, then as many timed layer by layer")
    args = parser.parse_args(argv)
    results = {"scratchnet": profile_scratchnet(args.workload, args.steps)}
    if torch_available():
        results["torch"] = profile_torch(args.workload, args.steps)
        results["ratio"] = results["scratchnet"]["step_ms"] / results["torch"]["step_ms"]
    print_tables(args.workload, results)
    if "ratio" in results:
        print(f"step time ratio scratchnet/torch: {results['ratio']:.2f}")
    return results


if __name__ == "__main__":
    main()
