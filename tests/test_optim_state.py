"""Optimiser state dicts, in-place updates, parameter handling and argument validation."""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import optim
from tests.reference import torch_or_skip

OPTIONS = [
    (optim.SGD, {"lr": 0.01, "momentum": 0.9, "dampening": 0.1}),
    (optim.SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    (optim.Adam, {"lr": 0.02, "amsgrad": True, "weight_decay": 0.1}),
    (optim.AdamW, {"lr": 0.02}),
    (optim.RMSprop, {"momentum": 0.5, "centered": True}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.2}),
    (optim.Adadelta, {"rho": 0.8}),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(OPTIONS)]


def make_params(seed: int = 0, dtype: str = "float64") -> list[sn.Tensor]:
    rng = np.random.default_rng(seed)
    return [sn.tensor(rng.uniform(-2, 2, size=shape).astype(dtype), requires_grad=True)
            for shape in [(4, 3), (3,), (2, 2)]]


def train(opt: optim.Optimizer, params: list[sn.Tensor], steps: int) -> None:
    """A few steps on Σ sin(p)·p² + 0.05·Σp⁴ (gradients from scratchnet's autograd)."""
    for _ in range(steps):
        opt.zero_grad()
        terms = [(sn.sin(p) * p * p).sum() + 0.05 * (p * p * p * p).sum() for p in params]
        (terms[0] + terms[1] + terms[2]).backward()
        opt.step()


def two_groups(cls, options, params):
    return cls([{"params": params[:2]}, {"params": params[2:], "lr": options.get("lr", 0.01) * 3}], **options)


@pytest.mark.parametrize("cls, options", OPTIONS, ids=IDS)
def test_continuing_from_a_loaded_state_equals_continuing_the_original(cls, options):
    original_params = make_params()
    original = two_groups(cls, options, original_params)
    train(original, original_params, 12)
    saved = original.state_dict()

    resumed_params = [sn.tensor(p.numpy().copy(), requires_grad=True) for p in original_params]
    resumed = two_groups(cls, {**options, "lr": 0.5}, resumed_params)  # options come from the state dict
    resumed.load_state_dict(saved)
    assert [g["lr"] for g in resumed.param_groups] == [g["lr"] for g in original.param_groups]
    train(original, original_params, 12)
    train(resumed, resumed_params, 12)
    for mine, reference in zip(resumed_params, original_params):
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())


@pytest.mark.parametrize("cls, options", OPTIONS, ids=IDS)
def test_state_dict_has_torch_layout_and_values(cls, options):
    torch = torch_or_skip()
    params = make_params()
    theirs_params = [torch.tensor(p.numpy().copy(), requires_grad=True) for p in params]
    ours = two_groups(cls, options, params)
    theirs = getattr(torch.optim, cls.__name__)(
        [{"params": theirs_params[:2]}, {"params": theirs_params[2:], "lr": options.get("lr", 0.01) * 3}],
        **options)
    train(ours, params, 5)
    for _ in range(5):
        theirs.zero_grad()
        sum((torch.sin(p) * p * p).sum() + 0.05 * (p ** 4).sum() for p in theirs_params).backward()
        theirs.step()
    mine, reference = ours.state_dict(), theirs.state_dict()
    assert [g["params"] for g in mine["param_groups"]] == [g["params"] for g in reference["param_groups"]]
    for group, ref_group in zip(mine["param_groups"], reference["param_groups"]):
        for key in set(group) & set(ref_group) - {"params"}:
            assert group[key] == ref_group[key], key
    assert set(mine["state"]) == set(reference["state"])
    for index, ref_state in reference["state"].items():
        assert set(mine["state"][index]) == set(ref_state), index
        for key, value in ref_state.items():
            np.testing.assert_allclose(np.asarray(mine["state"][index][key], dtype=float),
                                       value.detach().numpy(), rtol=1e-7, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("cls, options", OPTIONS, ids=IDS)
def test_loading_a_torch_state_dict_continues_like_torch(cls, options):
    torch = torch_or_skip()
    params = make_params()
    theirs_params = [torch.tensor(p.numpy().copy(), requires_grad=True) for p in params]
    theirs = getattr(torch.optim, cls.__name__)(theirs_params, **options)

    def torch_steps(count):
        for _ in range(count):
            theirs.zero_grad()
            sum((torch.sin(p) * p * p).sum() + 0.05 * (p ** 4).sum() for p in theirs_params).backward()
            theirs.step()

    torch_steps(6)
    converted = theirs.state_dict()
    converted = {"param_groups": converted["param_groups"],
                 "state": {index: {key: (value.numpy() if hasattr(value, "numpy") else value)
                                   for key, value in entry.items()}
                           for index, entry in converted["state"].items()}}
    ours_params = [sn.tensor(p.detach().numpy().copy(), requires_grad=True) for p in theirs_params]
    ours = cls(ours_params, **options)
    ours.load_state_dict(converted)
    train(ours, ours_params, 10)
    torch_steps(10)
    for mine, reference in zip(ours_params, theirs_params):
        np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-7, atol=1e-12)


