"""Output layers that also hold the loss, as the tutorial's last layer.

``forward(x)`` returns the prediction (class probabilities, or ``x`` itself for regression),
``loss(t)`` compares the last prediction with the targets ``t`` and ``backward(dout=1)`` returns
dL/dx for that loss — so ``Model`` treats both output layers alike.
"""

from __future__ import annotations

from typing import Any

from scratchnet.backend import xp
from scratchnet.classic.layers.base import Layer
from scratchnet.functional.activation import log_softmax_array


def one_hot_targets(t: Any, num_classes: int, dtype: xp.dtype) -> xp.ndarray:
    """Targets as an ``(N, C)`` array: one-hot rows are kept, integer labels ``(N,)`` are
    one-hot encoded (after checking ``0 <= label < C``)."""
    t = xp.asarray(t)
    if t.ndim == 1 and t.dtype.kind in "iu":
        bad = xp.flatnonzero((t < 0) | (t >= num_classes))
        if bad.size:
            raise ValueError(f"label {t[bad[0]]} out of range [0, {num_classes}) at index {bad[0]}")
        return xp.eye(num_classes, dtype=dtype)[t]
    if t.ndim != 2 or t.shape[1] != num_classes:
        raise ValueError(f"targets must be one-hot of shape (N, {num_classes}) or integer labels (N,), "
                         f"got shape {t.shape} and dtype {t.dtype}")
    return t.astype(dtype, copy=False)


class LossLayer(Layer):
    """Base class of the output layers: ``forward``, then ``loss(t)``, then ``backward(dout=1)``."""

    def loss(self, t: Any) -> float:
        """The mean loss of the last ``forward``'s prediction against targets ``t``."""
        raise NotImplementedError

    def _check_batch(self, t: xp.ndarray, batch: int) -> None:
        if len(t) != batch:
            raise ValueError(f"{type(self).__name__}: {len(t)} targets for a batch of {batch} predictions")


class SoftmaxLayer(LossLayer):
    """Softmax with cross-entropy: ``y = softmax(x)`` over the last axis, and
    ``L = −(1/N) Σₙ Σ_c t_nc · log y_nc`` (from the log-softmax, so large logits do not overflow).

    Backward: ``dx = dout · (y − t) / N``. Targets are one-hot rows (as the tutorial) or labels.
    """

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.log_y = log_softmax_array(x, axis=-1)
        return xp.exp(self.log_y)

    def loss(self, t: Any) -> float:
        self.t = one_hot_targets(t, self.log_y.shape[-1], self.log_y.dtype)
        self._check_batch(self.t, len(self.log_y))
        return float(-(self.t * self.log_y).sum() / len(self.log_y))

    def backward(self, dout: Any = 1.0) -> xp.ndarray:
        return dout * (xp.exp(self.log_y) - self.t) / len(self.log_y)


class MSELayer(LossLayer):
    """Mean squared error as PyTorch's ``MSELoss``: ``y = x`` and ``L = mean((y − t)²)`` over all
    elements. Backward: ``dx = dout · 2(y − t) / y.size``."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.y = x
        return x

    def loss(self, t: Any) -> float:
        t = xp.asarray(t)
        if t.shape != self.y.shape:
            raise ValueError(f"MSELayer: targets of shape {t.shape} do not match predictions {self.y.shape}")
        self.diff = self.y - t.astype(self.y.dtype, copy=False)
        return float(xp.mean(self.diff ** 2))

    def backward(self, dout: Any = 1.0) -> xp.ndarray:
        return dout * 2 * self.diff / self.diff.size
