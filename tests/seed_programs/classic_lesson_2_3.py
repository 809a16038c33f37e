# Lesson 2-3: the ReLU family as layers. The lesson shows the classes only; the lines below
# ruff: noqa  (the lesson's code, kept as the lesson writes it)
# (completed) run each one forward and backward on the same batch, as the later models do.
import numpy as np

from scratchnet.classic import Layers

z = np.random.uniform(-2, 2, (4, 5))  # (completed)
dout = np.random.uniform(-1, 1, (4, 5))  # (completed)
outputs, grads = {}, {}  # (completed)
for name in ['ReLU', 'LeakyReLU', 'ELU']:  # (completed)
    layer = getattr(Layers, name)()  # (completed)
    outputs[name] = layer.forward(z)  # (completed)
    grads[name] = layer.backward(dout)  # (completed)
    print(name, outputs[name][0], grads[name][0])  # (completed)
