"""Optimiser steps split over scratchnet's threads give the bits of the one-thread step."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import optim, parallel

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-2, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5, "maximize": True}),
    ("Adam", {"lr": 1e-2}),
    ("Adam", {"lr": 1e-2, "amsgrad": True, "weight_decay": 1e-2, "epsilon_hat": True}),
    ("AdamW", {"lr": 1e-2}),
    ("RMSprop", {"lr": 1e-2, "momentum": 0.9, "centered": True, "weight_decay": 1e-3}),
    ("RMSprop", {"lr": 1e-2}),
    ("Adagrad", {"lr": 1e-1, "lr_decay": 1e-2}),
    ("Adadelta", {"lr": 1.0, "weight_decay": 1e-2, "maximize": True}),
]
# sizes around the split points: a large matrix, odd vectors, an empty parameter, an F-ordered one
SHAPES = [(300, 77), (31, 17), (1001,), (0,), (64, 33, 3), (5,), (1023, 257)]


@pytest.fixture(autouse=True)
def small_split_threshold(monkeypatch):
    """Split these small parameters as a large model's would be (the real threshold keeps an update
    of under half a million elements on one thread): the split paths are what is tested."""
    monkeypatch.setattr(parallel, "MIN_CHUNK_COST", 4096)


def parameters(seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for index, shape in enumerate(SHAPES):
        array = rng.standard_normal(shape).astype(np.float32)
        if index == 1:
            array = np.asfortranarray(array)
        params.append(sn.nn.Parameter(sn.from_numpy(array)))
    return params


def run_steps(name, options, threads, steps=3):
    previous = parallel.get_num_threads()
    parallel.set_num_threads(threads)
    try:
        params = parameters()
        optimizer = getattr(optim, name)(params, **options)
        rng = np.random.default_rng(1)
        for _ in range(steps):
            for param in params:
                grad = rng.standard_normal(param.shape).astype(np.float32)
                param.grad = sn.from_numpy(grad.T.copy().T if param.ndim == 2 else grad)
            optimizer.step()
        return [param.array.copy() for param in params], optimizer.state_dict()
    finally:
        parallel.set_num_threads(previous)


@pytest.mark.parametrize("name, options", CONFIGS)
@pytest.mark.parametrize("threads", [2, 3])
def test_threaded_step_is_bitwise_the_one_thread_step(name, options, threads):
    expected_params, expected_state = run_steps(name, options, 1)
    params, state = run_steps(name, options, threads)
    for got, want in zip(params, expected_params):
        np.testing.assert_array_equal(got, want)
        assert got.shape == want.shape
    assert state["state"].keys() == expected_state["state"].keys()
    for index, buffers in expected_state["state"].items():
        assert buffers.keys() == state["state"][index].keys()
        for key, value in buffers.items():
            np.testing.assert_array_equal(state["state"][index][key], value)
            assert np.shape(state["state"][index][key]) == np.shape(value)


def test_the_update_is_really_split_at_two_threads(monkeypatch):
    seen = []
    original = optim.Adam._update

    def spy(self, param, grad, state, group):
        seen.append(param.size)
        return original(self, param, grad, state, group)

    monkeypatch.setattr(optim.Adam, "_update", spy)
    run_steps("Adam", {}, 2, steps=1)
    sizes = sorted(int(np.prod(shape)) for shape in SHAPES)
    assert sorted(seen) != sizes and sum(seen) == sum(sizes)


def test_threaded_adam_matches_torch():
    torch = pytest.importorskip("torch")
    params, _ = run_steps("Adam", {"lr": 1e-2, "amsgrad": True}, 2)
    reference = [torch.tensor(param.array.copy(), requires_grad=True) for param in parameters()]
    optimizer = torch.optim.Adam(reference, lr=1e-2, amsgrad=True)
    rng = np.random.default_rng(1)
    for _ in range(3):
        for param in reference:
            param.grad = torch.from_numpy(rng.standard_normal(tuple(param.shape)).astype(np.float32))
        optimizer.step()
    for got, want in zip(params, reference):
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-5, atol=1e-6)
