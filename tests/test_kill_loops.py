"""SIGKILL at random moments (at least 20 kills each) during ``sn.save``, Keras ``model.save`` and
``scratchnet train``: every file loads, the run folder always evaluates, ``--resume`` always
continues to the uninterrupted result bitwise, and no temporary file survives the next save
(issue 17, acceptance).

The writers are child processes forked from the test (scratchnet already imported, so that the
kills land in the writing rather than in the imports) and killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import scratchnet as sn
from scratchnet import cli, keras
from scratchnet.serialization import load, save

KILLS = 20


def kill_after(delay: float, work: Callable[[Callable[[], None]], object],
               after_a_save: bool = False) -> bool:
    """Run ``work(saved)`` in a forked child (``work`` calls ``saved()`` after each save) and
    SIGKILL it ``delay`` seconds after it starts, or after its first save when ``after_a_save``;
    whether it was killed (rather than finished)."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(reader)
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), \
                    contextlib.redirect_stderr(sink):
                code = work(lambda: os.write(writer, b".")) or 0
        finally:
            os._exit(code)
    os.close(writer)
    try:
        if after_a_save:
            os.read(reader, 1)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished:
                assert os.waitstatus_to_exitcode(status) == 0
                return False
            time.sleep(min(0.005, max(0.0, deadline - time.monotonic())))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return True
    finally:
        os.close(reader)


def temporaries(folder: Path) -> list[str]:
    return [path.name for path in folder.iterdir() if path.name.endswith(".tmp")]


def overwrite_forever(path: Path, saved: Callable[[], None]) -> None:
    step = load(path)["step"]
    while True:
        step += 1
        weights = np.full((300, 300), step, np.float64)
        save({"step": step, "weights": weights, "history": list(range(step))}, path)
        saved()


def test_sn_save_survives_20_kills_and_the_next_save_cleans_up(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save({"step": 0, "weights": np.zeros((300, 300)), "history": []}, path)
    chooser, last = random.Random(17), 0
    for _ in range(KILLS):
        assert kill_after(chooser.uniform(0, 0.05), lambda saved: overwrite_forever(path, saved),
                          after_a_save=chooser.random() < 0.5)
        loaded = load(path)  # old or new, never broken
        assert loaded["step"] >= last and np.all(loaded["weights"] == loaded["step"])
        assert loaded["history"] == list(range(loaded["step"]))
        last = loaded["step"]
    assert last > 0
    save({"step": -1}, path)
    assert temporaries(tmp_path) == []


def train_and_save_forever(path: Path, saved: Callable[[], None]) -> None:
    model = keras.models.load_model(path)
    x = np.linspace(-1, 1, 256, dtype=np.float32).reshape(64, 4)
    y = (x.sum(axis=1) > 0).astype(np.int64)
    while True:
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
        model.save(path)
        saved()


def test_keras_model_save_survives_20_kills(tmp_path):
    path = tmp_path / "model.safetensors"
    sn.manual_seed(0)
    model = keras.Sequential([keras.layers.Dense(256, activation="relu", input_shape=(4,)),
                              keras.layers.Dense(256, activation="relu"), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(np.zeros((64, 4), np.float32), np.zeros(64, np.int64), batch_size=16, verbose=0)
    model.save(path)
    chooser, last = random.Random(5), 0
    for _ in range(KILLS):
        assert kill_after(chooser.uniform(0, 0.1), lambda saved: train_and_save_forever(path, saved),
                          after_a_save=chooser.random() < 0.5)
        loaded = keras.models.load_model(path)  # old or new, never broken, compiled with its state
        assert loaded.optimizer.iterations >= last
        last = loaded.optimizer.iterations
    assert last > 4
    loaded.save(path)
    assert temporaries(tmp_path) == []


TRAIN = ["--model", "mlp", "--dataset", "xor", "--epochs", "30"]


def weights_and_history(folder: Path) -> tuple[dict[str, bytes], str]:
    model = keras.models.load_model(folder / "model.safetensors", compile=False)
    return ({key: value.numpy().tobytes() for key, value in model.state_dict().items()},
            (folder / "history.csv").read_text())


def train_or_resume(folder: Path) -> list[str]:
    resume = (folder / "run.json").is_file()
    return ["train", "--resume", str(folder)] if resume else ["train", *TRAIN, "--out", str(folder)]


def test_scratchnet_train_survives_20_kills_and_resumes_bitwise(tmp_path, capsys):
    reference = tmp_path / "reference"
    assert cli.main(["train", *TRAIN, "--out", str(reference)]) == 0
    expected = weights_and_history(reference)
    folder, chooser, kills, resumes = tmp_path / "run", random.Random(3), 0, 0
    while kills < KILLS:
        argv = train_or_resume(folder)
        resumes += "--resume" in argv
        killed = kill_after(chooser.uniform(0, 1.5), lambda saved, argv=argv: cli.main(argv))
        kills += killed
        if (folder / "run.json").is_file():
            assert cli.main(["evaluate", str(folder)]) == 0  # the folder always evaluates
        if not killed:  # it finished: the uninterrupted result, then start again
            assert weights_and_history(folder) == expected
            for path in folder.iterdir():
                path.unlink()
    assert cli.main(train_or_resume(folder)) == 0
    assert weights_and_history(folder) == expected
    assert temporaries(folder) == []
    assert resumes >= 5, resumes  # kills interrupted runs that had a checkpoint
    capsys.readouterr()
