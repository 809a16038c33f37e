"""``keras.utils``: ``to_categorical`` (scratchnet.utils's) and ``set_random_seed``."""

from __future__ import annotations

import random

from scratchnet import backend
from scratchnet.backend import xp
from scratchnet.utils import to_categorical


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's legacy global generator and scratchnet's generator
    (weights, dropout, shuffling), as ``keras.utils.set_random_seed``."""
    random.seed(seed)
    xp.random.seed(seed)
    backend.manual_seed(seed)


__all__ = ["set_random_seed", "to_categorical"]
