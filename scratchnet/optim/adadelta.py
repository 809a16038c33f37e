"""Adadelta (Zeiler), as PyTorch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.optim.optimizer import Optimizer, check_non_negative, require, scaled_square


class Adadelta(Optimizer):
    r"""Adadelta, PyTorch's update rule and defaults (``lr=1.0`` gives the paper's method).

    With gradient g (negated when ``maximize``), decay ρ, learning rate γ::

        g = g + λ·θ                          (if weight_decay != 0: L2 regularisation)
        v = ρ·v + (1 - ρ)·g²
        Δ = √(u + ε) / √(v + ε) · g
        u = ρ·u + (1 - ρ)·Δ²
        θ = θ - γ·Δ

    State: ``step``, ``square_avg`` (v), ``acc_delta`` (u).
    """

    state_keys = ("step", "square_avg", "acc_delta")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize})

    def _validate(self, options: dict[str, Any]) -> None:
        check_non_negative(options, "lr", "eps", "weight_decay")
        require(0.0 <= options["rho"] <= 1.0, f"Invalid rho value: {options['rho']}")

    def _init_state(self, param: xp.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "square_avg": xp.zeros_like(param), "acc_delta": xp.zeros_like(param)}

    def _update(self, param: xp.ndarray, grad: xp.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        state["step"] += 1
        rho, eps = group["rho"], group["eps"]
        grad = self._effective_grad(param, grad, group, group["weight_decay"])
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        delta, work = self._scratch(1, param), self._scratch(2, param)
        square_avg *= rho
        square_avg += scaled_square(grad, 1.0 - rho, work)
        std = xp.sqrt(xp.add(square_avg, eps, out=work), out=work)
        xp.sqrt(xp.add(acc_delta, eps, out=delta), out=delta)
        delta /= std
        delta *= grad
        acc_delta *= rho
        acc_delta += xp.multiply(xp.multiply(delta, delta, out=work), 1.0 - rho, out=work)
        param -= xp.multiply(delta, group["lr"], out=delta)
