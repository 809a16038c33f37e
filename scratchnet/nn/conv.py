"""``Conv2d``: 2-D convolution (cross-correlation) over NCHW images."""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.nn import init
from scratchnet.nn.linear import add_weight_and_bias
from scratchnet.nn.module import Module
from scratchnet.nn.validation import int_pair, positive_int, shape_error


def _padding_argument(padding: Any, stride: tuple[int, int]) -> str | tuple[int, int]:
    """'valid', 'same' (stride 1 only, as PyTorch) or a non-negative ``(ph, pw)``."""
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"Conv2d: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
        if padding == "same" and stride != (1, 1):
            raise ValueError("Conv2d: padding='same' is not supported for strided convolutions")
        return padding
    return int_pair("padding", padding, "Conv2d", minimum=0)


class ConvolutionLayer(Module):
    """What ``Conv2d`` and ``ConvTranspose2d`` share: the checked geometry (channels, groups,
    kernel, stride, dilation), PyTorch's default initialisation, the input check with unbatched
    ``(C_in, H, W)`` inputs, and the repr. Subclasses set ``padding``, the weight, and
    ``convolve(x)`` on a batched input."""

    repr_defaults: tuple[tuple[str, Any], ...] = (("padding", (0, 0)), ("dilation", (1, 1)))
    """The settings the repr shows when they differ from these defaults, in this order."""

    def set_geometry(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                     dilation: Any, groups: int) -> None:
        """Check and keep the layer's channels, groups, kernel size, stride and dilation."""
        owner = type(self).__name__
        self.in_channels = positive_int("in_channels", in_channels, owner)
        self.out_channels = positive_int("out_channels", out_channels, owner)
        self.groups = positive_int("groups", groups, owner)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"{owner}: in_channels={in_channels} and out_channels={out_channels} "
                             f"must both be divisible by groups={groups}")
        self.kernel_size = int_pair("kernel_size", kernel_size, owner)
        self.stride = int_pair("stride", stride, owner)
        self.dilation = int_pair("dilation", dilation, owner)

    def reset_parameters(self) -> None:
        """Draw fresh weights with PyTorch's default initialisation."""
        init.default_weight_and_bias_(self.weight, self.bias)

    def forward(self, x: Any) -> Tensor:
        if x.ndim not in (3, 4) or x.shape[-3] != self.in_channels:
            raise shape_error(self, f"(N, {self.in_channels}, H, W)", x.shape)
        if x.ndim == 3:
            return self.forward(x.unsqueeze(0)).squeeze(0)
        return self.convolve(x)

    def convolve(self, x: Tensor) -> Tensor:
        """The layer's convolution of a batched input ``(N, C_in, H, W)``."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        for name, default in self.repr_defaults:
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2d(ConvolutionLayer):
    """y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c] over an input ``(N, C_in, H, W)`` (or ``(C_in, H, W)``),
    with W of shape ``(C_out, C_in/groups, kh, kw)``, as ``torch.nn.Conv2d``.

    Output size per axis: ⌊(H + 2p − d·(k−1) − 1) / s⌋ + 1. ``padding='same'`` keeps the size
    (stride 1; an odd total pads the bottom/right more, as PyTorch). Initialised as PyTorch:
    W by ``kaiming_uniform_(a=√5)``, b U(±1/√fan_in) with fan_in = C_in/groups·kh·kw.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True) -> None:
        super().__init__()
        self.set_geometry(in_channels, out_channels, kernel_size, stride, dilation, groups)
        self.padding = _padding_argument(padding, self.stride)
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        add_weight_and_bias(self, shape, bias)
        self.reset_parameters()

    def convolve(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
