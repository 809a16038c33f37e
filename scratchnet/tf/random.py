"""``tf.random``: samples from scratchnet's one seeded generator (``sn.manual_seed``), with
TensorFlow's argument names."""

from __future__ import annotations

from typing import Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor


def _shape(shape: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in shape) if isinstance(shape, (list, tuple)) else (int(shape),)


def set_seed(seed: int) -> None:
    """Seed the generator behind every random op, weight initialisation, dropout and shuffling
    (``tf.random.set_seed``; scratchnet has one generator, ``sn.manual_seed``)."""
    backend.manual_seed(seed)


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = "float32",
           seed: int | None = None, name: str | None = None) -> Tensor:
    """Samples of N(mean, stddev²) of ``shape`` (``tf.random.normal``); an op-level ``seed`` is
    ignored: every draw comes from the one global generator (``set_seed``)."""
    return Tensor(backend.generator().normal(mean, stddev, _shape(shape)), dtype=dtype)


def uniform(shape: Any, minval: float = 0.0, maxval: float | None = None, dtype: Any = "float32",
            seed: int | None = None, name: str | None = None) -> Tensor:
    """Samples of U[minval, maxval) of ``shape`` (maxval 1 for floats); integer dtypes draw
    integers in ``[minval, maxval)`` and need ``maxval`` (``tf.random.uniform``; ``seed`` is
    ignored, as in ``normal``)."""
    dtype = backend.resolve_dtype(dtype)
    rng = backend.generator()
    if dtype.kind in "iu":
        if maxval is None:
            raise ValueError("tf.random.uniform: maxval must be given for an integer dtype")
        return Tensor(rng.integers(int(minval), int(maxval), _shape(shape)), dtype=dtype)
    return Tensor(rng.uniform(minval, 1.0 if maxval is None else maxval, _shape(shape)), dtype=dtype)


__all__ = ["normal", "set_seed", "uniform"]
