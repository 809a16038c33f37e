"""2-D convolution (cross-correlation, as PyTorch) as one GEMM per group over im2col patches.

Inside, patches are laid out channels-last, ``(N·OH·OW, KH·KW·C)``, so that the one patch copy
reads whole pixel rows and the GEMM result ``(N·OH·OW, OC)`` *is* the output in ``(N, OH, OW, OC)``
memory: the output is returned as an ``(N, OC, OH, OW)`` view of it without a transposing copy
(NumPy keeps that memory order through the elementwise ops that follow, and the next convolution
reads it directly). The backward pass reuses the saved patches for the weight gradient and folds
the patch gradients back with ``col2im``'s loop over kernel offsets; it skips the input gradient
when the input needs none (the first layer).
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.functional.im2col import (
    Padding2d,
    crop_2d,
    kernel_offsets,
    pad_2d,
    padding_2d,
    pair,
    window_offset,
    windows,
)
from scratchnet.ops.convert import as_tensor

Pair = tuple[int, int]


class Conv2d(ArrayFunction):
    """y[n, o, h, w] = b[o] + Σ_{c, i, j} W[o, c, i, j] · x_pad[n, c, s·h + d·i, s·w + d·j]
    (c within o's group); gW = gyᵀ·cols, gb = Σ gy, gx = col2im(gy·W)."""

    def __init__(self, stride: Pair, padding: Padding2d, dilation: Pair, groups: int) -> None:
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups

    def forward(self, x: xp.ndarray, weight: xp.ndarray, bias: xp.ndarray | None = None) -> xp.ndarray:
        x_padded = pad_2d(x, self.padding)
        out_channels, group_channels, kh, kw = weight.shape
        view = windows(x_padded, (kh, kw), self.stride, self.dilation)
        n, _, oh, ow, _, _ = view.shape
        self.padded_shape = x_padded.shape
        self.cols, self.kernels = [], []
        out = xp.empty((n * oh * ow, out_channels), dtype=xp.result_type(x, weight))
        for inputs, outputs in self._group_slices(group_channels, out_channels):
            cols = view[:, inputs].transpose(0, 2, 3, 4, 5, 1).reshape(n * oh * ow, kh * kw * group_channels)
            kernel = xp.ascontiguousarray(weight[outputs].transpose(0, 2, 3, 1))
            kernel = kernel.reshape(out_channels // self.groups, -1)
            if self.groups == 1:
                xp.matmul(cols, kernel.T, out=out)
            else:
                out[:, outputs] = cols @ kernel.T
            self.cols.append(cols)
            self.kernels.append(kernel)
        if bias is not None:
            out += bias
        return out.reshape(n, oh, ow, out_channels).transpose(0, 3, 1, 2)

    def _group_slices(self, group_channels: int, out_channels: int) -> list[tuple[slice, slice]]:
        """(input channels, output channels) of each group."""
        per_group = out_channels // self.groups
        return [(slice(g * group_channels, (g + 1) * group_channels),
                 slice(g * per_group, (g + 1) * per_group)) for g in range(self.groups)]

    def backward_arrays(self, gy: xp.ndarray) -> tuple[xp.ndarray | None, ...]:
        n, out_channels, oh, ow = gy.shape
        gy_rows = xp.ascontiguousarray(gy.transpose(0, 2, 3, 1)).reshape(n * oh * ow, out_channels)
        slices = self._group_slices(self.inputs[1].shape[1], out_channels)
        gx = self._input_grad(gy_rows, slices, (n, oh, ow)) if self.needs_input_grad[0] else None
        gw = self._weight_grad(gy_rows, slices) if self.needs_input_grad[1] else None
        if len(self.inputs) == 3 and self.needs_input_grad[2]:
            return gx, gw, xp.einsum("ij->j", gy_rows)  # faster than sum(axis=0) over narrow rows
        return gx, gw

    def _weight_grad(self, gy_rows: xp.ndarray, slices: list[tuple[slice, slice]]) -> xp.ndarray:
        """gW = gyᵀ·cols per group, computed as (colsᵀ·gy)ᵀ: OpenBLAS's threaded GEMM is
        pathologically slow for the long-K product written the other way round."""
        out_channels, group_channels, kh, kw = self.inputs[1].shape
        gw = xp.empty((out_channels, kh * kw * group_channels), dtype=gy_rows.dtype)
        for (_, outputs), cols in zip(slices, self.cols):
            gw[outputs] = (cols.T @ xp.ascontiguousarray(gy_rows[:, outputs])).T
        return xp.ascontiguousarray(gw.reshape(out_channels, kh, kw, group_channels).transpose(0, 3, 1, 2))

    def _input_grad(self, gy_rows: xp.ndarray, slices: list[tuple[slice, slice]],
                    out_size: tuple[int, int, int]) -> xp.ndarray:
        """col2im of gy·W. The GEMM is taken transposed, Wᵀ·gyᵀ, giving for each kernel offset a
        ``(C, N, OH, OW)`` block whose KH·KW shifted adds run over whole image rows; the result
        is copied back to channels-last once."""
        _, group_channels, kh, kw = self.inputs[1].shape
        n, c, h, w = self.padded_shape
        grad = xp.zeros((c, n, h, w), dtype=gy_rows.dtype)
        offsets = kernel_offsets((kh, kw))
        for (inputs, outputs), kernel in zip(slices, self.kernels):
            rows_t = gy_rows.T if self.groups == 1 else xp.ascontiguousarray(gy_rows[:, outputs].T)
            blocks = (xp.ascontiguousarray(kernel.T) @ rows_t).reshape((kh * kw, group_channels) + out_size)
            for (i, j), block in zip(offsets, blocks):
                rows, cols = window_offset(i, j, out_size[1:], self.stride, self.dilation)
                grad[inputs, :, rows, cols] += block
        centre = crop_2d(grad.transpose(1, 0, 2, 3), self.padding)
        return xp.ascontiguousarray(centre.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def _same_padding(kernel_size: Pair, dilation: Pair) -> Padding2d:
    """PyTorch's 'same' for stride 1: total d·(k−1) per axis, the odd one on the bottom/right."""
    totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
    return (totals[0] // 2, totals[0] - totals[0] // 2), (totals[1] // 2, totals[1] - totals[1] // 2)


def _resolve_padding(padding: Any, kernel_size: Pair, stride: Pair, dilation: Pair) -> Padding2d:
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(f"padding must be 'valid', 'same', an int or pairs, got {padding!r}")
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        return _same_padding(kernel_size, dilation)
    return padding_2d(padding)


def _check_conv_arguments(x: Tensor, weight: Tensor, bias: Tensor | None, groups: int) -> None:
    if x.ndim != 4:
        raise ValueError(f"conv2d expects a 4-D input (N, C, H, W), got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"conv2d expects a 4-D weight (OC, C/groups, KH, KW), got shape {weight.shape}")
    if not isinstance(groups, int) or groups <= 0 or weight.shape[0] % groups:
        raise ValueError(f"conv2d: groups={groups} must be a positive int dividing the "
                         f"{weight.shape[0]} output channels")
    expected = weight.shape[1] * groups
    if x.shape[1] != expected:
        raise ValueError(f"conv2d: expected input with {expected} channels (weight shape {weight.shape}, "
                         f"groups={groups}), got {x.shape[1]} channels (input shape {x.shape})")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"conv2d: bias must have shape ({weight.shape[0]},), got {bias.shape}")


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1) -> Tensor:
    """2-D convolution of ``input (N, C, H, W)`` with ``weight (OC, C/groups, KH, KW)``, as
    ``torch.nn.functional.conv2d``.

    ``padding`` is an int, a pair, ``'valid'``, ``'same'`` (stride 1 only; an odd total puts the
    extra row/column at the bottom/right, as PyTorch) or, as an extension, asymmetric
    ``((top, bottom), (left, right))``. Output size per axis:
    ⌊(H + pad_total − d·(K−1) − 1) / s⌋ + 1.
    """
    x, weight = as_tensor(input), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    _check_conv_arguments(x, weight, bias, groups)
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    if min(stride) <= 0 or min(dilation) <= 0:
        raise ValueError(f"conv2d: stride {stride} and dilation {dilation} must be positive")
    kernel_size = weight.shape[2:]
    widths = _resolve_padding(padding, kernel_size, stride, dilation)
    for axis, (size, k, d, (before, after)) in enumerate(zip(x.shape[2:], kernel_size, dilation, widths)):
        if d * (k - 1) + 1 > size + before + after:
            side = "height" if axis == 0 else "width"
            raise ValueError(f"conv2d: kernel size {tuple(kernel_size)} (dilation {dilation}) is larger "
                             f"than the padded input ({side} {size + before + after}, input shape {x.shape})")
    function = Conv2d(stride, widths, dilation, groups)
    return function(x, weight) if bias is None else function(x, weight, bias)
