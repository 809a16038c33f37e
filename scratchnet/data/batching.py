"""The one batching and shuffling primitive: which sample indices each mini-batch holds.

Every front end batches through here: Keras ``fit`` and the command line (``ArrayBatches``), the
``DataLoader`` (``BatchSampler`` cuts its sampler's epoch with ``chunks``; ``RandomSampler`` draws
its epoch with ``epoch_order``), the pipeline's ``shuffle`` (its last buffer is an ``epoch_order``)
and the tutorial's ``Model.train``. Random draws come from the one seeded generator
(``sn.manual_seed``) unless a ``generator`` is given.

``sampling`` says how the batches are drawn:

- ``"sequential"``: ``0, 1, ..., n-1`` in order, cut into slices;
- ``"shuffle"``: one permutation per epoch, cut into pieces (each sample once an epoch);
- ``"random"``: every batch drawn afresh, ``batch_size`` different samples (``choice(n, b, replace=False)``);
- ``"replacement"``: every batch drawn afresh with replacement, the tutorial's
  ``np.random.choice(n, batch_size)`` (a sample may appear twice in one batch).

>>> _ = sn.manual_seed(0)
>>> [index for index in index_batches(5, 2)]
[slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
>>> [index.tolist() for index in index_batches(5, 2, "shuffle")]   # one permutation of 0..4
[[2, 4], [3, 0], [1]]
>>> sorted(sum((index.tolist() for index in index_batches(5, 2, "shuffle")), []))
[0, 1, 2, 3, 4]
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from scratchnet import backend
from scratchnet.backend import xp

SAMPLINGS = ("sequential", "shuffle", "random", "replacement")
"""The ways ``index_batches`` draws its batches."""


def check_sampling(sampling: Any) -> str:
    """``sampling`` if it is one of ``SAMPLINGS``, else a ``ValueError`` listing them."""
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {', '.join(map(repr, SAMPLINGS))}, got {sampling!r}")
    return sampling


def epoch_order(num_samples: int, count: int | None = None, replacement: bool = False,
                generator: Any = None) -> xp.ndarray:
    """A random epoch of ``count`` (default ``num_samples``) indices from ``generator`` (the seeded
    one by default): a permutation of ``0 .. num_samples-1`` (permutations concatenated when
    ``count`` is larger), or with ``replacement`` ``count`` uniform draws.

    >>> sorted(epoch_order(4).tolist())
    [0, 1, 2, 3]
    >>> order = epoch_order(4, count=10, replacement=True)
    >>> len(order), bool(((0 <= order) & (order < 4)).all())
    (10, True)
    """
    count = num_samples if count is None else count
    rng = backend.generator() if generator is None else generator
    if replacement:
        return rng.integers(0, num_samples, size=count)
    if count == num_samples:
        return rng.permutation(num_samples)
    epochs = math.ceil(count / num_samples)
    return xp.concatenate([rng.permutation(num_samples) for _ in range(epochs)])[:count]


def chunks(order: xp.ndarray | int, batch_size: int, drop_last: bool = False) -> Iterator[slice | xp.ndarray]:
    """Consecutive pieces of ``batch_size`` of an epoch's ``order`` (an index array), or slices of
    ``range(order)`` when ``order`` is a number of samples; the last piece is shorter unless
    ``drop_last``.

    >>> [piece.tolist() for piece in chunks(xp.array([3, 1, 4, 0, 2]), 2, drop_last=True)]
    [[3, 1], [4, 0]]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    ordered = isinstance(order, (int, xp.integer))
    total = int(order) if ordered else len(order)
    stop = total - total % batch_size if drop_last else total
    for start in range(0, stop, batch_size):
        end = min(start + batch_size, total)
        yield slice(start, end) if ordered else order[start:end]


def index_batches(num_samples: int, batch_size: int, sampling: str = "sequential", *, drop_last: bool = False,
                  num_batches: int | None = None, generator: Any = None) -> Iterator[slice | xp.ndarray]:
    """The index of each mini-batch over ``num_samples`` samples, drawn as ``sampling`` says (see
    the module). Without ``num_batches``: one epoch (``ceil(n / batch_size)`` batches, fewer with
    ``drop_last``). With it: that many batches, the ordered and shuffled samplings going on into
    further epochs (a new permutation each). The arguments are checked at the call.

    >>> _ = sn.manual_seed(0)
    >>> [index.tolist() for index in index_batches(5, 2, "replacement", num_batches=3)]
    [[4, 3], [2, 1], [1, 0]]
    """
    check_sampling(sampling)
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    rng = backend.generator() if generator is None else generator
    if sampling in ("random", "replacement"):
        total = math.ceil(num_samples / batch_size) if num_batches is None else num_batches
        return (rng.choice(num_samples, batch_size, replace=sampling == "replacement") for _ in range(total))
    return _epochs(num_samples, batch_size, sampling == "shuffle", drop_last, num_batches, rng)


def _epochs(num_samples: int, batch_size: int, shuffle: bool, drop_last: bool, num_batches: int | None,
            rng: Any) -> Iterator[slice | xp.ndarray]:
    """``index_batches`` of the ordered and shuffled samplings: epoch after epoch until
    ``num_batches`` (one epoch when None)."""
    remaining = num_batches
    while remaining is None or remaining > 0:
        order = epoch_order(num_samples, generator=rng) if shuffle else num_samples
        produced = 0
        for index in chunks(order, batch_size, drop_last):
            if produced == remaining:
                return
            produced += 1
            yield index
        if remaining is None or produced == 0:
            return
        remaining -= produced
