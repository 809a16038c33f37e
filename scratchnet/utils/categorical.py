"""One-hot encoding of class labels (Keras's ``to_categorical``)."""

from __future__ import annotations

from typing import Any

from scratchnet.backend import xp
from scratchnet.data.validation import check_labels, check_numeric


def to_categorical(y: Any, num_classes: int | None = None, dtype: Any = "float32") -> xp.ndarray:
    """One-hot rows: ``out[..., k] = 1 if y == k else 0``, float32, shape ``y.shape + (num_classes,)``.

    As Keras: a trailing axis of size 1 is dropped first (``(n, 1)`` labels give ``(n, C)``), and
    ``num_classes=None`` means ``max(y) + 1``. Labels must be whole numbers in ``[0, num_classes)``;
    otherwise ``ValueError("label 10 out of range [0, 10) at index 523")``.
    """
    labels = check_numeric(y, "y")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("to_categorical of empty labels needs num_classes")
        num_classes = int(labels.max()) + 1
    labels = check_labels(labels, num_classes)
    out = xp.zeros((labels.size, num_classes), dtype=dtype)
    out[xp.arange(labels.size), labels.ravel()] = 1
    return out.reshape(labels.shape + (num_classes,))
