"""TensorFlow's names on scratchnet: ``import scratchnet.tf as tf`` runs TensorFlow 2 style
programs (tensors, ``GradientTape`` loops, ``tf.nn``, ``tf.data`` pipelines, ``tf.keras``).

>>> import scratchnet.tf as tf
>>> x, y = tf.ones((4, 3)), tf.zeros((4, 1))
>>> w = tf.Variable(tf.random.normal((3, 1)))
>>> with tf.GradientTape() as tape:
...     loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
>>> grad = tape.gradient(loss, w)   # d mean((x w - y)²) / dw = 2 xᵀ(x w - y) / 4
>>> np.allclose(grad.numpy(), 2 * x.numpy().T @ (x.numpy() @ w.numpy()) / 4)
True

Nothing here computes anything itself: every name is a scratchnet function, or a thin adapter
for TensorFlow's argument names and conventions (``axis``, channels-last images, ``argmax``
over axis 0). ``tf.keras`` is ``scratchnet.keras``; ``tf.data.Dataset`` is
``scratchnet.data.Dataset``; ``tf.random`` draws from the one seeded generator. TensorFlow 1
calls either still work where they mean something in an eager framework
(``tf.enable_eager_execution``, ``dataset.make_one_shot_iterator()``,
``tf.nn.softmax_cross_entropy_with_logits_v2``) or raise an error naming the TensorFlow 2
replacement (``tf.train.AdamOptimizer``).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from scratchnet import keras
from scratchnet.autograd.tape import GradientTape
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.data.pipeline import OutOfRangeError
from scratchnet.ops import creation, elementwise
from scratchnet.ops import shape as shape_ops
from scratchnet.ops.convert import as_tensor
from scratchnet.tf import compat, config, data, math, nn, random, train
from scratchnet.tf.compat import enable_eager_execution, executing_eagerly
from scratchnet.tf.keras_alias import install as _install_keras_alias
from scratchnet.tf.math import (
    abs,
    add,
    argmax,
    argmin,
    cast,
    clip_by_value,
    cos,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    matmul,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_sum,
    sigmoid,
    sin,
    sqrt,
    square,
    subtract,
    tanh,
)
from scratchnet.version import __version__

_install_keras_alias()

float16 = xp.dtype("float16")
float32 = xp.dtype("float32")
float64 = xp.dtype("float64")
int8 = xp.dtype("int8")
int16 = xp.dtype("int16")
int32 = xp.dtype("int32")
int64 = xp.dtype("int64")
uint8 = xp.dtype("uint8")
bool = xp.dtype("bool")  # noqa: A001 - TensorFlow's name
double = float64
half = float16


class errors:  # noqa: N801 - TensorFlow's namespace
    """``tf.errors``: the exception a TensorFlow 1 iterator raises at the end of the data."""

    OutOfRangeError = OutOfRangeError


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Tensor:
    """A tensor of ``value`` that never requires grad; a scalar is broadcast to ``shape``
    (``tf.constant``)."""
    return creation.constant(value, dtype=dtype, shape=shape)


class Variable(creation.Variable):
    """A mutable tensor with ``assign``, ``assign_add`` and ``assign_sub``; trainable ones are
    watched by ``GradientTape`` (``tf.Variable``, with TensorFlow's argument order: ``trainable``
    second; ``initial_value`` may be a callable giving it). It is an ``sn.Variable``."""

    __slots__ = ()

    def __init__(self, initial_value: Any = None, trainable: bool = True, name: str | None = None,
                 dtype: Any = None, **ignored: Any) -> None:
        if initial_value is None:
            raise ValueError("tf.Variable: initial_value must be specified")
        if callable(initial_value):
            initial_value = initial_value()
        super().__init__(initial_value, dtype=dtype, name=name, trainable=trainable)


def convert_to_tensor(value: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """``value`` as a Tensor (the same Tensor when it already is one of ``dtype``)."""
    tensor = as_tensor(value)
    return tensor if dtype is None else cast(tensor, dtype)


def zeros(shape: Any, dtype: Any = float32, name: str | None = None) -> Tensor:
    """A tensor of zeros (``tf.zeros``)."""
    return creation.zeros(shape, dtype=dtype)


def ones(shape: Any, dtype: Any = float32, name: str | None = None) -> Tensor:
    """A tensor of ones (``tf.ones``)."""
    return creation.ones(shape, dtype=dtype)


def zeros_like(input: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """Zeros of ``input``'s shape (``tf.zeros_like``)."""
    return creation.zeros_like(input, dtype=dtype)


