"""2-D convolution (cross-correlation, as PyTorch) as one GEMM per group over im2col patches.

Inside, patches are laid out channels-last, ``(N·OH·OW, KH·KW·C)``, plus a column of ones that
carries the bias, so that the one patch copy reads whole pixel rows and the GEMM result
``(N·OH·OW, OC)`` *is* the output, bias included, in ``(N, OH, OW, OC)`` memory: the output is
returned as an ``(N, OC, OH, OW)`` view of it without a transposing copy (NumPy keeps that memory
order through the elementwise ops that follow, and the next convolution reads it directly).

The backward pass reuses the saved patches for the weight gradient (whose ones column yields the
bias gradient) and folds the patch gradients back onto the input (col2im); for stride 1 the fold
runs on flattened padded images, where every kernel offset is one shift of contiguous memory. It
skips the input gradient when the input needs none (the first layer). The large patch and
gradient matrices are borrowed from ``im2col``'s spare arrays and given back after backward.
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.config import Config
from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.functional.im2col import (
    Padding2d,
    borrow,
    crop_2d,
    drop_spares,
    fold_windows,
    give_back,
    kernel_offsets,
    pad_2d,
    padding_2d,
    pair,
    windows,
)
from scratchnet.ops.convert import as_tensor

Pair = tuple[int, int]


class Conv2d(ArrayFunction):
    """y[n, o, h, w] = b[o] + Σ_{c, i, j} W[o, c, i, j] · x_pad[n, c, s·h + d·i, s·w + d·j]
    (c within o's group); with cols the patches plus a ones column and K = [W | b]:
    y = cols·Kᵀ, [gW | gb] = gyᵀ·cols, gx = col2im(gy·W)."""

    def __init__(self, stride: Pair, padding: Padding2d, dilation: Pair, groups: int) -> None:
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups


    def __call__(self, *inputs: Tensor) -> Any:
        outputs = super().__call__(*inputs)
        if getattr(self, "inputs", None) is None:  # not recorded: no backward will read the patches
            self.__dict__.pop("cols", None)
            if not Config.grad_enabled:  # inference: the training step's spares would only sit idle
                drop_spares()
        return outputs

    def forward(self, x: xp.ndarray, weight: xp.ndarray, bias: xp.ndarray | None = None) -> xp.ndarray:
        out_channels, group_channels, kh, kw = weight.shape
        slices = self._group_slices(group_channels, out_channels)
        self.cols = self._patches(x, (kh, kw), slices, bias is not None)
        (oh, ow), size = self.out_size, kh * kw * group_channels
        out = xp.empty((x.shape[0] * oh * ow, out_channels), dtype=xp.result_type(x, weight))
        self.kernels = []
        for (_, outputs), cols in zip(slices, self.cols):
            kernel = weight[outputs].transpose(0, 2, 3, 1).reshape(-1, size)
            if bias is not None:
                kernel = xp.concatenate([kernel, bias[outputs, None]], axis=1)
            self.kernels.append(kernel)
            if self.groups == 1:
                xp.matmul(cols, kernel.T, out=out)
            else:
                out[:, outputs] = cols @ kernel.T
        return out.reshape(x.shape[0], oh, ow, out_channels).transpose(0, 3, 1, 2)

    def _patches(self, x: xp.ndarray, kernel_size: Pair, slices: list[tuple[slice, slice]],
                 ones_column: bool) -> list[xp.ndarray]:
        """Per group, the patches of x_pad as rows ``(N·OH·OW, KH·KW·C/groups)`` in channels-last
        order, plus a column of ones if asked (borrowed arrays; the padded copy is freed here)."""
        x_padded = pad_2d(x, self.padding)
        view = windows(x_padded, kernel_size, self.stride, self.dilation)
        n, _, oh, ow, kh, kw = view.shape
        self.padded_shape, self.out_size = x_padded.shape, (oh, ow)
        patches = []
        for inputs, _ in slices:
            group = view[:, inputs].transpose(0, 2, 3, 4, 5, 1)
            size = kh * kw * group.shape[-1]
            cols = borrow("conv patches", (n * oh * ow, size + ones_column), x.dtype)
            cols[:, :size].reshape(group.shape)[...] = group
            if ones_column:
                cols[:, size] = 1
            patches.append(cols)
        return patches

    def _group_slices(self, group_channels: int, out_channels: int) -> list[tuple[slice, slice]]:
        """(input channels, output channels) of each group."""
        per_group = out_channels // self.groups
        return [(slice(g * group_channels, (g + 1) * group_channels),
                 slice(g * per_group, (g + 1) * per_group)) for g in range(self.groups)]

    def backward_arrays(self, gy: xp.ndarray) -> tuple[xp.ndarray | None, ...]:
        n, out_channels, oh, ow = gy.shape
        gy_rows = xp.ascontiguousarray(gy.transpose(0, 2, 3, 1)).reshape(n * oh * ow, out_channels)
        slices = self._group_slices(self.inputs[1].shape[1], out_channels)
        gx = self._input_grad(gy_rows, slices) if self.needs_input_grad[0] else None
        if not any(self.needs_input_grad[1:]):
            return (gx,) + (None,) * (len(self.inputs) - 1)
        weight_and_bias = self._weight_grad(gy_rows, slices)
        _, group_channels, kh, kw = self.inputs[1].shape
        gw = weight_and_bias[:, :kh * kw * group_channels].reshape(out_channels, kh, kw, group_channels)
        gw = xp.ascontiguousarray(gw.transpose(0, 3, 1, 2)) if self.needs_input_grad[1] else None
        if len(self.inputs) == 3:
            return gx, gw, weight_and_bias[:, -1] if self.needs_input_grad[2] else None
        return gx, gw

    def _weight_grad(self, gy_rows: xp.ndarray, slices: list[tuple[slice, slice]]) -> xp.ndarray:
        """[gW | gb] = gyᵀ·cols per group, computed as (colsᵀ·gy)ᵀ: OpenBLAS's threaded GEMM is
        pathologically slow for the long-K product written the other way round."""
        grads = xp.empty((gy_rows.shape[1], self.cols[0].shape[1]), dtype=gy_rows.dtype)
        for (_, outputs), cols in zip(slices, self.cols):
            grads[outputs] = (cols.T @ xp.ascontiguousarray(gy_rows[:, outputs])).T
        return grads

    def _input_grad(self, gy_rows: xp.ndarray, slices: list[tuple[slice, slice]]) -> xp.ndarray:
        """gx = col2im(gy·W), group by group, stored channels-last."""
        n, c, h, w = self.inputs[0].shape
        _, group_channels, kh, kw = self.inputs[1].shape
        gx = xp.empty((n, h, w, c), dtype=gy_rows.dtype)
        fold = self._fold_shifted if self.stride == (1, 1) else self._fold_windows
        for (inputs, outputs), kernel in zip(slices, self.kernels):
            fold(gy_rows[:, outputs], kernel[:, :kh * kw * group_channels], gx[..., inputs])
        return gx.transpose(0, 3, 1, 2)

    def _fold_windows(self, gy_group: xp.ndarray, kernel: xp.ndarray, out: xp.ndarray) -> None:
        """``out (N, H, W, C) = col2im(gy·W)`` with ``fold_windows``'s strided adds (any stride)."""
        n, _, _, c = out.shape
        kh, kw = self.inputs[1].shape[2:]
        oh, ow = self.out_size
        patches = (gy_group @ kernel).reshape(n, oh, ow, kh, kw, c).transpose(0, 5, 1, 2, 3, 4)
        padded = fold_windows(patches, (n, c) + self.padded_shape[2:], self.stride, self.dilation)
        out[...] = crop_2d(padded, self.padding).transpose(0, 2, 3, 1)

    def _fold_shifted(self, gy_group: xp.ndarray, kernel: xp.ndarray, out: xp.ndarray) -> None:
        """``out (N, H, W, C) = col2im(gy·W)`` for stride 1, on flattened padded images.

        gy is laid on the padded ``(HP, WP)`` pixel grid (zeros past ``(OH, OW)``), flattened to
        ``L = N·HP·WP`` pixels; one GEMM gives P = Wᵀ·gyᵀ, a ``(C, L)`` block per kernel offset
        ``(i, j)``, and that offset sends every pixel the same flat distance s = d·(i·WP + j):
        gx_pad[:, s:s + L] += P_ij, one add over contiguous rows per offset, then one crop copy
        back to channels-last."""
        n, h, w, c = out.shape
        _, _, hp, wp = self.padded_shape
        kh, kw = self.inputs[1].shape[2:]
        (dh, dw), (oh, ow), length = self.dilation, self.out_size, n * hp * wp
        grid = borrow("conv gradient grid", (n, hp, wp, gy_group.shape[1]), gy_group.dtype)
        grid[:, :oh, :ow] = gy_group.reshape(n, oh, ow, -1)
        grid[:, oh:] = 0
        grid[:, :oh, ow:] = 0
        patches = borrow("conv patch gradients", (kernel.shape[1], length), grid.dtype)
        xp.matmul(kernel.T, grid.reshape(length, -1).T, out=patches)
        shifts = [dh * i * wp + dw * j for i, j in kernel_offsets((kh, kw))]
        padded = borrow("conv padded gradient", (c, length + shifts[-1]), grid.dtype)
        padded[:, :length] = patches[:c]
        padded[:, length:] = 0
        for k, shift in enumerate(shifts[1:], start=1):
            padded[:, shift:shift + length] += patches[k * c:(k + 1) * c]
        (top, _), (left, _) = self.padding
        centre = padded[:, :length].reshape(c, n, hp, wp)[:, :, top:top + h, left:left + w]
        out[...] = centre.transpose(1, 2, 3, 0)
        for purpose, array in (("conv gradient grid", grid), ("conv patch gradients", patches),
                               ("conv padded gradient", padded)):
            give_back(purpose, array)

    def release(self) -> None:
        self._give_back_patches()
        super().release()

    def _give_back_patches(self) -> None:
        for cols in self.__dict__.pop("cols", ()):
            give_back("conv patches", cols)


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
