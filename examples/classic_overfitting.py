"""The tutorial's overfitting experiment: a six-layer ReLU network on 300 Fashion-MNIST samples,
without regularisation, then with Dropout and L2 weight decay (``reg``).

    python examples/classic_overfitting.py --iterations 3000
"""

from __future__ import annotations

import argparse

import numpy as np

import scratchnet as sn
from scratchnet.classic import Optimizer
from scratchnet.classic.networks import six_layer_network
from scratchnet.datasets import load_fashion_mnist
from scratchnet.utils import to_categorical


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--report-every", type=int, default=500)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    x_train, x_test = (x.reshape(len(x), 784).astype(np.float32) / 255 for x in (x_train, x_test))
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)  # one-hot targets
    x_small, y_small = x_train[:args.samples], y_train[:args.samples]
    for dropout_rate, reg in ((0.0, 0.0), (0.2, 0.02)):
        print(f"dropout_rate={dropout_rate}, reg={reg}")
        sn.manual_seed(0)
        model, optimizer = six_layer_network(dropout_rate, reg), Optimizer.SGD(batch_size=100)
        for done in range(args.report_every, args.iterations + 1, args.report_every):
            losses = model.train(x_small, y_small, optimizer, epoch=args.report_every, learning_rate=0.05)
            train_accuracy, test_accuracy = model.eval(x_small, y_small), model.eval(x_test, y_test)
            print(f"  iteration {done:>5}: loss {losses[-1]:.4f}  train acc {train_accuracy:.4f}"
                  f"  test acc {test_accuracy:.4f}")


if __name__ == "__main__":
    main()
