"""The benchmark workloads built with ``scratchnet.nn``, PyTorch-style; their PyTorch twins with
the same state-dict names are in ``benchmarks/torch_models.py``.

Every model takes images of shape ``(N, 1, 28, 28)`` (or ``(N, 28, 28)`` for the MLP) scaled to
[0, 1] and returns logits for 10 classes.
"""

from __future__ import annotations

from collections.abc import Callable

from scratchnet import nn
from scratchnet.models import resnet20


def mlp() -> nn.Sequential:
    """Seed 003's MLP: Flatten → Dense 128 ReLU → Dropout 0.2 → Dense 10 (101,770 parameters)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(128, 10),
    )


def cnn() -> nn.Sequential:
    """Seed 004's CNN: Conv 10@3x3 same, ReLU → MaxPool 2 → Flatten → Dropout 0.5 →
    Dense 100 ReLU → Dense 10 (197,210 parameters)."""
    return nn.Sequential(
        nn.Conv2d(1, 10, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5),
        nn.Linear(10 * 14 * 14, 100), nn.ReLU(),
        nn.Linear(100, 10),
    )


def bncnn() -> nn.Sequential:
    """The batch-norm CNN: three 3x3 conv blocks (16, 32, 64 channels) with BatchNorm, ReLU and
    two 2x2 max-pools, then Linear 3136→128→64→10 with BatchNorm1d and ReLU."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128), nn.BatchNorm1d(128), nn.ReLU(),
        nn.Linear(128, 64), nn.BatchNorm1d(64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def resnet() -> nn.Module:
    """ResNet-20 for 28x28 images (``scratchnet.models.resnet20``: 19 convolutions in three
    stages of 16, 32, 64 channels with batch norm and skip connections, then Linear 64→10)."""
    return resnet20(num_classes=10, in_channels=1)


MODELS: dict[str, Callable[[], nn.Module]] = {"mlp": mlp, "cnn": cnn, "bncnn": bncnn, "resnet": resnet}
"""The workloads by name."""
