"""Turning the arguments of an op (Tensors, arrays, Python numbers) into Tensors."""

from __future__ import annotations

from typing import Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp


def as_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """``value`` as a Tensor; a Python number takes the dtype of ``like``.

    This keeps ``float32_tensor * 2.0`` in float32 (a 0-d float64 array would promote it), and an
    integer tensor times a float gives the default float dtype, as PyTorch does.
    """
    if isinstance(value, Tensor):
        return value
    if like is not None and isinstance(value, (bool, int, float)):
        return Tensor.wrap(xp.asarray(value, dtype=_scalar_dtype(value, like.array.dtype)))
    return Tensor(value)


def _scalar_dtype(value: bool | int | float, dtype: xp.dtype) -> xp.dtype:
    """The dtype a Python number takes next to a tensor of ``dtype`` (PyTorch's promotion)."""
    if isinstance(value, float) and dtype.kind != "f":
        return backend.DEFAULT_FLOAT
    if not isinstance(value, bool) and dtype.kind == "b":
        return xp.dtype(xp.int64)
    return dtype


def binary_operands(x: Any, y: Any) -> tuple[Tensor, Tensor]:
    """Both operands of a binary op as Tensors, promoted as PyTorch does: Python numbers take the
    tensor's dtype, and an integer or bool tensor meets a float tensor in the float's dtype
    (NumPy would turn ``int64 + float32`` into float64)."""
    if isinstance(x, Tensor) and isinstance(y, Tensor) and x.array.dtype is y.array.dtype:
        return x, y  # the common case, kept cheap
    if isinstance(x, Tensor):
        y = as_tensor(y, x)
    else:
        x = as_tensor(x, y if isinstance(y, Tensor) else None)
        y = as_tensor(y, x)
    x_kind, y_kind = x.array.dtype.kind, y.array.dtype.kind
    if x_kind != y_kind:
        if x_kind == "f" and y_kind in "biu":
            y = Tensor.wrap(y.array.astype(x.array.dtype))
        elif y_kind == "f" and x_kind in "biu":
            x = Tensor.wrap(x.array.astype(y.array.dtype))
    return x, y


def as_float_tensor(value: Any) -> Tensor:
    """``value`` as a floating-point Tensor: integer and bool data become the default float dtype
    (as ``torch.exp`` of an integer tensor gives float32)."""
    if isinstance(value, Tensor) and value.array.dtype.kind == "f":
        return value  # the common case, kept cheap
    x = as_tensor(value)
    if x.array.dtype.kind != "f":
        return Tensor.wrap(x.array.astype(backend.DEFAULT_FLOAT))
    return x


def axis_argument(axis: Any, dim: Any) -> Any:
    """Accept NumPy's ``axis`` or PyTorch's ``dim`` (not both); tuples and lists become tuples."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give either axis= or dim=, not both")
        axis = dim
    return tuple(axis) if isinstance(axis, list) else axis


def normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """The axes an ``axis`` argument names, as non-negative ints (all axes for ``None``)."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    size = ndim or 1  # a 0-d tensor accepts axis 0 and -1, as NumPy
    for a in axes:
        if not -size <= a < size:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple([a % size for a in axes])
