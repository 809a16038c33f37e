"""Loss layers on probability distributions, as ``torch.nn``'s: ``GaussianNLLLoss`` and ``KLDivLoss``."""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.nn.loss import _Loss
from scratchnet.nn.module import Module


class GaussianNLLLoss(_Loss):
    """½·(log max(var, eps) + (input − target)² / max(var, eps)) (+ ½·log 2π with ``full``), reduced:
    ``forward(input, target, var)``, as ``torch.nn.GaussianNLLLoss``."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Any, target: Any, var: Any) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class KLDivLoss(Module):
    """KL divergence of the log-probabilities ``input`` from ``target`` (log-probabilities with
    ``log_target``), reduced by 'mean' (over elements), 'batchmean' (the divergence per sample),
    'sum' or 'none', as ``torch.nn.KLDivLoss``."""

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__()
        if reduction not in F.kl_reductions:
            raise ValueError(f"KLDivLoss: reduction must be one of {F.kl_reductions}, got {reduction!r}")
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.kl_div(input, target, self.reduction, self.log_target)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, log_target={self.log_target}"
