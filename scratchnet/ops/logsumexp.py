"""``logsumexp``: log Σ exp(x) over axes without overflow."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.ops.convert import as_float_tensor, axis_argument, normalize_axes
from scratchnet.ops.elementwise import exp, log
from scratchnet.ops.reduction import sum as reduce_sum


def logsumexp(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """log Σ_dim exp(x) = m + log Σ_dim exp(x − m) with m = max_dim x (taken as 0 where it is
    infinite, so that all −∞ gives −∞), as ``torch.logsumexp``; its gradient is softmax(x) over
    ``dim``. ``dim`` is an int or a tuple of ints (all axes when None)."""
    x = as_float_tensor(input)
    axes = normalize_axes(axis_argument(axis, dim), x.ndim)
    shift = xp.max(x.array, axis=axes, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
    shift = Tensor.wrap(xp.where(xp.isfinite(shift), shift, 0).astype(x.dtype))
    total = log(reduce_sum(exp(x - shift), axis=axes, keepdims=True)) + shift
    return total if keepdim else total.squeeze(axes)
