"""Version counters: how backward notices a tensor that an in-place op changed after the graph
recorded it.

Every in-place op calls ``mark_modified``: it bumps the tensor's count (PyTorch's ``_version``)
and stamps it with the next number of the recording order that also numbers the Functions. A
Function recorded before the stamp saw the old values; if it is one of the Functions that a
backward pass runs and the tensor is one of its inputs, or one of its outputs changed without
being recorded, the gradient would be computed from the new values, so backward raises PyTorch's
error instead. The check costs one comparison per backward pass unless an in-place op ran since
the oldest Function of the graph was recorded.
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd import function
from scratchnet.autograd.node import Node
from scratchnet.autograd.tensor import Tensor

last_stamp = -1
"""The stamp of the most recent in-place op (-1 before the first)."""


def mark_modified(tensor: Tensor) -> None:
    """Record that ``tensor``'s values were changed in place."""
    global last_stamp
    last_stamp = next(function._recording_order)
    tensor._inplace_count = tensor._version + 1
    tensor._inplace_stamp = last_stamp


def check_unmodified(order: list[Any]) -> None:
    """Raise if a tensor that a Function in ``order`` (newest first) recorded has been changed in
    place since; a no-op when no in-place op ran after the oldest one was recorded."""
    if not order or last_stamp < order[-1].sequence:
        return
    for recorded in order:
        for role, tensors in (("an input", recorded.inputs),
                              ("an output", [ref() for ref in recorded.outputs])):
            for tensor in tensors:
                if tensor is not None and getattr(tensor, "_inplace_stamp", -1) > recorded.sequence:
                    _raise_modified(tensor, role, recorded)


def _raise_modified(tensor: Tensor, role: str, recorded: Any) -> None:
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{tensor.dtype} tensor of shape {tuple(tensor.shape)}], which is {role} of "
        f"{Node(recorded).name()}, is at version {tensor._version}; it was changed after the op "
        "used it. Hint: make a copy (x = x.clone()) before modifying it, or modify it out of place "
        "(x = x + 1 instead of x += 1).")
