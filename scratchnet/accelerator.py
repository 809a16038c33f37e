"""``sn.accelerator``: PyTorch's device-agnostic accelerator queries, on a CPU-only build."""

from __future__ import annotations

from scratchnet.devices import device


def is_available() -> bool:
    """Whether an accelerator (GPU, MPS, ...) can be used: never."""
    return False


def current_accelerator(check_available: bool = False) -> device | None:
    """The accelerator in use, as a device: None, since there is none."""
    return None


def device_count() -> int:
    """The number of accelerators: 0."""
    return 0
