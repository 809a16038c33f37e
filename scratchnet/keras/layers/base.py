"""The Keras ``Layer`` base, symbolic ``KerasTensor``s and ``Input`` for the functional API.

A Keras layer is an ``nn.Module`` that builds its ``scratchnet.nn`` modules the first time it sees
an input (``build(input_shape)``, input sizes inferred), runs on channels-last data, and holds no
maths of its own. Layers start in inference mode, as in Keras: ``layer(x)`` is the inference
computation unless ``training=True`` is passed or a model in training mode calls it.
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.config import no_grad
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.keras import activations, initializers, regularizers
from scratchnet.keras.backend import snake_case, unique_name
from scratchnet.nn.module import Module
from scratchnet.nn.parameter import Parameter
from scratchnet.ops.convert import as_tensor


def weights_of(module: Module, trainable: bool | None = None) -> list[Tensor]:
    """The variables of ``module`` in Keras's order (per module: its parameters, then its floating
    buffers such as batch norm's moving mean and variance). ``trainable=True`` keeps the
    parameters that require grad, ``False`` the others and the buffers, ``None`` all."""
    found: list[Tensor] = []
    for sub in module.modules():
        parameters = [p for p in sub._parameters.values() if p is not None]
        buffers = [b for b in sub._buffers.values() if b is not None and b.dtype.kind == "f"]
        for tensor in parameters + buffers:
            is_trainable = tensor.requires_grad and any(tensor is p for p in parameters)
            if (trainable is None or trainable == is_trainable) and not any(tensor is t for t in found):
                found.append(tensor)
    return found


_call_modes: list[bool] = []
"""The training flags of the layer calls in progress (innermost last): a layer called without
``training`` inside another layer's call inherits its mode, as in Keras."""


class KerasTensor:
    """A symbolic tensor of the functional API: a shape (batch axis ``None``), the layer that
    produced it and that layer's input (``parent``), or inputs (``parents``, for merge layers)."""

    def __init__(self, shape: tuple[int | None, ...], layer: Layer | None = None,
                 parent: KerasTensor | None = None, name: str | None = None,
                 parents: tuple[KerasTensor, ...] | None = None) -> None:
        self.shape = tuple(shape)
        self.layer = layer
        self.parents = parents if parents is not None else (() if parent is None else (parent,))
        self.parent = self.parents[0] if self.parents else None
        self.name = name

    @property
    def ndim(self) -> int:
        """The number of axes, batch included."""
        return len(self.shape)

    def __repr__(self) -> str:
        source = f", created by layer '{self.layer.name}'" if self.layer is not None else ""
        return f"<KerasTensor shape={self.shape}{source}>"


def Input(shape: Any = None, batch_size: int | None = None, name: str | None = None,
          dtype: Any = None) -> KerasTensor:
    """The input of a functional model (``keras.Input(shape=(784,))``); ``shape`` excludes the
    batch. ``dtype`` is accepted for compatibility (inputs are cast to float32)."""
    if shape is None:
        raise ValueError("Input needs a shape (without the batch axis), e.g. keras.Input(shape=(784,))")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return KerasTensor((batch_size, *shape), name=name or unique_name("input"))


