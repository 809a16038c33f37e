"""The affine layer split as in the tutorial: ``MulLayer`` (``x @ W``) then ``AddLayer`` (``+ b``),
each the ``scratchnet.reference.affine`` formula.

Every lesson's form builds them: ``MulLayer(w)`` / ``AddLayer(b)`` with the arrays themselves
(lessons 2-1, 2-2: the layer uses the caller's array, so in-place updates reach it),
``MulLayer()`` with the size from ``Model.addlayer(..., input_size=(in, out))`` (lessons 2-4 to
2-6), and ``MulLayer(out, initializer, reg)`` / ``AddLayer(out)`` (lesson 2-7 on; ``out=None``
lets ``Model.load`` rebuild them, the size coming from the saved weights).
"""

from __future__ import annotations

from typing import Any

from scratchnet import backend, reference
from scratchnet.backend import xp
from scratchnet.classic.layers.base import Layer, check_positive_int, check_reg, float_dtype
from scratchnet.classic.layers.initializers import check_initializer, initial_weight


def size_or_array(out: Any, layer: Layer, key: str) -> int | None:
    """``out`` as a width (None allowed); an array ``out`` becomes the layer's weight ``key``."""
    if isinstance(out, xp.ndarray):
        if not backend.is_floating(out.dtype):
            raise ValueError(f"{type(layer).__name__}: a weight array must be floating point, "
                             f"got {out.dtype}")
        layer.params[key] = out
        return int(out.shape[-1]) if out.ndim else 1
    return None if out is None else check_positive_int(out, "out")


class MulLayer(Layer):
    """``y = x @ W`` with ``W`` of shape ``(in, out)``, drawn by ``initializer`` on the first
    forward (or from ``Model.addlayer``'s ``input_size``). Backward: ``dW = xᵀ · dout + λ·W``
    (λ = ``reg``), ``dx = dout · Wᵀ``."""

    param_names = ("W",)

    def __init__(self, out: Any = None, initializer: str = "he", reg: float = 0) -> None:
        super().__init__()
        self.out = size_or_array(out, self, "W")
        self.initializer = check_initializer(initializer)
        self.reg = check_reg(reg)

    def build(self, in_size: int, dtype: xp.dtype) -> None:
        """Draw ``W (in_size, out)``."""
        if self.out is None:
            raise ValueError("MulLayer needs its output size: MulLayer(out) or "
                             "addlayer(..., input_size=(in, out))")
        self.params["W"] = initial_weight(self.initializer, (self.out, in_size), dtype).T.copy()

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        if x.ndim != 2:
            raise ValueError(f"MulLayer expects (batch, features) input, got shape {x.shape}; "
                             "add a Flatten layer before it")
        if "W" not in self.params:
            self.build(x.shape[1], float_dtype(x))
        if x.shape[1] != self.params["W"].shape[0]:
            raise ValueError(f"MulLayer expects (*, {self.params['W'].shape[0]}) input, got {x.shape}")
        self.x = x
        return reference.matmul(x, self.params["W"])

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        dx, dw = reference.matmul_backward(dout, self.x, self.params["W"])
        self.grads["W"] = dw + self.reg * self.params["W"]
        return dx


class AddLayer(Layer):
    """``y = x + b``, ``b`` zeros of shape ``x.shape[1:]`` at first (or the given array, any shape
    that broadcasts against ``x``). ``initializer`` is accepted as in lesson 2-7 (biases start at
    zero, as lesson 2-6 says). Backward: ``db = Σ_batch dout + λ·b`` — a sum over the batch, as every
    sample adds the same ``b`` (lessons 2-1 to 2-4 took ``dout.mean()``, a scalar N·out times too
    small) — and ``dx = dout``."""

    param_names = ("b",)

    def __init__(self, out: Any = None, initializer: str = "he", reg: float = 0) -> None:
        super().__init__()
        self.out = size_or_array(out, self, "b")
        self.initializer = check_initializer(initializer)
        self.reg = check_reg(reg)

    def build(self, shape: tuple[int, ...], dtype: xp.dtype) -> None:
        """Zeros of ``shape``."""
        self.params["b"] = xp.zeros(shape, dtype=dtype)

    def forward(self, x: xp.ndarray) -> xp.ndarray:
        if "b" not in self.params:
            if self.out is not None and x.shape[-1] != self.out:
                raise ValueError(f"AddLayer({self.out}) got inputs of shape {x.shape}")
            self.build(x.shape[1:], float_dtype(x))
        b = self.params["b"]
        if b.ndim > x.ndim or any(s not in (1, n) for s, n in zip(b.shape[::-1], x.shape[::-1])):
            raise ValueError(f"AddLayer: a bias of shape {b.shape} does not fit inputs of shape {x.shape}")
        return reference.add_bias(x, b)

    def backward(self, dout: xp.ndarray) -> xp.ndarray:
        dx, db = reference.add_bias_backward(dout, self.params["b"].shape)
        self.grads["b"] = db + self.reg * self.params["b"]
        return dx
