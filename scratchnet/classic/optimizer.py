"""The tutorial's optimisers (``classic.Optimizer``): each holds the batch size and the
hyper-parameters under the tutorial's names; the update arithmetic is ``scratchnet.optim``'s
(PyTorch's rules), and the one training loop is ``Model.train``.

Names map as: ``Momentum`` → ``optim.SGD(momentum, nesterov)``, ``RMSProp(gamma)`` →
``optim.RMSprop(alpha=gamma)``, ``AdaDelta(gamma)`` → ``optim.Adadelta(rho=gamma)``,
``Adam(beta_1, beta_2)`` → ``optim.Adam(betas=(beta_1, beta_2))``; ``epsilon`` → ``eps``.
L2 ``reg`` is already in each layer's gradient, so it reaches every optimiser's update.
AdaDelta ignores the learning rate, as lesson 2-5 says. Intended differences from the
tutorial: PyTorch's momentum form ``v ← μv + g; w ← w − lr·v``
(the same trajectory as ``v ← μv − lr·g; w ← w + v`` at a constant learning rate), Adam's
bias correction with ``β**t``, and AdaDelta's accumulator updated with the current gradient
before the step is taken.
"""

from __future__ import annotations

from collections.abc import Sequence

from scratchnet.autograd.tensor import Tensor
from scratchnet.classic.layers.base import check_positive_int
from scratchnet.optim import adadelta, adagrad, adam, rmsprop, sgd
from scratchnet.optim.optimizer import Optimizer as CoreOptimizer


def _check_fraction(value: float, name: str, upper_inclusive: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (
        0 <= value <= 1 if upper_inclusive else 0 <= value < 1)
    if not ok:
        raise ValueError(f"{name} must be in [0, 1{']' if upper_inclusive else ')'}, got {value!r}")
    return float(value)


def _check_epsilon(value: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"epsilon must be a positive number, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: ``batch_size`` is the size of the random mini-batches ``Model.train`` draws.

    ``build(params, learning_rate)`` makes the ``scratchnet.optim`` optimiser that updates the
    parameter Tensors in place; the same object keeps its state (moments, step count) across
    ``Model.train`` calls on the same model.
    """

    def __init__(self, batch_size: int) -> None:
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.core: CoreOptimizer | None = None
        self.core_params: list[Tensor] | None = None

    def build(self, params: Sequence[Tensor], learning_rate: float) -> CoreOptimizer:
        """The core optimiser over ``params`` at ``learning_rate`` (kept while ``params`` are the same)."""
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) \
                or learning_rate < 0:
            raise ValueError(f"learning_rate must be a non-negative number, got {learning_rate!r}")
        if self.core is None or self.core_params is not params:
            self.core, self.core_params = self.make(list(params), float(learning_rate)), params
        for group in self.core.param_groups:
            group["lr"] = float(learning_rate)
        return self.core

    def make(self, params: list[Tensor], lr: float) -> CoreOptimizer:
        """A new core optimiser with this object's hyper-parameters."""
        raise NotImplementedError

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in vars(self).items()
                              if not key.startswith("core"))
        return f"{type(self).__name__}({arguments})"


class SGD(Optimizer):
    """Plain gradient descent: ``w ← w − lr·g``."""

    def make(self, params: list[Tensor], lr: float) -> CoreOptimizer:
        return sgd.SGD(params, lr=lr)


class Momentum(Optimizer):
    """Momentum (``v ← μv + g; w ← w − lr·v``), or Nesterov's form with ``nesterov=True``
    (``w ← w − lr·(g + μv)``), as ``torch.optim.SGD``."""

    def __init__(self, batch_size: int, momentum: float = 0.9, nesterov: bool = False) -> None:
        super().__init__(batch_size)
        self.momentum = _check_fraction(momentum, "momentum")
        if nesterov and self.momentum == 0:
            raise ValueError("Nesterov momentum requires momentum > 0")
        self.nesterov = bool(nesterov)

    def make(self, params: list[Tensor], lr: float) -> CoreOptimizer:
        return sgd.SGD(params, lr=lr, momentum=self.momentum, nesterov=self.nesterov)


class Adagrad(Optimizer):
    """``h ← h + g²; w ← w − lr·g / (√h + epsilon)`` (``epsilon`` outside the root, as PyTorch)."""

    def __init__(self, batch_size: int, epsilon: float = 1e-10) -> None:
        super().__init__(batch_size)
        self.epsilon = _check_epsilon(epsilon)

    def make(self, params: list[Tensor], lr: float) -> CoreOptimizer:
        return adagrad.Adagrad(params, lr=lr, eps=self.epsilon)


class RMSProp(Optimizer):
    """``h ← γh + (1 − γ)g²; w ← w − lr·g / (√h + epsilon)`` (``epsilon`` outside the root)."""

    def __init__(self, batch_size: int, gamma: float = 0.9, epsilon: float = 1e-8) -> None:
        super().__init__(batch_size)
        self.gamma = _check_fraction(gamma, "gamma")
        self.epsilon = _check_epsilon(epsilon)

    def make(self, params: list[Tensor], lr: float) -> CoreOptimizer:
        return rmsprop.RMSprop(params, lr=lr, alpha=self.gamma, eps=self.epsilon)


class AdaDelta(Optimizer):
    """Zeiler's AdaDelta, as ``torch.optim.Adadelta`` with ``lr=1``: ``h ← γh + (1 − γ)g²`` first,
    then ``Δ = √(s + epsilon) / √(h + epsilon) · g``, ``s ← γs + (1 − γ)Δ²``, ``w ← w − Δ``
    (``epsilon`` inside the roots). As lesson 2-5 says, AdaDelta uses no learning rate: the
    ``learning_rate`` given to ``Model.train`` is ignored."""

    def __init__(self, batch_size: int, gamma: float = 0.9, epsilon: float = 1e-6) -> None:
        super().__init__(batch_size)
        self.gamma = _check_fraction(gamma, "gamma", upper_inclusive=True)
        self.epsilon = _check_epsilon(epsilon)

    def build(self, params: Sequence[Tensor], learning_rate: float) -> CoreOptimizer:
        """The core optimiser at learning rate 1, whatever ``learning_rate`` is."""
        return super().build(params, 1.0)

    def make(self, params: list[Tensor], lr: float) -> CoreOptimizer:
        return adadelta.Adadelta(params, lr=lr, rho=self.gamma, eps=self.epsilon)


class Adam(Optimizer):
    """``m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
    w ← w − lr·(m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + epsilon)`` at step ``t = 1, 2, …``."""

    def __init__(self, batch_size: int, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8) -> None:
        super().__init__(batch_size)
        self.beta_1 = _check_fraction(beta_1, "beta_1")
        self.beta_2 = _check_fraction(beta_2, "beta_2")
        self.epsilon = _check_epsilon(epsilon)

    def make(self, params: list[Tensor], lr: float) -> CoreOptimizer:
        return adam.Adam(params, lr=lr, betas=(self.beta_1, self.beta_2), eps=self.epsilon)

