"""``DistributedSampler``: each rank's share of a data set's indices, the same as PyTorch's."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from scratchnet.backend import xp

_TORCH_32BIT_LIMIT = (2**32 - 1) // 20  # torch's randperm draws 32-bit numbers below this size


def torch_randperm(n: int, seed: int) -> xp.ndarray:
    """The permutation ``torch.randperm(n, generator=torch.Generator().manual_seed(seed))`` gives on
    the CPU: a Fisher–Yates shuffle, position i swapped with i + (r_i mod (n − i)), where r_i are
    the outputs of the 32-bit Mersenne Twister seeded with ``seed mod 2³²`` (NumPy's legacy
    ``RandomState`` seeds it the same way and ``randint(0, 2³², uint32)`` returns the raw words)."""
    if n >= _TORCH_32BIT_LIMIT:
        raise ValueError(f"DistributedSampler: data sets of {n:,} samples or more are not supported "
                         f"(PyTorch's permutation switches to 64-bit draws there)")
    words = xp.random.RandomState(seed % 2**32).randint(0, 2**32, size=max(n - 1, 0), dtype=xp.uint32)
    targets = (xp.arange(n - 1) + words.astype(xp.int64) % (n - xp.arange(n - 1))).tolist()
    order = list(range(n))
    for i, j in enumerate(targets):  # sequential by nature; once per epoch, not per batch
        order[i], order[j] = order[j], order[i]
    return xp.array(order, dtype=xp.int64)


class DistributedSampler:
    """The indices of ``dataset`` that rank ``rank`` of ``num_replicas`` reads in the current
    epoch, as ``torch.utils.data.DistributedSampler``.

    With ``shuffle`` the epoch's order is PyTorch's permutation for seed ``seed + epoch`` (the
    same on every rank; call ``set_epoch`` before each epoch); otherwise 0 … n−1. Without
    ``drop_last`` the order is padded with its own first indices up to a multiple of
    ``num_replicas``; with it, cut down to one. Rank r takes every ``num_replicas``-th index from
    position r, so each rank gets ``num_samples`` indices. ``num_replicas`` and ``rank`` default
    to the default process group's world size and rank.
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from scratchnet.distributed.process_group import world

            group = world()
            num_replicas = group.size if num_replicas is None else num_replicas
            rank = group.rank if rank is None else rank
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive integer, "
                             f"got {num_replicas!r}")
        if not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s permutation (the same on every rank) from the next iteration."""
        self.epoch = epoch

    def indices(self) -> xp.ndarray:
        """This rank's indices for the current epoch, as an int64 array."""
        n = len(self.dataset)
        order = torch_randperm(n, self.seed + self.epoch) if self.shuffle else xp.arange(n)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > n:
            order = xp.concatenate([order, xp.resize(order, self.total_size - n)])
        return order[self.rank:self.total_size:self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples
