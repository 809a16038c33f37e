"""Lessons 3-1 and 3-2: the convolution layer over ``(N, C, H, W)`` images through the lesson's
``im2col`` (``scratchnet.reference.conv``), and ``Flatten``."""

from __future__ import annotations

from typing import Any

from scratchnet import reference
from scratchnet.backend import xp
from scratchnet.classic.layers.base import Layer, check_positive_int, check_reg, float_dtype
from scratchnet.classic.layers.initializers import check_initializer, initial_weight
from scratchnet.functional.im2col import pair


def positive_pair(value: Any, name: str) -> tuple[int, int]:
    """``value`` (an int or an ``(h, w)`` pair) as a pair of positive ints."""
    if isinstance(value, bool) or min(pair(value, name)) <= 0:
        raise ValueError(f"{name} must be a positive int or a pair of them, got {value!r}")
    return pair(value, name)


def window_output_size(shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
                       pad: tuple[int, int], layer: str) -> tuple[int, int]:
    """``(OH, OW)`` of a sliding window over an ``(N, C, H, W)`` input; an error when it does not fit."""
    if len(shape) != 4:
        raise ValueError(f"{layer} expects (N, C, H, W) input, got shape {shape}")
    out = tuple(reference.output_size(shape[2 + i], kernel[i], stride[i], pad[i]) for i in range(2))
    if min(out) < 1:
        raise ValueError(f"{layer}: window {kernel} does not fit input {shape[2:]} padded by {pad}")
    return out


class ConvLayer(Layer):
    """2-D cross-correlation with bias, as PyTorch's ``Conv2d``:
    ``y[n, f, i, j] = b[f] + Σ_{c,u,v} W[f, c, u, v] · x_pad[n, c, i·s + u, j·s + v]``.

    ``W`` has shape ``(filters, C, KH, KW)`` and is created on the first forward from ``C``;
    ``kernel_size``, ``stride`` and ``pad`` are ints or ``(h, w)`` pairs. As lesson 3-2: a
    ``MulLayer`` on the patches, ``y = im2col(x) · W_colᵀ + b``; backward ``dW = doutᵀ · col + λ·W``,
    ``db = Σ dout`` (over batch and pixels), ``dx = col2im(dout · W_col)``. Differences from the
    lesson: a bias ``b`` (PyTorch's; the lesson's layer had none), and lesson 3-1's ``int(1 + (h +
    2·pad − fh) / stride)`` output size, which rounds toward zero for negative sizes, is
    ``(h + 2·pad − fh) // stride + 1`` with an error when the window does not fit.
    """

    param_names = ("W", "b")

    def __init__(self, filters: int, kernel_size: Any, stride: Any = 1, pad: Any = 0,
                 initializer: str = "he", reg: float = 0) -> None:
        super().__init__()
        self.filters = check_positive_int(filters, "filters")
        self.kernel_size = positive_pair(kernel_size, "kernel_size")
        self.stride = positive_pair(stride, "stride")
        self.pad = pair(pad, "pad")
        if isinstance(pad, bool) or min(self.pad) < 0:
            raise ValueError(f"pad must be a non-negative int or a pair of them, got {pad!r}")
        self.initializer = check_initializer(initializer)
        self.reg = check_reg(reg)

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        oh, ow = window_output_size(x.shape, self.kernel_size, self.stride, self.pad, "ConvLayer")
        if "W" not in self.params:
            self.params["W"] = initial_weight(self.initializer, (self.filters, x.shape[1], *self.kernel_size),
                                              float_dtype(x))
            self.params["b"] = xp.zeros(self.filters, dtype=float_dtype(x))
        if x.shape[1] != self.params["W"].shape[1]:
            raise ValueError(f"ConvLayer expects {self.params['W'].shape[1]} input channels, "
                             f"got shape {x.shape}")
        self.x_shape = x.shape
        self.col = reference.im2col(x, *self.kernel_size, self.stride, self.pad)
        out = reference.add_bias(reference.matmul(self.col, self.params["W"].reshape(self.filters, -1).T),
                                 self.params["b"])
        return out.reshape(x.shape[0], oh, ow, self.filters).transpose(0, 3, 1, 2)

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        weight = self.params["W"]
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, self.filters)
        dcol, dw_col = reference.matmul_backward(dout, self.col, weight.reshape(self.filters, -1).T)
        self.grads["W"] = dw_col.T.reshape(weight.shape) + self.reg * weight
        self.grads["b"] = reference.add_bias_backward(dout, self.params["b"].shape)[1]
        return reference.col2im(dcol, self.x_shape, *self.kernel_size, self.stride, self.pad)


class Flatten(Layer):
    """``(N, d1, d2, ...) → (N, d1·d2·…)`` after any layer; backward reshapes back (to the shape
    the forward saw: lesson 3-1's ``self.shape`` was set by ``Model.train`` from the training data)."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        return dout.reshape(self.x_shape)
