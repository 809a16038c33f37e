"""An allocation budget: how many parameter, buffer and sample elements modules may create.

Loading a model file rebuilds its modules by calling their constructors with the saved
arguments, and a constructor allocates its weights before the saved ones replace them. A hostile
or corrupted file could name ``Linear(16384, 16384)`` in a few bytes and make the loader allocate
a gigabyte first. ``sn.load`` therefore rebuilds under ``allocation_budget(n)``, ``n`` being the
number of elements the file's tensors hold plus a small allowance: every Parameter or buffer a
module registers claims its elements (a Keras model builds itself on an empty batch, so its
layers' outputs hold none), and the claim that would exceed the budget raises
``AllocationBudgetError``. Layers allocate weights
with ``xp.empty`` (which reserves address space, not memory) and fill them only after
registering them, so the refusal comes before any memory is touched.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator
from typing import Any


class AllocationBudgetError(MemoryError):
    """A module would create more elements than the budget in force allows."""


class _Budget:
    """Elements left, and the arrays already counted (a tensor registered twice counts once)."""

    def __init__(self, elements: int) -> None:
        self.left = elements
        self.counted: set[int] = set()


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("allocation_budget", default=None)


@contextlib.contextmanager
def allocation_budget(elements: int) -> Iterator[None]:
    """Within the block, modules may create at most ``elements`` elements in all."""
    token = _budget.set(_Budget(elements))
    try:
        yield
    finally:
        _budget.reset(token)


def claim(shape: tuple[int, ...], what: str, array: Any = None) -> None:
    """Count ``prod(shape)`` elements against the budget in force (none: no limit); raise
    ``AllocationBudgetError`` naming ``what`` when they do not fit. ``array``, when given, is
    counted once however often it is claimed."""
    budget = _budget.get()
    if budget is None or (array is not None and id(array) in budget.counted):
        return
    elements = math.prod(shape)
    if elements > budget.left:
        raise AllocationBudgetError(
            f"{what} of shape {tuple(shape)} needs {elements:,} elements, more than the file's tensors "
            f"justify ({budget.left:,} left)")
    budget.left -= elements
    if array is not None:
        budget.counted.add(id(array))
