"""im2col / col2im: image patches as the rows of a matrix, so that convolution is one GEMM.

Book 1's layout (Deep Learning from Scratch): for an input ``(N, C, H, W)`` and a ``KH×KW``
kernel, ``cols`` is ``(N·OH·OW, C·KH·KW)`` with rows ordered ``(n, oh, ow)`` and columns ordered
``(c, kh, kw)``, so that ``cols @ W.reshape(OC, -1).T`` is the convolution. The patches are a
strided view of the padded input (no Python loop over images or pixels) copied once;
``col2im`` is its adjoint, summing overlapping patches with one loop over the ``KH·KW`` offsets.

The helpers below work on the 6-D window view ``(N, C, OH, OW, KH, KW)`` so that convolution and
pooling can pick the memory order that suits them (``scratchnet.layout``), and keep an array's
memory order through the copies they make.
"""

from __future__ import annotations

from typing import Any

from scratchnet.backend import xp
from scratchnet.layout import new_array_like

Pair = tuple[int, int]
Padding2d = tuple[Pair, Pair]


def pair(value: Any, name: str = "value") -> Pair:
    """``value`` as an ``(h, w)`` pair of ints: an int is used for both axes."""
    if isinstance(value, (int, xp.integer)):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return int(value[0]), int(value[1])
    raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")


def padding_2d(padding: Any) -> Padding2d:
    """Padding as ``((top, bottom), (left, right))`` from an int, ``(ph, pw)`` or that form."""
    if isinstance(padding, (tuple, list)) and len(padding) == 2 and all(
            isinstance(p, (tuple, list)) for p in padding):
        (top, bottom), (left, right) = padding
        widths = ((int(top), int(bottom)), (int(left), int(right)))
    else:
        ph, pw = pair(padding, "padding")
        widths = ((ph, ph), (pw, pw))
    if min(widths[0] + widths[1]) < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return widths


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int | Pair = 0,
                     dilation: int = 1) -> int:
    """Output length of a sliding window: ⌊(size + pad_total − dilation·(kernel−1) − 1) / stride⌋ + 1.

    ``padding`` is one side's padding (used twice) or a ``(before, after)`` pair.
    """
    total = 2 * padding if isinstance(padding, (int, xp.integer)) else padding[0] + padding[1]
    return (size + total - dilation * (kernel - 1) - 1) // stride + 1


def pad_2d(x: xp.ndarray, padding: Padding2d, value: float = 0.0) -> xp.ndarray:
    """``x (N, C, H, W)`` padded on its last two axes with ``value``; ``x`` itself when no padding.

    The padded copy keeps ``x``'s memory order (channels-last stays channels-last).
    """
    (top, bottom), (left, right) = padding
    if top == bottom == left == right == 0:
        return x
    n, c, h, w = x.shape
    out = new_array_like((n, c, h + top + bottom, w + left + right), x.dtype, x, zeroed=value == 0)
    if value != 0:
        out.fill(value)
    out[:, :, top:top + h, left:left + w] = x
    return out


def windows(x_padded: xp.ndarray, kernel_size: Pair, stride: Pair, dilation: Pair) -> xp.ndarray:
    """The read-only strided view ``(N, C, OH, OW, KH, KW)`` of every window of a padded input."""
    n, c, h, w = x_padded.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    s_n, s_c, s_h, s_w = x_padded.strides
    return xp.lib.stride_tricks.as_strided(
        x_padded, (n, c, oh, ow, kh, kw), (s_n, s_c, s_h * sh, s_w * sw, s_h * dh, s_w * dw),
        writeable=False)


def window_offset(i: int, j: int, out_size: Pair, stride: Pair, dilation: Pair) -> tuple[slice, slice]:
    """The rows and columns of the padded input that kernel offset ``(i, j)`` reads for every output."""
    (oh, ow), (sh, sw), (dh, dw) = out_size, stride, dilation
    return (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def kernel_offsets(kernel_size: Pair) -> list[tuple[int, int]]:
    """Every ``(i, j)`` position of a ``KH×KW`` kernel, row by row."""
    return [(i, j) for i in range(kernel_size[0]) for j in range(kernel_size[1])]


def fold_windows(grad_windows: xp.ndarray, padded_shape: tuple[int, ...], stride: Pair,
                 dilation: Pair) -> xp.ndarray:
    """Adjoint of ``windows``: sum ``grad_windows (N, C, OH, OW, KH, KW)`` into a zero array of
    ``padded_shape``, one vectorised add per kernel offset."""
    out = xp.zeros(padded_shape, dtype=grad_windows.dtype)
    for i, j in kernel_offsets(grad_windows.shape[4:]):
        rows, cols = window_offset(i, j, grad_windows.shape[2:4], stride, dilation)
        out[:, :, rows, cols] += grad_windows[:, :, :, :, i, j]
    return out


def crop_2d(x_padded: xp.ndarray, padding: Padding2d) -> xp.ndarray:
    """The centre of a padded ``(N, C, H, W)`` array (a view): undoes ``pad_2d``."""
    (top, bottom), (left, right) = padding
    h, w = x_padded.shape[2:]
    return x_padded[:, :, top:h - bottom, left:w - right]


def im2col(x: xp.ndarray, kernel_size: Any, stride: Any = (1, 1), padding: Any = ((0, 0), (0, 0)),
           dilation: Any = (1, 1)) -> xp.ndarray:
    """Patches of ``x (N, C, H, W)`` as the rows of ``cols (N·OH·OW, C·KH·KW)``.

    Rows are ordered ``(n, oh, ow)``, columns ``(c, kh, kw)``: ``cols @ W.reshape(OC, -1).T`` is the
    convolution. ``padding`` is an int, ``(ph, pw)`` or asymmetric ``((top, bottom), (left, right))``.
    """
    x = xp.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"im2col expects an (N, C, H, W) array, got shape {x.shape}")
    view = windows(pad_2d(x, padding_2d(padding)), pair(kernel_size, "kernel_size"),
                   pair(stride, "stride"), pair(dilation, "dilation"))
    n, c, oh, ow, kh, kw = view.shape
    return view.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)


def col2im(cols: xp.ndarray, input_shape: tuple[int, ...], kernel_size: Any, stride: Any = (1, 1),
           padding: Any = ((0, 0), (0, 0)), dilation: Any = (1, 1)) -> xp.ndarray:
    """Adjoint of ``im2col``: an ``input_shape`` array where each element sums the entries of
    ``cols`` that were copied from it (overlapping patches add up)."""
    n, c, h, w = input_shape
    widths = padding_2d(padding)
    (kh, kw), (sh, sw), (dh, dw) = pair(kernel_size), pair(stride), pair(dilation)
    padded_shape = (n, c, h + sum(widths[0]), w + sum(widths[1]))
    oh = conv_output_size(h, kh, sh, widths[0], dh)
    ow = conv_output_size(w, kw, sw, widths[1], dw)
    grad_windows = cols.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 1, 2, 4, 5)
    return xp.ascontiguousarray(crop_2d(fold_windows(grad_windows, padded_shape, (sh, sw), (dh, dw)),
                                        widths))
