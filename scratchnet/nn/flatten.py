"""``Flatten``: merge a range of axes into one."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.nn.module import Module
from scratchnet.ops.shape import flatten


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` (inclusive): ``(N, C, H, W) -> (N, C·H·W)`` by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Any) -> Tensor:
        return flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
