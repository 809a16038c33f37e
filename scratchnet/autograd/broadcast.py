"""Broadcasting and its adjoint, the one broadcast reduction: ``SumTo`` sums a gradient back to the
shape of an input that an op broadcast. The engine calls it on every gradient whose shape differs
from its input's, and ``ops`` use the same two Functions (``broadcast_to``, ``sum_to``, ``expand``).

>>> from scratchnet.autograd.tensor import Tensor
>>> SumTo((1, 3))(Tensor(np.ones((2, 3), dtype=np.float32)))   # summed over the stretched axis
tensor([[2., 2., 2.]])
"""

from __future__ import annotations

import math
from typing import Any

from scratchnet.autograd.function import Function
from scratchnet.backend import xp

_SMALL = 4096  # elements up to which BroadcastTo copies rather than builds a view


class BroadcastTo(Function):
    """y = x broadcast to a larger shape; the gradient is summed back (``sum_to``)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        if math.prod(self.shape) > _SMALL:  # a read-only view: no memory, whatever the size
            return xp.broadcast_to(x, self.shape)
        y = xp.empty(self.shape, dtype=x.dtype)  # a copy is cheaper than a view for small arrays
        y[...] = x
        return y

    def backward(self, gy: Any) -> Any:
        return SumTo(self.inputs[0].shape)(gy)


class SumTo(Function):
    """y = x summed over the axes that broadcasting to x's shape would have added or stretched."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        lead = x.ndim - len(self.shape)
        stretched = tuple(lead + i for i, size in enumerate(self.shape)
                          if size == 1 and x.shape[lead + i] != 1)
        y = x.sum(axis=tuple(range(lead)) + stretched, keepdims=True)
        return y.reshape(self.shape) if lead else y

    def backward(self, gy: Any) -> Any:
        return BroadcastTo(self.inputs[0].shape)(gy)
