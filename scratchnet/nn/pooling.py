"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d`` over NCHW images."""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.nn.module import Module
from scratchnet.nn.validation import int_pair


class _Pool2d(Module):
    """Windows of ``kernel_size`` moved by ``stride`` (default: the kernel size) over the input
    padded by ``padding`` (at most half the kernel, as PyTorch). Output size per axis:
    ⌊(H + 2p − k) / s⌋ + 1."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.kernel_size = int_pair("kernel_size", kernel_size, owner)
        self.stride = self.kernel_size if stride is None else int_pair("stride", stride, owner)
        self.padding = int_pair("padding", padding, owner, minimum=0)
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"{owner}: padding {self.padding} should be at most half of "
                             f"kernel size {self.kernel_size}")

    def _batched(self, x: Any, pool: Any) -> Tensor:
        """Apply ``pool`` to ``(N, C, H, W)``, or to ``(C, H, W)`` as a batch of one."""
        if x.ndim == 3:
            return pool(x.unsqueeze(0)).squeeze(0)
        return pool(x)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """y = max over each window (padding counts as −∞), as ``torch.nn.MaxPool2d``;
    ``ceil_mode=True`` rounds the output size up (GoogLeNet's pools)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode = bool(ceil_mode)

    def forward(self, x: Any) -> Tensor:
        return self._batched(x, lambda v: F.max_pool2d(v, self.kernel_size, self.stride, self.padding,
                                                       self.ceil_mode))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, ceil_mode={self.ceil_mode}"


class AvgPool2d(_Pool2d):
    """y = mean over each window, the zero padding counted unless ``count_include_pad=False``,
    as ``torch.nn.AvgPool2d``."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = count_include_pad

    def forward(self, x: Any) -> Tensor:
        return self._batched(x, lambda v: F.avg_pool2d(v, self.kernel_size, self.stride, self.padding,
                                                       self.count_include_pad))


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` (``1`` gives global average pooling), as
    ``torch.nn.AdaptiveAvgPool2d``; each input size must be a multiple of the output size."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Any) -> Tensor:
        if x.ndim == 3:
            return F.adaptive_avg_pool2d(x.unsqueeze(0), self.output_size).squeeze(0)
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
