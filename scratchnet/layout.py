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

- elementwise routines run on the array's *memory rows*, chunks of rows split over the threads
  (``memory_rows``, ``split_rows``, ``elementwise``, ``against_zeros``);
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
from scratchnet.parallel import parallel_for, parallel_reduce, runs_whole


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


def memory_rows(a: xp.ndarray) -> tuple[xp.ndarray, Callable[[xp.ndarray], xp.ndarray]] | None:
    """``a``'s memory seen as rows, its outermost stored axis by all the others (a C-contiguous 2-D
    view), and the function that turns a rows-shaped result back into ``a``'s shape and memory
    order; None for an ``a`` of under two axes, empty, or not stored contiguously.

    >>> rows, back = memory_rows(xp.zeros((2, 3, 4)).transpose(1, 0, 2))
    >>> rows.shape, back(rows).shape
    ((2, 12), (3, 2, 4))
    """
    if a.ndim < 2 or a.size == 0:
        return None
    if a.flags.c_contiguous:
        return a.reshape(a.shape[0], -1), lambda rows: rows.reshape(a.shape)
    if a.flags.f_contiguous:  # stored in reverse axis order: the transpose is C-contiguous
        rows, back = memory_rows(a.T)
        return rows, lambda result: back(result).T
    order = memory_order(a)
    stored = a.transpose(order)
    if not stored.flags.c_contiguous:
        return None
    return (stored.reshape(stored.shape[0], -1),
            lambda rows: rows.reshape(stored.shape).transpose(xp.argsort(order)))


def split_rows(rows: xp.ndarray, work: Callable[[slice], object]) -> None:
    """``work(chunk)`` for chunks (slices) of the rows of a 2-D array, over the threads
    (``scratchnet.parallel``): how every elementwise routine splits. ``work`` writes only its own
    rows, so the result has the same bits at any thread count."""
    parallel_for(rows.shape[0], lambda start, stop: work(slice(start, stop)), item_cost=rows.shape[1])


def row_wise(function: Callable[[xp.ndarray, int], xp.ndarray], x: xp.ndarray, axis: int) -> xp.ndarray:
    """``function(x, axis)`` for a ``function`` that treats each row on its own (softmax along the
    rows), over chunks of rows on the threads when ``x`` is a C-contiguous 2-D float array taken
    along its rows (the result has the same bits as whole); whole otherwise.

    >>> row_wise(lambda x, axis: x - x.max(axis=axis, keepdims=True), xp.eye(2), 1)
    array([[ 0., -1.],
           [-1.,  0.]])
    """
    if (x.ndim != 2 or axis not in (1, -1) or not x.flags.c_contiguous or x.dtype.kind != "f"
            or runs_whole(x.shape[0], x.shape[1])):
        return function(x, axis)
    out = xp.empty_like(x)

    def chunk(rows: slice) -> None:
        out[rows] = function(x[rows], axis)
    split_rows(x, chunk)
    return out


def elementwise(function: Callable[..., object], a: xp.ndarray, *others: xp.ndarray,
                dtype: xp.dtype | None = None) -> xp.ndarray:
    """The array ``out`` of ``a``'s shape and memory order (and ``dtype``, else ``a``'s) filled by
    ``function(a_part, *other_parts, out=out_part)`` on chunks of memory rows over the threads;
    ``others`` (of ``a``'s shape) are brought to ``a``'s memory order first. An ``a`` that is not
    stored contiguously goes to ``function`` whole (``out=None``: it returns the result).

    >>> elementwise(lambda x, y, out: xp.add(x, y, out=out), xp.ones((2, 3)), xp.ones((2, 3)))
    array([[2., 2., 2.],
           [2., 2., 2.]])
    """
    if runs_whole(a.size):  # one chunk: plain NumPy, then a's memory order and the dtype asked
        result = function(a, *others, out=None)
        wanted = a.dtype if dtype is None else dtype
        if result.dtype == wanted and (result.flags.c_contiguous and a.flags.c_contiguous
                                       or result.flags.f_contiguous and a.flags.f_contiguous):
            return result
        out = new_array_like(a.shape, wanted, a, zeroed=False)
        out[...] = result
        return out
    found = memory_rows(a)
    if found is None:
        return function(a, *others, out=None)
    rows, back = found
    parts = [rows, *(_rows_like(other, a, rows.shape) for other in others)]
    out = xp.empty(rows.shape, dtype=a.dtype if dtype is None else dtype)
    split_rows(rows, lambda chunk: function(*(part[chunk] for part in parts), out=out[chunk]))
    return back(out)


def _rows_like(other: xp.ndarray, a: xp.ndarray, shape: tuple[int, ...]) -> xp.ndarray:
    """``other`` (of ``a``'s shape) as memory rows of ``shape``, as ``a``'s, copied when it is not
    stored contiguously in ``a``'s memory order."""
    found = memory_rows(stored_like(other, a))
    if found is not None and found[0].shape == shape:
        return found[0]
    copy = new_array_like(a.shape, other.dtype, a, zeroed=False)
    copy[...] = other
    return memory_rows(copy)[0]


