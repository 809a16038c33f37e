"""Module hooks: the removable handles, and the full backward hooks of PyTorch's
``Module.register_full_backward_hook``.

For one call of a module with backward hooks, its tensor inputs that require a gradient pass
through an identity op before ``forward`` and its tensor outputs through another after it (as
PyTorch's ``BackwardHook`` does). In the backward pass the output identity records
``grad_output``; the input identity then has ``grad_input`` (zeros for the other tensor inputs,
as PyTorch) and calls each ``hook(module, grad_input, grad_output)``, whose returned tuple
replaces ``grad_input``. When no input requires a gradient the hooks run from the output
identity with ``grad_input`` all None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scratchnet.autograd.function import Function
from scratchnet.autograd.hooks import RemovableHandle
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp

__all__ = ["BackwardHook", "RemovableHandle"]


class _Identity(Function):
    """``y_i = x_i`` for each input; its backward hands the output gradients to ``on_backward``,
    which returns the input gradients."""

    def __init__(self, on_backward: Callable[[tuple[Any, ...]], tuple[Any, ...]]) -> None:
        self.on_backward = on_backward

    def forward(self, *arrays: xp.ndarray) -> Any:
        return arrays if len(arrays) > 1 else arrays[0]

    def backward(self, *grads: Any) -> Any:
        result = self.on_backward(grads)
        return result if len(result) > 1 else result[0]


class BackwardHook:
    """The full backward hooks of one call of ``module`` (see the module docstring)."""

    def __init__(self, module: Any, hooks: dict[int, Callable[..., Any]]) -> None:
        self.module = module
        self.hooks = hooks
        self.input_slots: list[int] = []  # which tensor inputs pass the input identity
        self.n_inputs = 0
        self.input_zeros: list[tuple[Any, Any]] = []  # shape and dtype of each tensor input
        self.output_positions: list[int] = []  # which outputs pass the output identity
        self.n_outputs = 0
        self.grad_output: tuple[Any, ...] = ()

    def setup_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """``args`` with the tensors that require a gradient passed through the input identity."""
        tensors = [a for a in args if isinstance(a, Tensor)]
        self.n_inputs = len(tensors)
        self.input_zeros = [(a.shape, a.dtype) for a in tensors]
        self.input_slots = [k for k, a in enumerate(tensors) if a.requires_grad]
        if not self.input_slots:
            return args
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        return tuple(_pass_through(args, [positions[k] for k in self.input_slots], self._on_input_grads))

    def setup_outputs(self, output: Any) -> Any:
        """``output`` (a tensor or a tuple of them) passed through the output identity."""
        single = isinstance(output, Tensor)
        outputs = (output,) if single else output
        if not isinstance(outputs, tuple):
            return output
        self.n_outputs = len(outputs)
        self.output_positions = [i for i, y in enumerate(outputs)
                                 if isinstance(y, Tensor) and y.requires_grad]
        if not self.output_positions:
            return output
        outputs = _pass_through(outputs, self.output_positions, self._on_output_grads)
        return outputs[0] if single else tuple(outputs)

    def _on_output_grads(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        grad_output = [None] * self.n_outputs
        for i, grad in zip(self.output_positions, grads):
            grad_output[i] = _as_tensor(grad)
        self.grad_output = tuple(grad_output)
        if not self.input_slots:  # nothing flows into the inputs: the hooks run now
            for hook in list(self.hooks.values()):
                if hook(self.module, (None,) * self.n_inputs, self.grad_output) is not None:
                    raise RuntimeError("a backward hook of a module where no input requires a gradient "
                                       "must return None")
        return grads

    def _on_input_grads(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        grad_input: list[Any] = [Tensor.wrap(xp.zeros(shape, dtype)) for shape, dtype in self.input_zeros]
        for k, grad in zip(self.input_slots, grads):
            grad_input[k] = _as_tensor(grad)
        grad_input_tuple = tuple(grad_input)
        for hook in list(self.hooks.values()):
            result = hook(self.module, grad_input_tuple, self.grad_output)
            if result is not None:
                grad_input_tuple = self._checked(result)
        return tuple(_in_mode(grad_input_tuple[k], grad) for k, grad in zip(self.input_slots, grads))

    def _checked(self, result: Any) -> tuple[Any, ...]:
        result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        if len(result) != self.n_inputs:
            raise RuntimeError(f"backward hook of {type(self.module).__name__} returned {len(result)} "
                               f"gradients, expected {self.n_inputs} (one per tensor input)")
        return result


def _pass_through(values: tuple[Any, ...], positions: list[int],
                  on_backward: Callable[[tuple[Any, ...]], tuple[Any, ...]]) -> list[Any]:
    """``values`` with those at ``positions`` replaced by their images through one ``_Identity``."""
    wrapped = _Identity(on_backward)(*[values[i] for i in positions])
    values = list(values)
    for i, tensor in zip(positions, wrapped if isinstance(wrapped, tuple) else (wrapped,)):
        values[i] = tensor
    return values


def _as_tensor(grad: Any) -> Tensor:
    """A gradient as the hooks see it: a Tensor (arrays are wrapped without a copy)."""
    return grad if isinstance(grad, Tensor) else Tensor.wrap(grad)


def _in_mode(value: Any, grad: Any) -> Any:
    """A hook's gradient in the mode of the engine's ``grad`` (array, or Tensor when recorded)."""
    if value is None:
        return None
    if isinstance(grad, Tensor):
        return value if isinstance(value, Tensor) else Tensor(value)
    array = value.array if isinstance(value, Tensor) else xp.asarray(value)
    if array.shape != grad.shape:
        raise RuntimeError(f"backward hook returned a gradient of shape {array.shape} for an input of "
                           f"shape {grad.shape}")
    return array.astype(grad.dtype, copy=False)
