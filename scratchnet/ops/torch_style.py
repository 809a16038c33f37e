"""PyTorch's signatures over the ops: ``alpha=`` and ``out=`` in the arithmetic functions, the
comparison and shape methods named as in PyTorch (``eq``, ``view_as``, ``t``), ``clone``,
``type`` and ``to`` (dtype and device conversion).
"""

from __future__ import annotations

from typing import Any

from scratchnet import backend
from scratchnet.autograd.config import Config
from scratchnet.autograd.function import Function
from scratchnet.autograd.tensor import Tensor
from scratchnet.autograd.version import mark_modified
from scratchnet.backend import xp
from scratchnet.devices import parse_to
from scratchnet.ops import arithmetic, shape
from scratchnet.ops.convert import as_tensor

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}


class Clone(Function):
    """y = a copy of x; dy/dx = 1."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return x.copy()

    def backward(self, gy: Any) -> Any:
        return gy


def clone(x: Any) -> Tensor:
    """A copy of ``x`` in new memory that stays in the graph (gradients flow back to ``x``)."""
    return Clone()(as_tensor(x))


def _write_out(result: Tensor, out: Tensor | None) -> Tensor:
    """``result``, or its values written into ``out`` (resized to the result's shape if needed)
    when ``out=`` was given, as PyTorch's ``out=`` arguments do."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"out= must be a Tensor, got {type(out).__name__}")
    if Config.grad_enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError("functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad")
    if not xp.can_cast(result.dtype, out.dtype, "same_kind"):
        raise RuntimeError(f"out=: result type {result.dtype} can't be cast to the desired output "
                           f"type {out.dtype}")
    if out.shape != result.shape:
        out.array = xp.empty(result.shape, dtype=out.dtype)
    out.array[...] = result.array
    mark_modified(out)
    return out


def _scaled(other: Any, alpha: float) -> Any:
    return other if alpha == 1 else other * alpha


def add(input: Any, other: Any, *, alpha: float = 1, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """input + alpha·other, elementwise with broadcasting (``out=`` receives the result)."""
    return _write_out(arithmetic.add(input, _scaled(other, alpha)), out)


def sub(input: Any, other: Any, *, alpha: float = 1, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """input − alpha·other, elementwise with broadcasting."""
    return _write_out(arithmetic.sub(input, _scaled(other, alpha)), out)


def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """input·other, elementwise with broadcasting."""
    return _write_out(arithmetic.mul(input, other), out)


def div(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """input / other, elementwise true division with broadcasting."""
    return _write_out(arithmetic.div(input, other), out)


def pow(input: Any, exponent: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A001,A002
    """input ** exponent, elementwise with broadcasting."""
    return _write_out(arithmetic.pow(input, exponent), out)


def matmul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """The matrix product ``input @ other`` (NumPy's rules for batched and 1-D operands)."""
    return _write_out(arithmetic.matmul(input, other), out)


def view_as(x: Tensor, other: Tensor) -> Tensor:
    """``x`` reshaped to the shape of ``other``."""
    return shape.reshape(x, tuple(other.shape))


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    """``x`` broadcast to the shape of ``other``."""
    return shape.expand(x, tuple(other.shape))


def t(x: Tensor) -> Tensor:
    """The transpose of a matrix; a tensor of 0 or 1 dimensions is returned as it is."""
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return x if x.ndim < 2 else shape.transpose(x)


def type_(x: Tensor, dtype: Any = None) -> Any:
    """With no argument, the tensor's type name (``scratchnet.FloatTensor``); with a dtype (or such
    a name), ``x`` converted to it."""
    if dtype is None:
        return f"scratchnet.{_TYPE_NAMES.get(x.dtype.name, x.dtype.name)}"
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        dtype = _dtype_of_type_name(dtype)
    return shape.astype(x, backend.resolve_dtype(dtype))


def _dtype_of_type_name(name: str) -> str:
    short = name.rpartition(".")[2]
    for dtype, type_name in _TYPE_NAMES.items():
        if type_name == short:
            return dtype
    raise ValueError(f"invalid type: '{name}'")


def to(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``x`` on a device and/or in a dtype (PyTorch's ``Tensor.to``): ``x`` itself when nothing
    changes and ``copy`` is false; a cast stays in the graph. Only the CPU is available."""
    _, dtype, copy = parse_to(args, kwargs)
    result = x if dtype is None else shape.astype(x, dtype)
    return clone(result) if copy and result is x else result
