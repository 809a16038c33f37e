"""The one training step: Keras ``fit`` (so the command line's ``train``), the tutorial's classic
``Model.train`` and custom loops all call ``train_step``; their mini-batches come from
``scratchnet.data.batching``.

``model`` is any callable returning the outputs (an ``nn.Module``, a Keras model called in
training mode, a classic model's forward pass), ``loss_fn(outputs, targets)`` returns the loss:
anything with ``backward()`` and ``item()`` (a scalar Tensor; a classic model's ``StepLoss``),
``optimizer`` has ``zero_grad()`` and ``step()`` (``scratchnet.optim`` or ``keras.optimizers``).

>>> model = sn.nn.Linear(1, 1, bias=False)
>>> _ = model.weight.data.fill_(2.0)
>>> optimizer = sn.optim.SGD(model.parameters(), lr=0.1)
>>> x, y = sn.tensor([[1.0], [2.0]]), sn.tensor([[1.0], [2.0]])
>>> loss, outputs = train_step(model, sn.nn.functional.mse_loss, optimizer, x, y)
>>> loss   # mean((2x - y)²) = (1 + 4) / 2, before the step
2.5
>>> model.weight   # w - 0.1 · mean(2(w x - y) x) = 2 - 0.1 · 5
Parameter containing:
tensor([[1.5000]], requires_grad=True)
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

