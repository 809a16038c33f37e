"""Batch normalisation (fused forward and backward) and layer normalisation (from core ops)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.layout import ChannelRows
from scratchnet.ops.convert import as_tensor
from scratchnet.ops.elementwise import sqrt
from scratchnet.ops.shape import pad


class BatchNorm(ArrayFunction):
    """y = γ·x̂ + β with x̂ = (x − μ)/√(σ² + ε) per channel (axis 1).

    Training uses the batch's μ, σ² (biased, two passes) and backward is the fused formula
    gx = γ/√(σ²+ε) · (gy − mean(gy) − x̂·mean(gy·x̂)), gγ = Σ gy·x̂, gβ = Σ gy; evaluation uses the
    given statistics, so gx = γ/√(σ²+ε) · gy. ``weight``/``bias`` may be absent (γ = 1, β = 0).
    Everything runs on ``ChannelRows`` views in the input's memory order, split over the threads by
    rows; x − μ is kept for backward (x̂ = (x − μ)/√(σ²+ε) is never stored).
    """

    def __init__(self, mean: xp.ndarray | None, var: xp.ndarray | None, eps: float, has_weight: bool,
                 has_bias: bool, total: Callable[[xp.ndarray], None] | None = None) -> None:
        self.mean = mean
        self.var = var
        self.eps = eps
        self.has_weight = has_weight
        self.has_bias = has_bias
        self.total = total  # sums a float64 vector in place across processes (SyncBatchNorm)

    def _totals(self, *vectors: xp.ndarray) -> list[xp.ndarray]:
        """The per-channel sums (and counts) summed over every process's batch: one call of
        ``total`` on the vectors packed in float64; the vectors as they are without ``total``."""
        if self.total is None:
            return list(vectors)
        packed = xp.concatenate([xp.atleast_1d(v).astype(xp.float64) for v in vectors])
        self.total(packed)
        ends = xp.cumsum([xp.size(v) for v in vectors])
        return [part.astype(xp.result_type(v), copy=False).reshape(xp.shape(v))
                for part, v in zip(xp.split(packed, ends[:-1]), vectors)]

    def forward(self, x: xp.ndarray, *affine: xp.ndarray) -> xp.ndarray:
        view = self.view = ChannelRows(x)
        self.batch_stats = self.mean is None
        if self.batch_stats:
            sums, count = self._totals(view.sum(view.rows), x.dtype.type(x.size // x.shape[1]))
            self.count = count
            self.mean = sums / count
            self.centred = self._centred(view.spread(self.mean))
            self.var = self._totals(view.sum(self.centred, self.centred))[0] / count
        else:
            self.centred = self._centred(view.spread(self.mean.astype(x.dtype, copy=False)))
        self.inv_std = 1.0 / xp.sqrt(self.var.astype(x.dtype, copy=False) + x.dtype.type(self.eps))
        scale = view.spread(self.inv_std * affine[0] if self.has_weight else self.inv_std)
        shift = view.spread(affine[-1]) if self.has_bias else None
        y = xp.empty(view.rows.shape, dtype=xp.result_type(self.centred, scale))

        def normalise(rows: slice) -> None:  # y = (x − μ)·γ/√(σ² + ε) + β
            xp.multiply(self.centred[rows], view.part(scale, rows), out=y[rows])
            if shift is not None:
                y[rows] += view.part(shift, rows)
        view.split(normalise)
        return view.array(y)

    def _centred(self, mean: xp.ndarray) -> xp.ndarray:
        """x − μ as rows, μ spread over them."""
        view = self.view
        centred = xp.empty(view.rows.shape, dtype=xp.result_type(view.rows, mean))
        view.split(lambda rows: xp.subtract(view.rows[rows], view.part(mean, rows), out=centred[rows]))
        return centred

    def backward_arrays(self, gy: xp.ndarray) -> tuple[xp.ndarray | None, ...]:
        view, needs = self.view, self.needs_input_grad
        gy = view.rows_of(gy)
        weight = self.inputs[1].array if self.has_weight else None
        train_gx = self.batch_stats and needs[0]
        grad_bias = view.sum(gy) if train_gx or (self.has_bias and needs[-1]) else None
        grad_weight = None
        if train_gx or (self.has_weight and needs[1]):
            grad_weight = view.sum(gy, self.centred) * self.inv_std  # Σ gy·x̂
        gx = None
        if needs[0]:
            scale = self.inv_std if weight is None else self.inv_std * weight
            gx = view.array(self._input_gradient(gy, grad_bias, grad_weight, view.spread(scale)))
        grads = [gx]
        if self.has_weight:
            grads.append(grad_weight if needs[1] else None)
        if self.has_bias:
            grads.append(grad_bias if needs[-1] else None)
        return tuple(grads)

    def _input_gradient(self, gy: xp.ndarray, sum_gy: xp.ndarray | None, sum_gy_xhat: xp.ndarray | None,
                        scale: xp.ndarray) -> xp.ndarray:
        """gx as rows: (gy − Σgy/n − (x − μ)·Σ(gy·x̂)/(n·√(σ²+ε)))·scale with the batch's statistics,
        gy·scale with given ones (scale = γ/√(σ²+ε), spread)."""
        view = self.view
        if not self.batch_stats:
            gx = xp.empty(view.rows.shape, dtype=xp.result_type(gy, scale))
            view.split(lambda rows: xp.multiply(gy[rows], view.part(scale, rows), out=gx[rows]))
            return gx
        sum_gy, sum_gy_xhat = self._totals(sum_gy, sum_gy_xhat)
        slope = view.spread(-sum_gy_xhat * self.inv_std / self.count)
        mean_gy = view.spread(sum_gy / self.count)
        gx = xp.empty(view.rows.shape, dtype=xp.result_type(self.centred, slope))

        def input_gradient(rows: slice) -> None:
            xp.multiply(self.centred[rows], view.part(slope, rows), out=gx[rows])
            gx[rows] -= view.part(mean_gy, rows)
            gx[rows] += gy[rows]
            gx[rows] *= view.part(scale, rows)
        view.split(input_gradient)
        return gx


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
    count = x.array.size // x.shape[1]
    if training and count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {x.shape}")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and tuple(t.shape) != (x.shape[1],):
            raise ValueError(f"batch_norm: {name} must have shape ({x.shape[1]},) for an input with "
                             f"{x.shape[1]} channels, got {tuple(t.shape)}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: running_mean and running_var are required when training=False")
    if training:
        return batch_norm_training(x, running_mean, running_var, weight, bias, momentum, eps)
    affine = [as_tensor(t) for t in (weight, bias) if t is not None]
    function = BatchNorm(as_tensor(running_mean).array, as_tensor(running_var).array, eps,
                         weight is not None, bias is not None)
    return function(x, *affine)


def batch_norm_training(x: Tensor, running_mean: Any, running_var: Any, weight: Any, bias: Any,
                        momentum: float, eps: float, total: Callable[[xp.ndarray], None] | None = None
                        ) -> Tensor:
    """``batch_norm`` in training on a checked input: normalise with the batch statistics and
    move the running ones. With ``total`` (sums a float64 vector in place across processes) the
    statistics and backward's sums are those of the batches of every process (SyncBatchNorm)."""
    affine = [as_tensor(t) for t in (weight, bias) if t is not None]
    function = BatchNorm(None, None, eps, weight is not None, bias is not None, total)
    y = function(x, *affine)
    count = float(function.count)
    _update_running(running_mean, function.mean, momentum)
    _update_running(running_var, function.var * (count / (count - 1)), momentum)
    return y


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


def local_response_norm(input: Any, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Normalise each channel by its neighbours, as ``torch.nn.functional.local_response_norm``:
    bᶜ = aᶜ / (k + α/n · Σ_{c′} (aᶜ′)²)^β over the n = ``size`` channels c′ from c − ⌊n/2⌋ to
    c + ⌊(n−1)/2⌋ (missing channels count as zeros); axis 1 holds the channels."""
    x = as_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"local_response_norm expects an input of 3 or more axes (N, C, ...), "
                         f"got shape {x.shape}")
    if int(size) != size or size < 1:
        raise ValueError(f"local_response_norm: size must be a positive integer, got {size!r}")
    widths = ((0, 0), (size // 2, (size - 1) // 2), *[(0, 0)] * (x.ndim - 2))
    squares = pad(x * x, widths)
    channels = x.shape[1]
    window = squares[:, 0:channels]
    for offset in range(1, size):
        window = window + squares[:, offset:offset + channels]
    return x / (window * (alpha / size) + k) ** beta
