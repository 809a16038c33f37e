"""Splitting arrays into train and test parts (scikit-learn's ``train_test_split``)."""

from __future__ import annotations

import math
from typing import Any

from scratchnet import backend
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.data.validation import check_not_empty, check_same_length


def _generator(random_state: Any) -> Any:
    """``random_state`` as a generator: None → the global one, an int → a fresh seeded one."""
    if random_state is None:
        return backend.generator()
    if isinstance(random_state, xp.random.Generator):
        return random_state
    return xp.random.Generator(xp.random.PCG64(int(random_state)))


def _split_sizes(n: int, test_size: float | int | None, train_size: float | int | None) -> tuple[int, int]:
    """``(n_train, n_test)`` as scikit-learn: a float is a fraction (test rounded up, train down),
    an int a count; one missing size is the complement; both missing means ``test_size=0.25``."""
    if test_size is None and train_size is None:
        test_size = 0.25

    def count(size: float | int | None, rounding: Any, what: str) -> int | None:
        if size is None:
            return None
        if isinstance(size, float):
            if not 0.0 < size < 1.0:
                raise ValueError(f"{what}={size} should be a float in (0, 1) or an int in [1, {n - 1}]")
            return int(rounding(size * n))
        if not 0 < size < n:
            raise ValueError(f"{what}={size} should be a float in (0, 1) or an int in [1, {n - 1}]")
        return int(size)

    n_test, n_train = count(test_size, math.ceil, "test_size"), count(train_size, math.floor, "train_size")
    n_test = n - n_train if n_test is None else n_test
    n_train = n - n_test if n_train is None else n_train
    if n_train + n_test > n:
        raise ValueError(f"train_size + test_size = {n_train + n_test} samples exceeds the {n} available")
    if n_train == 0 or n_test == 0:
        raise ValueError(f"With n_samples={n}, test_size={test_size} and train_size={train_size}, "
                         "the resulting train or test set will be empty.")
    return n_train, n_test


def _allocate(total: int, counts: xp.ndarray, rng: Any) -> xp.ndarray:
    """Split ``total`` over classes proportionally to ``counts`` (largest remainders, random ties)."""
    exact = total * counts / counts.sum()
    share = xp.minimum(xp.floor(exact).astype(xp.int64), counts)
    remainder = exact - share + rng.random(len(counts)) * 1e-9
    remainder[share >= counts] = -1
    share[xp.argsort(-remainder)[: total - share.sum()]] += 1
    return share


def _class_ids(labels: xp.ndarray) -> xp.ndarray:
    """Class indices ``0..K-1`` of ``labels`` (1-D class labels, or one row per sample, e.g. one-hot)."""
    if labels.ndim == 1:
        return xp.unique(labels, return_inverse=True)[1]
    return xp.unique(labels.reshape(len(labels), -1), axis=0, return_inverse=True)[1].ravel()


def _stratified_indices(labels: xp.ndarray, n_train: int, n_test: int,
                        rng: Any) -> tuple[xp.ndarray, xp.ndarray]:
    inverse = _class_ids(labels)
    counts = xp.bincount(inverse)
    if counts.min() < 2:
        raise ValueError("The least populated class in y has only 1 member, which is too few. "
                         "The minimum number of members in any class cannot be less than 2.")
    if n_test < len(counts) or n_train < len(counts):
        raise ValueError(f"train and test sets must each hold at least one sample of each of the "
                         f"{len(counts)} classes (got {n_train} train, {n_test} test)")
    test_counts = _allocate(n_test, counts, rng)
    train_counts = _allocate(n_train, counts - test_counts, rng)
    train, test = [], []
    for k in range(len(counts)):  # a loop over classes, not samples
        members = rng.permutation(xp.flatnonzero(inverse == k))
        test.append(members[: test_counts[k]])
        train.append(members[test_counts[k]: test_counts[k] + train_counts[k]])
    return rng.permutation(xp.concatenate(train)), rng.permutation(xp.concatenate(test))


def _take(array: Any, indices: xp.ndarray) -> Any:
    if isinstance(array, Tensor):
        return Tensor.wrap(array.array[indices])
    return xp.asarray(array)[indices]


def train_test_split(*arrays: Any, test_size: float | int | None = None,
                     train_size: float | int | None = None, random_state: Any = None, shuffle: bool = True,
                     stratify: Any = None) -> list[Any]:
    """Split each array into a train and a test part: ``[a_train, a_test, b_train, b_test, ...]``.

    Follows scikit-learn: float sizes are fractions (test rounded up), int sizes are counts,
    ``test_size=0.25`` when neither is given; ``shuffle=False`` keeps order (train first);
    ``stratify=y`` keeps the class proportions of ``y`` in both parts (each class needs 2 members).
    ``random_state`` is an int, a ``numpy.random.Generator``, or ``None`` for the global generator
    (reproducible under ``sn.manual_seed``). Arrays and Tensors are accepted; parts keep their kind.
    """
    if not arrays:
        raise ValueError("At least one array required as input")
    n = check_same_length(*arrays, names=[f"arrays[{i}]" for i in range(len(arrays))])
    check_not_empty(arrays[0], "arrays[0]")
    n_train, n_test = _split_sizes(n, test_size, train_size)
    rng = _generator(random_state)
    if stratify is not None:
        if not shuffle:
            raise ValueError("Stratified train/test split is not implemented for shuffle=False")
        labels = xp.asarray(stratify)
        check_same_length(arrays[0], labels, names=["arrays[0]", "stratify"])
        train, test = _stratified_indices(labels, n_train, n_test, rng)
    elif shuffle:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:n_test + n_train]
    else:
        train, test = xp.arange(n_train), xp.arange(n_train, n_train + n_test)
    return [part for array in arrays for part in (_take(array, train), _take(array, test))]
