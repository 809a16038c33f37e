"""The ``Function``: one differentiable operation with a forward and a backward.

As in DeZero and Chainer, ``forward`` computes on raw arrays and ``backward`` receives the
gradients of the outputs and returns the gradients of the inputs. Calling a Function on Tensors
runs ``forward`` and, when some input requires a gradient and grad mode is on, records the
Function as the creator of its outputs.

``backward`` is written once and runs in one of two modes, chosen by the engine:

- usually on raw arrays: the gradients are arrays, ``self.input_values()`` and
  ``self.output_value()`` give arrays, and a Function called on arrays inside ``backward`` (say
  ``Reshape(shape)(gy)``) simply computes its ``forward``. Nothing is recorded, so a backward
  step costs little more than its NumPy calls;
- with ``create_graph=True``, on Tensors: the same formulas then record a graph of the backward
  pass, so that gradients can be differentiated again.

A formula stays valid in both modes when it uses operators (``gy * y``, ``gz @ x.mT``), the
attributes arrays and Tensors share (``shape``, ``ndim``, ``dtype``, ``reshape``, ``astype``,
indexing) and Function calls. Heavy ops (convolution, pooling, batch norm, ...) instead compute
all their gradients in one fused array routine through ``ArrayFunction``.
"""

from __future__ import annotations

import itertools
import operator
import weakref
from typing import Any

from scratchnet.autograd.config import Config
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp

_array_of = operator.attrgetter("array")
_recording_order = itertools.count()  # numbers Functions as they are recorded (see the engine)


def _wrap_result(result: Any) -> Tensor:
    """A forward result as a Tensor; NumPy scalars (full reductions, ``x[i, j]``) become 0-d arrays."""
    return Tensor.wrap(result if result.__class__ is xp.ndarray else xp.asarray(result))


def constant_like(value: Any, array: xp.ndarray) -> Any:
    """``array`` as a constant in the mode of ``value`` (an array or a Tensor): how a backward
    formula brings in a mask or a zero that is not itself differentiated."""
    return Tensor.wrap(array) if isinstance(value, Tensor) else array


