"""The tutorial's layer contract: explicit ``forward(x)`` and ``backward(dout)`` on NumPy arrays.

A layer caches what its backward needs during ``forward``. Layers with weights keep them in
``params`` (name → array) and, after ``backward``, their gradients in ``grads`` under the same
names; ``Model.train`` hands both to the optimiser. Weights are created lazily, on the first
``forward``, from the shape of the input (as the tutorial's ``MulLayer(out)`` only names its
output width). Every constructor argument is stored under its own name, so that ``config()`` can
describe the layer for ``Model.save`` without any per-layer code.
"""

from __future__ import annotations

import inspect
from typing import Any

from scratchnet import backend
from scratchnet.backend import xp


class Layer:
    """Base class of the classic layers.

    Attributes: ``params`` and ``grads`` (dicts of arrays, empty for layers without weights),
    ``reg`` (the L2 coefficient λ: the model's loss gains ``λ/2·Σw²`` for every weight of the
    layer, and ``backward`` adds ``λ·w`` to its gradient, so every optimiser sees it) and
    ``train_flag`` (set by ``Model``: True while training; only ``Dropout`` reads it).
    """

    param_names: tuple[str, ...] = ()
    """The keys of ``params`` once the layer is built (what a saved model must provide)."""

    def __init__(self) -> None:
        self.params: dict[str, xp.ndarray] = {}
        self.grads: dict[str, xp.ndarray] = {}
        self.reg = 0.0
        self.train_flag = True

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        """The layer's output for a batch ``x``."""
        raise NotImplementedError

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        """Given dL/d(output), store the weight gradients in ``grads`` and return dL/d(input)."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this layer, e.g. ``{"out": 100, "reg": 0.0}``."""
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {name: getattr(self, name) for name in names}

    @property
    def param(self) -> xp.ndarray | None:
        """The tutorial's ``layer.param``: the layer's first weight (``W``, or ``b`` for AddLayer)."""
        return self.params.get(self.param_names[0]) if self.param_names else None

    @param.setter
    def param(self, value: xp.ndarray) -> None:
        self.params[self.param_names[0]] = value

    @property
    def grad(self) -> xp.ndarray | None:
        """The tutorial's ``layer.grad``: the gradient of ``param`` after ``backward``."""
        return self.grads.get(self.param_names[0]) if self.param_names else None

    def l2_penalty(self) -> float:
        """``λ/2 · Σ w²`` over ``param`` (the weight matrix or kernel; an ``AddLayer``'s own bias when
        it is given ``reg``; a ``ConvLayer``'s bias is not penalised)."""
        if not self.reg or self.param is None:
            return 0.0
        return 0.5 * self.reg * float(xp.sum(self.param ** 2))

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({arguments})"


def float_dtype(x: xp.ndarray) -> xp.dtype:
    """The dtype new weights take: the input's when it is floating point, else float32."""
    return x.dtype if backend.is_floating(x.dtype) else backend.DEFAULT_FLOAT


def check_reg(reg: float) -> float:
    """Validate an L2 coefficient (a non-negative number)."""
    if not isinstance(reg, (int, float)) or isinstance(reg, bool) or reg < 0:
        raise ValueError(f"reg must be a non-negative number, got {reg!r}")
    return float(reg)


def check_positive_int(value: Any, name: str) -> int:
    """Validate a positive integer argument such as a width or a batch size."""
    if not isinstance(value, (int, xp.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
