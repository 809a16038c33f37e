"""Output layers that also hold the loss, as the tutorial's last layer.

Lesson 2-2's contract: ``forward(x, t)`` returns the mean loss of the prediction from ``x``
against targets ``t`` and ``backward()`` returns dL/dx. ``Model`` uses the same layers with
``forward(x)`` (the prediction: class probabilities, or ``x`` itself for regression), then
``loss(t)``, then ``backward(dout=1)``.
"""

from __future__ import annotations

from typing import Any

from scratchnet import reference
from scratchnet.backend import xp
from scratchnet.classic.layers.base import Layer


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
    """Base class of the output layers: ``forward(x)``, then ``loss(t)``, then ``backward(dout=1)``;
    or lesson 2-2's ``forward(x, t)`` (the loss) then ``backward()``."""

    def forward(self, x: xp.ndarray, t: Any = None) -> Any:
        """The prediction for ``x``; with targets ``t``, the mean loss instead (lesson 2-2)."""
        prediction = self.predict(x)
        return prediction if t is None else self.loss(t)

    def predict(self, x: xp.ndarray) -> xp.ndarray:
        """The layer's output for ``x``, remembered for ``loss`` and ``backward``."""
        raise NotImplementedError

    def loss(self, t: Any) -> float:
        """The mean loss of the last ``forward``'s prediction against targets ``t``."""
        raise NotImplementedError

    def _check_batch(self, t: xp.ndarray, batch: int) -> None:
        if len(t) != batch:
            raise ValueError(f"{type(self).__name__}: {len(t)} targets for a batch of {batch} predictions")


class SoftmaxLayer(LossLayer):
    """Softmax with cross-entropy: ``y = softmax(x)`` over the last axis, and
    ``L = −(1/N) Σₙ Σ_c t_nc · log y_nc`` from the log-softmax (the tutorial's
    ``−Σ t·log(y + 1e-7)`` is off by up to 1e-7/y and its softmax subtracted the batch's maximum,
    not each row's, so a row far below it became 0/0).

    Backward: ``dx = dout · (y − t) / N``. Targets are one-hot rows (as the tutorial) or labels.
    """

    def predict(self, x: xp.ndarray) -> xp.ndarray:
        self.x = x
        return reference.softmax(x, axis=-1)

    def loss(self, t: Any) -> float:
        self.t = one_hot_targets(t, self.x.shape[-1], self.x.dtype)
        self._check_batch(self.t, len(self.x))
        return float(reference.softmax_cross_entropy(self.x, self.t))

    def backward(self, dout: Any = 1.0) -> xp.ndarray:
        return reference.softmax_cross_entropy_backward(dout, self.x, self.t)


class MSELayer(LossLayer):
    """Mean squared error as PyTorch's ``MSELoss``: ``y = x`` and ``L = mean((y − t)²)`` over all
    elements. Backward: ``dx = dout · 2(y − t) / y.size`` (lesson 2-1 returned ``y − t``, the
    gradient of ``½Σ(y − t)²``, not of the mean it reported). ``MSELayer(y)`` holds lesson 2-1's
    fixed targets, used when ``forward`` gets none; they are data, not saved with the model."""

    def __init__(self, y: Any = None) -> None:
        super().__init__()
        self.y = None if y is None else xp.asarray(y)

    def config(self) -> dict[str, Any]:
        """No constructor arguments are saved (the targets of ``MSELayer(y)`` are data)."""
        return {}

    def forward(self, x: xp.ndarray, t: Any = None) -> Any:
        """The prediction ``x``; with targets (``t``, or the constructor's ``y``) the mean loss."""
        return super().forward(x, self.y if t is None else t)

    def predict(self, x: xp.ndarray) -> xp.ndarray:
        self.x = x
        return x

    def loss(self, t: Any) -> float:
        t = xp.asarray(t)
        if t.shape != self.x.shape:
            raise ValueError(f"MSELayer: targets of shape {t.shape} do not match predictions {self.x.shape}")
        self.t = t.astype(self.x.dtype, copy=False)
        return float(reference.mean_squared_error(self.x, self.t))

    def backward(self, dout: Any = 1.0) -> xp.ndarray:
        return reference.mean_squared_error_backward(dout, self.x, self.t)
