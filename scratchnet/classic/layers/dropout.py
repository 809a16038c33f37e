"""Lesson 2-6's dropout, made inverted as PyTorch's ``nn.Dropout`` (the lesson scaled by
``1 − rate`` at test time instead)."""

from __future__ import annotations

from scratchnet import backend, reference
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

    def forward(self, x: xp.ndarray, train_flag: bool | None = None) -> xp.ndarray:
        """``train_flag`` as lesson 2-6's ``forward(x, train_flag=True)``; by default the model's."""
        if train_flag is not None:
            self.train_flag = bool(train_flag)
        if not self.train_flag:
            self.keep = None
            return x
        self.keep = backend.generator().random(x.shape) >= self.dropout_rate
        return reference.dropout(x, self.keep, self.dropout_rate)

    @property
    def scale(self) -> xp.ndarray | None:
        """``mask / (1 − dropout_rate)`` of the last training forward (None at prediction)."""
        return None if self.keep is None else self.keep / (1 - self.dropout_rate)

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return dout if self.keep is None else reference.dropout_backward(dout, self.keep, self.dropout_rate)
