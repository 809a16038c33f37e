"""conv2d forward+backward and a small CNN training step: scratchnet beside PyTorch in one run.

Run: ``OPENBLAS_NUM_THREADS=2 python benchmarks/conv_bench.py [--repeats N] [--threads 2]``.
Prints a table of median wall and CPU times (ms) and the scratchnet/PyTorch ratios; ``main(argv)``
returns the same figures as a dict. Each conv shape also gets a row with only the BLAS products of
our convolution (no patch copies, no fold) beside PyTorch's whole convolution: the ratio a NumPy
convolution could reach at best. ``--threads`` sets PyTorch's threads; NumPy's BLAS takes its
thread count from ``OPENBLAS_NUM_THREADS`` when the process starts, so give both the same number.
On a loaded machine, threaded BLAS (both frameworks) can be many times slower than one thread.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import scratchnet as sn
import scratchnet.functional as F

CONV_SHAPES = {  # name: (batch, in channels, out channels, image size)
    "cnn conv 1->10 28x28 b32": (32, 1, 10, 28),
    "bncnn conv 1->16 28x28 b128": (128, 1, 16, 28),
    "bncnn conv 16->32 28x28 b128": (128, 16, 32, 28),
    "bncnn conv 32->64 14x14 b128": (128, 32, 64, 14),
}


def median_ms(step: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median wall time and median CPU time (all threads) of ``step`` in ms, after a warm-up call.

    CPU time is reported beside wall time because the machine is shared: it is less disturbed
    by other processes taking the cores."""
    step()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1000 * float(np.median(wall)), 1000 * float(np.median(cpu))


