"""``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` exported whole, as ONNX's RNN, LSTM and GRU nodes.

Our layers loop over time steps; recording that loop would fix the sequence length. The exporter
records these layers as one op each instead (``call.op`` is the layer, ``call.inputs`` the input
and the initial states when given, ``call.outputs`` the output and final states) and each layer
of the stack becomes one ONNX node, time-major ``(T, N, ·)`` as ONNX's default layout.

Gate order: PyTorch (and our) LSTM stacks its gates i, f, g, o, ONNX's i, o, f, c (c is g); GRU
r, z, n against ONNX's z, r, h. The weights are reordered into initializers accordingly, and the
GRU node takes ``linear_before_reset=1``, which is PyTorch's form r·(W_hn h + b_hn).
"""

from __future__ import annotations

from scratchnet import nn
from scratchnet.autograd.trace import Call
from scratchnet.backend import xp
from scratchnet.onnx.converters import converts
from scratchnet.onnx.graph import GraphBuilder

GATE_ORDER = {nn.RNN: [0], nn.LSTM: [0, 3, 1, 2], nn.GRU: [1, 0, 2]}
"""For each layer, our gate chunks in ONNX's order."""


def _reordered(array: xp.ndarray, order: list[int]) -> xp.ndarray:
    """The gate chunks of ``array`` (stacked along axis 0) in ``order``, with a leading
    num_directions axis of 1."""
    chunks = xp.split(array, len(order), axis=0)
    return xp.concatenate([chunks[i] for i in order], axis=0)[None]


def _layer_weights(g: GraphBuilder, module: nn.Module, layer: int) -> list[str]:
    """The W, R and (with bias) B initializers of one layer, gates in ONNX's order."""
    order = GATE_ORDER[type(module)]
    prefix = g.fresh(f"{type(module).__name__.lower()}_l{layer}")
    names = [g.initializer(_reordered(getattr(module, f"{kind}_l{layer}").array, order), f"{prefix}_{name}")
             for kind, name in (("weight_ih", "W"), ("weight_hh", "R"))]
    if module.bias:
        bias = xp.concatenate([_reordered(getattr(module, f"{kind}_l{layer}").array, order)
                               for kind in ("bias_ih", "bias_hh")], axis=1)
        names.append(g.initializer(bias, f"{prefix}_B"))
    return names


def _layer_attributes(module: nn.Module) -> dict[str, object]:
    attributes: dict[str, object] = {"hidden_size": module.hidden_size}
    if isinstance(module, nn.GRU):
        attributes["linear_before_reset"] = 1
    if type(module) is nn.RNN:
        attributes["activations"] = ["Tanh" if module.nonlinearity == "tanh" else "Relu"]
    return attributes


@converts(nn.RNN, nn.LSTM, nn.GRU)
def _recurrent(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    """A stack of recurrent layers: one ONNX node per layer on the time-major sequence."""
    module, batched = call.op, call.inputs[0].ndim == 3
    x = inputs[0]
    if not batched:
        x = g.one("Unsqueeze", [x, g.ints([1], "axes")])
    elif module.batch_first:
        x = g.one("Transpose", [x], perm=[1, 0, 2])
    states = [_batched_state(g, s, batched) for s in inputs[1:]]
    finals: list[list[str]] = [[] for _ in range(module.state_count)]
    op_type = {nn.RNN: "RNN", nn.LSTM: "LSTM", nn.GRU: "GRU"}[type(module)]
    for layer in range(module.num_layers):
        weights = _layer_weights(g, module, layer)
        initial = [g.one("Slice", [s, g.ints([layer]), g.ints([layer + 1]), g.ints([0])]) for s in states]
        node_inputs = [x, *weights]
        if initial:  # after the optional B and sequence_lens inputs
            node_inputs += [""] * (5 - len(node_inputs)) + initial
        y, *layer_finals = g.node(op_type, node_inputs, 1 + module.state_count, **_layer_attributes(module))
        x = g.one("Squeeze", [y, g.ints([1], "axes")])
        for final, state in zip(finals, layer_finals):
            final.append(state)
    _output(g, x, outputs[0], module.batch_first, batched)
    for final, name in zip(finals, outputs[1:]):
        _final_state(g, final, name, batched)


def _batched_state(g: GraphBuilder, state: str, batched: bool) -> str:
    """An initial state ``(L, N, H)``; an unbatched ``(L, H)`` gets its batch axis of 1."""
    return state if batched else g.one("Unsqueeze", [state, g.ints([1], "axes")])


def _output(g: GraphBuilder, x: str, name: str, batch_first: bool, batched: bool) -> None:
    """The last layer's ``(T, N, H)`` sequence in the layer's own layout, named ``name``."""
    if not batched:
        g.node("Squeeze", [x, g.ints([1], "axes")], [name])
    elif batch_first:
        g.node("Transpose", [x], [name], perm=[1, 0, 2])
    else:
        g.node("Identity", [x], [name])


def _final_state(g: GraphBuilder, per_layer: list[str], name: str, batched: bool) -> None:
    """The final states of every layer ``(1, N, H)`` joined as ``(L, N, H)`` (``(L, H)`` unbatched)."""
    joined = g.one("Concat", per_layer, axis=0)
    if batched:
        g.node("Identity", [joined], [name])
    else:
        g.node("Squeeze", [joined, g.ints([1], "axes")], [name])
