"""The backward pass: one iterative walk of the graph in reverse topological order.

The graph is sorted once by an iterative depth-first search (no recursion limit, linear time);
each Function's ``backward`` then runs exactly once, after every consumer of its outputs has
contributed to their gradients. This is also the one place where a gradient is reduced back to
the shape of its input when the forward op broadcast it.

Gradients travel as raw arrays, so that a backward step costs little more than its NumPy calls;
with ``create_graph=True`` they travel as Tensors and the backward pass is itself recorded (see
``scratchnet.autograd.function``).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

from scratchnet.autograd import profiler, version
from scratchnet.autograd.config import Config, enable_grad, no_grad, using_config
from scratchnet.autograd.function import Function
from scratchnet.autograd.hooks import LeafGradients, run_output_hooks
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.ops.shape import SumTo

# Called at the end of every backward pass that fills ``.grad`` with the ids of the leaves that
# received a gradient (DistributedDataParallel averages its gradients there); keyed by handle id.
backward_end_hooks: dict[int, Callable[[set[int]], None]] = {}


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


def _initial_grad(root: Tensor, grad: Any) -> Tensor:
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
                 create_graph: bool = False, sources: list[Tensor] | None = None
                 ) -> list[Tensor | None] | None:
    """Propagate gradients from ``root`` to the leaves.

    Without ``sources`` the gradients are accumulated into ``leaf.grad`` (``Tensor.backward``).
    With ``sources`` nothing is written to ``.grad``: the gradient of each source is returned
    (``None`` for a source that ``root`` does not depend on), as ``GradientTape.gradient`` needs.
    """
    root._check_can_backward()
    seed_tensor = _initial_grad(root, grad)
    walk = _Walk(sources, create_graph, None if grad is None else seed_tensor)
    seed = seed_tensor if create_graph else seed_tensor.array
    if root.creator is None:
        walk.hold_hooked_leaves([], root)
        walk.deliver(root, seed)
        return walk.result(sources)

    order = _topological_order(root.creator)
    walk.hold_hooked_leaves(order, root)
    version.check_unmodified(order)
    relevant = None if sources is None else _reaching(order, walk.source_ids)
    if sources is not None:
        walk.found_intermediate(root, seed)
    pending: dict[Function, list[Any]] = {root.creator: [None] * len(root.creator.outputs)}
    pending[root.creator][root.output_index] = seed
    with enable_grad() if create_graph else no_grad():
        _propagate(order, pending, relevant, walk)
        walk.flush_hooked_leaves()
    if not retain_graph:
        for function in order:
            function.release()
    if sources is None:
        for hook in list(backward_end_hooks.values()):
            hook(walk.delivered)
    return walk.result(sources)


def _propagate(order: list[Function], pending: dict[Function, list[Any]], relevant: set[Function] | None,
               walk: _Walk) -> None:
    """Run each Function's backward in ``order`` on the gradients of its outputs gathered in
    ``pending``, and pass each input's gradient on: into ``pending`` for its creator, or to the walk
    for a leaf. Functions outside ``relevant`` (when given) are skipped."""
    tape_sources, profile = walk.source_ids, profiler.recording()
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
                walk.deliver(x, g)
                continue
            if tape_sources is not None:
                walk.found_intermediate(x, g)
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


class _Walk:
    """Where gradients go during one backward pass: into ``leaf.grad`` (``Tensor.backward``) or,
    when ``sources`` are given, into a table returned to ``GradientTape.gradient``."""

    def __init__(self, sources: list[Tensor] | None, create_graph: bool, caller_grad: Tensor | None) -> None:
        self.source_ids = None if sources is None else {id(s) for s in sources}
        self.found: dict[int, Any] = {}
        self.create_graph = create_graph
        self.owned: set[int] = set()  # leaves whose .grad array was made in this pass
        self.taken: set[int] = set()  # arrays that became a .grad as they were (and the caller's grad=)
        self.delivered: set[int] = set()  # leaves given a gradient in this pass
        if caller_grad is not None:
            self.taken.add(id(caller_grad.array))
        self.leaf_gradients: LeafGradients | None = None

    def hold_hooked_leaves(self, order: list[Function], root: Tensor) -> None:
        """When some leaf has gradient hooks (``Tensor.register_hook``), hold its contributions
        until the last one, so that its hooks run once on the total (``backward()`` only)."""
        if self.source_ids is None and LeafGradients.needed():
            self.leaf_gradients = LeafGradients(order, root)

    def flush_hooked_leaves(self) -> None:
        """Deliver what is still held for hooked leaves at the end of the pass."""
        if self.leaf_gradients is not None:
            for leaf, grad in self.leaf_gradients.flush():
                self._deliver(leaf, grad)

    def deliver(self, leaf: Tensor, grad: Any) -> None:
        """Give a leaf its gradient: accumulated into ``.grad`` as PyTorch does, or into the table
        (after its hooks, once its last contribution has come, when it has any)."""
        if self.leaf_gradients is not None:
            grad = self.leaf_gradients.add(leaf, grad)
            if grad is None:
                return
        self._deliver(leaf, grad)

    def _deliver(self, leaf: Tensor, grad: Any) -> None:
        if self.source_ids is not None:
            if id(leaf) in self.source_ids:
                self._add_found(leaf, grad)
        elif leaf._requires_grad:
            self.delivered.add(id(leaf))
            if self.create_graph:
                leaf.grad = grad if leaf.grad is None else leaf.grad + grad
            else:
                leaf.grad = self._accumulate(leaf, grad)

    def _accumulate(self, leaf: Tensor, array: xp.ndarray) -> Tensor:
        """``leaf.grad + array`` unrecorded, never writing into an array that anything else may hold.

        A first gradient that this pass computed afresh (a writeable array owning its memory, given
        to no other leaf) becomes ``.grad`` as it is, without a copy, as PyTorch steals a gradient
        nothing else refers to; it is never written to afterwards. Any other first gradient (a
        read-only broadcast view, a view of another array, the caller's ``grad=``) is copied. Later
        contributions go into a new array that this pass then owns and adds into in place."""
        if id(leaf) in self.owned:
            leaf.grad.array += array
            return leaf.grad
        if leaf.grad is None and array.base is None and array.flags.writeable and id(array) not in self.taken:
            self.taken.add(id(array))
            return Tensor.wrap(array)
        self.owned.add(id(leaf))
        return Tensor.wrap(array.copy() if leaf.grad is None else leaf.grad.array + array)

    def _add_found(self, x: Tensor, grad: Any) -> None:
        current = self.found.get(id(x))
        self.found[id(x)] = grad if current is None else current + grad

    def found_intermediate(self, x: Tensor, grad: Any) -> None:
        """Record the gradient of a non-leaf tensor that is one of the sources (tape only)."""
        if id(x) in self.source_ids:
            self._add_found(x, grad)

    def result(self, sources: list[Tensor] | None) -> list[Tensor | None] | None:
        """The gradient of each source as a Tensor (``None`` where the target does not depend on it)."""
        if sources is None:
            return None
        grads = [self.found.get(id(s)) for s in sources]
        return [g if g is None or isinstance(g, Tensor) else Tensor.wrap(g) for g in grads]
