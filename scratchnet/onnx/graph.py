"""The ONNX graph under construction: value names, nodes and initializers.

Converters (``scratchnet.onnx.converters``) add nodes through a ``GraphBuilder``; it gives every
Tensor of the recorded forward pass one value name (a graph input, a node output, or an
initializer holding its array: parameters under their state-dict names, other constants under
fresh names) and makes the ``onnx`` protos at the end.
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp


class UnsupportedOperatorError(RuntimeError):
    """An op met during export has no ONNX converter (or a setting ONNX cannot express)."""


class GraphBuilder:
    """Nodes and initializers of one graph for ``opset`` (``onnx`` is the imported package); with
    ``parameter_placeholders`` each parameter's initializer is empty (a graph to compare, not to run)."""

    def __init__(self, onnx: Any, opset: int, parameter_names: dict[int, str],
                 parameter_placeholders: bool = False) -> None:
        self.onnx = onnx
        self.opset = opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._parameter_names = parameter_names  # id(parameter) and id(its array) -> state-dict name
        self._placeholders = parameter_placeholders
        self._values: dict[int, str] = {}  # id(Tensor) -> value name
        self._arrays: dict[int, str] = {}  # id(array) -> value name (arrays an op holds, not as input)
        self._taken: set[str] = set()

    # ---- names ------------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        """A value name not used yet, ``hint`` or ``hint_1``, ``hint_2``..."""
        name, count = hint, 0
        while name in self._taken:
            count += 1
            name = f"{hint}_{count}"
        self._taken.add(name)
        return name

    def bind(self, tensor: Tensor, name: str) -> None:
        """Give ``tensor`` (and its array) the value name ``name``."""
        self._taken.add(name)
        self._values[id(tensor)] = name
        self._arrays.setdefault(id(tensor.array), name)

    def value(self, tensor: Tensor) -> str:
        """The value name of ``tensor``; a Tensor no node made becomes an initializer."""
        name = self._values.get(id(tensor))
        if name is None:
            name = self.array_value(tensor.array)
            self._values[id(tensor)] = name
        return name

    def array_value(self, array: xp.ndarray) -> str:
        """The value holding ``array``: a graph input or node output with this very array (an
        op that keeps its input as an array, e.g. embedding indices), else an initializer."""
        name = self._arrays.get(id(array))
        if name is None:
            hint = self._parameter_names.get(id(array))
            data = xp.empty(0, array.dtype) if hint is not None and self._placeholders else array
            name = self._arrays[id(array)] = self.initializer(data, hint or "const")
        return name

    # ---- building ---------------------------------------------------------------------------
    def initializer(self, array: Any, hint: str) -> str:
        """A new initializer holding a copy of ``array``; returns its name."""
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(xp.ascontiguousarray(array), name))
        return name

    def ints(self, values: Any, hint: str = "ints") -> str:
        """An int64 initializer (shapes, axes, pads given as inputs)."""
        return self.initializer(xp.asarray(values, dtype=xp.int64), hint)

    def scalar(self, value: float, dtype: Any, hint: str = "scalar") -> str:
        """A 0-d initializer of ``dtype``."""
        return self.initializer(xp.asarray(value, dtype=dtype), hint)

    def node(self, op_type: str, inputs: list[str], outputs: list[str] | int = 1,
             **attributes: Any) -> list[str]:
        """Add an ``op_type`` node; ``outputs`` are names, or how many fresh names to make.
        Returns the output names."""
        if isinstance(outputs, int):
            outputs = [self.fresh(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(
            op_type, inputs, outputs, name=self.fresh(f"/{op_type}"), **attributes))
        return outputs

    def one(self, op_type: str, inputs: list[str], output: str | None = None, **attributes: Any) -> str:
        """Add a node with one output (named ``output`` or fresh); returns the output's name."""
        return self.node(op_type, inputs, [output] if output else 1, **attributes)[0]
