"""Convolution as lesson 3-2 (and book 1) writes it: ``im2col`` turns the image patches into the
rows of a matrix, so that the convolution is one matrix product; ``col2im`` is its adjoint.

The loops run over the KH·KW kernel offsets only, never over images or pixels. Strides and
paddings are ints or ``(h, w)`` pairs; padding is symmetric, as the lesson's.
"""

from __future__ import annotations

from typing import Any

from scratchnet.backend import xp


def _pair(value: Any) -> tuple[int, int]:
    """An int as ``(value, value)``; a pair as a tuple of two ints."""
    return (int(value), int(value)) if xp.ndim(value) == 0 else (int(value[0]), int(value[1]))


def output_size(size: int, kernel: int, stride: int = 1, pad: int = 0) -> int:
    """out = (size + 2·pad − kernel) // stride + 1: the windows that fit along one axis."""
    return (size + 2 * pad - kernel) // stride + 1


def im2col(input_data: xp.ndarray, filter_h: int, filter_w: int, stride: Any = 1, pad: Any = 0) -> xp.ndarray:
    """The patches of ``input_data (N, C, H, W)`` as the rows of ``col (N·OH·OW, C·FH·FW)``:
    rows ordered (n, oh, ow), columns (c, fh, fw), so ``col @ W.reshape(FN, -1).T`` is the
    convolution. ``col`` has the input's dtype (the lesson's ``np.zeros`` made it float64)."""
    n, c, h, w = input_data.shape
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    out_h, out_w = output_size(h, filter_h, sh, ph), output_size(w, filter_w, sw, pw)
    img = xp.pad(input_data, [(0, 0), (0, 0), (ph, ph), (pw, pw)], "constant")
    col = xp.zeros((n, c, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)
    for y in range(filter_h):
        for x in range(filter_w):
            col[:, :, y, x, :, :] = img[:, :, y:y + sh * out_h:sh, x:x + sw * out_w:sw]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * out_h * out_w, -1)


def col2im(col: xp.ndarray, input_shape: tuple[int, ...], filter_h: int, filter_w: int, stride: Any = 1,
           pad: Any = 0) -> xp.ndarray:
    """The adjoint of ``im2col``: an ``input_shape`` image where each pixel sums the entries of
    ``col`` copied from it (overlapping patches add up), the padding cut off."""
    n, c, h, w = input_shape
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    out_h, out_w = output_size(h, filter_h, sh, ph), output_size(w, filter_w, sw, pw)
    col = col.reshape(n, out_h, out_w, c, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = xp.zeros((n, c, h + 2 * ph + sh - 1, w + 2 * pw + sw - 1), dtype=col.dtype)
    for y in range(filter_h):
        for x in range(filter_w):
            img[:, :, y:y + sh * out_h:sh, x:x + sw * out_w:sw] += col[:, :, y, x, :, :]
    return img[:, :, ph:h + ph, pw:w + pw]


def dilate(w: xp.ndarray, dilation: Any) -> xp.ndarray:
    """A kernel with ``dilation − 1`` zeros between its taps: convolving with it is the
    dilated convolution with ``w``."""
    dh, dw = _pair(dilation)
    fn, c, fh, fw = w.shape
    spread = xp.zeros((fn, c, (fh - 1) * dh + 1, (fw - 1) * dw + 1), dtype=w.dtype)
    spread[:, :, ::dh, ::dw] = w
    return spread


def conv2d(x: xp.ndarray, w: xp.ndarray, b: xp.ndarray | None = None, stride: Any = 1, pad: Any = 0,
           dilation: Any = 1, groups: int = 1) -> xp.ndarray:
    """y[n, f, i, j] = b[f] + Σ_{c,u,v} W[f, c, u, v] · x_pad[n, c, i·s + u·d, j·s + v·d]:
    ``im2col(x) @ W_colᵀ`` per group of channels, reshaped to (N, FN, OH, OW)."""
    w_full = dilate(w, dilation)
    fn, cg, fh, fw = w_full.shape
    n, _, h, width = x.shape
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    out_h, out_w = output_size(h, fh, sh, ph), output_size(width, fw, sw, pw)
    fg = fn // groups
    out = xp.concatenate([im2col(x[:, g * cg:(g + 1) * cg], fh, fw, stride, pad)
                          @ w_full[g * fg:(g + 1) * fg].reshape(fg, -1).T for g in range(groups)], axis=1)
    if b is not None:
        out = out + b
    return out.reshape(n, out_h, out_w, fn).transpose(0, 3, 1, 2)


def conv2d_backward(dout: xp.ndarray, x: xp.ndarray, w: xp.ndarray, stride: Any = 1, pad: Any = 0,
                    dilation: Any = 1, groups: int = 1) -> tuple[xp.ndarray, xp.ndarray, xp.ndarray]:
    """(dx, dW, db) of ``conv2d``: with dout as rows (N·OH·OW, FN), per group
    dW_col = doutᵀ · im2col(x), dx = col2im(dout · W_col), and db = Σ dout over batch and pixels."""
    w_full = dilate(w, dilation)
    fn, cg, fh, fw = w_full.shape
    fg = fn // groups
    dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, fn)
    dx, dw = [], []
    for g in range(groups):
        rows, kernel = dout_rows[:, g * fg:(g + 1) * fg], w_full[g * fg:(g + 1) * fg].reshape(fg, -1)
        x_g = x[:, g * cg:(g + 1) * cg]
        dw.append((rows.T @ im2col(x_g, fh, fw, stride, pad)).reshape(fg, cg, fh, fw))
        dx.append(col2im(rows @ kernel, x_g.shape, fh, fw, stride, pad))
    dh, dwid = _pair(dilation)
    return xp.concatenate(dx, axis=1), xp.concatenate(dw)[:, :, ::dh, ::dwid], dout_rows.sum(axis=0)
