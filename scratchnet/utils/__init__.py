"""Utilities around data: one-hot encoding and train/test splitting.

>>> y_onehot = utils.to_categorical(y, num_classes=10)
>>> x_train, x_test, y_train, y_test = utils.train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
"""

from scratchnet.utils.categorical import to_categorical
from scratchnet.utils.split import train_test_split

__all__ = ["to_categorical", "train_test_split"]
