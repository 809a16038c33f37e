"""The classic optimisers against update rules written out here in the tutorial's own notation
(NumPy, float64), including the tutorial's bugs: Adam's ``β**t`` bias correction, AdaDelta's
accumulator updated before the step, L2 ``reg`` in every optimiser, and where ``epsilon`` goes."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.classic import Layers, Model, Optimizer
from tests.reference import assert_close

RNG = np.random.default_rng(3)
X, T = RNG.standard_normal((8, 4)), RNG.standard_normal((8, 3))
LR, REG, STEPS = 0.05, 0.1, 6


def linear_model(reg):
    """``MulLayer(3) → MSELayer`` built on X (float64 weights)."""
    model = Model()
    model.addlayer(Layers.MulLayer(3, reg=reg), name="w")
    model.addlayer(Layers.MSELayer())
    sn.manual_seed(0)
    model.forward(X)
    return model


def gradient(w, reg):
    """d/dW of mean((XW − T)²) + reg/2·ΣW² (row order does not matter: full batches)."""
    return 2 * X.T @ (X @ w - T) / T.size + reg * w


def sgd(w, g, state, lr):
    return w - lr * g


def momentum(w, g, state, lr, mu=0.8):
    state["v"] = mu * state.get("v", 0) - lr * g
    return w + state["v"]


def nesterov(w, g, state, lr, mu=0.8):
    state["v"] = mu * state.get("v", 0) - lr * g
    return w + mu * state["v"] - lr * g


def adagrad(w, g, state, lr, eps=0.3):
    state["h"] = state.get("h", 0) + g * g
    return w - lr * g / (np.sqrt(state["h"]) + eps)


def rmsprop(w, g, state, lr, gamma=0.7, eps=0.3):
    state["h"] = gamma * state.get("h", 0) + (1 - gamma) * g * g
    return w - lr * g / (np.sqrt(state["h"]) + eps)


def adadelta(w, g, state, lr, gamma=0.7, eps=1e-2):
    state["h"] = gamma * state.get("h", 0) + (1 - gamma) * g * g  # before the step
    delta = np.sqrt(state.get("s", 0) + eps) / np.sqrt(state["h"] + eps) * g
    state["s"] = gamma * state.get("s", 0) + (1 - gamma) * delta * delta
    return w - delta  # lesson 2-5: AdaDelta uses no learning rate


def adam(w, g, state, lr, beta_1=0.8, beta_2=0.9, eps=0.3):
    state["t"] = t = state.get("t", 0) + 1
    state["m"] = beta_1 * state.get("m", 0) + (1 - beta_1) * g
    state["v"] = beta_2 * state.get("v", 0) + (1 - beta_2) * g * g
    return w - lr * (state["m"] / (1 - beta_1 ** t)) / (np.sqrt(state["v"] / (1 - beta_2 ** t)) + eps)


CASES = {
    "SGD": (lambda: Optimizer.SGD(8), sgd),
    "Momentum": (lambda: Optimizer.Momentum(8, momentum=0.8), momentum),
    "Nesterov": (lambda: Optimizer.Momentum(8, momentum=0.8, nesterov=True), nesterov),
    "Adagrad": (lambda: Optimizer.Adagrad(8, epsilon=0.3), adagrad),
    "RMSProp": (lambda: Optimizer.RMSProp(8, gamma=0.7, epsilon=0.3), rmsprop),
    "AdaDelta": (lambda: Optimizer.AdaDelta(8, gamma=0.7, epsilon=1e-2), adadelta),
    "Adam": (lambda: Optimizer.Adam(8, beta_1=0.8, beta_2=0.9, epsilon=0.3), adam),
}


@pytest.mark.parametrize("name", CASES)
def test_trajectory_matches_the_update_rule_with_l2(name):
    factory, rule = CASES[name]
    model = linear_model(REG)
    w, state = model.layers["w"].params["W"].copy(), {}
    losses = model.train(X, T, factory(), epoch=STEPS, learning_rate=LR)
    for _ in range(STEPS):
        w = rule(w, gradient(w, REG), state, LR)
    assert_close(model.layers["w"].params["W"], w, rtol=1e-9, atol=1e-12, what=name)
    assert len(losses) == STEPS and losses[-1] < losses[0]


@pytest.mark.parametrize("name", CASES)
def test_l2_reg_reaches_every_optimiser(name):
    """With all-zero inputs the data gradient of W is zero: only ``reg`` can move W (towards 0)."""
    factory, _ = CASES[name]
    zeros = np.zeros_like(X)
    for reg in (0.0, REG):
        model = linear_model(reg)
        before = model.layers["w"].params["W"].copy()
        model.train(zeros, T, factory(), epoch=3, learning_rate=LR)
        after = model.layers["w"].params["W"]
        if reg:
            assert np.abs(after).sum() < np.abs(before).sum(), "reg did not shrink the weights"
        else:
            assert_close(after, before, rtol=0, atol=0, what="weights moved without any gradient")


def test_optimizer_state_carries_over_between_train_calls():
    model_once, model_twice = linear_model(REG), linear_model(REG)
    model_once.train(X, T, Optimizer.Adam(8), epoch=4, learning_rate=LR)
    optimizer = Optimizer.Adam(8)
    model_twice.train(X, T, optimizer, epoch=2, learning_rate=LR)
    model_twice.train(X, T, optimizer, epoch=2, learning_rate=LR)
    assert_close(model_twice.layers["w"].params["W"], model_once.layers["w"].params["W"], rtol=1e-12)


@pytest.mark.parametrize("factory, message", [
    (lambda: Optimizer.SGD(0), "batch_size"),
    (lambda: Optimizer.Momentum(10, momentum=1.5), "momentum"),
    (lambda: Optimizer.Momentum(10, momentum=0, nesterov=True), "Nesterov"),
    (lambda: Optimizer.RMSProp(10, gamma=-0.1), "gamma"),
    (lambda: Optimizer.Adam(10, beta_2=1.0), "beta_2"),
    (lambda: Optimizer.Adagrad(10, epsilon=0), "epsilon"),
])
def test_bad_hyper_parameters_are_rejected(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_bad_training_arguments_are_rejected():
    model = linear_model(0)
    with pytest.raises(ValueError, match="learning_rate"):
        model.train(X, T, Optimizer.SGD(4), epoch=1, learning_rate=-1)
    with pytest.raises(ValueError, match="batch_size 9 is larger"):
        model.train(X, T, Optimizer.SGD(9), epoch=1, learning_rate=0.1)
    with pytest.raises(TypeError, match="classic Optimizer"):
        model.train(X, T, "adam", epoch=1, learning_rate=0.1)
