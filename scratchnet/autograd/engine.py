"""The backward pass: one iterative walk of the graph in reverse topological order.

The graph is sorted once by an iterative depth-first search (no recursion limit, linear time);
each Function's ``backward`` then runs exactly once, after every consumer of its outputs has
contributed to their gradients. This is also the one place where a gradient is reduced back to
the shape of its input when the forward op broadcast it.
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.config import Config, enable_grad, no_grad, using_config
from scratchnet.autograd.function import Function
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp


def _topological_order(root: Function) -> list[Function]:
    """Every Function that ``root`` depends on, each before the Functions it depends on."""
    postorder: list[Function] = []
    visited = {root}
    stack = [(root, iter(_inputs_of(root)))]
    while stack:
        function, pending_inputs = stack[-1]
        for x in pending_inputs:
            creator = x.creator
            if creator is not None and creator not in visited:
                visited.add(creator)
                stack.append((creator, iter(_inputs_of(creator))))
                break
        else:
            stack.pop()
            postorder.append(function)
    postorder.reverse()
    return postorder


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


def sum_to_shape(grad: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Reduce a broadcast gradient back to ``shape`` by summing the broadcast axes."""
    from scratchnet.ops.shape import sum_to

    return sum_to(grad, shape)


def _fit(grad: Tensor, x: Tensor) -> Tensor:
    """``grad`` with the shape (summing broadcast axes) and dtype of the input ``x``."""
    if grad.array.shape != x.array.shape:
        grad = sum_to_shape(grad, x.array.shape)
    if grad.array.dtype != x.array.dtype:
        grad = grad.astype(x.array.dtype)
    return grad


def _add_arrays(current: Tensor | None, grad: Tensor) -> Tensor:
    """Sum of two gradients, unrecorded (a new array: gradients are never changed in place)."""
    return grad if current is None else Tensor.wrap(current.array + grad.array)


def _add_recorded(current: Tensor | None, grad: Tensor) -> Tensor:
    """Sum of two gradients, recorded in the graph (``create_graph=True``)."""
    return grad if current is None else current + grad


def _initial_grad(root: Tensor, grad: Any) -> Tensor:
    if grad is None:
        if root.size != 1:
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
    seed = _initial_grad(root, grad)
    walk = _Walk(sources, create_graph, None if grad is None else seed)
    if root.creator is None:
        walk.deliver(root, seed)
        return walk.result(sources)

    order = _topological_order(root.creator)
    relevant = None if sources is None else _reaching(order, walk.source_ids)
    if sources is not None:
        walk.found_intermediate(root, seed)
    pending: dict[Function, list[Tensor | None]] = {root.creator: [None] * len(root.creator.outputs)}
    pending[root.creator][root.output_index] = seed
    with enable_grad() if create_graph else no_grad():
        for function in order:
            output_grads = pending.pop(function, None)
            if output_grads is None or (relevant is not None and function not in relevant):
                continue
            for x, g in _input_grads(function, output_grads):
                creator = x.creator
                if creator is None:
                    walk.deliver(x, g)
                    continue
                if walk.source_ids is not None:
                    walk.found_intermediate(x, g)
                slots = pending.get(creator)
                if slots is None:
                    slots = pending[creator] = [None] * len(creator.outputs)
                slots[x.output_index] = walk.add(slots[x.output_index], g)
    if not retain_graph:
        for function in order:
            function.release()
    return walk.result(sources)


def _input_grads(function: Function, output_grads: list[Tensor | None]) -> list[tuple[Tensor, Tensor]]:
    """Run one Function's backward: (input, gradient fitted to the input) for each input that
    needs one. Outputs that received no gradient get zeros."""
    if len(output_grads) > 1 and any(g is None for g in output_grads):
        output_grads = [Tensor.wrap(xp.zeros(shape, dtype)) if g is None else g
                        for g, (shape, dtype) in zip(output_grads, function.output_meta)]
    if Config.detect_anomaly:
        input_grads = _checked_backward(function, output_grads)
    else:
        input_grads = function.backward(*output_grads)
    if input_grads.__class__ is not tuple:
        input_grads = (input_grads,)
    return [(x, _fit(g, x)) for x, g, needed in zip(function.inputs, input_grads, function.needs_input_grad)
            if needed and g is not None]


def _checked_backward(function: Function, output_grads: list[Tensor]) -> Any:
    """``function.backward`` under anomaly detection: a NaN or infinity in a gradient is blamed on
    ``function`` (not on the ops its backward is written with), as PyTorch names ``SqrtBackward0``."""
    with using_config("detect_anomaly", False):
        input_grads = function.backward(*output_grads)
    grads = input_grads if input_grads.__class__ is tuple else (input_grads,)
    function._check_finite(tuple(None if g is None else g.array for g in grads), "backward")
    return input_grads


class _Walk:
    """Where gradients go during one backward pass: into ``leaf.grad`` (``Tensor.backward``) or,
    when ``sources`` are given, into a table returned to ``GradientTape.gradient``."""

    def __init__(self, sources: list[Tensor] | None, create_graph: bool, caller_grad: Tensor | None) -> None:
        self.source_ids = None if sources is None else {id(s) for s in sources}
        self.found: dict[int, Tensor] = {}
        self.create_graph = create_graph
        self.add = _add_recorded if create_graph else _add_arrays
        self.owned: set[int] = set()  # leaves whose .grad array was made in this pass
        self.taken: set[int] = set()  # arrays that became a .grad as they were (and the caller's grad=)
        if caller_grad is not None:
            self.taken.add(id(caller_grad.array))

    def deliver(self, leaf: Tensor, grad: Tensor) -> None:
        """Give a leaf its gradient: accumulated into ``.grad`` as PyTorch does, or into the table."""
        if self.source_ids is not None:
            if id(leaf) in self.source_ids:
                self.found[id(leaf)] = self.add(self.found.get(id(leaf)), grad)
        elif leaf._requires_grad:
            leaf.grad = _add_recorded(leaf.grad, grad) if self.create_graph else self._accumulate(leaf, grad)

    def _accumulate(self, leaf: Tensor, grad: Tensor) -> Tensor:
        """``leaf.grad + grad`` unrecorded, never writing into an array that anything else may hold.

        A first gradient that this pass computed afresh (a writeable array owning its memory, given
        to no other leaf) becomes ``.grad`` as it is, without a copy, as PyTorch steals a gradient
        nothing else refers to; it is never written to afterwards. Any other first gradient (a
        read-only broadcast view, a view of another array, the caller's ``grad=``) is copied. Later
        contributions go into a new array that this pass then owns and adds into in place."""
        array = grad.array
        if id(leaf) in self.owned:
            leaf.grad.array += array
            return leaf.grad
        if leaf.grad is None and array.base is None and array.flags.writeable and id(array) not in self.taken:
            self.taken.add(id(array))
            return Tensor.wrap(array)
        self.owned.add(id(leaf))
        return Tensor.wrap(array.copy() if leaf.grad is None else leaf.grad.array + array)

    def found_intermediate(self, x: Tensor, grad: Tensor) -> None:
        """Record the gradient of a non-leaf tensor that is one of the sources (tape only)."""
        if id(x) in self.source_ids:
            self.found[id(x)] = self.add(self.found.get(id(x)), grad)

    def result(self, sources: list[Tensor] | None) -> list[Tensor | None] | None:
        return None if sources is None else [self.found.get(id(s)) for s in sources]
