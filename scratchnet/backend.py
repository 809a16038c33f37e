"""The array backend: the one place that knows which array module, default dtype and random
generator scratchnet computes with.

Every op reaches NumPy through ``xp`` here, so that a CuPy backend is a switch, not a rewrite.
The single seeded generator drives weight initialisation, dropout, shuffling and augmentation.
"""

from __future__ import annotations

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
    state = _generator.bit_generator.state
    return {
        "bit_generator": state["bit_generator"],
        "state": {key: int(value) for key, value in state["state"].items()},
        "has_uint32": int(state["has_uint32"]),
        "uinteger": int(state["uinteger"]),
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state returned by ``get_rng_state``."""
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        raise ValueError("set_rng_state expects a dict returned by sn.get_rng_state()")
    _generator.bit_generator.state = state


def resolve_dtype(dtype: Any) -> np.dtype | None:
    """Turn a dtype given as a NumPy dtype, a type or a name (``"float64"``) into ``np.dtype``."""
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"unknown dtype {dtype!r}") from error


def is_floating(dtype: np.dtype) -> bool:
    """Whether ``dtype`` is a floating-point dtype (only those can carry gradients)."""
    return np.issubdtype(dtype, np.floating)
