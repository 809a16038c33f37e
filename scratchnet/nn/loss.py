"""Loss layers: thin Modules over ``scratchnet.functional``'s losses, as ``torch.nn``'s.

Every loss takes ``(input, target)`` and ``reduction='mean' | 'sum' | 'none'``. Shapes must match
exactly (class-index targets ``(N, ...)`` for logits ``(N, C, ...)``): a mismatch raises
``ValueError`` naming both shapes instead of broadcasting silently, and class labels must lie in
[0, C) (or equal ``ignore_index``).
"""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.nn.module import Module

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {_REDUCTIONS}, "
                             f"got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class _WeightedLoss(_Loss):
    """A loss with optional per-class (or per-element) weights, kept as a buffer as in PyTorch."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", None if weight is None else Tensor(weight))


class CrossEntropyLoss(_WeightedLoss):
    """−Σ_c t_c · log softmax(x)_c per sample, fused with a stable log-sum-exp. Targets are
    class indices ``(N,)`` (``ignore_index`` skipped, the mean over the others weighted by
    ``weight[target]``) or class probabilities ``(N, C)``; ``label_smoothing`` ε mixes the
    target with the uniform distribution: (1 − ε)·t + ε/C."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing!r}")
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """−x[n, target[n]] (weighted by ``weight[target]``) for log-probabilities ``x``."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class MSELoss(_Loss):
    """(x − y)² per element."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """``|x − y|`` per element."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """``½(x − y)²`` where ``|x − y| < δ``, ``δ·(|x − y| − ½δ)`` elsewhere."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta!r}")
        self.delta = delta

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """−w·(y log p + (1 − y) log(1 − p)) for probabilities p, the logs clamped at −100 as PyTorch."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """BCE of σ(x) computed stably from logits: max(x, 0) − x·y + log(1 + e^{−|x|}), optionally
    weighted per element (``weight``) and per positive class (``pos_weight``)."""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", None if pos_weight is None else Tensor(pos_weight))

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
