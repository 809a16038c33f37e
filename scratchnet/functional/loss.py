"""Loss functions with PyTorch's signatures and ``reduction`` ('mean' | 'sum' | 'none').

Cross-entropy is one fused Function (log-softmax + NLL, log-sum-exp stable), for class indices and
for class probabilities; the binary losses are fused too, with PyTorch's clamped logs and the
stable logits form. Prediction and target shapes must match exactly (no silent broadcasting),
and class indices are checked to lie in ``[0, C)`` unless equal to ``ignore_index``.
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.functional.activation import log_softmax_array
from scratchnet.layout import split_rows
from scratchnet.ops.convert import as_tensor
from scratchnet.ops.elementwise import abs, where
from scratchnet.ops.shape import permute, reshape

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _check_same_shape(name: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        raise ValueError(f"{name}: target shape {target.shape} does not match input shape {input.shape} "
                         "(no broadcasting: reshape one of them)")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


def _reduce_array(losses: xp.ndarray, reduction: str, denominator: float) -> xp.ndarray:
    if reduction == "none":
        return losses
    total = losses.sum(dtype=losses.dtype)
    return xp.asarray(total / losses.dtype.type(denominator) if reduction == "mean" else total)


def _reduce_weighted(losses: xp.ndarray, weight: xp.ndarray | None, reduction: str,
                     dtype: xp.dtype) -> xp.ndarray:
    """An elementwise loss times its element weights (if any), in ``dtype``, reduced over all
    elements ('mean' divides by the element count)."""
    losses = losses if weight is None else losses * weight
    return _reduce_array(losses.astype(dtype, copy=False), reduction, losses.size)


def _elementwise_upstream(g: xp.ndarray, reduction: str, size: int, weight: xp.ndarray | None) -> xp.ndarray:
    """The gradient reaching each element of an elementwise loss: the reduction's upstream
    gradient (divided by the element count for 'mean'), times the element weights if any."""
    g = g / size if reduction == "mean" else g
    return g if weight is None else g * weight


def _class_indices(name: str, input: Tensor, target: Any, ignore_index: int) -> xp.ndarray:
    """Validated integer class indices for ``input (N, C, d...)`` or ``(C,)``."""
    labels = target.array if isinstance(target, Tensor) else xp.asarray(target)
    if labels.dtype.kind not in "iu":
        raise ValueError(f"{name}: class-index targets must be integers, got dtype {labels.dtype} with "
                         f"shape {labels.shape}; for one-hot or soft labels pass class probabilities of the "
                         f"input's shape {input.shape} (e.g. keras.utils.to_categorical), or cast indices "
                         "to int64")
    expected = input.shape[1:] if input.ndim == 1 else input.shape[:1] + input.shape[2:]
    expected = () if input.ndim == 1 else expected
    if labels.shape != expected:
        raise ValueError(f"{name}: target shape {labels.shape} does not match input shape {input.shape} "
                         f"(expected class indices of shape {expected})")
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    flat = labels.reshape(-1)
    bad = (flat < 0) | (flat >= classes)
    if bad.any():
        bad &= flat != ignore_index
    if bad.any():
        position = int(xp.flatnonzero(bad)[0])
        raise ValueError(f"label {int(flat[position])} out of range [0, {classes}) at index {position}")
    return flat


def _class_rows(input: Tensor) -> Tensor:
    """Logits ``(N, C, d...)`` or ``(C,)`` as rows ``(M, C)`` (class axis last)."""
    if input.ndim == 2:
        return input
    if input.ndim == 1:
        return reshape(input, 1, -1)
    if input.ndim > 2:
        input = permute(input, 0, *range(2, input.ndim), 1)
    return reshape(input, -1, input.shape[-1])


class SoftmaxCrossEntropy(ArrayFunction):
    """lᵢ = −Σ_c q_ic · log softmax(zᵢ)_c for a coefficient matrix q (weights × one-hot or
    probabilities, label smoothing folded in); ∂lᵢ/∂zᵢ = softmax(zᵢ)·Σ_c q_ic − qᵢ, and for
    probability targets ∂lᵢ/∂t_ic = −(1 − ε)·w_c·log softmax(zᵢ)_c."""

    def __init__(self, reduction: str, class_weight: xp.ndarray | None, smoothing: float,
                 labels: xp.ndarray | None = None, ignore_index: int = -100) -> None:
        self.reduction = reduction
        self.class_weight = class_weight
        self.smoothing = smoothing
        self.labels = labels
        self.ignore_index = ignore_index

    def forward(self, logits: xp.ndarray, *probabilities: xp.ndarray) -> xp.ndarray:
        self.log_p = log_softmax_array(logits, axis=1)
        if probabilities:
            self.q, self.denominator = self._probability_coefficients(probabilities[0])
            losses = -xp.einsum("ij,ij->i", self.q, self.log_p)
        else:
            self.q, self.denominator = self._index_coefficients(logits)
            losses = self._index_losses()
        return _reduce_array(losses, self.reduction, self.denominator)

    def _index_losses(self) -> xp.ndarray:
        """lᵢ = −(1 − ε)·w_yᵢ·log pᵢ[yᵢ] − (ε/C)·Σ_c w_c·log pᵢ_c on kept rows, 0 on ignored ones.

        Only the label's log-probability is read (PyTorch gathers it too): a product with the
        one-hot zeros would turn a class whose log-probability is −inf (logits ±3e38) into NaN."""
        rows, classes = self.log_p.shape
        picked = xp.where(self.kept, self.log_p[xp.arange(rows), self.safe_labels], 0)
        losses = picked * self.label_weight
        losses *= -(1 - self.smoothing)
        if self.smoothing:
            uniform = xp.where(self.kept, self.log_p @ self._weights(self.log_p), 0)
            losses -= (self.smoothing / classes) * uniform
        return losses

    def _weights(self, like: xp.ndarray) -> xp.ndarray:
        weight = self.class_weight
        return xp.ones(like.shape[1], like.dtype) if weight is None else weight.astype(like.dtype, copy=False)

    def _index_coefficients(self, logits: xp.ndarray) -> tuple[xp.ndarray, float]:
        """q = (1 − ε)·w_y·one-hot(y) + ε/C·w on kept rows (zero on ignored ones), and the
        'mean' denominator Σ w_y over kept rows (their count without class weights)."""
        rows, classes = logits.shape
        self.kept = kept = self.labels != self.ignore_index
        self.safe_labels = labels = xp.where(kept, self.labels, 0)
        if self.class_weight is None:
            label_weight = kept.astype(logits.dtype)
        else:
            label_weight = self._weights(logits)[labels] * kept
        self.label_weight = label_weight
        q = xp.zeros_like(logits)
        q[xp.arange(rows), labels] = label_weight * (1 - self.smoothing) if self.smoothing else label_weight
        if self.smoothing:
            q += (self.smoothing / classes) * self._weights(logits) * kept[:, None]
        return q, float(label_weight.sum())

    def _probability_coefficients(self, target: xp.ndarray) -> tuple[xp.ndarray, float]:
        classes = target.shape[1]
        smoothed = target * (1 - self.smoothing) + self.smoothing / classes if self.smoothing else target
        return smoothed * self._weights(target), target.shape[0]

    def _row_grads(self, g: xp.ndarray) -> xp.ndarray:
        """The loss gradient of each row, as a column (or one scalar shared by every row)."""
        if self.reduction == "none":
            return g[:, None]
        return g / self.denominator if self.reduction == "mean" else g

    def backward_arrays(self, g: xp.ndarray) -> tuple[xp.ndarray | None, ...]:
        row_grads = self._row_grads(g)
        grad_logits = None
        if self.needs_input_grad[0]:
            grad_logits = xp.empty_like(self.log_p)

            def row_gradients(rows: slice) -> None:  # softmax(zᵢ)·Σ_c q_ic − qᵢ, times the row's gradient
                part = xp.exp(self.log_p[rows], out=grad_logits[rows])
                part *= self.q[rows].sum(axis=1, keepdims=True)
                part -= self.q[rows]
                part *= row_grads[rows] if row_grads.ndim else row_grads
            split_rows(grad_logits, row_gradients)
        if len(self.inputs) == 1:
            return grad_logits
        grad_target = None
        if self.needs_input_grad[1]:
            grad_target = -(1 - self.smoothing) * self._weights(self.log_p) * self.log_p * row_grads
        return grad_logits, grad_target


def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits ``(N, C, d...)`` (or ``(C,)``) with class indices ``(N, d...)`` or
    class probabilities of the input's shape: lᵢ = −Σ_c w_c·t_ic·log softmax(xᵢ)_c, as
    ``torch.nn.functional.cross_entropy``. With label smoothing ε the target is (1 − ε)·t + ε/C.
    'mean' divides by Σ w_{yᵢ} over non-ignored samples for indices, by N for probabilities."""
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    x = as_tensor(input)
    if x.ndim == 0:
        raise ValueError("cross_entropy expects logits of shape (N, C, ...) or (C,), got a scalar")
    class_weight = None if weight is None else as_tensor(weight).array
    classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    if class_weight is not None and class_weight.shape != (classes,):
        raise ValueError(f"cross_entropy: weight must have shape ({classes},), got {class_weight.shape}")
    rows = _class_rows(x)
    target_array = target.array if isinstance(target, Tensor) else xp.asarray(target)
    if target_array.dtype.kind == "f" and target_array.shape == x.shape:
        probabilities = _class_rows(as_tensor(target))
        loss = SoftmaxCrossEntropy(reduction, class_weight, label_smoothing)(rows, probabilities)
    else:
        labels = _class_indices("cross_entropy", x, target, ignore_index)
        loss = SoftmaxCrossEntropy(reduction, class_weight, label_smoothing, labels, ignore_index)(rows)
    return _unflatten_losses(loss, x, reduction)


