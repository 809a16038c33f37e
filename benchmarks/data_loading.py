"""One epoch of mini-batches (batch 32, shuffled) over Fashion-MNIST's 60,000 training images.

Workloads, each timed over a full epoch (median of ``--repeats``):

- ``loader``: ``DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)`` (vectorised gathers);
- ``pipeline``: ``Dataset.from_tensor_slices((x, y)).shuffle(60000).batch(32)``;
- ``per-sample transforms``: ``FashionMNIST``-style data set applying ``ToTensor, RandomCrop(28,
  padding=2), RandomHorizontalFlip, Normalize`` to each sample, then collating;
- ``batch transforms``: the same augmentation applied once per collated batch (per-sample
  randomness, vectorised);
- beside PyTorch when installed: ``torch.utils.data.DataLoader(TensorDataset)``, and a torch
  ``Dataset`` doing the same per-sample augmentation with torch ops.

Run: ``python benchmarks/data_loading.py [--repeats 3] [--samples 60000]``; ``main(argv)`` returns
the times in seconds per epoch as a dict.
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

import scratchnet as sn  # noqa: E402
from scratchnet import data, datasets  # noqa: E402
from scratchnet.data import transforms as T  # noqa: E402

BATCH = 32


def load_images(samples: int) -> tuple[np.ndarray, np.ndarray, str]:
    """The Fashion-MNIST training images and labels (random stand-ins when it is not installed)."""
    try:
        (x, y), _ = datasets.load_fashion_mnist(download=False)
        source = "Fashion-MNIST"
    except (OSError, ValueError):
        rng = np.random.default_rng(0)
        x, y = rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8), rng.integers(0, 10, 60000)
        source = "random uint8 stand-in (Fashion-MNIST not found)"
    return x[:samples], y[:samples].astype(np.int64), source


def augmentation() -> T.Compose:
    """The augmentation used in both transform workloads."""
    return T.Compose([T.ToTensor(), T.RandomCrop(28, padding=2), T.RandomHorizontalFlip(),
                      T.Normalize(0.2860, 0.3530)])


class AugmentedImages(data.Dataset):
    """uint8 images with a per-sample transform, as ``datasets.FashionMNIST(transform=...)``."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform: Callable[[Any], Any]) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        return self.transform(self.images[index]), int(self.labels[index])


def epoch(batches: Any) -> int:
    """Consume one epoch; the number of samples seen."""
    return sum(len(batch[1]) for batch in batches)


def timed(run: Callable[[], int], repeats: int, expected: int) -> float:
    """Median seconds of ``run`` over ``repeats``, checking that it saw ``expected`` samples."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        seen = run()
        times.append(time.perf_counter() - start)
        if seen != expected:
            raise RuntimeError(f"an epoch saw {seen} samples, expected {expected}")
    return statistics.median(times)


def scratchnet_workloads(x: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], int]]:
    """The scratchnet epochs to time."""
    x_float = x.astype(np.float32) / 255.0
    loader = data.DataLoader(data.TensorDataset(x_float, y), batch_size=BATCH, shuffle=True)
    pipeline = data.Dataset.from_tensor_slices((x_float, y)).shuffle(len(x)).batch(BATCH)
    per_sample = data.DataLoader(AugmentedImages(x, y, augmentation()), batch_size=BATCH, shuffle=True)
    raw = data.DataLoader(data.TensorDataset(x, y), batch_size=BATCH, shuffle=True)
    transform = augmentation()
    return {
        "scratchnet loader": lambda: epoch(loader),
        "scratchnet pipeline": lambda: epoch(pipeline),
        "scratchnet per-sample transforms": lambda: epoch(per_sample),
        "scratchnet batch transforms": lambda: epoch((transform(images.numpy()), labels)
                                                     for images, labels in raw),
    }


def torch_workloads(x: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], int]]:
    """The PyTorch epochs to time (empty when torch is not installed)."""
    try:
        import torch
    except ImportError:
        return {}
    x_float = torch.tensor(x.astype(np.float32) / 255.0)
    labels = torch.tensor(y)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_float, labels), batch_size=BATCH,
                                         shuffle=True)

    class TorchAugmented(torch.utils.data.Dataset):
        """Per-sample ToTensor, RandomCrop(28, padding=2), RandomHorizontalFlip, Normalize in torch ops."""

        def __init__(self) -> None:
            self.images = torch.tensor(x)

        def __len__(self) -> int:
            return len(self.images)

        def __getitem__(self, index: int) -> tuple[Any, Any]:
            image = self.images[index].float().div(255.0)[None]
            image = torch.nn.functional.pad(image, (2, 2, 2, 2))
            top, left = (int(v) for v in torch.randint(0, 5, (2,)))
            image = image[:, top:top + 28, left:left + 28]
            if torch.rand(()) < 0.5:
                image = image.flip(-1)
            return (image - 0.2860) / 0.3530, labels[index]

    per_sample = torch.utils.data.DataLoader(TorchAugmented(), batch_size=BATCH, shuffle=True)
    return {"torch loader": lambda: epoch(loader), "torch per-sample transforms": lambda: epoch(per_sample)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Time every workload; print a table with the scratchnet/PyTorch ratios; return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)
    sn.manual_seed(0)
    x, y, source = load_images(args.samples)
    workloads = scratchnet_workloads(x, y)
    if not args.no_torch:
        workloads.update(torch_workloads(x, y))
    seconds = {name: timed(run, args.repeats, len(x)) for name, run in workloads.items()}
    print(f"One epoch, batch {BATCH}, {len(x):,} samples of {source}; median of {args.repeats}")
    for name, value in seconds.items():
        reference = seconds.get("torch per-sample transforms" if "transforms" in name else "torch loader")
        ratio = f"  x{value / reference:5.2f} vs torch" if reference and not name.startswith("torch") else ""
        print(f"  {name:36s} {value * 1000:9.1f} ms{ratio}")
    return {"samples": len(x), "batch_size": BATCH, "source": source, "seconds": seconds}


if __name__ == "__main__":
    main()
