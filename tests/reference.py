"""Shared test helpers: comparing scratchnet with PyTorch and with finite differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import scratchnet as sn


def torch_or_skip() -> Any:
    """The ``torch`` module, or skip the test cleanly when PyTorch is not installed."""
    return pytest.importorskip("torch")


def as_numpy(value: Any) -> np.ndarray:
    """A NumPy array from a scratchnet Tensor, a torch tensor or an array."""
    if isinstance(value, sn.Tensor):
        return value.numpy()
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def assert_close(ours: Any, theirs: Any, rtol: float = 1e-5, atol: float = 1e-6, what: str = "") -> None:
    """Shapes equal and values close (``np.testing.assert_allclose`` semantics)."""
    ours, theirs = as_numpy(ours), as_numpy(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=what)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences ∂f/∂x, one element at a time (float64 inputs expected)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        plus = f(x)
        x[index] = saved - eps
        minus = f(x)
        x[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def check_gradients(f: Callable[..., sn.Tensor], *inputs: np.ndarray, rtol: float = 1e-3,
                    atol: float = 1e-5, eps: float = 1e-6) -> None:
    """Compare autograd's gradients of ``sum(f(*inputs) * w)`` (random w) with central
    differences in float64, for every input (PyTorch's gradcheck tolerances by default)."""
    inputs = [np.asarray(x, dtype=np.float64) for x in inputs]
    probe = np.random.default_rng(0).standard_normal(
        np.shape(f(*[sn.tensor(x) for x in inputs]).numpy()))
    tensors = [sn.tensor(x, requires_grad=True) for x in inputs]
    (f(*tensors) * sn.tensor(probe)).sum().backward()
    for position, tensor in enumerate(tensors):
        def scalar(value: np.ndarray, position: int = position) -> float:
            args = [sn.tensor(value if i == position else x) for i, x in enumerate(inputs)]
            return float((f(*args).numpy() * probe).sum())

        expected = numerical_gradient(scalar, inputs[position], eps)
        assert tensor.grad is not None, f"input {position} got no gradient"
        assert_close(tensor.grad, expected, rtol=rtol, atol=atol, what=f"gradient of input {position}")
