"""The fast paths taken for speed keep the semantics of the general ones: the transposed GEMM of
``Linear``, leaf gradients taken without a copy, the cast-free ``Module.__call__``, and the folded
bias corrections of Adam."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import functional as F
from scratchnet import nn, optim
from tests.reference import assert_close, torch_or_skip


def randn(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("rows", [2, 9])  # fewer rows than outputs (W·xᵀ)ᵀ, or more (x·Wᵀ)
def test_linear_both_gemm_orientations_match_torch_with_gradients(rows):
    torch = torch_or_skip()
    x, weight, bias = randn(rows, 5), randn(6, 5, seed=1), randn(6, seed=2)
    ours = [sn.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    out = F.linear(*ours)
    reference = torch.nn.functional.linear(*theirs)
    assert_close(out, reference, rtol=1e-12, atol=1e-12)
    # the output flows on into another layer and a ReLU whatever its memory layout
    second = randn(3, 6, seed=3)
    F.linear(out.relu(), sn.tensor(second)).sum().backward()
    torch.nn.functional.linear(reference.relu(), torch.tensor(second)).sum().backward()
    for mine, theirs_tensor in zip(ours, theirs):
        assert_close(mine.grad, theirs_tensor.grad, rtol=1e-12, atol=1e-12)


def test_leaf_gradients_never_share_memory_with_the_callers_grad_or_each_other():
    a = sn.tensor(np.arange(4.0), requires_grad=True)
    b = sn.tensor(np.ones(4), requires_grad=True)
    seed = np.full(4, 3.0)
    (a + b).backward(seed)
    assert not np.shares_memory(a.grad.numpy(), seed)
    assert not np.shares_memory(b.grad.numpy(), seed)
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), seed)


def test_taken_gradients_stay_correct_when_a_leaf_gets_several_contributions():
    a = sn.tensor(np.arange(4.0), requires_grad=True)
    b = sn.tensor(np.ones(4), requires_grad=True)
    ((a + b) + a * 2 + a.exp()).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 3 + np.exp(np.arange(4.0)), rtol=1e-14)
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(4))
    a.sum().backward()  # a second pass adds into a new array
    np.testing.assert_allclose(a.grad.numpy(), 4 + np.exp(np.arange(4.0)), rtol=1e-14)


def test_broadcast_gradient_becomes_a_writeable_array_of_its_own():
    x = sn.tensor(np.ones((2, 3)), requires_grad=True)
    x.sum().backward()
    assert x.grad.numpy().flags.writeable
    x.grad.zero_()
    assert (x.grad.numpy() == 0).all()


def test_module_sees_parameters_cast_or_replaced_since_its_last_call():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    x = randn(2, 2, 2, dtype=np.float32)
    assert model(x).dtype == np.float32
    model.double()
    assert model(x).dtype == np.float64
    model[1].weight = nn.Parameter(randn(3, 4, dtype=np.float32))
    model[1].bias = nn.Parameter(randn(3, dtype=np.float32))
    assert model(sn.tensor(x.astype(np.float64))).dtype == np.float32


@pytest.mark.parametrize("options", [{}, {"epsilon_hat": True}, {"eps": 1e-3, "weight_decay": 0.1}])
def test_adam_folded_bias_corrections_follow_the_textbook_formula(options):
    theta = randn(5, seed=4)
    param = nn.Parameter(theta.copy())
    optimizer = optim.Adam([param], lr=0.1, **options)
    m, v = np.zeros(5), np.zeros(5)
    eps, weight_decay = options.get("eps", 1e-8), options.get("weight_decay", 0.0)
    for t in range(1, 6):
        grad = randn(5, seed=10 + t)
        param.grad = sn.tensor(grad)
        optimizer.step()
        g = grad + weight_decay * theta
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        if options.get("epsilon_hat"):
            theta = theta - 0.1 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + eps)
        else:
            theta = theta - 0.1 / (1 - 0.9 ** t) * m / (np.sqrt(v) / np.sqrt(1 - 0.999 ** t) + eps)
        np.testing.assert_allclose(param.numpy(), theta, rtol=1e-12, atol=1e-14, err_msg=f"step {t}")
