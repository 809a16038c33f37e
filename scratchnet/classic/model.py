"""The tutorial's ``Model``: a stack of classic layers ending in an output layer, trained by one
loop over random mini-batches (``train``), with ``save`` / ``load`` of its layers and weights.

Example (``x_train`` etc. as NumPy arrays, labels one-hot or integer)::

    from scratchnet.classic import Model, Layers, Optimizer
    model = Model()
    model.addlayer(Layers.MulLayer(100), name="w1")
    model.addlayer(Layers.AddLayer(), name="b1")
    model.addlayer(Layers.SigmoidLayer())
    model.addlayer(Layers.MulLayer(10))
    model.addlayer(Layers.AddLayer())
    model.addlayer(Layers.SoftmaxLayer())
    losses = model.train(x_train, y_train, Optimizer.Adam(100), epoch=1000, learning_rate=1e-3)
    model.eval(x_test, y_test)   # accuracy in [0, 1]
"""

from __future__ import annotations

from typing import Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.classic import saving
from scratchnet.classic.layers.base import Layer, check_positive_int
from scratchnet.classic.layers.loss import LossLayer, SoftmaxLayer
from scratchnet.classic.optimizer import Optimizer

EVAL_CHUNK = 1000
"""``eval`` predicts this many samples at a time, so a large test set fits in memory."""


def as_input(x: Any) -> xp.ndarray:
    """``x`` as an array the layers compute on: floating arrays are kept, others become float32."""
    x = xp.asarray(x)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"inputs must be numeric, got dtype {x.dtype}")
    return x if backend.is_floating(x.dtype) else x.astype(backend.DEFAULT_FLOAT)


