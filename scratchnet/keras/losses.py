"""Keras losses by name or object, computed with ``scratchnet.nn.functional``.

``loss(y_true, y_pred)`` is the batch mean (Keras's ``sum_over_batch_size``). Losses on
probabilities (``from_logits=False``, the Keras default after a softmax or sigmoid) clip the
probabilities to ``[ε, 1 − ε]`` with ε = 1e-7, as Keras does, so that log(0) never happens:
categorical cross-entropy is the cross-entropy of logits ``log(clip(p))`` (which renormalises
``p``, as Keras's TensorFlow backend does); binary cross-entropy is
``−mean(y·log p + (1 − y)·log(1 − p))`` on the clipped p.

As in Keras, when the probabilities come straight from a softmax (or a sigmoid, for binary
cross-entropy) recorded in the graph, the loss is computed from that activation's input, the
logits, in the numerically stable fused form (no clipping, exact gradients).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.data.validation import check_labels
from scratchnet.functional.activation import Softmax as SoftmaxFunction
from scratchnet.keras import config, metrics
from scratchnet.nn import functional as F
from scratchnet.ops.convert import as_tensor
from scratchnet.ops.elementwise import Sigmoid as SigmoidFunction

EPSILON = 1e-7
"""Keras's fuzz factor for clipping probabilities."""


def _clipped_log(probabilities: Tensor) -> Tensor:
    return probabilities.clip(EPSILON, 1.0 - EPSILON).log()


def logits_behind(output: Tensor, activation: type) -> Tensor | None:
    """The input of the ``activation`` Function (softmax over the last axis, or sigmoid) that
    produced ``output``, when the graph recorded it; None otherwise."""
    creator = output.creator
    if isinstance(creator, activation) and getattr(creator, "axis", -1) in (-1, output.ndim - 1):
        return creator.inputs[0]
    return None


def _class_logits(y_pred: Tensor, from_logits: bool) -> Tensor:
    """Logits for a categorical cross-entropy: ``y_pred`` itself, the softmax's input, or
    ``log(clip(p))``."""
    if from_logits:
        return y_pred
    logits = logits_behind(y_pred, SoftmaxFunction)
    return _clipped_log(y_pred) if logits is None else logits


def check_target_shape(target_shape: tuple[int, ...], output_shape: tuple[int, ...], loss: str) -> None:
    """Targets must have the predictions' shape (``(N,)`` fits ``(N, 1)``, as Keras squeezes that
    axis); ``ValueError`` naming both shapes otherwise, suggesting the sparse loss for class indices."""
    if len(target_shape) == len(output_shape) - 1 and output_shape[-1] == 1:
        target_shape = (*target_shape, 1)
    if tuple(target_shape) == tuple(output_shape):
        return
    hint = ""
    if len(target_shape) == 1 and len(output_shape) == 2 and output_shape[-1] > 1:
        hint = ("; they look like integer class indices: use loss='sparse_categorical_crossentropy', "
                "or one-hot encode them with keras.utils.to_categorical(y)")
    raise ValueError(f"{loss}: targets of shape {tuple(target_shape)} do not match predictions of shape "
                     f"{tuple(output_shape)}{hint}")


def _aligned(y_true: Any, y_pred: Tensor, loss: str = "loss") -> Tensor:
    """``y_true`` as a float Tensor of ``y_pred``'s shape: ``(N,)`` targets fit ``(N, 1)``
    predictions (Keras squeezes/expands that axis); other mismatches raise ``ValueError``."""
    target = as_tensor(y_true)
    check_target_shape(target.shape, y_pred.shape, loss)
    if target.shape != y_pred.shape:
        target = target.reshape(y_pred.shape)
    return target if target.dtype == y_pred.dtype else target.astype(y_pred.dtype)


def sparse_labels(y_true: Any, num_classes: int) -> xp.ndarray:
    """Class indices as int64 of shape ``(N,)`` (``(N, 1)`` accepted), checked to lie in
    ``[0, num_classes)``."""
    labels = y_true.array if isinstance(y_true, Tensor) else xp.asarray(y_true)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim == 2 and labels.shape[1] == num_classes > 1:
        raise ValueError(f"sparse_categorical_crossentropy expects integer class indices of shape (N,), "
                         f"got targets of shape {labels.shape} that look one-hot (one column per class): use "
                         "loss='categorical_crossentropy', or pass the indices y.argmax(axis=-1)")
    if labels.dtype.kind in "iu" and labels.size and 0 <= labels.min() and labels.max() < num_classes:
        return labels
    return check_labels(labels, num_classes)


