"""Memory layout: what order an array's elements lie in, and how a routine gets the order it wants.

An ``(N, C, H, W)`` batch of images can lie in memory in three orders that matter here, named by
the axes from the outermost in memory to the innermost (``memory_order``):

- *channels-first* ``(N, C, H, W)``: NumPy's C order, what users and data loaders hand in;
- *channel planes* ``(C, N, H, W)``: each channel one long row of all its pixels. A convolution
  reads its input as planes (``channel_planes``) and writes its output as planes, which it hands
  on as an ``(N, C, H, W)`` view (``images_of_planes``) without a transposing copy;
- *channels-last* ``(N, H, W, C)``: the Keras front end's images.

The rule, kept by every kernel: **a routine states the order it wants and gets it here; what it
returns keeps the order of its input**, so that the elementwise work after a convolution (batch
norm, ReLU, pooling, dropout) runs over the planes where they lie, and the next convolution reads
them without a copy. NumPy runs an elementwise operation in one long loop when all its operands
are stored alike; a broadcast operand, or one stored in another order, makes it loop over the
innermost axis only (28 pixels of an image row at a time, two to three times slower). So:

- elementwise routines run on the array's *memory rows* (``on_memory_rows``, ``against_zeros``);
- gradients and new arrays are made in the order of the forward's array (``stored_like``,
  ``new_array_like``);
- per-channel work (batch norm) sees the array as rows of one channel each (``ChannelRows``);
- windowed work (pooling) walks kernel offsets of a copy stored offset first
  (``offsets_outermost``) when its windows tile the input.

Nothing else in scratchnet tests strides or transposes an array to match another.

>>> import numpy as np
>>> planes = np.zeros((3, 2, 4, 5), dtype=np.float32)   # (C, N, H, W) memory
>>> images = images_of_planes(planes.reshape(3, -1), 2, (4, 5))
>>> images.shape, memory_order(images)
((2, 3, 4, 5), [1, 0, 2, 3])
>>> channel_planes(images).base is planes   # the convolution's planes, read without a copy
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

from scratchnet.backend import xp


def memory_order(a: xp.ndarray) -> list[int]:
    """The axes of ``a`` from the outermost in memory to the innermost (ties keep axis order).

    >>> memory_order(xp.zeros((2, 3, 4)).transpose(1, 0, 2))
    [1, 0, 2]
    """
    return sorted(range(a.ndim), key=lambda axis: -a.strides[axis])


def new_array_like(shape: tuple[int, ...], dtype: xp.dtype, like: xp.ndarray,
                   zeroed: bool = True) -> xp.ndarray:
    """A new array of zeros (uninitialised unless ``zeroed``) of ``shape``, its axes stored in the
    same memory order as those of ``like`` (an array with as many axes).

    >>> memory_order(new_array_like((2, 3), xp.float32, xp.zeros((4, 5)).T))
    [1, 0]
    """
    order = memory_order(like)
    make = xp.zeros if zeroed else xp.empty
    return make(tuple(shape[axis] for axis in order), dtype=dtype).transpose(xp.argsort(order))


def stored_like(array: xp.ndarray, reference: xp.ndarray) -> xp.ndarray:
    """``array`` stored in the same memory order as ``reference`` (copied only when it is not, or when
    it is a broadcast view), so that the elementwise work that follows runs over contiguous memory.

    >>> memory_order(stored_like(xp.ones((2, 3)), xp.zeros((2, 3), order="F")))
    [1, 0]
    """
    if 0 not in array.strides and memory_order(array) == memory_order(reference):
        return array
    out = new_array_like(reference.shape, array.dtype, reference, zeroed=False)
    out[...] = array
    return out


def channel_planes(x: xp.ndarray) -> xp.ndarray:
    """The ``(C, N·H·W)`` planes of an ``(N, C, H, W)`` array: a view when ``x`` is stored as
    planes (a convolution's output), else one copy.

    >>> channel_planes(xp.arange(8.0).reshape(2, 2, 1, 2))
    array([[0., 1., 4., 5.],
           [2., 3., 6., 7.]])
    """
    return xp.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(x.shape[1], -1)


def images_of_planes(planes: xp.ndarray, batch: int, size: tuple[int, int]) -> xp.ndarray:
    """Planes ``(C, N·H·W)`` (or ``(C, N, H, W)``) seen as ``(N, C, H, W)`` images of ``size`` (a
    view, no copy)."""
    return planes.reshape(planes.shape[0], batch, *size).transpose(1, 0, 2, 3)


def on_memory_rows(function: Callable[[xp.ndarray], xp.ndarray], a: xp.ndarray) -> xp.ndarray:
    """``function(a)`` for an elementwise ``function``, run on ``a``'s memory seen as rows (its
    outermost stored axis by all the others) and returned in ``a``'s shape and memory order. An
    ``a`` not stored contiguously goes to ``function`` as it is.

    >>> on_memory_rows(xp.negative, xp.arange(6.0).reshape(2, 3).T).flags.f_contiguous
    True
    """
    if a.ndim < 2 or a.size == 0 or (a.ndim == 2 and a.flags.c_contiguous):
        return function(a)
    if a.flags.c_contiguous:
        return function(a.reshape(a.shape[0], -1)).reshape(a.shape)
    if a.flags.f_contiguous:  # stored in reverse axis order: the transpose is C-contiguous
        return on_memory_rows(function, a.T).T
    order = memory_order(a)
    stored = a.transpose(order)
    if not stored.flags.c_contiguous:
        return function(a)
    return function(stored.reshape(stored.shape[0], -1)).reshape(stored.shape).transpose(xp.argsort(order))


def against_zeros(ufunc: Callable[..., xp.ndarray], a: xp.ndarray) -> xp.ndarray:
    """``ufunc(a, 0)`` (``maximum``, ``fmin``, ...) as a new array in ``a``'s memory order, computed
    on memory rows against a row of zeros: NumPy's SIMD loops for these take two arrays, not an
    array and a scalar (about 2.5 times slower on a conv layer's output).

    >>> against_zeros(xp.maximum, xp.array([-1.0, 2.0]))
    array([0., 2.])
    """
    return on_memory_rows(lambda rows: ufunc(rows, xp.zeros(rows.shape[-1:], dtype=rows.dtype)), a)


class ChannelRows:
    """An ``(N, C, ...)`` array seen as a 2-D array of long contiguous rows in its own memory order,
    so that per-channel sums and scalings run over long inner loops (NumPy is slow over short
    ones, like the 16 channels of a pixel).

    When the channel axis is not the innermost in memory, each row holds one channel: the stored
    axes up to the channel's make the rows (channel planes give ``(C, N·H·W)``, one row per
    channel; channels-first gives ``(N·C, H·W)``, the channels repeating). When it is the innermost
    (channels-last, and ``(N, C)`` input), rows are ``(…, W·C)`` with the channel cycling along each
    row. A per-channel vector is ``spread`` to match. An input not stored contiguously in any order
    is copied to channels-first once.

    >>> rows = ChannelRows(xp.arange(12.0).reshape(2, 3, 2))   # channels-first: (N·C, L) rows
    >>> rows.rows.shape, rows.sum(rows.rows)
    ((6, 2), array([14., 22., 30.]))
    """

    def __init__(self, a: xp.ndarray) -> None:
        self.shape, self.channels = a.shape, a.shape[1]
        order = [0, 1] if a.ndim == 2 else sorted(memory_order(a), key=lambda axis: a.shape[axis] > 1)
        if not a.transpose(order).flags.c_contiguous:  # (axes of size 1 first: they take no room)
            a, order = xp.ascontiguousarray(a), list(range(a.ndim))
        self.order = order
        stored = a.transpose(order)
        self.along_columns = order[-1] == 1  # the channel cycles along each row
        if self.along_columns:
            width = (stored.shape[-2] if a.ndim > 2 else 1) * self.channels
        else:
            width = math.prod(stored.shape[order.index(1) + 1:])
        # both sizes given: an empty batch has rows of known width
        self.stored_shape, self.rows = stored.shape, stored.reshape(a.size // max(width, 1), width)

    def rows_of(self, b: xp.ndarray) -> xp.ndarray:
        """``b`` (shaped like the array) as rows of the same layout (copied if stored otherwise)."""
        b = stored_like(b, self.array(self.rows))
        return b.transpose(self.order).reshape(self.rows.shape)

    def array(self, rows: xp.ndarray) -> xp.ndarray:
        """Rows of this layout back as an ``(N, C, ...)`` array (a view)."""
        return rows.reshape(self.stored_shape).transpose(xp.argsort(self.order))

    def sum(self, rows: xp.ndarray, other: xp.ndarray | None = None) -> xp.ndarray:
        """Σ per channel of ``rows`` (or of ``rows · other``, without a temporary product).

        The plain sum is a matrix-vector product with ones (BLAS: several times faster than NumPy's
        pairwise ``sum`` over long rows)."""
        if other is not None:
            partial = xp.einsum("ij,ij->j", rows, other) if self.along_columns else xp.vecdot(rows, other)
        elif self.along_columns:
            partial = xp.ones(rows.shape[0], dtype=rows.dtype) @ rows
        else:
            partial = rows @ xp.ones(rows.shape[1], dtype=rows.dtype)
        return partial.reshape(-1, self.channels).sum(axis=0)

    def spread(self, per_channel: xp.ndarray) -> xp.ndarray:
        """A ``(C,)`` vector tiled to broadcast against the rows."""
        if self.along_columns:
            return xp.tile(per_channel, self.rows.shape[1] // self.channels)
        if self.rows.shape[0] == self.channels:
            return per_channel[:, None]
        return xp.tile(per_channel, self.rows.shape[0] // self.channels)[:, None]


def offsets_outermost(view: xp.ndarray) -> xp.ndarray:
    """A copy of a window view ``(N, C, OH, OW, KH, KW)`` stored kernel offset first, each offset's
    ``(N, C, OH, OW)`` slice contiguous in the input's memory order (the elementwise passes over it
    then run on contiguous memory instead of every other element)."""
    order = memory_order(view[..., 0, 0])
    stored = xp.empty(view.shape[4:] + tuple(view.shape[axis] for axis in order), dtype=view.dtype)
    copy = stored.transpose([2 + order.index(axis) for axis in range(4)] + [0, 1])
    copy[...] = view
    return copy
