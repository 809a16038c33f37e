"""``model.summary()`` in Keras 2's text format::

    Model: "sequential"
    _________________________________________________________________
     Layer (type)                Output Shape              Param #
    =================================================================
     dense (Dense)               (None, 2)                 10
    =================================================================
    Total params: 10
    Trainable params: 10
    Non-trainable params: 0
    _________________________________________________________________

Parameter counts include non-trainable variables (batch norm's moving statistics), as Keras.
A model whose layers form a graph (merge layers) gets a fourth column, "Connected to", with the
inputs of each layer as Keras 3 writes them (``dense[0][0]``: the first call of layer ``dense``,
its one output; ``-`` for the input layer), one per line, and Keras's graph-model line length
(98) and column positions (0.33, 0.55, 0.67, 1.0)::

     Layer (type)                   Output Shape         Param #     Connected to
    ==================================================================================================
     input (InputLayer)             (None, 8)            0           -
     dense (Dense)                  (None, 8)            72          input[0][0]
     add (Add)                      (None, 8)            0           input[0][0],
                                                                     dense[0][0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def format_shape(shape: Any) -> str:
    """``(None, 28, 28, 10)``; a list of shapes as Keras prints it (``[(None, 784)]``)."""
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    if shape is None:
        return "?"
    dims = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _row(fields: list[str], positions: list[int]) -> list[str]:
    """The printed lines of one table row: each field in its column (a leading space, two spaces
    between columns), wrapped onto further lines when it is too long, as Keras does."""
    remaining = list(fields)
    lines = []
    while any(remaining):
        line = ""
        for column, text in enumerate(remaining):
            start = positions[column - 1] if column else 0
            space = 2 if column != len(positions) - 1 else 0
            width = positions[column] - start - space - (1 if column != len(positions) - 1 else 0)
            line += (" " if column == 0 else "") + text[:width]
            remaining[column] = text[width:]
            line += " " * (positions[column] - len(line))
        lines.append(line.rstrip())
    return lines


def _connected_rows(fields: list[str], inputs: list[str], positions: list[int]) -> list[str]:
    """A graph model's row: the fields and the first input, then a line for each further input
    (every input but the last followed by a comma); ``-`` when there is none."""
    inputs = [f"{source}," for source in inputs[:-1]] + inputs[-1:] or ["-"]
    lines = _row([*fields, inputs[0]], positions)
    for source in inputs[1:]:
        lines += _row(["", "", "", source], positions)
    return lines


def print_summary(model: Any, rows: list[tuple[str, str, int]], trainable: int, total: int,
                  line_length: int | None = None, positions: list[float] | None = None,
                  print_fn: Callable[[str], Any] | None = None,
                  connections: list[list[str]] | None = None) -> None:
    """Print the table of ``rows`` = (``"name (Type)"``, output shape text, parameter count), with
    the "Connected to" column when ``connections`` (one list of inputs per row) is given."""
    print_fn = print_fn or print
    graph = connections is not None
    line_length = line_length or (98 if graph else 65)
    positions = positions or ([0.33, 0.55, 0.67, 1.0] if graph else [0.45, 0.85, 1.0])
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if graph else [])
    for line in _row(header, positions):
        print_fn(line)
    print_fn("=" * line_length)
    for index, (name, shape, count) in enumerate(rows):
        fields = [name, shape, f"{count:,}"]
        lines = _connected_rows(fields, connections[index], positions) if graph else _row(fields, positions)
        for line in lines:
            print_fn(line)
    print_fn("=" * line_length)
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    print_fn("_" * line_length)
