"""Image transforms in the style of ``torchvision.transforms``, vectorised with NumPy.

Images are arrays (or Tensors) whose last two axes are height and width: ``(H, W)``, ``(C, H, W)``
or a batch ``(N, C, H, W)``. A 4-D input is a batch: random transforms draw one set of parameters
per sample (vectorised), otherwise one for the whole image, as torchvision does for ``(..., H, W)``.
The output is a Tensor when the input was a Tensor, else an array.
Randomness comes from ``backend.generator()``, so ``sn.manual_seed`` reproduces the augmentation.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp


def _apply(image: Any, fn: Callable[[xp.ndarray], xp.ndarray]) -> Any:
    """Run ``fn`` on the array of ``image`` and return the result in the kind of ``image``."""
    if isinstance(image, Tensor):
        return Tensor.wrap(fn(image.array))
    return fn(xp.asarray(image))


def _as_batch(array: xp.ndarray) -> tuple[xp.ndarray, Callable[[xp.ndarray], xp.ndarray]]:
    """``array`` as ``(N, C, H, W)`` (one sample unless 4-D) and the function that undoes the reshape."""
    if array.ndim < 2:
        raise ValueError(f"an image needs at least 2 dimensions (H, W), got shape {array.shape}")
    if array.ndim == 4:
        return array, lambda out: out
    lead = array.shape[:-2]
    batch = array.reshape((1, -1) + array.shape[-2:])
    return batch, lambda out: out.reshape(lead + out.shape[-2:])


def _pair(size: int | Sequence[int], what: str) -> tuple[int, int]:
    """An ``(h, w)`` pair from an int or a 1- or 2-sequence, as torchvision."""
    if isinstance(size, numbers.Integral):
        pair = (int(size), int(size))
    elif len(size) == 1:
        pair = (int(size[0]), int(size[0]))
    elif len(size) == 2:
        pair = (int(size[0]), int(size[1]))
    else:
        raise ValueError(f"{what} must be an int or a (height, width) pair, got {size!r}")
    if min(pair) < 1:
        raise ValueError(f"{what} must be positive, got {size!r}")
    return pair


def _padding(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) from an int, a (left/right, top/bottom) pair or 4 values (torchvision)."""
    if isinstance(padding, numbers.Integral):
        values = (int(padding),) * 4
    elif len(padding) == 2:
        values = (int(padding[0]), int(padding[1])) * 2
    elif len(padding) == 4:
        values = tuple(int(p) for p in padding)
    else:
        raise ValueError(f"padding must be an int or a sequence of 2 or 4 ints, got {padding!r}")
    if min(values) < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return values


def _pad(array: xp.ndarray, left: int, top: int, right: int, bottom: int, fill: float) -> xp.ndarray:
    """Pad the last two axes with the constant ``fill`` (one allocation and one copy)."""
    height, width = array.shape[-2:]
    out = xp.full(array.shape[:-2] + (top + height + bottom, left + width + right), fill, dtype=array.dtype)
    out[..., top:top + height, left:left + width] = array
    return out


def _random_offsets(count: int, top_range: int, left_range: int) -> xp.ndarray:
    """``count`` uniform pairs ``(top, left)`` with ``top < top_range`` and ``left < left_range``."""
    return (backend.generator().random((count, 2)) * (top_range, left_range)).astype(xp.intp)


def _crop_windows(batch: xp.ndarray, tops: xp.ndarray, lefts: xp.ndarray, h: int, w: int) -> xp.ndarray:
    """Crop ``(N, C, H, W)`` at a per-sample ``(top, left)`` to ``(N, C, h, w)`` in one gather."""
    rows = tops[:, None] + xp.arange(h)  # (N, h)
    cols = lefts[:, None] + xp.arange(w)  # (N, w)
    samples = xp.arange(len(batch))[:, None, None]
    return batch[samples, :, rows[:, :, None], cols[:, None, :]].transpose(0, 3, 1, 2)


