"""The one training step shared by ``scratchnet.keras``, the command line and custom loops.

>>> loss, outputs = train_step(model, loss_fn, optimizer, x_batch, y_batch)

``model`` is any callable returning a Tensor (an ``nn.Module``, or a Keras model called in
training mode), ``loss_fn(outputs, targets)`` returns a scalar Tensor, ``optimizer`` has
``zero_grad()`` and ``step()`` (``scratchnet.optim`` or ``keras.optimizers``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scratchnet.autograd.tensor import Tensor


def train_step(model: Callable[[Any], Tensor], loss_fn: Callable[[Tensor, Any], Tensor], optimizer: Any,
               inputs: Any, targets: Any) -> tuple[float, Tensor]:
    """One optimisation step: clear the gradients, ``outputs = model(inputs)``,
    ``loss = loss_fn(outputs, targets)``, back-propagate, update. Returns the loss as a float
    (the one synchronisation per step) and the outputs (for metrics)."""
    optimizer.zero_grad()
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()
    optimizer.step()
    return float(loss.item()), outputs

