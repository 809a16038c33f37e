"""The array backend: the one place that knows which array module, default dtype and random
generator scratchnet computes with.

Every op reaches NumPy through ``xp`` here, so that a CuPy backend is a switch, not a rewrite.
The single seeded generator drives weight initialisation, dropout, shuffling and augmentation.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any

import numpy as np

xp = np
"""The array module every op computes with (NumPy today)."""

DEFAULT_FLOAT = np.dtype(np.float32)
"""The dtype of floating-point tensors made from Python floats or lists of them."""

_generator = np.random.Generator(np.random.PCG64())


def generator() -> np.random.Generator:
    """The one random generator behind init, dropout, shuffling and augmentation.

    ``manual_seed`` reseeds this same object in place, so holding a reference to it is safe.
    """
    return _generator


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the global generator (as ``torch.manual_seed``); the same seed gives the same run."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an integer seed, got {type(seed).__name__}")
    _generator.bit_generator.state = np.random.PCG64(int(seed)).state
    return _generator


def get_rng_state() -> dict[str, Any]:
    """The generator's state as a JSON-serialisable dict (save it in a checkpoint)."""
    return bit_generator_state(_generator)


def bit_generator_state(rng: np.random.Generator) -> dict[str, Any]:
    """The PCG64 state of ``rng`` as a JSON-serialisable dict (plain ints and strings)."""
    state = rng.bit_generator.state
    return {
        "bit_generator": state["bit_generator"],
        "state": {key: int(value) for key, value in state["state"].items()},
        "has_uint32": int(state["has_uint32"]),
        "uinteger": int(state["uinteger"]),
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state returned by ``get_rng_state``; ``ValueError`` (the generator unchanged)
    for anything else: other keys, or numbers outside PCG64's ranges (128-bit state and
    increment, a 0/1 flag, a 32-bit buffered value)."""
    if not is_rng_state(state):
        raise ValueError(f"set_rng_state expects a dict returned by sn.get_rng_state(), "
                         f"got {str(state)[:120]}")
    _generator.bit_generator.state = state


class Generator(np.random.Generator):
    """A random generator object, as ``torch.Generator``: a NumPy PCG64 ``Generator`` with PyTorch's
    ``manual_seed`` / ``seed`` / ``initial_seed`` / ``get_state`` / ``set_state``.

    Pass it as ``generator=`` to ``random_split``, the samplers and ``DataLoader`` to draw from it
    instead of the global generator. Being a ``numpy.random.Generator``, it also has every NumPy draw.

    >>> dataset = sn.data.TensorDataset(np.arange(10.0))
    >>> train, val = sn.data.random_split(dataset, [0.8, 0.2], generator=sn.Generator().manual_seed(42))
    >>> len(train), len(val)
    (8, 2)
    """

    def __init__(self, device: Any = "cpu") -> None:
        super().__init__(np.random.PCG64(0))
        self.device = device
        self._initial_seed = 0

    def manual_seed(self, seed: int) -> Generator:
        """Reseed in place with ``seed`` and return ``self`` (as PyTorch)."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed expects an integer seed, got {type(seed).__name__}")
        self.bit_generator.state = np.random.PCG64(int(seed)).state
        self._initial_seed = int(seed)
        return self

    def seed(self) -> int:
        """Reseed from fresh OS entropy and return the new seed (a non-negative 63-bit int)."""
        return self.manual_seed(int(np.random.SeedSequence().entropy) & (2**63 - 1)).initial_seed()

    def initial_seed(self) -> int:
        """The seed last given to ``manual_seed`` (0 for a new generator, as PyTorch's default)."""
        return self._initial_seed

    def get_state(self) -> dict[str, Any]:
        """The state as a JSON-serialisable dict (restore it with ``set_state``)."""
        return bit_generator_state(self)

    def set_state(self, state: dict[str, Any]) -> Generator:
        """Restore a state returned by ``get_state``; raises ``ValueError`` for anything else."""
        self.bit_generator.state = checked_pcg64_state(state)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return _restored_generator, (self.get_state(), self._initial_seed, self.device)


def _restored_generator(state: dict[str, Any], initial_seed: int, device: Any) -> Generator:
    """A ``Generator`` rebuilt from what ``Generator.__reduce__`` kept (pickling, deep copies)."""
    generator = Generator(device).set_state(state)
    generator._initial_seed = initial_seed
    return generator


def is_rng_state(state: Any) -> bool:
    """Whether ``state`` has exactly the keys and value ranges of ``get_rng_state()``'s result."""
    def within(value: Any, end: int) -> bool:
        return type(value) is int and 0 <= value < end

    return (isinstance(state, dict) and set(state) == {"bit_generator", "state", "has_uint32", "uinteger"}
            and state["bit_generator"] == "PCG64" and isinstance(state["state"], dict)
            and set(state["state"]) == {"state", "inc"}
            and all(within(value, 2 ** 128) for value in state["state"].values())
            and within(state["has_uint32"], 2) and within(state["uinteger"], 2 ** 32))


def checked_pcg64_state(state: Any) -> dict[str, Any]:
    """``state`` after checking that it is a PCG64 state dict as ``get_state`` gives (``ValueError``
    otherwise; see ``is_rng_state``)."""
    if not is_rng_state(state):
        raise ValueError(f"not a PCG64 generator state as get_state() returns: {str(state)[:120]}")
    return state


def resolve_dtype(dtype: Any) -> np.dtype | None:
    """Turn a dtype given as a NumPy dtype, a type or a name (``"float64"``) into ``np.dtype``."""
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"unknown dtype {dtype!r}") from error


def resolve_dtype_name(name: str) -> np.dtype | None:
    """The dtype a string names (``"float64"``), or None when it names none."""
    try:
        return np.dtype(name)
    except TypeError:
        return None


def is_floating(dtype: np.dtype) -> bool:
    """Whether ``dtype`` is a floating-point dtype (only those can carry gradients)."""
    return np.issubdtype(dtype, np.floating)


def keep_freed_memory() -> bool:
    """Ask glibc's allocator to keep freed memory for reuse rather than return it to the system.

    A training step frees and allocates the same few-megabyte activation and gradient arrays over
    and over; by default glibc hands such blocks back to the kernel and the next step pays a page
    fault for every 4 KiB of them (a third of a batch-norm CNN step). With these settings arrays
    up to 32 MiB come from the heap and the heap is not trimmed, as a framework's caching
    allocator would do: the process keeps its peak memory instead of shrinking between steps.
    Applied once when scratchnet is imported, on Linux with glibc; set the environment variable
    ``SCRATCHNET_KEEP_FREED_MEMORY=0`` to leave the allocator alone. Returns whether it applied.
    """
    if os.environ.get("SCRATCHNET_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # mallopt parameter numbers from <malloc.h>
    heap_limit, never_trim = 32 * 2**20, 2**31 - 1
    applied = libc.mallopt(m_mmap_threshold, heap_limit) and libc.mallopt(m_trim_threshold, never_trim)
    return bool(applied)


KEEPS_FREED_MEMORY = keep_freed_memory()
"""Whether ``keep_freed_memory`` applied at import."""
