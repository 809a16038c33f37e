"""Losses on probability distributions, as ``torch.nn.functional``'s: the Gaussian negative
log-likelihood with a predicted variance and the Kullback–Leibler divergence."""

from __future__ import annotations

import math
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.functional.loss import REDUCTIONS, _check_reduction, _check_same_shape, _reduce
from scratchnet.ops.convert import as_tensor
from scratchnet.ops.elementwise import exp, log, where

KL_REDUCTIONS = (*REDUCTIONS, "batchmean")


def _variance_like(var: Tensor, input: Tensor) -> Tensor:
    """``var`` shaped to broadcast against ``input``: the same shape, the input's shape without its
    last axis (one variance per row, unsqueezed) or that with a last axis of 1, as PyTorch."""
    if var.shape == input.shape or (var.shape[:-1] == input.shape[:-1] and var.shape[-1:] == (1,)):
        return var
    if var.shape == input.shape[:-1]:
        return var.unsqueeze(-1)
    raise ValueError(f"gaussian_nll_loss: var of shape {var.shape} does not fit input of shape {input.shape} "
                     "(give the input's shape, that without its last axis, or a last axis of 1)")


def gaussian_nll_loss(input: Any, target: Any, var: Any, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """½·(log max(var, eps) + (input − target)² / max(var, eps)) (+ ½·log 2π with ``full``), reduced,
    as ``torch.nn.functional.gaussian_nll_loss``. The clamp at ``eps`` changes the value only: the
    gradient flows to ``var`` as if unclamped (as PyTorch). Negative variances are an error."""
    input, target, var = as_tensor(input), as_tensor(target), as_tensor(var)
    _check_reduction(reduction)
    _check_same_shape("gaussian_nll_loss", input, target)
    var = _variance_like(var, input)
    if (var.array < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entries")
    var = var + Tensor.wrap(xp.maximum(var.array, eps) - var.array)
    losses = 0.5 * (log(var) + (input - target) ** 2 / var)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _reduce(losses, reduction)


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence of the log-probabilities ``input`` from ``target``: pointwise
    t·(log t − input) (0 where t = 0), or exp(t)·(t − input) with ``log_target``, as
    ``torch.nn.functional.kl_div``. ``reduction='batchmean'`` divides the sum by the batch size (the
    true KL divergence); 'mean' divides by the element count, as PyTorch."""
    input, target = as_tensor(input), as_tensor(target)
    if reduction not in KL_REDUCTIONS:
        raise ValueError(f"kl_div: reduction must be one of {KL_REDUCTIONS}, got {reduction!r}")
    _check_same_shape("kl_div", input, target)
    if log_target:
        losses = exp(target) * (target - input)
    else:
        positive = target.array > 0
        losses = target * log(where(positive, target, 1.0)) - target * input
    if reduction == "batchmean":
        return losses.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(losses, reduction)
