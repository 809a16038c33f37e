"""Batch normalisation (fused forward and backward) and layer normalisation (from core ops)."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.functional.im2col import in_layout_of
from scratchnet.ops.convert import as_tensor
from scratchnet.ops.elementwise import sqrt


def _channel_view(a: xp.ndarray) -> tuple[xp.ndarray, str]:
    """``a (N, C, ...)`` as a view ``(rows, C)`` when its channels are innermost in memory (2-D or
    channels-last input), else as ``(N, C, rest)``; with the matching einsum subscripts."""
    moved = xp.moveaxis(a, 1, -1)
    if moved.flags.c_contiguous:
        return moved.reshape(-1, a.shape[1]), "ij"
    return a.reshape(a.shape[0], a.shape[1], -1), "kjl"


def channel_sum(*arrays: xp.ndarray) -> xp.ndarray:
    """Σ over every axis but 1 of the elementwise product of ``arrays`` (same shape and memory
    order), as one einsum over memory-order views: no temporary product, no slow strided reduce."""
    views = [_channel_view(a) for a in arrays]
    subscripts = ",".join(s for _, s in views) + "->j"
    return xp.einsum(subscripts, *[v for v, _ in views])


class BatchNorm(ArrayFunction):
    """y = γ·x̂ + β with x̂ = (x − μ)/√(σ² + ε) per channel (axis 1).

    Training uses the batch's μ, σ² (biased) and backward is the fused formula
    gx = γ/√(σ²+ε) · (gy − mean(gy) − x̂·mean(gy·x̂)); evaluation uses the given statistics, so
    gx = γ/√(σ²+ε) · gy. ``weight``/``bias`` may be absent (γ = 1, β = 0).
    """

    def __init__(self, mean: xp.ndarray | None, var: xp.ndarray | None, eps: float, has_weight: bool,
                 has_bias: bool) -> None:
        self.mean = mean
        self.var = var
        self.eps = eps
        self.has_weight = has_weight
        self.has_bias = has_bias

    def forward(self, x: xp.ndarray, *affine: xp.ndarray) -> xp.ndarray:
        shape = (1, -1) + (1,) * (x.ndim - 2)
        self.shape = shape
        self.batch_stats = self.mean is None
        if self.batch_stats:
            count = x.dtype.type(x.size // x.shape[1])
            self.mean = channel_sum(x) / count
            centred = x - self.mean.reshape(shape)
            self.var = channel_sum(centred, centred) / count
            var = self.var.reshape(shape)
        else:
            centred = x - self.mean.reshape(shape).astype(x.dtype, copy=False)
            var = self.var.reshape(shape).astype(x.dtype, copy=False)
        inv_std = 1.0 / xp.sqrt(var + x.dtype.type(self.eps))
        centred *= inv_std
        self.x_hat, self.inv_std = centred, inv_std
        weight = affine[0] if self.has_weight else None
        bias = affine[-1] if self.has_bias else None
        if weight is None and bias is None:
            return centred.copy()
        y = centred * weight.reshape(shape) if weight is not None else centred.copy()
        if bias is not None:
            y += bias.reshape(shape)
        return y

    def backward_arrays(self, gy: xp.ndarray) -> tuple[xp.ndarray | None, ...]:
        shape = self.shape
        gy = in_layout_of(gy, self.x_hat)
        needs = self.needs_input_grad
        weight = self.inputs[1].array.reshape(shape) if self.has_weight else None
        need_sums = self.batch_stats and needs[0] or (self.has_weight and needs[1])
        need_bias_sum = (self.batch_stats and needs[0]) or (self.has_bias and needs[-1])
        grad_bias = channel_sum(gy) if need_bias_sum else None
        grad_weight = channel_sum(gy, self.x_hat) if need_sums else None
        gx = None
        if needs[0]:
            scale = self.inv_std if weight is None else self.inv_std * weight
            if self.batch_stats:
                count = gy.size // gy.shape[1]
                gx = self.x_hat * (-grad_weight / count).reshape(shape)
                gx += gy
                gx -= (grad_bias / count).reshape(shape)
                gx *= scale
            else:
                gx = gy * scale
        grads = [gx]
        if self.has_weight:
            grads.append(grad_weight if needs[1] else None)
        if self.has_bias:
            grads.append(grad_bias if needs[-1] else None)
        return tuple(grads)


def _update_running(running: Tensor | None, batch: xp.ndarray, momentum: float) -> None:
    """running ← (1 − m)·running + m·batch, in place on the buffer's array."""
    if running is not None:
        running.array *= 1 - momentum
        running.array += momentum * batch.astype(running.dtype, copy=False)


def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None, bias: Any = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (axis 1) of ``(N, C)``, ``(N, C, L)`` or ``(N, C, H, W)`` input:
    y = γ·(x − μ)/√(σ² + ε) + β, as ``torch.nn.functional.batch_norm``.

    In training the batch statistics are used and, when given, ``running_mean``/``running_var``
    are updated in place: running ← (1 − momentum)·running + momentum·batch, with the unbiased
    batch variance (n/(n−1)·σ²), as PyTorch. Otherwise the running statistics are used.
    """
    x = as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects an input of shape (N, C, ...), got shape {x.shape}")
    count = x.size // x.shape[1]
    if training and count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {x.shape}")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and tuple(t.shape) != (x.shape[1],):
            raise ValueError(f"batch_norm: {name} must have shape ({x.shape[1]},) for an input with "
                             f"{x.shape[1]} channels, got {tuple(t.shape)}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: running_mean and running_var are required when training=False")
    affine = [as_tensor(t) for t in (weight, bias) if t is not None]
    if training:
        function = BatchNorm(None, None, eps, weight is not None, bias is not None)
        y = function(x, *affine)
        _update_running(running_mean, function.mean, momentum)
        _update_running(running_var, function.var * (count / (count - 1)), momentum)
        return y
    function = BatchNorm(as_tensor(running_mean).array, as_tensor(running_var).array, eps,
                         weight is not None, bias is not None)
    return function(x, *affine)


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes: y = γ·(x − μ)/√(σ² + ε) + β with
    the biased variance, as ``torch.nn.functional.layer_norm`` (built from core ops)."""
    x = as_tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the last axes of the "
                         f"input shape {x.shape}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    centred = x - x.mean(axis=axes, keepdims=True)
    var = (centred * centred).mean(axis=axes, keepdims=True)
    y = centred / sqrt(var + eps)
    if weight is not None:
        y = y * as_tensor(weight)
    if bias is not None:
        y = y + as_tensor(bias)
    return y
