"""scratchnet.utils.data as torch.utils.data: samplers, ConcatDataset, random_split, DataLoader's
arguments and its worker processes, checked against PyTorch's behaviour and messages."""

import os
import pickle

import numpy as np
import pytest

import scratchnet as sn
import scratchnet.utils.data as ud
from scratchnet import data

torch = pytest.importorskip("torch")
tud = torch.utils.data


def test_utils_data_is_scratchnet_data():
    for name in ud.__all__:
        assert getattr(ud, name) is getattr(data, name), name
    assert sn.utils.data is ud
    for module in ("dataset", "sampler", "dataloader"):  # torch.utils.data's submodules
        theirs = __import__(f"torch.utils.data.{module}", fromlist=["_"])
        ours = __import__(f"scratchnet.utils.data.{module}", fromlist=["_"])
        for name in ours.__all__:
            assert getattr(ours, name) is getattr(data, name) and hasattr(theirs, name), (module, name)
    for name in ("Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
                 "DataLoader", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
                 "WeightedRandomSampler", "BatchSampler", "default_collate", "get_worker_info"):
        assert hasattr(tud, name) and hasattr(ud, name), name


def _pair(n=10):
    x = np.arange(n, dtype=np.int64)
    return ud.TensorDataset(x), tud.TensorDataset(torch.tensor(x))


def _with_sampler(kwargs, sampler):
    return {**kwargs, "sampler": sampler} if "sampler" in kwargs else kwargs


@pytest.mark.parametrize("kwargs", [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2), dict(persistent_workers=True),
    dict(shuffle=True, sampler="sequential"), dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True), dict(batch_size=0),
    dict(batch_size=-3), dict(num_workers=1, prefetch_factor=-1)])
def test_dataloader_argument_errors_as_torch(kwargs):
    ours, theirs = _pair()
    with pytest.raises(ValueError) as expected:
        tud.DataLoader(theirs, **_with_sampler(kwargs, tud.SequentialSampler(theirs)))
    with pytest.raises(ValueError) as got:
        ud.DataLoader(ours, **_with_sampler(kwargs, ud.SequentialSampler(ours)))
    assert str(got.value) == str(expected.value)


class Stream(ud.IterableDataset):
    """0..n-1, each worker taking every num_workers-th element (sharded with get_worker_info)."""

    def __init__(self, n=11):
        self.n = n

    def __iter__(self):
        info = ud.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(np.arange(start, self.n, step, dtype=np.float32))


@pytest.mark.parametrize("option", ["shuffle", "sampler", "batch_sampler"])
def test_iterable_dataset_refuses_order_options_as_torch(option):
    value = {"shuffle": True, "sampler": [0], "batch_sampler": [[0]]}[option]

    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    with pytest.raises(ValueError) as expected:
        tud.DataLoader(TorchStream(), **{option: value})
    with pytest.raises(ValueError) as got:
        ud.DataLoader(Stream(), **{option: value})
    assert str(got.value).startswith(str(expected.value))


@pytest.mark.parametrize("make", [
    lambda m: m.RandomSampler(range(5), replacement=1), lambda m: m.RandomSampler(range(5), num_samples=0),
    lambda m: m.BatchSampler(m.SequentialSampler(range(5)), 0, False),
    lambda m: m.BatchSampler(m.SequentialSampler(range(5)), 2, 1),
    lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 3), lambda m: m.WeightedRandomSampler([1.0, 2.0], 0)])
def test_sampler_argument_errors_as_torch(make):
    with pytest.raises((TypeError, ValueError)) as expected:
        make(tud)
    with pytest.raises(expected.type) as got:
        make(ud)
    assert str(got.value) == str(expected.value)


def test_sequential_and_batch_sampler_as_torch():
    for n, size, drop in ((10, 3, False), (10, 3, True), (9, 3, True), (4, 5, False)):
        ours = list(ud.BatchSampler(ud.SequentialSampler(range(n)), size, drop))
        theirs = list(tud.BatchSampler(tud.SequentialSampler(range(n)), size, drop))
        assert ours == theirs and len(ud.BatchSampler(range(n), size, drop)) == len(theirs)
        assert list(ud.BatchSampler(range(n), size, drop)) == theirs  # any iterable of indices


