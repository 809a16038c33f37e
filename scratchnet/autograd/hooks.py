"""Gradient hooks on tensors, as PyTorch's ``Tensor.register_hook`` and ``Tensor.retain_grad``.

A hook ``fn(grad)`` runs once per backward pass with the whole gradient of its tensor (all
contributions summed); returning a tensor replaces that gradient for everything further down the
graph (and for ``.grad``). Hooks run in the order they were registered.

- On a non-leaf tensor the hooks live on the Function that made it (``creator.tensor_hooks``,
  keyed by output index), so they outlive the Python tensor as PyTorch's live on ``grad_fn``;
  the engine runs them just before that Function's backward, when its output gradients are
  complete. ``retain_grad()`` adds a last step that accumulates the gradient into ``.grad``.
- On a leaf the hooks are kept in a table by tensor; the engine holds the leaf's gradient
  contributions in a ``LeafGradients`` until the last one has arrived, then runs the hooks and
  accumulates the result into ``.grad``, as PyTorch's ``AccumulateGrad`` does.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp

_next_id = itertools.count()

_leaf_hooks: dict[int, tuple[weakref.ref, dict[int, Callable[[Tensor], Any]]]] = {}
"""The gradient hooks of leaf tensors, by ``id`` of the tensor (an entry dies with its tensor;
not a WeakKeyDictionary, which would compare tensors with their elementwise ``==``)."""


def leaf_hooks_of(tensor: Tensor) -> dict[int, Callable[[Tensor], Any]]:
    """The hooks registered on the leaf ``tensor`` (empty when none)."""
    entry = _leaf_hooks.get(id(tensor))
    return entry[1] if entry is not None and entry[0]() is tensor else {}


def _leaf_hooks_table(tensor: Tensor) -> dict[int, Callable[[Tensor], Any]]:
    key = id(tensor)
    entry = _leaf_hooks.get(key)
    if entry is None or entry[0]() is not tensor:
        entry = _leaf_hooks[key] = (weakref.ref(tensor, lambda ref: _forget(key, ref)), {})
    return entry[1]


def _forget(key: int, ref: weakref.ref) -> None:
    if key in _leaf_hooks and _leaf_hooks[key][0] is ref:
        del _leaf_hooks[key]


class RemovableHandle:
    """Returned by ``register_forward_hook``, ``register_full_backward_hook``,
    ``Tensor.register_hook``, ...: ``handle.remove()`` takes the hook out again (calling it twice
    is harmless). Also a context manager."""

    def __init__(self, hooks: dict[int, Any]) -> None:
        self.hooks = hooks
        self.id = next(_next_id)

    def remove(self) -> None:
        """Unregister the hook."""
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


class TensorHooks:
    """The hooks of one output of a Function, and whether its gradient is retained in ``.grad``."""

    def __init__(self) -> None:
        self.hooks: dict[int, Callable[[Tensor], Any]] = {}
        self.retain: weakref.ref | None = None

    def apply(self, grad: Any) -> Any:
        """``grad`` after every hook (each may replace it), kept in ``.grad`` when retained."""
        grad = apply_hooks(self.hooks, grad)
        tensor = None if self.retain is None else self.retain()
        if tensor is not None:
            accumulate_retained(tensor, grad)
        return grad


def register_hook(tensor: Tensor, hook: Callable[[Tensor], Any]) -> RemovableHandle:
    """Register ``hook(grad)`` on ``tensor`` (see ``Tensor.register_hook``)."""
    if not callable(hook):
        raise TypeError(f"register_hook expects a callable, got {type(hook).__name__}")
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor.creator is None:
        hooks = _leaf_hooks_table(tensor)
    else:
        hooks = _output_hooks(tensor).hooks
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def retain_grad(tensor: Tensor) -> None:
    """Keep the gradient of a non-leaf ``tensor`` in its ``.grad`` (a no-op on a leaf)."""
    if not tensor._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if tensor.creator is not None:
        _output_hooks(tensor).retain = weakref.ref(tensor)


def _output_hooks(tensor: Tensor) -> TensorHooks:
    function = tensor.creator
    if function.tensor_hooks is None:
        function.tensor_hooks = {}
    return function.tensor_hooks.setdefault(tensor.output_index, TensorHooks())


def run_output_hooks(function: Any, output_grads: list[Any]) -> list[Any]:
    """The gradients of ``function``'s outputs after the hooks registered on those outputs (the
    engine calls this just before ``function.backward``)."""
    output_grads = list(output_grads)
    for index, entry in function.tensor_hooks.items():
        if output_grads[index] is not None:
            output_grads[index] = entry.apply(output_grads[index])
    return output_grads


def apply_hooks(hooks: dict[int, Callable[[Tensor], Any]], grad: Any) -> Any:
    """``grad`` (an array, or a Tensor when the backward pass is recorded) after each hook; a hook
    sees a Tensor and may return a replacement of the same shape."""
    for hook in list(hooks.values()):
        result = hook(grad if isinstance(grad, Tensor) else Tensor.wrap(grad))
        if result is not None:
            grad = _replacement(result, grad, hook)
    return grad


def _replacement(result: Any, grad: Any, hook: Callable[..., Any]) -> Any:
    """A hook's returned gradient, in the mode (array or Tensor) and dtype of ``grad``."""
    recorded = isinstance(grad, Tensor)
    array = result.array if isinstance(result, Tensor) else xp.asarray(result)
    if array.shape != grad.shape:
        raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has changed the size of value: "
                           f"the gradient has shape {tuple(grad.shape)}, the hook returned {array.shape}")
    if array.dtype != grad.dtype:
        array = array.astype(grad.dtype)
    if recorded:
        return result if isinstance(result, Tensor) and result.array is array else Tensor.wrap(array)
    return array


