"""``Parameter``: a Tensor that a Module registers as a learnable weight."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import DEFAULT_FLOAT, xp


class Parameter(Tensor):
    """A Tensor that requires grad by default and that ``Module.__setattr__`` registers as a
    parameter (as ``torch.nn.Parameter``). It shares memory with the array or Tensor it wraps.

    >>> w = Parameter(sn.zeros(2, 3))
    >>> w.requires_grad
    True
    """

    __slots__ = ()  # Tensor uses __slots__; a Parameter adds no state of its own

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = xp.empty(0, dtype=DEFAULT_FLOAT)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
