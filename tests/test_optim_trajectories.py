"""Every optimiser follows torch.optim's parameter trajectory on a non-quadratic loss."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import optim
from tests.reference import torch_or_skip

STEPS = 60
SHAPES = [(3, 4), (5,)]

CASES = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.01, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "maximize": True}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.03, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "maximize": True, "weight_decay": 0.01}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True, "betas": (0.5, 0.9)}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.005, "centered": True}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "centered": True, "momentum": 0.5,
                 "weight_decay": 0.1}),
    ("RMSprop", {"maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "eps": 1e-6, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.95, "weight_decay": 0.1}),
    ("Adadelta", {"eps": 1e-4, "maximize": True}),
]

# per-group options: the second group overrides the learning rate (and one more option)
GROUP_CASES = [
    ("SGD", {"lr": 0.01, "momentum": 0.9}, {"lr": 0.03, "nesterov": True}),
    ("Adam", {"lr": 0.02}, {"lr": 0.07, "amsgrad": True}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.1}, {"lr": 0.05, "weight_decay": 0.0}),
    ("RMSprop", {"lr": 0.003}, {"lr": 0.01, "centered": True}),
    ("Adagrad", {"lr": 0.05}, {"lr": 0.2, "lr_decay": 0.1}),
    ("Adadelta", {"lr": 1.0}, {"lr": 0.3, "rho": 0.8}),
]


def initial_params() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.uniform(-2.0, 2.0, size=shape) for shape in SHAPES]


def loss(params, lib, sign: float):
    """sign · (Σ sin(p)·p² + 0.05·Σp⁴ over both params + 0.1·(Σa)(Σb)): non-quadratic, bounded below."""
    total = 0.1 * params[0].sum() * params[1].sum()
    for p in params:
        squared = p * p
        total = total + (lib.sin(p) * squared).sum() + 0.05 * (squared * squared).sum()
    return total * sign


def trajectories(name: str, groups: list[dict], dtype: str, steps: int = STEPS):
    """Run our optimiser and torch's side by side; yield (step, ours, theirs) parameter lists."""
    torch = torch_or_skip()
    sign = -1.0 if groups[0].get("maximize") else 1.0
    ours = [sn.tensor(p.astype(dtype), requires_grad=True) for p in initial_params()]
    theirs = [torch.tensor(p.astype(dtype), requires_grad=True) for p in initial_params()]

    def build(module, params):
        if len(groups) == 1:
            return getattr(module, name)(params, **groups[0])
        first, second = groups  # the first group takes the constructor's options, the second overrides
        return getattr(module, name)([{"params": [params[0]]}, {"params": [params[1]], **second}], **first)

    ours_opt, theirs_opt = build(optim, ours), build(torch.optim, theirs)
    for step in range(steps):
        ours_opt.zero_grad()
        loss(ours, sn, sign).backward()
        ours_opt.step()
        theirs_opt.zero_grad()
        loss(theirs, torch, sign).backward()
        theirs_opt.step()
        yield step, ours, theirs


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_torch_float64(name, options):
    moved = 0.0
    for step, ours, theirs in trajectories(name, [options], "float64"):
        for position, (mine, reference) in enumerate(zip(ours, theirs)):
            np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-7, atol=1e-12,
                                       err_msg=f"{name} {options} step {step} param {position}")
    for start, reference in zip(initial_params(), theirs):
        moved = max(moved, float(np.abs(reference.detach().numpy() - start).max()))
    assert moved > 1e-2, "the trajectory barely moved: the comparison would prove little"


@pytest.mark.parametrize("name, first, second", GROUP_CASES, ids=[case[0] for case in GROUP_CASES])
def test_param_groups_with_different_options_match_torch(name, first, second):
    for step, ours, theirs in trajectories(name, [first, second], "float64"):
        for position, (mine, reference) in enumerate(zip(ours, theirs)):
            np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-7, atol=1e-12,
                                       err_msg=f"{name} step {step} param {position}")


@pytest.mark.parametrize("name, options", [("SGD", {"lr": 0.01, "momentum": 0.9}), ("Adam", {"lr": 0.05}),
                                           ("RMSprop", {"centered": True}), ("Adadelta", {})])
def test_float32_parameters_keep_float32_and_match_torch(name, options):
    for _, ours, theirs in trajectories(name, [options], "float32", steps=20):
        for mine, reference in zip(ours, theirs):
            assert mine.dtype == np.float32
            np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
def test_epsilon_hat_follows_keras_formula(cls, amsgrad):
    rng = np.random.default_rng(3)
    start = rng.standard_normal((4, 3))
    lr, beta1, beta2, eps, decay = 0.01, 0.9, 0.999, 1e-7, 0.004 if cls is optim.AdamW else 0.0
    param = sn.tensor(start.copy(), requires_grad=True)
    opt = cls([param], lr=lr, eps=eps, weight_decay=decay, amsgrad=amsgrad, epsilon_hat=True)
    theta, m, v, v_max = start.copy(), np.zeros_like(start), np.zeros_like(start), np.zeros_like(start)
    for t in range(1, 31):
        grad = np.cos(theta) * theta + theta ** 3
        param.grad = sn.tensor(np.cos(param.numpy()) * param.numpy() + param.numpy() ** 3)
        opt.step()
        theta = theta * (1 - lr * decay)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad ** 2
        v_max = np.maximum(v_max, v)
        alpha = lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        theta = theta - alpha * m / (np.sqrt(v_max if amsgrad else v) + eps)
        np.testing.assert_allclose(param.numpy(), theta, rtol=1e-10, atol=1e-13, err_msg=f"step {t}")
