"""``ConvTranspose2d``: 2-D transposed convolution (the adjoint of ``Conv2d``) over NCHW images."""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.nn.conv import ConvolutionLayer
from scratchnet.nn.linear import add_weight_and_bias
from scratchnet.nn.validation import int_pair


class ConvTranspose2d(ConvolutionLayer):
    """y = conv_transpose2d(x, W) + b over ``(N, C_in, H, W)`` (or ``(C_in, H, W)``), W of shape
    ``(C_in, C_out/groups, kh, kw)``, as ``torch.nn.ConvTranspose2d``.

    Output size per axis: (H − 1)·s − 2p + d·(k − 1) + output_padding + 1. Initialised as PyTorch:
    W by ``kaiming_uniform_(a=√5)`` and b U(±1/√fan_in), fan_in = W.shape[1]·kh·kw.
    """

    repr_defaults = (("padding", (0, 0)), ("output_padding", (0, 0)), ("dilation", (1, 1)))

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1) -> None:
        super().__init__()
        owner = "ConvTranspose2d"
        self.set_geometry(in_channels, out_channels, kernel_size, stride, dilation, groups)
        self.padding = int_pair("padding", padding, owner, minimum=0)
        self.output_padding = int_pair("output_padding", output_padding, owner, minimum=0)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= max(s, d):
                raise ValueError(f"{owner}: output_padding {self.output_padding} must be smaller than the "
                                 f"stride {self.stride} or the dilation {self.dilation}")
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        add_weight_and_bias(self, shape, bias, self.out_channels)
        self.reset_parameters()

    def convolve(self, x: Tensor) -> Tensor:
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation)
