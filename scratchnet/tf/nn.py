"""``tf.nn``: TensorFlow's activations, softmax cross-entropies, convolution and pooling, as thin
adapters over ``scratchnet.functional`` (channels-last images and ``HWIO`` filters are permuted
to the core's ``NCHW`` / ``OIHW`` and back; no maths here).
"""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.keras.conventions import to_channels_first, to_channels_last
from scratchnet.keras.layers.convolutional import same_padding_2d
from scratchnet.ops.convert import as_tensor
from scratchnet.ops.elementwise import relu, sigmoid, tanh
from scratchnet.ops.shape import pad


def softmax(logits: Any, axis: int = -1, name: str | None = None) -> Tensor:
    """exp(xᵢ) / Σⱼ exp(xⱼ) along ``axis`` (``tf.nn.softmax``)."""
    return F.softmax(logits, dim=axis)


def log_softmax(logits: Any, axis: int = -1, name: str | None = None) -> Tensor:
    """xᵢ − log Σⱼ exp(xⱼ) along ``axis`` (``tf.nn.log_softmax``)."""
    return F.log_softmax(logits, dim=axis)


def _class_rows(tensor: Tensor, axis: int) -> Tensor:
    """``tensor`` with the class axis moved last and the other axes flattened: ``(M, C)``."""
    axis = axis % tensor.ndim
    order = [i for i in range(tensor.ndim) if i != axis]
    moved = tensor if axis == tensor.ndim - 1 else tensor.permute(*order, axis)
    return moved.reshape(-1, moved.shape[-1])


def softmax_cross_entropy_with_logits(labels: Any, logits: Any, axis: int = -1,
                                      name: str | None = None) -> Tensor:
    """Per-sample −Σ_c labels_c · log softmax(logits)_c over the class ``axis``; the result has
    the logits' shape without that axis (``tf.nn.softmax_cross_entropy_with_logits``)."""
    logits = as_tensor(logits)
    labels = as_tensor(labels).astype(logits.dtype)
    if labels.shape != logits.shape:
        raise ValueError(f"softmax_cross_entropy_with_logits: labels of shape {labels.shape} must have the "
                         f"logits' shape {logits.shape}")
    losses = F.cross_entropy(_class_rows(logits, axis), _class_rows(labels, axis), reduction="none")
    kept = list(logits.shape)
    del kept[axis]
    return losses.reshape(*kept) if kept else losses.reshape(())


softmax_cross_entropy_with_logits_v2 = softmax_cross_entropy_with_logits
"""TensorFlow 1's name (``tf.compat.v1.nn.softmax_cross_entropy_with_logits_v2``) of the same loss."""


def sparse_softmax_cross_entropy_with_logits(labels: Any, logits: Any, name: str | None = None) -> Tensor:
    """Per-sample −log softmax(logits)[label] for integer ``labels`` of the logits' shape without
    the last axis (``tf.nn.sparse_softmax_cross_entropy_with_logits``)."""
    logits = as_tensor(logits)
    labels = as_tensor(labels)
    if labels.shape != logits.shape[:-1]:
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels of shape {labels.shape} must "
                         f"have the logits' shape without the class axis, {logits.shape[:-1]}")
    losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1).array, reduction="none")
    return losses.reshape(*labels.shape) if labels.ndim else losses.reshape(())


def _spatial(value: Any, name: str) -> tuple[int, int]:
    """TensorFlow's 1, 2 or 4 numbers for strides / window sizes as the (height, width) pair."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(values) == 4:
        if values[0] != 1 or values[3] != 1:
            raise ValueError(f"{name}: the batch and channel entries of a 4-number {name} must be 1, "
                             f"got {value!r}")
        values = values[1:3]
    if len(values) == 1:
        values = values * 2
    if len(values) != 2:
        raise ValueError(f"{name} must be an int or a list of 1, 2 or 4 ints, got {value!r}")
    return int(values[0]), int(values[1])


def _padding(padding: str) -> str:
    mode = str(padding).upper()
    if mode not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    return mode


def _channels_last_only(data_format: str | None) -> None:
    if data_format not in (None, "NHWC"):
        raise ValueError(f"data_format={data_format!r} is not supported: scratchnet.tf takes NHWC images "
                         "(scratchnet.nn.functional.conv2d takes NCHW)")


def conv2d(input: Any, filters: Any, strides: Any, padding: str, data_format: str = "NHWC",
           dilations: Any = None, name: str | None = None) -> Tensor:
    """2-D cross-correlation of ``input (N, H, W, C)`` with ``filters (KH, KW, C, OC)``, stride
    ``strides``, ``padding`` 'SAME' (output ⌈in / stride⌉, TensorFlow's padding) or 'VALID'
    (``tf.nn.conv2d``); the result is ``(N, H', W', OC)``."""
    _channels_last_only(data_format)
    x, weight = to_channels_first(as_tensor(input)), as_tensor(filters).permute(3, 2, 0, 1)
    stride = _spatial(strides, "strides")
    dilation = _spatial(1 if dilations is None else dilations, "dilations")
    if _padding(padding) == "SAME":
        x = pad(x, same_padding_2d(x.shape, tuple(weight.shape[2:]), stride, dilation))
    return to_channels_last(F.conv2d(x, weight, stride=stride, dilation=dilation))


def max_pool2d(input: Any, ksize: Any, strides: Any, padding: str, data_format: str = "NHWC",
               name: str | None = None) -> Tensor:
    """Maximum over ``ksize`` windows of ``input (N, H, W, C)`` moved by ``strides``; with
    'SAME' the padded cells never win (``tf.nn.max_pool2d``)."""
    _channels_last_only(data_format)
    x = to_channels_first(as_tensor(input))
    window, stride = _spatial(ksize, "ksize"), _spatial(strides, "strides")
    if _padding(padding) == "SAME":
        x = pad(x, same_padding_2d(x.shape, window, stride), value=-float("inf"))
    return to_channels_last(F.max_pool2d(x, window, stride))


def dropout(x: Any, rate: float, noise_shape: Any = None, seed: int | None = None,
            name: str | None = None) -> Tensor:
    """Zero each element with probability ``rate`` and scale the rest by 1 / (1 − rate)
    (``tf.nn.dropout``; always active, as in TensorFlow; ``seed`` is ignored: the global generator
    draws the mask)."""
    if noise_shape is not None:
        raise ValueError("tf.nn.dropout: noise_shape is not supported")
    return F.dropout(x, p=rate, training=True)


__all__ = ["conv2d", "dropout", "log_softmax", "max_pool2d", "relu", "sigmoid", "softmax",
           "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2",
           "sparse_softmax_cross_entropy_with_logits", "tanh"]
