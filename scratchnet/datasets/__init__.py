"""Data sets: MNIST and Fashion-MNIST (found on disk or downloaded, checksummed) and toy problems.

``load_fashion_mnist()`` gives ``((x_train, y_train), (x_test, y_test))`` as Keras does, and
``FashionMNIST(train=True, transform=data.transforms.ToTensor())`` is torchvision's data set;
the toy problems are generated:

>>> from scratchnet import datasets
>>> x, y = datasets.xor()
>>> x.tolist(), y.tolist()
([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
"""

from scratchnet.datasets.download import ChecksumError, DownloadError
from scratchnet.datasets.idx import IDXError, parse_idx, read_bytes, write_idx
from scratchnet.datasets.mnist import (
    FASHION_MNIST,
    MNIST,
    MNIST_SPEC,
    DatasetNotFoundError,
    FashionMNIST,
    FileSpec,
    IDXDatasetSpec,
    cache_dir,
    load_fashion_mnist,
    load_idx_dataset,
    load_mnist,
    search_dirs,
)
from scratchnet.datasets.toy import spirals, xor

__all__ = ["FASHION_MNIST", "MNIST", "MNIST_SPEC", "ChecksumError", "DatasetNotFoundError", "DownloadError",
           "FashionMNIST", "FileSpec", "IDXDatasetSpec", "IDXError", "cache_dir", "load_fashion_mnist",
           "load_idx_dataset", "load_mnist", "parse_idx", "read_bytes", "search_dirs", "spirals",
           "write_idx", "xor"]
