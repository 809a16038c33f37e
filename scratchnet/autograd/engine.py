"""The backward pass: one iterative walk of the graph in reverse topological order.

The graph is sorted once by an iterative depth-first search (no recursion limit, linear time);
each Function's ``backward`` then runs exactly once, after every consumer of its outputs has
contributed to their gradients. This is also the one place where a gradient is reduced back to
the shape of its input when the forward op broadcast it.
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.config import Config, using_config
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


def _accumulate(current: Tensor | None, grad: Tensor) -> Tensor:
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
    source_ids = None if sources is None else {id(s) for s in sources}
    found: dict[int, Tensor] = {}
    if root.creator is None:
        _deliver(root, seed, source_ids, found)
        return None if sources is None else [found.get(id(s)) for s in sources]

    order = _topological_order(root.creator)
    relevant = None if source_ids is None else _reaching(order, source_ids)
    if source_ids is not None and id(root) in source_ids:
        found[id(root)] = seed
    pending: dict[Function, list[Tensor | None]] = {root.creator: [None] * len(root.creator.outputs)}
    pending[root.creator][root.output_index] = seed
    with using_config("grad_enabled", create_graph):
        for function in order:
            output_grads = pending.pop(function, None)
            if output_grads is None or (relevant is not None and function not in relevant):
                continue
            _backward_one(function, output_grads, pending, source_ids, found)
    if not retain_graph:
        for function in order:
            function.release()
    return None if sources is None else [found.get(id(s)) for s in sources]


def _backward_one(function: Function, output_grads: list[Tensor | None],
                  pending: dict[Function, list[Tensor | None]], source_ids: set[int] | None,
                  found: dict[int, Tensor]) -> None:
    """Run one Function's backward and hand each input gradient on."""
    for index, g in enumerate(output_grads):
        if g is None:
            shape, dtype = function.output_meta[index]
            output_grads[index] = Tensor.wrap(xp.zeros(shape, dtype=dtype))
    input_grads = function.backward(*output_grads)
    if not isinstance(input_grads, tuple):
        input_grads = (input_grads,)
    if Config.detect_anomaly:
        function._check_finite(tuple(None if g is None else g.array for g in input_grads), "backward")
    for x, g, needed in zip(function.inputs, input_grads, function.needs_input_grad):
        if g is None or not needed:
            continue
        if g.shape != x.shape:
            g = sum_to_shape(g, x.shape)
        if g.dtype != x.dtype:
            g = g.astype(x.dtype)
        creator = x.creator
        if creator is None:
            _deliver(x, g, source_ids, found)
            continue
        if source_ids is not None and id(x) in source_ids:
            found[id(x)] = _accumulate(found.get(id(x)), g)
        slots = pending.get(creator)
        if slots is None:
            slots = pending[creator] = [None] * len(creator.outputs)
        slots[x.output_index] = _accumulate(slots[x.output_index], g)


def _deliver(leaf: Tensor, grad: Tensor, source_ids: set[int] | None, found: dict[int, Tensor]) -> None:
    """Give a leaf its gradient: into ``.grad`` for backward(), into ``found`` for a tape."""
    if source_ids is None:
        if leaf._requires_grad:
            leaf.grad = grad if leaf.grad is None else leaf.grad + grad
    elif id(leaf) in source_ids:
        found[id(leaf)] = _accumulate(found.get(id(leaf)), grad)
