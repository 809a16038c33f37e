"""``repr(tensor)`` in PyTorch's format: ``tensor([[ 0.1234, -1.1071]])``.

Floats are printed with four decimals, all in one style chosen from the values shown: ``1.`` when
every value is a whole number, scientific notation (``1.0000e+05``) when the nonzero magnitudes
span more than three decades or leave [1e-4, 1e8], fixed (``0.1234``) otherwise; every element is
right-aligned to the widest. Beyond 1000 elements only the first and last three entries of each
axis are shown, around ``...``. Lines wrap at 80 characters.
"""

from __future__ import annotations

from collections.abc import Callable

from scratchnet.backend import xp

PRECISION = 4
THRESHOLD = 1000  # more elements than this are summarised
EDGE_ITEMS = 3
LINE_WIDTH = 80
DEFAULT_DTYPES = (xp.dtype(xp.float32), xp.dtype(xp.int64), xp.dtype(xp.bool_))


def tensor_repr(array: xp.ndarray, extras: list[str]) -> str:
    """``tensor(<values>, <extras>)``, with ``dtype=`` for a dtype PyTorch does not print by default
    and ``size=`` for an empty tensor that is not 1-d."""
    prefix = "tensor("
    suffix = []
    if array.size == 0:
        body = "[]"
        if array.shape != (0,):
            suffix.append(f"size={array.shape}")
    else:
        summarize = array.size > THRESHOLD
        element = _element_formatter(_shown(array, summarize))
        body = _format(array, element, len(prefix), summarize)
    if array.dtype not in DEFAULT_DTYPES or (array.size == 0 and array.dtype != DEFAULT_DTYPES[0]):
        suffix.append(f"dtype={array.dtype}")
    return prefix + ", ".join([body, *suffix, *extras]) + ")"


def _shown(array: xp.ndarray, summarize: bool) -> xp.ndarray:
    """The values that will be printed: all of them, or the edges of each axis when summarised."""
    if not summarize:
        return array.ravel()
    index = [xp.r_[0:EDGE_ITEMS, n - EDGE_ITEMS:n] if n > 2 * EDGE_ITEMS else xp.arange(n)
             for n in array.shape]
    return array[xp.ix_(*index)].ravel()


def _element_formatter(values: xp.ndarray) -> Callable[[object], str]:
    """A function that prints one element in the style and width of ``values``."""
    if values.dtype.kind == "b":
        width = 4 if values.all() else 5  # "True" or " True" beside "False"
        return lambda value: str(bool(value)).rjust(width)
    if values.dtype.kind in "iu":
        width = max(len(str(int(v))) for v in (values.min(), values.max()))
        return lambda value: str(int(value)).rjust(width)
    values = values.astype(xp.float64)
    style = _float_style(values)
    sized = values[xp.isfinite(values) & (values != 0)]  # the width comes from these, as PyTorch's
    width = max([len(style(float(v))) for v in sized], default=1)
    return lambda value: style(float(value)).rjust(width)


def _float_style(values: xp.ndarray) -> Callable[[float], str]:
    """How floats are printed, chosen from the nonzero finite magnitudes (see the module text)."""
    finite = values[xp.isfinite(values)]
    magnitudes = xp.abs(finite[finite != 0])
    whole = bool(xp.all(finite == xp.ceil(finite)))
    if magnitudes.size == 0:
        return _whole if whole else _fixed
    largest, smallest = float(magnitudes.max()), float(magnitudes.min())
    scientific = largest / smallest > 1000.0 or largest > 1.0e8
    if scientific:
        return _scientific
    if whole:
        return _whole
    return _scientific if smallest < 1.0e-4 else _fixed


def _whole(value: float) -> str:
    return f"{value:.0f}." if xp.isfinite(value) else _special(value)


def _fixed(value: float) -> str:
    return f"{value:.{PRECISION}f}" if xp.isfinite(value) else _special(value)


def _scientific(value: float) -> str:
    return f"{value:.{PRECISION}e}" if xp.isfinite(value) else _special(value)


def _special(value: float) -> str:
    return "nan" if value != value else ("inf" if value > 0 else "-inf")


def _format(array: xp.ndarray, element: Callable[[object], str], indent: int, summarize: bool) -> str:
    """The nested-bracket text of ``array``, whose first bracket is at column ``indent``."""
    if array.ndim == 0:
        return element(array.item())
    edges = summarize and array.shape[0] > 2 * EDGE_ITEMS
    if array.ndim == 1:
        items = [element(v) for v in array.tolist()] if not edges else (
            [element(v) for v in array[:EDGE_ITEMS].tolist()] + [" ..."]
            + [element(v) for v in array[-EDGE_ITEMS:].tolist()])
        per_line = max(1, (LINE_WIDTH - indent) // (len(items[0]) + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"
    rows = range(array.shape[0]) if not edges else [*range(EDGE_ITEMS), None,
                                                     *range(array.shape[0] - EDGE_ITEMS, array.shape[0])]
    parts = ["..." if i is None else _format(array[i], element, indent + 1, summarize) for i in rows]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(parts) + "]"