def test_state_dict_is_a_snapshot():
    params = make_params()
    opt = optim.Adam(params, lr=0.1)
    train(opt, params, 2)
    saved = opt.state_dict()
    before = saved["state"][0]["exp_avg"].copy()
    train(opt, params, 2)
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)
    assert saved["state"][0]["step"] == 2 and opt.state[params[0]]["step"] == 4


def test_load_state_dict_copies_into_existing_arrays_and_casts_dtype():
    params = make_params(dtype="float32")
    opt = optim.Adam(params, lr=0.1)
    train(opt, params, 3)
    exp_avg = opt.state[params[0]]["exp_avg"]
    saved = opt.state_dict()
    saved["state"][0]["exp_avg"] = saved["state"][0]["exp_avg"].astype(np.float64) + 1.0
    opt.load_state_dict(saved)
    assert opt.state[params[0]]["exp_avg"] is exp_avg
    assert exp_avg.dtype == np.float32
    np.testing.assert_allclose(exp_avg, saved["state"][0]["exp_avg"], rtol=1e-6)


@pytest.mark.parametrize("mutate, fragment", [
    (lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])), "2 parameter groups"),
    (lambda sd: sd["param_groups"][0]["params"].pop(), "has 2 parameters"),
    (lambda sd: sd["state"][1].update(exp_avg=np.zeros((7,))), "shape (7,)"),
    (lambda sd: sd["state"][0].pop("exp_avg_sq"), "lacks ['exp_avg_sq']"),
    (lambda sd: sd["state"][0].update(momentum_buffer=np.zeros((4, 3))), "unknown entries ['momentum_buf"),
    (lambda sd: sd["state"].update({9: {}}), "parameter 9"),
    (lambda sd: sd["param_groups"][0].update(lr=-1.0), "Invalid learning rate: -1.0"),
    (lambda sd: sd.pop("state"), "'state' and 'param_groups'"),
])
def test_load_state_dict_rejects_mismatches_and_leaves_state_unchanged(mutate, fragment):
    params = make_params()
    opt = optim.Adam(params, lr=0.1)
    train(opt, params, 2)
    saved = opt.state_dict()
    reference = opt.state_dict()
    mutate(saved)
    with pytest.raises(ValueError, match=re.escape(fragment)):
        opt.load_state_dict(saved)
    after = opt.state_dict()
    assert after["param_groups"] == reference["param_groups"]
    for index, entry in reference["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(after["state"][index][key], value)


@pytest.mark.parametrize("cls, options", OPTIONS, ids=IDS)
def test_updates_in_place_without_reallocating_state(cls, options):
    params = make_params()
    arrays = [p.array for p in params]
    opt = cls(params, **options)
    train(opt, params, 2)
    state_arrays = {(i, key): value for i, p in enumerate(params)
                    for key, value in opt.state[p].items() if isinstance(value, np.ndarray)}
    assert state_arrays, "the optimiser keeps no state arrays"
    train(opt, params, 3)
    assert all(p.array is array for p, array in zip(params, arrays))
    for (i, key), value in state_arrays.items():
        assert opt.state[params[i]][key] is value, key


@pytest.mark.parametrize("cls, options", OPTIONS, ids=IDS)
def test_a_step_allocates_no_parameter_sized_arrays(cls, options):
    param = sn.tensor(np.linspace(-1, 1, 50_000), requires_grad=True)
    options = {**options, "maximize": True, "weight_decay": 0.01}
    opt = cls([param], **options)
    param.grad = sn.tensor(np.cos(param.numpy()))
    opt.step()
    opt.step()  # state and workspace now exist
    tracemalloc.start()
    try:
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < param.array.nbytes // 10, f"a step allocated {peak} bytes"


def test_gradients_are_never_written():
    params = make_params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True)
    for p in params:
        p.grad = sn.tensor(np.ones_like(p.numpy()))
    opt.step()
    opt.step()
    for p in params:
        np.testing.assert_array_equal(p.grad.numpy(), np.ones_like(p.numpy()))


