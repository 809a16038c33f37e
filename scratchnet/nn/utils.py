"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (as ``torch.nn.utils``).

Gradients are replaced by new Tensors, never scaled in place (a ``.grad`` may share memory).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their total norm ‖(‖g₁‖, ‖g₂‖, …)‖_p is at most
    ``max_norm``: g ← g · min(1, max_norm / (total + 1e-6)). ``norm_type`` may be ``inf``.
    Returns the total norm before clipping (a 0-d Tensor)."""
    parameters = _with_grads(parameters)
    if not parameters:
        return Tensor(0.0)
    norm_type = float(norm_type)
    grads = [p.grad.array.astype(xp.float64).ravel() for p in parameters]
    if math.isinf(norm_type):
        total = max(float(xp.abs(g).max(initial=0.0)) for g in grads)
    else:
        powers = sum(float(xp.linalg.norm(g, norm_type)) ** norm_type for g in grads)
        total = float(powers ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is non-finite ({total}), "
                           "so it cannot be clipped")
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1.0:
        for p in parameters:
            p.grad = Tensor.wrap(p.grad.array * xp.asarray(coefficient, dtype=p.grad.dtype))
    return Tensor(xp.asarray(total, dtype=parameters[0].grad.dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to [−clip_value, clip_value]."""
    if clip_value < 0:
        raise ValueError(f"clip_value must be non-negative, got {clip_value}")
    for p in _with_grads(parameters):
        p.grad = Tensor.wrap(xp.clip(p.grad.array, -clip_value, clip_value))
