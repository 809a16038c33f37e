"""Activation functions: the ReLU family, GELU, softmax and log-softmax (log-sum-exp stable).

``relu``, ``sigmoid`` and ``tanh`` are the core ops, re-exported. The others are fused Functions
that keep only what their backward needs. ``softmax_array`` and ``log_softmax_array`` work on raw
arrays, for the losses and other front ends.
"""

from __future__ import annotations

import math
from typing import Any

from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.layout import against_zeros, row_wise
from scratchnet.ops.convert import as_tensor
from scratchnet.ops.elementwise import relu, sigmoid, tanh

__all__ = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "softmax", "log_softmax",
           "softmax_array", "log_softmax_array", "erf_array"]


def softmax_array(x: xp.ndarray, axis: int = -1) -> xp.ndarray:
    """softmax(x)ᵢ = exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x) along ``axis`` (never overflows); rows of
    a 2-D array split over the threads."""
    return row_wise(_softmax, x, axis)


def _softmax(x: xp.ndarray, axis: int) -> xp.ndarray:
    e = x - x.max(axis=axis, keepdims=True)
    xp.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax_array(x: xp.ndarray, axis: int = -1) -> xp.ndarray:
    """log softmax(x)ᵢ = xᵢ − m − log Σⱼ exp(xⱼ − m) with m = max x (log-sum-exp); rows of a 2-D
    array split over the threads."""
    return row_wise(_log_softmax, x, axis)


def _log_softmax(x: xp.ndarray, axis: int) -> xp.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    shifted -= xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


_ERFC_COEFFICIENTS = (0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806,
                      0.09678418, 0.37409196, 1.00002368, -1.26551223)


def erf_array(x: xp.ndarray) -> xp.ndarray:
    """The error function, from Numerical Recipes' Chebyshev fit of erfc (relative error below
    1.2e-7): erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2), z = |x|; erf = sign(x)·(1 − erfc(|x|))."""
    z = xp.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = xp.full_like(t, _ERFC_COEFFICIENTS[0])
    for coefficient in _ERFC_COEFFICIENTS[1:]:
        poly *= t
        poly += coefficient
    erfc = t * xp.exp(poly - z * z)
    return xp.sign(x) * (1.0 - erfc)


def _one_where(mask: xp.ndarray, otherwise: Any, dtype: xp.dtype) -> xp.ndarray:
    """1 where ``mask``, else ``otherwise`` (finite where ``mask``): m + (1 − m)·otherwise for the
    mask m in 0s and 1s, which is exact. ``np.where`` would take a branch per element, about 30
    times slower than a multiply on a mask of mixed signs."""
    ones = mask.astype(dtype)
    factor = 1 - ones
    factor *= otherwise
    factor += ones
    return factor


class LeakyReLU(ArrayFunction):
    """y = x for x > 0, else slope·x;  dy/dx = 1 or slope. Computed as
    max(x, 0) + slope·fmin(x, 0), exact (one of the terms is 0) and NaN kept."""

    def __init__(self, negative_slope: float) -> None:
        self.negative_slope = negative_slope

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.positive = x > 0
        y = against_zeros(xp.fmin, x)
        y *= x.dtype.type(self.negative_slope)
        y += against_zeros(xp.maximum, x)
        return y

    def backward_arrays(self, gy: xp.ndarray) -> xp.ndarray:
        return gy * _one_where(self.positive, gy.dtype.type(self.negative_slope), gy.dtype)


class ELU(ArrayFunction):
    """y = x for x > 0, else α(eˣ − 1);  dy/dx = y + α for x ≤ 0, else 1 (at NaN too, as PyTorch).
    Computed as max(x, 0) + α·(e^fmin(x, 0) − 1), whose second term is 0 for x > 0 and at NaN."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.slope_one = ~(x <= 0)
        self.negative_part = x.dtype.type(self.alpha) * xp.expm1(against_zeros(xp.fmin, x))
        return self.negative_part + against_zeros(xp.maximum, x)

    def backward_arrays(self, gy: xp.ndarray) -> xp.ndarray:
        return gy * _one_where(self.slope_one, self.negative_part + gy.dtype.type(self.alpha), gy.dtype)


class GELU(ArrayFunction):
    """y = x·Φ(x) with Φ the standard normal CDF ('none'), or
    y = x/2·(1 + tanh(√(2/π)(x + 0.044715x³))) ('tanh'); backward is the exact derivative."""

    def __init__(self, approximate: str) -> None:
        self.approximate = approximate

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        half = x.dtype.type(0.5)
        if self.approximate == "tanh":
            k = x.dtype.type(math.sqrt(2 / math.pi))
            inner = k * (x + x.dtype.type(0.044715) * x ** 3)
            th = xp.tanh(inner)
            d_inner = k * (1 + x.dtype.type(3 * 0.044715) * x * x)
            self.slope = half * (1 + th) + half * x * (1 - th * th) * d_inner
            return half * x * (1 + th)
        cdf = half * (1 + erf_array(x * x.dtype.type(1 / math.sqrt(2))))
        pdf = xp.exp(-half * x * x) * x.dtype.type(1 / math.sqrt(2 * math.pi))
        self.slope = (cdf + x * pdf).astype(x.dtype, copy=False)
        return (x * cdf).astype(x.dtype, copy=False)

    def backward_arrays(self, gy: xp.ndarray) -> xp.ndarray:
        return gy * self.slope


class Softmax(ArrayFunction):
    """y = softmax(x) along ``axis``;  gx = y·(gy − Σ gy·y)."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.y = softmax_array(x, self.axis)
        return self.y

    def backward_arrays(self, gy: xp.ndarray) -> xp.ndarray:
        gx = gy * self.y
        gx -= self.y * gx.sum(axis=self.axis, keepdims=True)
        return gx


class LogSoftmax(ArrayFunction):
    """y = log softmax(x) along ``axis``;  gx = gy − softmax(x)·Σ gy."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        self.y = log_softmax_array(x, self.axis)
        return self.y

    def backward_arrays(self, gy: xp.ndarray) -> xp.ndarray:
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """max(x, 0) + negative_slope·min(x, 0), as ``torch.nn.functional.leaky_relu``."""
    return LeakyReLU(negative_slope)(as_tensor(input))


def elu(input: Any, alpha: float = 1.0) -> Tensor:
    """x for x > 0, else α(eˣ − 1), as ``torch.nn.functional.elu``."""
    return ELU(alpha)(as_tensor(input))


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x·Φ(x) (``approximate='none'``) or its tanh approximation (``'tanh'``), as
    ``torch.nn.functional.gelu``."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU(approximate)(as_tensor(input))


def _dim(x: Tensor, dim: int | None) -> int:
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    if not -max(x.ndim, 1) <= dim < max(x.ndim, 1):
        raise ValueError(f"dim {dim} is out of range for a tensor of shape {x.shape}")
    return dim


def softmax(input: Any, dim: int | None = -1) -> Tensor:
    """exp(xᵢ) / Σⱼ exp(xⱼ) along ``dim``, computed stably, as ``torch.nn.functional.softmax``
    (whose ``dim`` has no default; -1 here)."""
    x = as_tensor(input)
    return Softmax(_dim(x, dim))(x)


def log_softmax(input: Any, dim: int | None = -1) -> Tensor:
    """xᵢ − log Σⱼ exp(xⱼ) along ``dim`` (log-sum-exp), as ``torch.nn.functional.log_softmax``."""
    x = as_tensor(input)
    return LogSoftmax(_dim(x, dim))(x)
