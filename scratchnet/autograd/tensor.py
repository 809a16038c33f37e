"""The Tensor: an array plus what autograd needs to know about it.

A Tensor wraps a NumPy array (``tensor.array``). When an op's inputs require gradients, the
output remembers the ``Function`` that made it (``creator``), and ``backward()`` walks those links
in reverse. Arithmetic operators and methods such as ``sum`` or ``reshape`` are installed on this
class by ``scratchnet.ops.methods``, next to the ops that implement them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from scratchnet import backend
from scratchnet.autograd.formatting import tensor_repr
from scratchnet.autograd.node import Node
from scratchnet.backend import xp
from scratchnet.devices import CPU, device, resolve_device

if TYPE_CHECKING:
    from scratchnet.autograd.function import Function


def _to_array(data: Any, dtype: xp.dtype | None, copy: bool) -> xp.ndarray:
    """Convert user data to an array; Python floats become float32, NumPy dtypes are kept."""
    if isinstance(data, Tensor):
        data = data.array
    if isinstance(data, xp.ndarray):
        array = data.astype(dtype) if dtype is not None and data.dtype != dtype else data
        return array.copy() if copy and array is data else array
    if isinstance(data, (list, tuple)) and any(isinstance(item, Tensor) for item in data):
        data = [xp.asarray(item) for item in data]
    array = xp.array(data, dtype=dtype)
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(f"cannot make a tensor from data of dtype {array.dtype} ({type(data).__name__})")
    if dtype is None and array.dtype == xp.float64:
        array = array.astype(backend.DEFAULT_FLOAT)
    return array


class Size(tuple):
    """The shape of a tensor, as ``tensor.size()`` returns it: a tuple of ints."""

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements of a tensor of this shape (the product of the sizes)."""
        return math.prod(self)

    def __repr__(self) -> str:
        return f"scratchnet.Size({list(self)})"


def _checked_dim(dim: int, ndim: int) -> int:
    """``dim`` as an index into the shape, raising PyTorch's IndexError when out of range."""
    low, high = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not low <= dim <= high:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})")
    return dim % ndim if ndim else 0


