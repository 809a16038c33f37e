"""The command line never shows a traceback for a user's mistake or a bad file: exit status 2 and
one line on stderr naming the problem, for every subcommand (issue 17, item 6)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import cli, nn
from scratchnet.serialization import save
from tests.test_hostile_files import HOSTILE
from tests.test_serialization_safety import write_signed

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A finished xor run folder."""
    folder = tmp_path_factory.mktemp("cli") / "run"
    argv = ["train", "--model", "mlp", "--dataset", "xor", "--epochs", "3", "--out", str(folder)]
    assert cli.main(argv) == 0
    return folder


def edit_run(folder: Path, **changes: object) -> None:
    run = json.loads((folder / "run.json").read_text())
    run.update(changes)
    (folder / "run.json").write_text(json.dumps(run))


def npy_with_header(path: Path, shape: tuple[int, ...], dtype: str = "<f4") -> None:
    """A .npy file whose header declares ``shape`` and whose data is only 16 bytes."""
    header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(16))


def predict(image: Callable[[Path], None], name: str = "image.npy") -> Callable[[Path], list[str]]:
    def setup(run: Path) -> list[str]:
        path = run.parent / name
        image(path)
        return ["predict", str(run), str(path)]
    return setup


def on_run(change: Callable[[Path], None], command: str = "evaluate") -> Callable[[Path], list[str]]:
    def setup(run: Path) -> list[str]:
        change(run)
        return ["train", "--resume", str(run)] if command == "resume" else [command, str(run)]
    return setup


def hostile(run: Path) -> None:
    write_signed(run / "model.safetensors", HOSTILE["keras-dense-16384"], {"w": np.zeros(2, np.float32)})


def other_architecture(run: Path) -> None:
    from scratchnet import keras

    sn.manual_seed(0)
    keras.Sequential([keras.layers.Dense(2, input_shape=(5,))]).save(run / "model.safetensors")


def training_status(run: Path) -> None:
    edit_run(run, status="training", weights="checkpoint.safetensors")


