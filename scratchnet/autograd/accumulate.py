"""Plain ``.grad`` accumulation (``Tensor.backward``): where the engine's gradients for the leaves
go, accumulated as PyTorch does, and the one rule for when a gradient array may be reused.

>>> w = sn.tensor([1.0, 2.0], requires_grad=True)
>>> (w * w).sum().backward()
>>> (3 * w).sum().backward()      # a second pass adds to .grad: 2w + 3
>>> w.grad
tensor([5., 7.])
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp


def accumulate(leaf: Tensor, array: xp.ndarray, owned: set[int], taken: set[int]) -> Tensor:
    """The new ``leaf.grad`` after adding ``array`` (unrecorded), never writing into an array that
    anything else may hold. The rule for reusing gradient arrays, in one place:

    - a leaf in ``owned`` (its ``.grad`` array was made in this pass) is added into in place;
    - a first gradient that this pass computed afresh (a writeable array owning its memory, not in
      ``taken``: given to no other leaf, not the caller's ``grad=``) becomes ``.grad`` as it is,
      without a copy, as PyTorch steals a gradient nothing else refers to; it is recorded in
      ``taken`` and never written to afterwards;
    - any other first gradient (a read-only broadcast view, a view of another array, one already
      taken) is copied, and a later contribution to a ``.grad`` from before this pass goes into a
      new array; either way the new array joins ``owned``.

    >>> w = sn.zeros(2)
    >>> fresh = np.ones(2, dtype=np.float32)
    >>> owned, taken = set(), set()
    >>> accumulate(w, fresh, owned, taken).array is fresh      # adopted without a copy
    True
    >>> w.grad = accumulate(w, fresh, owned, taken)            # taken already: copied, then owned
    >>> w.grad.array is fresh, id(w) in owned
    (False, True)
    """
    if id(leaf) in owned:
        leaf.grad.array += array
        return leaf.grad
    if leaf.grad is None and array.base is None and array.flags.writeable and id(array) not in taken:
        taken.add(id(array))
        return Tensor.wrap(array)
    owned.add(id(leaf))
    return Tensor.wrap(array.copy() if leaf.grad is None else leaf.grad.array + array)


class GradAccumulator:
    """The destination of one ``Tensor.backward`` pass: each leaf that requires grad gets its
    gradient added to ``.grad`` (``accumulate``; with ``create_graph`` as a recorded sum)."""

    watched = None  # no intermediate tensor's gradient is wanted (the tape's destination has some)

    def __init__(self, create_graph: bool, caller_grad: Tensor | None) -> None:
        self.create_graph = create_graph
        self.owned: set[int] = set()  # leaves whose .grad array was made in this pass
        self.taken: set[int] = set()  # arrays that became a .grad as they were (and the caller's grad=)
        self.delivered: set[int] = set()  # leaves given a gradient in this pass
        if caller_grad is not None:
            self.taken.add(id(caller_grad.array))

    def deliver(self, leaf: Tensor, grad: Any) -> None:
        """Add ``grad`` to ``leaf.grad`` when the leaf requires grad."""
        if not leaf._requires_grad:
            return
        self.delivered.add(id(leaf))
        if self.create_graph:
            leaf.grad = grad if leaf.grad is None else leaf.grad + grad
        else:
            leaf.grad = accumulate(leaf, grad, self.owned, self.taken)