class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, image: Any) -> Any:
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self) -> str:
        inner = "".join(f"\n    {transform!r}" for transform in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class Lambda:
    """Apply a user function ``fn`` as a transform."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        if not callable(fn):
            raise TypeError(f"Lambda expects a callable, got {type(fn).__name__}")
        self.fn = fn

    def __call__(self, image: Any) -> Any:
        return self.fn(image)


class ToTensor:
    """Image(s) to a float32 Tensor ``C×H×W`` (batch ``N×C×H×W``); uint8 is scaled by 1/255 to [0, 1].

    Layouts, as torchvision's ``ToTensor`` for arrays: ``H×W`` → ``1×H×W``; ``H×W×C`` (``C`` in 1, 3,
    4) → ``C×H×W``; a batch ``N×H×W`` (last axis not 1, 3 or 4) → ``N×1×H×W``; ``N×H×W×C`` →
    ``N×C×H×W``. Other dtypes are cast to float32 without scaling (as torchvision).
    """

    def __call__(self, image: Any) -> Tensor:
        array = image.array if isinstance(image, Tensor) else xp.asarray(image)
        if array.ndim == 2:
            array = array[None]
        elif array.ndim == 3:
            array = array.transpose(2, 0, 1) if array.shape[-1] in (1, 3, 4) else array[:, None]
        elif array.ndim == 4:
            array = array.transpose(0, 3, 1, 2)
        else:
            raise ValueError(f"ToTensor expects H×W, H×W×C, N×H×W or N×H×W×C images, got shape {array.shape}")
        scaled = array.astype(xp.float32) / xp.float32(255.0) if array.dtype == xp.uint8 else array
        return Tensor.wrap(xp.ascontiguousarray(scaled, dtype=xp.float32))


class Normalize:
    """Per-channel standardisation ``(x - mean[c]) / std[c]`` on ``(..., C, H, W)`` (torchvision)."""

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean = xp.asarray(mean, dtype=xp.float32).reshape(-1, 1, 1)
        self.std = xp.asarray(std, dtype=xp.float32).reshape(-1, 1, 1)
        if (self.std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to float32, leading to division "
                             f"by zero: {std}")

    def __call__(self, image: Any) -> Any:
        return _apply(image, self._normalize)

    def _normalize(self, array: xp.ndarray) -> xp.ndarray:
        if array.dtype.kind != "f":
            raise TypeError(f"Normalize expects a float image (apply ToTensor first), got {array.dtype}")
        channels = array.shape[-3] if array.ndim >= 3 else 1
        if len(self.mean) not in (1, channels) or len(self.std) not in (1, channels):
            raise ValueError(f"Normalize has {len(self.mean)} means and {len(self.std)} stds for an image "
                             f"with {channels} channels (shape {array.shape})")
        return ((array - self.mean) / self.std).astype(array.dtype, copy=False)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.ravel().tolist()}, std={self.std.ravel().tolist()})"


def _bilinear_taps(size_in: int, size_out: int) -> tuple[xp.ndarray, xp.ndarray, xp.ndarray]:
    """Source indices ``i0, i1`` and weight of ``i1`` for half-pixel bilinear resampling (PyTorch's
    ``align_corners=False``): ``src = (dst + 0.5)·in/out − 0.5``, clamped at 0."""
    src = (xp.arange(size_out, dtype=xp.float64) + 0.5) * (size_in / size_out) - 0.5
    src = xp.maximum(src, 0.0)
    i0 = xp.minimum(xp.floor(src).astype(xp.intp), size_in - 1)
    i1 = xp.minimum(i0 + 1, size_in - 1)
    return i0, i1, (src - i0).astype(xp.float32)


class Resize:
    """Bilinear resize of the last two axes to ``size`` (torchvision's ``Resize``, no antialiasing).

    ``size=(h, w)`` is the output size; an int ``s`` matches the smaller edge to ``s`` keeping the
    aspect ratio (the larger edge is ``int(s · long / short)``). Sampling uses PyTorch's
    ``interpolate(mode='bilinear', align_corners=False)`` grid. Integer images are rounded back to
    their dtype.
    """

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = size if isinstance(size, numbers.Integral) else _pair(size, "Resize size")

    def _output_size(self, height: int, width: int) -> tuple[int, int]:
        if not isinstance(self.size, numbers.Integral):
            return self.size
        short, long = (height, width) if height <= width else (width, height)
        new_short, new_long = int(self.size), int(int(self.size) * long / short)
        return (new_short, new_long) if height <= width else (new_long, new_short)

    def __call__(self, image: Any) -> Any:
        return _apply(image, self._resize)

    def _resize(self, array: xp.ndarray) -> xp.ndarray:
        height, width = array.shape[-2:]
        out_h, out_w = self._output_size(height, width)
        values = array.astype(xp.float32) if array.dtype.kind != "f" else array
        r0, r1, wr = _bilinear_taps(height, out_h)
        c0, c1, wc = _bilinear_taps(width, out_w)
        rows = values[..., r0, :] * (1 - wr)[:, None] + values[..., r1, :] * wr[:, None]
        out = rows[..., c0] * (1 - wc) + rows[..., c1] * wc
        if array.dtype.kind in "iu":
            info = xp.iinfo(array.dtype)
            return xp.clip(xp.rint(out), info.min, info.max).astype(array.dtype)
        return out.astype(array.dtype, copy=False)


class CenterCrop:
    """Crop the centre ``size`` of the last two axes (torchvision): top ``round((H − h) / 2)``, left
    ``round((W − w) / 2)``; an image smaller than ``size`` is first zero-padded around."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _pair(size, "CenterCrop size")

    def __call__(self, image: Any) -> Any:
        return _apply(image, self._crop)

    def _crop(self, array: xp.ndarray) -> xp.ndarray:
        h, w = self.size
        height, width = array.shape[-2:]
        if h > height or w > width:
            pad_h, pad_w = max(h - height, 0), max(w - width, 0)
            array = _pad(array, pad_w // 2, pad_h // 2, (pad_w + 1) // 2, (pad_h + 1) // 2, 0)
            height, width = array.shape[-2:]
        top, left = int(round((height - h) / 2.0)), int(round((width - w) / 2.0))
        return array[..., top:top + h, left:left + w]


class RandomCrop:
    """Crop a random ``size`` window (torchvision), after padding the border by ``padding``
    (int, (left/right, top/bottom) or (left, top, right, bottom)) with ``fill``.

    Offsets are uniform: ``top ~ U{0..H' − h}``, ``left ~ U{0..W' − w}``, one pair per sample of a
    4-D batch. ``pad_if_needed=True`` pads an image smaller than ``size`` as torchvision does.
    """

    def __init__(self, size: int | Sequence[int], padding: int | Sequence[int] = 0,
                 pad_if_needed: bool = False, fill: float = 0) -> None:
        self.size = _pair(size, "RandomCrop size")
        self.padding = _padding(padding)
        self.pad_if_needed = pad_if_needed
        self.fill = fill

    def __call__(self, image: Any) -> Any:
        return _apply(image, self._crop)

    def _crop(self, array: xp.ndarray) -> xp.ndarray:
        h, w = self.size
        array = _pad(array, *self.padding, self.fill) if any(self.padding) else array
        height, width = array.shape[-2:]
        if self.pad_if_needed and (height < h or width < w):
            pad_h, pad_w = max(h - height, 0), max(w - width, 0)
            array = _pad(array, pad_w, pad_h, pad_w, pad_h, self.fill)
            height, width = array.shape[-2:]
        if height < h or width < w:
            raise ValueError(f"RandomCrop size {(h, w)} is larger than the (padded) image size "
                             f"{(height, width)}")
        offsets = _random_offsets(len(array) if array.ndim == 4 else 1, height - h + 1, width - w + 1)
        if array.ndim != 4:
            top, left = offsets[0].tolist()
            return array[..., top:top + h, left:left + w]
        return _crop_windows(array, offsets[:, 0], offsets[:, 1], h, w)


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p`` (one draw per sample of a 4-D batch)."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be a probability in [0, 1], got {p}")
        self.p = p

    def __call__(self, image: Any) -> Any:
        return _apply(image, self._flip)

    def _flip(self, array: xp.ndarray) -> xp.ndarray:
        count = len(array) if array.ndim == 4 else 1
        flip = backend.generator().random(count) < self.p
        if array.ndim != 4:
            return array[..., ::-1].copy() if flip[0] else array
        return xp.where(flip[:, None, None, None], array[..., ::-1], array)


class RandomRotation:
    """Rotate by a random angle ``θ ~ U(degrees)`` counter-clockwise about the image centre
    (torchvision's ``RandomRotation``, ``expand=False``); uncovered pixels take ``fill``.

    ``degrees`` is ``d`` (range ``(−d, d)``) or ``(min, max)``. Output pixel ``(x', y')`` (relative to
    the centre ``((W−1)/2, (H−1)/2)``) samples the input at ``(x' cos θ − y' sin θ, x' sin θ + y' cos θ)``,
    with ``interpolation="nearest"`` (default, as torchvision) or ``"bilinear"``. One angle per sample
    of a 4-D batch; a rotation by 90° equals ``numpy.rot90`` on square images.
    """

    def __init__(self, degrees: float | Sequence[float], interpolation: str = "nearest",
                 fill: float = 0) -> None:
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError(f"If degrees is a single number, it must be positive, got {degrees}")
            degrees = (-float(degrees), float(degrees))
        if len(degrees) != 2:
            raise ValueError(f"degrees must be a number or a (min, max) pair, got {degrees!r}")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
        self.degrees = (float(degrees[0]), float(degrees[1]))
        self.interpolation = interpolation
        self.fill = fill

    def __call__(self, image: Any) -> Any:
        return _apply(image, self._rotate)

    def _rotate(self, array: xp.ndarray) -> xp.ndarray:
        batch, restore = _as_batch(array)
        count = len(batch) if array.ndim == 4 else 1
        angles = xp.deg2rad(backend.generator().uniform(*self.degrees, size=count))
        angles = xp.broadcast_to(angles, (len(batch),))
        source_x, source_y = self._source_grid(angles, *batch.shape[-2:])
        sample = _sample_nearest if self.interpolation == "nearest" else _sample_bilinear
        return restore(sample(batch, source_x, source_y, self.fill).astype(array.dtype, copy=False))

    @staticmethod
    def _source_grid(angles: xp.ndarray, height: int, width: int) -> tuple[xp.ndarray, xp.ndarray]:
        """Source coordinates ``(N, H, W)`` of every output pixel, for rotations by ``angles``."""
        cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
        dy = (xp.arange(height) - cy)[None, :, None]
        dx = (xp.arange(width) - cx)[None, None, :]
        cos, sin = xp.cos(angles)[:, None, None], xp.sin(angles)[:, None, None]
        return cx + dx * cos - dy * sin, cy + dx * sin + dy * cos


def _gather(batch: xp.ndarray, rows: xp.ndarray, cols: xp.ndarray) -> tuple[xp.ndarray, xp.ndarray]:
    """Pixels of ``(N, C, H, W)`` at integer ``(N, h, w)`` coordinates as ``(N, C, h, w)``, and the
    mask of coordinates inside the image."""
    height, width = batch.shape[-2:]
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    samples = xp.arange(len(batch))[:, None, None]
    values = batch[samples, :, xp.clip(rows, 0, height - 1), xp.clip(cols, 0, width - 1)]
    return values.transpose(0, 3, 1, 2), inside[:, None]


def _sample_nearest(batch: xp.ndarray, x: xp.ndarray, y: xp.ndarray, fill: float) -> xp.ndarray:
    """Nearest-neighbour sampling at real coordinates, ``fill`` outside the image."""
    values, inside = _gather(batch, xp.rint(y).astype(xp.intp), xp.rint(x).astype(xp.intp))
    return xp.where(inside, values, xp.asarray(fill, dtype=batch.dtype))


def _sample_bilinear(batch: xp.ndarray, x: xp.ndarray, y: xp.ndarray, fill: float) -> xp.ndarray:
    """Bilinear sampling at real coordinates; taps outside the image contribute ``fill``."""
    x0, y0 = xp.floor(x).astype(xp.intp), xp.floor(y).astype(xp.intp)
    wx, wy = (x - x0)[:, None].astype(xp.float32), (y - y0)[:, None].astype(xp.float32)
    out = xp.zeros(batch.shape[:2] + x.shape[1:], dtype=xp.float32)
    for dy, dx, weight in ((0, 0, (1 - wy) * (1 - wx)), (0, 1, (1 - wy) * wx),
                           (1, 0, wy * (1 - wx)), (1, 1, wy * wx)):
        values, inside = _gather(batch, y0 + dy, x0 + dx)
        out += weight * xp.where(inside, values, xp.float32(fill))
    if batch.dtype.kind in "iu":
        info = xp.iinfo(batch.dtype)
        return xp.clip(xp.rint(out), info.min, info.max)
    return out
