"""Keras optimizers: Keras's argument names and defaults over ``scratchnet.optim``.

A Keras optimizer is created without variables; it builds its ``scratchnet.optim`` optimizer on
the variables it is first given (``apply_gradients`` or ``Model.fit``) and then only accepts those.
``learning_rate`` can be read and set at any time (``LearningRateScheduler`` does).

The update rules are the core's (PyTorch's) with Keras's hyper-parameters mapped onto them.
They equal Keras's with a constant learning rate: Keras's SGD momentum ``v = μv − lr·g`` is
PyTorch's ``v = μv + g; w −= lr·v``; Adam and AdamW use Keras's "epsilon hat"
(``epsilon_hat=True`` in the core); RMSprop's ``rho`` is PyTorch's ``alpha``. Adagrad adds
ε outside the square root (PyTorch) where Keras adds it inside, a difference of order ε.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scratchnet import optim
from scratchnet.autograd.tensor import Tensor
from scratchnet.keras import config


class Optimizer(config.Configurable):
    """Base of the Keras optimizers: ``apply_gradients(zip(grads, variables))``."""

    def __init__(self, learning_rate: float = 0.001, name: str | None = None) -> None:
        if not learning_rate >= 0:
            raise ValueError(f"Invalid learning rate: {learning_rate}")
        self._learning_rate = float(learning_rate)
        self.name = name or type(self).__name__
        self.iterations = 0
        self.optimizer: optim.Optimizer | None = None
        self._variable_ids: set[int] = set()

    def _make(self, variables: list[Tensor]) -> optim.Optimizer:
        """The core optimizer over ``variables`` with this optimizer's hyper-parameters."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        hidden = {"optimizer", "_variable_ids", "iterations", "_learning_rate"}
        return {"learning_rate": self._learning_rate,
                **{key: value for key, value in vars(self).items() if key not in hidden}}

    @property
    def learning_rate(self) -> float:
        """The learning rate (settable; applies to the next update)."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        if not float(value) >= 0:
            raise ValueError(f"Invalid learning rate: {value}")
        self._learning_rate = float(value)
        if self.optimizer is not None:
            for group in self.optimizer.param_groups:
                group["lr"] = self._learning_rate

    lr = learning_rate

    def build(self, variables: Iterable[Tensor]) -> optim.Optimizer:
        """Create the core optimizer over ``variables`` (once; later calls check the variables)."""
        variables = list(variables)
        if self.optimizer is None:
            if not variables:
                raise ValueError("the optimizer got no variables to optimize (does the model have weights?)")
            self.optimizer = self._make(variables)
            self._variable_ids = {id(v) for v in variables}
        elif any(id(v) not in self._variable_ids for v in variables):
            raise ValueError(f"{self.name} was built for other variables; create a new optimizer for "
                             "another model (as in Keras)")
        return self.optimizer

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Tensor]]) -> None:
        """Update each variable from its gradient (a Tensor or array; None skips the variable)."""
        pairs = list(grads_and_vars)
        optimizer = self.build([variable for _, variable in pairs])
        for grad, variable in pairs:
            variable.grad = None if grad is None else (grad if isinstance(grad, Tensor) else Tensor(grad))
        optimizer.step()
        optimizer.zero_grad()
        self.iterations += 1

    def step(self) -> None:
        """One update from the variables' ``.grad`` (what ``fit`` calls after ``backward``)."""
        self.optimizer.step()
        self.iterations += 1

    def zero_grad(self) -> None:
        """Forget the variables' gradients."""
        self.optimizer.zero_grad()


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 name: str | None = None) -> None:
        super().__init__(learning_rate, name)
        self.momentum, self.nesterov = momentum, nesterov

    def _make(self, variables: list[Tensor]) -> optim.Optimizer:
        return optim.SGD(variables, lr=self.learning_rate, momentum=self.momentum, nesterov=self.nesterov)


class Adam(Optimizer):
    """Adam with Keras's defaults (ε = 1e-7 as "epsilon hat")."""

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, name: str | None = None) -> None:
        super().__init__(learning_rate, name)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def _make(self, variables: list[Tensor]) -> optim.Optimizer:
        return optim.Adam(variables, lr=self.learning_rate, betas=(self.beta_1, self.beta_2),
                          eps=self.epsilon, amsgrad=self.amsgrad, epsilon_hat=True)


class AdamW(Adam):
    """Adam with decoupled weight decay ``w −= lr·weight_decay·w`` (Keras default 0.004)."""

    def __init__(self, learning_rate: float = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False,
                 name: str | None = None) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, name)
        self.weight_decay = weight_decay

    def _make(self, variables: list[Tensor]) -> optim.Optimizer:
        return optim.AdamW(variables, lr=self.learning_rate, betas=(self.beta_1, self.beta_2),
                           eps=self.epsilon, weight_decay=self.weight_decay, amsgrad=self.amsgrad,
                           epsilon_hat=True)


class RMSprop(Optimizer):
    """RMSprop: v = ρv + (1 − ρ)g², w −= lr·g/(√v + ε) (with optional momentum and centering)."""

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, name: str | None = None) -> None:
        super().__init__(learning_rate, name)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _make(self, variables: list[Tensor]) -> optim.Optimizer:
        return optim.RMSprop(variables, lr=self.learning_rate, alpha=self.rho, eps=self.epsilon,
                             momentum=self.momentum, centered=self.centered)


class Adagrad(Optimizer):
    """Adagrad: a += g², w −= lr·g/(√a + ε), accumulators starting at 0.1 (Keras)."""

    def __init__(self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, name: str | None = None) -> None:
        super().__init__(learning_rate, name)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _make(self, variables: list[Tensor]) -> optim.Optimizer:
        return optim.Adagrad(variables, lr=self.learning_rate,
                             initial_accumulator_value=self.initial_accumulator_value, eps=self.epsilon)


class Adadelta(Optimizer):
    """Adadelta (Keras defaults: lr 0.001, ρ 0.95, ε 1e-7; use learning_rate=1.0 for the paper)."""

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 name: str | None = None) -> None:
        super().__init__(learning_rate, name)
        self.rho, self.epsilon = rho, epsilon

    def _make(self, variables: list[Tensor]) -> optim.Optimizer:
        return optim.Adadelta(variables, lr=self.learning_rate, rho=self.rho, eps=self.epsilon)


_CLASSES = {cls.__name__: cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta)}


def get(identifier: Any) -> Optimizer:
    """An optimizer from a name (case-insensitive: ``'adam'``, ``'sgd'``, ...) or an ``Optimizer``."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        by_name = {name.lower(): cls for name, cls in _CLASSES.items()}
        if identifier.lower() not in by_name:
            raise ValueError(f"unknown optimizer {identifier!r}; known: {', '.join(sorted(by_name))}")
        return by_name[identifier.lower()]()
    if isinstance(identifier, dict):
        return config.deserialize(identifier, _CLASSES, {}, "optimizer")
    raise TypeError("optimizer must be a name or a keras.optimizers.Optimizer, "
                    f"got {type(identifier).__name__}")
