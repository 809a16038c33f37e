"""``Conv2D`` and ``Conv2DTranspose`` on channels-last images ``(N, H, W, C)``, over ``nn.Conv2d`` and
``nn.ConvTranspose2d`` (channels-first)."""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet import nn
from scratchnet.autograd.tensor import Tensor
from scratchnet.keras import conventions
from scratchnet.keras.layers.base import KernelLayer
from scratchnet.ops.shape import pad


def same_padding_2d(x_shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
                    dilation: tuple[int, int] = (1, 1)) -> tuple[int, int, int, int]:
    """TensorFlow's 'same' padding of an ``(N, C, H, W)`` input as ``sn.pad``'s
    ``(left, right, top, bottom)``."""
    top, bottom = conventions.same_padding(x_shape[2], kernel[0], stride[0], dilation[0])
    left, right = conventions.same_padding(x_shape[3], kernel[1], stride[1], dilation[1])
    return left, right, top, bottom


class Conv2D(KernelLayer):
    """y = activation(conv(x, W) + b) on channels-last images, Keras's defaults: W glorot_uniform,
    b zeros, ``strides=1``, ``padding='valid'``.

    ``padding='same'`` follows TensorFlow with any stride: output ``⌈in / stride⌉`` and the odd
    pixel of padding at the bottom/right. The kernel is stored in the core's layout
    ``(filters, C, kh, kw)``.
    """

    checks_last_axis = True
    core_name = "conv"

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, input_shape: Any = None,
                 name: str | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"Conv2D: filters must be a positive integer, got {filters!r}")
        self.filters = filters
        self.kernel_size = conventions.pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = conventions.pair(strides, "strides", "Conv2D")
        self.dilation_rate = conventions.pair(dilation_rate, "dilation_rate", "Conv2D")
        self.padding = conventions.padding_mode(padding, "Conv2D")
        self.activation = self._activation(activation)
        self._set_up_kernel(use_bias, (kernel_initializer, bias_initializer),
                            (kernel_regularizer, bias_regularizer))
        self.pads_each_call = self.padding == "same" and not self._symmetric_same()

    def _symmetric_same(self) -> bool:
        """Whether 'same' is the same fixed symmetric padding for every input size (stride 1 and
        an even total (k − 1)·d), so that the convolution itself can pad."""
        return self.strides == (1, 1) and all((k - 1) * d % 2 == 0
                                              for k, d in zip(self.kernel_size, self.dilation_rate))

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != 4:
            raise ValueError(f'layer "{self.name}" (Conv2D) expects channels-last images (N, H, W, C), '
                             f"got input shape {input_shape}")
        padding: Any = 0
        if self.padding == "same" and not self.pads_each_call:
            padding = tuple((k - 1) * d // 2 for k, d in zip(self.kernel_size, self.dilation_rate))
        self._adopt_core(nn.Conv2d(input_shape[-1], self.filters, self.kernel_size, stride=self.strides,
                                   padding=padding, dilation=self.dilation_rate, bias=self.use_bias))

    def forward(self, x: Tensor) -> Tensor:
        x = conventions.to_channels_first(x)
        if self.pads_each_call:
            x = pad(x, same_padding_2d(x.shape, self.kernel_size, self.strides, self.dilation_rate))
        return self.activation(conventions.to_channels_last(self.conv(x)))


class Conv2DTranspose(KernelLayer):
    """y = activation(conv_transpose(x, W) + b) on channels-last images, Keras's defaults: W
    glorot_uniform, b zeros, ``strides=1``, ``padding='valid'``, ``output_padding=None``.

    Output length per axis (Keras's rule, with k' = d·(k − 1) + 1): without ``output_padding``,
    'valid' gives (in − 1)·s + max(k', s) and 'same' in·s; with it, (in − 1)·s + k' − 2p +
    output_padding, p = 0 ('valid') or ⌊k'/2⌋ ('same'). The full transposed convolution
    ((in − 1)·s + k' long) is cropped from 0 ('valid') or from the top/left padding that 'same'
    convolution gives an input of the output's length (TensorFlow's), and zero-extended at the
    end. The kernel is stored in the core's layout
    ``(C, filters, kh, kw)``.
    """

    checks_last_axis = True
    core_name = "conv"

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, input_shape: Any = None, name: str | None = None,
                 trainable: bool = True) -> None:
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"Conv2DTranspose: filters must be a positive integer, got {filters!r}")
        self.filters = filters
        self.kernel_size = conventions.pair(kernel_size, "kernel_size", "Conv2DTranspose")
        self.strides = conventions.pair(strides, "strides", "Conv2DTranspose")
        self.dilation_rate = conventions.pair(dilation_rate, "dilation_rate", "Conv2DTranspose")
        self.padding = conventions.padding_mode(padding, "Conv2DTranspose")
        self.output_padding = (None if output_padding is None
                               else _output_padding(output_padding, self.strides))
        self.activation = self._activation(activation)
        self._set_up_kernel(use_bias, (kernel_initializer, bias_initializer),
                            (kernel_regularizer, bias_regularizer))

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != 4:
            raise ValueError(f'layer "{self.name}" (Conv2DTranspose) expects channels-last images '
                             f"(N, H, W, C), got input shape {input_shape}")
        self._adopt_core(nn.ConvTranspose2d(input_shape[-1], self.filters, self.kernel_size,
                                            stride=self.strides, dilation=self.dilation_rate,
                                            bias=self.use_bias))

    def _crop_and_length(self, axis: int, size: int) -> tuple[int, int]:
        """(first kept pixel of the full transposed convolution, output length) of one axis."""
        kernel = self.dilation_rate[axis] * (self.kernel_size[axis] - 1) + 1
        stride = self.strides[axis]
        if self.output_padding is None:
            length = (size - 1) * stride + max(kernel, stride) if self.padding == "valid" else size * stride
        else:
            padding = 0 if self.padding == "valid" else kernel // 2
            length = (size - 1) * stride + kernel - 2 * padding + self.output_padding[axis]
        if self.padding == "valid":
            return 0, length
        return conventions.same_padding(length, kernel, stride)[0], length

    def forward(self, x: Tensor) -> Tensor:
        x = conventions.to_channels_first(x)
        y = F.conv_transpose2d(x, self.conv.weight, None, self.strides, dilation=self.dilation_rate)
        (top, height), (left, width) = (self._crop_and_length(axis, x.shape[2 + axis]) for axis in (0, 1))
        extra = (0, max(0, left + width - y.shape[3]), 0, max(0, top + height - y.shape[2]))
        y = pad(y, extra)[:, :, top:top + height, left:left + width]
        if self.use_bias:
            y = y + self.conv.bias.reshape(1, -1, 1, 1)
        return self.activation(conventions.to_channels_last(y))


def _output_padding(value: Any, strides: tuple[int, int]) -> tuple[int, int]:
    """Keras's ``output_padding``: an int or pair, each non-negative and smaller than the stride."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < s
                                   for v, s in zip(values, strides)):
        raise ValueError(f"Conv2DTranspose: output_padding must be a non-negative int or pair smaller "
                         f"than the strides {strides}, got {value!r}")
    return values
