"""AlexNet (Krizhevsky et al. 2012) in torchvision's layout, and a small variant for 28x28 images."""

from __future__ import annotations

from typing import Any

from scratchnet import nn
from scratchnet.autograd.tensor import Tensor


class AlexNet(nn.Module):
    """``features`` (convolutions and pools) → ``avgpool`` (adaptive, to ``pool_size``) →
    flatten → ``classifier`` (Dropout, Linear, ReLU, Dropout, Linear, ReLU, Linear), as
    ``torchvision.models.AlexNet``. Without ``features`` it is torchvision's ImageNet network
    (5 convolutions of 64, 192, 384, 256, 256 channels; 6x6 pooled; two 4096-wide layers)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, in_channels: int = 3,
                 features: nn.Module | None = None, pool_size: int = 6, hidden: int = 4096) -> None:
        super().__init__()
        self.features = features if features is not None else _imagenet_features(in_channels)
        self.avgpool = nn.AdaptiveAvgPool2d((pool_size, pool_size))
        width = _last_channels(self.features) * pool_size * pool_size
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(width, hidden), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes))

    def forward(self, x: Any) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def _imagenet_features(in_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, 64, 11, stride=4, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))


def _last_channels(features: nn.Module) -> int:
    """The output channels of the last convolution in ``features``."""
    return [m for m in features.modules() if isinstance(m, nn.Conv2d)][-1].out_channels


def alexnet(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> AlexNet:
    """torchvision's ``alexnet()`` (for 3x224x224 images; ``weights`` are not bundled: load a
    converted state dict by name)."""
    return AlexNet(num_classes, dropout, in_channels)


def alexnet_small(num_classes: int = 10, in_channels: int = 1, dropout: float = 0.5) -> AlexNet:
    """AlexNet's shape for 28x28 images, with the paper's local response normalisation
    (size 5, α = 1e-4, β = 0.75, k = 2): 5x5 and 3x3 convolutions of 32, 64, 96, 96, 64 channels,
    28 → 13 → 6 → 2 by 3x3 stride-2 pools, then two 512-wide layers."""
    features = nn.Sequential(
        nn.Conv2d(in_channels, 32, 5, padding=2), nn.ReLU(inplace=True),
        nn.LocalResponseNorm(5, k=2.0), nn.MaxPool2d(3, 2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(inplace=True),
        nn.LocalResponseNorm(5, k=2.0), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 96, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(96, 96, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(96, 64, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))
    return AlexNet(num_classes, dropout, in_channels, features, pool_size=2, hidden=512)
