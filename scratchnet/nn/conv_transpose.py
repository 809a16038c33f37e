"""``ConvTranspose2d``: 2-D transposed convolution (the adjoint of ``Conv2d``) over NCHW images."""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.nn import init
from scratchnet.nn.linear import add_weight_and_bias
from scratchnet.nn.module import Module
from scratchnet.nn.validation import int_pair, positive_int, shape_error


class ConvTranspose2d(Module):
    """y = conv_transpose2d(x, W) + b over ``(N, C_in, H, W)`` (or ``(C_in, H, W)``), W of shape
    ``(C_in, C_out/groups, kh, kw)``, as ``torch.nn.ConvTranspose2d``.

    Output size per axis: (H − 1)·s − 2p + d·(k − 1) + output_padding + 1. Initialised as PyTorch:
    W by ``kaiming_uniform_(a=√5)`` and b U(±1/√fan_in), fan_in = W.shape[1]·kh·kw.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1) -> None:
        super().__init__()
        owner = "ConvTranspose2d"
        self.in_channels = positive_int("in_channels", in_channels, owner)
        self.out_channels = positive_int("out_channels", out_channels, owner)
        self.groups = positive_int("groups", groups, owner)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"{owner}: in_channels={in_channels} and out_channels={out_channels} "
                             f"must both be divisible by groups={groups}")
        self.kernel_size = int_pair("kernel_size", kernel_size, owner)
        self.stride = int_pair("stride", stride, owner)
        self.dilation = int_pair("dilation", dilation, owner)
        self.padding = int_pair("padding", padding, owner, minimum=0)
        self.output_padding = int_pair("output_padding", output_padding, owner, minimum=0)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= max(s, d):
                raise ValueError(f"{owner}: output_padding {self.output_padding} must be smaller than the "
                                 f"stride {self.stride} or the dilation {self.dilation}")
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        add_weight_and_bias(self, shape, bias, self.out_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights with PyTorch's default initialisation."""
        init.default_weight_and_bias_(self.weight, self.bias)

    def forward(self, x: Any) -> Tensor:
        if x.ndim not in (3, 4) or x.shape[-3] != self.in_channels:
            raise shape_error(self, f"(N, {self.in_channels}, H, W)", x.shape)
        if x.ndim == 3:
            return self.forward(x.unsqueeze(0)).squeeze(0)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        for name, default in (("padding", (0, 0)), ("output_padding", (0, 0)), ("dilation", (1, 1))):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text
