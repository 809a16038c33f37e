"""Elementwise math: exp, log, sqrt, abs, sin, cos, tanh, sigmoid, relu, clip, where,
maximum and minimum."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.config import Config
from scratchnet.autograd.function import Function
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.ops.convert import as_float_tensor, as_tensor, binary_operands


class Exp(Function):
    """y = eˣ;  dy/dx = y."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.exp(x)

    def backward(self, gy: Tensor) -> Tensor:
        return gy * self.output()


class Log(Function):
    """y = ln x;  dy/dx = 1/x."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.log(x)

    def backward(self, gy: Tensor) -> Tensor:
        return gy / self.inputs[0]


class Sqrt(Function):
    """y = √x;  dy/dx = 1/(2y)."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.sqrt(x)

    def backward(self, gy: Tensor) -> Tensor:
        return gy / (2 * self.output())


class Abs(Function):
    """y = |x|;  dy/dx = sign(x) (0 at 0, as PyTorch)."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.abs(x)

    def backward(self, gy: Tensor) -> Tensor:
        return gy * Tensor.wrap(xp.sign(self.inputs[0].array))


class Sin(Function):
    """y = sin x;  dy/dx = cos x."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.sin(x)

    def backward(self, gy: Tensor) -> Tensor:
        return gy * cos(self.inputs[0])


class Cos(Function):
    """y = cos x;  dy/dx = -sin x."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.cos(x)

    def backward(self, gy: Tensor) -> Tensor:
        return -gy * sin(self.inputs[0])


class Tanh(Function):
    """y = tanh x;  dy/dx = 1 - y²."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.tanh(x)

    def backward(self, gy: Tensor) -> Tensor:
        return TanhGrad()(self.output(), gy)


