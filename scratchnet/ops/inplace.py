"""In-place ops (``add_``, ``mul_``, ``zero_``, ``copy_``, ``x[:, 1] = 0``, ``x += y``, ...) with
PyTorch's rules inside a graph.

- Outside a graph (no input requires grad, or under ``sn.no_grad()``) the array is changed in
  place by one NumPy call, and the tensor's version is bumped (``scratchnet.autograd.version``).
- A leaf that requires grad cannot be changed in place while grad mode is on (it would change what
  its gradient means); ``with sn.no_grad():`` allows it, as in a hand-written SGD step.
- Inside a graph the op is recorded: the tensor keeps its memory (views and aliases see the new
  values) but its history moves to the new op, whose input is a copy of the old values (so that
  the op that made the old values still finds them for its own backward). Any op recorded before
  the change that used the tensor makes backward raise, as PyTorch does when a tensor it saved
  has been modified.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from scratchnet import backend
from scratchnet.autograd.config import Config
from scratchnet.autograd.function import ArrayFunction, Function
from scratchnet.autograd.tensor import Tensor
from scratchnet.autograd.version import mark_modified
from scratchnet.backend import xp
from scratchnet.ops import arithmetic, elementwise
from scratchnet.ops.convert import as_tensor
from scratchnet.ops.shape import _array_index


class SetItem(ArrayFunction):
    """y = x with ``value`` written at ``index``: dx = dy with zeros at ``index``, dvalue = dy[index]."""

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, x: xp.ndarray, value: xp.ndarray) -> xp.ndarray:
        y = x.copy()
        y[self.index] = value
        return y

    def backward_arrays(self, gy: xp.ndarray) -> tuple[Any, Any]:
        gx = None
        if self.needs_input_grad[0]:
            gx = gy.copy()
            gx[self.index] = 0
        return gx, gy[self.index] if self.needs_input_grad[1] else None


def _check_leaf(x: Tensor, op: str) -> None:
    if Config.grad_enabled and x._requires_grad and x.creator is None:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation ({op}): "
            "changing it would change what its gradient means. Modify it under `with sn.no_grad():` "
            "(as an optimiser step does), or modify a clone.")


def _records(x: Tensor, other: Tensor | None) -> bool:
    return Config.grad_enabled and (x._requires_grad or (other is not None and other._requires_grad))


def _in_place(x: Tensor, op: str, other: Tensor | None, in_arrays: Callable[[xp.ndarray], Any],
              recorded: Callable[[Tensor], Tensor]) -> Tensor:
    """Change ``x`` in place: by ``in_arrays(x.array)`` outside a graph, else as the recorded
    ``recorded(old x)``; bumps the version either way."""
    _check_leaf(x, op)
    if _records(x, other):
        return _rebase(x, op, recorded)
    try:
        in_arrays(x.array)
    except TypeError as error:  # NumPy refused the cast (a float result into an integer tensor)
        raise RuntimeError(
            f"{op}: the result can't be cast to the tensor's dtype {x.dtype}: {error}") from None
    except ValueError as error:
        raise _write_error(op, x, error) from None
    mark_modified(x)
    return x


def _write_error(op: str, x: Tensor, error: ValueError) -> RuntimeError:
    """The error for NumPy refusing to write into ``x`` (a read-only view, or a bad shape)."""
    reason = str(error)
    if "read-only" in reason:
        reason = ("its memory is read-only (several elements may share one memory location, as "
                  "after expand); clone() it first")
    return RuntimeError(f"{op}: cannot write into a tensor of shape {x.shape} in place: {reason}")


def _rebase(x: Tensor, op: str, recorded: Callable[[Tensor], Tensor]) -> Tensor:
    """``x`` takes the values and the history of ``recorded(old x)``; the op that made ``x`` keeps a
    copy of its old values as its output."""
    old = Tensor.wrap(x.array.copy())
    if x.creator is not None:
        old._requires_grad, old.creator, old.output_index = True, x.creator, x.output_index
    result = recorded(old)
    if result.shape != x.shape:
        raise RuntimeError(f"{op}: output with shape {x.shape} doesn't match the broadcast shape "
                           f"{result.shape}")
    if not xp.can_cast(result.dtype, x.dtype, "same_kind"):
        raise RuntimeError(f"{op}: result type {result.dtype} can't be cast to the desired output "
                           f"type {x.dtype}")
    try:
        x.array[...] = result.array
    except ValueError as error:
        raise _write_error(op, x, error) from None
    if x.creator is not None:
        _point_output(x.creator, x.output_index, old)
    mark_modified(x)
    x._inplace_stamp = result.creator.sequence  # changed by this op, not after it
    x.creator, x.output_index, x._requires_grad = result.creator, 0, True
    _point_output(result.creator, 0, x)
    return x


def _point_output(function: Function, index: int, tensor: Tensor) -> None:
    outputs = list(function.outputs)
    outputs[index] = weakref.ref(tensor)
    function.outputs = tuple(outputs)


def _operand(x: Tensor, other: Any) -> Tensor:
    return as_tensor(other, x)


def _binary(op: str, ufunc: Any, recorded: Callable[[Any, Any], Tensor]) -> Callable[..., Tensor]:
    def method(self: Tensor, other: Any) -> Tensor:
        y = _operand(self, other)
        return _in_place(self, op, y, lambda a: ufunc(a, y.array, out=a, casting="same_kind"),
                         lambda old: recorded(old, y))
    return method


_mul = _binary("mul_", xp.multiply, arithmetic.mul)
_div = _binary("div_", xp.true_divide, arithmetic.div)
_plus = _binary("add_", xp.add, arithmetic.add)
_minus = _binary("sub_", xp.subtract, arithmetic.sub)


def add_(x: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    """x ← x + alpha·other, in place."""
    return _plus(x, other if alpha == 1 else arithmetic.mul(_operand(x, other), alpha))


def sub_(x: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    """x ← x − alpha·other, in place."""
    return _minus(x, other if alpha == 1 else arithmetic.mul(_operand(x, other), alpha))


def mul_(x: Tensor, other: Any) -> Tensor:
    """x ← x·other, in place."""
    return _mul(x, other)


def div_(x: Tensor, other: Any) -> Tensor:
    """x ← x / other, in place (true division: an integer tensor raises)."""
    return _div(x, other)


def clamp_(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """x ← min(max(x, min), max), in place."""
    if min is None and max is None:
        raise ValueError("clamp_ needs at least one of min and max")
    return _in_place(x, "clamp_", None, lambda a: xp.clip(a, min, max, out=a),
                     lambda old: elementwise.clip(old, min, max))


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value`` in place; the gradient of ``value`` (if it requires one) is
    ``grad[index]`` and the overwritten elements of the old ``x`` get none."""
    index = _array_index(index)
    _write(x, "__setitem__", index, _operand(x, value))