class Layer(Module):
    """Base of the Keras layers: a name, an optional ``input_shape`` (without the batch axis; it
    gives a model its input size when the layer comes first), ``trainable``, and building on the
    first call. Subclasses implement ``build(input_shape)`` (``add_weight`` creates weights) and
    ``call(inputs)`` (the built-in layers define ``forward`` directly).

    ``checks_last_axis`` layers (those with weights over the last axis) raise Keras's
    "Input 0 of layer ... is incompatible" error when the last axis changes after building.
    """

    checks_last_axis = False

    def __init__(self, name: str | None = None, input_shape: Any = None, trainable: bool = True) -> None:
        super().__init__()
        self.name = name if name is not None else unique_name(snake_case(type(self).__name__))
        if "name" in self._init_args:
            self._init_args["name"] = self.name  # a reloaded layer keeps its default name
        if isinstance(name, str) and (not name or "." in name):
            raise ValueError(f"layer name must be non-empty and without '.', got {name!r}")
        self.batch_input_shape = None if input_shape is None else (None, *_shape_tuple(input_shape))
        self.built = False
        self.built_input_shape: tuple[int | None, ...] | None = None
        self.output_shape: tuple[int | None, ...] | None = None
        self._trainable = trainable
        self.eval()

    # ---- configuration stored for saving ---------------------------------------------------
    def _store_config(self, **values: Any) -> None:
        """Record activations, initializers and regularizers in their serialisable form."""
        for key, value in values.items():
            if key in self._init_args:
                self._init_args[key] = value

    def _activation(self, activation: Any) -> Any:
        fn = activations.get(activation)
        self._store_config(activation=activations.serialize(fn))
        return fn

    def _initializer(self, key: str, identifier: Any) -> Any:
        obj = initializers.get(identifier)
        self._store_config(**{key: initializers.serialize(obj)})
        return obj

    def _regularizer(self, key: str, identifier: Any) -> Any:
        obj = regularizers.get(identifier)
        self._store_config(**{key: regularizers.serialize(obj)})
        return obj

    # ---- building and calling ---------------------------------------------------------------
    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Create the layer's modules for inputs of ``input_shape`` (batch axis included)."""

    def call(self, inputs: Tensor) -> Tensor:
        """The computation of a custom layer (Keras's name); built-in layers define ``forward``."""
        raise NotImplementedError(f"{type(self).__name__} must define call(inputs)")

    def forward(self, x: Tensor) -> Tensor:
        return self.call(x)

    def add_weight(self, name: str, shape: Any = (), initializer: Any = "glorot_uniform",
                   trainable: bool = True) -> Tensor:
        """Create a weight of ``shape`` filled by ``initializer`` and register it under ``name``:
        a parameter when ``trainable``, else a buffer (for custom layers' ``build``). It is
        registered before it is filled, so that a loader's allocation budget refuses it first."""
        weight = Parameter(xp.zeros(_shape_tuple(shape), dtype=xp.float32), requires_grad=trainable)
        if trainable:
            self.register_parameter(name, weight)
        else:
            self.register_buffer(name, Tensor(weight.array))
        initializers.get(initializer)(weight)
        return getattr(self, name)

    def _float_dtype(self) -> Any:
        """The dtype inputs are cast to (the first floating weight's), with the weight looked up
        once per build instead of on every call (``Module.__call__`` asks on each call)."""
        source = self.__dict__.get("_dtype_source")
        if source is None:
            source = next((p for p in self.parameters() if p.dtype.kind == "f"), False)
            object.__setattr__(self, "_dtype_source", source)
        return source.dtype if source is not False else None

    def _forget_dtype_source(self) -> None:
        object.__setattr__(self, "_dtype_source", None)

    def _build(self, input_shape: tuple[int | None, ...]) -> None:
        self._forget_dtype_source()
        self.build(input_shape)
        self.train(self.training)  # the modules just built take the layer's mode
        self.built = True
        self.built_input_shape = (None, *input_shape[1:])
        if not self._trainable:
            self.requires_grad_(False)

    def __call__(self, inputs: Any, training: bool | None = None, **kwargs: Any) -> Any:
        if isinstance(inputs, KerasTensor):
            return self._call_symbolic(inputs)
        if not isinstance(inputs, (Tensor, xp.ndarray)):
            inputs = as_tensor(inputs)
        if not self.built:
            self._build(tuple(inputs.shape))
        elif self.checks_last_axis:
            self._check_input(tuple(inputs.shape))
        return self._call_in_mode(training, inputs, **kwargs)

    def _call_in_mode(self, training: bool | None, *args: Any, **kwargs: Any) -> Any:
        """``Module.__call__`` in training or inference mode, as Keras decides: the ``training``
        argument when given, else the mode of the enclosing layer call, else inference."""
        mode = bool(training) if training is not None else (_call_modes[-1] if _call_modes else False)
        if mode != self.training:
            self.train(mode)
        _call_modes.append(mode)
        try:
            return Module.__call__(self, *args, **kwargs)
        finally:
            _call_modes.pop()

    def _check_input(self, shape: tuple[int, ...]) -> None:
        expected = self.built_input_shape
        if len(shape) != len(expected) or shape[-1] != expected[-1]:
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis -1 of input '
                f"shape to have value {expected[-1]} (input shape {expected}), but received input with "
                f"shape {shape}")

    def _call_symbolic(self, inputs: KerasTensor) -> KerasTensor:
        """Build on a symbolic input and return the symbolic output (functional API)."""
        shape = self.compute_output_shape(inputs.shape)
        return KerasTensor(shape, layer=self, parent=inputs)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """The output shape for ``input_shape`` (batch axis ``None``), found by running the layer on
        an empty batch in inference mode (this builds the layer; no output elements are made)."""
        mode = self.training
        with no_grad():
            sample = Tensor.wrap(xp.zeros((0, *input_shape[1:]), dtype=xp.float32))
            output = self(sample, training=False)
        self.train(mode)
        self.output_shape = shape = (None, *output.shape[1:])
        return shape

    # ---- weights ----------------------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        """Whether the optimizer updates this layer's weights (False freezes them)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for parameter in self.parameters():
            parameter.requires_grad = self._trainable

    @property
    def weights(self) -> list[Tensor]:
        """Every variable: trainable weights, then non-trainable ones per module."""
        return weights_of(self)

    variables = weights

    @property
    def trainable_weights(self) -> list[Tensor]:
        """The variables the optimizer updates."""
        return weights_of(self, trainable=True)

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        """Variables not updated by the optimizer (moving statistics, frozen weights)."""
        return weights_of(self, trainable=False)

    non_trainable_variables = non_trainable_weights

    def get_weights(self) -> list[Any]:
        """Copies of the variables as NumPy arrays (the core's layouts, e.g. Dense ``(units, in)``)."""
        return [tensor.array.copy() for tensor in self.weights]

    def set_weights(self, weights: list[Any]) -> None:
        """Overwrite the variables with arrays of the same shapes, in ``weights`` order."""
        set_variables(self.weights, weights, self.name)

    def count_params(self) -> int:
        """The number of scalars in all variables (trainable or not), as Keras counts them."""
        return sum(tensor.numel() for tensor in self.weights)

    @property
    def losses(self) -> list[Tensor]:
        """The regularization penalties of this layer's weights (added to the training loss)."""
        return []

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


