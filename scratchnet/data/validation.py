"""Checks on data handed to training: each raises an error that names the problem.

The messages follow Keras where Keras has one ("Data cardinality is ambiguous ...", "Expect x to be
a non-empty array or dataset.") and give counts and the first offending index otherwise, so that a
bad sample can be found in a data set of millions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scratchnet.backend import xp


class NonNumericDataError(TypeError, ValueError):
    """Data of a dtype that cannot be computed with (object, str, bytes, complex, datetime ...).

    It is both a ``TypeError`` (PyTorch's "can't convert np.ndarray of type ``numpy.object_``") and a
    ``ValueError`` (Keras's "Failed to convert a NumPy array to a Tensor"), so either ``except``
    clause catches it.
    """


def as_array(data: Any) -> xp.ndarray:
    """``data`` (a Tensor, an array, a list) as an array, without copying when possible."""
    return xp.asarray(data)


def _sizes(array: Any) -> int:
    return len(array) if xp.ndim(array) else 1


def check_same_length(*arrays: Any, names: Sequence[str] | None = None) -> int:
    """The common number of samples (length of the first axis) of ``arrays``.

    Raises ``ValueError`` in Keras's words when they differ:
    ``Data cardinality is ambiguous: x sizes: 30000 y sizes: 50000 Make sure all arrays contain the
    same number of samples.`` ``names`` label the arrays (default ``x``, ``y``, ``sample_weight``,
    then ``array_3`` ...).
    """
    default = ("x", "y", "sample_weight")
    names = list(names) if names is not None else [
        default[i] if i < len(default) else f"array_{i}" for i in range(len(arrays))]
    if len(names) != len(arrays):
        raise ValueError(f"check_same_length got {len(arrays)} arrays but {len(names)} names")
    sizes = [_sizes(array) for array in arrays]
    if len(set(sizes)) > 1:
        listing = " ".join(f"{name} sizes: {size}" for name, size in zip(names, sizes))
        raise ValueError(f"Data cardinality is ambiguous: {listing} "
                         "Make sure all arrays contain the same number of samples.")
    return sizes[0] if sizes else 0


def check_not_empty(array: Any, name: str = "x") -> None:
    """Raise ``ValueError`` (Keras's wording) when ``array`` holds no samples."""
    if _sizes(array) == 0:
        shape = getattr(array, "shape", None)
        raise ValueError(f"Expect {name} to be a non-empty array or dataset "
                         f"(got 0 samples{'' if shape is None else f', shape {tuple(shape)}'}).")


def check_numeric(array: Any, name: str = "x") -> xp.ndarray:
    """``array`` as an array of booleans, integers or floats; otherwise ``NonNumericDataError``.

    Object arrays (ragged lists, mixed Python objects), strings, bytes, complex numbers and
    datetimes cannot be trained on; the error names the dtype and the array.
    """
    try:
        values = as_array(array)
    except ValueError as error:  # ragged nested lists
        raise NonNumericDataError(f"{name} cannot be converted to a numeric array: {error}") from error
    if values.dtype.kind not in "biuf":
        kind = {"O": "object", "U": "str", "S": "bytes", "c": "complex", "M": "datetime",
                "m": "timedelta", "V": "void/structured"}.get(values.dtype.kind, "non-numeric")
        raise NonNumericDataError(f"{name} has dtype {values.dtype} ({kind}); expected a numeric "
                                  "array (bool, integer or float). Convert it, e.g. x.astype('float32').")
    return values


def check_finite(array: Any, name: str = "x", indices: Any = None) -> None:
    """Raise ``ValueError`` when a float ``array`` holds NaN or ±inf, with counts and first index.

    Integer and boolean arrays are always finite and pass at no cost. ``indices``, when given, are
    the data-set indices of the rows of ``array`` (a shuffled batch), reported instead of the row.
    """
    values = as_array(array)
    if values.dtype.kind != "f":
        return
    bad = ~xp.isfinite(values)
    if not bad.any():
        return
    n_nan = int(xp.isnan(values).sum())
    first = tuple(int(i) for i in xp.unravel_index(int(xp.argmax(bad.ravel())), values.shape))
    sample = first[0] if indices is None or not values.ndim else int(xp.asarray(indices)[first[0]])
    within = f", position {first[1:]} within it" if len(first) > 1 else ""
    where = f"sample {sample}{within}" if values.ndim else "the scalar"
    raise ValueError(f"{name} contains {int(bad.sum())} non-finite values ({n_nan} NaN, "
                     f"{int(bad.sum()) - n_nan} inf); the first is at {where}")


def check_labels(y: Any, num_classes: int, ignore_index: int | None = None) -> xp.ndarray:
    """``y`` as an integer array of class indices in ``[0, num_classes)``.

    Raises ``ValueError("label 10 out of range [0, 10) at index 523")`` for the first label out of
    range (``ignore_index``, when given, is allowed, as PyTorch's ``ignore_index``), and for float
    labels that are not whole numbers. NumPy indexing would otherwise wrap ``-1`` round silently.
    """
    labels = check_numeric(y, "labels")
    if labels.dtype.kind == "f":
        whole = xp.isfinite(labels) & (labels == xp.round(labels))
        if not whole.all():
            index = int(xp.argmax(~whole.ravel()))
            raise ValueError(f"labels must be whole numbers; found {labels.ravel()[index]} at index {index}")
        labels = labels.astype(xp.int64)
    flat = labels.ravel()
    bad = (flat < 0) | (flat >= num_classes)
    if ignore_index is not None:
        bad &= flat != ignore_index
    if bad.any():
        index = int(xp.argmax(bad))
        raise ValueError(f"label {flat[index]} out of range [0, {num_classes}) at index {index}")
    return labels
