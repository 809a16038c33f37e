"""Recording the ops of a forward pass: which Function ran, on which Tensors, giving which Tensors.

>>> from scratchnet.autograd.trace import record_calls
>>> model = sn.nn.Sequential(sn.nn.Conv2d(1, 2, 3), sn.nn.ReLU(), sn.nn.MaxPool2d(2), sn.nn.Flatten(),
...                          sn.nn.Linear(2, 3))
>>> with record_calls() as calls:
...     y = model(sn.randn(1, 1, 4, 4))
>>> [type(call.op).__name__ for call in calls]
['Conv2d', 'ReLU', 'MaxPool2d', 'Reshape', 'Linear']

This is the hook an exporter (``scratchnet.onnx``) builds a graph from, as onnx-chainer did: every
Function called on Tensors inside the ``with`` block is appended, in call order, as a ``Call``
holding the Function object itself (with its settings: stride, axis, ...), its input Tensors
and its output Tensors, whether or not grad mode is on. Calls made on raw arrays (the steps of a
backward pass) are not recorded. Nothing else changes: the forward results are those of an
unrecorded run.

Ops cost nothing extra outside the block: as the profiler does, the recorder swaps a recording
``Function.__call__`` in for the duration of the block. ``pause()`` stops recording for a nested
stretch (an exporter that records a whole layer as one op pauses inside it) and ``add`` appends a
call made by something other than a Function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from scratchnet.autograd.function import Function
from scratchnet.autograd.tensor import Tensor


@dataclass
class Call:
    """One recorded op: ``op`` (a Function, or what ``record_calls.add`` was given) applied to the
    Tensors ``inputs`` gave the Tensors ``outputs``."""

    op: Any
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]


class record_calls:
    """A context manager that records every Function called on Tensors inside its block; iterating
    over it (or ``calls``) gives the ``Call``s in order. Recorders do not nest."""

    _active = False

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._paused = 0
        self._plain_call: Callable[..., Any] = Function.__call__

    def __enter__(self) -> record_calls:
        if record_calls._active:
            raise RuntimeError("a record_calls block is already recording: recorders do not nest")
        record_calls._active = True
        self._plain_call = Function.__call__

        def recording_call(function: Function, *inputs: Any) -> Any:
            return self._record(function, inputs)

        Function.__call__ = recording_call  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc_info: object) -> None:
        Function.__call__ = self._plain_call  # type: ignore[method-assign]
        record_calls._active = False

    def __iter__(self) -> Iterator[Call]:
        return iter(self.calls)

    def _record(self, function: Function, inputs: tuple[Any, ...]) -> Any:
        result = self._plain_call(function, *inputs)
        if not self._paused and isinstance(inputs[0], Tensor):
            outputs = result if isinstance(result, tuple) else (result,)
            self.calls.append(Call(function, tuple(inputs), outputs))
        return result

    def pause(self) -> None:
        """Stop recording until the matching ``resume`` (pauses nest)."""
        self._paused += 1

    def resume(self) -> None:
        """Undo one ``pause``."""
        self._paused -= 1

    def add(self, op: Any, inputs: tuple[Tensor, ...], outputs: tuple[Tensor, ...]) -> None:
        """Append a call made by something other than a Function (a layer recorded whole)."""
        self.calls.append(Call(op, inputs, outputs))
