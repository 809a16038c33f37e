"""RMSprop (Hinton), with momentum and the centered variant, as PyTorch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.optim.optimizer import Optimizer, check_non_negative, scaled_square


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's update rule and defaults.

    With gradient g (negated when ``maximize``), smoothing α, learning rate γ::

        g = g + λ·θ                          (if weight_decay != 0: L2 regularisation)
        v = α·v + (1 - α)·g²                 (as (√(1 - α)·g)²: finite for g = 1e20, as PyTorch)
        d = v - ḡ², ḡ = α·ḡ + (1 - α)·g      (centered)  else  d = v
        b = μ·b + g / (√d + ε);  θ = θ - γ·b  (momentum > 0)
        θ = θ - γ·g / (√d + ε)                (otherwise)

    ε is added after the square root ("TensorFlow interchanges these two operations", PyTorch docs).
    ḡ² is capped at the largest finite float: where v overflowed to inf, d stays inf (PyTorch's fused
    multiply-add v - ḡ·ḡ gives inf there) instead of inf - inf = NaN.
    State: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b), ``grad_avg`` (ḡ).
    """

    state_keys = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                                  "momentum": momentum, "centered": centered, "maximize": maximize})

    def _validate(self, options: dict[str, Any]) -> None:
        check_non_negative(options, "lr", "eps", "momentum", "weight_decay", "alpha")

    def _init_state(self, param: xp.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "square_avg": xp.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = xp.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = xp.zeros_like(param)
        return state

    def _update(self, param: xp.ndarray, grad: xp.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        state["step"] += 1
        alpha, work = group["alpha"], self._scratch(1, param)
        grad = self._effective_grad(param, grad, group, group["weight_decay"])
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += scaled_square(grad, 1.0 - alpha, work)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += xp.multiply(xp.subtract(grad, grad_avg, out=work), 1.0 - alpha, out=work)
            square = xp.minimum(xp.multiply(grad_avg, grad_avg, out=work), xp.finfo(work.dtype).max, out=work)
            xp.subtract(square_avg, square, out=work)
            denominator = xp.sqrt(work, out=work)
        else:
            denominator = xp.sqrt(square_avg, out=work)
        denominator += group["eps"]
        step = xp.divide(grad, denominator, out=work)
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += step
            step = xp.multiply(buffer, group["lr"], out=work)
        else:
            step *= group["lr"]
        param -= step