class Tensor:
    """An n-dimensional array that records the operations applied to it, for autograd.

    >>> x = sn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    # ``_inplace_count`` and ``_inplace_stamp`` are set by the first in-place op only (see
    # ``scratchnet.autograd.version``), ``_retains_grad`` by ``retain_grad()``, so that making a
    # tensor costs nothing more.
    __slots__ = ("array", "grad", "_requires_grad", "creator", "output_index", "name",
                 "non_differentiable_origin", "_inplace_count", "_inplace_stamp", "_retains_grad",
                 "__weakref__")
    __array_priority__ = 1000  # so that ``ndarray * tensor`` calls Tensor.__rmul__

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False, *,
                 copy: bool = False, name: str | None = None) -> None:
        self.array: xp.ndarray = _to_array(data, backend.resolve_dtype(dtype), copy)
        self.grad: Tensor | None = None
        self.creator: Function | None = None
        self.output_index = 0
        self.name = name
        self.non_differentiable_origin: str | None = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def wrap(cls, array: xp.ndarray) -> Tensor:
        """A Tensor around an existing array, without copying or converting it (fast path)."""
        tensor = object.__new__(Tensor)
        tensor.array = array
        tensor.grad = None
        tensor._requires_grad = False
        tensor.creator = None
        tensor.output_index = 0
        tensor.name = None
        tensor.non_differentiable_origin = None
        return tensor

    # ---- properties -------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to this tensor; only floating-point tensors may require them."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not backend.is_floating(self.array.dtype):
            raise TypeError(
                f"only floating-point tensors can require gradients, this one is {self.array.dtype}")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return this tensor (as PyTorch)."""
        self.requires_grad = requires_grad
        return self

    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each axis."""
        return self.array.shape

    @property
    def dtype(self) -> xp.dtype:
        """The NumPy dtype of the values."""
        return self.array.dtype

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.array.ndim

    def size(self, dim: int | None = None) -> Size | int:
        """The shape as a ``Size`` (a tuple), or the size of axis ``dim`` (PyTorch's ``size``)."""
        if dim is None:
            return Size(self.array.shape)
        return self.array.shape[_checked_dim(dim, self.array.ndim)]

    def numel(self) -> int:
        """The number of elements (the product of the shape)."""
        return self.array.size

    nelement = numel

    def dim(self) -> int:
        """The number of axes (PyTorch's name for ``ndim``)."""
        return self.array.ndim

    @property
    def device(self) -> device:
        """The device the values live on: always the CPU."""
        return CPU

    is_cuda = False

    @property
    def _version(self) -> int:
        """How many in-place ops have changed this tensor (PyTorch's version counter)."""
        return getattr(self, "_inplace_count", 0)

    @property
    def grad_fn(self) -> Node | None:
        """The backward node of the op that made this tensor (None for a leaf), with ``name()``
        and ``next_functions`` as in PyTorch."""
        return None if self.creator is None else Node(self.creator)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an op that records a graph."""
        return self.creator is None

    @property
    def data(self) -> Tensor:
        """The same values outside the graph (shares memory), as PyTorch's ``tensor.data``."""
        return Tensor.wrap(self.array)

    @data.setter
    def data(self, value: Any) -> None:
        self.array = _to_array(value, None, copy=False)

    # ---- conversion -------------------------------------------------------------------
    def numpy(self) -> xp.ndarray:
        """The values as a NumPy array (shares memory with the tensor)."""
        return self.array

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> xp.ndarray:
        if dtype is not None and xp.dtype(dtype) != self.array.dtype:
            return self.array.astype(dtype)
        return self.array.copy() if copy else self.array

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.array.item()

    def tolist(self) -> Any:
        """The values as nested Python lists."""
        return self.array.tolist()

    def cpu(self) -> Tensor:
        """This tensor on the host: a no-op on the NumPy backend."""
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        """This tensor on a CUDA GPU: raises, since scratchnet computes on the CPU only."""
        resolve_device("cuda" if device is None else device, "cuda()")
        return self  # unreachable: resolve_device raises for CUDA

    def detach(self) -> Tensor:
        """A tensor with the same values (shared memory) that is cut off from the graph."""
        return Tensor.wrap(self.array)

    def detach_(self) -> Tensor:
        """Cut this tensor off from the graph in place: it becomes a leaf that does not require grad."""
        self.creator = None
        self.output_index = 0
        self._requires_grad = False
        return self

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.array)

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def __bool__(self) -> bool:
        return bool(self.array)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        return int(self.array.__index__())

    __hash__ = object.__hash__  # identity, so tensors can key dicts although == is elementwise

    def __repr__(self) -> str:
        extras = []
        if self.creator is not None:
            extras.append(f"grad_fn=<{Node(self.creator).name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return tensor_repr(self.array, extras)

    # ---- autograd ---------------------------------------------------------------------
    def backward(self, grad: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``grad`` is the gradient of some scalar with respect to this tensor; it may be left out
        only when this tensor has one element. ``retain_graph`` keeps the graph for another
        backward pass; ``create_graph`` records the backward pass itself, so that the gradients
        can be differentiated again (it implies ``retain_graph``).
        """
        from scratchnet.autograd.engine import run_backward

        run_backward(self, grad, retain_graph=create_graph if retain_graph is None else retain_graph,
                     create_graph=create_graph)

    def register_hook(self, hook: Any) -> Any:
        """Register ``hook(grad)``, called in each backward pass with the gradient of this tensor
        (all contributions summed); a returned tensor replaces the gradient for the rest of the
        pass and for ``.grad``. Returns a handle whose ``remove()`` unregisters it (PyTorch's
        ``Tensor.register_hook``; hooks on a non-leaf live on its ``grad_fn``).

        >>> x = sn.tensor([1.0, 2.0], requires_grad=True)
        >>> y = x * 3
        >>> handle = y.register_hook(lambda grad: grad * 10)
        >>> y.sum().backward()
        >>> x.grad
        tensor([30., 30.])
        """
        from scratchnet.autograd.hooks import register_hook

        return register_hook(self, hook)

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf tensor in ``.grad`` after backward (after its
        hooks, accumulated over passes); a no-op on a leaf, whose ``.grad`` is always kept.

        >>> x = sn.tensor([1.0, 2.0], requires_grad=True)
        >>> y = x * x
        >>> y.retain_grad()
        >>> (y * 3).sum().backward()
        >>> y.grad
        tensor([3., 3.])
        """
        from scratchnet.autograd.hooks import retain_grad

        retain_grad(self)
        if self.creator is not None:
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """Whether this non-leaf tensor keeps its ``.grad`` (``retain_grad()`` was called)."""
        return getattr(self, "_retains_grad", False)

    def _check_can_backward(self) -> None:
        """Raise a clear error when no gradient can flow from this tensor."""
        if self._requires_grad:
            return
        if self.non_differentiable_origin is not None:
            raise RuntimeError(
                f"cannot differentiate: this tensor comes from '{self.non_differentiable_origin}', "
                "which has no gradient (comparisons, argmax, argmin and casts to integers are not "
                "differentiable)")
        raise RuntimeError(
            "this tensor does not require grad and has no creator: none of the tensors it was computed "
            "from requires grad, or it was computed under sn.no_grad()")
