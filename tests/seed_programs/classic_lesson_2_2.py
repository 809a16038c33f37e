# Lesson 2-2: a multi-layer softmax classifier from the layers, trained by a hand-written loop.
# ruff: noqa  (the lesson's code, kept as the lesson writes it)
import os

import numpy as np

from scratchnet.classic import Layers
from scratchnet.datasets import load_fashion_mnist

# ---- scratchnet test scale (not in the lesson) ----
STEPS_SCALE = float(os.environ.get("SEED_STEPS_SCALE", "1"))
TRAIN_SAMPLES = int(os.environ.get("SEED_TRAIN_SAMPLES", "60000"))

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

keys = ['w1', 'b1', 'sigmoid', 'w2', 'b2']
params = {}
params['w1'] = np.random.uniform(-1, 1, (x_train.shape[1], hidden))
params['b1'] = np.random.uniform(-1, 1, (hidden))
params['w2'] = np.random.uniform(-1, 1, (hidden, num_classes))
params['b2'] = np.random.uniform(-1, 1, (num_classes))

layers = {}
layers['w1'] = Layers.MulLayer(params['w1'])
layers['b1'] = Layers.AddLayer(params['b1'])
layers['sigmoid'] = Layers.SigmoidLayer()
layers['w2'] = Layers.MulLayer(params['w2'])
layers['b2'] = Layers.AddLayer(params['b2'])
lastlayer = Layers.SoftmaxLayer()

grads = {}

# initialize hyperparameters
learning_rate = 0.01
epochs = int(10000 * STEPS_SCALE)
batch_size = 128

for epoch in range(epochs):
    batch_mask = np.random.choice(x_train.shape[0], batch_size)
    x = x_train[batch_mask]
    y = y_train[batch_mask]

    for key in keys:
        x = layers[key].forward(x)
    loss = lastlayer.forward(x, y)

    if epoch % (epochs / 10) == 0:
        pred = Layers.softmax(x)
        print("ACC on epoch %d : " % epoch, (pred.argmax(1) == y.argmax(1)).mean())
        print("LOSS on epoch %d : " % epoch, loss)

    dout = lastlayer.backward()
    for key in reversed(keys):
        dout = layers[key].backward(dout)
        if key != 'sigmoid':
            grads[key] = layers[key].grad
            params[key] -= learning_rate * grads[key]

# load data  (scratchnet: the local Fashion-MNIST test split instead of the lesson's CSV)
x_test = x_test.reshape(len(x_test), -1)
x_test = x_test / x_test.max()
y_test = y_test.astype(np.int64)

# y to one-hot
one_hot = np.zeros((y_test.shape[0], y_test.max() + 1))
one_hot[np.arange(y_test.shape[0]), y_test] = 1
y_test = one_hot

x = x_test
for key in keys:
    x = layers[key].forward(x)
pred = Layers.softmax(x)
print("ACC : ", (pred.argmax(1) == y_test.argmax(1)).mean())
