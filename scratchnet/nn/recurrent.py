"""Recurrent layers ``RNN``, ``LSTM`` and ``GRU``, with PyTorch's parameter names and gate order.

Parameters of layer k are ``weight_ih_lk (G·H, in)``, ``weight_hh_lk (G·H, H)``, ``bias_ih_lk``,
``bias_hh_lk (G·H,)`` with G = 1 (RNN), 4 (LSTM: gates i, f, g, o) or 3 (GRU: r, z, n), so
state dicts exchange with ``torch.nn.RNN/LSTM/GRU``. All are initialised U(±1/√H) as PyTorch.
Each layer projects the whole sequence through ``weight_ih`` in one GEMM, then loops over time
steps (never over the batch); an LSTM or GRU step is one fused Function, so these layers support
first-order gradients only (no ``create_graph`` through them). The step formulas are
``functional.recurrent``'s (shared with ``RNNCell``, ``LSTMCell``, ``GRUCell`` and Keras).
"""

from __future__ import annotations

import math
from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import DEFAULT_FLOAT, xp
from scratchnet.functional.recurrent import State, gru_cell, lstm_cell, rnn_cell
from scratchnet.nn import init
from scratchnet.nn.module import Module
from scratchnet.nn.parameter import Parameter
from scratchnet.nn.validation import positive_int, probability, shape_error
from scratchnet.ops.shape import split, stack


class _RecurrentBase(Module):
    """Shared machinery: parameters, input layout (``batch_first``, unbatched ``(T, I)``),
    initial and final states, stacking of layers (``dropout`` between layers in training)."""

    gate_count = 1
    state_count = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.input_size = positive_int("input_size", input_size, owner)
        self.hidden_size = positive_int("hidden_size", hidden_size, owner)
        self.num_layers = positive_int("num_layers", num_layers, owner)
        self.bias, self.batch_first = bias, batch_first
        self.dropout = probability("dropout", dropout, owner)
        rows = self.gate_count * self.hidden_size
        for layer in range(self.num_layers):
            columns = self.input_size if layer == 0 else self.hidden_size
            shapes = {"weight_ih": (rows, columns), "weight_hh": (rows, self.hidden_size)}
            if bias:
                shapes.update(bias_ih=(rows,), bias_hh=(rows,))
            for kind, shape in shapes.items():
                setattr(self, f"{kind}_l{layer}", Parameter(xp.empty(shape, dtype=DEFAULT_FLOAT)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(−1/√H, 1/√H), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound)

    def _layer_parameters(self, layer: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        bias_ih = getattr(self, f"bias_ih_l{layer}") if self.bias else None
        bias_hh = getattr(self, f"bias_hh_l{layer}") if self.bias else None
        return getattr(self, f"weight_ih_l{layer}"), getattr(self, f"weight_hh_l{layer}"), bias_ih, bias_hh

    def cell(self, projected: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None) -> State:
        """One time step: the new state from the projected input ``x W_ihᵀ + b_ih`` and the old state."""
        raise NotImplementedError

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Any]:
        batched = input.ndim == 3
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            layout = "(N, T, {0}) or (T, {0})" if self.batch_first else "(T, N, {0}) or (T, {0})"
            raise shape_error(self, layout.format(self.input_size), input.shape)
        x = input.unsqueeze(1) if not batched else input.transpose(0, 1) if self.batch_first else input
        states = self._initial_states(hx, x, batched)
        finals = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout, True)
            x, final = self._run_layer(layer, x, states[layer])
            finals.append(final)
        output = x.squeeze(1) if not batched else x.transpose(0, 1) if self.batch_first else x
        final_states = tuple(stack([f[i] for f in finals]) for i in range(self.state_count))
        if not batched:
            final_states = tuple(s.squeeze(1) for s in final_states)
        return output, (final_states if self.state_count > 1 else final_states[0])

    def _run_layer(self, layer: int, x: Tensor, state: State) -> tuple[Tensor, State]:
        weight_ih, weight_hh, bias_ih, bias_hh = self._layer_parameters(layer)
        projected = F.linear(x, weight_ih, bias_ih)
        outputs = []
        for step in split(projected, 1, axis=0):
            state = self.cell(step.squeeze(0), state, weight_hh, bias_hh)
            outputs.append(state[0])
        return stack(outputs), state

    def _initial_states(self, hx: Any, x: Tensor, batched: bool) -> list[State]:
        """Per layer, the state tuple (zeros when ``hx`` is None)."""
        shape = (self.num_layers, x.shape[1], self.hidden_size)
        if hx is None:
            zeros = Tensor.wrap(xp.zeros(shape[1:], dtype=x.dtype))
            return [(zeros,) * self.state_count] * self.num_layers
        given = tuple(hx) if self.state_count > 1 else (hx,)
        if len(given) != self.state_count:
            raise ValueError(f"{type(self).__name__}: expected {self.state_count} initial state tensors, "
                             f"got {len(given)}")
        expected = shape if batched else (shape[0], shape[2])
        for tensor in given:
            if tuple(tensor.shape) != expected:
                raise ValueError(f"{type(self).__name__}: expected initial state of shape {expected}, "
                                 f"got {tuple(tensor.shape)}")
        if not batched:
            given = tuple(t.unsqueeze(1) for t in given)
        per_layer = [split(t, 1, axis=0) for t in given]
        return [tuple(pieces[layer].squeeze(0) for pieces in per_layer) for layer in range(self.num_layers)]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        return text


class RNN(_RecurrentBase):
    """Elman RNN: hₜ = act(xₜ W_ihᵀ + b_ih + hₜ₋₁ W_hhᵀ + b_hh), act = tanh or relu
    (``nonlinearity``). Returns ``(output, h_n)``: output ``(T, N, H)`` (``(N, T, H)`` with
    ``batch_first``) holds the last layer's hₜ, h_n ``(num_layers, N, H)`` the final states."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout)

    def cell(self, projected: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None) -> State:
        return rnn_cell(projected, state, weight_hh, bias_hh, self.nonlinearity)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(_RecurrentBase):
    """Long short-term memory: with i, f, g, o = split(xₜ W_ihᵀ + b_ih + hₜ₋₁ W_hhᵀ + b_hh),
    cₜ = σ(f)·cₜ₋₁ + σ(i)·tanh(g), hₜ = σ(o)·tanh(cₜ). ``hx`` is ``(h_0, c_0)``; returns
    ``(output, (h_n, c_n))``."""

    gate_count = 4
    state_count = 2

    def cell(self, projected: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None) -> State:
        return lstm_cell(projected, state, weight_hh, bias_hh)


class GRU(_RecurrentBase):
    """Gated recurrent unit (PyTorch's form): r = σ(W_ir x + b_ir + W_hr h + b_hr),
    z = σ(W_iz x + b_iz + W_hz h + b_hz), n = tanh(W_in x + b_in + r·(W_hn h + b_hn)),
    hₜ = (1 − z)·n + z·hₜ₋₁. Returns ``(output, h_n)``."""

    gate_count = 3

    def cell(self, projected: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None) -> State:
        return gru_cell(projected, state, weight_hh, bias_hh)
