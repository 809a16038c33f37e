"""Resuming from a checkpoint continues a run bit for bit: k epochs, save, fresh process state,
load, n - k more epochs equals n uninterrupted epochs (dropout and shuffling on)."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import data, nn, optim
from scratchnet.serialization import load, save

EPOCHS = 4


def training_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=40)
    return x, y


def make_run(seed: int):
    """Model, optimizer, scheduler and loader; every random draw comes from the global generator."""
    sn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    opt = optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    x, y = training_data()
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=8, shuffle=True)
    return model, opt, scheduler, loader


def train_epochs(model, opt, scheduler, loader, epochs, history):
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            history["loss"].append(float(loss.item()))
        scheduler.step()
        history["lr"].append(scheduler.get_last_lr()[0])


def final_state(model, opt, history):
    return ({k: v.numpy().tobytes() for k, v in model.state_dict().items()},
            opt.state_dict()["state"], history)


@pytest.mark.parametrize("k", [1, 3])
def test_resume_after_k_epochs_equals_the_uninterrupted_run_bitwise(tmp_path, k):
    model, opt, scheduler, loader = make_run(seed=0)
    history = {"loss": [], "lr": []}
    train_epochs(model, opt, scheduler, loader, EPOCHS, history)
    expected = final_state(model, opt, history)

    model, opt, scheduler, loader = make_run(seed=0)
    history = {"loss": [], "lr": []}
    train_epochs(model, opt, scheduler, loader, k, history)
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": scheduler.state_dict(),
             "epoch": k, "rng": sn.get_rng_state(), "history": history}, tmp_path / "ckpt.safetensors")
    del model, opt, scheduler, loader

    model, opt, scheduler, loader = make_run(seed=12345)  # a fresh process: other weights, other RNG
    checkpoint = load(tmp_path / "ckpt.safetensors")
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    sn.set_rng_state(checkpoint["rng"])
    history = checkpoint["history"]
    train_epochs(model, opt, scheduler, loader, EPOCHS - checkpoint["epoch"], history)
    resumed = final_state(model, opt, history)

    assert resumed[0] == expected[0]
    assert resumed[2] == expected[2]
    assert list(resumed[1]) == list(expected[1])
    for index, state in expected[1].items():
        for name, value in state.items():
            assert np.asarray(resumed[1][index][name]).tobytes() == np.asarray(value).tobytes(), (index, name)


def test_resume_without_restoring_the_rng_would_differ(tmp_path):
    """Guard: the test above can fail: skipping the RNG state changes dropout and shuffling."""
    model, opt, scheduler, loader = make_run(seed=0)
    history = {"loss": [], "lr": []}
    train_epochs(model, opt, scheduler, loader, 2, history)
    expected = final_state(model, opt, history)[0]

    model, opt, scheduler, loader = make_run(seed=0)
    train_epochs(model, opt, scheduler, loader, 1, {"loss": [], "lr": []})
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()},
            tmp_path / "ckpt.safetensors")
    model, opt, scheduler, loader = make_run(seed=1)
    checkpoint = load(tmp_path / "ckpt.safetensors")
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    train_epochs(model, opt, scheduler, loader, 1, {"loss": [], "lr": []})
    assert final_state(model, opt, history)[0] != expected
