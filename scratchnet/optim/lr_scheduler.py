"""Learning-rate schedulers: they set ``optimizer.param_groups[i]["lr"]`` once per ``step()``.

As in PyTorch: create the scheduler after the optimiser (it records ``"initial_lr"`` in every
group and performs an initial step), call ``optimizer.step()`` then ``scheduler.step()`` once per
epoch, and read the rates with ``get_last_lr()``. ``last_epoch`` counts the steps taken.
The multiplicative schedulers use PyTorch's recursive ("chainable") forms, so that two schedulers
may drive the same optimiser, with the same results as PyTorch.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Iterable
from typing import Any

from scratchnet.optim.optimizer import Optimizer, require


def _check_positive_int(name: str, value: Any) -> None:
    """``value`` must be an int >= 1."""
    require(isinstance(value, int) and not isinstance(value, bool) and value >= 1,
            f"{name} must be a positive integer, got {value!r}")


class LRScheduler:
    """Base class: ``step()`` advances ``last_epoch`` and sets each group's lr to ``get_lr()``."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for number, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{number}] when "
                                   f"resuming a scheduler with last_epoch={last_epoch}: load the "
                                   f"optimizer's state dict first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for the epoch ``last_epoch`` (called by ``step``)."""
        raise NotImplementedError

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self) -> None:
        """Advance one epoch and set every group's learning rate (call after ``optimizer.step()``)."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimiser (``last_epoch``, ``base_lrs``, options), as PyTorch."""
        return {key: (list(value) if isinstance(value, list) else value)
                for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by ``state_dict``. ``ValueError`` before anything changes for
        a name this scheduler does not have or a value unlike the current one (a number for a
        number, a list of the same length for a list)."""
        if not isinstance(state_dict, dict):
            raise ValueError(f"a scheduler state dict must be a dict, got {type(state_dict).__name__}")
        for key, value in state_dict.items():
            if key == "optimizer" or key not in self.__dict__:
                raise ValueError(f"{type(self).__name__} has no state {key!r} to restore")
            if not _same_kind(self.__dict__[key], value):
                raise ValueError(f"malformed {type(self).__name__} state {key!r}: {str(value)[:80]} "
                                 f"in place of {str(self.__dict__[key])[:80]}")
        self.__dict__.update(state_dict)


def _same_kind(current: Any, saved: Any) -> bool:
    """Whether ``saved`` can stand in for ``current``: an int for an int, a number for a float,
    a bool for a bool, a list or tuple of as many such items for one, anything for None."""
    if current is None:
        return True
    if isinstance(current, bool) or isinstance(saved, bool):
        return isinstance(current, bool) and isinstance(saved, bool)
    if isinstance(current, int):
        return isinstance(saved, int)
    if isinstance(current, float):
        return isinstance(saved, (int, float))
    if isinstance(current, (list, tuple)):
        return isinstance(saved, (list, tuple)) and len(saved) == len(current) \
            and all(_same_kind(a, b) for a, b in zip(current, saved))
    return type(saved) is type(current)


class LambdaLR(LRScheduler):
    """``lr = initial_lr · lr_lambda(last_epoch)``, one function or one per group.

    As PyTorch, ``state_dict`` does not save plain functions (``None`` in their place), only the
    ``__dict__`` of callable objects.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            require(len(lr_lambda) == groups, f"Expected {groups} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        for function in self.lr_lambdas:
            if not callable(function):
                raise TypeError(f"lr_lambda must be callable, got {type(function).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * function(self.last_epoch)
                for function, base_lr in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict[str, Any]:
        state = {key: value for key, value in super().state_dict().items() if key != "lr_lambdas"}
        state["lr_lambdas"] = [None if isinstance(function, types.FunctionType) else dict(function.__dict__)
                               for function in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not isinstance(state_dict, dict):
            raise ValueError(f"a scheduler state dict must be a dict, got {type(state_dict).__name__}")
        state = dict(state_dict)
        saved_lambdas = state.pop("lr_lambdas", [])
        if not isinstance(saved_lambdas, list) or len(saved_lambdas) > len(self.lr_lambdas) \
                or not all(saved is None or isinstance(saved, dict) for saved in saved_lambdas):
            raise ValueError(f"malformed LambdaLR state 'lr_lambdas': {str(saved_lambdas)[:80]}")
        super().load_state_dict(state)
        for function, saved in zip(self.lr_lambdas, saved_lambdas):
            if saved is not None:
                function.__dict__.update(saved)


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs: ``lr = initial_lr·γ^⌊epoch/step_size⌋``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _check_positive_int("step_size", step_size)
        require(gamma > 0, f"gamma must be positive, got {gamma}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each milestone epoch (a milestone given twice counts twice):
    ``lr = initial_lr·γ^(number of milestones <= epoch)``."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = sorted(milestones)
        for milestone in self.milestones:
            require(isinstance(milestone, int) and milestone >= 0,
                    f"milestones must be non-negative integers, got {milestone!r}")
        require(gamma > 0, f"gamma must be positive, got {gamma}")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        hits = self.milestones.count(self.last_epoch)
        if hits == 0:
            return self._current_lrs()
        return [lr * self.gamma ** hits for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: ``lr = initial_lr·γ^epoch``."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        require(gamma > 0, f"gamma must be positive, got {gamma}")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from ``initial_lr`` to ``eta_min`` over ``T_max`` epochs (SGDR without restarts):
    ``lr = η_min + (initial_lr - η_min)·(1 + cos(π·epoch/T_max))/2``, computed with PyTorch's
    recursive form ``lr_t = η_min + (lr_{t-1} - η_min)·(1 + cos(πt/T))/(1 + cos(π(t-1)/T))``
    (so it chains with other schedulers; past ``T_max`` it rises again, as PyTorch)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        _check_positive_int("T_max", T_max)
        require(eta_min >= 0, f"eta_min must be >= 0, got {eta_min}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        epoch, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and epoch > 0:
            return [eta_min + (base_lr - eta_min) * (1 + math.cos(epoch * math.pi / period)) / 2
                    for base_lr in self.base_lrs]
        if (epoch - 1 - period) % (2 * period) == 0:
            return [lr + (base_lr - eta_min) * (1 - math.cos(math.pi / period)) / 2
                    for base_lr, lr in zip(self.base_lrs, self._current_lrs())]
        ratio = (1 + math.cos(math.pi * epoch / period)) / (1 + math.cos(math.pi * (epoch - 1) / period))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]


class ReduceLROnPlateau(LRScheduler):
    """Reduce the lr by ``factor`` when a metric has stopped improving (PyTorch's rules).

    ``step(metric)``: the metric improves when ``metric < best·(1 - threshold)`` (mode ``"min"``,
    threshold_mode ``"rel"``), ``metric < best - threshold`` (``"abs"``), and symmetrically for
    ``"max"``. After more than ``patience`` epochs without improvement every group's lr becomes
    ``max(lr·factor, min_lr)`` (ignored when the change is smaller than ``eps``), then ``cooldown``
    epochs pass during which bad epochs are not counted.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | list[float] = 0.0, eps: float = 1e-8) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        require(factor < 1.0, "Factor should be < 1.0.")
        require(factor >= 0.0, f"factor must be >= 0, got {factor}")
        require(mode in ("min", "max"), f"mode {mode!r} is unknown! (expected 'min' or 'max')")
        require(threshold_mode in ("rel", "abs"),
                f"threshold mode {threshold_mode!r} is unknown! (expected 'rel' or 'abs')")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            require(isinstance(value, int) and value >= 0, f"{name} must be an int >= 0, got {value!r}")
        require(threshold >= 0 and eps >= 0, f"threshold and eps must be >= 0, got {threshold}, {eps}")
        groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * groups
        require(len(min_lrs) == groups, f"expected {groups} min_lrs, got {len(min_lrs)}")
        require(all(value >= 0 for value in min_lrs), f"min_lr must be >= 0, got {min_lr}")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience, self.cooldown = mode, factor, patience, cooldown
        self.threshold, self.threshold_mode, self.min_lrs, self.eps = threshold, threshold_mode, min_lrs, eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = self._current_lrs()

    def is_better(self, metric: float, best: float) -> bool:
        """Whether ``metric`` improves on ``best`` by more than the threshold."""
        sign = 1.0 if self.mode == "min" else -1.0
        if self.threshold_mode == "rel":
            return sign * metric < sign * best * (1.0 - sign * self.threshold)
        return sign * metric < sign * best - self.threshold

    def step(self, metrics: float) -> None:
        """Record this epoch's metric (a number or a one-element Tensor) and maybe reduce the lr."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            new_lr = max(group["lr"] * self.factor, min_lr)
            if group["lr"] - new_lr > self.eps:
                group["lr"] = new_lr
