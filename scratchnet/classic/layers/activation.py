"""Activations as tutorial layers (lessons 2-2 and 2-3), each the ``scratchnet.reference``
formula. None of them writes into its input or its cached output: the tutorial's ReLU, LeakyReLU
and ELU wrote ``self.out = z`` and then changed it in place, so the previous layer's cache (and
the caller's array) changed under them, and their backward overwrote the cache a second time."""

from __future__ import annotations

from scratchnet import reference
from scratchnet.backend import xp
from scratchnet.classic.layers.base import Layer


def _check_non_negative(value: float, name: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


class ReLU(Layer):
    """``y = max(x, 0)``; backward ``dx = dout · [x > 0]``."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.x = x
        return reference.relu(x)

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return reference.relu_backward(dout, self.x)


class LeakyReLU(Layer):
    """``y = x`` for ``x > 0``, else ``alpha·x``; backward ``dx = dout · (1 or alpha)``.
    The default slope is lesson 2-3's 0.001 (PyTorch's ``LeakyReLU`` uses 0.01)."""

    def __init__(self, alpha: float = 0.001) -> None:
        super().__init__()
        self.alpha = _check_non_negative(alpha, "alpha")

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.x = x
        return reference.leaky_relu(x, self.alpha)

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return reference.leaky_relu_backward(dout, self.x, self.alpha)


class ELU(Layer):
    """``y = x`` for ``x > 0``, else ``alpha·(exp(x) − 1)``; backward ``dx = dout · (1 or alpha·eˣ)``."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = _check_non_negative(alpha, "alpha")

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.x = x
        return reference.elu(x, self.alpha)

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return reference.elu_backward(dout, self.x, self.alpha)


class SigmoidLayer(Layer):
    """``y = 1 / (1 + e⁻ˣ)`` (computed without overflow); backward ``dx = dout · y · (1 − y)``."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.out = reference.sigmoid(x)
        return self.out

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return reference.sigmoid_backward(dout, self.out)
