"""2-D convolution (cross-correlation, as PyTorch) as GEMMs over im2col patches, a block of
images at a time, on channel planes.

Inside, images are stored as *channel planes*: ``(C, N, H, W)`` memory, each channel one long
row of all its pixels. Patches are the columns of ``cols (KH·KW·C + 1, pixels)``: one row per
kernel offset and channel, plus a row of ones that carries the bias, so that ``y = K·cols`` with
``K = [W | b]`` is the output, already in ``(OC, N, OH, OW)`` planes; it is returned as an
``(N, OC, OH, OW)`` view without a transposing copy (NumPy keeps that memory order through the
elementwise ops that follow, and the next convolution reads its planes directly).

Shifted patches: when the output has the input's size (stride 1, padding d·(K−1) in total per
axis, as 'same'), kernel offset ``(i, j)`` reads every pixel's input at the same flat distance
s = (d·i − top)·W + (d·j − left) along the planes, so each patch row is one contiguous slice of
the input plane (a memory copy, no padded copy of the input), with the pixels whose input falls
in the padding (a few border rows and columns) set to zero. Other convolutions copy the patch
rows from the strided window view of the padded planes.

Cache blocking: the patch matrix of a whole batch is several times the size of the input (tens of
MB), so it is never built. The images go through in blocks whose patches fit in the processor's
cache (``BLOCK_BYTES``); each block's patches are copied and multiplied while they are still in
cache, and backward copies them again (from the kept planes) for the weight gradient rather than
writing and re-reading the whole matrix. The input gradient folds each block's patch gradients
back onto the input (col2im, the adjoint of the patch copy: for shifted patches one add of
contiguous rows per kernel offset). It is skipped when the input needs no gradient (the first
layer).
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.functional.im2col import (
    Padding2d,
    fold_windows,
    padding_2d,
    pair,
    windows,
)
from scratchnet.ops.convert import as_tensor

Pair = tuple[int, int]

BLOCK_BYTES = 4 * 2 ** 20
"""Images go through convolution in blocks whose patch matrix takes about this many bytes (at
least one image per block): small enough to stay in cache between the copy and the GEMM."""

WEIGHT_GRADIENT_PIXELS = 4096
"""The weight gradient sums its product over a block's pixels in slices of at most this many
pixels: OpenBLAS is several times slower at a product whose inner dimension is much longer (a
first layer of few channels has the whole batch in one block, 100k pixels for 128 images of
28×28)."""


class Conv2d(ArrayFunction):
    """y[n, o, h, w] = b[o] + Σ_{c, i, j} W[o, c, i, j] · x_pad[n, c, s·h + d·i, s·w + d·j]
    (c within o's group); with cols the patches plus a ones row and K = [W | b], per block of
    images: y = K·cols, [gW | gb] = Σ_blocks gy·colsᵀ, gx = col2im(Wᵀ·gy)."""

    def __init__(self, stride: Pair, padding: Padding2d, dilation: Pair, groups: int) -> None:
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups

    def forward(self, x: xp.ndarray, weight: xp.ndarray, bias: xp.ndarray | None = None) -> xp.ndarray:
        self.prepare(x, weight, bias)
        out_channels, (oh, ow), n = weight.shape[0], self.out_size, x.shape[0]
        out = xp.empty((out_channels, n * oh * ow), dtype=self.kernels[0].dtype)
        cols = self._patch_buffer()
        for images, pixels in self._blocks():
            for (inputs, outputs), kernel in zip(self.slices, self.kernels):
                xp.matmul(kernel, self._patches(images, inputs, cols), out=out[outputs, pixels])
        return out.reshape(out_channels, n, oh, ow).transpose(1, 0, 2, 3)

    def prepare(self, x: xp.ndarray, weight: xp.ndarray, bias: xp.ndarray | None = None) -> None:
        """Keep what the convolution of ``x`` and its gradients need: the groups' kernels
        ``[W | b]`` and the input's planes or window view (see ``_keep_planes``)."""
        out_channels, group_channels, kh, kw = weight.shape
        self.slices = self._group_slices(group_channels, out_channels)
        self.has_bias, dtype = bias is not None, xp.result_type(x, weight)
        self.kernels = []
        for _, outputs in self.slices:
            kernel = weight[outputs].transpose(0, 2, 3, 1)
            kernel = kernel.reshape(kernel.shape[0], -1).astype(dtype, copy=False)
            self.kernels.append(kernel if bias is None else xp.concatenate([kernel, bias[outputs, None]], 1))
        self.weight_shape, self.batch = weight.shape, x.shape[0]
        self._keep_planes(x, (kh, kw))

    def _group_slices(self, group_channels: int, out_channels: int) -> list[tuple[slice, slice]]:
        """(input channels, output channels) of each group."""
        per_group = out_channels // self.groups
        return [(slice(g * group_channels, (g + 1) * group_channels),
                 slice(g * per_group, (g + 1) * per_group)) for g in range(self.groups)]

    def _keep_planes(self, x: xp.ndarray, kernel_size: Pair) -> None:
        """Keep what the patches are copied from: for shifted patches the input planes
        ``(C, N·H·W)`` (no copy when x is stored so), each kernel offset's flat shift and, per
        kernel row and column, the output rows and columns whose input is not padding; otherwise
        the window view of the zero-padded planes."""
        n, c, h, w = x.shape
        (top, bottom), (left, right) = self.padding
        (dh, dw), (kh, kw) = self.dilation, kernel_size
        self.in_size = (h, w)
        self.shifted = (self.stride == (1, 1) and top + bottom == dh * (kh - 1)
                        and left + right == dw * (kw - 1))
        if self.shifted:
            self.out_size = (h, w)
            self.planes = xp.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(c, -1)
            downs, acrosses = [dh * i - top for i in range(kh)], [dw * j - left for j in range(kw)]
            self.shifts = [down * w + across for down in downs for across in acrosses]
            self.valid_rows = [(max(0, -down), min(h, h - down)) for down in downs]
            self.valid_columns = [(max(0, -across), min(w, w - across)) for across in acrosses]
            return
        padded = xp.zeros((c, n, h + top + bottom, w + left + right), dtype=x.dtype)
        padded[:, :, top:top + h, left:left + w] = x.transpose(1, 0, 2, 3)
        self.view = windows(padded, kernel_size, self.stride, self.dilation)  # (C, N, OH, OW, KH, KW)
        self.out_size = self.view.shape[2:4]

    def _blocks(self) -> list[tuple[slice, slice]]:
        """(images, their output pixels) of each block: as many images as fit in ``BLOCK_BYTES`` of
        patches; an empty batch is one empty block."""
        n, image_pixels = self.batch, self.out_size[0] * self.out_size[1]
        image_bytes = self.kernels[0].shape[1] * image_pixels * self.kernels[0].itemsize
        step = max(1, BLOCK_BYTES // max(1, image_bytes))
        starts = range(0, max(n, 1), step)
        return [(slice(start, stop), slice(start * image_pixels, stop * image_pixels))
                for start, stop in zip(starts, [*starts[1:], n])]

    def _patch_buffer(self) -> xp.ndarray:
        """Room for one block's patches ``(KH·KW·C/groups [+ 1], pixels)``, the ones row (for the
        bias) filled here, once."""
        cols = xp.empty((self.kernels[0].shape[1], self._blocks()[0][1].stop), dtype=self.kernels[0].dtype)
        if self.has_bias:
            cols[-1] = 1
        return cols

    def _patches(self, images: slice, inputs: slice, cols: xp.ndarray) -> xp.ndarray:
        """The patches of ``images`` over the group's ``inputs`` channels, rows ordered
        (i, j, channel), copied into the front of ``cols``."""
        pixels = (images.stop - images.start) * self.out_size[0] * self.out_size[1]
        cols = cols[:, :pixels]
        channels = inputs.stop - inputs.start
        if not self.shifted:
            kh, kw = self.view.shape[4:]
            rows = cols[:kh * kw * channels].reshape(kh, kw, channels, -1, *self.out_size)
            rows[...] = self.view[inputs, images].transpose(4, 5, 0, 1, 2, 3)
            return cols
        first, length = images.start * self.out_size[0] * self.out_size[1], self.planes.shape[1]
        for k, shift in enumerate(self.shifts):  # pixels past the planes' ends are padding, zeroed below
            in_block, in_planes = _overlap(first + shift, pixels, length)
            cols[k * channels:(k + 1) * channels, in_block] = self.planes[inputs, in_planes]
        self._zero_padding_pixels(cols, channels)
        return cols

    def _zero_padding_pixels(self, rows: xp.ndarray, channels: int) -> None:
        """Zero, in shifted patch rows (or their gradients) of ``channels`` channels per kernel
        offset, the pixels whose input lies in the padding: for each kernel row a few border rows
        of every image, for each kernel column a few border columns."""
        h, w = self.in_size
        kh, kw = len(self.valid_rows), len(self.valid_columns)
        images = rows[:kh * kw * channels].reshape(kh, kw, channels, -1, h, w)
        for i, (top, bottom) in enumerate(self.valid_rows):
            for border in (slice(0, top), slice(bottom, h)):
                if border.start < border.stop:
                    images[i, :, :, :, border] = 0
        for j, (left, right) in enumerate(self.valid_columns):
            for border in (slice(0, left), slice(right, w)):
                if border.start < border.stop:
                    images[:, j, :, :, :, border] = 0

    def backward_arrays(self, gy: xp.ndarray) -> tuple[xp.ndarray | None, ...]:
        needs = self.needs_input_grad
        gx, weight_and_bias = self.gradients(gy, self.inputs[0].shape, needs[0], any(needs[1:]))
        gw = self.weight_gradient(weight_and_bias) if needs[1] else None
        if self.has_bias:
            return gx, gw, weight_and_bias[:, -1] if needs[2] else None
        return gx, gw

    def gradients(self, gy: xp.ndarray, input_shape: tuple[int, ...], input_grad: bool,
                  weight_grad: bool) -> tuple[xp.ndarray | None, xp.ndarray]:
        """For the output gradient ``gy (N, OC, OH, OW)`` of the prepared convolution: the input
        gradient ``gx = col2im(Wᵀ·gy)`` of ``input_shape`` (None unless ``input_grad``) and
        ``[gW | gb] = Σ gy·colsᵀ`` in kernel-row layout (zeros unless ``weight_grad``)."""
        out_channels, group_channels, kh, kw = self.weight_shape
        size = kh * kw * group_channels
        gy_planes = xp.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(out_channels, -1)
        weight_and_bias = xp.zeros((out_channels, size + self.has_bias), dtype=gy.dtype)
        n, c, h, w = input_shape
        gx = xp.zeros((c, n, h, w), dtype=gy.dtype) if input_grad else None
        cols = self._patch_buffer() if weight_grad else None
        for images, pixels in self._blocks():
            for (inputs, outputs), kernel in zip(self.slices, self.kernels):
                gy_block = gy_planes[outputs, pixels]
                if weight_grad:
                    patches = self._patches(images, inputs, cols)
                    add_weight_gradient(patches, gy_block, weight_and_bias[outputs])
                if gx is not None:
                    self._fold(kernel[:, :size].T @ gy_block, images, gx[inputs])
        return None if gx is None else gx.transpose(1, 0, 2, 3), weight_and_bias

    def weight_gradient(self, weight_and_bias: xp.ndarray) -> xp.ndarray:
        """gW ``(OC, C/groups, KH, KW)`` from the kernel-row layout of ``gradients``."""
        out_channels, group_channels, kh, kw = self.weight_shape
        gw = weight_and_bias[:, :kh * kw * group_channels].reshape(out_channels, kh, kw, group_channels)
        return xp.ascontiguousarray(gw.transpose(0, 3, 1, 2))

    def _fold(self, patches: xp.ndarray, images: slice, gx: xp.ndarray) -> None:
        """gx (the group's ``(C, N, H, W)`` planes) += col2im(patches) of one block of images: the
        adjoint of ``_patches``, adding each patch row back onto the input pixel it was copied from."""
        channels, h, w = gx.shape[0], *self.in_size
        if self.shifted:
            self._zero_padding_pixels(patches, channels)
            flat, first = gx.reshape(channels, -1), images.start * h * w
            for k, shift in enumerate(self.shifts):
                in_block, in_planes = _overlap(first + shift, patches.shape[1], flat.shape[1])
                flat[:, in_planes] += patches[k * channels:(k + 1) * channels, in_block]
            return
        kh, kw = self.view.shape[4:]
        grad_windows = patches.reshape(kh, kw, channels, -1, *self.out_size).transpose(2, 3, 4, 5, 0, 1)
        (top, bottom), (left, right) = self.padding
        padded_shape = (channels, grad_windows.shape[1], h + top + bottom, w + left + right)
        padded = fold_windows(grad_windows, padded_shape, self.stride, self.dilation)
        gx[:, images] += padded[:, :, top:top + h, left:left + w]


def add_weight_gradient(patches: xp.ndarray, gy: xp.ndarray, weight_and_bias: xp.ndarray) -> None:
    """[gW | gb] += gy·patchesᵀ for one block, computed as (patches·gyᵀ)ᵀ and summed over slices of
    ``WEIGHT_GRADIENT_PIXELS`` pixels: OpenBLAS is slow at the product with the long inner dimension."""
    for start in range(0, patches.shape[1], WEIGHT_GRADIENT_PIXELS):
        part = slice(start, start + WEIGHT_GRADIENT_PIXELS)
        weight_and_bias += (patches[:, part] @ gy[:, part].T).T


def _overlap(start: int, pixels: int, length: int) -> tuple[slice, slice]:
    """Where a run of ``pixels`` flat positions from ``start`` overlaps planes of ``length`` pixels:
    (those positions within the run, the same positions within the planes)."""
    low, high = max(0, start), max(0, min(length, start + pixels))
    return slice(low - start, max(low, high) - start), slice(low, max(low, high))


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
