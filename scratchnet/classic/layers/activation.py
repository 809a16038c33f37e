"""Activations as tutorial layers. None of them writes into its input or its cached output
(the tutorial's ReLU zeroed ``x`` in place, so the previous layer's cache changed under it)."""

from __future__ import annotations

from scratchnet.backend import xp
from scratchnet.classic.layers.base import Layer


def _check_non_negative(value: float, name: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


class ReLU(Layer):
    """``y = max(x, 0)``; backward ``dx = dout · [x > 0]``."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.mask = x > 0
        return xp.maximum(x, 0)

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return dout * self.mask


class LeakyReLU(Layer):
    """``y = x`` for ``x > 0``, else ``alpha·x``; backward ``dx = dout · (1 or alpha)``
    (PyTorch's ``negative_slope=0.01`` default)."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = _check_non_negative(alpha, "alpha")

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.mask = x > 0
        return xp.maximum(x, 0) + self.alpha * xp.minimum(x, 0)  # x where x > 0, else alpha·x

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return dout * self.mask + self.alpha * dout * ~self.mask


class ELU(Layer):
    """``y = x`` for ``x > 0``, else ``alpha·(exp(x) − 1)``; backward ``dx = dout · (1 or y + alpha)``."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = _check_non_negative(alpha, "alpha")

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.mask = x > 0
        self.negative = self.alpha * xp.expm1(xp.minimum(x, 0))  # alpha·(exp(x) − 1), 0 where x > 0
        return xp.maximum(x, 0) + self.negative

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return dout * self.mask + dout * (self.negative + self.alpha) * ~self.mask


class SigmoidLayer(Layer):
    """``y = 1 / (1 + e⁻ˣ)`` (computed without overflow); backward ``dx = dout · y · (1 − y)``."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.out = xp.exp(-xp.logaddexp(xp.zeros((), dtype=x.dtype), -x))
        return self.out

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return dout * self.out * (1 - self.out)
