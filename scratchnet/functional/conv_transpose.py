"""2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``: the adjoint of
``conv2d``. Its forward is the convolution's input gradient (col2im of Wᵀ·x) and its backward the
convolution's forward and weight gradient, so all three run on ``conv.Conv2d``'s machinery."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.functional.conv import Conv2d
from scratchnet.functional.im2col import pair
from scratchnet.ops.convert import as_tensor

Pair = tuple[int, int]


def transposed_output_size(size: int, kernel: int, stride: int, padding: int, output_padding: int,
                           dilation: int) -> int:
    """Output length of a transposed convolution: (size − 1)·s − 2p + d·(k − 1) + output_padding + 1."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


class ConvTranspose2d(ArrayFunction):
    """y = Conv2dᵀ(x): with the convolution conv(z) of an output-sized z by the same W
    ``(C_in, C_out/groups, KH, KW)``, y = ∂⟨conv(z), x⟩/∂z + b, i.e.
    y[n, o, s·h + d·i − p, s·w + d·j − p] += Σ_c x[n, c, h, w] · W[c, o, i, j]. Backward:
    gx = conv(gy), gW = the convolution's weight gradient of input gy and output gradient x,
    gb = Σ gy over N, H, W."""

    def __init__(self, stride: Pair, padding: Pair, output_padding: Pair, dilation: Pair,
                 groups: int) -> None:
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.dilation, self.groups = dilation, groups

    def _convolution(self) -> Conv2d:
        (ph, pw) = self.padding
        return Conv2d(self.stride, ((ph, ph), (pw, pw)), self.dilation, self.groups)

    def forward(self, x: xp.ndarray, weight: xp.ndarray, bias: xp.ndarray | None = None) -> xp.ndarray:
        n, _, h, w = x.shape
        sizes = [transposed_output_size(*args) for args in zip(
            (h, w), weight.shape[2:], self.stride, self.padding, self.output_padding, self.dilation)]
        out_shape = (n, weight.shape[1] * self.groups, *sizes)
        convolution = self._convolution()
        convolution.prepare(xp.zeros(out_shape, dtype=xp.result_type(x, weight)), weight)
        y, _ = convolution.gradients(_padded_to(x, convolution.out_size), out_shape, True, False)
        return y if bias is None else y + bias.reshape(1, -1, 1, 1).astype(y.dtype, copy=False)

    def backward_arrays(self, gy: xp.ndarray) -> tuple[xp.ndarray | None, ...]:
        needs = self.needs_input_grad
        x, weight = self.inputs[0].array, self.inputs[1].array
        convolution = self._convolution()
        gx = convolution.forward(gy, weight)[:, :, :x.shape[2], :x.shape[3]] if needs[0] else None
        if needs[1]:
            if not needs[0]:
                convolution.prepare(gy, weight)
            x = _padded_to(x, convolution.out_size)
            gw = convolution.weight_gradient(convolution.gradients(x, gy.shape, False, True)[1])
        else:
            gw = None
        if len(self.inputs) == 2:
            return gx, gw
        return gx, gw, gy.sum(axis=(0, 2, 3)) if needs[2] else None


def _padded_to(x: xp.ndarray, size: Pair) -> xp.ndarray:
    """``x (N, C, H, W)`` with zero rows and columns added at the bottom and right up to ``size``:
    with output_padding ≥ stride (allowed below the dilation) the convolution of the output-sized
    array has an extra row or column that no input pixel reaches."""
    if tuple(size) == x.shape[2:]:
        return x
    out = xp.zeros((*x.shape[:2], *size), dtype=x.dtype)
    out[:, :, :x.shape[2], :x.shape[3]] = x
    return out


def _check_arguments(x: Tensor, weight: Tensor, bias: Tensor | None, groups: int) -> None:
    if x.ndim != 4:
        raise ValueError(f"conv_transpose2d expects a 4-D input (N, C, H, W), got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"conv_transpose2d expects a 4-D weight (C_in, C_out/groups, KH, KW), "
                         f"got shape {weight.shape}")
    if not isinstance(groups, int) or groups <= 0 or weight.shape[0] % groups:
        raise ValueError(f"conv_transpose2d: groups={groups} must be a positive int dividing the "
                         f"{weight.shape[0]} input channels of the weight")
    if x.shape[1] != weight.shape[0]:
        raise ValueError(f"conv_transpose2d: expected input with {weight.shape[0]} channels (weight shape "
                         f"{weight.shape}), got {x.shape[1]} channels (input shape {x.shape})")
    out_channels = weight.shape[1] * groups
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(f"conv_transpose2d: bias must have shape ({out_channels},), got {bias.shape}")


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed convolution of ``input (N, C_in, H, W)`` with ``weight (C_in, C_out/groups, KH, KW)``,
    as ``torch.nn.functional.conv_transpose2d`` (same argument order). Output size per axis:
    (H − 1)·s − 2p + d·(K − 1) + output_padding + 1; ``output_padding`` must be smaller than the
    stride or the dilation."""
    x, weight = as_tensor(input), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    _check_arguments(x, weight, bias, groups)
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    padding, output_padding = pair(padding, "padding"), pair(output_padding, "output_padding")
    if min(stride) <= 0 or min(dilation) <= 0 or min(padding) < 0 or min(output_padding) < 0:
        raise ValueError(f"conv_transpose2d: stride {stride} and dilation {dilation} must be positive, "
                         f"padding {padding} and output_padding {output_padding} non-negative")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= max(s, d):
            raise ValueError(f"conv_transpose2d: output_padding {output_padding} must be smaller than "
                             f"the stride {stride} or the dilation {dilation}")
    for size, k, s, p, op, d in zip(x.shape[2:], weight.shape[2:], stride, padding, output_padding, dilation):
        if transposed_output_size(size, k, s, p, op, d) <= 0:
            raise ValueError(f"conv_transpose2d: padding {padding} leaves no output for input shape "
                             f"{x.shape} and kernel {tuple(weight.shape[2:])}")
    function = ConvTranspose2d(stride, padding, output_padding, dilation, groups)
    return function(x, weight) if bias is None else function(x, weight, bias)
