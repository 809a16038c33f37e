"""``UpSampling2D`` on channels-last images ``(N, H, W, C)``, over ``F.interpolate``."""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.keras import conventions
from scratchnet.keras.layers.base import Layer


class UpSampling2D(Layer):
    """Repeat rows and columns ``size`` times ('nearest', Keras's default) or interpolate them
    ('bilinear': half-pixel centres, i.e. torch's ``align_corners=False``): ``(N, H, W, C) ->
    (N, size₀·H, size₁·W, C)``."""

    def __init__(self, size: Any = (2, 2), interpolation: str = "nearest", name: str | None = None,
                 input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        self.size = conventions.pair(size, "size", "UpSampling2D")
        if interpolation not in F.interpolate_modes:
            raise ValueError(f"UpSampling2D: interpolation must be one of {F.interpolate_modes}, "
                             f"got {interpolation!r}")
        self.interpolation = interpolation

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != 4:
            raise ValueError(f'layer "{self.name}" (UpSampling2D) expects channels-last images (N, H, W, C), '
                             f"got input shape {input_shape}")

    def forward(self, x: Tensor) -> Tensor:
        y = F.interpolate(conventions.to_channels_first(x), scale_factor=self.size, mode=self.interpolation)
        return conventions.to_channels_last(y)
