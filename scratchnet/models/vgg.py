"""VGG (Simonyan & Zisserman 2015) in torchvision's layout, and a small variant for 28x28 images."""

from __future__ import annotations

from typing import Any

from scratchnet import nn
from scratchnet.autograd.tensor import Tensor
from scratchnet.models.init import he_init_

CONFIGS: dict[str, list[Any]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "small": [32, 32, "M", 64, 64, "M", 128, 128, "M"],
}
"""Feature layouts: output channels of each 3x3 convolution, ``'M'`` a 2x2 max pool
(A: VGG11, D: VGG16; small: three blocks for 28x28 images, 28 → 14 → 7 → 3)."""


class VGG(nn.Module):
    """``features`` → ``avgpool`` (adaptive, to ``pool_size``) → flatten → ``classifier``
    (Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear), as ``torchvision.models.VGG``;
    convolutions He-initialised (fan-out), Linear weights N(0, 0.01²), biases 0."""

    def __init__(self, features: nn.Module, num_classes: int = 1000, dropout: float = 0.5,
                 pool_size: int = 7, hidden: int = 4096) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((pool_size, pool_size))
        width = [m for m in features.modules() if isinstance(m, nn.Conv2d)][-1].out_channels
        self.classifier = nn.Sequential(
            nn.Linear(width * pool_size * pool_size, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes))
        he_init_(self, linear_std=0.01)

    def forward(self, x: Any) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def make_layers(config: list[Any], batch_norm: bool = False, in_channels: int = 3) -> nn.Sequential:
    """The feature extractor of a layout: 3x3 convolutions (padding 1) each followed by
    [BatchNorm2d and] ReLU, and 2x2 max pools at the ``'M'``s."""
    layers: list[nn.Module] = []
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
            continue
        layers.append(nn.Conv2d(in_channels, item, 3, padding=1))
        layers += [nn.BatchNorm2d(item), nn.ReLU(inplace=True)] if batch_norm else [nn.ReLU(inplace=True)]
        in_channels = item
    return nn.Sequential(*layers)


def vgg11(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> VGG:
    """torchvision's ``vgg11()``: layout A, 8 convolutions and 3 Linear layers."""
    return VGG(make_layers(CONFIGS["A"], False, in_channels), num_classes, dropout)


def vgg16(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> VGG:
    """torchvision's ``vgg16()``: layout D, 13 convolutions and 3 Linear layers."""
    return VGG(make_layers(CONFIGS["D"], False, in_channels), num_classes, dropout)


def vgg16_bn(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> VGG:
    """torchvision's ``vgg16_bn()``: layout D with batch normalisation after each convolution."""
    return VGG(make_layers(CONFIGS["D"], True, in_channels), num_classes, dropout)


def vgg_small(num_classes: int = 10, in_channels: int = 1, dropout: float = 0.5,
              batch_norm: bool = True) -> VGG:
    """A VGG for 28x28 images: two 3x3 convolutions of 32, 64 and 128 channels per block
    (batch-normalised by default), 2x2 pools to 3x3, then two 256-wide layers."""
    return VGG(make_layers(CONFIGS["small"], batch_norm, in_channels), num_classes, dropout,
               pool_size=3, hidden=256)
