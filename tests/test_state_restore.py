"""Restoring a malformed optimiser, scheduler or RNG state raises ``ValueError`` with a message,
before anything changes (issue 17, item 2); never a bare TypeError, KeyError or OverflowError."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import optim
from scratchnet.nn import Parameter


def trained_adam() -> tuple[optim.Adam, list[Parameter]]:
    sn.manual_seed(0)
    params = [Parameter(np.ones((2, 3), np.float32)), Parameter(np.zeros(3, np.float32))]
    opt = optim.Adam(params, lr=0.1)
    for _ in range(2):
        for param in params:
            param.grad = sn.Tensor(np.full(param.shape, 0.5, np.float32))
        opt.step()
    return opt, params


def snapshot(opt: optim.Optimizer) -> tuple:
    """Everything an optimizer holds, as comparable values."""
    state = {id(p): {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
             for p, s in opt.state.items()}
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    return state, groups


def same(a: tuple, b: tuple) -> bool:
    (state_a, groups_a), (state_b, groups_b) = a, b
    return groups_a == groups_b and state_a.keys() == state_b.keys() and all(
        state_a[p].keys() == state_b[p].keys()
        and all(np.array_equal(state_a[p][k], state_b[p][k]) for k in state_a[p]) for p in state_a)


MALFORMED_OPTIMIZER = {
    "groups not a list": lambda sd: sd.update(param_groups="adam"),
    "state not a dict": lambda sd: sd.update(state=[1, 2]),
    "group not a dict": lambda sd: sd["param_groups"].__setitem__(0, [0, 1]),
    "group without params": lambda sd: sd["param_groups"][0].pop("params"),
    "params not indices": lambda sd: sd["param_groups"][0].update(params=["a", None]),
    "repeated index": lambda sd: sd["param_groups"][0].update(params=[0, 0]),
    "index not a number": lambda sd: sd["state"].update({"x": {}}),
    "entry not a dict": lambda sd: sd["state"].update({0: [1]}),
    "lr a string": lambda sd: sd["param_groups"][0].update(lr="fast"),
    "betas too short": lambda sd: sd["param_groups"][0].update(betas=[0.9]),
    "step a string": lambda sd: sd["state"][0].update(step="many"),
    "step a list": lambda sd: sd["state"][0].update(step=[1, 2]),
    "moment of strings": lambda sd: sd["state"][0].update(exp_avg=np.array([["a"] * 3] * 2)),
    "moment a dict": lambda sd: sd["state"][0].update(exp_avg={"a": 1}),
    "huge step": lambda sd: sd["state"][0].update(step=float("inf")),
}


@pytest.mark.parametrize("name", MALFORMED_OPTIMIZER)
def test_malformed_optimizer_state_raises_value_error_and_changes_nothing(name):
    opt, _ = trained_adam()
    saved = copy.deepcopy(opt.state_dict())
    MALFORMED_OPTIMIZER[name](saved)
    before = snapshot(opt)
    with pytest.raises(ValueError) as error:
        opt.load_state_dict(saved)
    assert type(error.value) is ValueError and str(error.value)
    assert same(before, snapshot(opt))


def scheduler() -> optim.lr_scheduler.StepLR:
    opt, _ = trained_adam()
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    sched.step()
    return sched


@pytest.mark.parametrize("mutate", [
    lambda sd: sd.update(last_epoch="3"), lambda sd: sd.update(base_lrs=[0.1, 0.2]),
    lambda sd: sd.update(base_lrs="0.1"), lambda sd: sd.update(optimizer=None),
    lambda sd: sd.update(step_size=None), lambda sd: sd.update(evil=1), lambda sd: sd.update(gamma=True),
    lambda sd: sd.update(_last_lr=[{"lr": 1}]),
])
def test_malformed_scheduler_state_raises_value_error_and_changes_nothing(mutate):
    sched = scheduler()
    saved = sched.state_dict()
    mutate(saved)
    before = dict(sched.__dict__)
    with pytest.raises(ValueError, match="state"):
        sched.load_state_dict(saved)
    assert sched.__dict__ == before


def test_malformed_lambda_scheduler_state_changes_nothing():
    opt, _ = trained_adam()
    sched = optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.5 ** epoch)
    saved = {**sched.state_dict(), "last_epoch": 7, "lr_lambdas": "oops"}
    before = dict(sched.__dict__)
    with pytest.raises(ValueError, match="lr_lambdas"):
        sched.load_state_dict(saved)
    assert sched.__dict__ == before


def test_a_valid_scheduler_state_still_round_trips():
    sched, other = scheduler(), scheduler()
    sched.step()
    other.load_state_dict(sched.state_dict())
    assert other.last_epoch == sched.last_epoch and other.get_last_lr() == sched.get_last_lr()


@pytest.mark.parametrize("mutate", [
    lambda s: s.update(state={"state": -1, "inc": 1}),
    lambda s: s.update(state={"state": 2 ** 128, "inc": 1}),
    lambda s: s.update(state={"state": 1}), lambda s: s.update(state=[1, 2]),
    lambda s: s.update(has_uint32=2), lambda s: s.update(uinteger=2 ** 32), lambda s: s.update(uinteger="1"),
    lambda s: s.pop("uinteger"), lambda s: s.update(extra=1), lambda s: s.update(bit_generator="MT19937"),
    lambda s: s["state"].update(state=1.5),
])
def test_malformed_rng_state_raises_value_error_and_keeps_the_generator(mutate):
    sn.manual_seed(3)
    state = sn.get_rng_state()
    state["state"] = dict(state["state"])
    mutate(state)
    before = sn.get_rng_state()
    with pytest.raises(ValueError, match="get_rng_state"):
        sn.set_rng_state(state)
    assert sn.get_rng_state() == before
