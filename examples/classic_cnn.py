"""The tutorial's convolutional network on Fashion-MNIST: ConvLayer → ReLU → MaxPooling → Flatten →
MulLayer → AddLayer → Softmax; then save, load and check the predictions are the same.

    python examples/classic_cnn.py --iterations 1000 --save /tmp/classic_cnn
"""

from __future__ import annotations

import argparse

import numpy as np

import scratchnet as sn
from scratchnet.classic import Model, Optimizer
from scratchnet.classic.networks import conv_net
from scratchnet.datasets import load_fashion_mnist
from scratchnet.utils import to_categorical


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--save", default="classic_cnn_model", help="folder for model.txt and weight.npz")
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    x_train, x_test = (x.reshape(len(x), 1, 28, 28).astype(np.float32) / 255 for x in (x_train, x_test))
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)  # one-hot targets
    sn.manual_seed(0)
    model = conv_net()
    losses = model.train(x_train, y_train, Optimizer.Adam(batch_size=100), epoch=args.iterations,
                         learning_rate=0.001)
    print(f"loss {losses[0]:.4f} -> {np.mean(losses[-50:]):.4f}; "
          f"test accuracy {model.eval(x_test, y_test):.4f}")
    model.save(args.save)
    loaded = Model()
    loaded.load(args.save)
    same = np.array_equal(loaded.predict(x_test[:1000]), model.predict(x_test[:1000]))
    print(f"saved to {args.save}/model.txt + weight.npz; reloaded predictions identical: {same}")


if __name__ == "__main__":
    main()
