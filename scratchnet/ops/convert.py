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
    if isinstance(value, (bool, int, float)) and like is not None:
        dtype = like.array.dtype
        if isinstance(value, float) and dtype.kind != "f":
            dtype = backend.DEFAULT_FLOAT
        elif isinstance(value, bool) and dtype.kind == "b":
            dtype = xp.dtype(bool)
        return Tensor.wrap(xp.asarray(value, dtype=dtype))
    return Tensor(value)


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
    result = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        result.append(a % max(ndim, 1))
    return tuple(result)