def test_parameters_without_gradient_are_skipped():
    params = make_params()
    opt = optim.Adam(params, lr=0.1)
    params[1].grad = sn.tensor(np.ones(3))
    before = [p.numpy().copy() for p in params]
    opt.step()
    np.testing.assert_array_equal(params[0].numpy(), before[0])
    assert not np.array_equal(params[1].numpy(), before[1])
    assert params[0] not in opt.state and params[1] in opt.state


def test_zero_grad_and_closure():
    params = make_params()
    opt = optim.SGD(params, lr=0.1)
    losses = []

    def closure():
        opt.zero_grad()
        total = (params[0] * params[0]).sum()
        total.backward()
        losses.append(total.item())
        return total

    assert opt.step(closure) is not None and len(losses) == 1
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(params[0].grad.numpy(), np.zeros((4, 3)))
    opt.zero_grad()
    assert params[0].grad is None


def test_add_param_group_takes_defaults_and_rejects_duplicates():
    params = make_params()
    opt = optim.SGD(params[:2], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": params[2], "lr": 0.5})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.5
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [params[0]]})


@pytest.mark.parametrize("make, error, fragment", [
    (lambda p: optim.SGD(p, lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (lambda p: optim.SGD(p, momentum=-0.5), ValueError, "Invalid momentum value"),
    (lambda p: optim.SGD(p, nesterov=True), ValueError, "Nesterov momentum requires a momentum"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "zero dampening"),
    (lambda p: optim.SGD(p, weight_decay=-1), ValueError, "Invalid weight_decay value"),
    (lambda p: optim.SGD(p, lr=float("nan")), ValueError, "Invalid learning rate: nan"),
    (lambda p: optim.SGD(p, lr="fast"), TypeError, "lr must be a number"),
    (lambda p: optim.Adam(p, eps=-1e-8), ValueError, "Invalid epsilon value"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), ValueError, "beta parameter at index 0"),
    (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), ValueError, "beta parameter at index 1"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), ValueError, "Invalid alpha value"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), ValueError, "Invalid lr_decay value"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), ValueError, "initial_accumulator_value"),
    (lambda p: optim.Adadelta(p, rho=1.5), ValueError, "Invalid rho value"),
    (lambda p: optim.SGD([{"params": p, "lr": -2.0}]), ValueError, "Invalid learning rate: -2.0"),
    (lambda p: optim.SGD([]), ValueError, "empty parameter list"),
    (lambda p: optim.SGD(p[0]), TypeError, "single Tensor"),
    (lambda p: optim.SGD(set(p)), TypeError, "got a set"),
    (lambda p: optim.SGD([p[0], np.zeros(3)]), TypeError, "can only optimize Tensors"),
    (lambda p: optim.SGD([p[0], p[0]]), ValueError, "same parameter twice"),
    (lambda p: optim.SGD([sn.tensor([1, 2])]), TypeError, "floating-point"),
])
def test_constructor_validation(make, error, fragment):
    with pytest.raises(error, match=fragment):
        make(make_params())


def test_gradient_of_the_wrong_shape_is_an_error():
    param = sn.tensor(np.zeros(3), requires_grad=True)
    opt = optim.SGD([param], lr=0.1)
    param.grad = sn.tensor(np.zeros(4))
    with pytest.raises(ValueError, match=r"gradient of shape \(4,\) for a parameter of shape \(3,\)"):
        opt.step()


def test_a_json_style_state_dict_loads():
    """Checkpoint formats may turn int keys into strings, tuples and arrays into lists."""
    params = make_params()
    opt = optim.Adam(params, lr=0.05, amsgrad=True)
    train(opt, params, 3)
    saved = opt.state_dict()
    as_json = {"param_groups": [{**g, "betas": list(g["betas"])} for g in saved["param_groups"]],
               "state": {str(i): {k: (v.tolist() if isinstance(v, np.ndarray) else float(v))
                                  for k, v in e.items()}
                         for i, e in saved["state"].items()}}
    copies = [sn.tensor(p.numpy().copy(), requires_grad=True) for p in params]
    resumed = optim.Adam(copies, lr=0.05, amsgrad=True)
    resumed.load_state_dict(as_json)
    train(opt, params, 3)
    train(resumed, copies, 3)
    for mine, reference in zip(copies, params):
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())
