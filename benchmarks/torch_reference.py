"""PyTorch as the benchmarks' reference: imported only when installed, on two threads."""

from __future__ import annotations

from typing import Any


def import_torch(threads: int = 2) -> Any:
    """The ``torch`` module with ``threads`` intra-op threads, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch
