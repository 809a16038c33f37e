"""Keras's recurrent layers ``SimpleRNN``, ``LSTM``, ``GRU`` over ``(N, T, features)``, with Keras's
gate orders (LSTM i, f, c, o; GRU z, r, h with ``reset_after=True``), initialisers (kernel
glorot_uniform, recurrent kernel orthogonal, bias zeros, ``unit_forget_bias``) and outputs
(``return_sequences``, ``return_state``, ``go_backwards``), and the wrappers ``TimeDistributed``
and ``Bidirectional``.

Weights are stored in the core's layout, as Dense's: ``kernel (G·units, features)``,
``recurrent_kernel (G·units, units)`` (Keras stores their transposes), gates in Keras's order, and
``bias (G·units,)`` (GRU: ``(2, 3·units)``, input and recurrent biases). Each time step is one of
``functional.recurrent``'s cell formulas (the ones ``nn.RNN/LSTM/GRU`` use), with the GRU's gates
reordered to PyTorch's r, z, n on the way in.
"""

from __future__ import annotations

import copy
from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.functional.recurrent import State, gru_cell, lstm_cell, rnn_cell
from scratchnet.keras.layers.base import Layer
from scratchnet.ops.shape import concat, split, stack


class _KerasRecurrent(Layer):
    """Shared machinery: weights, the loop over time steps and Keras's outputs. Subclasses give
    ``gate_count``, ``state_count``, the supported activations and ``step``."""

    gate_count = 1
    state_count = 1
    activations = ("tanh",)

    def __init__(self, units: int, activation: str = "tanh", recurrent_activation: str = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 input_shape: Any = None, name: str | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        owner = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(f"{owner}: units must be a positive integer, got {units!r}")
        if activation not in self.activations or recurrent_activation != "sigmoid":
            raise ValueError(f"{owner}: activation must be one of {self.activations} and "
                             f"recurrent_activation 'sigmoid' (the fused steps), got {activation!r} and "
                             f"{recurrent_activation!r}")
        self.units, self.activation, self.use_bias = units, activation, bool(use_bias)
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards = go_backwards
        self.initializers = [self._initializer(key, value) for key, value in (
            ("kernel_initializer", kernel_initializer), ("recurrent_initializer", recurrent_initializer),
            ("bias_initializer", bias_initializer))]

    def bias_shape(self) -> tuple[int, ...]:
        """The bias's shape: one per gate unit."""
        return (self.gate_count * self.units,)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != 3:
            raise ValueError(f'layer "{self.name}" ({type(self).__name__}) expects sequences '
                             f"(N, T, features), "
                             f"got input shape {input_shape}")
        rows = self.gate_count * self.units
        kernel, recurrent, bias = self.initializers
        self.add_weight("kernel", (rows, input_shape[-1]), kernel)
        self.add_weight("recurrent_kernel", (rows, self.units), recurrent)
        if self.use_bias:
            self.init_bias(self.add_weight("bias", self.bias_shape(), bias))

    def init_bias(self, bias: Tensor) -> None:
        """Adjust the freshly drawn bias (LSTM's ``unit_forget_bias``)."""

    def keras_variable_groups(self) -> list[tuple[str, list[tuple[str, Tensor, bool]]]]:
        """Keras 3's file layout: the variables in the layer's ``cell/vars`` (kernels transposed),
        an empty ``vars``."""
        entries = [("kernel", self.kernel, True), ("recurrent_kernel", self.recurrent_kernel, True)]
        if self.use_bias:
            entries.append(("bias", self.bias, False))
        return [("cell/vars", entries), ("vars", [])]

    def torch_weights(self) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        """(W_ih, W_hh, b_ih, b_hh) in the gate order of ``functional.recurrent``'s cells."""
        return self.kernel, self.recurrent_kernel, self.bias if self.use_bias else None, None

    def step(self, projected: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None) -> State:
        """One time step (``functional.recurrent``)."""
        raise NotImplementedError

    def forward(self, x: Tensor, initial_state: Any = None) -> Any:
        if x.ndim != 3:
            raise ValueError(f'layer "{self.name}" ({type(self).__name__}) expects sequences '
                             f"(N, T, features), "
                             f"got shape {x.shape}")
        weight_ih, weight_hh, bias_ih, bias_hh = self.torch_weights()
        projected = F.linear(x, weight_ih, bias_ih).transpose(0, 1)
        state = self._initial_state(initial_state, x)
        steps = split(projected, 1, axis=0)
        outputs = []
        for step in reversed(steps) if self.go_backwards else steps:
            state = self.step(step.squeeze(0), state, weight_hh, bias_hh)
            outputs.append(state[0])
        output = stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return [output, *state] if self.return_state else output

    def _initial_state(self, initial_state: Any, x: Tensor) -> State:
        """The state at the first step: zeros, or ``initial_state`` (a tensor or a list of them)."""
        if initial_state is None:
            zeros = Tensor.wrap(xp.zeros((x.shape[0], self.units), dtype=x.dtype))
            return (zeros,) * self.state_count
        given = tuple(initial_state) if isinstance(initial_state, (list, tuple)) else (initial_state,)
        if len(given) != self.state_count or any(tuple(s.shape) != (x.shape[0], self.units) for s in given):
            raise ValueError(f'layer "{self.name}": initial_state must be {self.state_count} tensor(s) '
                             f"of shape "
                             f"{(x.shape[0], self.units)}, got {[tuple(s.shape) for s in given]}")
        return given


class SimpleRNN(_KerasRecurrent):
    """hₜ = activation(xₜ·kernel + hₜ₋₁·recurrent_kernel + bias), activation tanh (default) or relu."""

    activations = ("tanh", "relu")

    def step(self, projected: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None) -> State:
        return rnn_cell(projected, state, weight_hh, bias_hh, self.activation)


class LSTM(_KerasRecurrent):
    """With i, f, c̃, o = split(xₜ·kernel + hₜ₋₁·recurrent_kernel + bias) (Keras's order):
    cₜ = σ(f)·cₜ₋₁ + σ(i)·tanh(c̃), hₜ = σ(o)·tanh(cₜ). ``unit_forget_bias=True`` starts the forget
    gate's bias at 1. With ``return_state`` returns [output, h, c]."""

    gate_count = 4
    state_count = 2

    def __init__(self, units: int, activation: str = "tanh", recurrent_activation: str = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, input_shape: Any = None, name: str | None = None,
                 trainable: bool = True) -> None:
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, return_sequences, return_state,
                         go_backwards, input_shape, name, trainable)
        self.unit_forget_bias = unit_forget_bias

    def init_bias(self, bias: Tensor) -> None:
        if self.unit_forget_bias:
            bias.array[self.units:2 * self.units] = 1.0

    def step(self, projected: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None) -> State:
        return lstm_cell(projected, state, weight_hh, bias_hh)


