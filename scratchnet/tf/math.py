"""``tf.math``: TensorFlow's names for scratchnet's element-wise, reduction and comparison ops.

Every function here is a thin adapter over ``scratchnet.ops`` (TensorFlow's argument names and
defaults: ``axis``/``keepdims``, ``transpose_a``, ``argmax`` over axis 0); none holds maths of its
own. The same functions are also at the top of ``scratchnet.tf`` (``tf.reduce_mean`` is
``tf.math.reduce_mean``, as in TensorFlow).
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.ops import arithmetic, comparison, elementwise, reduction
from scratchnet.ops.convert import as_tensor
from scratchnet.ops.shape import astype

add = arithmetic.add
subtract = arithmetic.sub
multiply = arithmetic.mul
divide = arithmetic.div
negative = arithmetic.neg
pow = arithmetic.pow  # noqa: A001 - TensorFlow's name
sigmoid = elementwise.sigmoid
tanh = elementwise.tanh
exp = elementwise.exp
log = elementwise.log
sqrt = elementwise.sqrt
abs = elementwise.abs  # noqa: A001 - TensorFlow's name
sin = elementwise.sin
cos = elementwise.cos
maximum = elementwise.maximum
minimum = elementwise.minimum
equal = comparison.equal
not_equal = comparison.not_equal
greater = comparison.greater
greater_equal = comparison.greater_equal
less = comparison.less
less_equal = comparison.less_equal


def square(x: Any) -> Tensor:
    """x² element-wise (``tf.math.square``)."""
    return arithmetic.pow(x, 2)


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           name: str | None = None) -> Tensor:
    """a @ b over the last two axes, each operand first transposed (its last two axes swapped)
    when asked (``tf.linalg.matmul``)."""
    a, b = as_tensor(a), as_tensor(b)
    a = a.transpose(-2, -1) if transpose_a else a
    b = b.transpose(-2, -1) if transpose_b else b
    return arithmetic.matmul(a, b)


def reduce_mean(input_tensor: Any, axis: Any = None, keepdims: bool = False,
                name: str | None = None) -> Tensor:
    """Mean over ``axis`` (every axis when None) (``tf.math.reduce_mean``)."""
    return reduction.mean(input_tensor, axis=axis, keepdims=keepdims)


def reduce_sum(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None) -> Tensor:
    """Sum over ``axis`` (every axis when None) (``tf.math.reduce_sum``)."""
    return reduction.sum(input_tensor, axis=axis, keepdims=keepdims)


def reduce_max(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None) -> Tensor:
    """Largest value over ``axis`` (every axis when None) (``tf.math.reduce_max``)."""
    return reduction.max(input_tensor, axis=axis, keepdims=keepdims)


def reduce_min(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None) -> Tensor:
    """Smallest value over ``axis`` (every axis when None) (``tf.math.reduce_min``)."""
    return reduction.min(input_tensor, axis=axis, keepdims=keepdims)


def argmax(input: Any, axis: int | None = None, output_type: Any = "int64",
           name: str | None = None) -> Tensor:
    """Index of the largest value along ``axis``; TensorFlow's default axis is 0, not the
    flattened tensor (``tf.math.argmax``)."""
    return astype(comparison.argmax(input, axis=0 if axis is None else axis), output_type)


def argmin(input: Any, axis: int | None = None, output_type: Any = "int64",
           name: str | None = None) -> Tensor:
    """Index of the smallest value along ``axis`` (0 by default, as TensorFlow) (``tf.math.argmin``)."""
    return astype(comparison.argmin(input, axis=0 if axis is None else axis), output_type)


def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    """``x`` converted to ``dtype`` (booleans become 0/1) (``tf.cast``)."""
    return astype(as_tensor(x), dtype)


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None) -> Tensor:
    """``t`` limited to ``[clip_value_min, clip_value_max]`` (``tf.clip_by_value``)."""
    return elementwise.clip(t, clip_value_min, clip_value_max)


__all__ = ["abs", "add", "argmax", "argmin", "cast", "clip_by_value", "cos", "divide", "equal", "exp",
           "greater", "greater_equal", "less", "less_equal", "log", "matmul", "maximum", "minimum",
           "multiply", "negative", "not_equal", "pow", "reduce_max", "reduce_mean", "reduce_min",
           "reduce_sum", "sigmoid", "sin", "sqrt", "square", "subtract", "tanh"]
