"""Adagrad (Duchi et al.), as PyTorch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.optim.optimizer import Optimizer, check_non_negative


class Adagrad(Optimizer):
    r"""Adagrad, PyTorch's update rule and defaults.

    With gradient g (negated when ``maximize``), step t, learning rate γ, decay η::

        g = g + λ·θ                          (if weight_decay != 0: L2 regularisation)
        γ_t = γ / (1 + (t - 1)·η)
        s = s + g²                           (s starts at initial_accumulator_value)
        θ = θ - γ_t · g / (√s + ε)

    As in PyTorch, every parameter's state (``step``, ``sum``) is created by the constructor.
    """

    state_keys = ("step", "sum")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 lr_decay: float = 0.0, weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value, "eps": eps,
                                  "maximize": maximize})
        for group in self.param_groups:
            for param in group["params"]:
                self.state[param] = self._init_state(param.array, group)

    def _validate(self, options: dict[str, Any]) -> None:
        check_non_negative(options, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def _init_state(self, param: xp.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "sum": xp.full_like(param, group["initial_accumulator_value"])}

    def _update(self, param: xp.ndarray, grad: xp.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        state["step"] += 1
        grad = self._effective_grad(param, grad, group, group["weight_decay"])
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        work = self._scratch(1, param)
        state["sum"] += xp.multiply(grad, grad, out=work)
        denominator = xp.sqrt(state["sum"], out=work)
        denominator += group["eps"]
        step = xp.divide(grad, denominator, out=work)
        step *= clr
        param -= step
