"""The convolution's patches (im2col) and their adjoint (col2im), a cache-sized block of images at
a time: how ``conv2d`` gets the matrix ``cols`` of its formula ``y = K·cols`` without building it.

``cols`` has one row per kernel offset and input channel, ordered ``(i, j, channel)``, plus a row
of ones that carries the bias, and one column per output pixel. Images arrive and leave as channel
planes (``scratchnet.layout``): patch rows are copied from the planes ``(C, N·H·W)``.

Shifted patches: when the output has the input's size (stride 1, padding d·(K−1) in total per
axis, as 'same'), kernel offset ``(i, j)`` reads every pixel's input at the same flat distance
s = (d·i − top)·W + (d·j − left) along the planes, so each patch row is one contiguous slice of
the input plane (a memory copy, no padded copy of the input), with the pixels whose input falls
in the padding (a few border rows and columns) set to zero. Other convolutions copy the patch
rows from the strided window view of the padded planes.

Cache blocking: the patch matrix of a whole batch is several times the size of the input (tens of
MB), so it is never built. The images go through in blocks whose patches fit in the processor's
cache (``BLOCK_BYTES``); each block's patches are copied and used while they are still in cache,
and backward copies them again (from the kept planes) for the weight gradient rather than
writing and re-reading the whole matrix. col2im folds each block's patch gradients back onto the
input: for shifted patches one add of contiguous rows per kernel offset.

Threads: the batch's images are split over ``scratchnet.parallel``'s threads in chunks of whole
images (``split_images``, ``sum_over_images``); each chunk goes through its own blocks with its own
patch buffer and single-thread BLAS products, and writes only its own images' output pixels and
input gradients (a fold adds nothing outside its block's images: those patch entries are padding).
The weight gradient, a sum over every pixel, is summed per chunk and the chunks' sums added in
chunk order, so it is bitwise reproducible at a given thread count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from scratchnet.backend import xp
from scratchnet.functional.im2col import Padding2d, Pair, fold_windows, windows
from scratchnet.layout import channel_planes
from scratchnet.parallel import parallel_for, parallel_reduce

BLOCK_BYTES = 4 * 2 ** 20
"""Images go through convolution in blocks whose patch matrix takes about this many bytes (at
least one image per block): small enough to stay in cache between the copy and the GEMM."""

WEIGHT_GRADIENT_PIXELS = 4096
"""The weight gradient sums its product over a block's pixels in slices of at most this many
pixels: OpenBLAS is several times slower at a product whose inner dimension is much longer (a
first layer of few channels has the whole batch in one block, 100k pixels for 128 images of
28×28)."""


class Block(NamedTuple):
    """A block of images and the columns of their output pixels in ``cols`` and the planes."""

    images: slice
    pixels: slice


class Patches:
    """The patch columns of an input ``x (N, C, H, W)`` for a ``kernel_size`` window moved by
    ``stride`` with ``padding`` and ``dilation``, each column of ``rows`` entries (KH·KW·channels of
    a group, plus a ones row when ``ones_row``) of ``dtype``, a block of images at a time."""

    def __init__(self, x: xp.ndarray, kernel_size: Pair, stride: Pair, padding: Padding2d, dilation: Pair,
                 rows: int, ones_row: bool, dtype: xp.dtype) -> None:
        n, c, h, w = x.shape
        (top, bottom), (left, right) = padding
        (dh, dw), (kh, kw) = dilation, kernel_size
        self.padding, self.stride, self.dilation = padding, stride, dilation
        self.batch, self.in_size, self.rows, self.ones_row, self.dtype = n, (h, w), rows, ones_row, dtype
        self.shifted = stride == (1, 1) and top + bottom == dh * (kh - 1) and left + right == dw * (kw - 1)
        if self.shifted:
            self.out_size = (h, w)
            self.planes = channel_planes(x)
            downs, acrosses = [dh * i - top for i in range(kh)], [dw * j - left for j in range(kw)]
            self.shifts = [down * w + across for down in downs for across in acrosses]
            self.valid_rows = [(max(0, -down), min(h, h - down)) for down in downs]
            self.valid_columns = [(max(0, -across), min(w, w - across)) for across in acrosses]
        else:
            padded = xp.zeros((c, n, h + top + bottom, w + left + right), dtype=x.dtype)
            padded[:, :, top:top + h, left:left + w] = x.transpose(1, 0, 2, 3)
            self.view = windows(padded, kernel_size, stride, dilation)  # (C, N, OH, OW, KH, KW)
            self.out_size = self.view.shape[2:4]
        self.image_pixels = self.out_size[0] * self.out_size[1]
        self.block_images = max(1, BLOCK_BYTES // max(1, rows * self.image_pixels * dtype.itemsize))

    @property
    def pixels(self) -> int:
        """The output pixels of the whole batch: N·OH·OW."""
        return self.batch * self.image_pixels

    def split_images(self, work: Callable[[Block, xp.ndarray], None]) -> None:
        """``work(block, cols)`` for every block of images, the images split over the threads, each
        chunk with its own patch buffer ``cols``; ``work`` writes only the block's own pixels."""
        def chunk(start: int, stop: int) -> None:
            cols = self.buffer()
            for block in self.blocks(start, stop):
                work(block, cols)
        parallel_for(self.batch, chunk, item_cost=self.rows * self.image_pixels)

    def sum_over_images(self, partial: Callable[[list[Block], xp.ndarray], xp.ndarray]) -> xp.ndarray:
        """Σ over chunks of images, in chunk order, of ``partial(blocks, cols)``: a chunk's blocks
        and its own patch buffer (the images split over the threads as in ``split_images``)."""
        def chunk(start: int, stop: int) -> xp.ndarray:
            return partial(self.blocks(start, stop), self.buffer())
        return parallel_reduce(self.batch, chunk, item_cost=self.rows * self.image_pixels)

    def blocks(self, start: int, stop: int) -> list[Block]:
        """Images ``start`` to ``stop`` in blocks of as many images as fit in ``BLOCK_BYTES`` of
        patches (the last one shorter)."""
        starts = range(start, stop, self.block_images)
        return [Block(slice(first, last), slice(first * self.image_pixels, last * self.image_pixels))
                for first, last in zip(starts, [*starts[1:], stop])]

    def buffer(self) -> xp.ndarray:
        """Room for one block's patches ``(rows, pixels)``, the ones row filled here, once."""
        cols = xp.empty((self.rows, min(self.block_images, self.batch) * self.image_pixels), dtype=self.dtype)
        if self.ones_row:
            cols[-1] = 1
        return cols

    def copy(self, block: Block, inputs: slice, cols: xp.ndarray) -> xp.ndarray:
        """The patches of ``block`` over the ``inputs`` channels, copied into the front of ``cols``."""
        pixels = block.pixels.stop - block.pixels.start
        cols = cols[:, :pixels]
        channels = inputs.stop - inputs.start
        if not self.shifted:
            kh, kw = self.view.shape[4:]
            rows = cols[:kh * kw * channels].reshape(kh, kw, channels, -1, *self.out_size)
            rows[...] = self.view[inputs, block.images].transpose(4, 5, 0, 1, 2, 3)
            return cols
        everywhere = slice(0, self.planes.shape[1])
        for k, shift in enumerate(self.shifts):  # pixels past the planes' ends are padding, zeroed below
            in_block, in_planes = _overlap(block.pixels.start + shift, pixels, everywhere)
            cols[k * channels:(k + 1) * channels, in_block] = self.planes[inputs, in_planes]
        self._zero_padding_pixels(cols, channels)
        return cols

    def _zero_padding_pixels(self, rows: xp.ndarray, channels: int) -> None:
        """Zero, in shifted patch rows (or their gradients) of ``channels`` channels per kernel
        offset, the pixels whose input lies in the padding: for each kernel row a few border rows
        of every image, for each kernel column a few border columns."""
        h, w = self.in_size
        kh, kw = len(self.valid_rows), len(self.valid_columns)
        images = rows[:kh * kw * channels].reshape(kh, kw, channels, -1, h, w)
        for i, (top, bottom) in enumerate(self.valid_rows):
            for border in (slice(0, top), slice(bottom, h)):
                if border.start < border.stop:
                    images[i, :, :, :, border] = 0
        for j, (left, right) in enumerate(self.valid_columns):
            for border in (slice(0, left), slice(right, w)):
                if border.start < border.stop:
                    images[:, j, :, :, :, border] = 0

    def fold(self, patches: xp.ndarray, block: Block, gx: xp.ndarray) -> None:
        """gx (a group's ``(C, N, H, W)`` planes) += col2im(patches) of ``block``: the adjoint of
        ``copy``, adding each patch row back onto the input pixel it was copied from. Only the
        block's own images change: its patches' entries from other images are padding (zeros)."""
        channels, h, w = gx.shape[0], *self.in_size
        if self.shifted:
            self._zero_padding_pixels(patches, channels)
            flat = gx.reshape(channels, -1)
            for k, shift in enumerate(self.shifts):
                in_block, in_planes = _overlap(block.pixels.start + shift, patches.shape[1], block.pixels)
                flat[:, in_planes] += patches[k * channels:(k + 1) * channels, in_block]
            return
        kh, kw = self.view.shape[4:]
        grad_windows = patches.reshape(kh, kw, channels, -1, *self.out_size).transpose(2, 3, 4, 5, 0, 1)
        (top, bottom), (left, right) = self.padding
        padded_shape = (channels, grad_windows.shape[1], h + top + bottom, w + left + right)
        padded = fold_windows(grad_windows, padded_shape, self.stride, self.dilation)
        gx[:, block.images] += padded[:, :, top:top + h, left:left + w]


def add_weight_gradient(patches: xp.ndarray, gy: xp.ndarray, weight_and_bias: xp.ndarray) -> None:
    """[gW | gb] += gy·patchesᵀ for one block, computed as (patches·gyᵀ)ᵀ and summed over slices of
    ``WEIGHT_GRADIENT_PIXELS`` pixels: OpenBLAS is slow at the product with the long inner dimension."""
    for start in range(0, patches.shape[1], WEIGHT_GRADIENT_PIXELS):
        part = slice(start, start + WEIGHT_GRADIENT_PIXELS)
        weight_and_bias += (patches[:, part] @ gy[:, part].T).T


def _overlap(start: int, pixels: int, bounds: slice) -> tuple[slice, slice]:
    """Where a run of ``pixels`` flat positions from ``start`` overlaps the positions ``bounds`` of
    the planes: (those positions within the run, the same positions within the planes)."""
    low, high = max(bounds.start, start), max(bounds.start, min(bounds.stop, start + pixels))
    return slice(low - start, max(low, high) - start), slice(low, max(low, high))
