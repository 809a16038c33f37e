"""Utilities around data: one-hot encoding, train/test splitting, and ``utils.data`` (PyTorch's
``torch.utils.data``: the same objects as ``scratchnet.data``).

>>> y_onehot = utils.to_categorical(y, num_classes=10)
>>> x_train, x_test, y_train, y_test = utils.train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
"""

from scratchnet.utils import data
from scratchnet.utils.categorical import to_categorical
from scratchnet.utils.split import train_test_split

__all__ = ["data", "to_categorical", "train_test_split"]
