"""The tutorial's ``Model``: a stack of classic layers ending in an output layer, trained by one
loop over random mini-batches (``train``), with ``save`` / ``load`` of its layers and weights.

Every lesson's form runs (lesson 2-7's is the main one)::

    model = Model()
    model.addlayer(Layers.MulLayer(100, initializer='he', reg=0.01), name="w1")   # 2-7
    model.addlayer(Layers.AddLayer(100), name='b1')
    model.addlayer(Layers.MulLayer(), input_size=(784, 100), name="w1",
                   initialization='he', reg=0.01)                                  # 2-4 to 2-6
    model.train(x_train, y_train, Optimizer.Adam(128), 3000, 0.001)   # 2-5 on (2-4: no optimizer)
    model.predict(x_test, y_test, train_flag=False); model.pred; model.loss        # 2-4 to 2-6
    model.eval(x_test, y_test)   # prints ACC and LOSS (2-7), returns the accuracy

Fixes of the lessons' ``Model``: the parameters are drawn once and training continues from them
(``skip_init`` is accepted; lesson 2-7 drew them again on every ``train`` unless it was True);
``predict`` turns Dropout off unless asked (lessons 2-4 to 2-6 left it on by default); ``load``
builds only the classic layer classes and reads no pickle (lesson 2-7 ``eval``-ed ``model.txt``);
``eval`` works through large sets in chunks; progress is printed every ``epoch // 10`` steps (the
lessons' ``epochs % (epoch / 10) == 0`` printed every step for ``epoch < 10``).
"""

from __future__ import annotations

import os
from typing import Any

