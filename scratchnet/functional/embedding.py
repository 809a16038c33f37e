"""Embedding lookup and one-hot encoding of integer indices."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.function import ArrayFunction
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.ops.convert import as_tensor


class Embedding(ArrayFunction):
    """y = W[indices]; gW scatter-adds gy into the rows that were read (repeated indices add up)."""

    def __init__(self, indices: xp.ndarray) -> None:
        self.indices = indices

    def forward(self, weight: xp.ndarray) -> xp.ndarray:
        return weight[self.indices]

    def backward_arrays(self, gy: xp.ndarray) -> xp.ndarray:
        weight = self.inputs[0].array
        grad = xp.zeros_like(weight)
        xp.add.at(grad, self.indices.reshape(-1), gy.reshape(-1, weight.shape[1]))
        return grad


def _integer_indices(tensor: Any, name: str) -> xp.ndarray:
    indices = tensor.array if isinstance(tensor, Tensor) else xp.asarray(tensor)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name} expects integer indices, got dtype {indices.dtype}")
    return indices


def _check_range(indices: xp.ndarray, size: int, name: str) -> None:
    bad = (indices < 0) | (indices >= size)
    if bad.any():
        position = int(xp.flatnonzero(bad)[0])
        raise ValueError(f"{name}: index {int(indices.reshape(-1)[position])} out of range [0, {size}) "
                         f"at index {position}")


def embedding(input: Any, weight: Any) -> Tensor:
    """Rows of ``weight (num_embeddings, dim)`` selected by the integer ``input``: output shape
    ``input.shape + (dim,)``, as ``torch.nn.functional.embedding``."""
    indices = _integer_indices(input, "embedding")
    weight = as_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding expects a 2-D weight (num_embeddings, dim), got shape {weight.shape}")
    _check_range(indices, weight.shape[0], "embedding")
    return Embedding(indices)(weight)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: out[..., k] = 1 where tensor == k; ``num_classes=-1`` uses
    max + 1, as ``torch.nn.functional.one_hot``."""
    indices = _integer_indices(tensor, "one_hot")
    if num_classes == -1:
        num_classes = int(indices.max()) + 1 if indices.size else 0
    _check_range(indices, num_classes, "one_hot")
    out = xp.zeros(indices.shape + (num_classes,), dtype=xp.int64)
    xp.put_along_axis(out, indices[..., None].astype(xp.intp), 1, axis=-1)
    return Tensor.wrap(out)
