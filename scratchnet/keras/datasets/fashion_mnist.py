"""``keras.datasets.fashion_mnist``."""

from __future__ import annotations

from typing import Any


def load_data() -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``
    (``scratchnet.datasets.load_fashion_mnist``)."""
    from scratchnet.datasets import load_fashion_mnist

    return load_fashion_mnist()
