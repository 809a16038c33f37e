"""The kernels split over scratchnet's threads give their one-thread results.

Elementwise work (the ReLU family, dropout, pooling, batch norm with given statistics, softmax and
cross-entropy's row passes) has the same bits at any thread count. Sums and products (convolution,
batch-norm statistics, weight gradients) are bitwise reproducible at a given thread count and
within float32 rounding (rtol 1e-5 of the largest value) of one thread. The chunk threshold is
lowered so that these small, odd-sized inputs split at every boundary (one item per chunk), at a
few items per chunk, and not at all; a last test splits at the real threshold.
"""

import numpy as np
import pytest

import scratchnet as sn
import scratchnet.functional as F
from scratchnet import parallel
from scratchnet.layout import against_zeros

LAYOUTS = {"channels_first": (0, 1, 2, 3), "planes": (1, 0, 2, 3), "channels_last": (0, 2, 3, 1)}
"""Memory order of an (N, C, H, W) array, outermost axis first."""

THRESHOLDS = [1, 300, 10**12]
"""Elements of work per chunk: split everywhere, into a few chunks, not at all."""


def stored_as(x, order):
    return np.ascontiguousarray(x.transpose(order)).transpose(np.argsort(order))


def random(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def images(layout, shape=(5, 6, 9, 7), dtype=np.float32):
    """Halves (many ties in max-pool windows) stored in ``layout``."""
    return stored_as(np.round(random(*shape, dtype=dtype) * 2) / 2, LAYOUTS[layout])


def outputs_and_gradients(function, *arrays, seed=None):
    """The output of ``function`` on Tensors of ``arrays`` and the gradients of Σ output·r for a
    fixed random r (the generator seeded first when ``seed`` is given, for dropout)."""
    if seed is not None:
        sn.manual_seed(seed)
    tensors = [sn.tensor(a, requires_grad=True) for a in arrays]
    y = function(*tensors)
    (y * sn.tensor(random(*y.shape, seed=99, dtype=y.dtype))).sum().backward()
    return [y.array] + [t.grad.array for t in tensors]


@pytest.fixture
def threads(monkeypatch):
    """``use(n, min_chunk_cost)``: run at ``n`` threads with that chunk threshold, counting the
    calls that really split (restored afterwards)."""
    previous = sn.get_num_threads()
    splits = []
    run = parallel._run

    def counting_run(work, bounds):
        splits.append(len(bounds))
        return run(work, bounds)

    monkeypatch.setattr(parallel, "_run", counting_run)

    def use(n, min_chunk_cost):
        monkeypatch.setattr(parallel, "MIN_CHUNK_COST", min_chunk_cost)
        sn.set_num_threads(n)
        return splits

    yield use
    sn.set_num_threads(previous)


ELEMENTWISE = {  # name: (function, arrays)
    "relu": (F.relu, lambda layout: [images(layout)]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda layout: [images(layout)]),
    "elu": (F.elu, lambda layout: [images(layout)]),
    "max_pool2d tiles": (lambda x: F.max_pool2d(x, 2), lambda layout: [images(layout)]),
    "max_pool2d overlapping": (lambda x: F.max_pool2d(x, 3, 2, 1), lambda layout: [images(layout)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2), lambda layout: [images(layout)]),
    "avg_pool2d padded": (lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
                          lambda layout: [images(layout)]),
    "batch_norm eval": (lambda x: F.batch_norm(x, np.linspace(-1, 1, 6), np.linspace(0.5, 2, 6),
                                               random(6, seed=1), random(6, seed=2)),
                        lambda layout: [images(layout)]),
    "dropout": (lambda x: F.dropout(x, 0.3), lambda layout: [images(layout)]),
    "dropout2d": (lambda x: F.dropout2d(x, 0.3), lambda layout: [images(layout)]),
    "dropout rows": (lambda x: F.dropout(x, 0.3), lambda layout: [random(37, 29)]),
    "relu rows": (F.relu, lambda layout: [random(37, 29)]),
    "softmax": (lambda x: F.softmax(x, 1), lambda layout: [random(37, 13)]),
    "log_softmax": (lambda x: F.log_softmax(x, -1), lambda layout: [random(37, 13, dtype=np.float64)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, np.arange(37) % 13, label_smoothing=0.1),
                      lambda layout: [random(37, 13)]),
    "cross_entropy none": (lambda x: F.cross_entropy(x, np.arange(37) % 13, reduction="none"),
                           lambda layout: [random(37, 13)]),
    "cross_entropy probabilities": (F.cross_entropy,
                                    lambda layout: [random(37, 13), np.abs(random(37, 13, seed=3))]),
}

REDUCTIONS = {  # name: (function, arrays)
    "conv2d same": (lambda x, w, b: F.conv2d(x, w, b, padding=1),
                    lambda layout: [images(layout), random(4, 6, 3, 3, seed=1), random(4, seed=2)]),
    "conv2d strided dilated": (lambda x, w: F.conv2d(x, w, None, 2, 1, 2),
                               lambda layout: [images(layout), random(4, 6, 3, 2, seed=1)]),
    "conv2d grouped asymmetric": (lambda x, w, b: F.conv2d(x, w, b, 1, ((0, 2), (1, 0)), 1, 3),
                                  lambda layout: [images(layout), random(6, 2, 3, 3, seed=1),
                                                  random(6, seed=2)]),
    "conv_transpose2d": (lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1),
                         lambda layout: [images(layout), random(6, 3, 3, 3, seed=1), random(3, seed=2)]),
    "batch_norm": (lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True),
                   lambda layout: [images(layout), random(6, seed=1), random(6, seed=2)]),
    "batch_norm 1d": (lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True),
                      lambda layout: [random(37, 6), random(6, seed=1), random(6, seed=2)]),
    "batch_norm channels last 1d": (lambda x: F.batch_norm(x, None, None, training=True),
                                    lambda layout: [random(7, 11, 6).transpose(0, 2, 1)]),
}


