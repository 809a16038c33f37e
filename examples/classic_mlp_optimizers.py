"""The tutorial's 784-100-10 sigmoid MLP on Fashion-MNIST, trained with each optimiser.

    python examples/classic_mlp_optimizers.py --iterations 2000
"""

from __future__ import annotations

import argparse

import numpy as np

import scratchnet as sn
from scratchnet.classic import Optimizer
from scratchnet.classic.networks import sigmoid_mlp
from scratchnet.datasets import load_fashion_mnist
from scratchnet.utils import to_categorical

OPTIMIZERS = {  # name: (optimiser, learning rate)
    "SGD": (lambda: Optimizer.SGD(batch_size=100), 0.5),
    "Momentum": (lambda: Optimizer.Momentum(batch_size=100, momentum=0.9), 0.05),
    "Nesterov": (lambda: Optimizer.Momentum(batch_size=100, momentum=0.9, nesterov=True), 0.05),
    "Adagrad": (lambda: Optimizer.Adagrad(batch_size=100), 0.05),
    "RMSProp": (lambda: Optimizer.RMSProp(batch_size=100, gamma=0.9), 0.002),
    "AdaDelta": (lambda: Optimizer.AdaDelta(batch_size=100), 1.0),
    "Adam": (lambda: Optimizer.Adam(batch_size=100, beta_1=0.9, beta_2=0.999), 0.002),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000, help="mini-batch steps per optimiser")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    x_train, x_test = (x.reshape(len(x), 784).astype(np.float32) / 255 for x in (x_train, x_test))
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)  # one-hot targets
    print(f"{'optimizer':<10} {'first loss':>10} {'last loss':>10} {'train acc':>9} {'test acc':>9}")
    for name, (make_optimizer, learning_rate) in OPTIMIZERS.items():
        sn.manual_seed(args.seed)
        model = sigmoid_mlp()
        losses = model.train(x_train, y_train, make_optimizer(), epoch=args.iterations,
                             learning_rate=learning_rate)
        print(f"{name:<10} {losses[0]:>10.4f} {np.mean(losses[-100:]):>10.4f} "
              f"{model.eval(x_train, y_train):>9.4f} {model.eval(x_test, y_test):>9.4f}")


if __name__ == "__main__":
    main()
