"""Making tensors: from data, filled with constants, ranges and random samples."""

from __future__ import annotations

from typing import Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.ops.shape import _shape_argument


def _float_dtype(dtype: Any) -> xp.dtype:
    return backend.resolve_dtype(dtype) or backend.DEFAULT_FLOAT


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (lists, numbers, arrays or Tensors).

    Python floats become float32; NumPy arrays keep their dtype; integers stay integers.
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, copy=True)


def constant(value: Any, dtype: Any = None, shape: Any = None) -> Tensor:
    """A tensor that never requires grad (``tf.constant``); a scalar ``value`` is broadcast to
    ``shape``, other values are reshaped to it."""
    result = Tensor(value, dtype=dtype, copy=True)
    if shape is not None:
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        if result.size == 1:
            result.array = xp.full(shape, result.array.reshape(()), dtype=result.dtype)
        else:
            result.array = result.array.reshape(shape)
    return result


class Variable(Tensor):
    """A named tensor that holds state, TensorFlow-style: ``trainable`` variables require grad
    and are watched automatically by ``GradientTape``."""

    __slots__ = ("trainable",)

    def __init__(self, initial_value: Any, dtype: Any = None, name: str | None = None,
                 trainable: bool = True) -> None:
        super().__init__(initial_value, dtype=dtype, copy=True, name=name)
        self.trainable = trainable
        self.requires_grad = trainable and backend.is_floating(self.dtype)

    def assign(self, value: Any) -> Variable:
        """Overwrite the values in place (shape kept)."""
        self.array[...] = xp.asarray(value)
        return self

    def assign_add(self, delta: Any) -> Variable:
        """Add ``delta`` in place."""
        self.array += xp.asarray(delta, dtype=self.dtype)
        return self

    def assign_sub(self, delta: Any) -> Variable:
        """Subtract ``delta`` in place."""
        self.array -= xp.asarray(delta, dtype=self.dtype)
        return self


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise)."""
    return Tensor(xp.zeros(_shape_argument(shape), dtype=_float_dtype(dtype)), requires_grad=requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 unless ``dtype`` says otherwise)."""
    return Tensor(xp.ones(_shape_argument(shape), dtype=_float_dtype(dtype)), requires_grad=requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value (float → float32)."""
    value = Tensor(fill_value, dtype=dtype)
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    return Tensor(xp.full(shape, value.array, dtype=value.dtype), requires_grad=requires_grad)


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of ``x``."""
    array = xp.asarray(x)
    return Tensor(xp.zeros(array.shape, dtype=dtype or array.dtype), requires_grad=requires_grad)


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype, unless given) of ``x``."""
    array = xp.asarray(x)
    return Tensor(xp.ones(array.shape, dtype=dtype or array.dtype), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The ``n × m`` identity matrix (square by default)."""
    return Tensor(xp.eye(n, m, dtype=_float_dtype(dtype)), requires_grad=requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` (0 if only one bound is given) up to ``stop`` (excluded) by ``step``:
    int64 for integer arguments, float32 otherwise."""
    if stop is None:
        start, stop = 0, start
    integral = all(isinstance(v, (int, xp.integer)) for v in (start, stop, step))
    default = xp.int64 if integral else backend.DEFAULT_FLOAT
    array = xp.arange(start, stop, step, dtype=backend.resolve_dtype(dtype) or default)
    return Tensor(array, requires_grad=requires_grad)


range = arange  # noqa: A001 - TensorFlow's name (tf.range)


def linspace(start: float, stop: float, num: int, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` (both included)."""
    return Tensor(xp.linspace(start, stop, num, dtype=_float_dtype(dtype)), requires_grad=requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of U(0, 1) from the global generator."""
    array = backend.generator().random(_shape_argument(shape), dtype=xp.float64).astype(_float_dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of N(0, 1) from the global generator."""
    array = backend.generator().standard_normal(_shape_argument(shape)).astype(_float_dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)
