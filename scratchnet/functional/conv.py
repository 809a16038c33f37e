"""2-D convolution (cross-correlation, as PyTorch) as one matrix product per block of images:
y = K·cols, with K = [W | b] the kernel as rows and cols the input's patches (im2col) plus a row of
ones; backward is [gW | gb] = Σ gy·colsᵀ and gx = col2im(Kᵀ·gy).

The patches are copied a cache-sized block of images at a time and folded back by
``functional.patches``; images come in and go out as channel planes (``scratchnet.layout``), so
the output is ``(OC, N, OH, OW)`` memory seen as ``(N, OC, OH, OW)``, with no transposing copy.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.functional.im2col import Padding2d, padding_2d, pair
from scratchnet.functional.patches import Block, Patches, add_weight_gradient
from scratchnet.layout import channel_planes, images_of_planes
from scratchnet.ops.convert import as_tensor

Pair = tuple[int, int]


class Group(NamedTuple):
    """One group of a grouped convolution: its input and output channels, and its kernel
    K = [W | b] as rows ``(OC/groups, KH·KW·C/groups [+ 1])``, columns ordered (i, j, channel)."""

    inputs: slice
    outputs: slice
    kernel: xp.ndarray


def group_kernels(weight: xp.ndarray, bias: xp.ndarray | None, groups: int, dtype: xp.dtype) -> list[Group]:
    """The ``groups`` groups of ``weight (OC, C/groups, KH, KW)`` and ``bias``, kernels in ``dtype``."""
    out_channels, group_channels = weight.shape[:2]
    per_group = out_channels // groups
    result = []
    for g in range(groups):
        outputs = slice(g * per_group, (g + 1) * per_group)
        kernel = weight[outputs].transpose(0, 2, 3, 1)
        kernel = kernel.reshape(kernel.shape[0], -1).astype(dtype, copy=False)
        if bias is not None:
            kernel = xp.concatenate([kernel, bias[outputs, None]], 1)
        result.append(Group(slice(g * group_channels, (g + 1) * group_channels), outputs, kernel))
    return result


class Conv2d(ArrayFunction):
    """y[n, o, h, w] = b[o] + Σ_{c, i, j} W[o, c, i, j] · x_pad[n, c, s·h + d·i, s·w + d·j]
    (c within o's group); with cols the patches plus a ones row and K = [W | b], per block of
    images: y = K·cols, [gW | gb] = Σ_blocks gy·colsᵀ, gx = col2im(Kᵀ·gy)."""

    def __init__(self, stride: Pair, padding: Padding2d, dilation: Pair, groups: int) -> None:
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups

    def forward(self, x: xp.ndarray, weight: xp.ndarray, bias: xp.ndarray | None = None) -> xp.ndarray:
        self.prepare(x, weight, bias)
        y = xp.empty((weight.shape[0], self.patches.pixels), dtype=self.patches.dtype)

        def product(block: Block, cols: xp.ndarray) -> None:  # y = K·cols
            for group in self.group_kernels:
                xp.matmul(group.kernel, self.patches.copy(block, group.inputs, cols),
                          out=y[group.outputs, block.pixels])
        self.patches.split_images(product)
        return images_of_planes(y, x.shape[0], self.out_size)

    def prepare(self, x: xp.ndarray, weight: xp.ndarray, bias: xp.ndarray | None = None) -> None:
        """Keep what the convolution of ``x`` and its gradients need: the groups' kernels
        K = [W | b] and the input's patches."""
        dtype = xp.result_type(x, weight)
        self.weight_shape, self.has_bias = weight.shape, bias is not None
        self.group_kernels = group_kernels(weight, bias, self.groups, dtype)
        rows = self.group_kernels[0].kernel.shape[1]
        self.patches = Patches(x, weight.shape[2:], self.stride, self.padding, self.dilation, rows,
                               self.has_bias, dtype)

    @property
    def out_size(self) -> Pair:
        """The output's (OH, OW)."""
        return self.patches.out_size

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
        gradient ``gx = col2im(Kᵀ·gy)`` of ``input_shape`` (None unless ``input_grad``) and
        ``[gW | gb] = Σ gy·colsᵀ`` in kernel-row layout (zeros unless ``weight_grad``)."""
        out_channels, group_channels, kh, kw = self.weight_shape
        size = kh * kw * group_channels
        gy_planes = channel_planes(gy)
        n, c, h, w = input_shape
        gx = xp.zeros((c, n, h, w), dtype=gy.dtype) if input_grad else None

        def chunk_gradients(blocks: list[Block], cols: xp.ndarray) -> xp.ndarray:
            weight_and_bias = xp.zeros((out_channels, size + self.has_bias), dtype=gy.dtype)
            for block in blocks:
                for group in self.group_kernels:
                    gy_block = gy_planes[group.outputs, block.pixels]
                    if weight_grad:
                        add_weight_gradient(self.patches.copy(block, group.inputs, cols), gy_block,
                                            weight_and_bias[group.outputs])
                    if gx is not None:
                        self.patches.fold(group.kernel[:, :size].T @ gy_block, block, gx[group.inputs])
            return weight_and_bias
        weight_and_bias = self.patches.sum_over_images(chunk_gradients)
        return None if gx is None else images_of_planes(gx, n, (h, w)), weight_and_bias

    def weight_gradient(self, weight_and_bias: xp.ndarray) -> xp.ndarray:
        """gW ``(OC, C/groups, KH, KW)`` from the kernel-row layout of ``gradients``."""
        out_channels, group_channels, kh, kw = self.weight_shape
        gw = weight_and_bias[:, :kh * kw * group_channels].reshape(out_channels, kh, kw, group_channels)
        return xp.ascontiguousarray(gw.transpose(0, 3, 1, 2))


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