def test_random_samplers_draw_what_they_should():
    generator = sn.Generator().manual_seed(0)
    assert sorted(ud.RandomSampler(range(20), generator=generator)) == list(range(20))
    three_epochs = list(ud.RandomSampler(range(7), num_samples=21, generator=generator))
    assert [sorted(three_epochs[i:i + 7]) for i in (0, 7, 14)] == [list(range(7))] * 3
    with_replacement = list(ud.RandomSampler(range(4), True, num_samples=400, generator=generator))
    assert len(with_replacement) == 400 and set(with_replacement) == {0, 1, 2, 3}
    subset = [10, 20, 30, 40]
    assert sorted(ud.SubsetRandomSampler(subset, generator=generator)) == subset


def test_weighted_sampler_frequencies_follow_weights():
    weights = np.array([0.0, 1.0, 3.0, 6.0])
    draws = np.array(list(ud.WeightedRandomSampler(weights, 20000, generator=sn.Generator().manual_seed(1))))
    frequencies = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(frequencies, weights / weights.sum(), atol=0.015)
    once = list(ud.WeightedRandomSampler(weights, 3, False, generator=sn.Generator().manual_seed(2)))
    assert sorted(once) == [1, 2, 3]
    with pytest.raises(ValueError, match="without replacement"):
        ud.WeightedRandomSampler(weights, 4, replacement=False)


def test_random_sampler_without_generator_follows_manual_seed():
    sn.manual_seed(5)
    a = [list(ud.RandomSampler(range(9))) for _ in range(2)]
    sn.manual_seed(5)
    b = [list(ud.RandomSampler(range(9))) for _ in range(2)]
    assert a == b and a[0] != a[1]


def test_generator_api():
    g = sn.Generator()
    assert g.initial_seed() == 0 and g.manual_seed(42) is g and g.initial_seed() == 42
    first = g.permutation(10)
    state = g.get_state()
    second = g.permutation(10)
    np.testing.assert_array_equal(g.set_state(state).permutation(10), second)
    np.testing.assert_array_equal(sn.Generator().manual_seed(42).permutation(10), first)
    copied = pickle.loads(pickle.dumps(g))  # what a spawned worker receives
    assert type(copied) is sn.Generator and copied.initial_seed() == 42 and copied.random() == g.random()
    assert isinstance(g.seed(), int) and g.seed() != g.seed()
    with pytest.raises(ValueError, match="PCG64"):
        g.set_state({"bit_generator": "PCG64", "state": {"state": -1, "inc": 1},
                     "has_uint32": 0, "uinteger": 0})


@pytest.mark.filterwarnings("ignore:Length of split:UserWarning")  # torch's, for the empty split
@pytest.mark.parametrize("n", [10, 7, 13, 100])
def test_random_split_fractions_lengths_as_torch(n):
    for fractions in ([0.3, 0.3, 0.4], [0.5, 0.5], [0.8, 0.2], [1.0, 0.0]):
        ours = ud.random_split(range(n), fractions, generator=sn.Generator().manual_seed(0))
        theirs = tud.random_split(range(n), fractions, generator=torch.Generator().manual_seed(0))
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        assert sorted(np.concatenate([s.indices for s in ours]).tolist()) == list(range(n))
    a = ud.random_split(range(n), [0.5, 0.5], generator=sn.Generator().manual_seed(3))
    b = ud.random_split(range(n), [0.5, 0.5], generator=sn.Generator().manual_seed(3))
    np.testing.assert_array_equal(a[0].indices, b[0].indices)


def test_concat_dataset_as_torch():
    parts = [np.arange(0, 4), np.arange(100, 103), np.arange(200, 205)]
    ours = ud.ConcatDataset([ud.TensorDataset(p) for p in parts])
    theirs = tud.ConcatDataset([tud.TensorDataset(torch.tensor(p)) for p in parts])
    assert len(ours) == len(theirs) and ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-len(theirs), len(theirs)):
        assert ours[i][0].item() == theirs[i][0].item()
    order = np.random.default_rng(0).permutation(len(ours))
    batch = ours.__getitems__(order)
    np.testing.assert_array_equal(np.asarray(batch[0]), [theirs[int(i)][0].item() for i in order])
    loader = ud.DataLoader(ours, batch_size=5, shuffle=True, seed=0)
    assert sorted(np.concatenate([b[0].numpy() for b in loader]).tolist()) == np.concatenate(parts).tolist()
    mixed = ud.ConcatDataset([Samples(), ud.TensorDataset(np.full((3, 2), 9.0, np.float32), np.arange(6, 9))])
    x, label = ud.DataLoader(mixed, batch_size=9, shuffle=True, seed=1).__iter__().__next__()
    np.testing.assert_array_equal(x.numpy()[:, 0], np.where(label.numpy() < 6, label.numpy(), 9))
    with pytest.raises(ValueError, match="empty"):
        ud.ConcatDataset([])
    with pytest.raises(IndexError):
        ours[len(ours)]


