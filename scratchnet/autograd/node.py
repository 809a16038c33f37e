"""``tensor.grad_fn``: a read-only view of the recorded graph in PyTorch's terms.

A ``Node`` stands for the ``Function`` that made a tensor; ``next_functions`` lists, for each
input, the node its gradient goes to next: the input's own node, an ``AccumulateGrad`` for a leaf
that requires grad, or None.
"""

from __future__ import annotations

from typing import Any


class Node:
    """The backward node of one recorded Function (``MulBackward0`` for ``Mul``)."""

    __slots__ = ("function",)

    def __init__(self, function: Any) -> None:
        self.function = function

    def name(self) -> str:
        """The node's name, PyTorch-style: the op's class name followed by ``Backward0``."""
        return f"{type(self.function).__name__}Backward0"

    @property
    def next_functions(self) -> tuple[tuple[Node | AccumulateGrad | None, int], ...]:
        """``(node, output_index)`` for each input of the op, where its gradient flows next."""
        inputs = self.function.inputs
        if inputs is None:
            return ()
        return tuple([_next_of(x) for x in inputs])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other.function is self.function

    def __hash__(self) -> int:
        return hash(id(self.function))

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self.function):#x}>"


class AccumulateGrad:
    """The node that accumulates a gradient into a leaf's ``.grad`` (``variable`` is the leaf)."""

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    def name(self) -> str:
        """``AccumulateGrad``, as in PyTorch."""
        return "AccumulateGrad"

    @property
    def next_functions(self) -> tuple[()]:
        """A leaf's node has no successors."""
        return ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return hash(id(self.variable))

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self.variable):#x}>"


def _next_of(x: Any) -> tuple[Node | AccumulateGrad | None, int]:
    if x.creator is not None:
        return Node(x.creator), x.output_index
    return (AccumulateGrad(x) if x._requires_grad else None), 0
