"""What the application builders share: argument checks, the input and the classifier top."""

from __future__ import annotations

from typing import Any

from scratchnet.keras.layers import Dense, GlobalAveragePooling2D, Input, KerasTensor


def application_input(name: str, weights: Any, input_shape: Any, input_tensor: Any,
                      default_shape: tuple[int, int, int]) -> KerasTensor:
    """The model's input: ``input_tensor``, or ``keras.Input(input_shape or default_shape)``.
    No pretrained weights are bundled: ``weights`` must be None (load converted weights by name)."""
    if weights is not None:
        raise ValueError(f"{name}: weights={weights!r} is not available; scratchnet bundles no pretrained "
                         "weights: pass weights=None and load converted weights with load_weights")
    if input_tensor is not None:
        return input_tensor
    shape = tuple(input_shape) if input_shape is not None else default_shape
    if len(shape) != 3:
        raise ValueError(f"{name}: input_shape must be (height, width, channels), got {input_shape!r}")
    return Input(shape=shape)


def pooled(x: KerasTensor, pooling: Any, name: str) -> KerasTensor:
    """The features without a top: as they are (``pooling=None``) or globally averaged ('avg')."""
    if pooling is None:
        return x
    if pooling != "avg":
        raise ValueError(f"{name}: pooling must be None or 'avg', got {pooling!r}")
    return GlobalAveragePooling2D(name="avg_pool")(x)


def predictions(x: KerasTensor, classes: int, activation: Any) -> KerasTensor:
    """The classifier: Dense(classes) with ``activation`` (softmax by default), named as Keras."""
    return Dense(classes, activation=activation, name="predictions")(x)
