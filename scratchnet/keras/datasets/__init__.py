"""``keras.datasets``: ``mnist.load_data()`` and ``fashion_mnist.load_data()``, each returning
``((x_train, y_train), (x_test, y_test))`` (uint8 images ``(N, 28, 28)``, integer labels) from
``scratchnet.datasets``."""

from scratchnet.keras.datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
