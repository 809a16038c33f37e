# Lesson 2-5 (1): Momentum and Nesterov (NAG) through Optimizer; the lesson's test program.
# ruff: noqa  (the lesson's code, kept as the lesson writes it)
import os

import numpy as np

from scratchnet.classic import Layers, Model, Optimizer
from scratchnet.datasets import load_fashion_mnist

# ---- scratchnet test scale (not in the lesson) ----
STEPS_SCALE = float(os.environ.get("SEED_STEPS_SCALE", "1"))
TRAIN_SAMPLES = int(os.environ.get("SEED_TRAIN_SAMPLES", "60000"))

OPTIMIZER = os.environ.get("SEED_OPTIMIZER", "nesterov")  # the lesson runs nesterov=True, and says "=False" is Momentum

# load data  (scratchnet: the local Fashion-MNIST instead of the lesson's MNIST CSV)
(x_train, y_train), (x_test, y_test) = load_fashion_mnist(download=False, progress=False)
x_train = x_train.reshape(len(x_train), -1)[:TRAIN_SAMPLES]
x_train = x_train / x_train.max()
y_train = y_train[:TRAIN_SAMPLES].astype(np.int64)

# y to one-hot
one_hot = np.zeros((y_train.shape[0], y_train.max() + 1))
one_hot[np.arange(y_train.shape[0]), y_train] = 1
y_train = one_hot

# initialize parameters
num_classes = y_train.shape[1]
hidden = 50

model = Model()
model.addlayer(Layers.MulLayer(), input_size=(784, 32), name="w1")
model.addlayer(Layers.AddLayer(), input_size=32, name='b1')
model.addlayer(Layers.SigmoidLayer(), activation=True, name='sigmoid1')
model.addlayer(Layers.MulLayer(), input_size=(32, 10), name="w2")
model.addlayer(Layers.AddLayer(), input_size=10, name='b2')
model.addlayer(Layers.SoftmaxLayer(), activation=True, name='softmax')

optimizer = Optimizer.Momentum(batch_size=128, momentum=0.9, nesterov=OPTIMIZER == "nesterov")
model.train(x_train, y_train, optimizer, int(10000 * STEPS_SCALE), 0.01)
