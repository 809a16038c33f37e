"""Data-parallel training over MPI: the checks of tests/mpi_workers/worker.py run under
``mpirun -n 2`` and ``-n 3`` (uneven shards), over Open MPI's TCP transport as between machines;
DistributedSampler against PyTorch's; the behaviour outside mpirun."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
import scratchnet.distributed as dist
from scratchnet import data, nn

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).resolve().parent / "mpi_workers" / "worker.py"

needs_mpi = pytest.mark.skipif(
    shutil.which("mpirun") is None or not dist.is_mpi_available(),
    reason="needs Open MPI's mpirun and mpi4py "
           "(pip install '.[mpi]'; apt-get install openmpi-bin libopenmpi-dev)")


def mpirun(ranks: int, *command: str, timeout: float = 120, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``command`` on ``ranks`` processes (as root in CI, more ranks than cores, TCP transport,
    one BLAS thread per rank) in the folder ``cwd``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMPI_ALLOW_RUN_AS_ROOT": "1",
           "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    launcher = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
                "--mca", "btl", "tcp,self", "-n", str(ranks)]
    return subprocess.run([*launcher, *command], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=cwd)


SCENARIOS = ("collectives", "ddp_gradients", "ddp_training:plain", "ddp_training:syncbn", "mismatch",
             "keras_fit")
_runs: dict[int, subprocess.CompletedProcess] = {}


def scenario_ran(ranks: int, scenario: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Assert that ``scenario`` passed on every rank of the one ``mpirun -n ranks`` that runs all
    the worker's scenarios in turn (one launch per rank count keeps the suite fast)."""
    if ranks not in _runs:
        folder = tmp_path_factory.mktemp(f"mpi{ranks}")  # where keras_fit's CSVLogger writes
        _runs[ranks] = mpirun(ranks, sys.executable, str(WORKER), *SCENARIOS, cwd=folder)
    result = _runs[ranks]
    for rank in range(ranks):
        assert f"OK {scenario} rank {rank}" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_collectives(ranks, tmp_path_factory):
    """all_reduce (SUM, MAX, AVG, a strided view), broadcast, all_gather, JSON values."""
    scenario_ran(ranks, "collectives", tmp_path_factory)


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_ddp_gradients_equal_the_global_batch_gradients(ranks, tmp_path_factory):
    """float64, rtol 1e-10, 100-byte buckets; rank 0's weights copied; module. keys; no_sync."""
    scenario_ran(ranks, "ddp_gradients", tmp_path_factory)


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
@pytest.mark.parametrize("variant", ["plain", "syncbn"])
def test_ddp_steps_equal_single_process_steps(ranks, variant, tmp_path_factory):
    """8 SGD-momentum and Adam steps on DistributedSampler's (padded) shards == one process on the
    global batches; with SyncBatchNorm the running statistics too."""
    scenario_ran(ranks, f"ddp_training:{variant}", tmp_path_factory)


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_mismatched_models_are_named_at_construction(ranks, tmp_path_factory):
    scenario_ran(ranks, "mismatch", tmp_path_factory)


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_keras_fit_under_data_parallel_equals_one_process(ranks, tmp_path_factory):
    """Weights, History, evaluate (float64; batch 7: uneven shards); CSVLogger on rank 0 only."""
    scenario_ran(ranks, "keras_fit", tmp_path_factory)


