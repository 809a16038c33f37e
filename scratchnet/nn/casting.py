"""Casting what a user passes to ``Module.__call__`` to the dtype of the module's parameters.

PyTorch refuses a float64 input to a float32 layer ("expected scalar type Float but found
Double"); scratchnet casts instead, at the module boundary: float64 (or float16) and integer
NumPy arrays or Tensors become the parameters' float dtype (float64 -> float32 loses precision,
which is what a float32 model computes with anyway). Object, string and complex arrays are
refused with a ``TypeError`` naming the dtype.
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.ops.shape import astype


def check_dtype(array: Any) -> None:
    """Raise ``TypeError`` for dtypes a network cannot compute with (object, str, complex)."""
    if array.dtype == object or array.dtype.kind in "USVc":
        raise TypeError(f"a module input must hold real numbers, got an array of dtype {array.dtype}")


def is_cast(args: tuple[Any, ...], float_dtype: xp.dtype | None) -> bool:
    """Whether every positional argument is already a Tensor that ``cast_input`` would return
    unchanged: of ``float_dtype``, or of any real dtype when ``float_dtype`` is None (the fast path
    of ``Module.__call__``)."""
    for value in args:
        if not isinstance(value, Tensor):
            return False
        dtype = value.array.dtype
        unchanged = dtype == float_dtype if float_dtype is not None else dtype.kind in "fiub"
        if not unchanged:
            return False
    return True


def cast_input(value: Any, float_dtype: xp.dtype | None, keep_integers: bool) -> Any:
    """``value`` as a Tensor of ``float_dtype`` (arrays and Tensors; tuples and lists of them
    are cast element by element; anything else is returned unchanged).

    ``float_dtype`` None (a module without parameters) only turns arrays into Tensors.
    ``keep_integers`` leaves integer inputs alone (indices for ``Embedding``).
    """
    if isinstance(value, (tuple, list)):
        return type(value)(cast_input(v, float_dtype, keep_integers) for v in value)
    if isinstance(value, xp.ndarray):
        check_dtype(value)
        value = Tensor.wrap(value)
    if not isinstance(value, Tensor):
        return value
    check_dtype(value.array)
    kind = value.dtype.kind
    if float_dtype is None or value.dtype == float_dtype or (keep_integers and kind in "iub"):
        return value
    return astype(value, float_dtype)