class Loss(config.Configurable):
    """Base of the losses: ``loss(y_true, y_pred) -> Tensor`` (a scalar, the batch mean).

    ``accuracy`` is the metric Keras chooses for ``metrics=['accuracy']`` with this loss.
    """

    accuracy: Callable[..., Any] | None = None

    def __init__(self, name: str | None = None) -> None:
        self.name = name or type(self).__name__

    def __call__(self, y_true: Any, y_pred: Tensor, sample_weight: Any = None) -> Tensor:
        """The batch-mean loss; with ``sample_weight`` (one weight per sample) Keras's weighted
        mean Σᵢ wᵢ·lᵢ / N of the per-sample losses lᵢ (N the batch size, not Σ w)."""
        if sample_weight is None:
            return self.call(y_true, y_pred)
        losses = self.per_sample(y_true, y_pred)
        weights = as_tensor(sample_weight).astype(losses.dtype)
        if weights.shape != losses.shape:
            raise ValueError(f"sample_weight of shape {weights.shape} does not match the {losses.shape[0]} "
                             f"samples of the batch (one weight per sample)")
        return (losses * weights).sum() / losses.shape[0]

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        """The batch-mean loss."""
        return self.losses(y_true, y_pred, "mean")

    def losses(self, y_true: Any, y_pred: Tensor, reduction: str) -> Tensor:
        """The loss with ``reduction`` 'mean' (a scalar) or 'none' (one value per sample, or per
        element for element-wise losses)."""
        raise NotImplementedError(f"{type(self).__name__} must define call(y_true, y_pred)")

    def per_sample(self, y_true: Any, y_pred: Tensor) -> Tensor:
        """One loss per sample, shape ``(N,)``: element-wise losses averaged over the other axes."""
        losses = self.losses(y_true, y_pred, "none")
        if losses.ndim == 0:
            raise ValueError(f"the loss {self.name} gives one value per batch, so it cannot be weighted per "
                             "sample (sample_weight / class_weight need per-sample losses)")
        return losses if losses.ndim == 1 else losses.mean(axis=tuple(range(1, losses.ndim)))

    aligned = False
    """Whether targets must have the predictions' shape (checked by ``validate``)."""

    def validate(self, y_true: xp.ndarray, output_shape: tuple[int, ...]) -> None:
        """Check all targets once before training (``fit`` calls it); raises ``ValueError``. Losses
        whose targets are ``aligned`` with the predictions check the shapes."""
        if self.aligned:
            check_target_shape(xp.shape(y_true), output_shape, self.name)


class SparseCategoricalCrossentropy(Loss):
    """−mean log p[y] for integer class labels y and class scores ``(N, C)``: probabilities
    (default) or logits (``from_logits=True``)."""

    accuracy = staticmethod(metrics.sparse_categorical_accuracy)

    def __init__(self, from_logits: bool = False, name: str | None = None) -> None:
        super().__init__(name)
        self.from_logits = from_logits

    def losses(self, y_true: Any, y_pred: Tensor, reduction: str) -> Tensor:
        logits = _class_logits(y_pred, self.from_logits)
        return F.cross_entropy(logits, sparse_labels(y_true, y_pred.shape[-1]), reduction=reduction)

    def validate(self, y_true: xp.ndarray, output_shape: tuple[int, ...]) -> None:
        """Every label an integer in ``[0, classes)`` (the error names the label and its index)."""
        sparse_labels(y_true, output_shape[-1])


class CategoricalCrossentropy(Loss):
    """−mean Σ_c y_c log p_c for one-hot (or soft) targets y of the predictions' shape."""

    aligned = True
    accuracy = staticmethod(metrics.categorical_accuracy)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 name: str | None = None) -> None:
        super().__init__(name)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing

    def losses(self, y_true: Any, y_pred: Tensor, reduction: str) -> Tensor:
        logits = _class_logits(y_pred, self.from_logits)
        return F.cross_entropy(logits, _aligned(y_true, y_pred, self.name),
                               label_smoothing=self.label_smoothing, reduction=reduction)


class BinaryCrossentropy(Loss):
    """−mean(y·log p + (1 − y)·log(1 − p)) for targets in [0, 1]; p probabilities (default) or
    logits (``from_logits=True``, the numerically stable form)."""

    aligned = True
    accuracy = staticmethod(metrics.binary_accuracy)

    def __init__(self, from_logits: bool = False, name: str | None = None) -> None:
        super().__init__(name)
        self.from_logits = from_logits

    def losses(self, y_true: Any, y_pred: Tensor, reduction: str) -> Tensor:
        target = _aligned(y_true, y_pred, self.name)
        logits = y_pred if self.from_logits else logits_behind(y_pred, SigmoidFunction)
        if logits is not None:
            return F.binary_cross_entropy_with_logits(logits, target, reduction=reduction)
        return F.binary_cross_entropy(y_pred.clip(EPSILON, 1.0 - EPSILON), target, reduction=reduction)


class MeanSquaredError(Loss):
    """mean((y − ŷ)²)."""

    aligned = True

    def losses(self, y_true: Any, y_pred: Tensor, reduction: str) -> Tensor:
        return F.mse_loss(y_pred, _aligned(y_true, y_pred, self.name), reduction=reduction)


class MeanAbsoluteError(Loss):
    """``mean(|y − ŷ|)``."""

    aligned = True

    def losses(self, y_true: Any, y_pred: Tensor, reduction: str) -> Tensor:
        return F.l1_loss(y_pred, _aligned(y_true, y_pred, self.name), reduction=reduction)


class LossFunctionWrapper(Loss):
    """A user function ``fn(y_true, y_pred) -> Tensor`` used as a loss (its mean is taken)."""

    def __init__(self, fn: Callable[[Any, Tensor], Tensor], name: str | None = None) -> None:
        super().__init__(name or getattr(fn, "__name__", "loss"))
        self.fn = fn

    def losses(self, y_true: Any, y_pred: Tensor, reduction: str) -> Tensor:
        values = as_tensor(self.fn(y_true, y_pred))
        return values.mean() if reduction == "mean" else values


_CLASSES = {cls.__name__: cls for cls in (SparseCategoricalCrossentropy, CategoricalCrossentropy,
                                          BinaryCrossentropy, MeanSquaredError, MeanAbsoluteError)}
_ALIASES = {"sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
            "categorical_crossentropy": CategoricalCrossentropy,
            "binary_crossentropy": BinaryCrossentropy,
            "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
            "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError}


def get(identifier: Any) -> Loss:
    """A loss from a name (case-insensitive), a ``Loss`` or a function ``fn(y_true, y_pred)``."""
    if isinstance(identifier, str):
        identifier = identifier.lower()
    loss = config.deserialize(identifier, _CLASSES, _ALIASES, "loss")
    return loss if isinstance(loss, Loss) else LossFunctionWrapper(loss)
