"""Resizing images, as ``torch.nn.functional.interpolate``: 'nearest' and 'bilinear' on the last two
axes of ``(N, C, H, W)``. Each axis is resized by an interpolation matrix ``A (out, in)`` whose row
holds the weights of the input pixels an output pixel reads, so y = A_H · x · A_Wᵀ: two GEMMs,
no loop over pixels, and the gradient is the transposed products (autograd's matmul)."""

from __future__ import annotations

import math
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.ops.convert import as_tensor

MODES = ("nearest", "bilinear")


def _source_scale(size: int, out: int, scale_factor: float | None, align_corners: bool) -> float:
    """in/out per output pixel: (in − 1)/(out − 1) with ``align_corners``, 1/scale_factor when one
    was given (torch's default ``recompute_scale_factor=None``), else in/out."""
    if align_corners:
        return (size - 1) / (out - 1) if out > 1 else 0.0
    return 1.0 / scale_factor if scale_factor is not None else size / out


def interpolation_matrix(size: int, out: int, mode: str, scale_factor: float | None = None,
                         align_corners: bool = False, dtype: Any = xp.float32) -> xp.ndarray:
    """``A (out, in)`` with y = A·x along one axis. nearest: A[j, min(⌊j·scale⌋, in − 1)] = 1;
    bilinear: source s = scale·(j + ½) − ½ clamped at 0 (s = j·scale with ``align_corners``),
    A[j, ⌊s⌋] = 1 − (s − ⌊s⌋) and A[j, min(⌊s⌋ + 1, in − 1)] += s − ⌊s⌋, as PyTorch."""
    scale = _source_scale(size, out, scale_factor, align_corners and mode == "bilinear")
    rows = xp.arange(out)
    matrix = xp.zeros((out, size), dtype=dtype)
    if mode == "nearest":
        columns = xp.floor(rows.astype(xp.float32) * xp.float32(scale)).astype(int)
        matrix[rows, xp.minimum(columns, size - 1)] = 1
        return matrix
    source = rows * scale if align_corners else xp.maximum(scale * (rows + 0.5) - 0.5, 0.0)
    low = xp.minimum(xp.floor(source).astype(int), size - 1)
    weight = source - low
    xp.add.at(matrix, (rows, low), 1 - weight)
    xp.add.at(matrix, (rows, xp.minimum(low + 1, size - 1)), weight)
    return matrix


def _output_size(shape: tuple[int, ...], size: Any, scale_factor: Any) -> tuple[tuple[int, int], list[Any]]:
    """(out H, out W) and the per-axis scale factors (None where ``size`` was given)."""
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        sizes = (size, size) if isinstance(size, int) else tuple(size)
        if len(sizes) != 2 or not all(isinstance(s, int) and s > 0 for s in sizes):
            raise ValueError(f"interpolate: size must be a positive int or a pair of them, got {size!r}")
        return sizes, [None, None]
    factors = [scale_factor] * 2 if isinstance(scale_factor, (int, float)) else list(scale_factor)
    if len(factors) != 2 or not all(isinstance(f, (int, float)) and f > 0 for f in factors):
        raise ValueError(f"interpolate: scale_factor must be a positive number or a pair, "
                         f"got {scale_factor!r}")
    sizes = tuple(int(math.floor(n * float(f))) for n, f in zip(shape[2:], factors))
    if min(sizes) <= 0:
        raise ValueError(f"interpolate: scale_factor {scale_factor} leaves an empty output for shape {shape}")
    return sizes, [float(f) for f in factors]


def interpolate(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> Tensor:
    """``input (N, C, H, W)`` resized to ``size`` or by ``scale_factor`` (output ⌊H·factor⌋), as
    ``torch.nn.functional.interpolate``: y = A_H · x · A_Wᵀ with ``interpolation_matrix``.
    ``align_corners`` (bilinear only) maps the corner pixels' centres onto each other;
    ``recompute_scale_factor=True`` uses in/out rather than 1/scale_factor for the source position."""
    x = as_tensor(input)
    if mode not in MODES:
        raise ValueError(f"interpolate: mode must be one of {MODES}, got {mode!r}")
    if x.ndim != 4:
        raise ValueError(f"interpolate: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    if align_corners is not None and mode == "nearest":
        raise ValueError("interpolate: align_corners can only be set with mode='bilinear'")
    sizes, factors = _output_size(x.shape, size, scale_factor)
    if recompute_scale_factor:
        factors = [None, None]
    rows, columns = (interpolation_matrix(n, out, mode, factor, bool(align_corners), x.dtype)
                     for n, out, factor in zip(x.shape[2:], sizes, factors))
    return Tensor.wrap(rows) @ x @ Tensor.wrap(xp.ascontiguousarray(columns.T))
