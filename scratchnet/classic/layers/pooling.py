"""Max and average pooling over ``(N, C, H, W)`` through im2col: each row of
``im2col(x).reshape(-1, PH·PW)`` is one channel's window, in the order ``(n, oh, ow, c)``."""

from __future__ import annotations

from typing import Any

from scratchnet.backend import xp
from scratchnet.classic.layers.base import Layer
from scratchnet.classic.layers.conv import positive_pair, window_output_size
from scratchnet.functional.im2col import col2im, im2col


class Pooling(Layer):
    """Base of the pooling layers: ``pool_size`` and ``stride`` are ints or ``(h, w)`` pairs
    (default 2×2 windows with stride 2), no padding. Subclasses reduce each window (``reduce``)
    and spread a window's gradient back over it (``spread``)."""

    def __init__(self, pool_size: Any = 2, stride: Any = 2) -> None:
        super().__init__()
        self.pool_size = positive_pair(pool_size, "pool_size")
        self.stride = positive_pair(stride, "stride")

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        oh, ow = window_output_size(x.shape, self.pool_size, self.stride, (0, 0), type(self).__name__)
        self.x_shape = x.shape
        windows = im2col(x, self.pool_size, self.stride).reshape(-1, self.pool_size[0] * self.pool_size[1])
        out = self.reduce(windows)
        return out.reshape(x.shape[0], oh, ow, x.shape[1]).transpose(0, 3, 1, 2)

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        dwindows = self.spread(dout.transpose(0, 2, 3, 1).reshape(-1))
        channels = self.x_shape[1]
        dcols = dwindows.reshape(len(dwindows) // channels, -1)
        return col2im(dcols, self.x_shape, self.pool_size, self.stride)

    def reduce(self, windows: xp.ndarray) -> xp.ndarray:
        """One value per window (row)."""
        raise NotImplementedError

    def spread(self, dout: xp.ndarray) -> xp.ndarray:
        """The gradient of every window element, given that of each window's value."""
        raise NotImplementedError


class MaxPooling(Pooling):
    """``y = max`` over each window; the gradient goes to the window's (first) maximum."""

    def reduce(self, windows: xp.ndarray) -> xp.ndarray:
        self.argmax = windows.argmax(axis=1)
        return windows[xp.arange(len(windows)), self.argmax]

    def spread(self, dout: xp.ndarray) -> xp.ndarray:
        dwindows = xp.zeros((dout.size, self.pool_size[0] * self.pool_size[1]), dtype=dout.dtype)
        dwindows[xp.arange(dout.size), self.argmax] = dout
        return dwindows


class AvgPooling(Pooling):
    """``y = mean`` over each window; each element gets ``dout / (PH·PW)``."""

    def reduce(self, windows: xp.ndarray) -> xp.ndarray:
        return windows.mean(axis=1)

    def spread(self, dout: xp.ndarray) -> xp.ndarray:
        size = self.pool_size[0] * self.pool_size[1]
        return xp.broadcast_to((dout / size)[:, None], (dout.size, size))
