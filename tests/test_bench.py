"""The training benchmark's plumbing (benchmarks/training.py, benchmarks/suite.py): options,
warm-up and step timing, the tables' shapes. No timed asserts: only what was measured, not how fast."""

import importlib
import sys
from pathlib import Path

import pytest

import scratchnet as sn

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def training():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("training")
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def suite(training):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("suite")
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture
def keep_threads():
    previous = sn.get_num_threads()
    yield
    sn.set_num_threads(previous)


def test_thread_counts_parse(training, suite):
    assert training.thread_counts("1,2,4") == [1, 2, 4]
    assert suite.scaling_counts("none") == []
    for bad in ("0", "1,,2", "two", "-1"):
        with pytest.raises(Exception, match="thread counts"):
            training.thread_counts(bad)


def test_default_thread_counts_reach_the_cores(suite, training):
    counts = suite.default_thread_counts()
    assert counts[0] == 1 and counts[-1] == training.default_threads() and counts == sorted(set(counts))


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "--steps"), (["--scaling", "0"], "--scaling"),
    (["--threads", "-2"], "--threads"), (["--warmup", "x"], "--warmup")])
def test_bad_options_are_one_line_errors(suite, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        suite.main(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


def test_warmup_steps_run_untimed_then_each_step_is_timed(training):
    seen = []
    timed = training.timed_training(seen.append, 1000, "mlp", seed=0, epochs=1, steps=4, warmup=3)
    assert len(seen) == 7 and len(timed["step_times"]) == 4 and len(timed["epoch_times"]) == 1
    assert [len(batch) for batch in seen] == [training.WORKLOADS["mlp"][2]] * 7
    full = training.timed_training(seen.append, 100, "mlp", seed=0, epochs=2, steps=None, warmup=3)
    assert full["step_times"] == [] and len(full["epoch_times"]) == 2


def test_scratchnet_worker_times_steps_on_its_threads(training, tmp_path, keep_threads):
    weights = training.write_initial_weights("mlp", 0, str(tmp_path))
    result = training.run_scratchnet("mlp", weights, seed=0, epochs=1, steps=3, threads=1, warmup=2)
    assert sn.get_num_threads() == 1
    assert len(result["step_times"]) == 3 and result["peak_mb"] > 0 and 0 <= result["accuracy"] <= 1


def test_torch_worker_times_steps_on_its_threads(training, tmp_path):
    torch = pytest.importorskip("torch")
    previous = torch.get_num_threads()
    weights = training.write_initial_weights("mlp", 0, str(tmp_path))
    try:
        result = training.run_torch("mlp", weights, seed=0, epochs=1, steps=3, threads=1, warmup=2)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(previous)
    assert len(result["step_times"]) == 3 and 0 <= result["accuracy"] <= 1


def fake_run(step_ms):
    return {"epoch_times": [1.0], "step_times": [step_ms / 1000] * 3, "peak_mb": 100.0, "accuracy": 0.5}


def test_tables_have_a_row_per_workload_count_and_framework(training, monkeypatch, capsys):
    calls = []

    def run_workers(commands, threads):
        calls.append((len(commands), threads, [command[3] for command in commands]))
        return [fake_run(2.0 if command[3] == "scratchnet" else 4.0) for command in commands]

    monkeypatch.setattr(training, "run_workers", run_workers)
    monkeypatch.setattr(training, "frameworks", lambda: ["scratchnet", "torch"])
    monkeypatch.setattr(training, "torch_available", lambda: True)
    results = training.main(["--workloads", "mlp,cnn", "--steps", "3", "--warmup", "1", "--repeats", "2",
                             "--threads", "2", "--scaling", "1,2", "--contended"])
    output = capsys.readouterr().out
    assert "ms/step, median of 3 steps after 1 warm-up" in output
    assert results["mlp"]["ratio"] == pytest.approx(0.5)
    assert results["cnn"]["scratchnet"]["step_time"] == 0.002
    assert set(results["scaling"]) == {"mlp", "cnn"} and set(results["scaling"]["mlp"]) == {1, 2}
    assert results["contended"]["cnn"]["torch"]["slowdown"] == pytest.approx(1.0)
    assert len(results["contended"]["mlp"]["scratchnet"]["side_by_side"]) == 2
    # training: 2 workloads x 2 seeds x 2 frameworks; scaling: 2 x 2 counts x 2; contended: 2 x 2 x (1 + 1)
    assert sum(1 for count, _, _ in calls if count == 2) == 4
    assert len(calls) == 8 + 8 + 8
    assert {threads for count, threads, _ in calls if count == 2} == {2}
    assert {threads for _, threads, _ in calls[8:16]} == {1, 2}
    rows = [line.split()[0] for line in output.splitlines() if line.startswith(("mlp ", "cnn "))]
    assert rows == ["mlp", "cnn"] + ["mlp", "mlp", "cnn", "cnn"] * 2  # training, scaling, contention


def test_worker_command_carries_threads_steps_and_warmup(training):
    options = training.main.__globals__["argparse"].Namespace(epochs=1, steps=7, warmup=2)
    command = training.worker_command("torch", "cnn", "w.safetensors", 3, options, threads=4)
    assert command[command.index("--threads") + 1] == "4" and command[command.index("--steps") + 1] == "7"
    assert command[command.index("--warmup") + 1] == "2" and command[command.index("--seed") + 1] == "3"
    assert training.benchmark_environment(4)["OMP_NUM_THREADS"] == "4"
