# Lesson 3-1: the convolution layer and Flatten. The lesson shows the classes and the shape
# ruff: noqa  (the lesson's code, kept as the lesson writes it)
# bookkeeping; the completed lines build the small CNN they are for and train it on images.
import os

import numpy as np

from scratchnet.classic import Layers, Model, Optimizer
from scratchnet.datasets import load_fashion_mnist

# ---- scratchnet test scale (not in the lesson) ----
STEPS_SCALE = float(os.environ.get("SEED_STEPS_SCALE", "1"))
TRAIN_SAMPLES = int(os.environ.get("SEED_TRAIN_SAMPLES", "60000"))
TEST_SAMPLES = int(os.environ.get("SEED_TEST_SAMPLES", "10000"))

# load data  (scratchnet: the local Fashion-MNIST instead of the lesson's MNIST CSV)
(x_train, y_train), (x_test, y_test) = load_fashion_mnist(download=False, progress=False)
x_train = x_train.reshape(len(x_train), 1, 28, 28)[:TRAIN_SAMPLES]  # (completed) images, channel first
x_train = x_train / x_train.max()
y_train = y_train[:TRAIN_SAMPLES].astype(np.int64)
x_test = x_test.reshape(len(x_test), 1, 28, 28)[:TEST_SAMPLES] / 255  # (completed)
y_test = y_test[:TEST_SAMPLES]  # (completed)

# y to one-hot
one_hot = np.zeros((y_train.shape[0], y_train.max() + 1))
one_hot[np.arange(y_train.shape[0]), y_train] = 1
y_train = one_hot

model = Model()  # (completed)
model.addlayer(Layers.ConvLayer(8, 5, stride=1, pad=0, initializer='he'), name='conv1')  # (completed)
model.addlayer(Layers.ReLU(), name='relu1')  # (completed)
model.addlayer(Layers.Flatten(), name='flatten')  # (completed)
model.addlayer(Layers.MulLayer(10, initializer='he'), name='w1')  # (completed)
model.addlayer(Layers.AddLayer(10), name='b1')  # (completed)
model.addlayer(Layers.SoftmaxLayer(), name='softmax')  # (completed)
optimizer = Optimizer.Adam(batch_size=64)  # (completed)
model.train(x_train, y_train, optimizer, int(2000 * STEPS_SCALE), 0.001)  # (completed)
model.eval(x_test, y_test)  # (completed)
