"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.optim.optimizer import Optimizer, check_non_negative, require


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's update rule and defaults).

    With gradient :math:`g_t` (negated when ``maximize``), weight decay :math:`\lambda`, momentum
    :math:`\mu`, dampening :math:`\tau` and learning rate :math:`\gamma`::

        g_t = g_t + λ·θ_{t-1}                      (if weight_decay != 0: L2 regularisation)
        b_t = g_t                                  (first step)
        b_t = μ·b_{t-1} + (1 - τ)·g_t              (later steps, if momentum != 0)
        g_t = g_t + μ·b_t  if nesterov  else  b_t
        θ_t = θ_{t-1} - γ·g_t

    This differs from Sutskever et al. (``v = μv - γg``) exactly as PyTorch's SGD does; Nesterov
    needs ``momentum > 0`` and ``dampening == 0``. State: ``momentum_buffer`` (when momentum != 0).

    >>> w = sn.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward(); opt.step()
    """

    state_keys = ("momentum_buffer",)

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize})

    def _validate(self, options: dict[str, Any]) -> None:
        check_non_negative(options, "lr", "momentum", "weight_decay")
        require(not options["nesterov"] or (options["momentum"] > 0 and options["dampening"] == 0),
                "Nesterov momentum requires a momentum and zero dampening")

    def _init_state(self, param: xp.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {}  # the momentum buffer starts as a copy of the first gradient

    def _update(self, param: xp.ndarray, grad: xp.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        momentum = group["momentum"]
        direction = self._effective_grad(param, grad, group, group["weight_decay"])
        if momentum != 0:
            direction = self._momentum_direction(direction, state, group)
        scaled = xp.multiply(direction, group["lr"], out=self._scratch(1, param))
        param -= scaled

    def _momentum_direction(self, grad: xp.ndarray, state: dict[str, Any],
                            group: dict[str, Any]) -> xp.ndarray:
        """Update the momentum buffer with ``grad`` and return the descent direction."""
        momentum, buffer = group["momentum"], state.get("momentum_buffer")
        if buffer is None:
            buffer = state["momentum_buffer"] = grad.copy()
        else:
            buffer *= momentum
            if group["dampening"] == 0:
                buffer += grad
            else:
                buffer += xp.multiply(grad, 1.0 - group["dampening"], out=self._scratch(1, grad))
        if not group["nesterov"]:
            return buffer
        lookahead = xp.multiply(buffer, momentum, out=self._scratch(1, grad))
        return xp.add(lookahead, grad, out=lookahead)
