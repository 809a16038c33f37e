"""Max and average pooling through im2col, as book 1's ``Pooling``: each row of
``im2col(x).reshape(-1, PH·PW)`` is one channel's window, in the order (n, oh, ow, c)."""

from __future__ import annotations

from typing import Any

from scratchnet.backend import xp
from scratchnet.reference.conv import _pair, col2im, im2col, output_size


def _windows(x: xp.ndarray, pool: Any, stride: Any, pad: Any, fill: float) -> xp.ndarray:
    """The pooling windows of ``x`` padded with ``fill``, one a row: (N·OH·OW·C, PH·PW)."""
    (pool_h, pool_w), (ph, pw) = _pair(pool), _pair(pad)
    padded = xp.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)], constant_values=fill)
    return im2col(padded, pool_h, pool_w, stride).reshape(-1, pool_h * pool_w)


def _as_image(rows: xp.ndarray, x_shape: tuple[int, ...], pool: Any, stride: Any, pad: Any) -> xp.ndarray:
    """One value per window (rows in (n, oh, ow, c) order) as the (N, C, OH, OW) output."""
    (pool_h, pool_w), (sh, sw), (ph, pw) = _pair(pool), _pair(stride), _pair(pad)
    n, c, h, w = x_shape
    out_h, out_w = output_size(h, pool_h, sh, ph), output_size(w, pool_w, sw, pw)
    return rows.reshape(n, out_h, out_w, c).transpose(0, 3, 1, 2)


def _spread(dwindows: xp.ndarray, x_shape: tuple[int, ...], pool: Any, stride: Any, pad: Any) -> xp.ndarray:
    """Window gradients (N·OH·OW·C, PH·PW) summed back onto the input (padding cut off)."""
    (pool_h, pool_w), (ph, pw) = _pair(pool), _pair(pad)
    n, c, h, w = x_shape
    padded_shape = (n, c, h + 2 * ph, w + 2 * pw)
    dcol = dwindows.reshape(-1, c * pool_h * pool_w)
    return col2im(dcol, padded_shape, pool_h, pool_w, stride)[:, :, ph:ph + h, pw:pw + w]


def max_pool(x: xp.ndarray, pool: Any = 2, stride: Any = 2, pad: Any = 0) -> tuple[xp.ndarray, xp.ndarray]:
    """(y, argmax): y = the maximum of each window of ``x`` padded with −∞, and the position of
    each window's first maximum (for the backward)."""
    windows = _windows(x, pool, stride, pad, -xp.inf)
    argmax = windows.argmax(axis=1)
    return _as_image(windows[xp.arange(len(windows)), argmax], x.shape, pool, stride, pad), argmax


def max_pool_backward(dout: xp.ndarray, argmax: xp.ndarray, x_shape: tuple[int, ...], pool: Any = 2,
                      stride: Any = 2, pad: Any = 0) -> xp.ndarray:
    """dx: each window's gradient goes to its (first) maximum, and overlapping windows add up."""
    (pool_h, pool_w) = _pair(pool)
    dwindows = xp.zeros((dout.size, pool_h * pool_w), dtype=dout.dtype)
    dwindows[xp.arange(dout.size), argmax] = dout.transpose(0, 2, 3, 1).reshape(-1)
    return _spread(dwindows, x_shape, pool, stride, pad)


def avg_pool(x: xp.ndarray, pool: Any = 2, stride: Any = 2, pad: Any = 0,
             count_include_pad: bool = True) -> xp.ndarray:
    """y = the mean of each window of ``x`` padded with zeros: the sum over PH·PW, or over the real
    pixels only with ``count_include_pad=False``."""
    windows = _windows(x, pool, stride, pad, 0)
    out = _as_image(windows.sum(axis=1), x.shape, pool, stride, pad)
    return out / _divisor(x.shape, pool, stride, pad, count_include_pad, x.dtype)


def avg_pool_backward(dout: xp.ndarray, x_shape: tuple[int, ...], pool: Any = 2, stride: Any = 2,
                      pad: Any = 0, count_include_pad: bool = True) -> xp.ndarray:
    """dx: every element of a window gets that window's dout divided by the window's divisor."""
    pool_h, pool_w = _pair(pool)
    share = dout / _divisor(x_shape, pool, stride, pad, count_include_pad, dout.dtype)
    dwindows = xp.repeat(share.transpose(0, 2, 3, 1).reshape(-1, 1), pool_h * pool_w, axis=1)
    return _spread(dwindows, x_shape, pool, stride, pad)


def _divisor(x_shape: tuple[int, ...], pool: Any, stride: Any, pad: Any, count_include_pad: bool,
             dtype: xp.dtype) -> xp.ndarray | float:
    """PH·PW, or (``count_include_pad=False``) each window's number of real pixels as (OH, OW)."""
    pool_h, pool_w = _pair(pool)
    if count_include_pad:
        return dtype.type(pool_h * pool_w)
    ones = xp.ones((1, 1) + tuple(x_shape[2:]), dtype=dtype)
    return avg_pool(ones, pool, stride, pad, count_include_pad=True)[0, 0] * dtype.type(pool_h * pool_w)
