"""Optimisers, cross-entropy, softmax and log-softmax at float32's extremes, against PyTorch.

A gradient of 1e20 squared overflows float32; PyTorch scales before it squares (addcmul), so the
parameter keeps moving. Logits of ±3e38 give a log-probability of −inf for the losing class; PyTorch
reads only the label's log-probability, so the loss is 0 (or +inf), never NaN.
"""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
import scratchnet.nn.functional as F
from scratchnet import optim
from tests.reference import torch_or_skip

OPTIMIZERS = [
    ("Adam", {}),
    ("Adam", {"amsgrad": True, "weight_decay": 0.01}),
    ("AdamW", {}),
    ("RMSprop", {}),
    ("RMSprop", {"centered": True, "momentum": 0.9}),
    ("Adagrad", {}),
    ("Adadelta", {}),
]
GRADIENTS = [1e20, -1e20, 3e19, -1e25, 1e30, 3e38, 1e-30, 0.5]


def _trajectories(name: str, options: dict, gradients: np.ndarray, steps: int = 4):
    """Both frameworks' parameters after each of ``steps`` steps with the same gradient."""
    torch = torch_or_skip()
    start = np.linspace(-1.0, 1.0, gradients.size, dtype=np.float32)
    ours = sn.tensor(start.copy(), requires_grad=True)
    theirs = torch.tensor(start.copy(), requires_grad=True)
    our_step = getattr(optim, name)([ours], **options)
    their_step = getattr(torch.optim, name)([theirs], **options)
    for _ in range(steps):
        ours.grad = sn.Tensor.wrap(gradients.copy())
        theirs.grad = torch.tensor(gradients.copy())
        with np.errstate(all="ignore"):
            our_step.step()
        their_step.step()
        yield ours.detach().numpy().copy(), theirs.detach().numpy().copy()


@pytest.mark.parametrize("name,options", OPTIMIZERS, ids=lambda value: str(value))
def test_optimizer_huge_gradients_follow_torch(name, options):
    gradients = np.array(GRADIENTS, dtype=np.float32)
    for ours, theirs in _trajectories(name, options, gradients):
        assert np.array_equal(np.isfinite(ours), np.isfinite(theirs)), (ours, theirs)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop"])
def test_gradient_of_1e20_keeps_the_parameter_moving(name):
    """The issue's case: g = 1e20 froze Adam's parameter (g² = inf, so the step m/√v was 0)."""
    gradients = np.array([1e20], dtype=np.float32)
    positions = [ours[0] for ours, _ in _trajectories(name, {}, gradients, steps=3)]
    assert np.all(np.isfinite(positions))
    assert positions[0] < -1.0 and positions[2] < positions[1] < positions[0]


EXTREME_LOGITS = np.array([
    [3e38, -3e38, 0.0],
    [-3e38, 3e38, 1.0],
    [3e38, 3e38, -3e38],
    [-3e38, -3e38, -3e38],
    [-np.inf, 2.0, 1.0],
    [3.4e38, 1.0, -np.inf],
    [1.0, 2.0, 3.0],
], dtype=np.float32)


def _compare_cross_entropy(torch, logits, labels, **options):
    ours_in = sn.tensor(logits, requires_grad=True)
    theirs_in = torch.tensor(logits, requires_grad=True)
    with np.errstate(all="ignore"):
        ours = F.cross_entropy(ours_in, sn.tensor(labels), **options)
        (ours.sum() if ours.ndim else ours).backward()
    if options.get("weight") is not None:
        options = {**options, "weight": torch.tensor(options["weight"])}
    theirs = torch.nn.functional.cross_entropy(theirs_in, torch.tensor(labels), **options)
    (theirs.sum() if theirs.ndim else theirs).backward()
    what = f"{options} labels {labels}"
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-6, err_msg=what)
    np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), rtol=1e-6, atol=1e-7,
                               err_msg=what)


@pytest.mark.parametrize("options", [
    {"reduction": "none"}, {"reduction": "mean"}, {"reduction": "sum"},
    {"reduction": "none", "weight": np.array([0.5, 2.0, 1.0], np.float32)},
    {"reduction": "mean", "ignore_index": 2},
], ids=str)
def test_cross_entropy_at_float32_extremes_equals_torch(options):
    torch = torch_or_skip()
    labels = np.array([0, 1, 0, 2, 1, 0, 2])
    _compare_cross_entropy(torch, EXTREME_LOGITS, labels, **options)
    if options.get("ignore_index") == 2:  # an ignored row whose label-0 log-probability is −inf
        _compare_cross_entropy(torch, EXTREME_LOGITS, np.array([0, 1, 0, 2, 2, 0, 2]), **options)


def test_cross_entropy_of_a_sure_right_answer_is_zero_not_nan():
    """The issue's case: logits (3e38, −3e38) with label 0 gave NaN (0·(−inf)); PyTorch gives 0."""
    logits = sn.tensor(np.array([[3e38, -3e38]], dtype=np.float32))
    with np.errstate(all="ignore"):
        loss = F.cross_entropy(logits, sn.tensor(np.array([0]))).item()
    assert loss == 0.0


def test_cross_entropy_with_label_smoothing_at_extremes_equals_torch():
    torch = torch_or_skip()
    logits = EXTREME_LOGITS[[0, 2, 6]]
    _compare_cross_entropy(torch, logits, np.array([0, 1, 2]), reduction="none", label_smoothing=0.1)
    _compare_cross_entropy(torch, logits[[2]], np.array([2]), reduction="mean", label_smoothing=0.2)


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_softmax_family_at_float32_extremes_equals_torch(function):
    torch = torch_or_skip()
    logits = np.concatenate([EXTREME_LOGITS, np.array([[np.inf, 0.0, 0.0]], np.float32)])
    ours_in = sn.tensor(logits, requires_grad=True)
    theirs_in = torch.tensor(logits, requires_grad=True)
    with np.errstate(all="ignore"):
        ours = getattr(F, function)(ours_in, dim=1)
        ours.sum().backward()
    theirs = getattr(torch.nn.functional, function)(theirs_in, dim=1)
    theirs.sum().backward()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), rtol=1e-6, atol=1e-7)
