"""The one training step shared by ``scratchnet.keras``, the command line and custom loops.

>>> loss, outputs = train_step(model, loss_fn, optimizer, x_batch, y_batch)

``model`` is any callable returning a Tensor (an ``nn.Module``, or a Keras model called in
training mode), ``loss_fn(outputs, targets)`` returns a scalar Tensor, ``optimizer`` has
``zero_grad()`` and ``step()`` (``scratchnet.optim`` or ``keras.optimizers``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp


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


def batch_indices(num_samples: int, batch_size: int, shuffle: bool = False,
                  drop_last: bool = False) -> Iterator[slice | xp.ndarray]:
    """The index of each mini-batch of an epoch over ``num_samples`` samples: slices in order, or
    pieces of one permutation drawn from the seeded generator when ``shuffle``. The last batch is
    smaller unless ``drop_last``."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    order = backend.generator().permutation(num_samples) if shuffle else None
    stop = num_samples - num_samples % batch_size if drop_last else num_samples
    for start in range(0, stop, batch_size):
        end = min(start + batch_size, num_samples)
        yield slice(start, end) if order is None else order[start:end]
