"""Pooling on channels-last images: ``MaxPooling2D``, ``AveragePooling2D`` (over
``nn.MaxPool2d`` / ``nn.AvgPool2d``) and ``GlobalAveragePooling2D``."""

from __future__ import annotations

from typing import Any

from scratchnet import nn
from scratchnet.autograd.config import no_grad
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.keras import conventions
from scratchnet.keras.layers.base import Layer
from scratchnet.keras.layers.convolutional import same_padding_2d
from scratchnet.ops.shape import pad


class _Pooling2D(Layer):
    """Windows of ``pool_size`` moved by ``strides`` (default: the pool size); ``padding='same'``
    pads as TensorFlow (output ``⌈in / stride⌉``, padded cells never count)."""

    pool_class: type = nn.MaxPool2d

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 name: str | None = None, input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        owner = type(self).__name__
        self.pool_size = conventions.pair(pool_size, "pool_size", owner)
        self.strides = self.pool_size if strides is None else conventions.pair(strides, "strides", owner)
        self.padding = conventions.padding_mode(padding, owner)
        self.pool = self.pool_class(self.pool_size, self.strides)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != 4:
            raise ValueError(f'layer "{self.name}" ({type(self).__name__}) expects channels-last images '
                             f"(N, H, W, C), got input shape {input_shape}")

    def forward(self, x: Tensor) -> Tensor:
        x = conventions.to_channels_first(x)
        same = self.padding == "same"
        widths = same_padding_2d(x.shape, self.pool_size, self.strides) if same else (0, 0, 0, 0)
        return conventions.to_channels_last(self._pool(x, widths) if any(widths) else self.pool(x))

    def _pool(self, x: Tensor, widths: tuple[int, int, int, int]) -> Tensor:
        """Pool ``x`` padded by ``widths`` so that the padding never counts."""
        raise NotImplementedError


class MaxPooling2D(_Pooling2D):
    """y = max over each window (Keras's default 2×2 windows, stride = window)."""

    pool_class = nn.MaxPool2d

    def _pool(self, x: Tensor, widths: tuple[int, int, int, int]) -> Tensor:
        return self.pool(pad(x, widths, value=-xp.inf))


class AveragePooling2D(_Pooling2D):
    """y = mean over each window; with ``padding='same'`` the mean of the cells inside the image."""

    pool_class = nn.AvgPool2d

    def _pool(self, x: Tensor, widths: tuple[int, int, int, int]) -> Tensor:
        with no_grad():
            inside = self.pool(pad(Tensor.wrap(xp.ones((1, 1, *x.shape[2:]), dtype=x.dtype)), widths))
        return self.pool(pad(x, widths)) / inside


class GlobalAveragePooling2D(Layer):
    """``(N, H, W, C) -> (N, C)``: the mean over the spatial axes."""

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4:
            raise ValueError(f'layer "{self.name}" (GlobalAveragePooling2D) expects (N, H, W, C), '
                             f"got shape {x.shape}")
        return x.mean(axis=(1, 2))