class Samples(ud.Dataset):
    """Samples (array, int) with no __getitems__: the per-sample path."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return np.full(2, i, dtype=np.float32), i


def test_unbatched_loader_yields_samples_as_torch():
    ours = list(ud.DataLoader(Samples(), batch_size=None))
    assert len(ours) == 6 and ours[4][0].shape == (2,) and ours[4][1].item() == 4
    assert len(ud.DataLoader(Samples(), batch_size=None)) == 6
    sampler = ud.BatchSampler(ud.SequentialSampler(range(6)), 4, False)
    batches = list(ud.DataLoader(Samples(), batch_sampler=sampler))
    assert [len(b[1]) for b in batches] == [4, 2]


# --- worker processes ----------------------------------------------------------------------------

class Augmented(ud.Dataset):
    """Each sample: its index, the worker that made it, and a draw from the global generator."""

    def __init__(self, n=37):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = ud.get_worker_info()
        return (i, -1 if info is None else info.id, float(sn.backend.generator().random()),
                float(np.random.random()))


def _labels(loader, epochs=2):
    return [[b[1].numpy().tolist() for b in loader] for _ in range(epochs)]


@pytest.mark.parametrize("order", [dict(shuffle=True, seed=7), dict(shuffle=True, generator="g"), dict()])
def test_workers_give_the_same_batches_as_no_workers(order):
    x = np.random.default_rng(0).random((53, 3)).astype(np.float32)
    dataset = ud.TensorDataset(x, np.arange(53))

    def loader(workers):
        options = {**order, "generator": sn.Generator().manual_seed(7)} if "generator" in order else order
        return ud.DataLoader(dataset, batch_size=6, num_workers=workers, **options)

    plain, two, three = loader(0), loader(2), loader(3)
    for _ in range(2):  # two epochs: the order changes, the same way with and without workers
        expected = [(a.numpy(), b.numpy()) for a, b in plain]
        for parallel in (two, three):
            got = [(a.numpy(), b.numpy()) for a, b in parallel]
            assert len(got) == len(expected) == 9
            for (a, b), (c, d) in zip(got, expected):
                np.testing.assert_array_equal(a, c)
                np.testing.assert_array_equal(b, d)


def test_workers_run_in_other_processes_seeded_as_torch():
    calls = []
    loader = ud.DataLoader(Augmented(), batch_size=4, num_workers=2, shuffle=True, seed=3,
                           worker_init_fn=lambda worker_id: calls.append(worker_id))
    base_seed = int(sn.Generator().manual_seed(3).integers(2**63))  # the loader's first draw
    batches = list(loader)
    workers = [b[1].numpy()[0] for b in batches]
    assert workers == [i % 2 for i in range(len(batches))]  # batch i from worker i % 2
    assert calls == []  # worker_init_fn ran in the workers, not here
    first_draw = {w: batches[w][2].numpy()[0] for w in (0, 1)}
    for worker, draw in first_draw.items():  # global generator seeded with base_seed + worker id
        expected = np.random.Generator(np.random.PCG64(base_seed + worker)).random()
        assert draw == np.float32(expected)
        legacy = np.random.RandomState((base_seed + worker) % 2**32).random()
        assert batches[worker][3].numpy()[0] == np.float32(legacy)


def test_pin_memory_and_prefetch_factor_are_accepted():
    dataset = ud.TensorDataset(np.arange(10))
    expected = [b[0].numpy().tolist() for b in ud.DataLoader(dataset, batch_size=3)]
    pinned = ud.DataLoader(dataset, batch_size=3, pin_memory=True, num_workers=1, prefetch_factor=1)
    assert pinned.pin_memory and pinned.prefetch_factor == 1
    assert [b[0].numpy().tolist() for b in pinned] == expected


def test_worker_init_fn_and_get_worker_info_in_workers(tmp_path):
    def init(worker_id):
        info = ud.get_worker_info()
        (tmp_path / f"w{worker_id}").write_text(f"{info.id} {info.num_workers} {os.getpid()}")

    list(ud.DataLoader(Augmented(8), batch_size=2, num_workers=2, worker_init_fn=init))
    texts = sorted(p.read_text().split() for p in tmp_path.iterdir())
    assert [t[:2] for t in texts] == [["0", "2"], ["1", "2"]]
    assert len({t[2] for t in texts} | {str(os.getpid())}) == 3
    assert ud.get_worker_info() is None


def test_iterable_dataset_with_workers_round_robin_as_torch():
    ours = [b.numpy().tolist() for b in ud.DataLoader(Stream(11), batch_size=2, num_workers=2)]

    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            info = tud.get_worker_info()
            start, step = (0, 1) if info is None else (info.id, info.num_workers)
            return iter(range(start, 11, step))

    theirs = [b.tolist() for b in tud.DataLoader(TorchStream(), batch_size=2, num_workers=2)]
    assert ours == theirs


class Failing(ud.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise KeyError(f"sample {i} is broken")
        return i


def test_worker_error_reaches_the_main_process():
    with pytest.raises(KeyError, match="sample 5 is broken") as error:
        list(ud.DataLoader(Failing(), batch_size=2, num_workers=2))
    assert "DataLoader worker process 0" in "".join(getattr(error.value, "__notes__", []))


def test_persistent_workers_are_reused_across_epochs():
    class Pids(ud.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return os.getpid()

    loader = ud.DataLoader(Pids(), batch_size=1, num_workers=2, persistent_workers=True)
    first, second = ([b.item() for b in loader] for _ in range(2))
    assert set(first) == set(second) and len(set(first)) == 2 and os.getpid() not in first
    fresh = ud.DataLoader(Pids(), batch_size=1, num_workers=2)
    assert set(b.item() for b in fresh).isdisjoint(b.item() for b in fresh)


def test_spawned_workers_give_the_same_batches():
    """Where fork is not used (macOS, Windows, or asked for), the loader and data set are pickled."""
    dataset = ud.TensorDataset(np.arange(40, dtype=np.float32), np.arange(40))
    spawned = ud.DataLoader(dataset, batch_size=6, shuffle=True, num_workers=2,
                            multiprocessing_context="spawn", generator=sn.Generator().manual_seed(1))
    plain = ud.DataLoader(dataset, batch_size=6, shuffle=True, generator=sn.Generator().manual_seed(1))
    assert [b[1].numpy().tolist() for b in spawned] == [b[1].numpy().tolist() for b in plain]


class Stalling(ud.Dataset):
    """Sample 1 takes long (in a worker); sample 2 kills its worker process."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 1:
            __import__("time").sleep(2.5)
        if i == 2 and ud.get_worker_info() is not None:
            os._exit(3)
        return i