def conv_steps(batch: int, cin: int, cout: int, size: int, torch: Any) -> tuple[Callable, Callable | None]:
    """Forward+backward of a 3x3 'same' conv (with bias) in each framework, on the same arrays."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, cin, size, size), dtype=np.float32)
    w = rng.standard_normal((cout, cin, 3, 3), dtype=np.float32) * 0.1
    b = np.zeros(cout, dtype=np.float32)
    xs = sn.tensor(x, requires_grad=cin > 1)
    ws, bs = sn.tensor(w, requires_grad=True), sn.tensor(b, requires_grad=True)

    def ours() -> None:
        F.conv2d(xs, ws, bs, padding=1).sum().backward()

    if torch is None:
        return ours, None
    xt = torch.tensor(x, requires_grad=cin > 1)
    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)

    def theirs() -> None:
        torch.nn.functional.conv2d(xt, wt, bt, padding=1).sum().backward()

    return ours, theirs


def conv_gemms_alone(batch: int, cin: int, cout: int, size: int) -> Callable:
    """Only the BLAS products of our forward+backward of the same conv: per block of images,
    K·cols, the weight gradient and (when the input needs a gradient) Kᵀ·gy, with the blocks and
    slices that ``Conv2d`` uses, on operands already in cache. No patch copies, no fold: how fast
    the convolution could be if copying the patches and folding them back cost nothing."""
    from scratchnet.functional.conv import Conv2d
    from scratchnet.functional.patches import add_weight_gradient

    rng = np.random.default_rng(0)
    conv = Conv2d((1, 1), ((1, 1), (1, 1)), (1, 1), groups=1)
    conv.forward(rng.random((batch, cin, size, size), dtype=np.float32),
                 rng.random((cout, cin, 3, 3), dtype=np.float32), np.zeros(cout, dtype=np.float32))
    kernel, blocks = conv.group_kernels[0].kernel, conv.patches.blocks(0, batch)
    cols = rng.random(conv.patches.buffer().shape, dtype=np.float32)
    gy = rng.random((cout, cols.shape[1]), dtype=np.float32)
    out, grad = np.empty_like(gy), np.zeros_like(kernel)

    def products() -> None:
        for _, pixels in blocks:
            count = pixels.stop - pixels.start
            np.matmul(kernel, cols[:, :count], out=out[:, :count])
            add_weight_gradient(cols[:, :count], gy[:, :count], grad)
            if cin > 1:
                kernel[:, :-1].T @ gy[:, :count]

    return products


def _parameters(shapes: dict[str, tuple[int, ...]], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: (rng.standard_normal(shape) * 0.05).astype(np.float32) for name, shape in shapes.items()}


CNN_SHAPES = {"conv.w": (10, 1, 3, 3), "conv.b": (10,), "fc1.w": (100, 1960), "fc1.b": (100,),
              "fc2.w": (10, 100), "fc2.b": (10,)}

BNCNN_SHAPES = {
    "c1.w": (16, 1, 3, 3), "c1.b": (16,), "bn1.w": (16,), "bn1.b": (16,),
    "c2.w": (32, 16, 3, 3), "c2.b": (32,), "bn2.w": (32,), "bn2.b": (32,),
    "c3.w": (64, 32, 3, 3), "c3.b": (64,), "bn3.w": (64,), "bn3.b": (64,),
    "fc1.w": (128, 3136), "fc1.b": (128,), "bn4.w": (128,), "bn4.b": (128,),
    "fc2.w": (64, 128), "fc2.b": (64,), "bn5.w": (64,), "bn5.b": (64,),
    "fc3.w": (10, 64), "fc3.b": (10,),
}


def cnn_forward(F: Any, p: dict[str, Any], buffers: dict[str, Any], x: Any) -> Any:
    """The seed CNN: conv 10@3x3 same → ReLU → maxpool 2 → dropout 0.5 → dense 100 ReLU → dense 10.
    ``F`` is ``scratchnet.functional`` or ``torch.nn.functional`` (same signatures)."""
    h = F.max_pool2d(F.relu(F.conv2d(x, p["conv.w"], p["conv.b"], padding="same")), 2)
    h = F.dropout(h.reshape(x.shape[0], -1), 0.5)
    return F.linear(F.relu(F.linear(h, p["fc1.w"], p["fc1.b"])), p["fc2.w"], p["fc2.b"])


def bncnn_forward(F: Any, p: dict[str, Any], buffers: dict[str, Any], x: Any) -> Any:
    """The batch-norm CNN of issue 7: three conv+BN+ReLU blocks (two max-pooled), then
    3136→128→64 dense layers with BN1d and ReLU, then 64→10."""
    def bn(h: Any, name: str) -> Any:
        return F.batch_norm(h, *buffers[name], p[name + ".w"], p[name + ".b"], training=True)

    h = F.relu(bn(F.conv2d(x, p["c1.w"], p["c1.b"], padding=1), "bn1"))
    h = F.max_pool2d(F.relu(bn(F.conv2d(h, p["c2.w"], p["c2.b"], padding=1), "bn2")), 2)
    h = F.max_pool2d(F.relu(bn(F.conv2d(h, p["c3.w"], p["c3.b"], padding=1), "bn3")), 2)
    h = F.relu(bn(F.linear(h.reshape(x.shape[0], -1), p["fc1.w"], p["fc1.b"]), "bn4"))
    h = F.relu(bn(F.linear(h, p["fc2.w"], p["fc2.b"]), "bn5"))
    return F.linear(h, p["fc3.w"], p["fc3.b"])


def training_steps(forward: Callable, shapes: dict[str, tuple[int, ...]], batch: int,
                   torch: Any) -> tuple[Callable, Callable | None]:
    """One SGD step (lr 0.01) of ``forward`` + cross-entropy in each framework, same weights and batch."""
    rng = np.random.default_rng(1)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    channels = {name[:-2]: shape[0] for name, shape in shapes.items()
                if name.startswith("bn") and name.endswith(".w")}
    params = {k: sn.tensor(v, requires_grad=True) for k, v in _parameters(shapes, 0).items()}
    buffers = {k: (sn.zeros(c), sn.ones(c)) for k, c in channels.items()}

    def ours() -> None:
        loss = F.cross_entropy(forward(F, params, buffers, sn.tensor(x)), y)
        for p in params.values():
            p.grad = None
        loss.backward()
        for p in params.values():
            p.array -= np.float32(0.01) * p.grad.array

    if torch is None:
        return ours, None
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in _parameters(shapes, 0).items()}
    tbuffers = {k: (torch.zeros(c), torch.ones(c)) for k, c in channels.items()}
    xt, yt = torch.tensor(x), torch.tensor(y)

    def theirs() -> None:
        loss = torch.nn.functional.cross_entropy(forward(torch.nn.functional, tparams, tbuffers, xt), yt)
        for p in tparams.values():
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in tparams.values():
                p -= 0.01 * p.grad

    return ours, theirs


def bn_block_steps(torch: Any, batch: int = 128) -> tuple[Callable, Callable | None]:
    """Forward+backward of the bncnn block conv 16→32 3x3 pad 1 → BN → ReLU → maxpool 2."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, 16, 28, 28), dtype=np.float32)
    w = (rng.standard_normal((32, 16, 3, 3)) * 0.1).astype(np.float32)
    ones, zeros = np.ones(32, np.float32), np.zeros(32, np.float32)
    xs = sn.tensor(x, requires_grad=True)
    ws, gs, bs = (sn.tensor(a.copy(), requires_grad=True) for a in (w, ones, zeros))
    rm, rv = sn.tensor(zeros.copy()), sn.tensor(ones.copy())

    def ours() -> None:
        h = F.batch_norm(F.conv2d(xs, ws, None, padding=1), rm, rv, gs, bs, training=True)
        F.max_pool2d(F.relu(h), 2).sum().backward()

    if torch is None:
        return ours, None
    tf = torch.nn.functional
    xt = torch.tensor(x, requires_grad=True)
    wt, gt, bt = (torch.tensor(a.copy(), requires_grad=True) for a in (w, ones, zeros))
    rmt, rvt = torch.tensor(zeros.copy()), torch.tensor(ones.copy())

    def theirs() -> None:
        h = tf.batch_norm(tf.conv2d(xt, wt, None, padding=1), rmt, rvt, gt, bt, training=True)
        tf.max_pool2d(tf.relu(h), 2).sum().backward()

    return ours, theirs


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Time every workload in both frameworks; print a table and return, per workload, the median
    wall and CPU milliseconds of each and their scratchnet/PyTorch ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch threads")
    args = parser.parse_args(argv)
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    print(f"PyTorch threads: {args.threads if torch else 'not installed'}; NumPy BLAS threads: "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'OpenBLAS default (all cores)')}")
    workloads = {name: (*conv_steps(*shape, torch), conv_gemms_alone(*shape))
                 for name, shape in CONV_SHAPES.items()}
    workloads["cnn train step b32"] = (*training_steps(cnn_forward, CNN_SHAPES, 32, torch), None)
    workloads["bncnn train step b128"] = (*training_steps(bncnn_forward, BNCNN_SHAPES, 128, torch), None)
    workloads["bncnn block conv+bn+relu+pool b128"] = (*bn_block_steps(torch), None)
    results = {}
    print(f"{'workload (median ms: wall / cpu)':40s} {'scratchnet':>16s} {'torch':>16s} {'ratio':>12s}"
          f"   our GEMMs alone (ratio)")
    nan = (float("nan"), float("nan"))
    for name, (ours, theirs, gemms) in workloads.items():
        ours_ms = median_ms(ours, args.repeats)
        theirs_ms = median_ms(theirs, args.repeats) if theirs is not None else nan
        ratio = (ours_ms[0] / theirs_ms[0], ours_ms[1] / theirs_ms[1])
        results[name] = {"scratchnet_ms": ours_ms[0], "torch_ms": theirs_ms[0], "ratio": ratio[0],
                         "scratchnet_cpu_ms": ours_ms[1], "torch_cpu_ms": theirs_ms[1], "cpu_ratio": ratio[1]}
        line = (f"{name:40s} {ours_ms[0]:7.2f} / {ours_ms[1]:6.2f} {theirs_ms[0]:7.2f} / {theirs_ms[1]:6.2f} "
                f"{ratio[0]:5.2f} / {ratio[1]:4.2f}")
        if gemms is not None:
            gemms_ms = median_ms(gemms, args.repeats)[0]
            results[name].update(gemms_alone_ms=gemms_ms, gemms_alone_ratio=gemms_ms / theirs_ms[0])
            line += f"   {gemms_ms:7.2f} ({gemms_ms / theirs_ms[0]:4.2f})"
        print(line)
    return results


if __name__ == "__main__":
    main()
