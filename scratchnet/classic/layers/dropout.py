"""Inverted dropout, as PyTorch's ``nn.Dropout`` (the tutorial scaled at test time instead)."""

from __future__ import annotations

from scratchnet import backend
from scratchnet.backend import xp
from scratchnet.classic.layers.base import Layer


class Dropout(Layer):
    """While training, zero each element with probability ``dropout_rate`` and scale the others
    by ``1/(1 − dropout_rate)``, so the expected output equals the input and prediction uses the
    layer as the identity. The mask comes from the global seeded generator.
    Backward: ``dx = dout · mask / (1 − dropout_rate)``.
    """

    def __init__(self, dropout_rate: float = 0.2) -> None:
        super().__init__()
        if not isinstance(dropout_rate, (int, float)) or not 0 <= dropout_rate < 1:
            raise ValueError(f"dropout_rate must be in [0, 1), got {dropout_rate!r}")
        self.dropout_rate = float(dropout_rate)

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        if not self.train_flag:
            self.scale = None
            return x
        keep = backend.generator().random(x.shape) >= self.dropout_rate
        self.scale = (keep / (1 - self.dropout_rate)).astype(x.dtype)
        return x * self.scale

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return dout if self.scale is None else dout * self.scale
