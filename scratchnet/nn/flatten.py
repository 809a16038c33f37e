"""``Flatten`` and ``Unflatten``: merge a range of axes into one, and split one axis into several."""

from __future__ import annotations

import math
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


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size``: ``(N, C·H·W) -> (N, C, H, W)`` with dim=1 and
    (C, H, W), as ``torch.nn.Unflatten`` (one entry may be −1)."""

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        sizes = tuple(unflattened_size)
        valid = all(isinstance(s, int) and (s > 0 or s == -1) for s in sizes)
        if not sizes or not valid or sizes.count(-1) > 1:
            raise ValueError(f"Unflatten: unflattened_size must be a non-empty sequence of positive ints "
                             f"(at most one -1), got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, sizes

    def forward(self, x: Any) -> Tensor:
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"Unflatten: dim {self.dim} is out of range for an input of shape {x.shape}")
        dim = self.dim % x.ndim
        known = math.prod(s for s in self.unflattened_size if s != -1)
        if (-1 in self.unflattened_size and x.shape[dim] % known) or (
                -1 not in self.unflattened_size and known != x.shape[dim]):
            raise ValueError(f"Unflatten: axis {self.dim} of size {x.shape[dim]} (input shape {x.shape}) "
                             f"cannot be split into {self.unflattened_size}")
        return x.reshape(*x.shape[:dim], *self.unflattened_size, *x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
