"""Activations and softmax on plain arrays: y = f(x), and dx = dout · f'(x)."""

from __future__ import annotations

import math

from scratchnet.backend import xp


def sigmoid(x: xp.ndarray) -> xp.ndarray:
    """σ(x) = 1 / (1 + e⁻ˣ), written as exp(−log(1 + e⁻ˣ)) so that no exp overflows
    (the tutorial's ``1 / (1 + np.exp(-x))`` warns for x < −88 in float32)."""
    return xp.exp(-xp.logaddexp(x.dtype.type(0), -x))


def sigmoid_backward(dout: xp.ndarray, y: xp.ndarray) -> xp.ndarray:
    """dx = dout · y · (1 − y), from the forward's output y = σ(x)."""
    return dout * y * (1 - y)


def relu(x: xp.ndarray) -> xp.ndarray:
    """y = max(x, 0), a new array (the tutorial zeroed x in place)."""
    return xp.maximum(x, 0)


def relu_backward(dout: xp.ndarray, x: xp.ndarray) -> xp.ndarray:
    """dx = dout · [x > 0] (the gradient at 0 is taken as 0)."""
    return dout * (x > 0)


def leaky_relu(x: xp.ndarray, slope: float = 0.01) -> xp.ndarray:
    """y = x for x > 0, else slope · x."""
    return xp.where(x > 0, x, x.dtype.type(slope) * x)


def leaky_relu_backward(dout: xp.ndarray, x: xp.ndarray, slope: float = 0.01) -> xp.ndarray:
    """dx = dout · (1 if x > 0 else slope)."""
    return dout * xp.where(x > 0, x.dtype.type(1), x.dtype.type(slope))


def elu(x: xp.ndarray, alpha: float = 1.0) -> xp.ndarray:
    """y = x for x > 0, else α · (eˣ − 1)."""
    return xp.where(x > 0, x, x.dtype.type(alpha) * xp.expm1(xp.minimum(x, 0)))


def elu_backward(dout: xp.ndarray, x: xp.ndarray, alpha: float = 1.0) -> xp.ndarray:
    """dx = dout · (1 if x > 0 else α · eˣ); as PyTorch, the slope at NaN is 1."""
    slope = xp.where(x <= 0, x.dtype.type(alpha) * xp.exp(xp.minimum(x, 0)), x.dtype.type(1))
    return dout * slope


def gelu(x: xp.ndarray, approximate: str = "none") -> xp.ndarray:
    """y = x · Φ(x) with Φ(x) = (1 + erf(x / √2)) / 2, or with ``approximate='tanh'``
    y = x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))."""
    if approximate == "tanh":
        return 0.5 * x * (1 + xp.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return (x * _normal_cdf(x)).astype(x.dtype)


def gelu_backward(dout: xp.ndarray, x: xp.ndarray, approximate: str = "none") -> xp.ndarray:
    """dx = dout · (Φ(x) + x · φ(x)), φ the standard normal density; for 'tanh' the derivative of
    that formula: ½(1 + t) + ½x(1 − t²) · √(2/π)(1 + 3·0.044715 x²), t = tanh(√(2/π)(x + 0.044715 x³))."""
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        t = xp.tanh(k * (x + 0.044715 * x ** 3))
        return dout * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x))
    density = xp.exp(-0.5 * x.astype(xp.float64) ** 2) / math.sqrt(2 * math.pi)
    return (dout * (_normal_cdf(x) + x * density)).astype(x.dtype)


def _normal_cdf(x: xp.ndarray) -> xp.ndarray:
    """Φ(x) = (1 + erf(x / √2)) / 2 in float64, from ``math.erf`` element by element."""
    erf = xp.vectorize(math.erf, otypes=[xp.float64])
    return 0.5 * (1 + erf(x.astype(xp.float64) / math.sqrt(2)))


def softmax(x: xp.ndarray, axis: int = -1) -> xp.ndarray:
    """softmax(x)ᵢ = exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x) along ``axis``: the tutorial's
    ``softmax(a)``, whose ``np.max(a)`` over the whole batch could underflow every exp of a
    row far below the batch's maximum; the maximum here is each row's own."""
    e = xp.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(dout: xp.ndarray, y: xp.ndarray, axis: int = -1) -> xp.ndarray:
    """dx = y · (dout − Σⱼ doutⱼ · yⱼ), from the forward's output y."""
    return y * (dout - (dout * y).sum(axis=axis, keepdims=True))


def log_softmax(x: xp.ndarray, axis: int = -1) -> xp.ndarray:
    """log softmax(x)ᵢ = xᵢ − m − log Σⱼ exp(xⱼ − m), m = max x (log-sum-exp)."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_backward(dout: xp.ndarray, log_y: xp.ndarray, axis: int = -1) -> xp.ndarray:
    """dx = dout − softmax(x) · Σⱼ doutⱼ, from the forward's output log_y."""
    return dout - xp.exp(log_y) * dout.sum(axis=axis, keepdims=True)
