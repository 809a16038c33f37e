"""How an array's elements lie in memory, and elementwise work that follows it.

Layers keep the memory order they are given: a convolution returns *channel planes*, memory
``(C, N, H, W)`` seen as ``(N, C, H, W)``, and the batch norm and ReLU after it work on the same
memory. NumPy runs an elementwise operation over such an array in one long loop when all its
operands are stored alike, but with a broadcast operand (a row of zeros) it loops over the
innermost axis only: 28 pixels of an image row at a time, two to three times slower.
"""

from __future__ import annotations

from collections.abc import Callable

from scratchnet.backend import xp


def memory_order(a: xp.ndarray) -> list[int]:
    """The axes of ``a`` from the outermost in memory to the innermost (ties keep axis order)."""
    return sorted(range(a.ndim), key=lambda axis: -a.strides[axis])


def on_memory_rows(function: Callable[[xp.ndarray], xp.ndarray], a: xp.ndarray) -> xp.ndarray:
    """``function(a)`` for an elementwise ``function``, run on ``a``'s memory seen as rows (its
    outermost stored axis by all the others) and returned in ``a``'s shape and memory order. An
    ``a`` not stored contiguously goes to ``function`` as it is."""
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
    against a row of zeros: NumPy's SIMD loops for these take two arrays, not an array and a
    scalar (about 2.5 times slower on a conv layer's output)."""
    return on_memory_rows(lambda rows: ufunc(rows, xp.zeros(rows.shape[-1:], dtype=rows.dtype)), a)