class TanhGrad(Function):
    """g = gy·(1 - y²), tanh's gradient from its output y in one op;
    dg/dy = -2y·gy, dg/dgy = 1 - y² (so it can be differentiated again)."""

    def forward(self, y: xp.ndarray, gy: xp.ndarray) -> xp.ndarray:
        return gy * (1 - y * y)

    def backward(self, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
        y, gy = self.inputs
        return (gg * gy * y * -2.0 if self.needs_input_grad[0] else None,
                gg * (1 - y * y) if self.needs_input_grad[1] else None)


class Sigmoid(Function):
    """y = 1 / (1 + e⁻ˣ), computed as (1 + tanh(x/2)) / 2, which never overflows;
    dy/dx = y(1 - y)."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        y = xp.tanh(x * x.dtype.type(0.5))
        y += 1
        y *= x.dtype.type(0.5)
        return y

    def backward(self, gy: Tensor) -> Tensor:
        return SigmoidGrad()(self.output(), gy)


class SigmoidGrad(Function):
    """g = gy·y(1 - y), the sigmoid's gradient from its output y in one op;
    dg/dy = gy·(1 - 2y), dg/dgy = y(1 - y) (so it can be differentiated again)."""

    def forward(self, y: xp.ndarray, gy: xp.ndarray) -> xp.ndarray:
        return gy * y * (1 - y)

    def backward(self, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
        y, gy = self.inputs
        return (gg * gy * (1 - 2.0 * y) if self.needs_input_grad[0] else None,
                gg * y * (1 - y) if self.needs_input_grad[1] else None)


class ReLU(Function):
    """y = max(x, 0);  dy/dx = 1 where x > 0, else 0. Keeps only the mask for backward."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.maximum(x, 0)

    def backward(self, gy: Tensor) -> Tensor:
        mask = self.output().array > 0
        if not Config.grad_enabled:  # nothing records the backward pass: one array multiply
            return Tensor.wrap(xp.multiply(gy.array, mask, dtype=gy.dtype))
        return gy * Tensor.wrap(mask.astype(gy.dtype))


class Clip(Function):
    """y = min(max(x, low), high);  dy/dx = 1 where low ≤ x ≤ high, else 0 (PyTorch's clamp)."""

    def __init__(self, low: float | None, high: float | None) -> None:
        self.low = low
        self.high = high

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.clip(x, self.low, self.high)

    def backward(self, gy: Tensor) -> Tensor:
        x = self.inputs[0].array
        inside = xp.ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return gy * Tensor.wrap(inside.astype(gy.dtype))


class Where(Function):
    """y = x where condition else other;  the gradient goes to the chosen side."""

    def __init__(self, condition: xp.ndarray) -> None:
        self.condition = condition

    def forward(self, x: xp.ndarray, other: xp.ndarray) -> xp.ndarray:
        return xp.where(self.condition, x, other)

    def backward(self, gy: Tensor) -> tuple[Tensor, Tensor]:
        zero = Tensor.wrap(xp.zeros((), dtype=gy.dtype))
        condition = Tensor.wrap(self.condition)
        return where(condition, gy, zero), where(condition, zero, gy)


class Maximum(Function):
    """y = max(x, other) elementwise;  the gradient goes to the larger, split evenly on ties."""

    def forward(self, x: xp.ndarray, other: xp.ndarray) -> xp.ndarray:
        return xp.maximum(x, other)

    def backward(self, gy: Tensor) -> tuple[Tensor, Tensor]:
        return _split_by_winner(gy, self.inputs[0].array, self.inputs[1].array, xp.greater)


class Minimum(Function):
    """y = min(x, other) elementwise;  the gradient goes to the smaller, split evenly on ties."""

    def forward(self, x: xp.ndarray, other: xp.ndarray) -> xp.ndarray:
        return xp.minimum(x, other)

    def backward(self, gy: Tensor) -> tuple[Tensor, Tensor]:
        return _split_by_winner(gy, self.inputs[0].array, self.inputs[1].array, xp.less)


def _split_by_winner(gy: Tensor, x: xp.ndarray, other: xp.ndarray, wins: Any) -> tuple[Tensor, Tensor]:
    share = wins(x, other).astype(gy.dtype) + (x == other).astype(gy.dtype) * gy.dtype.type(0.5)
    share = Tensor.wrap(share)
    return gy * share, gy * (1 - share)


def exp(x: Any) -> Tensor:
    """Elementwise eˣ."""
    return Exp()(as_float_tensor(x))


def log(x: Any) -> Tensor:
    """Elementwise natural logarithm."""
    return Log()(as_float_tensor(x))


def sqrt(x: Any) -> Tensor:
    """Elementwise square root."""
    return Sqrt()(as_float_tensor(x))


def abs(x: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    """Elementwise absolute value."""
    return Abs()(as_tensor(x))


def sin(x: Any) -> Tensor:
    """Elementwise sine."""
    return Sin()(as_float_tensor(x))


def cos(x: Any) -> Tensor:
    """Elementwise cosine."""
    return Cos()(as_float_tensor(x))


def tanh(x: Any) -> Tensor:
    """Elementwise hyperbolic tangent."""
    return Tanh()(as_float_tensor(x))


def sigmoid(x: Any) -> Tensor:
    """Elementwise logistic function 1 / (1 + e⁻ˣ), stable for large |x|."""
    return Sigmoid()(as_float_tensor(x))


def relu(x: Any) -> Tensor:
    """Elementwise max(x, 0)."""
    return ReLU()(as_tensor(x))


def clip(x: Any, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """Limit values to ``[min, max]`` (either bound may be None), as ``torch.clamp``."""
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max")
    return Clip(min, max)(as_tensor(x))


clamp = clip


def where(condition: Any, x: Any, other: Any) -> Tensor:
    """Elementwise choice: ``x`` where ``condition`` is true, else ``other``."""
    condition = xp.asarray(condition.array if isinstance(condition, Tensor) else condition, dtype=bool)
    return Where(condition)(*binary_operands(x, other))


def maximum(x: Any, other: Any) -> Tensor:
    """Elementwise maximum of two tensors (broadcast)."""
    return Maximum()(*binary_operands(x, other))


def minimum(x: Any, other: Any) -> Tensor:
    """Elementwise minimum of two tensors (broadcast)."""
    return Minimum()(*binary_operands(x, other))
