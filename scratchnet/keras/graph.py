"""Functional models whose layers form a graph rather than a chain: ``keras.Model(inputs,
outputs)`` where merge layers (``Add``, ``Concatenate``, …) join branches, as in ResNet and
Inception blocks. One input and one output.

Such a model saves (``model.save('m.safetensors')``, scratchnet's format) as its layers and its
graph: one ``[layer index, [parent node indices]]`` entry per layer call, node 0 being the input
and node ``i + 1`` the ``i``-th call; loading calls the rebuilt layers on a fresh ``keras.Input``
in that order.
"""

from __future__ import annotations

import os
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.keras import saving
from scratchnet.keras.backend import unique_name
from scratchnet.keras.layers.base import KerasTensor, Layer
from scratchnet.keras.layers.core import InputLayer
from scratchnet.keras.layers.merging import Merge
from scratchnet.keras.models import Model, _single


def is_chain(outputs: Any) -> bool:
    """Whether every layer call behind ``outputs`` has at most one input (a ``Sequential``-like
    chain); anything else that is not a symbolic tensor counts as a chain (and is rejected there)."""
    node = outputs[0] if isinstance(outputs, (list, tuple)) and len(outputs) == 1 else outputs
    while isinstance(node, KerasTensor):
        if len(node.parents) > 1:
            return False
        node = node.parent
    return True


def calls_in_order(start: KerasTensor, end: KerasTensor) -> list[KerasTensor]:
    """The symbolic tensors from ``start`` (excluded) to ``end``, each after all its parents
    (a depth-first post-order, iterative so deep networks need no recursion)."""
    order: list[KerasTensor] = []
    seen = {id(start)}
    stack: list[tuple[KerasTensor, bool]] = [(end, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.layer is None:
            raise ValueError("outputs are not computed from inputs: Model(inputs, outputs) needs the "
                             "outputs to come from the given keras.Input through layers")
        stack.append((node, True))
        stack.extend((parent, False) for parent in reversed(node.parents) if id(parent) not in seen)
    return order


class GraphFunctional(Model):
    """A functional model over a graph of layer calls: the layers run in an order where every
    call comes after the calls it takes inputs from; the ``InputLayer`` is listed first, then the
    layers in that order (a layer called twice shares its weights and is listed once)."""

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None,
                 layers: list[Layer] | None = None, graph: list[Any] | None = None) -> None:
        super().__init__(name=name if name is not None else unique_name("functional"))
        if layers is not None or graph is not None:  # rebuilding a saved model
            inputs, outputs = rebuild_graph(layers, graph)
        start, end = _single(inputs, "inputs"), _single(outputs, "outputs")
        self._calls = calls_in_order(start, end)
        self._input_node, self._output_node = start, end
        self.add_module("0", InputLayer(input_shape=start.shape[1:], name=start.name))
        for call in self._calls:
            if not any(layer is call.layer for layer in self.layers):
                self.add_module(str(len(self._modules)), call.layer)
        self.build(start.shape)
        self._mark_built(start.shape)
        self._init_args.update(inputs=None, outputs=None, layers=self.layers, graph=self._graph())

    def _node_indices(self) -> dict[int, int]:
        """id(symbolic tensor) -> its node number: 0 for the input, ``i + 1`` for call ``i``."""
        return {id(self._input_node): 0, **{id(call): i + 1 for i, call in enumerate(self._calls)}}

    def _graph(self) -> list[list[Any]]:
        """``[layer index in self.layers, [parent node numbers]]`` for each call, in order."""
        nodes, layers = self._node_indices(), self.layers
        positions = {id(layer): index for index, layer in enumerate(layers)}
        return [[positions[id(call.layer)], [nodes[id(parent)] for parent in call.parents]]
                for call in self._calls]

    def _connections(self) -> list[list[str]]:
        """For each layer of ``self.layers``, what its calls take as inputs, as Keras 3's summary
        writes it: ``"name[node][tensor]"`` (node: which call of that layer; one output tensor)."""
        owner: dict[int, str] = {id(self._input_node): f"{self.layers[0].name}[0][0]"}
        calls_of: dict[int, int] = {}
        for call in self._calls:
            node = calls_of.get(id(call.layer), 0)
            calls_of[id(call.layer)] = node + 1
            owner[id(call)] = f"{call.layer.name}[{node}][0]"
        connections: dict[int, list[str]] = {}
        for call in self._calls:
            connections.setdefault(id(call.layer), []).extend(owner[id(parent)] for parent in call.parents)
        return [connections.get(id(layer), []) for layer in self.layers]

    def forward(self, x: Tensor) -> Tensor:
        values = {id(self._input_node): self.layers[0](x)}
        for call in self._calls:
            inputs = [values[id(parent)] for parent in call.parents]
            values[id(call)] = call.layer(inputs) if isinstance(call.layer, Merge) else call.layer(inputs[0])
        return values[id(self._output_node)]

    @property
    def layers(self) -> list[Layer]:
        """The ``InputLayer``, then each layer once, in calling order."""
        return [child for child in self.children() if isinstance(child, Layer)]

    def save(self, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
        """Save architecture (layers and graph) and weights in scratchnet's format (any name but
        ``.keras`` / ``.h5``); ``keras.saving.load_model`` rebuilds the same model. A ``.keras``
        archive (Keras 3's format) is written for Sequential models only."""
        if saving.format_of(filepath) == "keras":
            raise ValueError(f"{os.fspath(filepath)}: the '.keras' archive is written for Sequential "
                             f"models only; save the graph model {self.name!r} under a '.safetensors' name")
        super().save(filepath, overwrite)


def rebuild_graph(layers: Any, graph: Any) -> tuple[KerasTensor, KerasTensor]:
    """The input and output symbolic tensors of a saved graph: ``layers`` (an ``InputLayer``
    first) called on a fresh input as ``graph`` says (see the module docstring); a malformed
    graph raises ``ValueError`` saying which entry is wrong."""
    if not isinstance(layers, list) or not layers or not isinstance(layers[0], InputLayer) \
            or not all(isinstance(layer, Layer) for layer in layers):
        raise ValueError("a saved graph model needs its layers, an InputLayer first")
    if not isinstance(graph, list) or not graph:
        raise ValueError("a saved graph model needs a non-empty graph (a list of layer calls)")
    nodes = [KerasTensor(layers[0].batch_input_shape, name=layers[0].name)]
    for number, entry in enumerate(graph):
        layer_index, parents = _checked_call(entry, number, len(layers), len(nodes))
        layer, inputs = layers[layer_index], [nodes[parent] for parent in parents]
        nodes.append(layer(inputs) if isinstance(layer, Merge) else layer(inputs[0]))
    return nodes[0], nodes[-1]


def _checked_call(entry: Any, number: int, n_layers: int, n_nodes: int) -> tuple[int, list[int]]:
    """``[layer index, [parent node numbers]]``, each an int in range (parents: earlier nodes)."""
    def is_index(value: Any, end: int, start: int = 0) -> bool:
        return type(value) is int and start <= value < end

    if not (isinstance(entry, list) and len(entry) == 2 and is_index(entry[0], n_layers, 1)
            and isinstance(entry[1], list) and entry[1] and all(is_index(p, n_nodes) for p in entry[1])):
        raise ValueError(f"graph entry {number} is not [layer index in 1..{n_layers - 1}, "
                         f"[earlier node numbers in 0..{n_nodes - 1}]]: {entry!r}")
    return entry[0], entry[1]
