"""Inverted dropout: kept units are scaled by 1/(1 − p) in training, the identity in evaluation."""

from __future__ import annotations

from typing import Any

from scratchnet import backend
from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.layout import elementwise
from scratchnet.ops.convert import as_tensor


class Dropout(ArrayFunction):
    """y = x · m / (1 − p) with m ~ Bernoulli(1 − p) drawn from the global generator;
    gx = gy · m / (1 − p). ``mask_shape`` broadcasts against x (whole channels for dropout2d).
    The draws are made in order on one thread (the same stream at any thread count); the passes
    over them and the products run on memory rows over the threads."""

    def __init__(self, p: float, mask_shape: tuple[int, ...]) -> None:
        self.p = p
        self.mask_shape = mask_shape

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        dtype = x.dtype if x.dtype.kind == "f" else backend.DEFAULT_FLOAT
        draws = backend.generator().random(self.mask_shape, dtype=dtype)
        scale = dtype.type(0.0 if self.p == 1 else 1.0 / (1.0 - self.p))

        def scaled_keep(draw: xp.ndarray, out: xp.ndarray | None) -> xp.ndarray:  # 1/(1 − p) where kept
            return xp.multiply(draw >= self.p, scale, dtype=dtype, out=out)
        self.mask = elementwise(scaled_keep, draws)
        return self._times_mask(x)

    def backward_arrays(self, gy: xp.ndarray) -> xp.ndarray:
        return self._times_mask(gy)

    def _times_mask(self, a: xp.ndarray) -> xp.ndarray:
        """a · mask (the mask broadcast for dropout2d)."""
        if a.shape != self.mask.shape:
            return a * self.mask
        return elementwise(_multiply, a, self.mask, dtype=xp.result_type(a, self.mask))


def _multiply(a: xp.ndarray, b: xp.ndarray, out: xp.ndarray | None) -> xp.ndarray:
    return xp.multiply(a, b, out=out)


def _check_probability(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1 − p) (inverted
    dropout) when ``training``; the input itself otherwise. As ``torch.nn.functional.dropout``."""
    _check_probability(p)
    x = as_tensor(input)
    if not training or p == 0:
        return x
    return Dropout(p, x.shape)(x)


def dropout2d(input: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero whole channels (axis 1 of ``(N, C, H, W)``) with probability ``p``, scaling the rest by
    1/(1 − p), as ``torch.nn.functional.dropout2d``; the identity when not ``training``."""
    _check_probability(p)
    x = as_tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d expects an (N, C, H, W) or (C, H, W) input, got shape {x.shape}")
    if not training or p == 0:
        return x
    mask_shape = x.shape[:-2] + (1, 1)
    return Dropout(p, mask_shape)(x)
