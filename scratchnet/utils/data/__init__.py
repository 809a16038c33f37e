"""``torch.utils.data`` under its PyTorch name: the very objects of ``scratchnet.data`` (not copies).

The submodules ``dataset``, ``sampler`` and ``dataloader`` hold the same names as PyTorch's
(``from scratchnet.utils.data.sampler import SubsetRandomSampler``).

>>> from scratchnet.utils.data import DataLoader, TensorDataset, random_split
"""

from scratchnet.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    DataLoaderStateError,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    WorkerInfo,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

__all__ = ["BatchSampler", "ConcatDataset", "DataLoader", "DataLoaderStateError", "Dataset",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "Subset",
           "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "WorkerInfo",
           "default_collate", "default_convert", "get_worker_info", "random_split"]
