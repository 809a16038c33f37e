"""scratchnet.parallel: chunked NumPy work on the thread pool gives the one-thread bits."""

import threading

import numpy as np
import pytest

from scratchnet import parallel


@pytest.fixture(params=[1, 2, 3])
def threads(request):
    """Run the test at 1, 2 and 3 threads (more threads than cores still splits)."""
    previous = parallel.get_num_threads()
    parallel.set_num_threads(request.param)
    yield request.param
    parallel.set_num_threads(previous)


def random_rows(rows, columns, seed=0):
    return np.random.default_rng(seed).standard_normal((rows, columns)).astype(np.float32)


@pytest.mark.parametrize("rows, columns", [(1, 1), (7, 3), (3, 65535), (3, 65536), (2, 65537),
                                           (131, 1023), (1001, 257), (5, 100_003)])
def test_elementwise_bitwise_equal_to_one_thread(threads, rows, columns):
    x = random_rows(rows, columns)
    expected = np.tanh(x) * np.exp(-x) + 0.5
    out = np.empty_like(x)

    def work(start, stop):
        np.tanh(x[start:stop], out=out[start:stop])
        out[start:stop] *= np.exp(-x[start:stop])
        out[start:stop] += 0.5

    parallel.parallel_for(rows, work, item_cost=columns)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("n_items, item_cost", [(0, 1), (1, 10**9), (2, 10**9), (5, 10**9), (7, 40_000),
                                                (100, 1), (65536 * 3, 1), (1000, 131)])
def test_chunks_cover_range_in_order_and_respect_threshold(threads, n_items, item_cost):
    bounds = parallel.chunk_bounds(n_items, item_cost)
    starts = [start for start, _ in bounds]
    stops = [stop for _, stop in bounds]
    assert starts[0] == 0 and stops[-1] == n_items and starts[1:] == stops[:-1]
    assert len(bounds) <= max(1, min(threads, n_items))
    sizes = [stop - start for start, stop in bounds]
    assert max(sizes) - min(sizes) <= 1
    if len(bounds) > 1:
        assert min(sizes) * item_cost >= parallel.MIN_CHUNK_COST
    else:
        assert n_items * item_cost < 2 * parallel.MIN_CHUNK_COST or threads == 1 or n_items == 1


def test_chunk_boundaries_depend_only_on_size_and_threads(threads):
    first = [parallel.chunk_bounds(n, 3000) for n in range(0, 300, 7)]
    second = [parallel.chunk_bounds(n, 3000) for n in range(0, 300, 7)]
    assert first == second


def test_small_work_runs_on_the_calling_thread(threads):
    callers = []
    parallel.parallel_for(1000, lambda start, stop: callers.append((threading.get_ident(), start, stop)))
    assert callers == [(threading.get_ident(), 0, 1000)]


def test_large_work_is_split_over_threads_when_there_are_several():
    previous = parallel.get_num_threads()
    parallel.set_num_threads(2)
    try:
        seen = []
        parallel.parallel_for(4, lambda start, stop: seen.append((start, stop)), item_cost=10**6)
        assert sorted(seen) == [(0, 2), (2, 4)]
    finally:
        parallel.set_num_threads(previous)


def test_reduction_combines_partials_in_chunk_order(threads):
    x = random_rows(1001, 4099, seed=1)

    def partial(start, stop):
        return x[start:stop].sum(axis=0, dtype=np.float32)

    bounds = parallel.chunk_bounds(len(x), x.shape[1])
    expected = partial(*bounds[0])
    for start, stop in bounds[1:]:
        expected = expected + partial(start, stop)
    for _ in range(3):
        total = parallel.parallel_reduce(len(x), partial, item_cost=x.shape[1])
        np.testing.assert_array_equal(total, expected)
    np.testing.assert_allclose(expected, x.sum(axis=0, dtype=np.float64), rtol=1e-4, atol=1e-3)


def test_reduction_at_one_thread_is_the_plain_call():
    previous = parallel.get_num_threads()
    parallel.set_num_threads(1)
    try:
        x = random_rows(513, 4099, seed=2)
        total = parallel.parallel_reduce(len(x), lambda start, stop: x[start:stop].sum(axis=0),
                                         item_cost=x.shape[1])
        np.testing.assert_array_equal(total, x.sum(axis=0))
    finally:
        parallel.set_num_threads(previous)


def test_reduction_with_custom_combine_keeps_order(threads):
    parts = parallel.parallel_reduce(9, lambda start, stop: [(start, stop)], item_cost=10**6,
                                     combine=lambda left, right: left + right)
    assert parts == parallel.chunk_bounds(9, 10**6)