class GRU(_KerasRecurrent):
    """Keras's GRU with ``reset_after=True``: with gates z, r, h (Keras's order),
    z = σ(x W_z + b_z + h U_z + b'_z), r = σ(x W_r + b_r + h U_r + b'_r),
    h̃ = tanh(x W_h + b_h + r·(h U_h + b'_h)), hₜ = z·hₜ₋₁ + (1 − z)·h̃; the bias ``(2, 3·units)``
    holds the input biases b and the recurrent biases b'."""

    gate_count = 3

    def __init__(self, units: int, activation: str = "tanh", recurrent_activation: str = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 reset_after: bool = True, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, input_shape: Any = None, name: str | None = None,
                 trainable: bool = True) -> None:
        if not reset_after:
            raise ValueError("GRU: only reset_after=True (Keras's default) is supported")
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, return_sequences, return_state,
                         go_backwards, input_shape, name, trainable)
        self.reset_after = reset_after

    def bias_shape(self) -> tuple[int, ...]:
        return (2, self.gate_count * self.units)

    def torch_weights(self) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        def reorder(t: Tensor) -> Tensor:  # Keras z, r, h -> PyTorch r, z, n
            z, r, h = split(t, t.shape[0] // 3, axis=0)
            return concat([r, z, h], axis=0)
        biases = (None, None) if not self.use_bias else (reorder(self.bias[0]), reorder(self.bias[1]))
        return reorder(self.kernel), reorder(self.recurrent_kernel), *biases

    def step(self, projected: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None) -> State:
        return gru_cell(projected, state, weight_hh, bias_hh)


class Embedding(Layer):
    """Rows of ``embeddings (input_dim, output_dim)`` picked by integer indices: ``(N, ...) ->
    (N, ..., output_dim)``; Keras's default initializer U(±0.05). Floats holding whole numbers are
    taken as indices (as Keras casts them)."""

    accepts_integer_input = True
    config_excludes = ("input_shape", "input_length")
    """Arguments a saved config leaves out (Keras 3 has no input_length; input_dim is the vocabulary)."""

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 input_shape: Any = None, input_length: int | None = None, name: str | None = None,
                 trainable: bool = True) -> None:
        if input_length is not None and input_shape is None:
            input_shape = (input_length,)
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        for key, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"Embedding: {key} must be a positive integer, got {value!r}")
        self.input_dim, self.output_dim = input_dim, output_dim
        self.embeddings_initializer = self._initializer("embeddings_initializer", embeddings_initializer)

    def keras_variable_groups(self) -> list[tuple[str, list[tuple[str, Tensor, bool]]]]:
        """Keras 3's file layout: the table in ``vars``, as it is (Keras's layout too)."""
        return [("vars", [("embeddings", self.embeddings, False)])]

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.add_weight("embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer)

    def forward(self, x: Any) -> Tensor:
        indices = x.array if isinstance(x, Tensor) else xp.asarray(x)
        if indices.dtype.kind == "f":  # Keras casts whole-number floats (a model's float inputs) to int
            if not xp.array_equal(indices, xp.floor(indices)):
                raise ValueError(f'layer "{self.name}" (Embedding) expects integer indices, got non-integer '
                                 f"values of dtype {indices.dtype}")
            indices = indices.astype(xp.int64)
        return F.embedding(indices, self.embeddings)


class TimeDistributed(Layer):
    """Apply ``layer`` to every time step: ``(N, T, ...) -> (N, T, ...)`` by running it once on the
    ``(N·T, ...)`` merge of the first two axes."""

    def __init__(self, layer: Layer, name: str | None = None, input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: expected a Keras layer, got {type(layer).__name__}")
        self.layer = layer

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 3:
            raise ValueError(f'layer "{self.name}" (TimeDistributed) expects (N, T, ...), '
                             f"got shape {x.shape}")
        y = self.layer(x.reshape(x.shape[0] * x.shape[1], *x.shape[2:]))
        return y.reshape(x.shape[0], x.shape[1], *y.shape[1:])


MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Run a recurrent ``layer`` forwards and a copy of it backwards (``go_backwards`` flipped, its
    own weights) and merge the outputs: 'concat' (default) on the last axis, 'sum', 'mul', 'ave',
    or None (a list). Backward sequences are re-reversed to line up with the forward ones."""

    def __init__(self, layer: _KerasRecurrent, merge_mode: str | None = "concat",
                 backward_layer: _KerasRecurrent | None = None, name: str | None = None,
                 input_shape: Any = None) -> None:
        super().__init__(name=name, input_shape=input_shape)
        if not isinstance(layer, _KerasRecurrent):
            raise ValueError(f"Bidirectional: expected SimpleRNN, LSTM or GRU, got {type(layer).__name__}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {MERGE_MODES}, got {merge_mode!r}")
        if layer.return_state:
            raise ValueError("Bidirectional: return_state is not supported")
        self.merge_mode = merge_mode
        self.forward_layer = layer
        if backward_layer is None:
            backward_layer = copy.deepcopy(layer)
            backward_layer.name = f"backward_{layer.name}"
            backward_layer.go_backwards = not layer.go_backwards
        self.backward_layer = backward_layer

    def keras_variable_groups(self) -> list[tuple[str, list[tuple[str, Tensor, bool]]]]:
        """Keras 3's file layout: each direction's groups under ``forward_layer/`` and
        ``backward_layer/``, an empty ``vars``."""
        return [(f"{side}/{path}", entries)
                for side, layer in (("forward_layer", self.forward_layer),
                                    ("backward_layer", self.backward_layer))
                for path, entries in layer.keras_variable_groups()] + [("vars", [])]

    def forward(self, x: Tensor) -> Any:
        ahead, behind = self.forward_layer(x), self.backward_layer(x)
        if self.forward_layer.return_sequences:
            behind = concat(list(reversed(split(behind, 1, axis=1))), axis=1)
        if self.merge_mode == "concat":
            return concat([ahead, behind], axis=-1)
        if self.merge_mode is None:
            return [ahead, behind]
        if self.merge_mode == "mul":
            return ahead * behind
        total = ahead + behind
        return total * 0.5 if self.merge_mode == "ave" else total
