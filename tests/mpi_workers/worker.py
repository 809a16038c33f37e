"""Checks run on every rank under ``mpirun`` by tests/test_distributed.py: ``worker.py NAME[:ARG] ...``.

Each scenario compares the distributed result with the single-process computation on the whole
global batch (every rank can compute that reference itself), raises on a mismatch (which aborts
the job with a non-zero status) and prints ``OK <scenario> rank <r>`` when it passes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import scratchnet as sn
import scratchnet.distributed as dist
from scratchnet import data, keras, nn, optim


def close(actual, expected, what: str, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape or not np.allclose(actual, expected, rtol=rtol, atol=atol):
        diff = np.max(np.abs(actual - expected)) if actual.shape == expected.shape else "shape"
        raise AssertionError(f"rank {dist.get_rank()}: {what} differs (max abs diff {diff})")


def collectives() -> None:
    rank, size = dist.get_rank(), dist.get_world_size()
    t = sn.tensor(np.arange(6.0).reshape(2, 3) + rank)
    dist.all_reduce(t)
    close(t.numpy(), size * np.arange(6.0).reshape(2, 3) + sum(range(size)), "all_reduce SUM")
    t = sn.tensor(np.array([rank, -rank], dtype=np.int64))
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    close(t.numpy(), [size - 1, 0], "all_reduce MAX")
    t = sn.tensor(np.full(3, float(rank)))
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    close(t.numpy(), np.full(3, (size - 1) / 2), "all_reduce AVG")
    column = sn.tensor(np.arange(8.0).reshape(4, 2) * (rank + 1))[:, 1]  # a strided view
    dist.all_reduce(column)
    close(column.numpy(), np.arange(8.0).reshape(4, 2)[:, 1] * sum(range(1, size + 1)), "strided all_reduce")
    t = sn.tensor(np.full((2, 2), float(rank), dtype=np.float32))
    dist.broadcast(t, src=size - 1)
    close(t.numpy(), np.full((2, 2), size - 1.0), "broadcast")
    gathered = [sn.zeros(3) for _ in range(size)]
    dist.all_gather(gathered, sn.tensor(np.full(3, rank, dtype=np.float32)))
    expected = np.repeat(np.arange(size), 3).reshape(size, 3)
    close(np.stack([g.numpy() for g in gathered]), expected, "all_gather")
    assert dist.broadcast_json({"rank": rank}, src=1) == {"rank": 1}
    assert dist.all_gather_json(["r"] * rank) == [["r"] * r for r in range(size)]
    dist.barrier()


def mlp(with_bn: bool) -> nn.Module:
    layers = [nn.Linear(5, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3)]
    return nn.Sequential(*(layers if with_bn else [layers[0], layers[2], layers[3]])).double()


def global_data(n: int = 10, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5)), rng.integers(0, 3, size=n)


def shards(n: int, epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """This rank's indices and the global batch (all ranks' indices, rank order) of an epoch,
    from DistributedSampler (padded to equal shards when n is not a multiple of the ranks)."""
    size, rank = dist.get_world_size(), dist.get_rank()
    samplers = [data.DistributedSampler(range(n), num_replicas=size, rank=r, seed=3) for r in range(size)]
    for sampler in samplers:
        sampler.set_epoch(epoch)
    everyone = [s.indices() for s in samplers]
    mine = data.DistributedSampler(range(n), seed=3)  # the default group's size and rank
    mine.set_epoch(epoch)
    assert np.array_equal(mine.indices(), everyone[rank])
    return everyone[rank], np.concatenate(everyone)


def ddp_gradients() -> None:
    x, y = global_data()
    loss_fn = nn.CrossEntropyLoss()
    sn.manual_seed(dist.get_rank())  # different initial weights: DDP must copy rank 0's
    model = mlp(False)
    ddp = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=100 / 2**20)  # 100-byte buckets
    assert len(ddp.buckets.buckets) > 2
    assert list(ddp.state_dict()) == [f"module.{k}" for k in model.state_dict()]
    sn.manual_seed(0)
    reference = mlp(False)
    for name, p in reference.named_parameters():
        close(p.numpy(), dict(model.named_parameters())[name].numpy(), f"rank 0's initial {name}")
    mine, everyone = shards(len(x), 0)
    loss_fn(ddp(sn.tensor(x[mine])), sn.tensor(y[mine])).backward()
    loss_fn(reference(sn.tensor(x[everyone])), sn.tensor(y[everyone])).backward()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        close(p.grad.numpy(), q.grad.numpy(), f"DDP gradient of {name}")
    # no_sync: two local micro-batches accumulate, the backward after it averages their sum
    model.zero_grad()
    reference.zero_grad()
    half = len(mine) // 2
    with ddp.no_sync():
        loss_fn(ddp(sn.tensor(x[mine[:half]])), sn.tensor(y[mine[:half]])).backward()
    unsynced = [p.grad.numpy().copy() for p in model.parameters()]
    loss_fn(ddp(sn.tensor(x[mine[half:]])), sn.tensor(y[mine[half:]])).backward()
    first = np.concatenate([m[:half] for m in np.split(everyone, dist.get_world_size())])
    second = np.concatenate([m[half:] for m in np.split(everyone, dist.get_world_size())])
    for part in (first, second):
        loss_fn(reference(sn.tensor(x[part])), sn.tensor(y[part])).backward()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        close(p.grad.numpy(), q.grad.numpy(), f"no_sync accumulated gradient of {name}")
    local = dist.all_gather_json(unsynced[0].ravel().tolist())  # inside no_sync: each rank's own
    assert all(other != local[0] for other in local[1:]), "no_sync averaged the gradients"


def ddp_training(variant: str) -> None:
    """k steps of data-parallel training == k steps of one process on the same global batches."""
    with_bn = variant == "syncbn"
    x, y = global_data(23)
    loss_fn = nn.CrossEntropyLoss()
    sn.manual_seed(0)
    model = mlp(with_bn)
    if with_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        assert isinstance(model[1], nn.SyncBatchNorm)
    sn.manual_seed(0)
    reference = mlp(with_bn)
    ddp = nn.parallel.DistributedDataParallel(model)
    pairs = [(optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9), optim.SGD(reference.parameters(), lr=0.1,
                                                                             momentum=0.9))]
    pairs.append((optim.Adam(ddp.parameters(), lr=0.01), optim.Adam(reference.parameters(), lr=0.01)))
    for epoch in range(4):
        mine, everyone = shards(len(x), epoch)
        for ours, theirs in pairs:
            ours.zero_grad()
            loss_fn(ddp(sn.tensor(x[mine])), sn.tensor(y[mine])).backward()
            ours.step()
            theirs.zero_grad()
            loss_fn(reference(sn.tensor(x[everyone])), sn.tensor(y[everyone])).backward()
            theirs.step()
    for (name, p), q in zip(model.state_dict().items(), reference.state_dict().values()):
        close(p.numpy(), q.numpy(), f"{variant}: {name} after 8 steps", rtol=1e-9)
    model.eval()
    reference.eval()
    close(model(sn.tensor(x)).numpy(), reference(sn.tensor(x)).numpy(), f"{variant}: eval outputs",
          rtol=1e-9, atol=1e-10)


def mismatch() -> None:
    width = 4 + (dist.get_rank() == dist.get_world_size() - 1)
    model = nn.Sequential(nn.Linear(3, width), nn.ReLU(), nn.Linear(width, 2))
    try:
        nn.parallel.DistributedDataParallel(model)
    except nn.parallel.ModelMismatchError as error:
        message = str(error)
        assert "parameter '0.weight' has shape (4, 3)" in message, message
        assert f"(5, 3) (float32) on rank {dist.get_world_size() - 1}" in message, message
    else:
        raise AssertionError("DDP accepted models of different shapes")


def raises() -> None:
    t = sn.ones(1000)
    if dist.get_rank() == dist.get_world_size() - 1:
        raise ValueError(f"bad batch on rank {dist.get_rank()}")
    dist.all_reduce(t)  # the other ranks wait here for the rank that died
    raise AssertionError("all_reduce returned although a rank had died")


def keras_model() -> keras.Model:
    sn.manual_seed(0)
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(5,)),
                              keras.layers.Dense(3, activation="softmax")]).double()
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def keras_fit() -> None:
    """fit under DataParallel == fit in one process (batch 7 over the ranks: uneven shards); the
    CSVLogger of rank r is given ./history-r.csv, which rank 0 alone must write."""
    x, y = global_data(40)
    rank = dist.get_rank()
    options = {"batch_size": 7, "epochs": 3, "validation_split": 0.25, "verbose": 0}
    keras.distribution.set_distribution(None)
    alone = keras_model()
    expected = alone.fit(x, y, **options).history
    expected_eval = alone.evaluate(x, y, batch_size=9, verbose=0)
    keras.distribution.set_distribution(keras.distribution.DataParallel())
    assert keras.distribution.list_devices() == [f"cpu:{r}" for r in range(dist.get_world_size())]
    parallel = keras_model()
    log = Path(f"history-{rank}.csv")
    history = parallel.fit(x, y, callbacks=[keras.callbacks.CSVLogger(log)], **options).history
    for a, b in zip(parallel.weights, alone.weights):
        close(a.numpy(), b.numpy(), "keras weights after fit", rtol=1e-9)
    assert history.keys() == expected.keys()
    for key in expected:
        close(history[key], expected[key], f"History[{key!r}]", rtol=1e-9)
    close(parallel.evaluate(x, y, batch_size=9, verbose=0), expected_eval, "evaluate", rtol=1e-9)
    assert log.exists() == (rank == 0), f"rank {rank}: CSVLogger wrote {log}: {log.exists()}"
    everyone = dist.all_gather_json(history)
    assert all(h == everyone[0] for h in everyone), "History differs between ranks"
    keras_batch_norm(x, y)


def keras_batch_norm(x: np.ndarray, y: np.ndarray) -> None:
    """With BatchNormalization each rank normalises its share, and the moving statistics are
    averaged after every step: every rank ends with the same weights and statistics."""
    sn.manual_seed(0)
    model = keras.Sequential([keras.layers.Dense(8, input_shape=(5,)), keras.layers.BatchNormalization(),
                              keras.layers.Dense(3, activation="softmax")]).double()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=10, epochs=2, verbose=0)
    bn = model.layers[1].bn
    assert bn.num_batches_tracked.item() == 8
    assert not np.allclose(bn.running_mean.numpy(), 0)
    weights = [w.numpy().ravel().tolist() for w in model.weights]
    everyone = dist.all_gather_json(weights)
    assert all(w == everyone[0] for w in everyone), "ranks ended with different weights or statistics"


SCENARIOS = {"collectives": collectives, "ddp_gradients": ddp_gradients, "ddp_training": ddp_training,
             "mismatch": mismatch, "raises": raises, "keras_fit": keras_fit}


def main() -> None:
    """Run each ``NAME[:ARG]`` scenario of the command line in turn on this rank."""
    dist.init_process_group(backend="mpi")
    for scenario in sys.argv[1:]:
        name, *args = scenario.split(":", 1)
        SCENARIOS[name](*args)
        print(f"OK {scenario} rank {dist.get_rank()}", flush=True)


if __name__ == "__main__":
    main()