def accumulate_retained(tensor: Tensor, grad: Any) -> None:
    """``tensor.grad += grad`` for a retained non-leaf gradient (a copy: the engine may reuse ``grad``)."""
    if isinstance(grad, Tensor):
        tensor.grad = grad if tensor.grad is None else tensor.grad + grad
    else:
        tensor.grad = Tensor.wrap(grad.copy() if tensor.grad is None else tensor.grad.array + grad)


class LeafGradients:
    """The gradient contributions of the hooked leaves of one backward pass, summed until the
    last one has arrived (then the hooks run once on the total, as PyTorch runs them)."""

    def __init__(self, order: list[Any], root: Tensor) -> None:
        self.remaining: dict[int, int] = {id(root): 1} if root.creator is None and leaf_hooks_of(root) else {}
        self.sums: dict[int, tuple[Tensor, Any]] = {}
        for function in order:
            for x, needed in zip(function.inputs, function.needs_input_grad):
                if needed and x.creator is None and leaf_hooks_of(x):
                    self.remaining[id(x)] = self.remaining.get(id(x), 0) + 1

    @staticmethod
    def needed() -> bool:
        """Whether any leaf has hooks (otherwise the engine skips this bookkeeping)."""
        return any(hooks for _, hooks in _leaf_hooks.values())

    def add(self, leaf: Tensor, grad: Any) -> Any:
        """The hooked total once ``grad`` is the leaf's last contribution, else None (held back);
        a leaf without hooks gets ``grad`` back at once."""
        count = self.remaining.get(id(leaf))
        if count is None:
            return grad
        held = self.sums.get(id(leaf))
        total = grad if held is None else held[1] + grad
        if count > 1:
            self.remaining[id(leaf)] = count - 1
            self.sums[id(leaf)] = (leaf, total)
            return None
        del self.remaining[id(leaf)]
        self.sums.pop(id(leaf), None)
        return apply_hooks(leaf_hooks_of(leaf), total)

    def flush(self) -> list[tuple[Tensor, Any]]:
        """The hooked totals of the leaves whose last expected contribution never came (an op
        returned no gradient for them)."""
        totals = [(leaf, apply_hooks(leaf_hooks_of(leaf), total)) for leaf, total in self.sums.values()]
        self.sums.clear()
        return totals


class HookedLeaves:
    """Where a backward pass hands leaf gradients when some leaf has hooks: each hooked leaf's
    contributions are held in a ``LeafGradients`` until the last one, its hooks run once on the
    total, and the result goes on to ``destination`` (as PyTorch's ``AccumulateGrad`` runs a
    leaf's hooks); other leaves pass straight through."""

    def __init__(self, destination: Any, order: list[Any], root: Tensor) -> None:
        self.destination = destination
        self.watched = destination.watched
        self.held = LeafGradients(order, root)

    def deliver(self, leaf: Tensor, grad: Any) -> None:
        """Pass ``grad`` on, or hold it while more contributions to a hooked leaf are due."""
        grad = self.held.add(leaf, grad)
        if grad is not None:
            self.destination.deliver(leaf, grad)

    def flush(self) -> None:
        """Pass on what is still held at the end of the pass (contributions that never came)."""
        for leaf, grad in self.held.flush():
            self.destination.deliver(leaf, grad)
