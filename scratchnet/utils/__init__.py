"""Utilities around data: one-hot encoding, train/test splitting, and ``utils.data`` (PyTorch's
``torch.utils.data``: the same objects as ``scratchnet.data``).

>>> from scratchnet import utils
>>> x, y = np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5)
>>> utils.to_categorical(y[:3], num_classes=3)
array([[1., 0., 0.],
       [0., 1., 0.],
       [1., 0., 0.]], dtype=float32)
>>> x_train, x_test, y_train, y_test = utils.train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
>>> x_train.shape, sorted(y_test.tolist())   # one test sample of each class
((8, 2), [0, 1])
"""

from scratchnet.utils import data
from scratchnet.utils.categorical import to_categorical
from scratchnet.utils.split import train_test_split

__all__ = ["data", "to_categorical", "train_test_split"]
