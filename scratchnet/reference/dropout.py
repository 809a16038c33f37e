"""Inverted dropout for a given keep mask (the fast kernel draws the mask; the formula is here)."""

from __future__ import annotations

from scratchnet.backend import xp


def dropout(x: xp.ndarray, keep: xp.ndarray, rate: float) -> xp.ndarray:
    """y = x · keep / (1 − rate): the kept units scaled so the expected output is x (the tutorial
    scaled by 1 − rate at test time instead, which train and test must agree on)."""
    return x * keep / x.dtype.type(1 - rate)


def dropout_backward(dout: xp.ndarray, keep: xp.ndarray, rate: float) -> xp.ndarray:
    """dx = dout · keep / (1 − rate)."""
    return dout * keep / dout.dtype.type(1 - rate)
