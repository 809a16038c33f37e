"""Ops that move values around without changing them: reshape, transpose, broadcast,
indexing, concatenation, splitting, padding and dtype casts."""

from __future__ import annotations

import itertools
import math
from typing import Any

from scratchnet.autograd.broadcast import BroadcastTo, SumTo
from scratchnet.autograd.function import Function
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.ops.convert import as_tensor, axis_argument, normalize_axes


def _shape_argument(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` as well as ``f((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class Reshape(Function):
    """y = x viewed with another shape; the gradient is reshaped back."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return x.reshape(self.shape)

    def backward(self, gy: Any) -> Any:
        return gy.reshape(self.inputs[0].shape)


class Permute(Function):
    """y = x with its axes reordered; the gradient gets the inverse order."""

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return x.transpose(self.axes)

    def backward(self, gy: Any) -> Any:
        inverse = sorted(range(len(self.axes)), key=self.axes.__getitem__)
        return Permute(tuple(inverse))(gy)


class Transpose(Function):
    """y = x with axes ``dim0`` and ``dim1`` swapped; the gradient is swapped back."""

    def __init__(self, dim0: int, dim1: int) -> None:
        self.dim0 = dim0
        self.dim1 = dim1

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return x.swapaxes(self.dim0, self.dim1)

    def backward(self, gy: Any) -> Any:
        return Transpose(self.dim0, self.dim1)(gy)


class GetItem(Function):
    """y = x[index] (basic and integer-array indexing); the gradient is scattered back."""

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return x[self.index]

    def backward(self, gy: Any) -> Any:
        return ScatterAdd(self.inputs[0].shape, self.index)(gy)


class ScatterAdd(Function):
    """y = zeros(shape) with x added at ``index`` (repeated indices add up): GetItem's gradient."""

    def __init__(self, shape: tuple[int, ...], index: Any) -> None:
        self.shape = shape
        self.index = index

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        y = xp.zeros(self.shape, dtype=x.dtype)
        if _is_basic_index(self.index):
            y[self.index] = x
        else:
            xp.add.at(y, self.index, x)
        return y

    def backward(self, gy: Any) -> Any:
        return gy[self.index]


def _is_basic_index(index: Any) -> bool:
    """Whether ``index`` is made of ints, slices, None and Ellipsis only (no repeats possible)."""
    for item in index if isinstance(index, tuple) else (index,):
        if not isinstance(item, _BASIC_INDEX_TYPES):
            return False
    return True


_BASIC_INDEX_TYPES = (int, slice, type(None), type(Ellipsis))


def _array_index(index: Any) -> Any:
    """Replace Tensors and lists inside an index by arrays."""
    if isinstance(index, tuple):
        return tuple(_array_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.array
    if isinstance(index, list):
        return xp.asarray(index)
    return index


class Concat(Function):
    """y = the inputs joined along ``axis``; the gradient is cut back into pieces."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs: xp.ndarray) -> xp.ndarray:
        return xp.concatenate(xs, axis=self.axis)

    def backward(self, gy: Any) -> tuple[Any, ...]:
        boundaries = list(itertools.accumulate(x.shape[self.axis] for x in self.inputs))[:-1]
        return Split(boundaries, self.axis)(gy)


class Split(Function):
    """The input cut into pieces along ``axis`` at ``boundaries``; the gradients are joined back."""

    def __init__(self, boundaries: list[int], axis: int) -> None:
        self.boundaries = boundaries
        self.axis = axis

    def forward(self, x: xp.ndarray) -> tuple[xp.ndarray, ...]:
        return tuple(xp.split(x, self.boundaries, axis=self.axis))

    def backward(self, *gys: Any) -> Any:
        return Concat(self.axis)(*gys)


class Pad(Function):
    """y = x padded with a constant; the gradient is the centre slice of gy."""

    def __init__(self, widths: tuple[tuple[int, int], ...], value: float) -> None:
        self.widths = widths
        self.value = value

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return xp.pad(x, self.widths, mode="constant", constant_values=self.value)

    def backward(self, gy: Any) -> Any:
        index = tuple(slice(before, gy.shape[axis] - after)
                      for axis, (before, after) in enumerate(self.widths))
        return gy[index]


class Cast(Function):
    """y = x converted to another dtype; the gradient is cast back to x's dtype."""

    def __init__(self, dtype: xp.dtype) -> None:
        self.dtype = dtype

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        return x.astype(self.dtype)

    def backward(self, gy: Any) -> Any:
        return gy.astype(self.inputs[0].dtype)


# ---- functions ----------------------------------------------------------------------------
def reshape(x: Any, *shape: Any) -> Tensor:
    """``x`` with a new shape of the same size (one axis may be -1)."""
    x = as_tensor(x)
    shape = _shape_argument(shape)
    old_shape = x.array.shape
    if shape == old_shape:
        return x
    try:
        new_shape = _resolve_reshape(old_shape, shape)
    except ValueError as error:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {old_shape} to {shape}: {error}") from None
    return Reshape(new_shape)(x)


def _resolve_reshape(old: tuple[int, ...], new: tuple[int, ...]) -> tuple[int, ...]:
    size = math.prod(old)
    if -1 in new:
        if new.count(-1) > 1:
            raise ValueError("only one axis may be -1")
        known = -math.prod(new)
        if known == 0 or size % known:
            raise ValueError("the sizes do not divide")
        new = tuple(size // known if n == -1 else n for n in new)
    if math.prod(new) != size:
        raise ValueError(f"{size} elements do not fit")
    return new


def view(x: Any, *shape: Any) -> Tensor:
    """Alias of ``reshape`` (PyTorch's name)."""
    return reshape(x, *shape)


def permute(x: Any, *axes: Any) -> Tensor:
    """``x`` with its axes in the order ``axes`` (``permute(x, 0, 2, 1)``)."""
    x = as_tensor(x)
    axes = normalize_axes(_shape_argument(axes), x.ndim)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute: {axes} is not a permutation of the {x.ndim} axes of shape {x.shape}")
    return Permute(axes)(x)


def transpose(x: Any, dim0: int | None = None, dim1: int | None = None) -> Tensor:
    """Swap axes ``dim0`` and ``dim1`` (PyTorch); with no axes, reverse them all (NumPy's ``.T``)."""
    x = as_tensor(x)
    if dim0 is None and dim1 is None:
        return Permute(tuple(reversed(range(x.ndim))))(x)
    if dim0 is None or dim1 is None:
        raise TypeError("transpose takes two axes (dim0, dim1), or none to reverse all axes")
    return Transpose(*normalize_axes((dim0, dim1), x.ndim))(x)


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` (inclusive) into one, as ``torch.flatten``."""
    x = as_tensor(x)
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = normalize_axes((start_dim, end_dim), x.ndim)
    return reshape(x, x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])


def squeeze(x: Any, axis: Any = None, dim: Any = None) -> Tensor:
    """Remove axes of size 1 (all of them, or those named by ``axis``/``dim``)."""
    x = as_tensor(x)
    axis = axis_argument(axis, dim)
    axes = normalize_axes(axis, x.ndim) if axis is not None else tuple(
        i for i, n in enumerate(x.shape) if n == 1)
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1)))


def unsqueeze(x: Any, axis: int | None = None, dim: int | None = None) -> Tensor:
    """Insert an axis of size 1 at position ``axis``/``dim``."""
    x = as_tensor(x)
    axis = axis_argument(axis, dim)
    if axis is None:
        raise TypeError("unsqueeze needs the position of the new axis")
    position = normalize_axes(axis, x.ndim + 1)[0]
    return reshape(x, x.shape[:position] + (1,) + x.shape[position:])


def broadcast_to(x: Any, *shape: Any) -> Tensor:
    """``x`` broadcast to ``shape`` (NumPy's rules)."""
    x = as_tensor(x)
    shape = _shape_argument(shape)
    if shape == x.shape:
        return x
    try:
        return BroadcastTo(shape)(x)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None


def expand(x: Any, *sizes: Any) -> Tensor:
    """``x`` broadcast to ``sizes``, where -1 keeps an axis's size (``torch.Tensor.expand``)."""
    x = as_tensor(x)
    sizes = _shape_argument(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0 or -1 in sizes[:lead]:
        raise ValueError(f"expand: cannot expand shape {x.shape} to {sizes} (-1 only for existing axes)")
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    return broadcast_to(x, shape)


def sum_to(x: Any, shape: tuple[int, ...]) -> Tensor:
    """Sum ``x`` down to ``shape``: the reverse of broadcasting ``shape`` up to ``x.shape``."""
    x = as_tensor(x)
    shape = tuple(shape)
    return x if x.shape == shape else SumTo(shape)(x)


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with basic and integer-array indexing; gradients scatter-add back."""
    x = as_tensor(x)
    return GetItem(_array_index(index))(x)


def concat(tensors: Any, axis: int | None = None, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis, 0 by default (``xp.concatenate``; alias ``cat``)."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concat needs at least one tensor")
    return Concat(_one_axis(axis, dim, tensors[0].ndim))(*tensors)


def _one_axis(axis: int | None, dim: int | None, ndim: int) -> int:
    """The single axis named by ``axis`` or its alias ``dim`` (0 when neither is given)."""
    axis = axis_argument(axis, dim)
    return normalize_axes(0 if axis is None else axis, ndim)[0]


cat = concat


def stack(tensors: Any, axis: int | None = None, dim: int | None = None) -> Tensor:
    """Join tensors of one shape along a new axis (0 by default)."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    axis = _one_axis(axis, dim, tensors[0].ndim + 1)
    return concat([unsqueeze(t, axis) for t in tensors], axis=axis)


def split(x: Any, split_size_or_sections: Any, axis: int | None = None, dim: int | None = None
          ) -> tuple[Tensor, ...]:
    """Cut ``x`` along an axis into chunks of ``split_size`` (an int, the last chunk may be
    smaller) or of the given sizes (a list), as ``torch.split``."""
    x = as_tensor(x)
    axis = _one_axis(axis, dim, x.ndim)
    length = x.shape[axis]
    if isinstance(split_size_or_sections, (int, xp.integer)):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: split size must be positive, got {split_size_or_sections}")
        sizes = [min(split_size_or_sections, length - start)
                 for start in range(0, length, split_size_or_sections)]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != length:
            raise ValueError(f"split: sizes {sizes} do not add up to {length}, the size of axis {axis}")
    boundaries = xp.cumsum(sizes)[:-1].tolist()
    pieces = Split(boundaries, axis)(x)
    return pieces if isinstance(pieces, tuple) else (pieces,)


def pad(x: Any, pad: Any, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad with a constant. ``pad`` is PyTorch's flat tuple ``(left, right, top, bottom, ...)``
    starting from the last axis, or NumPy's ``((before, after), ...)`` per axis."""
    x = as_tensor(x)
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    if len(pad) and isinstance(pad[0], (tuple, list)):
        widths = tuple((int(a), int(b)) for a, b in pad)
    else:
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ValueError(f"pad: {pad} must hold a (before, after) pair for each of the last axes "
                             f"of a tensor of shape {x.shape}")
        pairs = [(int(pad[i]), int(pad[i + 1])) for i in range(0, len(pad), 2)]
        widths = tuple([(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1])
    if len(widths) != x.ndim or any(a < 0 or b < 0 for a, b in widths):
        raise ValueError(f"pad: widths {widths} do not fit a tensor of shape {x.shape}")
    return Pad(widths, value)(x)


def astype(x: Any, dtype: Any) -> Tensor:
    """``x`` converted to ``dtype`` (a cast to an integer dtype has no gradient)."""
    x = as_tensor(x)
    dtype = xp.dtype(dtype)
    if dtype == x.dtype:
        return x
    if dtype.kind != "f":
        from scratchnet.ops.comparison import non_differentiable

        return non_differentiable("astype", x, x.array.astype(dtype))
    return Cast(dtype)(x)
