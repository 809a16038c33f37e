"""Where Keras's conventions meet the core's (PyTorch's), converted in this one place.

* Images: Keras layers see channels-last ``(N, H, W, C)``; ``scratchnet.nn`` computes on
  channels-first ``(N, C, H, W)``.
* Batch-norm momentum: Keras ``moving = m·moving + (1 − m)·batch``; PyTorch
  ``running = (1 − m')·running + m'·batch``; so ``m' = 1 − m``.
* ``padding='same'``: TensorFlow's rule, which also works with strides:
  ``out = ⌈in / s⌉``, ``total = max((out − 1)·s + (k − 1)·d + 1 − in, 0)``,
  ``before = total // 2``, ``after = total − before`` (the extra pixel goes bottom/right).
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor


def to_channels_first(x: Tensor) -> Tensor:
    """``(N, H, W, C)`` -> ``(N, C, H, W)`` (a view)."""
    return x.permute(0, 3, 1, 2)


def to_channels_last(x: Tensor) -> Tensor:
    """``(N, C, H, W)`` -> ``(N, H, W, C)`` (a view)."""
    return x.permute(0, 2, 3, 1)


def torch_momentum(keras_momentum: float) -> float:
    """PyTorch's batch-norm momentum for Keras's: ``1 − keras_momentum``."""
    if not 0.0 <= keras_momentum <= 1.0:
        raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {keras_momentum!r}")
    return 1.0 - keras_momentum


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding of one axis for TensorFlow's ``padding='same'``."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def pair(value: Any, name: str, owner: str) -> tuple[int, int]:
    """An int or a pair of ints as a pair of positive ints (Keras accepts both)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        raise ValueError(f"{owner}: {name} must be a positive int or a pair of them, got {value!r}")
    return values


def padding_mode(padding: str, owner: str) -> str:
    """``'valid'`` or ``'same'`` (case-insensitive, as Keras)."""
    mode = str(padding).lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"{owner}: padding must be 'valid' or 'same', got {padding!r}")
    return mode
