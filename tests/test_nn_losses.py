"""Loss modules against torch.nn: every reduction, weights, ignore_index, label smoothing,
extreme logits, and the shape / label errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet import nn
from tests.reference import torch_or_skip
from tests.test_nn_layers import randn, run_both

REDUCTIONS = ["mean", "sum", "none"]


def labels(*shape, classes, seed=0):
    return np.random.default_rng(seed).integers(0, classes, shape).astype(np.int64)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kwargs", [{}, {"weight": [0.2, 1.0, 3.0, 0.5]}, {"ignore_index": 2},
                                    {"label_smoothing": 0.1},
                                    {"weight": [1.0, 2.0, 0.5, 1.0], "label_smoothing": 0.2}])
def test_cross_entropy_with_class_indices(reduction, kwargs):
    torch = torch_or_skip()
    torch_kwargs = {k: torch.tensor(v) if k == "weight" else v for k, v in kwargs.items()}
    ours_kwargs = {k: np.array(v, np.float32) if k == "weight" else v for k, v in kwargs.items()}
    ours = nn.CrossEntropyLoss(**ours_kwargs, reduction=reduction)
    theirs = torch.nn.CrossEntropyLoss(**torch_kwargs, reduction=reduction)
    run_both(ours, theirs, randn(6, 4) * 2, labels(6, classes=4), copy_weights=False)


def test_cross_entropy_spatial_and_probability_targets():
    torch = torch_or_skip()
    run_both(nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), randn(2, 3, 4, 5),
             labels(2, 4, 5, classes=3))
    probabilities = np.random.default_rng(1).dirichlet(np.ones(5), size=4).astype(np.float32)
    run_both(nn.CrossEntropyLoss(label_smoothing=0.1), torch.nn.CrossEntropyLoss(label_smoothing=0.1),
             randn(4, 5), probabilities)


def test_cross_entropy_extreme_logits_are_finite_and_correct():
    torch = torch_or_skip()
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [0.0, 0.0, -1000.0]], np.float32)
    target = np.array([1, 2, 0])
    for reduction in REDUCTIONS:
        out, _ = run_both(nn.CrossEntropyLoss(reduction=reduction),
                          torch.nn.CrossEntropyLoss(reduction=reduction), logits, target)
        assert np.isfinite(out[0].numpy()).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    torch = torch_or_skip()
    log_probs = np.log(np.random.default_rng(2).dirichlet(np.ones(4), size=5)).astype(np.float32)
    weight = np.array([1.0, 0.5, 2.0, 1.5], np.float32)
    run_both(nn.NLLLoss(weight=weight, ignore_index=1, reduction=reduction),
             torch.nn.NLLLoss(weight=torch.tensor(weight), ignore_index=1, reduction=reduction),
             log_probs, labels(5, classes=4), copy_weights=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("make", [lambda lib, r: lib.MSELoss(reduction=r),
                                  lambda lib, r: lib.L1Loss(reduction=r),
                                  lambda lib, r: lib.HuberLoss(reduction=r),
                                  lambda lib, r: lib.HuberLoss(reduction=r, delta=0.3)])
def test_regression_losses(make, reduction):
    torch = torch_or_skip()
    run_both(make(nn, reduction), make(torch.nn, reduction), randn(4, 3), randn(4, 3, seed=1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    probabilities = rng.uniform(0.02, 0.98, (5, 3)).astype(np.float32)
    target = rng.uniform(0, 1, (5, 3)).astype(np.float32)
    weight = rng.uniform(0.5, 2, (5, 3)).astype(np.float32)
    run_both(nn.BCELoss(weight=weight, reduction=reduction),
             torch.nn.BCELoss(weight=torch.tensor(weight), reduction=reduction), probabilities, target,
             copy_weights=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction):
    torch = torch_or_skip()
    logits = np.array([[1000.0, -1000.0, 0.5], [-30.0, 30.0, -0.2]], np.float32)
    target = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.3]], np.float32)
    pos_weight = np.array([2.0, 0.5, 1.0], np.float32)
    out, _ = run_both(nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=pos_weight),
                      torch.nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=torch.tensor(pos_weight)),
                      logits, target, copy_weights=False)
    assert np.isfinite(out[0].numpy()).all()


@pytest.mark.parametrize("loss", [nn.MSELoss(), nn.L1Loss(), nn.HuberLoss(), nn.BCELoss(),
                                  nn.BCEWithLogitsLoss()])
def test_losses_refuse_to_broadcast_mismatched_shapes(loss):
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)|\(4,\).*\(4, 1\)"):
        loss(np.full((4, 1), 0.5, np.float32), np.full(4, 0.5, np.float32))


def test_class_labels_out_of_range_are_rejected():
    with pytest.raises(ValueError, match=r"label 3 out of range \[0, 3\)"):
        nn.CrossEntropyLoss()(randn(2, 3), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"label -1 out of range"):
        nn.NLLLoss()(randn(2, 3), np.array([-1, 0]))
    assert np.isfinite(nn.CrossEntropyLoss(ignore_index=-1)(randn(2, 3), np.array([-1, 0])).item())


def test_loss_weight_is_a_buffer_as_in_pytorch():
    torch = torch_or_skip()
    weight = np.ones(3, np.float32)
    assert list(nn.CrossEntropyLoss(weight=weight).state_dict()) == \
        list(torch.nn.CrossEntropyLoss(weight=torch.tensor(weight)).state_dict())
    assert list(nn.CrossEntropyLoss().state_dict()) == []