def set_variables(variables: list[Tensor], values: list[Any], owner: str) -> None:
    """Copy ``values`` into ``variables`` after checking the count and every shape."""
    values = list(values)
    if len(values) != len(variables):
        raise ValueError(f"{owner}: expected {len(variables)} weight arrays, got {len(values)}")
    arrays = [xp.asarray(value) for value in values]
    for index, (variable, array) in enumerate(zip(variables, arrays)):
        if array.shape != variable.shape:
            raise ValueError(f"{owner}: weight {index} has shape {variable.shape}, got {array.shape}")
    for variable, array in zip(variables, arrays):
        variable.array[...] = array


def _shape_tuple(shape: Any) -> tuple[int | None, ...]:
    """An int or a sequence as a tuple."""
    return (shape,) if isinstance(shape, int) else tuple(shape)


class KernelLayer(Layer):
    """A layer around one core module that owns a ``weight`` (Keras's kernel) and an optional
    ``bias`` — Dense and Conv2D. It initialises them with the layer's initializers and turns
    their regularizers into penalties. Subclasses name the attribute holding the core module in
    ``core_name`` (it is part of the state-dict keys, e.g. ``linear.weight``)."""

    core_name = ""

    def _set_up_kernel(self, use_bias: bool, initializers: tuple[Any, Any],
                       regularizers: tuple[Any, Any]) -> None:
        """Keep ``use_bias`` and resolve the (kernel, bias) initializers and regularizers."""
        self.use_bias = bool(use_bias)
        self.kernel_initializer = self._initializer("kernel_initializer", initializers[0])
        self.bias_initializer = self._initializer("bias_initializer", initializers[1])
        self.kernel_regularizer = self._regularizer("kernel_regularizer", regularizers[0])
        self.bias_regularizer = self._regularizer("bias_regularizer", regularizers[1])

    def _adopt_core(self, core: Module) -> None:
        """Hold ``core`` under ``core_name`` and draw its weight and bias from the initializers."""
        setattr(self, self.core_name, core)
        self.kernel_initializer(core.weight)
        if self.use_bias:
            self.bias_initializer(core.bias)

    @property
    def kernel(self) -> Tensor:
        """The kernel, in the core's layout (Dense ``(units, in)``, Conv2D ``(filters, C, kh, kw)``;
        Keras stores the transposes)."""
        return getattr(self, self.core_name).weight

    @property
    def bias(self) -> Tensor | None:
        """The bias (None with ``use_bias=False``)."""
        return getattr(self, self.core_name).bias

    @property
    def losses(self) -> list[Tensor]:
        """Penalties of the kernel and bias regularizers."""
        if not self.built:
            return []
        pairs = [(self.kernel_regularizer, self.kernel), (self.bias_regularizer, self.bias)]
        return [regularizer(weight) for regularizer, weight in pairs if regularizer and weight is not None]
