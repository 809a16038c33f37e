"""The backward pass: one iterative walk of the graph in reverse topological order.

The graph is sorted once by an iterative depth-first search (no recursion limit, linear time);
each Function's ``backward`` then runs exactly once, after every consumer of its outputs has
contributed to their gradients. This is also the one place where a gradient is reduced back to
the shape of its input when the forward op broadcast it (``broadcast.SumTo``).

Where the gradients go is the destination's business: ``accumulate.GradAccumulator`` adds them to
``leaf.grad`` (``Tensor.backward``, ``run_backward`` here); ``tape`` collects the gradients of
chosen sources for ``GradientTape.gradient``. Both call ``walk``.

Gradients travel as raw arrays, so that a backward step costs little more than its NumPy calls;
with ``create_graph=True`` they travel as Tensors and the backward pass is itself recorded (see
``scratchnet.autograd.function``).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any, Protocol

from scratchnet.autograd import profiler, version
from scratchnet.autograd.accumulate import GradAccumulator
from scratchnet.autograd.broadcast import SumTo
from scratchnet.autograd.config import Config, enable_grad, no_grad, using_config
from scratchnet.autograd.function import Function
from scratchnet.autograd.hooks import HookedLeaves, LeafGradients, run_output_hooks
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp

# Called at the end of every backward pass that fills ``.grad`` with the ids of the leaves that
# received a gradient (DistributedDataParallel averages its gradients there); keyed by handle id.
backward_end_hooks: dict[int, Callable[[set[int]], None]] = {}


class Destination(Protocol):
    """Where a backward pass hands gradients: ``deliver(x, grad)`` for every leaf, and for every
    tensor whose id is in ``watched`` (None: leaves only, every Function runs)."""

    watched: set[int] | None

    def deliver(self, x: Tensor, grad: Any) -> None:
        """Take the gradient ``grad`` of ``x``."""


def _topological_order(root: Function) -> list[Function]:
    """Every Function that ``root`` depends on, each before the Functions it depends on.

    A Function is always recorded after the Functions that made its inputs, so sorting the graph
    by recording order (newest first) is a topological order: one walk to collect the graph, then
    one sort (as PyTorch orders its backward by sequence number)."""
    functions = {root}
    stack = [root]
    while stack:
        for x in _inputs_of(stack.pop()):
            creator = x.creator
            if creator is not None and creator not in functions:
                functions.add(creator)
                stack.append(creator)
    return sorted(functions, key=_sequence_of, reverse=True)


_sequence_of = operator.attrgetter("sequence")


def _inputs_of(function: Function) -> tuple[Tensor, ...]:
    if function.inputs is None:
        raise RuntimeError(
            "trying to backward through the graph a second time: its buffers were freed after the "
            "first backward. Pass retain_graph=True to the first backward to keep them.")
    return function.inputs


def _reaching(order: list[Function], source_ids: set[int]) -> set[Function]:
    """The Functions with a path to one of the sources (the only ones worth running)."""
    reaching: set[Function] = set()
    for function in reversed(order):
        for x in function.inputs:
            if id(x) in source_ids or (x.creator is not None and x.creator in reaching):
                reaching.add(function)
                break
    return reaching


def _fit(grad: Any, x: Tensor) -> Any:
    """``grad`` with the shape (summing broadcast axes) and dtype of the input ``x``; in array mode
    also a plain ndarray (a NumPy scalar or a Tensor from a user's backward becomes one)."""
    if grad.__class__ is not xp.ndarray and not Config.grad_enabled:
        grad = grad.array if isinstance(grad, Tensor) else xp.asarray(grad)
    if grad.shape != x.array.shape:
        grad = SumTo(x.array.shape)(grad)  # the one place that reduces a broadcast gradient
    if grad.dtype != x.array.dtype:
        grad = grad.astype(x.array.dtype)
    return grad


def initial_grad(root: Tensor, grad: Any) -> Tensor:
    """The gradient a backward pass starts from: ``grad`` as a Tensor of ``root``'s shape, or
    ones for a one-element ``root`` when ``grad`` is None."""
    if grad is None:
        if root.array.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a tensor with one element, got shape "
                f"{root.shape}: pass grad= with the same shape (e.g. sn.ones_like(y))")
        return Tensor.wrap(xp.ones(root.shape, dtype=root.dtype))
    grad = grad if isinstance(grad, Tensor) else Tensor(xp.asarray(grad, dtype=root.dtype))
    if grad.shape != root.shape:
        raise ValueError(f"backward: grad has shape {grad.shape} but the tensor has shape {root.shape}")
    return grad


