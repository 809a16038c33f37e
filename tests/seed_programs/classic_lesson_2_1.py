# Lesson 2-1: single-layer gradient descent with MulLayer, AddLayer and MSELayer.
# ruff: noqa  (the lesson's code, kept as the lesson writes it)
import os

import numpy as np

from scratchnet.classic import Layers

# ---- scratchnet test scale (not in the lesson) ----
STEPS_SCALE = float(os.environ.get("SEED_STEPS_SCALE", "1"))

train_x = np.random.uniform(-5, 5, (100, 10))
ans_w = np.random.uniform(-5, 5, (10, 1))
ans_b = 3
train_y = train_x.dot(ans_w) + ans_b
w = np.random.uniform(-5, 5, (10, 1))
b = np.random.uniform(-5, 5, (1, 1))
learning_rate = 0.001
epoch = int(10000 * STEPS_SCALE)

keys = ['w', 'b']
layers = {}
layers['w'] = Layers.MulLayer(w)
layers['b'] = Layers.AddLayer(b)
lastlayer = Layers.MSELayer(train_y)
grads = {}

for epoch in range(epoch):
    x = train_x
    y = train_y
    for key in keys:
        x = layers[key].forward(x)
    loss = lastlayer.forward(x)
    if epoch % 100 == 0:
        print("err : ", loss)
    dout = lastlayer.backward()
    for key in reversed(keys):
        dout = layers[key].backward(dout)
        grads[key] = layers[key].grad
    db = layers['b'].grad
    dw = layers['w'].grad
    w -= learning_rate * dw
    b -= learning_rate * db