def against_zeros(ufunc: Callable[..., xp.ndarray], a: xp.ndarray) -> xp.ndarray:
    """``ufunc(a, 0)`` (``maximum``, ``fmin``, ...) as a new array in ``a``'s memory order, computed
    on memory rows against a row of zeros: NumPy's SIMD loops for these take two arrays, not an
    array and a scalar (about 2.5 times slower on a conv layer's output).

    >>> against_zeros(xp.maximum, xp.array([-1.0, 2.0]))
    array([0., 2.])
    """
    def against_row_of_zeros(part: xp.ndarray, out: xp.ndarray | None) -> xp.ndarray:
        return ufunc(part, xp.zeros(part.shape[-1:], dtype=part.dtype), out=out)
    found = memory_rows(a)
    if found is None:
        return elementwise(against_row_of_zeros, a)
    rows, back = found  # long rows even when the work is not split (not an image row of 28)
    return back(elementwise(against_row_of_zeros, rows))


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

    Threads split the rows (``split``): elementwise passes over them give the same bits at any
    thread count; the per-channel sums add per-chunk partial sums in chunk order.

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

    def split(self, work: Callable[[slice], object]) -> None:
        """``work(rows)`` for chunks ``rows`` (a slice) of the rows, over the threads (``split_rows``).
        ``part`` gives an operand's share of a chunk."""
        split_rows(self.rows, work)

    @staticmethod
    def part(operand: xp.ndarray, rows: slice) -> xp.ndarray:
        """The share of chunk ``rows`` of a rows-shaped array or a ``spread`` vector."""
        return operand[rows] if operand.ndim == 2 else operand

    def sum(self, rows: xp.ndarray, other: xp.ndarray | None = None) -> xp.ndarray:
        """Σ per channel of ``rows`` (or of ``rows · other``, without a temporary product).

        The plain sum is a matrix-vector product with ones (BLAS: several times faster than NumPy's
        pairwise ``sum`` over long rows)."""
        return self._row_sums(rows, other).reshape(-1, self.channels).sum(axis=0)

    def _row_sums(self, rows: xp.ndarray, other: xp.ndarray | None) -> xp.ndarray:
        """Σ along each row (or, channels-last, down each column) of ``rows`` or ``rows · other``,
        chunks of rows on the threads."""
        if self.along_columns:
            def column_sums(start: int, stop: int) -> xp.ndarray:
                if other is None:
                    return xp.ones(stop - start, dtype=rows.dtype) @ rows[start:stop]
                return xp.einsum("ij,ij->j", rows[start:stop], other[start:stop])
            return parallel_reduce(rows.shape[0], column_sums, item_cost=rows.shape[1])
        sums = xp.empty(rows.shape[0], dtype=rows.dtype if other is None else xp.result_type(rows, other))

        def row_sums(start: int, stop: int) -> None:
            if other is None:
                xp.matmul(rows[start:stop], xp.ones(rows.shape[1], dtype=rows.dtype), out=sums[start:stop])
            else:
                xp.vecdot(rows[start:stop], other[start:stop], out=sums[start:stop])
        parallel_for(rows.shape[0], row_sums, item_cost=rows.shape[1])
        return sums

    def spread(self, per_channel: xp.ndarray) -> xp.ndarray:
        """A ``(C,)`` vector tiled to broadcast against the rows."""
        if self.along_columns:
            return xp.tile(per_channel, self.rows.shape[1] // self.channels)
        if self.rows.shape[0] == self.channels:
            return per_channel[:, None]
        return xp.tile(per_channel, self.rows.shape[0] // self.channels)[:, None]


def split_images(images: xp.ndarray, work: Callable[[tuple[slice, slice]], object], cost: int = 1) -> None:
    """``work(part)`` for chunks of an ``(N, C, ...)`` array's images or channel planes, whichever
    axis is stored outer, over the threads: how windowed routines (pooling) split. ``part`` indexes
    the first two axes; each element costs about ``cost`` passes; ``work`` writes only its part.

    >>> out = xp.zeros((4, 2, 3, 3)); split_images(out, lambda part: out[part].fill(1)); float(out.sum())
    72.0
    """
    axis = 1 if memory_order(images).index(1) < memory_order(images).index(0) else 0
    count = images.shape[axis]

    def chunk(start: int, stop: int) -> None:
        work((slice(start, stop), slice(None)) if axis == 0 else (slice(None), slice(start, stop)))
    parallel_for(count, chunk, item_cost=cost * (images.size // max(count, 1)))


def offsets_outermost(view: xp.ndarray) -> xp.ndarray:
    """A copy of a window view ``(N, C, OH, OW, KH, KW)`` stored kernel offset first, each offset's
    ``(N, C, OH, OW)`` slice contiguous in the input's memory order (the elementwise passes over it
    then run on contiguous memory instead of every other element); copied by parts over the threads."""
    order = memory_order(view[..., 0, 0])
    stored = xp.empty(view.shape[4:] + tuple(view.shape[axis] for axis in order), dtype=view.dtype)
    copy = stored.transpose([2 + order.index(axis) for axis in range(4)] + [0, 1])

    def copy_part(part: tuple[slice, slice]) -> None:
        copy[part] = view[part]
    split_images(copy[..., 0, 0], copy_part, view.shape[4] * view.shape[5])
    return copy
