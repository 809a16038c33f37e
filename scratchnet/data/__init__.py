"""Data loading: PyTorch-style data sets, samplers and loaders, TensorFlow-style pipelines, transforms.

``scratchnet.utils.data`` is this same module's PyTorch-style part under ``torch.utils.data``'s name.

>>> from scratchnet import data
>>> x, y = np.arange(200.0).reshape(100, 2), np.arange(100) % 3
>>> loader = data.DataLoader(data.TensorDataset(x, y), batch_size=32, shuffle=True)
>>> [len(labels) for _, labels in loader]
[32, 32, 32, 4]
>>> ds = data.Dataset.from_tensor_slices((x, y)).shuffle(10_000).batch(32).prefetch(data.AUTOTUNE)
>>> [len(labels) for _, labels in ds]
[32, 32, 32, 4]
"""

from scratchnet.data import transforms
from scratchnet.data.dataloader import (
    DataLoader,
    DataLoaderStateError,
    collate,
    default_collate,
    default_convert,
)
from scratchnet.data.dataset import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from scratchnet.data.distributed import DistributedSampler
from scratchnet.data.pipeline import AUTOTUNE, INFINITE, UNKNOWN, Pipeline
from scratchnet.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from scratchnet.data.validation import (
    NonNumericDataError,
    check_finite,
    check_labels,
    check_not_empty,
    check_numeric,
    check_same_length,
)
from scratchnet.data.workers import WorkerInfo, get_worker_info

__all__ = ["AUTOTUNE", "INFINITE", "UNKNOWN", "BatchSampler", "ConcatDataset", "DataLoader",
           "DataLoaderStateError", "Dataset",
           "DistributedSampler", "IterableDataset", "NonNumericDataError", "Pipeline",
           "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
           "WeightedRandomSampler", "WorkerInfo", "check_finite", "check_labels", "check_not_empty",
           "check_numeric", "check_same_length", "collate", "default_collate", "default_convert",
           "get_worker_info", "random_split", "transforms"]
