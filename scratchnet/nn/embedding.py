"""``Embedding``: a lookup table of learnable vectors."""

from __future__ import annotations

from typing import Any

from scratchnet import functional as F
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import DEFAULT_FLOAT, xp
from scratchnet.nn import init
from scratchnet.nn.module import Module
from scratchnet.nn.parameter import Parameter
from scratchnet.nn.validation import positive_int


class Embedding(Module):
    """y[...] = W[index[...]] for integer indices in [0, num_embeddings); W is
    ``(num_embeddings, embedding_dim)``, initialised N(0, 1) as PyTorch. Gradients
    scatter-add into the rows that were looked up."""

    accepts_integer_input = True

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__()
        self.num_embeddings = positive_int("num_embeddings", num_embeddings, "Embedding")
        self.embedding_dim = positive_int("embedding_dim", embedding_dim, "Embedding")
        self.weight = Parameter(xp.empty((self.num_embeddings, self.embedding_dim), dtype=DEFAULT_FLOAT))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights from N(0, 1)."""
        init.normal_(self.weight)

    def forward(self, indices: Any) -> Tensor:
        return F.embedding(indices, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
