"""Arithmetic: + - * / ** @ and negation, with NumPy broadcasting.

Backward rules are written with Tensor operations, so they can be differentiated again; the
engine reduces broadcast gradients back to each input's shape.
"""

from __future__ import annotations

from typing import Any

from scratchnet import backend, parallel
from scratchnet.autograd.function import Function
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.ops.convert import as_tensor, binary_operands
from scratchnet.ops.shape import SumTo


class Add(Function):
    """z = x + y;  dz/dx = 1, dz/dy = 1."""

    def forward(self, x: xp.ndarray, y: xp.ndarray) -> xp.ndarray:
        return x + y

    def backward(self, gz: Any) -> tuple[Any, Any]:
        return gz, gz


class Sub(Function):
    """z = x - y;  dz/dx = 1, dz/dy = -1."""

    def forward(self, x: xp.ndarray, y: xp.ndarray) -> xp.ndarray:
        return x - y

    def backward(self, gz: Any) -> tuple[Any, Any]:
        return gz, (-gz if self.needs_input_grad[1] else None)


class Mul(Function):
    """z = x * y;  dz/dx = y, dz/dy = x."""

    def forward(self, x: xp.ndarray, y: xp.ndarray) -> xp.ndarray:
        return x * y

    def backward(self, gz: Any) -> tuple[Any, Any]:
        x, y = self.input_values()
        return (gz * y if self.needs_input_grad[0] else None,
                gz * x if self.needs_input_grad[1] else None)


class Div(Function):
    """z = x / y;  dz/dx = 1/y, dz/dy = -x/y² = -z/y."""

    def forward(self, x: xp.ndarray, y: xp.ndarray) -> xp.ndarray:
        return x / y

    def backward(self, gz: Any) -> tuple[Any, Any]:
        gx = gz / self.input_values()[1]
        gy = -(gx * self.output_value()) if self.needs_input_grad[1] else None
        return (gx if self.needs_input_grad[0] else None), gy


class Neg(Function):
    """z = -x;  dz/dx = -1."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return -x

    def backward(self, gz: Any) -> Any:
        return -gz


class Pow(Function):
    """z = x ** y;  dz/dx = y·x^(y-1), dz/dy = z·log(x)."""

    def forward(self, x: xp.ndarray, y: xp.ndarray) -> xp.ndarray:
        return x ** y

    def backward(self, gz: Any) -> tuple[Any, Any]:
        from scratchnet.ops.elementwise import Log

        x, y = self.input_values()
        gx = gz * y * x ** (y - 1) if self.needs_input_grad[0] else None
        gy = gz * self.output_value() * Log()(x) if self.needs_input_grad[1] else None
        return gx, gy


class MatMul(Function):
    """z = x @ y (NumPy's matmul: batched, broadcast, 1-D operands promoted);
    dz/dx = gz @ yᵀ, dz/dy = xᵀ @ gz. A product of two matrices is split by rows over
    scratchnet's threads (``parallel.matmul``)."""

    def forward(self, x: xp.ndarray, y: xp.ndarray) -> xp.ndarray:
        return parallel.matmul(x, y)

    def backward(self, gz: Any) -> tuple[Any, Any]:
        x, y = self.input_values()
        if x.ndim == 1 or y.ndim == 1:
            return self._vector_backward(gz, x, y)
        # Broadcast batch axes are summed away by the engine, like any broadcast gradient.
        gx = gz @ y.mT if self.needs_input_grad[0] else None
        gy = x.mT @ gz if self.needs_input_grad[1] else None
        return gx, gy

    def _vector_backward(self, gz: Any, x: Any, y: Any) -> tuple[Any, Any]:
        """Promote 1-D operands to matrices as the forward did, then undo it on the gradients."""
        x2 = x.reshape(1, -1) if x.ndim == 1 else x
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        batch = xp.broadcast_shapes(x2.shape[:-2], y2.shape[:-2])
        gz2 = gz.reshape(batch + (x2.shape[-2], y2.shape[-1]))
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = gz2 @ y2.mT
            gx = SumTo(x2.shape)(gx).reshape(x.shape) if x.ndim == 1 else gx
        if self.needs_input_grad[1]:
            gy = x2.mT @ gz2
            gy = SumTo(y2.shape)(gy).reshape(y.shape) if y.ndim == 1 else gy
        return gx, gy


def add(x: Any, y: Any) -> Tensor:
    """Elementwise ``x + y`` with broadcasting."""
    return Add()(*binary_operands(x, y))


def sub(x: Any, y: Any) -> Tensor:
    """Elementwise ``x - y`` with broadcasting."""
    return Sub()(*binary_operands(x, y))


def mul(x: Any, y: Any) -> Tensor:
    """Elementwise ``x * y`` with broadcasting."""
    return Mul()(*binary_operands(x, y))


def div(x: Any, y: Any) -> Tensor:
    """Elementwise ``x / y`` with broadcasting (true division: integers give the default float
    dtype, as PyTorch)."""
    x, y = binary_operands(x, y)
    if x.array.dtype.kind != "f":
        x = Tensor.wrap(x.array.astype(backend.DEFAULT_FLOAT))
        y = Tensor.wrap(y.array.astype(backend.DEFAULT_FLOAT))
    return Div()(x, y)


def neg(x: Any) -> Tensor:
    """``-x``."""
    return Neg()(as_tensor(x))


def pow(x: Any, y: Any) -> Tensor:  # noqa: A001 - the operator's name
    """Elementwise ``x ** y`` with broadcasting."""
    return Pow()(*binary_operands(x, y))


def matmul(x: Any, y: Any) -> Tensor:
    """Matrix product ``x @ y`` with NumPy's rules for batched and 1-D operands."""
    x = as_tensor(x)
    return MatMul()(x, as_tensor(y, x))


def rsub(x: Tensor, y: Any) -> Tensor:
    """``y - x`` (for ``number - tensor``)."""
    return sub(y, x)


def rdiv(x: Tensor, y: Any) -> Tensor:
    """``y / x`` (for ``number / tensor``)."""
    return div(y, x)


def rpow(x: Tensor, y: Any) -> Tensor:
    """``y ** x`` (for ``number ** tensor``)."""
    return pow(y, x)


def rmatmul(x: Tensor, y: Any) -> Tensor:
    """``y @ x`` (for ``array @ tensor``)."""
    return matmul(as_tensor(y), x)
