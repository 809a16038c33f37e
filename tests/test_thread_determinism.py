"""Whole-run determinism over threads: a few training steps of the seed MLP and CNN are bitwise
the same from run to run at a given thread count, and equal within float32 rounding (rtol 1e-5)
across thread counts. The split threshold is lowered so that these small models' products and
optimiser updates really are split over the workers."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import nn, optim, parallel
from scratchnet.training import train_step


def seed_mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def seed_cnn():
    return nn.Sequential(nn.Conv2d(1, 10, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Dropout(0.5), nn.Linear(10 * 14 * 14, 100), nn.ReLU(), nn.Linear(100, 10))


MODELS = {"mlp": (seed_mlp, (28, 28), optim.Adam), "cnn": (seed_cnn, (1, 28, 28), optim.SGD)}


def train(name, threads, steps=4):
    """The parameters after ``steps`` seeded steps on ``threads`` threads, and how many calls split."""
    build, shape, optimizer_class = MODELS[name]
    previous = parallel.get_num_threads()
    parallel.set_num_threads(threads)
    splits = []
    run = parallel._run

    def counting_run(work, bounds):
        splits.append(len(bounds))
        return run(work, bounds)

    parallel._run = counting_run
    try:
        sn.manual_seed(0)
        model = build()
        options = {"lr": 1e-3} if optimizer_class is optim.Adam else {"lr": 0.05, "momentum": 0.9}
        optimizer = optimizer_class(model.parameters(), **options)
        rng = np.random.default_rng(0)
        for _ in range(steps):
            x = rng.random((64, *shape), dtype=np.float32)
            y = rng.integers(0, 10, 64)
            train_step(model, nn.CrossEntropyLoss(), optimizer, sn.Tensor.wrap(x), y)
        return {key: value.numpy().copy() for key, value in model.state_dict().items()}, splits
    finally:
        parallel._run = run
        parallel.set_num_threads(previous)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_CHUNK_COST", 4096)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_same_thread_count_gives_the_same_bits(name):
    for threads in (1, 2):
        first, splits = train(name, threads)
        second, _ = train(name, threads)
        assert (len(splits) > 0) == (threads > 1)
        for key in first:
            np.testing.assert_array_equal(first[key], second[key], err_msg=f"{key} at {threads} threads")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_thread_counts_agree_within_float32_rounding(name):
    one, _ = train(name, 1)
    two, splits = train(name, 2)
    assert splits and max(splits) == 2
    for key in one:
        np.testing.assert_allclose(two[key], one[key], rtol=1e-5, atol=1e-7, err_msg=key)
