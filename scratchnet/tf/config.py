"""``tf.config``: the device and execution switches that are harmless on scratchnet (CPU only,
always eager). Anything else is absent rather than silently ignored."""

from __future__ import annotations

from typing import Any


def list_physical_devices(device_type: str | None = None) -> list[Any]:
    """The physical devices of a type: scratchnet runs on the CPU only, so asking for ``'GPU'``
    (or any accelerator) gives an empty list; ``'CPU'`` or None one CPU entry."""
    if device_type is None or str(device_type).upper() == "CPU":
        return ["/physical_device:CPU:0"]
    return []


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Accepted for compatibility: scratchnet always runs eagerly."""


def functions_run_eagerly() -> bool:
    """Always True: there is no graph mode."""
    return True


__all__ = ["functions_run_eagerly", "list_physical_devices", "run_functions_eagerly"]
