"""Keras activation functions by name or as callables: ``relu, sigmoid, tanh, softmax, elu,
leaky_relu, linear`` (plus ``gelu`` and ``log_softmax``). Each maps a Tensor to a Tensor with
the core's ops; ``get`` turns a name (or None, or a callable) into the function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.nn import functional as F

Activation = Callable[[Tensor], Tensor]


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return F.relu(x)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^(−x))."""
    return F.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    """(e^x − e^(−x)) / (e^x + e^(−x))."""
    return F.tanh(x)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """e^(x_i) / Σ_j e^(x_j) along ``axis`` (the last, as Keras)."""
    return F.softmax(x, dim=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x_i − log Σ_j e^(x_j) along ``axis``."""
    return F.log_softmax(x, dim=axis)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, α·(e^x − 1) otherwise."""
    return F.elu(x, alpha)


def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    """x for x > 0, slope·x otherwise (Keras's default slope is 0.2)."""
    return F.leaky_relu(x, negative_slope)


def gelu(x: Tensor) -> Tensor:
    """x·Φ(x), Φ the standard normal CDF."""
    return F.gelu(x)


def linear(x: Tensor) -> Tensor:
    """The identity."""
    return x


_BY_NAME: dict[str, Activation] = {fn.__name__: fn for fn in
                                   (relu, sigmoid, tanh, softmax, log_softmax, elu, leaky_relu, gelu, linear)}


def get(identifier: Any) -> Activation:
    """The activation for a name (case-insensitive), None (``linear``) or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _BY_NAME:
            raise ValueError(f"unknown activation {identifier!r}; known: {', '.join(sorted(_BY_NAME))}")
        return _BY_NAME[key]
    if callable(identifier):
        return identifier
    raise TypeError(f"activation must be a name or a callable, got {type(identifier).__name__}")


def serialize(activation: Activation) -> Any:
    """The name of one of these activations (what a saved model stores); other callables as is."""
    name = getattr(activation, "__name__", None)
    return name if _BY_NAME.get(name) is activation else activation