CASES: dict[str, Callable[[Path], list[str]]] = {
    "evaluate a missing folder": lambda run: ["evaluate", str(run.parent / "missing")],
    "evaluate a folder without run.json": on_run(lambda run: (run / "run.json").unlink()),
    "run.json not JSON": on_run(lambda run: (run / "run.json").write_text("{model: mlp")),
    "run.json not UTF-8": on_run(lambda run: (run / "run.json").write_bytes(b"\xff\xfe{")),
    "run.json a list": on_run(lambda run: (run / "run.json").write_text("[1, 2]")),
    "run.json of 2 MB": on_run(lambda run: (run / "run.json").write_text(" " * 2_000_000 + "{}")),
    "run.json a folder": on_run(lambda run: ((run / "run.json").unlink(), (run / "run.json").mkdir())),
    "unknown data set in run.json": on_run(lambda run: edit_run(run, dataset="cifar")),
    "data set not a string": on_run(lambda run: edit_run(run, dataset=["xor"])),
    "unknown model in run.json": on_run(lambda run: edit_run(run, model="resnet")),
    "weights outside the folder": on_run(lambda run: edit_run(run, weights="../../etc/passwd")),
    "weights file missing": on_run(lambda run: (run / "model.safetensors").unlink()),
    "checkpoint named but missing": on_run(lambda run: (edit_run(run, weights="checkpoint.safetensors"),
                                                        (run / "checkpoint.safetensors").unlink())),
    "empty model": on_run(lambda run: (run / "model.safetensors").write_bytes(b"")),
    "truncated model": on_run(lambda run: (run / "model.safetensors").write_bytes(
        (run / "model.safetensors").read_bytes()[:-7])),
    "random bytes as model": on_run(lambda run: (run / "model.safetensors").write_bytes(os.urandom(4096))),
    "state dict as model": on_run(lambda run: save({"w": np.ones(3)}, run / "model.safetensors")),
    "nn module as model": on_run(lambda run: save(nn.Linear(2, 2), run / "model.safetensors")),
    "hostile model": on_run(hostile),
    "model a folder": on_run(lambda run: ((run / "model.safetensors").unlink(),
                                          (run / "model.safetensors").mkdir())),
    "model of another architecture": on_run(other_architecture),
    "predict with a missing image": lambda run: ["predict", str(run), str(run / "nothing.png")],
    "npy header asking for 37 GiB": predict(lambda path: npy_with_header(path, (100_000, 100_000))),
    "npy of the wrong shape": predict(lambda path: np.save(path, np.zeros((3, 3)))),
    "npy of objects": predict(lambda path: np.save(path, np.array([None] * 4, dtype=object).reshape(2, 2),
                                                   allow_pickle=True)),
    "npy of complex numbers": predict(lambda path: np.save(path, np.zeros((28, 28), np.complex64))),
    "npy of strings": predict(lambda path: np.save(path, np.full((28, 28), "a"))),
    "npy with NaN": predict(lambda path: np.save(path, np.full((28, 28), np.nan, np.float32))),
    "npy garbage": predict(lambda path: path.write_bytes(b"\x93NUMPY garbage")),
    "png garbage": predict(lambda path: path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200)), "x.png"),
    "png that is text": predict(lambda path: path.write_text("hello"), "x.png"),
    "image a folder": predict(lambda path: path.mkdir()),
    "image a FIFO": predict(lambda path: os.mkfifo(path), "fifo.png"),
    "png bomb header": predict(lambda path: path.write_bytes(
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + (100_000).to_bytes(4, "big") * 2 + bytes(20)), "bomb.png"),
    "jpeg given as image": predict(lambda path: path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100)), "x.jpg"),
    "image of a run that does not fit it": lambda run: (np.save(run.parent / "ok.npy", np.zeros((28, 28))),
                                                        ["predict", str(run), str(run.parent / "ok.npy")])[1],
    "train an unknown model": lambda run: ["train", "--model", "resnet"],
    "train an unknown data set": lambda run: ["train", "--dataset", "cifar"],
    "train with epochs not a number": lambda run: ["train", "--epochs", "ten"],
    "train into a file": lambda run: ["train", "--dataset", "xor", "--epochs", "1", "--out",
                                      str(run / "run.json" / "sub")],
    "train into an interrupted run": lambda run: (training_status(run),
                                                  ["train", "--dataset", "xor", "--out", str(run)])[1],
    "resume a missing folder": lambda run: ["train", "--resume", str(run.parent / "missing")],
    "resume with other options": lambda run: ["train", "--resume", str(run), "--epochs", "5"],
    "resume without the settings": on_run(lambda run: (run / "run.json").write_text(
        '{"model": "mlp", "dataset": "xor", "status": "training"}'), "resume"),
    "resume a corrupted checkpoint": on_run(lambda run: (training_status(run), (
        run / "checkpoint.safetensors").write_bytes(b"\0" * 100)), "resume"),
    "resume a checkpoint without epoch": on_run(lambda run: (training_status(run), save(
        {"keras_model": nn.Linear(1, 1)}, run / "checkpoint.safetensors")), "resume"),
    "summary of an unknown model": lambda run: ["summary", "--model", "vgg"],
    "no command": lambda run: [],
    "unknown command": lambda run: ["fly"],
    "bench with an unknown option": lambda run: ["bench", "--nonsense"],
    "bench with an unknown workload": lambda run: ["bench", "--workloads", "zzz"],
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gives_exit_status_2_and_one_line(trained, tmp_path, case, capfd):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    argv = CASES[case](run)
    capfd.readouterr()
    status = cli.main(argv)
    err = capfd.readouterr().err
    assert status == 2, (case, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scratchnet "), (case, err)
    assert "Traceback" not in err


def test_the_message_names_the_problem(trained, tmp_path, capfd):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    expectations = {"unknown data set in run.json": "unknown dataset 'cifar'",
                    "npy header asking for 37 GiB": "image.npy: not a readable .npy array",
                    "hostile model": "more than the file's tensors justify",
                    "model of another architecture": "does not take mlp inputs of xor",
                    "train an unknown model": "invalid choice: 'resnet'"}
    for case, fragment in expectations.items():
        fresh = tmp_path / case.replace(" ", "-")
        shutil.copytree(trained, fresh)
        argv = CASES[case](fresh)
        capfd.readouterr()
        assert cli.main(argv) == 2
        assert fragment in capfd.readouterr().err, case


def test_the_real_command_prints_no_traceback(trained, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    edit_run(run, dataset="cifar")
    npy_with_header(tmp_path / "huge.npy", (100_000, 100_000))
    for argv in (["evaluate", str(run)], ["predict", str(trained), str(tmp_path / "huge.npy")],
                 ["train", "--model", "resnet"]):
        result = subprocess.run([sys.executable, "-m", "scratchnet", *argv], capture_output=True, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_good_run_still_evaluates(trained, capsys):
    assert cli.main(["evaluate", str(trained)]) == 0
    assert "mlp on xor test set" in capsys.readouterr().out
