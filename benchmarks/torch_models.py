"""PyTorch twins of ``scratchnet.models``: the same layers in the same order, so that state-dict
names match and initial weights can be copied by name."""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn


def mlp() -> nn.Sequential:
    """Flatten → Linear 784→128 → ReLU → Dropout 0.2 → Linear 128→10."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def cnn() -> nn.Sequential:
    """Conv 10@3x3 pad 1, ReLU, MaxPool 2, Flatten, Dropout 0.5, Linear 1960→100, ReLU, Linear 100→10."""
    return nn.Sequential(
        nn.Conv2d(1, 10, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5),
        nn.Linear(10 * 14 * 14, 100), nn.ReLU(),
        nn.Linear(100, 10),
    )


def bncnn() -> nn.Sequential:
    """Three conv+BN+ReLU blocks (16, 32, 64 channels, two max-pools), Linear 3136→128→64→10 with BN1d."""
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
    """ResNet-20 for 28x28 images, the twin of ``scratchnet.models.resnet20`` written for the
    tests (tests/torch_vision_twins.py): the same attribute names, so weights copy by name."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.torch_vision_twins import BasicBlock, ResNet

    return ResNet(BasicBlock, [3, 3, 3], 10, 1, (16, 32, 64), small_input=True)


MODELS = {"mlp": mlp, "cnn": cnn, "bncnn": bncnn, "resnet": resnet}

__all__ = ["MODELS", "torch"]
