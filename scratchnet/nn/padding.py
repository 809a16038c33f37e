"""``ZeroPad2d``: pad the last two axes of images with zeros."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.nn.module import Module
from scratchnet.ops.shape import pad


class ZeroPad2d(Module):
    """Pad ``(N, C, H, W)`` or ``(C, H, W)`` with zeros: ``padding`` is an int (every side) or
    ``(left, right, top, bottom)``, as ``torch.nn.ZeroPad2d``; the output is
    ``(H + top + bottom, W + left + right)``."""

    def __init__(self, padding: Any) -> None:
        super().__init__()
        sides = (padding,) * 4 if not isinstance(padding, (tuple, list)) else tuple(padding)
        if len(sides) != 4 or any(not isinstance(p, int) or p < 0 for p in sides):
            raise ValueError(f"ZeroPad2d: padding must be a non-negative int or (left, right, top, "
                             f"bottom), got {padding!r}")
        self.padding = sides

    def forward(self, x: Any) -> Tensor:
        return pad(x, self.padding)

    def extra_repr(self) -> str:
        return f"{self.padding}"
