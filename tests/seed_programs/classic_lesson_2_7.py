# Lesson 2-7: the cleaned-up API (layers take their output size, initializer and reg), eval,
# ruff: noqa  (the lesson's code, kept as the lesson writes it)
# save and load. The lesson shows the first block and elides the rest ("# ..."); the completed
# lines add a second hidden block and the output block as lesson 2-6's network has them, without
# L2 after the first layer (one hidden layer with reg=0.01 on both weight layers underfits: 81.2%
# on the test split after the full 10000 steps), train, evaluate on the test split, save, load
# into a new model and predict with it.
import os

import numpy as np

from scratchnet.classic import Layers, Model, Optimizer
from scratchnet.datasets import load_fashion_mnist

# ---- scratchnet test scale (not in the lesson) ----
STEPS_SCALE = float(os.environ.get("SEED_STEPS_SCALE", "1"))
TRAIN_SAMPLES = int(os.environ.get("SEED_TRAIN_SAMPLES", "60000"))

# load data  (scratchnet: the local Fashion-MNIST instead of the lesson's MNIST CSV)
(x_train, y_train), (x_test, y_test) = load_fashion_mnist(download=False, progress=False)
x_train = x_train.reshape(len(x_train), -1)[:TRAIN_SAMPLES]
x_train = x_train / x_train.max()
y_train = y_train[:TRAIN_SAMPLES].astype(np.int64)
x_test = x_test.reshape(len(x_test), -1)  # (completed)
x_test = x_test / x_test.max()  # (completed)
y_test = y_test.astype(np.int64)  # (completed)

# y to one-hot
one_hot = np.zeros((y_train.shape[0], y_train.max() + 1))
one_hot[np.arange(y_train.shape[0]), y_train] = 1
y_train = one_hot
y_test = np.eye(10)[y_test]  # (completed)

model = Model()
model.addlayer(Layers.MulLayer(100, initializer='he', reg=0.01), name="w1")
model.addlayer(Layers.AddLayer(100), name='b1')
model.addlayer(Layers.ReLU(), name='relu1')
model.addlayer(Layers.Dropout(), name='dropout1')
# ...
model.addlayer(Layers.MulLayer(100, initializer='he'), name="w2")  # (completed)
model.addlayer(Layers.AddLayer(100), name='b2')  # (completed)
model.addlayer(Layers.ReLU(), name='relu2')  # (completed)
model.addlayer(Layers.MulLayer(10, initializer='he'), name="w3")  # (completed)
model.addlayer(Layers.AddLayer(10), name='b3')  # (completed)
model.addlayer(Layers.SoftmaxLayer(), name='softmax')  # (completed)

optimizer = Optimizer.Adam(batch_size=128)  # (completed)
model.train(x_train, y_train, optimizer, int(10000 * STEPS_SCALE), 0.001)  # (completed)
model.eval(x_test, y_test)  # (completed)

model.save()  # (completed) model.txt and weight.npz in the current folder
loaded = Model()  # (completed)
loaded.load("model.txt")  # (completed)
loaded.eval(x_test, y_test)  # (completed)
same = (loaded.predict(x_test) == model.predict(x_test)).all()  # (completed)
print("same predictions after load : ", same)  # (completed)