class Function:
    """Base class of every differentiable op.

    Subclasses implement ``forward(*arrays) -> array | tuple of arrays`` and
    ``backward(*grad_outputs) -> gradient | None | tuple`` (see the module docstring for its two
    modes). Inside ``backward``: ``self.input_values()`` and ``self.output_value(i)`` are the
    inputs and outputs, ``self.needs_input_grad[i]`` says whether input ``i`` wants a gradient
    (return ``None`` for those that do not). Gradients may have the broadcast shape of the output:
    the engine reduces each one to its input's shape in one place.
    """

    inputs: tuple[Tensor, ...] | None
    needs_input_grad: tuple[bool, ...]
    sequence: int
    outputs: tuple[weakref.ref, ...]
    output_meta: tuple[tuple[tuple[int, ...], xp.dtype], ...]
    tensor_hooks: dict[int, Any] | None = None  # Tensor.register_hook on an output (autograd.hooks)

    def __call__(self, *inputs: Any) -> Any:
        # Spelled out for one and two inputs: on small tensors every Python call and star-call
        # here costs as much as the NumPy work itself.
        if not isinstance(inputs[0], Tensor):  # arrays: a step of an unrecorded backward pass
            return self.forward(inputs[0]) if len(inputs) == 1 else self.forward(*inputs)
        try:  # the outputs, and whether each input needs a gradient
            if len(inputs) == 1:
                first = inputs[0]
                result, needs_input_grad = self.forward(first.array), (first._requires_grad,)
            elif len(inputs) == 2:
                first, second = inputs
                result = self.forward(first.array, second.array)
                needs_input_grad = (first._requires_grad, second._requires_grad)
            else:
                result = self.forward(*[x.array for x in inputs])
                needs_input_grad = tuple([x._requires_grad for x in inputs])
        except ValueError as error:
            shapes = " and ".join(str(x.shape) for x in inputs)
            raise ValueError(f"{self.name}: cannot apply to inputs of shapes {shapes}: {error}") from None
        if Config.detect_anomaly:
            self._check_finite(result if result.__class__ is tuple else (result,), "forward")
        outputs = tuple(map(_wrap_result, result)) if result.__class__ is tuple else (_wrap_result(result),)
        if Config.grad_enabled:
            if True in needs_input_grad:
                self._record(inputs, needs_input_grad, outputs)
            else:
                self._propagate_origin(inputs, outputs)
        return outputs if result.__class__ is tuple else outputs[0]

    def _record(self, inputs: tuple[Tensor, ...], needs_input_grad: tuple[bool, ...],
                outputs: tuple[Tensor, ...]) -> None:
        """Link the outputs to this Function so that ``backward`` can find its way back."""
        self.inputs = inputs
        self.needs_input_grad = needs_input_grad
        self.sequence = next(_recording_order)
        if len(outputs) == 1:  # the common case, kept cheap
            y = outputs[0]
            y._requires_grad = True
            y.creator = self
            self.outputs = (weakref.ref(y),)
            return
        for index, y in enumerate(outputs):
            y._requires_grad = True
            y.creator = self
            y.output_index = index
        self.outputs = tuple(map(weakref.ref, outputs))
        # only an output of a multi-output op can get no gradient (the engine gives it zeros)
        self.output_meta = tuple([(y.array.shape, y.array.dtype) for y in outputs])

    @staticmethod
    def _propagate_origin(inputs: tuple[Tensor, ...], outputs: tuple[Tensor, ...]) -> None:
        """Carry the name of a non-differentiable op forward, for the error message."""
        for x in inputs:
            if x.non_differentiable_origin is not None:
                for y in outputs:
                    y.non_differentiable_origin = x.non_differentiable_origin
                return

    @property
    def name(self) -> str:
        """The op's name in messages, e.g. ``matmul`` for ``MatMul``."""
        return type(self).__name__.lower()

    def input_values(self) -> tuple[Any, ...]:
        """The inputs as ``backward`` computes with them: arrays, or Tensors when the backward pass
        is recorded (``create_graph=True``)."""
        if Config.grad_enabled:
            return self.inputs
        return tuple(map(_array_of, self.inputs))

    def output_value(self, index: int = 0) -> Any:
        """Output ``index`` as ``backward`` computes with it (an array, or a Tensor when the
        backward pass is recorded); alive while the graph that uses it is alive."""
        tensor = self._output_tensor(index)
        return tensor if Config.grad_enabled else tensor.array

    def output_array(self, index: int = 0) -> xp.ndarray:
        """Output ``index`` as an array in either mode: for the masks and other constants that a
        backward formula builds from it."""
        return self._output_tensor(index).array

    def _output_tensor(self, index: int) -> Tensor:
        tensor = self.outputs[index]()
        if tensor is None:
            raise RuntimeError(f"{self.name}: its output was freed before backward")
        return tensor

    def forward(self, *arrays: xp.ndarray) -> Any:
        """Compute the outputs from the input arrays."""
        raise NotImplementedError

    def backward(self, *grad_outputs: Any) -> Any:
        """Return the gradients of the inputs given those of the outputs."""
        raise NotImplementedError

    def release(self) -> None:
        """Drop the inputs and saved arrays once backward is done (``retain_graph=False``)."""
        self.__dict__.clear()
        self.inputs = None

    def _check_finite(self, arrays: tuple[Any, ...], stage: str) -> None:
        for array in arrays:
            if array is not None and array.dtype.kind == "f" and not xp.isfinite(array).all():
                raise FloatingPointError(
                    f"anomaly: {self.name} produced a NaN or infinity in its {stage} pass")


class ArrayFunction(Function):
    """A Function whose backward is one fused computation on arrays (conv2d, pooling, ...).

    Subclasses implement ``backward_arrays(*grad_arrays) -> array | None | tuple``; inside it,
    ``self.inputs[i].array`` are the input arrays. The gradients are not themselves
    differentiable: a second-order gradient through such an op raises.
    """

    def backward(self, *grad_outputs: Any) -> Any:
        if Config.grad_enabled:
            raise NotImplementedError(
                f"{self.name} does not support higher-order gradients (create_graph=True)")
        return self.backward_arrays(*grad_outputs)

    def backward_arrays(self, *grad_outputs: xp.ndarray) -> Any:
        """Return the input gradients as arrays (``None`` where no gradient is needed)."""
        raise NotImplementedError
