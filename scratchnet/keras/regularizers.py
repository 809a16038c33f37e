"""Weight penalties added to the training loss (Keras ``kernel_regularizer=``):
``l1(0.01)`` adds 0.01·Σ|w|, ``l2(0.01)`` adds 0.01·Σw², ``l1_l2`` both."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.keras import config


class Regularizer(config.Configurable):
    """``regularizer(weight) -> Tensor``: the penalty on one weight."""

    def __call__(self, weight: Tensor) -> Tensor:
        raise NotImplementedError


class L1L2(Regularizer):
    """penalty = l1·Σ|w| + l2·Σw² (Keras's defaults are 0 here, 0.01 in ``l1``/``l2``)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        if l1 < 0 or l2 < 0:
            raise ValueError(f"regularization factors must be non-negative, got l1={l1}, l2={l2}")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, weight: Tensor) -> Tensor:
        penalty = 0.0
        if self.l1:
            penalty = self.l1 * weight.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * (weight * weight).sum()
        return penalty


class L1(L1L2):
    """penalty = l1·Σ|w|."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(L1L2):
    """penalty = l2·Σw²."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


def l1(l1: float = 0.01) -> L1:  # noqa: A002 - Keras's names
    """An L1 penalty l1·Σ|w|."""
    return L1(l1)


def l2(l2: float = 0.01) -> L2:
    """An L2 penalty l2·Σw²."""
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """l1·Σ|w| + l2·Σw²."""
    return L1L2(l1, l2)


def get(identifier: Any) -> Any:
    """A regularizer from None, a name (``'l1'``, ``'l2'``, ``'l1_l2'``), a config dict or a callable."""
    if identifier is None:
        return None
    return config.deserialize(identifier, {"L1": L1, "L2": L2, "L1L2": L1L2},
                              {"l1": L1, "l2": L2, "l1_l2": L1L2}, "regularizer")


serialize = config.serialize
