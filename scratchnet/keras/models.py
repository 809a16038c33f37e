"""Keras models: ``Model`` (subclass it with ``call``, or ``Model(inputs, outputs)`` for the
functional API on a chain of layers), ``Sequential``, and ``load_model``.

A model is an ``nn.Module``: ``model(x, training=False)`` returns a Tensor; ``variables`` and
``trainable_variables`` are the Tensors to differentiate in a ``GradientTape`` loop. ``compile``,
``fit``, ``evaluate``, ``predict`` and ``summary`` behave as Keras's.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from typing import Any

from scratchnet import serialization, training
from scratchnet.autograd.config import no_grad
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.keras import callbacks as callbacks_module
from scratchnet.keras import (
    custom_training,
    data_adapter,
    losses,
    optimizers,
    sample_weights,
    saving,
    training_state,
)
from scratchnet.keras import distribution as distribution_module
from scratchnet.keras import metrics as metrics_module
from scratchnet.keras.layers.base import KerasTensor, Layer
from scratchnet.keras.layers.core import InputLayer
from scratchnet.keras.progbar import Progbar
from scratchnet.keras.summary import format_shape, print_summary
from scratchnet.ops.convert import as_tensor


class Model(Layer):
    """Base of Keras models. Subclass it and define ``call(inputs, training=None)`` with layers
    assigned as attributes, or call ``Model(inputs, outputs)`` on ``keras.Input`` and layers
    called on it, which gives a ``Functional`` model (a chain of single-input layers) or a
    ``GraphFunctional`` one (a graph with merge layers such as ``Add`` or ``Concatenate``).

    ``model(x)`` runs in inference mode (Dropout off, BatchNormalization on moving statistics)
    unless ``training=True``, as in Keras; layers called inside take the model's mode.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from scratchnet.keras.graph import GraphFunctional, is_chain

            outputs = kwargs.get("outputs", args[1] if len(args) > 1 else None)
            return super().__new__(Functional if is_chain(outputs) else GraphFunctional)
        return super().__new__(cls)

    def __init__(self, name: str | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, trainable=trainable)
        self.optimizer: optimizers.Optimizer | None = None
        self.loss: losses.Loss | None = None
        self.compiled_metrics: list[metrics_module.Metric] = []
        self.stop_training = False
        self.history: callbacks_module.History | None = None
        self.resume_epoch: int | None = None  # set by a callback's on_train_begin to resume there

    # ---- calling ----------------------------------------------------------------------------
    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """The computation of a subclassed model."""
        raise NotImplementedError(f"{type(self).__name__} must define call(inputs, training=None)")

    def forward(self, x: Tensor) -> Tensor:
        if "training" in inspect.signature(self.call).parameters:
            return self.call(x, training=self.training)
        return self.call(x)

    def __call__(self, inputs: Any, training: bool | None = None, **kwargs: Any) -> Any:
        if isinstance(inputs, KerasTensor):
            return self._call_symbolic(inputs)
        x = self._as_input(inputs)
        output = self._call_in_mode(training, x, **kwargs)
        if not self.built:
            self._mark_built(tuple(x.shape))
        return output

    def _as_input(self, inputs: Any) -> Tensor:
        """Arrays, lists and Tensors as a Tensor; an unbuilt model casts to float32 itself (a built
        one is cast by ``Module.__call__`` to its weights' dtype)."""
        x = inputs if isinstance(inputs, Tensor) else as_tensor(xp.asarray(inputs))
        if x.dtype.kind != "f" and self._float_dtype() is None:
            x = x.astype(xp.float32)
        return x

    def _mark_built(self, input_shape: tuple[int | None, ...]) -> None:
        self._forget_dtype_source()
        self.built = True
        self.built_input_shape = (None, *input_shape[1:])

    def build(self, input_shape: Any) -> None:
        """Build every layer for inputs of ``input_shape`` (batch axis included, may be None) by
        running the model once, in inference mode, on an empty batch of that shape: the layers
        create their weights and every intermediate array holds no elements, so a model naming huge
        outputs (a loaded file's 1x1 convolution to thousands of channels) costs only its weights."""
        shape = tuple(input_shape)
        mode = self.training
        with no_grad():
            self(Tensor.wrap(xp.zeros((0, *shape[1:]), dtype=xp.float32)), training=False)
        self.train(mode)

    def _built_shape(self, what: str) -> tuple[int | None, ...]:
        if not self.built:
            raise ValueError(f"model {self.name!r} has not been built yet, so it has no {what}: call it "
                             "on data, build() it, or give its first layer input_shape=...")
        return self.built_input_shape

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        """The shape of the model's input, batch axis ``None`` (Keras's ``model.input_shape``)."""
        return self._built_shape("input_shape")

    @property
    def output_shape(self) -> tuple[int | None, ...]:
        """The shape of the model's output, batch axis ``None`` (Keras's ``model.output_shape``),
        found by running the model once on zeros in inference mode."""
        return self.compute_output_shape(self._built_shape("output_shape"))

    @output_shape.setter
    def output_shape(self, value: tuple[int | None, ...] | None) -> None:
        """``Layer`` records the last computed shape here; a model always computes it afresh."""

    @property
    def layers(self) -> list[Layer]:
        """The model's layers (direct sub-layers, in order)."""
        return [child for child in self.children() if isinstance(child, Layer)]

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """The layer called ``name``, or at position ``index``."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: {[layer.name for layer in self.layers]}")

    @property
    def losses(self) -> list[Tensor]:
        """Regularization penalties of every layer (recomputed on each access)."""
        return [penalty for layer in self._penalty_layers() for penalty in layer.losses]

    def _penalty_layers(self) -> list[Layer]:
        """The layers inside this model (nested models' layers included, models themselves not)
        whose class can add regularization penalties, i.e. overrides ``Layer.losses``."""
        return [module for module in self.modules() if module is not self and isinstance(module, Layer)
                and not isinstance(module, Model) and type(module).losses is not Layer.losses]

    # ---- compile / fit / evaluate / predict -------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: list[Any] | None = None,
                run_eagerly: bool | None = None, jit_compile: Any = None) -> None:
        """Choose the optimizer (name or ``keras.optimizers`` object), the loss (name,
        ``keras.losses`` object or function) and the metrics (``'accuracy'`` is resolved by the
        loss, as Keras). ``run_eagerly`` and ``jit_compile`` are accepted for compatibility:
        scratchnet always runs eagerly."""
        self.optimizer = optimizers.get(optimizer)
        self.loss = None if loss is None else losses.get(loss)
        self.compiled_metrics = [metrics_module.get(metric, self.loss) for metric in metrics or []]

    @property
    def metrics_names(self) -> list[str]:
        """``['loss', *metric names]``: the order of ``evaluate``'s values."""
        return ["loss", *(metric.name for metric in self.compiled_metrics)]

    def _check_compiled(self) -> None:
        if self.optimizer is None or self.loss is None:
            raise RuntimeError("You must compile your model before training/testing. "
                               "Use `model.compile(optimizer, loss)`.")

    def _loss_function(self) -> Any:
        """``loss_of(outputs, targets)``: the compiled loss plus the regularization penalties, with
        the layers that may add penalties looked up once here rather than on every batch."""
        penalty_layers = self._penalty_layers()

        def loss_of(outputs: Tensor, targets: Any, sample_weight: Any = None) -> Tensor:
            loss = self.loss(targets, outputs) if sample_weight is None else \
                self.loss(targets, outputs, sample_weight=sample_weight)
            for layer in penalty_layers:
                for penalty in layer.losses:
                    loss = loss + penalty
            return loss

        return loss_of

    def _batch_logs(self, loss: float, outputs: Tensor, targets: Any) -> list[float]:
        return [loss, *(metric(targets, outputs.array) for metric in self.compiled_metrics)]

    def _training_call(self, x: Any) -> Tensor:
        return self(x, training=True)

    def _prepare(self, data: Any, validation: Any = None) -> None:
        """Build the model (on the data's sample shape), validate the training and validation data
        before any weight changes (``data_adapter.check_before_training``), and build the optimizer
        on the model's variables."""
        inner = data.data if isinstance(data, data_adapter.StepsPerEpoch) else data
        if not self.built:
            self.build(inner.x.shape if isinstance(inner, data_adapter.ArrayBatches) else
                       xp.shape(data_adapter.first_batch(inner)[0]))
        data_adapter.check_before_training(data, self._target_check())
        if validation is not None:
            data_adapter.check_before_training(validation, self._target_check(), "validation_data",
                                               read_through=True)
        self.optimizer.build(self.trainable_variables)

    def _target_check(self) -> Any:
        """``check(x, y)``: the compiled loss's check of targets ``y`` against the model's outputs
        for inputs like ``x`` (label range, shapes; the output shape is computed once)."""
        output_shape: list[tuple[int, ...]] = []

        def check(x: Any, y: Any) -> None:
            if not output_shape:
                output_shape.append(self.predict_on_batch(x[:1]).shape)
            self.loss.validate(y, (len(y), *output_shape[0][1:]))

        return check

    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: int | str = "auto", callbacks: list[callbacks_module.Callback] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            initial_epoch: int = 0, steps_per_epoch: int | None = None, class_weight: Any = None,
            sample_weight: Any = None) -> callbacks_module.History:
        """Train for ``epochs`` epochs (Keras's semantics) and return the ``History``.

        ``validation_split`` takes the last fraction of the samples, before shuffling;
        ``validation_data`` is ``(x_val, y_val)`` or a data set. ``verbose``: 0 silent, 1 a live
        progress bar (one line per epoch when stdout is not a terminal), 2 one line per epoch.
        ``steps_per_epoch`` bounds an epoch (needed for a ``repeat()``-ed pipeline); the data is
        read on from where the previous epoch stopped. ``sample_weight`` (one weight per sample, or
        a data set yielding ``(x, y, w)``) or ``class_weight`` (``{class: weight}``) weigh the
        loss as Keras: Σᵢ wᵢ·lᵢ / N per batch (metrics stay unweighted, as Keras's ``metrics=``).
        A subclass that defines ``train_step(self, data)`` has it called on each batch instead
        (``custom_training``; no loss needs compiling).
        """
        if custom_training.overrides_train_step(self):
            train_data = custom_training.batches(x, y, batch_size, shuffle, steps_per_epoch)
            return self._fit_epochs(train_data, None, epochs, verbose, callbacks, initial_epoch,
                                    functools.partial(custom_training.epoch_step, self))
        self._check_compiled()
        sample_weights.check_class_weight(class_weight, sample_weight)
        if validation_split:
            if sample_weight is not None:
                (_, sample_weight), _ = data_adapter.split_validation(x, sample_weight, validation_split)
            (x, y), validation_data = data_adapter.split_validation(x, y, validation_split)
        train_data = data_adapter.batches(x, y, batch_size, shuffle, sample_weight=sample_weight)
        if steps_per_epoch is not None:
            train_data = data_adapter.StepsPerEpoch(train_data, steps_per_epoch)
        val_data = None if validation_data is None else \
            data_adapter.validation_batches(validation_data, batch_size)
        self._prepare(train_data, val_data)
        parallel = distribution_module.active()
        if parallel is not None:
            callbacks = parallel.fit_callbacks(self, callbacks)
        return self._fit_epochs(train_data, val_data, epochs, verbose, callbacks, initial_epoch,
                                functools.partial(self._epoch_step, class_weight))

    def _fit_epochs(self, train_data: Any, val_data: Any, epochs: int, verbose: int | str,
                    callbacks: list[callbacks_module.Callback] | None, initial_epoch: int,
                    epoch_step: Any) -> callbacks_module.History:
        """``fit``'s one epoch loop, for the compiled step and a subclass's ``train_step`` alike:
        the callbacks, the progress bar and the ``History``; each epoch ``epoch_step()`` gives the
        function that trains on one batch and returns the logs so far."""
        parallel = distribution_module.active()
        self.history = callbacks_module.History()
        verbose = 1 if verbose == "auto" else verbose
        steps = data_adapter.count_steps(train_data)
        prints = verbose and (parallel is None or parallel.rank == 0)
        progress = [callbacks_module.ProgbarLogger(verbose)] if prints else []
        callback_list = callbacks_module.CallbackList(
            [*(callbacks or []), self.history, *progress],
            model=self, params={"verbose": verbose, "epochs": epochs, "steps": steps})
        self.history.params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        self.stop_training = False
        self.resume_epoch = None
        callback_list.on_train_begin()
        logs: dict[str, Any] = {}
        for epoch in range(initial_epoch if self.resume_epoch is None else self.resume_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            logs = self._train_epoch(train_data, callback_list, epoch_step())
            if val_data is not None and not self.stop_training:
                logs.update({f"val_{key}": value for key, value in self._evaluate_batches(val_data).items()})
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        self.eval()
        callback_list.on_train_end(logs)
        return self.history

    @staticmethod
    def _unpack(batch: tuple[Any, ...], class_weight: dict[int, float] | None = None) -> tuple[Any, Any, Any]:
        """``(x, y, sample weights or None)`` of a batch; ``class_weight`` gives the weights."""
        x, y, *weights = batch
        if class_weight is not None:
            return x, y, sample_weights.class_sample_weights(y, class_weight)
        return x, y, weights[0] if weights else None

    def _train_epoch(self, data: Any, callback_list: callbacks_module.CallbackList,
                     batch_step: Any) -> dict[str, float]:
        """One epoch: ``batch_step(batch)`` on each batch (it returns the logs so far), between
        the batch callbacks; stops early when a callback sets ``stop_training``."""
        self.train()
        logs: dict[str, float] | None = None
        for step, batch in enumerate(data):
            callback_list.on_train_batch_begin(step)
            logs = batch_step(batch)
            callback_list.on_train_batch_end(step, logs)
            if self.stop_training:
                break
        if logs is None:
            raise ValueError("Expect x to be a non-empty array or dataset (the data set gave no batches "
                             "in this epoch)")
        return logs

    def _epoch_step(self, class_weight: dict[int, float] | None = None) -> Any:
        """The compiled model's step for one epoch: ``training.train_step`` on a batch (or the
        distribution's step), returning the running means of the loss and metrics."""
        running = metrics_module.RunningMeans(self.metrics_names)
        loss_of = self._loss_function()
        parallel = distribution_module.active()

        def batch_step(batch: tuple[Any, ...]) -> dict[str, float]:
            x, y, weights = self._unpack(batch, class_weight)
            if parallel is None:
                loss, outputs = training.train_step(self._training_call,
                                                    functools.partial(loss_of, sample_weight=weights),
                                                    self.optimizer, x, y)
                running.update(self._batch_logs(loss, outputs, y), len(x))
            else:
                running.update(*parallel.train_step(self, loss_of, x, y, weights))
            return running.result()

        return batch_step

    def _evaluate_batches(self, data: Any, on_batch: Any = None) -> dict[str, float]:
        """Mean loss and metrics over ``data`` in inference mode; ``on_batch(steps_done, logs)``."""
        running = metrics_module.RunningMeans(self.metrics_names)
        loss_of = self._loss_function()
        parallel = distribution_module.active()
        with no_grad():
            for step, batch in enumerate(data):
                x, y, weights = self._unpack(batch)
                if parallel is not None:
                    running.update(*parallel.test_step(self, loss_of, x, y, weights))
                else:
                    outputs = self(x, training=False)
                    loss = float(loss_of(outputs, y, weights).item())
                    running.update(self._batch_logs(loss, outputs, y), len(x))
                if on_batch is not None:
                    on_batch(step + 1, running.result())
        if not running.count:
            raise ValueError("Expect x to be a non-empty array or dataset "
                             "(the evaluation data gave no batches)")
        return running.result()

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: int | str = "auto", sample_weight: Any = None, return_dict: bool = False) -> Any:
        """The loss and metrics over ``(x, y)``: ``[loss, *metrics]`` (a float without metrics),
        or a dict with ``return_dict``. Regularization penalties are included in the loss;
        ``sample_weight`` weighs it as in ``fit``."""
        self._check_compiled()
        data = data_adapter.batches(x, y, batch_size, sample_weight=sample_weight)
        data_adapter.check_before_training(data, self._target_check(), "x of evaluate")
        parallel = distribution_module.active()
        prints = verbose and (parallel is None or parallel.rank == 0)
        bar = Progbar(data_adapter.count_steps(data), live=verbose in (1, "auto") and _is_terminal()) \
            if prints else None
        logs = self._evaluate_batches(data, None if bar is None else bar.update)
        if bar is not None:
            bar.close(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: int | None = None, verbose: int = 0) -> xp.ndarray:
        """The model's outputs in inference mode for every sample of ``x``, as one NumPy array
        (``verbose`` is accepted for compatibility; nothing is printed)."""
        outputs = []
        data = data_adapter.batches(x, batch_size=batch_size, inputs_only=True)
        data_adapter.refuse_infinite(data, "x of predict")
        with no_grad():
            for batch in data:
                outputs.append(self(batch, training=False).array)
        if not outputs:
            raise ValueError("Expect x to be a non-empty array or dataset (predict got no batches)")
        return xp.concatenate(outputs)

    def predict_on_batch(self, x: Any) -> xp.ndarray:
        """``predict`` for one batch."""
        with no_grad():
            return self(data_adapter.as_float_input(xp.asarray(x)), training=False).array

    # ---- summary ------------------------------------------------------------------------------
    def _layer_output_shapes(self) -> dict[int, Any]:
        """id(layer) -> output shape (batch None), found by one inference pass with forward hooks."""
        shapes: dict[int, Any] = {}
        handles = [layer.register_forward_hook(
            lambda module, args, output: shapes.__setitem__(id(module), (None, *output.shape[1:])))
            for layer in self.layers]
        try:
            self.build(self.built_input_shape)
        finally:
            for handle in handles:
                handle.remove()
        return shapes

    def summary(self, line_length: int | None = None, positions: list[float] | None = None,
                print_fn: Any = None) -> None:
        """Print Keras's table: each layer's name and type, output shape and parameter count, then
        the total, trainable and non-trainable counts."""
        if not self.built:
            raise ValueError("This model has not yet been built. Build the model first by calling build() "
                             "or by calling the model on a batch of data (or give the first layer "
                             "input_shape=...).")
        shapes = self._layer_output_shapes()
        rows = [(f"{layer.name} ({type(layer).__name__})", format_shape(shapes.get(id(layer))),
                 layer.count_params()) for layer in self.layers]
        trainable = sum(t.numel() for t in self.trainable_weights)
        print_summary(self, rows, trainable, self.count_params(), line_length, positions, print_fn,
                      connections=self._connections())

    def _connections(self) -> list[list[str]] | None:
        """The "Connected to" column of the summary, per layer (None: no column, as for chains)."""
        return None

    # ---- saving -----------------------------------------------------------------------------
    def save(self, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
        """Save architecture and weights to one file; ``keras.models.load_model`` reads it back.
        The format follows the name (``keras.saving``): ``.keras`` is Keras 3's archive (flat
        Sequential models), a legacy ``.h5`` is refused, anything else is ``sn.save``'s format
        holding the compile configuration and optimizer state too (``keras.training_state``), as
        Keras does. The model must be built."""
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"{os.fspath(filepath)} exists and overwrite=False")
        if not self.built:
            raise ValueError("cannot save a model that has not been built; "
                             "call it on data or build() it first")
        kind = saving.format_of(filepath)
        if kind == "h5":
            raise ValueError(f"{os.fspath(filepath)} names a weights file: use model.save_weights(path), or "
                             "a '.keras' / '.safetensors' name for the whole model")
        if kind == "keras":
            saving.keras_archive.write(self, filepath)
        else:
            serialization.save(training_state.model_file(self), filepath)

    def export(self, filepath: str | os.PathLike[str], format: str = "tf_saved_model",  # noqa: A002
               verbose: bool | None = None, input_signature: Any = None, **kwargs: Any) -> None:
        """Write the model for serving, as Keras 3's ``export``; ``format="onnx"`` is the format
        scratchnet writes (``scratchnet.onnx``: channels-last input named ``input``, output
        ``output``, dynamic batch axis). ``input_signature`` gives the input shape of a model not
        yet built; ``opset_version`` may be passed as a keyword."""
        if format != "onnx":
            raise ValueError(f"export: format {format!r} is not supported; scratchnet exports "
                             "format='onnx'")
        from scratchnet.onnx.keras_model import export_keras_model

        export_keras_model(self, filepath, input_signature, **kwargs)
        if verbose:
            print(f"Saved artifact at '{os.fspath(filepath)}'.")

    def save_weights(self, filepath: str | os.PathLike[str]) -> None:
        """Save the weights only: ``*.weights.h5`` in Keras 3's layout (real Keras reads it), other
        names as scratchnet's state dict (PyTorch-style names)."""
        if saving.format_of(filepath, weights_only=True) == "h5":
            saving.h5_weights.write(self, filepath)
        else:
            serialization.save(self.state_dict(), filepath)

    def load_weights(self, filepath: str | os.PathLike[str]) -> None:
        """Load weights saved by ``save_weights`` (or by real Keras 3 as ``*.weights.h5``) into
        this (built) model."""
        if saving.format_of(filepath, weights_only=True) == "h5":
            saving.h5_weights.read(self, filepath)
        else:
            self.load_state_dict(serialization.load(filepath))


