"""Install the ops as Tensor operators and methods (``x + y``, ``x.sum()``, ``x.T``, ...).

Kept in one table so that a reader sees every method a Tensor has and which op implements it.
"""

from __future__ import annotations

from scratchnet.autograd.tensor import Tensor
from scratchnet.ops import arithmetic, comparison, elementwise, inplace, reduction, shape, torch_style

_METHODS = {
    "__add__": arithmetic.add,
    "__radd__": arithmetic.add,
    "__sub__": arithmetic.sub,
    "__rsub__": arithmetic.rsub,
    "__mul__": arithmetic.mul,
    "__rmul__": arithmetic.mul,
    "__truediv__": arithmetic.div,
    "__rtruediv__": arithmetic.rdiv,
    "__pow__": arithmetic.pow,
    "__rpow__": arithmetic.rpow,
    "__matmul__": arithmetic.matmul,
    "__rmatmul__": arithmetic.rmatmul,
    "__neg__": arithmetic.neg,
    "__abs__": elementwise.abs,
    "__eq__": comparison.equal,
    "__ne__": comparison.not_equal,
    "__lt__": comparison.less,
    "__le__": comparison.less_equal,
    "__gt__": comparison.greater,
    "__ge__": comparison.greater_equal,
    "__getitem__": shape.getitem,
    "matmul": arithmetic.matmul,
    "sum": reduction.sum,
    "mean": reduction.mean,
    "max": reduction.max,
    "min": reduction.min,
    "var": reduction.var,
    "std": reduction.std,
    "argmax": comparison.argmax,
    "argmin": comparison.argmin,
    "reshape": shape.reshape,
    "view": shape.view,
    "transpose": shape.transpose,
    "permute": shape.permute,
    "flatten": shape.flatten,
    "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze,
    "expand": shape.expand,
    "broadcast_to": shape.broadcast_to,
    "sum_to": shape.sum_to,
    "astype": shape.astype,
    "exp": elementwise.exp,
    "log": elementwise.log,
    "sqrt": elementwise.sqrt,
    "abs": elementwise.abs,
    "sin": elementwise.sin,
    "cos": elementwise.cos,
    "tanh": elementwise.tanh,
    "sigmoid": elementwise.sigmoid,
    "relu": elementwise.relu,
    "clip": elementwise.clip,
    "clamp": elementwise.clip,
    # PyTorch's method names and signatures
    "add": torch_style.add,
    "sub": torch_style.sub,
    "mul": torch_style.mul,
    "div": torch_style.div,
    "pow": torch_style.pow,
    "all": comparison.all,
    "any": comparison.any,
    "eq": comparison.equal,
    "ne": comparison.not_equal,
    "lt": comparison.less,
    "le": comparison.less_equal,
    "gt": comparison.greater,
    "ge": comparison.greater_equal,
    "view_as": torch_style.view_as,
    "reshape_as": torch_style.view_as,
    "expand_as": torch_style.expand_as,
    "t": torch_style.t,
    "clone": torch_style.clone,
    "type": torch_style.type_,
    "to": torch_style.to,
    **inplace.METHODS,
}


def _transposed(self: Tensor) -> Tensor:
    """All axes reversed (NumPy's ``.T``)."""
    return shape.transpose(self)


def _matrix_transposed(self: Tensor) -> Tensor:
    """The last two axes swapped (``.mT`` in PyTorch and NumPy): the transpose of each matrix."""
    return shape.transpose(self, -1, -2)


def _float(self: Tensor) -> Tensor:
    """The values as float32 (PyTorch's ``.float()``)."""
    return shape.astype(self, "float32")


def _double(self: Tensor) -> Tensor:
    """The values as float64 (PyTorch's ``.double()``)."""
    return shape.astype(self, "float64")


def _long(self: Tensor) -> Tensor:
    """The values as int64 (PyTorch's ``.long()``)."""
    return shape.astype(self, "int64")


def install() -> None:
    """Attach the operators and methods to ``Tensor``."""
    for name, function in _METHODS.items():
        setattr(Tensor, name, function)
    Tensor.T = property(_transposed)
    Tensor.mT = property(_matrix_transposed)
    Tensor.float = _float
    Tensor.double = _double
    Tensor.long = _long