class Model:
    """Layers applied in the order they were added; the last one must be an output layer
    (``SoftmaxLayer`` or ``MSELayer``) for ``loss``, ``train`` and ``eval``.

    The loss is the output layer's mean loss plus ``λ/2·Σw²`` for every layer with ``reg = λ``.
    """

    def __init__(self) -> None:
        self.layers: dict[str, Layer] = {}
        self._slots: list[tuple[Layer, str, Tensor]] = []
        self._tensors: list[Tensor] = []

    # ---- building ---------------------------------------------------------------------
    def addlayer(self, layer: Layer, name: str | None = None) -> None:
        """Append ``layer`` under ``name`` (default: its class name and position, e.g. ``MulLayer1``)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"addlayer expects a classic layer, got {type(layer).__name__}")
        if self.layers and isinstance(self.output_layer(required=False), LossLayer):
            raise ValueError(f"cannot add {type(layer).__name__} after the output layer "
                             f"{type(self.output_layer()).__name__}")
        name = f"{type(layer).__name__}{len(self.layers) + 1}" if name is None else name
        if not isinstance(name, str) or not name or any(c.isspace() for c in name):
            raise ValueError(f"layer name must be a non-empty string without spaces, got {name!r}")
        if name in self.layers:
            raise ValueError(f"a layer named {name!r} already exists")
        self.layers[name] = layer

    def output_layer(self, required: bool = True) -> Any:
        """The last layer; with ``required``, an error unless it is an output (loss) layer."""
        last = next(reversed(self.layers.values()), None)
        if required and not isinstance(last, LossLayer):
            raise ValueError("the model needs an output layer (SoftmaxLayer or MSELayer) added last, "
                             f"its last layer is {type(last).__name__}")
        return last

    # ---- computing --------------------------------------------------------------------
    def forward(self, x: Any, train_flag: bool = True) -> xp.ndarray:
        """Run every layer on ``x``; ``train_flag`` turns Dropout on (training) or off."""
        if not self.layers:
            raise ValueError("the model has no layers; call addlayer first")
        x = as_input(x)
        for layer in self.layers.values():
            layer.train_flag = train_flag
            x = layer.forward(x)
        return x

    def predict(self, x: Any) -> xp.ndarray:
        """The output for ``x`` in inference mode (Dropout off): class probabilities after a
        ``SoftmaxLayer``."""
        return self.forward(x, train_flag=False)

    def loss(self, x: Any, t: Any, train_flag: bool = False) -> float:
        """The output layer's mean loss on ``(x, t)`` plus the L2 penalties of the layers."""
        self.forward(x, train_flag)
        data_loss = self.output_layer().loss(t)
        return data_loss + sum(layer.l2_penalty() for layer in self.layers.values())

    def gradient(self, x: Any, t: Any) -> float:
        """One training forward and backward pass: fills every layer's ``grads``, returns the loss."""
        loss = self.loss(x, t, train_flag=True)
        dout = 1.0
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        return loss

    def eval(self, x: Any, t: Any) -> float:
        """Accuracy: the fraction of samples whose most probable class is the target's
        (targets as one-hot rows or integer labels); needs a ``SoftmaxLayer`` output."""
        if not isinstance(self.output_layer(), SoftmaxLayer):
            raise ValueError("eval measures accuracy and needs a SoftmaxLayer output; use loss() instead")
        x, t = check_data(x, t)
        labels = t.argmax(axis=1) if t.ndim == 2 else t
        predicted = xp.concatenate([self.predict(x[i:i + EVAL_CHUNK]).argmax(axis=1)
                                    for i in range(0, len(x), EVAL_CHUNK)])
        return float(xp.mean(predicted == labels))

    # ---- training ---------------------------------------------------------------------
    def train(self, x_train: Any, y_train: Any, optimizer: Optimizer, epoch: int,
              learning_rate: float) -> list[float]:
        """Take ``epoch`` optimisation steps, each on a random mini-batch of
        ``optimizer.batch_size`` samples drawn without replacement (the tutorial's meaning of
        ``epoch``); return the loss of every step."""
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a classic Optimizer, got {type(optimizer).__name__}")
        x, t = check_data(x_train, y_train)
        epoch = check_positive_int(epoch, "epoch")
        if optimizer.batch_size > len(x):
            raise ValueError(f"batch_size {optimizer.batch_size} is larger than the "
                             f"{len(x)} training samples")
        self.output_layer()
        self.forward(x[:1], train_flag=False)  # builds the lazily shaped weights
        core = optimizer.build(self.parameters(), learning_rate)
        losses = []
        for _ in range(epoch):
            batch = backend.generator().choice(len(x), optimizer.batch_size, replace=False)
            losses.append(self.gradient(x[batch], t[batch]))
            self.step(core)
        return losses

    def parameters(self) -> list[Tensor]:
        """Tensors sharing memory with every layer's weights (the same list while they are the same)."""
        current = [(layer, key) for layer in self.layers.values() for key in layer.params]
        same = len(current) == len(self._slots) and all(
            layer is old_layer and key == old_key and layer.params[key] is tensor.array
            for (layer, key), (old_layer, old_key, tensor) in zip(current, self._slots))
        if not same:
            self._slots = [(layer, key, Tensor.wrap(layer.params[key])) for layer, key in current]
            self._tensors = [tensor for _, _, tensor in self._slots]
        return self._tensors

    def step(self, core: Any) -> None:
        """Hand each layer's gradients to the core optimiser, update, and keep the new weights."""
        for layer, key, tensor in self._slots:
            tensor.grad = Tensor.wrap(layer.grads[key])
        core.step()
        for layer, key, tensor in self._slots:
            layer.params[key] = tensor.array

    # ---- saving -----------------------------------------------------------------------
    def save(self, path: str) -> None:
        """Write ``path/model.txt`` (one layer a line: name, class, JSON arguments) and
        ``path/weight.npz`` (every weight under ``"<layer>.<param>"``)."""
        saving.save_layers(self.layers, path)

    def load(self, path: str) -> None:
        """Replace this model's layers with those saved in ``path`` (see ``save``). Classes come
        from an allow-list and arrays are read without pickle; on any error the model is unchanged."""
        self.layers = saving.load_layers(path)


def check_data(x: Any, t: Any) -> tuple[xp.ndarray, xp.ndarray]:
    """Inputs and targets as arrays with the same number of samples and finite inputs."""
    x, t = as_input(x), xp.asarray(t)
    if len(x) == 0:
        raise ValueError("expected a non-empty array of samples")
    if len(x) != len(t):
        raise ValueError(f"x has {len(x)} samples but y has {len(t)}; they must match")
    if backend.is_floating(x.dtype) and not xp.isfinite(x).all():
        raise ValueError(f"inputs contain {int((~xp.isfinite(x)).sum())} NaN or infinite values")
    return x, t
