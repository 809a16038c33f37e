"""torchvision's weight initialisation of the conv nets, shared by the architectures."""

from __future__ import annotations

from scratchnet import nn


def he_init_(model: nn.Module, linear_std: float | None = None) -> nn.Module:
    """Convolutions ``kaiming_normal_(mode='fan_out', nonlinearity='relu')`` with zero biases,
    batch norms γ = 1, β = 0, and, with ``linear_std``, Linear weights N(0, linear_std²) with zero
    biases (VGG's 0.01); otherwise Linear keeps PyTorch's default (ResNet)."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            _zero(module.bias)
        elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear) and linear_std is not None:
            nn.init.normal_(module.weight, 0.0, linear_std)
            _zero(module.bias)
    return model


def normal_init_(model: nn.Module, std: float = 0.01) -> nn.Module:
    """GoogLeNet's: conv and Linear weights N(0, std²) (torchvision truncates at ±2, i.e. ±200σ,
    which never binds), biases 0, batch norms γ = 1, β = 0."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(module.weight, 0.0, std)
            _zero(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    return model


def _zero(bias: nn.Parameter | None) -> None:
    if bias is not None:
        nn.init.zeros_(bias)
