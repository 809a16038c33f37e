"""Functional models whose layers form a graph rather than a chain: ``keras.Model(inputs,
outputs)`` where merge layers (``Add``, ``Concatenate``, …) join branches, as in ResNet and
Inception blocks. One input and one output."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
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

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None) -> None:
        super().__init__(name=name if name is not None else unique_name("functional"))
        start, end = _single(inputs, "inputs"), _single(outputs, "outputs")
        self._calls = calls_in_order(start, end)
        self._input_node, self._output_node = start, end
        self.add_module("0", InputLayer(input_shape=start.shape[1:], name=start.name))
        for call in self._calls:
            if not any(layer is call.layer for layer in self.layers):
                self.add_module(str(len(self._modules)), call.layer)
        self.build(start.shape)
        self._mark_built(start.shape)

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

    def save(self, filepath: Any, overwrite: bool = True) -> None:
        """Not available for graph models yet (their structure is not serialisable): refused before
        anything is written; ``save_weights`` / ``load_weights`` keep the weights."""
        raise NotImplementedError(f"cannot save {self.name!r} to {filepath}: saving a functional model with "
                                  "merge layers is not supported yet; use model.save_weights(path) and "
                                  "rebuild the model in code before load_weights(path)")
