"""Ops without a gradient: comparisons, argmax and argmin, all and any.

Their outputs never require grad; they remember which op made them, so that asking for a
gradient through them explains why there is none.
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.config import Config
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.ops.convert import as_tensor, axis_argument


def non_differentiable(name: str, source: Tensor, array: xp.ndarray) -> Tensor:
    """Wrap the result of a non-differentiable op on ``source``."""
    result = Tensor.wrap(array)
    if Config.grad_enabled and (source._requires_grad or source.non_differentiable_origin):
        result.non_differentiable_origin = source.non_differentiable_origin or name
    return result


def _compare(name: str, compare: Any, x: Any, y: Any) -> Tensor:
    x = as_tensor(x, y if isinstance(y, Tensor) else None)
    other = as_tensor(y, x)
    try:
        array = compare(x.array, other.array)
    except ValueError:
        raise ValueError(f"{name}: incompatible shapes {x.shape} and {other.shape}") from None
    source = x if x._requires_grad or x.non_differentiable_origin else other
    return non_differentiable(name, source, array)


def equal(x: Any, y: Any) -> Tensor:
    """Elementwise ``x == y`` (bool, no gradient)."""
    return _compare("equal", xp.equal, x, y)


def not_equal(x: Any, y: Any) -> Tensor:
    """Elementwise ``x != y`` (bool, no gradient)."""
    return _compare("not_equal", xp.not_equal, x, y)


def less(x: Any, y: Any) -> Tensor:
    """Elementwise ``x < y`` (bool, no gradient)."""
    return _compare("less", xp.less, x, y)


def less_equal(x: Any, y: Any) -> Tensor:
    """Elementwise ``x <= y`` (bool, no gradient)."""
    return _compare("less_equal", xp.less_equal, x, y)


def greater(x: Any, y: Any) -> Tensor:
    """Elementwise ``x > y`` (bool, no gradient)."""
    return _compare("greater", xp.greater, x, y)


def greater_equal(x: Any, y: Any) -> Tensor:
    """Elementwise ``x >= y`` (bool, no gradient)."""
    return _compare("greater_equal", xp.greater_equal, x, y)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
           keepdim: bool | None = None) -> Tensor:
    """Index of the largest value (over the flattened tensor when no axis is given)."""
    x = as_tensor(x)
    array = xp.argmax(x.array, axis=axis_argument(axis, dim),
                      keepdims=keepdims if keepdim is None else keepdim)
    return non_differentiable("argmax", x, xp.asarray(array, dtype=xp.int64))


def argmin(x: Any, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
           keepdim: bool | None = None) -> Tensor:
    """Index of the smallest value (over the flattened tensor when no axis is given)."""
    x = as_tensor(x)
    array = xp.argmin(x.array, axis=axis_argument(axis, dim),
                      keepdims=keepdims if keepdim is None else keepdim)
    return non_differentiable("argmin", x, xp.asarray(array, dtype=xp.int64))


def all(x: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A001 - PyTorch's name
    """Whether every element is nonzero (over axis ``dim``, or all of them): a bool tensor."""
    x = as_tensor(x)
    return non_differentiable("all", x, xp.asarray(xp.all(x.array, axis=dim, keepdims=keepdim)))


def any(x: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A001 - PyTorch's name
    """Whether some element is nonzero (over axis ``dim``, or all of them): a bool tensor."""
    x = as_tensor(x)
    return non_differentiable("any", x, xp.asarray(xp.any(x.array, axis=dim, keepdims=keepdim)))
