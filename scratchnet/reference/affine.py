"""The affine layer in the tutorial's two halves, ``x @ W`` (MulLayer) and ``+ b`` (AddLayer),
and the embedding lookup (a one-hot row times W)."""

from __future__ import annotations

from scratchnet.backend import xp


def matmul(x: xp.ndarray, w: xp.ndarray) -> xp.ndarray:
    """y = x · W for x of shape (N, in) and W of shape (in, out)."""
    return x @ w


def matmul_backward(dout: xp.ndarray, x: xp.ndarray, w: xp.ndarray) -> tuple[xp.ndarray, xp.ndarray]:
    """(dx, dW) = (dout · Wᵀ, xᵀ · dout)."""
    return dout @ w.T, x.T @ dout


def add_bias(x: xp.ndarray, b: xp.ndarray) -> xp.ndarray:
    """y = x + b, b broadcast over the batch."""
    return x + b


def add_bias_backward(dout: xp.ndarray, b_shape: tuple[int, ...]) -> tuple[xp.ndarray, xp.ndarray]:
    """(dx, db) = (dout, dout summed to b's shape): every sample adds the same b, so its gradient
    is the sum over the batch (the tutorial took ``dout.mean()``, a scalar 1/(N·out) too small)."""
    return dout, sum_to(dout, b_shape)


def sum_to(a: xp.ndarray, shape: tuple[int, ...]) -> xp.ndarray:
    """``a`` summed over the axes that broadcasting added or stretched to reach its shape from
    ``shape`` (the adjoint of ``np.broadcast_to(·, a.shape)``)."""
    lead = a.ndim - len(shape)
    stretched = tuple(lead + i for i, size in enumerate(shape) if size == 1 and a.shape[lead + i] != 1)
    return a.sum(axis=tuple(range(lead)) + stretched, keepdims=True).reshape(shape)


def embedding(indices: xp.ndarray, w: xp.ndarray) -> xp.ndarray:
    """y[i] = W[indices[i]] (row ``indices[i]`` of W)."""
    return w[indices]


def embedding_backward(dout: xp.ndarray, indices: xp.ndarray, num_rows: int) -> xp.ndarray:
    """dW[k] = Σ over positions i with indices[i] = k of dout[i] (repeated indices add up)."""
    dw = xp.zeros((num_rows, dout.shape[-1]), dtype=dout.dtype)
    xp.add.at(dw, indices.reshape(-1), dout.reshape(-1, dout.shape[-1]))
    return dw