from scratchnet import backend, training
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.classic import saving
from scratchnet.classic.layers.base import Layer, check_positive_int, check_reg
from scratchnet.classic.layers.dense import AddLayer, MulLayer
from scratchnet.classic.layers.initializers import check_initializer
from scratchnet.classic.layers.loss import LossLayer, SoftmaxLayer, one_hot_targets
from scratchnet.classic.optimizer import SGD, Optimizer
from scratchnet.data import batching

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
    (``SoftmaxLayer`` or ``MSELayer``) for ``predict`` with targets, ``train`` and ``eval``.

    The loss is the output layer's mean loss plus ``λ/2·Σw²`` for every layer with ``reg = λ``.
    After ``predict``, ``eval`` or a training step, ``pred`` holds the last predictions and
    ``loss`` the last loss, as in the lessons. ``verbose`` prints the lessons' progress lines.
    """

    def __init__(self, verbose: bool = True) -> None:
        self.layers: dict[str, Layer] = {}
        self.verbose = verbose
        self.pred: xp.ndarray | None = None
        self.loss: float | None = None
        self._slots: list[tuple[Layer, str, Tensor]] = []
        self._tensors: list[Tensor] = []

    @property
    def keys(self) -> list[str]:
        """The layer names in order (the lessons' ``model.keys``)."""
        return list(self.layers)

    # ---- building ---------------------------------------------------------------------
    def addlayer(self, layer: Layer, activation: bool = False, input_size: Any = None,
                 name: str | None = None, initialization: str | None = None,
                 reg: float | None = None) -> None:
        """Append ``layer`` under ``name`` (default: its class name and position, e.g. ``MulLayer1``).

        Lessons 2-4 to 2-6 give the sizes here: ``input_size=(in, out)`` for a ``MulLayer``
        (drawn by ``initialization``: 'he', 'xavier', or U(−1, 1) when None) and ``input_size=out``
        for an ``AddLayer``; ``reg`` is the layer's L2 coefficient. ``activation`` is accepted and
        not needed: a layer knows whether it has weights.
        """
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
        if input_size is not None:
            size_layer(layer, input_size, initialization)
        elif initialization is not None:
            layer.initializer = check_initializer(initialization)
        if reg is not None:
            layer.reg = check_reg(reg)
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
        """Run every layer but the output layer on ``x`` (lesson 2-7): the scores before the
        softmax. ``train_flag`` turns Dropout on (training) or off."""
        if not self.layers:
            raise ValueError("the model has no layers; call addlayer first")
        x = as_input(x)
        for layer in self.layers.values():
            layer.train_flag = train_flag
            if isinstance(layer, LossLayer):
                break
            x = layer.forward(x)
        return x

    def predict(self, x: Any, y: Any = None, train_flag: bool = False) -> xp.ndarray:
        """``pred``: the output for ``x`` (class probabilities after a ``SoftmaxLayer``), Dropout
        off unless ``train_flag``. With targets ``y`` also ``loss``: the output layer's mean loss
        plus the layers' L2 penalties (lessons 2-4 to 2-6's ``predict(x, y)``)."""
        self.output(self.forward(x, train_flag), y)
        return self.pred

    def output(self, scores: xp.ndarray, y: Any = None) -> StepLoss:
        """Set ``pred`` from the scores before the output layer and, with targets ``y``, ``loss``:
        the output layer's mean loss plus the layers' L2 penalties. Returns them as the loss that
        ``training.train_step`` back-propagates."""
        last = self.output_layer(required=y is not None)
        self.pred = last.forward(scores) if isinstance(last, LossLayer) else scores
        if y is not None:
            self.loss = last.loss(y) + sum(layer.l2_penalty() for layer in self.layers.values())
        return StepLoss(self)

    def compute_loss(self, x: Any, t: Any, train_flag: bool = False) -> float:
        """The output layer's mean loss on ``(x, t)`` plus the L2 penalties of the layers."""
        self.predict(x, t, train_flag)
        return self.loss

    def gradient(self, x: Any, t: Any) -> float:
        """One training forward and backward pass: fills every layer's ``grads``, returns the loss."""
        loss = self.compute_loss(x, t, train_flag=True)
        self.backward()
        return loss

    def eval(self, x: Any, y: Any, epoch: int | None = None) -> float:
        """Accuracy: the fraction of samples whose most probable class is the target's (one-hot
        rows or integer labels); prints it and the loss (lesson 2-7's ``ACC :`` / ``LOSS :``, or
        ``... on epoch N`` with ``epoch``) when ``verbose``. Needs a ``SoftmaxLayer`` output."""
        if not isinstance(self.output_layer(), SoftmaxLayer):
            raise ValueError("eval measures accuracy and needs a SoftmaxLayer output; "
                             "use compute_loss() instead")
        x, t = check_data(x, y)
        t = one_hot_targets(t, self.predict(x[:1]).shape[-1], backend.DEFAULT_FLOAT)
        chunks = [(self.compute_loss(x[i:i + EVAL_CHUNK], t[i:i + EVAL_CHUNK]), self.pred)
                  for i in range(0, len(x), EVAL_CHUNK)]
        self.pred = xp.concatenate([pred for _, pred in chunks])
        self.loss = sum(loss * len(pred) for loss, pred in chunks) / len(x)
        accuracy = float(xp.mean(self.pred.argmax(axis=1) == t.argmax(axis=1)))
        self.report(accuracy, self.loss, epoch)
        return accuracy

    def report(self, accuracy: float | None, loss: float, epoch: int | None = None) -> None:
        """Print the lessons' progress lines when ``verbose``."""
        if not self.verbose:
            return
        where = "" if epoch is None else f" on epoch {epoch:d}"
        if accuracy is not None:
            print(f"ACC{where} : ", accuracy)
        print(f"LOSS{where} : ", loss)

    # ---- training ---------------------------------------------------------------------
    def train(self, x_train: Any, y_train: Any, optimizer: Any, epoch: Any, learning_rate: Any = None,
              skip_init: bool = False, sampling: str = "random") -> list[float]:
        """Take ``epoch`` optimisation steps (the tutorial's meaning of ``epoch``), each
        ``training.train_step`` on a mini-batch of ``optimizer.batch_size`` samples; return the loss
        of every step. With ``verbose``, print the batch accuracy and loss every ``epoch // 10``
        steps, then ``eval`` the training set, as lesson 2-7.

        ``sampling`` picks the batches (``scratchnet.data.batching``): ``"random"`` (a fresh draw
        of different samples each step), ``"replacement"`` (the lessons' ``np.random.choice(n,
        batch_size)``, repeats possible), ``"shuffle"`` (epochs of one permutation) or
        ``"sequential"``. Lesson 2-4's call ``train(x, y, epoch, learning_rate, batch_size)``
        (plain SGD, before optimisers existed) is read as such when ``optimizer`` is a number.
        ``skip_init`` is accepted: the weights are drawn once, so training always continues from them.
        """
        if isinstance(optimizer, (int, float)) and not isinstance(optimizer, bool):
            optimizer, epoch, learning_rate = SGD(learning_rate), optimizer, epoch
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
        batches = batching.index_batches(len(x), optimizer.batch_size, sampling, num_batches=epoch)
        losses = []
        for step, batch in enumerate(batches):
            loss, _ = training.train_step(self._training_forward, self.output, core, x[batch], t[batch])
            if step % max(1, epoch // 10) == 0:
                self.report(self.batch_accuracy(t[batch]), loss, step)
            losses.append(loss)
        if self.verbose and isinstance(self.output_layer(), SoftmaxLayer):
            self.eval(x, t)
        return losses

    def _training_forward(self, x: xp.ndarray) -> xp.ndarray:
        """The scores of ``x`` with Dropout on: the model half of ``training.train_step``."""
        return self.forward(x, train_flag=True)

    def batch_accuracy(self, t: xp.ndarray) -> float | None:
        """The accuracy of ``pred`` against ``t`` (None after a regression output)."""
        if not isinstance(self.output_layer(), SoftmaxLayer):
            return None
        labels = t.argmax(axis=1) if t.ndim == 2 else t
        return float(xp.mean(self.pred.argmax(axis=1) == labels))

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

    def backward(self) -> None:
        """Back-propagate the last loss through the layers (the book's chain of ``backward``
        calls), filling every layer's ``grads``, and hand them to the ``.grad`` of the parameter
        tensors (``parameters()``), which the core optimiser updates in place."""
        dout = 1.0
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        for layer, key, tensor in self._slots:
            tensor.grad = Tensor.wrap(layer.grads[key])

    # ---- saving -----------------------------------------------------------------------
    def save(self, path: str = "") -> None:
        """Write ``model.txt`` (one layer a line: name, class, JSON arguments) and ``weight.npz``
        (every weight under ``"<layer>.<param>"``) into the folder ``path`` (default: the current
        one; lesson 2-7's ``path + "model.txt"`` is the same for ``''`` and ``'folder/'``)."""
        saving.save_layers(self.layers, path or os.curdir)

    def load(self, path: str) -> None:
        """Replace this model's layers with those saved by ``save`` in the folder ``path``, or
        beside the ``model.txt`` that ``path`` names (lesson 2-7 passed that file). Classes come
        from an allow-list and arrays are read without pickle; on any error the model is unchanged."""
        if os.path.basename(path) == "model.txt" and os.path.isfile(path):
            path = os.path.dirname(path) or os.curdir
        self.layers = saving.load_layers(path)


class StepLoss:
    """A classic model's last loss as ``training.train_step`` uses a loss: ``item()`` its value,
    ``backward()`` the layers' backward passes (``Model.backward``)."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def item(self) -> float:
        """The model's last loss."""
        return float(self.model.loss)

    def backward(self) -> None:
        """Fill the layers' ``grads`` and the parameter tensors' ``.grad``."""
        self.model.backward()


def size_layer(layer: Layer, input_size: Any, initialization: str | None) -> None:
    """Lessons 2-4 to 2-6's sizes: ``(in, out)`` for a ``MulLayer``, ``out`` for an ``AddLayer``."""
    sizes = (input_size,) if isinstance(input_size, (int, xp.integer)) else tuple(input_size)
    if isinstance(layer, MulLayer) and len(sizes) == 2:
        layer.out = check_positive_int(sizes[1], "input_size[1]")
        layer.initializer = check_initializer(initialization or "uniform")
    elif isinstance(layer, AddLayer) and len(sizes) == 1:
        layer.out = check_positive_int(sizes[0], "input_size")
    else:
        raise ValueError(f"input_size {input_size!r} does not fit {type(layer).__name__}: give (in, out) "
                         "for a MulLayer, out for an AddLayer, nothing for other layers")


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
