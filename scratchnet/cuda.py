"""``sn.cuda``: PyTorch's CUDA queries, answered for a build with no GPU backend."""

from __future__ import annotations

from typing import Any

from scratchnet.devices import resolve_device


def is_available() -> bool:
    """Whether a CUDA GPU can be used: never, scratchnet computes on the CPU."""
    return False


def device_count() -> int:
    """The number of usable CUDA GPUs: 0."""
    return 0


def is_initialized() -> bool:
    """Whether CUDA has been initialised: never."""
    return False


def current_device() -> int:
    """The index of the current CUDA device; raises, as PyTorch does without CUDA."""
    resolve_device("cuda", "current_device()")
    return 0  # unreachable: resolve_device raises for CUDA


def manual_seed(seed: Any) -> None:
    """Seed the CUDA generators: nothing to seed, ignored (as PyTorch does without CUDA)."""


manual_seed_all = manual_seed


def synchronize(device: Any = None) -> None:
    """Wait for the GPU's queued work; raises, as PyTorch does without CUDA."""
    resolve_device("cuda" if device is None else device, "synchronize()")
