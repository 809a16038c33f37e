"""Merge layers of the functional API, called on a list of tensors: ``Add``, ``Multiply``,
``Average`` (elementwise over inputs of one shape) and ``Concatenate`` (along an axis)."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.keras.layers.base import KerasTensor, Layer
from scratchnet.ops.convert import as_tensor
from scratchnet.ops.shape import cat


class Merge(Layer):
    """Base of the merge layers: ``layer([x1, x2, ...])`` on two or more tensors (or symbolic
    tensors, which gives a symbolic output with every input as a parent)."""

    def __call__(self, inputs: Any, training: bool | None = None, **kwargs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f'layer "{self.name}" ({type(self).__name__}): a merge layer should be called '
                             f"on a list of at least 2 inputs, got {inputs!r}")
        if all(isinstance(x, KerasTensor) for x in inputs):
            shape = self.output_shape_of([tuple(x.shape) for x in inputs])
            return KerasTensor(shape, layer=self, parents=tuple(inputs))
        tensors = [x if isinstance(x, Tensor) else as_tensor(x) for x in inputs]
        shape = self.output_shape_of([(None, *t.shape[1:]) for t in tensors])
        if not self.built:
            self.built, self.built_input_shape, self.output_shape = True, tensors[0].shape, shape
        return self._call_in_mode(training, *tensors)

    def output_shape_of(self, shapes: list[tuple[int | None, ...]]) -> tuple[int | None, ...]:
        """The output shape for inputs of ``shapes`` (batch axis None); all must be equal."""
        if len(set(shapes)) > 1:
            raise ValueError(f'layer "{self.name}" ({type(self).__name__}) needs inputs of one shape, '
                             f"got shapes {shapes}")
        return shapes[0]

    def forward(self, *xs: Tensor) -> Tensor:
        return self.merge(list(xs))

    def merge(self, xs: list[Tensor]) -> Tensor:
        """The merged tensor."""
        raise NotImplementedError


class Add(Merge):
    """y = x₁ + x₂ + … (ResNet's shortcut), as ``keras.layers.Add``."""

    def merge(self, xs: list[Tensor]) -> Tensor:
        return _fold(xs, lambda a, b: a + b)


class Multiply(Merge):
    """y = x₁ · x₂ · … elementwise, as ``keras.layers.Multiply``."""

    def merge(self, xs: list[Tensor]) -> Tensor:
        return _fold(xs, lambda a, b: a * b)


class Average(Merge):
    """y = (x₁ + x₂ + … + xₙ) / n, as ``keras.layers.Average``."""

    def merge(self, xs: list[Tensor]) -> Tensor:
        return _fold(xs, lambda a, b: a + b) * (1.0 / len(xs))


def _fold(xs: list[Tensor], combine: Any) -> Tensor:
    result = xs[0]
    for x in xs[1:]:
        result = combine(result, x)
    return result


class Concatenate(Merge):
    """The inputs joined along ``axis`` (the channels, -1, by default; the other axes must agree),
    as ``keras.layers.Concatenate`` (inception blocks)."""

    def __init__(self, axis: int = -1, name: str | None = None) -> None:
        super().__init__(name=name)
        if isinstance(axis, bool) or not isinstance(axis, int) or axis == 0:
            raise ValueError(f"Concatenate: axis must be a non-batch axis (an int other than 0), "
                             f"got {axis!r}")
        self.axis = axis

    def output_shape_of(self, shapes: list[tuple[int | None, ...]]) -> tuple[int | None, ...]:
        ndim = len(shapes[0])
        axis = self.axis % ndim if -ndim <= self.axis < ndim else None
        others = {tuple(s[:axis] + s[axis + 1:]) for s in shapes} if axis else None
        if axis is None or axis == 0 or any(len(s) != ndim for s in shapes) or len(others) > 1:
            raise ValueError(f'layer "{self.name}" (Concatenate): inputs must match in every axis but '
                             f"the concatenation axis {self.axis}, got shapes {shapes}")
        sizes = [s[axis] for s in shapes]
        total = None if None in sizes else sum(sizes)
        return (*shapes[0][:axis], total, *shapes[0][axis + 1:])

    def merge(self, xs: list[Tensor]) -> Tensor:
        return cat(xs, axis=self.axis % xs[0].ndim)