def run_backward(root: Tensor, grad: Any = None, *, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
    """Accumulate the gradients of ``root`` into ``leaf.grad`` for every leaf that requires grad
    (``Tensor.backward``), then call the ``backward_end_hooks``."""
    root._check_can_backward()
    seed = initial_grad(root, grad)
    accumulator = GradAccumulator(create_graph, None if grad is None else seed)
    walk(root, seed, accumulator, retain_graph=retain_graph, create_graph=create_graph)
    for hook in list(backward_end_hooks.values()):
        hook(accumulator.delivered)


def walk(root: Tensor, seed_tensor: Tensor, destination: Destination, *, retain_graph: bool,
         create_graph: bool) -> None:
    """Propagate ``seed_tensor`` (the gradient of ``root``) back through the graph, handing each
    leaf's gradient to ``destination.deliver(leaf, grad)``. When ``destination.watched`` is a set
    of tensor ids, the gradients of those tensors are delivered too (intermediate ones included)
    and only the Functions with a path to one of them run."""
    seed = seed_tensor if create_graph else seed_tensor.array
    watched = destination.watched
    order = [] if root.creator is None else _topological_order(root.creator)
    if watched is None and LeafGradients.needed():  # some leaf has hooks (Tensor.register_hook)
        destination = HookedLeaves(destination, order, root)
    if root.creator is None or (watched is not None and id(root) in watched):
        destination.deliver(root, seed)
        if root.creator is None:
            return
    version.check_unmodified(order)
    relevant = None if watched is None else _reaching(order, watched)
    pending: dict[Function, list[Any]] = {root.creator: [None] * len(root.creator.outputs)}
    pending[root.creator][root.output_index] = seed
    with enable_grad() if create_graph else no_grad():
        _propagate(order, pending, relevant, destination)
        if isinstance(destination, HookedLeaves):
            destination.flush()
    if not retain_graph:
        for function in order:
            function.release()


def _propagate(order: list[Function], pending: dict[Function, list[Any]], relevant: set[Function] | None,
               destination: Destination) -> None:
    """Run each Function's backward in ``order`` on the gradients of its outputs gathered in
    ``pending``, and pass each input's gradient on: into ``pending`` for its creator, or to the
    destination for a leaf (and for a watched intermediate). Functions outside ``relevant`` (when
    given) are skipped."""
    watched, profile = destination.watched, profiler.recording()
    plain = not Config.detect_anomaly and profile is None
    for function in order:
        output_grads = pending.pop(function, None)
        if output_grads is None or (relevant is not None and function not in relevant):
            continue
        if function.tensor_hooks is not None:  # Tensor.register_hook / retain_grad on an output
            output_grads = run_output_hooks(function, output_grads)
        if len(output_grads) == 1 and plain:  # the common case, kept cheap
            input_grads = function.backward(output_grads[0])
        elif profile is None:
            input_grads = _call_backward(function, output_grads)
        else:  # timed, for the profile's table
            step = functools.partial(_call_backward, function, output_grads)
            input_grads = profile.timed_backward(function, step)
        if input_grads.__class__ is not tuple:
            input_grads = (input_grads,)
        for x, g, needed in zip(function.inputs, input_grads, function.needs_input_grad):
            if not needed or g is None:
                continue
            if g.__class__ is not xp.ndarray or g.shape != x.array.shape or g.dtype != x.array.dtype:
                g = _fit(g, x)
            creator = x.creator
            if creator is None:
                destination.deliver(x, g)
                continue
            if watched is not None and id(x) in watched:
                destination.deliver(x, g)
            slots = pending.get(creator)
            if slots is None:
                slots = pending[creator] = [None] * len(creator.outputs)
            current = slots[x.output_index]
            slots[x.output_index] = g if current is None else current + g


def _call_backward(function: Function, output_grads: list[Any]) -> Any:
    """Run the backward of a Function with several outputs (those that received no gradient get
    zeros), or under anomaly detection."""
    if len(output_grads) > 1 and any(g is None for g in output_grads):
        output_grads = [_zeros(shape, dtype) if g is None else g
                        for g, (shape, dtype) in zip(output_grads, function.output_meta)]
    if Config.detect_anomaly:
        return _checked_backward(function, output_grads)
    return function.backward(*output_grads)


def _zeros(shape: tuple[int, ...], dtype: xp.dtype) -> Any:
    """A zero gradient, as an array or (when the backward pass is recorded) a Tensor."""
    zeros = xp.zeros(shape, dtype)
    return Tensor.wrap(zeros) if Config.grad_enabled else zeros


def _checked_backward(function: Function, output_grads: list[Any]) -> Any:
    """``function.backward`` under anomaly detection: a NaN or infinity in a gradient is blamed on
    ``function`` (not on the ops its backward is written with), as PyTorch names ``SqrtBackward0``."""
    with using_config("detect_anomaly", False):
        input_grads = function.backward(*output_grads)
    grads = input_grads if input_grads.__class__ is tuple else (input_grads,)
    function._check_finite(tuple(g.array if isinstance(g, Tensor) else g for g in grads), "backward")
    return input_grads
