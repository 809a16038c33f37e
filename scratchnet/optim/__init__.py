"""Optimisers and learning-rate schedulers with PyTorch's update rules, defaults and state dicts.

>>> model = sn.nn.Linear(3, 1)
>>> opt = sn.optim.Adam(model.parameters(), lr=1e-3)
>>> scheduler = sn.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
>>> for epoch in range(10):
...     opt.step()
...     scheduler.step()
>>> opt.param_groups[0]["lr"]   # halved after 10 epochs
0.0005
"""

from scratchnet.optim import lr_scheduler
from scratchnet.optim.adadelta import Adadelta
from scratchnet.optim.adagrad import Adagrad
from scratchnet.optim.adam import Adam, AdamW
from scratchnet.optim.optimizer import Optimizer
from scratchnet.optim.rmsprop import RMSprop
from scratchnet.optim.sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
