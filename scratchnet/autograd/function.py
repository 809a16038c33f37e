"""The ``Function``: one differentiable operation with a forward and a backward.

As in DeZero and Chainer, ``forward`` computes on raw arrays and ``backward`` receives the
gradients of the outputs and returns the gradients of the inputs. Calling a Function on Tensors
runs ``forward`` and, when some input requires a gradient and grad mode is on, records the
Function as the creator of its outputs.

``backward`` receives and returns Tensors, so a backward written with Tensor operations is itself
recorded when the engine runs with ``create_graph=True``: higher-order gradients come for free.
Heavy ops (convolution, pooling, batch norm, ...) instead compute all their gradients in one fused
array routine through ``ArrayFunction``.
"""

from __future__ import annotations

import weakref
from typing import Any

from scratchnet.autograd.config import Config
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp


def _wrap_array(result: Any) -> Tensor:
    """A forward result as a Tensor; NumPy scalars (full reductions, ``x[i, j]``) become 0-d arrays."""
    return Tensor.wrap(result if result.__class__ is xp.ndarray else xp.asarray(result))


class Function:
    """Base class of every differentiable op.

    Subclasses implement ``forward(*arrays) -> array | tuple of arrays`` and
    ``backward(*grad_outputs: Tensor) -> Tensor | None | tuple``. Inside ``backward``:
    ``self.inputs`` are the input Tensors, ``self.needs_input_grad[i]`` says whether input ``i``
    wants a gradient (return ``None`` for those that do not), and ``self.output(i)`` is output
    ``i``. Gradients may have the broadcast shape of the output: the engine reduces each one to
    its input's shape in one place.
    """

    inputs: tuple[Tensor, ...] | None
    needs_input_grad: tuple[bool, ...]
    outputs: tuple[weakref.ref, ...]
    output_meta: tuple[tuple[tuple[int, ...], xp.dtype], ...]

    def __call__(self, *inputs: Tensor) -> Any:
        try:
            result = self.forward(*[x.array for x in inputs])
        except ValueError as error:
            shapes = " and ".join(str(x.shape) for x in inputs)
            raise ValueError(f"{self.name}: cannot apply to inputs of shapes {shapes}: {error}") from None
        multiple = result.__class__ is tuple
        outputs = tuple(map(_wrap_array, result)) if multiple else (_wrap_array(result),)
        if Config.detect_anomaly:
            self._check_finite(result if multiple else (result,), "forward")
        if Config.grad_enabled:
            for x in inputs:
                if x._requires_grad:
                    self._record(inputs, outputs)
                    break
            else:
                self._propagate_origin(inputs, outputs)
        return outputs if multiple else outputs[0]

    def _record(self, inputs: tuple[Tensor, ...], outputs: tuple[Tensor, ...]) -> None:
        """Link the outputs to this Function so that ``backward`` can find its way back."""
        self.inputs = inputs
        self.needs_input_grad = tuple([x._requires_grad for x in inputs])
        for index, y in enumerate(outputs):
            y._requires_grad = True
            y.creator = self
            y.output_index = index
        self.outputs = tuple([weakref.ref(y) for y in outputs])
        if len(outputs) > 1:  # only an output of a multi-output op can get no gradient (zeros then)
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

    def output(self, index: int = 0) -> Tensor:
        """Output ``index`` of this op (alive while the graph that uses it is alive)."""
        tensor = self.outputs[index]()
        if tensor is None:
            raise RuntimeError(f"{self.name}: its output was freed before backward")
        return tensor

    def forward(self, *arrays: xp.ndarray) -> Any:
        """Compute the outputs from the input arrays."""
        raise NotImplementedError

    def backward(self, *grad_outputs: Tensor) -> Any:
        """Return the gradients of the inputs given those of the outputs."""
        raise NotImplementedError

    def release(self) -> None:
        """Drop the inputs and saved arrays once backward is done (``retain_graph=False``)."""
        self.__dict__.clear()
        self.inputs = None

    def _check_finite(self, arrays: tuple[xp.ndarray, ...], stage: str) -> None:
        for array in arrays:
            if array is not None and array.dtype.kind == "f" and not xp.isfinite(array).all():
                raise FloatingPointError(
                    f"anomaly: {self.name} produced a NaN or infinity in its {stage} pass")


class ArrayFunction(Function):
    """A Function whose backward is one fused computation on arrays (conv2d, pooling, ...).

    Subclasses implement ``backward_arrays(*grad_arrays) -> array | None | tuple``. The gradients
    are not themselves differentiable: a second-order gradient through such an op raises.
    """

    def backward(self, *grad_outputs: Tensor) -> Any:
        if Config.grad_enabled:
            raise NotImplementedError(
                f"{self.name} does not support higher-order gradients (create_graph=True)")
        grads = self.backward_arrays(*[g.array for g in grad_outputs])
        if isinstance(grads, tuple):
            return tuple([None if g is None else Tensor.wrap(g) for g in grads])
        return None if grads is None else Tensor.wrap(grads)

    def backward_arrays(self, *grad_outputs: xp.ndarray) -> Any:
        """Return the input gradients as arrays (``None`` where no gradient is needed)."""
        raise NotImplementedError
