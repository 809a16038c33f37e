"""``Upsample``: resize images by nearest-neighbour or bilinear interpolation."""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.nn.module import Module


class Upsample(Module):
    """y = interpolate(x, size, scale_factor, mode, align_corners) over ``(N, C, H, W)``, as
    ``torch.nn.Upsample`` (``F.interpolate`` says how each mode weighs the input pixels)."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        if mode not in F.interpolate_modes:
            raise ValueError(f"Upsample: mode must be one of {F.interpolate_modes}, got {mode!r}")
        if (size is None) == (scale_factor is None):
            raise ValueError("Upsample: give exactly one of size and scale_factor")
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, x: Any) -> Tensor:
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self) -> str:
        text = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        text += f", mode='{self.mode}'"
        return text + (f", align_corners={self.align_corners}" if self.align_corners is not None else "")
