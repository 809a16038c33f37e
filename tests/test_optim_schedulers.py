"""Learning-rate schedulers against torch.optim.lr_scheduler."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import optim
from scratchnet.optim import lr_scheduler
from tests.reference import torch_or_skip

STEPS = 15
LRS = (0.1, 0.03)

SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("StepLR", {"step_size": 1}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.8}),
    ("CosineAnnealingLR", {"T_max": 6}),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.01}),
    ("LambdaLR", {"lr_lambda": lambda epoch: 0.9 ** epoch + 0.1 * (epoch % 3)}),
    ("LambdaLR", {"lr_lambda": [lambda epoch: 1.0 / (1 + epoch), lambda epoch: 0.5 ** (epoch // 2)]}),
]


def make_pair(torch):
    ours = optim.SGD([{"params": [sn.tensor(np.ones(2), requires_grad=True)], "lr": LRS[0]},
                      {"params": [sn.tensor(np.ones(3), requires_grad=True)], "lr": LRS[1]}], momentum=0.9)
    theirs = torch.optim.SGD([{"params": [torch.ones(2, requires_grad=True)], "lr": LRS[0]},
                              {"params": [torch.ones(3, requires_grad=True)], "lr": LRS[1]}], momentum=0.9)
    return ours, theirs


def advance(opt, scheduler, grad_fill=None):
    """One epoch: a step of the optimiser (with gradients), then of the scheduler."""
    for group in opt.param_groups:
        for p in group["params"]:
            if grad_fill is None:
                p.grad = sn.tensor(np.full(p.shape, 0.5))
            else:
                p.grad = grad_fill(p)
    opt.step()
    scheduler.step()


def lr_sequences(name, options, steps=STEPS):
    torch = torch_or_skip()
    ours_opt, theirs_opt = make_pair(torch)
    ours = getattr(lr_scheduler, name)(ours_opt, **options)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **options)
    mine, reference = [ours.get_last_lr()], [theirs.get_last_lr()]
    for _ in range(steps):
        advance(ours_opt, ours)
        advance(theirs_opt, theirs, lambda p: torch.full(p.shape, 0.5))
        mine.append(ours.get_last_lr())
        reference.append(theirs.get_last_lr())
        assert [g["lr"] for g in ours_opt.param_groups] == mine[-1]
    return np.array(mine), np.array(reference)


@pytest.mark.parametrize("name, options", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULERS)])
def test_lr_sequence_matches_torch(name, options):
    mine, reference = lr_sequences(name, options)
    assert mine.shape == (STEPS + 1, 2)
    np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=0)
    assert len(np.unique(mine[:, 0])) > 2, "the schedule never changed the lr"


def test_two_chained_schedulers_match_torch():
    torch = torch_or_skip()
    ours_opt, theirs_opt = make_pair(torch)
    ours = [lr_scheduler.ExponentialLR(ours_opt, gamma=0.9), lr_scheduler.StepLR(ours_opt, 4, gamma=0.5)]
    theirs = [torch.optim.lr_scheduler.ExponentialLR(theirs_opt, gamma=0.9),
              torch.optim.lr_scheduler.StepLR(theirs_opt, 4, gamma=0.5)]
    for _ in range(STEPS):
        for opt, schedulers in ((ours_opt, ours), (theirs_opt, theirs)):
            opt.step()
            for scheduler in schedulers:
                scheduler.step()
        np.testing.assert_allclose(ours[1].get_last_lr(), theirs[1].get_last_lr(), rtol=1e-12)


@pytest.mark.parametrize("name, options", SCHEDULERS[:6], ids=[n for n, _ in SCHEDULERS[:6]])
def test_scheduler_state_round_trip(name, options):
    torch = torch_or_skip()
    first_opt, _ = make_pair(torch)
    first = getattr(lr_scheduler, name)(first_opt, **options)
    for _ in range(5):
        advance(first_opt, first)
    saved_opt, saved = first_opt.state_dict(), first.state_dict()
    second_opt, _ = make_pair(torch)
    second_opt.load_state_dict(saved_opt)
    second = getattr(lr_scheduler, name)(second_opt, **options)
    second.load_state_dict(saved)
    assert second.last_epoch == 5
    for _ in range(8):
        advance(first_opt, first)
        advance(second_opt, second)
        assert second.get_last_lr() == first.get_last_lr()


def test_lambda_lr_state_dict_skips_functions_but_keeps_callable_objects():
    class Warmup:
        def __init__(self):
            self.length = 3

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.length)

    opt = optim.SGD([sn.tensor(np.ones(2), requires_grad=True)], lr=0.1)
    warmup = Warmup()
    scheduler = lr_scheduler.LambdaLR(opt, warmup)
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"length": 3}]
    state["lr_lambdas"] = [{"length": 5}]
    scheduler.load_state_dict(state)
    assert warmup.length == 5
    plain = lr_scheduler.LambdaLR(opt, lambda epoch: 1.0)
    assert plain.state_dict()["lr_lambdas"] == [None]


PLATEAU_CASES = [
    ({"patience": 2}, [5, 4, 4.5, 4.2, 4.1, 4.0, 4.3, 4.4, 3.0, 3.1, 3.2, 3.3, 3.4, 2.0, 2.1]),
    ({"mode": "max", "factor": 0.5, "patience": 1, "cooldown": 2},
     [1, 2, 2, 2, 2.1, 2.0, 1.9, 1.8, 1.7, 3.0, 3.0, 2.9, 2.8, 2.7, 2.6, 2.5]),
    ({"threshold": 0.1, "threshold_mode": "abs", "patience": 0, "min_lr": [0.02, 0.001]},
     [10, 9.95, 9.5, 9.45, 9.3, 9.25, 9.2, 9.0, 8.95, 8.9, 8.85, 8.8, 8.75]),
    ({"mode": "max", "threshold": 0.05, "threshold_mode": "rel", "patience": 1, "factor": 0.2, "eps": 1e-3},
     [1.0, 1.04, 1.06, 1.1, 1.12, 1.13, 1.2, 1.21, 1.22, 1.23, 1.5, 1.51, 1.52, 1.53]),
    ({"patience": 1, "threshold": 0.01, "cooldown": 1, "min_lr": 0.005},
     [3, 3, 3, 2.9, 2.99, 2.98, 2.97, 2.96, 2.95, 2.94, 2.93, 2.92, 2.91, 2.9]),
]


@pytest.mark.parametrize("options, metrics", PLATEAU_CASES)
def test_reduce_lr_on_plateau_matches_torch(options, metrics):
    torch = torch_or_skip()
    ours_opt, theirs_opt = make_pair(torch)
    ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **options)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **options)
    changes = 0
    for epoch, metric in enumerate(metrics):
        before = ours.get_last_lr()
        ours.step(sn.tensor(np.array(metric)) if epoch % 2 else metric)  # a 1-element Tensor works too
        theirs.step(metric)
        assert ours.get_last_lr() == theirs.get_last_lr(), f"epoch {epoch}"
        assert [g["lr"] for g in ours_opt.param_groups] == ours.get_last_lr()
        changes += ours.get_last_lr() != before
        assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter) == \
            (theirs.best, theirs.num_bad_epochs, theirs.cooldown_counter)
    assert changes >= 1, "the metric sequence never reduced the lr"


def test_reduce_lr_on_plateau_state_round_trip():
    opt = optim.SGD([sn.tensor(np.ones(2), requires_grad=True)], lr=0.1)
    first = lr_scheduler.ReduceLROnPlateau(opt, patience=1)
    for metric in [3, 3, 3, 2]:
        first.step(metric)
    second = lr_scheduler.ReduceLROnPlateau(opt, patience=5)
    second.load_state_dict(first.state_dict())
    for metric in [2, 2, 2]:
        first.step(metric)
        second.step(metric)
        assert (second.best, second.num_bad_epochs, second.patience) == \
            (first.best, first.num_bad_epochs, first.patience)


@pytest.mark.parametrize("make, error, fragment", [
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="best"), ValueError, "mode 'best' is unknown"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold mode"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=-1), ValueError, "patience"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError, "expected 1 min_lrs"),
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size must be a positive integer"),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=-0.5), ValueError, "gamma must be positive"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, -1]), ValueError, "milestones"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0, lambda e: 2.0]), ValueError, "Expected 1 lr_lambdas"),
    (lambda o: lr_scheduler.StepLR("sgd", step_size=2), TypeError, "is not an Optimizer"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2, last_epoch=4), KeyError, "initial_lr"),
])
def test_scheduler_validation(make, error, fragment):
    opt = optim.SGD([sn.tensor(np.ones(2), requires_grad=True)], lr=0.1)
    with pytest.raises(error, match=fragment):
        make(opt)
