"""PyTorch twins of scratchnet.models' conv nets, written here because the test reference is
torch 2.13.0 without torchvision: the same layouts and attribute names as torchvision's modules
(https://github.com/pytorch/vision, torchvision/models), small configurations allowed."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes, in_channels, widths, small_input):
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = (nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False) if small_input
                      else nn.Conv2d(in_channels, widths[0], 7, 2, 3, bias=False))
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(3, 2, 1)
        self.stages = nn.ModuleList()
        for index, (planes, blocks) in enumerate(zip(widths, layers)):
            stride = 1 if index == 0 else 2
            downsample = None
            if stride != 1 or self.inplanes != planes * block.expansion:
                width = planes * block.expansion
                downsample = nn.Sequential(nn.Conv2d(self.inplanes, width, 1, stride, bias=False),
                                           nn.BatchNorm2d(width))
            stage = [block(self.inplanes, planes, stride, downsample)]
            self.inplanes = planes * block.expansion
            stage += [block(self.inplanes, planes) for _ in range(1, blocks)]
            self.add_module(f"layer{index + 1}", nn.Sequential(*stage))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[len(layers) - 1] * block.expansion, num_classes)
        self.layer_names = [f"layer{i + 1}" for i in range(len(layers))]

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for name in self.layer_names:
            x = getattr(self, name)(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def vgg(config, batch_norm, in_channels, num_classes, pool_size, hidden, dropout):
    layers: list[Any] = []
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
            continue
        layers.append(nn.Conv2d(in_channels, item, 3, padding=1))
        layers += [nn.BatchNorm2d(item), nn.ReLU()] if batch_norm else [nn.ReLU()]
        in_channels = item
    return Classified(nn.Sequential(*layers), pool_size, nn.Sequential(
        nn.Linear(in_channels * pool_size ** 2, hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, num_classes)))


class Classified(nn.Module):
    """features → adaptive average pool → flatten → classifier (torchvision's AlexNet and VGG)."""

    def __init__(self, features, pool_size, classifier):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((pool_size, pool_size))
        self.classifier = classifier

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def alexnet_small(num_classes, in_channels, dropout):
    features = nn.Sequential(
        nn.Conv2d(in_channels, 32, 5, padding=2), nn.ReLU(), nn.LocalResponseNorm(5, k=2.0),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.LocalResponseNorm(5, k=2.0), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 96, 3, padding=1), nn.ReLU(), nn.Conv2d(96, 96, 3, padding=1), nn.ReLU(),
        nn.Conv2d(96, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
    return Classified(features, 2, nn.Sequential(
        nn.Dropout(dropout), nn.Linear(64 * 4, 512), nn.ReLU(), nn.Dropout(dropout), nn.Linear(512, 512),
        nn.ReLU(), nn.Linear(512, num_classes)))


class BasicConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, kernel_size=1),
                                     BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, ch5x5red, kernel_size=1),
                                     BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                     BasicConv2d(in_channels, pool_proj, kernel_size=1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(nn.Module):
    """torchvision's GoogLeNet(aux_logits=False, transform_input=False), or its 28x28 variant."""

    def __init__(self, num_classes, in_channels, dropout, small):
        super().__init__()
        pool = lambda k=3: nn.MaxPool2d(k, 2, ceil_mode=True)  # noqa: E731
        if small:
            body = [("conv1", BasicConv2d(in_channels, 32, kernel_size=3, padding=1)),
                    ("inception3a", Inception(32, 16, 24, 32, 4, 8, 8)),
                    ("inception3b", Inception(64, 32, 32, 48, 8, 24, 16)), ("maxpool3", pool()),
                    ("inception4a", Inception(120, 48, 24, 52, 4, 12, 16)), ("maxpool4", pool(2)),
                    ("inception5a", Inception(128, 64, 40, 80, 8, 32, 32))]
        else:
            body = [("conv1", BasicConv2d(in_channels, 64, kernel_size=7, stride=2, padding=3)),
                    ("maxpool1", pool()), ("conv2", BasicConv2d(64, 64, kernel_size=1)),
                    ("conv3", BasicConv2d(64, 192, kernel_size=3, padding=1)), ("maxpool2", pool()),
                    ("inception3a", Inception(192, 64, 96, 128, 16, 32, 32)),
                    ("inception3b", Inception(256, 128, 128, 192, 32, 96, 64)), ("maxpool3", pool()),
                    ("inception4a", Inception(480, 192, 96, 208, 16, 48, 64)),
                    ("inception4b", Inception(512, 160, 112, 224, 24, 64, 64)),
                    ("inception4c", Inception(512, 128, 128, 256, 24, 64, 64)),
                    ("inception4d", Inception(512, 112, 144, 288, 32, 64, 64)),
                    ("inception4e", Inception(528, 256, 160, 320, 32, 128, 128)), ("maxpool4", pool(2)),
                    ("inception5a", Inception(832, 256, 160, 320, 32, 128, 128)),
                    ("inception5b", Inception(832, 384, 192, 384, 48, 128, 128))]
        self.names = [name for name, _ in body]
        for name, module in body:
            self.add_module(name, module)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(208 if small else 1024, num_classes)

    def forward(self, x):
        for name in self.names:
            x = getattr(self, name)(x)
        return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))
