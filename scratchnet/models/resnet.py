"""Residual networks (He et al. 2016) in torchvision's layout (ResNet v1.5: the stride in the 3x3
convolution of a bottleneck), and the CIFAR-style ResNet-20 for 28x28 images."""

from __future__ import annotations

from typing import Any

from scratchnet import nn
from scratchnet.autograd.tensor import Tensor
from scratchnet.models.init import he_init_


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """A 3x3 convolution with padding 1 and no bias (a batch norm follows)."""
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """A 1x1 convolution without bias."""
    return nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """y = ReLU(BN(conv3x3(ReLU(BN(conv3x3(x))))) + shortcut(x)); the shortcut is x, or
    ``downsample`` (1x1 convolution and batch norm) when the stride or width changes."""

    expansion = 1

    def __init__(self, in_channels: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = conv3x3(in_channels, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: Any) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + _shortcut(self.downsample, x))


class Bottleneck(nn.Module):
    """y = ReLU(BN(conv1x1(ReLU(BN(conv3x3(ReLU(BN(conv1x1(x)))))))) + shortcut(x)), widths
    planes → planes → 4·planes, the stride in the 3x3 convolution (v1.5)."""

    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = conv1x1(in_channels, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: Any) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + _shortcut(self.downsample, x))


def _shortcut(downsample: nn.Module | None, x: Any) -> Any:
    return x if downsample is None else downsample(x)


class ResNet(nn.Module):
    """Stem → stages ``layer1``, ``layer2``, … of residual blocks (each stage after the first
    halves the size and its width doubles) → global average pool → ``fc``, as
    ``torchvision.models.ResNet``. ``small_input`` swaps the ImageNet stem (7x7 stride-2
    convolution and 3x3 stride-2 max pool) for a 3x3 convolution and no pool (``maxpool`` is an
    Identity), for 28x28 or 32x32 images. Convolutions He-initialised (fan-out), γ = 1, β = 0;
    ``zero_init_residual`` zeroes each block's last γ."""

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], layers: list[int],
                 num_classes: int = 1000, in_channels: int = 3, widths: tuple[int, ...] = (64, 128, 256, 512),
                 small_input: bool = False, zero_init_residual: bool = False) -> None:
        super().__init__()
        self.inplanes = widths[0]
        if small_input:
            self.conv1 = conv3x3(in_channels, widths[0])
        else:
            self.conv1 = nn.Conv2d(in_channels, widths[0], 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(3, stride=2, padding=1)
        self.stages = len(layers)
        for index, (planes, blocks) in enumerate(zip(widths, layers)):
            stage = self._make_layer(block, planes, blocks, 1 if index == 0 else 2)
            setattr(self, f"layer{index + 1}", stage)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[len(layers) - 1] * block.expansion, num_classes)
        he_init_(self)
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, (BasicBlock, Bottleneck)):
                    nn.init.zeros_(module.bn2.weight if isinstance(module, BasicBlock) else module.bn3.weight)

    def _make_layer(self, block: Any, planes: int, blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: Any) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for index in range(1, self.stages + 1):
            x = getattr(self, f"layer{index}")(x)
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(num_classes: int = 1000, in_channels: int = 3, **kwargs: Any) -> ResNet:
    """torchvision's ``resnet18()``: basic blocks [2, 2, 2, 2]."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, in_channels, **kwargs)


def resnet34(num_classes: int = 1000, in_channels: int = 3, **kwargs: Any) -> ResNet:
    """torchvision's ``resnet34()``: basic blocks [3, 4, 6, 3]."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, in_channels, **kwargs)


def resnet50(num_classes: int = 1000, in_channels: int = 3, **kwargs: Any) -> ResNet:
    """torchvision's ``resnet50()``: bottleneck blocks [3, 4, 6, 3]."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, in_channels, **kwargs)


def resnet20(num_classes: int = 10, in_channels: int = 1, **kwargs: Any) -> ResNet:
    """He et al.'s CIFAR ResNet-20 for 28x28 images: a 3x3 stem of 16 channels, three stages of
    3 basic blocks (16, 32, 64 channels; 28 → 14 → 7), 1x1-convolution shortcuts where the
    shape changes (option B), 0.27 M parameters."""
    return ResNet(BasicBlock, [3, 3, 3], num_classes, in_channels, widths=(16, 32, 64),
                  small_input=True, **kwargs)
