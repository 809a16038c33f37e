"""The weight initialisers of lesson 2-6, by the names the classic layers accept."""

from __future__ import annotations

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.nn import init

INITIALIZERS = {
    "he": lambda tensor: init.kaiming_uniform_(tensor, nonlinearity="relu"),
    "xavier": init.xavier_uniform_,
    "uniform": lambda tensor: init.uniform_(tensor, -1.0, 1.0),
}
"""Lesson 2-6's ``he_initialization`` U(±√(6/fan_in)) and ``xavier_initialization``
U(±√(6/(fan_in + fan_out))), and lessons 2-2 to 2-5's U(−1, 1) (what ``addlayer`` used without
``initialization``)."""


def check_initializer(name: str) -> str:
    """Validate an initialiser name; unknown names are an error listing the known ones (lesson
    2-7 fell through to ``np.random.uniform(size)``, one number in [size, 1), for any other name)."""
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}; choose one of {sorted(INITIALIZERS)}")
    return name


def initial_weight(name: str, torch_shape: tuple[int, ...], dtype: xp.dtype) -> xp.ndarray:
    """A weight of PyTorch layout ``torch_shape`` ``(out, in, *kernel)`` drawn by initialiser ``name``."""
    tensor = Tensor.wrap(xp.zeros(torch_shape, dtype=dtype))
    INITIALIZERS[check_initializer(name)](tensor)
    return tensor.array
