"""Core Keras layers: ``InputLayer``, ``Dense``, ``Activation``, ``ReLU``, ``LeakyReLU``,
``Softmax``, ``Dropout``, ``Flatten``, ``Reshape``, each a thin wrapper over ``scratchnet.nn``."""

from __future__ import annotations

import math
from typing import Any

from scratchnet import nn
from scratchnet.autograd.tensor import Tensor
from scratchnet.keras.layers.base import KernelLayer, Layer


def _positive_int(value: Any, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    return value


class InputLayer(Layer):
    """The identity, carrying a model's input shape (what ``keras.Input`` becomes inside a model)."""

    def __init__(self, input_shape: Any = None, name: str | None = None) -> None:
        if input_shape is None:
            raise ValueError("InputLayer needs input_shape (without the batch axis)")
        super().__init__(name=name, input_shape=input_shape)

    def forward(self, x: Tensor) -> Tensor:
        return x


class Dense(KernelLayer):
    """y = activation(x·Wᵀ + b) over the last axis, with Keras's defaults: W glorot_uniform,
    b zeros (``nn.Linear`` inside, weight of shape ``(units, in)``).

    ``kernel_regularizer`` / ``bias_regularizer`` penalties join the training loss.
    """

    checks_last_axis = True
    core_name = "linear"

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, input_shape: Any = None,
                 input_dim: int | None = None, name: str | None = None, trainable: bool = True) -> None:
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        self.units = _positive_int(units, "units", "Dense")
        self.activation = self._activation(activation)
        self._set_up_kernel(use_bias, (kernel_initializer, bias_initializer),
                            (kernel_regularizer, bias_regularizer))

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) < 2:
            raise ValueError(f'layer "{self.name}" (Dense) needs inputs with at least 2 axes '
                             f"(batch, features), got shape {input_shape}")
        self._adopt_core(nn.Linear(input_shape[-1], self.units, bias=self.use_bias))

    def forward(self, x: Tensor) -> Tensor:
        return self.activation(self.linear(x))


class Activation(Layer):
    """y = activation(x), the activation given by name (``'relu'``) or as a callable."""

    def __init__(self, activation: Any, name: str | None = None, input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        self.activation = self._activation(activation)

    def forward(self, x: Tensor) -> Tensor:
        return self.activation(x)


class ReLU(Layer):
    """y = max(x, 0), or negative_slope·x below zero, capped at ``max_value`` when given (Keras)."""

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, name: str | None = None,
                 input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        if negative_slope < 0 or (max_value is not None and max_value < 0):
            raise ValueError(f"ReLU: negative_slope and max_value must be >= 0, "
                             f"got {negative_slope}, {max_value}")
        self.max_value = max_value
        self.relu = nn.LeakyReLU(negative_slope) if negative_slope else nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        y = self.relu(x)
        return y if self.max_value is None else y.clip(None, self.max_value)


class LeakyReLU(Layer):
    """y = x for x > 0, negative_slope·x otherwise (Keras's default slope 0.3)."""

    def __init__(self, negative_slope: float = 0.3, name: str | None = None, input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        self.leaky_relu = nn.LeakyReLU(negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return self.leaky_relu(x)


class Softmax(Layer):
    """y = softmax(x) along ``axis`` (the last by default)."""

    def __init__(self, axis: int = -1, name: str | None = None, input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        self.softmax = nn.Softmax(dim=axis)

    def forward(self, x: Tensor) -> Tensor:
        return self.softmax(x)


class Dropout(Layer):
    """In training, zero each element with probability ``rate`` and scale the rest by
    1/(1 − rate); the identity at inference (``nn.Dropout`` inside)."""

    def __init__(self, rate: float, name: str | None = None, input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        self.rate = rate
        self.dropout = nn.Dropout(rate)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(x)


class Flatten(Layer):
    """``(N, d1, d2, ...) -> (N, d1·d2·...)`` in row-major order, so channels-last images flatten in
    H, W, C order as in Keras."""

    def __init__(self, name: str | None = None, input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        self.flatten = nn.Flatten()

    def forward(self, x: Tensor) -> Tensor:
        return self.flatten(x) if x.ndim > 1 else x.reshape(-1, 1)


class Reshape(Layer):
    """``(N, ...) -> (N, *target_shape)``; one entry of ``target_shape`` may be -1."""

    def __init__(self, target_shape: Any, name: str | None = None, input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        self.target_shape = tuple(target_shape)

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], *self._target(x.shape[1:]))

    def _target(self, sample_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``target_shape`` with its -1 worked out from one sample's size, so that an empty batch
        reshapes too (sizes that do not divide are left to ``reshape``'s error)."""
        known, size = math.prod(n for n in self.target_shape if n != -1), math.prod(sample_shape)
        if -1 not in self.target_shape or known == 0 or size % known:
            return self.target_shape
        return tuple(size // known if n == -1 else n for n in self.target_shape)
