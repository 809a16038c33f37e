"""Small synthetic data sets for first experiments: XOR and interleaved spirals."""

from __future__ import annotations

from typing import Any

from scratchnet import backend
from scratchnet.backend import xp


def _rng(seed: int | None) -> Any:
    """A private generator for ``seed``, or the global one (reseeded by ``sn.manual_seed``)."""
    return backend.generator() if seed is None else xp.random.Generator(xp.random.PCG64(seed))


def xor(n_samples: int = 4, noise: float = 0.0, seed: int | None = None) -> tuple[xp.ndarray, xp.ndarray]:
    """The XOR problem: inputs ``x`` float32 ``(n, 2)`` and labels ``y = x0 XOR x1`` int64 ``(n,)``.

    With the defaults it is the truth table ``[[0, 0], [0, 1], [1, 0], [1, 1]] → [0, 1, 1, 0]``.
    Larger ``n_samples`` cycle through the four corners; ``noise`` adds Gaussian jitter of that
    standard deviation to the inputs (the labels stay those of the corners).
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    corners = xp.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=xp.float32)
    x = corners[xp.arange(n_samples) % 4]
    y = (x[:, 0] != x[:, 1]).astype(xp.int64)
    if noise:
        x = x + _rng(seed).normal(0.0, noise, size=x.shape).astype(xp.float32)
    return x, y


def spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2,
            seed: int | None = None) -> tuple[xp.ndarray, xp.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n toy problem), not linearly separable.

    Sample ``i`` of class ``k`` has radius ``r = i / (m − 1)`` and angle
    ``t = 4k + 4r + noise · ε`` (``ε ~ N(0, 1)``, ``m`` samples in the class), and lies at
    ``(r sin t, r cos t)``. ``n_samples`` in total are split as evenly as possible over the classes.
    Returns ``x`` float32 ``(n_samples, 2)`` and ``y`` int64 ``(n_samples,)``.
    """
    if n_classes < 1 or n_samples < n_classes:
        raise ValueError(f"need n_classes >= 1 and n_samples >= n_classes, got {n_samples}, {n_classes}")
    y = xp.repeat(xp.arange(n_classes), xp.diff(xp.linspace(0, n_samples, n_classes + 1).astype(xp.int64)))
    counts = xp.bincount(y, minlength=n_classes)
    position = xp.arange(n_samples) - xp.concatenate([[0], xp.cumsum(counts)[:-1]])[y]
    radius = position / xp.maximum(counts[y] - 1, 1)
    angle = 4.0 * y + 4.0 * radius + noise * _rng(seed).standard_normal(n_samples)
    x = xp.stack([radius * xp.sin(angle), radius * xp.cos(angle)], axis=1).astype(xp.float32)
    return x, y.astype(xp.int64)
