"""``Dropout`` and ``Dropout2d``: random zeroing during training (inverted scaling)."""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.nn.module import Module
from scratchnet.nn.validation import probability


class _DropoutBase(Module):
    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = probability("p", p, type(self).__name__)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout(_DropoutBase):
    """In training, each element is zeroed with probability ``p`` and kept ones are scaled by
    1/(1−p), so the expectation is unchanged; in eval mode the identity (``torch.nn.Dropout``).
    The mask comes from the global seeded generator."""

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training)


class Dropout2d(_DropoutBase):
    """Like ``Dropout`` but zeroes whole channels: one draw per ``(n, c)`` of an
    ``(N, C, H, W)`` input (``torch.nn.Dropout2d``)."""

    def forward(self, x: Any) -> Tensor:
        return F.dropout2d(x, self.p, self.training)