def _is_terminal() -> bool:
    return hasattr(sys.stdout, "isatty") and sys.stdout.isatty()


class Sequential(Model):
    """A linear stack of layers: ``Sequential([Dense(64, activation='relu', input_shape=(784,)),
    Dense(10)])`` or ``.add(layer)`` one at a time. With an input shape known (``input_shape=`` on
    the first layer, or a ``keras.Input`` first) the model is built at once; otherwise on first use.
    """

    def __init__(self, layers: list[Any] | None = None, name: str | None = None,
                 trainable: bool = True) -> None:
        super().__init__(name=name, trainable=trainable)
        self._stack: list[Layer] = []
        self._init_args["layers"] = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Any) -> None:
        """Append a layer (a ``keras.Input`` becomes an ``InputLayer``, which must come first)."""
        if isinstance(layer, KerasTensor):
            layer = InputLayer(input_shape=layer.shape[1:])
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. Received: {layer!r}")
        if isinstance(layer, InputLayer) and self._stack:
            raise ValueError("an InputLayer (keras.Input) can only be the first layer "
                             "of a Sequential model")
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError("All layers added to a Sequential model should have unique names. "
                             f'Name "{layer.name}" is already the name of a layer in this model.')
        self.add_module(str(len(self._stack)), layer)
        self._stack.append(layer)
        self._forget_dtype_source()
        self._init_args["layers"] = list(self._stack)
        shape = self._stack[0].batch_input_shape
        if shape is not None:
            self.build(shape)
        else:
            self.built = False

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        self._forget(str(len(self._stack)))
        self._forget_dtype_source()
        self._init_args["layers"] = list(self._stack)
        return layer

    @property
    def layers(self) -> list[Layer]:
        """The layers in order (an ``InputLayer`` is not listed, as Keras)."""
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    def forward(self, x: Tensor) -> Tensor:
        if not self._stack:
            raise ValueError(f'Sequential model "{self.name}" has no layers; add some first')
        for layer in self._stack:
            x = layer(x)
        return x

    def _mark_built(self, input_shape: tuple[int | None, ...]) -> None:
        """Record the input shape on the first layer too, so that a saved model rebuilds with weights."""
        super()._mark_built(input_shape)
        first = self._stack[0]
        first.batch_input_shape = self.built_input_shape
        if "input_shape" in first._init_args:
            first._init_args["input_shape"] = tuple(input_shape[1:])


