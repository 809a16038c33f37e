"""The affine layer split as in the tutorial: ``MulLayer`` (``x @ W``) then ``AddLayer`` (``+ b``)."""

from __future__ import annotations

from scratchnet.backend import xp
from scratchnet.classic.layers.base import Layer, check_positive_int, check_reg, float_dtype
from scratchnet.classic.layers.initializers import check_initializer, initial_weight


class MulLayer(Layer):
    """``y = x @ W`` with ``W`` of shape ``(in, out)``, created on the first forward from ``x``.

    Backward: ``dW = xᵀ · dout + λ·W`` (λ = ``reg``), ``dx = dout · Wᵀ``.
    """

    param_names = ("W",)

    def __init__(self, out: int, initializer: str = "he", reg: float = 0) -> None:
        super().__init__()
        self.out = check_positive_int(out, "out")
        self.initializer = check_initializer(initializer)
        self.reg = check_reg(reg)

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        if x.ndim != 2:
            raise ValueError(f"MulLayer expects (batch, features) input, got shape {x.shape}; "
                             "add a Flatten layer before it")
        if "W" not in self.params:
            weight = initial_weight(self.initializer, (self.out, x.shape[1]), float_dtype(x))
            self.params["W"] = weight.T.copy()
        if x.shape[1] != self.params["W"].shape[0]:
            raise ValueError(f"MulLayer expects (*, {self.params['W'].shape[0]}) input, got {x.shape}")
        self.x = x
        return x @ self.params["W"]

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        self.grads["W"] = self.x.T @ dout + self.reg * self.params["W"]
        return dout @ self.params["W"].T


class AddLayer(Layer):
    """``y = x + b`` with one bias per feature, ``b`` of shape ``x.shape[1:]`` (zeros at first).

    Backward: ``db = Σ_batch dout`` — a sum over the batch, as every sample adds the same ``b``
    (the tutorial took the mean, which scales the bias gradient by 1/N) — and ``dx = dout``.
    """

    param_names = ("b",)

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        if "b" not in self.params:
            self.params["b"] = xp.zeros(x.shape[1:], dtype=float_dtype(x))
        if x.shape[1:] != self.params["b"].shape:
            raise ValueError(f"AddLayer expects inputs of shape (N, *{self.params['b'].shape}), "
                             f"got {x.shape}")
        return x + self.params["b"]

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        self.grads["b"] = dout.sum(axis=0)
        return dout
