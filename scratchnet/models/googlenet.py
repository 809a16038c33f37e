"""GoogLeNet (Szegedy et al. 2015) in torchvision's layout without the auxiliary heads, and a
small variant for 28x28 images."""

from __future__ import annotations

from typing import Any

from scratchnet import nn
from scratchnet.autograd.tensor import Tensor
from scratchnet.models.init import normal_init_
from scratchnet.ops.shape import cat


class BasicConv2d(nn.Module):
    """y = ReLU(BN(conv(x))): a convolution without bias, batch norm with eps 0.001, ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Any) -> Tensor:
        return self.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """Four branches joined along the channels: 1x1 (``ch1x1``); 1x1 then 3x3 (``ch3x3``);
    1x1 then a second 3x3 (``ch5x5``: torchvision uses 3x3 where the paper has 5x5); 3x3 max pool
    then 1x1 (``pool_proj``). Output channels ch1x1 + ch3x3 + ch5x5 + pool_proj."""

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int,
                 ch5x5: int, pool_proj: int) -> None:
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, 1),
                                     BasicConv2d(ch3x3red, ch3x3, 3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, ch5x5red, 1),
                                     BasicConv2d(ch5x5red, ch5x5, 3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                     BasicConv2d(in_channels, pool_proj, 1))
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x: Any) -> Tensor:
        return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class GoogLeNet(nn.Module):
    """``body`` (named stem layers, pools and Inception blocks, run in order) → global average
    pool → flatten → ``dropout`` → ``fc``, as ``torchvision.models.GoogLeNet(aux_logits=False,
    transform_input=False)``; weights N(0, 0.01²), biases 0, γ = 1, β = 0."""

    def __init__(self, body: list[tuple[str, nn.Module]], num_classes: int = 1000,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.body = [name for name, _ in body]
        for name, module in body:
            self.add_module(name, module)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        last = [module for _, module in body if isinstance(module, Inception)][-1]
        self.fc = nn.Linear(last.out_channels, num_classes)
        normal_init_(self)

    def forward(self, x: Any) -> Tensor:
        for name in self.body:
            x = getattr(self, name)(x)
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))


def _pool(kernel: int = 3) -> nn.MaxPool2d:
    return nn.MaxPool2d(kernel, stride=2, ceil_mode=True)


def googlenet(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.2) -> GoogLeNet:
    """torchvision's ``googlenet(aux_logits=False, transform_input=False)``: a 7x7/2 stem, nine
    Inception blocks (3a-3b, 4a-4e, 5a-5b) between ceil-mode max pools, 1024 features."""
    return GoogLeNet([
        ("conv1", BasicConv2d(in_channels, 64, 7, stride=2, padding=3)), ("maxpool1", _pool()),
        ("conv2", BasicConv2d(64, 64, 1)), ("conv3", BasicConv2d(64, 192, 3, padding=1)),
        ("maxpool2", _pool()),
        ("inception3a", Inception(192, 64, 96, 128, 16, 32, 32)),
        ("inception3b", Inception(256, 128, 128, 192, 32, 96, 64)), ("maxpool3", _pool()),
        ("inception4a", Inception(480, 192, 96, 208, 16, 48, 64)),
        ("inception4b", Inception(512, 160, 112, 224, 24, 64, 64)),
        ("inception4c", Inception(512, 128, 128, 256, 24, 64, 64)),
        ("inception4d", Inception(512, 112, 144, 288, 32, 64, 64)),
        ("inception4e", Inception(528, 256, 160, 320, 32, 128, 128)), ("maxpool4", _pool(2)),
        ("inception5a", Inception(832, 256, 160, 320, 32, 128, 128)),
        ("inception5b", Inception(832, 384, 192, 384, 48, 128, 128)),
    ], num_classes, dropout)


def googlenet_small(num_classes: int = 10, in_channels: int = 1, dropout: float = 0.2) -> GoogLeNet:
    """A GoogLeNet for 28x28 images: a 3x3 stem of 32 channels, Inception blocks 3a-3b at 28x28,
    4a at 14x14 and 5a at 7x7 (ceil-mode pools between), 208 features."""
    return GoogLeNet([
        ("conv1", BasicConv2d(in_channels, 32, 3, padding=1)),
        ("inception3a", Inception(32, 16, 24, 32, 4, 8, 8)),
        ("inception3b", Inception(64, 32, 32, 48, 8, 24, 16)), ("maxpool3", _pool()),
        ("inception4a", Inception(120, 48, 24, 52, 4, 12, 16)), ("maxpool4", _pool(2)),
        ("inception5a", Inception(128, 64, 40, 80, 8, 32, 32)),
    ], num_classes, dropout)
