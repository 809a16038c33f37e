"""Dataset, TensorDataset and DataLoader semantics (as PyTorch documents them)."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import data


def _dataset(n=10):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.int64)
    return x, y, data.TensorDataset(x, y)


def test_batches_in_order_with_remainder():
    x, y, ds = _dataset(10)
    loader = data.DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[1]) for b in batches] == [4, 4, 2]
    assert all(isinstance(t, sn.Tensor) for b in batches for t in b)
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x)
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64


def test_drop_last():
    _, _, ds = _dataset(10)
    loader = data.DataLoader(ds, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(b[1]) for b in loader] == [4, 4]


def _epoch(loader):
    return np.concatenate([b[1].numpy() for b in loader])


def test_shuffle_differs_each_epoch_and_is_seeded():
    _, _, ds = _dataset(50)
    loader = data.DataLoader(ds, batch_size=8, shuffle=True, seed=3)
    first, second = _epoch(loader), _epoch(loader)
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert not np.array_equal(first, second)
    again = data.DataLoader(ds, batch_size=8, shuffle=True, seed=3)
    np.testing.assert_array_equal(_epoch(again), first)
    np.testing.assert_array_equal(_epoch(again), second)


def test_shuffle_reproducible_under_manual_seed():
    _, _, ds = _dataset(30)
    loader = data.DataLoader(ds, batch_size=7, shuffle=True)
    sn.manual_seed(11)
    a = [_epoch(loader), _epoch(loader)]
    sn.manual_seed(11)
    b = [_epoch(loader), _epoch(loader)]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[0], a[1])


class Squares(data.Dataset):
    """A generic map-style data set with no __getitems__: samples are (array, int, float)."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float64), i, float(i) ** 2


def test_generic_dataset_collated_per_item():
    x, label, square = next(iter(data.DataLoader(Squares(), batch_size=5)))
    assert x.shape == (5, 3) and x.dtype == np.float64
    assert label.dtype == np.int64 and square.dtype == np.float32
    np.testing.assert_array_equal(square.numpy(), [0, 1, 4, 9, 16])


class Counting(data.TensorDataset):
    calls = 0

    def __getitems__(self, indices):
        Counting.calls += 1
        return super().__getitems__(indices)

    def __getitem__(self, index):
        raise AssertionError("the vectorised path must not fetch sample by sample")


def test_getitems_fast_path_one_call_per_batch():
    Counting.calls = 0
    loader = data.DataLoader(Counting(np.zeros((10, 2)), np.zeros(10)), batch_size=3, shuffle=True, seed=0)
    assert len(list(loader)) == 4 and Counting.calls == 4


def test_empty_dataset_and_bad_batch_size():
    with pytest.raises(ValueError, match="num_samples=0"):
        data.DataLoader(data.TensorDataset(np.zeros((0, 2))))
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(_dataset()[2], batch_size=0)


def test_tensor_dataset_mismatch_and_indexing():
    message = r"cardinality is ambiguous: tensors\[0\] sizes: 3 tensors\[1\] sizes: 4"
    with pytest.raises(ValueError, match=message):
        data.TensorDataset(np.zeros(3), np.zeros(4))
    x, y, ds = _dataset(4)
    xi, yi = ds[2]
    assert isinstance(xi, sn.Tensor) and yi.item() == 2 and len(ds) == 4
    np.testing.assert_array_equal(ds.__getitems__([3, 1])[0].numpy(), x[[3, 1]])


def test_non_finite_batch_names_dataset_index():
    x = np.ones((20, 2), dtype=np.float32)
    x[13, 1] = np.nan
    loader = data.DataLoader(data.TensorDataset(x, np.zeros(20)), batch_size=4, shuffle=True, seed=1)
    with pytest.raises(ValueError, match="1 non-finite values.*sample 13.*check_finite=False"):
        list(loader)
    assert len(list(data.DataLoader(data.TensorDataset(x), batch_size=4, check_finite=False))) == 5


def test_iterable_dataset_pipeline_through_loader():
    x = np.arange(7, dtype=np.float32)
    loader = data.DataLoader(data.Dataset.from_tensor_slices(x), batch_size=3)
    assert [b.numpy().tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    with pytest.raises(ValueError, match="shuffle"):
        data.DataLoader(data.Dataset.from_tensor_slices(x), shuffle=True)


def test_same_batches_as_torch_dataloader():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).random((23, 3)).astype(np.float32)
    y = np.arange(23)
    ours = list(data.DataLoader(data.TensorDataset(x, y), batch_size=5))
    torch_set = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    theirs = list(torch.utils.data.DataLoader(torch_set, batch_size=5))
    assert len(ours) == len(theirs)
    for (a, b), (c, d) in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())



def test_random_split_and_subset():
    x, y, ds = _dataset(10)
    train, val = data.random_split(ds, [7, 3], seed=0)
    assert len(train) == 7 and len(val) == 3
    seen = np.concatenate([_epoch(data.DataLoader(part, batch_size=4)) for part in (train, val)])
    assert sorted(seen) == list(range(10))
    np.testing.assert_array_equal(train[0][1].numpy(), train.indices[0])
    parts = data.random_split(Squares(), [0.5, 0.5], seed=1)
    assert [len(p) for p in parts] == [3, 2]
    assert len(next(iter(data.DataLoader(parts[0], batch_size=3)))[0]) == 3
    with pytest.raises(ValueError, match="does not equal the length"):
        data.random_split(ds, [5, 6])
