"""Losses on plain arrays: softmax with cross-entropy (the tutorial's ``SoftmaxLayer``), mean
squared error (``MSELayer``) and binary cross-entropy on probabilities and on logits.

Targets ``t`` of the cross-entropy are a matrix of class coefficients (one-hot rows, probabilities,
or class weights × one-hot); the mean divides by ``denominator`` (the batch size unless given).
"""

from __future__ import annotations

from scratchnet.backend import xp
from scratchnet.reference.activation import log_softmax, sigmoid


def cross_entropy_loss(y: xp.ndarray, t: xp.ndarray) -> float:
    """Lesson 2-2's L = −(1/N) Σ t · log(y + 1e-7) on probabilities y (kept for its programs;
    ``softmax_cross_entropy`` works from the logits and needs no 1e-7)."""
    if y.ndim == 1:
        t, y = t.reshape(1, -1), y.reshape(1, -1)
    return float(-(t * xp.log(y + 1e-7)).sum() / y.shape[0])


def softmax_cross_entropy(x: xp.ndarray, t: xp.ndarray, denominator: float | None = None) -> xp.ndarray:
    """L = −(1/D) Σₙ Σ_c t_nc · log softmax(xₙ)_c, D = ``denominator`` or N."""
    d = len(x) if denominator is None else denominator
    return -(t * log_softmax(x, axis=1)).sum() / x.dtype.type(d)


def softmax_cross_entropy_backward(dout: float, x: xp.ndarray, t: xp.ndarray,
                                   denominator: float | None = None) -> xp.ndarray:
    """dx = dout · (softmax(x) · Σ_c t_c − t) / D, i.e. dout · (y − t) / N for one-hot t."""
    d = len(x) if denominator is None else denominator
    y = xp.exp(log_softmax(x, axis=1))
    return dout * (y * t.sum(axis=1, keepdims=True) - t) / x.dtype.type(d)


def mean_squared_error(y: xp.ndarray, t: xp.ndarray) -> xp.ndarray:
    """L = mean((y − t)²) over all elements."""
    return ((y - t) ** 2).mean()


def mean_squared_error_backward(dout: float, y: xp.ndarray, t: xp.ndarray) -> xp.ndarray:
    """dy = dout · 2(y − t) / size (the tutorial returned y − t, the gradient of ½·Σ(y − t)²,
    not of the mean it reported)."""
    return dout * 2 * (y - t) / y.dtype.type(y.size)


def binary_cross_entropy(x: xp.ndarray, t: xp.ndarray) -> xp.ndarray:
    """Elementwise l = −(t · log x + (1 − t) · log(1 − x)), each log clamped at −100 (PyTorch's rule)."""
    with xp.errstate(divide="ignore"):
        return -(t * xp.maximum(xp.log(x), -100) + (1 - t) * xp.maximum(xp.log(1 - x), -100))


def binary_cross_entropy_backward(dout: xp.ndarray, x: xp.ndarray,
                                  t: xp.ndarray) -> tuple[xp.ndarray, xp.ndarray]:
    """(dx, dt) = (dout · (x − t) / max(x(1 − x), 1e-12), dout · (log(1 − x) − log x)), logs clamped."""
    with xp.errstate(divide="ignore"):
        log_x, log_1mx = xp.maximum(xp.log(x), -100), xp.maximum(xp.log(1 - x), -100)
    return dout * (x - t) / xp.maximum(x * (1 - x), 1e-12), dout * (log_1mx - log_x)


def binary_cross_entropy_with_logits(x: xp.ndarray, t: xp.ndarray,
                                     pos_weight: float | xp.ndarray = 1.0) -> xp.ndarray:
    """Elementwise l = −(p · t · log σ(x) + (1 − t) · log(1 − σ(x))), p = ``pos_weight``, with
    log σ(x) = −log(1 + e⁻ˣ) and log(1 − σ(x)) = −x − log(1 + e⁻ˣ) (no overflow)."""
    log_sig = -xp.logaddexp(0, -x)
    return -(pos_weight * t * log_sig + (1 - t) * (log_sig - x))


def binary_cross_entropy_with_logits_backward(
        dout: xp.ndarray, x: xp.ndarray, t: xp.ndarray,
        pos_weight: float | xp.ndarray = 1.0) -> tuple[xp.ndarray, xp.ndarray]:
    """(dx, dt): dx = dout · ((1 − t) · σ(x) − p · t · (1 − σ(x))) (as d log σ(x)/dx = 1 − σ(x)),
    dt = −dout · (p · log σ(x) − log(1 − σ(x)))."""
    s = sigmoid(x)
    log_sig = -xp.logaddexp(0, -x)
    dx = dout * ((1 - t) * s - pos_weight * t * (1 - s))
    dt = -dout * (pos_weight * log_sig - (log_sig - x))
    return dx, dt
