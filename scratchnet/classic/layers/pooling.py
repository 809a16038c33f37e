"""Max and average pooling over ``(N, C, H, W)``, the im2col pooling of ``scratchnet.reference``
(the pooling lesson the series announced after 3-2, written as book 1's ``Pooling``)."""

from __future__ import annotations

from typing import Any

from scratchnet import reference
from scratchnet.backend import xp
from scratchnet.classic.layers.base import Layer
from scratchnet.classic.layers.conv import positive_pair, window_output_size


class Pooling(Layer):
    """Base of the pooling layers: ``pool_size`` and ``stride`` are ints or ``(h, w)`` pairs
    (default 2×2 windows with stride 2), no padding."""

    def __init__(self, pool_size: Any = 2, stride: Any = 2) -> None:
        super().__init__()
        self.pool_size = positive_pair(pool_size, "pool_size")
        self.stride = positive_pair(stride, "stride")

    def check(self, x: xp.ndarray) -> None:
        """An error unless ``x`` is ``(N, C, H, W)`` with room for one window; remembers its shape."""
        window_output_size(x.shape, self.pool_size, self.stride, (0, 0), type(self).__name__)
        self.x_shape = x.shape


class MaxPooling(Pooling):
    """``y = max`` over each window; the gradient goes to the window's (first) maximum."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.check(x)
        out, self.argmax = reference.max_pool(x, self.pool_size, self.stride)
        return out

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return reference.max_pool_backward(dout, self.argmax, self.x_shape, self.pool_size, self.stride)


class AvgPooling(Pooling):
    """``y = mean`` over each window; each element gets ``dout / (PH·PW)``."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.check(x)
        return reference.avg_pool(x, self.pool_size, self.stride)

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return reference.avg_pool_backward(dout, self.x_shape, self.pool_size, self.stride)
