"""TensorFlow-style pipelines: from_tensor_slices, map, shuffle, batch, repeat, prefetch, take, skip."""

import gc
import threading

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import data

from_slices = data.Dataset.from_tensor_slices


def labels(pipeline):
    return [int(e[1]) if isinstance(e, tuple) else int(e) for e in pipeline]


def test_elements_are_numpy_slices():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    elements = list(from_slices((x, y)))
    assert len(elements) == 6 and isinstance(elements[0], tuple)
    np.testing.assert_array_equal(elements[4][0], x[4])
    assert isinstance(elements[4][0], np.ndarray) and elements[4][1] == 4
    np.testing.assert_array_equal(list(from_slices(x))[2], x[2])
    assert isinstance(data.Dataset.from_tensor_slices(x), data.Dataset)


def test_slices_length_mismatch():
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        from_slices((np.zeros(3), np.zeros(4)))


def test_batch_sizes_and_remainder():
    ds = from_slices(np.arange(10))
    assert [b.tolist() for b in ds.batch(4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [len(b) for b in ds.batch(4, drop_remainder=True)] == [4, 4]
    assert len(ds.batch(4)) == 3 and len(ds.batch(4, drop_remainder=True)) == 2
    x, y = next(iter(from_slices((np.ones((5, 2, 3)), np.arange(5))).batch(5)))
    assert x.shape == (5, 2, 3) and y.shape == (5,)


def test_shuffle_is_seeded_permutation_reshuffled_each_iteration():
    ds = from_slices(np.arange(40)).shuffle(40, seed=7)
    first, second = labels(ds), labels(ds)
    assert sorted(first) == list(range(40)) and first != second
    assert labels(from_slices(np.arange(40)).shuffle(40, seed=7)) == first
    fixed = from_slices(np.arange(40)).shuffle(40, seed=7, reshuffle_each_iteration=False)
    assert labels(fixed) == labels(fixed)


def test_shuffle_reshuffles_on_each_repetition():
    out = labels(from_slices(np.arange(20)).shuffle(20, seed=1).repeat(3))
    epochs = [out[0:20], out[20:40], out[40:60]]
    assert all(sorted(e) == list(range(20)) for e in epochs)
    assert epochs[0] != epochs[1] != epochs[2]


def test_shuffle_unseeded_follows_manual_seed():
    ds = from_slices(np.arange(30)).shuffle(10)
    sn.manual_seed(5)
    a = labels(ds)
    sn.manual_seed(5)
    assert labels(ds) == a and sorted(a) == list(range(30))


def test_shuffle_buffer_semantics():
    assert labels(from_slices(np.arange(10)).shuffle(1, seed=0)) == list(range(10))
    for seed in range(5):
        out = labels(from_slices(np.arange(200)).shuffle(8, seed=seed))
        assert sorted(out) == list(range(200))
        # TensorFlow's buffer: output i is one of the first i + buffer_size inputs
        assert all(value < i + 8 for i, value in enumerate(out))
    with pytest.raises(ValueError, match="buffer_size"):
        from_slices(np.arange(3)).shuffle(0)


def test_repeat_take_skip():
    ds = from_slices(np.arange(5))
    assert labels(ds.repeat(2)) == [0, 1, 2, 3, 4] * 2
    assert labels(ds.repeat().take(12)) == [0, 1, 2, 3, 4] * 2 + [0, 1]
    assert labels(ds.skip(2)) == [2, 3, 4] and labels(ds.take(2)) == [0, 1]
    assert labels(ds.skip(-1)) == [] and labels(ds.take(-1)) == [0, 1, 2, 3, 4]
    assert labels(ds.skip(7)) == [] and labels(ds.repeat(0)) == []
    assert ds.repeat().cardinality() == data.INFINITE and len(ds.repeat(3).skip(4).take(20)) == 11
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())
    assert labels(ds.take(0).repeat()) == []  # an empty pipeline repeated forever ends


def test_map_unpacks_tuples_and_batches_stack():
    x = np.arange(6, dtype=np.float32)
    ds = from_slices((x, np.arange(6))).map(lambda a, b: (a * 2, b + 1))
    batches = list(ds.batch(4))
    np.testing.assert_array_equal(batches[0][0], [0, 2, 4, 6])
    np.testing.assert_array_equal(batches[1][1], [5, 6])
    assert batches[0][0].dtype == np.float32
    after = list(from_slices(x).batch(4).map(lambda b: b.sum()))
    assert after == [6.0, 9.0]


def test_gather_and_stack_paths_agree():
    x = np.random.default_rng(0).random((17, 3)).astype(np.float32)
    direct = list(from_slices((x, np.arange(17))).shuffle(5, seed=2).batch(4))
    mapped = list(from_slices((x, np.arange(17))).shuffle(5, seed=2).map(lambda a, b: (a, b)).batch(4))
    for (a, b), (c, d) in zip(direct, mapped, strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_prefetch_same_sequence_and_errors():
    def build():
        ds = from_slices((np.arange(50), np.arange(50))).shuffle(20, seed=4)
        return ds.map(lambda a, b: (a, b * 2)).batch(6)
    plain = [b[1].tolist() for b in build()]
    assert [b[1].tolist() for b in build().prefetch(3)] == plain
    assert [b[1].tolist() for b in build().prefetch(data.AUTOTUNE)] == plain

    def boom(value):
        if value == 3:
            raise RuntimeError("bad element 3")
        return value
    with pytest.raises(RuntimeError, match="bad element 3"):
        list(from_slices(np.arange(10)).map(boom).prefetch(2))


def prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "scratchnet-prefetch"]


def test_prefetch_thread_stops_when_iteration_stops():
    pipeline = from_slices(np.arange(100)).repeat().prefetch(2)
    for i, _ in enumerate(pipeline):
        if i == 5:
            assert len(prefetch_threads()) == 1  # the producer runs while we iterate
            break
    gc.collect()
    assert prefetch_threads() == []


def test_cache_replays_first_pass():
    calls = []
    ds = from_slices(np.arange(4)).map(lambda v: calls.append(v) or v).cache()
    assert labels(ds) == labels(ds) == [0, 1, 2, 3] and len(calls) == 4
