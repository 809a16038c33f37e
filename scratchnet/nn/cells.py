"""Single-step recurrent cells ``RNNCell``, ``LSTMCell`` and ``GRUCell`` (PyTorch's names and
parameters ``weight_ih (G·H, in)``, ``weight_hh (G·H, H)``, ``bias_ih``, ``bias_hh (G·H,)``). Their
formulas are ``functional.recurrent``'s ``rnn_cell``, ``lstm_cell``, ``gru_cell``, which the
multi-layer ``RNN``/``LSTM``/``GRU`` apply too."""

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
from scratchnet.nn.validation import positive_int, shape_error


class _Cell(Module):
    """Parameters (initialised U(±1/√H), as PyTorch), input checks, the zero default state and
    unbatched inputs ``(in,)``; subclasses give the gate count, the state count and ``step``."""

    gate_count = 1
    state_count = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        owner = type(self).__name__
        self.input_size = positive_int("input_size", input_size, owner)
        self.hidden_size = positive_int("hidden_size", hidden_size, owner)
        self.bias = bias
        rows = self.gate_count * self.hidden_size
        self.weight_ih = Parameter(xp.empty((rows, self.input_size), dtype=DEFAULT_FLOAT))
        self.weight_hh = Parameter(xp.empty((rows, self.hidden_size), dtype=DEFAULT_FLOAT))
        for name in ("bias_ih", "bias_hh"):
            if bias:
                setattr(self, name, Parameter(xp.empty(rows, dtype=DEFAULT_FLOAT)))
            else:
                self.register_parameter(name, None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(−1/√H, 1/√H), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound)

    def step(self, projected: Tensor, state: State) -> State:
        """The new state from the projected input and the old state."""
        raise NotImplementedError

    def forward(self, input: Any, hx: Any = None) -> Any:
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise shape_error(self, f"(N, {self.input_size}) or ({self.input_size},)", input.shape)
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        state = self._state(hx, x, batched)
        new = self.step(F.linear(x, self.weight_ih, self.bias_ih), state)
        if not batched:
            new = tuple(s.squeeze(0) for s in new)
        return new if self.state_count > 1 else new[0]

    def _state(self, hx: Any, x: Tensor, batched: bool) -> State:
        """The old state as batched tensors (zeros when ``hx`` is None)."""
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            return (Tensor.wrap(xp.zeros(shape, dtype=x.dtype)),) * self.state_count
        given = tuple(hx) if self.state_count > 1 else (hx,)
        expected = shape if batched else shape[1:]
        if len(given) != self.state_count or any(tuple(s.shape) != expected for s in given):
            raise ValueError(f"{type(self).__name__}: expected {self.state_count} state tensor(s) of shape "
                             f"{expected}, got {[tuple(s.shape) for s in given]}")
        return given if batched else tuple(s.unsqueeze(0) for s in given)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_Cell):
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), act = tanh or relu (``nonlinearity``), as
    ``torch.nn.RNNCell``; ``forward(input, hx=None)`` returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh") -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias)

    def step(self, projected: Tensor, state: State) -> State:
        return rnn_cell(projected, state, self.weight_hh, self.bias_hh, self.nonlinearity)


class LSTMCell(_Cell):
    """One LSTM step (``functional.recurrent.lstm_cell``; gates i, f, g, o as ``torch.nn.LSTMCell``):
    ``forward(input, hx=None)`` with hx = (h, c) returns (h', c')."""

    gate_count = 4
    state_count = 2

    def step(self, projected: Tensor, state: State) -> State:
        return lstm_cell(projected, state, self.weight_hh, self.bias_hh)


class GRUCell(_Cell):
    """One GRU step (``functional.recurrent.gru_cell``; gates r, z, n as ``torch.nn.GRUCell``):
    ``forward(input, hx=None)`` returns h'."""

    gate_count = 3

    def step(self, projected: Tensor, state: State) -> State:
        return gru_cell(projected, state, self.weight_hh, self.bias_hh)
