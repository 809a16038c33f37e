"""Data loading: PyTorch-style data sets and loaders, TensorFlow-style pipelines, transforms.

>>> from scratchnet import data
>>> loader = data.DataLoader(data.TensorDataset(x, y), batch_size=32, shuffle=True)
>>> ds = data.Dataset.from_tensor_slices((x, y)).shuffle(10_000).batch(32).prefetch(data.AUTOTUNE)
"""

from scratchnet.data import transforms
from scratchnet.data.dataloader import DataLoader, collate
from scratchnet.data.dataset import Dataset, IterableDataset, Subset, TensorDataset, random_split
from scratchnet.data.distributed import DistributedSampler
from scratchnet.data.pipeline import AUTOTUNE, INFINITE, UNKNOWN, Pipeline
from scratchnet.data.validation import (
    NonNumericDataError,
    check_finite,
    check_labels,
    check_not_empty,
    check_numeric,
    check_same_length,
)

__all__ = ["AUTOTUNE", "INFINITE", "UNKNOWN", "DataLoader", "Dataset", "IterableDataset",
           "NonNumericDataError", "Pipeline", "Subset", "TensorDataset", "check_finite", "check_labels",
           "check_not_empty", "check_numeric", "check_same_length", "collate", "random_split", "transforms",
           "DistributedSampler"]