def _unflatten_losses(loss: Tensor, x: Tensor, reduction: str) -> Tensor:
    """Per-sample losses back in the target's shape (reduction='none')."""
    if reduction != "none":
        return loss
    shape = () if x.ndim == 1 else x.shape[:1] + x.shape[2:]
    return reshape(loss, *shape) if shape else reshape(loss, ())


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``(N, C, d...)`` at class indices:
    lᵢ = −w_{yᵢ}·xᵢ[yᵢ]; 'mean' divides by Σ w_{yᵢ} over non-ignored samples, as
    ``torch.nn.functional.nll_loss``."""
    _check_reduction(reduction)
    x = as_tensor(input)
    labels = _class_indices("nll_loss", x, target, ignore_index)
    rows = _class_rows(x)
    kept = labels != ignore_index
    safe = xp.where(kept, labels, 0)
    class_weight = xp.ones(rows.shape[1], x.dtype) if weight is None else as_tensor(weight).array
    label_weight = (class_weight[safe] * kept).astype(x.dtype)
    picked = rows[xp.arange(rows.shape[0]), safe]
    losses = -picked * Tensor.wrap(label_weight)
    if reduction == "mean":
        return losses.sum() / Tensor.wrap(xp.asarray(label_weight.sum(), dtype=x.dtype))
    return _unflatten_losses(losses, x, reduction) if reduction == "none" else losses.sum()


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """(x − y)², reduced, as ``torch.nn.functional.mse_loss`` (shapes must match)."""
    _check_reduction(reduction)
    x, y = as_tensor(input), as_tensor(target)
    _check_same_shape("mse_loss", x, y)
    diff = x - y
    return _reduce(diff * diff, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """``|x − y|``, reduced, as ``torch.nn.functional.l1_loss`` (shapes must match)."""
    _check_reduction(reduction)
    x, y = as_tensor(input), as_tensor(target)
    _check_same_shape("l1_loss", x, y)
    return _reduce(abs(x - y), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """``½(x − y)²`` where ``|x − y| < δ``, else ``δ·(|x − y| − ½δ)``, reduced, as
    ``torch.nn.functional.huber_loss``."""
    _check_reduction(reduction)
    x, y = as_tensor(input), as_tensor(target)
    _check_same_shape("huber_loss", x, y)
    diff = x - y
    size = abs(diff)
    losses = where(size.array < delta, 0.5 * diff * diff, delta * (size - 0.5 * delta))
    return _reduce(losses, reduction)


class BinaryCrossEntropy(ArrayFunction):
    """l = −w·(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)); as PyTorch,
    ∂l/∂x = w·(x − y) / max(x(1 − x), 1e-12) and ∂l/∂y = w·(max(log(1−x), −100) − max(log x, −100))."""

    def __init__(self, reduction: str, weight: xp.ndarray | None) -> None:
        self.reduction = reduction
        self.weight = weight

    def forward(self, x: xp.ndarray, y: xp.ndarray) -> xp.ndarray:
        with xp.errstate(divide="ignore"):
            self.log_x = xp.maximum(xp.log(x), -100)
            self.log_1mx = xp.maximum(xp.log1p(-x), -100)
        losses = -(y * self.log_x + (1 - y) * self.log_1mx)
        return _reduce_weighted(losses, self.weight, self.reduction, x.dtype)

    def backward_arrays(self, g: xp.ndarray) -> tuple[xp.ndarray | None, xp.ndarray | None]:
        x, y = self.inputs[0].array, self.inputs[1].array
        g = _elementwise_upstream(g, self.reduction, x.size, self.weight)
        gx = g * (x - y) / xp.maximum(x * (1 - x), 1e-12) if self.needs_input_grad[0] else None
        gy = g * (self.log_1mx - self.log_x) if self.needs_input_grad[1] else None
        return gx, gy


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """−w·(y·log x + (1 − y)·log(1 − x)) with the logs clamped at −100, as
    ``torch.nn.functional.binary_cross_entropy`` (x are probabilities in [0, 1])."""
    _check_reduction(reduction)
    x, y = as_tensor(input), as_tensor(target)
    _check_same_shape("binary_cross_entropy", x, y)
    if x.array.size and (float(x.array.min()) < 0 or float(x.array.max()) > 1):
        raise ValueError("binary_cross_entropy: input values must be probabilities in [0, 1] "
                         "(use binary_cross_entropy_with_logits for logits)")
    weight_array = None if weight is None else xp.broadcast_to(as_tensor(weight).array, x.shape)
    return BinaryCrossEntropy(reduction, weight_array)(x, y)


class BinaryCrossEntropyWithLogits(ArrayFunction):
    """l = w·((1 − y)·x + L·softplus(−x)), L = 1 + (p − 1)·y (p = pos_weight), with
    softplus(−x) = log(1 + e^{−|x|}) + max(−x, 0) (stable);
    ∂l/∂x = w·((1 − y) − L·σ(−x)), ∂l/∂y = w·(−x + (p − 1)·softplus(−x))."""

    def __init__(self, reduction: str, weight: xp.ndarray | None, pos_weight: xp.ndarray | None) -> None:
        self.reduction = reduction
        self.weight = weight
        self.pos_weight = pos_weight

    def forward(self, x: xp.ndarray, y: xp.ndarray) -> xp.ndarray:
        self.softplus_neg = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)
        factor = 1 if self.pos_weight is None else 1 + (self.pos_weight - 1) * y
        losses = (1 - y) * x + factor * self.softplus_neg
        return _reduce_weighted(losses, self.weight, self.reduction, x.dtype)

    def backward_arrays(self, g: xp.ndarray) -> tuple[xp.ndarray | None, xp.ndarray | None]:
        x, y = self.inputs[0].array, self.inputs[1].array
        g = _elementwise_upstream(g, self.reduction, x.size, self.weight)
        gx = gy = None
        if self.needs_input_grad[0]:
            # σ(−x) = e^{−softplus(x)} and softplus(x) = x + softplus(−x)
            sigmoid_neg = xp.exp(-x - self.softplus_neg)
            factor = 1 if self.pos_weight is None else 1 + (self.pos_weight - 1) * y
            gx = g * ((1 - y) - factor * sigmoid_neg)
        if self.needs_input_grad[1]:
            gy = g * (-x if self.pos_weight is None else -x + (self.pos_weight - 1) * self.softplus_neg)
        return gx, gy


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy of σ(x) computed from the logits x in the stable form
    max(x, 0) − x·y + log(1 + e^{−|x|}) (with ``pos_weight`` p weighting the positive term), as
    ``torch.nn.functional.binary_cross_entropy_with_logits``."""
    _check_reduction(reduction)
    x, y = as_tensor(input), as_tensor(target)
    _check_same_shape("binary_cross_entropy_with_logits", x, y)
    weight_array = None if weight is None else as_tensor(weight).array
    pos_array = None if pos_weight is None else as_tensor(pos_weight).array
    return BinaryCrossEntropyWithLogits(reduction, weight_array, pos_array)(x, y)