class Functional(Sequential):
    """What ``keras.Model(inputs, outputs)`` makes: the chain of layers from ``inputs`` (a
    ``keras.Input``) to ``outputs``. Only chains of single-input layers are supported."""

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None,
                 layers: list[Any] | None = None) -> None:
        if layers is None:
            layers = _trace_chain(inputs, outputs)
        super().__init__(layers=layers, name=name)
        self._init_args.update(inputs=None, outputs=None)

    @property
    def layers(self) -> list[Layer]:
        """All layers, the ``InputLayer`` first (as Keras's functional models)."""
        return list(self._stack)


def _single(value: Any, what: str) -> KerasTensor:
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, KerasTensor):
        raise ValueError(f"Model({what}=...) expects one keras.Input / symbolic tensor; multiple inputs or "
                         f"outputs are not supported, got {value!r}")
    return value


def _trace_chain(inputs: Any, outputs: Any) -> list[Layer]:
    """The layers from ``inputs`` to ``outputs``, first to last, behind an ``InputLayer``."""
    start, node = _single(inputs, "inputs"), _single(outputs, "outputs")
    chain: list[Layer] = []
    while node is not start:
        if node.layer is None:
            raise ValueError("outputs are not computed from inputs: Model(inputs, outputs) needs the outputs "
                             "to come from the given keras.Input through layers")
        chain.append(node.layer)
        node = node.parent
    return [InputLayer(input_shape=start.shape[1:], name=start.name), *reversed(chain)]


def load_model(filepath: str | os.PathLike[str], compile: bool = True) -> Model:  # noqa: A002
    """A model saved by ``model.save`` (nothing from the file is executed), as
    ``keras.saving.load_model``: with ``compile`` (and a compiled model saved in scratchnet's
    format) it comes back compiled, its optimizer holding the saved state, so that
    ``fit(initial_epoch=k)`` continues as an uninterrupted run would; a ``.keras`` archive comes
    back uncompiled."""
    return saving.load_model(filepath, compile=compile)