def test_exception_in_a_worker_propagates_after_all_chunks(threads):
    done = []

    def work(start, stop):
        done.append(start)
        if start > 0 or threads == 1:
            raise ValueError(f"bad chunk {start}")

    with pytest.raises(ValueError, match="bad chunk"):
        parallel.parallel_for(6, work, item_cost=10**6)
    assert sorted(done) == [start for start, _ in parallel.chunk_bounds(6, 10**6)]
    # the pool still works afterwards
    out = np.zeros(6)
    parallel.parallel_for(6, lambda start, stop: out[start:stop].fill(1.0), item_cost=10**6)
    assert out.sum() == 6


def test_earliest_failing_chunk_is_raised(threads):
    def work(start, stop):
        raise KeyError(start)

    with pytest.raises(KeyError) as error:
        parallel.parallel_for(6, work, item_cost=10**6)
    assert error.value.args == (0,)


def test_nested_calls_do_not_deadlock_and_reduce_the_same(threads):
    x = random_rows(64, 4096, seed=3)
    out = np.empty(64, np.float32)

    def outer(start, stop):
        for row in range(start, stop):
            out[row] = parallel.parallel_reduce(x.shape[1], lambda a, b, row=row: x[row, a:b].sum(),
                                                item_cost=10**5)

    parallel.parallel_for(len(x), outer, item_cost=10**6)
    expected = [parallel.parallel_reduce(x.shape[1], lambda a, b, row=row: x[row, a:b].sum(), item_cost=10**5)
                for row in range(len(x))]
    np.testing.assert_array_equal(out, np.array(expected, np.float32))


def test_calls_from_several_user_threads_at_once(threads):
    x = random_rows(300, 2000, seed=4)
    results = {}

    def user(index):
        out = np.empty_like(x)
        for _ in range(20):
            parallel.parallel_for(len(x), lambda a, b, out=out: np.multiply(x[a:b], index, out=out[a:b]),
                                  item_cost=x.shape[1])
        results[index] = out

    users = [threading.Thread(target=user, args=(index,)) for index in range(4)]
    for thread in users:
        thread.start()
    for thread in users:
        thread.join(timeout=60)
    assert sorted(results) == [0, 1, 2, 3]
    for index, out in results.items():
        np.testing.assert_array_equal(out, x * np.float32(index))


def test_one_thread_starts_no_worker():
    previous = parallel.get_num_threads()
    parallel.set_num_threads(1)
    try:
        assert parallel._POOL.workers == []
        parallel.parallel_for(8, lambda start, stop: None, item_cost=10**6)
        assert parallel._POOL.workers == []
    finally:
        parallel.set_num_threads(previous)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_refuses_bad_counts(bad):
    with pytest.raises(ValueError, match="positive integer"):
        parallel.set_num_threads(bad)


@pytest.mark.parametrize("environment, expected", [
    ({"SCRATCHNET_NUM_THREADS": "3", "OMP_NUM_THREADS": "1"}, 3),
    ({"OMP_NUM_THREADS": "2"}, 2),
    ({"OMP_NUM_THREADS": "4,2"}, 4),
])
def test_default_thread_count_from_the_environment(monkeypatch, environment, expected):
    for name in ("SCRATCHNET_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert parallel.default_num_threads() == expected


def test_default_thread_count_is_the_usable_cores(monkeypatch):
    monkeypatch.delenv("SCRATCHNET_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert parallel.default_num_threads() == len(__import__("os").sched_getaffinity(0))


@pytest.mark.parametrize("value", ["zero", "0", "-2"])
def test_bad_thread_count_in_the_environment_is_named(monkeypatch, value):
    monkeypatch.setenv("SCRATCHNET_NUM_THREADS", value)
    with pytest.raises(ValueError, match="SCRATCHNET_NUM_THREADS"):
        parallel.default_num_threads()


def test_blas_is_kept_at_one_thread():
    pytest.importorskip("threadpoolctl")
    parallel.set_num_threads(parallel.get_num_threads())
    assert parallel.blas_threads() == 1


@pytest.mark.parametrize("m, k, n", [(0, 5, 3), (1, 1, 1), (7, 1000, 3), (128, 3136, 128), (513, 257, 129),
                                     (300, 64, 4000)])
def test_matmul_split_by_rows_equals_one_product(threads, m, k, n):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((n, k)).astype(np.float32).T  # a transposed view, as Linear passes
    result = parallel.matmul(a, b)
    assert result.shape == (m, n) and result.dtype == np.float32 and result.flags.c_contiguous
    np.testing.assert_array_equal(result, a @ b)
    np.testing.assert_allclose(result, a.astype(np.float64) @ b.astype(np.float64), rtol=1e-4, atol=1e-3)


def test_matmul_of_other_shapes_is_numpy_matmul():
    a, b = np.ones((2, 3, 4)), np.ones((4, 5))
    np.testing.assert_array_equal(parallel.matmul(a, b), np.matmul(a, b))
    np.testing.assert_array_equal(parallel.matmul(np.ones(4), np.ones(4)), 4.0)
    with pytest.raises(ValueError):
        parallel.matmul(np.ones((3, 4)), np.ones((5, 2)))
