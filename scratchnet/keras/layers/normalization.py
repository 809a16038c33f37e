"""``BatchNormalization`` over the last (channel) axis, over ``nn.BatchNorm1d`` / ``nn.BatchNorm2d``."""

from __future__ import annotations

from typing import Any

from scratchnet import nn
from scratchnet.autograd.tensor import Tensor
from scratchnet.keras import conventions
from scratchnet.keras.layers.base import Layer


class BatchNormalization(Layer):
    """y = γ·(x − μ)/√(σ² + ε) + β per channel (last axis), Keras's defaults ``momentum=0.99``,
    ``epsilon=1e-3``: in training μ, σ² are the batch's statistics and the moving ones follow
    ``moving = momentum·moving + (1 − momentum)·batch``; at inference the moving ones are used.

    Four variables per channel: γ, β (trainable), moving mean and variance (non-trainable). As in
    the core (PyTorch), the moving variance is updated with the unbiased batch variance (Keras
    uses the biased one; the two differ by a factor n/(n − 1)).
    """

    checks_last_axis = True

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 name: str | None = None, input_shape: Any = None, trainable: bool = True) -> None:
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        if axis != -1:
            raise ValueError(f"BatchNormalization: only axis=-1 (channels last) is supported, got {axis}")
        self.axis = axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.torch_momentum = conventions.torch_momentum(momentum)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) not in (2, 4):
            raise ValueError(f'layer "{self.name}" (BatchNormalization) expects (N, C) or (N, H, W, C), '
                             f"got input shape {input_shape}")
        norm = nn.BatchNorm1d if len(input_shape) == 2 else nn.BatchNorm2d
        self.bn = norm(input_shape[-1], eps=self.epsilon, momentum=self.torch_momentum)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 2:
            return self.bn(x)
        return conventions.to_channels_last(self.bn(conventions.to_channels_first(x)))
