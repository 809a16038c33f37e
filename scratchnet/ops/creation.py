"""Making tensors: from data, filled with constants, ranges and random samples."""

from __future__ import annotations

from typing import Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.devices import resolve_device
from scratchnet.ops.shape import _shape_argument


def _float_dtype(dtype: Any) -> xp.dtype:
    return backend.resolve_dtype(dtype) or backend.DEFAULT_FLOAT


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """A new tensor holding a copy of ``data`` (lists, numbers, arrays or Tensors).

    Python floats become float32; NumPy arrays keep their dtype; integers stay integers.
    """
    resolve_device(device)
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, copy=True)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with it when it is already an array or Tensor of
    ``dtype`` (a copy otherwise)."""
    resolve_device(device)
    return data if isinstance(data, Tensor) and dtype is None else Tensor(data, dtype=dtype)


def from_numpy(array: Any) -> Tensor:
    """A tensor that shares memory with the NumPy ``array`` (writes to either show in both)."""
    if not isinstance(array, xp.ndarray):
        raise TypeError(f"from_numpy expects a NumPy array, got {type(array).__name__}")
    if array.dtype == object or array.dtype.kind in "USVMmc":
        raise TypeError(f"from_numpy: can't convert an array of dtype {array.dtype}; supported are "
                        "float, integer and bool arrays")
    return Tensor.wrap(array)


def constant(value: Any, dtype: Any = None, shape: Any = None) -> Tensor:
    """A tensor that never requires grad (``tf.constant``); a scalar ``value`` is broadcast to
    ``shape``, other values are reshaped to it."""
    result = Tensor(value, dtype=dtype, copy=True)
    if shape is not None:
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        if result.array.size == 1:
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


def _made(array: xp.ndarray, device: Any, requires_grad: bool) -> Tensor:
    """A new tensor around ``array`` on ``device`` (which must be available)."""
    resolve_device(device)
    return Tensor(array, requires_grad=requires_grad)


def _like_dtype(x: Any, dtype: Any) -> xp.dtype:
    return backend.resolve_dtype(dtype) or xp.asarray(x).dtype


def zeros(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise)."""
    return _made(xp.zeros(_shape_argument(shape), dtype=_float_dtype(dtype)), device, requires_grad)


def ones(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 unless ``dtype`` says otherwise)."""
    return _made(xp.ones(_shape_argument(shape), dtype=_float_dtype(dtype)), device, requires_grad)


def empty(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor whose values are to be overwritten (filled with zeros here, never garbage)."""
    return zeros(*shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False, *,
         device: Any = None) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value (float → float32)."""
    value = Tensor(fill_value, dtype=dtype)
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    return _made(xp.full(shape, value.array, dtype=value.dtype), device, requires_grad)


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of ``x``."""
    return _made(xp.zeros(xp.shape(x), dtype=_like_dtype(x, dtype)), device, requires_grad)


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """Ones with the shape (and dtype, unless given) of ``x``."""
    return _made(xp.ones(xp.shape(x), dtype=_like_dtype(x, dtype)), device, requires_grad)


def empty_like(x: Any, dtype: Any = None, requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """A tensor with the shape (and dtype, unless given) of ``x``, to be overwritten (zeros)."""
    return zeros_like(x, dtype, requires_grad, device=device)


def full_like(x: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False, *,
              device: Any = None) -> Tensor:
    """``fill_value`` everywhere, with the shape (and dtype, unless given) of ``x``."""
    return _made(xp.full(xp.shape(x), fill_value, dtype=_like_dtype(x, dtype)), device, requires_grad)


def rand_like(x: Any, dtype: Any = None, requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """Samples of U(0, 1) with the shape (and float dtype, unless given) of ``x``."""
    return rand(xp.shape(x), dtype=_like_dtype(x, dtype), device=device, requires_grad=requires_grad)


def randn_like(x: Any, dtype: Any = None, requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """Samples of N(0, 1) with the shape (and float dtype, unless given) of ``x``."""
    return randn(xp.shape(x), dtype=_like_dtype(x, dtype), device=device, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False, *,
        device: Any = None) -> Tensor:
    """The ``n × m`` identity matrix (square by default)."""
    return _made(xp.eye(n, m, dtype=_float_dtype(dtype)), device, requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """Values from ``start`` (0 if only one bound is given) up to ``stop`` (excluded) by ``step``:
    int64 for integer arguments, float32 otherwise."""
    if stop is None:
        start, stop = 0, start
    integral = all(isinstance(v, (int, xp.integer)) for v in (start, stop, step))
    default = xp.int64 if integral else backend.DEFAULT_FLOAT
    array = xp.arange(start, stop, step, dtype=backend.resolve_dtype(dtype) or default)
    return _made(array, device, requires_grad)


range = arange  # noqa: A001 - TensorFlow's name (tf.range)


def linspace(start: float, stop: float, num: int, dtype: Any = None, requires_grad: bool = False, *,
             device: Any = None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` (both included)."""
    return _made(xp.linspace(start, stop, num, dtype=_float_dtype(dtype)), device, requires_grad)


def rand(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of U(0, 1) from the global generator."""
    array = backend.generator().random(_shape_argument(shape), dtype=xp.float64).astype(_float_dtype(dtype))
    return _made(array, device, requires_grad)


def randn(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of N(0, 1) from the global generator."""
    array = backend.generator().standard_normal(_shape_argument(shape)).astype(_float_dtype(dtype))
    return _made(array, device, requires_grad)


def randint(*bounds_and_size: Any, size: Any = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from [low, high) by the global generator, as
    ``randint(high, size)`` or ``randint(low, high, size)`` (int64 unless ``dtype`` says otherwise)."""
    args = list(bounds_and_size)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if size is None or len(args) not in (1, 2):
        raise TypeError("randint expects (high, size) or (low, high, size), with size a tuple")
    low, high = (0, *args) if len(args) == 1 else args
    if high <= low:
        raise ValueError(f"randint: low ({low}) must be below high ({high})")
    array = backend.generator().integers(low, high, tuple(size), dtype=xp.int64)
    return _made(array.astype(backend.resolve_dtype(dtype) or xp.int64, copy=False), device, requires_grad)


def randperm(n: int, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` from the global generator (int64 unless ``dtype`` says
    otherwise)."""
    array = backend.generator().permutation(n).astype(backend.resolve_dtype(dtype) or xp.int64, copy=False)
    return _made(array, device, requires_grad)