def test_worker_timeout_and_death_raise_as_torch():
    with pytest.raises(RuntimeError, match="DataLoader timed out after 1.0 seconds"):
        list(ud.DataLoader(Stalling(), batch_size=1, num_workers=1, timeout=1, sampler=[1]))
    died = r"DataLoader worker \(pid \d+\) exited unexpectedly with exit code 3"
    with pytest.raises(RuntimeError, match=died):
        list(ud.DataLoader(Stalling(), batch_size=1, num_workers=1, sampler=[2]))


def test_default_collate_as_torch():
    samples = [{"a": np.full(2, i, np.float32), "n": i, "f": i + 0.5, "s": f"name{i}", "t": (i, 2.0 * i),
                "b": i % 2 == 0} for i in range(3)]
    ours, theirs = ud.default_collate(samples), tud.default_collate(samples)
    assert set(ours) == set(theirs) and ours["s"] == theirs["s"] == ["name0", "name1", "name2"]
    for key in ("a", "n", "b"):
        np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
        assert ours[key].dtype == theirs[key].numpy().dtype
    np.testing.assert_array_equal(ours["f"].numpy(), theirs["f"].numpy())  # float32 here, float64 in torch
    for ours_part, theirs_part in zip(ours["t"], theirs["t"]):
        np.testing.assert_array_equal(ours_part.numpy(), theirs_part.numpy())
