"""The recurrent cells' formulas: one step of an Elman RNN, an LSTM or a GRU, as functions of
tensors that ``nn.RNNCell``/``LSTMCell``/``GRUCell``, the multi-layer ``nn.RNN``/``LSTM``/``GRU`` and
the Keras recurrent layers all apply.

Each takes the projected input ``p = xₜ W_ihᵀ + b_ih`` (a layer computes it for the whole sequence
in one GEMM), the old state, ``W_hh`` and ``b_hh`` (or None), and returns the new state as a tuple.
An LSTM or GRU step is one fused Function (forward and hand-written backward on arrays), so a
sequence costs one graph node per step and layer instead of a dozen; these support first-order
gradients only. The gates follow PyTorch's order (LSTM i, f, g, o; GRU r, z, n), so weights
exchange with ``torch.nn.LSTM/GRU``.

>>> h = sn.zeros(1, 2)
>>> w_hh = sn.ones(2, 2)
>>> rnn_cell(sn.tensor([[0.5, -0.5]]), (h,), w_hh, None)[0]    # tanh(p + h W_hhᵀ), h = 0
tensor([[ 0.4621, -0.4621]])
>>> p = sn.tensor([[0.0, 0.0, 0.0, 0.0, 1.0, -1.0, 0.0, 0.0]])   # gates i, f, g, o; h = c = 0
>>> h, c = lstm_cell(p, (h, h), sn.ones(8, 2), None)   # c' = σ(0)·tanh(±1), h' = σ(0)·tanh(c')
>>> c
tensor([[ 0.3808, -0.3808]])
>>> h
tensor([[ 0.1817, -0.1817]])
"""

from __future__ import annotations

from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.functional.linear import linear
from scratchnet.ops.elementwise import Sigmoid, relu, tanh

State = tuple[Tensor, ...]
"""A recurrent state: ``(h,)`` for an RNN or GRU, ``(h, c)`` for an LSTM."""


def rnn_cell(projected: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None,
             nonlinearity: str = "tanh") -> State:
    """h' = act(p + h W_hhᵀ + b_hh), act = tanh or relu."""
    activation = tanh if nonlinearity == "tanh" else relu
    return (activation(projected + linear(state[0], weight_hh, bias_hh)),)


def lstm_cell(projected: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None) -> State:
    """With i, f, g, o = split(p + h W_hhᵀ + b_hh): c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c')
    (one fused Function, ``LSTMCell``). Returns (h', c')."""
    return LSTMCell()(projected, *state, weight_hh, *([] if bias_hh is None else [bias_hh]))


def gru_cell(projected: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None) -> State:
    """r = σ(p_r + h_r), z = σ(p_z + h_z), n = tanh(p_n + r·h_n), h' = (1 − z)·n + z·h with
    (h_r, h_z, h_n) = h W_hhᵀ + b_hh (one fused Function, ``GRUCell``). Returns (h',)."""
    return (GRUCell()(projected, state[0], weight_hh, *([] if bias_hh is None else [bias_hh])),)


def _hidden_grads(d_hidden: xp.ndarray, h: xp.ndarray, weight_hh: xp.ndarray,
                  needs: tuple[bool, bool, bool]) -> tuple[xp.ndarray | None, ...]:
    """Gradients (g_h, g_W_hh, g_b_hh) of ``hidden = h W_hhᵀ + b_hh`` given its gradient
    ``d_hidden``: d_hidden W_hh, d_hiddenᵀ h, Σ d_hidden (None where ``needs`` says no)."""
    need_h, need_weight, need_bias = needs
    return (d_hidden @ weight_hh if need_h else None, d_hidden.T @ h if need_weight else None,
            d_hidden.sum(axis=0) if need_bias else None)


class LSTMCell(ArrayFunction):
    """i, f, g, o = σ, σ, tanh, σ of (p + h W_hhᵀ + b_hh); c' = f·c + i·g; h' = o·tanh(c').
    Outputs (h', c')."""

    def forward(self, projected: xp.ndarray, h: xp.ndarray, c: xp.ndarray, weight_hh: xp.ndarray,
                *bias_hh: xp.ndarray) -> tuple[xp.ndarray, xp.ndarray]:
        gates = projected + h @ weight_hh.T
        if bias_hh:
            gates += bias_hh[0]
        i, f, g, o = xp.split(gates, 4, axis=1)
        i, f, g, o = Sigmoid.forward(i), Sigmoid.forward(f), xp.tanh(g), Sigmoid.forward(o)
        c_next = f * c + i * g
        tanh_c = xp.tanh(c_next)
        self.saved = (i, f, g, o, tanh_c)
        return o * tanh_c, c_next

    def backward_arrays(self, grad_h: xp.ndarray, grad_c: xp.ndarray) -> tuple[xp.ndarray | None, ...]:
        i, f, g, o, tanh_c = self.saved
        h, c, weight_hh = (t.array for t in self.inputs[1:4])
        dc = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
        d_gates = xp.concatenate([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                                  grad_h * tanh_c * o * (1 - o)], axis=1)
        needs, has_bias = self.needs_input_grad, len(self.inputs) == 5
        gh, gw, gb = _hidden_grads(d_gates, h, weight_hh, (needs[1], needs[3], has_bias and needs[-1]))
        grads = (d_gates, gh, dc * f if needs[2] else None, gw)
        return grads + (gb,) if has_bias else grads


class GRUCell(ArrayFunction):
    """With (h_r, h_z, h_n) = h W_hhᵀ + b_hh and (p_r, p_z, p_n) = p: r = σ(p_r + h_r),
    z = σ(p_z + h_z), n = tanh(p_n + r·h_n), h' = (1 − z)·n + z·h."""

    def forward(self, projected: xp.ndarray, h: xp.ndarray, weight_hh: xp.ndarray,
                *bias_hh: xp.ndarray) -> xp.ndarray:
        hidden = h @ weight_hh.T
        if bias_hh:
            hidden += bias_hh[0]
        p_r, p_z, p_n = xp.split(projected, 3, axis=1)
        h_r, h_z, h_n = xp.split(hidden, 3, axis=1)
        r, z = Sigmoid.forward(p_r + h_r), Sigmoid.forward(p_z + h_z)
        n = xp.tanh(p_n + r * h_n)
        self.saved = (r, z, n, h_n)
        return n + z * (h - n)

    def backward_arrays(self, grad_h: xp.ndarray) -> tuple[xp.ndarray | None, ...]:
        r, z, n, h_n = self.saved
        h, weight_hh = self.inputs[1].array, self.inputs[2].array
        dn = grad_h * (1 - z) * (1 - n * n)
        dr = dn * h_n * r * (1 - r)
        dz = grad_h * (h - n) * z * (1 - z)
        d_projected = xp.concatenate([dr, dz, dn], axis=1)
        d_hidden = xp.concatenate([dr, dz, dn * r], axis=1)
        needs, has_bias = self.needs_input_grad, len(self.inputs) == 4
        gh, gw, gb = _hidden_grads(d_hidden, h, weight_hh, (needs[1], needs[2], has_bias and needs[-1]))
        if gh is not None:
            gh += grad_h * z
        grads = (d_projected, gh, gw)
        return grads + (gb,) if has_bias else grads
