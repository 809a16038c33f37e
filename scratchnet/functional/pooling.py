"""Max and average pooling over 2-D windows, as fused Functions.

Both walk the ``KH·KW`` kernel offsets of the strided window view (each step a vectorised
operation over the whole batch), which keeps the input's memory order and needs no patch copy.
Max pooling remembers, per output, the offset of the first maximum (ties go to one element, as
PyTorch), and its backward routes each gradient to that one element; when the windows tile the
input (stride = kernel, no padding) each offset writes its share straight into the gradient,
with no zero fill and no read-modify-write.
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.functional.im2col import (
    Padding2d,
    Pair,
    crop_2d,
    kernel_offsets,
    pad_2d,
    padding_2d,
    pair,
    window_offset,
    windows,
)
from scratchnet.layout import new_array_like, offsets_outermost, split_images, stored_like
from scratchnet.ops.convert import as_tensor


class MaxPool2d(ArrayFunction):
    """y[n, c, h, w] = max over the window of x_pad (padding is −∞); the gradient goes to the
    first maximum of each window."""

    def __init__(self, kernel_size: Pair, stride: Pair, padding: Padding2d) -> None:
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        x_padded = pad_2d(x, self.padding, value=-xp.inf)
        view = windows(x_padded, self.kernel_size, self.stride, (1, 1))
        self.padded_shape = x_padded.shape
        if self.tiles:  # one copy (each element read once) makes every offset's slice contiguous
            view = offsets_outermost(view)
        offsets = kernel_offsets(self.kernel_size)
        y = new_array_like(view.shape[:4], view.dtype, view[..., 0, 0], zeroed=False)
        self.argmax = xp.zeros_like(y, dtype=xp.uint8 if len(offsets) < 256 else xp.int32)
        split_images(y, lambda part: self._maximum(view[part], y[part], self.argmax[part]), len(offsets))
        return y

    def _maximum(self, view: xp.ndarray, y: xp.ndarray, argmax: xp.ndarray) -> None:
        """y = the maximum of each window of ``view`` and argmax its first kernel offset."""
        y[...] = view[..., 0, 0]
        larger, offset_where_larger = xp.empty_like(y, dtype=bool), xp.empty_like(argmax)
        for k, (i, j) in enumerate(kernel_offsets(self.kernel_size)[1:], start=1):
            candidate = view[..., i, j]
            xp.greater(candidate, y, out=larger)
            xp.maximum(y, candidate, out=y)
            # k exceeds every earlier offset, so "k where larger" is a maximum (no slow masked copy);
            # the mask's bytes as 0/1 integers multiply faster than a cast from bool
            xp.multiply(larger.view(xp.uint8), argmax.dtype.type(k), out=offset_where_larger)
            xp.maximum(argmax, offset_where_larger, out=argmax)

    @property
    def tiles(self) -> bool:
        """Whether the windows tile the input (stride = kernel, no padding): they do not overlap."""
        return self.stride == self.kernel_size and self.padding == ((0, 0), (0, 0))

    def backward_arrays(self, gy: xp.ndarray) -> xp.ndarray:
        gy = stored_like(gy, self.argmax)
        tiles = self.tiles
        grad = new_array_like(self.padded_shape, gy.dtype, gy, zeroed=not tiles)
        if tiles:  # windows do not overlap: each offset writes its own elements, once
            (oh, ow), (kh, kw) = gy.shape[2:], self.kernel_size
            grad[:, :, oh * kh:] = 0
            grad[:, :, :, ow * kw:] = 0

        def route(part: tuple[slice, slice]) -> None:  # each gradient to its window's first maximum
            part_gy, argmax, part_grad = gy[part], self.argmax[part], grad[part]
            for k, (i, j) in enumerate(kernel_offsets(self.kernel_size)):
                rows, cols = window_offset(i, j, gy.shape[2:], self.stride, (1, 1))
                if tiles:
                    xp.multiply(part_gy, argmax == k, out=part_grad[:, :, rows, cols])
                else:
                    part_grad[:, :, rows, cols] += part_gy * (argmax == k)
        split_images(gy, route, self.kernel_size[0] * self.kernel_size[1])
        return crop_2d(grad, self.padding)


class AvgPool2d(ArrayFunction):
    """y = (Σ over the window of x_pad) / divisor, the divisor being KH·KW or, without
    ``count_include_pad``, the number of real (unpadded) elements in the window."""

    def __init__(self, kernel_size: Pair, stride: Pair, padding: Padding2d, count_include_pad: bool) -> None:
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.count_include_pad = count_include_pad

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        x_padded = pad_2d(x, self.padding)
        self.padded_shape = x_padded.shape
        view = windows(x_padded, self.kernel_size, self.stride, (1, 1))
        self.divisor = self._divisor(x)
        total = new_array_like(view.shape[:4], view.dtype, view[..., 0, 0], zeroed=False)

        def mean(part: tuple[slice, slice]) -> None:
            total[part] = view[part][..., 0, 0]
            for i, j in kernel_offsets(self.kernel_size)[1:]:
                total[part] += view[part][..., i, j]
            total[part] /= self.divisor
        split_images(total, mean, self.kernel_size[0] * self.kernel_size[1])
        return total

    def _divisor(self, x: xp.ndarray) -> xp.ndarray:
        """KH·KW, or the count of unpadded elements in each window (an (OH, OW) array)."""
        if self.count_include_pad:
            return x.dtype.type(self.kernel_size[0] * self.kernel_size[1])
        ones = pad_2d(xp.ones((1, 1) + x.shape[2:], dtype=x.dtype), self.padding)
        return windows(ones, self.kernel_size, self.stride, (1, 1)).sum(axis=(4, 5))[0, 0]

    def backward_arrays(self, gy: xp.ndarray) -> xp.ndarray:
        grad = new_array_like(self.padded_shape, gy.dtype, gy)

        def spread(part: tuple[slice, slice]) -> None:  # each window's share to all its elements
            share, part_grad = gy[part] / self.divisor, grad[part]
            for i, j in kernel_offsets(self.kernel_size):
                rows, cols = window_offset(i, j, gy.shape[2:], self.stride, (1, 1))
                part_grad[:, :, rows, cols] += share
        split_images(gy, spread, self.kernel_size[0] * self.kernel_size[1])
        return crop_2d(grad, self.padding)


def _pool_arguments(x: Tensor, kernel_size: Any, stride: Any, padding: Any,
                    name: str) -> tuple[Pair, Pair, Padding2d]:
    if x.ndim != 4:
        raise ValueError(f"{name} expects a 4-D input (N, C, H, W), got shape {x.shape}")
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] else pair(stride, "stride")
    widths = padding_2d(padding)
    if min(kernel) <= 0 or min(stride) <= 0:
        raise ValueError(f"{name}: kernel_size {kernel} and stride {stride} must be positive")
    for k, (before, after) in zip(kernel, widths):
        if max(before, after) > k // 2:
            raise ValueError(f"{name}: padding {padding} should be at most half of kernel size {kernel}")
    for size, k, (before, after) in zip(x.shape[2:], kernel, widths):
        if k > size + before + after:
            raise ValueError(f"{name}: kernel size {kernel} is larger than the padded input "
                             f"(input shape {x.shape}, padding {padding})")
    return kernel, stride, widths


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False) -> Tensor:
    """Maximum over ``kernel_size`` windows moved by ``stride`` (default: the kernel size) over the
    input padded with −∞, as ``torch.nn.functional.max_pool2d``. ``ceil_mode`` rounds the output
    size ⌈(H + 2p − k) / s⌉ + 1 up instead of down (a last window may hang over the bottom/right
    edge, never start in the padding after it)."""
    x = as_tensor(input)
    kernel, stride, widths = _pool_arguments(x, kernel_size, stride, padding, "max_pool2d")
    if ceil_mode:
        widths = tuple((before, after + _ceil_extra(size, k, s, before))
                       for size, k, s, (before, after) in zip(x.shape[2:], kernel, stride, widths))
    return MaxPool2d(kernel, stride, widths)(x)


def _ceil_extra(size: int, kernel: int, stride: int, padding: int) -> int:
    """The rows (or columns) of −∞ to add after the input so that flooring gives ceil mode's size."""
    span = size + 2 * padding - kernel
    outputs = -(-span // stride) + 1
    if (outputs - 1) * stride >= size + padding:
        outputs -= 1
    return max(0, (outputs - 1) * stride - span)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               count_include_pad: bool = True) -> Tensor:
    """Mean over ``kernel_size`` windows moved by ``stride`` (default: the kernel size), the zero
    padding counted in the mean unless ``count_include_pad=False``, as
    ``torch.nn.functional.avg_pool2d``."""
    x = as_tensor(input)
    kernel, stride, widths = _pool_arguments(x, kernel_size, stride, padding, "avg_pool2d")
    return AvgPool2d(kernel, stride, widths, count_include_pad)(x)


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """Average pooling to a fixed ``output_size`` (an int, a pair, ``None`` keeps an axis), as
    ``torch.nn.functional.adaptive_avg_pool2d``: output cell i of an axis of size n→m averages
    inputs ⌊i·n/m⌋ .. ⌈(i+1)·n/m⌉−1. When m divides n the windows are ``n // m`` wide and do not
    overlap (one pooling kernel); otherwise y = Pₕ x Pᵥᵀ with the averaging matrices P."""
    x = as_tensor(input)
    if x.ndim != 4:
        raise ValueError(f"adaptive_avg_pool2d expects a 4-D input (N, C, H, W), got shape {x.shape}")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    sizes = tuple(x.shape[2 + axis] if s is None else int(s) for axis, s in enumerate(sizes))
    if any(s <= 0 for s in sizes):
        raise ValueError(f"adaptive_avg_pool2d: output size {sizes} must be positive")
    if sizes == (1, 1):
        return x.mean(axis=(2, 3), keepdims=True)
    if any(size % s for s, size in zip(sizes, x.shape[2:])):
        rows, cols = (as_tensor(averaging_matrix(n, m, x.dtype)) for n, m in zip(x.shape[2:], sizes))
        return rows @ x @ cols.T
    kernel = (x.shape[2] // sizes[0], x.shape[3] // sizes[1])
    return AvgPool2d(kernel, kernel, ((0, 0), (0, 0)), True)(x)


def averaging_matrix(size: int, out: int, dtype: Any) -> xp.ndarray:
    """The ``(out, size)`` matrix whose row i averages inputs ⌊i·size/out⌋ .. ⌈(i+1)·size/out⌉−1
    (adaptive pooling's windows)."""
    cells = xp.arange(out)
    starts = (cells * size) // out
    ends = -((-(cells + 1) * size) // out)
    positions = xp.arange(size)
    inside = (positions >= starts[:, None]) & (positions < ends[:, None])
    return (inside / (ends - starts)[:, None]).astype(dtype)