@needs_mpi
def test_a_raising_rank_ends_the_job_with_its_error():
    """The other ranks, waiting in a collective, are ended too: a hang would exceed the timeout
    (subprocess.TimeoutExpired fails the test); no assertion on how long it takes."""
    result = mpirun(3, sys.executable, str(WORKER), "raises", timeout=120)
    assert result.returncode != 0
    assert "ValueError: bad batch on rank 2" in result.stderr, result.stdout + result.stderr


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 64, 101])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("drop_last", [True, False])
def test_distributed_sampler_equals_torch(n, replicas, shuffle, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for seed in (0, 5, 2**32 + 1):
        for epoch in (0, 2):
            for rank in range(replicas):
                theirs = torch_data.DistributedSampler(range(n), num_replicas=replicas, rank=rank,
                                                       shuffle=shuffle, seed=seed, drop_last=drop_last)
                ours = data.DistributedSampler(range(n), num_replicas=replicas, rank=rank,
                                               shuffle=shuffle, seed=seed, drop_last=drop_last)
                theirs.set_epoch(epoch)
                ours.set_epoch(epoch)
                assert list(ours) == list(theirs)
                assert len(ours) == len(theirs)


def test_distributed_sampler_bad_rank():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        data.DistributedSampler(range(4), num_replicas=2, rank=2)


def test_outside_mpirun_the_world_has_one_process():
    """As PyTorch's MPI backend: without mpirun, init_process_group gives a world of one."""
    code = ("import scratchnet.distributed as d\n"
            "try:\n    d.get_rank()\nexcept d.DistributedError as e:\n    print('before:', e)\n"
            "d.init_process_group('mpi')\nprint('world', d.get_world_size(), d.get_rank())\n"
            "from scratchnet import nn\nm = nn.parallel.DistributedDataParallel(nn.Linear(2, 1))\n"
            "m(__import__('scratchnet').ones(3, 2)).sum().backward()\n"
            "print('grad', m.module.weight.grad.shape)")
    if not dist.is_mpi_available():
        pytest.skip("mpi4py is not installed (pip install '.[mpi]')")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_", "PMI"))}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**env, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert "before: Default process group has not been initialized" in result.stdout
    assert "world 1 0" in result.stdout and "grad (1, 2)" in result.stdout


def test_without_mpi4py_init_names_the_extra():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import scratchnet.distributed as d\n"
            "try:\n    d.init_process_group('mpi')\nexcept d.DistributedError as e:\n    print(e)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "pip install 'scratchnet[mpi]'" in result.stdout, result.stdout + result.stderr


def test_unknown_backend_and_collectives_before_init():
    with pytest.raises(dist.DistributedError, match="backend 'nccl' is not available"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="has not been initialized"):  # PyTorch's error type
        dist.all_reduce(sn.ones(2))
    with pytest.raises(dist.DistributedError, match="has not been initialized"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))


def test_sync_batchnorm_alone_is_batchnorm_and_converts_in_place():
    """In a world of one (no process group) SyncBatchNorm is BatchNorm; conversion keeps the
    parameters and buffers (the same tensors) and the mode."""
    sn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU())
    model[1].weight.array[...] = [0.5, 2.0, 1.5]
    reference = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU())
    reference.load_state_dict(model.state_dict())
    weight = model[1].weight
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted[1], nn.SyncBatchNorm) and converted[1].weight is weight
    x = sn.tensor(np.random.default_rng(0).normal(size=(4, 2, 6, 6)).astype(np.float32))
    np.testing.assert_allclose(converted(x).numpy(), reference(x).numpy(), rtol=1e-6)
    np.testing.assert_allclose(converted[1].running_var.numpy(), reference[1].running_var.numpy(), rtol=1e-6)


FASHION = Path("/usr/share/datasets/fashion-mnist")


@needs_mpi
@pytest.mark.skipif(not FASHION.is_dir(),
                    reason="needs Fashion-MNIST (apt-get install dataset-fashion-mnist)")
def test_cli_two_ranks_write_one_run_folder_and_match_one_process(tmp_path, capsys):
    """``mpirun -n 2 python -m scratchnet train``: rank 0 alone prints and writes the run folder,
    whose run.json agrees with its model and history; the seed CNN's test accuracy is within one
    point of one process trained with the same global batch (32) and epochs (a 6,000-image subset,
    1 epoch, to stay fast; the full comparison is in the README)."""
    from scratchnet import cli, keras

    options = ["train", "--model", "cnn", "--epochs", "1", "--limit", "6000"]
    assert cli.main([*options, "--out", str(tmp_path / "one")]) == 0
    result = mpirun(2, sys.executable, "-m", "scratchnet", *options, "--out", "two", cwd=tmp_path,
                    timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("run folder:") == 1 and result.stdout.count("training cnn") == 1
    out = tmp_path / "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]
    assert {p.name for p in out.iterdir()} >= {"history.csv", "model.safetensors", "run.json"}
    run, alone = (json.loads((tmp_path / name / "run.json").read_text()) for name in ("two", "one"))
    model = keras.load_model(out / "model.safetensors")
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    (_, _), (x_test, y_test) = sn.datasets.load_fashion_mnist()
    images = x_test[..., None].astype(np.float32) / 255
    _, accuracy = model.evaluate(images, y_test.astype(np.int64), batch_size=1000, verbose=0)
    assert accuracy == pytest.approx(run["test_accuracy"], abs=1e-9)
    assert len((out / "history.csv").read_text().strip().splitlines()) == 2  # header + 1 epoch
    assert abs(run["test_accuracy"] - alone["test_accuracy"]) <= 0.01, (run, alone)
