"""The seed tutorials' networks as Keras-style models, by name (``scratchnet train --model``).

Each builder takes the input shape of one sample (channels-last for images) and the number of
classes, and returns an uncompiled ``keras.Sequential`` ending in a softmax, as the seeds wrote
them. ``TRAINING_DEFAULTS`` holds the optimiser, learning rate, batch size and epochs the seeds
trained each one with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scratchnet.keras import Sequential, layers


def mlp(input_shape: tuple[int, ...] = (28, 28), num_classes: int = 10) -> Sequential:
    """Seed 003's MLP: Flatten → Dense 128 ReLU → Dropout 0.2 → Dense softmax."""
    return Sequential([
        layers.Flatten(input_shape=input_shape),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(num_classes, activation="softmax"),
    ], name="mlp")


def cnn(input_shape: tuple[int, ...] = (28, 28, 1), num_classes: int = 10) -> Sequential:
    """Seed 004's CNN: Conv 10@3x3 same ReLU → MaxPool 2 → Flatten → Dropout 0.5 →
    Dense 100 ReLU → Dense softmax (197,210 parameters for 28x28x1 and 10 classes)."""
    return Sequential([
        layers.Conv2D(10, 3, padding="same", activation="relu", input_shape=input_shape),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(100, activation="relu"),
        layers.Dense(num_classes, activation="softmax"),
    ], name="cnn")


def _conv_block(filters: int) -> list[Any]:
    return [layers.Conv2D(filters, 3, padding="same"),
            layers.BatchNormalization(), layers.ReLU()]


def _dense_block(units: int) -> list[Any]:
    return [layers.Dense(units), layers.BatchNormalization(), layers.ReLU()]


def bncnn(input_shape: tuple[int, ...] = (28, 28, 1), num_classes: int = 10) -> Sequential:
    """Seed 003's batch-norm CNN: conv blocks of 16, 32 and 64 channels (3x3 conv, batch norm,
    ReLU; max-pool after the last two), then Dense 128 and 64 blocks and a softmax."""
    return Sequential([
        layers.Input(shape=input_shape),
        *_conv_block(16),
        *_conv_block(32), layers.MaxPooling2D(2),
        *_conv_block(64), layers.MaxPooling2D(2),
        layers.Flatten(),
        *_dense_block(128),
        *_dense_block(64),
        layers.Dense(num_classes, activation="softmax"),
    ], name="bncnn")


MODELS: dict[str, Callable[..., Sequential]] = {"mlp": mlp, "cnn": cnn, "bncnn": bncnn}
"""The seed models by name."""

TRAINING_DEFAULTS: dict[str, dict[str, Any]] = {
    "mlp": {"optimizer": "adam", "lr": 1e-3, "batch_size": 32, "epochs": 5},
    "cnn": {"optimizer": "adam", "lr": 1e-3, "batch_size": 32, "epochs": 5},
    "bncnn": {"optimizer": "sgd", "lr": 1e-2, "momentum": 0.9, "batch_size": 128, "epochs": 2},
}
"""How the seeds trained each model (the CLI's defaults)."""