def _write(x: Tensor, op: str, index: Any, value: Tensor) -> Tensor:
    def in_arrays(a: xp.ndarray) -> None:
        a[index] = value.array  # cast as PyTorch does (a float written into an int tensor is truncated)
    return _in_place(x, op, value, in_arrays, lambda old: SetItem(index)(old, value))


def fill_(x: Tensor, value: Any) -> Tensor:
    """Set every element to ``value`` in place."""
    return _write(x, "fill_", Ellipsis, _operand(x, value))


def zero_(x: Tensor) -> Tensor:
    """Set every element to zero in place."""
    return _write(x, "zero_", Ellipsis, _operand(x, 0))


def copy_(x: Tensor, source: Any, non_blocking: bool = False) -> Tensor:
    """Copy ``source`` (broadcast to this shape, cast to this dtype) into this tensor in place;
    the gradient flows to ``source``."""
    source = as_tensor(source)
    if source.dtype != x.dtype:
        source = Tensor.wrap(source.array.astype(x.dtype)) if not source._requires_grad else source
    return _in_place(x, "copy_", source, lambda a: xp.copyto(a, source.array, casting="unsafe"),
                     lambda old: SetItem(Ellipsis)(old, source))


def normal_(x: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill in place with samples of N(mean, std²) from the global generator."""
    samples = backend.generator().normal(mean, std, x.shape).astype(x.dtype)
    return _write(x, "normal_", Ellipsis, Tensor.wrap(samples))


def uniform_(x: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill in place with samples of U(a, b) from the global generator."""
    samples = backend.generator().uniform(a, b, x.shape).astype(x.dtype)
    return _write(x, "uniform_", Ellipsis, Tensor.wrap(samples))


METHODS = {
    "add_": add_, "__iadd__": add_, "sub_": sub_, "__isub__": sub_, "mul_": mul_, "__imul__": mul_,
    "div_": div_, "__itruediv__": div_, "clamp_": clamp_, "clip_": clamp_, "fill_": fill_,
    "zero_": zero_, "copy_": copy_, "normal_": normal_, "uniform_": uniform_, "__setitem__": setitem,
}
"""The in-place Tensor methods, installed by ``scratchnet.ops.methods``."""
