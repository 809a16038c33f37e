"""Checks of constructor hyper-parameters and of input shapes, shared by the layers."""

from __future__ import annotations

from typing import Any

from scratchnet.backend import xp


def positive_int(name: str, value: Any, owner: str) -> int:
    """``value`` as an int, or ``ValueError`` when it is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, xp.integer)) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    return int(value)


def int_pair(name: str, value: Any, owner: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints as ``(h, w)``, each at least ``minimum``."""
    pair = (value, value) if isinstance(value, (int, xp.integer)) and not isinstance(value, bool) else value
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2
            and all(isinstance(v, (int, xp.integer)) and not isinstance(v, bool) for v in pair)):
        raise ValueError(f"{owner}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{owner}: {name} must be at least {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def probability(name: str, value: Any, owner: str) -> float:
    """``value`` as a float in [0, 1], or ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{owner}: {name} must be a probability between 0 and 1, got {value!r}")
    return float(value)


def shape_error(layer: Any, expected: str, shape: tuple[int, ...]) -> ValueError:
    """The feature-shape error: ``Linear(in_features=784, ...): expected input (*, 784), got (64, 100)``."""
    return ValueError(f"{layer!r}: expected input {expected}, got {tuple(shape)}")
