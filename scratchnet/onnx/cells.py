"""``nn.RNNCell``, ``nn.LSTMCell`` and ``nn.GRUCell`` exported whole, as Gemm and elementwise nodes.

Recording a cell's ops would freeze its zero initial state (made when ``hx`` is None) at the
example's batch size; exported whole, the zero state is made in the graph from the input's batch
size. With gi = x W_ihᵀ + b_ih and gh = h W_hhᵀ + b_hh (gates in PyTorch's order):
RNN h' = act(gi + gh); LSTM (i, f, g, o) = gi + gh, c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c');
GRU r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n), h' = n + z·(h − n).
An unbatched input ``(in,)`` gets a batch axis of one, removed again at the end.
"""

from __future__ import annotations

from scratchnet import nn
from scratchnet.autograd.trace import Call
from scratchnet.onnx.converters import converts
from scratchnet.onnx.graph import GraphBuilder


@converts(nn.RNNCell, nn.LSTMCell, nn.GRUCell)
def _cell(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    cell, batched = call.op, call.inputs[0].ndim == 2
    values = inputs if batched else [g.one("Unsqueeze", [v, g.ints([0], "axes")]) for v in inputs]
    x, states = values[0], values[1:] or [_zeros(g, call, values[0])] * cell.state_count
    projected = _gemm(g, x, cell.weight_ih, cell.bias_ih)
    recurrent = _gemm(g, states[0], cell.weight_hh, cell.bias_hh)
    if isinstance(cell, nn.RNNCell):
        activation = "Tanh" if cell.nonlinearity == "tanh" else "Relu"
        new = [g.one(activation, [g.one("Add", [projected, recurrent])])]
    elif isinstance(cell, nn.LSTMCell):
        new = _lstm(g, _chunks(g, g.one("Add", [projected, recurrent]), cell, 4), states[1])
    else:
        new = [_gru(g, _chunks(g, projected, cell, 3), _chunks(g, recurrent, cell, 3), states[0])]
    for value, name in zip(new, outputs):
        g.node("Identity" if batched else "Squeeze", [value] if batched else [value, g.ints([0], "axes")],
               [name])


def _zeros(g: GraphBuilder, call: Call, x: str) -> str:
    """A zero state (N, H) with N the batch size of ``x`` at run time."""
    batch = g.one("Slice", [g.one("Shape", [x]), g.ints([0], "starts"), g.ints([1], "ends")])
    shape = g.one("Concat", [batch, g.ints([call.op.hidden_size], "hidden")], axis=0)
    return g.one("Expand", [g.scalar(0.0, call.inputs[0].dtype, "zero"), shape])


def _gemm(g: GraphBuilder, value: str, weight: nn.Parameter, bias: nn.Parameter | None) -> str:
    """value · weightᵀ (+ bias)."""
    terms = [value, g.value(weight)] + ([] if bias is None else [g.value(bias)])
    return g.one("Gemm", terms, transB=1)


def _chunks(g: GraphBuilder, value: str, cell: nn.Module, count: int) -> list[str]:
    """``value`` split into ``count`` gate blocks of hidden_size columns."""
    return g.node("Split", [value, g.ints([cell.hidden_size] * count, "split")], count, axis=1)


def _lstm(g: GraphBuilder, gates: list[str], c: str) -> list[str]:
    i, f, cand, o = gates
    c_new = g.one("Add", [g.one("Mul", [g.one("Sigmoid", [f]), c]),
                          g.one("Mul", [g.one("Sigmoid", [i]), g.one("Tanh", [cand])])])
    return [g.one("Mul", [g.one("Sigmoid", [o]), g.one("Tanh", [c_new])]), c_new]


def _gru(g: GraphBuilder, gi: list[str], gh: list[str], h: str) -> str:
    r = g.one("Sigmoid", [g.one("Add", [gi[0], gh[0]])])
    z = g.one("Sigmoid", [g.one("Add", [gi[1], gh[1]])])
    n = g.one("Tanh", [g.one("Add", [gi[2], g.one("Mul", [r, gh[2]])])])
    return g.one("Add", [n, g.one("Mul", [z, g.one("Sub", [h, n])])])
