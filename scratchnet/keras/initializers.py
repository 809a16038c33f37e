"""Keras weight initializers, by name or object, filling a scratchnet tensor in place through
``scratchnet.nn.init``.

Weights use the core's layout (Dense ``(units, in)``, Conv2D ``(filters, C, kh, kw)``); the fans
are the same numbers Keras computes from its own layout: ``fan_in = in·kh·kw``,
``fan_out = units·kh·kw`` (a 1-D tensor has fan_in = fan_out = its length).
"""

from __future__ import annotations

import math
from typing import Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.keras import config
from scratchnet.nn import init


class Initializer(config.Configurable):
    """Fills a tensor in place, ``initializer(tensor) -> tensor``, or makes a new one as Keras
    does, ``initializer(shape, dtype=None) -> tensor``, for a weight in Keras's layout (a Dense
    kernel ``(in, out)``, a Conv2D kernel ``(kh, kw, in, out)``: fans are counted as Keras counts
    them)."""

    def __call__(self, tensor: Any, dtype: Any = None) -> Tensor:
        if isinstance(tensor, Tensor):
            return self.fill_(tensor)
        shape = tuple(int(n) for n in (tensor if isinstance(tensor, (tuple, list)) else (tensor,)))
        if len(shape) < 2:
            return self.fill_(Tensor(xp.zeros(shape, dtype=dtype or xp.float32)))
        core = Tensor(xp.zeros((shape[-1], shape[-2], *shape[:-2]), dtype=dtype or xp.float32))
        self.fill_(core)
        return Tensor(xp.ascontiguousarray(xp.transpose(core.array, (*range(2, len(shape)), 1, 0))))

    def fill_(self, tensor: Tensor) -> Tensor:
        """Fill ``tensor`` (in the core's layout, e.g. ``(out, in)``) in place and return it."""
        raise NotImplementedError


class Zeros(Initializer):
    """All zeros."""

    def fill_(self, tensor: Tensor) -> Tensor:
        return init.zeros_(tensor)


class Ones(Initializer):
    """All ones."""

    def fill_(self, tensor: Tensor) -> Tensor:
        return init.ones_(tensor)


class Constant(Initializer):
    """Every element ``value``."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def fill_(self, tensor: Tensor) -> Tensor:
        return init.constant_(tensor, self.value)


class RandomNormal(Initializer):
    """Samples of N(mean, stddev²) (Keras default stddev 0.05)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def fill_(self, tensor: Tensor) -> Tensor:
        return init.normal_(tensor, self.mean, self.stddev)


class RandomUniform(Initializer):
    """Samples of U(minval, maxval) (Keras default ±0.05)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> None:
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def fill_(self, tensor: Tensor) -> Tensor:
        return init.uniform_(tensor, self.minval, self.maxval)


def _fans(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) as Keras computes them for the same weight."""
    if tensor.ndim >= 2:
        return init._calculate_fan_in_and_fan_out(tensor)
    size = tensor.shape[0] if tensor.ndim == 1 else 1
    return size, size


def truncated_normal_(tensor: Tensor, stddev: float) -> Tensor:
    """Samples of N(0, stddev²) kept within ±2·stddev (values outside are drawn again), as
    TensorFlow's ``truncated_normal``."""
    rng = backend.generator()
    values = rng.normal(0.0, stddev, tensor.shape)
    outside = abs(values) > 2 * stddev
    while outside.any():
        values[outside] = rng.normal(0.0, stddev, int(outside.sum()))
        outside = abs(values) > 2 * stddev
    tensor.array[...] = values
    return tensor


class VarianceScaling(Initializer):
    """Keras's scaled initializer: n = fan_in, fan_out or their mean (``mode``), then
    ``uniform``: U(±√(3·scale/n)); ``truncated_normal``: N(0, scale/n / 0.8796²) truncated at
    2σ; ``untruncated_normal``: N(0, scale/n)."""

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: int | None = None) -> None:
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"VarianceScaling: unknown distribution {distribution!r}")
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def fill_(self, tensor: Tensor) -> Tensor:
        fan_in, fan_out = _fans(tensor)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return init.uniform_(tensor, -limit, limit)
        if self.distribution == "untruncated_normal":
            return init.normal_(tensor, 0.0, math.sqrt(variance))
        return truncated_normal_(tensor, math.sqrt(variance) / 0.87962566103423978)


class _NamedVarianceScaling(VarianceScaling):
    """A ``VarianceScaling`` whose scale, mode and distribution are fixed by the class."""

    fixed: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(*self.fixed, seed=seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class GlorotUniform(_NamedVarianceScaling):
    """U(±√(6 / (fan_in + fan_out))): Keras's default kernel initializer."""

    fixed = (1.0, "fan_avg", "uniform")


class GlorotNormal(_NamedVarianceScaling):
    """Truncated normal with σ = √(2 / (fan_in + fan_out)) / 0.8796."""

    fixed = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_NamedVarianceScaling):
    """U(±√(6 / fan_in))."""

    fixed = (2.0, "fan_in", "uniform")


class HeNormal(_NamedVarianceScaling):
    """Truncated normal with σ = √(2 / fan_in) / 0.8796."""

    fixed = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_NamedVarianceScaling):
    """U(±√(3 / fan_in))."""

    fixed = (1.0, "fan_in", "uniform")


class LecunNormal(_NamedVarianceScaling):
    """Truncated normal with σ = √(1 / fan_in) / 0.8796."""

    fixed = (1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    """gain·Q with Q orthonormal: the Q of the QR decomposition of a standard normal matrix (signs
    fixed by R's diagonal), rows or columns orthonormal whichever are fewer, as Keras's
    ``orthogonal`` (for recurrent kernels)."""

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        self.gain, self.seed = gain, seed

    def fill_(self, tensor: Tensor) -> Tensor:
        rows = tensor.shape[0] if tensor.ndim else 1
        columns = tensor.numel() // max(rows, 1)
        shape = (max(rows, columns), min(rows, columns))
        q, r = xp.linalg.qr(init.normal_(Tensor(xp.zeros(shape, dtype=xp.float64))).array)
        q = q * xp.sign(xp.diagonal(r))
        tensor.array[...] = (self.gain * (q if rows >= columns else q.T)).reshape(tensor.shape)
        return tensor


_CLASSES = {cls.__name__: cls for cls in (Zeros, Ones, Constant, RandomNormal, RandomUniform, VarianceScaling,
                                          GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
                                          LecunNormal, Orthogonal)}
_ALIASES = {"zeros": Zeros, "ones": Ones, "constant": Constant, "normal": RandomNormal,
            "uniform": RandomUniform, "orthogonal": Orthogonal}


zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform = RandomNormal, RandomUniform
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
orthogonal = Orthogonal
"""Keras's lower-case aliases of the classes (``tf.keras.initializers.glorot_uniform()``)."""


def get(identifier: Any) -> Any:
    """An initializer from a name (``'glorot_uniform'``, ``'he_normal'``, ``'zeros'``, ...), a
    config dict, an ``Initializer`` or a callable filling a tensor in place."""
    return config.deserialize(identifier, _CLASSES, _ALIASES, "initializer")


serialize = config.serialize
