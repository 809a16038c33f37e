"""Reductions: sum, mean, max, min, var, std (NumPy's ``axis``/``keepdims``; PyTorch's
``dim``/``keepdim`` accepted as aliases)."""

from __future__ import annotations

import math
from typing import Any

from scratchnet.autograd.broadcast import BroadcastTo
from scratchnet.autograd.function import Function, constant_like
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.ops.convert import as_float_tensor, as_tensor, axis_argument, normalize_axes


def _keep_reduced_axes(grad: Any, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Any:
    """Reinsert the reduced axes (as size 1) into a gradient, ready to broadcast back."""
    if keepdims:
        return grad
    return grad.reshape(tuple([1 if i in axes else n for i, n in enumerate(shape)]))


class Sum(Function):
    """y = Σ x over ``axes``;  dy/dx = 1, so the gradient is broadcast back."""

    def __init__(self, axes: tuple[int, ...], keepdims: bool) -> None:
        self.axes = axes
        self.keepdims = keepdims

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy: Any) -> Any:
        shape = self.inputs[0].shape
        return BroadcastTo(shape)(_keep_reduced_axes(gy, shape, self.axes, self.keepdims))


class Mean(Sum):
    """y = Σ x / n over ``axes`` (n elements each);  dy/dx = 1/n, broadcast back."""

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.count = math.prod([x.shape[a] for a in self.axes])
        return x.sum(axis=self.axes, keepdims=self.keepdims) / self.count

    def backward(self, gy: Any) -> Any:
        return super().backward(gy / self.count)


class Extreme(Function):
    """y = max (or min) of x over ``axes``; the gradient goes to the extreme elements, split
    evenly between ties (as ``torch.amax``)."""

    def __init__(self, axes: tuple[int, ...], keepdims: bool, reduce: Any) -> None:
        self.axes = axes
        self.keepdims = keepdims
        self.reduce = reduce

    @property
    def name(self) -> str:
        return self.reduce.__name__

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return self.reduce(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy: Any) -> Any:
        x = self.inputs[0].array
        y = _keep_reduced_axes(self.output_array(), x.shape, self.axes, self.keepdims)
        mask = (x == y).astype(gy.dtype)
        mask /= mask.sum(axis=self.axes, keepdims=True)
        return _keep_reduced_axes(gy, x.shape, self.axes, self.keepdims) * constant_like(gy, mask)


def _reduce_axes(x: Tensor, axis: Any, dim: Any) -> tuple[int, ...]:
    return normalize_axes(axis_argument(axis, dim), x.array.ndim)


def sum(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Sum over ``axis`` (all axes by default)."""
    x = as_tensor(x)
    keepdims = keepdims if keepdim is None else keepdim
    return Sum(_reduce_axes(x, axis, dim), keepdims)(x)


def mean(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Arithmetic mean over ``axis`` (all axes by default); integer tensors give the default float."""
    x = as_float_tensor(x)
    return Mean(_reduce_axes(x, axis, dim), keepdims if keepdim is None else keepdim)(x)


def max(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Largest value over ``axis`` (all axes by default)."""
    x = as_tensor(x)
    return Extreme(_reduce_axes(x, axis, dim), keepdims if keepdim is None else keepdim, xp.max)(x)


def min(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Smallest value over ``axis`` (all axes by default)."""
    x = as_tensor(x)
    return Extreme(_reduce_axes(x, axis, dim), keepdims if keepdim is None else keepdim, xp.min)(x)


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """Variance Σ(x - mean)² / (n - ddof) over ``axis``; ``ddof=0`` as NumPy unless given."""
    x = as_tensor(x)
    axes = _reduce_axes(x, axis, dim)
    count = math.prod(x.shape[a] for a in axes)
    centred = x - mean(x, axes, keepdims=True)
    return sum(centred * centred, axes, keepdims if keepdim is None else keepdim) / (count - ddof)


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """Standard deviation √var over ``axis``; ``ddof=0`` as NumPy unless given."""
    from scratchnet.ops.elementwise import sqrt

    return sqrt(var(x, axis, keepdims, ddof, dim=dim, keepdim=keepdim))
