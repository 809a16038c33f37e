"""Adam and AdamW (with AMSGrad, L2 or decoupled weight decay, and Keras's "epsilon hat")."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.optim.optimizer import Optimizer, check_non_negative, require, scaled_square


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), PyTorch's update rule and defaults.

    With gradient g (negated when ``maximize``), step t, learning rate γ, betas (β1, β2)::

        θ = θ·(1 - γλ)                      (decoupled_weight_decay, AdamW)
        g = g + λ·θ                          (otherwise, if weight_decay != 0: L2 regularisation)
        m = β1·m + (1 - β1)·g
        v = β2·v + (1 - β2)·g²
        v̂ = max(v̂, v) if amsgrad else v
        θ = θ - γ/(1 - β1ᵗ) · m / (√v̂ / √(1 - β2ᵗ) + ε)

    With ``epsilon_hat=True`` ε is Keras/TensorFlow's "epsilon hat" (added before the bias
    correction of v): ``θ = θ - γ·√(1 - β2ᵗ)/(1 - β1ᵗ) · m / (√v̂ + ε)``.
    State: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v), ``max_exp_avg_sq`` (v̂, amsgrad).
    """

    state_keys = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, *, maximize: bool = False, decoupled_weight_decay: bool = False,
                 epsilon_hat: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "amsgrad": amsgrad, "maximize": maximize,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  "epsilon_hat": epsilon_hat})

    def _validate(self, options: dict[str, Any]) -> None:
        check_non_negative(options, "lr", "eps", "weight_decay")
        betas = options["betas"]
        require(len(betas) == 2, f"betas must be a pair (beta1, beta2), got {betas}")
        for position, beta in enumerate(betas):
            require(0.0 <= beta < 1.0, f"Invalid beta parameter at index {position}: {beta}")

    def _init_state(self, param: xp.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = xp.zeros_like(param)
        return state

    def _update(self, param: xp.ndarray, grad: xp.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """One Adam step in twelve passes over the parameter, in place or into one scratch array.

        (1 - β2)·g² is computed as (√(1 - β2)·g)², scaled first as PyTorch's addcmul: a gradient of
        1e20 gives 1e37 instead of overflowing float32 to inf (which froze the parameter).

        The bias corrections are folded into two scalars: with c2 = √(1 - β2ᵗ),
        γ/(1 - β1ᵗ) · m / (√v̂/c2 + ε) = (γ·c2/(1 - β1ᵗ)) · m / (√v̂ + ε·c2) (equal up to rounding);
        the epsilon-hat form is the same with ε in place of ε·c2.
        """
        state["step"] += 1
        lr, weight_decay, (beta1, beta2) = group["lr"], group["weight_decay"], group["betas"]
        decoupled = group["decoupled_weight_decay"]
        if decoupled and weight_decay != 0:
            param *= 1.0 - lr * weight_decay
        grad = self._effective_grad(param, grad, group, 0.0 if decoupled else weight_decay)
        exp_avg, exp_avg_sq, work = state["exp_avg"], state["exp_avg_sq"], self._scratch(1, param)
        exp_avg *= beta1
        exp_avg += xp.multiply(grad, 1.0 - beta1, out=work)
        exp_avg_sq *= beta2
        exp_avg_sq += scaled_square(grad, 1.0 - beta2, work)
        if group["amsgrad"]:
            exp_avg_sq = xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
        bias_correction2_sqrt = math.sqrt(1.0 - beta2 ** state["step"])
        step_size = lr * bias_correction2_sqrt / (1.0 - beta1 ** state["step"])
        eps = group["eps"] if group["epsilon_hat"] else group["eps"] * bias_correction2_sqrt
        denominator = xp.sqrt(exp_avg_sq, out=work)
        denominator += eps
        update = xp.divide(exp_avg, denominator, out=work)
        update *= step_size
        param -= update


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter), PyTorch's defaults
    (``weight_decay=1e-2``): each step first shrinks ``θ = θ·(1 - γλ)``, then applies the Adam
    update of :class:`Adam` without adding ``λθ`` to the gradient."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False, epsilon_hat: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True, epsilon_hat=epsilon_hat)