def ones_like(input: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """Ones of ``input``'s shape (``tf.ones_like``)."""
    return creation.ones_like(input, dtype=dtype)


def fill(dims: Any, value: Any, name: str | None = None) -> Tensor:
    """A tensor of shape ``dims`` filled with ``value`` (``tf.fill``)."""
    return creation.full(dims, value)


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,  # noqa: A001
          name: str | None = None) -> Tensor:
    """``start, start + delta, ...`` up to ``limit`` (excluded); ``range(n)`` is 0..n−1 (``tf.range``)."""
    return creation.arange(start, limit, delta, dtype=dtype)


def linspace(start: Any, stop: Any, num: int, name: str | None = None, axis: int = 0) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop``, both included (``tf.linspace``)."""
    return creation.linspace(start, stop, num)


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:
    """``tensor`` with a new shape of the same size; one entry may be -1 (``tf.reshape``)."""
    dims = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
    return shape_ops.reshape(tensor, *dims)


def transpose(a: Any, perm: Any = None, name: str | None = None) -> Tensor:
    """``a`` with its axes in the order ``perm`` (reversed when None) (``tf.transpose``)."""
    a = as_tensor(a)
    return shape_ops.permute(a, *(reversed(builtins.range(a.ndim)) if perm is None else perm))


def concat(values: Any, axis: int, name: str | None = None) -> Tensor:
    """The tensors joined along the existing ``axis`` (``tf.concat``)."""
    return shape_ops.concat(values, axis=axis)


def stack(values: Any, axis: int = 0, name: str | None = None) -> Tensor:
    """The tensors of one shape joined along a new ``axis`` (``tf.stack``)."""
    return shape_ops.stack(values, axis=axis)


def squeeze(input: Any, axis: Any = None, name: str | None = None) -> Tensor:
    """``input`` without its size-1 axes (or only those in ``axis``) (``tf.squeeze``)."""
    return shape_ops.squeeze(input, axis=axis)


def expand_dims(input: Any, axis: int, name: str | None = None) -> Tensor:
    """``input`` with a new size-1 axis at ``axis`` (``tf.expand_dims``)."""
    return shape_ops.unsqueeze(input, axis=axis)


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """``x`` where ``condition`` holds, else ``y`` (``tf.where``; both must be given)."""
    if x is None or y is None:
        raise ValueError("tf.where(condition) without x and y (the indices of true elements) is not "
                         "supported; give both x and y")
    return elementwise.where(condition, x, y)


def one_hot(indices: Any, depth: int, dtype: Any = float32, name: str | None = None) -> Tensor:
    """Rows of ``depth`` zeros with a one at each index (``tf.one_hot``)."""
    from scratchnet.functional import one_hot as one_hot_indices

    return cast(one_hot_indices(as_tensor(indices), depth), dtype)


def identity(input: Any, name: str | None = None) -> Tensor:
    """The same values (``tf.identity``)."""
    return as_tensor(input)


def function(func: Callable[..., Any] | None = None, **options: Any) -> Any:
    """``@tf.function`` (with or without arguments): returns ``func`` unchanged, since
    scratchnet always runs eagerly; the results are the same, only not graph-compiled."""
    if func is None:
        return lambda decorated: decorated
    return func


__all__ = ["GradientTape", "Tensor", "Variable", "__version__", "abs", "add", "argmax", "argmin", "bool",
           "cast", "clip_by_value", "compat", "concat", "config", "constant", "convert_to_tensor", "cos",
           "data", "divide", "double", "enable_eager_execution", "equal", "errors", "executing_eagerly",
           "exp", "expand_dims", "fill", "float16", "float32", "float64", "function", "greater",
           "greater_equal", "half", "identity", "int16", "int32", "int64", "int8", "keras", "less",
           "less_equal", "linspace", "log", "math", "matmul", "maximum", "minimum", "multiply", "negative",
           "nn", "not_equal", "one_hot", "ones", "ones_like", "pow", "random", "range", "reduce_max",
           "reduce_mean", "reduce_min", "reduce_sum", "reshape", "sigmoid", "sin", "sqrt", "square",
           "squeeze", "stack", "subtract", "tanh", "train", "transpose", "uint8", "where", "zeros",
           "zeros_like"]
