"""``ZeroPadding2D`` and ``Cropping2D``: add or remove rows and columns at the edges of
channels-last images ``(N, H, W, C)``."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.keras.layers.base import Layer
from scratchnet.ops.shape import pad


def edge_widths(value: Any, name: str, owner: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras's forms as ``((top, bottom), (left, right))``: an int (every side), ``(rows, cols)``
    (symmetric) or that nested form; each width a non-negative int."""
    if isinstance(value, int) and not isinstance(value, bool):
        widths = ((value, value), (value, value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        widths = ((value[0], value[0]), (value[1], value[1]))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (tuple, list)) and len(v) == 2 for v in value):
        widths = (tuple(value[0]), tuple(value[1]))
    else:
        widths = None
    if widths is None or any(not isinstance(w, int) or isinstance(w, bool) or w < 0
                             for pair in widths for w in pair):
        raise ValueError(f"{owner}: {name} must be an int, a tuple of 2 ints or a tuple of 2 tuples of "
                         f"2 non-negative ints, got {value!r}")
    return widths


def _check_channels_last(layer: Layer, data_format: Any) -> None:
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{type(layer).__name__}: scratchnet's Keras layers are channels-last; "
                         f"data_format={data_format!r} is not supported")


def _check_images(layer: Layer, input_shape: tuple[int | None, ...]) -> None:
    if len(input_shape) != 4:
        raise ValueError(f'layer "{layer.name}" ({type(layer).__name__}) expects channels-last images '
                         f"(N, H, W, C), got input shape {input_shape}")


class ZeroPadding2D(Layer):
    """Zeros added around each image: ``padding`` rows on top and bottom, columns left and right
    (int, ``(rows, cols)`` or ``((top, bottom), (left, right))``), as ``keras.layers.ZeroPadding2D``."""

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, name: str | None = None,
                 input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        _check_channels_last(self, data_format)
        self.padding = edge_widths(padding, "padding", "ZeroPadding2D")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        _check_images(self, input_shape)

    def forward(self, x: Tensor) -> Tensor:
        return pad(x, ((0, 0), *self.padding, (0, 0)))


class Cropping2D(Layer):
    """Rows removed at the top and bottom and columns at the left and right of each image
    (``cropping`` in ``ZeroPadding2D``'s forms), as ``keras.layers.Cropping2D``."""

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None,
                 name: str | None = None, input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        _check_channels_last(self, data_format)
        self.cropping = edge_widths(cropping, "cropping", "Cropping2D")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        _check_images(self, input_shape)
        for size, (before, after), axis in zip(input_shape[1:3], self.cropping, ("height", "width")):
            if size is not None and before + after >= size:
                raise ValueError(f'layer "{self.name}" (Cropping2D): cropping {self.cropping} leaves no '
                                 f"{axis} of input shape {input_shape}")

    def forward(self, x: Tensor) -> Tensor:
        (top, bottom), (left, right) = self.cropping
        return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right]
