"""The tutorial's final programs, with only their imports changed, learn on real Fashion-MNIST
(small subsets and few iterations, so the file stays fast): the 784-100-10 sigmoid MLP with
each optimiser, the six-layer ReLU/Dropout/L2 network on 300 samples, and a small CNN."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.classic import Optimizer
from scratchnet.classic.networks import conv_net, sigmoid_mlp, six_layer_network
from scratchnet.datasets import load_fashion_mnist
from scratchnet.utils import to_categorical

DATA = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="module")
def fashion():
    if not (DATA / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"Fashion-MNIST is not installed in {DATA} (apt-get install dataset-fashion-mnist)")
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(download=False, progress=False)
    train = prepare(x_train[:2000]), to_categorical(y_train[:2000], 10)  # one-hot, as the tutorial
    return train, (prepare(x_test[:500]), y_test[:500])  # integer labels


def prepare(images):
    """Images ``(N, 28, 28)`` uint8 as the tutorial fed them: ``(N, 784)`` float32 in [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float32) / 255


OPTIMIZERS = {
    "SGD": (lambda: Optimizer.SGD(100), 0.5),
    "Momentum": (lambda: Optimizer.Momentum(100, momentum=0.9), 0.05),
    "Nesterov": (lambda: Optimizer.Momentum(100, momentum=0.9, nesterov=True), 0.05),
    "Adagrad": (lambda: Optimizer.Adagrad(100), 0.05),
    "RMSProp": (lambda: Optimizer.RMSProp(100, gamma=0.9), 0.005),
    "AdaDelta": (lambda: Optimizer.AdaDelta(100), 1.0),
    "Adam": (lambda: Optimizer.Adam(100, beta_1=0.9, beta_2=0.999), 0.005),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_sigmoid_mlp_learns_with_each_optimizer(fashion, name):
    (x_train, y_train), (x_test, y_test) = fashion
    factory, learning_rate = OPTIMIZERS[name]
    sn.manual_seed(0)
    model = sigmoid_mlp()
    losses = model.train(x_train, y_train, factory(), epoch=120, learning_rate=learning_rate)
    assert np.mean(losses[-10:]) < 0.5 * losses[0]
    assert model.eval(x_test, y_test) > 0.6  # chance is 0.1


def test_six_layer_network_overfits_300_samples_and_regularisation_restrains_it(fashion):
    (x_train, y_train), (x_test, y_test) = fashion
    x_small, y_small = x_train[:300], y_train[:300]
    results = {}
    for dropout_rate, reg in ((0, 0), (0.2, 0.02)):
        sn.manual_seed(0)
        model = six_layer_network(dropout_rate, reg)
        losses = model.train(x_small, y_small, Optimizer.SGD(100), epoch=400, learning_rate=0.05)
        assert np.mean(losses[-10:]) < 0.5 * losses[0]
        results[dropout_rate, reg] = model.eval(x_small, y_small), model.eval(x_test, y_test)
    (train_plain, test_plain), (train_regular, test_regular) = results.values()
    assert train_plain > 0.95 and train_plain - test_plain > 0.1  # memorises the 300 samples
    assert train_regular < train_plain and test_regular > 0.5


def test_conv_flatten_dense_network_learns(fashion):
    (x_train, y_train), (x_test, y_test) = fashion
    sn.manual_seed(0)
    model = conv_net(filters=8, hidden=None)
    losses = model.train(x_train.reshape(-1, 1, 28, 28), y_train, Optimizer.Adam(50), epoch=60,
                         learning_rate=0.003)
    assert np.mean(losses[-10:]) < 0.5 * losses[0]
    assert model.eval(x_test.reshape(-1, 1, 28, 28), y_test) > 0.6
