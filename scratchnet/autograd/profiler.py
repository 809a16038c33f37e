"""Where the time of a step goes: every op's forward and backward, timed and summed per op.

>>> from scratchnet.autograd.profiler import profile
>>> from scratchnet.training import train_step
>>> model = sn.nn.Linear(4, 2)
>>> optimizer = sn.optim.SGD(model.parameters(), lr=0.1)
>>> x, y = sn.randn(8, 4), sn.tensor([0, 1] * 4)
>>> with profile() as prof:
...     loss, outputs = train_step(model, sn.nn.functional.cross_entropy, optimizer, x, y)
>>> [(ops.label, ops.calls) for ops in prof.totals(sort_by=None)]
[('Linear', 1), ('SoftmaxCrossEntropy', 1)]
>>> print(prof.table())   # milliseconds vary
op                         calls   forward ms  backward ms     total ms        share
...
total ...

As ``torch.autograd.profiler.profile``: inside the ``with`` block each Function's forward (called
on Tensors) and each backward step of the engine are timed by the wall clock and summed per op,
or per op and input shapes with ``record_shapes=True`` (to tell the layers of a network apart).

Times are exclusive: what a backward formula runs (its reshapes, or with ``create_graph=True``
the ops it records) counts in that backward, not as ops of its own. What is not an op (the
optimiser's update, the engine's bookkeeping, data loading) is in no row: the step's wall time
minus the table's total is that part.

Ops cost nothing extra outside a profile: the profile swaps a timed ``Function.__call__`` in for
the duration of the block, and the engine asks once per backward pass whether one is recording.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scratchnet.autograd.function import Function
from scratchnet.autograd.tensor import Tensor

_clock = time.perf_counter
_recording: profile | None = None

Shapes = tuple[tuple[int, ...], ...]


def recording() -> profile | None:
    """The profile now recording, if any."""
    return _recording


@dataclass
class OpTimes:
    """The time spent in one op (or in one op at one set of input shapes): ``calls`` forwards
    taking ``forward_seconds`` in all, ``backward_calls`` backward steps taking ``backward_seconds``."""

    name: str
    input_shapes: Shapes | None = None
    calls: int = 0
    forward_seconds: float = 0.0
    backward_calls: int = 0
    backward_seconds: float = 0.0

    @property
    def total_seconds(self) -> float:
        """Forward plus backward time."""
        return self.forward_seconds + self.backward_seconds

    @property
    def label(self) -> str:
        """The op's name, followed by its input shapes when they were recorded."""
        if self.input_shapes is None:
            return self.name
        return f"{self.name} " + " ".join(str(shape) for shape in self.input_shapes)


class profile:
    """Record the forward and backward time of every op run inside a ``with`` block (profiles do
    not nest); ``totals()`` and ``table()`` report them."""

    def __init__(self, record_shapes: bool = False) -> None:
        self.record_shapes = record_shapes
        self._ops: dict[Any, OpTimes] = {}
        self._backward_depth = 0
        self._plain_call: Callable[..., Any] = Function.__call__  # the untimed call, set again on entry

    def __enter__(self) -> profile:
        global _recording
        if _recording is not None:
            raise RuntimeError("a profile is already recording: profiles do not nest")
        _recording = self
        self._plain_call = Function.__call__

        def timed_call(function: Function, *inputs: Any) -> Any:
            return self._forward(function, inputs)

        Function.__call__ = timed_call  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc_info: object) -> None:
        global _recording
        Function.__call__ = self._plain_call  # type: ignore[method-assign]
        _recording = None

    def _forward(self, function: Function, inputs: tuple[Any, ...]) -> Any:
        """Run ``function`` on ``inputs``, timed unless it is a step inside a backward."""
        if self._backward_depth or not isinstance(inputs[0], Tensor):
            return self._plain_call(function, *inputs)
        start = _clock()
        outputs = self._plain_call(function, *inputs)
        entry = self._entry(function, inputs)
        entry.calls += 1
        entry.forward_seconds += _clock() - start
        return outputs

    def timed_backward(self, function: Function, step: Callable[[], Any]) -> Any:
        """Run ``step()``, the engine's backward step of ``function``, timed; return its result."""
        self._backward_depth += 1
        start = _clock()
        try:
            return step()
        finally:
            self._backward_depth -= 1
            entry = self._entry(function, function.inputs or ())
            entry.backward_calls += 1
            entry.backward_seconds += _clock() - start

    def _entry(self, function: Function, inputs: tuple[Any, ...]) -> OpTimes:
        name = type(function).__name__
        shapes = tuple(tuple(x.shape) for x in inputs) if self.record_shapes else None
        key = (name, shapes)
        entry = self._ops.get(key)
        if entry is None:
            entry = self._ops[key] = OpTimes(name, shapes)
        return entry

    def totals(self, sort_by: str | None = "total") -> list[OpTimes]:
        """The time of each op (per input shapes with ``record_shapes``), largest first by
        ``sort_by`` ('total', 'forward' or 'backward'), or in the order the ops first ran (None)."""
        entries = list(self._ops.values())
        if sort_by is None:
            return entries
        if sort_by not in ("total", "forward", "backward"):
            raise ValueError(f"sort_by must be 'total', 'forward', 'backward' or None, got {sort_by!r}")
        return sorted(entries, key=lambda entry: -getattr(entry, f"{sort_by}_seconds"))

    def table(self, sort_by: str | None = "total", row_limit: int | None = None, steps: int = 1) -> str:
        """The totals (sorted as by ``totals``) as a text table in milliseconds and calls divided
        by ``steps``, the number of steps profiled, for figures per step; ``row_limit`` keeps the
        first rows. The last line is the total over all rows."""
        entries = self.totals(sort_by)
        forward = sum(entry.forward_seconds for entry in entries)
        backward = sum(entry.backward_seconds for entry in entries)
        overall = forward + backward
        rows = [(entry.label, f"{entry.calls / steps:g}", _ms(entry.forward_seconds / steps),
                 _ms(entry.backward_seconds / steps), _ms(entry.total_seconds / steps),
                 f"{100 * entry.total_seconds / (overall or 1.0):.1f}%") for entry in entries[:row_limit]]
        rows.append(("total", "", _ms(forward / steps), _ms(backward / steps), _ms(overall / steps), ""))
        header = ("op", "calls", "forward ms", "backward ms", "total ms", "share")
        width = max(len(header[0]), *(len(row[0]) for row in rows))
        lines = [f"{header[0]:<{width}} " + " ".join(f"{title:>12}" for title in header[1:])]
        lines += [f"{row[0]:<{width}} " + " ".join(f"{cell:>12}" for cell in row[1:]) for row in rows]
        return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.3f}"
