"""``Linear``: the fully connected (dense, affine) layer."""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import DEFAULT_FLOAT, xp
from scratchnet.nn import init
from scratchnet.nn.module import Module
from scratchnet.nn.parameter import Parameter
from scratchnet.nn.validation import positive_int, shape_error


class Linear(Module):
    """y = x Wᵀ + b for x of shape ``(*, in_features)``; W is ``(out_features, in_features)``.

    Initialised as PyTorch: W by ``kaiming_uniform_(a=√5)`` ≡ U(±1/√in_features), b U(±1/√in_features).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = positive_int("in_features", in_features, "Linear")
        self.out_features = positive_int("out_features", out_features, "Linear")
        add_weight_and_bias(self, (self.out_features, self.in_features), bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights with PyTorch's default initialisation."""
        init.default_weight_and_bias_(self.weight, self.bias)

    def forward(self, x: Any) -> Tensor:
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise shape_error(self, f"(*, {self.in_features})", x.shape)
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


def add_weight_and_bias(module: Module, weight_shape: tuple[int, ...], bias: bool,
                        outputs: int | None = None) -> None:
    """Register ``module.weight`` of ``weight_shape`` and ``module.bias`` (one per output: ``outputs``,
    by default the first axis of the weight; None without bias), uninitialised: the layer's
    ``reset_parameters`` draws them (Linear, Conv2d and ConvTranspose2d)."""
    module.weight = Parameter(xp.empty(weight_shape, dtype=DEFAULT_FLOAT))
    if bias:
        size = weight_shape[0] if outputs is None else outputs
        module.bias = Parameter(xp.empty(size, dtype=DEFAULT_FLOAT))
    else:
        module.register_parameter("bias", None)


class Identity(Module):
    """y = x: a placeholder layer (e.g. a removed head, ``model.fc = nn.Identity()``); any
    constructor arguments are accepted and ignored, as ``torch.nn.Identity``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x
