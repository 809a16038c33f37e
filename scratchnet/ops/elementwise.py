"""Elementwise math: exp, log, sqrt, abs, sin, cos, tanh, sigmoid, relu, clip, where,
maximum and minimum."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.function import Function, constant_like
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.layout import against_zeros, elementwise
from scratchnet.ops.convert import as_float_tensor, as_tensor, binary_operands


class Exp(Function):
    """y = eˣ;  dy/dx = y."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.exp(x)

    def backward(self, gy: Any) -> Any:
        return gy * self.output_value()


class Log(Function):
    """y = ln x;  dy/dx = 1/x."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.log(x)

    def backward(self, gy: Any) -> Any:
        return gy / self.input_values()[0]


class Sqrt(Function):
    """y = √x;  dy/dx = 1/(2y)."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.sqrt(x)

    def backward(self, gy: Any) -> Any:
        return gy / (2 * self.output_value())


class Abs(Function):
    """y = |x|;  dy/dx = sign(x) (0 at 0, as PyTorch)."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.abs(x)

    def backward(self, gy: Any) -> Any:
        return gy * constant_like(gy, xp.sign(self.inputs[0].array))


class Sin(Function):
    """y = sin x;  dy/dx = cos x."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.sin(x)

    def backward(self, gy: Any) -> Any:
        return gy * Cos()(*self.input_values())


class Cos(Function):
    """y = cos x;  dy/dx = -sin x."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.cos(x)

    def backward(self, gy: Any) -> Any:
        return -gy * Sin()(*self.input_values())


class Tanh(Function):
    """y = tanh x;  dy/dx = 1 - y²."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.tanh(x)

    def backward(self, gy: Any) -> Any:
        y = self.output_value()
        return gy - gy * y * y


class Sigmoid(Function):
    """y = 1 / (1 + e⁻ˣ), computed as (1 + tanh(x/2)) / 2, which never overflows;
    dy/dx = y(1 - y)."""

    @staticmethod
    def forward(x: xp.ndarray) -> xp.ndarray:
        """σ of an array: the one fast sigmoid (the fused recurrent cells call it too; the book's
        form is ``reference.sigmoid``).

        >>> Sigmoid.forward(np.array([-1000.0, 0.0, 2.0]))
        array([0.        , 0.5       , 0.88079708])
        """
        half = xp.asarray(0.5, dtype=x.dtype)  # a 0-d array: cheaper in ufuncs than a Python float
        y = xp.tanh(x * half)
        y *= half
        y += half
        return y

    def backward(self, gy: Any) -> Any:
        y = self.output_value()
        return gy * (y - y * y)


class ReLU(Function):
    """y = max(x, 0);  dy/dx = 0 where y ≤ 0, else 1, as PyTorch. Since y ≥ 0, that is the mask
    y ≠ 0 (one pass, a byte per element), which also lets a NaN pass its gradient, as PyTorch.
    On arrays both passes run on memory rows over the threads."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return against_zeros(xp.maximum, x)

    def backward(self, gy: Any) -> Any:
        if isinstance(gy, Tensor) or gy.shape != self.output_array().shape:
            return gy * constant_like(gy, xp.not_equal(self.output_array(), 0))
        return elementwise(_where_nonzero, self.output_array(), gy, dtype=gy.dtype)


def _where_nonzero(y: xp.ndarray, gy: xp.ndarray, out: xp.ndarray | None) -> xp.ndarray:
    """gy where y ≠ 0, else 0."""
    return xp.multiply(gy, xp.not_equal(y, 0), out=out)


class Clip(Function):
    """y = min(max(x, low), high);  dy/dx = 1 where low ≤ x ≤ high, else 0 (PyTorch's clamp)."""

    def __init__(self, low: float | None, high: float | None) -> None:
        self.low = low
        self.high = high

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.clip(x, self.low, self.high)

    def backward(self, gy: Any) -> Any:
        x = self.inputs[0].array
        inside = xp.ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return gy * constant_like(gy, inside)


class Where(Function):
    """y = x where condition else other;  the gradient goes to the chosen side."""

    def __init__(self, condition: xp.ndarray) -> None:
        self.condition = condition

    def forward(self, x: xp.ndarray, other: xp.ndarray) -> xp.ndarray:
        return xp.where(self.condition, x, other)

    def backward(self, gy: Any) -> tuple[Any, Any]:
        zero = constant_like(gy, xp.zeros((), dtype=gy.dtype))
        return Where(self.condition)(gy, zero), Where(self.condition)(zero, gy)


class Maximum(Function):
    """y = max(x, other) elementwise;  the gradient goes to the larger, split evenly on ties."""

    def forward(self, x: xp.ndarray, other: xp.ndarray) -> xp.ndarray:
        return xp.maximum(x, other)

    def backward(self, gy: Any) -> tuple[Any, Any]:
        return _split_by_winner(gy, self.inputs[0].array, self.inputs[1].array, xp.greater)


class Minimum(Function):
    """y = min(x, other) elementwise;  the gradient goes to the smaller, split evenly on ties."""

    def forward(self, x: xp.ndarray, other: xp.ndarray) -> xp.ndarray:
        return xp.minimum(x, other)

    def backward(self, gy: Any) -> tuple[Any, Any]:
        return _split_by_winner(gy, self.inputs[0].array, self.inputs[1].array, xp.less)


def _split_by_winner(gy: Any, x: xp.ndarray, other: xp.ndarray, wins: Any) -> tuple[Any, Any]:
    share = wins(x, other).astype(gy.dtype) + (x == other).astype(gy.dtype) * gy.dtype.type(0.5)
    share = constant_like(gy, share)
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
    """Elementwise logistic function 1 / (1 + e⁻ˣ), stable for large ``|x|``."""
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