def assert_split(splits, calls_before, min_chunk_cost):
    """The work was split when chunks of one item are allowed, and not when none is worth it."""
    if min_chunk_cost in (THRESHOLDS[0], THRESHOLDS[-1]):
        assert (len(splits) > calls_before) == (min_chunk_cost == THRESHOLDS[0])


def run_at(threads, n, min_chunk_cost, function, arrays, seed=5):
    threads(n, min_chunk_cost)
    return outputs_and_gradients(function, *arrays, seed=seed)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_kernels_bitwise_equal_to_one_thread(threads, name, layout):
    function, make = ELEMENTWISE[name]
    arrays = make(layout)
    expected = run_at(threads, 1, 1, function, arrays)
    for n in (2, 3):
        for min_chunk_cost in THRESHOLDS:
            splits = threads(n, min_chunk_cost)
            calls = len(splits)
            for ours, one_thread in zip(outputs_and_gradients(function, *arrays, seed=5), expected):
                np.testing.assert_array_equal(ours, one_thread, err_msg=f"{n} threads, {min_chunk_cost}")
            assert_split(splits, calls, min_chunk_cost)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_sums_reproducible_and_close_to_one_thread(threads, name, layout):
    function, make = REDUCTIONS[name]
    arrays = make(layout)
    expected = run_at(threads, 1, 1, function, arrays)
    for n in (2, 3):
        for min_chunk_cost in THRESHOLDS:
            splits = threads(n, min_chunk_cost)
            calls = len(splits)
            first = outputs_and_gradients(function, *arrays)
            again = outputs_and_gradients(function, *arrays)
            assert_split(splits, calls, min_chunk_cost)
            for ours, repeat, one_thread in zip(first, again, expected):
                np.testing.assert_array_equal(ours, repeat)  # a given thread count: the same bits
                scale = np.abs(one_thread).max()
                np.testing.assert_allclose(ours, one_thread, rtol=1e-5, atol=1e-5 * scale)
                if min_chunk_cost == THRESHOLDS[-1]:  # nothing split: exactly one thread's result
                    np.testing.assert_array_equal(ours, one_thread)


def test_float64_sums_split_match_torch(threads):
    """Split at every image, the convolution and batch norm still equal PyTorch in float64."""
    torch = pytest.importorskip("torch")
    x, w = images("planes", dtype=np.float64), random(4, 6, 3, 3, seed=1, dtype=np.float64)
    b = random(4, seed=2, dtype=np.float64)
    threads(3, 1)
    ours = outputs_and_gradients(lambda x, w, b: F.batch_norm(F.conv2d(x, w, b, padding=1), None, None,
                                                             training=True), x, w, b)
    tensors = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    conv = torch.nn.functional.conv2d(*tensors, padding=1)
    y = torch.nn.functional.batch_norm(conv, None, None, training=True)
    (y * torch.tensor(random(*y.shape, seed=99, dtype=np.float64))).sum().backward()
    for mine, theirs in zip(ours, [y] + [t.grad for t in tensors]):
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("rows, columns", [(2, 65535), (2, 65536), (3, 65537), (5, 26215)])
def test_relu_around_the_real_threshold(threads, rows, columns):
    """At the real chunk threshold (just under, at and over two chunks' worth): the same bits."""
    x = random(rows, columns)
    threads(2, parallel.MIN_CHUNK_COST)
    np.testing.assert_array_equal(against_zeros(np.maximum, x), np.maximum(x, 0))
