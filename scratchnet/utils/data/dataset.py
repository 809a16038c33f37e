"""``torch.utils.data.dataset``: the data set classes of ``scratchnet.data`` (the same objects)."""

from scratchnet.data.dataset import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)

__all__ = ["ConcatDataset", "Dataset", "IterableDataset", "Subset", "TensorDataset", "random_split"]
