"""Global switches of the autograd core: whether ops record a graph, and anomaly detection.

Modelled on DeZero's ``Config`` + ``using_config``: one object holds the switches and context
managers flip them for the duration of a ``with`` block.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class Config:
    """Process-wide autograd switches (train/eval mode lives on each Module, not here)."""

    grad_enabled: bool = True
    detect_anomaly: bool = False


@contextlib.contextmanager
def using_config(name: str, value: bool) -> Iterator[None]:
    """Set ``Config.<name>`` to ``value`` inside a ``with`` block and restore it afterwards."""
    previous = getattr(Config, name)
    setattr(Config, name, value)
    try:
        yield
    finally:
        setattr(Config, name, previous)


class _GradMode(contextlib.ContextDecorator):
    """A context manager (also usable as a decorator) that sets whether graphs are recorded."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.previous: list[bool] = []

    def __enter__(self) -> None:
        self.previous.append(Config.grad_enabled)
        Config.grad_enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        Config.grad_enabled = self.previous.pop()


def no_grad() -> _GradMode:
    """``with sn.no_grad():`` runs ops without recording a graph (inference, weight updates)."""
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """``with sn.enable_grad():`` records a graph again inside a ``no_grad`` block."""
    return _GradMode(True)


def is_grad_enabled() -> bool:
    """Whether ops currently record a graph."""
    return Config.grad_enabled


def detect_anomaly() -> contextlib.AbstractContextManager[None]:
    """``with sn.detect_anomaly():`` raises ``FloatingPointError`` naming the first op whose
    forward output or backward gradient holds a NaN or an infinity."""
    return using_config("detect_anomaly", True)
