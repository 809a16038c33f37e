"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d`` and ``LayerNorm``."""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import DEFAULT_FLOAT, xp
from scratchnet.nn.module import Module
from scratchnet.nn.parameter import Parameter
from scratchnet.nn.validation import positive_int, shape_error


class _BatchNorm(Module):
    """y = γ · (x − μ) / √(σ² + eps) + β per channel (axis 1), as ``torch.nn.BatchNorm*``.

    Training: μ, σ² are the batch's statistics (biased σ² normalises), and the running
    statistics move by ``running = (1 − momentum)·running + momentum·batch`` with the *unbiased*
    batch variance; ``momentum=None`` makes them the cumulative average (factor
    1/num_batches_tracked). Eval (or ``track_running_stats=False`` → always batch statistics):
    the running statistics. γ = 1, β = 0, running mean 0, running var 1 at start.
    """

    expected_input = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, bias: bool = True) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_features = positive_int("num_features", num_features, owner)
        if not eps > 0:
            raise ValueError(f"{owner}: eps must be positive, got {eps!r}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{owner}: momentum must be in [0, 1] or None, got {momentum!r}")
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter("weight", Parameter(xp.empty(num_features, dtype=DEFAULT_FLOAT))
                                if affine else None)
        self.register_parameter("bias", Parameter(xp.empty(num_features, dtype=DEFAULT_FLOAT))
                                if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(xp.empty(num_features, dtype=DEFAULT_FLOAT)))
            self.register_buffer("running_var", Tensor(xp.empty(num_features, dtype=DEFAULT_FLOAT)))
            self.register_buffer("num_batches_tracked", Tensor(xp.array(0, dtype=xp.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """γ = 1, β = 0 and fresh running statistics (weights are registered before they are
        filled, so that a loader's allocation budget refuses oversized ones first)."""
        _fill_affine(self)
        self.reset_running_stats()

    def reset_running_stats(self) -> None:
        """Running mean 0, running var 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.fill_(0.0)
            self.running_var.fill_(1.0)
            self.num_batches_tracked.fill_(0)

    def _check_input(self, x: Any) -> None:
        raise NotImplementedError

    def forward(self, x: Any) -> Tensor:
        self._check_input(x)
        track = self.training and self.track_running_stats
        if not track:
            stats = (None, None) if self.training else (self.running_mean, self.running_var)
            return self._normalize(x, *stats, stats[0] is None, 0.0)
        batches = int(self.num_batches_tracked.item()) + 1
        factor = 1.0 / batches if self.momentum is None else self.momentum
        y = self._normalize(x, self.running_mean, self.running_var, True, factor)
        self.num_batches_tracked.array[...] = batches  # counted only once the batch was accepted
        return y

    def _normalize(self, x: Any, mean: Any, var: Any, batch_stats: bool, momentum: float) -> Tensor:
        """``F.batch_norm`` with this layer's affine parameters and ε."""
        return F.batch_norm(x, mean, var, self.weight, self.bias, batch_stats, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over ``(N, C)`` or ``(N, C, L)`` inputs (statistics over N and L)."""

    def _check_input(self, x: Any) -> None:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise shape_error(self, f"(N, {self.num_features}) or (N, {self.num_features}, L)", x.shape)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over ``(N, C, H, W)`` inputs (statistics over N, H and W)."""

    def _check_input(self, x: Any) -> None:
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise shape_error(self, f"(N, {self.num_features}, H, W)", x.shape)


def _fill_affine(module: Module) -> None:
    """γ = 1 and β = 0 where the module has them."""
    if module.weight is not None:
        module.weight.array.fill(1.0)
    if module.bias is not None:
        module.bias.array.fill(0.0)


class LayerNorm(Module):
    """y = γ · (x − μ) / √(σ² + eps) + β with μ, σ² (biased) over the last
    ``len(normalized_shape)`` axes, as ``torch.nn.LayerNorm``; γ = 1, β = 0 at start."""

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape = tuple(positive_int("normalized_shape", n, "LayerNorm") for n in shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.register_parameter("weight", Parameter(xp.empty(self.normalized_shape, dtype=DEFAULT_FLOAT))
                                if elementwise_affine else None)
        self.register_parameter("bias", Parameter(xp.empty(self.normalized_shape, dtype=DEFAULT_FLOAT))
                                if elementwise_affine and bias else None)
        _fill_affine(self)

    def forward(self, x: Any) -> Tensor:
        n = len(self.normalized_shape)
        if x.ndim < n or tuple(x.shape[x.ndim - n:]) != self.normalized_shape:
            raise shape_error(self, f"(*, {', '.join(map(str, self.normalized_shape))})", x.shape)
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")




class LocalResponseNorm(Module):
    """AlexNet's local response normalisation across channels, as ``torch.nn.LocalResponseNorm``:
    bᶜ = aᶜ / (k + α/n · Σ (aᶜ′)²)^β over the n = ``size`` neighbouring channels c′ of c."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = positive_int("size", size, "LocalResponseNorm")
        self.alpha, self.beta, self.k = alpha, beta, k

    def forward(self, x: Any) -> Tensor:
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
