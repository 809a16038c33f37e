"""Helpers for the functional tests: run one op in scratchnet and in PyTorch on the same arrays
and compare the forward values and the gradients of sum(y · probe) for every float input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import scratchnet as sn
from tests.reference import assert_close, torch_or_skip


def compare_with_torch(ours: Callable[..., Any], theirs: Callable[..., Any], *arrays: np.ndarray,
                       rtol: float = 1e-4, atol: float = 1e-5, grads: bool = True) -> None:
    """Forward values equal and, for each floating input, equal gradients of sum(y · probe)."""
    torch = torch_or_skip()
    differentiable = [a.dtype.kind == "f" and grads for a in arrays]
    ours_in = [sn.Tensor.wrap(a).requires_grad_(d) for a, d in zip(arrays, differentiable)]  # keeps layout
    theirs_in = [torch.tensor(a, requires_grad=d) for a, d in zip(arrays, differentiable)]
    y, y_ref = ours(*ours_in), theirs(*theirs_in)
    assert y.dtype == np.dtype(str(y_ref.dtype).replace("torch.", "")), (y.dtype, y_ref.dtype)
    assert_close(y, y_ref, rtol, atol, "forward")
    if not grads:
        return
    probe = np.random.default_rng(1).standard_normal(y.shape).astype(y.dtype)
    (y * sn.tensor(probe)).sum().backward()
    (y_ref * torch.tensor(probe)).sum().backward()
    for index, (a, b, d) in enumerate(zip(ours_in, theirs_in, differentiable)):
        if d:
            assert a.grad is not None, f"input {index} got no gradient"
            assert_close(a.grad, b.grad, rtol, atol, f"gradient of input {index}")


def random(*shape: int, dtype: Any = np.float64, seed: int = 0) -> np.ndarray:
    """Standard-normal test data."""
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape).astype(dtype)
